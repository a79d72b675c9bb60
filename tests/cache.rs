//! The content cache: output with and without it is byte-identical; a re-run takes
//! unchanged files from it and analyses the changed ones; corrupt entries are
//! ignored and rewritten; two runs may share it; stale entries are pruned.

mod common;

use asynclint::cache::{Cache, Stats};
use asynclint::engine::{self, Options, Report};
use asynclint::render::json;
use asynclint::rules::RULES;
use common::{asynclint, root, write};
use std::path::{Path, PathBuf};

/// `asynclint check ARGS` in `dir` with the cache in `cache` (none: `--no-cache`):
/// stdout and the exit code.
fn run_cli(dir: &Path, args: &[&str], cache: Option<&Path>) -> (Vec<u8>, i32) {
    let mut cmd = asynclint();
    cmd.arg("check").args(args).current_dir(dir);
    match cache {
        Some(c) => cmd.env("ASYNCLINT_CACHE_DIR", c),
        None => cmd.arg("--no-cache").env_remove("ASYNCLINT_CACHE_DIR"),
    };
    let out = cmd.output().unwrap();
    (out.stdout, out.status.code().unwrap_or(-1))
}

fn all_rules() -> Options<'static> {
    Options {
        threads: 2,
        ..Options::new(RULES.to_vec())
    }
}

fn run_lib(paths: &[PathBuf], cache: &Path) -> (Report, Stats) {
    let cache = Cache::open(cache).unwrap();
    let report = engine::run_with_cache(paths, &all_rules(), Some(&cache));
    (report, cache.stats())
}

fn entries(cache: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(cache.join("v1"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| !p.file_name().unwrap().to_string_lossy().starts_with('.'))
        .collect();
    v.sort();
    v
}

/// Every fixture, every rule, each output format: the cold run (which fills the
/// cache) and the warm run (which reads it) print what a run without it prints.
#[test]
fn output_with_and_without_the_cache_is_byte_identical_on_the_fixtures() {
    let cache = tempfile::tempdir().unwrap();
    let formats: &[&[&str]] = &[
        &["--format", "json"],
        &["--format", "human", "--color", "never"],
        &["--format", "sarif"],
        &["--format", "github"],
        &["--message-format", "json"],
    ];
    for (i, format) in formats.iter().enumerate() {
        let mut args = vec!["fixtures", "--select", "all"];
        args.extend_from_slice(format);
        let (plain, code) = run_cli(&root(), &args, None);
        assert!(plain.len() > 1000, "{format:?}");
        let (cold, cold_code) = run_cli(&root(), &args, Some(cache.path()));
        let (warm, warm_code) = run_cli(&root(), &args, Some(cache.path()));
        assert_eq!((code, cold_code, warm_code), (1, 1, 1), "{format:?}");
        assert!(plain == cold, "cold run differs in {format:?}");
        assert!(plain == warm, "warm run differs in {format:?}");
        if i == 0 {
            assert!(entries(cache.path()).len() >= 40);
        }
    }
    // The library sees every file come from the cache on the warm run.
    let fixtures = vec![root().join("fixtures")];
    let dir = tempfile::tempdir().unwrap();
    let (cold, stats) = run_lib(&fixtures, dir.path());
    let n = cold.files_checked + cold.errors.len();
    assert_eq!((stats.hits, stats.misses, stats.stored), (0, n, n));
    let (warm, stats) = run_lib(&fixtures, dir.path());
    assert_eq!((stats.hits, stats.misses, stats.stored), (n, 0, 0));
    assert_eq!(json::render(&cold), json::render(&warm));
}

fn project(files: usize) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "Cargo.toml",
        "[package]\nname = \"p\"\nversion = \"0.1.0\"\n\n[dependencies]\ntokio = \"1\"\n",
    );
    let mut lib = String::new();
    for i in 0..files {
        lib.push_str(&format!("pub mod m{i};\n"));
        write(
            dir.path(),
            &format!("src/m{i}.rs"),
            &format!(
                "pub async fn load{i}(p: &str) -> String {{\n    crate::m{next}::read{next}(p)\n}}\n\
                 pub fn read{i}(p: &str) -> String {{\n    std::fs::read_to_string(p).unwrap()\n}}\n",
                next = (i + 1) % files
            ),
        );
    }
    write(dir.path(), "src/lib.rs", &lib);
    dir
}

