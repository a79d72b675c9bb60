//! `blocking-in-async`: a blocking call on the executor thread.

use super::{Group, Hooks, Rule, RuleMeta, TestCode};
use crate::crate_facts;
use crate::diagnostic::{Applicability, Diagnostic, Edit, Fix, Severity};
use crate::semantic::blocking::{blocking_op, Blocking, Instead, Waits, TYPED_BLOCKING};
use crate::semantic::chain::strip;
use crate::semantic::index::{Explain, IndexQuery, ModelQuery};
use crate::semantic::testcode::{
    alone_as_app_unless_in_task, alone_if_fn_is, blocks_spawned_task, once_if_fn_is,
    parks_multi_thread_main, runs_alone,
};
use crate::semantic::{Cx, Runtime};
use crate::source::TextRange;
use syn::{Expr, ExprCall, ExprMethodCall, Stmt};

mod drops;

pub struct BlockingInAsync;

static META: RuleMeta = RuleMeta {
    name: "blocking-in-async",
    severity: Severity::Warning,
    group: Group::Latency,
    tests: TestCode::Own,
    summary: "a blocking call (sync I/O, sleep, a thread join, slow hashing) inside async code stalls the executor thread",
    doc: include_str!("../../rules/blocking-in-async.md"),
};

impl Rule for BlockingInAsync {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }
    fn hooks(&self) -> Hooks {
        Hooks::EXPR | Hooks::STMT
    }

    fn check_expr(&self, cx: &mut Cx, expr: &Expr) {
        if !cx.in_async() || !cx.context.on_shared_executor() {
            return;
        }
        match expr {
            Expr::Call(_) if cx.drop_call_arg(expr).is_some() => drops::check_drop(cx, expr),
            Expr::Call(call) => check_call(cx, expr, call),
            Expr::MethodCall(mc) => check_method(cx, expr, mc),
            Expr::Assign(a) => drops::check_assign(cx, expr, a),
            // `if let Ok(t) = Trail::open(..) { .. }`: dropped at the end of the `if let`.
            Expr::Let(l) => drops::check_if_let(cx, expr, l),
            _ => {}
        }
    }

    /// A value whose `Drop` blocks, bound in async code: dropped at the end of the
    /// block, on the executor thread.
    fn check_stmt(&self, cx: &mut Cx, stmt: &Stmt) {
        drops::check_local(cx, stmt);
    }
}

/// Whether the code at `at` runs alone on its runtime as the text shows
/// ([`runs_alone`]), and the model need not be asked: a command-line program's async
/// helper is asked about in [`report_unless_alone`].
fn alone(cx: &Cx, at: usize) -> bool {
    runs_alone(cx, at) && alone_as_app_unless_in_task(cx, at).is_none()
}

/// Reports `d` (if the model answers `query` with yes), unless the model knows that
/// the fn around it runs alone on its runtime: an async fn that only an async `main`
/// awaits before it spawns, for one (see [`ModelQuery::RunsAlone`]).
fn report_unless_alone(
    cx: &mut Cx,
    d: Diagnostic,
    query: Option<IndexQuery>,
    explain: Option<Explain>,
    work: Work,
) {
    let mut exempt: Vec<IndexQuery> = alone_if_fn_is(cx, d.range.start)
        .map(|(file, line, after_spawn)| {
            IndexQuery::Model(ModelQuery::RunsAlone {
                file,
                line,
                after_spawn,
            })
        })
        .into_iter()
        .collect();
    // One-off work in code the program runs once (loading certificates as it starts)
    // delays the other tasks a moment, once: no failure under load.
    if let Some((file, line)) = once_if_fn_is(cx) {
        let once = IndexQuery::Model(ModelQuery::RunsOnce { file, line });
        match work {
            Work::OneOff => exempt.push(once),
            Work::Through(c) => exempt.push(IndexQuery::All(vec![
                once,
                IndexQuery::Model(ModelQuery::BlocksOneOff(c)),
            ])),
            Work::Wait => {}
        }
    }
    let alone = match exempt.len() {
        0 => None,
        1 => Some(IndexQuery::Not(Box::new(exempt.remove(0)))),
        _ => Some(IndexQuery::Not(Box::new(IndexQuery::Any(exempt)))),
    };
    // A command-line program's helper harms only when it runs in a spawned task.
    let in_task = (runs_alone(cx, d.range.start))
        .then(|| alone_as_app_unless_in_task(cx, d.range.start))
        .flatten()
        .map(|(file, line)| IndexQuery::Model(ModelQuery::InTask { file, line }));
    let query = match in_task {
        Some(t) => Some(IndexQuery::All(query.into_iter().chain([t]).collect())),
        None => query,
    };
    let query = match (query, alone) {
        (Some(q), Some(a)) => IndexQuery::All(vec![q, a]),
        (Some(q), None) | (None, Some(q)) => q,
        (None, None) => return cx.report(d),
    };
    match explain {
        Some(e) => cx.report_if_explained(query, d, e),
        None => cx.report_if(query, d),
    }
}

