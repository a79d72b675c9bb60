//! `--fix`: apply machine-applicable edits in place.
//!
//! Per file: the edits of every machine-applicable fix, skipping a fix that overlaps
//! one already taken (a fix is applied whole or not at all), in one pass. The result
//! is parsed again; a file whose fixed text would not parse is left untouched and
//! reported. Writes go to a temporary file in the same directory that replaces the
//! original by rename, with the original's permissions.

use crate::diagnostic::Applicability;
use crate::engine::{FileError, Report};
use crate::source::TextRange;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

#[derive(Debug, Default)]
pub struct Outcome {
    /// Files rewritten, with the number of fixes applied to each.
    pub fixed: Vec<(String, usize)>,
    pub errors: Vec<FileError>,
}

impl Outcome {
    pub fn total(&self) -> usize {
        self.fixed.iter().map(|(_, n)| n).sum()
    }
}

/// Applies the fixes of `report` to the files on disk.
pub fn apply(report: &Report) -> Outcome {
    let mut by_file: BTreeMap<&str, Vec<&crate::diagnostic::Fix>> = BTreeMap::new();
    for f in &report.findings {
        if let Some(fix) = &f.diagnostic.fix {
            if fix.applicability == Applicability::MachineApplicable && !fix.edits.is_empty() {
                by_file.entry(&f.path).or_default().push(fix);
            }
        }
    }
    let mut outcome = Outcome::default();
    for (path, fixes) in by_file {
        let Some(original) = report.source(path) else {
            continue;
        };
        let fail = |message: String| FileError {
            path: path.to_string(),
            message,
            position: None,
        };
        match std::fs::read_to_string(path) {
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
        if applied == 0 {
            continue;
        }
        if let Err(e) = crate::engine::analyze_source(path, &text, &[]) {
            outcome.errors.push(fail(format!(
                "fixing would leave the file unparsable ({}); left unchanged",
                e.message
            )));
            continue;
        }
        match write_atomically(Path::new(path), &text) {
            Ok(()) => outcome.fixed.push((path.to_string(), applied)),
            Err(e) => outcome
                .errors
                .push(fail(format!("cannot write fixed file: {e}"))),
        }
    }
    outcome
}

/// Applies non-overlapping fixes in one pass; returns the new text and how many
/// fixes were applied.
pub fn apply_edits(text: &str, fixes: &[&crate::diagnostic::Fix]) -> (String, usize) {
    let mut taken: Vec<TextRange> = Vec::new();
    let mut edits: Vec<(TextRange, &str)> = Vec::new();
    let mut applied = 0;
    for fix in fixes {
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
        applied += 1;
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

fn write_atomically(path: &Path, text: &str) -> std::io::Result<()> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let permissions = std::fs::metadata(path)?.permissions();
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    tmp.write_all(text.as_bytes())?;
    tmp.as_file().sync_all()?;
    std::fs::set_permissions(tmp.path(), permissions)?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
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
        let (out, n) = apply_edits(text, &[&a, &b, &c]);
        assert_eq!((out.as_str(), n), ("AbcDe!f", 2));
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
            sources: vec![(path_str, Arc::from(text))],
        };
        let outcome = apply(&report);
        assert!(outcome.fixed.is_empty());
        assert!(
            outcome.errors[0].message.contains("unparsable"),
            "{:?}",
            outcome.errors
        );
        assert_eq!(std::fs::read_to_string(&path).unwrap(), text);
    }
}
