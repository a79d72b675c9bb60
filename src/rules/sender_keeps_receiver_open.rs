//! `sender-keeps-receiver-open`: a receive loop over a channel whose original sender
//! is still alive in the same fn, so the loop can never see the channel close.

use super::{FnNode, Group, Hooks, Rule, RuleMeta, TestCode};
use crate::diagnostic::{Diagnostic, Severity};
use crate::semantic::body::{async_body, loop_exits, NameUses};
use crate::semantic::channels::{channel_lets, drain_loop, drained_in_task};
use crate::semantic::ownership::still_owned;
use crate::semantic::Cx;
use crate::source::TextRange;
use syn::{Block, Expr, Stmt};

pub struct SenderKeepsReceiverOpen;

static META: RuleMeta = RuleMeta {
    name: "sender-keeps-receiver-open",
    severity: Severity::Error,
    group: Group::Correctness,
    tests: TestCode::Report,
    summary: "a receive loop waits for its channel to close, but the fn still holds the original sender: the loop never ends",
    doc: include_str!("../../rules/sender-keeps-receiver-open.md"),
};

impl Rule for SenderKeepsReceiverOpen {
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
    if !cx
        .file
        .block_mentions(body, &["channel", "bounded", "unbounded"])
    {
        return;
    }
    for c in channel_lets(cx, body) {
        check_channel(cx, c.rest, c.created, &c.sender, &c.receiver);
    }
}

fn check_channel(cx: &mut Cx, stmts: &[Stmt], created: TextRange, tx: &str, rx: &str) {
    // The loop in this fn, or in a task this fn then waits for.
    let (drain, task) = match drain_loop(cx, stmts, rx) {
        Some(lp) => (lp, None),
        None => match drained_in_task(cx, stmts, rx) {
            Some(t) => (t.drain, Some((t.spawned, t.joined))),
            None => return,
        },
    };
    if let Some(body) = drain.body {
        // The loop leaves another way: a count, a `break`, a `return`, a `select!` branch.
        let exits = loop_exits(body);
        if exits.breaks || exits.returns {
            return;
        }
        // The loop feeds the channel itself: whether it ends is another question.
        if NameUses::of_block(body).reads.contains(tx) {
            return;
        }
    }
    let waits_at = task.map_or(drain.header, |(_, joined)| joined);
    let Some(borrows) = still_owned(cx.file, stmts, tx, waits_at.start) else {
        return;
    };
    // A sender never cloned nor used is not a producer's: nothing says what it is for.
    let sends = borrows.calls.iter().find(|(_, m)| m.contains("send"));
    let Some(&producer) = borrows.clones.first().or(sends.map(|(r, _)| r)) else {
        return;
    };
    let receive = &drain.receive;
    let held = if borrows.clones.is_empty() {
        format!("`{tx}`, which it sent on")
    } else {
        format!("the original `{tx}`")
    };
    let after = if borrows.clones.is_empty() {
        "after the last message"
    } else {
        "once the producers finish and drop theirs"
    };
    let message = match (task, drain.body) {
        (Some(_), _) => format!("this waits for a task that reads the channel until every sender is gone, but this fn still holds {held}: {after}, {receive} in the task waits forever, and so does this wait"),
        (None, body) => {
            let (what, end) = match body {
                Some(_) => ("this loop", "the loop never ends"),
                None => ("this iteration", "this fn never gets past it"),
            };
            format!("{what} ends only when every sender of the channel is gone, but this fn still holds {held}: {after}, {receive} waits forever and {end}")
        }
    };
    let handed = if borrows.clones.is_empty() {
        "this fn sends on it, and keeps it"
    } else {
        "only a clone goes to a producer"
    };
    let (place, label) = match task {
        Some(_) => (
            "before waiting for the task",
            "waits for a task that waits for `{rx}` to close",
        ),
        None => (
            "before the loop",
            "waits for `{rx}` to close, which `{tx}` prevents",
        ),
    };
    let mut d = Diagnostic::new(META.name, META.severity, waits_at, message)
        .with_label(label.replace("{rx}", rx).replace("{tx}", tx))
        .with_secondary(
            created,
            format!("`{tx}` is created here and still alive at the wait"),
        );
    if task.is_some() {
        d = d.with_secondary(
            drain.header,
            format!("the task reads `{rx}` until every sender is gone"),
        );
    }
    d = d.with_secondary(producer, handed).with_help(if borrows.clones.is_empty() {
        format!("drop `{tx}` once this fn has sent its last message (`drop({tx});` {place})")
    } else {
        format!("drop the original sender once the producers have what they need (`drop({tx});` {place}), or move `{tx}` itself into the last producer instead of a clone")
    });
    cx.report(d);
}
