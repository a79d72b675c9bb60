//! `--format junit`: JUnit XML, as CI test-report views read it. One `<testsuite>`
//! per file, one `<testcase>` per finding (a `<failure>` at warning or error
//! severity) and per file that could not be checked (an `<error>`); a clean run is
//! one passing test case.

use super::{escape, plain_path};
use crate::diagnostic::Severity;
use crate::engine::Report;
use std::collections::BTreeMap;
use std::fmt::Write;

/// Text fit for an XML attribute or element: markup characters as entities, and
/// characters XML 1.0 cannot hold at all as `\u{..}` escapes.
fn xml(text: &str, keep_newlines: bool) -> String {
    let safe = if keep_newlines {
        escape::controls_but_newlines(text)
    } else {
        escape::controls(text)
    };
    let mut out = String::with_capacity(safe.len());
    for c in safe.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' if !keep_newlines => out.push_str("&#10;"),
            // Not characters in XML 1.0.
            '\u{fffe}' | '\u{ffff}' => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

#[derive(Default)]
struct Suite {
    cases: String,
    tests: usize,
    failures: usize,
    errors: usize,
}

pub fn render(report: &Report) -> String {
    let mut suites: BTreeMap<String, Suite> = BTreeMap::new();
    for f in &report.findings {
        let d = &f.diagnostic;
        let path = plain_path(&f.path);
        let suite = suites.entry(path.to_string()).or_default();
        suite.tests += 1;
        let name = format!("{} at {}:{}", d.rule, f.start.line, f.start.column);
        let _ = writeln!(
            suite.cases,
            "    <testcase name=\"{}\" classname=\"{}\" file=\"{}\" line=\"{}\">",
            xml(&name, false),
            xml(&path, false),
            xml(&path, false),
            f.start.line
        );
        let mut body = format!(
            "{path}:{}:{}: {}[{}] {}",
            f.start.line,
            f.start.column,
            d.severity.as_str(),
            d.rule,
            d.message
        );
        if let Some(h) = &d.help {
            body.push_str("\nhelp: ");
            body.push_str(h);
        }
        if d.severity == Severity::Hint {
            let _ = writeln!(
                suite.cases,
                "      <system-out>{}</system-out>",
                xml(&body, true)
            );
        } else {
            suite.failures += 1;
            let _ = writeln!(
                suite.cases,
                "      <failure message=\"{}\" type=\"{}\">{}</failure>",
                xml(&d.message, false),
                xml(d.rule, false),
                xml(&body, true)
            );
        }
        suite.cases.push_str("    </testcase>\n");
    }
    for e in &report.errors {
        let path = plain_path(&e.path);
        let suite = suites.entry(path.to_string()).or_default();
        suite.tests += 1;
        suite.errors += 1;
        let at = e
            .position
            .map(|p| format!(":{}:{}", p.line, p.column))
            .unwrap_or_default();
        let _ = writeln!(
            suite.cases,
            "    <testcase name=\"could not be checked\" classname=\"{}\" file=\"{}\">\n      \
             <error message=\"{}\" type=\"asynclint-error\">{}</error>\n    </testcase>",
            xml(&path, false),
            xml(&path, false),
            xml(&e.message, false),
            xml(&format!("{path}{at}: {}", e.message), true)
        );
    }
    if suites.is_empty() {
        suites.insert(
            "asynclint".into(),
            Suite {
                cases: format!(
                    "    <testcase name=\"{} files checked, no findings\" classname=\"asynclint\"/>\n",
                    report.files_checked
                ),
                tests: 1,
                ..Suite::default()
            },
        );
    }
    let (tests, failures, errors) = suites.values().fold((0, 0, 0), |(t, f, e), s| {
        (t + s.tests, f + s.failures, e + s.errors)
    });
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"asynclint\" tests=\"{tests}\" failures=\"{failures}\" errors=\"{errors}\">"
    );
    for (name, s) in &suites {
        let _ = writeln!(
            out,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"0\">",
            xml(name, false),
            s.tests,
            s.failures,
            s.errors
        );
        out.push_str(&s.cases);
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped_for_xml() {
        assert_eq!(xml("a<b>&\"'", false), "a&lt;b&gt;&amp;&quot;&apos;");
        assert_eq!(xml("a\nb\u{1}", false), "a\\nb\\u{1}");
        assert_eq!(xml("a\nb\u{1}", true), "a\nb\\u{1}");
    }
}
