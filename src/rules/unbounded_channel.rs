//! `unbounded-channel`: a channel with no capacity limit, in code that uses async.

use super::{FnNode, Group, Hooks, Rule, RuleMeta, TestCode};
use crate::diagnostic::{Diagnostic, Severity};
use crate::semantic::body::may_await;
use crate::semantic::chain::{call_path, strip};
use crate::semantic::index::{IndexQuery, ModelQuery};
use crate::semantic::macros::{parse_body, MacroBody};
use crate::semantic::uses::{local_uses, LocalUses};
use crate::semantic::Cx;
use crate::source::TextRange;
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use syn::visit::{self, Visit};
use syn::{Block, Expr, Pat, Stmt};

pub struct UnboundedChannel;

static META: RuleMeta = RuleMeta {
    name: "unbounded-channel",
    severity: Severity::Warning,
    group: Group::Resources,
    tests: TestCode::Skip,
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

/// Methods that put one message into a channel.
const SENDS: &[&str] = &[
    "send",
    "unbounded_send",
    "send_async",
    "send_blocking",
    "try_send",
    "start_send",
];

/// Methods that take one message out of a channel.
const RECVS: &[&str] = &[
    "recv",
    "recv_async",
    "recv_timeout",
    "blocking_recv",
    "try_recv",
    "next",
];

impl Rule for UnboundedChannel {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }
    fn hooks(&self) -> Hooks {
        Hooks::FN
    }

    fn check_fn(&self, cx: &mut Cx, f: &FnNode) {
        if !cx.file.has_async {
            return;
        }
        if !cx.file.block_mentions(f.body, &["unbounded", "channel"]) {
            return;
        }
        let mut finder = Finder {
            cx,
            found: Vec::new(),
            single: HashSet::default(),
            messages: HashMap::default(),
        };
        finder.visit_block(f.body);
        let Finder {
            found,
            single,
            mut messages,
            ..
        } = finder;
        for (range, path, segments) in found {
            if single.contains(&range) {
                continue;
            }
            let d = diagnostic(range, &path, &segments);
            // A queue of requests holds at most one per sender waiting for its reply.
            match messages.remove(&range) {
                Some(Message::ReplySender | Message::Unit) => {}
                Some(Message::Named(lib, ty)) => {
                    let krate = cx.file.krate;
                    let request = IndexQuery::Model(ModelQuery::CarriesReply { krate, lib, ty });
                    cx.report_if(IndexQuery::Not(Box::new(request)), d);
                }
                None => cx.report(d),
            }
        }
    }
}

/// Finds the unbounded channel constructors of a fn body, and those whose sender
/// carries at most one message (a oneshot in all but name).
struct Finder<'c, 'a> {
    cx: &'c Cx<'a>,
    /// Range, resolved path and path as written of each constructor call.
    found: Vec<(TextRange, String, Vec<String>)>,
    single: HashSet<TextRange>,
    /// The message type of a constructor's channel, where the fn names it: the
    /// library that defines it when another package does, and its name.
    messages: HashMap<TextRange, Message>,
}

impl Finder<'_, '_> {
    fn constructor(&self, e: &Expr) -> Option<(TextRange, String, Vec<String>)> {
        if !matches!(strip(e), Expr::Call(_)) {
            return None;
        }
        let path = self.cx.call_path(e)?;
        UNBOUNDED.iter().any(|(p, _)| *p == path).then(|| {
            let segments = call_path(e)
                .map(|p| p.segments.iter().map(|s| s.ident.to_string()).collect())
                .unwrap_or_default();
            (self.cx.range(strip(e)), path, segments)
        })
    }
}

/// Whether a sender carries a fixed number of messages: never used, only dropped, or
/// every use is a send made once, outside any loop (`spawn(move || tx.send(r))`,
/// `tx.send(Started); ..; tx.send(Done)`): the queue never holds more than that.
fn sends_once(u: &LocalUses) -> bool {
    u.mentions == u.drops || used_once(u, SENDS) || fixed_sends(u)
}

fn fixed_sends(u: &LocalUses) -> bool {
    !u.in_opaque_macro
        && !u.calls.is_empty()
        && u.mentions - u.drops == u.calls.len()
        && u.calls
            .iter()
            .all(|(m, repeats)| !repeats && SENDS.contains(&m.as_str()))
}

/// Whether a receiver is read only by `select!` branches (`m = rx.recv() => ..`) whose
/// handlers, like every other branch of their `select!`, never await: each message is
/// taken the moment it arrives (typically moved into a `FuturesUnordered`), so the
/// channel stays empty — what grows, if anything, is that collection.
fn taken_at_once(rest: &[Stmt], rx: &str, uses: &LocalUses) -> bool {
    if uses.in_opaque_macro || uses.mentions == uses.drops {
        return false;
    }
    let mut v = Selects {
        rx,
        branches: 0,
        waits: false,
    };
    rest.iter().for_each(|s| v.visit_stmt(s));
    !v.waits && v.branches > 0 && v.branches == uses.mentions - uses.drops
}

