//! Configuration: `asynclint.toml`, or `[workspace.metadata.asynclint]` /
//! `[package.metadata.asynclint]` in `Cargo.toml`. Each file gets the configuration
//! nearest to it ([`ConfigSet`]); one file may `extend` another. Strict at every
//! level: an unknown key (also inside an inline table), an unknown rule, a bad glob
//! or a wrong type is an error that names the file, the line and the key — a typo
//! must never silently turn a gate off.

mod globs;
mod set;

pub use globs::Globs;
pub use set::{ConfigSet, FileConfig, Selection};

use crate::diagnostic::Severity;
use crate::rules::{self, Selector};
use crate::source::LineIndex;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use toml::Spanned;

/// A call named in the configuration, with its async replacement if it has one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExtraCall {
    pub path: String,
    pub replacement: Option<String>,
}

/// Options a rule can read through `Cx::options`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RuleOptions {
    /// `blocking-in-async`: more blocking calls; `missing-timeout`: more calls that
    /// need a deadline.
    pub extra_calls: Vec<ExtraCall>,
    /// `sequential-awaits`: the verbs that count as read-like (replaces the default).
    pub read_like: Option<Vec<String>>,
    /// Task-spawning rules: more fns that spawn the future they are given and
    /// return its handle (another crate's `spawn_task`), by full path.
    pub spawn_wrappers: Vec<String>,
    /// `unawaited-future`: more methods whose call only makes a future (another
    /// crate's async methods), as `method` or `Type::method`.
    pub async_methods: Vec<String>,
}

#[derive(Clone, Debug, Default)]
pub struct RuleConfig {
    pub enabled: Option<bool>,
    pub severity: Option<Severity>,
    pub options: RuleOptions,
}

/// Globs relative to the directory of the configuration file that listed them.
#[derive(Debug)]
struct Rooted<T> {
    root: PathBuf,
    globs: Globs,
    /// Per glob, what it carries (the rules of a `per-file-ignores` entry).
    values: Vec<T>,
}

impl<T> Rooted<T> {
    /// The values of the globs matching `abs`, or `given` (the path as reached
    /// from the arguments) when `abs` is not under the root.
    fn matching(&self, abs: &Path, given: &Path) -> impl Iterator<Item = &T> {
        let rel = abs.strip_prefix(&self.root).unwrap_or(given);
        let rel = rel.strip_prefix(".").unwrap_or(rel);
        self.globs
            .matches(rel)
            .into_iter()
            .map(move |i| &self.values[i])
    }

    fn is_match(&self, abs: &Path, given: &Path) -> bool {
        let rel = abs.strip_prefix(&self.root).unwrap_or(given);
        let rel = rel.strip_prefix(".").unwrap_or(rel);
        self.globs.is_match(rel)
    }
}

#[derive(Debug, Default)]
pub struct Config {
    /// The file the configuration came from, if any.
    pub source: Option<PathBuf>,
    /// The directory of that file: its globs are relative to it.
    pub root: PathBuf,
    /// One set per file of the `extend` chain, each relative to its own file.
    exclude: Vec<Rooted<()>>,
    /// `per-file-ignores`: glob → the rules and groups not run on matching files.
    per_file_ignores: Vec<Rooted<Vec<Selector>>>,
    /// By rule name and by group name.
    pub rules: BTreeMap<String, RuleConfig>,
    /// `[tests] check = "all"`: report everything in test code, not only what makes
    /// a test wrong.
    pub check_all_tests: bool,
    /// Whether `[tests] check` was given (an extending file's setting wins).
    tests_set: bool,
}

/// A configuration problem, with where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub path: String,
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.line, self.column) {
            (Some(l), Some(c)) => write!(f, "{}:{l}:{c}: {}", self.path, self.message),
            _ => write!(f, "{}: {}", self.path, self.message),
        }
    }
}

impl ConfigError {
    fn file(path: &Path, message: String) -> ConfigError {
        ConfigError {
            path: path.display().to_string(),
            line: None,
            column: None,
            message,
        }
    }
}

