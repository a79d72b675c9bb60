//! What the recorder reads off single expressions: addresses, `self` places, the
//! operations an await or a call performs.

use super::{At, DATA_LOSS_METHODS};
use crate::semantic::callee::crate_path;
use crate::semantic::chain::{self, strip};
use crate::semantic::scope::Scopes;
use crate::semantic::FileInfo;
use syn::Expr;

pub(super) fn addr(e: &Expr) -> usize {
    e as *const Expr as usize
}

/// Whether a place or value is reached from `self`: `self.a.b`, `self.a.lock().b`.
pub(super) fn rooted_at_self(e: &Expr) -> bool {
    let mut cur = strip(e);
    for _ in 0..64 {
        cur = match cur {
            Expr::Field(f) => strip(&f.base),
            Expr::MethodCall(m) => strip(&m.receiver),
            Expr::Index(i) => strip(&i.expr),
            Expr::Unary(u) => strip(&u.expr),
            Expr::Reference(r) => strip(&r.expr),
            Expr::Try(t) => strip(&t.expr),
            Expr::Await(a) => strip(&a.base),
            Expr::Path(p) => return p.path.is_ident("self"),
            _ => return false,
        };
    }
    false
}

pub(super) fn is_self(e: &Expr) -> bool {
    matches!(strip(e), Expr::Path(p) if p.path.is_ident("self"))
}

/// `self.state` in `self.state.lock()` (also through `&`, `.as_ref()`, `.clone()`).
pub(super) fn self_field(e: &Expr) -> Option<String> {
    match strip(e) {
        Expr::Field(f) if is_self(&f.base) => match &f.member {
            syn::Member::Named(n) => Some(n.to_string()),
            syn::Member::Unnamed(i) => Some(i.index.to_string()),
        },
        Expr::Reference(r) => self_field(&r.expr),
        Expr::MethodCall(m)
            if m.args.is_empty()
                && matches!(m.method.to_string().as_str(), "as_ref" | "clone" | "deref") =>
        {
            self_field(&m.receiver)
        }
        _ => None,
    }
}

/// The `static` a lock is taken on, as the model names it (`::WORKERS` for
/// `WORKERS.lock()`, `crate::pool::WORKERS.lock()`): a path whose last segment is
/// written in capitals, as statics are.
pub(super) fn static_lock(e: &Expr) -> Option<String> {
    match strip(e) {
        Expr::Path(p) if p.qself.is_none() => {
            let last = p.path.segments.last()?.ident.to_string();
            crate::semantic::guards::static_place(&last)
        }
        Expr::Reference(r) => static_lock(&r.expr),
        _ => None,
    }
}

/// Whether a place is written through a lock or cell reached from `self`:
/// `*self.n.lock().unwrap()`, `self.state.write().await.field`.
pub(super) fn through_lock_on_self(place: &Expr) -> bool {
    let mut cur = strip(place);
    let mut locked = false;
    loop {
        match cur {
            Expr::Unary(u) => cur = strip(&u.expr),
            Expr::Field(f) => cur = strip(&f.base),
            Expr::Index(i) => cur = strip(&i.expr),
            Expr::Await(a) => cur = strip(&a.base),
            Expr::Try(t) => cur = strip(&t.expr),
            Expr::MethodCall(m) => {
                if matches!(
                    m.method.to_string().as_str(),
                    "lock" | "write" | "borrow_mut" | "get_mut"
                ) {
                    locked = true;
                }
                cur = strip(&m.receiver);
            }
            Expr::Path(p) => return locked && p.path.is_ident("self"),
            _ => return false,
        }
    }
}

