//! How long each synchronous guard of a body lives: `let` guards to the end of their
//! block (or their `drop`, move or shadowing), temporaries to the end of their
//! temporary scope.

use super::{
    async_guard_call, guard_call, matched_guard_call, result_guard_call, unwraps, Acquisition,
    LockKind,
};
use crate::semantic::callee::Callee;
use crate::semantic::chain::{self, strip};
use crate::semantic::guards::text::compact;
use crate::semantic::types::is_concurrent_map;
use crate::semantic::{Cx, FileInfo};
use crate::source::TextRange;
use syn::visit::{self, Visit};
use syn::{BinOp, Block, Expr, Pat, Stmt};

/// Every synchronous guard acquired in `body`, with the span it is alive. Sync
/// closures are included (their guards live and die inside them); async blocks, async
/// closures and nested fns are bodies of their own.
pub fn acquisitions(cx: &Cx, body: &Block) -> Vec<Acquisition> {
    collect(cx, body, false)
}

/// [`acquisitions`] and the guards of async locks as well: `let g = m.lock().await;`
/// (also `.read()`, `.write()` and their `_owned` forms, through `?`/`unwrap`) bound
/// by `let`, and temporaries such as `m.lock().await.insert(k, v)`, with the same
/// lifetimes. Their acquisitions are marked [`Acquisition::asynchronous`].
pub fn all_acquisitions(cx: &Cx, body: &Block) -> Vec<Acquisition> {
    collect(cx, body, true)
}

fn collect(cx: &Cx, body: &Block, with_async: bool) -> Vec<Acquisition> {
    let mut c = Collector {
        cx,
        file: cx.file,
        scopes: Vec::new(),
        assigned_after: 0,
        with_async,
        out: Vec::new(),
    };
    c.block(body);
    c.out
}

struct Collector<'f> {
    cx: &'f Cx<'f>,
    file: &'f FileInfo<'f>,
    /// Ends of the enclosing temporary scopes.
    scopes: Vec<usize>,
    /// Inside the place of an assignment: its value operand, evaluated first, ends here.
    assigned_after: usize,
    /// Whether async lock acquisitions (`m.lock().await`) are guards too.
    with_async: bool,
    out: Vec<Acquisition>,
}

