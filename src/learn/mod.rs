//! `asynclint learn`: exercises that a learner fixes and a behaviour test proves fixed.
//!
//! Each exercise lives in `src/learn/exercises/<NN-name>/` — the scenario
//! (`README.md`), the buggy code (`lib.rs`), its behaviour test (`behaviour.rs`), the
//! reference solution (`solution.rs`) with its reasoning (`REASONING.md`), and
//! `exercise.toml` (title, rule, seed defects, the prediction question and its answer,
//! hints). The files are compiled into the binary, so an installed asynclint has them.
//! The `learn/` workspace at the repository root builds every exercise twice, buggy and
//! solved, over the same test.

pub mod check;
pub mod cli;
pub mod workspace;

use serde::Deserialize;
use std::sync::OnceLock;

/// The embedded files of one exercise.
pub struct Files {
    /// `NN-name`: the folder under `src/learn/exercises/` and in the learner's directory.
    pub dir: &'static str,
    pub meta: &'static str,
    pub readme: &'static str,
    pub lib: &'static str,
    pub test: &'static str,
    pub solution: &'static str,
    pub reasoning: &'static str,
}

macro_rules! exercises {
    ($($dir:literal),* $(,)?) => {
        &[$(Files {
            dir: $dir,
            meta: include_str!(concat!("exercises/", $dir, "/exercise.toml")),
            readme: include_str!(concat!("exercises/", $dir, "/README.md")),
            lib: include_str!(concat!("exercises/", $dir, "/lib.rs")),
            test: include_str!(concat!("exercises/", $dir, "/behaviour.rs")),
            solution: include_str!(concat!("exercises/", $dir, "/solution.rs")),
            reasoning: include_str!(concat!("exercises/", $dir, "/REASONING.md")),
        }),*]
    };
}

/// Every exercise, in order. A test checks that each folder is listed here.
pub static FILES: &[Files] = exercises![
    "01-deletes-never-run",
    "02-dashboard-one-by-one",
    "03-three-calls-in-a-row",
    "04-confirmations-lost",
    "05-caches-warmed-too-early",
    "06-lost-updates",
    "07-failures-swallowed",
    "08-orphaned-resources",
    "09-half-written-copies",
    "10-silent-provider",
    "11-stalled-by-the-disk",
    "12-hashing-on-the-executor",
    "13-stream-outlives-client",
    "14-fresh-token",
    "15-migrations-all-at-once",
    "16-duplicate-fetches",
    "17-lock-taken-twice",
    "18-guard-across-await",
    "19-a-task-per-line",
    "20-unbounded-queue",
    "21-block-on-in-a-map",
    "22-no-reactor",
    "23-timed-out-but-running",
    "24-a-merge-that-never-ends",
    "25-frames-lost-to-a-tick",
];

/// What `exercise.toml` says.
#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct Meta {
    pub title: String,
    /// The asynclint rule that reports the bug.
    pub rule: String,
    /// The defects of the reference texts this exercise is the Rust form of.
    pub seeds: Vec<String>,
    /// "What happens when ...?", asked before the learner reads the code closely.
    pub question: String,
    pub answer: String,
    /// Shown one at a time by `asynclint learn hint`.
    pub hints: Vec<String>,
}

pub struct Exercise {
    /// 1-based, as the learner names it.
    pub number: usize,
    pub files: &'static Files,
    pub meta: Meta,
}

impl Exercise {
    /// The package name: the folder name without its number (`deletes-never-run`).
    pub fn package(&self) -> &'static str {
        self.files
            .dir
            .split_once('-')
            .map_or(self.files.dir, |(_, rest)| rest)
    }

    /// The crate name the behaviour test imports (`deletes_never_run`).
    pub fn crate_name(&self) -> String {
        self.package().replace('-', "_")
    }
}

/// Every exercise, parsed once. The metadata is checked by the test suite, so a parse
/// error here is a build defect, reported with the file it is in.
pub fn all() -> &'static [Exercise] {
    static ALL: OnceLock<Vec<Exercise>> = OnceLock::new();
    ALL.get_or_init(|| {
        FILES
            .iter()
            .enumerate()
            .map(|(i, files)| Exercise {
                number: i + 1,
                files,
                meta: toml::from_str(files.meta).unwrap_or_else(|e| {
                    panic!("src/learn/exercises/{}/exercise.toml: {e}", files.dir)
                }),
            })
            .collect()
    })
}

/// The exercise numbered `number` (1-based).
pub fn get(number: usize) -> Option<&'static Exercise> {
    number.checked_sub(1).and_then(|i| all().get(i))
}

/// The exercises that practise `rule`.
pub fn for_rule(rule: &str) -> impl Iterator<Item = &'static Exercise> + '_ {
    all().iter().filter(move |e| e.meta.rule == rule)
}

/// The dependencies every exercise gets, as in `learn/Cargo.toml`'s
/// `[workspace.dependencies]` (a test keeps the two equal).
pub const DEPENDENCIES: &str = r#"tokio = { version = "1", features = ["full", "test-util"] }
tokio-util = "0.7"
futures = "0.3"
async-channel = "2"
pbkdf2 = { version = "0.12", default-features = false, features = ["hmac"] }
sha2 = "0.10"
"#;

/// Where an exercise package's sources are.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Layout {
    /// The learner's copy: `src/lib.rs` and `tests/behaviour.rs` beside the manifest.
    Learner,
    /// `learn/exercises/<name>/` in the repository, over the embedded sources.
    RepoBuggy,
    /// `learn/solutions/<name>/`: the reference solution over the same test.
    RepoSolution,
}

/// The exercise's `Cargo.toml`. Every package takes all of the workspace's
/// dependencies, so one build of them serves every exercise.
pub fn manifest(ex: &Exercise, layout: Layout) -> String {
    let src = format!("../../../src/learn/exercises/{}", ex.files.dir);
    let (name, lib_path, test_path) = match layout {
        Layout::Learner => (
            ex.package().to_string(),
            "src/lib.rs".to_string(),
            "tests/behaviour.rs".to_string(),
        ),
        Layout::RepoBuggy => (
            ex.package().to_string(),
            format!("{src}/lib.rs"),
            format!("{src}/behaviour.rs"),
        ),
        Layout::RepoSolution => (
            format!("{}-solution", ex.package()),
            format!("{src}/solution.rs"),
            format!("{src}/behaviour.rs"),
        ),
    };
    let mut out = String::new();
    if layout != Layout::Learner {
        out.push_str(
            "# Generated from src/learn (ASYNCLINT_BLESS=1 cargo test --test learn rewrites it).\n",
        );
    }
    out.push_str(&format!(
        "[package]\nname = \"{name}\"\nversion = \"0.1.0\"\nedition = \"2021\"\npublish = false\n\n\
         [lib]\nname = \"{}\"\npath = \"{lib_path}\"\ntest = false\ndoctest = false\n\n\
         [[test]]\nname = \"behaviour\"\npath = \"{test_path}\"\n\n[dependencies]\n",
        ex.crate_name()
    ));
    for line in DEPENDENCIES.lines() {
        if let Some((dep, _)) = line.split_once(" = ") {
            out.push_str(&format!("{dep}.workspace = true\n"));
        }
    }
    out
}
