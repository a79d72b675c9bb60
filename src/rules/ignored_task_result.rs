//! `ignored-task-result`: a spawned task's handle awaited and what it yields thrown
//! away, while the task can fail: its `Err`, or its panic, vanishes.

use super::{FnNode, Group, Hooks, Rule, RuleMeta, TestCode};
use crate::diagnostic::{Diagnostic, Severity};
use crate::semantic::body::own_awaits;
use crate::semantic::chain::{self, strip};
use crate::semantic::detach::{output_of, panic_path, Output, PanicKind};
use crate::semantic::handles::SpawnedHandles;
use crate::semantic::index::{IndexQuery, ModelQuery};
use crate::semantic::macros::{parse_body, MacroBody};
use crate::semantic::tasks::{async_block_of, spawn_call, SpawnKind};
use crate::semantic::{Cx, Runtime};
use crate::source::TextRange;
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use syn::visit::{self, Visit};
use syn::{Expr, Pat, Stmt};

pub struct IgnoredTaskResult;

static META: RuleMeta = RuleMeta {
    name: "ignored-task-result",
    severity: Severity::Warning,
    group: Group::Correctness,
    tests: TestCode::Own,
    summary: "a spawned task is awaited and its result thrown away (`let _ = handle.await`): the task's `Err` or panic vanishes",
    doc: include_str!("../../rules/ignored-task-result.md"),
};

/// Joins whose output holds every task's result.
const JOIN_ALL: &[&str] = &[
    "futures::future::join_all",
    "futures_util::future::join_all",
];

/// Join macros over a fixed list of futures.
const JOIN_MACROS: &[&str] = &["tokio::join", "futures::join", "futures_util::join"];

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
        let mut scan = Scan {
            cx,
            handles: SpawnedHandles::default(),
            tasks: HashMap::default(),
            loops: Vec::new(),
            aborted: HashSet::default(),
            found: Vec::new(),
        };
        for stmt in &f.body.stmts {
            scan.visit_stmt(stmt);
        }
        let Scan {
            tasks,
            aborted,
            found,
            ..
        } = scan;
        for d in found {
            if d.names.iter().any(|n| aborted.contains(n)) {
                continue;
            }
            let tasks: Vec<&Task> = d
                .spawns
                .iter()
                .filter_map(|s| tasks.get(&(s.start, s.end)))
                .collect();
            report(cx, &d, &tasks);
        }
    }
}

/// What a spawned task can lose, from its spawn call.
struct Task {
    spawn: TextRange,
    spawner: String,
    output: Output,
    panic: Option<(TextRange, PanicKind)>,
    /// The panic path is a check after which the task awaits nothing: nothing the
    /// test waits for comes after it, so its failure shows nowhere else.
    final_check: bool,
    /// Awaiting the handle yields `Result<T, JoinError>` (tokio, actix), which carries
    /// the task's panic; async-std's handle yields `T` and re-raises the panic.
    join_error: bool,
}

/// How much of the handle's output a discard throws away.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Form {
    /// Everything: `let _ = h.await`, `h.await;`, `h.await.ok()`.
    Whole,
    /// The task's own value, after the `JoinError` was handled: `let _ = h.await?`,
    /// `.unwrap()`, `.expect(..)`.
    Inner(&'static str),
}

/// A discarded result.
struct Discard {
    at: TextRange,
    form: Form,
    spawns: Vec<TextRange>,
    /// The locals an `abort()` on which makes the discard deliberate: the handle, or
    /// the collection a loop takes it from.
    names: Vec<String>,
    /// The handle as help text names it: `index`, or `handle` when it has no name.
    handle: String,
    /// The results come from `join_all(..)`.
    joined: bool,
}

struct Scan<'c, 'a> {
    cx: &'c Cx<'a>,
    handles: SpawnedHandles,
    tasks: HashMap<(usize, usize), Task>,
    /// Loop variables over collections of handles: (name, collection, spawns).
    loops: Vec<(String, Option<String>, Vec<TextRange>)>,
    aborted: HashSet<String>,
    found: Vec<Discard>,
}

impl Scan<'_, '_> {
    fn task(&mut self, e: &Expr) {
        let Some(spawn) = spawn_call(self.cx, e) else {
            return;
        };
        if spawn.kind != SpawnKind::Detaches {
            return;
        }
        let future = match strip(e) {
            Expr::Call(c) => c.args.first(),
            Expr::MethodCall(m) => m.args.first(),
            _ => None,
        };
        let Some(future) = future.map(block_tail) else {
            return;
        };
        let async_std = self
            .cx
            .call_path(e)
            .is_some_and(|p| p.starts_with("async_std::"));
        let range = self.cx.range(e);
        let panic = panic_path(self.cx, future);
        let final_check = match (panic, async_block_of(future)) {
            (Some((at, PanicKind::Check)), Some(block)) => own_awaits(block)
                .iter()
                .all(|a| self.cx.file.range(a.await_token.span).end <= at.start),
            (Some((_, PanicKind::Check)), None) => true,
            _ => false,
        };
        self.tasks.insert(
            (range.start, range.end),
            Task {
                spawn: range,
                spawner: spawn.spawner,
                output: output_of(self.cx, future),
                panic,
                final_check,
                join_error: !async_std,
            },
        );
    }

