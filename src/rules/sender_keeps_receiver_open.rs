//! `sender-keeps-receiver-open`: a receive loop over a channel whose original sender
//! is still alive in the same fn, so the loop can never see the channel close.

use super::{FnNode, Group, Hooks, Rule, RuleMeta, TestCode};
use crate::diagnostic::{Diagnostic, Severity};
use crate::semantic::body::{async_body, loop_exits, NameUses};
use crate::semantic::channels::{channel_lets, drain_loop};
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
    let Some(lp) = drain_loop(cx, stmts, rx) else {
        return;
    };
    if let Some(body) = lp.body {
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
    let Some(borrows) = still_owned(cx.file, stmts, tx, lp.header.start) else {
        return;
    };
    // A sender never cloned nor used is not a producer's: nothing says what it is for.
    let sends = borrows.calls.iter().find(|(_, m)| m.contains("send"));
    let Some(&producer) = borrows.clones.first().or(sends.map(|(r, _)| r)) else {
        return;
    };
    let receive = &lp.receive;
    let (what, end) = match lp.body {
        Some(_) => ("this loop", "the loop never ends"),
        None => ("this iteration", "this fn never gets past it"),
    };
    let (message, handed) = if borrows.clones.is_empty() {
        (
            format!("{what} ends only when every sender of the channel is gone, but this fn still holds `{tx}`, which it sent on: after the last message, {receive} waits forever and {end}"),
            "this fn sends on it, and keeps it",
        )
    } else {
        (
            format!("{what} ends only when every sender of the channel is gone, but this fn still holds the original `{tx}`: once the producers finish and drop theirs, {receive} waits forever and {end}"),
            "only a clone goes to a producer",
        )
    };
    let d = Diagnostic::new(META.name, META.severity, lp.header, message)
        .with_label(format!("waits for `{rx}` to close, which `{tx}` prevents"))
        .with_secondary(created, format!("`{tx}` is created here and still alive at the loop"))
        .with_secondary(producer, handed)
        .with_help(if borrows.clones.is_empty() {
            format!("drop `{tx}` once this fn has sent its last message (`drop({tx});` before the loop)")
        } else {
            format!("drop the original sender once the producers have what they need (`drop({tx});` before the loop), or move `{tx}` itself into the last producer instead of a clone")
        });

    cx.report(d);
}