impl Collector<'_> {
    fn end_of(&self, span: proc_macro2::Span) -> usize {
        self.file.end_of(span)
    }

    /// The lock `e` takes a guard of, its kind, and whether it is an async lock.
    fn guard_of<'e>(&self, e: &'e Expr) -> Option<(&'e Expr, LockKind, bool)> {
        if let Some((lock, kind)) = guard_call(self.file, e) {
            return Some((lock, kind, false));
        }
        if !self.with_async {
            return None;
        }
        async_guard_call(e).map(|(m, kind)| (&*m.receiver, kind, true))
    }

    fn block(&mut self, b: &Block) {
        let block_end = self.end_of(b.brace_token.span.close());
        for (i, stmt) in b.stmts.iter().enumerate() {
            if let Stmt::Local(local) = stmt {
                if let Some(init) = &local.init {
                    // `let g = m.lock().unwrap();`, `let Ok(g) = m.lock() else { .. };`,
                    // `let entry = map.get(&k);` on a concurrent map, or a guard from a
                    // crate helper (`let g = self.state();`, decided by the model).
                    let bound = bound_name(&local.pat);
                    let found = bound.as_ref().and_then(|name| {
                        let asynchronous = self.with_async
                            && guard_call(self.file, &init.expr).is_none()
                            && async_guard_call(&init.expr).is_some();
                        let matched = matched_guard_call(self.file, &local.pat, &init.expr);
                        let mut taken_apart =
                            guard_call(self.file, &init.expr).is_none() && matched.is_some();
                        let (lock, kind, helper) = guard_call(self.file, &init.expr)
                            .or(matched)
                            .or_else(|| {
                                asynchronous
                                    .then(|| async_guard_call(&init.expr))
                                    .flatten()
                                    .map(|(m, k)| (&*m.receiver, k))
                            })
                            .map(|(l, k)| (l, k, None))
                            .or_else(|| {
                                map_ref(self.cx, &init.expr).map(|l| (l, LockKind::MapRef, None))
                            })
                            .or_else(|| {
                                // `let held = m.try_lock();` taken apart further on.
                                let found = taken_apart_later(&b.stmts[i + 1..], name)
                                    .then(|| result_guard_call(self.file, &init.expr))
                                    .flatten()?;
                                taken_apart = true;
                                Some((found.0, found.1, None))
                            })
                            .or_else(|| {
                                helper_guard(self.cx, &init.expr)
                                    .map(|(l, c)| (l, LockKind::Mutex, Some(c)))
                            })?;
                        Some((name.clone(), lock, kind, helper, asynchronous, taken_apart))
                    });
                    if let Some((name, lock, kind, helper, asynchronous, taken_apart)) = found {
                        // Visit the initializer for temporaries other than the guard.
                        self.with_scope(self.temporaries_end(local), |c| c.visit_expr(lock));
                        if let Some((_, diverge)) = &init.diverge {
                            self.visit_expr(diverge);
                        }
                        let acquisition = Acquisition {
                            range: expr_range(self.file, &init.expr),
                            receiver: compact(self.file, lock),
                            kind,
                            binding: Some(name.clone()),
                            guard_method: None,
                            held_from: self.end_of(local.semi_token.span),
                            held_until: block_end,
                            released_at: None,
                            helper,
                            asynchronous,
                            taken_apart,
                        };
                        self.follow(acquisition, &b.stmts[i + 1..], block_end);
                        continue;
                    }
                }
            }
            // `let (g, started) = (m.lock().unwrap(), Instant::now());`, `let tx = Tx {
            // table: m.lock().unwrap(), .. };`: a guard built into a tuple or a struct
            // lives in the binding that takes it.
            if let Stmt::Local(
                local @ syn::Local {
                    init: Some(init), ..
                },
            ) = stmt
            {
                if init.diverge.is_none() {
                    let parts = built_in(&local.pat, &init.expr);
                    let guards: Vec<_> = parts
                        .iter()
                        .filter_map(|(name, e)| {
                            let (lock, kind) = guard_call(self.file, e)?;
                            Some((name.clone(), *e, lock, kind))
                        })
                        .collect();
                    if !guards.is_empty() {
                        let end = self.temporaries_end(local);
                        for (_, e) in &parts {
                            if !guards.iter().any(|g| std::ptr::eq(g.1, *e)) {
                                self.with_scope(end, |c| c.visit_expr(e));
                            }
                        }
                        for (name, e, lock, kind) in guards {
                            self.with_scope(end, |c| c.visit_expr(lock));
                            let acquisition = Acquisition {
                                range: expr_range(self.file, e),
                                receiver: compact(self.file, lock),
                                kind,
                                binding: Some(name),
                                guard_method: None,
                                held_from: self.end_of(local.semi_token.span),
                                held_until: block_end,
                                released_at: None,
                                helper: None,
                                asynchronous: false,
                                taken_apart: false,
                            };
                            self.follow(acquisition, &b.stmts[i + 1..], block_end);
                        }
                        continue;
                    }
                }
            }
            // `let Some(x) = cell.borrow().get(k) else { .. };`: the `else` block runs
            // after the initializer's temporaries are gone.
            if let Stmt::Local(
                local @ syn::Local {
                    init:
                        Some(syn::LocalInit {
                            expr,
                            diverge: Some((_, diverge)),
                            ..
                        }),
                    ..
                },
            ) = stmt
            {
                self.with_scope(self.temporaries_end(local), |c| c.visit_expr(expr));
                let end = stmt_end(self.file, stmt);
                self.with_scope(end, |c| c.visit_expr(diverge));
                continue;
            }
            let end = stmt_end(self.file, stmt);
            self.with_scope(end, |c| c.visit_stmt(stmt));
        }
    }

    /// Records a `let` guard from where it is bound to where it is released, and
    /// follows it into the binding it is moved to (`let g2 = g;`).
    fn follow(&mut self, mut acq: Acquisition, mut rest: &[Stmt], block_end: usize) {
        for _ in 0..8 {
            let name = acq.binding.clone().unwrap_or_default();
            let (until, released) = release_point(self.file, rest, &name, block_end);
            acq.held_until = until;
            acq.released_at = released;
            // A plain move into another binding at this level: the guard lives on there.
            let moved_to = rest.iter().enumerate().find_map(|(j, s)| match s {
                Stmt::Local(l) => {
                    let init = l.init.as_ref()?;
                    let to = crate::semantic::body::single_binding(&l.pat)?;
                    let from = chain::path_ident(strip(&init.expr))?;
                    (from == name.as_str()
                        && released.is_some_and(|r| r == expr_range(self.file, &init.expr)))
                    .then(|| (j, to, self.end_of(l.semi_token.span)))
                }
                _ => None,
            });
            let next = moved_to.as_ref().map(|(_, to, from)| Acquisition {
                binding: Some(to.clone()),
                held_from: *from,
                ..acq.clone()
            });
            self.out.push(acq);
            match (next, moved_to) {
                (Some(n), Some((j, _, _))) => {
                    acq = n;
                    rest = &rest[j + 1..];
                }
                _ => return,
            }
        }
    }

    /// Records the temporary guard `guard`, alive to the end of the innermost
    /// temporary scope.
    fn temporary(&mut self, guard: &Expr, method: Option<String>) {
        let Some((lock, kind, asynchronous)) = self.guard_of(guard) else {
            return;
        };
        self.visit_expr(lock);
        let range = expr_range(self.file, guard);
        self.out.push(Acquisition {
            range,
            receiver: compact(self.file, lock),
            kind,
            binding: None,
            guard_method: method,
            held_from: range.end.max(self.assigned_after),
            held_until: self.scopes.last().copied().unwrap_or(usize::MAX),
            released_at: None,
            helper: None,
            asynchronous,
            taken_apart: false,
        });
    }

    /// Where the temporaries of a `let`'s initializer are dropped: at the end of the
    /// statement, or in `let .. else` at the end of the initializer, before the `else`
    /// block runs.
    fn temporaries_end(&self, local: &syn::Local) -> usize {
        match &local.init {
            Some(init) if init.diverge.is_some() => expr_range(self.file, &init.expr).end,
            _ => self.end_of(local.semi_token.span),
        }
    }

    fn with_scope(&mut self, end: usize, f: impl FnOnce(&mut Self)) {
        self.scopes.push(end);
        f(self);
        self.scopes.pop();
    }
}

