//! `timeout-leaves-task-running`: a deadline on a spawned task's `JoinHandle` whose
//! timeout path stops waiting but leaves the task running.

use super::{FnNode, Group, Hooks, Rule, RuleMeta, TestCode};
use crate::diagnostic::{Diagnostic, Severity};
use crate::semantic::body::always_exits;
use crate::semantic::calls::{DEADLINE_FNS, DEADLINE_METHODS};
use crate::semantic::chain::{path_ident, strip};
use crate::semantic::grace::{is_stop_signal, is_timer, thrown_away};
use crate::semantic::handles::SpawnedHandles;
use crate::semantic::macros::{parse_body, MacroBody};
use crate::semantic::ownership::mentioned_after;
use crate::semantic::waited::WaitedHandle;
use crate::semantic::{Cx, Runtime};
use crate::source::TextRange;
use syn::visit::{self, Visit};
use syn::Expr;

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
        let has_task = sig_names_handle || cx.file.block_mentions(f.body, &["spawn"]);
        if !has_task || !cx.file.block_mentions(f.body, &["timeout", "select"]) {
            return;
        }
        let mut scan = Scan {
            cx,
            handles: SpawnedHandles::default(),
            loops: 0,
            nested: 0,
            signals: Vec::new(),
            cancels: false,
            discarded: Vec::new(),
            loop_handles: Vec::new(),
            found: Vec::new(),
        };
        scan.visit_block(f.body);
        if scan.handles.aborts || scan.cancels {
            return;
        }
        let Scan {
            found,
            signals,
            discarded,
            ..
        } = scan;
        for finding in found {
            // A bounded wait whose outcome does not matter (`let _ = timeout(d, h).await;`)
            // is a grace period, as is one after the fn told the task to stop.
            if discarded.contains(&finding.range)
                || signals.iter().any(|s| *s < finding.range.start)
            {
                continue;
            }
            if let Some(name) = finding.kept.as_deref() {
                if finding.in_loop || mentioned_after(cx.file, f.body, name, finding.range.end) {
                    continue;
                }
            }
            report(cx, finding);
        }
    }
}

/// A deadline on a task's handle.
struct Finding {
    range: TextRange,
    /// `timeout` or `select!`.
    select: bool,
    /// Where the tasks were spawned (empty for a handle passed in).
    spawns: Vec<TextRange>,
    /// The handle's local name, when it has one.
    name: Option<String>,
    /// The handle is lent (`&mut h`) and so still exists afterwards: its name.
    kept: Option<String>,
    in_loop: bool,
}

struct Scan<'c, 'a> {
    cx: &'c Cx<'a>,
    handles: SpawnedHandles,
    /// Loops around the current point.
    loops: usize,
    /// Closures and async blocks around the current point.
    nested: usize,
    /// Where the fn itself tells something to stop.
    signals: Vec<usize>,
    /// `h.cancel()` (async-std's way to stop a task).
    cancels: bool,
    /// Expressions whose value a statement throws away (`let _ = x;`, `x.await.ok();`).
    discarded: Vec<TextRange>,
    /// Loop variables over handles (`for h in handles`), innermost last.
    loop_handles: Vec<(String, Vec<TextRange>)>,
    found: Vec<Finding>,
}

impl Scan<'_, '_> {
    fn handle(&self, e: &Expr) -> Option<WaitedHandle> {
        let (inner, lent) = match strip(e) {
            Expr::Reference(r) if r.mutability.is_some() => (strip(&r.expr), true),
            e => (e, false),
        };
        let looped = path_ident(inner).and_then(|i| {
            let (name, spawns) = self.loop_handles.iter().rev().find(|(n, _)| i == n)?;
            Some(WaitedHandle {
                spawns: spawns.clone(),
                name: Some(name.clone()),
                lent,
            })
        });
        looped.or_else(|| self.handles.waited_handle(self.cx, e))
    }

    fn found(&mut self, range: TextRange, select: bool, h: WaitedHandle) {
        self.found.push(Finding {
            range,
            select,
            spawns: h.spawns,
            kept: h.lent.then(|| h.name.clone()).flatten(),
            name: h.name,
            in_loop: self.loops > 0,
        });
    }

