//! Configuration: `asynclint.toml`, or `[workspace.metadata.asynclint]` /
//! `[package.metadata.asynclint]` in `Cargo.toml`, discovered from the first checked
//! path upward. Strict: an unknown key, an unknown rule, a bad glob or a wrong type is
//! an error that names the file, the line and the key — a typo must never silently
//! turn a gate off.

use crate::diagnostic::Severity;
use crate::rules;
use crate::source::LineIndex;
use globset::{Glob, GlobSet, GlobSetBuilder};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
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
}

#[derive(Clone, Debug, Default)]
pub struct RuleConfig {
    pub enabled: Option<bool>,
    pub severity: Option<Severity>,
    pub options: RuleOptions,
}

#[derive(Debug, Default)]
pub struct Config {
    /// The file the configuration came from, if any.
    pub source: Option<PathBuf>,
    /// Exclude globs match paths relative to this directory.
    pub root: PathBuf,
    exclude: Option<GlobSet>,
    /// By rule name and by group name.
    pub rules: BTreeMap<String, RuleConfig>,
    /// `[tests] check = "all"`: report everything in test code, not only what makes
    /// a test wrong.
    pub check_all_tests: bool,
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

/// Which options each rule accepts, besides `enabled` and `severity`.
const RULE_OPTIONS: &[(&str, &[&str])] = &[
    ("blocking-in-async", &["extra-calls"]),
    ("missing-timeout", &["extra-calls"]),
    ("sequential-awaits", &["read-like"]),
];

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawConfig {
    #[serde(default)]
    exclude: Vec<Spanned<String>>,
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
}

#[derive(Deserialize, Clone, Copy)]
#[serde(rename_all = "lowercase")]
enum RawSeverity {
    Error,
    Warning,
    Hint,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum RawCall {
    Path(String),
    Full {
        path: String,
        replacement: Option<String>,
    },
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

impl Config {
    /// Finds the configuration for `paths`: `explicit` if given, else discovery from
    /// the first path upward. No configuration found is the default one.
    pub fn load(explicit: Option<&Path>, paths: &[PathBuf]) -> Result<Config, ConfigError> {
        if let Some(file) = explicit {
            let root = file.parent().map(Path::to_path_buf).unwrap_or_default();
            return Config::from_file(
                file,
                root,
                file.file_name().is_some_and(|n| n == "Cargo.toml"),
            )
            .and_then(|c| {
                c.ok_or_else(|| ConfigError {
                    path: file.display().to_string(),
                    line: None,
                    column: None,
                    message:
                        "no [package.metadata.asynclint] or [workspace.metadata.asynclint] table"
                            .into(),
                })
            });
        }
        let start = paths.first().cloned().unwrap_or_else(|| PathBuf::from("."));
        let start = std::fs::canonicalize(&start).unwrap_or(start);
        let mut dir = if start.is_file() {
            start.parent().map(Path::to_path_buf)
        } else {
            Some(start)
        };
        while let Some(d) = dir {
            let own = d.join("asynclint.toml");
            if own.is_file() {
                if let Some(c) = Config::from_file(&own, d.clone(), false)? {
                    return Ok(c);
                }
            }
            let manifest = d.join("Cargo.toml");
            if manifest.is_file() {
                if let Some(c) = Config::from_file(&manifest, d.clone(), true)? {
                    return Ok(c);
                }
            }
            dir = d.parent().map(Path::to_path_buf);
        }
        Ok(Config::default())
    }

    fn from_file(file: &Path, root: PathBuf, cargo: bool) -> Result<Option<Config>, ConfigError> {
        let display = file.display().to_string();
        let text = std::fs::read_to_string(file).map_err(|e| ConfigError {
            path: display.clone(),
            line: None,
            column: None,
            message: format!("cannot read: {e}"),
        })?;
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
        let raw = if cargo {
            let manifest: CargoManifest = toml::from_str(&text).map_err(|e| match e.span() {
                Some(s) => at(s, e.message().to_string()),
                None => at(0..0, e.message().to_string()),
            })?;
            let from_ws = manifest
                .workspace
                .and_then(|w| w.metadata)
                .and_then(|m| m.asynclint);
            let from_pkg = manifest
                .package
                .and_then(|p| p.metadata)
                .and_then(|m| m.asynclint);
            match from_pkg.or(from_ws) {
                Some(raw) => raw,
                None => return Ok(None),
            }
        } else {
            toml::from_str::<RawConfig>(&text).map_err(|e| match e.span() {
                Some(s) => at(s, e.message().to_string()),
                None => at(0..0, e.message().to_string()),
            })?
        };

        let mut builder = GlobSetBuilder::new();
        for g in &raw.exclude {
            let glob = Glob::new(g.get_ref())
                .map_err(|e| at(g.span(), format!("bad glob in `exclude`: {}", e.kind())))?;
            builder.add(glob);
        }
        let exclude = builder
            .build()
            .map_err(|e| at(0..0, format!("bad `exclude` globs: {e}")))?;

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
            let rule_span = rule.span();
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
                        RawCall::Full { path, replacement } => ExtraCall { path, replacement },
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
            let _ = rule_span;
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
        Ok(Some(Config {
            source: Some(file.to_path_buf()),
            root,
            exclude: Some(exclude),
            rules,
            check_all_tests: matches!(raw.tests.and_then(|t| t.check), Some(RawTestCheck::All)),
        }))
    }

    /// Whether `path` (as reached from the arguments) matches an `exclude` glob.
    pub fn is_excluded(&self, path: &Path) -> bool {
        let Some(set) = &self.exclude else {
            return false;
        };
        if set.is_empty() {
            return false;
        }
        let abs = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        let rel = abs.strip_prefix(&self.root).unwrap_or(&abs);
        set.is_match(rel) || set.is_match(path)
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

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str, name: &str) -> Result<Config, ConfigError> {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join(name);
        std::fs::write(&file, text).unwrap();
        Config::load(Some(&file), &[])
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
}
