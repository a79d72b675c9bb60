//! Task spawning, runtimes and the calls that run closures off the executor.

use super::chain::{self, strip};
use super::imports::UseMap;
use super::scope::{Frame, Origin};
use super::Cx;
use syn::{Block, Expr, Pat, Stmt};

/// What dropping a spawned task's handle does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SpawnKind {
    /// tokio, async-std, actix: the task keeps running, detached.
    Detaches,
    /// smol / async-executor / async-task `Task`: the task is cancelled on drop.
    CancelsOnDrop,
}

pub struct Spawn {
    pub kind: SpawnKind,
    /// How the spawner is written in the code (`tokio::spawn`, `rt.spawn`).
    pub spawner: String,
}

/// Free functions that spawn a task and return its handle.
const SPAWN_FNS: &[(&str, SpawnKind)] = &[
    ("tokio::spawn", SpawnKind::Detaches),
    ("tokio::task::spawn", SpawnKind::Detaches),
    ("tokio::task::spawn_local", SpawnKind::Detaches),
    ("tokio::task::spawn_blocking", SpawnKind::Detaches),
    ("async_std::task::spawn", SpawnKind::Detaches),
    ("async_std::task::spawn_local", SpawnKind::Detaches),
    ("async_std::task::spawn_blocking", SpawnKind::Detaches),
    ("actix_rt::spawn", SpawnKind::Detaches),
    ("actix::spawn", SpawnKind::Detaches),
    ("smol::spawn", SpawnKind::CancelsOnDrop),
    ("async_global_executor::spawn", SpawnKind::CancelsOnDrop),
    (
        "async_global_executor::spawn_local",
        SpawnKind::CancelsOnDrop,
    ),
];

/// Calls whose result is a tokio runtime or a handle to one.
const TOKIO_RUNTIME_ROOTS: &[&str] = &[
    "tokio::runtime::Runtime::new",
    "tokio::runtime::Handle::current",
    "tokio::runtime::Handle::try_current",
    "tokio::runtime::Builder::new_current_thread",
    "tokio::runtime::Builder::new_multi_thread",
];

/// Calls that build the runtime of a thread-per-core executor, whose `block_on`
/// drives a future on the calling thread (`RuntimeBuilder::new().build()`).
const LOCAL_RUNTIME_ROOTS: &[&str] = &[
    "compio::runtime::Runtime::new",
    "compio::runtime::Runtime::builder",
    "compio::runtime::RuntimeBuilder::new",
    "compio_runtime::Runtime::new",
    "compio_runtime::Runtime::builder",
    "compio_runtime::RuntimeBuilder::new",
    "monoio::RuntimeBuilder::new",
];

/// Whether `path` is a call that yields a thread-per-core runtime or its builder.
pub fn is_local_runtime_root(path: &str) -> bool {
    LOCAL_RUNTIME_ROOTS.contains(&path)
}

/// The runtimes a fn may build and return, whose `block_on` drives a future.
const RUNTIME_TYPES: &[&str] = &[
    "tokio::runtime::Runtime",
    "compio::runtime::Runtime",
    "compio_runtime::Runtime",
    "monoio::Runtime",
];

/// Whether a return type is a runtime: the type itself, a reference to it, or inside
/// a `Result`, `Option`, `Box` or `Arc` (`io::Result<Runtime>`, `&'static Runtime`).
pub fn is_runtime_type(uses: &crate::semantic::imports::UseMap, ty: &syn::Type) -> bool {
    match ty {
        syn::Type::Reference(r) => is_runtime_type(uses, &r.elem),
        syn::Type::Paren(p) => is_runtime_type(uses, &p.elem),
        syn::Type::Path(p) if p.qself.is_none() => {
            let Some(last) = p.path.segments.last() else {
                return false;
            };
            let wrapper = ["Result", "Option", "Box", "Arc"]
                .iter()
                .any(|w| last.ident == w);
            if wrapper {
                return match &last.arguments {
                    syn::PathArguments::AngleBracketed(a) => a.args.iter().any(
                        |g| matches!(g, syn::GenericArgument::Type(t) if is_runtime_type(uses, t)),
                    ),
                    _ => false,
                };
            }
            uses.resolve(&p.path)
                .is_some_and(|path| RUNTIME_TYPES.contains(&path.as_str()))
        }
        _ => false,
    }
}

