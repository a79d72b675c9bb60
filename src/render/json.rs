//! `--format json`: one object on stdout, as the interface contract specifies.

use crate::engine::Report;
use serde::Serialize;

#[derive(Serialize)]
struct Output<'a> {
    version: &'static str,
    files_checked: usize,
    diagnostics: Vec<Diag<'a>>,
    errors: Vec<Error<'a>>,
    /// Files not checked on purpose (edition 2015 syntax), with the reason.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    skipped: Vec<Error<'a>>,
}

#[derive(Serialize)]
struct Diag<'a> {
    rule: &'a str,
    /// The rule's group (`correctness`, `latency`, ...).
    group: &'a str,
    severity: &'a str,
    path: &'a str,
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
    message: &'a str,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    notes: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    help: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    fix: Option<Fix<'a>>,
}

#[derive(Serialize)]
struct Fix<'a> {
    applicability: crate::diagnostic::Applicability,
    edits: Vec<Edit<'a>>,
}

#[derive(Serialize)]
struct Edit<'a> {
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
    replacement: &'a str,
}

#[derive(Serialize)]
struct Error<'a> {
    path: &'a str,
    message: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    line: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    column: Option<usize>,
}

/// `--format json-lines`: one object per line, `"type": "diagnostic"` (the fields
/// of a `--format json` diagnostic) or `"type": "error"`.
pub fn render_lines(report: &Report) -> String {
    #[derive(Serialize)]
    struct Line<T> {
        #[serde(rename = "type")]
        kind: &'static str,
        #[serde(flatten)]
        item: T,
    }
    let mut out = String::new();
    let mut push = |line: serde_json::Result<String>| {
        if let Ok(line) = line {
            out.push_str(&line);
            out.push('\n');
        }
    };
    for d in diagnostics(report) {
        push(serde_json::to_string(&Line {
            kind: "diagnostic",
            item: d,
        }));
    }
    for e in errors(report) {
        push(serde_json::to_string(&Line {
            kind: "error",
            item: e,
        }));
    }
    out
}

pub fn render(report: &Report) -> String {
    let out = Output {
        version: env!("CARGO_PKG_VERSION"),
        files_checked: report.files_checked,
        diagnostics: diagnostics(report),
        errors: errors(report),
        skipped: report
            .skipped
            .iter()
            .map(|e| Error {
                path: &e.path,
                message: &e.message,
                line: e.position.map(|p| p.line),
                column: e.position.map(|p| p.column),
            })
            .collect(),
    };
    let mut s = serde_json::to_string_pretty(&out).unwrap_or_else(|_| "{}".into());
    s.push('\n');
    s
}

fn diagnostics(report: &Report) -> Vec<Diag<'_>> {
    report
        .findings
        .iter()
        .map(|f| {
            let d = &f.diagnostic;
            Diag {
                rule: d.rule,
                group: crate::rules::find(d.rule).map_or("", |r| r.meta().group.name()),
                severity: d.severity.as_str(),
                path: &f.path,
                line: f.start.line,
                column: f.start.column,
                end_line: f.end.line,
                end_column: f.end.column,
                message: &d.message,
                notes: &d.notes,
                help: d.help.as_deref(),
                fix: d.fix.as_ref().map(|fix| Fix {
                    applicability: fix.applicability,
                    edits: fix
                        .edits
                        .iter()
                        .zip(&f.edit_positions)
                        .map(|(e, (s, t))| Edit {
                            line: s.line,
                            column: s.column,
                            end_line: t.line,
                            end_column: t.column,
                            replacement: &e.replacement,
                        })
                        .collect(),
                }),
            }
        })
        .collect()
}

fn errors(report: &Report) -> Vec<Error<'_>> {
    report
        .errors
        .iter()
        .map(|e| Error {
            path: &e.path,
            message: &e.message,
            line: e.position.map(|p| p.line),
            column: e.position.map(|p| p.column),
        })
        .collect()
}
