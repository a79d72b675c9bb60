//! Bad input gets a clear error with its path and position, every other file is
//! still checked, and nothing panics.

use assert_cmd::Command;
use asynclint::rules::RULES;
use serde_json::Value;
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

const GOOD: &str =
    "pub async fn pause() {\n    std::thread::sleep(std::time::Duration::from_secs(1));\n}\n";

fn run_json(dir: &std::path::Path) -> (i32, Value, String) {
    let out = Command::cargo_bin("asynclint")
        .unwrap()
        .args(["check", ".", "--format", "json"])
        .current_dir(dir)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    let v: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("stdout is not JSON ({e}); stderr: {stderr}"));
    (out.status.code().unwrap_or(-1), v, stderr)
}

fn error_for<'v>(v: &'v Value, path: &str) -> &'v Value {
    v["errors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["path"] == path)
        .unwrap_or_else(|| panic!("no error reported for {path}: {v}"))
}

#[test]
fn every_kind_of_bad_file_is_reported_and_the_rest_is_checked() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    fs::write(p.join("good.rs"), GOOD).unwrap();
    fs::write(p.join("syntax.rs"), "async fn f() {\n    let x = ;\n}\n").unwrap();
    fs::write(p.join("unbalanced.rs"), "fn f() {\n    (]\n").unwrap();
    fs::write(p.join("latin1.rs"), b"fn f() {}\n// caf\xe9\n").unwrap();
    fs::write(p.join("empty.rs"), "").unwrap();
    let deep = format!(
        "fn f() {{ let x = {}1{}; }}\n",
        "(".repeat(5000),
        ")".repeat(5000)
    );
    fs::write(p.join("deep.rs"), deep).unwrap();
    let unary = format!("fn f() {{ let x = {}true; }}\n", "!".repeat(50_000));
    fs::write(p.join("unary.rs"), unary).unwrap();
    fs::create_dir(p.join("sub")).unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink("..", p.join("sub/loop")).unwrap();

    let (code, v, stderr) = run_json(p);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(code, 2, "{v}");
    // The good file and the empty file are checked; the finding is reported.
    assert_eq!(v["files_checked"], 2, "{v}");
    assert_eq!(v["diagnostics"][0]["path"], "./good.rs");
    assert_eq!(v["diagnostics"][0]["rule"], "blocking-in-async");

    let e = error_for(&v, "./syntax.rs");
    assert_eq!(
        (&e["line"], &e["column"]),
        (&Value::from(2), &Value::from(13)),
        "{e}"
    );
    assert!(e["message"].as_str().unwrap().contains("at 2:13"));
    let e = error_for(&v, "./unbalanced.rs");
    assert_eq!(e["line"], 2, "{e}");
    let e = error_for(&v, "./latin1.rs");
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .contains("not valid UTF-8 (invalid byte at 2:7)"),
        "{e}"
    );
    let e = error_for(&v, "./deep.rs");
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .contains("nested deeper than 256"),
        "{e}"
    );
    error_for(&v, "./unary.rs");
    #[cfg(unix)]
    assert!(error_for(&v, "./sub/loop")["message"]
        .as_str()
        .unwrap()
        .contains("loops back"));
}

#[test]
fn a_five_megabyte_file_is_checked() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::new();
    let mut n = 0;
    while text.len() < 5 * 1024 * 1024 {
        text.push_str(&format!(
            "pub async fn handler_{n}(path: &str) -> std::io::Result<usize> {{\n    \
             let body = std::fs::read_to_string(path)?;\n    \
             let parsed: Vec<&str> = body.lines().filter(|l| !l.is_empty()).collect();\n    \
             Ok(parsed.len() + {n})\n}}\n\n"
        ));
        n += 1;
    }
    fs::write(dir.path().join("big.rs"), &text).unwrap();
    let (code, v, _) = run_json(dir.path());
    assert_eq!(code, 1);
    assert_eq!(v["diagnostics"].as_array().unwrap().len(), n);
}

/// A small deterministic generator, so failures reproduce.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
}

