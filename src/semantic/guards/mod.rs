//! Lock guards and how long they live, without types.
//!
//! A guard comes from a synchronous lock or cell call: `m.lock().unwrap()` /
//! `.expect(..)` / `.unwrap_or_else(..)` / `.map_err(..)?` (std), `m.lock()` with no
//! `.await` in a file that uses parking_lot, `read()`/`write()` likewise,
//! `borrow_mut()` (not in files that use the `BorrowMut` trait and no `RefCell`) and
//! `borrow()` in files that use `RefCell` or a `watch` channel. `.lock().await` is an
//! async lock and yields no guard here.
//!
//! Lifetimes follow Rust's rules: a guard bound by `let` lives to the end of its block
//! unless it is dropped, moved or shadowed first; a temporary guard lives to the end
//! of its statement, except where Rust opens a narrower temporary scope: an `if` or
//! `while` condition, each operand of `&&`/`||`, a match arm's guard and body, the
//! value of an assignment (evaluated before its place). `if let` scrutinees live
//! through the `then` block (dropped before `else`, as in edition 2024), `while let`
//! and `match` scrutinees through the body and the arms.
//!
//! Also here: the operations performed through guards, the critical sections of async
//! locks bound with `let`, and the `.await`s a body performs.

use super::chain::{self, strip};
use super::{Cx, FileInfo};
use crate::source::TextRange;
use syn::visit::Visit;
use syn::{Block, Expr, ExprMethodCall, Pat};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LockKind {
    Mutex,
    RwLockRead,
    RwLockWrite,
    RefCell,
    /// A reference into a concurrent map (`DashMap::get`): it holds a shard's lock.
    MapRef,
}

impl LockKind {
    pub fn describe(self) -> &'static str {
        match self {
            LockKind::Mutex => "mutex guard",
            LockKind::RwLockRead => "read guard",
            LockKind::RwLockWrite => "write guard",
            LockKind::RefCell => "`RefCell` borrow",
            LockKind::MapRef => "map entry reference",
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
    /// The guard comes from a call of this crate fn: a guard only if the crate model
    /// says the fn returns one.
    pub helper: Option<crate::semantic::callee::Callee>,
    /// An async lock's guard (`m.lock().await`); only [`all_acquisitions`] has them.
    pub asynchronous: bool,
    /// The lock call's `Result`/`Option` is taken apart by a pattern (`if let Ok(g) =
    /// m.lock()`, `let held = m.try_lock(); if let Ok(g) = held`): the call's value is
    /// not the guard itself.
    pub taken_apart: bool,
}

/// If `e` is a guard-producing lock call (after stripping `unwrap`/`expect`/
/// `unwrap_or_else`/`map_err`/`?`), the lock it takes (the receiver of the lock
/// call) and its kind: `m.lock().unwrap()`, `m.try_lock()?`, `Mutex::lock(&m)
/// .unwrap()`, or a bare `m.lock()` in a file that uses parking_lot.
pub fn guard_call<'e>(file: &FileInfo, e: &'e Expr) -> Option<(&'e Expr, LockKind)> {
    let mut cur = strip(e);
    let mut unwrapped = false;
    loop {
        match cur {
            Expr::Try(t) => {
                unwrapped = true;
                cur = strip(&t.expr);
            }
            // `.unwrap_or_else(PoisonError::into_inner)` recovers a poisoned guard.
            Expr::MethodCall(m)
                if m.method == "unwrap" || m.method == "expect" || m.method == "unwrap_or_else" =>
            {
                unwrapped = true;
                cur = strip(&m.receiver);
            }
            // `.map_err(..)?`, `.ok()?`: the `?` unwraps.
            Expr::MethodCall(m)
                if m.method == "map_err" || (m.method == "ok" && m.args.is_empty()) =>
            {
                cur = strip(&m.receiver)
            }
            _ => break,
        }
    }
    lock_call(file, cur, unwrapped)
}

