//! Finding the files to check.

use rayon::prelude::*;
use std::path::{Path, PathBuf};
use walkdir::WalkDir;

pub struct Discovered {
    /// Files to check, sorted, each with the path as reached from the arguments.
    pub files: Vec<PathBuf>,
    /// Paths that do not exist or could not be walked, with the reason.
    pub errors: Vec<(String, String)>,
}

/// Walks `paths` for `*.rs` files. Directories: hidden ones and Cargo build
/// directories are skipped; symbolic links are followed, and a link that loops back
/// to an ancestor is reported, not followed. A file named explicitly is always checked.
pub fn discover(paths: &[PathBuf], exclude: &dyn Fn(&Path) -> bool) -> Discovered {
    let mut files = Vec::new();
    let mut errors = Vec::new();
    for root in paths {
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
        let walker = WalkDir::new(root)
            .follow_links(true)
            .into_iter()
            .filter_entry(|e| e.depth() == 0 || !(skip_dir(e) || exclude(e.path())));
        for entry in walker {
            match entry {
                Ok(e) => {
                    if e.file_type().is_file() && e.path().extension().is_some_and(|x| x == "rs") {
                        files.push(e.into_path());
                    }
                }
                Err(err) => {
                    let path = err
                        .path()
                        .map(crate::files::display)
                        .unwrap_or_else(|| crate::files::display(root));
                    let message = match err.loop_ancestor() {
                        Some(a) => {
                            format!("symbolic link loops back to {}; not followed", a.display())
                        }
                        None => err
                            .io_error()
                            .map(|e| e.to_string())
                            .unwrap_or_else(|| err.to_string()),
                    };
                    errors.push((path, message));
                }
            }
        }
    }
    files.sort();
    files.dedup();
    errors.sort();
    Discovered { files, errors }
}

fn skip_dir(e: &walkdir::DirEntry) -> bool {
    if !e.file_type().is_dir() {
        return false;
    }
    let name = e.file_name().to_string_lossy();
    if name.starts_with('.') {
        return true;
    }
    // A Cargo build directory, not a source module that happens to be named `target`.
    name == "target"
        && (e.path().join("CACHEDIR.TAG").exists() || e.path().join(".rustc_info.json").exists())
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