#[test]
fn garbage_and_mutated_sources_never_panic() {
    let seeds: Vec<String> = [
        "blocking-in-async",
        "block-on-in-async",
        "dropped-join-handle",
    ]
    .iter()
    .flat_map(|r| ["bad.rs", "good.rs"].map(|f| format!("fixtures/{r}/{f}")))
    .filter_map(|p| fs::read_to_string(p).ok())
    .collect();
    assert!(!seeds.is_empty());
    let mut rng = Lcg(7);
    let tokens = [
        "(",
        ")",
        "{",
        "}",
        "async",
        ".await",
        "tokio::select!",
        "=>",
        "!",
        "'",
        "\"",
        "r#\"",
        "/*",
        "::",
        ";",
        "|",
        "<",
        ">",
    ];
    for round in 0..400 {
        let base = &seeds[round % seeds.len()];
        let mut text: Vec<u8> = base.as_bytes().to_vec();
        for _ in 0..(1 + rng.next() % 8) {
            let at = (rng.next() as usize) % (text.len() + 1);
            match rng.next() % 4 {
                0 => text.truncate(at),
                1 => {
                    let t = tokens[(rng.next() as usize) % tokens.len()];
                    text.splice(at..at, t.bytes());
                }
                2 => {
                    let end = (at + (rng.next() as usize) % 64).min(text.len());
                    text.drain(at..end);
                }
                _ => text.insert(at, (rng.next() % 256) as u8),
            }
        }
        let text = String::from_utf8_lossy(&text);
        let _ = asynclint::analyze_source("mutated.rs", &text, RULES);
    }
    for len in [0usize, 1, 7, 100, 4096] {
        let bytes: Vec<u8> = (0..len).map(|_| (rng.next() % 128) as u8).collect();
        let _ = asynclint::analyze_source("noise.rs", &String::from_utf8_lossy(&bytes), RULES);
    }
}

#[test]
fn long_flat_expressions_do_not_overflow_the_stack() {
    // 40,000 terms nest the syntax tree 40,000 deep on the left.
    let text = format!(
        "async fn f() {{ let x = 1{}; let h = tokio::spawn(async {{ std::thread::sleep(d); }}); h.await; }}",
        " + 1".repeat(40_000)
    );
    let a = asynclint::analyze_source("flat.rs", &text, RULES).expect("parses");
    assert_eq!(a.diagnostics.len(), 1);
}

// ---- --fix under hostile conditions ------------------------------------------------

fn bin() -> std::path::PathBuf {
    assert_cmd::cargo::cargo_bin("asynclint")
}

/// Copies the directory tree `from` to `to`.
fn copy_tree(from: &Path, to: &Path) {
    for entry in walkdir::WalkDir::new(from) {
        let entry = entry.unwrap();
        let dest = to.join(entry.path().strip_prefix(from).unwrap());
        if entry.file_type().is_dir() {
            fs::create_dir_all(&dest).unwrap();
        } else {
            fs::copy(entry.path(), &dest).unwrap();
        }
    }
}

/// Every file under `dir`, by path relative to it, with its bytes (not the content
/// cache's entries).
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_entry(|e| e.file_name() != ".asynclint_cache")
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            (
                e.path().strip_prefix(dir).unwrap().to_path_buf(),
                fs::read(e.path()).unwrap(),
            )
        })
        .collect()
}

const TOKIO_FULL: &str =
    "[package]\nname = \"fixtures\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n\
                          [dependencies]\ntokio = { version = \"1\", features = [\"full\"] }\n";

/// `kill -9` at random points of `--fix` over a copy of the fixtures (and 60 small
/// fixable files, so that the writes take a while): every file is
/// always either its old or its new text, never a mix, and the next `--fix` finishes
/// the job and leaves no temporary file behind.
#[cfg(unix)]
#[test]
fn a_killed_fix_leaves_every_file_old_or_new() {
    let work = tempfile::tempdir().unwrap();
    let template = work.path().join("template");
    copy_tree(
        Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures")),
        &template.join("fixtures"),
    );
    fs::write(template.join("Cargo.toml"), TOKIO_FULL).unwrap();
    fs::create_dir_all(template.join("many")).unwrap();
    for i in 0..60 {
        let text = format!(
            "use std::fs;\nuse std::time::Duration;\n\npub async fn load{i}(p: &str) -> std::io::Result<String> {{\n    \
             std::thread::sleep(Duration::from_millis({i}));\n    fs::read_to_string(p)\n}}\n"
        );
        fs::write(template.join(format!("many/file{i}.rs")), text).unwrap();
    }
    let old = snapshot(&template);
    let fix = |dir: &Path| {
        let mut c = std::process::Command::new(bin());
        c.args(["check", ".", "--fix", "-q"])
            .current_dir(dir)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null());
        c
    };
    // One uninterrupted run: the new texts, and how long a run takes.
    let full = work.path().join("full");
    copy_tree(&template, &full);
    let start = std::time::Instant::now();
    fix(&full).status().unwrap();
    let took = start.elapsed();
    let new = snapshot(&full);
    let changed = old.iter().filter(|(p, t)| new.get(*p) != Some(*t)).count();
    assert!(changed >= 61, "only {changed} files change under --fix");

    let mut rng = Lcg(2024);
    let (mut untouched, mut mixed, mut done, mut temps_left) = (0, 0, 0, 0);
    for round in 0..200 {
        let dir = work.path().join(format!("run{round}"));
        copy_tree(&template, &dir);
        let mut child = fix(&dir).spawn().unwrap();
        let wait = took.as_micros() as u64 * (rng.next() % 1100) / 1000;
        std::thread::sleep(std::time::Duration::from_micros(wait));
        let _ = child.kill();
        child.wait().unwrap();
        let now = snapshot(&dir);
        let mut fixed = 0;
        for (path, text) in &now {
            let name = path.file_name().unwrap().to_string_lossy();
            if name.starts_with(".asynclint-fix-") {
                temps_left += 1;
                continue;
            }
            let (o, n) = (&old[path], &new[path]);
            assert!(
                text == o || text == n,
                "round {round}: {} is neither old nor new",
                path.display()
            );
            fixed += usize::from(text == n && o != n);
        }
        match fixed {
            0 => untouched += 1,
            n if n == changed => done += 1,
            _ => mixed += 1,
        }
        if round % 10 == 0 {
            fix(&dir).status().unwrap();
            assert_eq!(
                snapshot(&dir),
                new,
                "round {round}: the next --fix finishes the job"
            );
        }
        fs::remove_dir_all(&dir).unwrap();
    }
    eprintln!(
        "200 kills: {untouched} before any write, {mixed} between writes, {done} after the last; \
         {temps_left} temporary files left (removed by the next run)"
    );
    assert!(
        mixed > 0,
        "no kill landed between two writes ({untouched} {done}): the test proves nothing"
    );
}

