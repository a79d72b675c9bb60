//! Command line: arguments, output selection and exit codes.

use crate::config::{ConfigSet, Selection};
use crate::diagnostic::Severity;
use crate::engine::{self, Options, Report};
use crate::render::{concise, escape, github, gitlab, human, json, junit, rdjson, sarif};
use crate::rules::{self, Group, Selector, RULES};
use crate::{baseline, discover, fix, scope};
use clap::{Parser, Subcommand, ValueEnum};
use codespan_reporting::term::termcolor::{ColorChoice, NoColor, StandardStream, WriteColor};
use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Exit codes of the `check` command.
pub const EXIT_CLEAN: i32 = 0;
pub const EXIT_FINDINGS: i32 = 1;
pub const EXIT_FAILURE: i32 = 2;

#[derive(Parser, Debug)]
#[command(
    name = "asynclint",
    version,
    about = "A fast static analyzer for async Rust: finds the concurrency bugs that compile and pass the happy-path test.",
    after_help = EXIT_CODES_HELP
)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Check `.rs` files and directories (default: the current directory).
    Check(Box<CheckArgs>),
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

/// Exit codes, shown under `--help`.
const EXIT_CODES_HELP: &str = "Exit codes:
  0  no finding at the --fail-on severity or above (or --exit-zero)
  1  at least one finding at the --fail-on severity or above (default: warning)
  2  the run failed: bad arguments or configuration, a path that does not exist, a
     file that cannot be read or parsed, no Rust file to check. Every other file is
     still checked and reported; 2 wins over 1.";

