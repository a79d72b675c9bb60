//! Channels created in a fn body, and the loops that read one until it closes.

use super::body::pattern_names;
use super::chain::{self, path_ident, strip};
use super::guards::{expr_range, unwraps};
use super::Cx;
use crate::source::TextRange;
use syn::visit::{self, Visit};
use syn::{Block, Expr, Pat, Stmt};

/// Channel constructors returning `(sender, receiver)`.
const CHANNELS: &[&str] = &[
    "tokio::sync::mpsc::channel",
    "tokio::sync::mpsc::unbounded_channel",
    "tokio::sync::broadcast::channel",
    "std::sync::mpsc::channel",
    "std::sync::mpsc::sync_channel",
    "futures::channel::mpsc::channel",
    "futures::channel::mpsc::unbounded",
    "futures_channel::mpsc::channel",
    "futures_channel::mpsc::unbounded",
    "crossbeam_channel::bounded",
    "crossbeam_channel::unbounded",
    "crossbeam::channel::bounded",
    "crossbeam::channel::unbounded",
    "flume::bounded",
    "flume::unbounded",
    "async_channel::bounded",
    "async_channel::unbounded",
    "async_std::channel::bounded",
    "async_std::channel::unbounded",
    "smol::channel::bounded",
    "smol::channel::unbounded",
];

/// Receive calls that yield `None` (or `Err`) only once every sender is gone.
const RECEIVES: &[&str] = &["recv", "recv_async", "next"];

/// A channel created in a body by `let (tx, rx) = channel(..);`.
pub struct ChannelLet<'a> {
    /// The statements after the `let`, in its block.
    pub rest: &'a [Stmt],
    /// The constructor call.
    pub created: TextRange,
    pub sender: String,
    pub receiver: String,
}

/// The channels `body` creates with a `let` of its own (not in closures or async
/// blocks), from the constructors of the usual channel crates, resolved through `use`.
pub fn channel_lets<'a>(cx: &Cx, body: &'a Block) -> Vec<ChannelLet<'a>> {
    let mut lets = ChannelLets {
        cx,
        found: Vec::new(),
    };
    lets.visit_block(body);
    lets.found
}

struct ChannelLets<'c, 'a, 'ast> {
    cx: &'c Cx<'a>,
    found: Vec<ChannelLet<'ast>>,
}

impl<'ast> Visit<'ast> for ChannelLets<'_, '_, 'ast> {
    fn visit_block(&mut self, b: &'ast Block) {
        for (i, stmt) in b.stmts.iter().enumerate() {
            if let Stmt::Local(l) = stmt {
                let init = l.init.as_ref().map(|init| &*init.expr);
                let ctor = init.and_then(|e| self.cx.call_path(e));
                if let (Some(init), Some(ctor), Some((tx, rx))) = (init, ctor, pair(&l.pat)) {
                    if CHANNELS.contains(&ctor.as_str()) {
                        let created = expr_range(self.cx.file, init);
                        self.found.push(ChannelLet {
                            rest: &b.stmts[i + 1..],
                            created,
                            sender: tx,
                            receiver: rx,
                        });
                    }
                }
            }
            self.visit_stmt(stmt);
        }
    }
    fn visit_expr(&mut self, e: &'ast Expr) {
        match e {
            Expr::Async(_) | Expr::Closure(_) => {}
            _ => stacker::maybe_grow(64 * 1024, 1024 * 1024, || visit::visit_expr(self, e)),
        }
    }
    fn visit_item(&mut self, _: &'ast syn::Item) {}
}

/// The sender and receiver names of `(tx, rx)` / `(mut tx, mut rx)`.
fn pair(pat: &Pat) -> Option<(String, String)> {
    let Pat::Tuple(t) = crate::semantic::body::untyped(pat) else {
        return None;
    };
    let name = |p: &Pat| match crate::semantic::body::untyped(p) {
        Pat::Ident(i) if i.subpat.is_none() => Some(i.ident.to_string()),
        _ => None,
    };
    match (t.elems.first(), t.elems.get(1), t.elems.len()) {
        (Some(a), Some(b), 2) => Some((name(a)?, name(b)?)),
        _ => None,
    }
}

/// A loop (or a consumed iterator) that ends only when the channel closes: its header,
/// its body, and the receive it waits on, as a message says it.
pub struct DrainLoop<'a> {
    pub header: TextRange,
    /// `None` for an iterator consumed by a call (`rx.iter().sum()`).
    pub body: Option<&'a Block>,
    pub receive: String,
}

/// The first loop over `rx` in `stmts` (not in closures or async blocks) that ends only
/// when the channel closes: `while let Some(x) = rx.recv().await`, `rx.next().await`,
/// `while let Ok(x) = rx.recv()`, `for x in rx` / `rx.iter()` / `&rx`. `None` when
/// `rx` is bound again first.
pub fn drain_loop<'a>(cx: &Cx, stmts: &'a [Stmt], rx: &str) -> Option<DrainLoop<'a>> {
    let mut f = F {
        cx,
        rx,
        rebound: false,
        found: None,
    };
    for stmt in stmts {
        f.visit_stmt(stmt);
        if f.found.is_some() || f.rebound {
            break;
        }
    }
    f.found
}

