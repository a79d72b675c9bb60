//! Expressions that make a future: an `async` block, a call of a library fn known to
//! be async, or a call of a fn the checked code defines (async if the crate index says
//! so), and iterator chains that collect such futures.

use super::calls::{is_known_async_fn, is_std_method_name};
use super::chain::strip;
use super::index::FnKey;
use super::Cx;
use syn::{Expr, ExprClosure, ExprMethodCall};

/// Why an expression is (or may be) a future.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FutureSource {
    /// `async { .. }` / `async move { .. }`.
    AsyncBlock,
    /// A library fn known to be async, by its full path.
    Known(String),
    /// A fn or method of the checked code: a future if the crate index says the name
    /// and arity are async (and not ambiguous).
    Indexed(FnKey),
    /// `Type::method(&value, ..)`: an associated fn with these arguments, or a method
    /// called with its receiver as the first argument.
    IndexedPath { free: FnKey, method: FnKey },
    /// `self.events.send(..)` on a field this file does not declare: a future if the
    /// crate declares the field with one of these runtime types, whose method of this
    /// name is async.
    FieldTyped(Vec<&'static str>),
}

/// What makes the future in `expr`, if anything can: `expr` itself is an async block,
/// a call or a method call (not awaited, not `?`-ed, nothing called on its result).
///
/// A method whose name a std type also has (`insert`, `send`, `write`, ...) is never
/// taken for the checked code's method, and a path that resolves into another crate
/// (`redis::Client::open`) is not the checked code's fn unless a table knows it.
pub fn future_source(cx: &Cx, expr: &Expr) -> Option<FutureSource> {
    match strip(expr) {
        Expr::Async(_) => Some(FutureSource::AsyncBlock),
        Expr::Call(c) => match strip(&c.func) {
            // `f(x)` where `f` is a local or a parameter: a closure, not a fn item.
            Expr::Path(p) if p.path.get_ident().is_some_and(|i| is_local(cx, i)) => None,
            Expr::Path(p) if p.qself.is_none() => fn_source(cx, &p.path, c.args.len()),
            _ => None,
        },
        Expr::MethodCall(m) => method_source(cx, m),
        _ => None,
    }
}

fn is_local(cx: &Cx, ident: &syn::Ident) -> bool {
    cx.binding(&ident.to_string()).is_some()
}

/// A fn path called with `arity` arguments (or passed as a mapper: `.map(save)`).
fn fn_source(cx: &Cx, path: &syn::Path, arity: usize) -> Option<FutureSource> {
    let name = path.segments.last()?.ident.to_string();
    let n = path.segments.len();
    let on_type = n >= 2
        && path.segments[n - 2]
            .ident
            .to_string()
            .starts_with(|c: char| c.is_ascii_uppercase());
    let free = FnKey {
        name: name.clone(),
        arity,
        is_method: false,
    };
    match cx.resolve(path) {
        Some(full) if is_known_async_fn(&full) => Some(FutureSource::Known(full)),
        Some(full) if !is_checked_code_path(&full) && !in_own_lib(cx, &full) => None,
        _ if on_type && arity > 0 => Some(FutureSource::IndexedPath {
            free,
            method: FnKey {
                name,
                arity: arity - 1,
                is_method: true,
            },
        }),
        _ => Some(FutureSource::Indexed(free)),
    }
}

/// Whether a resolved path may name a fn of the checked code: it goes through
/// `crate`/`self`/`super`, or starts with a type name that no `use` introduced (a
/// glob import). A path rooted in a crate name (`std::..`, `sqlx::query`) does not.
fn is_checked_code_path(full: &str) -> bool {
    let root = full.split("::").next().unwrap_or("");
    matches!(root, "crate" | "self" | "super" | "Self")
        || root.chars().next().is_some_and(char::is_uppercase)
}

/// Whether a resolved path leads into the library of the file's own package
/// (`svc::audit::record` in `src/main.rs` or `tests/` of package `svc`), or of a
/// package it depends on by path or from its workspace (`common::db::flush_all`):
/// checked code.
fn in_own_lib(cx: &Cx, full: &str) -> bool {
    let root = full.split("::").next().unwrap_or("");
    let linked = cx.file.linked.iter().any(|l| l == root);
    (cx.file.lib_name.as_deref() == Some(root) || linked) && full.contains("::")
}

