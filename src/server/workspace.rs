//! What the server holds: every `.rs` file of the workspace folders (and every open
//! file) with its pass-one analysis, from the editor's buffer when the file is open and
//! from disk otherwise; each file's nearest configuration and rules; and, for each
//! open file, the findings pass two last decided and the diagnostics last published.

use super::convert::{self, Lines};
use crate::cache::Cache;
use crate::config::{ConfigSet, Selection};
use crate::engine::{self, Analysis, FileError, FileSettings, Finding};
use crate::model::ModelBuilder;
use crate::package::PackageCache;
use crate::rules::{Rule, Selector, RULES};
use crate::semantic::index::CrateIndex;
use crate::suppress::Suppressions;
use lsp_types as lsp;
use rayon::prelude::*;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The client's settings (`initializationOptions`, or `workspace/didChangeConfiguration`
/// as `{"asynclint": {...}}` or the object itself).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Settings {
    /// Rule and group names, as `--select`, `--extend-select` and `--ignore` take them.
    pub select: Vec<String>,
    pub extend_select: Vec<String>,
    pub ignore: Vec<String>,
    /// How long after the last edit a changed buffer is analysed.
    pub debounce_ms: u64,
    /// Whether the content cache is used for files read from disk.
    pub cache: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            select: Vec::new(),
            extend_select: Vec::new(),
            ignore: Vec::new(),
            debounce_ms: 150,
            cache: true,
        }
    }
}

impl Settings {
    /// Reads the settings; what cannot be read is named in the errors and left at
    /// its default.
    pub fn from_value(v: Option<&Value>) -> (Settings, Vec<String>) {
        let mut s = Settings::default();
        let mut errors = Vec::new();
        let Some(v) = v else {
            return (s, errors);
        };
        let v = v.get("asynclint").unwrap_or(v);
        let Some(obj) = v.as_object() else {
            if !v.is_null() {
                errors.push("asynclint settings must be an object".into());
            }
            return (s, errors);
        };
        for (key, value) in obj {
            let list = |errors: &mut Vec<String>| -> Vec<String> {
                let names: Option<Vec<String>> = value
                    .as_array()
                    .and_then(|a| a.iter().map(|n| n.as_str().map(str::to_string)).collect());
                names.unwrap_or_else(|| {
                    errors.push(format!("`{key}` must be a list of rule or group names"));
                    Vec::new()
                })
            };
            match key.as_str() {
                "select" => s.select = list(&mut errors),
                "extendSelect" => s.extend_select = list(&mut errors),
                "ignore" => s.ignore = list(&mut errors),
                "debounceMs" => match value.as_u64() {
                    Some(ms) => s.debounce_ms = ms.min(10_000),
                    None => errors.push("`debounceMs` must be a number".into()),
                },
                "cache" => match value.as_bool() {
                    Some(b) => s.cache = b,
                    None => errors.push("`cache` must be true or false".into()),
                },
                // The client's own keys (the path of the binary, tracing).
                "path" | "trace" | "server" => {}
                other => errors.push(format!("unknown asynclint setting `{other}`")),
            }
        }
        for name in s.select.iter().chain(&s.extend_select).chain(&s.ignore) {
            if let Err(e) = Selector::parse(name) {
                errors.push(e);
            }
        }
        (s, errors)
    }
}

/// A file's configuration and the rules that run on it.
pub struct FileConfig {
    pub config: crate::config::FileConfig,
    pub rules: Vec<&'static dyn Rule>,
    extra_blocking: Vec<String>,
}

/// The configurations of the workspace's files as `check` finds them (each file's
/// nearest one), with the client's rule selection in place of the command line's.
/// (The one place that finds them, so that the discovery can change in one place.)
pub fn config_set(s: &Settings) -> ConfigSet {
    let parse = |names: &[String]| -> Vec<Selector> {
        names
            .iter()
            .filter_map(|n| Selector::parse(n).ok())
            .collect()
    };
    let selection = Selection {
        select: parse(&s.select),
        extend: parse(&s.extend_select),
        ignore: parse(&s.ignore),
    };
    ConfigSet::new(None, Some(selection)).unwrap_or_default()
}

struct FileState {
    display: String,
    text: Arc<str>,
    config: Arc<FileConfig>,
    analysis: Result<Analysis, FileError>,
}

struct OpenDoc {
    uri: lsp::Url,
    version: i32,
}

/// The findings of an open file, decided against the crate as it was then.
pub struct Decided {
    pub text: Arc<str>,
    pub findings: Vec<Finding>,
}

/// Diagnostics to publish for one document.
pub struct Publish {
    pub uri: lsp::Url,
    pub version: Option<i32>,
    pub diagnostics: Vec<lsp::Diagnostic>,
}

