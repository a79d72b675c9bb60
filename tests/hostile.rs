//! Hostile input through the real binary: odd file systems and names, huge lines,
//! terminal escapes in names and code, closed pipes, absurd thread counts. Each test
//! builds its FIFOs, names and links in a temporary directory.

use serde_json::Value;
use std::fs;
use std::io::Read;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

const SLEEPY: &str =
    "pub async fn pause() {\n    std::thread::sleep(std::time::Duration::from_secs(1));\n}\n";

fn bin() -> std::path::PathBuf {
    assert_cmd::cargo::cargo_bin("asynclint")
}

/// Runs `asynclint args` in `dir` with a time limit: a hang fails the test instead of
/// stalling the suite. Returns the exit code, stdout and stderr.
fn run_in(dir: &Path, args: &[&str], limit: Duration) -> (i32, Vec<u8>, String) {
    let mut child = std::process::Command::new(bin())
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let out = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = stdout.read_to_end(&mut v);
        v
    });
    let err = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = stderr.read_to_end(&mut v);
        String::from_utf8_lossy(&v).into_owned()
    });
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("asynclint {args:?} still running after {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let (out, err) = (out.join().unwrap(), err.join().unwrap());
    assert!(!err.contains("panicked"), "{err}");
    (status.code().unwrap_or(-1), out, err)
}

fn json(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(bytes)))
}

fn errors(v: &Value) -> Vec<(String, String)> {
    v["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["path"].as_str().unwrap().to_string(),
                e["message"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[cfg(unix)]
fn mkfifo(path: &Path) {
    let status = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .unwrap();
    assert!(status.success());
}

/// Two names that differ only in bytes that are not UTF-8 stay two files: each is
/// reported under its own escaped name, the human output renders both (it used to
/// panic), and each escaped name leads back to its file.
#[cfg(target_os = "linux")]
#[test]
fn names_with_invalid_utf8_stay_distinct() {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    fs::write(p.join(OsStr::from_bytes(b"x\xff.rs")), SLEEPY).unwrap();
    let other = format!("\n\n{SLEEPY}");
    fs::write(p.join(OsStr::from_bytes(b"x\xfe.rs")), other).unwrap();
    // A valid name that reads like the escape of an invalid one.
    fs::write(p.join("x\\xfd.rs"), SLEEPY).unwrap();

    let (code, out, _) = run_in(
        p,
        &["check", ".", "--format", "json"],
        Duration::from_secs(60),
    );
    assert_eq!(code, 1);
    let v = json(&out);
    let mut seen: Vec<(String, u64)> = v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["path"].as_str().unwrap().to_string(),
                d["line"].as_u64().unwrap(),
            )
        })
        .collect();
    seen.sort();
    assert_eq!(
        seen,
        [
            ("./x\\\\xfd.rs".to_string(), 2),
            ("./x\\xfe.rs".to_string(), 4),
            ("./x\\xff.rs".to_string(), 2)
        ]
    );
    let (code, out, err) = run_in(
        p,
        &["check", ".", "--color", "never"],
        Duration::from_secs(60),
    );
    assert_eq!(code, 1, "{err}");
    let out = String::from_utf8(out).unwrap();
    assert!(out.contains("┌─ ./x\\xff.rs:2:5"), "{out}");
    assert!(out.contains("┌─ ./x\\xfe.rs:4:5"), "{out}");
    assert!(
        out.contains("3 warnings, 0 errors; 3 files checked"),
        "{out}"
    );
}