/// What a blocking call waits for, as far as running it once is concerned.
enum Work {
    /// Work that ends by itself: the disk, a child process, CPU, a name lookup.
    OneOff,
    /// A fn of the crate that blocks: one-off work if the model says so.
    Through(crate::semantic::callee::Callee),
    /// A wait on another thread, task or peer, or a value's drop.
    Wait,
}

impl Work {
    fn of(one_off: bool) -> Work {
        if one_off {
            Work::OneOff
        } else {
            Work::Wait
        }
    }
}

/// The blocking pool of the crate's runtime.
fn spawn_blocking_path(runtime: Runtime) -> &'static str {
    match runtime {
        Runtime::AsyncStd => "async_std::task::spawn_blocking",
        Runtime::Smol => "smol::unblock",
        _ => "tokio::task::spawn_blocking",
    }
}

/// Completes a finding that depends on another fn with the chain of calls that
/// reaches the blocking operation.
fn explain_chain() -> Explain {
    Explain {
        note: "it blocks through {chain}".to_string(),
        places: false,
    }
}

/// A call in async code of a fn of the crate that blocks, directly or through its own
/// sync callees: reported at the call, with the chain.
fn check_crate_call(cx: &mut Cx, expr: &Expr) {
    if cx.test_policy_applies() || alone(cx, cx.range(expr).start) {
        return;
    }
    let Some(callee) = cx.callee(expr) else {
        return;
    };
    let Some(written) = cx.call_head(expr) else {
        return;
    };
    let call_text = cx.short_text(expr).unwrap_or_else(|| written.clone());
    let d = Diagnostic::new(
        META.name,
        META.severity,
        cx.range(expr),
        format!(
            "`{written}` blocks the executor thread: it ends in `{{op}}`, stalling every other task scheduled on it"
        ),
    )
    .with_label("calls a blocking fn from async code")
    .with_help(format!(
        "run it on the blocking pool, `{}(move || {call_text}).await`, or make it async and use the async equivalent of the blocking call inside",
        spawn_blocking_path(cx.file.runtime)
    ));
    // An awaited call resolves only to a fn that returns a future (`Callee::awaited`):
    // not to a sync fn of the crate that shares a client RPC's name.
    report_unless_alone(
        cx,
        d,
        Some(IndexQuery::Model(ModelQuery::Blocks(callee.clone()))),
        Some(explain_chain()),
        Work::Through(callee),
    );
}

fn check_call(cx: &mut Cx, expr: &Expr, call: &ExprCall) {
    let Some(path) = cx.call_path(expr) else {
        check_crate_call(cx, expr);
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
    let Some(Blocking::Fn(entry)) = blocking_op(cx.file, cx.scopes, expr) else {
        check_crate_call(cx, expr);
        return;
    };
    if !harms_here(cx, expr, entry.waits) {
        return;
    }
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
    let call_end = cx.file.end_of(call.paren_token.span.close());

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
        Instead::Rewrite(how) => d = d.with_help(how),
        Instead::SpawnBlocking => d = d.with_help(spawn_blocking_help(cx, &written, &args)),
    }
    report_unless_alone(cx, d, None, None, Work::of(Blocking::Fn(entry).one_off()));
}

fn check_method(cx: &mut Cx, expr: &Expr, mc: &ExprMethodCall) {
    let Some(op) = blocking_op(cx.file, cx.scopes, expr) else {
        check_field_typed(cx, expr, mc);
        check_crate_call(cx, expr);
        return;
    };
    if !harms_here(cx, expr, op.waits()) {
        return;
    }
    let method = mc.method.to_string();
    let d = match op {
        Blocking::Argon2 => diagnostic(cx, expr, &format!(".{method}(..)"), Waits::Cpu).with_help(
            "move the hashing to the blocking pool: `tokio::task::spawn_blocking(move || argon2.hash_password(..)).await`",
        ),
        Blocking::Method(_) | Blocking::Typed(_) => {
            diagnostic(cx, expr, &format!(".{method}()"), op.waits()).with_help(
                match op.instead() {
                    Instead::Api(api) => api_help(api),
                    Instead::Rewrite(how) => how.to_string(),
                    _ => "move it off the executor with `tokio::task::spawn_blocking`".to_string(),
                },
            )
        }
        Blocking::Fn(_) => return,
    };
    report_unless_alone(cx, d, None, None, Work::of(op.one_off()));
}

