//! Operations on state shared between tasks and threads, recognised by syntax:
//! atomic loads and stores (by their `Ordering` argument), lock acquisitions (sync or
//! async), reads that take the value out of a lock, and locals a block created itself
//! and has not shared yet.

use super::body::{own_exprs, pattern_names};
use super::chain::{self, strip};
use super::guards::{async_guard_call, compact, guard_call, LockKind};
use super::FileInfo;
use rustc_hash::FxHashSet as HashSet;
use syn::visit::Visit;
use syn::{BinOp, Expr, ExprMethodCall, Stmt};

/// The memory orderings: a `load`/`store` taking one of them is an atomic's.
const ORDERINGS: &[&str] = &["Relaxed", "Acquire", "Release", "AcqRel", "SeqCst"];

/// Reads that empty the state (`take()`, `remove(k)`, `mem::take(&mut *g)`): the value
/// is handed over, and putting it back later is a hand-off, not a lost update.
const TAKE_METHODS: &[&str] = &["take", "replace", "swap", "remove", "drain", "split_off"];

/// An atomic operation: the expression and its method call.
pub type AtomicOp<'e> = (&'e Expr, &'e ExprMethodCall);

/// `x.load(Ordering::..)` (method `"load"`) or `x.store(v, Ordering::..)` (`"store"`):
/// an atomic's, recognised by its ordering argument.
pub fn atomic_op<'e>(e: &'e Expr, method: &str) -> Option<AtomicOp<'e>> {
    let e = strip(e);
    let Expr::MethodCall(m) = e else { return None };
    let arity = if method == "load" { 1 } else { 2 };
    let ordered = match m.args.last().map(strip) {
        Some(Expr::Path(p)) => p
            .path
            .segments
            .last()
            .is_some_and(|s| ORDERINGS.iter().any(|o| s.ident == o)),
        _ => false,
    };
    (m.method == method && m.args.len() == arity && ordered).then_some((e, m))
}

/// The single atomic read-modify-write for `n <op> x` (`fetch_add` for `+`), and
/// whether the operands commute.
pub fn fetch_op(op: &BinOp) -> Option<(&'static str, bool)> {
    Some(match op {
        BinOp::Add(_) => ("fetch_add", true),
        BinOp::Sub(_) => ("fetch_sub", false),
        BinOp::BitOr(_) => ("fetch_or", true),
        BinOp::BitAnd(_) => ("fetch_and", true),
        BinOp::BitXor(_) => ("fetch_xor", true),
        _ => return None,
    })
}

/// The ordering for one read-modify-write replacing a load (ordering written `load`)
/// and a store (`store`): the common one, else `AcqRel` (or `SeqCst` if either was),
/// written the way the store's is (`Ordering::AcqRel`).
pub fn combined_ordering(load: &str, store: &str) -> String {
    let name = |t: &str| t.rsplit("::").next().unwrap_or("").to_string();
    if name(load) == name(store) {
        return store.to_string();
    }
    let both = if name(load) == "SeqCst" || name(store) == "SeqCst" {
        "SeqCst"
    } else {
        "AcqRel"
    };
    store
        .rsplit_once("::")
        .map_or(both.to_string(), |(prefix, _)| format!("{prefix}::{both}"))
}

/// The lock, if `e` acquires one whose guard other threads wait on: a synchronous
/// guard ([`guard_call`]) or an async one ([`async_guard_call`]). A `RefCell` borrow
/// is not one: no other thread can interleave between two borrows.
pub fn lock_acquired<'e>(file: &FileInfo, e: &'e Expr) -> Option<&'e Expr> {
    guard_call(file, e)
        .or_else(|| async_guard_call(e).map(|(m, kind)| (&*m.receiver, kind)))
        .filter(|(_, kind)| *kind != LockKind::RefCell)
        .map(|(receiver, _)| receiver)
}