/// A FIFO, a character device and a pipe named on the command line are errors
/// (exit 2), never a silent pass or a read that blocks; the other files are checked.
#[cfg(target_os = "linux")]
#[test]
fn fifos_devices_and_pipes_are_errors_not_hangs() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    mkfifo(&p.join("fifo.rs"));
    fs::write(p.join("ok.rs"), SLEEPY).unwrap();
    let limit = Duration::from_secs(30);
    for target in ["fifo.rs", "/dev/zero", "/dev/null"] {
        let (code, out, _) = run_in(p, &["check", target, "ok.rs", "--format", "json"], limit);
        assert_eq!(code, 2, "{target}");
        let v = json(&out);
        let errs = errors(&v);
        assert_eq!(errs.len(), 1, "{target}: {v}");
        assert_eq!(errs[0].0, target);
        assert!(errs[0].1.contains("not a regular file"), "{errs:?}");
        assert_eq!(v["files_checked"], 1, "{target}: the other file is checked");
    }
    // Process substitution: the path is a pipe that has a writer.
    let script = format!(
        "exec {} check <(printf 'async fn f() {{}}\\n') --format json",
        bin().display()
    );
    let out = std::process::Command::new("bash")
        .args(["-c", &script])
        .current_dir(p)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let v = json(&out.stdout);
    assert!(errors(&v)[0].1.contains("a FIFO or pipe"), "{v}");
}

/// A FIFO put in place of a checked file between discovery and reading: each run
/// ends, with the file checked or reported, never blocked on the FIFO.
#[cfg(target_os = "linux")]
#[test]
fn a_fifo_swapped_in_during_the_run_never_blocks() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().to_path_buf();
    for i in 0..20 {
        fs::write(p.join(format!("f{i}.rs")), SLEEPY).unwrap();
    }
    mkfifo(&p.join("spare.fifo"));
    fs::write(p.join("spare.file"), SLEEPY).unwrap();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let swapper = {
        let (p, stop) = (p.clone(), stop.clone());
        std::thread::spawn(move || {
            let mut swaps = 0u32;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                // f0.rs is a file, then a FIFO, then a file again.
                let _ = fs::rename(p.join("f0.rs"), p.join("held"));
                let _ = fs::rename(p.join("spare.fifo"), p.join("f0.rs"));
                std::thread::sleep(Duration::from_micros(700));
                let _ = fs::rename(p.join("f0.rs"), p.join("spare.fifo"));
                let _ = fs::rename(p.join("held"), p.join("f0.rs"));
                std::thread::sleep(Duration::from_micros(700));
                swaps += 1;
            }
            swaps
        })
    };
    let mut codes = std::collections::BTreeSet::new();
    for _ in 0..60 {
        let (code, _, _) = run_in(
            &p,
            &["check", ".", "--format", "json"],
            Duration::from_secs(30),
        );
        codes.insert(code);
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    assert!(swapper.join().unwrap() > 0);
    assert!(codes.iter().all(|c| [1, 2].contains(c)), "{codes:?}");
}

/// A file over the size limit is an error, read no further than the limit.
#[test]
fn a_file_over_the_size_limit_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let big = fs::File::create(dir.path().join("big.rs")).unwrap();
    big.set_len(asynclint::files::MAX_FILE_BYTES + 1).unwrap();
    fs::write(dir.path().join("ok.rs"), SLEEPY).unwrap();
    let (code, out, _) = run_in(
        dir.path(),
        &["check", ".", "--format", "json"],
        Duration::from_secs(60),
    );
    assert_eq!(code, 2);
    let v = json(&out);
    let errs = errors(&v);
    assert_eq!(errs[0].0, "./big.rs");
    assert!(
        errs[0].1.contains("larger than the 16 MiB limit"),
        "{errs:?}"
    );
    assert_eq!(v["files_checked"], 1);
}

/// 1 MB of code on one line, with one finding every 45 bytes.
fn one_line_megabyte() -> (String, usize) {
    let mut text = String::new();
    let mut n = 0;
    while text.len() < 1_000_000 {
        text.push_str(&format!("async fn f{n}() {{ std::thread::sleep(D); }} "));
        n += 1;
    }
    text.push('\n');
    (text, n)
}

