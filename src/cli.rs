//! Command line: arguments, output selection and exit codes.

use crate::config::Config;
use crate::diagnostic::Severity;
use crate::engine::{Options, Report};
use crate::render::{github, human, json, sarif};
use crate::rules::{self, Group, Rule, Selector, RULES};
use crate::{baseline, fix};
use clap::{Parser, Subcommand, ValueEnum};
use codespan_reporting::term::termcolor::{ColorChoice, StandardStream};
use std::io::{IsTerminal, Write};
use std::path::PathBuf;

/// Exit codes of the `check` command.
pub const EXIT_CLEAN: i32 = 0;
pub const EXIT_FINDINGS: i32 = 1;
pub const EXIT_FAILURE: i32 = 2;

#[derive(Parser, Debug)]
#[command(
    name = "asynclint",
    version,
    about = "A fast static analyzer for async Rust: finds the concurrency bugs that compile and pass the happy-path test."
)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Check `.rs` files and directories (default: the current directory).
    Check(CheckArgs),
    /// List every rule: name, default severity, whether it is on, one line.
    Rules,
    /// Print a rule's page: what it flags, why, the fix, bad and good examples.
    Explain {
        /// The rule's name, e.g. `blocking-in-async`.
        rule: String,
    },
    /// Exercises: fix async bugs until a behaviour test and asynclint agree.
    Learn(crate::learn::cli::LearnArgs),
    /// Write the rule book as a static site (an index with search, a page per rule).
    Docs {
        /// The directory to write the site into.
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
    },
    /// Run the language server on stdin and stdout (for editors).
    Server {
        /// Accepted for clients that pass it; stdio is the only transport.
        #[arg(long)]
        stdio: bool,
    },
}

#[derive(Parser, Debug)]
struct CheckArgs {
    /// Files and directories to check.
    #[arg(default_value = ".")]
    paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
    /// `json`: cargo's compiler-message lines, one per finding (for rust-analyzer's
    /// `check.overrideCommand`); replaces `--format`.
    #[arg(long, value_enum, value_name = "FMT", conflicts_with = "format")]
    message_format: Option<MessageFormat>,
    /// Use this configuration file instead of discovering one (an `asynclint.toml`,
    /// or a `Cargo.toml` with `[package.metadata.asynclint]`).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Apply machine-applicable fixes in place, then report what remains.
    #[arg(long)]
    fix: bool,
    /// Report only findings that are not in this baseline file.
    #[arg(long, value_name = "FILE")]
    baseline: Option<PathBuf>,
    /// Record the current findings in this baseline file (and exit 0).
    #[arg(long, value_name = "FILE", conflicts_with = "baseline")]
    write_baseline: Option<PathBuf>,
    /// Run only these rules or groups (comma-separated: rule names, `correctness`,
    /// `latency`, `resources`, `robustness`, `pedantic`, or `all`).
    #[arg(long, value_delimiter = ',', value_name = "RULE|GROUP")]
    select: Vec<String>,
    /// Run these rules or groups as well as the configured ones.
    #[arg(long, value_delimiter = ',', value_name = "RULE|GROUP")]
    extend_select: Vec<String>,
    /// Do not run these rules or groups (comma-separated).
    #[arg(long, value_delimiter = ',', value_name = "RULE|GROUP")]
    ignore: Vec<String>,
    /// When to use colours in human output.
    #[arg(long, value_enum, default_value_t = Color::Auto)]
    color: Color,
    /// Worker threads (default: one per core).
    #[arg(long, default_value_t = 0)]
    threads: usize,
    /// Print only the summary (and errors), not each finding.
    #[arg(long, short)]
    quiet: bool,
    /// Print how many findings each rule produced.
    #[arg(long)]
    statistics: bool,
    /// Analyse every file afresh: neither read nor write the cache
    /// (`.asynclint_cache/` at the project root, or `ASYNCLINT_CACHE_DIR`).
    #[arg(long)]
    no_cache: bool,
}

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
enum Format {
    Human,
    Json,
    Sarif,
    Github,
    /// `--message-format json`.
    #[value(skip)]
    CargoJson,
}

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
enum MessageFormat {
    Json,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum Color {
    Auto,
    Always,
    Never,
}

/// Runs the command line and returns the process exit code.
pub fn run() -> i32 {
    run_from(std::env::args_os())
}

/// Runs the command line given as `args` (the first is the program name).
pub fn run_from<I, T>(args: I) -> i32
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    let cli = match Cli::try_parse_from(args) {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                EXIT_FAILURE
            } else {
                EXIT_CLEAN
            };
        }
    };
    match cli.command {
        Command::Check(args) => check(args),
        Command::Rules => list_rules(),
        Command::Explain { rule } => explain(&rule),
        Command::Learn(args) => crate::learn::cli::run(args),
        Command::Docs { out } => crate::docs::run(&out),
        Command::Server { .. } => crate::server::run(),
    }
}

fn fail(message: &str) -> i32 {
    eprintln!("error: {message}");
    EXIT_FAILURE
}

