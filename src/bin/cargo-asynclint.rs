//! `cargo asynclint [OPTIONS]`: checks the current package or workspace — every
//! member's source directories, from `cargo metadata` — with the options of
//! `asynclint check`.

use std::collections::BTreeSet;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let mut args: Vec<OsString> = std::env::args_os().collect();
    // Cargo runs `cargo-asynclint asynclint ...`; run by hand, the word is absent.
    if args.get(1).is_some_and(|a| a == "asynclint") {
        args.remove(1);
    }
    let rest: Vec<OsString> = args.into_iter().skip(1).collect();
    if rest.iter().any(|a| a == "-h" || a == "--help") {
        println!(
            "Check the current Cargo package or workspace with asynclint.\n\n\
             Usage: cargo asynclint [OPTIONS]\n\n\
             Every workspace member's source directories (its lib, bins, examples, tests and\n\
             benches) are checked. OPTIONS are those of `asynclint check` (see\n\
             `asynclint check --help`), plus --manifest-path PATH."
        );
        std::process::exit(0);
    }
    let (manifest, rest) = split_manifest_path(rest);
    let dirs = match source_dirs(manifest.as_deref()) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(asynclint::cli::EXIT_FAILURE);
        }
    };
    let mut argv: Vec<OsString> = vec!["asynclint".into(), "check".into()];
    argv.extend(dirs.into_iter().map(OsString::from));
    argv.extend(rest);
    std::process::exit(asynclint::cli::run_from(argv));
}

fn split_manifest_path(args: Vec<OsString>) -> (Option<PathBuf>, Vec<OsString>) {
    let mut manifest = None;
    let mut rest = Vec::new();
    let mut it = args.into_iter();
    while let Some(a) = it.next() {
        let s = a.to_string_lossy();
        if s == "--manifest-path" {
            manifest = it.next().map(PathBuf::from);
        } else if let Some(v) = s.strip_prefix("--manifest-path=") {
            manifest = Some(PathBuf::from(v));
        } else {
            rest.push(a);
        }
    }
    (manifest, rest)
}

/// The directories holding each workspace member's targets, outermost only.
fn source_dirs(manifest: Option<&Path>) -> Result<Vec<PathBuf>, String> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.args(["metadata", "--format-version", "1", "--no-deps"]);
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
    let meta: serde_json::Value = serde_json::from_slice(&out.stdout)
        .map_err(|e| format!("cannot read `cargo metadata` output: {e}"))?;
    let members: BTreeSet<&str> = meta["workspace_members"]
        .as_array()
        .map(|a| a.iter().filter_map(|v| v.as_str()).collect())
        .unwrap_or_default();
    let cwd = std::env::current_dir().unwrap_or_default();
    let mut dirs: BTreeSet<PathBuf> = BTreeSet::new();
    for pkg in meta["packages"].as_array().into_iter().flatten() {
        if !pkg["id"].as_str().is_some_and(|id| members.contains(id)) {
            continue;
        }
        for target in pkg["targets"].as_array().into_iter().flatten() {
            if let Some(src) = target["src_path"].as_str() {
                if let Some(dir) = Path::new(src).parent() {
                    let dir = dir
                        .strip_prefix(&cwd)
                        .map(Path::to_path_buf)
                        .unwrap_or(dir.to_path_buf());
                    dirs.insert(if dir.as_os_str().is_empty() {
                        PathBuf::from(".")
                    } else {
                        dir
                    });
                }
            }
        }
    }
    // `src/bin` is inside `src`: keep the outermost directories only.
    let all: Vec<PathBuf> = dirs.into_iter().collect();
    let outer: Vec<PathBuf> = all
        .iter()
        .filter(|d| !all.iter().any(|o| o != *d && d.starts_with(o)))
        .cloned()
        .collect();
    if outer.is_empty() {
        return Err("`cargo metadata` lists no source directories".into());
    }
    Ok(outer)
}
