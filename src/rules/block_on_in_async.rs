//! `block-on-in-async`: driving a future to completion synchronously from async code.

use super::{Group, Hooks, Rule, RuleMeta, TestCode};
use crate::diagnostic::{Diagnostic, Severity};
use crate::semantic::index::{Explain, IndexQuery, ModelQuery};
use crate::semantic::runtime::words;
use crate::semantic::tasks::{executor_of, is_single_future_executor, Executor};
use crate::semantic::{Cx, Runtime};
use syn::Expr;

pub struct BlockOnInAsync;

static META: RuleMeta = RuleMeta {
    name: "block-on-in-async",
    severity: Severity::Error,
    group: Group::Correctness,
    tests: TestCode::Report,
    summary: "`block_on` (or a new runtime) inside async code deadlocks the executor or panics",
    doc: include_str!("../../rules/block-on-in-async.md"),
};

const RUNTIME_NEW: &str = "tokio::runtime::Runtime::new";

impl Rule for BlockOnInAsync {
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
            Expr::Call(_) => {
                // A path through a module of the crate (`legacy::price_sync(..)`) is
                // resolved by the model, not by the file's imports.
                let Some(path) = cx.call_path(expr) else {
                    check_crate_call(cx, expr);
                    return;
                };
                if is_single_future_executor(&path) {
                    if !nests(cx, &path) {
                        report_block_on(cx, expr, Consequence::Stalls);
                    }
                } else if path != RUNTIME_NEW {
                    check_crate_call(cx, expr);
                } else {
                    let d = Diagnostic::new(
                        META.name,
                        META.severity,
                        cx.range(expr),
                        "creating a runtime inside async code panics as soon as it is used or dropped here (\"Cannot start a runtime from within a runtime\" / \"Cannot drop a runtime in a context where blocking is not allowed\")",
                    )
                    .with_label("new runtime created in async code")
                    .with_help(format!("use the runtime this code already runs on: `.await` the future, or `{}` it; build runtimes only in sync `main` or on a dedicated thread", words(cx.file.runtime).spawn));
                    cx.report(d);
                }
            }
            Expr::MethodCall(mc) if mc.method == "block_on" => {
                let on_runtime = executor_of(cx, &mc.receiver) == Some(Executor::TokioRuntime);
                // `fut.block_on()` from `pollster::FutureExt`.
                let pollster_ext = mc.args.is_empty() && cx.file.uses.imports_crate("pollster");
                if on_runtime {
                    report_block_on(cx, expr, Consequence::Panics);
                } else if pollster_ext {
                    report_block_on(cx, expr, Consequence::Stalls);
                }
            }
            Expr::MethodCall(_) => check_crate_call(cx, expr),
            _ => {}
        }
    }
}

/// A call in async code of a sync fn of the crate that drives a future to completion
/// itself, directly or through its own sync callees: reported at the call, with the
/// chain.
fn check_crate_call(cx: &mut Cx, expr: &Expr) {
    let Some(callee) = cx.callee(expr) else {
        return;
    };
    let Some(written) = cx.call_head(expr) else {
        return;
    };
    let d = Diagnostic::new(
        META.name,
        META.severity,
        cx.range(expr),
        format!(
            "`{written}` drives a future to completion on the executor thread (it ends in `{{op}}`): tokio's `block_on` panics there (\"Cannot start a runtime from within a runtime\"); another executor's parks the thread, and deadlocks when the future needs it"
        ),
    )
    .with_label("calls a fn that runs `block_on`")
    .with_help("make the fn async and `.await` the future it drives, so that async callers never reach the `block_on`; keep a sync version only for sync callers");
    cx.report_if_explained(
        IndexQuery::Model(ModelQuery::DrivesFuture(callee)),
        d,
        Explain {
            note: "it reaches `block_on` through {chain}".to_string(),
            places: false,
        },
    );
}

/// What a `block_on` in async code does, by whose `block_on` it is.
#[derive(Clone, Copy)]
enum Consequence {
    /// tokio's `Runtime::block_on`/`Handle::block_on`: refuses with a panic.
    Panics,
    /// Another executor's: parks the worker, deadlocks when the future needs it.
    Stalls,
}

/// async-std's `task::block_on` nests: called from async-std's own async code it
/// runs the executor on the calling thread (async-std 1.6.1 and later), so other
/// tasks keep running. Inside another runtime's task it is as bad as any other.
fn nests(cx: &Cx, path: &str) -> bool {
    path == "async_std::task::block_on"
        && cx.file.runtime == Runtime::AsyncStd
        && matches!(cx.file.crate_runtime, Runtime::AsyncStd | Runtime::Unknown)
}

fn report_block_on(cx: &mut Cx, expr: &Expr, consequence: Consequence) {
    let message = match consequence {
        Consequence::Panics => "`block_on` inside async code: tokio refuses to block a thread that is already driving its tasks, so this panics (\"Cannot start a runtime from within a runtime\")",
        Consequence::Stalls => "`block_on` inside async code parks the executor thread until the future completes: no other task runs on this thread meanwhile, and if the future needs it (a task, timer or socket of a single-threaded runtime, a lock held by a task queued here) it never completes — a deadlock with no panic",
    };
    let d = Diagnostic::new(META.name, META.severity, cx.range(expr), message)
        .with_label("blocks the executor thread")
        .with_help("`.await` the future instead; if the caller must stay sync, move the sync/async boundary up so this code is not reached from async code");
    cx.report(d);
}
