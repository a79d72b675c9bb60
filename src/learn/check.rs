//! `asynclint learn check`: an exercise passes only when its test file and manifest are
//! as given and nothing is silenced, it builds, its behaviour test passes, and asynclint
//! with every rule on finds nothing in it.

use super::{manifest, Exercise, Layout};
use crate::engine::{self, Options, Report};
use crate::render::human::{self, HumanOptions};
use crate::rules::RULES;
use codespan_reporting::term::termcolor::NoColor;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The steps, in the order they run: the static honesty check first, because it costs
/// nothing and a silenced exercise is not worth building.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// The test and the manifest are as given; no suppression comment or `#[allow]`.
    Untouched,
    /// `cargo test --no-run` builds the exercise.
    Build,
    /// The behaviour test passes.
    Behaviour,
    /// asynclint with every rule on finds nothing in `src/`.
    Lint,
}

impl Step {
    pub const ALL: [Step; 4] = [Step::Untouched, Step::Build, Step::Behaviour, Step::Lint];

    pub fn name(self) -> &'static str {
        match self {
            Step::Untouched => "untouched",
            Step::Build => "build",
            Step::Behaviour => "behaviour",
            Step::Lint => "asynclint",
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            Step::Untouched => {
                "the behaviour test and Cargo.toml are as given, and nothing is silenced"
            }
            Step::Build => "the exercise builds",
            Step::Behaviour => "the behaviour test passes",
            Step::Lint => "asynclint with every rule on finds nothing in src/",
        }
    }
}

/// The first step that failed, and why.
pub struct Failure {
    pub step: Step,
    pub why: String,
}

pub struct CheckOptions {
    /// Longest the behaviour test may run before it counts as hung.
    pub test_timeout: Duration,
    /// Called as each step passes.
    pub on_pass: fn(Step),
}

/// Runs the steps in order and stops at the first that fails.
pub fn check(exercise_dir: &Path, ex: &Exercise, opts: &CheckOptions) -> Result<(), Failure> {
    let fail = |step, why| Failure { step, why };
    untouched(exercise_dir, ex).map_err(|why| fail(Step::Untouched, why))?;
    (opts.on_pass)(Step::Untouched);
    let test = build(exercise_dir, ex).map_err(|why| fail(Step::Build, why))?;
    (opts.on_pass)(Step::Build);
    behaviour(exercise_dir, &test, opts.test_timeout).map_err(|why| fail(Step::Behaviour, why))?;
    (opts.on_pass)(Step::Behaviour);
    let report = lint(&exercise_dir.join("src"));
    if !report.findings.is_empty() || !report.errors.is_empty() {
        return Err(fail(Step::Lint, render(&report)));
    }
    (opts.on_pass)(Step::Lint);
    Ok(())
}

/// asynclint with every registered rule on, in this process, over `paths`.
pub fn lint(path: &Path) -> Report {
    let mut options = Options::new(RULES.to_vec());
    options.threads = 1;
    engine::run(&[path.to_path_buf()], &options)
}

/// The report as `asynclint check` prints it, without colours.
pub fn render(report: &Report) -> String {
    let mut out = NoColor::new(Vec::new());
    let options = HumanOptions {
        quiet: false,
        statistics: false,
    };
    let _ = human::render(report, &mut out, &options);
    let mut text = String::from_utf8_lossy(&out.into_inner()).into_owned();
    for e in &report.errors {
        text.push_str(&format!("{}: {}\n", e.path, e.message));
    }
    text
}

/// Marks of silencing, counted with whitespace removed: suppression comments,
/// `#[allow(..)]`/`#![allow(..)]` (also inside `cfg_attr`), `#[expect(..)]`.
const SILENCERS: &[(&str, &str)] = &[
    ("asynclint:allow(", "an asynclint suppression comment"),
    ("allow(", "an `allow` attribute"),
    ("#[expect(", "an `expect` attribute"),
    ("#![expect(", "an `expect` attribute"),
];

fn silencers(text: &str) -> Vec<usize> {
    let squeezed: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    SILENCERS
        .iter()
        .map(|(mark, _)| squeezed.matches(mark).count())
        .collect()
}