/// Which options each rule accepts, besides `enabled` and `severity`.
const RULE_OPTIONS: &[(&str, &[&str])] = &[
    ("blocking-in-async", &["extra-calls"]),
    ("missing-timeout", &["extra-calls"]),
    ("sequential-awaits", &["read-like"]),
    ("dropped-join-handle", &["spawn-wrappers"]),
    ("detached-task", &["spawn-wrappers"]),
    ("unbounded-spawn", &["spawn-wrappers"]),
    ("fail-fast-detached-tasks", &["spawn-wrappers"]),
    ("unawaited-future", &["async-methods"]),
];

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawConfig {
    #[serde(default)]
    extend: Option<Spanned<String>>,
    #[serde(default)]
    exclude: Vec<Spanned<String>>,
    #[serde(default)]
    per_file_ignores: BTreeMap<Spanned<String>, Vec<Spanned<String>>>,
    #[serde(default)]
    rules: BTreeMap<Spanned<String>, Spanned<RawRule>>,
    #[serde(default)]
    tests: Option<RawTests>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawTests {
    check: Option<RawTestCheck>,
}

#[derive(Deserialize, Clone, Copy)]
#[serde(rename_all = "lowercase")]
enum RawTestCheck {
    /// Only what makes a test wrong (the default).
    Harmful,
    /// Everything, as in library code.
    All,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawRule {
    enabled: Option<bool>,
    severity: Option<RawSeverity>,
    extra_calls: Option<Spanned<Vec<RawCall>>>,
    read_like: Option<Spanned<Vec<String>>>,
    spawn_wrappers: Option<Spanned<Vec<String>>>,
    async_methods: Option<Spanned<Vec<String>>>,
}

#[derive(Deserialize, Clone, Copy)]
#[serde(rename_all = "lowercase")]
enum RawSeverity {
    Error,
    Warning,
    Hint,
}

/// `"path::to::call"` or `{ path = "..", replacement = ".." }`: a table is read as
/// strictly as the rest (an unknown key is an error, not a silently ignored key).
enum RawCall {
    Path(String),
    Full(RawCallTable),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCallTable {
    path: String,
    replacement: Option<String>,
}

impl<'de> Deserialize<'de> for RawCall {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct CallVisitor;
        impl<'de> Visitor<'de> for CallVisitor {
            type Value = RawCall;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a call path or a table `{ path = \"..\", replacement = \"..\" }`")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<RawCall, E> {
                Ok(RawCall::Path(v.to_string()))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<RawCall, A::Error> {
                RawCallTable::deserialize(de::value::MapAccessDeserializer::new(map))
                    .map(RawCall::Full)
            }
        }
        d.deserialize_any(CallVisitor)
    }
}

#[derive(Deserialize, Default)]
struct CargoManifest {
    #[serde(default)]
    package: Option<CargoSection>,
    #[serde(default)]
    workspace: Option<CargoSection>,
}

#[derive(Deserialize, Default)]
struct CargoSection {
    #[serde(default)]
    metadata: Option<CargoMetadata>,
}

#[derive(Deserialize, Default)]
struct CargoMetadata {
    #[serde(default)]
    asynclint: Option<RawConfig>,
}

/// A configuration file as read: its configuration, if it has one (a `Cargo.toml`
/// may have none), and whether it is a workspace root (discovery stops there).
pub(crate) struct Loaded {
    pub config: Option<Config>,
    pub workspace: bool,
}

fn is_manifest(file: &Path) -> bool {
    file.file_name().is_some_and(|n| n == "Cargo.toml")
}

/// The directory of `file`, absolute and without symbolic links where it exists.
fn dir_of(file: &Path) -> PathBuf {
    let parent = match file.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    std::fs::canonicalize(parent)
        .unwrap_or_else(|_| std::path::absolute(parent).unwrap_or_default())
}

impl Config {
    /// Reads the configuration in `file` (`--config FILE`): an `asynclint.toml`, or a
    /// `Cargo.toml` that must have an asynclint metadata table.
    pub fn from_path(file: &Path) -> Result<Config, ConfigError> {
        Config::read(file, &mut Vec::new())?.config.ok_or_else(|| {
            ConfigError::file(
                file,
                "no [package.metadata.asynclint] or [workspace.metadata.asynclint] table".into(),
            )
        })
    }

    /// Reads `file`; `chain` holds the files that extend it (to refuse a loop).
    pub(crate) fn read(file: &Path, chain: &mut Vec<PathBuf>) -> Result<Loaded, ConfigError> {
        let display = file.display().to_string();
        let text = std::fs::read_to_string(file)
            .map_err(|e| ConfigError::file(file, format!("cannot read: {e}")))?;
        let lines = LineIndex::new(&text);
        let at = |span: std::ops::Range<usize>, message: String| {
            let p = lines.position(&text, span.start);
            ConfigError {
                path: display.clone(),
                line: Some(p.line),
                column: Some(p.column),
                message,
            }
        };
        let toml_error = |e: toml::de::Error| at(e.span().unwrap_or(0..0), e.message().to_string());
        let (raw, workspace) = if is_manifest(file) {
            let manifest: CargoManifest = toml::from_str(&text).map_err(toml_error)?;
            let workspace = manifest.workspace.is_some();
            let from_ws = manifest
                .workspace
                .and_then(|w| w.metadata)
                .and_then(|m| m.asynclint);
            let from_pkg = manifest
                .package
                .and_then(|p| p.metadata)
                .and_then(|m| m.asynclint);
            match from_pkg.or(from_ws) {
                Some(raw) => (raw, workspace),
                None => {
                    return Ok(Loaded {
                        config: None,
                        workspace,
                    })
                }
            }
        } else {
            (
                toml::from_str::<RawConfig>(&text).map_err(toml_error)?,
                false,
            )
        };
        let root = dir_of(file);
        let canonical = std::fs::canonicalize(file).unwrap_or_else(|_| file.to_path_buf());
        chain.push(canonical);
        let config = Config::build(raw, file, root, chain, &at);
        chain.pop();
        Ok(Loaded {
            config: Some(config?),
            workspace,
        })
    }

    fn build(
        raw: RawConfig,
        file: &Path,
        root: PathBuf,
        chain: &mut Vec<PathBuf>,
        at: &dyn Fn(std::ops::Range<usize>, String) -> ConfigError,
    ) -> Result<Config, ConfigError> {
        let base = match &raw.extend {
            None => None,
            Some(name) => {
                let path = root.join(name.get_ref());
                let canonical = std::fs::canonicalize(&path).map_err(|e| {
                    at(
                        name.span(),
                        format!("cannot read `{}`: {e}", name.get_ref()),
                    )
                })?;
                if chain.contains(&canonical) {
                    return Err(at(
                        name.span(),
                        format!("`extend` loops back to {}", canonical.display()),
                    ));
                }
                let loaded = Config::read(&path, chain)?;
                Some(loaded.config.ok_or_else(|| {
                    at(
                        name.span(),
                        format!(
                            "`{}` has no [package.metadata.asynclint] or \
                             [workspace.metadata.asynclint] table",
                            name.get_ref()
                        ),
                    )
                })?)
            }
        };

        let mut exclude = Globs::default();
        for g in &raw.exclude {
            exclude
                .add(g.get_ref())
                .map_err(|e| at(g.span(), format!("bad glob in `exclude`: {}", e.kind())))?;
        }
        let exclude = Rooted {
            root: root.clone(),
            values: vec![(); raw.exclude.len()],
            globs: exclude,
        };

        let mut ignores = Rooted {
            root: root.clone(),
            globs: Globs::default(),
            values: Vec::new(),
        };
        for (glob, names) in &raw.per_file_ignores {
            ignores.globs.add(glob.get_ref()).map_err(|e| {
                at(
                    glob.span(),
                    format!("bad glob in `per-file-ignores`: {}", e.kind()),
                )
            })?;
            let selectors = names
                .iter()
                .map(|n| Selector::parse(n.get_ref()).map_err(|m| at(n.span(), m)))
                .collect::<Result<Vec<_>, _>>()?;
            ignores.values.push(selectors);
        }

        let mut rules = BTreeMap::new();
        for (name, rule) in raw.rules {
            let name_str = name.get_ref().clone();
            if rules::find(&name_str).is_none() && rules::Group::from_name(&name_str).is_none() {
                return Err(at(name.span(), rules::unknown_name(&name_str)));
            }
            let allowed = RULE_OPTIONS
                .iter()
                .find(|(r, _)| *r == name_str)
                .map_or(&[][..], |(_, o)| *o);
            let rule = rule.into_inner();
            let mut options = RuleOptions::default();
            if let Some(calls) = rule.extra_calls {
                if !allowed.contains(&"extra-calls") {
                    return Err(at(
                        calls.span(),
                        format!("rule `{name_str}` has no option `extra-calls`"),
                    ));
                }
                options.extra_calls = calls
                    .into_inner()
                    .into_iter()
                    .map(|c| match c {
                        RawCall::Path(path) => ExtraCall {
                            path,
                            replacement: None,
                        },
                        RawCall::Full(t) => ExtraCall {
                            path: t.path,
                            replacement: t.replacement,
                        },
                    })
                    .collect();
            }
            if let Some(names) = rule.read_like {
                if !allowed.contains(&"read-like") {
                    return Err(at(
                        names.span(),
                        format!("rule `{name_str}` has no option `read-like`"),
                    ));
                }
                options.read_like = Some(names.into_inner());
            }
            for (key, value, slot) in [
                (
                    "spawn-wrappers",
                    rule.spawn_wrappers,
                    &mut options.spawn_wrappers,
                ),
                (
                    "async-methods",
                    rule.async_methods,
                    &mut options.async_methods,
                ),
            ] {
                if let Some(names) = value {
                    if !allowed.contains(&key) {
                        return Err(at(
                            names.span(),
                            format!("rule `{name_str}` has no option `{key}`"),
                        ));
                    }
                    *slot = names.into_inner();
                }
            }
            rules.insert(
                name_str,
                RuleConfig {
                    enabled: rule.enabled,
                    severity: rule.severity.map(|s| match s {
                        RawSeverity::Error => Severity::Error,
                        RawSeverity::Warning => Severity::Warning,
                        RawSeverity::Hint => Severity::Hint,
                    }),
                    options,
                },
            );
        }
        let tests = raw.tests.and_then(|t| t.check);
        let own = Config {
            source: Some(file.to_path_buf()),
            root,
            exclude: vec![exclude],
            per_file_ignores: vec![ignores],
            rules,
            check_all_tests: matches!(tests, Some(RawTestCheck::All)),
            tests_set: tests.is_some(),
        };
        Ok(match base {
            Some(base) => base.extended_by(own),
            None => own,
        })
    }

    /// `self` with `child`'s settings over it: a key `child` sets wins; `exclude` and
    /// `per-file-ignores` add up, each glob relative to its own file.
    fn extended_by(mut self, child: Config) -> Config {
        self.exclude.extend(child.exclude);
        self.per_file_ignores.extend(child.per_file_ignores);
        for (name, c) in child.rules {
            let entry = self.rules.entry(name).or_default();
            if c.enabled.is_some() {
                entry.enabled = c.enabled;
            }
            if c.severity.is_some() {
                entry.severity = c.severity;
            }
            if !c.options.extra_calls.is_empty() {
                entry.options.extra_calls = c.options.extra_calls;
            }
            if c.options.read_like.is_some() {
                entry.options.read_like = c.options.read_like;
            }
            if !c.options.spawn_wrappers.is_empty() {
                entry.options.spawn_wrappers = c.options.spawn_wrappers;
            }
            if !c.options.async_methods.is_empty() {
                entry.options.async_methods = c.options.async_methods;
            }
        }
        if child.tests_set {
            self.check_all_tests = child.check_all_tests;
            self.tests_set = true;
        }
        Config {
            source: child.source,
            root: child.root,
            ..self
        }
    }

    /// Whether an `exclude` glob matches the file or directory at `abs` (absolute;
    /// `given` is the path as reached from the arguments).
    pub fn is_excluded(&self, abs: &Path, given: &Path) -> bool {
        self.exclude.iter().any(|r| r.is_match(abs, given))
    }

    /// The rules and groups `per-file-ignores` turns off for the file at `abs`.
    pub fn ignored(&self, abs: &Path, given: &Path) -> Vec<Selector> {
        self.per_file_ignores
            .iter()
            .flat_map(|r| r.matching(abs, given))
            .flatten()
            .copied()
            .collect()
    }

    pub fn rule(&self, name: &str) -> Option<&RuleConfig> {
        self.rules.get(name)
    }

    /// Whether the config turns a rule on or off: its own entry, else its group's.
    pub fn enabled(&self, rule: &dyn rules::Rule) -> Option<bool> {
        let m = rule.meta();
        self.rules
            .get(m.name)
            .and_then(|c| c.enabled)
            .or_else(|| self.rules.get(m.group.name()).and_then(|c| c.enabled))
    }

    /// The severity the config gives a rule's findings: its own entry's, else its
    /// group's.
    pub fn severity(&self, name: &str) -> Option<Severity> {
        let own = self.rules.get(name).and_then(|c| c.severity);
        own.or_else(|| {
            let group = rules::find(name)?.meta().group;
            self.rules.get(group.name()).and_then(|c| c.severity)
        })
    }
}

/// Shared by [`ConfigSet`]: a configuration that many directories use.
pub(crate) type Shared = Arc<Config>;

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str, name: &str) -> Result<Config, ConfigError> {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join(name);
        std::fs::write(&file, text).unwrap();
        Config::from_path(&file)
    }

    #[test]
    fn reads_rules_severities_options_and_excludes() {
        let c = load(
            "exclude = [\"tests/**\"]\n\
             [rules.blocking-in-async]\n\
             severity = \"error\"\n\
             extra-calls = [\"my::sync_read\", { path = \"my::load\", replacement = \"my::load_async\" }]\n\
             [rules.dropped-join-handle]\n\
             enabled = false\n",
            "asynclint.toml",
        )
        .unwrap();
        let b = c.rule("blocking-in-async").unwrap();
        assert_eq!(b.severity, Some(Severity::Error));
        assert_eq!(b.options.extra_calls.len(), 2);
        assert_eq!(
            b.options.extra_calls[1].replacement.as_deref(),
            Some("my::load_async")
        );
        assert_eq!(c.rule("dropped-join-handle").unwrap().enabled, Some(false));
        let t = c.root.join("tests/a.rs");
        assert!(c.is_excluded(&t, Path::new("tests/a.rs")));
        assert!(!c.is_excluded(&c.root.join("src/a.rs"), Path::new("src/a.rs")));
    }

    #[test]
    fn typos_are_errors_with_their_position() {
        let e = load(
            "[rules.blocking-in-async]\nenabld = false\n",
            "asynclint.toml",
        )
        .unwrap_err();
        assert_eq!((e.line, e.column), (Some(2), Some(1)));
        assert!(e.message.contains("unknown field `enabld`"), "{e}");
        let e = load("[rules.blocking-in-sync]\n", "asynclint.toml").unwrap_err();
        assert!(
            e.message.contains(
                "unknown rule or group `blocking-in-sync`: did you mean `blocking-in-async`?"
            ),
            "{e}"
        );
        assert_eq!(e.line, Some(1));
        let e = load("exclude = [\"src/[\"]\n", "asynclint.toml").unwrap_err();
        assert!(e.message.contains("bad glob"), "{e}");
        let e = load(
            "[rules.dropped-join-handle]\nenabled = \"no\"\n",
            "asynclint.toml",
        )
        .unwrap_err();
        assert_eq!(e.line, Some(2), "{e}");
        let e = load(
            "[rules.dropped-join-handle]\nread-like = [\"get\"]\n",
            "asynclint.toml",
        )
        .unwrap_err();
        assert!(e.message.contains("has no option `read-like`"), "{e}");
    }

    #[test]
    fn inline_tables_are_strict_too() {
        let e = load(
            "[rules.blocking-in-async]\nextra-calls = [\n  { path = \"a::b\", replacment = \"c\" },\n]\n",
            "asynclint.toml",
        )
        .unwrap_err();
        assert!(e.message.contains("unknown field `replacment`"), "{e}");
        assert_eq!(e.line, Some(3), "{e}");
        let e = load(
            "[rules.blocking-in-async]\nextra-calls = [{ replacement = \"c\" }]\n",
            "asynclint.toml",
        )
        .unwrap_err();
        assert!(e.message.contains("missing field `path`"), "{e}");
        let e = load(
            "[rules.blocking-in-async]\nextra-calls = [3]\n",
            "asynclint.toml",
        )
        .unwrap_err();
        assert!(e.message.contains("a call path or a table"), "{e}");
        let e = load("[tests]\ncheck = \"all\"\nmode = 1\n", "asynclint.toml").unwrap_err();
        assert!(e.message.contains("unknown field `mode`"), "{e}");
        let e = load(
            "per-file-ignores = { \"a/**\" = [\"latncy\"] }\n",
            "asynclint.toml",
        )
        .unwrap_err();
        assert!(e.message.contains("did you mean `latency`"), "{e}");
        assert_eq!((e.line, e.column), (Some(1), Some(32)), "{e}");
    }

    #[test]
    fn cargo_metadata_tables_are_read() {
        let c = load(
            "[package]\nname = \"x\"\n[package.metadata.asynclint]\nexclude = [\"gen/**\"]\n",
            "Cargo.toml",
        )
        .unwrap();
        assert!(c.source.is_some());
        let e = load(
            "[package]\nname = \"x\"\n[package.metadata.asynclint.rules.nope]\n",
            "Cargo.toml",
        )
        .unwrap_err();
        assert_eq!(e.line, Some(3), "{e}");
    }

    #[test]
    fn extend_inherits_and_overrides() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path();
        std::fs::create_dir_all(p.join("crate")).unwrap();
        std::fs::write(
            p.join("base.toml"),
            "exclude = [\"vendor/**\"]\n[tests]\ncheck = \"all\"\n\
             [rules.blocking-in-async]\nseverity = \"error\"\nenabled = false\n",
        )
        .unwrap();
        std::fs::write(
            p.join("crate/asynclint.toml"),
            "extend = \"../base.toml\"\nexclude = [\"gen/**\"]\n\
             per-file-ignores = { \"tests/**\" = [\"latency\"] }\n\
             [rules.blocking-in-async]\nenabled = true\n",
        )
        .unwrap();
        let c = Config::from_path(&p.join("crate/asynclint.toml")).unwrap();
        let b = c.rule("blocking-in-async").unwrap();
        assert_eq!((b.enabled, b.severity), (Some(true), Some(Severity::Error)));
        assert!(c.check_all_tests);
        let root = std::fs::canonicalize(p).unwrap();
        let x = Path::new("x");
        assert!(
            c.is_excluded(&root.join("vendor/a.rs"), x),
            "base globs, base root"
        );
        assert!(c.is_excluded(&root.join("crate/gen/a.rs"), x));
        assert!(!c.is_excluded(&root.join("crate/vendor/a.rs"), x));
        assert_eq!(c.ignored(&root.join("crate/tests/t.rs"), x).len(), 1);
        assert!(c.ignored(&root.join("crate/src/t.rs"), x).is_empty());

        std::fs::write(p.join("base.toml"), "extend = \"crate/asynclint.toml\"\n").unwrap();
        let e = Config::from_path(&p.join("crate/asynclint.toml")).unwrap_err();
        assert!(e.message.contains("`extend` loops back"), "{e}");
        std::fs::write(p.join("base.toml"), "extend = \"nowhere.toml\"\n").unwrap();
        let e = Config::from_path(&p.join("crate/asynclint.toml")).unwrap_err();
        assert!(e.message.contains("cannot read `nowhere.toml`"), "{e}");
        assert!(e.path.ends_with("base.toml"), "{e}");
    }
}
