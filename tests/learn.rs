//! The exercises of `asynclint learn`: every one is listed, its metadata is complete, the
//! `learn/` workspace builds it twice (buggy and solved) over the same behaviour test,
//! the test fails on the bug and passes on the solution, and asynclint with every rule on
//! reports the exercise's rule on the bug and nothing on the solution.
//!
//! `ASYNCLINT_BLESS=1 cargo test --test learn` rewrites the generated workspace files
//! (`learn/{exercises,solutions}/*/Cargo.toml`, `src/learn/workspace.lock`).

mod common;

use asynclint::learn::{self, check, manifest, workspace, Exercise, Layout};
use asynclint::rules;
use common::root;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Rules that exercises practise but the registry does not have yet. Their "the rule
/// fires on the bug" check is reported as pending instead of run; once a rule is
/// registered it is checked for real, and this list must lose it.
const PENDING_RULES: &[&str] = &[];

/// Exercises whose natural buggy code a registered rule does not report yet, with why.
/// Each is reported as a known miss instead of failing; when the rule learns the case,
/// the test says so and the entry must go.
const KNOWN_MISSES: &[(&str, &str)] = &[];

fn bless() -> bool {
    std::env::var_os("ASYNCLINT_BLESS").is_some()
}

/// Compares `path` with `expected`, or writes it when blessing.
fn generated(path: &Path, expected: &str, stale: &mut Vec<String>) {
    let actual = std::fs::read_to_string(path).unwrap_or_default();
    if actual == expected {
        return;
    }
    if bless() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, expected).unwrap();
    } else {
        stale.push(path.display().to_string());
    }
}