/// A lock call whose `Result` or `Option` a pattern takes apart: `if let Ok(g) =
/// m.lock()`, `match m.try_lock() { Some(g) => .. }`, `let Ok(g) = m.lock() else
/// { .. }`. The guard is as good as unwrapped.
pub fn matched_guard_call<'e>(
    file: &FileInfo,
    pat: &Pat,
    e: &'e Expr,
) -> Option<(&'e Expr, LockKind)> {
    unwraps(pat).then(|| lock_call(file, strip(e), true))?
}

/// A lock call whose `Result` or `Option` is bound whole and taken apart later
/// (`let held = m.try_lock(); if let Ok(g) = held { .. }`): the binding holds the
/// guard from its `let`, as the unwrapped guard would.
pub fn result_guard_call<'e>(file: &FileInfo, e: &'e Expr) -> Option<(&'e Expr, LockKind)> {
    lock_call(file, strip(e), true)
}

/// Whether a pattern takes the value out of an `Ok(..)` or a `Some(..)` into a name
/// (`Ok(g)`, `Some(mut g)`): `Ok(())` (a file lock's `try_lock`) holds nothing.
pub fn unwraps(pat: &Pat) -> bool {
    match pat {
        Pat::TupleStruct(ts) => {
            ts.path
                .segments
                .last()
                .is_some_and(|s| s.ident == "Ok" || s.ident == "Some")
                && matches!(ts.elems.first(), Some(Pat::Ident(_) | Pat::Type(_)))
        }
        Pat::Type(t) => unwraps(&t.pat),
        _ => false,
    }
}

/// A synchronous lock or borrow call with no arguments; `unwrapped`: its result is
/// taken apart (std's `lock()` returns a `Result`).
fn lock_call<'e>(file: &FileInfo, e: &'e Expr, unwrapped: bool) -> Option<(&'e Expr, LockKind)> {
    let plain = |kind| (unwrapped || file.plain_locks_are_sync).then_some(kind);
    let (receiver, method) = match e {
        Expr::MethodCall(m) if m.args.is_empty() => (&*m.receiver, m.method.to_string()),
        // `Mutex::lock(&m)`, `RwLock::write(&state)`.
        Expr::Call(c) if c.args.len() == 1 => {
            let path = chain::call_path(e)?;
            let n = path.segments.len();
            let ty = path.segments.get(n.checked_sub(2)?)?.ident.to_string();
            if ty != "Mutex" && ty != "RwLock" {
                return None;
            }
            let arg = match strip(&c.args[0]) {
                Expr::Reference(r) => &*r.expr,
                a => a,
            };
            (arg, path.segments[n - 1].ident.to_string())
        }
        _ => return None,
    };
    let kind = match method.as_str() {
        "lock" => plain(LockKind::Mutex)?,
        "read" => plain(LockKind::RwLockRead)?,
        "write" => plain(LockKind::RwLockWrite)?,
        // `try_lock` returns a `Result` (std) or an `Option` (parking_lot): a guard
        // only once taken apart. In a file whose `Mutex`/`RwLock` is an async one
        // (tokio's), it is that lock's guard, made to be held across `.await`.
        "try_lock" if unwrapped && !names_async_lock(file, "Mutex") => LockKind::Mutex,
        "try_read" if unwrapped && !names_async_lock(file, "RwLock") => LockKind::RwLockRead,
        "try_write" if unwrapped && !names_async_lock(file, "RwLock") => LockKind::RwLockWrite,
        // `BorrowMut::borrow_mut` hands out a plain `&mut`, not a guard.
        "borrow_mut" if file.uses_cells || !file.uses_borrow_mut_trait => LockKind::RefCell,
        "borrow" if file.uses_cells => LockKind::RefCell,
        "try_borrow" | "try_borrow_mut" if unwrapped && file.uses_cells => LockKind::RefCell,
        _ => return None,
    };
    Some((receiver, kind))
}

