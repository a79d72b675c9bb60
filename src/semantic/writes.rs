//! Futures that write: a fail-fast join (`try_join_all`, `try_join!`) that drops one
//! of them tears its work. Whether a future writes is read from names (write verbs in
//! its fn and method names) and SQL literals; futures held in locals are judged where
//! they are made, and followed through one fn body in source order.

use super::body::own_awaits;
use super::calls::{is_sql, sql_writes, string_literals, write_words};
use super::chain::{self, strip};
use super::handles::SpawnedHandles;
use super::macros::{parse_body, MacroBody};
use super::tasks::{async_block_of, spawn_call, spawn_fn_kind};
use super::Cx;
use crate::source::TextRange;
use rustc_hash::FxHashMap as HashMap;
use syn::{Expr, Pat, Stmt};

/// Fail-fast joins over a collection of futures.
pub const TRY_JOIN_ALL: &[&str] = &[
    "futures::future::try_join_all",
    "futures_util::future::try_join_all",
];

/// Fail-fast joins over a fixed list of futures: macros, then fns.
pub const TRY_JOIN_LIST: &[&str] = &[
    "tokio::try_join",
    "futures::try_join",
    "futures_util::try_join",
    "futures::future::try_join",
    "futures::future::try_join3",
    "futures::future::try_join4",
    "futures::future::try_join5",
    "futures_util::future::try_join",
    "futures_util::future::try_join3",
    "futures_util::future::try_join4",
    "futures_util::future::try_join5",
];

/// Words of [`super::calls::WRITE_LIKE_WORDS`] that do not write anything a dropped future could
/// leave half done: taking a lock, starting or stopping a service, spawning.
const NOT_WRITES: &[&str] = &["lock", "init", "start", "stop", "spawn", "subscribe"];

/// Request-builder methods of reads: `client.get(url).send()` sends a read.
const READ_REQUESTS: &[&str] = &["get", "head"];

/// Iterator adapters whose closure makes each element.
const ELEMENT_ADAPTERS: &[&str] = &["map", "flat_map", "filter_map"];

/// Locals holding futures, each judged where it is made: the future of
/// `let f = save(x);`, the elements of `let fs: Vec<_> = xs.iter().map(|x|
/// save(x)).collect();`, of `vec![..]` and of `fs.push(..)`. Each element is the write
/// it performs (where, for a label), or `None` for a future that does not write.
#[derive(Default, Debug)]
pub struct WriteFutures {
    held: HashMap<String, Vec<Option<Write>>>,
}

impl WriteFutures {
    /// `let f = save(x);`, `let fs: Vec<_> = xs.iter().map(..).collect();`.
    pub fn bind_local(&mut self, cx: &Cx, l: &syn::Local) {
        let name = match &l.pat {
            Pat::Ident(p) => p.ident.to_string(),
            Pat::Type(t) => match &*t.pat {
                Pat::Ident(p) => p.ident.to_string(),
                _ => return,
            },
            _ => return,
        };
        self.held.remove(&name);
        let Some(init) = l.init.as_ref().filter(|i| i.diverge.is_none()) else {
            return;
        };
        let init = strip(&init.expr);
        let held = match init {
            Expr::Async(_) | Expr::Call(_) => Some(vec![write_of(cx, init)]),
            Expr::MethodCall(m) if m.method == "collect" => {
                element_of_chain(init).map(|e| vec![write_of(cx, e)])
            }
            Expr::MethodCall(_) => Some(vec![write_of(cx, init)]),
            Expr::Array(_) | Expr::Macro(_) => listed(cx, init),
            _ => None,
        };
        let is_vec_new = matches!(init, Expr::Call(_))
            && chain::call_path(init)
                .and_then(|p| p.segments.last())
                .is_some_and(|s| s.ident == "new" || s.ident == "with_capacity");
        if is_vec_new {
            self.held.insert(name, Vec::new());
        } else if let Some(held) = held {
            self.held.insert(name, held);
        }
    }

    /// `futs.push(save(x))`.
    pub fn method_call(&mut self, cx: &Cx, m: &syn::ExprMethodCall) {
        if m.method != "push" || m.args.len() != 1 {
            return;
        }
        if let Some(name) = chain::path_ident(&m.receiver) {
            let judged = write_of(cx, &m.args[0]);
            if let Some(held) = self.held.get_mut(&name.to_string()) {
                held.push(judged);
            }
        }
    }

