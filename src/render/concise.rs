//! `--format concise`: one line per finding, `path:line:col: severity[rule] message`,
//! and one per error, `path[:line:col]: error: message` — for grep, editors' error
//! parsers and logs.

use super::escape;
use crate::engine::Report;
use std::fmt::Write;

pub fn render(report: &Report) -> String {
    let mut out = String::new();
    for f in &report.findings {
        let d = &f.diagnostic;
        let _ = writeln!(
            out,
            "{}:{}:{}: {}[{}] {}",
            escape::controls(&f.path),
            f.start.line,
            f.start.column,
            d.severity.as_str(),
            d.rule,
            escape::controls(&d.message)
        );
    }
    for e in &report.errors {
        let at = e
            .position
            .map(|p| format!(":{}:{}", p.line, p.column))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "{}{at}: error: {}",
            escape::controls(&e.path),
            escape::controls(&e.message)
        );
    }
    out
}