/// Whether the file's `Mutex` (or `RwLock`) is an async lock: `use tokio::sync::Mutex;`
/// and no sync lock of that name beside it.
fn names_async_lock(file: &FileInfo, name: &str) -> bool {
    file.uses.resolve_parts(name, &[]).is_some_and(|p| {
        [
            "tokio::",
            "async_std::",
            "futures::lock::",
            "async_lock::",
            "futures_util::lock::",
        ]
        .iter()
        .any(|root| p.starts_with(root))
    })
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

mod held;
mod lifetimes;
mod ops;
mod places;
mod text;

pub use held::{self_field, HeldLock, HeldLocks};
pub(crate) use lifetimes::expr_range;
pub use lifetimes::{acquisitions, all_acquisitions};
pub use ops::{async_critical_sections, guard_ops, takes_guard, GuardOp};
pub use places::{
    deferred_closures, is_plain_lock, is_static_name, is_try, lock_place, own_calls, place_root,
    place_type, rebound_between, static_place, OwnCall,
};
pub use text::{compact, compact_range, one_line};

/// Byte offsets of the `.await`s a body performs itself.
/// The awaits of a body and, when it has any, the guards acquired in it: what the
/// rules about guards and awaits start from.
#[derive(Debug, Default)]
pub struct GuardView {
    /// Each `.await` the body performs itself: its offset and the awaited expression.
    pub awaits: Vec<(usize, TextRange)>,
    /// Empty when there are no awaits.
    pub acquisitions: Vec<Acquisition>,
}

/// [`GuardView`] of `body`, computed once when several rules ask in a row.
pub fn guard_view(cx: &Cx, body: &Block) -> std::rc::Rc<GuardView> {
    super::macros::per_body(body, || {
        let awaits = await_offsets(cx.file, body);
        let acquisitions = if awaits.is_empty() {
            Vec::new()
        } else {
            acquisitions(cx, body)
        };
        GuardView {
            awaits,
            acquisitions,
        }
    })
}

/// Where `body` waits: its own `.await`s (the offset of the `await` keyword, and the
/// awaited expression's range), those inside the arguments of macros it runs
/// (`assert!(check(id).await)`), and the joins and selects that await their futures
/// themselves (`tokio::join!(a, b)`, at the macro).
pub fn await_offsets(file: &FileInfo, body: &Block) -> Vec<(usize, TextRange)> {
    let of = |a: &syn::ExprAwait| {
        let r = file.range(a.await_token.span);
        (
            r.start,
            TextRange::new(expr_range(file, &a.base).start, r.end),
        )
    };
    let mut out: Vec<(usize, TextRange)> =
        super::body::own_awaits(body).into_iter().map(of).collect();
    struct InMacros<'f, F> {
        file: &'f FileInfo<'f>,
        of: F,
        out: Vec<(usize, TextRange)>,
    }
    impl<'ast, F: Fn(&syn::ExprAwait) -> (usize, TextRange)> Visit<'ast> for InMacros<'_, F> {
        fn visit_expr_closure(&mut self, _: &'ast syn::ExprClosure) {}
        fn visit_expr_async(&mut self, _: &'ast syn::ExprAsync) {}
        fn visit_item(&mut self, _: &'ast syn::Item) {}
        fn visit_expr(&mut self, e: &'ast Expr) {
            stacker::maybe_grow(64 * 1024, 1024 * 1024, || syn::visit::visit_expr(self, e));
        }
        fn visit_macro(&mut self, m: &'ast syn::Macro) {
            if super::body::awaits_its_futures(m) {
                let r = self.file.range(m.path.segments[0].ident.span());
                let end = self.file.range(m.delimiter.span().close()).end;
                self.out.push((r.start, TextRange::new(r.start, end)));
                return;
            }
            let body = super::macros::parse_body(m);
            for e in body.code() {
                let found: Vec<_> = super::body::own_awaits_in(e)
                    .into_iter()
                    .map(&self.of)
                    .collect();
                self.out.extend(found);
                self.visit_expr(e);
            }
        }
    }
    let mut v = InMacros {
        file,
        of,
        out: Vec::new(),
    };
    v.visit_block(body);
    if !v.out.is_empty() {
        out.extend(v.out);
        out.sort_by_key(|a| a.0);
        out.dedup();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (binding or guard method, held across an await?) for each acquisition in `f`.
    fn held(src: &str) -> Vec<(String, bool)> {
        let file: syn::File = syn::parse_str(src).unwrap();
        let info = FileInfo::new("t.rs", src, &file);
        let syn::Item::Fn(f) = &file.items.last().unwrap() else {
            panic!()
        };
        let mut parts = crate::semantic::TestCx::default();
        let cx = parts.cx(&info);
        let awaits = await_offsets(&info, &f.block);
        acquisitions(&cx, &f.block)
            .into_iter()
            .map(|a| {
                let name = a
                    .binding
                    .clone()
                    .or(a.guard_method.clone())
                    .unwrap_or_else(|| "*".to_string());
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
        // A `let g` in a nested block or async block shadows only there.
        let h = held("async fn f() { let g = m.lock().unwrap(); spawn(async { let g = 1; }); save().await; }");
        assert_eq!(h, [("g".to_string(), true)]);
        let h =
            held("async fn f() { let g = m.lock().unwrap(); if x { let g = 1; } save().await; }");
        assert_eq!(h, [("g".to_string(), true)]);
        let h = held("async fn f() { let g = m.lock().unwrap(); spawn(async move { g.len() }); save().await; }");
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
    fn lazy_boolean_operands_arms_and_if_let_else_are_scopes_of_their_own() {
        let h = held(
            "async fn f() -> bool { !m.read().unwrap().is_empty() || !n.read().await.is_empty() }",
        );
        assert_eq!(h, [("is_empty".to_string(), false)]);
        let h = held("async fn f() { match k { Some(k) => m.lock().unwrap().remove(&k), None => None }; save().await; }");
        assert_eq!(h, [("remove".to_string(), false)]);
        let h = held("async fn f() { match k { Some(k) if m.lock().unwrap().contains(&k) => save().await, _ => {} } }");
        assert_eq!(h, [("contains".to_string(), false)]);
        // A crate helper's value as a temporary receiver: a guard if the model says so.
        let h =
            held("async fn f() { if let Some(n) = self.table().get_mut(k) { save(n).await; } }");
        assert_eq!(h, [("get_mut".to_string(), true)]);
        // Edition 2024 drops an `if let` scrutinee's temporaries before `else`.
        let h = held("async fn f() { if let Some(v) = m.lock().unwrap().get(&k).cloned() { v } else { load().await } }");
        assert_eq!(h, [("get".to_string(), false)]);
    }

    #[test]
    fn temporaries_in_any_position_and_in_sync_closures() {
        let h = held("async fn f() { *m.lock().unwrap() = Some(c); save().await; }");
        assert_eq!(h, [("*".to_string(), false)]);
        // The assigned value is evaluated before the place that holds the guard.
        let h = held("async fn f() { *m.lock().unwrap() = load().await?; }");
        assert_eq!(h, [("*".to_string(), false)]);
        let h = held("async fn f() { let g = m.lock().unwrap(); spawn(async move { let g = 1; }); save().await; }");
        assert_eq!(h, [("g".to_string(), true)]);
        let h = held("async fn f() { save(m.lock().unwrap().pending.len()).await; }");
        assert_eq!(h, [("*".to_string(), true)]);
        let h = held(
            "async fn f() { let n = xs.iter().filter(|x| m.lock().unwrap().contains(x)).count(); save(n).await; }",
        );
        assert_eq!(h, [("contains".to_string(), false)]);
        let h = held("async fn f() { let g = m.lock().unwrap_or_else(PoisonError::into_inner); save().await; }");
        assert_eq!(h, [("g".to_string(), true)]);
        let h =
            held("async fn f() -> Result<()> { let g = m.lock().map_err(|_| E)?; save().await }");
        assert_eq!(h, [("g".to_string(), true)]);
    }

    /// (method, path, acquisition) of each operation through a guard in `f`.
    fn ops(src: &str) -> Vec<(String, String, usize)> {
        let file: syn::File = syn::parse_str(src).unwrap();
        let info = FileInfo::new("t.rs", src, &file);
        let syn::Item::Fn(f) = &file.items.last().unwrap() else {
            panic!()
        };
        let mut parts = crate::semantic::TestCx::default();
        let cx = parts.cx(&info);
        let acqs = acquisitions(&cx, &f.block);
        guard_ops(&info, &f.block, &acqs)
            .into_iter()
            .map(|o| match o.then {
                Some(then) => (format!("{}.{then}", o.method), o.path, o.acquisition),
                None => (o.method, o.path, o.acquisition),
            })
            .collect()
    }

    #[test]
    fn operations_through_guards() {
        let o = ops(
            "async fn f() { if m.lock().unwrap().contains_key(&k) { return; } \
                     let v = load().await; let mut g = m.lock().unwrap(); g.pending.insert(k, v); \
                     *g = x; g.n += 1; other.insert(1); }",
        );
        let s = |m: &str, p: &str, i| (m.to_string(), p.to_string(), i);
        assert_eq!(
            o,
            [
                s("contains_key", "", 0),
                s("insert", ".pending", 1),
                s("=", "", 1),
                s("=", ".n", 1)
            ]
        );
        let o = ops("fn f() { let n = m.lock().unwrap().entry(k).or_insert(0); *m.lock().unwrap() = None; }");
        assert_eq!(o, [s("entry.or_insert", "", 0), s("=", "", 1)]);
    }

    #[test]
    fn async_critical_sections_follow_their_guards() {
        let src =
            "async fn f() { { let g = a.lock().await; x().await; } let r = b.write().await?; \
                   y().await; drop(r); z().await; let n = c.lock().await.len(); \
                   let _p = per_key_lock(&locks, id).await; w().await; }";
        let file: syn::File = syn::parse_str(src).unwrap();
        let info = FileInfo::new("t.rs", src, &file);
        let syn::Item::Fn(f) = &file.items[0] else {
            panic!()
        };
        let sections: Vec<&str> = async_critical_sections(&info, &f.block)
            .into_iter()
            .map(|r| info.slice(r).trim())
            .collect();
        assert_eq!(sections, ["x().await; }", "y().await;", "w().await; }"]);
    }

    fn info_range(info: &FileInfo, e: &Expr) -> TextRange {
        expr_range(info, e)
    }

    #[test]
    fn compact_text_drops_whitespace_and_comments() {
        let src = "fn f() { room // the room\n .outbox /* queue */ .get(\"a // b\"); }";
        let file: syn::File = syn::parse_str(src).unwrap();
        let info = FileInfo::new("t.rs", src, &file);
        let syn::Item::Fn(f) = &file.items[0] else {
            panic!()
        };
        let syn::Stmt::Expr(e, _) = &f.block.stmts[0] else {
            panic!()
        };
        assert_eq!(compact(&info, e), "room.outbox.get(\"a // b\")");
        assert_eq!(
            one_line(&info, info_range(&info, e)),
            "room.outbox.get(\"a // b\")"
        );
    }

    #[test]
    fn guards_handed_in_by_the_caller() {
        let sig = |s: &str| syn::parse_str::<syn::ItemFn>(s).unwrap().sig;
        assert!(takes_guard(&sig(
            "async fn f(&self, lock: &TracingExclusiveGuard<Op>) {}"
        )));
        assert!(takes_guard(&sig("async fn f(_p: OwnedSemaphorePermit) {}")));
        assert!(!takes_guard(&sig("async fn f(&self, id: u64) {}")));
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
        let h = held("use parking_lot::Mutex; async fn f() { a.write().await.flush().await; }");
        assert!(h.is_empty());
        let h = held("use std::borrow::BorrowMut; async fn f() { let b = buf.borrow_mut(); b.fill().await; }");
        assert!(h.is_empty());
    }
}