fn select_rules(args: &CheckArgs, config: &Config) -> Result<Vec<&'static dyn Rule>, String> {
    let parse = |names: &[String]| -> Result<Vec<Selector>, String> {
        names.iter().map(|n| Selector::parse(n)).collect()
    };
    let select = parse(&args.select)?;
    let extend = parse(&args.extend_select)?;
    let ignore = parse(&args.ignore)?;
    let selected = |r: &dyn Rule| {
        let on = if select.is_empty() {
            config.enabled(r).unwrap_or(r.meta().default_enabled())
        } else {
            select.iter().any(|s| s.matches(r))
        };
        (on || extend.iter().any(|s| s.matches(r))) && !ignore.iter().any(|s| s.matches(r))
    };
    Ok(RULES.iter().copied().filter(|r| selected(*r)).collect())
}

fn check(mut args: CheckArgs) -> i32 {
    if args.message_format == Some(MessageFormat::Json) {
        args.format = Format::CargoJson;
    }
    let config = match Config::load(args.config.as_deref(), &args.paths) {
        Ok(c) => c,
        Err(e) => return fail(&format!("invalid configuration: {e}")),
    };
    let rules = match select_rules(&args, &config) {
        Ok(r) => r,
        Err(e) => return fail(&e),
    };
    let baseline = match &args.baseline {
        Some(path) => match baseline::read(path) {
            Ok(b) => Some(b),
            Err(e) => return fail(&e),
        },
        None => None,
    };
    let options = Options {
        rules: rules.clone(),
        threads: args.threads,
        config,
    };
    let mut report = crate::cache::run(&args.paths, &options, !args.no_cache);

    if args.fix {
        let outcome = fix::apply(&report);
        if outcome.total() > 0 {
            eprintln!(
                "fixed {} {} in {} {}",
                outcome.total(),
                if outcome.total() == 1 {
                    "finding"
                } else {
                    "findings"
                },
                outcome.fixed.len(),
                if outcome.fixed.len() == 1 {
                    "file"
                } else {
                    "files"
                },
            );
            report = crate::cache::run(&args.paths, &options, !args.no_cache);
        }
        report.errors.extend(outcome.errors);
        report.errors.sort_by(|a, b| a.path.cmp(&b.path));
    }

    if let Some(path) = &args.write_baseline {
        return match baseline::write(&report, path) {
            Ok(n) => {
                eprintln!("wrote {n} findings to the baseline {}", path.display());
                if report.errors.is_empty() {
                    EXIT_CLEAN
                } else {
                    EXIT_FAILURE
                }
            }
            Err(e) => fail(&format!("cannot write baseline {}: {e}", path.display())),
        };
    }
    let applied = baseline.as_ref().map(|b| baseline::apply(&mut report, b));

    let written = match args.format {
        Format::Json => write_stdout(&json::render(&report)),
        Format::Sarif => write_stdout(&sarif::render(&report, &rules)),
        Format::Github => write_stdout(&github::render(&report)),
        Format::CargoJson => write_stdout(&crate::render::cargo::render(&report)),
        Format::Human => {
            let choice = match args.color {
                Color::Always => ColorChoice::Always,
                Color::Never => ColorChoice::Never,
                Color::Auto if std::io::stdout().is_terminal() => ColorChoice::Auto,
                Color::Auto => ColorChoice::Never,
            };
            let stream = StandardStream::stdout(choice);
            let mut out = stream.lock();
            human::render(
                &report,
                &mut out,
                &human::HumanOptions {
                    quiet: args.quiet,
                    statistics: args.statistics,
                },
            )
        }
    };
    if args.statistics && args.format != Format::Human {
        let _ = human::write_statistics(&report, &mut std::io::stderr());
    }
    if let Some(a) = applied {
        if a.known > 0 || a.gone > 0 {
            eprintln!(
                "baseline: {} known {} hidden; {} baseline {} no longer occur{}",
                a.known,
                if a.known == 1 { "finding" } else { "findings" },
                a.gone,
                if a.gone == 1 { "entry" } else { "entries" },
                if a.gone > 0 {
                    " (rewrite it with --write-baseline to shrink it)"
                } else {
                    ""
                },
            );
        }
    }
    if let Err(e) = written {
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            return fail(&format!("cannot write output: {e}"));
        }
    }
    exit_code(&report)
}

fn write_stdout(text: &str) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes()).and_then(|_| out.flush())
}

/// 2 if any file could not be checked, else 1 if anything at warning or error
/// severity was found, else 0.
pub fn exit_code(report: &Report) -> i32 {
    if !report.errors.is_empty() {
        EXIT_FAILURE
    } else if report.count(Severity::Warning) + report.count(Severity::Error) > 0 {
        EXIT_FINDINGS
    } else {
        EXIT_CLEAN
    }
}

fn list_rules() -> i32 {
    let width = RULES.iter().map(|r| r.meta().name.len()).max().unwrap_or(0);
    let mut out = std::io::stdout().lock();
    for group in Group::ALL {
        let _ = writeln!(
            out,
            "{} ({}): {}",
            group.name(),
            if group.default_enabled() { "on" } else { "off" },
            group.summary()
        );
        for r in RULES.iter().filter(|r| r.meta().group == group) {
            let m = r.meta();
            let _ = writeln!(
                out,
                "  {:width$}  {:7}  {}",
                m.name,
                m.severity.as_str(),
                m.summary,
            );
        }
    }
    EXIT_CLEAN
}

fn explain(name: &str) -> i32 {
    match rules::find(name) {
        Some(r) => {
            print!("{}", r.meta().doc);
            EXIT_CLEAN
        }
        None => fail(&rules::unknown_name(name)),
    }
}