/// The `select!` branches that read a receiver, and whether any handler of their
/// `select!`s awaits.
struct Selects<'n> {
    rx: &'n str,
    branches: usize,
    waits: bool,
}

impl<'ast> Visit<'ast> for Selects<'_> {
    fn visit_macro(&mut self, m: &'ast syn::Macro) {
        let body = parse_body(m);
        let MacroBody::Select(branches) = &*body else {
            return;
        };
        let reads = |e: &Expr| match strip(e) {
            Expr::MethodCall(mc) => {
                RECVS.contains(&mc.method.to_string().as_str())
                    && crate::semantic::chain::receiver_ident(&mc.receiver)
                        .is_some_and(|i| i == self.rx)
            }
            _ => false,
        };
        let here = branches
            .iter()
            .filter(|b| b.future.as_ref().is_some_and(reads))
            .count();
        if here > 0 {
            self.branches += here;
            self.waits |= branches.iter().any(|b| may_await(&b.handler));
        }
    }
    fn visit_item(&mut self, _: &'ast syn::Item) {}
}

/// Whether a receiver takes exactly one message, outside any loop, and is then
/// dropped: whatever else is sent after that is refused, not queued.
fn receives_once(u: &LocalUses) -> bool {
    used_once(u, RECVS)
}

fn used_once(u: &LocalUses, ops: &[&str]) -> bool {
    !u.in_opaque_macro
        && u.mentions - u.drops == 1
        && matches!(u.calls.as_slice(), [(m, false)] if ops.contains(&m.as_str()))
}

impl<'ast> Visit<'ast> for Finder<'_, '_> {
    fn visit_block(&mut self, b: &'ast Block) {
        for (i, stmt) in b.stmts.iter().enumerate() {
            if let Stmt::Local(l) = stmt {
                let ctor = l
                    .init
                    .as_ref()
                    .and_then(|init| self.constructor(&init.expr));
                if let Some((range, ..)) = &ctor {
                    if let Some(ty) = message_type(self.cx, &l.pat, &l.init, &b.stmts[i + 1..]) {
                        self.messages.insert(*range, ty);
                    }
                }
                if let (Some((range, ..)), Pat::Tuple(t)) = (ctor, &l.pat) {
                    let rest = &b.stmts[i + 1..];
                    let named = |p: Option<&Pat>| match p {
                        Some(Pat::Ident(name)) => {
                            let name = name.ident.to_string();
                            let uses = local_uses(rest, &name);
                            Some((name, uses))
                        }
                        _ => None,
                    };
                    let (tx, rx) = (t.elems.first(), t.elems.iter().nth(1));
                    // `let (tx, _) = unbounded()`: with its receiver dropped at once, the
                    // channel refuses every send.
                    let one = matches!(tx, Some(Pat::Wild(_)))
                        || matches!(rx, Some(Pat::Wild(_)))
                        || named(tx).is_some_and(|(_, u)| sends_once(&u))
                        || named(rx).is_some_and(|(rx, u)| {
                            receives_once(&u) || taken_at_once(rest, &rx, &u)
                        });
                    if one {
                        self.single.insert(range);
                    }
                }
            }
            self.visit_stmt(stmt);
        }
    }

    fn visit_expr(&mut self, e: &'ast Expr) {
        if let Some(found) = self.constructor(e) {
            self.found.push(found);
        }
        // `unbounded_channel().0`: the other half is dropped at once, so every send
        // is refused (or nothing is ever sent): nothing can queue.
        if let Expr::Field(f) = e {
            if let (Some((range, ..)), syn::Member::Unnamed(_)) =
                (self.constructor(&f.base), &f.member)
            {
                self.single.insert(range);
            }
        }
        stacker::maybe_grow(64 * 1024, 1024 * 1024, || visit::visit_expr(self, e));
    }

    fn visit_macro(&mut self, m: &'ast syn::Macro) {
        if let MacroBody::Exprs(exprs) = &*parse_body(m) {
            exprs.iter().for_each(|e| self.visit_expr(e));
        }
    }

