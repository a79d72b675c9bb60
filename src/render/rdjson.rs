//! `--format rdjson`: reviewdog's Diagnostic Format (one `DiagnosticResult` object).
//! Columns are 1-based UTF-8 byte offsets, as the format specifies.

use super::{plain_path, rule_url};
use crate::diagnostic::{Applicability, Severity};
use crate::engine::Report;
use serde_json::{json, Value};

fn severity(s: Severity) -> &'static str {
    match s {
        Severity::Error => "ERROR",
        Severity::Warning => "WARNING",
        Severity::Hint => "INFO",
    }
}

/// Line (1-based) and byte column (1-based) of byte `offset` in `text`.
fn position(text: &str, offset: usize) -> Value {
    let offset = offset.min(text.len());
    let before = &text.as_bytes()[..offset];
    let line = before.iter().filter(|b| **b == b'\n').count() + 1;
    let start = before
        .iter()
        .rposition(|b| *b == b'\n')
        .map_or(0, |i| i + 1);
    json!({ "line": line, "column": offset - start + 1 })
}

fn range(text: &str, start: usize, end: usize) -> Value {
    json!({ "start": position(text, start), "end": position(text, end) })
}

pub fn render(report: &Report) -> String {
    let mut diagnostics: Vec<Value> = Vec::new();
    for f in &report.findings {
        let d = &f.diagnostic;
        let text = report.source(&f.path).map_or("", |t| &**t);
        let mut message = d.message.clone();
        if let Some(h) = &d.help {
            message.push_str("\nhelp: ");
            message.push_str(h);
        }
        let mut out = json!({
            "message": message,
            "location": {
                "path": plain_path(&f.path),
                "range": range(text, d.range.start, d.range.end),
            },
            "severity": severity(d.severity),
            "source": { "name": "asynclint", "url": "https://github.com/asynclint/asynclint" },
            "code": { "value": d.rule, "url": rule_url(d.rule) },
        });
        if let Some(fix) = d
            .fix
            .as_ref()
            .filter(|f| f.applicability == Applicability::MachineApplicable)
        {
            out["suggestions"] = fix
                .edits
                .iter()
                .map(|e| {
                    json!({
                        "range": range(text, e.range.start, e.range.end),
                        "text": e.replacement,
                    })
                })
                .collect();
        }
        diagnostics.push(out);
    }
    for e in &report.errors {
        let mut out = json!({
            "message": format!("asynclint could not check this file: {}", e.message),
            "location": { "path": plain_path(&e.path) },
            "severity": "ERROR",
            "source": { "name": "asynclint" },
            "code": { "value": "asynclint-error" },
        });
        if let Some(p) = e.position {
            out["location"]["range"] = json!({ "start": { "line": p.line } });
        }
        diagnostics.push(out);
    }
    let result = json!({
        "source": { "name": "asynclint", "url": "https://github.com/asynclint/asynclint" },
        "diagnostics": diagnostics,
    });
    let mut s = serde_json::to_string_pretty(&result).unwrap_or_default();
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_count_bytes() {
        let text = "ab\né x";
        assert_eq!(position(text, 0), json!({"line": 1, "column": 1}));
        // `x` follows a two-byte `é` and a space.
        assert_eq!(position(text, 6), json!({"line": 2, "column": 4}));
    }
}