/// A megabyte on one line costs about what the same code on many lines costs (it
/// was quadratic: 6.8 s against 0.7 s), and the human output stays small: long lines
/// are cut to a window around the span, and after a few findings on one line the
/// rest are shown one line each (it printed 1.36 GB).
#[test]
fn a_megabyte_on_one_line_is_checked_in_linear_time_and_output() {
    let dir = tempfile::tempdir().unwrap();
    let (one, n) = one_line_megabyte();
    fs::write(dir.path().join("one.rs"), &one).unwrap();
    fs::write(dir.path().join("many.rs"), one.replace("} ", "}\n")).unwrap();
    let limit = Duration::from_secs(120);
    let time = |file: &str| {
        let start = Instant::now();
        let (code, out, _) = run_in(dir.path(), &["check", file, "--format", "json"], limit);
        assert_eq!(code, 1);
        assert_eq!(json(&out)["diagnostics"].as_array().unwrap().len(), n);
        start.elapsed()
    };
    let many = time("many.rs");
    let one = time("one.rs");
    assert!(
        one < many * 3 + Duration::from_secs(1),
        "one line: {one:?}, many lines: {many:?}"
    );
    let (code, out, _) = run_in(dir.path(), &["check", "one.rs", "--color", "never"], limit);
    assert_eq!(code, 1);
    assert!(out.len() < 8 * 1024 * 1024, "{} bytes", out.len());
    let text = String::from_utf8(out).unwrap();
    assert_eq!(
        text.matches("one.rs:1:").count(),
        n,
        "every finding is shown"
    );
    assert!(
        text.lines().all(|l| l.len() < 1000),
        "a long line was printed whole"
    );
}

/// `check | head -1` ends quietly with the findings' exit code, in every format.
#[test]
fn a_closed_pipe_ends_the_run_quietly() {
    let dir = tempfile::tempdir().unwrap();
    let (one, _) = one_line_megabyte();
    fs::write(dir.path().join("one.rs"), &one).unwrap();
    for format in ["human", "json", "github", "sarif"] {
        let mut child = std::process::Command::new(bin())
            .args(["check", "one.rs", "--format", format])
            .current_dir(dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut first = [0u8; 16];
        child
            .stdout
            .as_mut()
            .unwrap()
            .read_exact(&mut first)
            .unwrap();
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{format}: {stderr}");
        assert!(stderr.is_empty(), "{format}: {stderr}");
    }
    let mut child = std::process::Command::new(bin())
        .args(["explain", "blocking-in-async"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0));
}

/// An absurd thread count is capped at the work there is.
#[test]
fn an_absurd_thread_count_is_capped() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("a.rs"), SLEEPY).unwrap();
    for threads in ["5000", "100000"] {
        let start = Instant::now();
        let (code, _, _) = run_in(
            dir.path(),
            &["check", "a.rs", "--threads", threads],
            Duration::from_secs(60),
        );
        assert_eq!(code, 1);
        assert!(start.elapsed() < Duration::from_secs(10), "{threads}");
    }
}

/// Escape sequences in file names, comments and strings are shown, not sent to the
/// terminal, in every format meant for people or logs; a newline in a file name
/// cannot start a line of its own (a forged `::error` workflow command).
#[cfg(unix)]
#[test]
fn escape_sequences_and_line_breaks_never_reach_the_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    let evil = "e\x1b]0;title\x07\n::error file=evil.rs,line=1::pwned\x1b[2J.rs";
    let text = "async fn f() {\n    // \x1b]52;c;cGF5bG9hZA==\x07\n    \
                std::thread::sleep(std::time::Duration::from_millis(\"\x1b[2J\".len() as u64));\n}\n";
    fs::write(p.join(evil), text).unwrap();
    fs::write(p.join("bad\x1b[31m.rs"), "fn f( {\n").unwrap();
    for args in [
        &["check", ".", "--color", "never"][..],
        &["check", ".", "--color", "always"],
        &["check", ".", "--format", "github"],
    ] {
        let (code, out, err) = run_in(p, args, Duration::from_secs(30));
        assert_eq!(code, 2, "{args:?}");
        let out = String::from_utf8(out).unwrap();
        // Colour codes are the only escapes, and only when asked for.
        let stripped = out
            .replace("\x1b[0m", "")
            .replace("\x1b[1m", "")
            .replace("\x1b[31m", "")
            .replace("\x1b[33m", "")
            .replace("\x1b[34m", "")
            .replace("\x1b[36m", "");
        let stripped = regex_free_strip(&stripped);
        assert!(!stripped.contains('\x1b'), "{args:?}: {out:?}");
        assert!(!stripped.contains('\x07'), "{args:?}: {out:?}");
        assert!(
            !out.lines().any(|l| l.starts_with("::error file=evil")),
            "{args:?}: {out}"
        );
        assert!(out.contains("\\u{1b}"), "{args:?}: {out}");
        assert!(!err.contains('\x1b'), "{err:?}");
    }
}