#[derive(Parser, Debug)]
#[command(after_help = EXIT_CODES_HELP)]
struct CheckArgs {
    /// Files and directories to check; `-` reads one file's text from stdin (with
    /// --stdin-filename).
    #[arg(default_value = ".")]
    paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
    /// Write the output to this file instead of stdout.
    #[arg(long, short, value_name = "FILE")]
    output_file: Option<PathBuf>,
    /// `json`: cargo's compiler-message lines, one per finding (for rust-analyzer's
    /// `check.overrideCommand`); replaces `--format`.
    #[arg(long, value_enum, value_name = "FMT", conflicts_with = "format")]
    message_format: Option<MessageFormat>,
    /// Use this configuration file for every file instead of each file's nearest one
    /// (an `asynclint.toml`, or a `Cargo.toml` with `[package.metadata.asynclint]`).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Apply machine-applicable fixes in place, then report what remains.
    #[arg(long)]
    fix: bool,
    /// Print the fixes `--fix` would apply as a unified diff, and write nothing
    /// (exit 1 if there is anything to fix).
    #[arg(long)]
    diff: bool,
    /// With `--fix` or `--diff`: also apply the fixes that are right in most code but
    /// can change what it does.
    #[arg(long)]
    unsafe_fixes: bool,
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
    /// Index every file, but report only findings in files changed since this git
    /// revision (`git diff REF`, plus untracked files).
    #[arg(long, value_name = "REF")]
    changed_since: Option<String>,
    /// With `-` as the path: the path of the file whose text stdin holds. It is
    /// checked in its package's context (the package's other files are read from
    /// disk) and reported under this path.
    #[arg(long, value_name = "PATH")]
    stdin_filename: Option<PathBuf>,
    /// Also check files that `.gitignore` and `.ignore` files exclude.
    #[arg(long)]
    no_ignore: bool,
    /// Exit 0 even when there are findings (a failed run still exits 2).
    #[arg(long)]
    exit_zero: bool,
    /// The lowest severity that makes the run exit 1.
    #[arg(long, value_enum, default_value_t = FailOn::Warning, value_name = "SEVERITY")]
    fail_on: FailOn,
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
    /// Parse every item and doc comment of every file, so that every syntax error is
    /// reported. By default a plain `const` item (no `async`, no `static` in it) is
    /// stepped over unparsed, and doc comments are not lexed: no rule reads them, and
    /// the compiler reports their errors anyway.
    #[arg(long)]
    full_parse: bool,
}

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
enum Format {
    /// rustc-style snippets.
    Human,
    /// One line per finding: `path:line:col: severity[rule] message`.
    Concise,
    /// One JSON object with every finding and error.
    Json,
    /// One JSON object per line, per finding or error.
    JsonLines,
    /// SARIF 2.1.0 (GitHub code scanning).
    Sarif,
    /// GitHub Actions workflow annotations.
    Github,
    /// GitLab Code Quality report.
    Gitlab,
    /// JUnit XML.
    Junit,
    /// reviewdog's rdjson.
    Rdjson,
    /// `--message-format json`.
    #[value(skip)]
    CargoJson,
}

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
enum MessageFormat {
    Json,
}

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
enum FailOn {
    Error,
    Warning,
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
        Command::Check(args) => check(*args),
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

fn selection(args: &CheckArgs) -> Result<Selection, String> {
    let parse = |names: &[String]| -> Result<Vec<Selector>, String> {
        names.iter().map(|n| Selector::parse(n)).collect()
    };
    Ok(Selection {
        select: parse(&args.select)?,
        extend: parse(&args.extend_select)?,
        ignore: parse(&args.ignore)?,
    })
}

/// `--stdin-filename`: the file's path and text, and the paths to index with it.
struct Stdin {
    path: PathBuf,
    text: Arc<str>,
}

fn read_stdin(args: &CheckArgs) -> Result<Option<Stdin>, String> {
    let dash = args.paths.iter().any(|p| p.as_os_str() == "-");
    match (&args.stdin_filename, dash) {
        (None, false) => Ok(None),
        (None, true) => {
            Err("`-` reads a file from stdin: name it with --stdin-filename PATH".into())
        }
        (Some(_), false) => Err("--stdin-filename needs `-` as the path to check".into()),
        (Some(_), true) if args.paths.len() > 1 => {
            Err("`-` (stdin) cannot be mixed with other paths".into())
        }
        (Some(_), true) if args.fix => Err("--fix cannot rewrite stdin".into()),
        (Some(path), true) => {
            let mut bytes = Vec::new();
            std::io::stdin()
                .read_to_end(&mut bytes)
                .map_err(|e| format!("cannot read stdin: {e}"))?;
            let text = String::from_utf8(bytes)
                .map_err(|e| format!("stdin is not valid UTF-8: {}", e.utf8_error()))?;
            Ok(Some(Stdin {
                path: path.clone(),
                text: Arc::from(text),
            }))
        }
    }
}

fn check(mut args: CheckArgs) -> i32 {
    if args.message_format == Some(MessageFormat::Json) {
        args.format = Format::CargoJson;
    }
    let selection = match selection(&args) {
        Ok(s) => s,
        Err(e) => return fail(&e),
    };
    let config = match ConfigSet::new(args.config.as_deref(), Some(selection)) {
        Ok(c) => Arc::new(c),
        Err(e) => return fail(&format!("invalid configuration: {e}")),
    };
    let stdin = match read_stdin(&args) {
        Ok(s) => s,
        Err(e) => return fail(&e),
    };
    // With stdin, the file's package is indexed from disk with the given text in
    // place of the file.
    let paths: Vec<PathBuf> = match &stdin {
        Some(s) => scope::package_root(&s.path)
            .map(|root| display_path(&root))
            .into_iter()
            .collect(),
        None => args.paths.clone(),
    };
    let preload: Vec<PathBuf> = match &stdin {
        Some(s) => vec![s.path.clone()],
        None => paths.clone(),
    };
    if let Err(e) = config.preload(&preload) {
        return fail(&format!("invalid configuration: {e}"));
    }
    let changed = match &args.changed_since {
        Some(r) => match scope::changed_since(Path::new("."), r) {
            Ok(c) => Some(c),
            Err(e) => return fail(&format!("--changed-since: {e}")),
        },
        None => None,
    };
    let baseline = match &args.baseline {
        Some(path) => match baseline::read(path) {
            Ok(b) => Some(b),
            Err(e) => return fail(&e),
        },
        None => None,
    };
    let options = Options {
        rules: RULES.to_vec(),
        threads: args.threads,
        config: config.clone(),
        no_ignore: args.no_ignore,
        overrides: stdin
            .iter()
            .map(|s| (s.path.clone(), s.text.clone()))
            .collect(),
        // A `check` runs a few times at most (`--fix` checks again after fixing).
        exits_after: true,
        full_parse: args.full_parse,
    };
    let stdin_key = stdin.as_ref().map(|s| discover::key(&s.path));
    let run = || {
        let mut report = crate::cache::run(&paths, &options, !args.no_cache);
        if let Some(changed) = &changed {
            scope::retain(&mut report, &|k| changed.contains(k), &|_| true);
        }
        if let Some(k) = &stdin_key {
            // The file's findings, and errors that are not about another source file.
            scope::retain(&mut report, &|p| p == k, &|p| {
                !p.ends_with(".rs") || discover::key(Path::new(p)) == *k
            });
            report.files_checked = report.files_checked.min(1);
        }
        if report.files_checked == 0 && report.errors.is_empty() {
            report.errors.push(engine::FileError {
                path: paths
                    .iter()
                    .map(|p| p.display().to_string())
                    .collect::<Vec<_>>()
                    .join(" "),
                message: "no Rust file to check: none was found, or the configuration's \
                          `exclude` or a .gitignore/.ignore file excludes them all \
                          (--no-ignore checks ignored files)"
                    .into(),
                position: None,
            });
        }
        report
    };
    let mut report = run();

    if args.unsafe_fixes && !(args.fix || args.diff) {
        return fail("--unsafe-fixes needs --fix or --diff");
    }
    if args.diff {
        return diff(&args, &report);
    }
    if args.fix {
        let outcome = fix::apply(&report, &fix_mode(&args));
        report_fix_outcome(&outcome);
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
            report = run();
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

    let written = match &args.output_file {
        Some(file) => std::fs::File::create(file)
            .and_then(|f| {
                let mut out = std::io::BufWriter::new(f);
                render(&args, &report, &config, &mut NoColor::new(&mut out))?;
                out.flush()
            })
            .map_err(|e| format!("cannot write {}: {e}", file.display())),
        None => {
            let choice = match args.color {
                Color::Always => ColorChoice::Always,
                Color::Never => ColorChoice::Never,
                Color::Auto if std::io::stdout().is_terminal() => ColorChoice::Auto,
                Color::Auto => ColorChoice::Never,
            };
            let stream = StandardStream::stdout(choice);
            let mut out = stream.lock();
            match render(&args, &report, &config, &mut out).and_then(|_| out.flush()) {
                Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
                    Err(format!("cannot write output: {e}"))
                }
                _ => Ok(()),
            }
        }
    };
    if args.statistics && (args.format != Format::Human || args.output_file.is_some()) {
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
        return fail(&e);
    }
    let threshold = match args.fail_on {
        FailOn::Error => Severity::Error,
        FailOn::Warning => Severity::Warning,
    };
    match exit_code_at(&report, threshold) {
        EXIT_FINDINGS if args.exit_zero => EXIT_CLEAN,
        code => code,
    }
}

/// `path` relative to the current directory when it lies under it.
fn display_path(path: &Path) -> PathBuf {
    let cwd = std::env::current_dir().unwrap_or_default();
    match path.strip_prefix(&cwd) {
        Ok(rel) if rel.as_os_str().is_empty() => PathBuf::from("."),
        Ok(rel) => rel.to_path_buf(),
        Err(_) => path.to_path_buf(),
    }
}

/// Writes `report` in the chosen format.
fn render(
    args: &CheckArgs,
    report: &Report,
    config: &ConfigSet,
    out: &mut dyn WriteColor,
) -> std::io::Result<()> {
    let text = match args.format {
        Format::Human => {
            return human::render(
                report,
                out,
                &human::HumanOptions {
                    quiet: args.quiet,
                    statistics: args.statistics,
                },
            )
        }
        Format::Concise => concise::render(report),
        Format::Json => json::render(report),
        Format::JsonLines => json::render_lines(report),
        Format::Sarif => sarif::render(report, &config.rules_used(RULES)),
        Format::Github => github::render(report),
        Format::Gitlab => gitlab::render(report),
        Format::Junit => junit::render(report),
        Format::Rdjson => rdjson::render(report),
        Format::CargoJson => crate::render::cargo::render(report),
    };
    out.write_all(text.as_bytes())
}

fn fix_mode(args: &CheckArgs) -> fix::Mode {
    fix::Mode {
        unsafe_fixes: args.unsafe_fixes,
        dry_run: args.diff,
        roots: args.paths.clone(),
    }
}

fn report_fix_outcome(outcome: &fix::Outcome) {
    for (path, why) in &outcome.skipped {
        eprintln!(
            "note: {}: {}",
            escape::controls(path),
            escape::controls(why)
        );
    }
    if outcome.stale_removed > 0 {
        eprintln!(
            "removed {} temporary {} left by an interrupted --fix",
            outcome.stale_removed,
            if outcome.stale_removed == 1 {
                "file"
            } else {
                "files"
            }
        );
    }
}

/// `--diff`: the fixes as a unified diff on stdout; nothing written. Exit 2 if a file
/// could not be checked or fixed, else 1 if there is a change, else 0.
fn diff(args: &CheckArgs, report: &Report) -> i32 {
    let outcome = fix::apply(report, &fix_mode(args));
    report_fix_outcome(&outcome);
    let text = fix::unified_diff(&outcome);
    // A patch on a pipe stays byte-exact; on a terminal it is read by people.
    let shown = if std::io::stdout().is_terminal() {
        escape::controls_but_newlines(&text)
    } else {
        std::borrow::Cow::Borrowed(text.as_str())
    };
    let written = write_stdout(&shown);
    for e in report.errors.iter().chain(&outcome.errors) {
        eprintln!(
            "error: {}: {}",
            escape::controls(&e.path),
            escape::controls(&e.message)
        );
    }
    eprintln!(
        "{} {} to apply in {} {}",
        outcome.total(),
        if outcome.total() == 1 { "fix" } else { "fixes" },
        outcome.fixed.len(),
        if outcome.fixed.len() == 1 {
            "file"
        } else {
            "files"
        },
    );
    if let Err(e) = written {
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            return fail(&format!("cannot write output: {e}"));
        }
    }
    if !report.errors.is_empty() || !outcome.errors.is_empty() {
        EXIT_FAILURE
    } else if outcome.total() > 0 {
        EXIT_FINDINGS
    } else {
        EXIT_CLEAN
    }
}

fn write_stdout(text: &str) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes()).and_then(|_| out.flush())
}

/// 2 if any file could not be checked, else 1 if anything at warning or error
/// severity was found, else 0.
pub fn exit_code(report: &Report) -> i32 {
    exit_code_at(report, Severity::Warning)
}

/// 2 if any file could not be checked, else 1 if anything at `threshold` severity or
/// above was found, else 0.
pub fn exit_code_at(report: &Report, threshold: Severity) -> i32 {
    let failing = match threshold {
        Severity::Error => report.count(Severity::Error),
        Severity::Warning => report.count(Severity::Warning) + report.count(Severity::Error),
        Severity::Hint => report.findings.len(),
    };
    if !report.errors.is_empty() {
        EXIT_FAILURE
    } else if failing > 0 {
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
            // A closed pipe (`explain x | head`) is no failure.
            let _ = write_stdout(r.meta().doc);
            EXIT_CLEAN
        }
        None => fail(&rules::unknown_name(name)),
    }
}
