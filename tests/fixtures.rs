//! Every `fixtures/<rule>/*.rs` produces exactly its `//~ rule` annotations, and its
//! rendered output matches the reviewed snapshot. A directory in `fixtures/<rule>/` is
//! one crate, checked as a whole: a helper in one file, its caller in another.

mod common;

use common::{annotations, check_as_user_of, render_human, root};
use std::path::PathBuf;

/// The fixture units: `.rs` files and crate directories, relative to the root.
fn fixture_units() -> Vec<PathBuf> {
    let mut units = Vec::new();
    for dir in std::fs::read_dir(root().join("fixtures")).unwrap() {
        let dir = dir.unwrap().path();
        for f in std::fs::read_dir(&dir).unwrap() {
            let f = f.unwrap().path();
            if f.is_dir() || f.extension().is_some_and(|e| e == "rs") {
                units.push(f.strip_prefix(root()).unwrap().to_path_buf());
            }
        }
    }
    units.sort();
    units
}

/// The rule a fixture belongs to: `fixtures/<rule>/...`.
fn rule_of(unit: &std::path::Path) -> String {
    unit.components()
        .nth(1)
        .unwrap()
        .as_os_str()
        .to_str()
        .unwrap()
        .to_string()
}

/// Every `.rs` file of the fixtures, also those inside crate directories.
fn fixture_files() -> Vec<PathBuf> {
    let mut files = Vec::new();
    for unit in fixture_units() {
        if unit.is_dir() {
            for e in walkdir::WalkDir::new(root().join(&unit)) {
                let p = e.unwrap().into_path();
                if p.extension().is_some_and(|x| x == "rs") {
                    files.push(p.strip_prefix(root()).unwrap().to_path_buf());
                }
            }
        } else {
            files.push(unit);
        }
    }
    files.sort();
    files
}

#[test]
fn fixtures_match_their_annotations_exactly() {
    std::env::set_current_dir(root()).unwrap();
    let units = fixture_units();
    assert!(
        units.len() >= 6,
        "expected bad.rs and good.rs for every rule"
    );
    let mut failures = Vec::new();
    let mut crates = 0;
    for unit in &units {
        let report = check_as_user_of(&rule_of(unit), std::slice::from_ref(unit));
        assert!(
            report.errors.is_empty(),
            "{} does not parse: {:?}",
            unit.display(),
            report.errors
        );
        let files: Vec<PathBuf> = if unit.is_dir() {
            crates += 1;
            fixture_files()
                .into_iter()
                .filter(|f| f.starts_with(unit))
                .collect()
        } else {
            vec![unit.clone()]
        };
        for file in &files {
            let text = std::fs::read_to_string(file).unwrap();
            let expected = annotations(&text);
            let mut actual: Vec<(usize, String)> = report
                .findings
                .iter()
                .filter(|f| std::path::Path::new(&f.path) == file)
                .map(|f| (f.start.line, f.diagnostic.rule.to_string()))
                .collect();
            actual.sort();
            let missing: Vec<_> = expected.iter().filter(|e| !actual.contains(e)).collect();
            let unexpected: Vec<_> = actual.iter().filter(|a| !expected.contains(a)).collect();
            if !missing.is_empty() || !unexpected.is_empty() || expected.len() != actual.len() {
                failures.push(format!(
                    "{}:\n  annotated but not reported: {missing:?}\n  reported but not annotated: {unexpected:?}",
                    file.display()
                ));
            }
        }
        let reported: usize = report.findings.len();
        let covered = report
            .findings
            .iter()
            .filter(|f| files.contains(&PathBuf::from(&f.path)))
            .count();
        assert_eq!(
            reported,
            covered,
            "{}: findings outside its files",
            unit.display()
        );
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(crates >= 1, "no crate fixtures");
}

#[test]
fn bad_fixtures_fire_and_good_fixtures_are_annotation_free() {
    for file in fixture_files() {
        let rule = rule_of(&file);
        let text = std::fs::read_to_string(root().join(&file)).unwrap();
        let notes = annotations(&text);
        let in_good_crate = file
            .components()
            .any(|c| c.as_os_str().to_string_lossy().starts_with("good"));
        if in_good_crate {
            assert!(notes.is_empty(), "{} has annotations", file.display());
            continue;
        }
        match file.file_name().unwrap().to_str().unwrap() {
            "good.rs" => assert!(notes.is_empty(), "{} has annotations", file.display()),
            "bad.rs" => assert!(
                notes.iter().filter(|(_, r)| *r == rule).count() >= 3,
                "{} should show several trigger forms of {rule}",
                file.display()
            ),
            _ => {}
        }
    }
}

#[test]
fn rendered_output_snapshots() {
    std::env::set_current_dir(root()).unwrap();
    for file in fixture_units() {
        let report = check_as_user_of(&rule_of(&file), std::slice::from_ref(&file));
        let name = file
            .with_extension("")
            .to_string_lossy()
            .replace(['/', '\\'], "__");
        insta::assert_snapshot!(name, render_human(&report));
    }
}