/// Types of a tokio runtime or handle, for declared parameters and locals.
const TOKIO_RUNTIME_TYPES: &[&str] = &["tokio::runtime::Runtime", "tokio::runtime::Handle"];

/// Calls whose result is an executor whose `Task`s cancel on drop.
const CANCEL_ON_DROP_EXECUTORS: &[&str] = &[
    "async_executor::Executor::new",
    "async_executor::LocalExecutor::new",
    "smol::Executor::new",
    "smol::LocalExecutor::new",
];

/// Whether `path` is a call that yields a tokio runtime or handle.
pub fn is_tokio_runtime_root(path: &str) -> bool {
    TOKIO_RUNTIME_ROOTS.contains(&path)
}

/// What a receiver expression is, when it is a runtime or an executor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Executor {
    TokioRuntime,
    CancelOnDrop,
}

/// Classifies a method receiver: `Handle::current()`, `rt` bound from
/// `Runtime::new()`, a parameter declared `&tokio::runtime::Handle`, an
/// `async_executor::Executor`.
pub fn executor_of(cx: &Cx, receiver: &Expr) -> Option<Executor> {
    let c = chain::chain(receiver);
    if let Some(path) = cx.call_path(c.root) {
        return classify_root(&path);
    }
    let origin = cx.receiver_origin(c.root)?;
    executor_of_origin(cx, origin, 0)
}

fn executor_of_origin(cx: &Cx, origin: &Origin, depth: usize) -> Option<Executor> {
    if let Some(ty) = &origin.ty {
        if TOKIO_RUNTIME_TYPES.contains(&ty.as_str()) {
            return Some(Executor::TokioRuntime);
        }
    }
    if let Some(root) = &origin.root_call {
        return classify_root(root);
    }
    // `let handle = rt.handle().clone();` — follow the chain to `rt`, a little way.
    let name = origin.root_binding.as_deref()?;
    if depth > 4 {
        return None;
    }
    executor_of_origin(cx, cx.binding(name)?, depth + 1)
}

fn classify_root(path: &str) -> Option<Executor> {
    if is_tokio_runtime_root(path) {
        Some(Executor::TokioRuntime)
    } else if CANCEL_ON_DROP_EXECUTORS.contains(&path) {
        Some(Executor::CancelOnDrop)
    } else {
        None
    }
}

/// Executors that drive one future to completion on the calling thread, sharing it
/// with no other task.
pub const SINGLE_FUTURE_EXECUTORS: &[&str] = &[
    "futures::executor::block_on",
    "futures_executor::block_on",
    "futures_lite::future::block_on",
    "async_std::task::block_on",
    "pollster::block_on",
    "smol::block_on",
    "async_io::block_on",
    "async_global_executor::block_on",
    "extreme::run",
];

/// Whether a resolved path is a single-future executor's `block_on`.
pub fn is_single_future_executor(path: &str) -> bool {
    SINGLE_FUTURE_EXECUTORS.contains(&path)
}

/// What dropping a handle does for a spawning free fn given by its resolved path
/// (`tokio::spawn`), also when it is passed by name: `ids.map(tokio::spawn)`.
pub fn spawn_fn_kind(path: &str) -> Option<SpawnKind> {
    SPAWN_FNS.iter().find(|(p, _)| *p == path).map(|(_, k)| *k)
}