/// Removes the SGR colour sequences codespan-reporting writes (`ESC [ digits;.. m`).
fn regex_free_strip(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\x1b' && chars.peek() == Some(&'[') {
            let rest: String = chars.clone().take(12).collect();
            if let Some(end) = rest.find('m') {
                if rest[1..end].chars().all(|c| c.is_ascii_digit() || c == ';') {
                    for _ in 0..=end {
                        chars.next();
                    }
                    continue;
                }
            }
        }
        out.push(c);
    }
    out
}

/// A file that starts with a byte-order mark reports the columns an editor shows.
#[test]
fn a_byte_order_mark_takes_no_column() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("bom.rs"),
        "\u{feff}async fn f() { std::thread::sleep(std::time::Duration::ZERO); }\n",
    )
    .unwrap();
    let (code, out, _) = run_in(
        dir.path(),
        &["check", "bom.rs", "--format", "json"],
        Duration::from_secs(30),
    );
    assert_eq!(code, 1);
    let v = json(&out);
    let d = &v["diagnostics"][0];
    assert_eq!(
        (&d["line"], &d["column"]),
        (&Value::from(1), &Value::from(16))
    );
    let (_, out, _) = run_in(
        dir.path(),
        &["check", "bom.rs", "--color", "never"],
        Duration::from_secs(30),
    );
    let out = String::from_utf8(out).unwrap();
    assert!(out.contains("bom.rs:1:16"), "{out}");
    assert!(!out.contains('\u{feff}'), "{out}");
}

// ---- --fix, --diff, --unsafe-fixes -------------------------------------------------

const TOKIO_FULL: &str = "[package]\nname = \"krate\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n\
                          [dependencies]\ntokio = { version = \"1\", features = [\"full\"] }\n";

/// An async fn with a fixable blocking sleep and file read.
const FIXABLE: &str = "pub async fn load(p: &str) -> std::io::Result<String> {\n    \
                       std::thread::sleep(std::time::Duration::from_millis(1));\n    \
                       std::fs::read_to_string(p)\n}\n";

fn fixed_text() -> String {
    FIXABLE
        .replace("std::thread::sleep", "tokio::time::sleep")
        .replace("from_millis(1));", "from_millis(1)).await;")
        .replace(
            "std::fs::read_to_string(p)",
            "tokio::fs::read_to_string(p).await",
        )
}

fn applicabilities(dir: &Path, target: &str) -> Vec<String> {
    let (_, out, _) = run_in(
        dir,
        &["check", target, "--format", "json"],
        Duration::from_secs(30),
    );
    json(&out)["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            d["fix"]["applicability"]
                .as_str()
                .unwrap_or("none")
                .to_string()
        })
        .collect()
}

fn write(dir: &Path, name: &str, text: &str) {
    let path = dir.join(name);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, text).unwrap();
}