#[derive(Default)]
pub struct Workspace {
    roots: Vec<PathBuf>,
    settings: Settings,
    files: BTreeMap<PathBuf, FileState>,
    open: HashMap<PathBuf, OpenDoc>,
    configs: HashMap<PathBuf, Arc<FileConfig>>,
    config_set: Arc<ConfigSet>,
    packages: PackageCache,
    cache: Option<Cache>,
    decided: HashMap<PathBuf, Decided>,
    published: HashMap<PathBuf, Vec<lsp::Diagnostic>>,
    /// Problems to show the user (a configuration that does not load).
    pub messages: Vec<String>,
}

impl Workspace {
    pub fn new(roots: Vec<PathBuf>, settings: Settings) -> Workspace {
        let mut w = Workspace {
            roots,
            ..Workspace::default()
        };
        w.apply_settings(settings);
        w
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    pub fn apply_settings(&mut self, settings: Settings) {
        self.cache = if settings.cache {
            let dir = match self.roots.first() {
                Some(root) => Cache::dir_for(root),
                None => Cache::default_dir(),
            };
            Cache::open(&dir).ok()
        } else {
            None
        };
        self.config_set = Arc::new(config_set(&settings));
        self.settings = settings;
    }

    pub fn roots(&self) -> &[PathBuf] {
        &self.roots
    }

    pub fn set_roots(&mut self, roots: Vec<PathBuf>) {
        self.roots = roots;
    }

    /// The file's configuration; `None` when it is broken (the error is shown once).
    fn config_for(&mut self, path: &Path) -> Option<Arc<FileConfig>> {
        let dir = path.parent().unwrap_or(Path::new("")).to_path_buf();
        if let Some(c) = self.configs.get(&dir) {
            return Some(c.clone());
        }
        let Some(config) = self.config_set.for_file(path) else {
            for e in self.config_set.errors() {
                let message = format!("asynclint: invalid configuration: {e}");
                if !self.messages.contains(&message) {
                    self.messages.push(message);
                }
            }
            return None;
        };
        let (rules, _) = config.rules(RULES);
        let extra_blocking = config
            .options("blocking-in-async")
            .extra_calls
            .iter()
            .map(|c| c.path.clone())
            .collect();
        let c = Arc::new(FileConfig {
            config,
            rules,
            extra_blocking,
        });
        self.configs.insert(dir, c.clone());
        Some(c)
    }

    /// Forgets what was read of configurations and manifests, and analyses every
    /// file again: after a change of settings or of a configuration file.
    pub fn reload(&mut self) {
        self.configs.clear();
        self.config_set = Arc::new(config_set(&self.settings));
        self.packages = PackageCache::default();
        self.scan();
    }

    /// Reads and analyses every `.rs` file under the roots (open files keep their
    /// buffer's text).
    pub fn scan(&mut self) {
        // As `check` walks: configured excludes and ignore files are honoured.
        let excluding = self.config_set.clone();
        let walk = crate::discover::Walk {
            exclude: Arc::new(move |p: &Path| excluding.is_excluded(p)),
            ..crate::discover::Walk::default()
        };
        let mut found = crate::discover::discover(&self.roots, &walk).files;
        found.extend(
            self.files
                .keys()
                .filter(|p| self.open.contains_key(*p))
                .cloned(),
        );
        found.sort();
        found.dedup();
        let mut texts: Vec<(PathBuf, Arc<str>, Arc<FileConfig>)> = Vec::new();
        for path in found {
            let Some(config) = self.config_for(&path) else {
                continue;
            };
            if self.config_set.is_excluded(&path) {
                continue;
            }
            let text = match self.open.contains_key(&path) {
                true => self.files.get(&path).map(|f| f.text.clone()),
                false => std::fs::read_to_string(&path).ok().map(Arc::from),
            };
            if let Some(text) = text {
                texts.push((path, text, config));
            }
        }
        let (packages, cache) = (&self.packages, self.cache.as_ref());
        let states: Vec<(PathBuf, FileState)> = texts
            .into_par_iter()
            .map(|(path, text, config)| {
                let state = analyze(&path, text, config, packages, cache);
                (path, state)
            })
            .collect();
        self.files = states.into_iter().collect();
    }

    /// Sets a file's text (an editor's buffer, or the file on disk) and analyses it.
    pub fn set_text(&mut self, path: &Path, text: Arc<str>) {
        let config = match self.config_for(path) {
            Some(c) if !self.config_set.is_excluded(path) => c,
            _ => {
                self.files.remove(path);
                return;
            }
        };
        // An editor's buffer is not the file on disk: it is not stored in the cache.
        let cache = if self.open.contains_key(path) {
            None
        } else {
            self.cache.as_ref()
        };
        let state = analyze(path, text, config, &self.packages, cache);
        self.files.insert(path.to_path_buf(), state);
    }

    /// A file changed on disk (or was deleted): read it again unless it is open.
    pub fn reread(&mut self, path: &Path) {
        if self.open.contains_key(path) {
            return;
        }
        match std::fs::read_to_string(path) {
            Ok(text) if path.extension().is_some_and(|e| e == "rs") => {
                self.set_text(path, Arc::from(text))
            }
            _ => {
                self.files.remove(path);
            }
        }
    }

    pub fn open(&mut self, path: &Path, uri: lsp::Url, version: i32, text: &str) {
        self.open
            .insert(path.to_path_buf(), OpenDoc { uri, version });
        self.set_text(path, Arc::from(text));
    }

    pub fn change(&mut self, path: &Path, version: i32, text: &str) {
        if let Some(doc) = self.open.get_mut(path) {
            doc.version = version;
        }
        self.set_text(path, Arc::from(text));
    }

    /// A document closed: the file on disk counts again, and its diagnostics are
    /// cleared.
    pub fn close(&mut self, path: &Path) -> Option<Publish> {
        let doc = self.open.remove(path)?;
        self.decided.remove(path);
        self.published.remove(path);
        let under_a_root = self.roots.iter().any(|r| path.starts_with(r));
        if under_a_root && path.is_file() {
            self.reread(path);
        } else {
            self.files.remove(path);
        }
        Some(Publish {
            uri: doc.uri,
            version: None,
            diagnostics: Vec::new(),
        })
    }

    pub fn is_open(&self, path: &Path) -> bool {
        self.open.contains_key(path)
    }

    pub fn decided(&self, path: &Path) -> Option<&Decided> {
        self.decided.get(path)
    }

    /// Pass two over the whole workspace: decides the findings of every open file,
    /// and returns the diagnostics that changed (and those of `always`, changed or
    /// not).
    pub fn decide(&mut self, always: &[PathBuf]) -> Vec<Publish> {
        let mut index = CrateIndex::default();
        let mut builder = ModelBuilder::default();
        for f in self.files.values() {
            if let Ok(a) = &f.analysis {
                a.add_to(&mut index);
                a.add_to_model(&mut builder);
            }
        }
        let model = engine::build_model(builder, &self.packages);
        let mut out = Vec::new();
        let mut open: Vec<(&PathBuf, &OpenDoc)> = self.open.iter().collect();
        open.sort_by(|a, b| a.0.cmp(b.0));
        for (path, doc) in open {
            let decided = match self.files.get(path) {
                Some(FileState {
                    display,
                    text,
                    config,
                    analysis: Ok(a),
                }) => {
                    let diagnostics =
                        engine::decide(a.diagnostics.clone(), &a.deferred, &index, &model);
                    let suppressions = Suppressions::parse(text);
                    let ran: Vec<&str> = config.rules.iter().map(|r| r.meta().name).collect();
                    let severity = |rule: &str| config.config.severity(rule);
                    let mut findings = engine::findings(
                        display,
                        text,
                        diagnostics,
                        &suppressions,
                        &ran,
                        &severity,
                    );
                    engine::sort_findings(&mut findings);
                    Decided {
                        text: text.clone(),
                        findings,
                    }
                }
                // A file that does not parse (while it is being typed) or that the
                // configuration excludes shows nothing.
                other => Decided {
                    text: other.map_or_else(|| Arc::from(""), |f| f.text.clone()),
                    findings: Vec::new(),
                },
            };
            let lines = Lines::new(&decided.text);
            let diagnostics: Vec<lsp::Diagnostic> = decided
                .findings
                .iter()
                .map(|f| convert::diagnostic(f, &decided.text, &lines, &doc.uri))
                .collect();
            let changed = self.published.get(path) != Some(&diagnostics);
            if changed || always.contains(path) {
                self.published.insert(path.clone(), diagnostics.clone());
                out.push(Publish {
                    uri: doc.uri.clone(),
                    version: Some(doc.version),
                    diagnostics,
                });
            }
            self.decided.insert(path.clone(), decided);
        }
        out
    }
}

fn analyze(
    path: &Path,
    text: Arc<str>,
    config: Arc<FileConfig>,
    packages: &PackageCache,
    cache: Option<&Cache>,
) -> FileState {
    let options: Vec<_> = config
        .rules
        .iter()
        .map(|r| config.config.options(r.meta().name))
        .collect();
    let settings = FileSettings {
        options: &options,
        check_all_tests: config.config.check_all_tests(),
        extra_blocking: &config.extra_blocking,
        ..FileSettings::default()
    };
    let display = crate::files::display(path);
    let analysis = engine::analyze_file(
        path,
        &display,
        &text,
        &config.rules,
        &settings,
        packages,
        cache,
    );
    FileState {
        display,
        text,
        config,
        analysis,
    }
}
