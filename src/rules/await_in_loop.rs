//! `await-in-loop`: independent calls awaited one per iteration of a `for` loop.

use super::{Rule, RuleMeta};
use crate::diagnostic::{Diagnostic, Severity};
use crate::semantic::body::{call_of, loop_exits, loop_source, AwaitedCall, LoopSource, NameUses};
use crate::semantic::calls::{is_one_connection, is_read_like, is_sequential_op, JOIN_COMBINATORS};
use crate::semantic::chain::{self, strip};
use crate::semantic::iteration::{awaits_in_expr, iteration, Iteration};
use crate::semantic::Cx;
use syn::spanned::Spanned;
use syn::visit::Visit;
use syn::{Expr, ExprForLoop};

pub struct AwaitInLoop;

static META: RuleMeta = RuleMeta {
    name: "await-in-loop",
    severity: Severity::Warning,
    default_enabled: true,
    summary: "a `for` loop awaits independent calls one after another: N items take N round-trips",
    doc: include_str!("../../rules/await-in-loop.md"),
};

/// Awaited anywhere in the iteration, these pace the loop on purpose (a delay between
/// requests, a rate limiter, giving other tasks a turn): sequential by design.
const PACING: &[&str] = &[
    "sleep",
    "sleep_until",
    "delay_for",
    "delay_until",
    "tick",
    "until_ready",
    "until_key_ready",
    "yield_now",
];

/// Awaited before a call, these hold a lock or permit while it runs: the calls are
/// serialized by that lock anyway.
const SERIALIZING: &[&str] = &[
    "lock",
    "lock_owned",
    "acquire",
    "acquire_owned",
    "acquire_many",
    "acquire_many_owned",
];

/// Effects whose order other parties observe (subscribers, a log, a schema): items
/// must not overtake each other. Matched as a verb or a `verb_` prefix.
const ORDERED_EFFECTS: &[&str] = &[
    "publish",
    "emit",
    "notify",
    "append",
    "broadcast",
    "apply",
    "migrate",
    "replay",
    "commit",
    "ack",
    "nack",
    "dispatch",
    "enqueue",
    "on",
    "handle",
    "send_message",
    "register",
    "mount",
    "log",
    "trace",
    "debug",
    "info",
    "warn",
    "error",
];

/// Get-or-create operations: run together for two items that map to the same key,
/// both miss and both create. Matched anywhere in the name.
const RACY_CREATE: &[&str] = &["or_create", "or_insert", "upsert"];

/// Future adapters that wrap the future they are called on without starting work.
const FUTURE_ADAPTERS: &[&str] = &[
    "instrument",
    "in_current_span",
    "boxed",
    "boxed_local",
    "fuse",
];

/// Words naming items that form a sequence to apply in order: a loop over
/// `operations`, `events`, `migrations`, `cmd` replays a history, whatever the calls.
/// Matched against the `_`-separated words of the loop variables and the iterable,
/// singular or plural.
const ORDERED_ITEMS: &[&str] = &[
    "op",
    "operation",
    "event",
    "command",
    "cmd",
    "migration",
    "change",
    "update",
    "patch",
    "mutation",
    "message",
    "msg",
    "statement",
    "stmt",
    "action",
    "step",
    "instruction",
    "delta",
    "diff",
    "edit",
    "transaction",
    "txn",
    "job",
];

/// Iterator adapters that cut the collection into batches: a batch per iteration is
/// deliberate load control.
const BATCHING: &[&str] = &["chunks", "chunks_exact", "rchunks", "windows", "chunks_mut"];