    /// The futures a fail-fast join over a collection runs, as far as the syntax
    /// shows them, each judged; `None` when it cannot tell, or when they are spawned
    /// tasks.
    pub fn elements(
        &self,
        cx: &Cx,
        handles: &SpawnedHandles,
        arg: &Expr,
    ) -> Option<Vec<Option<Write>>> {
        if handles.handle_arg(cx, arg).is_some() {
            return None;
        }
        let arg = match strip(arg) {
            Expr::Reference(r) => strip(&r.expr),
            a => a,
        };
        if let Some(name) = chain::path_ident(arg) {
            return self.held.get(&name.to_string()).cloned();
        }
        match arg {
            Expr::Array(_) | Expr::Macro(_) => listed(cx, arg),
            Expr::MethodCall(_) => element_of_chain(arg).map(|e| vec![write_of(cx, e)]),
            _ => None,
        }
    }

    /// One argument of a list join, judged: the future itself, or the one a local
    /// holds (`None` for a local holding several).
    pub fn future_arg(&self, cx: &Cx, arg: &Expr) -> Option<Option<Write>> {
        match chain::path_ident(strip(arg)).and_then(|n| self.held.get(&n.to_string())) {
            Some(held) if held.len() == 1 => Some(held[0].clone()),
            Some(_) => None,
            None => Some(write_of(cx, arg)),
        }
    }
}

/// The futures a list written in place holds, each judged by [`write_of`]: the
/// elements of `[a, b]` or of `vec![a, b]`.
fn listed(cx: &Cx, e: &Expr) -> Option<Vec<Option<Write>>> {
    match e {
        Expr::Array(a) => Some(a.elems.iter().map(|e| write_of(cx, e)).collect()),
        Expr::Macro(m) if m.mac.path.is_ident("vec") => match &*parse_body(&m.mac) {
            MacroBody::Exprs(elems) => Some(elems.iter().map(|e| write_of(cx, e)).collect()),
            _ => None,
        },
        _ => None,
    }
}

/// A future judged to write: where, for a label, and the crate fn the model must
/// confirm awaits a write (`db::debit(pool, ..)`, whose body runs an `UPDATE`), when
/// its name does not say so.
#[derive(Clone, Debug)]
pub struct Write {
    pub range: TextRange,
    pub ask: Option<super::callee::Callee>,
}

impl Write {
    fn known(range: TextRange) -> Write {
        Write { range, ask: None }
    }
}

/// The write a future performs, if it is one that writes (or may, through a crate fn).
pub fn write_of(cx: &Cx, fut: &Expr) -> Option<Write> {
    let fut = strip(fut);
    if spawn_call(cx, fut).is_some() {
        return None;
    }
    // `Box::pin(save(x))`
    if let Some(pinned) = chain::box_pinned(fut) {
        return write_of(cx, pinned);
    }
    if let Some(block) = async_block_of(fut) {
        let awaits = own_awaits(block);
        let known = awaits
            .iter()
            .find(|a| writes(&a.base) && !in_transaction(&a.base))
            .map(|a| Write::known(cx.range(&*a.base)));
        return known.or_else(|| awaits.iter().find_map(|a| asked(cx, &a.base)));
    }
    match fut {
        Expr::Call(_) | Expr::MethodCall(_) if in_transaction(fut) => None,
        Expr::Call(_) | Expr::MethodCall(_) if writes(fut) => Some(Write::known(cx.range(fut))),
        Expr::Call(_) | Expr::MethodCall(_) => asked(cx, fut),
        // A fn mapped over the items: `.map(tokio::fs::remove_file)`.
        Expr::Path(p) => {
            let spawner = cx.resolve(&p.path).and_then(|r| spawn_fn_kind(&r));
            let name = p.path.segments.last()?.ident.to_string();
            (spawner.is_none() && name_writes(&name, false)).then(|| Write::known(cx.range(fut)))
        }
        _ => None,
    }
}

/// A call of a crate fn whose name does not say it writes: the model is asked.
fn asked(cx: &Cx, call: &Expr) -> Option<Write> {
    let call = strip(call);
    if !matches!(call, Expr::Call(_) | Expr::MethodCall(_)) || in_transaction(call) {
        return None;
    }
    Some(Write {
        range: cx.range(call),
        ask: Some(cx.callee(call)?),
    })
}