impl<'ast> Visit<'ast> for Collector<'_> {
    fn visit_block(&mut self, b: &'ast Block) {
        self.block(b);
    }

    fn visit_expr(&mut self, e: &'ast Expr) {
        stacker::maybe_grow(64 * 1024, 1024 * 1024, || match e {
            // A guard in any position other than a method receiver: `*m.lock().unwrap() =
            // v`, `m.lock().unwrap().field`, a scrutinee, an argument.
            _ if self.guard_of(e).is_some() => self.temporary(e, None),
            // `m.lock().await` is an async lock even in a file that uses parking_lot.
            Expr::Await(a) if is_lock_method(&a.base) => {
                if let Expr::MethodCall(m) = strip(&a.base) {
                    self.visit_expr(&m.receiver);
                }
            }
            Expr::Closure(c) if c.asyncness.is_none() => {
                // A sync closure runs without awaiting: its temporaries die within its
                // body, its `let` guards at the end of its block.
                let end = expr_range(self.file, &c.body).end;
                self.with_scope(end, |s| s.visit_expr(&c.body));
            }
            Expr::Closure(_) | Expr::Async(_) => {}
            // `if let Ok(g) = m.lock() { .. }`: the guard lives through the `then` block
            // (the enclosing scope), unless dropped there first.
            Expr::Let(l) => {
                let found = matched_guard_call(self.file, &l.pat, &l.expr).or_else(|| {
                    unwraps(&l.pat)
                        .then(|| map_ref(self.cx, &l.expr).map(|lock| (lock, LockKind::MapRef)))
                        .flatten()
                });
                match found {
                    Some((lock, kind)) => {
                        self.visit_expr(lock);
                        let range = expr_range(self.file, &l.expr);
                        self.out.push(Acquisition {
                            range,
                            receiver: compact(self.file, lock),
                            kind,
                            binding: bound_name(&l.pat),
                            guard_method: None,
                            held_from: range.end,
                            held_until: self.scopes.last().copied().unwrap_or(usize::MAX),
                            released_at: None,
                            helper: None,
                            asynchronous: false,
                            taken_apart: true,
                        });
                    }
                    None => visit::visit_expr_let(self, l),
                }
            }
            Expr::If(i) => {
                // Temporaries of a plain `if` condition die before the branches run;
                // those of an `if let` scrutinee live through the `then` block, and in
                // editions before 2024 through the `else` block too.
                let end = if matches!(strip(&i.cond), Expr::Let(_)) {
                    match &i.else_branch {
                        Some((_, els)) if self.file.if_let_through_else => {
                            expr_range(self.file, els).end
                        }
                        _ => self.end_of(i.then_branch.brace_token.span.close()),
                    }
                } else {
                    expr_range(self.file, &i.cond).end
                };
                self.with_scope(end, |c| c.visit_expr(&i.cond));
                self.visit_block(&i.then_branch);
                if let Some((_, els)) = &i.else_branch {
                    self.visit_expr(els);
                }
            }
            Expr::Binary(b) if matches!(b.op, BinOp::And(_) | BinOp::Or(_)) => {
                // Each operand of `&&` / `||` is a temporary scope of its own.
                for operand in [&b.left, &b.right] {
                    let end = expr_range(self.file, operand).end;
                    self.with_scope(end, |c| c.visit_expr(operand));
                }
            }
            Expr::Match(m) => {
                // The scrutinee lives through the arms; each arm's guard and body are
                // temporary scopes of their own. `match m.lock() { Ok(g) => .. }`
                // takes the guard apart in an arm.
                let taken_apart = m
                    .arms
                    .iter()
                    .find_map(|a| matched_guard_call(self.file, &a.pat, &m.expr));
                match taken_apart {
                    Some((lock, kind)) => {
                        self.visit_expr(lock);
                        let range = expr_range(self.file, &m.expr);
                        self.out.push(Acquisition {
                            range,
                            receiver: compact(self.file, lock),
                            kind,
                            binding: None,
                            guard_method: None,
                            held_from: range.end,
                            held_until: self.scopes.last().copied().unwrap_or(usize::MAX),
                            released_at: None,
                            helper: None,
                            asynchronous: false,
                            taken_apart: true,
                        });
                    }
                    None => self.visit_expr(&m.expr),
                }
                for arm in &m.arms {
                    if let Pat::Guard(g) = &arm.pat {
                        let end = expr_range(self.file, &g.guard).end;
                        self.with_scope(end, |c| c.visit_expr(&g.guard));
                    }
                    let end = expr_range(self.file, &arm.body).end;
                    self.with_scope(end, |c| c.visit_expr(&arm.body));
                }
            }
            Expr::While(w) if !matches!(strip(&w.cond), Expr::Let(_)) => {
                let end = expr_range(self.file, &w.cond).end;
                self.with_scope(end, |c| c.visit_expr(&w.cond));
                self.visit_block(&w.body);
            }
            // `*m.lock().unwrap() = load().await`: the value is evaluated first, the
            // place (and its guard) after it. (A compound assignment on a non-primitive
            // evaluates the place first; without types, the value-first order is assumed.)
            Expr::Assign(a) => {
                self.visit_expr(&a.right);
                let outer = self.assigned_after;
                self.assigned_after = expr_range(self.file, &a.right).end;
                self.visit_expr(&a.left);
                self.assigned_after = outer;
            }
            Expr::Binary(b) if crate::semantic::body::is_compound_assign(&b.op) => {
                self.visit_expr(&b.right);
                let outer = self.assigned_after;
                self.assigned_after = expr_range(self.file, &b.right).end;
                self.visit_expr(&b.left);
                self.assigned_after = outer;
            }
            // A temporary guard as a receiver: `m.lock().unwrap().insert(k, v)`.
            Expr::MethodCall(m) if self.guard_of(&m.receiver).is_some() => {
                self.temporary(&m.receiver, Some(m.method.to_string()));
                for arg in &m.args {
                    self.visit_expr(arg);
                }
            }
            // A guard from a crate helper as a receiver: `self.table().get_mut(k)`
            // (a guard only if the model says the helper returns one).
            Expr::MethodCall(m) if may_be_guard_helper(&m.receiver) => {
                match helper_guard(self.cx, &m.receiver) {
                    Some((lock, helper)) => {
                        let range = expr_range(self.file, &m.receiver);
                        self.out.push(Acquisition {
                            range,
                            receiver: compact(self.file, lock),
                            kind: LockKind::Mutex,
                            binding: None,
                            guard_method: Some(m.method.to_string()),
                            held_from: range.end.max(self.assigned_after),
                            held_until: self.scopes.last().copied().unwrap_or(usize::MAX),
                            released_at: None,
                            helper: Some(helper),
                            asynchronous: false,
                            taken_apart: false,
                        });
                        self.visit_expr(&m.receiver);
                    }
                    None => self.visit_expr(&m.receiver),
                }
                for arg in &m.args {
                    self.visit_expr(arg);
                }
            }
            _ => visit::visit_expr(self, e),
        })
    }

    fn visit_item(&mut self, _: &'ast syn::Item) {}
}

