//! `--fix`, `--diff` and `--unsafe-fixes`: apply the fixes of a report to the files.
//!
//! Two tiers: machine-applicable fixes cannot change what the code does or whether it
//! builds, and `--fix` applies them; maybe-incorrect ones are right in most code but
//! can change behaviour, and only `--unsafe-fixes` adds them. Per file: the edits of
//! every fix of the chosen tiers, skipping a fix that overlaps one already taken (a
//! fix is applied whole or not at all), in one pass; then imports the fixes left
//! unused are removed ([`imports`]). The result is parsed again; a file whose fixed
//! text would not parse is left untouched and reported. Writing ([`write`]) is atomic
//! and keeps the file's owner, mode and links. `--diff` prints the same changes as a
//! unified diff and writes nothing.

pub mod imports;
pub mod write;

use crate::diagnostic::{Applicability, Fix};
use crate::engine::{FileError, Report};
use crate::source::TextRange;
use std::collections::BTreeMap;
use std::path::PathBuf;

#[derive(Debug, Default)]
pub struct Outcome {
    /// Files rewritten (or, with `--diff`, that would be), with the number of fixes
    /// applied to each.
    pub fixed: Vec<(String, usize)>,
    pub errors: Vec<FileError>,
    /// Files left alone on purpose (read-only, hard-linked, ...): path and reason.
    pub skipped: Vec<(String, String)>,
    /// With `--diff`: each changed file's path, old text and new text.
    pub diffs: Vec<(String, String, String)>,
    /// Temporary files of killed runs removed.
    pub stale_removed: usize,
}

impl Outcome {
    pub fn total(&self) -> usize {
        self.fixed.iter().map(|(_, n)| n).sum()
    }
}

/// How to apply fixes.
#[derive(Debug, Default)]
pub struct Mode {
    /// Also apply maybe-incorrect fixes.
    pub unsafe_fixes: bool,
    /// Compute the changes only (`--diff`): write nothing.
    pub dry_run: bool,
    /// The checked paths: a symbolic link is written through only to a target inside
    /// them, and stale temporary files are looked for under them.
    pub roots: Vec<PathBuf>,
}

/// Applies the fixes of `report` to the files on disk.
pub fn apply(report: &Report, mode: &Mode) -> Outcome {
    let wanted = |a: Applicability| match a {
        Applicability::MachineApplicable => true,
        Applicability::MaybeIncorrect => mode.unsafe_fixes,
    };
    let mut by_file: BTreeMap<&str, Vec<&Fix>> = BTreeMap::new();
    for f in &report.findings {
        if let Some(fix) = &f.diagnostic.fix {
            if wanted(fix.applicability) && !fix.edits.is_empty() {
                by_file.entry(&f.path).or_default().push(fix);
            }
        }
    }
    let mut outcome = Outcome::default();
    if !mode.dry_run {
        outcome.stale_removed = write::remove_stale_temps(&mode.roots);
    }
    let roots = write::canonical_roots(&mode.roots);
    for (path, fixes) in by_file {
        let Some(original) = report.source(path) else {
            continue;
        };
        let fail = |message: String| FileError {
            path: path.to_string(),
            message,
            position: None,
        };
        let real = crate::files::path_of(path);
        match crate::files::read_text(&real) {
            Ok(now) if now == **original => {}
            Ok(_) => {
                outcome.errors.push(fail(
                    "file changed while it was being checked; not fixed".into(),
                ));
                continue;
            }
            Err(e) => {
                outcome
                    .errors
                    .push(fail(format!("cannot read file to fix it: {e}")));
                continue;
            }
        }
        let (text, applied) = apply_edits(original, &fixes);
        if applied.is_empty() {
            continue;
        }
        let mut names: Vec<&str> = applied
            .iter()
            .flat_map(|f| &f.edits)
            .filter_map(|e| original.get(e.range.start..e.range.end))
            .filter_map(imports::leading_name)
            .collect();
        names.sort_unstable();
        names.dedup();
        let text = match imports::remove_unused(original, &text, &names) {
            Ok(t) => t,
            Err(why) => {
                outcome
                    .skipped
                    .push((path.to_string(), format!("{why}; not fixed")));
                continue;
            }
        };
        if let Err(e) = crate::engine::analyze_source(path, &text, &[]) {
            outcome.errors.push(fail(format!(
                "fixing would leave the file unparsable ({}); left unchanged",
                e.message
            )));
            continue;
        }
        if mode.dry_run {
            outcome.fixed.push((path.to_string(), applied.len()));
            outcome
                .diffs
                .push((path.to_string(), original.to_string(), text));
            continue;
        }
        match write::replace(&real, &text, &roots) {
            Ok(()) => outcome.fixed.push((path.to_string(), applied.len())),
            Err(write::WriteError::Refused(why)) => outcome.skipped.push((path.to_string(), why)),
            Err(write::WriteError::Io(e)) => outcome
                .errors
                .push(fail(format!("cannot write fixed file: {e}"))),
        }
    }
    outcome
}