/// The cargo package cache's newest tokio 1.x, if any: the crates a fix produces are
/// built against it, offline.
fn cached_tokio() -> Option<String> {
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".cargo")))?;
    let mut versions: Vec<Vec<u64>> = fs::read_dir(home.join("registry/cache"))
        .ok()?
        .flatten()
        .flat_map(|index| fs::read_dir(index.path()).into_iter().flatten().flatten())
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let v = name
                .strip_prefix("tokio-1.")?
                .strip_suffix(".crate")?
                .to_string();
            let parts: Option<Vec<u64>> = format!("1.{v}")
                .split('.')
                .map(|p| p.parse().ok())
                .collect();
            parts
        })
        .collect();
    versions.sort();
    versions
        .last()
        .map(|v| v.iter().map(u64::to_string).collect::<Vec<_>>().join("."))
}

/// `cargo build --offline` (or `run`) of the crate in `dir`, sharing one target
/// directory so that tokio is compiled once per feature set.
fn cargo(dir: &Path, command: &str) -> std::process::Output {
    let target = Path::new(env!("CARGO_TARGET_TMPDIR")).join("fixed-crates");
    std::process::Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
        .args([command, "--offline", "--quiet"])
        .env("CARGO_TARGET_DIR", target)
        .env_remove("RUSTFLAGS")
        .current_dir(dir)
        .output()
        .unwrap()
}

fn asynclint_in(dir: &Path, args: &[&str]) -> std::process::Output {
    std::process::Command::new(bin())
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap()
}

