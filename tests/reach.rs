//! Running right in every workspace, through the built binary: each file's nearest
//! configuration, `extend`, `per-file-ignores`, the project root as the end of
//! discovery, `.gitignore`, one report per file, `@generated`, baselines across
//! directories, stdin and `--changed-since`.

mod common;

use common::{asynclint, write, BLOCKING};
use serde_json::Value;
use std::path::Path;

/// `asynclint check ARGS --format json` in `dir`: exit code and report.
fn json(dir: &Path, args: &[&str]) -> (i32, Value, String) {
    let out = asynclint()
        .arg("check")
        .args(args)
        .args(["--format", "json"])
        .current_dir(dir)
        .output()
        .unwrap();
    let v = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    (
        out.status.code().unwrap(),
        v,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `(path, rule, severity)` of each diagnostic.
fn found(v: &Value) -> Vec<(String, String, String)> {
    v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["path"].as_str().unwrap().to_string(),
                d["rule"].as_str().unwrap().to_string(),
                d["severity"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

const SLEEPY: &str =
    "pub async fn nap() {\n    std::thread::sleep(std::time::Duration::from_secs(1));\n}\n";

fn git(dir: &Path, args: &[&str]) {
    let ok = std::process::Command::new("git")
        .args([
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@t",
            "-c",
            "init.defaultBranch=main",
        ])
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        ok.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&ok.stderr)
    );
}

/// Two crates, two configurations: each crate's applies to its files, whatever the
/// order of the arguments, and `check .` from the workspace root too.
#[test]
fn each_crate_gets_its_own_configuration_in_any_argument_order() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    write(p, "Cargo.toml", "[workspace]\nmembers = [\"a\", \"b\"]\n");
    write(p, "a/Cargo.toml", "[package]\nname = \"a\"\nversion = \"0.1.0\"\n\n[package.metadata.asynclint.rules.blocking-in-async]\nseverity = \"error\"\n");
    write(p, "a/src/lib.rs", BLOCKING);
    write(
        p,
        "b/asynclint.toml",
        "[rules.blocking-in-async]\nenabled = false\n",
    );
    write(
        p,
        "b/Cargo.toml",
        "[package]\nname = \"b\"\nversion = \"0.1.0\"\n",
    );
    write(p, "b/src/lib.rs", BLOCKING);
    let expected = vec![(
        "a/src/lib.rs".to_string(),
        "blocking-in-async".to_string(),
        "error".to_string(),
    )];
    for args in [&["a", "b"][..], &["b", "a"], &["b/src", "a/src/lib.rs"]] {
        let (code, v, _) = json(p, args);
        assert_eq!(code, 1, "{args:?}");
        let mut f = found(&v);
        for d in &mut f {
            d.0 = d.0.trim_start_matches("./").to_string();
        }
        assert_eq!(f, expected, "{args:?}");
        assert_eq!(v["files_checked"], 2);
    }
    let (_, v, _) = json(p, &["."]);
    assert_eq!(found(&v).len(), 1);
    assert_eq!(found(&v)[0].0, "./a/src/lib.rs");
    // From inside a crate, its own configuration.
    let (code, _, _) = json(&p.join("b"), &["src"]);
    assert_eq!(code, 0);
}

#[test]
fn extend_and_per_file_ignores() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    write(p, ".git/HEAD", "");
    write(
        p,
        "asynclint.toml",
        "[rules.blocking-in-async]\nseverity = \"error\"\n",
    );
    write(
        p,
        "app/asynclint.toml",
        "extend = \"../asynclint.toml\"\n\
         per-file-ignores = { \"src/legacy/**\" = [\"blocking-in-async\"], \"*_gen.rs\" = [\"latency\"] }\n",
    );
    write(p, "app/src/lib.rs", BLOCKING);
    write(p, "app/src/legacy/old.rs", BLOCKING);
    write(p, "app/src/api_gen.rs", BLOCKING);
    let (code, v, _) = json(p, &["app"]);
    assert_eq!(code, 1);
    let f = found(&v);
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(f[0].0, "app/src/lib.rs");
    assert_eq!(f[0].2, "error", "inherited from the extended file");
    assert_eq!(v["files_checked"], 3, "ignored rules, not ignored files");
}

