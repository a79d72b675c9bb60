//! discover → read and parse in parallel, walking each file once → merge the crate
//! index → resolve index-dependent diagnostics → apply suppressions → sort.

use crate::cache::Cache;
use crate::config::{ConfigSet, FileConfig, RuleOptions};
use crate::crate_facts::CrateTokio;
use crate::diagnostic::{Diagnostic, Severity};
use crate::discover;
use crate::model::record::ClientSite;
use crate::model::{FnDef, Model, ModelBuilder};
pub use crate::package::runtime_of_manifest;
use crate::package::PackageCache;
use crate::rules::Rule;
use crate::semantic::index::{CallCounts, CrateIndex, Deferred, FnEntry, FnKey};
use crate::semantic::macros::too_deep;
use crate::semantic::{module_structs, FileInfo, ItemFacts, Runtime};
use crate::source::{LineIndex, Position};
use crate::suppress::Suppressions;
use crate::walk::Walker;
use rayon::prelude::*;
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use std::borrow::Cow;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;

mod input;
mod prelex;
use input::{lc_position, lex_message, lexable, might_be_too_complex, too_complex, walk_file};

/// Groups nested deeper than this make a file an error instead of a stack overflow.
pub const MAX_NESTING: usize = 256;
/// Longest run of consecutive punctuation (`!!!!x`, `- - - x`) accepted.
const MAX_PUNCT_RUN: usize = 1_000;
/// Longest run of tokens with no `,` `;` or group boundary (`a + a + a ...`).
const MAX_FLAT_RUN: usize = 100_000;
/// Stack for each worker thread: deep but legal code must not overflow it.
const WORKER_STACK: usize = 256 * 1024 * 1024;
/// Files at least this large (generated bindings, data tables) are analysed one at a
/// time: the syntax tree of a 2 MB file takes about 300 MB, and two at once would
/// double the peak.
const LARGE_FILE: usize = 1024 * 1024;
/// Files at least this large are parsed and walked one top-level item at a time
/// ([`walk_file`]): a 2.5 MB table file then peaks at half the memory.
const ITEM_BY_ITEM: usize = LARGE_FILE;

/// Held while a large file is analysed.
static LARGE_FILE_TURN: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// A file that could not be checked.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
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
    /// Files not checked on purpose (edition 2015 syntax the parser does not read),
    /// with the reason: shown as notes, not failures.
    pub skipped: Vec<FileError>,
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
    /// The rules that may run; each file's configuration picks among them.
    pub rules: Vec<&'a dyn Rule>,
    /// 0: one worker per core.
    pub threads: usize,
    /// Each file's configuration: excludes, rules, severities and options.
    pub config: Arc<ConfigSet>,
    /// Do not honour `.gitignore` and `.ignore` files.
    pub no_ignore: bool,
    /// Texts that replace files on disk (`--stdin-filename`), by path; such a file
    /// is checked even if it does not exist.
    pub overrides: Vec<(PathBuf, Arc<str>)>,
    /// The process ends after this run: the crate index and model are left to the
    /// operating system instead of being freed one allocation at a time.
    pub exits_after: bool,
    /// Parse every item of every file (`--full-parse`): see [`FileSettings::full_parse`].
    pub full_parse: bool,
}

impl<'a> Options<'a> {
    pub fn new(rules: Vec<&'a dyn Rule>) -> Self {
        Options {
            rules,
            threads: 0,
            config: Arc::default(),
            no_ignore: false,
            overrides: Vec::new(),
            exits_after: false,
            full_parse: false,
        }
    }
}