/// The values a `let` builds into a tuple or a struct, with the binding each ends up
/// in: `(g, t)` for `let (g, t) = (a, b)`, `tx` for every field of `let tx = Tx { .. }`
/// or element of `let p = (a, b)`.
fn built_in<'e>(pat: &Pat, init: &'e Expr) -> Vec<(String, &'e Expr)> {
    let pat = crate::semantic::body::untyped(pat);
    match (pat, strip(init)) {
        (Pat::Tuple(p), Expr::Tuple(t)) if p.elems.len() == t.elems.len() => p
            .elems
            .iter()
            .zip(&t.elems)
            .filter_map(|(p, e)| Some((crate::semantic::body::single_binding(p)?, e)))
            .collect(),
        (Pat::Ident(p), Expr::Tuple(t)) => {
            t.elems.iter().map(|e| (p.ident.to_string(), e)).collect()
        }
        (Pat::Ident(p), Expr::Struct(s)) => s
            .fields
            .iter()
            .map(|f| (p.ident.to_string(), &f.expr))
            .collect(),
        _ => Vec::new(),
    }
}

/// `x.lock()`, `x.read()`, `x.write()` with no arguments.
fn is_lock_method(e: &Expr) -> bool {
    matches!(strip(e), Expr::MethodCall(m)
        if m.args.is_empty() && (m.method == "lock" || m.method == "read" || m.method == "write"))
}

