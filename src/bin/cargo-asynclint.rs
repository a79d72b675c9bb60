//! `cargo asynclint [OPTIONS]`: checks the current package (or, from a virtual
//! workspace root, its default members; `--workspace` for every member, `-p NAME` for
//! chosen ones) — each package's target source directories, from `cargo metadata` —
//! with the options of `asynclint check`. `cargo metadata` runs with `--no-deps
//! --offline`: it never builds, never runs a build script and never downloads.

use asynclint::discover::relative;
use std::collections::BTreeSet;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const HELP: &str = "Check the current Cargo package or workspace with asynclint.

Usage: cargo asynclint [OPTIONS]

Packages:
  -p, --package NAME     check this workspace member (repeatable)
      --workspace        check every workspace member
      --manifest-path P  the Cargo.toml to start from
By default: the package in the current directory; from a virtual workspace root, the
default members.

Each package's targets (lib, bins, examples, tests, benches, build script) are
checked; a target whose source lies outside its package is refused (exit 2), so
--fix never writes outside the packages checked. Paths are shown relative to the
current directory. Every other option is one of `asynclint check` (see
`asynclint check --help`).";

/// The package options, split from those passed on to `asynclint check`.
#[derive(Default)]
struct Packages {
    manifest: Option<PathBuf>,
    names: Vec<String>,
    workspace: bool,
}

fn main() {
    let mut args: Vec<OsString> = std::env::args_os().collect();
    // Cargo runs `cargo-asynclint asynclint ...`; run by hand, the word is absent.
    if args.get(1).is_some_and(|a| a == "asynclint") {
        args.remove(1);
    }
    let rest: Vec<OsString> = args.into_iter().skip(1).collect();
    if rest.iter().any(|a| a == "-h" || a == "--help") {
        println!("{HELP}");
        std::process::exit(0);
    }
    let (packages, rest) = match split_package_args(rest) {
        Ok(s) => s,
        Err(e) => fail(&e),
    };
    let (paths, refused) = match source_paths(&packages) {
        Ok(d) => d,
        Err(e) => fail(&e),
    };
    for r in &refused {
        eprintln!("error: {r}");
    }
    if paths.is_empty() {
        // Everything was refused: `check` with no path would check `.`.
        std::process::exit(asynclint::cli::EXIT_FAILURE);
    }
    let mut argv: Vec<OsString> = vec!["asynclint".into(), "check".into()];
    argv.extend(paths.into_iter().map(OsString::from));
    argv.extend(rest);
    let code = asynclint::cli::run_from(argv);
    std::process::exit(if refused.is_empty() {
        code
    } else {
        asynclint::cli::EXIT_FAILURE
    });
}

fn fail(message: &str) -> ! {
    eprintln!("error: {message}");
    std::process::exit(asynclint::cli::EXIT_FAILURE);
}

fn split_package_args(args: Vec<OsString>) -> Result<(Packages, Vec<OsString>), String> {
    let mut p = Packages::default();
    let mut rest = Vec::new();
    let mut it = args.into_iter();
    while let Some(a) = it.next() {
        let s = a.to_string_lossy().into_owned();
        let mut value = |flag: &str| {
            it.next()
                .map(|v| v.to_string_lossy().into_owned())
                .ok_or(format!("{flag} needs a value"))
        };
        if s == "--" {
            rest.push(a);
            rest.extend(it);
            break;
        } else if s == "--manifest-path" {
            p.manifest = Some(PathBuf::from(value("--manifest-path")?));
        } else if let Some(v) = s.strip_prefix("--manifest-path=") {
            p.manifest = Some(PathBuf::from(v));
        } else if s == "-p" || s == "--package" {
            p.names.push(value("--package")?);
        } else if let Some(v) = s.strip_prefix("--package=") {
            p.names.push(v.to_string());
        } else if let Some(v) = s.strip_prefix("-p").filter(|v| !v.is_empty()) {
            p.names.push(v.to_string());
        } else if s == "--workspace" || s == "--all" {
            p.workspace = true;
        } else {
            rest.push(a);
        }
    }
    Ok((p, rest))
}

fn metadata(manifest: Option<&Path>) -> Result<serde_json::Value, String> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.args([
        "metadata",
        "--format-version",
        "1",
        "--no-deps",
        "--offline",
    ]);
    if let Some(m) = manifest {
        cmd.arg("--manifest-path").arg(m);
    }
    let out = cmd
        .output()
        .map_err(|e| format!("cannot run `cargo metadata`: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "`cargo metadata` failed:\n{}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    serde_json::from_slice(&out.stdout)
        .map_err(|e| format!("cannot read `cargo metadata` output: {e}"))
}

fn canonical(p: &Path) -> PathBuf {
    std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf())
}