/// What pass one learns from one file.
#[derive(serde::Serialize, serde::Deserialize)]
pub struct Analysis {
    pub diagnostics: Vec<Diagnostic>,
    pub deferred: Vec<Deferred>,
    pub fns: Vec<FnEntry>,
    pub calls: HashMap<FnKey, CallCounts>,
    pub values: HashSet<String>,
    pub lines: usize,
    /// What the crate model learns of the file's fns.
    pub defs: Vec<FnDef>,
    /// Structs of the file that hold a synchronous guard.
    pub guard_structs: Vec<String>,
    /// The file's structs with named fields, and what each field holds.
    #[serde(default)]
    pub struct_fields: Vec<crate::model::record::StructFields>,
    /// The file's type aliases that name a type.
    #[serde(default)]
    pub aliases: Vec<(String, String)>,
    /// Field names the file's code may grow a collection under (outside test code).
    #[serde(default)]
    pub grown_fields: Vec<String>,
    /// The file's structs and enums as channel messages.
    pub messages: crate::model::messages::FileMessages,
    /// Network clients the file builds, and the awaited calls it makes with clients
    /// built elsewhere.
    pub clients: Vec<ClientSite>,
    pub client_uses: Vec<ClientSite>,
    pub krate: u32,
    /// What the analysis learned of the rest of its crate's sources: whether one
    /// builds a runtime without timers (asked by a sleep fix), if it asked.
    pub timerless: Option<bool>,
}

impl Analysis {
    /// Adds what this file knows of its fns to the crate model.
    pub fn add_to_model(&self, model: &mut ModelBuilder) {
        model.add_fns(self.defs.iter().cloned());
        for s in &self.guard_structs {
            model.add_guard_struct(self.krate, s.clone());
        }
        model.add_struct_fields(self.krate, self.struct_fields.iter().cloned());
        model.add_aliases(self.krate, self.aliases.iter().cloned());
        model.add_grown_fields(self.krate, self.grown_fields.iter().cloned());
        model.add_messages(self.krate, self.messages.clone());
        model.add_clients(self.krate, self.clients.clone(), self.client_uses.clone());
    }

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

    /// Moves what this file knows into the crate index and model, leaving its
    /// diagnostics.
    fn move_to(&mut self, index: &mut CrateIndex, model: &mut ModelBuilder) {
        model.add_fns(std::mem::take(&mut self.defs));
        for s in std::mem::take(&mut self.guard_structs) {
            model.add_guard_struct(self.krate, s);
        }
        model.add_struct_fields(self.krate, std::mem::take(&mut self.struct_fields));
        model.add_aliases(self.krate, std::mem::take(&mut self.aliases));
        model.add_grown_fields(self.krate, std::mem::take(&mut self.grown_fields));
        model.add_messages(self.krate, std::mem::take(&mut self.messages));
        model.add_clients(
            self.krate,
            std::mem::take(&mut self.clients),
            std::mem::take(&mut self.client_uses),
        );
        for f in std::mem::take(&mut self.fns) {
            index.add(f);
        }
        for (key, counts) in std::mem::take(&mut self.calls) {
            index.add_calls(key, counts);
        }
        for name in std::mem::take(&mut self.values) {
            index.add_value(name);
        }
    }

    /// Everything the analysis holds, as text in a fixed order: for holding two
    /// analyses of one file to being the same.
    pub fn canonical(&self) -> String {
        let mut calls: Vec<String> = self.calls.iter().map(|c| format!("{c:?}")).collect();
        calls.sort();
        let mut values: Vec<&String> = self.values.iter().collect();
        values.sort();
        format!(
            "{:#?}\n{:#?}\n{:#?}\n{calls:#?}\n{values:?}\n{}\n{:#?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}",
            self.diagnostics,
            self.deferred,
            self.fns,
            self.lines,
            self.defs,
            self.guard_structs,
            self.struct_fields,
            self.aliases,
            self.grown_fields,
            self.messages,
            self.clients,
            self.client_uses
        )
    }

    /// The diagnostics `check` reports for this file checked alone: the deferred ones
    /// decided by an index of this file only.
    pub fn resolve_alone(&self) -> Vec<Diagnostic> {
        let mut index = CrateIndex::default();
        self.add_to(&mut index);
        let mut builder = ModelBuilder::default();
        self.add_to_model(&mut builder);
        let model = Model::build(builder);
        let mut all = self.diagnostics.clone();
        all.extend(self.deferred.iter().filter_map(|d| model.decide(d, &index)));
        all
    }
}

/// Parses one source text and runs `rules` over it: the library's entry point for one
/// file. Never panics; input syn cannot parse comes back as an error with a position.
pub fn analyze_source(path: &str, text: &str, rules: &[&dyn Rule]) -> Result<Analysis, FileError> {
    analyze_source_with(path, text, rules, &FileSettings::default())
}

