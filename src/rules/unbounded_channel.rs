//! `unbounded-channel`: a channel with no capacity limit, in code that uses async.

use super::{Rule, RuleMeta};
use crate::diagnostic::{Diagnostic, Severity};
use crate::semantic::chain::call_path;
use crate::semantic::Cx;
use syn::Expr;

pub struct UnboundedChannel;

static META: RuleMeta = RuleMeta {
    name: "unbounded-channel",
    severity: Severity::Warning,
    default_enabled: true,
    summary: "an unbounded channel never pushes back on a fast producer: the queue grows until memory runs out",
    doc: include_str!("../../rules/unbounded-channel.md"),
};

/// How the bounded form of a channel is written and what its sender does when full.
#[derive(Clone, Copy)]
enum Bounded {
    /// Same module, another fn name, async `send(..).await` that waits for room.
    Async(&'static str, &'static str),
    /// The bounded form blocks the sending thread: suggest an async channel instead.
    Blocking(&'static str),
}

/// Unbounded channel constructors, by full path.
const UNBOUNDED: &[(&str, Bounded)] = &[
    (
        "tokio::sync::mpsc::unbounded_channel",
        Bounded::Async("channel", "tx.send(msg).await"),
    ),
    (
        "futures::channel::mpsc::unbounded",
        Bounded::Async("channel", "tx.send(msg).await"),
    ),
    (
        "futures_channel::mpsc::unbounded",
        Bounded::Async("channel", "tx.send(msg).await"),
    ),
    (
        "async_channel::unbounded",
        Bounded::Async("bounded", "tx.send(msg).await"),
    ),
    (
        "async_std::channel::unbounded",
        Bounded::Async("bounded", "tx.send(msg).await"),
    ),
    (
        "smol::channel::unbounded",
        Bounded::Async("bounded", "tx.send(msg).await"),
    ),
    (
        "flume::unbounded",
        Bounded::Async("bounded", "tx.send_async(msg).await"),
    ),
    (
        "kanal::unbounded_async",
        Bounded::Async("bounded_async", "tx.send(msg).await"),
    ),
    ("kanal::unbounded", Bounded::Blocking("kanal::bounded")),
    (
        "crossbeam_channel::unbounded",
        Bounded::Blocking("crossbeam_channel::bounded"),
    ),
    (
        "crossbeam::channel::unbounded",
        Bounded::Blocking("crossbeam::channel::bounded"),
    ),
    (
        "std::sync::mpsc::channel",
        Bounded::Blocking("std::sync::mpsc::sync_channel"),
    ),
];

impl Rule for UnboundedChannel {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_expr(&self, cx: &mut Cx, expr: &Expr) {
        if !cx.file.has_async || !matches!(expr, Expr::Call(_)) {
            return;
        }
        let Some(path) = cx.call_path(expr) else {
            return;
        };
        let Some((_, bounded)) = UNBOUNDED.iter().find(|(p, _)| *p == path) else {
            return;
        };
        // The callee as written, without turbofish: `mpsc::unbounded_channel`.
        let segments: Vec<String> = call_path(expr)
            .map(|p| p.segments.iter().map(|s| s.ident.to_string()).collect())
            .unwrap_or_default();
        let written = segments.join("::");
        // The module to name the bounded constructor in: as written, or in full for a
        // name imported on its own (`unbounded_channel()`).
        let module = match segments.split_last() {
            Some((_, module)) if !module.is_empty() => module.join("::"),
            _ => path
                .rsplit_once("::")
                .map_or(String::new(), |(m, _)| m.to_string()),
        };
        let help = match bounded {
            Bounded::Async(name, send) => format!("use a bounded channel, `{module}::{name}(CAP)`: `{send}` then waits while CAP messages are queued, so a fast producer slows down to the consumer's pace; if dropping messages is acceptable, make that an explicit policy (`try_send` and count what is dropped) rather than letting the queue grow"),
            Bounded::Blocking(sync) => format!("use a bounded channel with an async send, `tokio::sync::mpsc::channel(CAP)` (`tx.send(msg).await` waits while CAP messages are queued); `{sync}(CAP)` blocks the sending thread when full, which is right only when the sender runs on its own thread; if dropping messages is acceptable, make that an explicit policy (`try_send` and count what is dropped)"),
        };
        let d = Diagnostic::new(
            META.name,
            META.severity,
            cx.range(expr),
            format!("`{written}` creates a channel with no capacity limit: when the producer outpaces the consumer, messages pile up in memory until the process runs out of it, and nothing ever slows the producer down"),
        )
        .with_label("unbounded queue")
        .with_help(help);
        cx.report(d);
    }
}