    fn call(&mut self, e: &Expr, c: &syn::ExprCall) {
        let Some(path) = self.cx.call_path(e) else {
            return;
        };
        if DEADLINE_FNS.contains(&path.as_str()) && c.args.len() == 2 {
            if let Some(h) = self.handle(&c.args[1]) {
                self.found(self.cx.range(e), false, h);
            }
        }
        if self.nested == 0 && is_stop_signal(self.cx, e) {
            self.signals.push(self.cx.range(e).start);
        }
    }

    fn method_call(&mut self, e: &Expr, m: &syn::ExprMethodCall) {
        self.handles.method_call(self.cx, m);
        let method = m.method.to_string();
        if method == "cancel"
            && path_ident(&m.receiver).is_some_and(|i| self.handles.holds_handles(&i.to_string()))
        {
            self.cancels = true;
        }
        if DEADLINE_METHODS.contains(&method.as_str()) && m.args.len() == 1 {
            if let Some(h) = self.handle(&m.receiver) {
                self.found(self.cx.range(e), false, h);
            }
        }
        if self.nested == 0 && is_stop_signal(self.cx, e) {
            self.signals.push(self.cx.range(e).start);
        }
    }

    /// `select!` between a handle and a timer, where the timer's branch leaves.
    fn select(&mut self, range: TextRange, branches: &[crate::semantic::macros::SelectBranch]) {
        let handle = branches
            .iter()
            .find_map(|b| b.future.as_ref().and_then(|f| self.handle(f)));
        let Some(handle) = handle else {
            return;
        };
        let timer = branches.iter().find(|b| {
            b.future
                .as_ref()
                .is_some_and(|f| is_timer(self.cx.text(f)) && self.handle(f).is_none())
        });
        let Some(timer) = timer else {
            return;
        };
        if self.cx.text(&timer.handler).contains("abort") {
            return;
        }
        // In a loop, a timer branch that goes round again waits for the task again.
        if self.loops > 0 && !always_exits(&timer.handler) {
            return;
        }
        self.found(range, true, handle);
    }
}

impl<'ast> Visit<'ast> for Scan<'_, '_> {
    fn visit_item(&mut self, _: &'ast syn::Item) {}

    fn visit_stmt(&mut self, s: &'ast syn::Stmt) {
        if let Some(e) = thrown_away(s) {
            self.discarded.push(self.cx.range(e));
        }
        visit::visit_stmt(self, s);
    }

    fn visit_local(&mut self, l: &'ast syn::Local) {
        visit::visit_local(self, l);
        self.handles.bind_local(self.cx, l);
    }

    fn visit_expr(&mut self, e: &'ast Expr) {
        stacker::maybe_grow(64 * 1024, 1024 * 1024, || match e {
            Expr::ForLoop(f) => {
                self.visit_expr(&f.expr);
                let var = match &*f.pat {
                    syn::Pat::Ident(p) => Some(p.ident.to_string()),
                    _ => None,
                };
                let spawns = self.handles.handle_arg(self.cx, &f.expr);
                let bound = var.zip(spawns).map(|b| self.loop_handles.push(b)).is_some();
                self.loops += 1;
                self.visit_block(&f.body);
                self.loops -= 1;
                if bound {
                    self.loop_handles.pop();
                }
            }
            Expr::While(_) | Expr::Loop(_) => {
                self.loops += 1;
                visit::visit_expr(self, e);
                self.loops -= 1;
            }
            Expr::Closure(_) | Expr::Async(_) => {
                self.nested += 1;
                visit::visit_expr(self, e);
                self.nested -= 1;
            }
            _ => {
                visit::visit_expr(self, e);
                match e {
                    Expr::MethodCall(m) => self.method_call(e, m),
                    Expr::Call(c) => self.call(e, c),
                    _ => {}
                }
            }
        });
    }

    fn visit_macro(&mut self, m: &'ast syn::Macro) {
        match &*parse_body(m) {
            MacroBody::Exprs(exprs) => exprs.iter().for_each(|e| self.visit_expr(e)),
            MacroBody::Select(branches) => {
                branches
                    .iter()
                    .flat_map(|b| b.future.iter())
                    .for_each(|e| self.visit_expr(e));
                let start = self.cx.range(&m.path).start;
                let end = self.cx.file.range(m.delimiter.span().close()).end;
                self.select(TextRange::new(start, end), branches);
                branches.iter().for_each(|b| self.visit_expr(&b.handler));
            }
            MacroBody::Opaque => {}
        }
    }
}

fn report(cx: &mut Cx, f: Finding) {
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
    cx.report(d.with_help(help));
}
