//! Which library packages of a workspace run only inside its command-line programs:
//! every package of the workspace that depends on one is a program with no server
//! (`package::Package::is_app`) or such a library itself, and it depends on no server
//! crate. Its async code then runs where those programs run it, one task at a time
//! unless they spawn. Read once per workspace, from its members' manifests.
//!
//! Also which library packages are test support: fakes and fixtures that members
//! depend on for their tests (`[dev-dependencies]`) and never need otherwise. Their
//! code is test code.

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use std::path::{Path, PathBuf};

/// One member of a workspace, as the fact needs it.
struct Member {
    name: String,
    /// A program with no library target and no server dependency.
    is_app: bool,
    has_lib: bool,
    depends_on_server: bool,
    /// The packages it depends on (normal dependencies, by package name).
    deps: HashSet<String>,
    /// Those of them it always needs: not optional, or enabled by a default feature.
    required: HashSet<String>,
    /// The packages its tests depend on (`[dev-dependencies]`).
    dev_deps: HashSet<String>,
    /// A library only its own tests can use: `publish = false`, no binary target, and
    /// a `tests/` directory of its own (an integration-test harness).
    own_tests_only: bool,
}

/// The library packages of one workspace that only command-line programs use.
#[derive(Default)]
pub struct Workspace {
    cli_only: HashSet<String>,
    test_support: HashSet<String>,
    /// The packages another member depends on, for its code or its tests.
    depended_on: HashSet<String>,
}

impl Workspace {
    /// Reads the workspace whose root manifest is `root_manifest`.
    pub fn read(root_manifest: &Path, read: &dyn Fn(&Path) -> Option<String>) -> Workspace {
        let Some(root) = root_manifest.parent() else {
            return Workspace::default();
        };
        let Some(table) = read(root_manifest).and_then(|t| t.parse::<toml::Table>().ok()) else {
            return Workspace::default();
        };
        let mut members: Vec<Member> = member_dirs(root, &table)
            .into_iter()
            .filter(|dir| dir.as_path() != root)
            .filter_map(|dir| {
                let manifest = dir.join("Cargo.toml");
                let t = read(&manifest)?.parse::<toml::Table>().ok()?;
                member(&dir, &t)
            })
            .collect();
        // The root manifest's own package, if it has one, is a member too.
        members.extend(member(root, &table));
        Workspace {
            cli_only: cli_only(&members),
            test_support: test_support(&members),
            depended_on: members
                .iter()
                .flat_map(|m| {
                    m.deps
                        .iter()
                        .chain(&m.dev_deps)
                        .filter(|d| **d != m.name)
                        .cloned()
                })
                .collect(),
        }
    }

    pub fn is_cli_only(&self, package: &str) -> bool {
        self.cli_only.contains(package)
    }

    pub fn is_test_support(&self, package: &str) -> bool {
        self.test_support.contains(package)
    }

    /// Whether another member depends on the package.
    pub fn is_depended_on(&self, package: &str) -> bool {
        self.depended_on.contains(package)
    }
}

/// The directories `[workspace] members` names: a path, or a path ending in `/*`.
fn member_dirs(root: &Path, table: &toml::Table) -> Vec<PathBuf> {
    let Some(members) = table
        .get("workspace")
        .and_then(|w| w.get("members"))
        .and_then(|m| m.as_array())
    else {
        return Vec::new();
    };
    let mut dirs = Vec::new();
    for m in members.iter().filter_map(|m| m.as_str()) {
        match m.strip_suffix("/*") {
            Some(parent) => {
                if let Ok(entries) = std::fs::read_dir(root.join(parent)) {
                    dirs.extend(entries.flatten().map(|e| e.path()).filter(|p| p.is_dir()));
                }
            }
            None if !m.contains('*') => dirs.push(root.join(m)),
            None => {}
        }
    }
    dirs
}

