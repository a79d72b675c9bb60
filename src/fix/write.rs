//! Replacing a source file with its fixed text, atomically and without side effects:
//! the new text goes to a temporary file in the same directory, gets the original's
//! owner and mode, and is renamed over it, so a killed run leaves the old file or the
//! new one, never a mix. A symbolic link is written through to its target when that
//! lies inside the checked paths (and refused otherwise); a file with several hard
//! links, a read-only file, or one whose owner cannot be kept is left alone, with the
//! reason. Temporary files are named `.asynclint-fix-<pid>-XXXXXX.tmp`; those of a run
//! that was killed are removed by the next `--fix`.

use std::io::Write;
use std::path::{Path, PathBuf};

const TEMP_PREFIX: &str = ".asynclint-fix-";
const TEMP_SUFFIX: &str = ".tmp";

/// Why a file was not written.
#[derive(Debug)]
pub enum WriteError {
    /// Writing would have side effects the file's owner did not ask for.
    Refused(String),
    Io(std::io::Error),
}

impl From<std::io::Error> for WriteError {
    fn from(e: std::io::Error) -> Self {
        WriteError::Io(e)
    }
}

/// The canonical forms of the checked paths: a link is written through only to a
/// target under one of them.
pub fn canonical_roots(paths: &[PathBuf]) -> Vec<PathBuf> {
    paths.iter().filter_map(|p| p.canonicalize().ok()).collect()
}

/// Replaces the file at `path` with `text`. See the module documentation.
pub fn replace(path: &Path, text: &str, roots: &[PathBuf]) -> Result<(), WriteError> {
    let link = std::fs::symlink_metadata(path)?;
    let target = if link.file_type().is_symlink() {
        let target = path.canonicalize()?;
        if !roots.iter().any(|r| target.starts_with(r)) {
            return Err(WriteError::Refused(format!(
                "is a symbolic link to {}, outside the checked paths; not fixed",
                crate::files::display(&target)
            )));
        }
        target
    } else {
        path.to_path_buf()
    };
    let meta = std::fs::metadata(&target)?;
    if !meta.is_file() {
        return Err(WriteError::Refused(
            "is not a regular file; not fixed".into(),
        ));
    }
    if meta.permissions().readonly() {
        return Err(WriteError::Refused("is read-only; not fixed".into()));
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        if meta.nlink() > 1 {
            return Err(WriteError::Refused(format!(
                "has {} hard links, which replacing it would split; not fixed",
                meta.nlink()
            )));
        }
    }
    let dir = target
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut tmp = tempfile::Builder::new()
        .prefix(&format!("{TEMP_PREFIX}{}-", std::process::id()))
        .suffix(TEMP_SUFFIX)
        .tempfile_in(dir)?;
    tmp.write_all(text.as_bytes())?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let mine = tmp.as_file().metadata()?;
        if (mine.uid(), mine.gid()) != (meta.uid(), meta.gid())
            && std::os::unix::fs::fchown(tmp.as_file(), Some(meta.uid()), Some(meta.gid())).is_err()
        {
            return Err(WriteError::Refused(format!(
                "belongs to user {} and group {}, which the fixed file could not keep; not fixed",
                meta.uid(),
                meta.gid()
            )));
        }
    }
    // After the owner: a change of owner clears the set-id bits.
    std::fs::set_permissions(tmp.path(), meta.permissions())?;
    tmp.as_file().sync_all()?;
    tmp.persist(&target).map_err(|e| e.error)?;
    Ok(())
}

/// Removes the temporary files a killed `--fix` left under `paths` (directories
/// walked as discovery walks them; a file's own directory): those whose run is over.
/// Returns how many were removed.
pub fn remove_stale_temps(paths: &[PathBuf]) -> usize {
    let mut removed = 0;
    for root in paths {
        let (dir, depth) = if root.is_dir() {
            (root.as_path(), usize::MAX)
        } else {
            let parent = root
                .parent()
                .filter(|d| !d.as_os_str().is_empty())
                .unwrap_or(Path::new("."));
            (parent, 1)
        };
        let walk = walkdir::WalkDir::new(dir)
            .max_depth(depth)
            .into_iter()
            .filter_entry(|e| {
                e.depth() == 0
                    || !e.file_type().is_dir()
                    || !(e.file_name().to_string_lossy().starts_with('.')
                        || e.path().join("CACHEDIR.TAG").exists())
            });
        for e in walk.filter_map(Result::ok) {
            if e.file_type().is_file() && is_stale_temp(&e.file_name().to_string_lossy()) {
                removed += usize::from(std::fs::remove_file(e.path()).is_ok());
            }
        }
    }
    removed
}

/// Whether `name` is one of our temporary files whose process is gone.
fn is_stale_temp(name: &str) -> bool {
    let Some(rest) = name
        .strip_prefix(TEMP_PREFIX)
        .and_then(|r| r.strip_suffix(TEMP_SUFFIX))
    else {
        return false;
    };
    let Some(pid) = rest.split('-').next().and_then(|p| p.parse::<u32>().ok()) else {
        return false;
    };
    // Without /proc there is no telling whether the run is over: keep the file.
    pid != std::process::id()
        && Path::new("/proc/self").exists()
        && !Path::new("/proc").join(pid.to_string()).exists()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_temps_of_finished_runs_are_stale() {
        assert!(
            is_stale_temp(".asynclint-fix-4000000000-abc123.tmp") || !cfg!(target_os = "linux")
        );
        let mine = format!(".asynclint-fix-{}-abc123.tmp", std::process::id());
        assert!(!is_stale_temp(&mine));
        assert!(!is_stale_temp(".tmpabc123"));
        assert!(!is_stale_temp(".asynclint-fix-x-abc.tmp"));
    }
}
