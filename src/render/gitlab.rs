//! `--format gitlab`: a GitLab Code Quality report — a JSON array of issues with
//! `description`, `check_name`, `fingerprint`, `severity` and
//! `location.path`/`location.lines.begin`. The fingerprint hashes the rule, the path,
//! the flagged line's text and its occurrence (as baselines do), not the line number,
//! so an issue keeps its identity when lines above it shift.

use super::{plain_path, rule_url};
use crate::baseline;
use crate::diagnostic::Severity;
use crate::engine::Report;
use serde::Serialize;

#[derive(Serialize)]
struct Issue {
    #[serde(rename = "type")]
    kind: &'static str,
    description: String,
    check_name: String,
    fingerprint: String,
    severity: &'static str,
    categories: [&'static str; 1],
    location: Location,
    #[serde(skip_serializing_if = "Option::is_none")]
    content: Option<Content>,
}

#[derive(Serialize)]
struct Location {
    path: String,
    lines: Lines,
}

#[derive(Serialize)]
struct Lines {
    begin: usize,
    end: usize,
}

#[derive(Serialize)]
struct Content {
    body: String,
}

fn severity(s: Severity) -> &'static str {
    match s {
        Severity::Error => "critical",
        Severity::Warning => "major",
        Severity::Hint => "info",
    }
}

/// FNV-1a over 128 bits: stable across versions and platforms, as a fingerprint
/// must be.
fn fnv128(parts: &[&str]) -> String {
    const OFFSET: u128 = 0x6c62272e07bb014262b821756295c58d;
    const PRIME: u128 = 0x0000000001000000000000000000013B;
    let mut h = OFFSET;
    for part in parts {
        for b in part.bytes().chain([0xff]) {
            h ^= u128::from(b);
            h = h.wrapping_mul(PRIME);
        }
    }
    format!("{h:032x}")
}

pub fn render(report: &Report) -> String {
    let keys = baseline::keys(report, None);
    let mut issues: Vec<Issue> = report
        .findings
        .iter()
        .zip(&keys)
        .map(|(f, key)| {
            let d = &f.diagnostic;
            let occurrence = key.occurrence.to_string();
            let mut body = d.help.clone().unwrap_or_default();
            if !body.is_empty() {
                body.push_str("\n\n");
            }
            body.push_str(&format!(
                "[{}]({}) — `asynclint explain {}`",
                d.rule,
                rule_url(d.rule),
                d.rule
            ));
            Issue {
                kind: "issue",
                description: format!("{} ({})", d.message, d.rule),
                check_name: d.rule.to_string(),
                fingerprint: fnv128(&[d.rule, &key.path, &key.line_text, &occurrence]),
                severity: severity(d.severity),
                categories: ["Bug Risk"],
                location: Location {
                    path: plain_path(&f.path).into_owned(),
                    lines: Lines {
                        begin: f.start.line,
                        end: f.end.line,
                    },
                },
                content: Some(Content { body }),
            }
        })
        .collect();
    for e in &report.errors {
        let line = e.position.map_or(1, |p| p.line);
        issues.push(Issue {
            kind: "issue",
            description: format!("asynclint could not check this file: {}", e.message),
            check_name: "asynclint-error".into(),
            fingerprint: fnv128(&["asynclint-error", &e.path, &e.message]),
            severity: "blocker",
            categories: ["Bug Risk"],
            location: Location {
                path: plain_path(&e.path).into_owned(),
                lines: Lines {
                    begin: line,
                    end: line,
                },
            },
            content: None,
        });
    }
    let mut s = serde_json::to_string_pretty(&issues).unwrap_or_else(|_| "[]".into());
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_are_fixed_values() {
        // Known FNV-1a 128 value of the empty input with the 0xff separator dropped:
        // the offset basis itself.
        assert_eq!(fnv128(&[]), "6c62272e07bb014262b821756295c58d");
        assert_ne!(fnv128(&["a", "b"]), fnv128(&["ab"]));
        assert_eq!(fnv128(&["rule", "src/a.rs"]), fnv128(&["rule", "src/a.rs"]));
    }
}
