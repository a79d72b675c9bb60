//! discover → read and parse in parallel, walking each file once → merge the crate
//! index → resolve index-dependent diagnostics → apply suppressions → sort.

use crate::diagnostic::{Diagnostic, Severity};
use crate::discover;
use crate::rules::Rule;
use crate::semantic::index::{CallCounts, CrateIndex, Deferred, FnEntry, FnKey};
use crate::semantic::macros::too_deep;
use crate::semantic::FileInfo;
use crate::source::{LineIndex, Position};
use crate::suppress::Suppressions;
use crate::walk::Walker;
use rayon::prelude::*;
use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;

/// Groups nested deeper than this make a file an error instead of a stack overflow.
pub const MAX_NESTING: usize = 256;
/// Longest run of consecutive punctuation (`!!!!x`, `- - - x`) accepted.
const MAX_PUNCT_RUN: usize = 1_000;
/// Longest run of tokens with no `,` `;` or group boundary (`a + a + a ...`).
const MAX_FLAT_RUN: usize = 100_000;
/// Stack for each worker thread: deep but legal code must not overflow it.
const WORKER_STACK: usize = 256 * 1024 * 1024;

/// A file that could not be checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileError {
    pub path: String,
    pub message: String,
    pub position: Option<Position>,
}

/// A diagnostic with its file and positions resolved.
#[derive(Clone, Debug)]
pub struct Finding {
    pub path: String,
    pub start: Position,
    pub end: Position,
    pub diagnostic: Diagnostic,
    /// Start and end positions of each fix edit, in order.
    pub edit_positions: Vec<(Position, Position)>,
}

#[derive(Debug, Default)]
pub struct Report {
    pub files_checked: usize,
    pub lines_checked: usize,
    pub findings: Vec<Finding>,
    pub errors: Vec<FileError>,
    /// The text of every file with a finding, for renderers that show code.
    pub sources: Vec<(String, Arc<str>)>,
}

impl Report {
    pub fn count(&self, severity: Severity) -> usize {
        self.findings
            .iter()
            .filter(|f| f.diagnostic.severity == severity)
            .count()
    }

    pub fn source(&self, path: &str) -> Option<&Arc<str>> {
        self.sources
            .binary_search_by(|(p, _)| p.as_str().cmp(path))
            .ok()
            .map(|i| &self.sources[i].1)
    }
}

pub struct Options<'a> {
    pub rules: Vec<&'a dyn Rule>,
    /// 0: one worker per core.
    pub threads: usize,
    pub exclude: Box<dyn Fn(&Path) -> bool + Sync + 'a>,
}

/// What pass one learns from one file.
pub struct Analysis {
    pub diagnostics: Vec<Diagnostic>,
    pub deferred: Vec<Deferred>,
    pub fns: Vec<FnEntry>,
    pub calls: HashMap<FnKey, CallCounts>,
    pub values: HashSet<String>,
    pub lines: usize,
}

impl Analysis {
    /// Adds what this file knows (fns, calls, fns passed as values) to the crate index.
    pub fn add_to(&self, index: &mut CrateIndex) {
        for f in &self.fns {
            index.add(f.clone());
        }
        for (key, counts) in &self.calls {
            index.add_calls(key.clone(), *counts);
        }
        for name in &self.values {
            index.add_value(name.clone());
        }
    }

    /// The diagnostics `check` reports for this file checked alone: the deferred ones
    /// decided by an index of this file only.
    pub fn resolve_alone(&self) -> Vec<Diagnostic> {
        let mut index = CrateIndex::default();
        self.add_to(&mut index);
        let deferred = self.deferred.iter().filter(|d| d.holds(&index));
        let mut all = self.diagnostics.clone();
        all.extend(deferred.map(|d| d.diagnostic.clone()));
        all
    }
}

/// Parses one source text and runs `rules` over it: the library's entry point for one
/// file. Never panics; input syn cannot parse comes back as an error with a position.
pub fn analyze_source(path: &str, text: &str, rules: &[&dyn Rule]) -> Result<Analysis, FileError> {
    // Callers on small stacks (tests, fuzzers, embedders) get a large one.
    stacker::maybe_grow(WORKER_STACK / 8, WORKER_STACK, || {
        analyze(path, text, rules)
    })
}

