//! Spawned tasks awaited and what the await yields thrown away: `let _ = h.await`,
//! `h.await.ok()`, `let _ = h.await?` (the `JoinError` handled, the task's own value
//! dropped), over a loop of collected handles, `join_all(handles)` or `tokio::join!`.
//! For each, what the task could have reported: the `Result` it returns, or a panic
//! path in its body. Handles are followed like [`super::handles`] follows them.

use super::body::own_awaits;
use super::chain::{self, strip};
use super::detach::{output_of, panic_path, Output, PanicKind};
use super::handles::SpawnedHandles;
use super::macros::{parse_body, MacroBody};
use super::tasks::{async_block_of, discards, spawn_call, SpawnKind};
use super::Cx;
use crate::source::TextRange;
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use syn::visit::{self, Visit};
use syn::{Expr, Pat, Stmt};

/// Joins whose output holds every task's result.
const JOIN_ALL: &[&str] = &[
    "futures::future::join_all",
    "futures_util::future::join_all",
];

/// Join macros over a fixed list of futures.
const JOIN_MACROS: &[&str] = &["tokio::join", "futures::join", "futures_util::join"];

/// The results a fn body (not its nested items) throws away, each with the tasks it
/// may come from; a discard whose handle (or collection) is aborted anywhere in the
/// body is deliberate and left out.
pub fn discarded_results(cx: &Cx, body: &syn::Block) -> Vec<(Discard, Vec<Task>)> {
    let mut scan = Scan {
        cx,
        handles: SpawnedHandles::default(),
        tasks: HashMap::default(),
        loops: Vec::new(),
        joined_results: Vec::new(),
        aborted: HashSet::default(),
        found: Vec::new(),
    };
    for stmt in &body.stmts {
        scan.visit_stmt(stmt);
    }
    let Scan {
        tasks,
        aborted,
        found,
        ..
    } = scan;
    found
        .into_iter()
        .filter(|d| !d.names.iter().any(|n| aborted.contains(n)))
        .map(|d| {
            let from = d
                .spawns
                .iter()
                .filter_map(|s| tasks.get(&(s.start, s.end)).cloned())
                .collect();
            (d, from)
        })
        .collect()
}

/// What a spawned task can lose, from its spawn call.
#[derive(Clone, Debug)]
pub struct Task {
    pub spawn: TextRange,
    pub spawner: String,
    pub output: Output,
    pub panic: Option<(TextRange, PanicKind)>,
    /// The panic path is a check after which the task awaits nothing: nothing the
    /// test waits for comes after it, so its failure shows nowhere else.
    pub final_check: bool,
    /// Awaiting the handle yields `Result<T, JoinError>` (tokio, actix), which carries
    /// the task's panic; async-std's handle yields `T` and re-raises the panic.
    pub join_error: bool,
}

/// How much of the handle's output a discard throws away.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Form {
    /// Everything: `let _ = h.await`, `h.await;`, `h.await.ok()`.
    Whole,
    /// The task's own value, after the `JoinError` was handled: `let _ = h.await?`,
    /// `.unwrap()`, `.expect(..)`.
    Inner(&'static str),
}

/// A discarded result.
#[derive(Debug)]
pub struct Discard {
    pub at: TextRange,
    pub form: Form,
    pub spawns: Vec<TextRange>,
    /// The locals an `abort()` on which makes the discard deliberate: the handle, or
    /// the collection a loop takes it from.
    pub names: Vec<String>,
    /// The handle as help text names it: `index`, or `handle` when it has no name.
    pub handle: String,
    /// The results come from `join_all(..)`.
    pub joined: bool,
}

struct Scan<'c, 'a> {
    cx: &'c Cx<'a>,
    handles: SpawnedHandles,
    tasks: HashMap<(usize, usize), Task>,
    /// Loop variables over collections of handles: (name, collection, spawns).
    loops: Vec<(String, Option<String>, Vec<TextRange>)>,
    /// Names bound to the results of `let (ra, rb) = tokio::join!(a, b);`: (name,
    /// spawns, names whose abort excuses it).
    joined_results: Vec<(String, Vec<TextRange>, Vec<String>)>,
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
                .all(|a| self.cx.file.end_of(a.await_token.span) <= at.start),
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
        if let Some((_, spawns, names)) =
            self.joined_results.iter().rev().find(|(n, ..)| *n == name)
        {
            return Some((spawns.clone(), names.clone()));
        }
        if let Some((_, coll, spawns)) = self.loops.iter().rev().find(|(n, ..)| *n == name) {
            let names = [Some(name), coll.clone()].into_iter().flatten().collect();
            return Some((spawns.clone(), names));
        }
        let spawns = self.handles.spawned_by(self.cx, e)?;
        Some((spawns, vec![name]))
    }

    /// A value thrown away: what it discards, if it is an awaited handle.
    fn discarded(&mut self, value: &Expr, at: TextRange) {
        // A result of `let (ra, rb) = tokio::join!(a, b);`, thrown away as it is.
        let joined_result = |e: &Expr| {
            chain::path_ident(strip(e))
                .is_some_and(|i| self.joined_results.iter().any(|(n, ..)| i == n))
        };
        let (awaited, form) = match strip(value) {
            Expr::Await(a) => (&*a.base, Form::Whole),
            p @ Expr::Path(_) if joined_result(p) => (value, Form::Whole),
            Expr::Try(t) => match strip(&t.expr) {
                Expr::Await(a) => (&*a.base, Form::Inner("`?`")),
                p @ Expr::Path(_) if joined_result(p) => (&*t.expr, Form::Inner("`?`")),
                _ => return,
            },
            Expr::Macro(m) => return self.joined(&m.mac, at),
            Expr::MethodCall(m) => match (m.method.to_string().as_str(), strip(&m.receiver)) {
                ("ok", Expr::Await(a)) if m.args.is_empty() => (&*a.base, Form::Whole),
                ("unwrap", Expr::Await(a)) if m.args.is_empty() => {
                    (&*a.base, Form::Inner("`unwrap()`"))
                }
                ("expect", Expr::Await(a)) if m.args.len() == 1 => {
                    (&*a.base, Form::Inner("`expect(..)`"))
                }
                ("ok", Expr::Try(t)) if m.args.is_empty() => match strip(&t.expr) {
                    Expr::Await(a) => (&*a.base, Form::Inner("`?`")),
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

    /// The names a tuple pattern binds to the results of a `join!` over handles.
    fn joined_bindings(&mut self, l: &syn::Local) {
        let (Pat::Tuple(t), Some(init)) = (&l.pat, &l.init) else {
            return;
        };
        let Expr::Macro(m) = strip(&init.expr) else {
            return;
        };
        let is_join = self
            .cx
            .resolve(&m.mac.path)
            .is_some_and(|p| JOIN_MACROS.contains(&p.as_str()));
        if !is_join {
            return;
        }
        let MacroBody::Exprs(args) = &*parse_body(&m.mac) else {
            return;
        };
        for (elem, arg) in t.elems.iter().zip(args.iter()) {
            let (Pat::Ident(p), Some((spawns, names))) = (elem, self.handle(arg)) else {
                continue;
            };
            self.joined_results
                .push((p.ident.to_string(), spawns, names));
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
            // `let (ra, rb) = tokio::join!(a, b);`: each name holds one task's result.
            Stmt::Local(l) => self.joined_bindings(l),
            // `tokio::join!(a, b);`
            Stmt::Macro(m) if m.semi_token.is_some() => {
                let start = self.cx.range(&m.mac.path).start;
                let end = self.cx.file.end_of(m.mac.delimiter.span().close());
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