/// [`drain_loop`] in a closure whose body is one expression (`move ||
/// rx.into_iter().count()`).
fn drain_expr<'a>(cx: &Cx, e: &'a Expr, rx: &str) -> Option<DrainLoop<'a>> {
    let mut f = F {
        cx,
        rx,
        rebound: false,
        found: None,
    };
    f.visit_expr(e);
    f.found
}

/// Finds the first loop (or consuming call) that drains `rx`, until `rx` is rebound.
struct F<'c, 'f, 'a> {
    cx: &'c Cx<'f>,
    rx: &'c str,
    rebound: bool,
    found: Option<DrainLoop<'a>>,
}
impl<'a> Visit<'a> for F<'_, '_, 'a> {
    fn visit_expr(&mut self, e: &'a Expr) {
        if self.found.is_some() || self.rebound {
            return;
        }
        match e {
            Expr::Async(_) | Expr::Closure(_) => {}
            Expr::While(w) => {
                if let Expr::Let(l) = strip(&w.cond) {
                    if let Some(receive) = receive_call(self.cx, &l.expr, self.rx) {
                        if unwraps(&l.pat) {
                            let start = self.cx.file.start_of(w.while_token.span);
                            let end = expr_range(self.cx.file, &l.expr).end;
                            self.found = Some(DrainLoop {
                                header: TextRange::new(start, end),
                                body: Some(&w.body),
                                receive,
                            });
                            return;
                        }
                    }
                }
                visit::visit_expr(self, e)
            }
            Expr::ForLoop(f) if iterates(&f.expr, self.rx) => {
                let start = self.cx.file.start_of(f.for_token.span);
                let end = expr_range(self.cx.file, &f.expr).end;
                self.found = Some(DrainLoop {
                    header: TextRange::new(start, end),
                    body: Some(&f.body),
                    receive: format!("the iteration over `{}`", self.rx),
                });
            }
            Expr::MethodCall(_) | Expr::Await(_) if consumes(e, self.rx) => {
                let receive = self.cx.short_text(e).map_or_else(
                    || format!("the iteration over `{}`", self.rx),
                    |t| format!("`{t}`"),
                );
                self.found = Some(DrainLoop {
                    header: expr_range(self.cx.file, e),
                    body: None,
                    receive,
                });
            }
            _ => stacker::maybe_grow(64 * 1024, 1024 * 1024, || visit::visit_expr(self, e)),
        }
    }
    fn visit_local(&mut self, l: &'a syn::Local) {
        visit::visit_local(self, l);
        let mut names = Default::default();
        pattern_names(&l.pat, &mut names);
        self.rebound |= names.contains(self.rx);
    }
    fn visit_item(&mut self, _: &'a syn::Item) {}
}

/// A task or thread that drains the channel, and the point where the fn waits for it:
/// `let h = tokio::spawn(async move { while let Some(x) = rx.recv().await { .. } });`
/// then `h.await` (or `h.join()` for a thread) in the statements after it.
pub struct DrainTask<'a> {
    pub drain: DrainLoop<'a>,
    /// The task's spawn call.
    pub spawned: TextRange,
    /// `h.await`, `h.join()`.
    pub joined: TextRange,
}

/// The first task among `stmts` (spawned with `let h = spawn(..)`, the future or
/// closure written in the call) whose body drains `rx`, and the first wait for it
/// after that.
pub fn drained_in_task<'a>(cx: &Cx, stmts: &'a [Stmt], rx: &str) -> Option<DrainTask<'a>> {
    for (i, stmt) in stmts.iter().enumerate() {
        let Stmt::Local(l) = stmt else { continue };
        let (Some(init), Pat::Ident(h)) = (&l.init, crate::semantic::body::untyped(&l.pat)) else {
            continue;
        };
        let drain = match spawned_body(cx, &init.expr) {
            Some(Ok(body)) => drain_loop(cx, &body.stmts, rx),
            Some(Err(body)) => drain_expr(cx, body, rx),
            None => continue,
        };
        let Some(drain) = drain else {
            continue;
        };
        let joined = wait_for(cx, &stmts[i + 1..], &h.ident.to_string())?;
        let spawned = expr_range(cx.file, &init.expr);
        return Some(DrainTask {
            drain,
            spawned,
            joined,
        });
    }
    None
}