fn analyze(path: &str, text: &str, rules: &[&dyn Rule]) -> Result<Analysis, FileError> {
    let error = |message: String, position: Option<Position>| FileError {
        path: path.to_string(),
        message,
        position,
    };
    let lexed = lexable(text);
    let tokens = proc_macro2::TokenStream::from_str(&lexed).map_err(|e| {
        let pos = lc_position(e.span().start());
        error(
            format!("{} at {}:{}", lex_message(&e), pos.line, pos.column),
            Some(pos),
        )
    })?;
    if let Some((span, what)) = too_complex(&tokens) {
        drop(tokens);
        let pos = lc_position(span.start());
        proc_macro2::extra::invalidate_current_thread_spans();
        return Err(error(
            format!("{what} at {}:{}; file not checked", pos.line, pos.column),
            Some(pos),
        ));
    }
    let parsed = syn::parse2::<syn::File>(tokens);
    let result = match parsed {
        Err(e) => {
            let pos = lc_position(e.span().start());
            Err(error(
                format!("{e} at {}:{}", pos.line, pos.column),
                Some(pos),
            ))
        }
        Ok(ast) => {
            let info = FileInfo::new(path, text, &ast);
            let mut walker = Walker::new(&info, rules);
            walker.walk_file(&ast);
            drop(ast);
            Ok(Analysis {
                diagnostics: walker.sink.diagnostics,
                deferred: walker.sink.deferred,
                fns: walker.fns,
                calls: walker.calls,
                values: walker.values,
                lines: info.lines.line_count(),
            })
        }
    };
    // Spans live in a per-thread table that would otherwise grow with every file.
    proc_macro2::extra::invalidate_current_thread_spans();
    result
}

/// The text as the lexer should see it: a byte-order mark and a `#!` line become
/// spaces, so that lines and character columns stay those of the file.
fn lexable(text: &str) -> Cow<'_, str> {
    let mut out = Cow::Borrowed(text);
    if let Some(rest) = text.strip_prefix('\u{feff}') {
        out = Cow::Owned(format!(" {rest}"));
    }
    let body = out.trim_start_matches(' ');
    let offset = out.len() - body.len();
    if body.starts_with("#!") && !body[2..].trim_start().starts_with('[') {
        let end = body.find('\n').unwrap_or(body.len());
        let blank: String = body[..end].chars().map(|_| ' ').collect();
        out = Cow::Owned(format!("{}{}{}", &out[..offset], blank, &body[end..]));
    }
    out
}

fn lex_message(e: &proc_macro2::LexError) -> String {
    let m = e.to_string();
    if m.is_empty() || m == "cannot parse string into token stream" {
        "unbalanced delimiters or an invalid token".into()
    } else {
        m
    }
}

fn lc_position(lc: proc_macro2::LineColumn) -> Position {
    Position {
        line: lc.line.max(1),
        column: lc.column + 1,
    }
}

/// Input that would take the parser too deep: groups nested past [`MAX_NESTING`],
/// or runs of operators long enough to nest expressions tens of thousands deep.
fn too_complex(tokens: &proc_macro2::TokenStream) -> Option<(proc_macro2::Span, String)> {
    if let Some(span) = too_deep(tokens, MAX_NESTING) {
        return Some((
            span,
            format!("brackets nested deeper than {MAX_NESTING} levels"),
        ));
    }
    let mut stack = vec![tokens.clone().into_iter()];
    let (mut puncts, mut flat) = (0usize, 0usize);
    while let Some(top) = stack.last_mut() {
        match top.next() {
            Some(proc_macro2::TokenTree::Group(g)) => {
                puncts = 0;
                flat = 0;
                stack.push(g.stream().into_iter());
            }
            Some(proc_macro2::TokenTree::Punct(p)) => {
                if matches!(p.as_char(), ',' | ';') {
                    puncts = 0;
                    flat = 0;
                    continue;
                }
                puncts += 1;
                flat += 1;
                if puncts > MAX_PUNCT_RUN || flat > MAX_FLAT_RUN {
                    return Some((
                        p.span(),
                        "an expression nested too deeply to analyse".into(),
                    ));
                }
            }
            Some(t) => {
                puncts = 0;
                flat += 1;
                if flat > MAX_FLAT_RUN {
                    return Some((t.span(), "an expression too long to analyse".into()));
                }
            }
            None => {
                stack.pop();
                flat = 0;
                puncts = 0;
            }
        }
    }
    None
}

