//! `lock-across-await`: a synchronous lock guard or `RefCell` borrow alive at an `.await`.

use super::{FnNode, Group, Hooks, Rule, RuleMeta, TestCode};
use crate::diagnostic::{Diagnostic, Severity};
use crate::semantic::body::async_body;
use crate::semantic::guards::{guard_view, one_line, Acquisition, LockKind};
use crate::semantic::index::{IndexQuery, ModelQuery};
use crate::semantic::runtime::words;
use crate::semantic::types::plain_field_lock;
use crate::semantic::Cx;
use crate::source::TextRange;
use syn::{Block, Expr};

pub struct LockAcrossAwait;

static META: RuleMeta = RuleMeta {
    name: "lock-across-await",
    severity: Severity::Warning,
    group: Group::Correctness,
    tests: TestCode::Report,
    summary: "a synchronous lock guard or `RefCell` borrow is held across an `.await`",
    doc: include_str!("../../rules/lock-across-await.md"),
};

impl Rule for LockAcrossAwait {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }
    fn hooks(&self) -> Hooks {
        Hooks::EXPR | Hooks::FN
    }

    fn check_fn(&self, cx: &mut Cx, f: &FnNode) {
        if f.sig.asyncness.is_some() {
            check_body(cx, f.body);
        }
    }

    fn check_expr(&self, cx: &mut Cx, expr: &Expr) {
        if let Some(body) = async_body(expr) {
            check_body(cx, body);
        }
    }
}

fn check_body(cx: &mut Cx, body: &Block) {
    // Guards come from `lock`, `read`, `write` and `borrow` calls, and crate helpers
    // called before an `.await`: a body with no `.await` has nothing to check.
    if !cx.file.block_mentions(body, &["await"]) {
        return;
    }
    let view = guard_view(cx, body);
    for acq in &view.acquisitions {
        let held_at = view
            .awaits
            .iter()
            .find(|(at, _)| acq.held_from <= *at && *at < acq.held_until);
        if let Some((at, range)) = held_at {
            report(cx, acq, *at, *range);
        }
    }
}

fn report(cx: &mut Cx, acq: &Acquisition, at: usize, await_range: TextRange) {
    // `let q = self.queue.lock();` on a field declared in another file: a plain lock
    // if the crate declares the field as one that hands out its guard (parking_lot).
    if let Some((kind, query)) = acq.helper.as_ref().and_then(plain_field_lock) {
        let plain = Acquisition {
            kind,
            helper: None,
            ..acq.clone()
        };
        let d = diagnostic(cx, &plain, at, await_range);
        cx.report_if(query, d);
        return;
    }
    let d = diagnostic(cx, acq, at, await_range);
    match &acq.helper {
        Some(c) => {
            let d = d.with_note(format!("`{}` returns a lock guard", c.written()));
            cx.report_if(IndexQuery::Model(ModelQuery::ReturnsGuard(c.clone())), d)
        }
        None => cx.report(d),
    }
}

fn diagnostic(cx: &Cx, acq: &Acquisition, at: usize, await_range: TextRange) -> Diagnostic {
    let lock = one_line(cx.file, acq.range);
    let recv = &acq.receiver;
    let cell = acq.kind == LockKind::RefCell;
    let what = if cell { "borrow" } else { "guard" };
    let message = if cell {
        format!("this `RefCell` borrow of `{recv}` is still alive at an `.await`: while the task is parked, any other task that borrows `{recv}` panics with a `BorrowError`/`BorrowMutError`")
    } else if acq.kind == LockKind::MapRef {
        format!("this reference into the concurrent map `{recv}` is still alive at an `.await`: it holds the lock of the map's shard, so every other task that touches that shard blocks its worker thread (a deadlock when it runs on this one)")
    } else if let Some(helper) = &acq.helper {
        format!("the lock guard `{}` returns is still held at an `.await`: the task parks with the lock taken, so every other task that takes the lock blocks its worker thread (a deadlock on a current-thread runtime), and the future is not `Send`", helper.written())
    } else {
        format!("this {} on `{recv}` is still held at an `.await`: the task parks with the lock taken, so every other task that locks `{recv}` blocks its worker thread (a deadlock on a current-thread runtime), and the future is not `Send`", acq.kind.describe())
    };
    let mut d = Diagnostic::new(META.name, META.severity, acq.range, message)
        .with_label(format!("{} created here", acq.kind.describe()))
        .with_secondary(
            label_range(cx, at, await_range),
            format!("`.await` while the {what} is held"),
        );
    if let Some(released) = acq.released_at.filter(|r| r.start > at) {
        let how = if cx.file.slice(released).starts_with("drop(") {
            if cell {
                "borrow released here"
            } else {
                "lock released here"
            }
        } else {
            "guard moved away here"
        };
        d = d.with_secondary(released, how);
    }
    let end_it = match (&acq.binding, &acq.guard_method) {
        (Some(_), _) if acq.taken_apart => format!(
            "end the {what} before the `.await`: copy what you need out of it in a block of its own and let the {what} end there, or take it only after the `.await`"
        ),
        (Some(g), _) => format!(
            "end the {what} before the `.await`: do what needs `{g}` in a block of its own that ends before it (`{{ let {g} = {lock}; /* read or update through {g} */ }}`), call `drop({g})` first, or take it again after the `.await`"
        ),
        (None, method) => {
            // A method that returns a reference into the guard needs a copy, or the
            // `let` would keep a borrow of the dropped temporary.
            let example = method
                .as_ref()
                .map(|m| match m.as_str() {
                    "get" | "get_mut" | "first" | "last" | "peek" | "front" | "back" => {
                        format!(" (`let v = {lock}.{m}(..).cloned();`)")
                    }
                    "iter" | "keys" | "values" => {
                        format!(" (`let v: Vec<_> = {lock}.{m}().cloned().collect();`)")
                    }
                    _ => format!(" (`let v = {lock}.{m}(..);`)"),
                })
                .unwrap_or_default();
            format!(
                "copy what you need out of `{lock}` in a `let` statement of its own before the `.await`{example} and use the copy: a temporary {what} lives to the end of its statement, and through the whole `match`, `if let` or `while let` whose scrutinee creates it"
            )
        }
    };
    // For a guard a helper hands out (`self.table()`), the lock is the one it takes.
    let async_lock = |kind: &str, how: &str| {
        let lock = match &acq.helper {
            Some(h) => format!("the lock `{}` takes", h.written()),
            None => format!("`{recv}`"),
        };
        format!("{end_it}; if the critical section really must span the `.await`, make {lock} a `{kind}` and {how}")
    };
    let help = match acq.kind {
        LockKind::RefCell => format!("{end_it}; never keep a `RefCell` borrow across an `.await`"),
        LockKind::Mutex => async_lock(words(cx.file.runtime).mutex, "await its `.lock()`"),
        LockKind::RwLockRead | LockKind::RwLockWrite => async_lock(
            words(cx.file.runtime).rwlock,
            "await its `.read()` / `.write()`",
        ),
        LockKind::MapRef => format!(
            "{end_it}: a reference into `{recv}` holds the lock of its shard until it is dropped"
        ),
    };
    d.with_help(help)
}

/// The awaited expression when it fits on one line, else the `await` keyword.
fn label_range(cx: &Cx, at: usize, await_range: TextRange) -> TextRange {
    if cx.file.slice(await_range).contains('\n') {
        TextRange::new(at, at + "await".len())
    } else {
        await_range
    }
}