/// A stray configuration above the project root (`.git`) never applies, and a
/// broken `Cargo.toml` up there does not break the run.
#[test]
fn discovery_stops_at_the_project_root() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path();
    write(home, "asynclint.toml", "exclude = [\"**\"]\n");
    write(home, "Cargo.toml", "this is [not toml\n");
    let project = home.join("project");
    write(&project, ".git/HEAD", "");
    write(&project, "src/lib.rs", BLOCKING);
    let (code, v, err) = json(&project, &["."]);
    assert_eq!((code, found(&v).len()), (1, 1), "{err}");
    // Without the `.git` marker the stray exclude applies to everything: that is
    // "nothing checked", an error, not a silent pass.
    std::fs::remove_dir_all(project.join(".git")).unwrap();
    write(home, "Cargo.toml", "[workspace]\n");
    let (code, v, _) = json(&project, &["."]);
    assert_eq!(code, 2);
    assert!(v["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("no Rust file to check"));
}

#[test]
fn gitignored_files_are_skipped_unless_no_ignore() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    git(p, &["init", "-q"]);
    write(p, ".gitignore", "/vendor/\n");
    write(p, "src/lib.rs", BLOCKING);
    write(p, "vendor/dep/src/lib.rs", BLOCKING);
    write(p, "gen/.ignore", "*.rs\n");
    write(p, "gen/out.rs", BLOCKING);
    let (_, v, _) = json(p, &["."]);
    assert_eq!(v["files_checked"], 1);
    let (_, v, _) = json(p, &[".", "--no-ignore"]);
    assert_eq!(v["files_checked"], 3);
    // A file named explicitly is always checked.
    let (_, v, _) = json(p, &["vendor/dep/src/lib.rs"]);
    assert_eq!(v["files_checked"], 1);
}

#[test]
fn a_file_reached_twice_is_checked_and_reported_once() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    write(p, "pkg/src/lib.rs", BLOCKING);
    let (code, v, _) = json(p, &["pkg", "./pkg", "pkg/src/lib.rs", "pkg/../pkg/src"]);
    assert_eq!(code, 1);
    assert_eq!(v["files_checked"], 1);
    assert_eq!(found(&v).len(), 1);
    assert_eq!(found(&v)[0].0, "pkg/src/lib.rs");
}

#[test]
fn nothing_to_check_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "README.md", "no Rust here\n");
    let (code, v, _) = json(dir.path(), &["."]);
    assert_eq!(code, 2);
    assert_eq!(v["files_checked"], 0);
}

/// Every rule honours an `@generated` header: the file is indexed, never reported.
#[test]
fn generated_files_are_not_reported_by_any_rule() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    let code = format!(
        "{BLOCKING}pub async fn spawn_and_forget() {{\n    // asynclint: allow(unbounded-channel)\n    tokio::spawn(async {{}});\n}}\n"
    );
    write(p, "src/plain.rs", &code);
    write(p, "src/gen.rs", &format!("// @generated by a tool\n{code}"));
    let (_, v, _) = json(p, &["src", "--select", "all"]);
    let f = found(&v);
    assert!(f.len() >= 3, "{f:?}");
    assert!(f.iter().all(|d| d.0 == "src/plain.rs"), "{f:?}");
    assert_eq!(v["files_checked"], 2);
}