struct FileOutcome {
    path: String,
    text: Option<Arc<str>>,
    result: Result<Analysis, FileError>,
    suppressions: Suppressions,
}

fn read_and_analyze(path: &Path, rules: &[&dyn Rule]) -> FileOutcome {
    let display = path.display().to_string();
    let fail = |message: String, position: Option<Position>| FileOutcome {
        path: display.clone(),
        text: None,
        result: Err(FileError {
            path: display.clone(),
            message,
            position,
        }),
        suppressions: Suppressions::default(),
    };
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) => return fail(format!("cannot read file: {e}"), None),
    };
    let text = match String::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            let valid = e.utf8_error().valid_up_to();
            let prefix = String::from_utf8_lossy(&e.as_bytes()[..valid]);
            let pos = LineIndex::new(&prefix).position(&prefix, prefix.len());
            return fail(
                format!(
                    "file is not valid UTF-8 (invalid byte at {}:{})",
                    pos.line, pos.column
                ),
                Some(pos),
            );
        }
    };
    let result = analyze_source(&display, &text, rules);
    let keep_text = matches!(&result, Ok(a) if !a.diagnostics.is_empty() || !a.deferred.is_empty());
    FileOutcome {
        suppressions: if keep_text {
            Suppressions::parse(&text)
        } else {
            Suppressions::default()
        },
        path: display,
        text: keep_text.then(|| Arc::from(text)),
        result,
    }
}

/// Checks every `.rs` file under `paths`.
pub fn run(paths: &[PathBuf], options: &Options) -> Report {
    let found = discover::discover(paths, &*options.exclude);
    let mut report = Report::default();
    for (path, message) in found.errors {
        report.errors.push(FileError {
            path,
            message,
            position: None,
        });
    }
    let rules = &options.rules[..];
    let pass_one = || -> Vec<FileOutcome> {
        found
            .files
            .par_iter()
            .map(|p| read_and_analyze(p, rules))
            .collect()
    };
    let outcomes = match rayon::ThreadPoolBuilder::new()
        .num_threads(options.threads)
        .stack_size(WORKER_STACK)
        .build()
    {
        Ok(pool) => pool.install(pass_one),
        Err(_) => pass_one(),
    };

    // Pass two: the crate-wide index decides the diagnostics that depend on it.
    let mut index = CrateIndex::default();
    for o in &outcomes {
        if let Ok(a) = &o.result {
            a.add_to(&mut index);
        }
    }
    for o in outcomes {
        let analysis = match o.result {
            Ok(a) => a,
            Err(e) => {
                report.errors.push(e);
                continue;
            }
        };
        report.files_checked += 1;
        report.lines_checked += analysis.lines;
        let Some(text) = o.text else {
            continue;
        };
        let lines = LineIndex::new(&text);
        let mut diagnostics = analysis.diagnostics;
        diagnostics.extend(
            analysis
                .deferred
                .into_iter()
                .filter(|d| d.holds(&index))
                .map(|d| d.diagnostic),
        );
        let mut any = false;
        for d in diagnostics {
            let start = lines.position(&text, d.range.start);
            if o.suppressions.suppresses(d.rule, start.line) {
                continue;
            }
            let end = lines.position(&text, d.range.end);
            let edit_positions = d
                .fix
                .iter()
                .flat_map(|f| &f.edits)
                .map(|e| {
                    (
                        lines.position(&text, e.range.start),
                        lines.position(&text, e.range.end),
                    )
                })
                .collect();
            report.findings.push(Finding {
                path: o.path.clone(),
                start,
                end,
                diagnostic: d,
                edit_positions,
            });
            any = true;
        }
        if any {
            report.sources.push((o.path, text));
        }
    }
    report.findings.sort_by(|a, b| {
        (&a.path, a.start, a.diagnostic.rule, a.end).cmp(&(
            &b.path,
            b.start,
            b.diagnostic.rule,
            b.end,
        ))
    });
    report.findings.dedup_by(|a, b| {
        a.path == b.path
            && a.start == b.start
            && a.end == b.end
            && a.diagnostic.rule == b.diagnostic.rule
    });
    report.sources.sort_by(|a, b| a.0.cmp(&b.0));
    report.errors.sort_by(|a, b| a.path.cmp(&b.path));
    report
}