    fn visit_item(&mut self, _: &'ast syn::Item) {}
}

/// What a channel carries, as far as its bound goes.
enum Message {
    /// A reply's sender, as the whole message (`unbounded::<oneshot::Sender<T>>()`).
    ReplySender,
    /// `()`: a signal that carries no data, whose queue costs next to nothing.
    Unit,
    /// A type, with the library that defines it when another package does.
    Named(Option<String>, String),
}

/// The type of the messages a channel carries, as the fn names it: the constructor's
/// turbofish (`unbounded_channel::<Job>()`), the binding's declared type, or the
/// declared type of the struct field the sender or the receiver is stored in
/// (`Self { tx }`, with `tx: UnboundedSender<Job>`). With the library that defines it,
/// when the file imports it from another crate.
fn message_type(
    cx: &Cx,
    pat: &Pat,
    init: &Option<syn::LocalInit>,
    rest: &[Stmt],
) -> Option<Message> {
    let named = |p: &syn::Path| {
        if crate::model::messages::is_reply_sender_path(p, cx.file) {
            return Some(Message::ReplySender);
        }
        Some(Message::Named(
            cx.library_of(p),
            p.segments.last()?.ident.to_string(),
        ))
    };
    let turbofish = init.as_ref().and_then(|i| match strip(&i.expr) {
        Expr::Call(c) => match &*c.func {
            Expr::Path(p) => p.path.segments.last(),
            _ => None,
        },
        _ => None,
    });
    if turbofish.is_some_and(carries_unit) {
        return Some(Message::Unit);
    }
    if let Some(p) = turbofish.and_then(type_argument) {
        return named(p);
    }
    let (pat, declared) = match pat {
        Pat::Type(t) => (&*t.pat, Some(&*t.ty)),
        p => (p, None),
    };
    if let Some(syn::Type::Tuple(t)) = declared {
        if t.elems
            .iter()
            .any(|e| last_segment(e).is_some_and(carries_unit))
        {
            return Some(Message::Unit);
        }
        if let Some(p) = t.elems.iter().find_map(element_type) {
            return named(p);
        }
    }
    let Pat::Tuple(t) = pat else { return None };
    let names: Vec<String> = t
        .elems
        .iter()
        .filter_map(|p| match p {
            Pat::Ident(i) => Some(i.ident.to_string()),
            _ => None,
        })
        .collect();
    let mut stored = StoredIn {
        names: &names,
        fields: Vec::new(),
    };
    rest.iter().for_each(|s| stored.visit_stmt(s));
    stored.fields.iter().find_map(|field| {
        let written = cx.file.field_types.get(field)?;
        let ty = syn::parse_str::<syn::Type>(written).ok()?;
        if last_segment(&ty).is_some_and(carries_unit) {
            return Some(Message::Unit);
        }
        element_type(&ty).and_then(named)
    })
}

/// The last segment of a type's path: `UnboundedSender<Job>` in `mpsc::UnboundedSender<Job>`.
fn last_segment(ty: &syn::Type) -> Option<&syn::PathSegment> {
    match ty {
        syn::Type::Path(p) if p.qself.is_none() => p.path.segments.last(),
        _ => None,
    }
}

/// Whether a segment's first type argument is `()`: `unbounded_channel::<()>`,
/// `UnboundedSender<()>`.
fn carries_unit(seg: &syn::PathSegment) -> bool {
    let syn::PathArguments::AngleBracketed(a) = &seg.arguments else {
        return false;
    };
    a.args.iter().find_map(|g| match g {
        syn::GenericArgument::Type(t) => {
            Some(matches!(t, syn::Type::Tuple(t) if t.elems.is_empty()))
        }
        _ => None,
    }) == Some(true)
}

/// The first type argument of a path segment, a path: `Job` in `UnboundedSender<Job>`.
fn type_argument(seg: &syn::PathSegment) -> Option<&syn::Path> {
    let syn::PathArguments::AngleBracketed(a) = &seg.arguments else {
        return None;
    };
    a.args.iter().find_map(|g| match g {
        syn::GenericArgument::Type(syn::Type::Path(p)) if p.qself.is_none() => Some(&p.path),
        _ => None,
    })
}

/// What a sender or receiver type carries: `Job` in `mpsc::UnboundedSender<Job>`.
fn element_type(ty: &syn::Type) -> Option<&syn::Path> {
    match ty {
        syn::Type::Path(p) if p.qself.is_none() => type_argument(p.path.segments.last()?),
        _ => None,
    }
}

/// The struct fields the given locals are stored in: `Self { tx }`, `Actor { inbox: rx }`.
struct StoredIn<'n> {
    names: &'n [String],
    fields: Vec<String>,
}

impl<'ast> Visit<'ast> for StoredIn<'_> {
    fn visit_expr_struct(&mut self, s: &'ast syn::ExprStruct) {
        for f in &s.fields {
            if let (syn::Member::Named(field), Expr::Path(p)) = (&f.member, strip(&f.expr)) {
                if p.path
                    .get_ident()
                    .is_some_and(|i| self.names.iter().any(|n| i == n))
                {
                    self.fields.push(field.to_string());
                }
            }
        }
        visit::visit_expr_struct(self, s);
    }

    fn visit_item(&mut self, _: &'ast syn::Item) {}
}

fn diagnostic(range: TextRange, path: &str, segments: &[String]) -> Diagnostic {
    let Some((_, bounded)) = UNBOUNDED.iter().find(|(p, _)| *p == path) else {
        unreachable!("only table entries are found");
    };
    // The callee as written, without turbofish: `mpsc::unbounded_channel`.
    let written = segments.join("::");
    // The module to name the bounded constructor in: as written, or in full for a name
    // imported on its own (`unbounded_channel()`).
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
    let message = format!("`{written}` creates a channel with no capacity limit: when the producer outpaces the consumer, messages pile up in memory until the process runs out of it, and nothing ever slows the producer down");
    Diagnostic::new(META.name, META.severity, range, message)
        .with_label("unbounded queue")
        .with_help(help)
}