/// Whether a call chain runs on a database transaction (`tx.put_report(..)`,
/// `txn.execute(..)`): the first error fails the transaction and it rolls back, so a
/// write dropped half-way leaves nothing behind.
fn in_transaction(base: &Expr) -> bool {
    let c = chain::chain(base);
    let Some(root) = chain::path_ident(c.root) else {
        return false;
    };
    let root = root.to_string();
    let transaction = matches!(root.as_str(), "tx" | "txn" | "trx" | "transaction")
        || root.ends_with("_txn")
        || root.ends_with("_transaction");
    // `tx.send(..)` is a channel's sender.
    transaction && !c.methods.iter().any(|m| m.method == "send")
}

/// The future each element of an iterator chain is: the body of its `map` closure
/// (`|x| save(x)`, `|x| async move { .. }`), or the fn it maps with
/// (`.map(tokio::fs::remove_file)`).
fn element_of_chain(e: &Expr) -> Option<&Expr> {
    let c = chain::chain(e);
    c.methods.iter().rev().find_map(|m| {
        if !ELEMENT_ADAPTERS.iter().any(|n| m.method == n) || m.args.len() != 1 {
            return None;
        }
        let closure = match strip(&m.args[0]) {
            Expr::Closure(closure) => closure,
            path @ Expr::Path(_) => return Some(path),
            _ => return None,
        };
        match strip(&closure.body) {
            Expr::Block(b) => match b.block.stmts.last() {
                Some(Stmt::Expr(tail, None)) => Some(tail),
                _ => None,
            },
            body => Some(body),
        }
    })
}

/// Whether a call chain writes: a SQL literal that writes (a SQL literal that only
/// reads decides the other way), or a write word in its fn or method names — not a
/// lock, a start or a spawn, and not `send` of a `get`/`head` request.
pub fn writes(base: &Expr) -> bool {
    let literals = string_literals(base);
    if literals.iter().any(|l| is_sql(l)) {
        return literals.iter().any(|l| sql_writes(l));
    }
    let c = chain::chain(base);
    let root = chain::call_path(c.root)
        .and_then(|p| p.segments.last())
        .map(|s| s.ident.to_string());
    let names: Vec<String> = c
        .methods
        .iter()
        .map(|m| m.method.to_string())
        .chain(root)
        .collect();
    // `client.request(Method::GET, url).send()`: a read request named by its method.
    let read_method = c.methods.iter().any(|m| {
        m.args.iter().any(|a| {
            matches!(chain::strip(a), Expr::Path(p) if {
                let s: Vec<String> = p.path.segments.iter().map(|s| s.ident.to_string()).collect();
                matches!(s.as_slice(), [.., m, v] if m == "Method" && (v == "GET" || v == "HEAD"))
            })
        })
    });
    let read_request = read_method || names.iter().any(|n| READ_REQUESTS.contains(&n.as_str()));
    names.iter().any(|n| name_writes(n, read_request))
}

/// Whether a snake_case fn or method name says it writes.
pub fn name_writes(name: &str, read_request: bool) -> bool {
    // `client.get(url).send()` sends a read request.
    write_words(name).any(|w| !(NOT_WRITES.contains(&w.as_str()) || read_request && w == "send"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(src: &str) -> Expr {
        syn::parse_str(src).unwrap()
    }

    #[test]
    fn calls_that_write_and_calls_that_read() {
        for w in [
            "store.save(x)",
            "write_file(primary, name, data)",
            "client.post(url).json(&body).send()",
            "self.request(Method::POST, path).send()",
            "tx.send(msg)",
            "sqlx::query(\"UPDATE t SET a = 1\").fetch_one(&pool)",
            "tokio::fs::remove_file(path)",
        ] {
            assert!(writes(&e(w)), "{w}");
        }
        for r in [
            "fetch_user(id)",
            "client.get(url).send()",
            "self.request(reqwest::Method::GET, path).send()",
            "sqlx::query(\"SELECT a FROM t\").execute(&pool)",
            "state.lock()",
            "server.start()",
            "listener.accept()",
        ] {
            assert!(!writes(&e(r)), "{r}");
        }
    }
}