impl Rule for AwaitInLoop {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_expr(&self, cx: &mut Cx, expr: &Expr) {
        let Expr::ForLoop(f) = expr else {
            return;
        };
        if !cx.in_async() || cx.select_depth > 0 || loop_source(&f.expr) == LoopSource::Range {
            return;
        }
        // `.rev()`: the author chose the order (children before parents, newest first).
        let reversed = chain::chain(&f.expr)
            .methods
            .last()
            .is_some_and(|m| m.method == "rev");
        if reversed || names_an_ordered_sequence(cx, f) {
            return;
        }
        let batched = chain::chain(&f.expr)
            .methods
            .iter()
            .any(|m| BATCHING.contains(&m.method.to_string().as_str()));
        // A `break` or `return` ends the loop on some result: a first-success search.
        let exits = loop_exits(&f.body);
        if batched || exits.breaks || exits.returns {
            return;
        }
        let it = iteration(f);
        // `handle.await` on the loop variable: the loop collects work that already runs.
        let drains = it.awaits.iter().any(|a| {
            chain::path_ident(unwrap_adapters(&a.base))
                .is_some_and(|i| it.loop_vars.contains(&i.to_string()))
        });
        let calls: Vec<AwaitedCall> = it
            .awaits
            .iter()
            .filter_map(|a| call_of(unwrap_adapters(&a.base)))
            .filter_map(through_timeout)
            .collect();
        let in_order = |c: &AwaitedCall| {
            PACING.contains(&c.name.as_str())
                || is_read_like(&c.name, ORDERED_EFFECTS)
                || RACY_CREATE.iter().any(|r| c.name.contains(r))
        };
        if drains || calls.iter().any(in_order) || dispatches_on_item(&f.body, &it) {
            return;
        }
        for call in &calls {
            if SERIALIZING.contains(&call.name.as_str()) || call.name.starts_with("lock_") {
                return;
            }
            if independent(cx, &it, call) {
                report(cx, f, &it, call);
                return;
            }
        }
    }
}

/// Whether `call` could run for every item at once: it takes its input from the loop
/// variable, reads nothing the loop changes, and does not use one mutable value, one
/// connection or transaction, or `&mut self` in turn.
fn independent(cx: &Cx, it: &Iteration, call: &AwaitedCall) -> bool {
    // `client.get(url).send()` is a request, not a channel send.
    let request_send = call.name == "send"
        && call.args.is_empty()
        && call
            .receiver
            .is_some_and(|r| matches!(strip(r), Expr::MethodCall(_)));
    // Waiting for a condition costs the longest wait, in order or not.
    let waits = call.name.starts_with("wait_");
    if (is_sequential_op(&call.name) && !request_send)
        || waits
        || JOIN_COMBINATORS.contains(&call.name.as_str())
    {
        return false;
    }
    // `shard.is_local()`, `collection.state()`: an accessor of the item itself.
    let accessor = call.args.is_empty()
        && call
            .receiver
            .and_then(chain::path_ident)
            .is_some_and(|i| it.from_item.contains(&i.to_string()));
    let uses = NameUses::of_expr(call.call);
    let from_outside = |n: &String| !it.declared.contains(n);
    // A `let mut` value, a `&mut` parameter, one connection or transaction, or a
    // handle taken from one (`let store = tx.object_store(name)?`).
    let one_at_a_time = |n: &String| {
        from_outside(n)
            && cx.binding(n).is_some_and(|o| {
                o.mutable
                    || is_one_connection(n, o.ty.as_deref())
                    || o.root_binding.as_deref().is_some_and(|r| {
                        cx.binding(r)
                            .is_some_and(|ro| ro.mutable || is_one_connection(r, ro.ty.as_deref()))
                    })
            })
    };
    !accessor
        && uses.reads.iter().any(|n| it.from_item.contains(n))
        && !uses.reads.iter().any(|n| it.carried.contains(n))
        && !uses.mut_borrows.iter().any(from_outside)
        && !uses.reads.iter().any(one_at_a_time)
}