/// The name a guard is bound to: `g` in `let g`, `let Ok(g)`, `let Some(mut g)`.
fn bound_name(pat: &Pat) -> Option<String> {
    crate::semantic::body::unwrapped_binding(pat)
        .map(|i| i.to_string())
        .or_else(|| crate::semantic::body::single_binding(pat))
}

/// A reference into a concurrent map (`map.get(&k)`, `get_mut`, `entry`): it holds
/// the shard's lock until dropped. Through `unwrap`/`expect`/`?`, and through what
/// turns an entry into a `RefMut` (`entry(k).or_insert(v)`, `.or_default()`).
fn map_ref<'e>(cx: &Cx, e: &'e Expr) -> Option<&'e Expr> {
    if !cx.file.mentions_concurrent_map {
        return None;
    }
    let mut cur = strip(e);
    let mut from_entry = false;
    loop {
        match cur {
            Expr::Try(t) => cur = strip(&t.expr),
            Expr::MethodCall(m) if m.method == "unwrap" || m.method == "expect" => {
                cur = strip(&m.receiver)
            }
            Expr::MethodCall(m)
                if !from_entry
                    && matches!(
                        m.method.to_string().as_str(),
                        "or_insert" | "or_insert_with" | "or_insert_with_key" | "or_default"
                    ) =>
            {
                from_entry = true;
                cur = strip(&m.receiver)
            }
            _ => break,
        }
    }
    let Expr::MethodCall(m) = cur else {
        return None;
    };
    let method = m.method.to_string();
    let takes_ref = if from_entry {
        method == "entry"
    } else {
        matches!(
            method.as_str(),
            "get" | "get_mut" | "entry" | "iter" | "iter_mut"
        )
    };
    if !takes_ref || !is_concurrent_map(cx, &m.receiver) {
        return None;
    }
    // A read of a map the file never writes (a text scan: checked last, and rarely).
    let read_only = matches!(method.as_str(), "get" | "iter")
        && crate::semantic::types::map_never_written(cx, &m.receiver);
    (!read_only).then_some(&*m.receiver)
}