/// What a file is checked with besides its rules: each rule's configured options,
/// the crate's runtime, the test-code policy. Everything in it is part of a cached
/// analysis's key (`cache::Cache::key`).
#[derive(Clone, Copy)]
pub struct FileSettings<'a> {
    /// Each rule's configured options, parallel to the rules; missing: defaults.
    pub options: &'a [&'a RuleOptions],
    /// The runtime the file's crate depends on (from its `Cargo.toml`).
    pub runtime: Runtime,
    /// Report everything in test code (`[tests] check = "all"`).
    pub check_all_tests: bool,
    /// The package the file belongs to, numbered by the engine.
    pub krate: u32,
    /// The file's module path in its package.
    pub module: &'a [String],
    /// The package's library name.
    pub lib_name: Option<&'a str>,
    /// The libraries it depends on by path or from its workspace
    /// (`package::Package::linked`).
    pub linked: &'a [String],
    /// The package is a program of its own with no server, or a library only such
    /// programs use (`package::Package::is_app`).
    pub package_is_app: bool,
    /// Nothing outside the package calls its fns: it has no library target, or a
    /// private one (`package::Package::binary_only`, `package::Package::private_lib`).
    pub closed: bool,
    /// The package is not published (`package::Package::unpublished`): what its
    /// library exports, only its workspace's members call.
    pub unpublished: bool,
    /// The package is test support of its workspace (`package::Package::test_support`):
    /// all its code is test code.
    pub test_support: bool,
    /// Calls the configuration names as blocking (`blocking-in-async`'s
    /// `extra-calls`), for the crate model.
    pub extra_blocking: &'a [String],
    /// The tokio the crate's manifest enables, for fixes.
    pub tokio: Option<&'a CrateTokio>,
    /// Parse every item, so that every syntax error is found (`--full-parse`); else a
    /// plain `const` is stepped over unparsed.
    pub full_parse: bool,
    /// The package's edition is older than 2024 (`package::Package::if_let_through_else`).
    pub if_let_through_else: bool,
}

impl Default for FileSettings<'_> {
    fn default() -> Self {
        FileSettings {
            options: &[],
            runtime: Runtime::Unknown,
            check_all_tests: false,
            krate: 0,
            module: &[],
            lib_name: None,
            linked: &[],
            package_is_app: false,
            closed: false,
            unpublished: false,
            test_support: false,
            extra_blocking: &[],
            tokio: None,
            full_parse: false,
            if_let_through_else: false,
        }
    }
}

/// [`analyze_source`] with the file's settings.
pub fn analyze_source_with(
    path: &str,
    text: &str,
    rules: &[&dyn Rule],
    settings: &FileSettings,
) -> Result<Analysis, FileError> {
    let item_by_item = text.len() >= ITEM_BY_ITEM;
    // Callers on small stacks (tests, fuzzers, embedders) get a large one.
    stacker::maybe_grow(WORKER_STACK / 8, WORKER_STACK, || {
        analyze(path, text, rules, settings, item_by_item)
    })
}

/// [`analyze_source`] with every item parsed (`--full-parse`): the same result
/// wherever the text parses, and every syntax error found.
pub fn analyze_source_fully(
    path: &str,
    text: &str,
    rules: &[&dyn Rule],
) -> Result<Analysis, FileError> {
    let settings = FileSettings {
        full_parse: true,
        ..FileSettings::default()
    };
    analyze_source_with(path, text, rules, &settings)
}

/// [`analyze_source`] the way large files are analysed, whatever the size of `text`:
/// parsed and walked one top-level item at a time. The result is the same; tests and
/// the fuzz target hold the two paths to that.
pub fn analyze_source_item_by_item(
    path: &str,
    text: &str,
    rules: &[&dyn Rule],
) -> Result<Analysis, FileError> {
    stacker::maybe_grow(WORKER_STACK / 8, WORKER_STACK, || {
        analyze(path, text, rules, &FileSettings::default(), true)
    })
}

fn analyze(
    path: &str,
    text: &str,
    rules: &[&dyn Rule],
    settings: &FileSettings,
    item_by_item: bool,
) -> Result<Analysis, FileError> {
    analyze_prelexed(
        path,
        text,
        rules,
        settings,
        item_by_item,
        prelex::When::Dense,
    )
}

