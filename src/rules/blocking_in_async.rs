//! `blocking-in-async`: a blocking call on the executor thread.

use super::{Group, Hooks, Rule, RuleMeta, TestCode};
use crate::crate_facts;
use crate::diagnostic::{Applicability, Diagnostic, Edit, Fix, Severity};
use crate::semantic::chain::{self, strip};
use crate::semantic::{Cx, Runtime};
use crate::source::TextRange;
use syn::{Expr, ExprCall, ExprMethodCall};

pub struct BlockingInAsync;

static META: RuleMeta = RuleMeta {
    name: "blocking-in-async",
    severity: Severity::Warning,
    group: Group::Latency,
    tests: TestCode::Own,
    summary: "a blocking call (sync I/O, sleep, a thread join, slow hashing) inside async code stalls the executor thread",
    doc: include_str!("../../rules/blocking-in-async.md"),
};

/// What the call waits for: the message says it in these words.
#[derive(Clone, Copy)]
enum Waits {
    Sleep,
    Disk,
    Network,
    Process,
    Input,
    Message,
    Thread,
    Http,
    Cpu,
    /// Named in the configuration's `extra-calls`.
    Configured,
}

impl Waits {
    fn phrase(self) -> &'static str {
        match self {
            Waits::Sleep => "puts the whole executor thread to sleep",
            Waits::Disk => "waits for the disk on the executor thread",
            Waits::Network => "waits for the network on the executor thread",
            Waits::Process => "waits for a child process on the executor thread",
            Waits::Input => "waits for terminal input on the executor thread",
            Waits::Message => "waits for a message on the executor thread",
            Waits::Thread => "waits for an OS thread to finish on the executor thread",
            Waits::Http => "performs a blocking HTTP request on the executor thread",
            Waits::Cpu => "runs deliberately slow CPU work on the executor thread",
            Waits::Configured => {
                "is a blocking call (per the configuration) made on the executor thread"
            }
        }
    }
}

