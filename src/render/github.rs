//! `--format github`: one workflow command per finding, shown as annotations on the
//! pull request.

use crate::diagnostic::Severity;
use crate::engine::Report;
use std::fmt::Write;

/// Escapes a workflow command's message: `%`, CR and LF as the runner decodes them,
/// and every other control character visibly (the log is read by people too).
fn data(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '%' => out.push_str("%25"),
            '\r' => out.push_str("%0D"),
            '\n' => out.push_str("%0A"),
            c if super::escape::is_unsafe(c) => super::escape::push_escaped(&mut out, c),
            c => out.push(c),
        }
    }
    out
}

/// Escapes a workflow command's property value.
fn property(s: &str) -> String {
    data(s).replace(':', "%3A").replace(',', "%2C")
}

pub fn render(report: &Report) -> String {
    let mut out = String::new();
    for f in &report.findings {
        let d = &f.diagnostic;
        let level = match d.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Hint => "notice",
        };
        let mut message = d.message.clone();
        if let Some(h) = &d.help {
            message.push_str("\nhelp: ");
            message.push_str(h);
        }
        let _ = writeln!(
            out,
            "::{level} file={},line={},col={},endLine={},endColumn={},title={}::{}",
            property(f.path.trim_start_matches("./")),
            f.start.line,
            f.start.column,
            f.end.line,
            f.end.column,
            property(&format!("asynclint({})", d.rule)),
            data(&message)
        );
    }
    for e in &report.errors {
        let pos = e
            .position
            .map(|p| format!(",line={},col={}", p.line, p.column))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "::error file={}{pos},title=asynclint::{}",
            property(e.path.trim_start_matches("./")),
            data(&e.message)
        );
    }
    for e in &report.skipped {
        let _ = writeln!(
            out,
            "::notice file={},title=asynclint::{}",
            property(e.path.trim_start_matches("./")),
            data(&e.message)
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_and_properties_are_escaped() {
        assert_eq!(data("50% done\nnext"), "50%25 done%0Anext");
        assert_eq!(property("a:b,c"), "a%3Ab%2Cc");
        assert_eq!(data("a\x1b[2J\u{202e}"), "a\\u{1b}[2J\\u{202e}");
    }
}
