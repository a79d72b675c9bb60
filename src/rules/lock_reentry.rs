//! `lock-reentry`: a lock taken again, directly or through a method of the crate,
//! while a guard of the same lock is still alive.

use super::{FnNode, Group, Hooks, Rule, RuleMeta, TestCode};
use crate::diagnostic::{Diagnostic, Severity};
use crate::semantic::body::async_body;
use crate::semantic::guards::{
    all_acquisitions, compact, deferred_closures, is_plain_lock, is_try, lock_place, one_line,
    own_calls, place_root, rebound_between, Acquisition, LockKind, OwnCall,
};
use crate::semantic::index::{IndexQuery, ModelQuery};
use crate::semantic::Cx;
use crate::source::TextRange;
use syn::{Block, Expr};

pub struct LockReentry;

static META: RuleMeta = RuleMeta {
    name: "lock-reentry",
    severity: Severity::Error,
    group: Group::Correctness,
    tests: TestCode::Report,
    summary: "a lock is taken again, here or in a method called here, while a guard of it is still alive: the task or thread deadlocks itself",
    doc: include_str!("../../rules/lock-reentry.md"),
};

impl Rule for LockReentry {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }
    fn hooks(&self) -> Hooks {
        Hooks::EXPR | Hooks::FN
    }

    fn check_fn(&self, cx: &mut Cx, f: &FnNode) {
        check_body(cx, f.body);
    }

    fn check_expr(&self, cx: &mut Cx, expr: &Expr) {
        if let Some(body) = async_body(expr) {
            check_body(cx, body);
        }
    }
}

/// A guard whose lock is known: its acquisition, its place, and the closure it runs in.
struct Held<'a> {
    acq: &'a Acquisition,
    place: String,
    unit: Option<TextRange>,
}

fn check_body(cx: &mut Cx, body: &Block) {
    if !cx.file.block_mentions(
        body,
        &["lock(", "read()", "write()", "lock_owned", "_owned()"],
    ) {
        return;
    }
    let acqs = all_acquisitions(cx, body);
    if acqs.is_empty() {
        return;
    }
    let units = deferred_closures(cx, body);
    let unit_of = |r: TextRange| {
        units
            .iter()
            .filter(|u| u.start <= r.start && r.end <= u.end)
            .min_by_key(|u| u.end - u.start)
            .copied()
    };
    let held: Vec<Held> = acqs
        .iter()
        .filter_map(|acq| {
            let place = lock_place(&acq.receiver)?;
            // `let m = m.lock().unwrap();`: the name now holds the guard.
            if acq.binding.as_deref() == Some(place_root(&place)) {
                return None;
            }
            (acq.helper.is_none() && is_plain_lock(cx, body, acq, &place)).then(|| Held {
                acq,
                unit: unit_of(acq.range),
                place,
            })
        })
        .collect();
    for second in &held {
        if is_try(cx.file, second.acq) {
            continue;
        }
        let at = acquired_at(second.acq);
        let first = held.iter().find(|first| {
            // `match m.try_lock() { Ok(g) => .., Err(_) => m.lock() }`: the other arms
            // hold no guard.
            let try_scrutinee = first.acq.binding.is_none() && is_try(cx.file, first.acq);
            !try_scrutinee
                && first.acq.range != second.acq.range
                && first.place == second.place
                && first.unit == second.unit
                && first.acq.asynchronous == second.acq.asynchronous
                && same_family(first.acq.kind, second.acq.kind)
                && acquired_at(first.acq) <= at
                && first.acq.held_from <= at
                && at < first.acq.held_until
                && !rebound(cx, body, &first.place, first.acq.range.start, at)
        });
        let read_twice = first.is_some_and(|f| {
            f.acq.kind == LockKind::RwLockRead && second.acq.kind == LockKind::RwLockRead
        });
        if read_twice && !written_in_file(cx, &second.place) {
            continue;
        }
        if let Some(first) = first {
            report_relock(cx, first, second);
        }
    }
    // A fn of the crate, called while the guard is alive, that locks the same lock: a
    // method that locks the same field of `self`, or a fn given the lock.
    for call in own_calls(cx, body) {
        let Some(callee) = cx.callee(call.call) else {
            continue;
        };
        let at = call.range.end;
        let unit = unit_of(call.range);
        let mut asked: Vec<&str> = Vec::new();
        for first in &held {
            let alive = first.acq.held_from <= at && at < first.acq.held_until;
            if !alive || first.unit != unit || asked.contains(&first.place.as_str()) {
                continue;
            }
            let mut queries = Vec::new();
            if let (true, Some(field)) = (call.on_self, self_field(&first.place)) {
                queries.push(ModelQuery::Locks {
                    callee: callee.clone(),
                    field: field.to_string(),
                });
            }
            let given = call
                .args
                .iter()
                .position(|a| lock_place(&compact(cx.file, a)).as_ref() == Some(&first.place));
            if let Some(arg) = given {
                queries.push(ModelQuery::LocksArg {
                    callee: callee.clone(),
                    arg,
                });
            }
            let read_only = first.acq.kind == LockKind::RwLockRead;
            if queries.is_empty() || (read_only && !written_in_file(cx, &first.place)) {
                continue;
            }
            asked.push(&first.place);
            let d = helper_diagnostic(cx, first, &call, given.is_some() && !call.on_self);
            let query = IndexQuery::Any(queries.into_iter().map(IndexQuery::Model).collect());
            cx.report_if(query, d);
        }
    }
}

