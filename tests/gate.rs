//! asynclint as a CI gate, through the built binary: configuration, baselines, output
//! formats for CI, `--fix`, and `cargo asynclint`.

mod common;

use common::{asynclint, write, BLOCKING};

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::Value;
use std::fs;

fn json_of(out: &[u8]) -> Value {
    serde_json::from_slice(out).unwrap()
}

#[test]
fn config_disables_rules_overrides_severity_and_excludes_paths() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    write(p, "src/lib.rs", BLOCKING);
    write(p, "src/generated/api.rs", BLOCKING);
    write(
        p,
        "asynclint.toml",
        "exclude = [\"src/generated/**\"]\n[rules.blocking-in-async]\nseverity = \"error\"\n",
    );
    let out = asynclint()
        .args(["check", "src", "--format", "json"])
        .current_dir(p)
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let v = json_of(&out);
    assert_eq!(v["files_checked"], 1, "the excluded file is not checked");
    assert_eq!(v["diagnostics"][0]["severity"], "error");

    write(
        p,
        "asynclint.toml",
        "[rules.blocking-in-async]\nenabled = false\n",
    );
    asynclint()
        .args(["check", "src"])
        .current_dir(p)
        .assert()
        .code(0);
    // The command line wins over the configuration.
    asynclint()
        .args(["check", "src", "--select", "blocking-in-async"])
        .current_dir(p)
        .assert()
        .code(1);
}

#[test]
fn config_typos_are_errors_that_name_file_line_and_key() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    write(p, "src/lib.rs", BLOCKING);
    write(
        p,
        "asynclint.toml",
        "[rules.blocking-in-async]\nenabeld = false\n",
    );
    asynclint()
        .args(["check", "src"])
        .current_dir(p)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("asynclint.toml:2:1"))
        .stderr(predicate::str::contains("unknown field `enabeld`"));
    write(p, "asynclint.toml", "[rules.blocking-in-asnyc]\n");
    asynclint()
        .args(["check", "src"])
        .current_dir(p)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "unknown rule or group `blocking-in-asnyc`: did you mean `blocking-in-async`?",
        ));
}

#[test]
fn cargo_metadata_configuration_and_explicit_config_files() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    write(p, "src/lib.rs", BLOCKING);
    write(
        p,
        "Cargo.toml",
        "[package]\nname = \"demo\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n\
         [package.metadata.asynclint.rules.blocking-in-async]\nenabled = false\n",
    );
    asynclint()
        .args(["check", "src"])
        .current_dir(p)
        .assert()
        .code(0);
    write(
        p,
        "strict.toml",
        "[rules.blocking-in-async]\nenabled = true\n",
    );
    asynclint()
        .args(["check", "src", "--config", "strict.toml"])
        .current_dir(p)
        .assert()
        .code(1);
}

#[test]
fn the_crate_runtime_names_the_replacement() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    write(p, "src/lib.rs", BLOCKING);
    write(
        p,
        "Cargo.toml",
        "[package]\nname = \"demo\"\nversion = \"0.1.0\"\n\n[dependencies]\nasync-std = \"1\"\n",
    );
    asynclint()
        .args(["check", "src"])
        .current_dir(p)
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "use `async_std::fs::read_to_string(path).await`",
        ));
}

#[test]
fn async_std_block_on_nests_in_an_async_std_crate_only() {
    let source = "pub async fn relay(text: String) -> String {\n    async_std::task::block_on(shout(text))\n}\n\nasync fn shout(text: String) -> String {\n    text.to_uppercase()\n}\n";
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    write(p, "src/lib.rs", source);
    let manifest = |dep: &str| {
        format!(
            "[package]\nname = \"demo\"\nversion = \"0.1.0\"\n\n[dependencies]\n{dep} = \"1\"\n"
        )
    };
    write(p, "Cargo.toml", &manifest("async-std"));
    asynclint()
        .args(["check", "src", "--no-cache"])
        .current_dir(p)
        .assert()
        .code(0);
    // The same call inside a tokio task parks a tokio worker.
    write(p, "Cargo.toml", &manifest("async-std = \"1\"\ntokio"));
    asynclint()
        .args(["check", "src", "--no-cache"])
        .current_dir(p)
        .assert()
        .code(1)
        .stdout(predicate::str::contains("error[block-on-in-async]"))
        .stdout(predicate::str::contains("a deadlock with no panic"));
}