/// [`analyze`], blanking the file's plain top-level consts before the lexer when
/// `when` says so ([`prelex`]). An error found in the blanked text
/// is looked for again in the whole text, so that it is reported as the whole text
/// shows it.
fn analyze_prelexed(
    path: &str,
    text: &str,
    rules: &[&dyn Rule],
    settings: &FileSettings,
    item_by_item: bool,
    when: prelex::When,
) -> Result<Analysis, FileError> {
    let lexed = lexable(text);
    let complex = might_be_too_complex(text);
    // A file the nesting check could reject is lexed whole, for the check to see it all.
    if !settings.full_parse && !complex {
        if let Some(blanked) = prelex::blank(&lexed, when) {
            let analysis = analyze_lexed(
                path,
                text,
                Cow::Owned(blanked.text),
                blanked.names,
                rules,
                settings,
                (item_by_item, false),
            );
            if analysis.is_ok() {
                return analysis;
            }
        }
    }
    analyze_lexed(
        path,
        text,
        lexed,
        Vec::new(),
        rules,
        settings,
        (item_by_item, complex),
    )
}

/// Lexes `lexed` (the text as the lexer should see it, dropped once lexed), parses
/// and walks it; `skipped` names the top-level items already blanked out of it. `(item_by_item, complex)`:
/// whether to walk it item by item, and whether its tokens may be too deep or too
/// flat for the parser ([`might_be_too_complex`]).
fn analyze_lexed(
    path: &str,
    text: &str,
    lexed: Cow<'_, str>,
    skipped: Vec<String>,
    rules: &[&dyn Rule],
    settings: &FileSettings,
    (item_by_item, complex): (bool, bool),
) -> Result<Analysis, FileError> {
    let error = |message: String, position: Option<Position>| FileError {
        path: path.to_string(),
        message,
        position,
    };
    let tokens = proc_macro2::TokenStream::from_str(&lexed).map_err(|e| {
        let pos = lc_position(e.span().start());
        error(
            format!("{} at {}:{}", lex_message(&e), pos.line, pos.column),
            Some(pos),
        )
    })?;
    drop(lexed);
    if complex {
        if let Some((span, what)) = too_complex(&tokens) {
            drop(tokens);
            let pos = lc_position(span.start());
            proc_macro2::extra::invalidate_current_thread_spans();
            return Err(error(
                format!("{what} at {}:{}; file not checked", pos.line, pos.column),
                Some(pos),
            ));
        }
    }
    let parsed = walk_file(path, text, tokens, skipped, rules, settings, item_by_item);
    let result = parsed.map_err(|e| {
        let pos = lc_position(e.span().start());
        error(format!("{e} at {}:{}", pos.line, pos.column), Some(pos))
    });
    // Spans live in a per-thread table that would otherwise grow with every file.
    proc_macro2::extra::invalidate_current_thread_spans();
    result
}

fn analysis_of(walker: Walker, info: &FileInfo) -> Analysis {
    Analysis {
        diagnostics: walker.sink.diagnostics,
        deferred: walker.sink.deferred,
        fns: walker.fns,
        calls: walker.calls,
        values: walker.values,
        lines: info.lines.line_count(),
        defs: walker.recorder.fns,
        guard_structs: walker.recorder.guard_structs,
        struct_fields: walker.recorder.struct_fields,
        aliases: walker.recorder.aliases,
        grown_fields: {
            let mut g = walker.recorder.grown_fields;
            g.sort();
            g.dedup();
            g
        },
        messages: {
            let mut m = walker.recorder.messages;
            m.finish();
            m
        },
        clients: walker.recorder.clients,
        client_uses: walker.recorder.client_uses,
        krate: info.krate,
        timerless: None,
    }
}

/// Gives a file the place its settings say it has in its package.
fn place<'t>(info: &mut FileInfo<'t>, settings: &FileSettings<'t>) {
    info.krate = settings.krate;
    info.module = settings.module.to_vec();
    info.lib_name = settings.lib_name.map(str::to_string);
    info.linked = settings.linked.to_vec();
    info.package_is_app = settings.package_is_app;
    info.if_let_through_else = settings.if_let_through_else;
    info.closed = settings.closed;
    info.unpublished = settings.unpublished;
    info.is_test_file |= settings.test_support;
    info.tokio = settings.tokio;
}

