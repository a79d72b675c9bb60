//! `--format sarif`: SARIF 2.1.0, as GitHub code scanning reads it.

use crate::diagnostic::{Applicability, Severity};
use crate::engine::Report;
use crate::rules::Rule;
use serde_json::{json, Value};

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Hint => "note",
    }
}

/// The whole `## What it flags` section of a rule's page, as Markdown.
fn what_it_flags(doc: &str) -> &str {
    let Some(at) = doc.find("## What it flags") else {
        return "";
    };
    let rest = &doc[at + "## What it flags".len()..];
    let end = rest.find("\n## ").unwrap_or(rest.len());
    rest[..end].trim()
}

/// Markdown as plain text: paragraphs and list items each on their own line,
/// whitespace inside them joined, emphasis and code marks dropped.
fn plain_text(markdown: &str) -> String {
    let mut blocks: Vec<String> = Vec::new();
    let mut current = String::new();
    let flush = |current: &mut String, blocks: &mut Vec<String>| {
        if !current.is_empty() {
            blocks.push(std::mem::take(current));
        }
    };
    for line in markdown.lines() {
        let t = line.trim();
        if t.is_empty() {
            flush(&mut current, &mut blocks);
            continue;
        }
        if t.starts_with("- ") || t.starts_with("* ") {
            flush(&mut current, &mut blocks);
        }
        if !current.is_empty() {
            current.push(' ');
        }
        current.push_str(t);
    }
    flush(&mut current, &mut blocks);
    blocks.join("\n").replace("**", "").replace('`', "")
}

fn sentence(s: &str) -> String {
    let s = s.trim();
    let mut out = String::with_capacity(s.len() + 1);
    let mut chars = s.chars();
    if let Some(c) = chars.next() {
        out.extend(c.to_uppercase());
        out.push_str(chars.as_str());
    }
    if !out.ends_with('.') {
        out.push('.');
    }
    out
}

fn pascal(name: &str) -> String {
    name.split('-')
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_uppercase().chain(c).collect::<String>())
                .unwrap_or_default()
        })
        .collect()
}

fn uri(path: &str) -> String {
    let p = path.trim_start_matches("./").replace('\\', "/");
    p.split('/')
        .map(|seg| {
            seg.bytes()
                .map(|b| match b {
                    b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                        (b as char).to_string()
                    }
                    _ => format!("%{b:02X}"),
                })
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// An artifact location: relative paths against `SRCROOT`, absolute ones as `file:` URIs.
fn artifact(path: &str) -> Value {
    if std::path::Path::new(path).is_absolute() {
        json!({ "uri": format!("file://{}", uri(path)) })
    } else {
        json!({ "uri": uri(path), "uriBaseId": "SRCROOT" })
    }
}

fn region(start: crate::source::Position, end: crate::source::Position) -> Value {
    json!({
        "startLine": start.line,
        "startColumn": start.column,
        "endLine": end.line,
        "endColumn": end.column,
    })
}

/// Renders `report`; `rules` are the rules that ran (described in the tool section).
pub fn render(report: &Report, rules: &[&dyn Rule]) -> String {
    let rule_index = |name: &str| rules.iter().position(|r| r.meta().name == name);
    let descriptors: Vec<Value> = rules
        .iter()
        .map(|r| {
            let m = r.meta();
            json!({
                "id": m.name,
                "name": pascal(m.name),
                "shortDescription": { "text": sentence(m.summary) },
                "fullDescription": {
                    "text": plain_text(what_it_flags(m.doc)),
                    "markdown": what_it_flags(m.doc),
                },
                "helpUri": crate::render::rule_url(m.name),
                "help": {
                    "text": format!("{} Run `asynclint explain {}` for the full explanation, or see {}.", sentence(m.summary), m.name, crate::render::rule_url(m.name)),
                    "markdown": m.doc,
                },
                "defaultConfiguration": { "level": level(m.severity) },
                "properties": {
                    "tags": ["async", "concurrency", m.group.name()],
                    "group": m.group.name(),
                },
            })
        })
        .collect();
    let results: Vec<Value> = report
        .findings
        .iter()
        .map(|f| {
            let d = &f.diagnostic;
            let mut text = sentence(&d.message);
            for n in &d.notes {
                text.push_str(" Note: ");
                text.push_str(&sentence(n));
            }
            if let Some(h) = &d.help {
                text.push_str(" Help: ");
                text.push_str(&sentence(h));
            }
            let mut result = json!({
                "ruleId": d.rule,
                "level": level(d.severity),
                "message": { "text": text },
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": artifact(&f.path),
                        "region": region(f.start, f.end),
                    }
                }],
            });
            if let Some(text) = report.source(&f.path) {
                if let Some(snippet) = text.get(d.range.start..d.range.end) {
                    result["locations"][0]["physicalLocation"]["region"]["snippet"] =
                        json!({ "text": snippet });
                }
            }
            if let Some(i) = rule_index(d.rule) {
                result["ruleIndex"] = json!(i);
            }
            if let Some(fix) = &d.fix {
                if fix.applicability == Applicability::MachineApplicable {
                    let replacements: Vec<Value> = fix
                        .edits
                        .iter()
                        .zip(&f.edit_positions)
                        .map(|(e, (s, t))| {
                            json!({
                                "deletedRegion": region(*s, *t),
                                "insertedContent": { "text": e.replacement },
                            })
                        })
                        .collect();
                    result["fixes"] = json!([{
                        "description": { "text": sentence(d.help.as_deref().unwrap_or("Apply the suggested replacement")) },
                        "artifactChanges": [{
                            "artifactLocation": artifact(&f.path),
                            "replacements": replacements,
                        }],
                    }]);
                }
            }
            result
        })
        .collect();
    let notifications: Vec<Value> = report
        .errors
        .iter()
        .map(|e| {
            let mut n = json!({
                "level": "error",
                "message": { "text": sentence(&e.message) },
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": artifact(&e.path),
                    }
                }],
            });
            if let Some(p) = e.position {
                n["locations"][0]["physicalLocation"]["region"] =
                    json!({ "startLine": p.line, "startColumn": p.column });
            }
            n
        })
        .collect();
    let cwd = std::env::current_dir().ok().and_then(|d| {
        d.to_str()
            .map(|s| format!("file://{}/", uri(s).trim_end_matches('/')))
    });
    let mut run = json!({
        "tool": {
            "driver": {
                "name": "asynclint",
                "semanticVersion": env!("CARGO_PKG_VERSION"),
                "version": env!("CARGO_PKG_VERSION"),
                "informationUri": "https://github.com/asynclint/asynclint",
                "rules": descriptors,
            }
        },
        "invocations": [{
            "executionSuccessful": report.errors.is_empty(),
            "toolExecutionNotifications": notifications,
        }],
        "columnKind": "unicodeCodePoints",
        "results": results,
    });
    if let Some(cwd) = cwd {
        run["originalUriBaseIds"] = json!({ "SRCROOT": { "uri": cwd } });
    }
    let log = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [run],
    });
    let mut s = serde_json::to_string_pretty(&log).unwrap_or_default();
    s.push('\n');
    s
}