    /// The spawns a handle expression stands for, and the names whose abort excuses it.
    fn handle(&self, e: &Expr) -> Option<(Vec<TextRange>, Vec<String>)> {
        let e = match strip(e) {
            Expr::Reference(r) => strip(&r.expr),
            e => e,
        };
        if spawn_call(self.cx, e).is_some_and(|s| s.kind == SpawnKind::Detaches) {
            return Some((vec![self.cx.range(e)], Vec::new()));
        }
        let name = chain::path_ident(e)?.to_string();
        if let Some((_, coll, spawns)) = self.loops.iter().rev().find(|(n, ..)| *n == name) {
            let names = [Some(name), coll.clone()].into_iter().flatten().collect();
            return Some((spawns.clone(), names));
        }
        let spawns = self.handles.spawned_by(self.cx, e)?;
        Some((spawns, vec![name]))
    }

    /// A value thrown away: what it discards, if it is an awaited handle.
    fn discarded(&mut self, value: &Expr, at: TextRange) {
        let (awaited, form) = match strip(value) {
            Expr::Await(a) => (&a.base, Form::Whole),
            Expr::Try(t) => match strip(&t.expr) {
                Expr::Await(a) => (&a.base, Form::Inner("`?`")),
                _ => return,
            },
            Expr::Macro(m) => return self.joined(&m.mac, at),
            Expr::MethodCall(m) => match (m.method.to_string().as_str(), strip(&m.receiver)) {
                ("ok", Expr::Await(a)) if m.args.is_empty() => (&a.base, Form::Whole),
                ("unwrap", Expr::Await(a)) if m.args.is_empty() => {
                    (&a.base, Form::Inner("`unwrap()`"))
                }
                ("expect", Expr::Await(a)) if m.args.len() == 1 => {
                    (&a.base, Form::Inner("`expect(..)`"))
                }
                ("ok", Expr::Try(t)) if m.args.is_empty() => match strip(&t.expr) {
                    Expr::Await(a) => (&a.base, Form::Inner("`?`")),
                    _ => return,
                },
                _ => return,
            },
            _ => return,
        };
        let direct = self.handle(awaited);
        let joined = direct.is_none();
        let found = direct.or_else(|| {
            // `join_all(handles).await`: every task's result at once.
            let Expr::Call(c) = strip(awaited) else {
                return None;
            };
            let path = self.cx.call_path(awaited)?;
            if !JOIN_ALL.contains(&path.as_str()) || c.args.len() != 1 {
                return None;
            }
            let arg = &c.args[0];
            let spawns = self.handles.handle_arg(self.cx, arg)?;
            let names = chain::receiver_ident(chain::chain(arg).root)
                .map(|i| vec![i.to_string()])
                .unwrap_or_default();
            Some((spawns, names))
        });
        if let Some((spawns, names)) = found {
            let handle = chain::path_ident(strip(awaited))
                .map_or_else(|| "handle".to_string(), |i| i.to_string());
            self.found.push(Discard {
                at,
                form,
                spawns,
                names,
                handle,
                joined,
            });
        }
    }

    /// `tokio::join!(h1, h2)` thrown away: every handle's result.
    fn joined(&mut self, mac: &syn::Macro, at: TextRange) {
        let is_join = self
            .cx
            .resolve(&mac.path)
            .is_some_and(|p| JOIN_MACROS.contains(&p.as_str()));
        if !is_join {
            return;
        }
        let MacroBody::Exprs(args) = &*parse_body(mac) else {
            return;
        };
        let (mut spawns, mut names) = (Vec::new(), Vec::new());
        for a in args {
            let Some((s, n)) = self.handle(a) else {
                continue;
            };
            spawns.extend(s);
            names.extend(n);
        }
        if !spawns.is_empty() {
            self.found.push(Discard {
                at,
                form: Form::Whole,
                spawns,
                names,
                handle: "handle".to_string(),
                joined: true,
            });
        }
    }

    /// `h.abort()`, `h.abort_handle()`, and aborts of every handle of a collection (in
    /// a loop over it, or a closure along a chain over it).
    fn aborts(&mut self, m: &syn::ExprMethodCall) {
        let method = m.method.to_string();
        if method.starts_with("abort") {
            if let Some(name) = chain::receiver_ident(&m.receiver) {
                let name = name.to_string();
                if let Some((_, Some(coll), _)) = self.loops.iter().rev().find(|(n, ..)| *n == name)
                {
                    self.aborted.insert(coll.clone());
                }
                self.aborted.insert(name);
            }
        }
        let closure_aborts = m
            .args
            .iter()
            .any(|a| matches!(strip(a), Expr::Closure(_)) && self.cx.text(a).contains(".abort"));
        if closure_aborts {
            if let Some(root) = chain::receiver_ident(chain::chain(&m.receiver).root) {
                self.aborted.insert(root.to_string());
            }
        }
    }
}

