//! `--format human`: rustc-style snippets rendered with codespan-reporting.

use crate::diagnostic::{Applicability, Severity};
use crate::engine::{Finding, Report};
use codespan_reporting::diagnostic::{Diagnostic as CsDiagnostic, Label, Severity as CsSeverity};
use codespan_reporting::files::SimpleFile;
use codespan_reporting::term::{self, termcolor::WriteColor, Config};
use std::io::Write;

pub struct HumanOptions {
    pub quiet: bool,
    pub statistics: bool,
}

pub fn render(
    report: &Report,
    out: &mut dyn WriteColor,
    opts: &HumanOptions,
) -> std::io::Result<()> {
    let config = Config::default();
    if !opts.quiet {
        for f in &report.findings {
            let Some(text) = report.source(&f.path) else {
                continue;
            };
            let file = SimpleFile::new(f.path.as_str(), &**text);
            let d = to_codespan(f, text);
            term::emit_to_write_style(out, &config, &file, &d)
                .map_err(|e| std::io::Error::other(e.to_string()))?;
        }
    }
    for e in &report.errors {
        out.set_color(
            codespan_reporting::term::termcolor::ColorSpec::new()
                .set_fg(Some(codespan_reporting::term::termcolor::Color::Red))
                .set_bold(true),
        )?;
        write!(out, "error")?;
        out.reset()?;
        writeln!(out, ": {}: {}", e.path, e.message)?;
    }
    if opts.statistics {
        write_statistics(report, out)?;
    }
    let warnings = report.count(Severity::Warning);
    let errors = report.count(Severity::Error);
    let hints = report.count(Severity::Hint);
    let mut summary = format!(
        "{} {}, {} {}",
        warnings,
        plural(warnings, "warning", "warnings"),
        errors,
        plural(errors, "error", "errors"),
    );
    if hints > 0 {
        summary.push_str(&format!(", {hints} {}", plural(hints, "hint", "hints")));
    }
    summary.push_str(&format!(
        "; {} {} checked",
        report.files_checked,
        plural(report.files_checked, "file", "files")
    ));
    if !report.errors.is_empty() {
        summary.push_str(&format!(", {} could not be checked", report.errors.len()));
    }
    writeln!(out, "{summary}")
}

pub fn write_statistics(report: &Report, out: &mut dyn Write) -> std::io::Result<()> {
    let mut counts: Vec<(&str, &str, usize)> = Vec::new();
    for f in &report.findings {
        let d = &f.diagnostic;
        match counts.iter_mut().find(|(r, _, _)| *r == d.rule) {
            Some(c) => c.2 += 1,
            None => counts.push((d.rule, d.severity.as_str(), 1)),
        }
    }
    counts.sort_by(|a, b| b.2.cmp(&a.2).then(a.0.cmp(b.0)));
    for (rule, severity, n) in counts {
        writeln!(out, "{n:>6}  {rule} ({severity})")?;
    }
    Ok(())
}

fn plural<'s>(n: usize, one: &'s str, many: &'s str) -> &'s str {
    if n == 1 {
        one
    } else {
        many
    }
}

pub(crate) fn to_codespan(f: &Finding, text: &str) -> CsDiagnostic<()> {
    let d = &f.diagnostic;
    let severity = match d.severity {
        Severity::Error => CsSeverity::Error,
        Severity::Warning => CsSeverity::Warning,
        Severity::Hint => CsSeverity::Note,
    };
    let mut primary = Label::primary((), d.range.start..d.range.end);
    if let Some(l) = &d.label {
        primary = primary.with_message(l);
    }
    let mut labels = vec![primary];
    labels.extend(
        d.labels
            .iter()
            .map(|l| Label::secondary((), l.range.start..l.range.end).with_message(&l.message)),
    );
    let mut notes: Vec<String> = d.notes.iter().map(|n| format!("note: {n}")).collect();
    if let Some(h) = &d.help {
        notes.push(format!("help: {h}"));
    }
    if let Some(fix) = &d.fix {
        if let Some(line) = fixed_line(text, fix) {
            let how = match fix.applicability {
                Applicability::MachineApplicable => "suggested fix (machine-applicable)",
                Applicability::MaybeIncorrect => "suggested fix (review before applying)",
            };
            notes.push(format!("{how}:\n    {}", line.trim()));
        }
    }
    CsDiagnostic::new(severity)
        .with_message(&d.message)
        .with_code(d.rule)
        .with_labels(labels)
        .with_notes(notes)
}

/// The line a single-line fix touches, with the fix applied.
fn fixed_line(text: &str, fix: &crate::diagnostic::Fix) -> Option<String> {
    let first = fix.edits.iter().map(|e| e.range.start).min()?;
    let last = fix.edits.iter().map(|e| e.range.end).max()?;
    let line_start = text[..first].rfind('\n').map_or(0, |i| i + 1);
    let line_end = text[last..].find('\n').map_or(text.len(), |i| last + i);
    if text[first..last].contains('\n') {
        return None;
    }
    let mut edits: Vec<_> = fix.edits.iter().collect();
    edits.sort_by_key(|e| e.range.start);
    let mut out = String::new();
    let mut at = line_start;
    for e in edits {
        out.push_str(&text[at..e.range.start]);
        out.push_str(&e.replacement);
        at = e.range.end;
    }
    out.push_str(&text[at..line_end]);
    Some(out)
}