/// `let g = self.state();`: a call of a crate fn that may return a guard (the crate
/// model decides), through `unwrap`/`expect`/`?`. Not a call into another crate, nor
/// one awaited (an async fn's guard is an async lock's).
fn helper_guard<'e>(cx: &Cx, e: &'e Expr) -> Option<(&'e Expr, Callee)> {
    let mut cur = strip(e);
    loop {
        match cur {
            Expr::Try(t) => cur = strip(&t.expr),
            Expr::MethodCall(m) if m.method == "unwrap" || m.method == "expect" => {
                cur = strip(&m.receiver)
            }
            _ => break,
        }
    }
    let lock = match cur {
        Expr::MethodCall(m) => &*m.receiver,
        Expr::Call(_) => cur,
        _ => return None,
    };
    cx.callee(cur).map(|c| (lock, c))
}

/// A call that may be a crate helper handing out a guard: a free fn call, or a method
/// not named like a std one, called on a name or a field (`self.table()`,
/// `shared.sessions()`), not in the middle of a chain.
fn may_be_guard_helper(e: &Expr) -> bool {
    match strip(e) {
        Expr::Call(_) => true,
        Expr::MethodCall(m) => {
            matches!(strip(&m.receiver), Expr::Path(_) | Expr::Field(_))
                && !crate::semantic::calls::is_std_method_name(&m.method.to_string())
        }
        _ => false,
    }
}