impl<'ast> Visit<'ast> for Scan<'_, '_> {
    fn visit_item(&mut self, _: &'ast syn::Item) {}

    fn visit_stmt(&mut self, s: &'ast Stmt) {
        visit::visit_stmt(self, s);
        match s {
            Stmt::Expr(e, Some(_)) => {
                let value = self.cx.drop_call_arg(e).unwrap_or(e);
                self.discarded(value, self.cx.range(strip(e)));
            }
            Stmt::Local(l) if discards(&l.pat) => {
                if let Some(init) = l.init.as_ref().filter(|i| i.diverge.is_none()) {
                    self.discarded(&init.expr, self.cx.range(&*init.expr));
                }
            }
            // `tokio::join!(a, b);`
            Stmt::Macro(m) if m.semi_token.is_some() => {
                let start = self.cx.range(&m.mac.path).start;
                let end = self.cx.file.range(m.mac.delimiter.span().close()).end;
                self.joined(&m.mac, TextRange::new(start, end));
            }
            _ => {}
        }
    }

    fn visit_expr_while(&mut self, w: &'ast syn::ExprWhile) {
        self.visit_expr(&w.cond);
        // `while let Some(h) = handles.pop() { .. }`
        let var = match strip(&w.cond) {
            Expr::Let(l) => match (&*l.pat, strip(&l.expr)) {
                (Pat::TupleStruct(t), Expr::MethodCall(m))
                    if t.path.is_ident("Some")
                        && t.elems.len() == 1
                        && matches!(
                            m.method.to_string().as_str(),
                            "pop" | "pop_front" | "pop_back" | "next"
                        ) =>
                {
                    match (
                        t.elems.first(),
                        self.handles.handle_arg(self.cx, &m.receiver),
                    ) {
                        (Some(Pat::Ident(p)), Some(spawns)) => {
                            let coll = chain::receiver_ident(chain::chain(&m.receiver).root)
                                .map(|i| i.to_string());
                            Some((p.ident.to_string(), coll, spawns))
                        }
                        _ => None,
                    }
                }
                _ => None,
            },
            _ => None,
        };
        let pushed = var.is_some();
        self.loops.extend(var);
        self.visit_block(&w.body);
        if pushed {
            self.loops.pop();
        }
    }

    fn visit_local(&mut self, l: &'ast syn::Local) {
        visit::visit_local(self, l);
        self.handles.bind_local(self.cx, l);
    }

    fn visit_expr_for_loop(&mut self, f: &'ast syn::ExprForLoop) {
        self.visit_expr(&f.expr);
        let var = match &*f.pat {
            Pat::Ident(p) => Some(p.ident.to_string()),
            _ => None,
        };
        let spawns = self.handles.handle_arg(self.cx, &f.expr);
        let pushed = match (var, spawns) {
            (Some(var), Some(spawns)) => {
                let coll = chain::receiver_ident(chain::chain(&f.expr).root).map(|i| i.to_string());
                self.loops.push((var, coll, spawns));
                true
            }
            _ => false,
        };
        self.visit_block(&f.body);
        if pushed {
            self.loops.pop();
        }
    }

    fn visit_expr(&mut self, e: &'ast Expr) {
        stacker::maybe_grow(64 * 1024, 1024 * 1024, || {
            visit::visit_expr(self, e);
            match e {
                Expr::MethodCall(m) => {
                    self.handles.method_call(self.cx, m);
                    self.aborts(m);
                    self.task(e);
                }
                Expr::Call(_) => self.task(e),
                // `_ = h.await;`
                Expr::Assign(a) if matches!(strip(&a.left), Expr::Infer(_)) => {
                    self.discarded(&a.right, self.cx.range(e));
                }
                _ => {}
            }
        });
    }
}

fn report(cx: &mut Cx, d: &Discard, tasks: &[&Task]) {
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

/// `{ let site = site.clone(); async move { .. } }`: the future a block ends in.
fn block_tail(e: &Expr) -> &Expr {
    match strip(e) {
        Expr::Block(b) if b.label.is_none() => match b.block.stmts.last() {
            Some(Stmt::Expr(tail, None)) => block_tail(tail),
            _ => e,
        },
        _ => e,
    }
}

/// `_` or `_name`: a binding that says its value is not wanted.
fn discards(pat: &Pat) -> bool {
    match pat {
        Pat::Wild(_) => true,
        Pat::Ident(p) => p.ident.to_string().starts_with('_'),
        Pat::Type(t) => discards(&t.pat),
        _ => false,
    }
}
