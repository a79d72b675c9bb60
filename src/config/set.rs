//! Which configuration each file gets: the nearest `asynclint.toml` or `Cargo.toml`
//! with an asynclint table, looking up from the file's directory and stopping at the
//! project root (a directory holding `.git`, or a workspace's `Cargo.toml`) — a stray
//! configuration above the project never applies. Each directory is looked up once,
//! each configuration file read and its globs compiled once.

use super::{Config, ConfigError, Loaded, RuleOptions, Shared};
use crate::diagnostic::Severity;
use crate::rules::{Rule, Selector};
use rustc_hash::FxHashMap as HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// The rule selection of the command line: `--select`, `--extend-select`, `--ignore`.
#[derive(Clone, Debug, Default)]
pub struct Selection {
    pub select: Vec<Selector>,
    pub extend: Vec<Selector>,
    pub ignore: Vec<Selector>,
}

impl Selection {
    /// Whether `rule` runs under `config`: `--select` replaces the configured set,
    /// `--extend-select` adds to it, `--ignore` removes from both.
    pub fn runs(&self, rule: &dyn Rule, config: &Config) -> bool {
        let on = if self.select.is_empty() {
            config
                .enabled(rule)
                .unwrap_or(rule.meta().default_enabled())
        } else {
            self.select.iter().any(|s| s.matches(rule))
        };
        (on || self.extend.iter().any(|s| s.matches(rule)))
            && !self.ignore.iter().any(|s| s.matches(rule))
    }
}

/// The settings of one file: its configuration, the command line's selection, and
/// the rules `per-file-ignores` turns off for it.
#[derive(Clone)]
pub struct FileConfig {
    config: Shared,
    selection: Option<Arc<Selection>>,
    ignored: Vec<Selector>,
}

static NO_OPTIONS: RuleOptions = RuleOptions {
    extra_calls: Vec::new(),
    read_like: None,
    spawn_wrappers: Vec::new(),
    async_methods: Vec::new(),
};

impl FileConfig {
    /// Whether `rule` runs on this file. With no selection (the library's default),
    /// every rule the caller passes runs.
    pub fn runs(&self, rule: &dyn Rule) -> bool {
        let on = self
            .selection
            .as_ref()
            .is_none_or(|s| s.runs(rule, &self.config));
        on && !self.ignored.iter().any(|s| s.matches(rule))
    }

    /// The rules of `universe` that run on this file, with their options.
    pub fn rules<'r>(&self, universe: &[&'r dyn Rule]) -> (Vec<&'r dyn Rule>, Vec<&RuleOptions>) {
        let rules: Vec<&'r dyn Rule> = universe.iter().copied().filter(|r| self.runs(*r)).collect();
        let options = rules.iter().map(|r| self.options(r.meta().name)).collect();
        (rules, options)
    }

    pub fn options(&self, rule: &str) -> &RuleOptions {
        self.config.rule(rule).map_or(&NO_OPTIONS, |c| &c.options)
    }

    pub fn severity(&self, rule: &str) -> Option<Severity> {
        self.config.severity(rule)
    }

    pub fn check_all_tests(&self) -> bool {
        self.config.check_all_tests
    }

    pub fn config(&self) -> &Config {
        &self.config
    }
}

/// What a directory resolves to.
#[derive(Clone)]
struct Dir {
    /// Absolute, without symbolic links.
    canonical: PathBuf,
    /// `None`: its configuration is broken (the error is recorded once).
    config: Option<Shared>,
}

/// What a directory holds for discovery.
enum Found {
    Config(Shared),
    /// A project root with no configuration: discovery stops here.
    Boundary,
    Nothing,
}

#[derive(Default)]
struct State {
    /// By the directory as reached from the arguments.
    dirs: HashMap<PathBuf, Dir>,
    /// By canonical directory.
    canonical: HashMap<PathBuf, Option<Shared>>,
    /// Configuration files read, by path.
    files: HashMap<PathBuf, Result<(Option<Shared>, bool), ConfigError>>,
    errors: Vec<ConfigError>,
}

/// Resolves each path's configuration: `--config FILE` for all, else the nearest one.
#[derive(Default)]
pub struct ConfigSet {
    explicit: Option<Shared>,
    selection: Option<Arc<Selection>>,
    default: Shared,
    state: Mutex<State>,
}

impl ConfigSet {
    /// `explicit`: `--config FILE`; `selection`: the command line's rule selection
    /// (`None`: every rule the engine is given runs).
    pub fn new(explicit: Option<&Path>, selection: Option<Selection>) -> Result<Self, ConfigError> {
        Ok(ConfigSet {
            explicit: explicit.map(Config::from_path).transpose()?.map(Arc::new),
            selection: selection.map(Arc::new),
            ..ConfigSet::default()
        })
    }