/// A baseline written in one directory matches from another.
#[test]
fn baselines_match_from_any_directory() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    write(p, "crate/src/lib.rs", BLOCKING);
    std::fs::create_dir_all(p.join("ci")).unwrap();
    asynclint()
        .args(["check", "src", "--write-baseline", "../ci/baseline.json"])
        .current_dir(p.join("crate"))
        .assert()
        .code(0);
    let b: Value =
        serde_json::from_slice(&std::fs::read(p.join("ci/baseline.json")).unwrap()).unwrap();
    assert_eq!(b["version"], 2);
    assert_eq!(b["findings"][0]["path"], "../crate/src/lib.rs");
    for (cwd, target, baseline) in [
        (p.to_path_buf(), "crate", "ci/baseline.json"),
        (p.join("ci"), "../crate/src", "baseline.json"),
        (p.join("crate/src"), ".", "../../ci/baseline.json"),
    ] {
        asynclint()
            .args(["check", target, "--baseline", baseline])
            .current_dir(&cwd)
            .assert()
            .code(0)
            .stderr(predicates::str::contains("1 known finding hidden"));
    }
    // A version 1 baseline (paths relative to where it ran) is still read.
    std::fs::write(
        p.join("v1.json"),
        format!(
            "{{\"version\": 1, \"findings\": [{{\"rule\": \"blocking-in-async\", \"path\": \"crate/src/lib.rs\", \"line_text\": {}, \"occurrence\": 0}}]}}",
            b["findings"][0]["line_text"]
        ),
    )
    .unwrap();
    asynclint()
        .args(["check", "crate", "--baseline", "v1.json"])
        .current_dir(p)
        .assert()
        .code(0);
}

/// A crate where `b.rs` calls an async fn of `a.rs` without awaiting it: a finding
/// only the crate-wide index can make.
fn cross_file_crate(p: &Path) {
    write(
        p,
        "Cargo.toml",
        "[package]\nname = \"x\"\nversion = \"0.1.0\"\n",
    );
    write(p, "src/lib.rs", "pub mod a;\npub mod b;\npub mod c;\n");
    write(p, "src/a.rs", "pub async fn save(x: u8) {}\n");
    write(
        p,
        "src/b.rs",
        "pub async fn run() {\n    crate::a::save(1);\n}\n",
    );
    write(p, "src/c.rs", SLEEPY);
}

#[test]
fn stdin_is_checked_in_its_crate_context_and_reported_under_its_path() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    cross_file_crate(p);
    // The editor's unsaved text: the call moved to line 3.
    let text = "pub async fn run() {\n    let _x = 1;\n    crate::a::save(1);\n}\n";
    let out = asynclint()
        .args([
            "check",
            "-",
            "--stdin-filename",
            "src/b.rs",
            "--format",
            "json",
        ])
        .current_dir(p)
        .write_stdin(text)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let d = &v["diagnostics"];
    assert_eq!(d.as_array().unwrap().len(), 1, "{v}");
    assert_eq!(d[0]["path"], "src/b.rs");
    assert_eq!(d[0]["rule"], "unawaited-future");
    assert_eq!(d[0]["line"], 3, "the text from stdin, not the file on disk");
    // A new file that does not exist yet, and a clean text.
    asynclint()
        .args(["check", "-", "--stdin-filename", "src/new.rs"])
        .current_dir(p)
        .write_stdin("pub fn f() {}\n")
        .assert()
        .code(0)
        .stdout(predicates::str::contains("1 file checked"));
    asynclint()
        .args(["check", "-"])
        .current_dir(p)
        .assert()
        .code(2)
        .stderr(predicates::str::contains("--stdin-filename"));
}

/// Stdin's file is one of its package's files, however its path is written: a
/// crate-private helper in another file is known to block.
#[test]
fn stdin_named_without_a_leading_dot_shares_its_package_with_the_walked_files() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    cross_file_crate(p);
    write(
        p,
        "src/a.rs",
        "pub(crate) fn load() -> String {\n    std::fs::read_to_string(\"x.toml\").unwrap()\n}\n",
    );
    let text = "pub async fn run() -> usize {\n    crate::a::load().len()\n}\n";
    write(p, "src/b.rs", text);
    for name in ["src/b.rs", "./src/b.rs"] {
        let out = asynclint()
            .args(["check", "-", "--stdin-filename", name, "--format", "json"])
            .current_dir(p)
            .write_stdin(text)
            .output()
            .unwrap();
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        let rules: Vec<&str> = v["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|d| d["rule"].as_str())
            .collect();
        assert_eq!(rules, ["blocking-in-async"], "{name}: {v}");
    }
}