/// The body of the task or thread a spawn call starts: `tokio::spawn(async move {
/// .. })`, `std::thread::spawn(move || { .. })`, `spawn_blocking(move || { .. })`; a
/// closure whose body is one expression as `Err` (`spawn_blocking(move ||
/// rx.iter().count())`).
fn spawned_body<'a>(cx: &Cx, e: &'a Expr) -> Option<Result<&'a Block, &'a Expr>> {
    let Expr::Call(c) = strip(e) else {
        return None;
    };
    let path = cx.call_path(e)?;
    let spawns = super::tasks::spawn_fn_kind(&path).is_some() || path == "std::thread::spawn";
    if !spawns || c.args.len() != 1 {
        return None;
    }
    match strip(&c.args[0]) {
        Expr::Async(a) => Some(Ok(&a.block)),
        Expr::Closure(cl) => match strip(&cl.body) {
            Expr::Block(b) => Some(Ok(&b.block)),
            body => Some(Err(body)),
        },
        _ => None,
    }
}

/// Where `stmts` first wait for the task `h`: `h.await` or `h.join()`, not in closures
/// or async blocks.
fn wait_for(cx: &Cx, stmts: &[Stmt], h: &str) -> Option<TextRange> {
    struct W<'c, 'f> {
        cx: &'c Cx<'f>,
        h: &'c str,
        found: Option<TextRange>,
    }
    impl<'a> Visit<'a> for W<'_, '_> {
        fn visit_expr(&mut self, e: &'a Expr) {
            if self.found.is_some() {
                return;
            }
            let waits = match e {
                Expr::Await(a) => path_ident(&a.base).is_some_and(|i| i == self.h),
                Expr::MethodCall(m) => {
                    m.method == "join" && path_ident(&m.receiver).is_some_and(|i| i == self.h)
                }
                _ => false,
            };
            match e {
                _ if waits => self.found = Some(expr_range(self.cx.file, e)),
                Expr::Async(_) | Expr::Closure(_) => {}
                _ => stacker::maybe_grow(64 * 1024, 1024 * 1024, || visit::visit_expr(self, e)),
            }
        }
        fn visit_item(&mut self, _: &'a syn::Item) {}
    }
    let mut w = W { cx, h, found: None };
    for stmt in stmts {
        w.visit_stmt(stmt);
    }
    w.found
}

/// `rx.recv().await`, `rx.next().await`, `rx.recv_async().await`, `rx.recv()`: the
/// call as written.
fn receive_call(cx: &Cx, e: &Expr, rx: &str) -> Option<String> {
    let call = match strip(e) {
        Expr::Await(a) => strip(&a.base),
        e => e,
    };
    let Expr::MethodCall(m) = call else {
        return None;
    };
    let on_rx = chain::receiver_ident(&m.receiver).is_some_and(|i| i == rx);
    let receives = m.args.is_empty() && RECEIVES.iter().any(|r| m.method == r);
    // A blocking `recv()` returns a `Result`; `next()` needs an `.await`.
    let awaited = matches!(strip(e), Expr::Await(_));
    (on_rx && receives && (awaited || m.method == "recv"))
        .then(|| format!("`{}`", cx.text_one_line(call)))
}

/// Adapters that pass every item on.
const ADAPTERS: &[&str] = &[
    "map",
    "filter",
    "filter_map",
    "inspect",
    "enumerate",
    "flat_map",
    "flatten",
    "cloned",
    "copied",
    "map_while",
    "chunks",
    "ready_chunks",
];

/// Calls that consume every item.
const CONSUMERS: &[&str] = &[
    "collect",
    "sum",
    "count",
    "for_each",
    "fold",
    "last",
    "max",
    "min",
    "product",
    "max_by_key",
    "min_by_key",
    "unzip",
    "partition",
    "concat",
];

/// `rx.iter().sum()`, `rx.into_iter().collect()`, `rx.collect::<Vec<_>>().await`,
/// through item-by-item adapters: the chain reads until the channel closes.
fn consumes(e: &Expr, rx: &str) -> bool {
    let c = chain::chain(e);
    let on_rx = chain::receiver_ident(c.root).is_some_and(|i| i == rx);
    let Some((last, rest)) = c.methods.split_last() else {
        return false;
    };
    let rest = match rest.split_first() {
        Some((first, tail)) if first.method == "iter" || first.method == "into_iter" => tail,
        _ => rest,
    };
    on_rx
        && CONSUMERS.iter().any(|m| last.method == m)
        && rest.iter().all(|m| ADAPTERS.iter().any(|a| m.method == a))
}

/// `rx`, `&rx`, `rx.iter()`, `rx.into_iter()`: every message until the channel closes.
fn iterates(e: &Expr, rx: &str) -> bool {
    let e = match strip(e) {
        Expr::Reference(r) => strip(&r.expr),
        e => e,
    };
    match e {
        Expr::MethodCall(m)
            if m.args.is_empty() && (m.method == "iter" || m.method == "into_iter") =>
        {
            path_ident(&m.receiver).is_some_and(|i| i == rx)
        }
        e => path_ident(e).is_some_and(|i| i == rx),
    }
}
