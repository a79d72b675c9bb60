//! `timeout-leaves-task-running`: a deadline on a spawned task's `JoinHandle` whose
//! timeout path stops waiting but leaves the task running.

use super::{FnNode, Group, Hooks, Rule, RuleMeta, TestCode};
use crate::diagnostic::{Diagnostic, Severity};
use crate::semantic::index::{IndexQuery, ModelQuery};
use crate::semantic::ownership::mentioned_after;
use crate::semantic::waited::{handle_deadlines, HandleDeadline};
use crate::semantic::{Cx, Runtime};

pub struct TimeoutLeavesTaskRunning;

static META: RuleMeta = RuleMeta {
    name: "timeout-leaves-task-running",
    severity: Severity::Warning,
    group: Group::Resources,
    tests: TestCode::Skip,
    summary: "a timeout on a spawned task's handle gives up waiting but leaves the task running",
    doc: include_str!("../../rules/timeout-leaves-task-running.md"),
};

impl Rule for TimeoutLeavesTaskRunning {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }
    fn hooks(&self) -> Hooks {
        Hooks::FN
    }

    fn check_fn(&self, cx: &mut Cx, f: &FnNode) {
        // A runtime that shuts down when `main` returns cancels what is left.
        if f.sig.ident == "main" {
            return;
        }
        let sig_names_handle = cx
            .enclosing_fn_text
            .is_some_and(|(sig, _)| cx.file.slice(sig).contains("JoinHandle"));
        // A handle may also sit in a field of a struct declared in another file.
        let has_task = sig_names_handle
            || cx.file.fields.holds_handle()
            || cx.file.block_mentions(f.body, &["spawn", "self."]);
        if !has_task || !cx.file.block_mentions(f.body, &["timeout", "select"]) {
            return;
        }
        let deadlines = handle_deadlines(cx, f.sig, f.body);
        // Code that stops tasks itself (on whichever path) is left to its author.
        if deadlines.stops_tasks {
            return;
        }
        for mut finding in deadlines.found {
            // A bounded wait whose outcome does not matter (`let _ = timeout(d, h).await;`)
            // is a grace period, as is one after the fn told the task to stop.
            if finding.grace {
                continue;
            }
            if let Some(name) = finding.kept.as_deref() {
                if finding.in_loop || mentioned_after(cx.file, f.body, name, finding.range.end) {
                    continue;
                }
            }
            let unless_plain = std::mem::take(&mut finding.unless_plain);
            let needs = finding.needs.take();
            let d = diagnostic(cx, finding);
            if let Some(q) = needs {
                cx.report_if(q, d);
            } else if unless_plain.is_empty() {
                cx.report(d);
            } else {
                // A stop signal sent first reaches the task unless what it was handed
                // is plain data.
                let krate = cx.file.krate;
                let plain = unless_plain
                    .into_iter()
                    .map(|ty| IndexQuery::Model(ModelQuery::PlainData { krate, ty }))
                    .collect();
                cx.report_if(IndexQuery::All(plain), d);
            }
        }
    }
}

fn diagnostic(cx: &Cx, f: HandleDeadline) -> Diagnostic {
    let h = f.name.clone().unwrap_or_else(|| "handle".to_string());
    let blocking = !f.spawns.is_empty()
        && f.spawns.iter().all(|s| {
            cx.text(s)
                .split('(')
                .next()
                .unwrap_or("")
                .contains("spawn_blocking")
        });
    let gives_up = match (f.select, f.kept.is_some()) {
        (true, false) => "when the timer's branch wins, `select!` drops the `JoinHandle`, but a task does not stop when its handle is dropped".to_string(),
        (false, false) => "when the deadline passes, the timeout drops the `JoinHandle`, but a task does not stop when its handle is dropped".to_string(),
        (true, true) => format!("when the timer's branch wins, `select!` stops waiting for `{h}` and nothing aborts it afterwards"),
        (false, true) => format!("when the deadline passes, the timeout stops waiting for `{h}` and nothing aborts it afterwards"),
    };
    let what = if blocking {
        "the blocking closure keeps running on its pool thread"
    } else {
        "the spawned work keeps running after this fn has given up on it, holding what it holds, and every timeout adds another"
    };
    let message = format!("{gives_up}: {what}");
    let mut d = Diagnostic::new(META.name, META.severity, f.range, message)
        .with_label("gives up on the task, which keeps running");
    for s in &f.spawns {
        d = d.with_secondary(*s, "task spawned here");
    }
    let owners = "or let a `JoinSet` or `tokio_util::task::AbortOnDropHandle` own the task: they abort it when dropped";
    let path = if f.select {
        "in the timer's branch"
    } else {
        "on the timeout path"
    };
    let help = if blocking {
        "a blocking task cannot be aborted: the closure runs to its end whatever happens to the handle. Give the blocking work its own deadline (a socket or query timeout) or a cancellation flag it checks, so that it stops when the caller gives up; or keep the handle and wait for it".to_string()
    } else if cx.file.runtime == Runtime::AsyncStd {
        format!("keep the handle and cancel the task {path} (`{h}.cancel().await`), or put the deadline on the work itself instead of a task: a timed-out future is dropped, and so cancelled")
    } else if f.kept.is_some() {
        format!("abort `{h}` {path} (`{h}.abort()`), {owners}")
    } else if f.select {
        format!("select on `&mut {h}` and abort it in the timer's branch (`{h}.abort()`), or race the work itself instead of a task (the losing future is dropped, and so cancelled), {owners}")
    } else {
        format!("put the deadline on the work itself instead of a task (`timeout(d, work)` drops, and so cancels, the future when time is up); if it must be a task, keep the handle and abort it on the timeout path: `match timeout(d, &mut {h}).await {{ Ok(r) => .., Err(_) => {h}.abort() }}`, {owners}")
    };
    d.with_help(help)
}
