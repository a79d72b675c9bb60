//! Every `fixtures/<rule>/*.rs` produces exactly its `//~ rule` annotations, and its
//! rendered output matches the reviewed snapshot.

mod common;

use common::{annotations, check, render_human, root};
use std::path::PathBuf;

fn fixture_files() -> Vec<PathBuf> {
    let mut files = Vec::new();
    for dir in std::fs::read_dir(root().join("fixtures")).unwrap() {
        let dir = dir.unwrap().path();
        for f in std::fs::read_dir(&dir).unwrap() {
            let f = f.unwrap().path();
            if f.extension().is_some_and(|e| e == "rs") {
                files.push(f.strip_prefix(root()).unwrap().to_path_buf());
            }
        }
    }
    files.sort();
    files
}

#[test]
fn fixtures_match_their_annotations_exactly() {
    std::env::set_current_dir(root()).unwrap();
    let files = fixture_files();
    assert!(
        files.len() >= 6,
        "expected bad.rs and good.rs for every rule"
    );
    let mut failures = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        let expected = annotations(&text);
        let report = check(std::slice::from_ref(file));
        assert!(
            report.errors.is_empty(),
            "{} does not parse: {:?}",
            file.display(),
            report.errors
        );
        let mut actual: Vec<(usize, String)> = report
            .findings
            .iter()
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
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn bad_fixtures_fire_and_good_fixtures_are_annotation_free() {
    for file in fixture_files() {
        let rule = file
            .parent()
            .unwrap()
            .file_name()
            .unwrap()
            .to_str()
            .unwrap();
        let text = std::fs::read_to_string(root().join(&file)).unwrap();
        let notes = annotations(&text);
        match file.file_name().unwrap().to_str().unwrap() {
            "good.rs" => assert!(notes.is_empty(), "{} has annotations", file.display()),
            "bad.rs" => assert!(
                notes.iter().filter(|(_, r)| r == rule).count() >= 3,
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
    for file in fixture_files() {
        let report = check(std::slice::from_ref(&file));
        let name = file
            .with_extension("")
            .to_string_lossy()
            .replace(['/', '\\'], "__");
        insta::assert_snapshot!(name, render_human(&report));
    }
}