/// A one-file edit: that file is analysed again, every other one is taken from the
/// cache, and the findings that depend on the edited file (a call of a fn that
/// blocks, decided by the crate model) change with it.
#[test]
fn an_edit_reanalyses_the_edited_file_only_and_redecides_the_crate() {
    let dir = project(30);
    let cache = tempfile::tempdir().unwrap();
    let paths = vec![dir.path().join("src")];
    let (first, stats) = run_lib(&paths, cache.path());
    assert_eq!(stats.misses, 31);
    let blocking = |r: &Report| {
        r.findings
            .iter()
            .filter(|f| f.path.ends_with("m4.rs") && f.diagnostic.rule == "blocking-in-async")
            .count()
    };
    assert_eq!(blocking(&first), 1, "{}", json::render(&first));
    // m5's `read5` no longer blocks: m4's call of it is no longer a finding.
    write(
        dir.path(),
        "src/m5.rs",
        "pub async fn load5(p: &str) -> String {\n    crate::m6::read6(p)\n}\npub fn read5(p: &str) -> String {\n    p.to_string()\n}\n",
    );
    let (second, stats) = run_lib(&paths, cache.path());
    assert_eq!((stats.hits, stats.misses, stats.stored), (30, 1, 1));
    assert_eq!(blocking(&second), 0, "{}", json::render(&second));
    let fresh = engine::run(&paths, &all_rules());
    assert_eq!(json::render(&second), json::render(&fresh));
    assert_eq!(
        entries(cache.path()).len(),
        31,
        "the edit replaced its entry"
    );
}

/// Truncated, emptied, flipped and foreign entries are misses; the run's output is
/// unchanged and the entries are written again, whole.
#[test]
fn corrupt_entries_are_ignored_and_rewritten() {
    let dir = project(8);
    let cache = tempfile::tempdir().unwrap();
    let paths = vec![dir.path().join("src")];
    let (clean, _) = run_lib(&paths, cache.path());
    let files = entries(cache.path());
    assert_eq!(files.len(), 9);
    let before: Vec<Vec<u8>> = files.iter().map(|f| std::fs::read(f).unwrap()).collect();
    for (i, f) in files.iter().enumerate() {
        let mut bytes = before[i].clone();
        match i % 5 {
            0 => bytes.truncate(bytes.len() / 2),
            1 => bytes.clear(),
            2 => {
                let last = bytes.len() - 1;
                bytes[last] ^= 0x40;
            }
            3 => bytes = b"not an entry at all".repeat(50),
            _ => {
                let mid = bytes.len() / 2;
                bytes[mid] = bytes[mid].wrapping_add(1);
            }
        }
        std::fs::write(f, bytes).unwrap();
    }
    let (again, stats) = run_lib(&paths, cache.path());
    assert_eq!((stats.hits, stats.rejected, stats.stored), (0, 9, 9));
    assert_eq!(json::render(&again), json::render(&clean));
    let after: Vec<Vec<u8>> = files.iter().map(|f| std::fs::read(f).unwrap()).collect();
    assert_eq!(before, after, "entries are rewritten as they were");
    let (_, stats) = run_lib(&paths, cache.path());
    assert_eq!((stats.hits, stats.rejected), (9, 0));
}

/// Two processes filling one cache at the same time, then two reading it: every run
/// prints what a run without the cache prints, and the cache ends whole.
#[test]
fn two_runs_may_share_the_cache() {
    let dir = project(150);
    let cache = tempfile::tempdir().unwrap();
    let args = ["src", "--format", "json"];
    let (plain, code) = run_cli(dir.path(), &args, None);
    assert_eq!(code, 1);
    for _ in 0..2 {
        let spawn = || {
            let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_asynclint"));
            cmd.arg("check")
                .args(args)
                .current_dir(dir.path())
                .env("ASYNCLINT_CACHE_DIR", cache.path())
                .stdout(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        };
        let (a, b) = (spawn(), spawn());
        for child in [a, b] {
            let out = child.wait_with_output().unwrap();
            assert_eq!(out.status.code(), Some(1));
            assert!(out.stdout == plain, "a shared run differs");
        }
    }
    let out = asynclint()
        .args(["check", "src"])
        .current_dir(dir.path())
        .env("ASYNCLINT_CACHE_DIR", cache.path())
        .env("ASYNCLINT_CACHE_STATS", "1")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(": 151 hits, 0 misses, 0 rejected, 0 stored"),
        "{stderr}"
    );

    // Threads of one process, each with its own handle on the directory.
    let paths = vec![dir.path().join("src")];
    let shared = tempfile::tempdir().unwrap();
    let reports: Vec<String> = std::thread::scope(|s| {
        let runs: Vec<_> = (0..3)
            .map(|_| s.spawn(|| json::render(&run_lib(&paths, shared.path()).0)))
            .collect();
        runs.into_iter().map(|r| r.join().unwrap()).collect()
    });
    let fresh = json::render(&engine::run(&paths, &all_rules()));
    assert!(reports.iter().all(|r| *r == fresh));
    let (_, stats) = run_lib(&paths, shared.path());
    assert_eq!((stats.hits, stats.rejected), (151, 0));
}

