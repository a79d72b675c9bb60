//! What the nearest `Cargo.toml` says of a file's package: which package it is (for
//! the crate model), its library name, and the async runtime it depends on. Each
//! directory is looked up once, each manifest read once.

use crate::semantic::Runtime;
use rustc_hash::FxHashMap as HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// A package, as the files in it see it.
#[derive(Debug, Default)]
pub struct Package {
    /// A number for the package, the same in every run (a hash of its directory).
    pub id: u32,
    /// The directory of its `Cargo.toml`.
    pub root: PathBuf,
    pub runtime: Runtime,
    /// `[lib] name`, else the package name with `-` as `_`.
    pub lib_name: Option<String>,
    /// A program of its own: a binary target, no library target, and no server
    /// framework among its dependencies (a command-line tool); or a library that only
    /// such programs of its workspace depend on (`crate::workspace`). Its async code
    /// runs as one sequential task unless it spawns: blocking there stalls no one else.
    pub is_app: bool,
    /// It has a manifest and no library target: nothing outside it can call its fns.
    pub binary_only: bool,
    /// Its library is for its own targets only: `publish = false`, and no other member
    /// of its workspace depends on it. Nothing outside the package calls its fns.
    pub private_lib: bool,
    /// `publish = false`: only the members of its workspace can depend on it.
    pub unpublished: bool,
    /// A library of its workspace that only the members' tests need (`crate::workspace`):
    /// its code is test code.
    pub test_support: bool,
    /// The tokio the manifest enables (features for code and for tests).
    pub tokio: Option<crate::crate_facts::CrateTokio>,
    /// Edition 2015 code may use syntax the parser does not read (`Fn(u8) + Send`
    /// without `dyn`): a file of such a package that does not parse is skipped, not
    /// failed.
    pub edition_2015: bool,
    /// Before edition 2024, an `if let` scrutinee's temporaries (a lock guard) live
    /// through the `else` block too.
    pub if_let_through_else: bool,
    /// The names its code gives the libraries it depends on by path or from its
    /// workspace (`server_common` for `server-common = { path = "../common" }`),
    /// sorted: the crates whose fns its calls may reach when they are checked too.
    pub linked: Vec<String>,
}

impl Package {
    /// The module path of a file of this package: `src/net/conn.rs` is `net::conn`,
    /// `src/net/mod.rs` is `net`; a crate root (`src/lib.rs`, `src/main.rs`, a file of
    /// `src/bin/`, `tests/`, `examples/`, `benches/`) is the root module.
    pub fn module_of(&self, file: &Path) -> Vec<String> {
        let Ok(rel) = file.strip_prefix(&self.root) else {
            return Vec::new();
        };
        let parts: Vec<String> = rel
            .iter()
            .map(|p| p.to_string_lossy().into_owned())
            .collect();
        let Some((first, rest)) = parts.split_first() else {
            return Vec::new();
        };
        if first != "src" || rest.first().is_some_and(|d| d == "bin") {
            return Vec::new();
        }
        let mut module: Vec<String> = rest.to_vec();
        if let Some(last) = module.pop() {
            let stem = last.strip_suffix(".rs").unwrap_or(&last).to_string();
            let root = module.is_empty() && (stem == "lib" || stem == "main");
            if stem != "mod" && !root {
                module.push(stem);
            }
        }
        module
    }
}

#[derive(Default)]
pub struct PackageCache {
    by_dir: Mutex<HashMap<PathBuf, Arc<Package>>>,
    by_manifest: Mutex<HashMap<PathBuf, Arc<Package>>>,
    /// Workspaces read so far, by root manifest.
    workspaces: Mutex<HashMap<PathBuf, Arc<crate::workspace::Workspace>>>,
}

impl PackageCache {
    /// The package of the nearest `Cargo.toml` above `file` (a default, unnamed
    /// package when there is none).
    pub fn for_file(&self, file: &Path) -> Arc<Package> {
        let Some(dir) = file.parent() else {
            return Arc::default();
        };
        // `src/b.rs` and `./src/b.rs` are one file, and so one package: a relative
        // path is read from `.` (the walk writes `./src/a.rs`, stdin's name may not).
        let dotted;
        let dir = match dir.components().next() {
            None => Path::new("."),
            Some(std::path::Component::Normal(_)) => {
                dotted = Path::new(".").join(dir);
                dotted.as_path()
            }
            Some(_) => dir,
        };
        if let Some(p) = self.by_dir.lock().ok().and_then(|m| m.get(dir).cloned()) {
            return p;
        }
        let package = match dir
            .ancestors()
            .map(|d| d.join("Cargo.toml"))
            .find(|m| m.is_file())
        {
            None => Arc::default(),
            Some(manifest) => {
                let known = self
                    .by_manifest
                    .lock()
                    .ok()
                    .and_then(|m| m.get(&manifest).cloned());
                known.unwrap_or_else(|| {
                    let root = manifest.parent().map(Path::to_path_buf).unwrap_or_default();
                    let p = Arc::new(read_package(&manifest, root, &|root, name| {
                        self.role(root, name)
                    }));
                    if let Ok(mut m) = self.by_manifest.lock() {
                        m.insert(manifest, p.clone());
                    }
                    p
                })
            }
        };
        if let Ok(mut m) = self.by_dir.lock() {
            m.insert(dir.to_path_buf(), package.clone());
        }
        package
    }

