//! `non-atomic-update`: a read-modify-write of shared state split into a read and a
//! separate write, so concurrent updates in between are lost.

use super::{Group, Hooks, Rule, RuleMeta, TestCode};
use crate::diagnostic::{Diagnostic, Severity};
use crate::semantic::body::{
    is_compound_assign, own_exprs, pattern_names, place_base, place_root, value_exprs, NameUses,
};
use crate::semantic::chain::{self, strip};
use crate::semantic::guards::compact;
use crate::semantic::shared_state::{
    atomic_op, combined_ordering, created_here, fetch_op, guard_held, lock_acquired,
    takes_from_lock, AtomicOp,
};
use crate::semantic::{Cx, FileInfo, NodeRange};
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use syn::visit::Visit;
use syn::{Block, Expr, Stmt};

pub struct NonAtomicUpdate;

static META: RuleMeta = RuleMeta {
    name: "non-atomic-update",
    severity: Severity::Warning,
    group: Group::Correctness,
    tests: TestCode::Skip,
    summary: "shared state read and then written in two steps (atomic load/store, two lock acquisitions, `static mut`): concurrent updates are lost",
    doc: include_str!("../../rules/non-atomic-update.md"),
};

/// Guard methods that overwrite the locked state with the value they are given (an
/// `insert` replaces the key's value). Adding (`push`, `extend`, `append`) loses
/// nothing another task added in between, so it is not listed.
const OVERWRITE_METHODS: &[&str] = &["insert", "replace", "set"];

impl Rule for NonAtomicUpdate {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }
    fn hooks(&self) -> Hooks {
        Hooks::EXPR | Hooks::BLOCK
    }

    fn check_block(&self, cx: &mut Cx, block: &Block) {
        if !cx.runs_concurrently() {
            return;
        }
        for (i, stmt) in block.stmts.iter().enumerate() {
            let Stmt::Local(local) = stmt else { continue };
            let Some(init) = &local.init else { continue };
            let inner = value_exprs(&init.expr);
            let reads_shared =
                |e: &&Expr| atomic_op(e, "load").is_some() || lock_acquired(cx.file, e).is_some();
            // Under a guard bound earlier in this block, both steps are serialized.
            if !inner.iter().any(reads_shared) || guard_held(cx.file, &block.stmts[..i]) {
                continue;
            }
            let rest = &block.stmts[i + 1..];
            // The names the read is bound to, unless a later `let` shadows them.
            let mut names = HashSet::default();
            pattern_names(&local.pat, &mut names);
            let shadowed = NameUses::of_stmts(rest).declared;
            names.retain(|n| !shadowed.contains(n));
            // `let seen = unread.saturating_sub(1);`: computed from the read, too.
            derive_names(rest, &mut names);
            let local_state = |recv: &Expr| {
                place_root(recv).is_some_and(|r| created_here(cx.file, &block.stmts[..i], &r))
            };
            if let Some(load) = inner.iter().find_map(|e| atomic_op(e, "load")) {
                let recv = compact(cx.file, &load.1.receiver);
                let store = own_exprs(|v| rest.iter().for_each(|s| v.visit_stmt(s)))
                    .into_iter()
                    .find_map(|e| {
                        atomic_op(e, "store").filter(|(_, s)| {
                            compact(cx.file, &s.receiver) == recv && reads(&s.args[0], &names)
                        })
                    });
                if let Some(store) = store.filter(|_| !local_state(&load.1.receiver)) {
                    // A store under a condition (`if n < MAX`) needs `fetch_update`.
                    let direct = rest
                        .iter()
                        .any(|s| matches!(s, Stmt::Expr(e, _) if std::ptr::eq(strip(e), store.0)));
                    report_atomic(cx, load, store, &names, direct);
                }
            }
            // A bound guard is one critical section; a taken value is handed back.
            if lock_acquired(cx.file, &init.expr).is_some() || takes_from_lock(cx.file, &inner) {
                continue;
            }
            let first = inner
                .iter()
                .find_map(|e| Some((*e, lock_acquired(cx.file, e)?)));
            let Some((first, lock)) = first.filter(|(_, l)| !local_state(l)) else {
                continue;
            };
            let recv = compact(cx.file, lock);
            let field = inner.iter().find_map(|e| match e {
                Expr::Field(f) if std::ptr::eq(strip(&f.base), strip(first)) => Some(&f.member),
                _ => None,
            });
            let Some((write, second)) = second_write(cx.file, rest, &recv, &names, field) else {
                continue;
            };
            let d = Diagnostic::new(
                META.name,
                META.severity,
                write.text_range(cx.file),
                format!("`{recv}` is locked once to read and again to write a value computed from that read: another task or thread can update it in between, and that update is lost"),
            )
            .with_label("locked again to write a value computed from the first read")
            .with_secondary(cx.range(first), "first lock, released at the end of this statement")
            .with_help(format!("hold one guard over the read and the write: `let mut guard = {};`, then read and update through `guard`", cx.text_one_line(second)));
            cx.report(d);
        }
    }

    fn check_expr(&self, cx: &mut Cx, expr: &Expr) {
        if !cx.runs_concurrently() {
            return;
        }
        // `a.store(a.load(o) + 1, o)` in one expression.
        if let Some(store) = atomic_op(expr, "store") {
            let recv = compact(cx.file, &store.1.receiver);
            let inner = own_exprs(|v| v.visit_expr(&store.1.args[0]));
            if let Some(load) = inner.iter().find_map(|e| atomic_op(e, "load")) {
                if compact(cx.file, &load.1.receiver) == recv {
                    report_atomic(cx, load, store, &HashSet::default(), true);
                }
            }
            return;
        }
        // A write to a `static mut` (not shadowed by a local).
        let place = match expr {
            Expr::Assign(a) => &a.left,
            Expr::Binary(b) if is_compound_assign(&b.op) => &b.left,
            Expr::Reference(r) if r.mutability.is_some() => &r.expr,
            _ => return,
        };
        let Some(name) = place_root(place) else {
            return;
        };
        if !cx.file.static_muts.contains(&name) || cx.binding(&name).is_some() {
            return;
        }
        let from = ["a spawned thread", "async code"][usize::from(cx.in_async())];
        let d = Diagnostic::new(
            META.name,
            META.severity,
            cx.range(expr),
            format!("`{name}` is a `static mut` written from {from}: concurrent writes race (undefined behaviour) and updates are lost"),
        )
        .with_label("unsynchronized write to shared state")
        .with_help(match expr {
            Expr::Binary(_) => format!("make `{name}` an atomic (`static {name}: AtomicU64` updated with `fetch_add`), or give each task its own result and combine them after joining"),
            _ => format!("put `{name}` behind a lock (`static {name}: Mutex<..>`), or use an atomic for a flag or a number; or return the value from the task instead of storing it in a global"),
        });
        cx.report(d);
    }
}

