//! `lock-reentry`: a lock taken again, directly or through a method of the crate,
//! while a guard of the same lock is still alive.

use super::{FnNode, Group, Hooks, Rule, RuleMeta, TestCode};
use crate::diagnostic::{Diagnostic, Severity};
use crate::semantic::body::async_body;
use crate::semantic::guards::{
    all_acquisitions, compact, lock_place, one_line, own_calls, self_field, static_place,
    Acquisition, HeldLock, HeldLocks, LockKind, OwnCall,
};
use crate::semantic::index::{IndexQuery, ModelQuery};
use crate::semantic::Cx;
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

fn check_body(cx: &mut Cx, body: &Block) {
    let lock_calls = ["lock(", "read()", "write()", "lock_owned", "_owned()"];
    if !cx.file.block_mentions(body, &lock_calls) || deadlock_is_the_subject(cx) {
        return;
    }
    let acqs = all_acquisitions(cx, body);
    if acqs.is_empty() {
        return;
    }
    let locks = HeldLocks::of(cx, body, &acqs);
    for (first, second) in locks.relocks(cx, body) {
        report_relock(cx, &locks.held[first], &locks.held[second], body);
    }
    // A fn of the crate, called while the guard is alive, that locks the same lock: a
    // method that locks the same field of `self`, or a fn given the lock.
    for call in own_calls(cx, body) {
        let Some(callee) = cx.callee(call.call) else {
            continue;
        };
        let mut asked: Vec<&str> = Vec::new();
        for first in locks.alive_at(cx, call.range) {
            if asked.contains(&first.place.as_str()) {
                continue;
            }
            let mut queries = Vec::new();
            if let (true, Some(field)) = (call.on_self, self_field(&first.place)) {
                let field = field.to_string();
                let callee = callee.clone();
                queries.push(IndexQuery::Model(ModelQuery::Locks { callee, field }));
            }
            // A `static`: any fn of the crate may lock it.
            if let Some(field) = static_place(&first.place) {
                let callee = callee.clone();
                queries.push(IndexQuery::Model(ModelQuery::Locks { callee, field }));
            }
            let given = call
                .args
                .iter()
                .position(|a| lock_place(&compact(cx.file, a)).as_ref() == Some(&first.place));
            if let Some(arg) = given {
                let callee = callee.clone();
                queries.push(IndexQuery::Model(ModelQuery::LocksArg { callee, arg }));
            }
            if queries.is_empty() {
                continue;
            }
            asked.push(&first.place);
            let d = helper_diagnostic(cx, first, &call, given.is_some() && !call.on_self);
            cx.report_if(IndexQuery::Any(queries), d);
        }
    }
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

fn first_label(first: &HeldLock) -> String {
    match &first.acq.binding {
        Some(g) => format!("`{g}` holds this guard of `{}` until the end of its block", first.place),
        None => "this temporary guard lives to the end of its statement (or through the whole `match`, `if let` or `while let`)".to_string(),
    }
}

fn end_first(first: &HeldLock) -> String {
    match &first.acq.binding {
        Some(g) => format!("end `{g}` first (`drop({g});`, or a block around its use)"),
        None => "bind what you need from the first guard in a `let` statement of its own, so that it is released before the lock is taken again".to_string(),
    }
}

/// Whether this is a test of the deadlock itself (a deadlock detector's test, named
/// for it): the reentry is what the test makes happen.
fn deadlock_is_the_subject(cx: &Cx) -> bool {
    cx.in_test_code()
        && cx
            .enclosing_fn
            .is_some_and(|f| f.key.name.contains("deadlock"))
}

/// Whether `place` is an `RwLock` this fn creates and no other thread or task can
/// reach (the fn spawns nothing): no writer can queue between two reads of it.
fn private_rwlock(cx: &Cx, place: &str, body: &Block) -> bool {
    if !place.chars().all(|c| c.is_alphanumeric() || c == '_') {
        return false;
    }
    let text = cx.file.slice(cx.file.range(body.brace_token.span.join()));
    let created = text
        .match_indices(&format!("let {place} = "))
        .any(|(at, _)| {
            let init = &text[at..];
            let init = &init[..init.find(';').unwrap_or(init.len())];
            init.contains("RwLock::new(") || init.contains("RwLock::default(")
        });
    created && !text.contains("spawn") && !text.contains("scope(")
}

fn report_relock(cx: &mut Cx, first: &HeldLock, second: &HeldLock, body: &Block) {
    let place = &first.place;
    let reads = first.acq.kind == LockKind::RwLockRead && second.acq.kind == LockKind::RwLockRead;
    if reads && private_rwlock(cx, place, body) {
        return;
    }
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

fn helper_diagnostic(cx: &Cx, first: &HeldLock, call: &OwnCall, given: bool) -> Diagnostic {
    let place = &first.place;
    let name = &call.name;
    let (severity, why) = consequence(first.acq, None, place);
    let call_text = Some(one_line(cx.file, call.range))
        .filter(|t| t.chars().count() <= 60)
        .unwrap_or_else(|| format!("{name}(..)"));
    let message =
        format!("`{call_text}` locks `{place}` while this fn still holds a guard of it: {why}");
    let is_static = static_place(place).is_some();
    let instead = if given {
        format!("the lock `{place}`")
    } else if is_static {
        format!("letting it lock `{place}`")
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
    } else if is_static {
        format!("`{name}` locks `{place}` itself or through the fns it calls")
    } else {
        format!("`{name}` locks `{place}` itself or through the methods it calls")
    };
    Diagnostic::new(META.name, severity, call.range, message)
        .with_label(format!("locks `{place}` again"))
        .with_secondary(first.acq.range, first_label(first))
        .with_note(note)
        .with_help(help)
}