/// Recognises a task-spawning call: `tokio::spawn(..)`, `task::spawn_blocking(..)`,
/// `rt.spawn(..)` on a known runtime, `ex.spawn(..)` on an async executor.
pub fn spawn_call(cx: &Cx, expr: &Expr) -> Option<Spawn> {
    match strip(expr) {
        Expr::Call(_) => {
            let path = cx.call_path(expr)?;
            // The configuration's spawn wrappers (another crate's `spawn_task`).
            let configured = || {
                cx.options
                    .spawn_wrappers
                    .contains(&path)
                    .then_some(SpawnKind::Detaches)
            };
            let kind = spawn_fn_kind(&path).or_else(configured)?;
            let spawner = chain::call_path(expr)
                .map(|p| cx.text(p).to_string())
                .unwrap_or(path);
            Some(Spawn { kind, spawner })
        }
        Expr::MethodCall(m) => {
            let method = m.method.to_string();
            if method != "spawn" && method != "spawn_blocking" && method != "spawn_local" {
                return None;
            }
            let kind = match executor_of(cx, &m.receiver)? {
                Executor::TokioRuntime => SpawnKind::Detaches,
                Executor::CancelOnDrop => SpawnKind::CancelsOnDrop,
            };
            Some(Spawn {
                kind,
                spawner: format!("{}.{}", cx.text(&*m.receiver), method),
            })
        }
        _ => None,
    }
}

/// The call whose result a statement throws away, if it throws one away: an
/// expression statement `spawn(..);`, `let _ = spawn(..);`, `let _name = spawn(..);`
/// (dropped at the end of the block), or `spawn(..).detach();` (`true`: detached on
/// purpose).
pub fn discarded_handle(stmt: &Stmt) -> Option<(&Expr, bool)> {
    let e = match stmt {
        Stmt::Expr(e, Some(_)) => strip(e),
        Stmt::Local(l) if discards(&l.pat) => match &l.init {
            Some(init) if init.diverge.is_none() => strip(&init.expr),
            _ => return None,
        },
        _ => return None,
    };
    Some(match e {
        Expr::MethodCall(m) if m.method == "detach" && m.args.is_empty() => {
            (strip(&m.receiver), true)
        }
        c => (c, false),
    })
}

/// `_` or `_name`: a binding that says its value is not wanted.
pub(crate) fn discards(pat: &Pat) -> bool {
    match pat {
        Pat::Wild(_) => true,
        Pat::Ident(p) => p.ident.to_string().starts_with('_'),
        Pat::Type(t) => discards(&t.pat),
        _ => false,
    }
}

/// Adapters a spawned future is often wrapped in (`async { .. }.instrument(span)`,
/// `async { .. }.boxed()`).
const FUTURE_ADAPTERS: &[&str] = &[
    "instrument",
    "in_current_span",
    "with_current_subscriber",
    "boxed",
    "boxed_local",
];

/// The block of an `async { .. }` future, seen through `Box::pin`, `.boxed()` and
/// tracing adapters.
pub fn async_block_of(e: &Expr) -> Option<&Block> {
    match strip(e) {
        Expr::Async(a) => Some(&a.block),
        Expr::MethodCall(m) if FUTURE_ADAPTERS.iter().any(|n| m.method == n) => {
            async_block_of(&m.receiver)
        }
        Expr::Call(_) => chain::box_pinned(e).and_then(async_block_of),
        _ => None,
    }
}

/// Functions and methods that run the closure they are given somewhere other than
/// on the executor thread (by their last path segment: an unresolved name here only
/// makes the analysis more careful, never louder).
const OFF_EXECUTOR_FNS: &[&str] = &[
    "spawn_blocking",
    "block_in_place",
    "unblock",
    "spawn",
    "scope",
    "join",
    "spawn_fifo",
    "install",
    "in_place_scope",
];

/// Parallel-iterator entry points (rayon): closures along such a chain run on the pool.
const PAR_ITER_METHODS: &[&str] = &[
    "par_iter",
    "par_iter_mut",
    "into_par_iter",
    "par_bridge",
    "par_chunks",
    "par_chunks_mut",
    "par_windows",
    "par_lines",
    "par_split",
    "par_sort_by",
    "par_sort_by_key",
    "par_extend",
];