fn report_atomic(
    cx: &mut Cx,
    load: AtomicOp,
    store: AtomicOp,
    names: &HashSet<String>,
    direct: bool,
) {
    let recv = cx.text(&*store.1.receiver).to_string();
    let ord = combined_ordering(cx.text(&load.1.args[0]), cx.text(&store.1.args[1]));
    // `n + x` (or `x + n` when the order does not matter) with `x` free of `n`.
    let loaded = |e: &Expr| {
        std::ptr::eq(strip(e), load.0)
            || chain::path_ident(e).is_some_and(|i| names.contains(&i.to_string()))
    };
    let one_op = match strip(&store.1.args[0]) {
        Expr::Binary(b) if direct => fetch_op(&b.op).and_then(|(f, commutes)| {
            let x = if loaded(&b.left) && !reads(&b.right, names) {
                Some(&*b.right)
            } else if commutes && loaded(&b.right) && !reads(&b.left, names) {
                Some(&*b.left)
            } else {
                None
            };
            x.map(|x| format!("`{recv}.{f}({}, {ord})`", cx.text(x)))
        }),
        _ => None,
    };
    let fix = one_op.unwrap_or_else(|| {
        format!("`{recv}.fetch_update({ord}, {ord}, |n| Some(..))`, or a `compare_exchange` loop")
    });
    let d = Diagnostic::new(
        META.name,
        META.severity,
        cx.range(store.0),
        format!("`{recv}` is loaded and then stored as two separate operations: another thread or task can update it in between, and that update is lost"),
    )
    .with_label("stores a value computed from the earlier load")
    .with_secondary(cx.range(load.0), "loaded here")
    .with_help(format!("do the read-modify-write as one atomic operation: {fix}"));
    cx.report(d);
}

/// The first later write, into a new acquisition of `recv` (or a guard bound from
/// one), of a value that reads `names`. When the first read took one field, a write
/// to another field is not an update of what was read.
fn second_write<'a>(
    file: &FileInfo,
    rest: &'a [Stmt],
    recv: &str,
    names: &HashSet<String>,
    field: Option<&syn::Member>,
) -> Option<(&'a Expr, &'a Expr)> {
    // Guards bound from a new acquisition, by name, with the acquiring expression.
    let mut guards: HashMap<String, &'a Expr> = HashMap::default();
    let is_lock = |e: &Expr| lock_acquired(file, e).is_some_and(|l| compact(file, l) == recv);
    let into_lock = |place: &'a Expr, guards: &HashMap<String, &'a Expr>| {
        let (p, member) = place_base(place);
        let lock = match chain::path_ident(p) {
            Some(guard) => guards.get(&guard.to_string()).copied(),
            None => is_lock(p).then_some(p),
        };
        lock.filter(|_| !matches!((field, member), (Some(a), Some(b)) if a != b))
    };
    for stmt in rest {
        if let Stmt::Local(l) = stmt {
            if let Some(init) = l.init.as_ref().filter(|init| is_lock(&init.expr)) {
                let mut bound = HashSet::default();
                pattern_names(&l.pat, &mut bound);
                guards.extend(bound.into_iter().map(|n| (n, &*init.expr)));
            }
        }
        for e in own_exprs(|v| v.visit_stmt(stmt)) {
            let (place, values): (&Expr, Vec<&Expr>) = match e {
                Expr::Assign(a) => (&a.left, vec![&a.right]),
                Expr::Binary(b) if is_compound_assign(&b.op) => (&b.left, vec![&b.right]),
                Expr::MethodCall(m) if OVERWRITE_METHODS.iter().any(|w| m.method == w) => {
                    (&m.receiver, m.args.iter().collect())
                }
                _ => continue,
            };
            if values.iter().any(|v| reads(v, names)) {
                if let Some(lock) = into_lock(place, &guards) {
                    return Some((e, lock));
                }
            }
        }
    }
    None
}

/// Adds the names later `let`s bind from a value that reads `names`, in order, so
/// that a value computed in steps from the read still counts as computed from it.
fn derive_names(rest: &[Stmt], names: &mut HashSet<String>) {
    for stmt in rest {
        if let Stmt::Local(l) = stmt {
            if l.init.as_ref().is_some_and(|init| reads(&init.expr, names)) {
                pattern_names(&l.pat, names);
            }
        }
    }
}

fn reads(e: &Expr, names: &HashSet<String>) -> bool {
    !names.is_empty() && NameUses::of_expr(e).reads.iter().any(|n| names.contains(n))
}