/// A fix is machine-applicable only where the manifest enables what it needs and
/// nothing in the crate makes the rewrite change behaviour.
#[test]
fn fixes_are_safe_only_where_the_crate_allows_them() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    let m = |features: &str| {
        format!(
            "[package]\nname = \"k\"\nversion = \"0.1.0\"\n\n[dependencies]\ntokio = {{ version = \"1\", features = [{features}] }}\n"
        )
    };
    let cases: [(&str, String, &str, &[&str]); 7] = [
        ("full", m("\"full\""), FIXABLE, &["machine-applicable"; 2]),
        ("fs-only", m("\"fs\""), FIXABLE, &["maybe-incorrect", "machine-applicable"]),
        ("time-only", m("\"rt\", \"time\""), FIXABLE, &["machine-applicable", "maybe-incorrect"]),
        ("none", m(""), FIXABLE, &["maybe-incorrect"; 2]),
        (
            "paused",
            m("\"full\""),
            "#[tokio::test(start_paused = true)]\nasync fn t() {\n    let task = tokio::spawn(async {});\n    std::thread::sleep(std::time::Duration::from_secs(1));\n    std::fs::read_to_string(\"x\").ok();\n    task.await.unwrap();\n}\n",
            // The sleep stalls the spawned task; a quick read in a test is not reported.
            &["maybe-incorrect"],
        ),
        (
            "asserted",
            m("\"full\""),
            "async fn t() {\n    let start = std::time::Instant::now();\n    std::thread::sleep(std::time::Duration::from_millis(5));\n    assert!(start.elapsed() >= std::time::Duration::from_millis(5));\n    std::fs::read_to_string(\"x\").ok();\n}\n",
            &["maybe-incorrect", "machine-applicable"],
        ),
        (
            "timerless",
            m("\"full\""),
            "fn main() {\n    let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();\n    rt.block_on(async {\n        tokio::spawn(async {});\n        std::thread::sleep(std::time::Duration::from_millis(1));\n        std::fs::read_to_string(\"x\").ok();\n    });\n}\n",
            &["maybe-incorrect", "machine-applicable"],
        ),
    ];
    for (name, manifest, code, want) in &cases {
        write(&p.join(name), "Cargo.toml", manifest);
        write(&p.join(name), "src/lib.rs", code);
        assert_eq!(
            applicabilities(p, &format!("{name}/src/lib.rs")),
            *want,
            "{name}"
        );
    }
    // A runtime without timers in another file of the crate counts too.
    write(&p.join("full"), "src/main.rs", "fn main() { let _rt = tokio::runtime::Builder::new_multi_thread().enable_io().build(); }\n");
    assert_eq!(
        applicabilities(p, "full/src/lib.rs"),
        ["maybe-incorrect", "machine-applicable"]
    );
    // A workspace dependency inherits the workspace's features; dev-dependencies
    // count in tests only.
    write(p, "ws/Cargo.toml", "[workspace]\nmembers = [\"m\"]\n[workspace.dependencies]\ntokio = { version = \"1\", features = [\"fs\"] }\n");
    write(p, "ws/m/Cargo.toml", "[package]\nname = \"m\"\nversion = \"0.1.0\"\n[dependencies]\ntokio = { workspace = true, features = [\"rt\"] }\n[dev-dependencies]\ntokio = { version = \"1\", features = [\"time\"] }\n");
    write(p, "ws/m/src/lib.rs", FIXABLE);
    // In a test only a wait that stalls a task the test spawned is reported.
    write(
        p,
        "ws/m/tests/t.rs",
        "#[tokio::test]\nasync fn t() {\n    let task = tokio::spawn(async {});\n    std::thread::sleep(std::time::Duration::from_millis(1));\n    task.await.unwrap();\n}\n",
    );
    assert_eq!(
        applicabilities(p, "ws/m/src/lib.rs"),
        ["maybe-incorrect", "machine-applicable"]
    );
    assert_eq!(
        applicabilities(p, "ws/m/tests/t.rs"),
        ["machine-applicable"]
    );
    // No manifest: nothing is known. A file that names tokio gets unsafe fixes,
    // one that does not gets none.
    write(
        p,
        "loose/a.rs",
        &format!("use tokio::io::AsyncReadExt as _;\n{FIXABLE}"),
    );
    write(p, "loose/b.rs", FIXABLE);
    assert_eq!(
        applicabilities(&p.join("loose"), "a.rs"),
        ["maybe-incorrect"; 2]
    );
    assert_eq!(applicabilities(&p.join("loose"), "b.rs"), ["none"; 2]);
}

