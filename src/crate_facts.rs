//! What a fix may assume about the crate a file belongs to: the tokio features its
//! manifest enables (a `tokio::fs` call needs `fs`, a `tokio::time::sleep` needs
//! `time`; `full` has both; `tokio = { workspace = true }` inherits the workspace's
//! features and adds its own), and whether any of its sources builds a runtime
//! without timers (`Builder::new_current_thread()` with neither `enable_time()` nor
//! `enable_all()`), in which a `tokio::time::sleep` panics.
//!
//! The features count only where cargo surely enables them: a dependency under its
//! own name, not optional, not for one target only. Features another dependency turns
//! on are not seen; a fix that needs them is then not machine-applicable.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// The tokio features a fix may need.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct TokioFeatures {
    pub fs: bool,
    pub time: bool,
}

impl TokioFeatures {
    fn of(spec: &toml::Value) -> Option<Self> {
        let mut f = TokioFeatures::default();
        if let Some(list) = spec.get("features").and_then(|v| v.as_array()) {
            for name in list.iter().filter_map(|v| v.as_str()) {
                f.fs |= matches!(name, "fs" | "full");
                f.time |= matches!(name, "time" | "full");
            }
        }
        let optional = spec
            .get("optional")
            .and_then(|v| v.as_bool())
            .unwrap_or(false);
        (!optional).then_some(f)
    }

    fn union(self, other: TokioFeatures) -> TokioFeatures {
        TokioFeatures {
            fs: self.fs || other.fs,
            time: self.time || other.time,
        }
    }
}

/// The tokio of one crate, from its manifest.
#[derive(Debug, Default)]
pub struct CrateTokio {
    /// For the crate's own code.
    pub normal: TokioFeatures,
    /// For its tests (dev-dependencies add theirs).
    pub dev: TokioFeatures,
    /// The package directory, whose sources [`CrateTokio::builds_timerless_runtime`]
    /// reads.
    dir: PathBuf,
    timerless: OnceLock<bool>,
}

impl CrateTokio {
    /// The tokio a manifest at `manifest` with text `text` gives its crate: `None`
    /// when it does not depend on tokio under that name. `workspace` reads the
    /// workspace manifest's text, for `tokio = { workspace = true }`.
    pub fn of_manifest(
        manifest: &Path,
        text: &str,
        workspace: &dyn Fn(&Path) -> Option<String>,
    ) -> Option<CrateTokio> {
        let value: toml::Table = text.parse().ok()?;
        CrateTokio::of_table(manifest, &value, workspace)
    }

    /// [`CrateTokio::of_manifest`] of a manifest already parsed.
    pub fn of_table(
        manifest: &Path,
        value: &toml::Table,
        workspace: &dyn Fn(&Path) -> Option<String>,
    ) -> Option<CrateTokio> {
        value.get("package")?;
        let inherited = || -> Option<TokioFeatures> {
            let dir = manifest.parent()?;
            dir.ancestors().skip(1).find_map(|d| {
                let root_text = workspace(&d.join("Cargo.toml"))?;
                let root: toml::Table = root_text.parse().ok()?;
                let ws = root.get("workspace")?;
                let spec = ws.get("dependencies")?.get("tokio")?;
                Some(TokioFeatures::of(spec).unwrap_or_default())
            })
        };
        let features = |section: &str| -> Option<TokioFeatures> {
            let spec = value.get(section)?.get("tokio")?;
            if spec
                .get("package")
                .is_some_and(|p| p.as_str() != Some("tokio"))
            {
                return None;
            }
            let own = TokioFeatures::of(spec)?;
            if spec.get("workspace").and_then(|w| w.as_bool()) == Some(true) {
                return Some(own.union(inherited()?));
            }
            Some(own)
        };
        let normal = features("dependencies");
        let dev = features("dev-dependencies");
        if normal.is_none() && dev.is_none() {
            return None;
        }
        let normal = normal.unwrap_or_default();
        Some(CrateTokio {
            normal,
            dev: normal.union(dev.unwrap_or_default()),
            dir: manifest.parent().map(Path::to_path_buf).unwrap_or_default(),
            timerless: OnceLock::new(),
        })
    }

    /// The features code sees: in test code, the dev-dependencies' too.
    pub fn features(&self, in_tests: bool) -> TokioFeatures {
        if in_tests {
            self.dev
        } else {
            self.normal
        }
    }

