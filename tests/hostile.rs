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
