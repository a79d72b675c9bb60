//! The learner's directory: a Cargo workspace of the started exercises, and the
//! progress file beside it.
//!
//! ```text
//! DIR/Cargo.toml              the workspace (rewritten when an exercise starts)
//! DIR/Cargo.lock              the dependency versions the exercises were written for
//! DIR/asynclint-learn.toml    progress: current exercise, done, hints shown
//! DIR/NN-name/                one exercise: Cargo.toml, README.md, src/lib.rs,
//!                             tests/behaviour.rs
//! ```

use super::{manifest, Exercise, Layout, DEPENDENCIES};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The progress file's name in the learner's directory.
pub const PROGRESS_FILE: &str = "asynclint-learn.toml";
/// The first line of the workspace manifest asynclint writes; a `Cargo.toml` without it
/// belongs to someone else and is never overwritten.
const MARKER: &str = "# Written by `asynclint learn`";
/// The versions the exercises are tested with (the registry entries of
/// `learn/Cargo.lock`; a test keeps them equal).
pub const LOCKFILE: &str = include_str!("workspace.lock");

#[derive(Serialize, Deserialize, Default, Debug, PartialEq)]
pub struct Progress {
    /// The exercise `hint`, `check` and `solution` act on when no number is given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current: Option<usize>,
    #[serde(default)]
    pub started: Vec<usize>,
    #[serde(default)]
    pub done: Vec<usize>,
    /// How many hints each exercise has shown, by number.
    #[serde(default)]
    pub hints: BTreeMap<String, usize>,
    /// Exercises whose solution was shown before they were done.
    #[serde(default)]
    pub solution_seen: Vec<usize>,
}

impl Progress {
    pub fn load(dir: &Path) -> Result<Progress, String> {
        let path = dir.join(PROGRESS_FILE);
        match std::fs::read_to_string(&path) {
            Ok(text) => toml::from_str(&text)
                .map_err(|e| format!("{} is not a progress file: {e}", path.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Progress::default()),
            Err(e) => Err(format!("cannot read {}: {e}", path.display())),
        }
    }

    pub fn save(&self, dir: &Path) -> Result<(), String> {
        let text = toml::to_string(self).map_err(|e| e.to_string())?;
        write_file(&dir.join(PROGRESS_FILE), &text)
    }

    pub fn mark(list: &mut Vec<usize>, number: usize) {
        if !list.contains(&number) {
            list.push(number);
            list.sort_unstable();
        }
    }

    pub fn hints_shown(&self, number: usize) -> usize {
        self.hints.get(&number.to_string()).copied().unwrap_or(0)
    }
}

/// Where exercise `ex` lives in the learner's directory.
pub fn exercise_dir(dir: &Path, ex: &Exercise) -> PathBuf {
    dir.join(ex.files.dir)
}

fn write_file(path: &Path, text: &str) -> Result<(), String> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
    }
    std::fs::write(path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// The workspace manifest over the started exercises.
fn workspace_manifest(started: &[&Exercise]) -> String {
    let mut out = format!(
        "{MARKER}: each started exercise is a member.\n[workspace]\nresolver = \"2\"\nmembers = [\n"
    );
    for ex in started {
        out.push_str(&format!("    \"{}\",\n", ex.files.dir));
    }
    out.push_str("]\n\n[workspace.dependencies]\n");
    out.push_str(DEPENDENCIES);
    out
}

/// The README the learner reads: the scenario, the question to answer before looking
/// closely, and how to go on.
pub fn readme(ex: &Exercise) -> String {
    format!(
        "{}\n## Predict first\n\n{}\n\nWrite your answer down, then read `src/lib.rs`. \
         `asynclint learn hint` gives a hint; `asynclint learn check` runs the behaviour \
         test in `tests/behaviour.rs` and asynclint.\n",
        ex.files.readme.trim_end(),
        ex.meta.question
    )
}

/// Writes exercise `ex` into `dir` (unless it is already there, when `reset` is false)
/// and makes it a member of the workspace. Returns whether files were written.
pub fn start(
    dir: &Path,
    ex: &Exercise,
    progress: &mut Progress,
    reset: bool,
) -> Result<bool, String> {
    let manifest_path = dir.join("Cargo.toml");
    match std::fs::read_to_string(&manifest_path) {
        Ok(text) if !text.starts_with(MARKER) => {
            return Err(format!(
                "{} belongs to another project; give `--dir` an empty directory of its own",
                manifest_path.display()
            ))
        }
        _ => {}
    }
    let target = exercise_dir(dir, ex);
    let fresh = reset || !target.exists();
    if fresh {
        write_file(&target.join("Cargo.toml"), &manifest(ex, Layout::Learner))?;
        write_file(&target.join("README.md"), &readme(ex))?;
        write_file(&target.join("src/lib.rs"), ex.files.lib)?;
        write_file(&target.join("tests/behaviour.rs"), ex.files.test)?;
    }
    Progress::mark(&mut progress.started, ex.number);
    progress.current = Some(ex.number);
    let started: Vec<&Exercise> = progress
        .started
        .iter()
        .filter_map(|&n| super::get(n))
        .collect();
    write_file(&manifest_path, &workspace_manifest(&started))?;
    let lock = dir.join("Cargo.lock");
    if !lock.exists() {
        write_file(&lock, LOCKFILE)?;
    }
    progress.save(dir)?;
    Ok(fresh)
}