    /// Whether a source of the package builds a tokio runtime without timers. Read
    /// on first use (only a sleep fix needs it), once per crate.
    pub fn builds_timerless_runtime(&self) -> bool {
        let timerless = *self.timerless.get_or_init(|| {
            let walk = walkdir::WalkDir::new(&self.dir)
                .into_iter()
                .filter_entry(|e| {
                    e.depth() == 0
                        || !e.file_type().is_dir()
                        || !(e.file_name().to_string_lossy().starts_with('.')
                            || e.file_name() == "target"
                            || e.path().join("Cargo.toml").exists())
                });
            walk.filter_map(Result::ok)
                .filter(|e| e.file_type().is_file())
                .filter(|e| e.path().extension().is_some_and(|x| x == "rs"))
                .any(|e| {
                    crate::files::read_text(e.path())
                        .is_ok_and(|text| builds_timerless_runtime(&text))
                })
        });
        CONSULTED.with(|c| c.set(Some(timerless)));
        timerless
    }
}

thread_local! {
    /// What [`CrateTokio::builds_timerless_runtime`] last answered on this thread: an
    /// analysis that asked depends on files other than its own, and the cache must
    /// know (see [`consulted_timerless`]).
    static CONSULTED: std::cell::Cell<Option<bool>> = const { std::cell::Cell::new(None) };
}

/// Runs `f`, and returns with its result what it learned from
/// [`CrateTokio::builds_timerless_runtime`] on this thread, if it asked.
pub fn consulted_timerless<T>(f: impl FnOnce() -> T) -> (T, Option<bool>) {
    let outer = CONSULTED.with(|c| c.replace(None));
    let out = f();
    let asked = CONSULTED.with(|c| c.replace(outer));
    (out, asked)
}

/// Whether a manifest's package is of edition 2015: it says so, inherits it from its
/// workspace, or (as cargo reads it) names no edition at all. `workspace` reads the
/// text of a manifest, for `edition.workspace = true`.
pub fn is_edition_2015(
    manifest: &Path,
    text: &str,
    workspace: &dyn Fn(&Path) -> Option<String>,
) -> bool {
    let Ok(value) = text.parse::<toml::Table>() else {
        return false;
    };
    is_edition_2015_table(manifest, &value, workspace)
}

/// [`is_edition_2015`] of a manifest already parsed.
pub fn is_edition_2015_table(
    manifest: &Path,
    value: &toml::Table,
    workspace: &dyn Fn(&Path) -> Option<String>,
) -> bool {
    edition_of_table(manifest, value, workspace).as_deref() == Some("2015")
}

/// The edition a parsed manifest's package is of: what it says, what it inherits from
/// its workspace, or `2015` when it names none (as cargo reads it). `None` when there
/// is no `[package]`, or an inherited edition cannot be read.
pub fn edition_of_table(
    manifest: &Path,
    value: &toml::Table,
    workspace: &dyn Fn(&Path) -> Option<String>,
) -> Option<String> {
    let package = value.get("package")?;
    match package.get("edition") {
        None => Some("2015".to_string()),
        Some(toml::Value::String(e)) => Some(e.clone()),
        Some(inherit) if inherit.get("workspace").and_then(|w| w.as_bool()) == Some(true) => {
            let parent = manifest.parent().map(|d| d.ancestors().skip(1));
            parent.into_iter().flatten().find_map(|d| {
                let root: toml::Table = workspace(&d.join("Cargo.toml"))?.parse().ok()?;
                let ws = root.get("workspace")?;
                Some(ws.get("package")?.get("edition")?.as_str()?.to_string())
            })
        }
        Some(_) => None,
    }
}

fn mentions(text: &str, needle: &str) -> bool {
    memchr::memmem::find(text.as_bytes(), needle.as_bytes()).is_some()
}

/// Whether `text` builds a tokio runtime by hand and never enables its timers.
pub fn builds_timerless_runtime(text: &str) -> bool {
    let builds = ["new_current_thread", "new_multi_thread"]
        .iter()
        .any(|n| mentions(text, n));
    builds && !mentions(text, "enable_time") && !mentions(text, "enable_all")
}

/// Whether `text` pauses tokio's clock (`start_paused`, `time::pause()`, or a bare
/// `pause()` / `advance(..)` call), under which a sleep completes at once.
pub fn pauses_clock(text: &str) -> bool {
    mentions(text, "start_paused")
        || mentions(text, "time::pause")
        || mentions(text, "time::advance")
        || calls(text, "pause")
        || calls(text, "advance")
}

/// Whether `text` calls a function named `name` (`name(` or `name (`, not part of a
/// longer identifier).
fn calls(text: &str, name: &str) -> bool {
    let b = text.as_bytes();
    memchr::memmem::find_iter(b, name.as_bytes()).any(|i| {
        let before = i.checked_sub(1).map(|j| b[j]);
        let word_start = before.is_none_or(|c| !(c.is_ascii_alphanumeric() || c == b'_'));
        let after = text[i + name.len()..].trim_start();
        word_start && after.starts_with('(')
    })
}