/// Whether a `spawn` method's receiver is a set that owns its tasks (`JoinSet`,
/// `TaskTracker`): spawning into it detaches nothing.
pub(super) fn receiver_owns_tasks(at: &At, receiver: &Expr) -> bool {
    let text = at
        .file
        .slice(at.file.range(syn::spanned::Spanned::span(receiver)));
    let owns = |s: &str| {
        let s = s.to_ascii_lowercase();
        s.contains("joinset")
            || s.contains("tracker")
            || s.contains("join_set")
            || s.ends_with("set")
    };
    if owns(text) {
        return true;
    }
    let ty = match strip(receiver) {
        Expr::Path(p) => p
            .path
            .get_ident()
            .and_then(|i| at.scopes.lookup(&i.to_string()))
            .and_then(|o| o.ty.clone().or_else(|| o.root_call.clone())),
        Expr::Field(f) if is_self(&f.base) => match &f.member {
            syn::Member::Named(n) => at.file.fields.get(&n.to_string()).map(str::to_string),
            _ => None,
        },
        _ => None,
    };
    ty.is_some_and(|t| owns(&t))
}

/// The operation an awaited expression performs, if it loses data when cancelled.
pub(super) fn data_loss_op(at: &At, base: &Expr) -> Option<String> {
    match base {
        Expr::MethodCall(m) => {
            let name = m.method.to_string();
            let multi_byte = name.starts_with("read_")
                && m.args.is_empty()
                && [
                    "u16", "i16", "u32", "i32", "u64", "i64", "u128", "i128", "f32", "f64",
                ]
                .iter()
                .any(|t| name[5..].trim_end_matches("_le") == *t);
            (DATA_LOSS_METHODS
                .iter()
                .any(|(n, a)| name == *n && m.args.len() == *a)
                || multi_byte)
                .then_some(name)
        }
        Expr::Call(_) => {
            let p = chain::call_path(base).and_then(|p| at.file.uses.resolve(p))?;
            (p == "tokio::io::copy" || p == "tokio::io::copy_bidirectional").then_some(p)
        }
        _ => None,
    }
}

/// The path a callee would have, for rules that query the model with a crate path.
pub fn crate_path_of(file: &FileInfo, scopes: &Scopes, path: &syn::Path) -> Option<Vec<String>> {
    crate_path(&file.names(scopes), path)
}

/// The `block_on` a call makes, if it drives a future to completion on this thread: a
/// single-future executor (`futures::executor::block_on`, `pollster::block_on`) or
/// `block_on` on a tokio runtime or handle.
pub(super) fn drives_a_future(at: &At, e: &Expr, path: Option<&str>) -> Option<String> {
    use crate::semantic::tasks::is_single_future_executor;
    match e {
        Expr::Call(_) => path
            .filter(|p| is_single_future_executor(p) || p.ends_with("Runtime::block_on"))
            .map(str::to_string),
        Expr::MethodCall(m) if m.method == "block_on" && m.args.len() == 1 => {
            let root = chain::chain(&m.receiver).root;
            let is_root = |p: &str| {
                crate::semantic::tasks::is_tokio_runtime_root(p)
                    || crate::semantic::tasks::is_local_runtime_root(p)
            };
            let runtime = chain::call_path(root)
                .and_then(|p| at.file.uses.resolve(p))
                .is_some_and(|p| is_root(&p))
                || chain::receiver_ident(root)
                    .and_then(|i| at.scopes.lookup(&i.to_string()))
                    .is_some_and(|o| {
                        o.root_call.as_deref().is_some_and(is_root)
                            || o.ty.as_deref().is_some_and(|t| {
                                t == "tokio::runtime::Runtime" || t == "tokio::runtime::Handle"
                            })
                    });
            runtime.then(|| "Runtime::block_on".to_string())
        }
        _ => None,
    }
}

/// A channel operation, by the names channel ends go by: `tx.send(v)`,
/// `sender.send(v)`, `self.events_tx.send(v)`, `rx.recv()`, `receiver.recv()`.
pub(super) fn channel_op(m: &syn::ExprMethodCall) -> bool {
    let end = match strip(&m.receiver) {
        Expr::Field(f) => match &f.member {
            syn::Member::Named(n) => n.to_string(),
            syn::Member::Unnamed(_) => return false,
        },
        e => match chain::path_ident(e) {
            Some(i) => i.to_string(),
            None => return false,
        },
    };
    let sender = end == "tx" || end.ends_with("_tx") || end.contains("sender");
    let receiver = end == "rx" || end.ends_with("_rx") || end.contains("receiver");
    (m.method == "send" && m.args.len() == 1 && sender)
        || (m.method == "recv" && m.args.is_empty() && receiver)
}