/// The changes of `outcome.diffs` as one unified diff (`a/PATH`, `b/PATH`).
pub fn unified_diff(outcome: &Outcome) -> String {
    let mut out = String::new();
    for (path, old, new) in &outcome.diffs {
        let diff = similar::TextDiff::from_lines(old.as_str(), new.as_str());
        out.push_str(
            &diff
                .unified_diff()
                .context_radius(3)
                .header(&format!("a/{path}"), &format!("b/{path}"))
                .to_string(),
        );
    }
    out
}

/// Applies non-overlapping fixes in one pass; returns the new text and the fixes
/// applied.
pub fn apply_edits<'f>(text: &str, fixes: &[&'f Fix]) -> (String, Vec<&'f Fix>) {
    let mut taken: Vec<TextRange> = Vec::new();
    let mut edits: Vec<(TextRange, &str)> = Vec::new();
    let mut applied = Vec::new();
    for &fix in fixes {
        let overlaps = fix.edits.iter().any(|e| {
            taken.iter().any(|t| {
                e.range.start < t.end && t.start < e.range.end
                    || (e.range.start == e.range.end
                        && e.range.start == t.start
                        && t.start == t.end)
            })
        });
        let in_bounds = fix.edits.iter().all(|e| {
            e.range.end <= text.len()
                && text.is_char_boundary(e.range.start)
                && text.is_char_boundary(e.range.end)
        });
        if overlaps || !in_bounds {
            continue;
        }
        for e in &fix.edits {
            taken.push(e.range);
            edits.push((e.range, e.replacement.as_str()));
        }
        applied.push(fix);
    }
    edits.sort_by_key(|(r, _)| (r.start, r.end));
    let mut out = String::with_capacity(text.len() + 64);
    let mut at = 0;
    for (range, replacement) in edits {
        out.push_str(&text[at..range.start]);
        out.push_str(replacement);
        at = range.end;
    }
    out.push_str(&text[at..]);
    (out, applied)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::{Edit, Fix};

    fn fix(edits: &[(usize, usize, &str)]) -> Fix {
        Fix {
            applicability: Applicability::MachineApplicable,
            edits: edits
                .iter()
                .map(|&(s, e, r)| Edit {
                    range: TextRange::new(s, e),
                    replacement: r.into(),
                })
                .collect(),
        }
    }

    #[test]
    fn overlapping_fixes_are_skipped_whole() {
        let text = "abcdef";
        let a = fix(&[(0, 1, "A"), (5, 5, "!")]);
        let b = fix(&[(0, 2, "XY")]);
        let c = fix(&[(3, 4, "D")]);
        let (out, applied) = apply_edits(text, &[&a, &b, &c]);
        assert_eq!((out.as_str(), applied.len()), ("AbcDe!f", 2));
    }

    #[test]
    fn a_fix_that_breaks_the_syntax_leaves_the_file_untouched() {
        use crate::diagnostic::{Diagnostic, Severity};
        use crate::engine::Finding;
        use crate::source::Position;
        use std::sync::Arc;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.rs");
        let text = "fn a() {}\n";
        std::fs::write(&path, text).unwrap();
        let path_str = path.display().to_string();
        let pos = Position { line: 1, column: 8 };
        let finding = Finding {
            path: path_str.clone(),
            start: pos,
            end: pos,
            diagnostic: Diagnostic::new("x", Severity::Warning, TextRange::new(7, 9), "m")
                .with_fix(fix(&[(7, 9, "{")])),
            edit_positions: vec![(pos, pos)],
        };
        let report = Report {
            files_checked: 1,
            lines_checked: 1,
            findings: vec![finding],
            errors: Vec::new(),
            skipped: Vec::new(),
            sources: vec![(path_str, Arc::from(text))],
        };
        let outcome = apply(&report, &Mode::default());
        assert!(outcome.fixed.is_empty());
        assert!(
            outcome.errors[0].message.contains("unparsable"),
            "{:?}",
            outcome.errors
        );
        assert_eq!(std::fs::read_to_string(&path).unwrap(), text);
    }
}