struct FileOutcome {
    path: String,
    /// Kept for files with diagnostics or suppressions. A file with only deferred
    /// diagnostics, most of which the index drops, is read again if one holds.
    text: Option<Arc<str>>,
    /// A hash of the text, to tell that a file read again is the one checked.
    digest: u64,
    result: Result<Analysis, FileError>,
    suppressions: Suppressions,
    /// The rules run on the file, and its configuration.
    ran: Vec<&'static str>,
    config: Option<FileConfig>,
    /// The error is a file skipped (edition 2015 syntax), not a failure.
    skipped: bool,
}

fn read_and_analyze(
    path: &Path,
    rules: &[&dyn Rule],
    settings: &FileSettings,
    packages: &PackageCache,
    given: Option<&Arc<str>>,
    cache: Option<&Cache>,
) -> FileOutcome {
    let display = crate::files::display(path);
    let fail = |message: String, position: Option<Position>| FileOutcome {
        path: display.clone(),
        text: None,
        digest: 0,
        result: Err(FileError {
            path: display.clone(),
            message,
            position,
        }),
        suppressions: Suppressions::default(),
        ran: Vec::new(),
        config: None,
        skipped: false,
    };
    let bytes;
    let text = match given {
        Some(text) => Ok(&**text),
        None => match crate::files::read_bytes(path) {
            Ok(b) => {
                bytes = b;
                crate::files::utf8(&bytes)
            }
            Err(e) => Err(e),
        },
    };
    let text = match text {
        Ok(t) => t,
        Err(crate::files::ReadError::NotUtf8 {
            valid_prefix: prefix,
        }) => {
            let pos = LineIndex::new(&prefix).position(&prefix, prefix.len());
            return fail(
                format!(
                    "file is not valid UTF-8 (invalid byte at {}:{})",
                    pos.line, pos.column
                ),
                Some(pos),
            );
        }
        Err(e) => return fail(e.to_string(), None),
    };
    // Before the analysis, which clears this thread's span table at its end.
    let suppressions = Suppressions::parse(text);
    // Generated code is fixed in its generator: indexed, never reported.
    let rules = if is_generated(text) { &[][..] } else { rules };
    let mut result = analyze_file(path, &display, text, rules, settings, packages, cache);
    let skipped = result.is_err() && packages.for_file(path).edition_2015;
    if let (true, Err(e)) = (skipped, &mut result) {
        e.message = format!(
            "not checked: its crate is edition 2015, whose syntax this parser does not fully read ({})",
            e.message
        );
    }
    let keep_text = matches!(&result, Ok(a) if !a.diagnostics.is_empty())
        || !suppressions.is_empty()
        || given.is_some();
    FileOutcome {
        ran: rules.iter().map(|r| r.meta().name).collect(),
        config: None,
        suppressions,
        skipped,
        path: display,
        // Only a file whose text is not kept and that may still get a finding in
        // pass two is read again, and checked against this.
        digest: match &result {
            Ok(a) if !keep_text && !a.deferred.is_empty() => digest(text),
            _ => 0,
        },
        text: keep_text.then(|| Arc::from(text)),
        result,
    }
}

