//! Finding the files to check.

use rayon::prelude::*;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

/// Whether a path (file or directory, as reached from the arguments) is excluded.
pub type Exclude = Arc<dyn Fn(&Path) -> bool + Send + Sync>;

/// How to walk.
#[derive(Clone)]
pub struct Walk {
    /// Configured excludes; a directory excluded is not entered.
    pub exclude: Exclude,
    /// Honour `.gitignore` (in a git repository), `.git/info/exclude` and `.ignore`.
    pub respect_ignore: bool,
    /// Files to check even though they may not exist on disk (their text is given).
    pub extra_files: Vec<PathBuf>,
}

impl Default for Walk {
    fn default() -> Self {
        Walk {
            exclude: Arc::new(|_| false),
            respect_ignore: true,
            extra_files: Vec::new(),
        }
    }
}

pub struct Discovered {
    /// Files to check, sorted, each once (by its canonical path) with the path as
    /// first reached from the arguments.
    pub files: Vec<PathBuf>,
    /// Paths that do not exist or could not be walked, with the reason.
    pub errors: Vec<(String, String)>,
}

/// The file's path made absolute and free of symbolic links and `.`/`..`: two paths
/// with one key are one file. A path that does not exist keeps its name under its
/// directory's key.
pub fn key(path: &Path) -> PathBuf {
    if let Ok(p) = std::fs::canonicalize(path) {
        return p;
    }
    if let (Some(parent), Some(name)) = (path.parent(), path.file_name()) {
        let parent = if parent.as_os_str().is_empty() {
            Path::new(".")
        } else {
            parent
        };
        if let Ok(p) = std::fs::canonicalize(parent) {
            return p.join(name);
        }
    }
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

/// `path` relative to `base` (both absolute), with `..` where it lies outside.
pub fn relative(path: &Path, base: &Path) -> PathBuf {
    let mut p = path.components().peekable();
    let mut b = base.components().peekable();
    while let (Some(x), Some(y)) = (p.peek(), b.peek()) {
        if x != y {
            break;
        }
        p.next();
        b.next();
    }
    let mut out = PathBuf::new();
    for c in b {
        if !matches!(c, Component::CurDir) {
            out.push("..");
        }
    }
    out.extend(p);
    out
}

/// Walks `paths` for `*.rs` files. Directories: hidden ones, Cargo build directories
/// and (unless turned off) what `.gitignore`/`.ignore` list are skipped; symbolic
/// links are followed, and a link that loops back to an ancestor is reported, not
/// followed. A file named explicitly is always checked.
pub fn discover(paths: &[PathBuf], walk: &Walk) -> Discovered {
    let mut files = Vec::new();
    let mut errors = Vec::new();
    files.extend(walk.extra_files.iter().cloned());
    for root in paths {
        if walk.extra_files.contains(root) {
            continue;
        }
        if !root.exists() {
            errors.push((
                crate::files::display(root),
                "no such file or directory".into(),
            ));
            continue;
        }
        if !root.is_dir() {
            // A file named explicitly, or a FIFO or device: reading tells which.
            files.push(root.clone());
            continue;
        }
        let exclude = walk.exclude.clone();
        let walker = ignore::WalkBuilder::new(root)
            .follow_links(true)
            .hidden(false)
            .parents(walk.respect_ignore)
            .ignore(walk.respect_ignore)
            .git_ignore(walk.respect_ignore)
            .git_exclude(walk.respect_ignore)
            .git_global(false)
            .filter_entry(move |e| e.depth() == 0 || !(skip_dir(e) || exclude(e.path())))
            .build();
        for entry in walker {
            match entry {
                Ok(e) => {
                    if e.file_type().is_some_and(|t| t.is_file())
                        && e.path().extension().is_some_and(|x| x == "rs")
                        && !is_compile_fail_case(e.path())
                    {
                        files.push(e.into_path());
                    }
                }
                Err(err) => {
                    if let Some((path, message)) = describe(&err) {
                        errors.push((path.unwrap_or_else(|| crate::files::display(root)), message));
                    }
                }
            }
        }
    }
    // One entry per file, whatever path reached it first (`check p ./p`).
    let mut seen = rustc_hash::FxHashSet::default();
    let keys: Vec<PathBuf> = files.par_iter().map(|f| key(f)).collect();
    let mut unique: Vec<PathBuf> = files
        .into_iter()
        .zip(keys)
        .filter_map(|(f, k)| seen.insert(k).then_some(f))
        .collect();
    unique.sort();
    unique.dedup();
    errors.sort();
    errors.dedup();
    Discovered {
        files: unique,
        errors,
    }
}

/// A walk error as `(path, message)`; `None` for a problem in an ignore file, which
/// is not ours to report (git itself skips a bad pattern).
fn describe(err: &ignore::Error) -> Option<(Option<String>, String)> {
    match err {
        ignore::Error::WithPath { path, err } => {
            let (_, message) = describe(err)?;
            Some((Some(crate::files::display(path)), message))
        }
        ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
            describe(err)
        }
        ignore::Error::Loop { ancestor, child } => Some((
            Some(crate::files::display(child)),
            format!(
                "symbolic link loops back to {}; not followed",
                crate::files::display(ancestor)
            ),
        )),
        ignore::Error::Io(e) => Some((None, e.to_string())),
        ignore::Error::Partial(_) | ignore::Error::Glob { .. } => None,
        other => Some((None, other.to_string())),
    }
}

