//! What a run reports on, when not everything it reads: the files changed since a
//! git revision (`--changed-since`), or one file given on stdin (`--stdin-filename`).
//! Either way the whole crate is read and indexed, so cross-file findings in the
//! reported files are never lost.

use crate::discover::key;
use crate::engine::Report;
use rustc_hash::FxHashSet as HashSet;
use std::path::{Path, PathBuf};
use std::process::Command;

fn git(dir: &Path, args: &[&str]) -> Result<Vec<u8>, String> {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .map_err(|e| format!("cannot run git: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "`git {}` failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(out.stdout)
}

fn nul_separated(bytes: &[u8]) -> impl Iterator<Item = &str> {
    bytes
        .split(|b| *b == 0)
        .filter(|p| !p.is_empty())
        .filter_map(|p| std::str::from_utf8(p).ok())
}

/// The files changed since `reference` in the git repository holding `dir`: those
/// `git diff REF` lists (committed, staged or not) and untracked files that are not
/// ignored. Keys as [`key`] makes them; deleted files are left out.
pub fn changed_since(dir: &Path, reference: &str) -> Result<HashSet<PathBuf>, String> {
    let top = git(dir, &["rev-parse", "--show-toplevel"])?;
    let top = PathBuf::from(String::from_utf8_lossy(&top).trim());
    // `--end-of-options` keeps a reference that starts with `-` from being an option.
    let diff = git(
        &top,
        &[
            "diff",
            "--name-only",
            "-z",
            "--no-renames",
            "--end-of-options",
            reference,
            "--",
        ],
    )?;
    let untracked = git(
        &top,
        &[
            "ls-files",
            "--others",
            "--exclude-standard",
            "-z",
            "--full-name",
        ],
    )?;
    Ok(nul_separated(&diff)
        .chain(nul_separated(&untracked))
        .map(|p| top.join(p))
        .filter(|p| p.exists())
        .map(|p| key(&p))
        .collect())
}

/// The root of the package holding `file`: the nearest directory above it with a
/// `Cargo.toml`.
pub fn package_root(file: &Path) -> Option<PathBuf> {
    let abs = std::path::absolute(file).ok()?;
    abs.parent()?
        .ancestors()
        .find(|d| d.join("Cargo.toml").is_file())
        .map(Path::to_path_buf)
}

/// Keeps the findings (and their sources) in files whose key `keep` accepts, and
/// the errors that `keep_error` accepts.
pub fn retain(
    report: &mut Report,
    keep: &dyn Fn(&Path) -> bool,
    keep_error: &dyn Fn(&str) -> bool,
) {
    let mut memo: rustc_hash::FxHashMap<String, bool> = Default::default();
    let mut kept = |path: &str| {
        *memo
            .entry(path.to_string())
            .or_insert_with(|| keep(&key(Path::new(path))))
    };
    report.findings.retain(|f| kept(&f.path));
    report.sources.retain(|(p, _)| kept(p));
    report.errors.retain(|e| keep_error(&e.path));
}
