//! `fail-fast-detached-tasks`: a fail-fast join over spawned tasks' handles.

use super::{FnNode, Group, Hooks, Rule, RuleMeta, TestCode};
use crate::diagnostic::{Diagnostic, Severity};
use crate::semantic::chain;
use crate::semantic::handles::SpawnedHandles;
use crate::semantic::macros::{parse_body, MacroBody};
use crate::semantic::text::one_line;
use crate::semantic::writes::{TRY_JOIN_ALL, TRY_JOIN_LIST};
use crate::semantic::{Cx, Runtime};
use crate::source::TextRange;
use rustc_hash::FxHashSet as HashSet;
use syn::visit::{self, Visit};
use syn::Expr;

pub struct FailFastDetachedTasks;

static META: RuleMeta = RuleMeta {
    name: "fail-fast-detached-tasks",
    severity: Severity::Warning,
    group: Group::Resources,
    tests: TestCode::Skip,
    summary: "a fail-fast join (`try_join_all`, `try_join!`) over spawned tasks returns at the first error and leaves the other tasks running detached",
    doc: include_str!("../../rules/fail-fast-detached-tasks.md"),
};

/// Attributes of entry points whose runtime shuts down when they return, cancelling
/// whatever is still running (test fns are test code, left alone as a whole).
const ENTRY_ATTRS: &[&str] = &["main"];

impl Rule for FailFastDetachedTasks {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }
    fn hooks(&self) -> Hooks {
        Hooks::FN
    }

    fn check_fn(&self, cx: &mut Cx, f: &FnNode) {
        let entry = f.attrs.iter().any(|a| {
            a.path()
                .segments
                .last()
                .is_some_and(|s| ENTRY_ATTRS.iter().any(|n| s.ident == n))
        });
        // The handles come from spawn calls in this body.
        if entry || !cx.file.block_mentions(f.body, &["spawn"]) {
            return;
        }
        let mut scan = Scan {
            cx,
            handles: SpawnedHandles::default(),
            found: Vec::new(),
        };
        for stmt in &f.body.stmts {
            scan.visit_stmt(stmt);
        }
        // Code that aborts handles itself (on the error path) is left to its author.
        if scan.handles.aborts {
            return;
        }
        for d in std::mem::take(&mut scan.found) {
            cx.report(d);
        }
    }
}

/// A sub-walk of one fn body, in source order: which locals hold spawned tasks'
/// handles, and the fail-fast joins over them.
struct Scan<'c, 'a> {
    cx: &'c Cx<'a>,
    handles: SpawnedHandles,
    found: Vec<Diagnostic>,
}

impl Scan<'_, '_> {
    fn report(&mut self, range: TextRange, joiner: &str, spawns: Vec<TextRange>, help: String) {
        let mut d = Diagnostic::new(
            META.name,
            META.severity,
            range,
            format!(
                "`{joiner}` returns at the first failed task, but the other spawned tasks are not cancelled: they keep running detached, and nobody sees or undoes what they do"
            ),
        )
        .with_label("returns early on the first error");
        let mut seen = HashSet::default();
        for s in spawns {
            if seen.insert((s.start, s.end)) {
                d = d.with_secondary(s, "task spawned here");
            }
        }
        self.found.push(d.with_help(help));
    }

    /// `joined`: the handles as the collect-all join should take them.
    fn help(&self, joined: &str, list: bool, spawns: &[TextRange]) -> String {
        let collect_all = if list {
            format!("`tokio::join!({joined})`")
        } else {
            format!("`futures::future::join_all({joined})`")
        };
        let blocking = spawns.iter().all(|s| {
            let callee = self.cx.text(s).split('(').next().unwrap_or("");
            callee.contains("spawn_blocking")
        });
        if blocking {
            format!("blocking tasks cannot be aborted: wait for all of them with {collect_all} and reconcile the failures, or give the closures a cancellation flag they check")
        } else if self.cx.file.runtime != Runtime::Tokio {
            format!("on an error, cancel the tasks still running before returning, or wait for all of them with {collect_all} and clean up after the ones that failed")
        } else {
            format!("spawn the tasks into a `tokio::task::JoinSet` and drain it with `join_next()` (returning early drops the set, which aborts the tasks still running), or wrap each handle in `tokio_util::task::AbortOnDropHandle`; if partial success must be cleaned up, wait for all with {collect_all} and reconcile the failures")
        }
    }

    fn check_list_join(&mut self, range: TextRange, joiner: &str, args: &[&Expr]) {
        let mut spawns = Vec::new();
        let mut names = Vec::new();
        for a in args {
            if let Some(found) = self.handles.handle_arg(self.cx, a) {
                spawns.extend(found);
            }
            names.push(one_line(self.cx.text(*a)));
        }
        if args.len() >= 2 && !spawns.is_empty() {
            let help = self.help(&names.join(", "), true, &spawns);
            self.report(range, joiner, spawns, help);
        }
    }
}

impl Scan<'_, '_> {
    fn call(&mut self, e: &Expr, c: &syn::ExprCall) {
        let Some(path) = self.cx.call_path(e) else {
            return;
        };
        let joiner = chain::call_path(e).map_or(String::new(), |p| self.cx.text(p).to_string());
        if TRY_JOIN_ALL.contains(&path.as_str()) && c.args.len() == 1 {
            let arg = &c.args[0];
            if let Some(spawns) = self.handles.handle_arg(self.cx, arg) {
                // `handles` for `handles.into_iter().map(..)`, else the argument itself.
                let joined = chain::receiver_ident(chain::chain(arg).root)
                    .map(|i| i.to_string())
                    .filter(|name| self.handles.holds_handles(name))
                    .unwrap_or_else(|| one_line(self.cx.text(arg)));
                let help = self.help(&joined, false, &spawns);
                self.report(self.cx.range(e), &joiner, spawns, help);
            }
        } else if TRY_JOIN_LIST.contains(&path.as_str()) {
            let args: Vec<&Expr> = c.args.iter().collect();
            self.check_list_join(self.cx.range(e), &joiner, &args);
        }
    }
}

impl<'ast> Visit<'ast> for Scan<'_, '_> {
    fn visit_item(&mut self, _: &'ast syn::Item) {}

    fn visit_local(&mut self, l: &'ast syn::Local) {
        visit::visit_local(self, l);
        self.handles.bind_local(self.cx, l);
    }

    fn visit_expr(&mut self, e: &'ast Expr) {
        stacker::maybe_grow(64 * 1024, 1024 * 1024, || {
            visit::visit_expr(self, e);
            match e {
                Expr::MethodCall(m) => self.handles.method_call(self.cx, m),
                Expr::Call(c) => self.call(e, c),
                _ => {}
            }
        });
    }

    fn visit_macro(&mut self, m: &'ast syn::Macro) {
        match &*parse_body(m) {
            MacroBody::Exprs(exprs) => {
                for e in exprs.iter() {
                    self.visit_expr(e);
                }
                let is_try_join = self
                    .cx
                    .resolve(&m.path)
                    .is_some_and(|p| TRY_JOIN_LIST.contains(&p.as_str()));
                if is_try_join {
                    let start = self.cx.range(&m.path).start;
                    let end = self.cx.file.end_of(m.delimiter.span().close());
                    let joiner = format!("{}!", self.cx.text(&m.path));
                    let args: Vec<&Expr> = exprs.iter().collect();
                    self.check_list_join(TextRange::new(start, end), &joiner, &args);
                }
            }
            select @ MacroBody::Select(_) => select.code().for_each(|e| self.visit_expr(e)),
            MacroBody::Opaque => {}
        }
    }
}