/// The way out of a blocking call.
#[derive(Clone, Copy)]
enum Instead {
    /// Same arguments, same result type: `tokio::fs::<name>(..).await`.
    AsyncFs(&'static str),
    /// `tokio::time::sleep(d).await`.
    Sleep,
    /// An async API that is not a drop-in (different types), named for the help.
    Api(&'static str),
    /// No async equivalent: move the work to the blocking pool.
    SpawnBlocking,
}

struct BlockingFn {
    /// Full path; a trailing `*` matches every path with that prefix.
    path: &'static str,
    waits: Waits,
    instead: Instead,
}

const fn entry(path: &'static str, waits: Waits, instead: Instead) -> BlockingFn {
    BlockingFn {
        path,
        waits,
        instead,
    }
}

/// Blocking free functions and associated fns, resolved through `use`.
static BLOCKING_FNS: &[BlockingFn] = &[
    entry("std::thread::sleep", Waits::Sleep, Instead::Sleep),
    entry("std::fs::read", Waits::Disk, Instead::AsyncFs("read")),
    entry(
        "std::fs::read_to_string",
        Waits::Disk,
        Instead::AsyncFs("read_to_string"),
    ),
    entry("std::fs::write", Waits::Disk, Instead::AsyncFs("write")),
    entry("std::fs::copy", Waits::Disk, Instead::AsyncFs("copy")),
    entry("std::fs::rename", Waits::Disk, Instead::AsyncFs("rename")),
    entry(
        "std::fs::create_dir",
        Waits::Disk,
        Instead::AsyncFs("create_dir"),
    ),
    entry(
        "std::fs::create_dir_all",
        Waits::Disk,
        Instead::AsyncFs("create_dir_all"),
    ),
    entry(
        "std::fs::remove_file",
        Waits::Disk,
        Instead::AsyncFs("remove_file"),
    ),
    entry(
        "std::fs::remove_dir",
        Waits::Disk,
        Instead::AsyncFs("remove_dir"),
    ),
    entry(
        "std::fs::remove_dir_all",
        Waits::Disk,
        Instead::AsyncFs("remove_dir_all"),
    ),
    entry(
        "std::fs::metadata",
        Waits::Disk,
        Instead::AsyncFs("metadata"),
    ),
    entry(
        "std::fs::symlink_metadata",
        Waits::Disk,
        Instead::AsyncFs("symlink_metadata"),
    ),
    entry(
        "std::fs::canonicalize",
        Waits::Disk,
        Instead::AsyncFs("canonicalize"),
    ),
    entry(
        "std::fs::hard_link",
        Waits::Disk,
        Instead::AsyncFs("hard_link"),
    ),
    entry(
        "std::fs::read_link",
        Waits::Disk,
        Instead::AsyncFs("read_link"),
    ),
    entry(
        "std::fs::set_permissions",
        Waits::Disk,
        Instead::AsyncFs("set_permissions"),
    ),
    entry(
        "std::fs::try_exists",
        Waits::Disk,
        Instead::AsyncFs("try_exists"),
    ),
    entry(
        "std::fs::read_dir",
        Waits::Disk,
        Instead::Api("tokio::fs::read_dir"),
    ),
    entry(
        "std::fs::File::open",
        Waits::Disk,
        Instead::Api("tokio::fs::File::open"),
    ),
    entry(
        "std::fs::File::create",
        Waits::Disk,
        Instead::Api("tokio::fs::File::create"),
    ),
    entry(
        "std::net::TcpStream::connect",
        Waits::Network,
        Instead::Api("tokio::net::TcpStream::connect"),
    ),
    entry(
        "std::net::TcpStream::connect_timeout",
        Waits::Network,
        Instead::Api("tokio::net::TcpStream::connect"),
    ),
    entry(
        "std::net::TcpListener::bind",
        Waits::Network,
        Instead::Api("tokio::net::TcpListener::bind"),
    ),
    entry(
        "std::net::UdpSocket::bind",
        Waits::Network,
        Instead::Api("tokio::net::UdpSocket::bind"),
    ),
    entry(
        "reqwest::blocking::*",
        Waits::Http,
        Instead::Api("reqwest's async API (`reqwest::get`, `reqwest::Client`)"),
    ),
    entry(
        "ureq::*",
        Waits::Http,
        Instead::Api("an async HTTP client such as `reqwest::Client`"),
    ),
    entry("bcrypt::hash", Waits::Cpu, Instead::SpawnBlocking),
    entry(
        "bcrypt::hash_with_result",
        Waits::Cpu,
        Instead::SpawnBlocking,
    ),
    entry("bcrypt::hash_with_salt", Waits::Cpu, Instead::SpawnBlocking),
    entry("bcrypt::verify", Waits::Cpu, Instead::SpawnBlocking),
    entry("scrypt::scrypt", Waits::Cpu, Instead::SpawnBlocking),
    entry("pbkdf2::pbkdf2*", Waits::Cpu, Instead::SpawnBlocking),
];

/// Blocking methods, recognised by the call their receiver chain starts from (directly,
/// or through a local bound from it in the same fn).
struct BlockingMethod {
    root: &'static str,
    /// `Some(i)`: the receiver must be element `i` of a tuple pattern (`let (tx, rx)`).
    tuple_index: Option<usize>,
    methods: &'static [&'static str],
    waits: Waits,
    instead: Instead,
}

static BLOCKING_METHODS: &[BlockingMethod] = &[
    BlockingMethod {
        root: "std::process::Command::new",
        tuple_index: None,
        methods: &["output", "status", "wait", "wait_with_output"],
        waits: Waits::Process,
        instead: Instead::Api("tokio::process::Command"),
    },
    BlockingMethod {
        root: "std::fs::OpenOptions::new",
        tuple_index: None,
        methods: &["open"],
        waits: Waits::Disk,
        instead: Instead::Api("tokio::fs::OpenOptions"),
    },
    BlockingMethod {
        root: "std::io::stdin",
        tuple_index: None,
        methods: &["read_line", "read_to_string", "read_to_end"],
        waits: Waits::Input,
        instead: Instead::Api("tokio::io::stdin() with `AsyncBufReadExt::read_line`"),
    },
    BlockingMethod {
        root: "std::sync::mpsc::channel",
        tuple_index: Some(1),
        methods: &["recv", "recv_timeout"],
        waits: Waits::Message,
        instead: Instead::Api("tokio::sync::mpsc (`rx.recv().await`)"),
    },
    BlockingMethod {
        root: "std::sync::mpsc::sync_channel",
        tuple_index: Some(1),
        methods: &["recv", "recv_timeout"],
        waits: Waits::Message,
        instead: Instead::Api("tokio::sync::mpsc (`rx.recv().await`)"),
    },
    BlockingMethod {
        root: "std::thread::spawn",
        tuple_index: None,
        methods: &["join"],
        waits: Waits::Thread,
        instead: Instead::Api("tokio::task::spawn_blocking, whose handle can be `.await`ed"),
    },
];

/// argon2's password-hash trait methods, recognised in files that import argon2.
const ARGON2_METHODS: &[&str] = &["hash_password", "verify_password"];

impl Rule for BlockingInAsync {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }
    fn hooks(&self) -> Hooks {
        Hooks::EXPR
    }