#[test]
fn changed_since_reports_changed_files_with_the_whole_crate_indexed() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    cross_file_crate(p);
    write(p, "src/b.rs", "pub async fn run() {}\n");
    git(p, &["init", "-q"]);
    git(p, &["add", "."]);
    git(p, &["commit", "-qm", "base"]);
    // b.rs changes (the cross-file finding); c.rs keeps its old finding; d.rs is new.
    write(
        p,
        "src/b.rs",
        "pub async fn run() {\n    crate::a::save(1);\n}\n",
    );
    write(p, "src/d.rs", SLEEPY);
    let (code, v, err) = json(p, &[".", "--changed-since", "HEAD"]);
    assert_eq!(code, 1, "{err}");
    let f = found(&v);
    let paths: Vec<&str> = f.iter().map(|d| d.0.as_str()).collect();
    assert_eq!(paths, ["./src/b.rs", "./src/d.rs"], "{f:?}");
    assert_eq!(f[0].1, "unawaited-future");
    assert_eq!(v["files_checked"], 5, "every file is indexed");
    // Committed changes count too; nothing changed since the last commit: clean.
    git(p, &["add", "."]);
    git(p, &["commit", "-qm", "next"]);
    let (code, v, _) = json(p, &["src", "--changed-since", "HEAD~1"]);
    assert_eq!((code, found(&v).len()), (1, 2));
    let (code, _, _) = json(p, &["src", "--changed-since", "HEAD"]);
    assert_eq!(code, 0);
    let (code, _, err) = json(p, &["src", "--changed-since", "no-such-ref"]);
    assert_eq!(code, 2);
    assert!(err.contains("--changed-since"), "{err}");
}

/// A broken configuration found during the walk fails the run (exit 2) with its
/// position; the files of other configurations are still checked and reported.
#[test]
fn a_broken_nested_configuration_is_reported_and_the_rest_still_checked() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    write(p, ".git/HEAD", "");
    write(p, "a/src/lib.rs", BLOCKING);
    write(p, "b/src/lib.rs", BLOCKING);
    write(
        p,
        "b/asynclint.toml",
        "[rules.blocking-in-async]\nextra-calls = [{ path = \"x\", replacment = \"y\" }]\n",
    );
    let (code, v, _) = json(p, &["."]);
    assert_eq!(code, 2);
    assert_eq!(found(&v).len(), 1);
    assert_eq!(found(&v)[0].0, "./a/src/lib.rs");
    let e = &v["errors"][0];
    assert!(
        e["path"].as_str().unwrap().ends_with("b/asynclint.toml"),
        "{e}"
    );
    assert_eq!(e["line"], 2, "{e}");
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .contains("unknown field `replacment`"),
        "{e}"
    );
}

#[test]
fn compile_fail_cases_of_ui_tests_are_not_walked_into() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    write(p, "src/lib.rs", "pub fn f() {}\n");
    // A trybuild case: written not to compile, its expected errors beside it.
    write(p, "tests/ui/guard.rs", BLOCKING);
    write(p, "tests/ui/guard.stderr", "error: future cannot be sent\n");
    // A passing case (no `.stderr`) and a `.stderr` outside `tests/` are checked.
    write(p, "tests/ui/pass.rs", BLOCKING);
    write(p, "src/gen.rs", BLOCKING);
    write(p, "src/gen.stderr", "\n");
    let (code, v, _) = json(p, &["."]);
    assert_eq!(code, 1);
    assert_eq!(v["files_checked"], 3);
    let paths: Vec<String> = found(&v).into_iter().map(|f| f.0).collect();
    assert_eq!(paths, ["./src/gen.rs"]);
    // Named on the command line, it is checked.
    let (_, v, _) = json(p, &["tests/ui/guard.rs"]);
    assert_eq!(v["files_checked"], 1);
}
