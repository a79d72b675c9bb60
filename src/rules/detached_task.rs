//! `detached-task` (pedantic): a spawned task's handle thrown away while the task
//! handles its own failures: nothing waits for it at shutdown.

use super::{Group, Hooks, Rule, RuleMeta, TestCode};
use crate::diagnostic::{Diagnostic, Severity};
use crate::semantic::detach::{discards_in_block, discards_in_stmt, Cond, Discard};
use crate::semantic::{Cx, Runtime};
use syn::{Block, Stmt};

pub struct DetachedTask;

static META: RuleMeta = RuleMeta {
    name: "detached-task",
    severity: Severity::Warning,
    group: Group::Pedantic,
    tests: TestCode::Skip,
    summary: "a spawned task's handle is discarded: nothing waits for the task at shutdown and it can outlive its caller",
    doc: include_str!("../../rules/detached-task.md"),
};

impl Rule for DetachedTask {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }
    fn hooks(&self) -> Hooks {
        Hooks::STMT | Hooks::BLOCK
    }

    fn check_stmt(&self, cx: &mut Cx, stmt: &Stmt) {
        for d in discards_in_stmt(cx, stmt) {
            report(cx, &d);
        }
    }

    fn check_block(&self, cx: &mut Cx, block: &Block) {
        for d in discards_in_block(cx, block) {
            report(cx, &d);
        }
    }
}

fn report(cx: &mut Cx, d: &Discard) {
    let cond = d.only_detaches(cx.in_test_code());
    if matches!(cond, Cond::Never) {
        return;
    }
    let mut diag = Diagnostic::new(
        META.name,
        META.severity,
        d.call,
        format!(
            "the task from `{}` is detached: nothing waits for it to finish before shutdown, and it can outlive the code that started it",
            d.spawner
        ),
    )
    .with_label(d.how)
    .with_help(match cx.file.runtime {
        Runtime::AsyncStd | Runtime::Smol => "keep the handle and `.await` it when its owner goes away; if detaching is intended, say so: `// asynclint: allow(detached-task) <why>`",
        _ => "keep the handle and `.await` (or `.abort()`) it when its owner goes away, or spawn into a `tokio::task::JoinSet` / `tokio_util::task::TaskTracker` that is awaited on shutdown; if detaching is intended, say so: `// asynclint: allow(detached-task) <why>`",
    });
    if let Some(at) = d.dropped_at {
        diag = diag.with_secondary(at, "the handle is dropped here");
    }
    match cond {
        Cond::Always => cx.report(diag),
        Cond::If(q) => cx.report_if(q, diag),
        Cond::Never => {}
    }
}