    /// One configuration for every file.
    pub fn single(config: Config) -> Self {
        ConfigSet {
            explicit: Some(Arc::new(config)),
            ..ConfigSet::default()
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Resolves the configuration of each argument path now, so that a broken one
    /// is reported before anything is checked.
    pub fn preload(&self, paths: &[PathBuf]) -> Result<(), ConfigError> {
        for p in paths {
            let dir = if p.is_dir() { p.as_path() } else { parent(p) };
            if self.dir(dir).config.is_none() {
                if let Some(e) = self.lock().errors.last() {
                    return Err(e.clone());
                }
            }
        }
        Ok(())
    }

    /// The configuration problems met so far, each once.
    pub fn errors(&self) -> Vec<ConfigError> {
        self.lock().errors.clone()
    }

    /// Every configuration used so far (the default one included if used).
    pub fn used(&self) -> Vec<Shared> {
        let mut out: Vec<Shared> = self.explicit.iter().cloned().collect();
        for c in self.lock().canonical.values().flatten() {
            if !out.iter().any(|o| Arc::ptr_eq(o, c)) {
                out.push(c.clone());
            }
        }
        if out.is_empty() {
            out.push(self.default.clone());
        }
        out
    }

    /// The rules of `universe` that run under at least one configuration used.
    pub fn rules_used<'r>(&self, universe: &[&'r dyn Rule]) -> Vec<&'r dyn Rule> {
        let used = self.used();
        universe
            .iter()
            .copied()
            .filter(|r| {
                used.iter()
                    .any(|c| self.selection.as_ref().is_none_or(|s| s.runs(*r, c)))
            })
            .collect()
    }

    /// The settings of the file at `path`; `None` if its configuration is broken.
    pub fn for_file(&self, path: &Path) -> Option<FileConfig> {
        let dir = self.dir(parent(path));
        let config = dir.config?;
        let abs = match path.file_name() {
            Some(name) => dir.canonical.join(name),
            None => dir.canonical,
        };
        Some(FileConfig {
            ignored: config.ignored(&abs, path),
            config,
            selection: self.selection.clone(),
        })
    }

    /// Whether the file or directory at `path` is excluded by the configuration of
    /// the directory holding it.
    pub fn is_excluded(&self, path: &Path) -> bool {
        let Some(name) = path.file_name() else {
            return false;
        };
        let dir = self.dir(parent(path));
        dir.config
            .is_some_and(|c| c.is_excluded(&dir.canonical.join(name), path))
    }

    fn dir(&self, dir: &Path) -> Dir {
        if let Some(d) = self.lock().dirs.get(dir) {
            return d.clone();
        }
        let canonical = std::fs::canonicalize(dir)
            .unwrap_or_else(|_| std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf()));
        let config = match &self.explicit {
            Some(c) => Some(c.clone()),
            None => self.discover(&canonical),
        };
        let d = Dir { canonical, config };
        self.lock().dirs.insert(dir.to_path_buf(), d.clone());
        d
    }

    /// The nearest configuration from `start` upward, up to the project root.
    fn discover(&self, start: &Path) -> Option<Shared> {
        let mut visited = Vec::new();
        let mut at = Some(start);
        let result = loop {
            let Some(dir) = at else {
                break Some(self.default.clone());
            };
            if let Some(known) = self.lock().canonical.get(dir) {
                break known.clone();
            }
            visited.push(dir.to_path_buf());
            match self.found_in(dir) {
                Ok(Found::Config(c)) => break Some(c),
                Ok(Found::Boundary) => break Some(self.default.clone()),
                Ok(Found::Nothing) => at = dir.parent(),
                Err(e) => {
                    let mut state = self.lock();
                    if !state.errors.contains(&e) {
                        state.errors.push(e);
                    }
                    break None;
                }
            }
        };
        let mut state = self.lock();
        for d in visited {
            state.canonical.insert(d, result.clone());
        }
        result
    }

    fn found_in(&self, dir: &Path) -> Result<Found, ConfigError> {
        let own = dir.join("asynclint.toml");
        if own.is_file() {
            if let (Some(c), _) = self.read(&own)? {
                return Ok(Found::Config(c));
            }
        }
        let manifest = dir.join("Cargo.toml");
        let mut workspace = false;
        if manifest.is_file() {
            match self.read(&manifest)? {
                (Some(c), _) => return Ok(Found::Config(c)),
                (None, ws) => workspace = ws,
            }
        }
        if workspace || dir.join(".git").exists() {
            return Ok(Found::Boundary);
        }
        Ok(Found::Nothing)
    }

    /// A configuration file, read once: its configuration (`None` for a `Cargo.toml`
    /// without a table) and whether it is a workspace root.
    fn read(&self, file: &Path) -> Result<(Option<Shared>, bool), ConfigError> {
        if let Some(r) = self.lock().files.get(file) {
            return r.clone();
        }
        let r = Config::read(file, &mut Vec::new())
            .map(|Loaded { config, workspace }| (config.map(Arc::new), workspace));
        self.lock().files.insert(file.to_path_buf(), r.clone());
        r
    }
}

fn parent(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}