    fn check_expr(&self, cx: &mut Cx, expr: &Expr) {
        if !cx.in_async() {
            return;
        }
        match expr {
            Expr::Call(call) => check_call(cx, expr, call),
            Expr::MethodCall(mc) => check_method(cx, expr, mc),
            _ => {}
        }
    }
}

fn check_call(cx: &mut Cx, expr: &Expr, call: &ExprCall) {
    let Some(path) = cx.call_path(expr) else {
        return;
    };
    if let Some(extra) = cx.options.extra_calls.iter().find(|c| c.path == path) {
        let written = cx.text(&*call.func).to_string();
        let args = args_text(
            cx,
            call.paren_token.span.open(),
            call.paren_token.span.close(),
        );
        let help = match &extra.replacement {
            Some(r) => format!("use `{r}({args}).await` instead"),
            None => "move the call off the executor with `tokio::task::spawn_blocking`".into(),
        };
        let d = diagnostic(cx, expr, &written, Waits::Configured).with_help(help);
        cx.report(d);
        return;
    }
    let Some(entry) = BLOCKING_FNS
        .iter()
        .find(|e| match e.path.strip_suffix('*') {
            Some(prefix) => path.starts_with(prefix),
            None => e.path == path,
        })
    else {
        return;
    };
    let Expr::Path(callee) = strip(&call.func) else {
        return;
    };
    let written = cx.text(&callee.path).to_string();
    let args = args_text(
        cx,
        call.paren_token.span.open(),
        call.paren_token.span.close(),
    );
    let callee_range = cx.range(&callee.path);
    let call_end = cx.file.range(call.paren_token.span.close()).end;

    let mut d = diagnostic(cx, expr, &written, entry.waits);
    match entry.instead {
        Instead::AsyncFs(name) => {
            let (module, fixable) = match cx.file.runtime {
                Runtime::AsyncStd => ("async_std::fs", false),
                Runtime::Smol => ("smol::fs", false),
                _ => (
                    "tokio::fs",
                    cx.file.mentions_tokio || cx.file.tokio.is_some(),
                ),
            };
            let new = format!("{module}::{name}");
            d = d.with_help(format!(
                "use `{new}({args}).await`, which waits without holding the thread"
            ));
            if fixable && cx.can_await() {
                d = d.with_fix(await_fix(cx, callee_range, call_end, new, Needs::Fs));
            }
        }
        Instead::Sleep => {
            let (new, fixable) = match cx.file.runtime {
                Runtime::AsyncStd => ("async_std::task::sleep", false),
                Runtime::Smol => ("smol::Timer::after", false),
                _ => (
                    "tokio::time::sleep",
                    cx.file.mentions_tokio || cx.file.tokio.is_some(),
                ),
            };
            d = d.with_help(format!(
                "use `{new}({args}).await`: it suspends only this task and frees the thread for others"
            ));
            if fixable && cx.can_await() {
                d = d.with_fix(await_fix(
                    cx,
                    callee_range,
                    call_end,
                    new.to_string(),
                    Needs::Timer,
                ));
            }
        }
        Instead::Api(api) => d = d.with_help(api_help(api)),
        Instead::SpawnBlocking => d = d.with_help(spawn_blocking_help(cx, &written, &args)),
    }
    cx.report(d);
}

