//! Lock guards and how long they live, without types.
//!
//! A guard comes from a synchronous lock or cell call: `m.lock().unwrap()` /
//! `.expect(..)` (std), `m.lock()` with no `.await` in a file that uses parking_lot,
//! `read()`/`write()` likewise, `borrow_mut()` (and `borrow()` in files that use
//! `RefCell` or a `watch` channel). `.lock().await` is an async lock and yields no
//! guard here. Lifetimes follow Rust's rules: a guard bound by `let` lives to the end
//! of its block unless it is dropped, moved or shadowed first; a temporary guard lives
//! to the end of its statement — except in an `if`/`while` condition, whose
//! temporaries die before the body, while `if let`/`while let`/`match` scrutinees
//! live through the arms.

use super::chain::{self, strip};
use super::{Cx, FileInfo};
use crate::source::TextRange;
use syn::visit::{self, Visit};
use syn::{Block, Expr, ExprMethodCall, Pat, Stmt};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LockKind {
    Mutex,
    RwLockRead,
    RwLockWrite,
    RefCell,
}

impl LockKind {
    pub fn describe(self) -> &'static str {
        match self {
            LockKind::Mutex => "mutex guard",
            LockKind::RwLockRead => "read guard",
            LockKind::RwLockWrite => "write guard",
            LockKind::RefCell => "`RefCell` borrow",
        }
    }
}

/// One acquisition of a synchronous guard in a body.
#[derive(Debug, Clone)]
pub struct Acquisition {
    /// The lock call through its `unwrap`/`expect`: the guard expression.
    pub range: TextRange,
    /// The receiver as written, without whitespace (`self.cache`, `state`).
    pub receiver: String,
    pub kind: LockKind,
    /// `Some(g)` for `let g = m.lock().unwrap();`.
    pub binding: Option<String>,
    /// The method called on a temporary guard (`contains_key` in
    /// `m.lock().unwrap().contains_key(k)`).
    pub guard_method: Option<String>,
    /// Byte offsets between which the guard is alive.
    pub held_from: usize,
    pub held_until: usize,
    /// Where an explicit `drop(g)` or move released it, if one did.
    pub released_at: Option<TextRange>,
}

/// If `e` is a guard-producing lock call (after stripping `unwrap`/`expect`/`?`),
/// the lock call and its kind.
pub fn guard_call<'e>(file: &FileInfo, e: &'e Expr) -> Option<(&'e ExprMethodCall, LockKind)> {
    let mut cur = strip(e);
    let mut unwrapped = false;
    loop {
        match cur {
            Expr::Try(t) => {
                unwrapped = true;
                cur = strip(&t.expr);
            }
            Expr::MethodCall(m) if m.method == "unwrap" || m.method == "expect" => {
                unwrapped = true;
                cur = strip(&m.receiver);
            }
            _ => break,
        }
    }
    let Expr::MethodCall(m) = cur else {
        return None;
    };
    if !m.args.is_empty() {
        return None;
    }
    let plain = |kind| (unwrapped || file.plain_locks_are_sync).then_some(kind);
    let kind = match m.method.to_string().as_str() {
        "lock" => plain(LockKind::Mutex)?,
        "read" => plain(LockKind::RwLockRead)?,
        "write" => plain(LockKind::RwLockWrite)?,
        "borrow_mut" => LockKind::RefCell,
        "borrow" if file.uses_cells => LockKind::RefCell,
        _ => return None,
    };
    Some((m, kind))
}

/// If `e` is an async lock acquisition — `m.lock().await`, `rw.read().await`,
/// `rw.write().await` (tokio, async-std, futures), with `?`/`unwrap` for the fallible
/// ones — the lock call and its kind. Its guard is not a synchronous guard (see
/// [`guard_call`]) but it is still one critical section.
pub fn async_guard_call(e: &Expr) -> Option<(&ExprMethodCall, LockKind)> {
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
    let Expr::Await(a) = cur else {
        return None;
    };
    let Expr::MethodCall(m) = strip(&a.base) else {
        return None;
    };
    if !m.args.is_empty() {
        return None;
    }
    let kind = match m.method.to_string().as_str() {
        "lock" | "lock_owned" => LockKind::Mutex,
        "read" | "read_owned" => LockKind::RwLockRead,
        "write" | "write_owned" => LockKind::RwLockWrite,
        _ => return None,
    };
    Some((m, kind))
}

/// Every synchronous guard acquired in `body` (not in nested closures, async blocks
/// or fns), with the span it is alive.
pub fn acquisitions(cx: &Cx, body: &Block) -> Vec<Acquisition> {
    let mut c = Collector {
        file: cx.file,
        scopes: Vec::new(),
        out: Vec::new(),
    };
    c.block(body);
    c.out
}

struct Collector<'f> {
    file: &'f FileInfo<'f>,
    /// Ends of the enclosing temporary scopes.
    scopes: Vec<usize>,
    out: Vec<Acquisition>,
}

