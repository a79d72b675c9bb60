//! Bad input gets a clear error with its path and position, every other file is
//! still checked, and nothing panics.

use assert_cmd::Command;
use asynclint::rules::RULES;
use serde_json::Value;
use std::fs;

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
        "async fn f() {{ let x = 1{}; std::thread::sleep(d); }}",
        " + 1".repeat(40_000)
    );
    let a = asynclint::analyze_source("flat.rs", &text, RULES).expect("parses");
    assert_eq!(a.diagnostics.len(), 1);
}