/// Methods that call the closure they are given right where they are called (on the
/// executor, in async code): iterator, stream, `Option`/`Result` and collection
/// adapters, thread-local access.
const INLINE_METHODS: &[&str] = &[
    "map",
    "map_err",
    "map_or",
    "map_or_else",
    "map_ok",
    "and_then",
    "or_else",
    "then",
    "unwrap_or_else",
    "ok_or_else",
    "filter",
    "filter_map",
    "flat_map",
    "find",
    "find_map",
    "position",
    "rposition",
    "any",
    "all",
    "for_each",
    "try_for_each",
    "fold",
    "try_fold",
    "reduce",
    "inspect",
    "inspect_err",
    "take_while",
    "skip_while",
    "map_while",
    "scan",
    "partition",
    "max_by_key",
    "min_by_key",
    "max_by",
    "min_by",
    "sort_by",
    "sort_by_key",
    "sort_unstable_by",
    "sort_unstable_by_key",
    "sort_by_cached_key",
    "retain",
    "retain_mut",
    "dedup_by",
    "dedup_by_key",
    "get_or_insert_with",
    "or_insert_with",
    "or_insert_with_key",
    "and_modify",
    "is_some_and",
    "is_ok_and",
    "is_err_and",
    "is_none_or",
    "binary_search_by",
    "binary_search_by_key",
    "with",
    "with_borrow",
    "with_borrow_mut",
    "get_or_init",
    "chunk_by",
    "split",
    "extract_if",
    "try_map",
    "then_some",
    "unwrap_or_default",
];

/// Free functions that call their closure in place.
const INLINE_FNS: &[&str] = &[
    "std::iter::from_fn",
    "std::iter::successors",
    "std::iter::repeat_with",
    "std::array::from_fn",
    "std::future::poll_fn",
    "core::future::poll_fn",
    "futures::future::poll_fn",
    "futures_util::future::poll_fn",
    "futures::stream::poll_fn",
    "futures_util::stream::poll_fn",
];

/// Where a non-async closure passed to `call` runs: in place (it inherits the async
/// context), off the executor, or somewhere the syntax does not tell — then it is not
/// treated as async context, so nothing inside it is flagged on a guess.
pub fn closure_frame(call: &Expr, uses: &UseMap) -> Frame {
    if runs_closures_off_executor(call) {
        return Frame::OffExecutor;
    }
    let inline = match call {
        Expr::Call(c) => match strip(&c.func) {
            Expr::Closure(_) => true,
            Expr::Path(p) => uses
                .resolve(&p.path)
                .is_some_and(|path| INLINE_FNS.contains(&path.as_str())),
            _ => false,
        },
        Expr::MethodCall(m) => INLINE_METHODS.iter().any(|n| m.method == n),
        _ => false,
    };
    if inline {
        Frame::InlineClosure
    } else {
        Frame::UnknownClosure
    }
}

/// Whether a closure passed to `call` runs off the executor.
fn runs_closures_off_executor(call: &Expr) -> bool {
    match call {
        Expr::Call(c) => match strip(&c.func) {
            Expr::Path(p) => p
                .path
                .segments
                .last()
                .is_some_and(|s| OFF_EXECUTOR_FNS.iter().any(|n| s.ident == n)),
            _ => false,
        },
        Expr::MethodCall(m) => {
            let name = m.method.to_string();
            if matches!(
                name.as_str(),
                "spawn_blocking" | "block_in_place" | "install" | "spawn" | "scope" | "join"
            ) {
                return true;
            }
            chain::chain(call)
                .methods
                .iter()
                .any(|mc| PAR_ITER_METHODS.iter().any(|n| mc.method == n))
        }
        _ => false,
    }
}