/// Whether the file takes a write lock on a place named like `place` (its last
/// segment): two reads deadlock only when a writer queues between them.
fn written_in_file(cx: &Cx, place: &str) -> bool {
    let name = place.rsplit(['.', ':']).next().unwrap_or(place);
    [
        "write()",
        "write_owned()",
        "try_write()",
        "upgradable_read()",
    ]
    .iter()
    .any(|w| cx.file.text.contains(&format!("{name}.{w}")))
}

/// When a guard's lock is taken: the end of its lock call, or for the place of an
/// assignment, after the value.
fn acquired_at(acq: &Acquisition) -> usize {
    match acq.binding {
        Some(_) => acq.range.end,
        None => acq.held_from.max(acq.range.end),
    }
}

fn same_family(a: LockKind, b: LockKind) -> bool {
    let rw = |k| matches!(k, LockKind::RwLockRead | LockKind::RwLockWrite);
    (a == LockKind::Mutex && b == LockKind::Mutex) || (rw(a) && rw(b))
}

fn rebound(cx: &Cx, body: &Block, place: &str, from: usize, to: usize) -> bool {
    let root = place_root(place);
    root != "self" && rebound_between(cx.file, body, root, from, to)
}

/// `state` for the place `self.state`.
fn self_field(place: &str) -> Option<&str> {
    place.strip_prefix("self.").filter(|f| !f.contains('.'))
}

fn lock_word(kind: LockKind) -> &'static str {
    match kind {
        LockKind::RwLockRead => "read",
        LockKind::RwLockWrite => "write",
        _ => "lock",
    }
}

/// What goes wrong when `place`, guarded by `first`, is locked again (`second`:
/// the kind of the new lock, if known).
fn consequence(first: &Acquisition, second: Option<LockKind>, place: &str) -> (Severity, String) {
    if first.kind == LockKind::RwLockRead && second.is_none() {
        return (
            Severity::Warning,
            format!("if it writes, it waits forever for this read guard; if it reads, it waits behind any writer that queued in between, and that writer waits for this guard: either way a deadlock once a write to `{place}` is involved"),
        );
    }
    if first.kind == LockKind::RwLockRead && second != Some(LockKind::RwLockWrite) {
        return (
            Severity::Warning,
            format!("a second read waits behind any writer that queued after the first read guard, and that writer waits for the first guard: as soon as a write to `{place}` comes in between, the two deadlock"),
        );
    }
    let lock = match first.kind {
        LockKind::Mutex => "a `Mutex` is not reentrant",
        _ => "an `RwLock` is not reentrant (a write waits for every reader, a read for the writer)",
    };
    let stuck = if first.asynchronous {
        "the task waits for a guard only it can release and never wakes"
    } else {
        "the thread blocks forever on a guard only it can release (std may panic instead)"
    };
    (
        Severity::Error,
        format!("{lock}, so {stuck}, and everything else that locks `{place}` queues behind it"),
    )
}

fn first_label(first: &Held) -> String {
    match &first.acq.binding {
        Some(g) => format!("`{g}` holds this guard of `{}` until the end of its block", first.place),
        None => "this temporary guard lives to the end of its statement (or through the whole `match`, `if let` or `while let`)".to_string(),
    }
}

fn end_first(first: &Held) -> String {
    match &first.acq.binding {
        Some(g) => format!("end `{g}` first (`drop({g});`, or a block around its use)"),
        None => "bind what you need from the first guard in a `let` statement of its own, so that it is released before the lock is taken again".to_string(),
    }
}

fn report_relock(cx: &mut Cx, first: &Held, second: &Held) {
    let place = &first.place;
    let word = lock_word(second.acq.kind);
    let (severity, why) = consequence(first.acq, Some(second.acq.kind), place);
    let message = format!(
        "`{place}` is locked again (`{word}()`) while this fn still holds a guard of it: {why}"
    );
    let use_it = match &first.acq.binding {
        Some(g) => format!(
            "use the guard you already hold (`{g}`) instead of locking `{place}` again, or "
        ),
        None => String::new(),
    };
    let d = Diagnostic::new(META.name, severity, second.acq.range, message)
        .with_label(format!("`{place}` locked again here"))
        .with_secondary(first.acq.range, first_label(first))
        .with_help(format!("{use_it}{}", end_first(first)));
    cx.report(d);
}

fn helper_diagnostic(cx: &Cx, first: &Held, call: &OwnCall, given: bool) -> Diagnostic {
    let place = &first.place;
    let name = &call.name;
    let (severity, why) = consequence(first.acq, None, place);
    let call_text = Some(one_line(cx.file, call.range))
        .filter(|t| t.chars().count() <= 60)
        .unwrap_or_else(|| format!("{name}(..)"));
    let message =
        format!("`{call_text}` locks `{place}` while this fn still holds a guard of it: {why}");
    let instead = if given {
        format!("the lock `{place}`")
    } else {
        "`&self`".to_string()
    };
    let help = match &first.acq.binding {
        Some(g) => {
            let lend = if first.acq.kind == LockKind::RwLockRead {
                "&"
            } else {
                "&mut "
            };
            format!("do the work through the guard you hold (give `{name}` the locked value, `{lend}*{g}`, instead of {instead}), or end `{g}` before the call (`drop({g});`, or a block around its use)")
        }
        None => format!("{} before calling `{call_text}`", end_first(first)),
    };
    let note = if given {
        format!("`{name}` locks the lock it is given, itself or through the fns it passes it to")
    } else {
        format!("`{name}` locks `{place}` itself or through the methods it calls")
    };
    Diagnostic::new(META.name, severity, call.range, message)
        .with_label(format!("locks `{place}` again"))
        .with_secondary(first.acq.range, first_label(first))
        .with_note(note)
        .with_help(help)
}