/// Every `.rs` file under `dir`.
fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The honesty step: the test file is byte for byte the one given, `Cargo.toml` differs
/// at most in `[dependencies]`, and `src/` silences nothing the given code did not.
pub fn untouched(exercise_dir: &Path, ex: &Exercise) -> Result<(), String> {
    let test_path = exercise_dir.join("tests/behaviour.rs");
    let test = std::fs::read_to_string(&test_path)
        .map_err(|e| format!("cannot read {}: {e}", test_path.display()))?;
    if test != ex.files.test {
        return Err(
            "tests/behaviour.rs was edited. The test is the specification: change \
                    src/ until it passes (`asynclint learn start N --reset` restores the \
                    exercise)"
                .to_string(),
        );
    }
    let manifest_path = exercise_dir.join("Cargo.toml");
    let text = std::fs::read_to_string(&manifest_path)
        .map_err(|e| format!("cannot read {}: {e}", manifest_path.display()))?;
    let without_deps = |text: &str| -> Option<toml::Table> {
        let mut table: toml::Table = text.parse().ok()?;
        table.remove("dependencies");
        Some(table)
    };
    let given = without_deps(&manifest(ex, Layout::Learner));
    match without_deps(&text) {
        None => return Err("Cargo.toml does not parse".to_string()),
        Some(t) if Some(&t) != given.as_ref() => {
            return Err(
                "Cargo.toml was changed outside [dependencies]: only dependencies \
                        may be added"
                    .to_string(),
            )
        }
        Some(_) => {}
    }
    let baseline = silencers(ex.files.lib);
    let mut files = Vec::new();
    rust_files(&exercise_dir.join("src"), &mut files);
    files.sort();
    let mut total = vec![0; SILENCERS.len()];
    for file in &files {
        let text = std::fs::read_to_string(file)
            .map_err(|e| format!("cannot read {}: {e}", file.display()))?;
        let found = silencers(&text);
        for (i, n) in found.iter().enumerate() {
            total[i] += n;
            if total[i] > baseline[i] {
                let name = file.strip_prefix(exercise_dir).unwrap_or(file);
                return Err(format!(
                    "{} has {} that the exercise did not have. Silencing a finding does not \
                     fix the bug: remove it and change the code instead",
                    name.display(),
                    SILENCERS[i].1
                ));
            }
        }
    }
    Ok(())
}

fn cargo() -> Command {
    Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
}

/// Builds the behaviour test and returns its executable.
fn build(exercise_dir: &Path, ex: &Exercise) -> Result<PathBuf, String> {
    let output = cargo()
        .args([
            "test",
            "--no-run",
            "--message-format=json-render-diagnostics",
        ])
        .args(["--package", ex.package(), "--test", "behaviour"])
        .current_dir(exercise_dir)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    let stderr = String::from_utf8_lossy(&output.stderr);
    if !output.status.success() {
        return Err(format!(
            "`cargo test --no-run` failed:\n{}",
            tail(&stderr, 60)
        ));
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    stdout
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|m| m["reason"] == "compiler-artifact" && m["target"]["name"] == "behaviour")
        .find_map(|m| m["executable"].as_str().map(PathBuf::from))
        .ok_or_else(|| "cargo built no behaviour test".to_string())
}

/// Runs the behaviour test, killing it if it outlives `timeout`.
fn behaviour(exercise_dir: &Path, test: &Path, timeout: Duration) -> Result<(), String> {
    let out_path = tempfile::NamedTempFile::new().map_err(|e| e.to_string())?;
    let out = out_path.reopen().map_err(|e| e.to_string())?;
    let err = out.try_clone().map_err(|e| e.to_string())?;
    let mut child = Command::new(test)
        .current_dir(exercise_dir)
        .env("RUST_BACKTRACE", "0")
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .spawn()
        .map_err(|e| format!("cannot run the behaviour test: {e}"))?;
    let started = Instant::now();
    let status = loop {
        match child.try_wait().map_err(|e| e.to_string())? {
            Some(status) => break status,
            None if started.elapsed() > timeout => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!(
                    "the behaviour test was still running after {} s and was stopped: \
                     something waits forever (a deadlock, a channel nobody closes, a peer \
                     that never answers)",
                    timeout.as_secs()
                ));
            }
            None => std::thread::sleep(Duration::from_millis(20)),
        }
    };
    if status.success() {
        return Ok(());
    }
    let text = std::fs::read_to_string(out_path.path()).unwrap_or_default();
    let failures = text
        .find("failures:")
        .map_or(text.as_str(), |at| &text[at..]);
    Err(format!("the behaviour test fails:\n{}", tail(failures, 40)))
}

/// The last `n` lines of `text`.
fn tail(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}
