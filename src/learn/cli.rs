//! The `asynclint learn` subcommands.

use super::check::{self, CheckOptions, Step};
use super::workspace::{self, Progress};
use super::Exercise;
use clap::{Args, Subcommand};
use std::path::{Path, PathBuf};
use std::time::Duration;

const EXIT_OK: i32 = 0;
const EXIT_NOT_YET: i32 = 1;
const EXIT_FAILURE: i32 = 2;

#[derive(Args, Debug)]
pub struct LearnArgs {
    /// The directory the exercises and the progress are kept in.
    #[arg(long, global = true, default_value = ".", value_name = "DIR")]
    dir: PathBuf,
    #[command(subcommand)]
    command: LearnCommand,
}

#[derive(Subcommand, Debug)]
enum LearnCommand {
    /// List the exercises and your progress.
    List,
    /// Write an exercise into the directory (default: the first one not done).
    Start {
        number: Option<usize>,
        /// Overwrite an exercise already started with the original files.
        #[arg(long)]
        reset: bool,
    },
    /// Show the next hint for the current exercise.
    Hint { number: Option<usize> },
    /// Check the current exercise: untouched test, build, behaviour test, asynclint.
    Check {
        number: Option<usize>,
        /// Longest the behaviour test may run, in seconds.
        #[arg(long, default_value_t = 120)]
        timeout: u64,
    },
    /// Show the reference solution and why it is right.
    Solution {
        number: Option<usize>,
        /// Replace src/lib.rs with the reference solution (yours is kept as
        /// src/lib.rs.mine).
        #[arg(long)]
        apply: bool,
    },
}

pub fn run(args: LearnArgs) -> i32 {
    match execute(args) {
        Ok(code) => code,
        Err(message) => {
            eprintln!("error: {message}");
            EXIT_FAILURE
        }
    }
}

fn execute(args: LearnArgs) -> Result<i32, String> {
    let dir = args.dir;
    let mut progress = Progress::load(&dir)?;
    match args.command {
        LearnCommand::List => list(&progress),
        LearnCommand::Start { number, reset } => {
            let ex = match number {
                Some(n) => exercise(n)?,
                None => super::all()
                    .iter()
                    .find(|e| !progress.done.contains(&e.number))
                    .ok_or("every exercise is done")?,
            };
            let fresh = workspace::start(&dir, ex, &mut progress, reset)?;
            let path = workspace::exercise_dir(&dir, ex);
            println!(
                "exercise {}: {}{}\n\n{}",
                ex.number,
                ex.meta.title,
                if fresh {
                    ""
                } else {
                    " (already started: your files are kept; --reset starts over)"
                },
                workspace::readme(ex)
            );
            println!("The exercise is in {}.", path.display());
            Ok(EXIT_OK)
        }
        LearnCommand::Hint { number } => {
            let ex = current(&progress, number)?;
            let shown = progress.hints_shown(ex.number);
            let hints = &ex.meta.hints;
            if hints.is_empty() {
                println!("exercise {} has no hints", ex.number);
                return Ok(EXIT_OK);
            }
            let next = shown.min(hints.len() - 1);
            println!("hint {} of {}: {}", next + 1, hints.len(), hints[next]);
            progress.hints.insert(ex.number.to_string(), next + 1);
            progress.save(&dir)?;
            Ok(EXIT_OK)
        }
        LearnCommand::Check { number, timeout } => {
            let ex = current(&progress, number)?;
            let path = workspace::exercise_dir(&dir, ex);
            if !path.is_dir() {
                return Err(format!(
                    "exercise {} is not started here: `asynclint learn start {}`",
                    ex.number, ex.number
                ));
            }
            println!("checking exercise {}: {}", ex.number, ex.meta.title);
            let options = CheckOptions {
                test_timeout: Duration::from_secs(timeout),
                on_pass: |step| println!("  ok      {}: {}", step.name(), step.describe()),
            };
            match check::check(&path, ex, &options) {
                Ok(()) => {
                    Progress::mark(&mut progress.done, ex.number);
                    progress.save(&dir)?;
                    println!(
                        "\nexercise {} passes. Before you move on, compare with the reasoning: \
                         `asynclint learn solution {}`.\nYour prediction: {}\n",
                        ex.number, ex.number, ex.meta.answer
                    );
                    Ok(EXIT_OK)
                }
                Err(failure) => {
                    let position = Step::ALL
                        .iter()
                        .position(|s| *s == failure.step)
                        .unwrap_or(0);
                    println!(
                        "  FAILED  {}: {}",
                        failure.step.name(),
                        failure.step.describe()
                    );
                    println!("\n{}\n", indent(&failure.why));
                    println!(
                        "check failed at step {} of {} ({}). `asynclint learn hint` helps.",
                        position + 1,
                        Step::ALL.len(),
                        failure.step.name()
                    );
                    Ok(EXIT_NOT_YET)
                }
            }
        }
        LearnCommand::Solution { number, apply } => {
            let ex = current(&progress, number)?;
            println!(
                "exercise {}: {}\n\nThe question: {}\nThe answer: {}\n\n{}\n\nThe reference solution (src/lib.rs):\n\n{}",
                ex.number,
                ex.meta.title,
                ex.meta.question,
                ex.meta.answer,
                ex.files.reasoning.trim_end(),
                ex.files.solution
            );
            if !progress.done.contains(&ex.number) {
                Progress::mark(&mut progress.solution_seen, ex.number);
            }
            if apply {
                apply_solution(&workspace::exercise_dir(&dir, ex), ex)?;
            }
            progress.save(&dir)?;
            Ok(EXIT_OK)
        }
    }
}

fn exercise(number: usize) -> Result<&'static Exercise, String> {
    super::get(number).ok_or_else(|| {
        format!(
            "there is no exercise {number}: they are numbered 1 to {} (`asynclint learn list`)",
            super::all().len()
        )
    })
}

/// The exercise named on the command line, else the current one.
fn current(progress: &Progress, number: Option<usize>) -> Result<&'static Exercise, String> {
    match number.or(progress.current) {
        Some(n) => exercise(n),
        None => Err("no exercise started here yet: `asynclint learn start`".to_string()),
    }
}

fn list(progress: &Progress) -> Result<i32, String> {
    let all = super::all();
    println!(
        "{} of {} exercises done{}",
        progress.done.len(),
        all.len(),
        progress
            .current
            .map_or(String::new(), |n| format!("; current: {n}"))
    );
    for ex in all {
        let status = if progress.done.contains(&ex.number) {
            "done"
        } else if progress.started.contains(&ex.number) {
            "started"
        } else {
            ""
        };
        println!(
            "{:>3}  {:8} {:44} {}",
            ex.number, status, ex.meta.title, ex.meta.rule
        );
    }
    Ok(EXIT_OK)
}

fn apply_solution(path: &Path, ex: &Exercise) -> Result<(), String> {
    let lib = path.join("src/lib.rs");
    if !path.is_dir() {
        return Err(format!(
            "exercise {} is not started here: `asynclint learn start {}`",
            ex.number, ex.number
        ));
    }
    if lib.is_file() {
        std::fs::rename(&lib, path.join("src/lib.rs.mine"))
            .map_err(|e| format!("cannot keep {}: {e}", lib.display()))?;
    }
    std::fs::write(&lib, ex.files.solution)
        .map_err(|e| format!("cannot write {}: {e}", lib.display()))?;
    println!("\nsrc/lib.rs is now the reference solution (yours: src/lib.rs.mine).");
    Ok(())
}

fn indent(text: &str) -> String {
    text.lines()
        .map(|l| format!("    {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}