fn check_method(cx: &mut Cx, expr: &Expr, mc: &ExprMethodCall) {
    let method = mc.method.to_string();
    if ARGON2_METHODS.contains(&method.as_str()) && cx.file.uses.imports_crate("argon2") {
        let written = format!(".{method}(..)");
        let d = diagnostic(cx, expr, &written, Waits::Cpu).with_help(
            "move the hashing to the blocking pool: `tokio::task::spawn_blocking(move || argon2.hash_password(..)).await`",
        );
        cx.report(d);
        return;
    }
    let Some(entry) = BLOCKING_METHODS
        .iter()
        .find(|e| e.methods.contains(&method.as_str()) && receiver_comes_from(cx, &mc.receiver, e))
    else {
        return;
    };
    let written = format!(".{method}()");
    let d = diagnostic(cx, expr, &written, entry.waits).with_help(match entry.instead {
        Instead::Api(api) => api_help(api),
        _ => "move it off the executor with `tokio::task::spawn_blocking`".to_string(),
    });
    cx.report(d);
}

/// Whether the method's receiver chain starts at `entry.root`, directly
/// (`Command::new("ls").output()`) or through a local (`let mut cmd = Command::new(..)`).
fn receiver_comes_from(cx: &Cx, receiver: &Expr, entry: &BlockingMethod) -> bool {
    let c = chain::chain(receiver);
    if entry.tuple_index.is_none() {
        if let Some(path) = cx.call_path(c.root) {
            return path == entry.root;
        }
    }
    let Some(origin) = cx.receiver_origin(c.root) else {
        return false;
    };
    origin.root_call.as_deref() == Some(entry.root)
        && origin.tuple_index == entry.tuple_index
        && !origin.awaited
}

fn diagnostic(cx: &Cx, expr: &Expr, written: &str, waits: Waits) -> Diagnostic {
    Diagnostic::new(
        META.name,
        META.severity,
        cx.range(expr),
        format!(
            "`{written}` {}, stalling every other task scheduled on it",
            waits.phrase()
        ),
    )
    .with_label("blocking call in async code")
}

fn api_help(api: &str) -> String {
    format!("use the async equivalent, {api}, and `.await` it; or wrap the call in `tokio::task::spawn_blocking`")
}

fn spawn_blocking_help(cx: &Cx, written: &str, args: &str) -> String {
    let _ = cx;
    format!(
        "move the work to the blocking pool: `tokio::task::spawn_blocking(move || {written}({args})).await`"
    )
}

/// The source text of a call's arguments, shortened when long or multi-line.
fn args_text(cx: &Cx, open: proc_macro2::Span, close: proc_macro2::Span) -> String {
    let range = TextRange::new(cx.file.range(open).end, cx.file.range(close).start);
    let text = cx.file.slice(range).trim();
    if text.len() > 40 || text.contains('\n') {
        "..".to_string()
    } else {
        text.to_string()
    }
}

/// What an async replacement needs from tokio.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Needs {
    /// `tokio::fs`: the `fs` feature.
    Fs,
    /// `tokio::time::sleep`: the `time` feature and a runtime with timers.
    Timer,
}

/// Replace the callee with its async equivalent and await the call. The fix is
/// machine-applicable only where it can change neither the build nor what the code
/// does: the crate's manifest enables the tokio feature it needs (in test code, the
/// dev-dependencies' count too), and for a sleep, no source of the crate builds a
/// runtime without timers, and the file neither pauses tokio's clock (a sleep then
/// returns at once) nor asserts on a measured duration. Anywhere else it is an unsafe
/// fix, applied only with `--unsafe-fixes`.
fn await_fix(cx: &Cx, callee: TextRange, call_end: usize, new_callee: String, needs: Needs) -> Fix {
    let text = cx.file.text;
    let safe = cx.file.tokio.is_some_and(|tokio| {
        let features = tokio.features(cx.in_test_code());
        match needs {
            Needs::Fs => features.fs,
            Needs::Timer => {
                features.time
                    && !crate_facts::pauses_clock(text)
                    && !crate_facts::asserts_elapsed(text)
                    && !crate_facts::builds_timerless_runtime(text)
                    && !tokio.builds_timerless_runtime()
            }
        }
    });
    Fix {
        applicability: if safe {
            Applicability::MachineApplicable
        } else {
            Applicability::MaybeIncorrect
        },
        edits: vec![
            Edit {
                range: callee,
                replacement: new_callee,
            },
            Edit {
                range: TextRange::new(call_end, call_end),
                replacement: ".await".to_string(),
            },
        ],
    }
}
