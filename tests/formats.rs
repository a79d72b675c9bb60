//! Every CI's format, through the built binary, each checked against its published
//! specification: concise, JSON Lines, GitLab Code Quality (a strict checker written
//! from GitLab's documented format and the Code Climate spec it is a subset of — no
//! registry package ships a schema for it), JUnit (parsed by a strict XML parser,
//! structure checked), reviewdog's rdjson (validated by the npm package
//! `@umbrelladocs/rdformat-validator`); `--output-file`, `--exit-zero`, `--fail-on`.

mod common;

use common::{asynclint, write, BLOCKING};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// A project with a warning, an error (an unawaited future) and a broken file, whose
/// name and message carry markup and control characters.
fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    write(p, "src/lib.rs", BLOCKING);
    write(
        p,
        "src/b<&\"'>.rs",
        "pub async fn save() {}\npub async fn run() {\n    save();\n}\n",
    );
    write(p, "src/broken.rs", "fn main( {\n");
    dir
}

fn run(dir: &Path, args: &[&str]) -> (i32, String) {
    let out = asynclint()
        .arg("check")
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8(out.stdout).unwrap(),
    )
}

#[test]
fn concise_is_one_line_per_finding_and_error() {
    let dir = project();
    let p = dir.path();
    let (code, out) = run(p, &["src", "--format", "concise"]);
    assert_eq!(code, 2);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 3, "{out}");
    assert_eq!(
        lines[0],
        "src/b<&\"'>.rs:3:5: error[unawaited-future] `save()` only creates a future, and it is dropped without being polled: `save` never runs, so its work silently does not happen"
    );
    assert_eq!(
        lines[1],
        "src/lib.rs:4:16: warning[blocking-in-async] `fs::read_to_string` waits for the disk on the executor thread, stalling every other task scheduled on it"
    );
    assert_eq!(
        lines[2],
        "src/broken.rs:1:10: error: unbalanced delimiters or an invalid token at 1:10"
    );
    // A line break in a file name cannot start a line of its own.
    #[cfg(unix)]
    {
        let evil = tempfile::tempdir().unwrap();
        write(evil.path(), "a\n::error file=x::owned.rs", BLOCKING);
        let (_, out) = run(evil.path(), &[".", "--format", "concise"]);
        assert_eq!(out.lines().count(), 1, "{out}");
        assert!(out.starts_with("./a\\n::error"), "{out}");
    }
}

#[test]
fn json_lines_is_one_object_per_line() {
    let dir = project();
    let (code, out) = run(dir.path(), &["src", "--format", "json-lines"]);
    assert_eq!(code, 2);
    let objects: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(objects.len(), 3);
    assert_eq!(objects[0]["type"], "diagnostic");
    assert_eq!(objects[0]["rule"], "unawaited-future");
    assert_eq!(objects[1]["line"], 4);
    assert_eq!(objects[2]["type"], "error");
    assert_eq!(objects[2]["path"], "src/broken.rs");
}

/// GitLab's Code Quality format: a JSON array of issues; required `description`,
/// `check_name`, `fingerprint` (unique), `severity` (one of five), `location.path`
/// (relative) and `location.lines.begin`; the other keys must be Code Climate's.
fn check_gitlab(report: &Value) {
    let issues = report.as_array().expect("a JSON array");
    let mut fingerprints = std::collections::HashSet::new();
    for i in issues {
        let obj = i.as_object().unwrap();
        for key in obj.keys() {
            assert!(
                [
                    "type",
                    "check_name",
                    "description",
                    "content",
                    "categories",
                    "location",
                    "severity",
                    "fingerprint",
                    "remediation_points",
                    "other_locations",
                    "trace",
                    "engine_name"
                ]
                .contains(&key.as_str()),
                "unknown key {key}"
            );
        }
        assert!(!i["description"].as_str().unwrap().is_empty());
        assert!(!i["check_name"].as_str().unwrap().is_empty());
        let fp = i["fingerprint"].as_str().unwrap();
        assert!(fingerprints.insert(fp.to_string()), "duplicate fingerprint");
        assert!(["info", "minor", "major", "critical", "blocker"]
            .contains(&i["severity"].as_str().unwrap()));
        assert_eq!(i["type"], "issue");
        for c in i["categories"].as_array().unwrap() {
            assert!([
                "Bug Risk",
                "Clarity",
                "Compatibility",
                "Complexity",
                "Duplication",
                "Performance",
                "Security",
                "Style"
            ]
            .contains(&c.as_str().unwrap()));
        }
        let loc = i["location"].as_object().unwrap();
        let path = loc["path"].as_str().unwrap();
        assert!(!path.starts_with('/') && !path.starts_with("./"), "{path}");
        let begin = loc["lines"]["begin"].as_u64().unwrap();
        assert!(begin >= 1);
        assert!(loc["lines"]["end"].as_u64().unwrap_or(begin) >= begin);
        if let Some(body) = i.get("content") {
            assert!(body["body"].is_string());
        }
    }
}