    /// What the workspace says of the package `name` at `root` (see
    /// [`crate::workspace`]): a library only its command-line programs use, one only
    /// its tests use.
    fn role(&self, root: &Path, name: &str) -> Role {
        let Some(ws_manifest) = root
            .ancestors()
            .skip(1)
            .map(|d| d.join("Cargo.toml"))
            .find(|m| crate::files::read_text(m).is_ok_and(|t| t.contains("[workspace]")))
        else {
            return Role::default();
        };
        let known = self
            .workspaces
            .lock()
            .ok()
            .and_then(|w| w.get(&ws_manifest).cloned());
        let ws = known.unwrap_or_else(|| {
            let ws = Arc::new(crate::workspace::Workspace::read(&ws_manifest, &|p| {
                crate::files::read_text(p).ok()
            }));
            if let Ok(mut w) = self.workspaces.lock() {
                w.insert(ws_manifest, ws.clone());
            }
            ws
        });
        Role {
            cli_only: ws.is_cli_only(name),
            test_support: ws.is_test_support(name),
            depended_on: ws.is_depended_on(name),
        }
    }

    /// Every package looked up so far.
    pub fn all(&self) -> Vec<Arc<Package>> {
        self.by_manifest
            .lock()
            .map(|m| m.values().cloned().collect())
            .unwrap_or_default()
    }
}

/// A package's place in its workspace.
#[derive(Clone, Copy, Default)]
struct Role {
    cli_only: bool,
    test_support: bool,
    depended_on: bool,
}

fn read_package(manifest: &Path, root: PathBuf, role: &dyn Fn(&Path, &str) -> Role) -> Package {
    use std::hash::BuildHasher;
    let id = rustc_hash::FxBuildHasher.hash_one(&root) as u32;
    let read = |p: &Path| crate::files::read_text(p).ok();
    let text = read(manifest).unwrap_or_default();
    // Parsed once: every fact below reads this table.
    let parsed = text.parse::<toml::Table>();
    let empty = toml::Table::new();
    let value = parsed.as_ref().unwrap_or(&empty);
    let lib_name = value
        .get("lib")
        .and_then(|l| l.get("name"))
        .and_then(|n| n.as_str())
        .or_else(|| {
            value
                .get("package")
                .and_then(|p| p.get("name"))
                .and_then(|n| n.as_str())
        })
        .map(|n| n.replace('-', "_"));
    let has_lib = has_lib(&root, value);
    let name = value
        .get("package")
        .and_then(|p| p.get("name"))
        .and_then(|n| n.as_str());
    let role = match name {
        Some(n) if has_lib => role(&root, n),
        _ => Role::default(),
    };
    // A program with no server, or a library only such programs of its workspace use.
    let is_app = (name.is_some() && is_program_without_server(&root, value)) || role.cli_only;
    Package {
        id,
        runtime: parsed.as_ref().map_or(Runtime::Unknown, runtime_of_table),
        root,
        lib_name,
        is_app,
        binary_only: name.is_some() && !has_lib,
        private_lib: has_lib && unpublished(value) && !role.depended_on,
        unpublished: unpublished(value),
        test_support: role.test_support,
        tokio: parsed
            .as_ref()
            .ok()
            .and_then(|v| crate::crate_facts::CrateTokio::of_table(manifest, v, &read)),
        edition_2015: parsed
            .as_ref()
            .is_ok_and(|v| crate::crate_facts::is_edition_2015_table(manifest, v, &read)),
        if_let_through_else: parsed
            .as_ref()
            .ok()
            .and_then(|v| crate::crate_facts::edition_of_table(manifest, v, &read))
            .is_some_and(|e| e.as_str() < "2024"),
        linked: linked_libraries(value),
    }
}

/// `publish = false` in `[package]`.
pub(crate) fn unpublished(manifest: &toml::Table) -> bool {
    manifest
        .get("package")
        .and_then(|p| p.get("publish"))
        .is_some_and(|p| p.as_bool() == Some(false))
}

/// The code names of the dependencies a manifest takes by path or from its workspace
/// (a workspace's members are path dependencies), for its code and its tests.
fn linked_libraries(manifest: &toml::Table) -> Vec<String> {
    let mut names: Vec<String> = ["dependencies", "dev-dependencies"]
        .iter()
        .flat_map(|section| dependencies(manifest, section))
        .filter(|d| {
            d.spec.get("path").is_some()
                || d.spec.get("workspace").and_then(|w| w.as_bool()) == Some(true)
        })
        .map(|d| d.key.replace('-', "_"))
        .collect();
    names.sort();
    names.dedup();
    names
}

/// Crates that serve requests: every handler of a program that uses one shares the
/// runtime with the others.
const SERVER_CRATES: &[&str] = &[
    "axum",
    "actix-web",
    "actix-http",
    "warp",
    "rocket",
    "poem",
    "salvo",
    "tide",
    "tower-http",
    "ntex",
    "trillium",
    "viz",
    "pingora",
    "hyper",
    "tonic",
    "jsonrpsee",
];