/// Whether a statement of `rest` takes the value bound to `name` apart with a pattern
/// that unwraps it: `if let Ok(g) = name`, `match name { Some(g) => .. }`,
/// `let Ok(g) = name else { .. }`.
fn taken_apart_later(rest: &[Stmt], name: &str) -> bool {
    struct T<'n> {
        name: &'n str,
        found: bool,
    }
    impl<'ast> Visit<'ast> for T<'_> {
        fn visit_expr(&mut self, e: &'ast Expr) {
            let named = |x: &Expr| chain::path_ident(strip(x)).is_some_and(|i| i == self.name);
            self.found |= match e {
                Expr::Let(l) => unwraps(&l.pat) && named(&l.expr),
                Expr::Match(m) => named(&m.expr) && m.arms.iter().any(|a| unwraps(&a.pat)),
                _ => false,
            };
            if !self.found {
                visit::visit_expr(self, e);
            }
        }
        fn visit_local(&mut self, l: &'ast syn::Local) {
            if let Some(init) = &l.init {
                self.found |= unwraps(&l.pat)
                    && chain::path_ident(strip(&init.expr)).is_some_and(|i| i == self.name);
            }
            visit::visit_local(self, l);
        }
        fn visit_item(&mut self, _: &'ast syn::Item) {}
    }
    let mut t = T { name, found: false };
    for stmt in rest {
        t.visit_stmt(stmt);
        if t.found {
            return true;
        }
    }
    false
}

