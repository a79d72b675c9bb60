//! `--message-format json`: one JSON object per line, in the shape cargo gives a
//! compiler's messages (`cargo check --message-format=json`), so that a tool that
//! reads cargo's output — rust-analyzer's `check.overrideCommand` — shows asynclint's
//! findings beside the compiler's and clippy's. Each finding is a `compiler-message`
//! whose `message` is a rustc diagnostic: the code `asynclint::RULE` (with the rule's
//! page as its explanation), the level, the primary span and the secondary labels,
//! `note` and `help` children, the fix as spans with a `suggested_replacement`, and
//! the rendered text. The stream ends with cargo's `build-finished` line.

use crate::diagnostic::{Applicability, Diagnostic, Severity};
use crate::engine::{FileError, Finding, Report};
use crate::source::{LineIndex, Position, TextRange};
use serde::Serialize;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

#[derive(Serialize)]
struct Message<'a> {
    reason: &'static str,
    package_id: String,
    manifest_path: String,
    target: &'a Target,
    message: Rustc,
}

/// A rustc diagnostic (`$message_type: diagnostic`).
#[derive(Serialize)]
struct Rustc {
    #[serde(rename = "$message_type")]
    message_type: &'static str,
    message: String,
    code: Option<Code>,
    level: &'static str,
    spans: Vec<Span>,
    children: Vec<Rustc>,
    rendered: Option<String>,
}

#[derive(Serialize)]
struct Code {
    code: String,
    explanation: Option<&'static str>,
}

#[derive(Serialize)]
struct Span {
    file_name: String,
    byte_start: usize,
    byte_end: usize,
    line_start: usize,
    line_end: usize,
    column_start: usize,
    column_end: usize,
    is_primary: bool,
    text: Vec<SpanLine>,
    label: Option<String>,
    suggested_replacement: Option<String>,
    suggestion_applicability: Option<&'static str>,
    expansion: Option<()>,
}

#[derive(Serialize)]
struct SpanLine {
    text: String,
    highlight_start: usize,
    highlight_end: usize,
}

/// The cargo target a file belongs to, as cargo describes it.
#[derive(Serialize, Clone)]
struct Target {
    kind: Vec<&'static str>,
    crate_types: Vec<&'static str>,
    name: String,
    src_path: String,
    edition: String,
    doc: bool,
    doctest: bool,
    test: bool,
}

/// What a manifest says of its package.
struct Package {
    id: String,
    manifest: String,
    root: PathBuf,
    name: String,
    lib_name: String,
    edition: String,
}

/// The whole output: a line per finding, a line per file that could not be checked,
/// and cargo's closing line.
pub fn render(report: &Report) -> String {
    let mut packages = Packages::default();
    let mut out = String::new();
    let mut line = |m: &Message| {
        out.push_str(&serde_json::to_string(m).unwrap_or_default());
        out.push('\n');
    };
    for f in &report.findings {
        let Some(text) = report.source(&f.path) else {
            continue;
        };
        let (package, target) = packages.of(&f.path);
        line(&Message {
            reason: "compiler-message",
            package_id: package.id.clone(),
            manifest_path: package.manifest.clone(),
            target: &target,
            message: finding(f, text),
        });
    }
    for e in &report.errors {
        let (package, target) = packages.of(&e.path);
        line(&Message {
            reason: "compiler-message",
            package_id: package.id.clone(),
            manifest_path: package.manifest.clone(),
            target: &target,
            message: failure(e),
        });
    }
    let failed = !report.errors.is_empty() || report.count(Severity::Error) > 0;
    out.push_str(&format!(
        "{{\"reason\":\"build-finished\",\"success\":{}}}\n",
        !failed
    ));
    out
}

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Hint => "help",
    }
}

fn applicability(a: Applicability) -> &'static str {
    match a {
        Applicability::MachineApplicable => "MachineApplicable",
        Applicability::MaybeIncorrect => "MaybeIncorrect",
    }
}