/// Whether one of `exprs` empties a lock's state: `g.take()`, `g.field.take()`,
/// `g.remove(k)`, `mem::take(&mut *g)`.
pub fn takes_from_lock(file: &FileInfo, exprs: &[&Expr]) -> bool {
    let taken = |m: &syn::Ident| TAKE_METHODS.iter().any(|t| m == t);
    let locked = |e: &Expr| {
        own_exprs(|v| v.visit_expr(e))
            .iter()
            .any(|x| lock_acquired(file, x).is_some())
    };
    exprs.iter().any(|e| match e {
        Expr::MethodCall(m) => taken(&m.method) && locked(&m.receiver),
        Expr::Call(c) => {
            chain::call_path(e)
                .and_then(|p| p.segments.last())
                .is_some_and(|s| taken(&s.ident))
                && c.args.iter().any(locked)
        }
        _ => false,
    })
}

/// Whether `name` was last bound, among the statements `before`, to a value this
/// block created itself (`let shard = Shard { .. };`) — not a clone of a handle and not
/// an `Arc`, so nothing else can see it yet.
pub fn created_here(file: &FileInfo, before: &[Stmt], name: &str) -> bool {
    before.iter().rev().find_map(|s| match s {
        Stmt::Local(l) if binds(&l.pat, name) => Some(l.init.as_ref().is_some_and(|init| {
            let text = compact(file, &init.expr);
            !text.contains(".clone()") && !text.contains("Arc::") && !text.contains("Rc::")
        })),
        _ => None,
    }) == Some(true)
}

/// Whether one of the statements `before` binds a lock guard (`let _g = m.lock().await;`)
/// that is still alive after them: code after it is serialized by that lock.
pub fn guard_held(file: &FileInfo, before: &[Stmt]) -> bool {
    let dropped = |name: &str| {
        before.iter().any(|s| {
            own_exprs(|v| v.visit_stmt(s)).iter().any(|e| {
                chain::call_path(e).is_some_and(|p| p.is_ident("drop"))
                    && matches!(e, Expr::Call(c) if c.args.iter().any(|a| chain::path_ident(a).is_some_and(|i| i == name)))
            })
        })
    };
    before.iter().any(|s| match s {
        Stmt::Local(l) => l.init.as_ref().is_some_and(|init| {
            let mut names = HashSet::default();
            pattern_names(&l.pat, &mut names);
            lock_acquired(file, &init.expr).is_some() && !names.iter().any(|n| dropped(n))
        }),
        _ => false,
    })
}

fn binds(pat: &syn::Pat, name: &str) -> bool {
    let mut names = HashSet::default();
    pattern_names(pat, &mut names);
    names.contains(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_file(src: &str, f: impl FnOnce(&FileInfo, &syn::Block)) {
        let file: syn::File = syn::parse_str(src).unwrap();
        let info = FileInfo::new("t.rs", src, &file);
        let syn::Item::Fn(func) = &file.items[0] else {
            panic!()
        };
        f(&info, &func.block);
    }

    #[test]
    fn a_bound_guard_is_held_until_dropped() {
        let src = "async fn f() { let _g = m.lock().await; let n = a.load(Ordering::Relaxed); }";
        with_file(src, |file, b| assert!(guard_held(file, &b.stmts[..1])));
        let src = "async fn f() { let g = m.lock().await; drop(g); }";
        with_file(src, |file, b| assert!(!guard_held(file, &b.stmts)));
    }

    #[test]
    fn atomics_locks_takes_and_local_state() {
        with_file(
            "fn f() { let s = State { n: Mutex::new(0) }; let h = hits.clone(); \
             hits.load(Ordering::Relaxed); cfg.load(); m.lock().unwrap().take(); \
             c.borrow_mut(); rw.write().await; }",
            |file, b| {
                let exprs = own_exprs(|v| v.visit_block(b));
                assert_eq!(
                    exprs
                        .iter()
                        .filter(|e| atomic_op(e, "load").is_some())
                        .count(),
                    1
                );
                let locks = exprs
                    .iter()
                    .filter(|e| lock_acquired(file, e).is_some())
                    .count();
                assert_eq!(locks, 2);
                assert!(takes_from_lock(file, &exprs));
                assert!(!guard_held(file, &b.stmts));
                assert!(created_here(file, &b.stmts, "s"));
                assert!(!created_here(file, &b.stmts, "h") && !created_here(file, &b.stmts, "x"));
                assert_eq!(
                    combined_ordering("Ordering::Acquire", "Ordering::Release"),
                    "Ordering::AcqRel"
                );
                assert_eq!(combined_ordering("Relaxed", "Relaxed"), "Relaxed");
            },
        );
    }
}