impl Collector<'_> {
    fn end_of(&self, span: proc_macro2::Span) -> usize {
        self.file.range(span).end
    }

    fn block(&mut self, b: &Block) {
        let block_end = self.end_of(b.brace_token.span.close());
        for (i, stmt) in b.stmts.iter().enumerate() {
            if let Stmt::Local(local) = stmt {
                if let Some(init) = &local.init {
                    if let (Some(name), Some((call, kind))) = (
                        simple_binding(&local.pat),
                        guard_call(self.file, &init.expr),
                    ) {
                        // Visit the initializer for temporaries other than the guard.
                        self.with_scope(self.end_of(local.semi_token.span), |c| {
                            c.visit_expr(&call.receiver)
                        });
                        let start = self.end_of(local.semi_token.span);
                        let (until, released) =
                            release_point(self.file, &b.stmts[i + 1..], &name, block_end);
                        self.out.push(Acquisition {
                            range: expr_range(self.file, &init.expr),
                            receiver: compact(self.file, &call.receiver),
                            kind,
                            binding: Some(name),
                            guard_method: None,
                            held_from: start,
                            held_until: until,
                            released_at: released,
                        });
                        continue;
                    }
                }
            }
            let end = stmt_end(self.file, stmt);
            self.with_scope(end, |c| c.visit_stmt(stmt));
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
            Expr::Closure(_) | Expr::Async(_) => {}
            Expr::If(i) if !matches!(strip(&i.cond), Expr::Let(_)) => {
                // Temporaries of a plain `if` condition die before the branches run.
                let end = expr_range(self.file, &i.cond).end;
                self.with_scope(end, |c| c.visit_expr(&i.cond));
                self.visit_block(&i.then_branch);
                if let Some((_, els)) = &i.else_branch {
                    self.visit_expr(els);
                }
            }
            Expr::While(w) if !matches!(strip(&w.cond), Expr::Let(_)) => {
                let end = expr_range(self.file, &w.cond).end;
                self.with_scope(end, |c| c.visit_expr(&w.cond));
                self.visit_block(&w.body);
            }
            Expr::MethodCall(m) => {
                visit::visit_expr_method_call(self, m);
                // A temporary guard: `m.lock().unwrap().insert(k, v)`.
                if let Some((lock, kind)) = guard_call(self.file, &m.receiver) {
                    let scope_end = self.scopes.last().copied().unwrap_or(usize::MAX);
                    let range = expr_range(self.file, &m.receiver);
                    self.out.push(Acquisition {
                        range,
                        receiver: compact(self.file, &lock.receiver),
                        kind,
                        binding: None,
                        guard_method: Some(m.method.to_string()),
                        held_from: range.end,
                        held_until: scope_end,
                        released_at: None,
                    });
                }
            }
            _ => visit::visit_expr(self, e),
        })
    }

    fn visit_item(&mut self, _: &'ast syn::Item) {}
}

fn simple_binding(pat: &Pat) -> Option<String> {
    match pat {
        Pat::Ident(p) if p.subpat.is_none() => Some(p.ident.to_string()),
        Pat::Type(t) => simple_binding(&t.pat),
        _ => None,
    }
}

/// Where the guard bound to `name` stops being alive among the statements after its
/// `let`: an explicit `drop(name)`, a move of `name` into a call or another binding,
/// or a new `let name` (after which it can no longer be followed).
fn release_point(
    file: &FileInfo,
    rest: &[Stmt],
    name: &str,
    block_end: usize,
) -> (usize, Option<TextRange>) {
    struct R<'n, 'f> {
        name: &'n str,
        file: &'f FileInfo<'f>,
        found: Option<(usize, Option<TextRange>)>,
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
                Expr::Closure(c) if c.capture.is_some() => {
                    // `move` closures take the guard with them.
                    let uses = super::body::NameUses::of_expr(&c.body);
                    if uses.reads.contains(self.name) {
                        let r = expr_range(self.file, e);
                        self.found = Some((r.start, Some(r)));
                    }
                }
                _ => visit::visit_expr(self, e),
            }
        }
        fn visit_local(&mut self, l: &'ast syn::Local) {
            if let Some(init) = &l.init {
                self.visit_expr(&init.expr);
                if self.found.is_none()
                    && chain::path_ident(&init.expr).is_some_and(|i| i == self.name)
                {
                    let r = expr_range(self.file, &init.expr);
                    self.found = Some((r.start, Some(r)));
                }
            }
            if self.found.is_none() && simple_binding(&l.pat).as_deref() == Some(self.name) {
                self.found = Some((self.file.range(l.let_token.span).start, None));
            }
        }
        fn visit_item(&mut self, _: &'ast syn::Item) {}
    }
    let mut r = R {
        name,
        file,
        found: None,
    };
    for stmt in rest {
        r.visit_stmt(stmt);
        if r.found.is_some() {
            break;
        }
    }
    r.found.unwrap_or((block_end, None))
}