fn child(level: &'static str, message: String, spans: Vec<Span>) -> Rustc {
    Rustc {
        message_type: "diagnostic",
        message,
        code: None,
        level,
        spans,
        children: Vec::new(),
        rendered: None,
    }
}

/// A finding as rustc reports a lint.
fn finding(f: &Finding, text: &str) -> Rustc {
    let d: &Diagnostic = &f.diagnostic;
    let lines = LineIndex::new(text);
    let span = |range: TextRange, primary: bool, label: Option<String>| {
        let start = lines.position(text, range.start);
        let end = lines.position(text, range.end);
        make_span(&f.path, text, range, start, end, primary, label)
    };
    let mut spans = vec![span(d.range, true, d.label.clone())];
    spans.extend(
        d.labels
            .iter()
            .map(|l| span(l.range, false, Some(l.message.clone()))),
    );
    let mut children: Vec<Rustc> = d
        .notes
        .iter()
        .map(|n| child("note", n.clone(), Vec::new()))
        .collect();
    let fix_spans: Vec<Span> = d
        .fix
        .iter()
        .flat_map(|fix| {
            fix.edits.iter().map(move |e| {
                let mut s = span(e.range, true, None);
                s.suggested_replacement = Some(e.replacement.clone());
                s.suggestion_applicability = Some(applicability(fix.applicability));
                s
            })
        })
        .collect();
    match (&d.help, fix_spans.is_empty()) {
        (Some(h), _) => children.push(child("help", h.clone(), fix_spans)),
        (None, false) => children.push(child("help", "apply the fix".into(), fix_spans)),
        (None, true) => {}
    }
    let meta = crate::rules::find(d.rule).map(|r| r.meta());
    Rustc {
        message_type: "diagnostic",
        message: d.message.clone(),
        code: Some(Code {
            code: format!("asynclint::{}", d.rule),
            explanation: meta.map(|m| m.doc),
        }),
        level: level(d.severity),
        spans,
        children,
        rendered: Some(rendered(f, text)),
    }
}

/// A file that could not be checked: an error at the parser's position, when known.
fn failure(e: &FileError) -> Rustc {
    let spans = match (e.position, std::fs::read_to_string(&e.path)) {
        (Some(p), Ok(text)) => {
            let lines = LineIndex::new(&text);
            let at = offset_of(&lines, &text, p);
            vec![make_span(
                &e.path,
                &text,
                TextRange::new(at, at),
                p,
                p,
                true,
                None,
            )]
        }
        _ => Vec::new(),
    };
    let message = format!("asynclint could not check this file: {}", e.message);
    Rustc {
        message_type: "diagnostic",
        rendered: Some(format!("error: {message}\n --> {}\n", e.path)),
        message,
        code: None,
        level: "error",
        spans,
        children: Vec::new(),
    }
}

/// The byte offset of a 1-based line and character column.
fn offset_of(lines: &LineIndex, text: &str, p: Position) -> usize {
    let lc = proc_macro2::LineColumn {
        line: p.line,
        column: p.column.saturating_sub(1),
    };
    lines.offset_of(text, lc)
}

fn make_span(
    path: &str,
    text: &str,
    range: TextRange,
    start: Position,
    end: Position,
    is_primary: bool,
    label: Option<String>,
) -> Span {
    // Each line the span touches, with the part it covers (1-based, end exclusive).
    let line_begin = text[..range.start.min(text.len())]
        .rfind('\n')
        .map_or(0, |i| i + 1);
    let mut span_lines = Vec::new();
    for (i, l) in text[line_begin..].split('\n').enumerate() {
        let n = start.line + i;
        if n > end.line {
            break;
        }
        let l = l.strip_suffix('\r').unwrap_or(l);
        let width = l.chars().count() + 1;
        span_lines.push(SpanLine {
            text: l.to_string(),
            highlight_start: if n == start.line { start.column } else { 1 },
            highlight_end: if n == end.line { end.column } else { width },
        });
    }
    Span {
        file_name: path.to_string(),
        byte_start: range.start,
        byte_end: range.end,
        line_start: start.line,
        line_end: end.line,
        column_start: start.column,
        column_end: end.column,
        is_primary,
        text: span_lines,
        label,
        suggested_replacement: None,
        suggestion_applicability: None,
        expansion: None,
    }
}