fn method_source(cx: &Cx, m: &ExprMethodCall) -> Option<FutureSource> {
    let name = m.method.to_string();
    // A method on a value another crate made (`Command::new("kill").status()`, also
    // through a local) is that crate's method, not the checked code's.
    let root = super::chain::chain(&m.receiver).root;
    let root_call = cx
        .call_path(root)
        .or_else(|| cx.receiver_origin(root).and_then(|o| o.root_call.clone()));
    // `Arc::new(repo)` shares the value: its methods are the value's.
    let shares = |p: &str| super::types::shares_value(p.rsplit("::"));
    if root_call.is_some_and(|p| !is_checked_code_path(&p) && !shares(&p)) {
        return None;
    }
    // The configuration's async methods (another crate's `publish`).
    let configured = cx
        .options
        .async_methods
        .iter()
        .any(|c| c == &name || c.rsplit_once("::").is_some_and(|(_, n)| n == name));
    if configured {
        return Some(FutureSource::Known(name));
    }
    // A receiver of a declared type: an async method of a runtime type
    // (`tx.send(v)` on a `tokio::sync::mpsc::Sender`), or a type the file defines,
    // whose method is the checked code's whatever its name.
    let declared = super::types::declared_type(cx.file, cx.scopes, &m.receiver);
    if let Some(ty) = &declared {
        if let Some((_, methods)) = ASYNC_TYPE_METHODS.iter().find(|(t, _)| t == ty) {
            return methods
                .contains(&name.as_str())
                .then(|| FutureSource::Known(format!("{ty}::{name}")));
        }
    }
    let local_type = declared.as_ref().is_some_and(|t| cx.file.uses.is_local(t));
    if is_std_method_name(&name) && !local_type {
        // A field declared in another file: the model knows its type.
        let types: Vec<&'static str> = ASYNC_TYPE_METHODS
            .iter()
            .filter(|(_, methods)| methods.contains(&name.as_str()))
            .map(|(t, _)| *t)
            .collect();
        let field = matches!(strip(&m.receiver), Expr::Field(_));
        return (declared.is_none() && field && !types.is_empty())
            .then_some(FutureSource::FieldTyped(types));
    }
    Some(FutureSource::Indexed(FnKey {
        name,
        arity: m.args.len(),
        is_method: true,
    }))
}

/// Async methods of runtime types, recognised on receivers declared with the type:
/// calling one without awaiting it does nothing.
const ASYNC_TYPE_METHODS: &[(&str, &[&str])] = &[
    ("tokio::sync::mpsc::Sender", &["send", "reserve", "closed"]),
    ("tokio::sync::mpsc::UnboundedReceiver", &["recv"]),
    ("tokio::sync::mpsc::Receiver", &["recv"]),
    ("tokio::sync::Mutex", &["lock"]),
    ("tokio::sync::RwLock", &["read", "write"]),
    ("tokio::sync::Semaphore", &["acquire", "acquire_many"]),
    ("tokio::sync::Notify", &["notified"]),
    ("tokio::sync::broadcast::Receiver", &["recv"]),
    ("tokio::sync::watch::Receiver", &["changed"]),
];

/// The future a closure returns: its body is an async block or a future-making call
/// (also as the only expression of a block), or the closure is itself `async`.
pub fn closure_future<'a>(cx: &Cx, c: &'a ExprClosure) -> Option<(&'a Expr, FutureSource)> {
    if c.asyncness.is_some() {
        return Some((&c.body, FutureSource::AsyncBlock));
    }
    let mut body = strip(&c.body);
    while let Expr::Block(b) = body {
        match b.block.stmts.as_slice() {
            [syn::Stmt::Expr(tail, None)] if b.label.is_none() => body = strip(tail),
            _ => return None,
        }
    }
    future_source(cx, body).map(|s| (body, s))
}

/// `items.iter().map(|id| store.delete(id)).collect()`: futures built and gathered.
pub struct CollectedFutures<'a> {
    /// The iterator `.map` is called on.
    pub items: &'a Expr,
    /// The argument of `.map`: a closure or a fn path.
    pub mapper: &'a Expr,
    /// The expression in the mapper that makes each future (the mapper itself for a
    /// fn path).
    pub call: &'a Expr,
    pub source: FutureSource,
}

/// Recognises `<iter>.map(<mapper>).collect()` where each call of the mapper makes a
/// future. A collect into a `JoinSet` (which spawns what it collects) is not one.
pub fn collected_futures<'a>(cx: &Cx, expr: &'a Expr) -> Option<CollectedFutures<'a>> {
    let Expr::MethodCall(collect) = strip(expr) else {
        return None;
    };
    if collect.method != "collect" || !collect.args.is_empty() {
        return None;
    }
    if let Some(turbofish) = &collect.turbofish {
        if mentions_ident(quote::ToTokens::to_token_stream(turbofish), "JoinSet") {
            return None;
        }
    }
    let Expr::MethodCall(map) = strip(&collect.receiver) else {
        return None;
    };
    if map.method != "map" || map.args.len() != 1 {
        return None;
    }
    let mapper = &map.args[0];
    let (call, source) = match strip(mapper) {
        Expr::Closure(c) => closure_future(cx, c)?,
        Expr::Path(p) if p.path.get_ident().is_some_and(|i| is_local(cx, i)) => return None,
        e @ Expr::Path(p) if p.qself.is_none() => (e, fn_source(cx, &p.path, 1)?),
        _ => return None,
    };
    Some(CollectedFutures {
        items: &map.receiver,
        mapper,
        call,
        source,
    })
}

/// Whether a token stream mentions `ident` anywhere (types, turbofish arguments).
pub fn mentions_ident(ts: proc_macro2::TokenStream, ident: &str) -> bool {
    ts.into_iter().any(|tt| match tt {
        proc_macro2::TokenTree::Ident(i) => i == ident,
        proc_macro2::TokenTree::Group(g) => mentions_ident(g.stream(), ident),
        _ => false,
    })
}

/// The fn or method name of a call (`delete` for `store.delete(id)`), or of a fn path.
pub fn callee_name(e: &Expr) -> String {
    let last = |p: &syn::Path| p.segments.last().map(|s| s.ident.to_string());
    match strip(e) {
        Expr::Call(c) => match strip(&c.func) {
            Expr::Path(p) => last(&p.path),
            _ => None,
        },
        Expr::MethodCall(m) => Some(m.method.to_string()),
        Expr::Path(p) => last(&p.path),
        _ => None,
    }
    .unwrap_or_default()
}