/// The manifest `cargo` would start from: `--manifest-path`, else the nearest
/// `Cargo.toml` from the current directory up.
fn start_manifest(p: &Packages, cwd: &Path) -> Option<PathBuf> {
    match &p.manifest {
        Some(m) => Some(canonical(m)),
        None => cwd
            .ancestors()
            .map(|d| d.join("Cargo.toml"))
            .find(|m| m.is_file())
            .map(|m| canonical(&m)),
    }
}

/// The paths to check (each package's target directories, outermost only, and its
/// build script) relative to the current directory, and the targets refused.
fn source_paths(p: &Packages) -> Result<(Vec<PathBuf>, Vec<String>), String> {
    let meta = metadata(p.manifest.as_deref())?;
    let ids = |key: &str| -> BTreeSet<String> {
        meta[key]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default()
    };
    let members = ids("workspace_members");
    let members: Vec<&serde_json::Value> = meta["packages"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|pkg| pkg["id"].as_str().is_some_and(|id| members.contains(id)))
        .collect();
    let cwd = canonical(&std::env::current_dir().unwrap_or_default());
    let name_of = |pkg: &serde_json::Value| pkg["name"].as_str().unwrap_or("").to_string();
    let selected: Vec<&serde_json::Value> = if p.workspace {
        members.clone()
    } else if !p.names.is_empty() {
        let mut out = Vec::new();
        for name in &p.names {
            match members.iter().find(|m| name_of(m) == *name) {
                Some(m) => out.push(*m),
                None => {
                    let known: Vec<String> = members.iter().map(|m| name_of(m)).collect();
                    return Err(format!(
                        "package `{name}` is not a member of the workspace (members: {})",
                        known.join(", ")
                    ));
                }
            }
        }
        out
    } else {
        let start = start_manifest(p, &cwd);
        let current = members.iter().find(|m| {
            m["manifest_path"]
                .as_str()
                .is_some_and(|mp| Some(canonical(Path::new(mp))) == start)
        });
        match current {
            Some(m) => vec![*m],
            None => {
                // A virtual workspace root: its default members, else every member.
                let defaults = ids("workspace_default_members");
                let d: Vec<&serde_json::Value> = members
                    .iter()
                    .copied()
                    .filter(|m| m["id"].as_str().is_some_and(|id| defaults.contains(id)))
                    .collect();
                if d.is_empty() {
                    members.clone()
                } else {
                    d
                }
            }
        }
    };

    let mut dirs: BTreeSet<PathBuf> = BTreeSet::new();
    let mut files: BTreeSet<PathBuf> = BTreeSet::new();
    let mut refused = Vec::new();
    for pkg in selected {
        let Some(root) = pkg["manifest_path"]
            .as_str()
            .and_then(|m| Path::new(m).parent())
            .map(canonical)
        else {
            continue;
        };
        for target in pkg["targets"].as_array().into_iter().flatten() {
            let Some(src) = target["src_path"].as_str().map(Path::new) else {
                continue;
            };
            let src = canonical(src);
            if !src.starts_with(&root) {
                refused.push(format!(
                    "package `{}`: target `{}` has its source at {}, outside the package \
                     ({}); it is not checked, so that nothing outside the package is read \
                     or rewritten",
                    name_of(pkg),
                    target["name"].as_str().unwrap_or("?"),
                    src.display(),
                    root.display()
                ));
                continue;
            }
            let build_script = target["kind"]
                .as_array()
                .is_some_and(|k| k.iter().any(|k| k == "custom-build"));
            if build_script {
                files.insert(src);
            } else if let Some(dir) = src.parent() {
                dirs.insert(dir.to_path_buf());
            }
        }
    }
    // `src/bin` is inside `src`: keep the outermost directories, and files outside
    // every directory kept.
    let outer: Vec<PathBuf> = dirs
        .iter()
        .filter(|d| !dirs.iter().any(|o| o != *d && d.starts_with(o)))
        .cloned()
        .collect();
    let files = files
        .into_iter()
        .filter(|f| !outer.iter().any(|d| f.starts_with(d)));
    let paths: Vec<PathBuf> = outer
        .iter()
        .cloned()
        .chain(files)
        .map(|p| {
            let rel = relative(&p, &cwd);
            if rel.as_os_str().is_empty() {
                PathBuf::from(".")
            } else {
                rel
            }
        })
        .collect();
    if paths.is_empty() && refused.is_empty() {
        return Err("`cargo metadata` lists no source directories".into());
    }
    Ok((paths, refused))
}
