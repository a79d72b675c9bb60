//! `asynclint learn` end to end, with the real binary: start an exercise, fail the check
//! at the behaviour step, get caught silencing the finding, apply the solution, pass,
//! and find the progress recorded.

use assert_cmd::Command;
use predicates::prelude::*;
use std::path::Path;

/// Exercise 6, "A running total that loses updates" (non-atomic-update).
const EXERCISE: &str = "6";
const FOLDER: &str = "06-lost-updates";

fn learn(dir: &Path) -> Command {
    let mut cmd = Command::cargo_bin("asynclint").unwrap();
    cmd.arg("learn")
        .arg("--dir")
        .arg(dir)
        // Share the dependency builds of the learn workspace test.
        .env(
            "CARGO_TARGET_DIR",
            Path::new(env!("CARGO_MANIFEST_DIR")).join("target/learn"),
        );
    cmd
}

#[test]
fn a_learner_goes_through_one_exercise() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();

    learn(dir)
        .arg("list")
        .assert()
        .success()
        .stdout(predicate::str::contains("0 of 25 exercises done"))
        .stdout(predicate::str::contains(
            "A running total that loses updates",
        ));

    learn(dir)
        .args(["start", EXERCISE])
        .assert()
        .success()
        .stdout(predicate::str::contains("Predict first"))
        .stdout(predicate::str::contains(
            "What does `total_bytes` say afterwards?",
        ));
    let exercise = dir.join(FOLDER);
    for file in [
        "Cargo.toml",
        "README.md",
        "src/lib.rs",
        "tests/behaviour.rs",
    ] {
        assert!(exercise.join(file).is_file(), "{file} was not written");
    }
    assert!(dir.join("Cargo.toml").is_file() && dir.join("Cargo.lock").is_file());

    // The bug as given: it builds, and the behaviour test fails.
    learn(dir)
        .arg("check")
        .assert()
        .code(1)
        .stdout(predicate::str::contains("ok      untouched"))
        .stdout(predicate::str::contains("ok      build"))
        .stdout(predicate::str::contains("FAILED  behaviour"))
        .stdout(predicate::str::contains(
            "three pages of 100, 200 and 300 bytes",
        ))
        .stdout(predicate::str::contains(
            "check failed at step 3 of 4 (behaviour)",
        ));

    // Silencing the finding is not a fix.
    let lib = exercise.join("src/lib.rs");
    let buggy = std::fs::read_to_string(&lib).unwrap();
    let silenced = buggy.replace(
        "        let so_far = ",
        "        // asynclint: allow(non-atomic-update) the total is only a rough figure\n        let so_far = ",
    );
    assert_ne!(silenced, buggy);
    std::fs::write(&lib, &silenced).unwrap();
    learn(dir)
        .arg("check")
        .assert()
        .code(1)
        .stdout(predicate::str::contains("FAILED  untouched"))
        .stdout(predicate::str::contains("an asynclint suppression comment"))
        .stdout(predicate::str::contains(
            "check failed at step 1 of 4 (untouched)",
        ));

    std::fs::write(
        &lib,
        buggy.replace(
            "pub struct Crawler",
            "#[allow(dead_code)]\npub struct Crawler",
        ),
    )
    .unwrap();
    learn(dir)
        .arg("check")
        .assert()
        .code(1)
        .stdout(predicate::str::contains("an `allow` attribute"));

    // Nor is editing the test.
    std::fs::write(&lib, &buggy).unwrap();
    let test = exercise.join("tests/behaviour.rs");
    let original_test = std::fs::read_to_string(&test).unwrap();
    std::fs::write(&test, original_test.replace("600,", "300,")).unwrap();
    learn(dir)
        .arg("check")
        .assert()
        .code(1)
        .stdout(predicate::str::contains("tests/behaviour.rs was edited"));
    std::fs::write(&test, &original_test).unwrap();

    learn(dir)
        .arg("hint")
        .assert()
        .success()
        .stdout(predicate::str::contains("hint 1 of 3"));
    learn(dir)
        .arg("hint")
        .assert()
        .success()
        .stdout(predicate::str::contains("hint 2 of 3"));

    learn(dir)
        .args(["solution", "--apply"])
        .assert()
        .success()
        .stdout(predicate::str::contains("fetch_add"))
        .stdout(predicate::str::contains(
            "src/lib.rs is now the reference solution",
        ));
    assert!(exercise.join("src/lib.rs.mine").is_file());

    learn(dir)
        .arg("check")
        .assert()
        .success()
        .stdout(predicate::str::contains("ok      behaviour"))
        .stdout(predicate::str::contains("ok      asynclint"))
        .stdout(predicate::str::contains("exercise 6 passes"));

    let progress = std::fs::read_to_string(dir.join("asynclint-learn.toml")).unwrap();
    assert!(progress.contains("done = [6]"), "{progress}");
    learn(dir)
        .arg("list")
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "1 of 25 exercises done; current: 6",
        ))
        .stdout(predicate::str::is_match(r"\n  6  done +A running total").unwrap());
}

#[test]
fn bad_requests_get_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    learn(dir.path())
        .args(["start", "99"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("there is no exercise 99"));
    learn(dir.path())
        .arg("check")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no exercise started here yet"));
    std::fs::write(
        dir.path().join("Cargo.toml"),
        "[package]\nname = \"mine\"\n",
    )
    .unwrap();
    learn(dir.path())
        .args(["start", "1"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("belongs to another project"));
    std::fs::write(dir.path().join("asynclint-learn.toml"), "done = \"x\"").unwrap();
    learn(dir.path())
        .arg("list")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("is not a progress file"));
}