#[test]
fn extra_blocking_calls_come_from_the_configuration() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    write(
        p,
        "src/lib.rs",
        "use legacy::db;\n\npub async fn user(id: u64) -> User {\n    db::query_user(id)\n}\n",
    );
    write(
        p,
        "asynclint.toml",
        "[rules.blocking-in-async]\nextra-calls = [{ path = \"legacy::db::query_user\", replacement = \"legacy::db_async::query_user\" }]\n",
    );
    asynclint()
        .args(["check", "src"])
        .current_dir(p)
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "use `legacy::db_async::query_user(id).await`",
        ));
}

#[test]
fn baseline_round_trip_survives_edits_and_reports_what_is_new_or_gone() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    write(p, "src/lib.rs", BLOCKING);
    asynclint()
        .args(["check", "src", "--write-baseline", "baseline.json"])
        .current_dir(p)
        .assert()
        .code(0);
    asynclint()
        .args(["check", "src", "--baseline", "baseline.json"])
        .current_dir(p)
        .assert()
        .code(0);
    // Lines shift above the finding: it stays known.
    let shifted = format!("//! Loading.\n\n// More words.\n{BLOCKING}");
    write(p, "src/lib.rs", &shifted);
    asynclint()
        .args(["check", "src", "--baseline", "baseline.json"])
        .current_dir(p)
        .assert()
        .code(0)
        .stderr(predicate::str::contains("1 known finding hidden"));
    // A new finding is reported, the known one is not.
    let more = format!(
        "{shifted}\npub async fn nap() {{\n    std::thread::sleep(std::time::Duration::from_secs(1));\n}}\n"
    );
    write(p, "src/lib.rs", &more);
    let out = asynclint()
        .args([
            "check",
            "src",
            "--baseline",
            "baseline.json",
            "--format",
            "json",
        ])
        .current_dir(p)
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let v = json_of(&out);
    assert_eq!(v["diagnostics"].as_array().unwrap().len(), 1);
    assert!(v["diagnostics"][0]["message"]
        .as_str()
        .unwrap()
        .contains("sleep"));
    // The known finding is fixed: the baseline entry is counted as gone.
    write(p, "src/lib.rs", "pub async fn load() {}\n");
    asynclint()
        .args(["check", "src", "--baseline", "baseline.json"])
        .current_dir(p)
        .assert()
        .code(0)
        .stderr(predicate::str::contains("1 baseline entry no longer occur"));
}

#[test]
fn github_format_prints_workflow_annotations() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "src/lib.rs", BLOCKING);
    asynclint()
        .args(["check", "src", "--format", "github"])
        .current_dir(dir.path())
        .assert()
        .code(1)
        .stdout(predicate::str::starts_with(
            "::warning file=src/lib.rs,line=4,col=16,endLine=4,endColumn=40,title=asynclint(blocking-in-async)::`fs::read_to_string` waits",
        ))
        .stdout(predicate::str::contains("%0Ahelp: use `tokio::fs::read_to_string(path).await`"));
}