/// `--diff` prints what `--fix` would do and writes nothing; `--unsafe-fixes` adds
/// the maybe-incorrect fixes; alone it is an error.
#[test]
fn diff_writes_nothing_and_unsafe_fixes_adds_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    write(p, "Cargo.toml", "[package]\nname = \"k\"\nversion = \"0.1.0\"\n[dependencies]\ntokio = { version = \"1\", features = [\"time\"] }\n");
    write(p, "src/lib.rs", FIXABLE);
    let limit = Duration::from_secs(30);
    let (code, out, err) = run_in(p, &["check", "src", "--diff"], limit);
    assert_eq!(code, 1, "{err}");
    let diff = String::from_utf8(out).unwrap();
    assert!(
        diff.starts_with("--- a/src/lib.rs\n+++ b/src/lib.rs\n@@ "),
        "{diff}"
    );
    assert!(diff.contains("+    tokio::time::sleep(std::time::Duration::from_millis(1)).await;"));
    assert!(!diff.contains("tokio::fs"), "{diff}");
    assert!(err.contains("1 fix to apply in 1 file"), "{err}");
    assert_eq!(fs::read_to_string(p.join("src/lib.rs")).unwrap(), FIXABLE);

    let (code, out, _) = run_in(p, &["check", "src", "--diff", "--unsafe-fixes"], limit);
    assert_eq!(code, 1);
    assert!(String::from_utf8(out)
        .unwrap()
        .contains("+    tokio::fs::read_to_string(p).await"));
    assert_eq!(fs::read_to_string(p.join("src/lib.rs")).unwrap(), FIXABLE);

    let (code, _, err) = run_in(p, &["check", "src", "--unsafe-fixes"], limit);
    assert_eq!(code, 2);
    assert!(
        err.contains("--unsafe-fixes needs --fix or --diff"),
        "{err}"
    );

    let (code, _, _) = run_in(p, &["check", "src", "--fix", "--unsafe-fixes"], limit);
    assert_eq!(code, 0);
    assert_eq!(
        fs::read_to_string(p.join("src/lib.rs")).unwrap(),
        fixed_text()
    );
    let (code, out, _) = run_in(p, &["check", "src", "--diff", "--unsafe-fixes"], limit);
    assert_eq!((code, out.len()), (0, 0), "nothing left to fix");
}

/// `--fix` writes through a symbolic link to a target inside the checked paths and
/// refuses one outside; it leaves hard-linked and read-only files alone and says so;
/// it keeps owner and mode.
#[cfg(unix)]
#[test]
fn fix_respects_links_owners_and_read_only_files() {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let dir = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    let p = dir.path();
    write(p, "Cargo.toml", TOKIO_FULL);
    write(p, "lib/target.txt", FIXABLE);
    fs::create_dir_all(p.join("src")).unwrap();
    std::os::unix::fs::symlink("../lib/target.txt", p.join("src/link.rs")).unwrap();
    write(outside.path(), "outside.rs", FIXABLE);
    std::os::unix::fs::symlink(outside.path().join("outside.rs"), p.join("src/out.rs")).unwrap();
    write(p, "src/hard.rs", FIXABLE);
    fs::hard_link(p.join("src/hard.rs"), p.join("lib/hard.copy")).unwrap();
    write(p, "src/ro.rs", FIXABLE);
    fs::set_permissions(p.join("src/ro.rs"), fs::Permissions::from_mode(0o444)).unwrap();
    write(p, "src/owned.rs", FIXABLE);
    fs::set_permissions(p.join("src/owned.rs"), fs::Permissions::from_mode(0o640)).unwrap();
    let root = fs::metadata(p).unwrap().uid() == 0;
    if root {
        std::os::unix::fs::chown(p.join("src/owned.rs"), Some(4321), Some(4322)).unwrap();
    }

    let (code, _, err) = run_in(p, &["check", ".", "--fix"], Duration::from_secs(60));
    assert_eq!(code, 1, "{err}");
    let text = |f: &Path| fs::read_to_string(f).unwrap();
    assert!(fs::symlink_metadata(p.join("src/link.rs"))
        .unwrap()
        .file_type()
        .is_symlink());
    assert_eq!(text(&p.join("lib/target.txt")), fixed_text());
    assert_eq!(text(&outside.path().join("outside.rs")), FIXABLE);
    assert!(err.contains("src/out.rs: is a symbolic link to"), "{err}");
    assert_eq!(text(&p.join("src/hard.rs")), FIXABLE);
    assert!(err.contains("src/hard.rs: has 2 hard links"), "{err}");
    assert_eq!(text(&p.join("src/ro.rs")), FIXABLE);
    assert!(err.contains("src/ro.rs: is read-only; not fixed"), "{err}");
    assert_eq!(
        fs::metadata(p.join("src/ro.rs")).unwrap().mode() & 0o777,
        0o444
    );
    assert_eq!(text(&p.join("src/owned.rs")), fixed_text());
    let meta = fs::metadata(p.join("src/owned.rs")).unwrap();
    assert_eq!(meta.mode() & 0o777, 0o640);
    if root {
        assert_eq!((meta.uid(), meta.gid()), (4321, 4322));
    } else {
        eprintln!("not root: the owner part of this test is skipped");
    }
}