/// Where the guard bound to `name` stops being alive among the statements after its
/// `let`: an explicit `drop(name)`, a move of `name` into a call or another binding,
/// or a new `let name` in the same block (after which it can no longer be followed). A
/// `let name` in a nested block shadows it only there; the guard lives on.
pub(crate) fn release_point(
    file: &FileInfo,
    rest: &[Stmt],
    name: &str,
    block_end: usize,
) -> (usize, Option<TextRange>) {
    struct R<'n, 'f> {
        name: &'n str,
        file: &'f FileInfo<'f>,
        found: Option<(usize, Option<TextRange>)>,
        /// How many blocks deep below the guard's own block.
        depth: usize,
    }
    impl<'ast> Visit<'ast> for R<'_, '_> {
        fn visit_expr(&mut self, e: &'ast Expr) {
            if self.found.is_some() {
                return;
            }
            match e {
                Expr::Call(c) => {
                    let moves = c
                        .args
                        .iter()
                        .any(|a| chain::path_ident(a).is_some_and(|i| i == self.name));
                    if moves {
                        let r = expr_range(self.file, e);
                        self.found = Some((r.start, Some(r)));
                        return;
                    }
                    visit::visit_expr_call(self, c);
                }
                // `cond.wait(guard)`: the guard is passed by value, and released.
                Expr::MethodCall(m)
                    if m.args
                        .iter()
                        .any(|a| chain::path_ident(a).is_some_and(|i| i == self.name)) =>
                {
                    let r = expr_range(self.file, e);
                    self.found = Some((r.start, Some(r)));
                }
                // `if let Ok(g) = held { .. }`, `match held { .. }`: the value moves
                // into the pattern and lives to the end of that expression.
                Expr::If(i)
                    if matches!(strip(&i.cond), Expr::Let(l)
                        if chain::path_ident(strip(&l.expr)).is_some_and(|n| n == self.name)) =>
                {
                    self.found = Some((expr_range(self.file, e).end, None));
                }
                Expr::Match(m)
                    if chain::path_ident(strip(&m.expr)).is_some_and(|n| n == self.name) =>
                {
                    self.found = Some((expr_range(self.file, e).end, None));
                }
                Expr::Closure(c) if c.capture.is_some() => {
                    // `move` closures take the guard with them.
                    let uses = crate::semantic::body::NameUses::of_expr(&c.body);
                    if uses.free_reads().any(|n| n == self.name) {
                        let r = expr_range(self.file, e);
                        self.found = Some((r.start, Some(r)));
                    }
                }
                Expr::Async(a) => {
                    // So do `async move` blocks; other async blocks only borrow it.
                    let uses = crate::semantic::body::NameUses::of_block(&a.block);
                    if a.capture.is_some() && uses.free_reads().any(|n| n == self.name) {
                        let r = expr_range(self.file, e);
                        self.found = Some((r.start, Some(r)));
                    }
                }
                _ => visit::visit_expr(self, e),
            }
        }
        fn visit_block(&mut self, b: &'ast Block) {
            self.depth += 1;
            visit::visit_block(self, b);
            self.depth -= 1;
        }
        fn visit_local(&mut self, l: &'ast syn::Local) {
            if let Some(init) = &l.init {
                self.visit_expr(&init.expr);
                // `let _ = guard;` binds nothing and moves nothing: the guard lives on.
                let binds = !matches!(crate::semantic::body::untyped(&l.pat), syn::Pat::Wild(_));
                if self.found.is_none()
                    && binds
                    && chain::path_ident(&init.expr).is_some_and(|i| i == self.name)
                {
                    let r = expr_range(self.file, &init.expr);
                    self.found = Some((r.start, Some(r)));
                }
            }
            if self.found.is_none()
                && self.depth == 0
                && crate::semantic::body::single_binding(&l.pat).as_deref() == Some(self.name)
            {
                self.found = Some((self.file.start_of(l.let_token.span), None));
            }
        }
        fn visit_item(&mut self, _: &'ast syn::Item) {}
    }
    let mut r = R {
        name,
        file,
        found: None,
        depth: 0,
    };
    for stmt in rest {
        r.visit_stmt(stmt);
        if r.found.is_some() {
            break;
        }
    }
    r.found.unwrap_or((block_end, None))
}

pub(crate) fn stmt_end(file: &FileInfo, stmt: &Stmt) -> usize {
    match stmt {
        Stmt::Local(l) => file.end_of(l.semi_token.span),
        Stmt::Expr(e, Some(semi)) => file.end_of(semi.span).max(expr_range(file, e).end),
        Stmt::Expr(e, None) => expr_range(file, e).end,
        Stmt::Macro(m) => file.end_of(syn::spanned::Spanned::span(&m.mac)),
        Stmt::Item(_) => 0,
    }
}

pub(crate) fn expr_range(file: &FileInfo, e: &Expr) -> TextRange {
    crate::semantic::NodeRange::text_range(e, file)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (receiver, asynchronous, held from, held until) of each guard `all_acquisitions`
    /// finds in the last fn of `src`, the offsets as the text after them.
    fn all(src: &str) -> Vec<(String, bool, String)> {
        let file: syn::File = syn::parse_str(src).unwrap();
        let info = FileInfo::new("t.rs", src, &file);
        let syn::Item::Fn(f) = file.items.last().unwrap() else {
            panic!()
        };
        let mut parts = crate::semantic::TestCx::default();
        let cx = parts.cx(&info);
        all_acquisitions(&cx, &f.block)
            .into_iter()
            .map(|a| {
                let until = src.get(a.held_until..).unwrap_or("").trim().to_string();
                (a.receiver, a.asynchronous, until)
            })
            .collect()
    }

    #[test]
    fn async_guards_live_like_sync_ones() {
        let a = all("async fn f() { let g = m.lock().await; x().await; drop(g); y(); }");
        assert_eq!(a, [("m".to_string(), true, "drop(g); y(); }".to_string())]);
        let a = all("async fn f() { self.s.lock().await.n += 1; z(); }");
        assert_eq!(a, [("self.s".to_string(), true, "z(); }".to_string())]);
        let a = all("async fn f() { let g = m.lock().unwrap(); let r = rw.write().await?; }");
        let kinds: Vec<(String, bool)> = a.into_iter().map(|(r, s, _)| (r, s)).collect();
        assert_eq!(kinds, [("m".to_string(), false), ("rw".to_string(), true)]);
        // The sync-only view is unchanged.
        let file: syn::File = syn::parse_str("async fn f() { let g = m.lock().await; }").unwrap();
        let info = FileInfo::new("t.rs", "async fn f() { let g = m.lock().await; }", &file);
        let syn::Item::Fn(f) = &file.items[0] else {
            panic!()
        };
        let mut parts = crate::semantic::TestCx::default();
        assert!(acquisitions(&parts.cx(&info), &f.block).is_empty());
    }
}