#[test]
fn gitlab_code_quality_with_fingerprints_that_survive_line_shifts() {
    let dir = project();
    let p = dir.path();
    let (code, out) = run(p, &["src", "--format", "gitlab"]);
    assert_eq!(code, 2);
    let before: Value = serde_json::from_str(&out).unwrap();
    check_gitlab(&before);
    assert_eq!(before.as_array().unwrap().len(), 3);
    assert_eq!(before[1]["location"]["path"], "src/lib.rs");
    assert_eq!(before[1]["location"]["lines"]["begin"], 4);
    assert_eq!(before[1]["severity"], "major");
    assert_eq!(before[0]["severity"], "critical");
    // Lines shift above the finding: same fingerprint, new line.
    write(p, "src/lib.rs", &format!("//! Docs.\n\n{BLOCKING}"));
    let (_, out) = run(p, &["src", "--format", "gitlab"]);
    let after: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(after[1]["location"]["lines"]["begin"], 6);
    assert_eq!(after[1]["fingerprint"], before[1]["fingerprint"]);
    assert_ne!(after[0]["fingerprint"], after[1]["fingerprint"]);
}

#[test]
fn junit_is_well_formed_xml_with_consistent_counts() {
    let dir = project();
    let (code, out) = run(dir.path(), &["src", "--format", "junit"]);
    assert_eq!(code, 2);
    let doc = roxmltree::Document::parse(&out).expect("well-formed XML");
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "testsuites");
    let attr = |n: roxmltree::Node, a: &str| -> usize { n.attribute(a).unwrap().parse().unwrap() };
    let suites: Vec<_> = root.children().filter(|n| n.is_element()).collect();
    assert_eq!(suites.len(), 3);
    let (mut tests, mut failures, mut errors) = (0, 0, 0);
    for s in &suites {
        assert_eq!(s.tag_name().name(), "testsuite");
        assert!(s.attribute("name").is_some());
        let cases: Vec<_> = s.children().filter(|n| n.is_element()).collect();
        assert!(cases.iter().all(|c| c.tag_name().name() == "testcase"));
        assert_eq!(attr(*s, "tests"), cases.len());
        let count = |tag: &str| {
            cases
                .iter()
                .filter(|c| c.children().any(|x| x.tag_name().name() == tag))
                .count()
        };
        assert_eq!(attr(*s, "failures"), count("failure"));
        assert_eq!(attr(*s, "errors"), count("error"));
        for c in &cases {
            assert!(c.attribute("name").is_some() && c.attribute("classname").is_some());
            for f in c.children().filter(|x| x.is_element()) {
                if f.tag_name().name() != "system-out" {
                    assert!(f.attribute("message").is_some() && f.attribute("type").is_some());
                }
            }
        }
        tests += attr(*s, "tests");
        failures += attr(*s, "failures");
        errors += attr(*s, "errors");
    }
    assert_eq!(
        (
            attr(root, "tests"),
            attr(root, "failures"),
            attr(root, "errors")
        ),
        (tests, failures, errors)
    );
    assert_eq!((tests, failures, errors), (3, 2, 1));
    assert_eq!(suites[0].attribute("name"), Some("src/b<&\"'>.rs"));
    // A clean run is one passing test case.
    let clean = tempfile::tempdir().unwrap();
    write(clean.path(), "lib.rs", "pub fn f() {}\n");
    let (code, out) = run(clean.path(), &[".", "--format", "junit"]);
    assert_eq!(code, 0);
    let doc = roxmltree::Document::parse(&out).unwrap();
    assert_eq!(doc.root_element().attribute("tests"), Some("1"));
    assert_eq!(doc.root_element().attribute("failures"), Some("0"));
}

