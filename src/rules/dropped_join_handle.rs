//! `dropped-join-handle`: a spawned task's handle thrown away.

use super::{Group, Hooks, Rule, RuleMeta, TestCode};
use crate::diagnostic::{Diagnostic, Severity};
use crate::semantic::chain::strip;
use crate::semantic::tasks::{spawn_call, SpawnKind};
use crate::semantic::Cx;
use syn::{Pat, Stmt};

pub struct DroppedJoinHandle;

static META: RuleMeta = RuleMeta {
    name: "dropped-join-handle",
    severity: Severity::Warning,
    group: Group::Correctness,
    tests: TestCode::Own,
    summary: "a spawned task's handle is discarded: its panics and errors vanish and nothing waits for it",
    doc: include_str!("../../rules/dropped-join-handle.md"),
};

impl Rule for DroppedJoinHandle {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }
    fn hooks(&self) -> Hooks {
        Hooks::STMT
    }

    fn check_stmt(&self, cx: &mut Cx, stmt: &Stmt) {
        let (call, how) = match stmt {
            // `tokio::spawn(fut);`
            Stmt::Expr(e, Some(_)) => match cx.drop_call_arg(e) {
                Some(inner) => (inner, "dropped here"),
                None => (strip(e), "handle discarded at the end of this statement"),
            },
            // `let _ = tokio::spawn(fut);`
            Stmt::Local(local) if is_wildcard(&local.pat) => match &local.init {
                Some(init) if init.diverge.is_none() => {
                    (strip(&init.expr), "`let _ =` drops the handle at once")
                }
                _ => return,
            },
            _ => return,
        };
        let Some(spawn) = spawn_call(cx, call) else {
            return;
        };
        let d = match spawn.kind {
            SpawnKind::Detaches => Diagnostic::new(
                META.name,
                META.severity,
                cx.range(call),
                format!(
                    "the task from `{}` is detached: a panic or error inside it is never seen, and nothing waits for it to finish before shutdown",
                    spawn.spawner
                ),
            )
            .with_label(how)
            .with_help("keep the handle and `.await` it (or `.abort()` it when its owner goes away), or spawn into a `tokio::task::JoinSet` / `tokio_util::task::TaskTracker` that is awaited on shutdown; if detaching is intended, say so: `// asynclint: allow(dropped-join-handle) <why>`"),
            SpawnKind::CancelsOnDrop => Diagnostic::new(
                META.name,
                Severity::Error,
                cx.range(call),
                format!(
                    "the `Task` from `{}` is dropped at once, and dropping a `Task` cancels it: the spawned future never runs to completion",
                    spawn.spawner
                ),
            )
            .with_label(how)
            .with_help("`.await` the task, store it, or call `.detach()` on it to let it run in the background"),
        };
        cx.report(d);
    }
}

fn is_wildcard(pat: &Pat) -> bool {
    match pat {
        Pat::Wild(_) => true,
        Pat::Type(t) => is_wildcard(&t.pat),
        _ => false,
    }
}