/// The cache directory: tagged, ignored by git, where `ASYNCLINT_CACHE_DIR` says or at
/// the project root; `--no-cache` writes nothing.
#[test]
fn the_cache_directory_is_tagged_ignored_and_placed_at_the_project_root() {
    let dir = project(2);
    std::fs::create_dir_all(dir.path().join("src/deeper")).unwrap();
    let mut cmd = asynclint();
    cmd.args(["check", ".."])
        .current_dir(dir.path().join("src/deeper"))
        .env_remove("ASYNCLINT_CACHE_DIR")
        .assert()
        .code(1);
    let cache = dir.path().join(".asynclint_cache");
    let tag = std::fs::read_to_string(cache.join("CACHEDIR.TAG")).unwrap();
    assert!(tag.starts_with("Signature: 8a477f597d28d172789f06886806bc55"));
    assert_eq!(
        std::fs::read_to_string(cache.join(".gitignore"))
            .unwrap()
            .lines()
            .last(),
        Some("*")
    );
    assert_eq!(entries(&cache).len(), 3);
    // Not in the checked tree's walk: it is a hidden directory.
    let (out, _) = run_cli(dir.path(), &[".", "--format", "json"], Some(&cache));
    let report: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(report["files_checked"], 3);

    let other = tempfile::tempdir().unwrap();
    std::fs::remove_dir_all(&cache).unwrap();
    run_cli(dir.path(), &["src"], Some(other.path()));
    assert!(!cache.exists());
    assert_eq!(entries(other.path()).len(), 3);
    std::fs::remove_dir_all(other.path()).unwrap();
    run_cli(dir.path(), &["src"], None);
    assert!(!cache.exists() && !other.path().exists());
}

/// A cache directory that cannot be created is a warning; the run goes on.
#[test]
fn an_unusable_cache_directory_is_a_warning() {
    let dir = project(2);
    write(dir.path(), "blocker", "a file, not a directory");
    let out = asynclint()
        .args(["check", "src", "--format", "json"])
        .current_dir(dir.path())
        .env("ASYNCLINT_CACHE_DIR", dir.path().join("blocker"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("warning: cannot use the cache directory"),
        "{stderr}"
    );
    let (plain, _) = run_cli(dir.path(), &["src", "--format", "json"], None);
    assert_eq!(out.stdout, plain);
}

/// Entries unused for a month, temporary files of a stopped run and directories of
/// another layout are removed; used entries stay.
#[test]
fn stale_entries_are_pruned() {
    let dir = project(4);
    let cache_dir = tempfile::tempdir().unwrap();
    let paths = vec![dir.path().join("src")];
    run_lib(&paths, cache_dir.path());
    let files = entries(cache_dir.path());
    let old = std::time::SystemTime::now() - std::time::Duration::from_secs(40 * 24 * 3600);
    let age = |p: &Path| {
        std::fs::File::options()
            .write(true)
            .open(p)
            .unwrap()
            .set_modified(old)
            .unwrap()
    };
    // Two entries of files that no longer exist, one temporary file, an old layout.
    std::fs::remove_file(dir.path().join("src/m3.rs")).unwrap();
    write(
        &dir.path().join("src"),
        "lib.rs",
        "pub mod m0;\npub mod m1;\npub mod m2;\n",
    );
    for f in &files {
        age(f);
    }
    let tmp = cache_dir.path().join("v1/.tmpXYZ");
    std::fs::write(&tmp, b"half").unwrap();
    age(&tmp);
    std::fs::create_dir_all(cache_dir.path().join("v0/ab")).unwrap();
    let stamp = cache_dir.path().join("last-prune");
    std::fs::write(&stamp, b"").unwrap();
    age(&stamp);
    // This run reads m0..m2 (marking them used) and analyses lib.rs again.
    let cache = Cache::open(cache_dir.path()).unwrap();
    engine::run_with_cache(&paths, &all_rules(), Some(&cache));
    cache.prune_if_due();
    let left = entries(cache_dir.path());
    assert_eq!(left.len(), 4, "{left:?}");
    assert!(!tmp.exists() && !cache_dir.path().join("v0").exists());
    // Pruned within the day: not again.
    for f in &left {
        age(f);
    }
    cache.prune_if_due();
    assert_eq!(entries(cache_dir.path()).len(), 4);
    assert_eq!(cache.prune(), 4);
}