/// Whether `text` asserts on a measured duration: an `assert` whose arguments (up to
/// the end of the statement) name `elapsed`, `duration_since` or `Instant`.
pub fn asserts_elapsed(text: &str) -> bool {
    let b = text.as_bytes();
    memchr::memmem::find_iter(b, b"assert").any(|i| {
        let rest = &text[i..];
        let end = rest.find(';').unwrap_or(rest.len()).min(2000);
        let mut end = end;
        while !rest.is_char_boundary(end) {
            end -= 1;
        }
        let stmt = &rest[..end];
        ["elapsed", "duration_since", "Instant"]
            .iter()
            .any(|n| stmt.contains(n))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn of(text: &str) -> Option<CrateTokio> {
        let ws = "[workspace]\nmembers = [\"m\"]\n[workspace.dependencies]\n\
                  tokio = { version = \"1\", features = [\"time\"] }\n";
        CrateTokio::of_manifest(Path::new("/w/m/Cargo.toml"), text, &|p| {
            (p == Path::new("/w/Cargo.toml")).then(|| ws.to_string())
        })
    }

    const PKG: &str = "[package]\nname = \"m\"\nversion = \"0.1.0\"\n";

    #[test]
    fn features_come_from_the_manifest_and_the_workspace() {
        let f = |deps: &str| of(&format!("{PKG}{deps}")).map(|t| (t.normal, t.dev));
        let none = TokioFeatures::default();
        let fs = TokioFeatures {
            fs: true,
            time: false,
        };
        let time = TokioFeatures {
            fs: false,
            time: true,
        };
        let both = TokioFeatures {
            fs: true,
            time: true,
        };
        assert_eq!(f("[dependencies]\ntokio = \"1\"\n"), Some((none, none)));
        assert_eq!(
            f("[dependencies]\ntokio = { version = \"1\", features = [\"fs\"] }\n"),
            Some((fs, fs))
        );
        assert_eq!(
            f("[dependencies]\ntokio = { version = \"1\", features = [\"full\"] }\n"),
            Some((both, both))
        );
        assert_eq!(
            f("[dependencies]\ntokio = { workspace = true, features = [\"fs\"] }\n"),
            Some((both, both))
        );
        assert_eq!(
            f("[dependencies]\ntokio = { workspace = true }\n"),
            Some((time, time))
        );
        assert_eq!(
            f("[dependencies]\ntokio = \"1\"\n[dev-dependencies]\ntokio = { version = \"1\", features = [\"time\"] }\n"),
            Some((none, time))
        );
        // Optional, renamed, or absent: nothing is known to be enabled.
        assert_eq!(
            f("[dependencies]\ntokio = { version = \"1\", optional = true, features = [\"full\"] }\n"),
            None
        );
        assert_eq!(
            f("[dependencies]\ntokio = { version = \"1\", package = \"tokio-fork\", features = [\"full\"] }\n"),
            None
        );
        assert_eq!(f("[dependencies]\nserde = \"1\"\n"), None);
        assert!(of("[workspace]\n").is_none());
    }

    #[test]
    fn editions() {
        let ws = |_: &Path| Some("[workspace.package]\nedition = \"2015\"\n".to_string());
        let e = |t: &str| is_edition_2015(Path::new("/w/m/Cargo.toml"), t, &ws);
        assert!(e("[package]\nname = \"m\"\n"));
        assert!(e("[package]\nedition = \"2015\"\n"));
        assert!(!e("[package]\nedition = \"2018\"\n"));
        assert!(e("[package]\nedition.workspace = true\n"));
        assert!(!e("[workspace]\n"));
        assert!(!e("not toml ["));
    }

    #[test]
    fn text_facts() {
        assert!(pauses_clock("#[tokio::test(start_paused = true)]"));
        assert!(pauses_clock(
            "use tokio::time::pause;\nfn f() { pause (); }"
        ));
        assert!(!pauses_clock("fn f() { self.unpause(); let paused = 1; }"));
        assert!(asserts_elapsed(
            "let t = Instant::now();\nsleep(d);\nassert!(t.elapsed() >= d);"
        ));
        assert!(!asserts_elapsed("assert_eq!(x, 1);\nlet e = t.elapsed();"));
        assert!(builds_timerless_runtime(
            "let rt = Builder::new_current_thread().build().unwrap();"
        ));
        assert!(!builds_timerless_runtime(
            "let rt = Builder::new_current_thread().enable_time().build().unwrap();"
        ));
    }
}