/// A blocking method of a std type on a field this file does not declare
/// (`self.stream.write_all(..)`, `link.stream.read_exact(..)`): reported if the crate
/// declares the field with that type, in whichever file it does.
fn check_field_typed(cx: &mut Cx, expr: &Expr, mc: &ExprMethodCall) {
    let method = mc.method.to_string();
    let Some(entries) = typed_blocking_for(&method) else {
        return;
    };
    for t in entries {
        let Some(query) = crate::semantic::types::field_is(cx, expr, t.ty) else {
            return;
        };
        if !harms_here(cx, expr, t.waits) {
            continue;
        }
        let help = match t.instead {
            Instead::Api(api) => api_help(api),
            Instead::Rewrite(how) => how.to_string(),
            _ => "move it off the executor with `tokio::task::spawn_blocking`".to_string(),
        };
        let d = diagnostic(cx, expr, &format!(".{method}()"), t.waits).with_help(help);
        report_unless_alone(cx, d, Some(query), None, Work::of(t.one_off()));
    }
}

/// The std types whose blocking methods include `method`, if any does.
fn typed_blocking_for(
    method: &str,
) -> Option<impl Iterator<Item = &'static crate::semantic::blocking::TypedBlocking> + '_> {
    let mut all = TYPED_BLOCKING
        .iter()
        .filter(move |t| t.methods.contains(&method))
        .peekable();
    all.peek().is_some().then_some(all)
}

/// Whether blocking here stalls another task. In test code, only a wait that parks
/// the thread a task the test spawned must run on makes the test wrong (a one-off
/// read of a temp file does not). Code that runs alone on its runtime — an async
/// `main` before it spawns, a command-line program's sequential code — stalls no one.
fn harms_here(cx: &Cx, expr: &Expr, waits: Waits) -> bool {
    let at = cx.range(expr).start;
    if cx.test_policy_applies() {
        // A thread that waits on nothing a task could provide (a watchdog that sleeps
        // and reads a flag) finishes whatever the tasks do: joining it delays the
        // test, it does not hang it.
        let independent_thread = waits == Waits::Thread
            && joined_name(expr).is_some_and(|h| thread_waits_on_nothing(cx, &h));
        return matches!(
            waits,
            Waits::Sleep | Waits::Message | Waits::Signal | Waits::Thread
        ) && !independent_thread
            && blocks_spawned_task(cx, at);
    }
    let range = cx.range(expr);
    let parks = waits == Waits::Sleep && parks_multi_thread_main(cx, range.start, range.end);
    !(alone(cx, at) || parks)
}

/// `h` of `h.join()`.
fn joined_name(expr: &Expr) -> Option<String> {
    match strip(expr) {
        Expr::MethodCall(m) if m.method == "join" => {
            crate::semantic::chain::path_ident(strip(&m.receiver)).map(|i| i.to_string())
        }
        _ => None,
    }
}

/// Whether the thread whose handle the local `name` holds (`let name =
/// thread::spawn(..)`, or a `thread::Builder` chain) waits on nothing another task
/// could provide: its initializer receives, locks, reads or drives no future.
fn thread_waits_on_nothing(cx: &Cx, name: &str) -> bool {
    const WAITS: &[&str] = &[
        ".recv",
        "recv(",
        ".lock(",
        ".wait",
        "block_on(",
        ".read(",
        ".read_",
        ".accept(",
        ".incoming(",
        ".join(",
        ".send(",
        "connect(",
        ".next(",
        ".await",
        "Barrier",
    ];
    let Some(origin) = cx.binding(name) else {
        return false;
    };
    let spawns_thread = matches!(
        origin.root_call.as_deref(),
        Some("std::thread::spawn" | "std::thread::Builder::new")
    );
    let Some(init) = origin.init.filter(|_| spawns_thread) else {
        return false;
    };
    let text = cx.file.slice(init);
    !WAITS.iter().any(|w| text.contains(w))
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
    let range = TextRange::new(cx.file.end_of(open), cx.file.start_of(close));
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