/// The rdjson validator, installed once under `target/rdformat-validator`.
fn rdjson_validator() -> PathBuf {
    let prefix = common::root().join("target/rdformat-validator");
    let tool = prefix.join("node_modules/.bin/rdformat-validator");
    if !tool.exists() {
        let status = std::process::Command::new("npm")
            .args([
                "install",
                "--no-save",
                "--no-audit",
                "--no-fund",
                "--prefix",
            ])
            .arg(&prefix)
            .arg("@umbrelladocs/rdformat-validator@1.0.1")
            .status()
            .expect("npm is needed to install the rdjson validator");
        assert!(status.success(), "installing the rdjson validator failed");
    }
    tool
}

#[test]
fn rdjson_passes_the_validator() {
    let dir = project();
    let p = dir.path();
    write(
        p,
        "src/fix.rs",
        &format!("use tokio::fs as _t;\n{BLOCKING}"),
    );
    // tokio's `fs` feature makes the `tokio::fs` fix machine-applicable: a suggestion.
    write(
        p,
        "Cargo.toml",
        "[package]\nname = \"k\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\ntokio = { version = \"1\", features = [\"fs\"] }\n",
    );
    let (code, out) = run(p, &["src", "--format", "rdjson"]);
    assert_eq!(code, 2);
    let v: Value = serde_json::from_str(&out).unwrap();
    let d = v["diagnostics"].as_array().unwrap();
    assert_eq!(d.len(), 4);
    assert!(d.iter().any(|d| d["suggestions"].is_array()), "{v}");
    let file = p.join("report.rdjson");
    std::fs::write(&file, &out).unwrap();
    let check = std::process::Command::new(rdjson_validator())
        .args(["--strict", "--no-extra-fields", "--format", "json"])
        .arg(&file)
        .output()
        .unwrap();
    let result: Value = serde_json::from_slice(&check.stdout).unwrap();
    assert_eq!(result["success"], true, "{result}");
    assert_eq!(result["totalErrors"], 0, "{result}");
    assert_eq!(result["totalWarnings"], 0, "{result}");
}

#[test]
fn output_file_exit_zero_and_fail_on() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    write(p, "src/lib.rs", BLOCKING);
    let (code, out) = run(p, &["src", "--format", "json", "-o", "report.json"]);
    assert_eq!((code, out.as_str()), (1, ""));
    let v: Value = serde_json::from_slice(&std::fs::read(p.join("report.json")).unwrap()).unwrap();
    assert_eq!(v["diagnostics"][0]["rule"], "blocking-in-async");
    // Human output to a file has no colour codes.
    run(
        p,
        &["src", "--color", "always", "--output-file", "report.txt"],
    );
    let text = std::fs::read_to_string(p.join("report.txt")).unwrap();
    assert!(text.contains("warning[blocking-in-async]") && !text.contains('\x1b'));
    assert_eq!(run(p, &["src", "--exit-zero"]).0, 0);
    assert_eq!(run(p, &["src", "--fail-on", "error"]).0, 0);
    assert_eq!(run(p, &["src", "--fail-on", "warning"]).0, 1);
    write(
        p,
        "asynclint.toml",
        "[rules.blocking-in-async]\nseverity = \"error\"\n",
    );
    assert_eq!(run(p, &["src", "--fail-on", "error"]).0, 1);
    // A failed run is 2 whatever --exit-zero says.
    write(p, "src/broken.rs", "fn f( {\n");
    assert_eq!(run(p, &["src", "--exit-zero"]).0, 2);
    assert_eq!(run(p, &["src", "-o", "no/such/dir/out.json"]).0, 2);
}

#[test]
fn help_documents_the_exit_codes() {
    for args in [&["check", "--help"][..], &["--help"]] {
        asynclint()
            .args(args)
            .assert()
            .code(0)
            .stdout(predicates::str::contains("Exit codes:"))
            .stdout(predicates::str::contains("2  the run failed"));
    }
}