#[test]
fn every_exercise_folder_is_listed_and_complete() {
    let on_disk: BTreeSet<String> = std::fs::read_dir(root().join("src/learn/exercises"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    let listed: BTreeSet<String> = learn::FILES.iter().map(|f| f.dir.to_string()).collect();
    assert_eq!(on_disk, listed, "src/learn/exercises vs learn::FILES");
    for ex in learn::all() {
        let dir = ex.files.dir;
        assert!(
            dir.starts_with(&format!("{:02}-", ex.number)),
            "{dir} is listed as exercise {}",
            ex.number
        );
        let m = &ex.meta;
        assert!(
            rules::find(&m.rule).is_some() || PENDING_RULES.contains(&m.rule.as_str()),
            "{dir}: rule `{}` is neither registered nor pending",
            m.rule
        );
        // An exercise without a seed is a defect particular to Rust; learn/README.md says so.
        if m.seeds.is_empty() {
            assert!(
                std::fs::read_to_string(root().join("learn/README.md"))
                    .unwrap()
                    .contains(&m.title),
                "{dir}: no seed defect, and learn/README.md does not list it as Rust-specific"
            );
        }
        assert!(m.hints.len() >= 2, "{dir}: fewer than two hints");
        assert!(
            m.question.contains('?') && !m.answer.is_empty(),
            "{dir}: question"
        );
        assert!(
            ex.files
                .test
                .contains(&format!("use {}::", ex.crate_name())),
            "{dir}: the behaviour test does not use the exercise's crate"
        );
        assert!(
            !ex.files.test.contains("std::thread::sleep"),
            "{dir}: the behaviour test sleeps on the wall clock"
        );
        assert_ne!(ex.files.lib, ex.files.solution, "{dir}: solution == bug");
    }
}

#[test]
fn pending_rules_are_not_registered() {
    for name in PENDING_RULES {
        if rules::find(name).is_some() {
            eprintln!(
                "note: `{name}` is registered now; take it off PENDING_RULES in tests/learn.rs"
            );
        }
    }
}

#[test]
fn learn_workspace_is_generated_from_the_exercises() {
    let mut stale = Vec::new();
    let learn_dir = root().join("learn");
    for ex in learn::all() {
        let pkg = ex.package();
        generated(
            &learn_dir.join("exercises").join(pkg).join("Cargo.toml"),
            &manifest(ex, Layout::RepoBuggy),
            &mut stale,
        );
        generated(
            &learn_dir.join("solutions").join(pkg).join("Cargo.toml"),
            &manifest(ex, Layout::RepoSolution),
            &mut stale,
        );
    }
    let packages: BTreeSet<String> = learn::all()
        .iter()
        .map(|e| e.package().to_string())
        .collect();
    for sub in ["exercises", "solutions"] {
        for entry in std::fs::read_dir(learn_dir.join(sub)).unwrap() {
            let name = entry.unwrap().file_name().to_string_lossy().into_owned();
            assert!(
                packages.contains(&name),
                "learn/{sub}/{name} belongs to no exercise"
            );
        }
    }
    let workspace_manifest = std::fs::read_to_string(learn_dir.join("Cargo.toml")).unwrap();
    assert!(
        workspace_manifest.contains(&format!(
            "[workspace.dependencies]\n{}",
            learn::DEPENDENCIES
        )),
        "learn/Cargo.toml's [workspace.dependencies] differ from learn::DEPENDENCIES"
    );
    // The learner's lockfile: the registry packages of learn/Cargo.lock.
    let lock = std::fs::read_to_string(learn_dir.join("Cargo.lock")).unwrap();
    generated(
        &root().join("src/learn/workspace.lock"),
        &registry_entries(&lock),
        &mut stale,
    );
    assert!(
        stale.is_empty(),
        "stale generated files (ASYNCLINT_BLESS=1 cargo test --test learn rewrites them): {stale:?}"
    );
}

/// A lockfile with only the registry packages of `lock` (the exercises themselves are
/// path packages, added by cargo as the learner starts them).
fn registry_entries(lock: &str) -> String {
    let mut out = String::new();
    for (i, block) in lock.split("\n[[package]]\n").enumerate() {
        if i == 0 {
            out.push_str(block.trim_end());
            out.push('\n');
        } else if block.contains("\nsource = ") {
            out.push_str("\n[[package]]\n");
            out.push_str(block.trim_end());
            out.push('\n');
        }
    }
    out
}

/// Writes `lib` as the learner's `src/lib.rs` of `ex` in a fresh package and lints it.
fn lint_as_learner(ex: &Exercise, lib: &str) -> asynclint::engine::Report {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("Cargo.toml"), manifest(ex, Layout::Learner)).unwrap();
    std::fs::create_dir(dir.path().join("src")).unwrap();
    std::fs::write(dir.path().join("src/lib.rs"), lib).unwrap();
    check::lint(&dir.path().join("src"))
}

#[test]
fn the_rule_fires_on_each_bug_and_nothing_on_each_solution() {
    let mut failures = Vec::new();
    for ex in learn::all() {
        let dir = ex.files.dir;
        let rule = ex.meta.rule.as_str();
        let bug = lint_as_learner(ex, ex.files.lib);
        let fired: BTreeSet<&str> = bug.findings.iter().map(|f| f.diagnostic.rule).collect();
        if !bug.errors.is_empty() {
            failures.push(format!("{dir}: lib.rs does not parse: {:?}", bug.errors));
        }
        let known_miss = KNOWN_MISSES.iter().find(|(d, _)| *d == dir);
        if let (Some((_, why)), Some(_)) = (known_miss, rules::find(rule)) {
            if fired.contains(rule) {
                eprintln!("NOTE {dir}: `{rule}` fires now; take it off KNOWN_MISSES");
            } else {
                eprintln!("KNOWN MISS {dir}: `{rule}` does not fire on the bug: {why}");
            }
        } else if rules::find(rule).is_some() {
            if !fired.contains(rule) {
                failures.push(format!(
                    "{dir}: `{rule}` does not fire on the bug (fired: {fired:?})"
                ));
            }
        } else {
            eprintln!(
                "PENDING {dir}: `{rule}` is not registered yet; its firing on the bug is not checked (fired now: {fired:?})"
            );
        }
        let solution = lint_as_learner(ex, ex.files.solution);
        if !solution.findings.is_empty() || !solution.errors.is_empty() {
            failures.push(format!(
                "{dir}: asynclint reports the solution:\n{}",
                check::render(&solution)
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The learn workspace's build directory, shared by every exercise test.
pub fn learn_target() -> PathBuf {
    root().join("target/learn")
}

/// Builds every behaviour test of the `learn/` workspace; package name → executable.
fn build_learn_workspace() -> BTreeMap<String, PathBuf> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let started = Instant::now();
    let output = Command::new(cargo)
        .args([
            "test",
            "--workspace",
            "--no-run",
            "--message-format=json-render-diagnostics",
        ])
        .current_dir(root().join("learn"))
        .env("CARGO_TARGET_DIR", learn_target())
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "the learn workspace does not build"
    );
    eprintln!("learn workspace built in {:.1?}", started.elapsed());
    let mut tests = BTreeMap::new();
    for line in String::from_utf8_lossy(&output.stdout).lines() {
        let Ok(m) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        if m["reason"] != "compiler-artifact" || m["target"]["name"] != "behaviour" {
            continue;
        }
        let id = m["package_id"].as_str().unwrap_or_default();
        let package = root().join("learn");
        let name = ["exercises", "solutions"]
            .iter()
            .find_map(|sub| {
                let dir = package.join(sub);
                learn::all().iter().find_map(|ex| {
                    let url = format!("{}#", dir.join(ex.package()).display());
                    id.contains(&url).then(|| {
                        if *sub == "solutions" {
                            format!("{}-solution", ex.package())
                        } else {
                            ex.package().to_string()
                        }
                    })
                })
            })
            .unwrap_or_else(|| panic!("unknown package {id}"));
        tests.insert(name, PathBuf::from(m["executable"].as_str().unwrap()));
    }
    tests
}

/// Runs one behaviour test binary with a wall-clock limit; returns (passed, output).
fn run_test(exe: &Path, limit: Duration) -> (bool, String, Duration) {
    let out = tempfile::NamedTempFile::new().unwrap();
    let started = Instant::now();
    let mut child = Command::new(exe)
        .env("RUST_BACKTRACE", "0")
        .stdin(Stdio::null())
        .stdout(out.reopen().unwrap())
        .stderr(out.reopen().unwrap())
        .spawn()
        .unwrap();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if started.elapsed() > limit {
            child.kill().unwrap();
            child.wait().unwrap();
            break None;
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let text = std::fs::read_to_string(out.path()).unwrap_or_default();
    (status.is_some_and(|s| s.success()), text, started.elapsed())
}

#[test]
fn behaviour_tests_fail_on_each_bug_and_pass_on_each_solution() {
    let tests = build_learn_workspace();
    let limit = Duration::from_secs(60);
    let mut failures = Vec::new();
    let started = Instant::now();
    for ex in learn::all() {
        let dir = ex.files.dir;
        let buggy = &tests[ex.package()];
        let solved = &tests[&format!("{}-solution", ex.package())];
        let (passed, text, took) = run_test(buggy, limit);
        eprintln!(
            "{dir}: bug: {} in {took:.2?}",
            if passed { "PASSES" } else { "fails" }
        );
        if passed {
            failures.push(format!(
                "{dir}: the behaviour test passes on the bug:\n{text}"
            ));
        } else if !text.contains("panicked") {
            failures.push(format!(
                "{dir}: the behaviour test fails on the bug without an assertion:\n{text}"
            ));
        }
        let (passed, text, took) = run_test(solved, limit);
        eprintln!(
            "{dir}: solution: {} in {took:.2?}",
            if passed { "passes" } else { "FAILS" }
        );
        if !passed {
            failures.push(format!(
                "{dir}: the behaviour test fails on the solution:\n{text}"
            ));
        }
    }
    eprintln!(
        "{} exercises, bug and solution, ran in {:.1?}",
        learn::all().len(),
        started.elapsed()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn progress_round_trips() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = workspace::Progress::default();
    workspace::Progress::mark(&mut p.done, 3);
    workspace::Progress::mark(&mut p.done, 1);
    workspace::Progress::mark(&mut p.done, 3);
    p.current = Some(4);
    p.hints.insert("4".into(), 2);
    p.save(dir.path()).unwrap();
    let back = workspace::Progress::load(dir.path()).unwrap();
    assert_eq!(back, p);
    assert_eq!(back.done, vec![1, 3]);
    assert_eq!(back.hints_shown(4), 2);
}