fn member(dir: &Path, t: &toml::Table) -> Option<Member> {
    let name = t.get("package")?.get("name")?.as_str()?.to_string();
    let server = crate::package::depends_on_server(dir, t);
    use crate::package::dependencies;
    // What the default features enable, as written: `dep:x`, `x`, `x/feature`.
    let defaults: Vec<&str> = t
        .get("features")
        .and_then(|f| f.get("default"))
        .and_then(|d| d.as_array())
        .map(|d| {
            let features = t.get("features");
            d.iter()
                .filter_map(|v| v.as_str())
                .flat_map(|f| {
                    let enabled = features
                        .and_then(|fs| fs.get(f))
                        .and_then(|e| e.as_array())
                        .map(|e| e.iter().filter_map(|v| v.as_str()).collect::<Vec<_>>())
                        .unwrap_or_default();
                    std::iter::once(f).chain(enabled)
                })
                .collect()
        })
        .unwrap_or_default();
    let by_default = |key: &str| {
        defaults.iter().any(|d| {
            let d = d.strip_prefix("dep:").unwrap_or(d);
            d == key || d.split('/').next() == Some(key)
        })
    };
    let deps = dependencies(t, "dependencies")
        .map(|d| d.package.to_string())
        .collect();
    let required = dependencies(t, "dependencies")
        .filter(|d| !d.optional() || by_default(d.key))
        .map(|d| d.package.to_string())
        .collect();
    let dev_deps = dependencies(t, "dev-dependencies")
        .map(|d| d.package.to_string())
        .collect();
    let unpublished = crate::package::unpublished(t);
    let has_bin =
        t.get("bin").is_some() || dir.join("src/main.rs").is_file() || dir.join("src/bin").is_dir();
    Some(Member {
        own_tests_only: unpublished && !has_bin && dir.join("tests").is_dir(),
        name,
        is_app: crate::package::is_program_without_server(dir, t),
        has_lib: crate::package::has_lib(dir, t),
        depends_on_server: server,
        deps,
        required,
        dev_deps,
    })
}

/// The libraries of the workspace that some member's tests depend on and that no
/// member always needs: an optional dependency that no default feature enables is
/// the way test fakes are offered to other packages' tests (`testing = ["dep:fakes"]`).
/// Also an unpublished library with no binary that no member depends on, whose own
/// `tests/` are what uses it: an integration-test harness.
fn test_support(members: &[Member]) -> HashSet<String> {
    let required: HashSet<&str> = members
        .iter()
        .flat_map(|m| m.required.iter().map(String::as_str))
        .collect();
    let for_tests: HashSet<&str> = members
        .iter()
        .flat_map(|m| m.dev_deps.iter().map(String::as_str))
        .collect();
    // Needed by a member at all (optional or not): not the harness of its own tests.
    let depended_on: HashSet<&str> = members
        .iter()
        .flat_map(|m| m.deps.iter().map(String::as_str))
        .collect();
    members
        .iter()
        .filter(|m| m.has_lib && !m.is_app)
        .filter(|m| {
            let name = m.name.as_str();
            (for_tests.contains(name) && !required.contains(name))
                || (m.own_tests_only && !depended_on.contains(name))
        })
        .map(|m| m.name.clone())
        .collect()
}

