#![allow(dead_code)]

use asynclint::engine::{self, Options, Report};
use asynclint::render::human::{self, HumanOptions};
use asynclint::rules::RULES;
use codespan_reporting::term::termcolor::NoColor;
use std::path::PathBuf;

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs every registered rule over `paths` (relative to the crate root).
pub fn check(paths: &[PathBuf]) -> Report {
    let options = Options {
        rules: RULES.to_vec(),
        threads: 1,
        ..Options::new(Vec::new())
    };
    engine::run(paths, &options)
}

/// Runs what a user of `rule` sees: the rules on by default, and `rule` itself (a
/// pedantic rule is off by default). Fixtures and rule pages are checked this way.
pub fn check_as_user_of(rule: &str, paths: &[PathBuf]) -> Report {
    let options = Options {
        rules: RULES
            .iter()
            .copied()
            .filter(|r| r.meta().default_enabled() || r.meta().name == rule)
            .collect(),
        threads: 1,
        ..Options::new(Vec::new())
    };
    engine::run(paths, &options)
}

pub fn render_human(report: &Report) -> String {
    let mut out = NoColor::new(Vec::new());
    human::render(
        report,
        &mut out,
        &HumanOptions {
            quiet: false,
            statistics: false,
        },
    )
    .unwrap();
    String::from_utf8(out.into_inner()).unwrap()
}

/// `(line, rule)` pairs from `//~ rule-a, rule-b` annotations.
pub fn annotations(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if let Some(at) = line.find("//~") {
            for rule in line[at + 3..].split(',') {
                let rule = rule.trim();
                if !rule.is_empty() {
                    out.push((i + 1, rule.to_string()));
                }
            }
        }
    }
    out.sort();
    out
}

/// Rust code blocks of a markdown section, by its `## ` heading.
pub fn code_blocks_under(markdown: &str, heading: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut in_section = false;
    let mut current: Option<String> = None;
    for line in markdown.lines() {
        if current.is_none() && line.starts_with("## ") {
            in_section = line.trim_start_matches("## ").trim() == heading;
            continue;
        }
        if line.trim_start().starts_with("```") {
            match current.take() {
                Some(block) => blocks.push(block),
                None if in_section && line.trim_start().starts_with("```rust") => {
                    current = Some(String::new())
                }
                None if in_section => current = Some(String::new()),
                None => {}
            }
            continue;
        }
        if let Some(c) = current.as_mut() {
            c.push_str(line);
            c.push('\n');
        }
    }
    blocks
}

/// The built `asynclint` binary.
pub fn asynclint() -> assert_cmd::Command {
    assert_cmd::Command::cargo_bin("asynclint").unwrap()
}

/// An async fn with one blocking call (a `blocking-in-async` finding at 4:16).
pub const BLOCKING: &str = "use std::fs;\n\
                            \n\
                            pub async fn load(path: &str) -> std::io::Result<String> {\n\
                            \x20   let text = fs::read_to_string(path)?;\n\
                            \x20   Ok(text)\n\
                            }\n";

/// Writes `text` to `dir/name`, creating directories.
pub fn write(dir: &std::path::Path, name: &str, text: &str) {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}