fn stmt_end(file: &FileInfo, stmt: &Stmt) -> usize {
    match stmt {
        Stmt::Local(l) => file.range(l.semi_token.span).end,
        Stmt::Expr(e, Some(semi)) => file.range(semi.span).end.max(expr_range(file, e).end),
        Stmt::Expr(e, None) => expr_range(file, e).end,
        Stmt::Macro(m) => file.range(syn::spanned::Spanned::span(&m.mac)).end,
        Stmt::Item(_) => 0,
    }
}

fn expr_range(file: &FileInfo, e: &Expr) -> TextRange {
    super::NodeRange::text_range(e, file)
}

/// Source text of an expression without whitespace, to compare receivers.
pub fn compact(file: &FileInfo, e: &Expr) -> String {
    file.slice(expr_range(file, e))
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect()
}

/// Byte offsets of the `.await`s a body performs itself.
pub fn await_offsets(file: &FileInfo, body: &Block) -> Vec<(usize, TextRange)> {
    super::body::own_awaits(body)
        .into_iter()
        .map(|a| {
            let r = file.range(a.await_token.span);
            (
                r.start,
                TextRange::new(expr_range(file, &a.base).start, r.end),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::semantic::scope::{Context, Scopes};
    use crate::semantic::Sink;

    /// (binding or guard method, held across an await?) for each acquisition in `f`.
    fn held(src: &str) -> Vec<(String, bool)> {
        let file: syn::File = syn::parse_str(src).unwrap();
        let info = FileInfo::new("t.rs", src, &file);
        let syn::Item::Fn(f) = &file.items.last().unwrap() else {
            panic!()
        };
        let (context, scopes, mut sink) = (Context::default(), Scopes::default(), Sink::default());
        let cx = Cx {
            file: &info,
            context: &context,
            scopes: &scopes,
            select_depth: 0,
            under_deadline: false,
            in_test: false,
            sink: &mut sink,
        };
        let awaits = await_offsets(&info, &f.block);
        acquisitions(&cx, &f.block)
            .into_iter()
            .map(|a| {
                let name = a.binding.clone().or(a.guard_method.clone()).unwrap();
                let across = awaits
                    .iter()
                    .any(|(at, _)| a.held_from <= *at && *at < a.held_until);
                (name, across)
            })
            .collect()
    }

    #[test]
    fn let_guards_live_to_the_end_of_their_block() {
        let h = held("async fn f() { let g = m.lock().unwrap(); g.push(1); save().await; }");
        assert_eq!(h, [("g".to_string(), true)]);
        let h = held("async fn f() { { let g = m.lock().unwrap(); g.push(1); } save().await; }");
        assert_eq!(h, [("g".to_string(), false)]);
    }

    #[test]
    fn drop_move_and_shadowing_end_a_guard() {
        let h = held("async fn f() { let g = m.lock().unwrap(); drop(g); save().await; }");
        assert_eq!(h, [("g".to_string(), false)]);
        let h = held("async fn f() { let g = m.lock().unwrap(); consume(g); save().await; }");
        assert_eq!(h, [("g".to_string(), false)]);
        let h = held("async fn f() { let g = m.lock().unwrap(); let g = 1; save().await; }");
        assert_eq!(h, [("g".to_string(), false)]);
    }

    #[test]
    fn temporaries_die_with_their_statement_but_scrutinees_live_through_arms() {
        let h = held("async fn f() { let v = m.lock().unwrap().clone(); save(v).await; }");
        assert_eq!(h, [("clone".to_string(), false)]);
        let h = held("async fn f() { match m.lock().unwrap().get(&k) { Some(v) => save(v).await, None => {} } }");
        assert_eq!(h, [("get".to_string(), true)]);
        let h = held("async fn f() { if m.lock().unwrap().is_empty() { save().await; } }");
        assert_eq!(h, [("is_empty".to_string(), false)]);
        let h =
            held("async fn f() { if let Some(v) = m.lock().unwrap().pop() { save(v).await; } }");
        assert_eq!(h, [("pop".to_string(), true)]);
    }

    #[test]
    fn async_lock_acquisitions_are_recognised() {
        let e: Expr = syn::parse_str("state.lock().await").unwrap();
        assert_eq!(async_guard_call(&e).map(|(_, k)| k), Some(LockKind::Mutex));
        let e: Expr = syn::parse_str("file.read(&mut buf).await").unwrap();
        assert!(async_guard_call(&e).is_none());
    }

    #[test]
    fn async_locks_and_unknown_plain_locks_are_not_guards() {
        assert!(held("async fn f() { let g = m.lock().await; save().await; }").is_empty());
        assert!(held("async fn f() { let g = m.lock(); save().await; }").is_empty());
        let h = held("use parking_lot::Mutex; async fn f() { let g = m.lock(); save().await; }");
        assert_eq!(h, [("g".to_string(), true)]);
    }
}