/// Whether the body `match`es on the item and awaits in two or more arms: it
/// interprets records (`Create(x) => save(x).await`, `Delete(id) => remove(id).await`),
/// and a log of records is applied in order.
fn dispatches_on_item(body: &syn::Block, it: &Iteration) -> bool {
    struct M<'i> {
        it: &'i Iteration<'i>,
        found: bool,
    }
    impl<'ast> Visit<'ast> for M<'_> {
        fn visit_expr_match(&mut self, m: &'ast syn::ExprMatch) {
            let on_item = NameUses::of_expr(&m.expr)
                .reads
                .iter()
                .any(|n| self.it.from_item.contains(n));
            let awaiting_arms = m
                .arms
                .iter()
                .filter(|a| !awaits_in_expr(&a.body).is_empty())
                .count();
            self.found |= on_item && awaiting_arms >= 2;
            syn::visit::visit_expr_match(self, m);
        }
        fn visit_expr_closure(&mut self, _: &'ast syn::ExprClosure) {}
        fn visit_expr_async(&mut self, _: &'ast syn::ExprAsync) {}
        fn visit_item(&mut self, _: &'ast syn::Item) {}
    }
    let mut m = M { it, found: false };
    m.visit_block(body);
    m.found
}

/// Whether the loop variables or the iterable are named as a sequence of operations,
/// events or commands: `for op in ops`, `for event in pending_events`.
fn names_an_ordered_sequence(cx: &Cx, f: &ExprForLoop) -> bool {
    let mut words = String::from(cx.text(&cx.file.range(f.pat.span())));
    words.push(' ');
    words.push_str(cx.text(&*f.expr));
    words
        .split(|c: char| !c.is_alphanumeric())
        .map(str::to_ascii_lowercase)
        .any(|w| ORDERED_ITEMS.contains(&singular(&w).as_str()))
}

/// `operations` → `operation`, `patches` → `patch`, `entries` → `entry`.
fn singular(word: &str) -> String {
    if let Some(stem) = word.strip_suffix("ies") {
        return format!("{stem}y");
    }
    if let Some(stem) = word
        .strip_suffix("es")
        .filter(|s| ORDERED_ITEMS.contains(s))
    {
        return stem.to_string();
    }
    word.strip_suffix('s').unwrap_or(word).to_string()
}

/// `fut.instrument(span)` → `fut`: the future under adapters that only wrap it.
fn unwrap_adapters(mut e: &Expr) -> &Expr {
    while let Expr::MethodCall(m) = strip(e) {
        if !FUTURE_ADAPTERS.contains(&m.method.to_string().as_str()) {
            break;
        }
        e = &m.receiver;
    }
    strip(e)
}

/// The future a deadline wraps, `timeout(d, fut)` or `fut.timeout(d)`: the work is
/// that future's. `None` when it is not a call (a future built earlier).
fn through_timeout(call: AwaitedCall) -> Option<AwaitedCall> {
    if call.name != "timeout" && call.name != "with_timeout" {
        return Some(call);
    }
    match (call.receiver, call.args.as_slice()) {
        (None, [_, fut]) => call_of(fut),
        (Some(fut), [_]) => call_of(fut),
        _ => Some(call),
    }
}

fn report(cx: &mut Cx, f: &ExprForLoop, it: &Iteration, call: &AwaitedCall) {
    let pat = one_line(cx.text(&cx.file.range(f.pat.span())));
    let iter = one_line(cx.text(&*f.expr));
    let call_text = one_line(cx.text(call.call));
    let iter_short = shorten(&iter);
    let call_short = shorten(&call_text);
    // The call can be the closure body when it uses only the loop variables.
    let uses = NameUses::of_expr(call.call);
    let only_item = !uses
        .reads
        .iter()
        .any(|n| it.from_item.contains(n) && !it.loop_vars.contains(n));
    // `|url| http.get(&url)` would return a borrow of the closure's own argument.
    let borrows_item = it
        .loop_vars
        .iter()
        .any(|v| call_text.contains(&format!("&{v}")));
    let mapped = if only_item && !borrows_item && call_short == call_text {
        call_short.clone()
    } else {
        "async move { /* this iteration's work */ }".to_string()
    };
    let d = Diagnostic::new(
        META.name,
        META.severity,
        cx.range(call.call),
        format!(
            "`{call_short}` is awaited once per item of `{iter_short}`, each call waiting for the one before: N independent calls take N round-trips instead of about one"
        ),
    )
    .with_label("awaited one item at a time")
    .with_secondary(cx.range(&*f.expr), format!("loop over `{iter_short}` here"))
    .with_help(format!(
        "start the calls together: `stream::iter({iter}).map(|{pat}| {mapped}).buffer_unordered(16)` (`futures::StreamExt`; `buffered` keeps the order), or `futures::future::join_all` for a handful; keep the loop only if each call must see the previous one's effect",
        iter = shorten(&iter),
    ));
    cx.report(d);
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Long text cut at its first argument list: `client.get(..)`.
fn shorten(s: &str) -> String {
    const MAX: usize = 48;
    if s.chars().count() <= MAX {
        return s.to_string();
    }
    match s.find('(') {
        Some(i) if i <= MAX => format!("{}(..)", &s[..i]),
        _ => format!("{}..", s.chars().take(MAX).collect::<String>()),
    }
}
