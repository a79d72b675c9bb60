//! Baselines: record today's findings, then report only new ones.
//!
//! An entry is keyed by rule, path, the flagged line's text with its whitespace
//! normalized, and the occurrence index among identical keys — not by line number, so
//! unrelated edits above a finding do not bring it back. Paths are relative to the
//! baseline file's directory, so a baseline matches from whatever directory the
//! check runs.

use crate::engine::{Finding, Report};
use rustc_hash::FxHashMap as HashMap;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The format written: paths relative to the baseline's directory. Version 1 held
/// paths relative to the directory the check ran in; it is still read that way.
const VERSION: u32 = 2;

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Entry {
    pub rule: String,
    pub path: String,
    pub line_text: String,
    pub occurrence: usize,
}

#[derive(Serialize, Deserialize, Debug)]
pub struct Baseline {
    pub version: u32,
    pub findings: Vec<Entry>,
    /// The directory entry paths are relative to (`None`: the current directory).
    #[serde(skip)]
    pub base: Option<PathBuf>,
}

/// What applying a baseline did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Applied {
    /// Findings hidden because the baseline has them.
    pub known: usize,
    /// Baseline entries that no longer occur (the baseline can shrink).
    pub gone: usize,
}

fn normalize_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A path as a baseline stores it: relative to `base` if given, else as reached
/// from the arguments; `/`-separated, without a leading `./`.
fn key_path(path: &str, base: Option<&Path>) -> String {
    let p = match base {
        Some(base) => crate::discover::relative(&crate::discover::key(Path::new(path)), base)
            .to_string_lossy()
            .into_owned(),
        None => path.to_string(),
    };
    p.replace('\\', "/").trim_start_matches("./").to_string()
}

/// The baseline key of every finding, in report order, paths relative to `base`.
pub fn keys(report: &Report, base: Option<&Path>) -> Vec<Entry> {
    let mut paths: HashMap<&str, String> = HashMap::default();
    let mut seen: HashMap<(String, String, String), usize> = HashMap::default();
    report
        .findings
        .iter()
        .map(|f| {
            let path = paths
                .entry(f.path.as_str())
                .or_insert_with(|| key_path(&f.path, base))
                .clone();
            let base = (f.diagnostic.rule.to_string(), path, line_of(report, f));
            let n = seen.entry(base.clone()).or_insert(0);
            let entry = Entry {
                rule: base.0,
                path: base.1,
                line_text: base.2,
                occurrence: *n,
            };
            *n += 1;
            entry
        })
        .collect()
}

fn line_of(report: &Report, f: &Finding) -> String {
    report
        .source(&f.path)
        .map(|text| {
            let line = text
                .lines()
                .nth(f.start.line.saturating_sub(1))
                .unwrap_or("");
            normalize_line(line)
        })
        .unwrap_or_default()
}

/// The directory of the baseline file at `path`, absolute.
fn base_of(path: &Path) -> PathBuf {
    crate::discover::key(path)
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

pub fn write(report: &Report, path: &Path) -> std::io::Result<usize> {
    let base = base_of(path);
    let mut findings = keys(report, Some(&base));
    findings.sort();
    let n = findings.len();
    let text = serde_json::to_string_pretty(&Baseline {
        version: VERSION,
        findings,
        base: None,
    })
    .map_err(std::io::Error::other)?;
    std::fs::write(path, text + "\n")?;
    Ok(n)
}

pub fn read(path: &Path) -> Result<Baseline, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut b: Baseline = serde_json::from_str(&text)
        .map_err(|e| format!("{}: not a baseline: {e}", path.display()))?;
    match b.version {
        1 => b.base = None,
        VERSION => b.base = Some(base_of(path)),
        v => {
            return Err(format!(
                "{}: unsupported baseline version {v}",
                path.display()
            ))
        }
    }
    Ok(b)
}

/// Removes the findings the baseline knows from `report`.
pub fn apply(report: &mut Report, baseline: &Baseline) -> Applied {
    let mut known: HashMap<&Entry, usize> = HashMap::default();
    for e in &baseline.findings {
        *known.entry(e).or_insert(0) += 1;
    }
    let keys = keys(report, baseline.base.as_deref());
    let mut applied = Applied::default();
    let mut keep = Vec::with_capacity(report.findings.len());
    for (finding, key) in std::mem::take(&mut report.findings).into_iter().zip(&keys) {
        match known.get_mut(key) {
            Some(n) if *n > 0 => {
                *n -= 1;
                applied.known += 1;
            }
            _ => keep.push(finding),
        }
    }
    report.findings = keep;
    applied.gone = known.values().sum();
    applied
}
