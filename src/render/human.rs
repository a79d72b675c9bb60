//! `--format human`: rustc-style snippets rendered with codespan-reporting.

use super::escape;
use crate::diagnostic::{Applicability, Severity};
use crate::engine::{Finding, Report};
use crate::source::{LineIndex, TextRange};
use codespan_reporting::diagnostic::{Diagnostic as CsDiagnostic, Label, Severity as CsSeverity};
use codespan_reporting::files::{self, Files};
use codespan_reporting::term::{self, termcolor::WriteColor, Config, DisplayStyle};
use std::io::Write;

pub struct HumanOptions {
    pub quiet: bool,
    pub statistics: bool,
}

/// A source line longer than this many bytes is shown as a window around the span.
const LONG_LINE: usize = 240;
/// Characters shown before the first marked column of a long line, and after it.
const BEFORE: usize = 40;
const AFTER: usize = 120;
/// Findings that start on one line shown with their code; the rest on that line are
/// shown as one line each.
const SNIPPETS_PER_LINE: usize = 3;

pub fn render(
    report: &Report,
    out: &mut dyn WriteColor,
    opts: &HumanOptions,
) -> std::io::Result<()> {
    let config = Config::default();
    let short = Config {
        display_style: DisplayStyle::Short,
        ..Config::default()
    };
    if !opts.quiet {
        // The current file's line index, and how many findings start on each line
        // shown so far (findings are sorted by path, then position).
        let mut current: Option<(&str, LineIndex)> = None;
        let mut same_line = (0usize, 0usize);
        for f in &report.findings {
            let Some(text) = report.source(&f.path) else {
                continue;
            };
            if current.as_ref().is_none_or(|(p, _)| *p != f.path) {
                current = Some((&f.path, LineIndex::new(text)));
                same_line = (0, 0);
            }
            let Some((_, lines)) = &current else {
                continue;
            };
            if same_line.0 == f.start.line {
                same_line.1 += 1;
            } else {
                same_line = (f.start.line, 1);
            }
            let excerpt = Excerpt::new(&f.path, text, lines, f, &config);
            let d = to_codespan(f, text, lines, &excerpt);
            let style = if same_line.1 > SNIPPETS_PER_LINE {
                &short
            } else {
                &config
            };
            term::emit_to_write_style(out, style, &excerpt, &d).map_err(|e| match e {
                files::Error::Io(e) => e,
                e => std::io::Error::other(e.to_string()),
            })?;
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
        writeln!(
            out,
            ": {}: {}",
            escape::controls(&e.path),
            escape::controls(&e.message)
        )?;
    }
    for e in &report.skipped {
        out.set_color(
            codespan_reporting::term::termcolor::ColorSpec::new()
                .set_fg(Some(codespan_reporting::term::termcolor::Color::Cyan))
                .set_bold(true),
        )?;
        write!(out, "note")?;
        out.reset()?;
        writeln!(
            out,
            ": {}: {}",
            escape::controls(&e.path),
            escape::controls(&e.message)
        )?;
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
    if !report.skipped.is_empty() {
        summary.push_str(&format!(", {} skipped", report.skipped.len()));
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

fn to_codespan(f: &Finding, text: &str, lines: &LineIndex, x: &Excerpt) -> CsDiagnostic<()> {
    let d = &f.diagnostic;
    let severity = match d.severity {
        Severity::Error => CsSeverity::Error,
        Severity::Warning => CsSeverity::Warning,
        Severity::Hint => CsSeverity::Note,
    };
    let mut primary = Label::primary((), x.range(d.range));
    if let Some(l) = &d.label {
        primary = primary.with_message(escape::controls(l));
    }
    let mut labels = vec![primary];
    labels.extend(d.labels.iter().map(|l| {
        Label::secondary((), x.range(l.range)).with_message(escape::controls(&l.message))
    }));
    let mut notes: Vec<String> = d
        .notes
        .iter()
        .map(|n| format!("note: {}", escape::controls(n)))
        .collect();
    if let Some(h) = &d.help {
        notes.push(format!("help: {}", escape::controls(h)));
    }
    if let Some(fix) = &d.fix {
        if let Some(line) = fixed_line(text, lines, fix) {
            let how = match fix.applicability {
                Applicability::MachineApplicable => "suggested fix (machine-applicable)",
                Applicability::MaybeIncorrect => {
                    "suggested fix (review before applying; `--fix --unsafe-fixes` applies it)"
                }
            };
            notes.push(format!("{how}:\n    {}", line.trim()));
        }
    }
    notes.push(format!("see: asynclint explain {}", d.rule));
    CsDiagnostic::new(severity)
        .with_message(escape::controls(&d.message))
        .with_code(d.rule)
        .with_labels(labels)
        .with_notes(notes)
}

/// The part of the line a single-line fix touches, with the fix applied: the whole
/// line if it is short, else a window around the edits; control characters escaped.
fn fixed_line(text: &str, lines: &LineIndex, fix: &crate::diagnostic::Fix) -> Option<String> {
    let first = fix.edits.iter().map(|e| e.range.start).min()?;
    let last = fix.edits.iter().map(|e| e.range.end).max()?;
    let line = lines.line_range(text, lines.position(text, first).line);
    if last > line.end || last - first > LONG_LINE {
        return None;
    }
    let (from, to) = if line.end - line.start <= LONG_LINE {
        (line.start, line.end)
    } else {
        (
            back_chars(text, first, BEFORE, line.start),
            forward_chars(text, last, BEFORE, line.end),
        )
    };
    let mut edits: Vec<_> = fix.edits.iter().collect();
    edits.sort_by_key(|e| e.range.start);
    let mut out = String::new();
    if from > line.start {
        out.push('…');
    }
    let mut at = from;
    for e in edits {
        out.push_str(&escape::controls(text.get(at..e.range.start)?));
        out.push_str(&escape::controls(&e.replacement));
        at = e.range.end;
    }
    out.push_str(&escape::controls(text.get(at..to)?));
    if to < line.end {
        out.push('…');
    }
    Some(out)
}

/// The offset `n` characters before `offset`, not before `floor`.
fn back_chars(text: &str, offset: usize, n: usize, floor: usize) -> usize {
    text[floor..offset]
        .char_indices()
        .rev()
        .nth(n.saturating_sub(1))
        .map_or(floor, |(i, _)| floor + i)
}

/// The offset `n` characters after `offset`, not after `ceiling`.
fn forward_chars(text: &str, offset: usize, n: usize, ceiling: usize) -> usize {
    text[offset..ceiling]
        .char_indices()
        .nth(n)
        .map_or(ceiling, |(i, _)| offset + i)
}

/// One finding as the human format shows it, without colours.
pub(crate) fn render_one(f: &Finding, text: &str) -> String {
    let config = Config::default();
    let lines = LineIndex::new(text);
    let excerpt = Excerpt::new(&f.path, text, &lines, f, &config);
    let d = to_codespan(f, text, &lines, &excerpt);
    let mut out = codespan_reporting::term::termcolor::NoColor::new(Vec::new());
    let _ = term::emit_to_write_style(&mut out, &config, &excerpt, &d);
    String::from_utf8_lossy(&out.into_inner()).into_owned()
}

/// What codespan-reporting is shown of a file for one finding: only the lines the
/// labels need, a long line cut to a window around its marks, and control
/// characters escaped. Line numbers and columns are those of the real file.
struct Excerpt {
    name: String,
    source: String,
    /// Per excerpt line: its start in `source`, its line number in the file.
    lines: Vec<(usize, usize)>,
    /// Where each offset of the file that a label names went in `source`, and the
    /// column it has in the file.
    marks: Vec<(usize, usize, usize)>,
}

impl Excerpt {
    fn new(path: &str, text: &str, index: &LineIndex, f: &Finding, config: &Config) -> Self {
        let d = &f.diagnostic;
        let ranges: Vec<TextRange> = std::iter::once(d.range)
            .chain(d.labels.iter().map(|l| l.range))
            .map(|r| {
                let end = r.end.min(text.len());
                TextRange::new(r.start.min(end), end)
            })
            .collect();
        // The lines codespan renders: each label's first and last, and the context
        // lines of a label over several lines.
        let mut wanted: Vec<usize> = Vec::new();
        for r in &ranges {
            let (a, b) = (
                index.position(text, r.start).line,
                index.position(text, r.end).line,
            );
            wanted.extend([a, b]);
            if b > a {
                wanted.extend((a + 1..b).take(config.start_context_lines));
                wanted.extend((a + 1..b).rev().take(config.end_context_lines));
            }
        }
        wanted.sort_unstable();
        wanted.dedup();
        let mut filled = Vec::with_capacity(wanted.len() * 2);
        for (i, &l) in wanted.iter().enumerate() {
            filled.push(Some(l));
            match wanted.get(i + 1).map(|n| n - l) {
                // One line between: codespan shows it.
                Some(2) => filled.push(Some(l + 1)),
                // More: two blank stand-ins, which codespan shows as a break.
                Some(gap) if gap > 2 => filled.extend([None, None]),
                _ => {}
            }
        }
        let points: Vec<usize> = ranges.iter().flat_map(|r| [r.start, r.end]).collect();
        let mut x = Excerpt {
            name: escape::controls(path).into_owned(),
            source: String::new(),
            lines: Vec::with_capacity(filled.len()),
            marks: Vec::new(),
        };
        let mut last_number = 0;
        for line in filled {
            let start = x.source.len();
            let Some(line) = line else {
                x.lines.push((start, last_number + 1));
                x.source.push('\n');
                continue;
            };
            last_number = line;
            x.lines.push((start, line));
            let full = index.line_range(text, line);
            let here: Vec<usize> = points
                .iter()
                .copied()
                .filter(|&p| full.start <= p && p <= full.end)
                .collect();
            let (from, to) = if full.end - full.start <= LONG_LINE {
                (full.start, full.end)
            } else {
                let first = here.iter().copied().min().unwrap_or(full.start);
                let from = back_chars(text, first, BEFORE, full.start);
                (from, forward_chars(text, first, AFTER, full.end))
            };
            if from > full.start {
                x.source.push('…');
            }
            // The file's text of the window, escaped, noting where each mark goes.
            let mut marks: Vec<usize> = here.iter().map(|&p| p.clamp(from, to)).collect();
            marks.sort_unstable();
            marks.dedup();
            let mut next = marks.iter().peekable();
            for (i, c) in text[from..to].char_indices() {
                while next.peek().is_some_and(|&&m| m <= from + i) {
                    let m = *next.next().unwrap_or(&0);
                    x.mark(m, index.position(text, m).column);
                }
                if c == '\u{feff}' && from + i == 0 {
                    continue;
                }
                if escape::is_unsafe(c) {
                    escape::push_escaped(&mut x.source, c);
                } else {
                    x.source.push(c);
                }
            }
            for &m in next {
                x.mark(m, index.position(text, m).column);
            }
            if to < full.end {
                x.source.push('…');
            }
            x.source.push('\n');
        }
        x
    }

    fn mark(&mut self, offset: usize, column: usize) {
        if !self.marks.iter().any(|&(o, _, _)| o == offset) {
            self.marks.push((offset, self.source.len(), column));
        }
    }

    /// Where a range of the file goes in the excerpt.
    fn range(&self, r: TextRange) -> std::ops::Range<usize> {
        let at = |o: usize| {
            self.marks
                .iter()
                .find(|&&(m, _, _)| m == o)
                .map_or(0, |&(_, v, _)| v)
        };
        let (a, b) = (at(r.start), at(r.end));
        a..b.max(a)
    }

    fn line_span(&self, line_index: usize) -> std::ops::Range<usize> {
        let Some(&(start, _)) = self.lines.get(line_index) else {
            return self.source.len()..self.source.len();
        };
        let end = self
            .lines
            .get(line_index + 1)
            .map_or(self.source.len(), |&(s, _)| s);
        start..end.saturating_sub(1).max(start)
    }
}

impl<'a> Files<'a> for Excerpt {
    type FileId = ();
    type Name = &'a str;
    type Source = &'a str;

    fn name(&'a self, (): ()) -> Result<&'a str, files::Error> {
        Ok(&self.name)
    }

    fn source(&'a self, (): ()) -> Result<&'a str, files::Error> {
        Ok(&self.source)
    }

    fn line_index(&'a self, (): (), byte_index: usize) -> Result<usize, files::Error> {
        Ok(self
            .lines
            .partition_point(|&(start, _)| start <= byte_index)
            .saturating_sub(1))
    }

    fn line_number(&'a self, (): (), line_index: usize) -> Result<usize, files::Error> {
        Ok(self.lines.get(line_index).map_or(1, |&(_, n)| n))
    }

    fn column_number(
        &'a self,
        (): (),
        line_index: usize,
        byte_index: usize,
    ) -> Result<usize, files::Error> {
        if let Some(&(_, _, column)) = self.marks.iter().find(|&&(_, v, _)| v == byte_index) {
            return Ok(column);
        }
        let span = self.line_span(line_index);
        Ok(files::column_index(&self.source, span, byte_index) + 1)
    }

    fn line_range(
        &'a self,
        (): (),
        line_index: usize,
    ) -> Result<std::ops::Range<usize>, files::Error> {
        Ok(self.line_span(line_index))
    }
}