/// Pass one for a file whose text is at hand (read from disk, or an editor's buffer):
/// gives it its place in its package, then takes its analysis from `cache` when that
/// holds one of the same text with the same settings, else analyses it and stores it.
pub fn analyze_file(
    path: &Path,
    display: &str,
    text: &str,
    rules: &[&dyn Rule],
    settings: &FileSettings,
    packages: &PackageCache,
    cache: Option<&Cache>,
) -> Result<Analysis, FileError> {
    let package = packages.for_file(path);
    let module = package.module_of(path);
    let settings = FileSettings {
        runtime: package.runtime,
        krate: package.id,
        module: &module,
        lib_name: package.lib_name.as_deref(),
        linked: &package.linked,
        package_is_app: package.is_app,
        if_let_through_else: package.if_let_through_else,
        closed: package.binary_only || package.private_lib,
        unpublished: package.unpublished,
        test_support: package.test_support,
        tokio: package.tokio.as_ref(),
        ..*settings
    };
    let key = cache.map(|c| c.key(display, text, rules, &settings));
    if let Some(stored) = cache.zip(key.as_ref()).and_then(|(c, k)| c.load(k)) {
        // An analysis that read another file's facts holds only while they hold.
        let still = match &stored {
            Ok(Analysis {
                timerless: Some(then),
                ..
            }) => package
                .tokio
                .as_ref()
                .is_some_and(|t| t.builds_timerless_runtime() == *then),
            _ => true,
        };
        if still {
            return stored;
        }
    }
    let turn = (text.len() >= LARGE_FILE)
        .then(|| LARGE_FILE_TURN.lock().unwrap_or_else(|e| e.into_inner()));
    let (mut result, timerless) = crate::crate_facts::consulted_timerless(|| {
        analyze_source_with(display, text, rules, &settings)
    });
    if let Ok(a) = &mut result {
        a.timerless = timerless;
    }
    drop(turn);
    if let Some((c, k)) = cache.zip(key.as_ref()) {
        c.store(k, &result);
    }
    result
}

/// Whether the file says in its first lines that it is generated (`@generated`,
/// `DO NOT EDIT`), as [`crate::semantic::FileInfo::is_generated`] reads it.
fn is_generated(text: &str) -> bool {
    text.lines()
        .take(5)
        .any(|l| l.contains("@generated") || l.contains("DO NOT EDIT"))
}

fn digest(text: &str) -> u64 {
    xxhash_rust::xxh3::xxh3_64(text.as_bytes())
}

/// The text of a checked file whose diagnostics need it after all, read again; an
/// error if it changed since it was checked.
fn reread(path: &str, digest_then: u64) -> Result<Arc<str>, FileError> {
    let error = |message: String| FileError {
        path: path.to_string(),
        message,
        position: None,
    };
    let text =
        crate::files::read_text(&crate::files::path_of(path)).map_err(|e| error(e.to_string()))?;
    if digest(&text) != digest_then {
        return Err(error("file changed while it was being checked".to_string()));
    }
    Ok(Arc::from(text))
}

/// Worker threads for `files` files when `requested` were asked for (0: one per
/// core): never more than the files, nor more than the cores could use (a pool of
/// 100 000 threads for one file took longer to start than the check).
fn pool_size(requested: usize, files: usize) -> usize {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let wanted = if requested == 0 { cores } else { requested };
    wanted.min(files.max(1)).min((4 * cores).max(64))
}

/// Checks every `.rs` file under `paths`.
pub fn run(paths: &[PathBuf], options: &Options) -> Report {
    run_with_cache(paths, options, None)
}