#[test]
fn statistics_count_findings_per_rule() {
    asynclint()
        .args(["check", "fixtures", "--statistics", "-q"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("blocking-in-async (warning)"))
        .stdout(
            predicate::str::is_match(r"(?m)^\s+\d+  dropped-join-handle \((warning|error)\)$")
                .unwrap(),
        );
}

const TOKIO_FULL: &str = "[package]\nname = \"case\"\nversion = \"0.1.0\"\n\n\
                          [dependencies]\ntokio = { version = \"1\", features = [\"full\"] }\n";

/// Every fixture with machine-applicable fixes has a `.fixed` file: `--fix` turns the
/// fixture into it, leaves nothing fixable, and a second `--fix` changes nothing.
#[test]
fn fix_turns_each_fixture_into_its_fixed_file() {
    let mut fixed_files = 0;
    for dir in fs::read_dir(common::root().join("fixtures")).unwrap() {
        let dir = dir.unwrap().path();
        for f in fs::read_dir(&dir).unwrap() {
            let f = f.unwrap().path();
            if f.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let expected = f.with_extension("rs.fixed");
            let tmp = tempfile::tempdir().unwrap();
            let work = tmp.path().join("case.rs");
            fs::copy(&f, &work).unwrap();
            // A crate whose tokio has every feature: its fixes are machine-applicable.
            write(tmp.path(), "Cargo.toml", TOKIO_FULL);
            let out = asynclint()
                .args(["check", "case.rs", "--fix", "--format", "json"])
                .current_dir(tmp.path())
                .output()
                .unwrap();
            let after = fs::read_to_string(&work).unwrap();
            let original = fs::read_to_string(&f).unwrap();
            if !expected.exists() {
                assert_eq!(
                    after,
                    original,
                    "{} changed under --fix but has no .fixed file",
                    f.display()
                );
                continue;
            }
            fixed_files += 1;
            assert_eq!(
                after,
                fs::read_to_string(&expected).unwrap(),
                "{}",
                expected.display()
            );
            let v = json_of(&out.stdout);
            assert!(
                v["diagnostics"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .all(|d| d["fix"]["applicability"] != "machine-applicable"),
                "{}: fixable findings remain after --fix",
                f.display()
            );
            asynclint()
                .args(["check", "case.rs", "--fix", "-q"])
                .current_dir(tmp.path())
                .assert()
                .stderr(predicate::str::contains("fixed").not());
            assert_eq!(
                fs::read_to_string(&work).unwrap(),
                after,
                "second --fix changed the file"
            );
        }
    }
    assert!(fixed_files >= 1);
}

#[cfg(unix)]
#[test]
fn fix_keeps_permissions() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let text = format!("use tokio::fs as _tokio_fs;\n{BLOCKING}");
    write(dir.path(), "lib.rs", &text);
    write(dir.path(), "Cargo.toml", TOKIO_FULL);
    let file = dir.path().join("lib.rs");
    fs::set_permissions(&file, fs::Permissions::from_mode(0o640)).unwrap();
    asynclint()
        .args(["check", "lib.rs", "--fix"])
        .current_dir(dir.path())
        .assert()
        .code(0)
        .stderr(predicate::str::contains("fixed 1 finding in 1 file"));
    assert!(fs::read_to_string(&file)
        .unwrap()
        .contains("tokio::fs::read_to_string(path).await?"));
    assert_eq!(
        fs::metadata(&file).unwrap().permissions().mode() & 0o777,
        0o640
    );
}

#[test]
fn cargo_subcommand_checks_every_member() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    write(
        p,
        "Cargo.toml",
        "[workspace]\nmembers = [\"app\", \"core\"]\nresolver = \"2\"\n",
    );
    write(
        p,
        "app/Cargo.toml",
        "[package]\nname = \"app\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\
         [dependencies]\naxum = \"0.8\"\n",
    );
    write(p, "app/src/main.rs", "fn main() {}\n");
    write(p, "app/examples/demo.rs", BLOCKING);
    write(
        p,
        "core/Cargo.toml",
        "[package]\nname = \"core\"\nversion = \"0.1.0\"\nedition = \"2021\"\n",
    );
    write(p, "core/src/lib.rs", BLOCKING);
    let out = Command::cargo_bin("cargo-asynclint")
        .unwrap()
        .args(["asynclint", "--format", "json"])
        .current_dir(p)
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let v = json_of(&out);
    assert_eq!(v["files_checked"], 3);
    let paths: Vec<&str> = v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, ["app/examples/demo.rs", "core/src/lib.rs"]);
}