/// WebSocket crates: a client (`connect_async`) as often as a server. A package that
/// depends on one serves only if its sources accept connections with it.
const WEBSOCKET_CRATES: &[&str] = &["tokio-tungstenite", "async-tungstenite"];

/// What a WebSocket server calls to take a connection.
const WEBSOCKET_ACCEPTS: &[&str] = &[
    "accept_async",
    "accept_hdr_async",
    "accept_with_config",
    "accept_hdr_with_config",
    "from_raw_socket",
];

/// One entry of a dependency table (`[dependencies]`, `[dev-dependencies]`).
pub(crate) struct Dependency<'m> {
    /// The name the manifest lists it under (the one features refer to).
    pub key: &'m str,
    /// The package it is: `package = ".."` when renamed, else the key.
    pub package: &'m str,
    pub spec: &'m toml::Value,
}

impl Dependency<'_> {
    pub fn optional(&self) -> bool {
        self.spec
            .get("optional")
            .and_then(|o| o.as_bool())
            .unwrap_or(false)
    }
}

/// The entries of the dependency table `section` of `table` (a manifest, or its
/// `[workspace]`), renamed ones by their package.
pub(crate) fn dependencies<'m>(
    table: &'m toml::Table,
    section: &str,
) -> impl Iterator<Item = Dependency<'m>> {
    table
        .get(section)
        .and_then(|d| d.as_table())
        .into_iter()
        .flatten()
        .map(|(key, spec)| Dependency {
            key,
            package: spec.get("package").and_then(|p| p.as_str()).unwrap_or(key),
            spec,
        })
}

/// Whether the package at `root` has a library target.
pub(crate) fn has_lib(root: &Path, manifest: &toml::Table) -> bool {
    manifest.get("lib").is_some() || root.join("src/lib.rs").is_file()
}

/// A program of its own: a binary target, no library target, and no server crate
/// among its dependencies (a command-line tool).
pub(crate) fn is_program_without_server(root: &Path, manifest: &toml::Table) -> bool {
    let has_bin = manifest.get("bin").is_some()
        || root.join("src/main.rs").is_file()
        || root.join("src/bin").is_dir();
    has_bin && !has_lib(root, manifest) && !depends_on_server(root, manifest)
}

/// Whether the package at `root` serves requests: it depends on a server crate, or on
/// a WebSocket crate whose accepting side its sources call.
pub(crate) fn depends_on_server(root: &Path, manifest: &toml::Table) -> bool {
    let deps = |crates: &[&str]| {
        ["dependencies", "dev-dependencies"]
            .iter()
            .any(|section| dependencies(manifest, section).any(|d| crates.contains(&d.package)))
    };
    deps(SERVER_CRATES) || (deps(WEBSOCKET_CRATES) && accepts_websockets(root))
}

/// Whether a source file of the package (under `src/`) calls a WebSocket accept.
fn accepts_websockets(root: &Path) -> bool {
    walkdir::WalkDir::new(root.join("src"))
        .into_iter()
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "rs"))
        .filter_map(|e| crate::files::read_text(e.path()).ok())
        .any(|text| WEBSOCKET_ACCEPTS.iter().any(|a| text.contains(a)))
}

/// Which async runtime a manifest depends on (tokio first).
pub fn runtime_of_manifest(text: &str) -> Runtime {
    match text.parse::<toml::Table>() {
        Ok(value) => runtime_of_table(&value),
        Err(_) => Runtime::Unknown,
    }
}

/// [`runtime_of_manifest`] of a manifest already parsed.
fn runtime_of_table(value: &toml::Table) -> Runtime {
    let mut deps: Vec<&str> = Vec::new();
    let workspace = value.get("workspace").and_then(|w| w.as_table());
    for section in ["dependencies", "dev-dependencies"] {
        deps.extend(dependencies(value, section).map(|d| d.package));
        deps.extend(
            workspace
                .into_iter()
                .flat_map(|w| dependencies(w, section).map(|d| d.package)),
        );
    }
    if deps.contains(&"tokio") {
        Runtime::Tokio
    } else if deps.contains(&"async-std") {
        Runtime::AsyncStd
    } else if deps.contains(&"smol") {
        Runtime::Smol
    } else {
        Runtime::Unknown
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn module_paths_follow_the_file_layout() {
        let p = Package {
            root: PathBuf::from("/w/app"),
            ..Package::default()
        };
        let m = |f: &str| p.module_of(Path::new(f)).join("::");
        assert_eq!(m("/w/app/src/lib.rs"), "");
        assert_eq!(m("/w/app/src/main.rs"), "");
        assert_eq!(m("/w/app/src/util.rs"), "util");
        assert_eq!(m("/w/app/src/net/mod.rs"), "net");
        assert_eq!(m("/w/app/src/net/conn.rs"), "net::conn");
        assert_eq!(m("/w/app/src/bin/tool.rs"), "");
        assert_eq!(m("/w/app/tests/it.rs"), "");
        assert_eq!(m("/elsewhere/x.rs"), "");
    }
}