/// [`run`], taking each unchanged file's analysis from `cache` (pass two, which
/// decides what depends on the whole crate, always runs).
pub fn run_with_cache(paths: &[PathBuf], options: &Options, cache: Option<&Cache>) -> Report {
    let config = &options.config;
    let excluding = config.clone();
    let walk = discover::Walk {
        exclude: Arc::new(move |p: &Path| excluding.is_excluded(p)),
        respect_ignore: !options.no_ignore,
        extra_files: options.overrides.iter().map(|(p, _)| p.clone()).collect(),
    };
    let found = discover::discover(paths, &walk);
    let given: HashMap<PathBuf, &Arc<str>> = options
        .overrides
        .iter()
        .map(|(p, t)| (discover::key(p), t))
        .collect();
    let mut report = Report::default();
    for (path, message) in found.errors {
        report.errors.push(FileError {
            path,
            message,
            position: None,
        });
    }
    let rules = &options.rules[..];
    let full_parse = options.full_parse;
    let packages = PackageCache::default();
    // Pass one: each file is analysed, and what it knows joins the crate-wide index
    // as it finishes, so that memory holds one index, not one per file.
    let pass_one = || -> (Vec<FileOutcome>, CrateIndex, ModelBuilder) {
        let files = discover::largest_first(&found.files);
        // Each worker folds the files it analyses into its own index: one slot per
        // worker (and one for a caller outside the pool), never contended, merged
        // once at the end.
        let workers = rayon::current_num_threads();
        let slots: Vec<std::sync::Mutex<(Vec<FileOutcome>, CrateIndex, ModelBuilder)>> =
            (0..=workers).map(|_| Default::default()).collect();
        files
            .par_iter()
            // One file per task: with longer runs a thread would be left alone with
            // the run that holds the large files.
            .with_max_len(1)
            .for_each(|p| {
                // Each file is checked with the configuration nearest to it; a file
                // whose configuration is broken is not (the error is reported once).
                let Some(file_config) = config.for_file(p) else {
                    return;
                };
                let (file_rules, file_options) = file_config.rules(rules);
                let extra_blocking: Vec<String> = file_rules
                    .iter()
                    .zip(&file_options)
                    .filter(|(r, _)| r.meta().name == "blocking-in-async")
                    .flat_map(|(_, o)| o.extra_calls.iter().map(|c| c.path.clone()))
                    .collect();
                let settings = FileSettings {
                    options: &file_options,
                    check_all_tests: file_config.check_all_tests(),
                    extra_blocking: &extra_blocking,
                    full_parse,
                    ..FileSettings::default()
                };
                let text = (!given.is_empty())
                    .then(|| given.get(&discover::key(p)).copied())
                    .flatten();
                let mut o = read_and_analyze(p, &file_rules, &settings, &packages, text, cache);
                o.config = Some(file_config);
                let slot = rayon::current_thread_index().map_or(workers, |i| i.min(workers));
                let mut slot = slots[slot].lock().unwrap_or_else(|e| e.into_inner());
                if let Ok(a) = &mut o.result {
                    let slot = &mut *slot;
                    a.move_to(&mut slot.1, &mut slot.2);
                }
                slot.0.push(o);
            });
        let mut all = (Vec::new(), CrateIndex::default(), ModelBuilder::default());
        for slot in slots {
            let (outcomes, index, model) = slot.into_inner().unwrap_or_else(|e| e.into_inner());
            all.0.extend(outcomes);
            all.1.merge(index);
            all.2.merge(model);
        }
        all
    };
    let (outcomes, index, model) = match rayon::ThreadPoolBuilder::new()
        .num_threads(pool_size(options.threads, found.files.len()))
        .stack_size(WORKER_STACK)
        .build()
    {
        Ok(pool) => pool.install(pass_one),
        Err(_) => pass_one(),
    };

    let model = build_model(model, &packages);

    // Pass two: the crate-wide index and model decide the diagnostics that depend on
    // them.
    for o in outcomes {
        let analysis = match o.result {
            Ok(a) => a,
            Err(e) if o.skipped => {
                report.skipped.push(e);
                continue;
            }
            Err(e) => {
                report.errors.push(e);
                continue;
            }
        };
        report.files_checked += 1;
        report.lines_checked += analysis.lines;
        let diagnostics = decide(analysis.diagnostics, &analysis.deferred, &index, &model);
        if options.exits_after {
            // Most are not findings: left to the operating system with the model.
            std::mem::forget(analysis.deferred);
        }
        let text = match o.text {
            Some(text) => text,
            None if diagnostics.is_empty() => continue,
            None => match reread(&o.path, o.digest) {
                Ok(text) => text,
                Err(e) => {
                    report.errors.push(e);
                    continue;
                }
            },
        };
        let severity = |rule: &str| o.config.as_ref().and_then(|c| c.severity(rule));
        let found = findings(
            &o.path,
            &text,
            diagnostics,
            &o.suppressions,
            &o.ran,
            &severity,
        );
        if !found.is_empty() {
            report.findings.extend(found);
            report.sources.push((o.path, text));
        }
    }
    sort_findings(&mut report.findings);
    // Configurations found during the walk that could not be read: their files were
    // not checked.
    for e in config.errors() {
        report.errors.push(FileError {
            position: e
                .line
                .zip(e.column)
                .map(|(line, column)| Position { line, column }),
            path: e.path,
            message: format!("invalid configuration: {}", e.message),
        });
    }
    report.sources.sort_by(|a, b| a.0.cmp(&b.0));
    report.errors.sort_by(|a, b| a.path.cmp(&b.path));
    report.skipped.sort_by(|a, b| a.path.cmp(&b.path));
    if options.exits_after {
        std::mem::forget(model);
        std::mem::forget(index);
    }
    report
}