fn assert_ok(out: &std::process::Output, what: &str) {
    assert!(
        out.status.success(),
        "{what}: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

macro_rules! tokio_or_skip {
    () => {
        match cached_tokio() {
            Some(v) => v,
            None => {
                eprintln!(
                    "SKIPPED: no tokio 1.x in the cargo package cache to build fixed crates \
                     against offline (.ci/run fetches one; `cargo fetch` in a crate that \
                     depends on tokio does too)"
                );
                return;
            }
        }
    };
}

/// A workspace member that inherits tokio's features, under `#![deny(warnings)]`,
/// whose blocking calls go through every import style: it builds before `--fix` and
/// after it (the imports the fixes left unused are gone).
#[test]
fn a_fixed_crate_still_builds_under_deny_warnings() {
    let tokio = tokio_or_skip!();
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    let write = |name: &str, text: &str| {
        fs::create_dir_all(p.join(name).parent().unwrap()).unwrap();
        fs::write(p.join(name), text).unwrap();
    };
    write(
        "Cargo.toml",
        &format!("[workspace]\nmembers = [\"app\"]\nresolver = \"2\"\n\n[workspace.dependencies]\ntokio = {{ version = \"{tokio}\", features = [\"full\"] }}\n"),
    );
    write(
        "app/Cargo.toml",
        "[package]\nname = \"fixed-app\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\ntokio = { workspace = true }\n",
    );
    let main = "#![deny(warnings)]\n\
                use std::fs;\n\
                use std::thread;\n\
                use std::thread::sleep as nap;\n\
                use std::time::Duration;\n\
                use std::{io, thread::sleep};\n\n\
                async fn load(p: &str) -> io::Result<String> {\n    \
                    thread::sleep(Duration::from_millis(1));\n    \
                    nap(Duration::from_millis(1));\n    \
                    sleep(Duration::from_millis(1));\n    \
                    fs::read_to_string(p)\n\
                }\n\n\
                #[tokio::main(flavor = \"current_thread\")]\n\
                async fn main() -> io::Result<()> {\n    \
                    tokio::spawn(async { load(\"Cargo.toml\").await.ok() }).await.ok();\n    \
                    let text = load(\"Cargo.toml\").await?;\n    \
                    assert!(text.contains(\"fixed-app\"));\n    \
                    Ok(())\n\
                }\n";
    write("app/src/main.rs", main);
    // With a library target the program is not a lone command-line tool, whose
    // blocking would stall no other task; and `main` spawns a task on its one thread
    // before it awaits `load`, so `load` does not run alone either. The spawned task
    // runs `load` too, so it is no start-up code that runs once.
    write("app/src/lib.rs", "//! The app's library.\n");
    assert_ok(&cargo(p, "build"), "the crate builds before --fix");
    let out = asynclint_in(p, &["check", ".", "--fix"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("fixed 4 findings in 1 file"));
    let fixed = fs::read_to_string(p.join("app/src/main.rs")).unwrap();
    assert!(
        !fixed.contains("use std::fs;") && !fixed.contains("nap"),
        "{fixed}"
    );
    assert_ok(
        &cargo(&p.join("app"), "run"),
        "the fixed crate builds and runs",
    );
}

/// tokio without `fs`: the `tokio::fs` fix is not applied by `--fix` (the crate
/// still builds); `--unsafe-fixes` applies it, and the build breaks, as it would.
#[test]
fn a_fix_the_manifest_cannot_support_is_left_to_unsafe_fixes() {
    let tokio = tokio_or_skip!();
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    fs::create_dir_all(p.join("src")).unwrap();
    fs::write(
        p.join("Cargo.toml"),
        format!("[package]\nname = \"no-fs\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\ntokio = {{ version = \"{tokio}\", features = [\"rt\", \"macros\", \"time\"] }}\n"),
    )
    .unwrap();
    fs::write(
        p.join("src/main.rs"),
        "#![deny(warnings)]\nuse std::time::Duration;\n\n\
         async fn work() {\n    \
         std::thread::sleep(Duration::from_millis(1));\n    \
         let _ = std::fs::read_to_string(\"Cargo.toml\");\n}\n\n\
         #[tokio::main(flavor = \"current_thread\")]\nasync fn main() {\n    tokio::spawn(work()).await.ok();\n    work().await;\n}\n",
    )
    .unwrap();
    fs::write(p.join("src/lib.rs"), "//! The library.\n").unwrap();
    let out = asynclint_in(p, &["check", ".", "--fix"]);
    assert_eq!(out.status.code(), Some(1), "the fs finding remains");
    let text = fs::read_to_string(p.join("src/main.rs")).unwrap();
    assert!(
        text.contains("tokio::time::sleep(Duration::from_millis(1)).await;"),
        "{text}"
    );
    assert!(text.contains("std::fs::read_to_string"), "{text}");
    assert_ok(&cargo(p, "build"), "the crate builds after --fix");
    asynclint_in(p, &["check", ".", "--fix", "--unsafe-fixes"]);
    let out = cargo(p, "build");
    assert!(
        !out.status.success(),
        "tokio::fs without the fs feature built"
    );
}

/// `Runtime::block_on` on a runtime built without timers, after a task is spawned on
/// it: the sleep fix is not applied, and the program runs; with `--unsafe-fixes` it
/// would panic.
#[test]
fn the_sleep_fix_is_not_applied_on_a_runtime_without_timers() {
    let tokio = tokio_or_skip!();
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    fs::create_dir_all(p.join("src")).unwrap();
    fs::write(
        p.join("Cargo.toml"),
        format!("[package]\nname = \"timerless\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\ntokio = {{ version = \"{tokio}\", features = [\"full\"] }}\n"),
    )
    .unwrap();
    let main = "fn main() {\n    \
                let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();\n    \
                rt.block_on(async {\n        \
                tokio::spawn(async {});\n        \
                std::thread::sleep(std::time::Duration::from_millis(1));\n    \
                });\n    \
                println!(\"done\");\n}\n";
    fs::write(p.join("src/main.rs"), main).unwrap();
    fs::write(p.join("src/lib.rs"), "//! The library.\n").unwrap();
    let out = asynclint_in(p, &["check", ".", "--fix"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(fs::read_to_string(p.join("src/main.rs")).unwrap(), main);
    let run = cargo(p, "run");
    assert_ok(&run, "the unfixed program runs");
    asynclint_in(p, &["check", ".", "--fix", "--unsafe-fixes"]);
    let run = cargo(p, "run");
    assert!(!run.status.success());
    assert!(String::from_utf8_lossy(&run.stderr).contains("timers are disabled"));
}