/// A `--fix` killed mid-write leaves `.asynclint-fix-<pid>-*.tmp` files; the next
/// `--fix` removes those whose process is gone, and only those.
#[cfg(target_os = "linux")]
#[test]
fn the_next_fix_removes_temporaries_of_killed_runs() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    write(p, "Cargo.toml", TOKIO_FULL);
    write(p, "src/lib.rs", FIXABLE);
    write(p, "src/.asynclint-fix-4000000000-AbC123.tmp", "stale");
    write(p, "src/deep/.asynclint-fix-4000000001-x.tmp", "stale");
    // Process 1 is alive: its temporary file may be in use.
    write(p, "src/.asynclint-fix-1-live.tmp", "live");
    write(p, "src/.tmpAbC123", "not ours");
    let (code, _, err) = run_in(p, &["check", ".", "--fix"], Duration::from_secs(30));
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("removed 2 temporary files left by an interrupted --fix"),
        "{err}"
    );
    assert!(!p.join("src/.asynclint-fix-4000000000-AbC123.tmp").exists());
    assert!(!p.join("src/deep/.asynclint-fix-4000000001-x.tmp").exists());
    assert!(p.join("src/.asynclint-fix-1-live.tmp").exists());
    assert!(p.join("src/.tmpAbC123").exists());
    // A run without --fix writes nothing, and removes nothing.
    write(p, "src/.asynclint-fix-4000000000-AbC123.tmp", "stale");
    run_in(p, &["check", "."], Duration::from_secs(30));
    assert!(p.join("src/.asynclint-fix-4000000000-AbC123.tmp").exists());
}

/// Valid edition-2015 code the parser does not read is skipped with a note in a
/// crate of that edition (also one that names no edition, as cargo reads it), and
/// is still an error in a crate of a later edition.
#[test]
fn edition_2015_syntax_is_skipped_not_failed() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    let code = "type Action = Fn(u8) + Send;\ntrait T { fn f(u8); }\n";
    for (name, edition) in [
        ("old", "edition = \"2015\"\n"),
        ("none", ""),
        ("new", "edition = \"2021\"\n"),
    ] {
        write(
            &p.join(name),
            "Cargo.toml",
            &format!("[package]\nname = \"{name}\"\nversion = \"0.1.0\"\n{edition}"),
        );
        write(&p.join(name), "src/lib.rs", code);
        write(&p.join(name), "src/ok.rs", SLEEPY);
    }
    let limit = Duration::from_secs(30);
    for name in ["old", "none"] {
        let (code, out, _) = run_in(p, &["check", name, "--format", "json"], limit);
        assert_eq!(code, 1, "{name}: the other file's finding");
        let v = json(&out);
        assert_eq!(v["errors"], Value::Array(vec![]), "{v}");
        assert_eq!(v["files_checked"], 1);
        let skipped = v["skipped"][0]["message"].as_str().unwrap();
        assert!(skipped.contains("edition 2015"), "{skipped}");
        let (_, out, _) = run_in(p, &["check", name, "--color", "never"], limit);
        let out = String::from_utf8(out).unwrap();
        assert!(
            out.contains(&format!("note: {name}/src/lib.rs: not checked")),
            "{out}"
        );
        assert!(out.contains("1 file checked, 1 skipped"), "{out}");
    }
    let (code, out, _) = run_in(p, &["check", "new", "--format", "json"], limit);
    assert_eq!(code, 2);
    assert!(json(&out)["skipped"].is_null());
}