/// A compile-fail case of a UI test suite (trybuild, compiletest): a file under
/// `tests/` with the compiler's expected errors beside it (`x.rs` and `x.stderr`).
/// The code is written not to compile, so it never runs: found by a directory walk,
/// it is not checked (named on the command line, it is).
fn is_compile_fail_case(path: &Path) -> bool {
    path.components().any(|c| c.as_os_str() == "tests") && path.with_extension("stderr").is_file()
}

fn skip_dir(e: &ignore::DirEntry) -> bool {
    if !e.file_type().is_some_and(|t| t.is_dir()) {
        return false;
    }
    let name = e.file_name().to_string_lossy();
    if name.starts_with('.') {
        return true;
    }
    // A Cargo build directory, not a source module that happens to be named `target`.
    if name == "target" {
        return e.path().join("CACHEDIR.TAG").exists()
            || e.path().join(".rustc_info.json").exists();
    }
    // Third-party packages copied in (`cargo vendor`, a patched fork): a `vendor/` whose
    // subdirectories are packages, not a source module named `vendor`.
    name == "vendor" && holds_packages(e.path())
}

/// Whether a directory has a subdirectory with a `Cargo.toml`.
fn holds_packages(dir: &Path) -> bool {
    std::fs::read_dir(dir).is_ok_and(|entries| {
        entries
            .flatten()
            .any(|d| d.path().join("Cargo.toml").is_file())
    })
}

/// `files` in the order to analyse them, largest first: a large file started last
/// would leave the other threads idle while it finishes. Sizes are read in the
/// current rayon pool; an unreadable file counts as empty.
pub fn largest_first<'p>(files: impl IntoParallelIterator<Item = &'p PathBuf>) -> Vec<&'p PathBuf> {
    let mut by_size: Vec<(u64, &PathBuf)> = files
        .into_par_iter()
        .map(|p| (std::fs::metadata(p).map_or(0, |m| m.len()), p))
        .collect();
    by_size.sort_unstable_by(|a, b| b.cmp(a));
    by_size.into_iter().map(|(_, p)| p).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths() {
        let r = |p: &str, b: &str| relative(Path::new(p), Path::new(b));
        assert_eq!(r("/a/b/c.rs", "/a"), PathBuf::from("b/c.rs"));
        assert_eq!(r("/a/b/c.rs", "/a/x/y"), PathBuf::from("../../b/c.rs"));
        assert_eq!(r("/a/b.rs", "/a/b.rs"), PathBuf::new());
    }
}