/// The finding as `--format human` prints it, without colours.
fn rendered(f: &Finding, text: &str) -> String {
    super::human::render_one(f, text)
}

/// Each file's package and target, from the nearest `Cargo.toml`, read once each.
#[derive(Default)]
struct Packages {
    by_manifest: HashMap<PathBuf, Package>,
}

impl Packages {
    fn of(&mut self, path: &str) -> (&Package, Target) {
        let file = std::path::absolute(path).unwrap_or_else(|_| PathBuf::from(path));
        let manifest = file
            .ancestors()
            .skip(1)
            .map(|d| d.join("Cargo.toml"))
            .find(|m| m.is_file())
            .unwrap_or_else(|| file.with_file_name("Cargo.toml"));
        let package = self
            .by_manifest
            .entry(manifest.clone())
            .or_insert_with(|| read_package(&manifest));
        let target = target_of(package, &file);
        (package, target)
    }
}

fn read_package(manifest: &Path) -> Package {
    let table = std::fs::read_to_string(manifest)
        .ok()
        .and_then(|t| t.parse::<toml::Table>().ok())
        .unwrap_or_default();
    let root = manifest.parent().map(Path::to_path_buf).unwrap_or_default();
    let package = table.get("package");
    let field = |k: &str| package.and_then(|p| p.get(k)).and_then(|v| v.as_str());
    let dir_name = root
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "unknown".into());
    let name = field("name").map_or(dir_name, str::to_string);
    let version = field("version").unwrap_or("0.0.0");
    let lib_name = table
        .get("lib")
        .and_then(|l| l.get("name"))
        .and_then(|n| n.as_str())
        .map_or_else(|| name.replace('-', "_"), str::to_string);
    Package {
        id: format!("path+file://{}#{name}@{version}", root.display()),
        manifest: manifest.display().to_string(),
        edition: field("edition").unwrap_or("2015").to_string(),
        root,
        name,
        lib_name,
    }
}

/// The target a file belongs to, from cargo's layout: `src/bin/*`, `src/main.rs`,
/// `tests/`, `examples/`, `benches/`, else the library.
fn target_of(p: &Package, file: &Path) -> Target {
    let rel = file.strip_prefix(&p.root).unwrap_or(file);
    let parts: Vec<String> = rel
        .iter()
        .map(|s| s.to_string_lossy().into_owned())
        .collect();
    let first = parts.first().map(String::as_str).unwrap_or("");
    let second = parts.get(1).map(String::as_str).unwrap_or("");
    let stem = |s: &str| s.strip_suffix(".rs").unwrap_or(s).to_string();
    let (kind, name, src): (&'static str, String, PathBuf) = match (first, second) {
        ("src", "bin") => {
            let name = stem(parts.get(2).map(String::as_str).unwrap_or("main"));
            (
                "bin",
                name,
                p.root.join(parts[..parts.len().min(3)].join("/")),
            )
        }
        ("src", "main.rs") => ("bin", p.name.clone(), p.root.join("src/main.rs")),
        ("tests" | "examples" | "benches", s) if !s.is_empty() => {
            let kind = match first {
                "tests" => "test",
                "examples" => "example",
                _ => "bench",
            };
            (kind, stem(s), p.root.join(first).join(s))
        }
        _ => ("lib", p.lib_name.clone(), p.root.join("src/lib.rs")),
    };
    let crate_type = if kind == "lib" { "lib" } else { "bin" };
    Target {
        kind: vec![kind],
        crate_types: vec![crate_type],
        name,
        src_path: src.display().to_string(),
        edition: p.edition.clone(),
        doc: kind == "lib" || kind == "bin",
        doctest: kind == "lib",
        test: kind != "example",
    }
}
