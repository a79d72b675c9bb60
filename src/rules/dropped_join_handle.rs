//! `dropped-join-handle`: a spawned task's handle thrown away while the task can
//! fail, so its failure is lost.

use super::{Group, Hooks, Rule, RuleMeta, TestCode};
use crate::diagnostic::{Diagnostic, Severity};
use crate::semantic::detach::{discards_in_block, discards_in_stmt, Cond, Discard, Output};
use crate::semantic::tasks::SpawnKind;
use crate::semantic::{Cx, Runtime};
use syn::{Block, Stmt};

pub struct DroppedJoinHandle;

static META: RuleMeta = RuleMeta {
    name: "dropped-join-handle",
    severity: Severity::Warning,
    group: Group::Correctness,
    tests: TestCode::Own,
    summary: "a spawned task that can fail is detached: the `Err` it returns (or the assertion a test relies on) is lost with its handle",
    doc: include_str!("../../rules/dropped-join-handle.md"),
};

impl Rule for DroppedJoinHandle {
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
    let in_test = cx.in_test_code();
    let cond = d.loses_failure(in_test);
    if matches!(cond, Cond::Never) {
        return;
    }
    let mut diag = if d.kind == SpawnKind::CancelsOnDrop {
        Diagnostic::new(
            META.name,
            Severity::Error,
            d.call,
            format!(
                "the `Task` from `{}` is dropped at once, and dropping a `Task` cancels it: the spawned future never runs to completion",
                d.spawner
            ),
        )
        .with_label(d.how)
        .with_help("`.await` the task, store it, or call `.detach()` on it to let it run in the background")
    } else if in_test && d.panics {
        Diagnostic::new(
            META.name,
            META.severity,
            d.call,
            format!(
                "a failed assertion or panic inside the task from `{}` is lost with its handle: the test passes even when the check fails",
                d.spawner
            ),
        )
        .with_label(d.how)
        .with_help(match cx.file.runtime {
            Runtime::AsyncStd | Runtime::Smol => "`.await` the task before the test ends, so that its panic fails the test",
            _ => "keep the handle and `handle.await.unwrap()` before the test ends, so that a panic in the task fails the test",
        })
    } else {
        let what = match &d.output {
            Output::ResultIf(c) => format!("the `Err` `{}` returns", c.written()),
            _ => "the `Err` this task returns".to_string(),
        };
        Diagnostic::new(
            META.name,
            META.severity,
            d.call,
            format!(
                "{what} is dropped with the handle of the task from `{}`: when it fails, nothing ever sees the error",
                d.spawner
            ),
        )
        .with_label(d.how)
        .with_help(help(cx.file.runtime))
    };
    if let Some(at) = d.dropped_at {
        diag = diag.with_secondary(at, "the handle is dropped here");
    }
    match cond {
        Cond::Always => cx.report(diag),
        Cond::If(q) => cx.report_if(q, diag),
        Cond::Never => {}
    }
}

fn help(runtime: Runtime) -> &'static str {
    match runtime {
        Runtime::AsyncStd => "keep the handle and `.await` its result, or handle the error inside the task (log it, retry, report it); if the task must run on, say why: `// asynclint: allow(dropped-join-handle) <why>`",
        Runtime::Smol => "keep the `Task` and `.await` its result, or handle the error inside the task before `.detach()`",
        _ => "keep the handle and check what it returns (`handle.await??`), spawn it into a `JoinSet` whose results are read, or handle the error inside the task (log it, retry, report it)",
    }
}