/// The greatest set of libraries whose dependents are all apps or members of the set:
/// start from every library with no server dependency and at least one dependent,
/// and drop those a package outside the set (and not an app) depends on.
fn cli_only(members: &[Member]) -> HashSet<String> {
    let mut dependents: HashMap<&str, Vec<&Member>> = HashMap::default();
    for m in members {
        for d in &m.deps {
            dependents.entry(d.as_str()).or_default().push(m);
        }
    }
    let mut set: HashSet<String> = members
        .iter()
        .filter(|m| m.has_lib && !m.is_app && !m.depends_on_server)
        .filter(|m| dependents.contains_key(m.name.as_str()))
        .map(|m| m.name.clone())
        .collect();
    loop {
        let out: Vec<String> = set
            .iter()
            .filter(|name| {
                dependents[name.as_str()]
                    .iter()
                    .any(|d| !(d.is_app || set.contains(&d.name)))
            })
            .cloned()
            .collect();
        if out.is_empty() {
            return set;
        }
        for name in out {
            set.remove(&name);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(name: &str, is_app: bool, has_lib: bool, server: bool, deps: &[&str]) -> Member {
        let deps: HashSet<String> = deps.iter().map(|d| d.to_string()).collect();
        Member {
            name: name.into(),
            is_app,
            has_lib,
            depends_on_server: server,
            required: deps.clone(),
            deps,
            dev_deps: HashSet::default(),
            own_tests_only: false,
        }
    }

    #[test]
    fn test_support_libraries() {
        let root = tempfile::tempdir().unwrap();
        let write = |rel: &str, text: &str| {
            let p = root.path().join(rel);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        };
        write("Cargo.toml", "[workspace]\nmembers = [\"crates/*\"]\n");
        let lib = |name: &str, body: &str| {
            write(&format!("crates/{name}/src/lib.rs"), "");
            write(
                &format!("crates/{name}/Cargo.toml"),
                &format!("[package]\nname = \"{name}\"\nversion = \"0.1.0\"\n{body}"),
            );
        };
        // `fakes`: a dev-dependency, and an optional one behind a non-default feature.
        lib("fakes", "");
        lib(
            "storage",
            "[dev-dependencies]\nfakes = { path = \"../fakes\" }\n",
        );
        lib(
            "context",
            "[features]\ntesting = [\"dep:fakes\"]\n\
             [dependencies]\nfakes = { path = \"../fakes\", optional = true }\n",
        );
        // `helpers`: a dev-dependency of one member, a dependency of another.
        lib("helpers", "");
        lib(
            "web",
            "[dependencies]\nhelpers = { path = \"../helpers\" }\n\
             [dev-dependencies]\nhelpers = { path = \"../helpers\" }\n",
        );
        // `metrics`: optional, but a default feature enables it.
        lib("metrics", "");
        lib(
            "api",
            "[features]\ndefault = [\"stats\"]\nstats = [\"dep:metrics\"]\n\
             [dependencies]\nmetrics = { path = \"../metrics\", optional = true }\n\
             [dev-dependencies]\nmetrics = { path = \"../metrics\" }\n",
        );
        // `harness`: unpublished, no binary, only its own `tests/` use it. `shared`
        // and `tools` look the same, but a member depends on `shared` and `tools` is
        // published.
        lib("harness", "publish = false\n");
        write("crates/harness/tests/cluster.rs", "");
        lib("shared", "publish = false\n");
        write("crates/shared/tests/it.rs", "");
        lib(
            "server",
            "[dependencies]\nshared = { path = \"../shared\" }\n",
        );
        lib("tools", "");
        write("crates/tools/tests/it.rs", "");
        let read = |p: &Path| std::fs::read_to_string(p).ok();
        let ws = Workspace::read(&root.path().join("Cargo.toml"), &read);
        assert!(ws.is_test_support("fakes"));
        assert!(ws.is_test_support("harness"));
        for name in [
            "helpers", "metrics", "storage", "web", "context", "api", "shared", "server", "tools",
        ] {
            assert!(!ws.is_test_support(name), "{name}");
        }
        // A root package that always needs `fakes` counts like any member.
        write(
            "Cargo.toml",
            "[workspace]\nmembers = [\"crates/*\"]\n[package]\nname = \"app\"\n\
             version = \"0.1.0\"\n[dependencies]\nfakes = { path = \"crates/fakes\" }\n",
        );
        let ws = Workspace::read(&root.path().join("Cargo.toml"), &read);
        assert!(!ws.is_test_support("fakes"));
    }

    #[test]
    fn libraries_only_programs_use() {
        let members = [
            m("cli", true, false, false, &["scripts", "client", "share"]),
            m("scripts", false, true, false, &["client", "common"]),
            m("share", false, true, true, &["common"]),
            m("client", false, true, false, &["common"]),
            m("server", false, true, true, &["client", "common"]),
            m("common", false, true, false, &[]),
            m("unused", false, true, false, &[]),
        ];
        let set = cli_only(&members);
        // `scripts`: only the program uses it. `client` and `common`: a server does
        // too. `share`: a server crate of its own. `unused`: nobody here uses it.
        assert_eq!(set, HashSet::from_iter(["scripts".to_string()]));
    }

    #[test]
    fn a_library_used_only_by_such_libraries() {
        let members = [
            m("cli", true, false, false, &["ui"]),
            m("ui", false, true, false, &["store"]),
            m("store", false, true, false, &[]),
        ];
        let set = cli_only(&members);
        assert!(set.contains("ui") && set.contains("store"));
    }
}
