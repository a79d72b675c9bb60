//! `ignored-task-result`: a spawned task's handle awaited and what it yields thrown
//! away, while the task can fail: its `Err`, or its panic, vanishes.

use super::{FnNode, Group, Hooks, Rule, RuleMeta, TestCode};
use crate::diagnostic::{Diagnostic, Severity};
use crate::semantic::detach::Output;
use crate::semantic::index::{IndexQuery, ModelQuery};
use crate::semantic::task_results::{discarded_results, Discard, Form, Task};
use crate::semantic::{Cx, Runtime};
use rustc_hash::FxHashSet as HashSet;

pub struct IgnoredTaskResult;

static META: RuleMeta = RuleMeta {
    name: "ignored-task-result",
    severity: Severity::Warning,
    group: Group::Correctness,
    tests: TestCode::Own,
    summary: "a spawned task is awaited and its result thrown away (`let _ = handle.await`): the task's `Err` or panic vanishes",
    doc: include_str!("../../rules/ignored-task-result.md"),
};

impl Rule for IgnoredTaskResult {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }
    fn hooks(&self) -> Hooks {
        Hooks::FN
    }

    fn check_fn(&self, cx: &mut Cx, f: &FnNode) {
        // The handles come from spawn calls in this body. A test that expects a panic
        // may expect the one a task raises.
        let should_panic = f.attrs.iter().any(|a| a.path().is_ident("should_panic"));
        if !cx.file.block_mentions(f.body, &["spawn"]) || should_panic {
            return;
        }
        for (d, tasks) in discarded_results(cx, f.body) {
            report(cx, &d, &tasks);
        }
    }
}

fn report(cx: &mut Cx, d: &Discard, tasks: &[Task]) {
    let Some(first) = tasks.first() else { return };
    let in_test = cx.test_policy_applies();
    // A panic lost with the `JoinError`; in tests only a check counts (an `unwrap` in
    // a helper task shows up in what the test checks).
    let panic = tasks
        .iter()
        .filter(|t| d.form == Form::Whole && t.join_error)
        .find_map(|t| t.panic.filter(|_| !in_test || t.final_check));
    // The task's own `Err`; not in tests. After `?` on async-std's handle, which
    // yields the task's value itself, nothing is left to lose.
    if matches!(d.form, Form::Inner(_)) && tasks.iter().all(|t| !t.join_error) {
        return;
    }
    let results: Vec<IndexQuery> = tasks
        .iter()
        .filter_map(|t| match &t.output {
            Output::ResultIf(c) => Some(IndexQuery::Model(ModelQuery::ReturnsResult(c.clone()))),
            _ => None,
        })
        .collect();
    let result_always = tasks.iter().any(|t| matches!(t.output, Output::Result));
    let result_maybe = !in_test && (result_always || !results.is_empty());
    if panic.is_none() && !result_maybe {
        return;
    }
    let runtime = cx.file.runtime;
    let (message, help) = match (panic, in_test) {
        (Some(_), true) => (
            format!(
                "a failed assertion in the task from `{}` ends in the `JoinError` thrown away here: the test passes even when the check fails",
                first.spawner
            ),
            format!("`{}.await.unwrap()`, so that a failed check in the task fails the test", d.handle),
        ),
        (Some((at, _)), false) => {
            let what = if result_maybe {
                "the task's `Err` and its panics are"
            } else {
                "a panic in the task is"
            };
            (
                format!(
                    "{what} thrown away here: when the task from `{}` fails (`{}`), the caller carries on as if it had succeeded",
                    first.spawner,
                    panic_name(cx.text(&at))
                ),
                help(runtime, d, result_maybe),
            )
        }
        (None, _) => {
            let what = match (&first.output, result_always) {
                (Output::ResultIf(c), false) => format!("the `Err` `{}` returns", c.written()),
                _ => "the task's `Err`".to_string(),
            };
            let how = match d.form {
                Form::Inner(op) => format!(" ({op} handles only the `JoinError`)"),
                Form::Whole => String::new(),
            };
            (
                format!(
                    "{what} is thrown away here{how}: when the task from `{}` fails, nothing ever sees the error",
                    first.spawner
                ),
                help(runtime, d, true),
            )
        }
    };
    let mut diag = Diagnostic::new(META.name, META.severity, d.at, message)
        .with_label("result thrown away")
        .with_help(help);
    let mut seen = HashSet::default();
    for t in tasks {
        if seen.insert((t.spawn.start, t.spawn.end)) && seen.len() <= 3 {
            diag = diag.with_secondary(t.spawn, "task spawned here");
        }
    }
    if let Some((at, _)) = panic {
        diag = diag.with_secondary(at, "can panic here");
    }
    if panic.is_some() || result_always {
        cx.report(diag);
    } else {
        cx.report_if(IndexQuery::Any(results), diag);
    }
}

fn help(runtime: Runtime, d: &Discard, result: bool) -> String {
    let h = &d.handle;
    if d.joined {
        return match runtime {
            Runtime::AsyncStd => "go through the results `join_all` returns and handle (or log) each task's `Err`".to_string(),
            _ => "go through the results `join_all` returns: each is the task's `JoinError` (a panic or a cancellation) around its own `Result`; return or log the failures".to_string(),
        };
    }
    match (runtime, result) {
        (Runtime::AsyncStd, _) => format!("handle what the task returns: `{h}.await?`, or `if let Err(e) = {h}.await {{ .. }}` to log it"),
        (_, true) => format!("check both layers: `{h}.await??` where errors can be returned, or `match {h}.await {{ Ok(Ok(v)) => .., Ok(Err(e)) => /* the task failed */, Err(e) => /* it panicked or was cancelled */ }}`; at least log them"),
        (_, false) => format!("check the `JoinError`: `{h}.await?` or `{h}.await.unwrap()` passes the panic on, `if let Err(e) = {h}.await {{ .. }}` logs it"),
    }
}

/// `assert!(..)`, `unwrap()`, `expect(..)`: a panic path as a message names it.
fn panic_name(text: &str) -> String {
    let head = text.split(['(', '[', '{']).next().unwrap_or(text).trim();
    let rest = &text[head.len()..].trim();
    match rest.strip_prefix('(').map(|r| r.trim_start()) {
        Some(r) if r.starts_with(')') => format!("{head}()"),
        _ => format!("{head}(..)"),
    }
}