/// The crate model of what pass one gathered, with each package's library name.
pub fn build_model(mut builder: ModelBuilder, packages: &PackageCache) -> Model {
    for p in packages.all() {
        if let Some(lib) = &p.lib_name {
            builder.set_lib(p.id, lib.clone());
        }
        builder.set_links(p.id, p.linked.clone());
    }
    Model::build(builder)
}

/// Pass two for one file, first step: its own diagnostics and the deferred ones the
/// crate-wide index and model keep, one finding per site.
pub fn decide(
    mut diagnostics: Vec<Diagnostic>,
    deferred: &[Deferred],
    index: &CrateIndex,
    model: &Model,
) -> Vec<Diagnostic> {
    diagnostics.extend(deferred.iter().filter_map(|d| model.decide(d, index)));
    crate::policy::one_finding_per_site(&mut diagnostics);
    diagnostics
}

/// Pass two for one file, second step: drops the suppressed diagnostics, reports the
/// suppressions that suppress nothing (when `unused-suppression` is among the rules
/// `ran`), applies the configured severities and resolves positions in `text`.
pub fn findings(
    path: &str,
    text: &str,
    mut diagnostics: Vec<Diagnostic>,
    suppressions: &Suppressions,
    ran: &[&str],
    severity: &dyn Fn(&str) -> Option<Severity>,
) -> Vec<Finding> {
    let lines = LineIndex::new(text);
    diagnostics.retain(|d| {
        let line = lines.position(text, d.range.start).line;
        !suppressions.suppresses(d.rule, line)
    });
    if ran.contains(&UNUSED_SUPPRESSION) {
        diagnostics.extend(unused_suppressions(suppressions, ran));
    }
    diagnostics
        .into_iter()
        .map(|mut d| {
            if let Some(severity) = severity(d.rule) {
                d.severity = severity;
            }
            let start = lines.position(text, d.range.start);
            let end = lines.position(text, d.range.end);
            let edit_positions = d
                .fix
                .iter()
                .flat_map(|f| &f.edits)
                .map(|e| {
                    (
                        lines.position(text, e.range.start),
                        lines.position(text, e.range.end),
                    )
                })
                .collect();
            Finding {
                path: path.to_string(),
                start,
                end,
                diagnostic: d,
                edit_positions,
            }
        })
        .collect()
}

/// Orders findings by path, position and rule, and drops duplicates: one rule
/// reports one finding where an expression starts — when it fires both on a part of
/// a chain and on the whole (a client built inline and the request sent with it),
/// the whole is kept.
pub fn sort_findings(findings: &mut Vec<Finding>) {
    findings.sort_by(|a, b| {
        (
            &a.path,
            a.start,
            a.diagnostic.rule,
            std::cmp::Reverse(a.end),
        )
            .cmp(&(
                &b.path,
                b.start,
                b.diagnostic.rule,
                std::cmp::Reverse(b.end),
            ))
    });
    findings.dedup_by(|a, b| {
        a.path == b.path && a.start == b.start && a.diagnostic.rule == b.diagnostic.rule
    });
}

/// The rule name under which stale suppressions are reported.
pub const UNUSED_SUPPRESSION: &str = "unused-suppression";

fn unused_suppressions(s: &Suppressions, ran: &[&str]) -> Vec<Diagnostic> {
    s.unused()
        .filter_map(|e| {
            let known = crate::rules::find(&e.rule).is_some();
            if known && !ran.contains(&e.rule.as_str()) {
                // The rule did not run: its suppressions cannot be judged.
                return None;
            }
            let message = if known {
                format!("this suppression of `{}` matches no diagnostic", e.rule)
            } else {
                format!(
                    "`{}` is not a rule, so this suppression does nothing",
                    e.rule
                )
            };
            let help = if known {
                "remove it (or the rule name from the list): the code it excused has changed"
            } else {
                "fix the rule name (`asynclint rules` lists them) or remove the suppression"
            };
            Some(
                Diagnostic::new(UNUSED_SUPPRESSION, Severity::Warning, e.comment, message)
                    .with_label("unused suppression")
                    .with_help(help),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests;
