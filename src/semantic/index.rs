//! The crate-wide index of functions, built from every checked file.
//!
//! Each file contributes the fns it defines (free fns and methods, by name and
//! arity, async or not) and the calls it makes (by the same key, under a deadline or
//! not). Checks that need to know whether a callee is async, or whether every caller
//! bounds a fn, record a [`Deferred`] diagnostic during the walk; the engine keeps it
//! only if the merged index answers the question the way the rule asked.

use super::body::{awaited_call, own_awaits};
use super::callee::Callee;
use super::calls::ASYNC_LOCK_METHODS;
use super::chain::strip;
use super::scope::Frame;
use super::Cx;
use crate::diagnostic::Diagnostic;
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use std::sync::OnceLock;
use syn::visit::Visit;

#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct FnKey {
    pub name: String,
    /// Parameters, not counting `self`.
    pub arity: usize,
    pub is_method: bool,
}

#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct FnEntry {
    pub key: FnKey,
    /// `async fn`, or a fn returning `impl Future` / a boxed future.
    pub is_async: bool,
    /// What the body's own `.await`s wait for (for an `async fn`; a fn that returns a
    /// future it builds elsewhere has one [`AwaitKind::Other`]).
    pub awaits: Vec<AwaitKind>,
}

/// What one `.await` in a fn body waits for, as far as the index is concerned.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum AwaitKind {
    /// An async lock or semaphore: `state.read().await`, `m.lock().await`.
    Lock,
    /// A call of a fn or method that may be defined in the crate.
    Call(FnKey),
    /// Anything else: a library call, a local future, a macro that awaits.
    Other,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Asyncness {
    Async,
    Sync,
    /// Both an async and a sync fn answer to this name and arity: do not guess.
    Ambiguous,
    Unknown,
}

/// How often a fn is called under a deadline (an argument of `timeout(..)`, ...) and
/// without one.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CallCounts {
    pub bounded: u32,
    pub unbounded: u32,
}

#[derive(Default, Debug)]
pub struct CrateIndex {
    fns: HashMap<FnKey, (u32, u32)>,
    /// The awaits of each async fn body, by key.
    bodies: HashMap<FnKey, Vec<Vec<AwaitKind>>>,
    memory_only: OnceLock<HashSet<FnKey>>,
    calls: HashMap<FnKey, CallCounts>,
    /// Names passed somewhere as plain values (`Box::new(establish)`).
    values: HashSet<String>,
}

impl CrateIndex {
    pub fn add(&mut self, entry: FnEntry) {
        let slot = self.fns.entry(entry.key.clone()).or_default();
        if entry.is_async {
            slot.0 += 1;
            self.bodies.entry(entry.key).or_default().push(entry.awaits);
        } else {
            slot.1 += 1;
        }
        self.memory_only = OnceLock::new();
    }

    /// Whether every fn of the crate with this key is async and waits only for async
    /// locks or for other such fns (an async getter of shared state): awaiting it
    /// never waits for I/O. Unknown keys are not.
    pub fn waits_only_for_memory(&self, key: &FnKey) -> bool {
        self.memory_only
            .get_or_init(|| self.memory_only_fns())
            .contains(key)
    }

    /// The greatest set of keys whose bodies await only locks and keys of the set.
    fn memory_only_fns(&self) -> HashSet<FnKey> {
        let mut set: HashSet<FnKey> = self
            .bodies
            .iter()
            .filter(|(k, bodies)| {
                self.lookup(k) == Asyncness::Async
                    && bodies.iter().flatten().all(|a| *a != AwaitKind::Other)
            })
            .map(|(k, _)| k.clone())
            .collect();
        loop {
            let out: Vec<FnKey> = set
                .iter()
                .filter(|k| {
                    self.bodies[*k]
                        .iter()
                        .flatten()
                        .any(|a| matches!(a, AwaitKind::Call(c) if !set.contains(c)))
                })
                .cloned()
                .collect();
            if out.is_empty() {
                return set;
            }
            for k in out {
                set.remove(&k);
            }
        }
    }

    pub fn lookup(&self, key: &FnKey) -> Asyncness {
        match self.fns.get(key) {
            None => Asyncness::Unknown,
            Some((a, 0)) if *a > 0 => Asyncness::Async,
            Some((0, _)) => Asyncness::Sync,
            Some(_) => Asyncness::Ambiguous,
        }
    }

    /// Adds everything another index knows: the result does not depend on the order
    /// in which indexes are merged.
    pub fn merge(&mut self, other: CrateIndex) {
        for (key, (a, s)) in other.fns {
            let slot = self.fns.entry(key).or_default();
            slot.0 += a;
            slot.1 += s;
        }
        for (key, bodies) in other.bodies {
            self.bodies.entry(key).or_default().extend(bodies);
        }
        for (key, counts) in other.calls {
            self.add_calls(key, counts);
        }
        self.values.extend(other.values);
        self.memory_only = OnceLock::new();
    }

    pub fn add_calls(&mut self, key: FnKey, counts: CallCounts) {
        let slot = self.calls.entry(key).or_default();
        slot.bounded += counts.bounded;
        slot.unbounded += counts.unbounded;
    }

    /// Whether the fn is called somewhere and every call of it is under a deadline.
    pub fn always_bounded(&self, key: &FnKey) -> bool {
        self.calls
            .get(key)
            .is_some_and(|c| c.bounded > 0 && c.unbounded == 0)
    }

    pub fn add_value(&mut self, name: String) {
        self.values.insert(name);
    }

    /// Whether a name is passed somewhere as a value: a fn handed to other code (a
    /// pool's connection callback, a router), which calls it where the syntax does
    /// not show.
    pub fn passed_as_value(&self, name: &str) -> bool {
        self.values.contains(name)
    }

    pub fn len(&self) -> usize {
        self.fns.len()
    }

    pub fn is_empty(&self) -> bool {
        self.fns.is_empty()
    }
}

/// A question for the crate index that decides whether a diagnostic is kept.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub enum IndexQuery {
    /// Keep the diagnostic if the fn is async in the crate (and not ambiguous).
    IsAsync(FnKey),
    /// Keep the diagnostic if at least `at_least` of these awaited calls may wait for
    /// I/O: they are not known to wait only for memory
    /// ([`CrateIndex::waits_only_for_memory`]).
    MayWaitForIo {
        calls: Vec<FnKey>,
        at_least: usize,
    },
    /// Keep the diagnostic unless every call of the fn in the crate is under a
    /// deadline (the callers bound it).
    NotAlwaysBounded(FnKey),
    /// The same, and keep it only if the fn is not handed to other code as a value
    /// either (a sync fn returning a boxed future, given to a pool as its callback).
    NotBoundedNorHandedOff(FnKey),
    /// A question for the crate model (function summaries).
    Model(ModelQuery),
    /// Every one holds.
    All(Vec<IndexQuery>),
    /// At least one holds.
    Any(Vec<IndexQuery>),
    Not(Box<IndexQuery>),
}

impl IndexQuery {
    /// This query, and not `exempt` when there is one.
    pub fn unless(self, exempt: Option<IndexQuery>) -> IndexQuery {
        match exempt {
            Some(e) => IndexQuery::All(vec![self, IndexQuery::Not(Box::new(e))]),
            None => self,
        }
    }
}

/// A question about a callee for the crate model: what the fn a call names does,
/// known once every file is read and the facts are propagated.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub enum ModelQuery {
    /// The callee blocks the thread (directly or through its sync callees).
    Blocks(Callee),
    /// Dropping a value of this type runs a `Drop` impl that blocks.
    DropBlocks { krate: u32, ty: String },
    /// The method called takes `self` by value: the receiver is moved into it.
    ConsumesSelf(Callee),
    /// The callee does its work when called and returns a future for the reply.
    Eager(Callee),
    /// The callee spawns (or detaches) the future it is given as argument `arg`.
    SpawnsArg { callee: Callee, arg: usize },
    /// The callee starts a task for the future it is given as argument `arg`: it
    /// spawns it, or spawns a task that runs it and keeps its outcome (a wrapper that
    /// logs the error).
    StartsTaskFor { callee: Callee, arg: usize },
    /// The callee returns a synchronous lock guard (or a struct holding one).
    ReturnsGuard(Callee),
    /// Awaiting the callee waits only for in-process locks, permits and channels.
    InProcessOnly(Callee),
    /// The callee writes state shared through `&self`.
    MutatesShared(Callee),
    /// Awaiting the callee changes what is on disk (a rename, a removal, an fsync).
    WritesDisk(Callee),
    /// Awaiting the callee awaits a write (a SQL statement that changes data, a
    /// write-named call), itself or through the crate fns it awaits.
    AwaitsWrite(Callee),
    /// The callee returns a collection made from a count fixed where it is made
    /// (`(1..=n).map(..).collect()`), or capped there (`.take(N)`, a `drain` up to a
    /// count capped with `min`), or holds handles of tasks it already started
    /// (`-> Vec<JoinHandle<()>>`).
    ReturnsFixed(Callee),
    /// The callee awaits an operation that loses data when cancelled.
    CancelUnsafe(Callee),
    /// The callee needs the tokio runtime (its I/O, timers or spawn).
    UsesTokio(Callee),
    /// The fn defined at this file and line (of its name) runs only where no tokio
    /// runtime is entered: every caller in the crate is a thread of its own, a sync
    /// `main` or test without a runtime, or a sync fn that runs only there.
    OutsideRuntime { file: String, line: u32 },
    /// The async fn whose name is at this file and line runs alone on its runtime:
    /// every caller in the crate awaits it where nothing else can run beside it, or
    /// on the thread of a multi-thread async `main`, where no task runs. When the
    /// code asked about comes after a spawn in that fn (`after_spawn`), only the
    /// latter.
    RunsAlone {
        file: String,
        line: u32,
        after_spawn: bool,
    },
    /// The async fn whose name is at this file and line runs in a spawned task, beside
    /// the code that spawned it (called in the future handed to a spawn, or awaited by
    /// an async fn that is), on the one thread the crate's entry runs its tasks on
    /// (`#[tokio::main(flavor = "current_thread")]`).
    InTask { file: String, line: u32 },
    /// The fn whose name is at this file and line runs once in the life of the
    /// program: the program's `main` calls it once, or a fn that runs once does.
    RunsOnce { file: String, line: u32 },
    /// The callee blocks (see [`ModelQuery::Blocks`]) on one-off work that ends by
    /// itself: the disk, a child process, CPU, a name lookup.
    BlocksOneOff(Callee),
    /// The callee returns the handle of a task whose output is a `Result`.
    ReturnsResultHandle(Callee),
    /// The callee (a sync fn) drives a future to completion itself (`block_on`),
    /// directly or through its sync callees.
    DrivesFuture(Callee),
    /// The callee (a method) locks this field of `self`.
    Locks { callee: Callee, field: String },
    /// The callee locks the lock it is given as argument `arg` (not counting a method's
    /// receiver), directly or through the fns it passes it to.
    LocksArg { callee: Callee, arg: usize },
    /// The callee's result (an async fn's output) is a `Result`.
    ReturnsResult(Callee),
    /// Every value of this struct or enum carries a reply sender (`oneshot::Sender`):
    /// a request whose sender waits for the reply. The type is the crate's, or that of
    /// the checked package whose library is named `lib`.
    CarriesReply {
        krate: u32,
        lib: Option<String>,
        ty: String,
    },
    /// This struct or enum of the crate holds plain data only (numbers, text, paths,
    /// std collections of them): nothing a task could be told to stop through.
    PlainData { krate: u32, ty: String },
    /// The call names exactly one fn of the crate.
    Resolves(Callee),
    /// The callee is a method called on a field chain (`self.queue.lock()`, see
    /// [`super::callee::Target::FieldMethod`]) whose last field the crate declares with
    /// this type path (`parking_lot::Mutex`), in whichever of its files declares it.
    FieldIs { callee: Callee, ty: String },
    /// The crate's struct `ty` declares a field whose type path ends in `field_ty`
    /// (`CancellationToken`); the chain is that field's name.
    FieldOfType {
        krate: u32,
        ty: String,
        field_ty: String,
    },
    /// The callee is a fn of the crate whose declared return type is `ty` (its last
    /// segment, seen through references, `Arc`, `Box`, `Result` and `Option`).
    ReturnsValue { callee: Callee, ty: String },
    /// The call names exactly one fn of the crate, and it returns no future: a
    /// namesake elsewhere in the run (another package's `async fn update`) is not it.
    ResolvesToSync(Callee),
    /// A fn the call may name returns a future: one of the caller's crate by that
    /// name and arity, or one another crate of the run exports. A private `async fn`
    /// of another package is no namesake.
    AsyncNamesake(Callee),
    /// Some code of the crate, outside test code, may grow a collection held in a
    /// field of this name (`.push(..)`, `.insert(..)`, `.extend(..)` on it, an
    /// assignment to it, a `&mut` borrow of it): otherwise the collection keeps the
    /// size it was built with, a set the code fixed where it made it.
    FieldGrown { krate: u32, field: String },
    /// The callee (an async fn) runs a loop nothing can end.
    RunsForever(Callee),
    /// The callee (an async fn) is a long-lived worker: its body runs a loop (see
    /// `Local::worker`).
    Worker(Callee),
    /// The callee returns a `ClientBuilder` and sets no request deadline on it: a
    /// client built from it has none.
    BuilderWithoutDeadline(Callee),
    /// The client built at this file and line (with no deadline) is used for awaited
    /// calls with none of their own: the field it is kept in (directly, or through the
    /// parameter of a crate fn that stores it) is used so; or else the crate makes such
    /// calls with clients of this kind built elsewhere than the call (fields,
    /// parameters, factories), and builds none with a deadline.
    ClientUsedWithoutDeadline {
        krate: u32,
        kind: super::clients::ClientKind,
        file: String,
        line: u32,
    },
}

/// Fills in what only the model knows: the chain of calls that leads to the harm
/// (`load_config`, `read_file`, `std::fs::read_to_string`). `{op}` in the message
/// becomes the chain's last step; the note, with `{chain}` for the whole chain, is
/// added when the chain has more than one step.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Explain {
    pub note: String,
    /// The answer is a list of places (`src/a.rs:12, src/b.rs:40`), not a chain of
    /// calls: `{chain}` lists them, and the note is added for one place too.
    pub places: bool,
}

#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct Deferred {
    pub query: IndexQuery,
    pub diagnostic: Diagnostic,
    /// Called with the chain of the first model query that has one.
    pub explain: Option<Explain>,
}

impl Deferred {
    /// Whether the index answers yes; model questions are answered by `model`.
    pub fn holds_with(&self, index: &CrateIndex, model: &dyn Fn(&ModelQuery) -> bool) -> bool {
        query_holds(&self.query, index, model)
    }

    /// [`Deferred::holds_with`] for a query that asks the index only.
    pub fn holds(&self, index: &CrateIndex) -> bool {
        self.holds_with(index, &|_| false)
    }
}

fn query_holds(
    query: &IndexQuery,
    index: &CrateIndex,
    model: &dyn Fn(&ModelQuery) -> bool,
) -> bool {
    {
        match query {
            IndexQuery::Model(q) => model(q),
            IndexQuery::All(qs) => qs.iter().all(|q| query_holds(q, index, model)),
            IndexQuery::Any(qs) => qs.iter().any(|q| query_holds(q, index, model)),
            IndexQuery::Not(q) => !query_holds(q, index, model),
            IndexQuery::IsAsync(key) => index.lookup(key) == Asyncness::Async,
            IndexQuery::MayWaitForIo { calls, at_least } => {
                calls
                    .iter()
                    .filter(|k| !index.waits_only_for_memory(k))
                    .count()
                    >= *at_least
            }
            IndexQuery::NotAlwaysBounded(key) => !index.always_bounded(key),
            IndexQuery::NotBoundedNorHandedOff(key) => {
                !index.always_bounded(key) && !index.passed_as_value(&key.name)
            }
        }
    }
}

/// What a fn body's own `.await`s wait for, for its [`FnEntry`]. A fn that awaits only
/// under `Some` of an optional parameter records none ([`super::optional`]).
pub fn await_kinds(sig: &syn::Signature, body: &syn::Block) -> Vec<AwaitKind> {
    if sig.asyncness.is_none() || awaits_in_macros(body) {
        return vec![AwaitKind::Other];
    }
    // It waits only when the caller passes `Some`: its calls are not known round-trips.
    if super::optional::awaits_only_for_some_input(sig, body) {
        return Vec::new();
    }
    own_awaits(body).into_iter().map(await_kind).collect()
}

fn await_kind(a: &syn::ExprAwait) -> AwaitKind {
    if let syn::Expr::MethodCall(m) = strip(&a.base) {
        if m.args.is_empty() && ASYNC_LOCK_METHODS.iter().any(|n| m.method == n) {
            return AwaitKind::Lock;
        }
    }
    match awaited_call(a) {
        Some(c) => AwaitKind::Call(FnKey {
            name: c.name,
            arity: c.args.len(),
            is_method: c.receiver.is_some(),
        }),
        None => AwaitKind::Other,
    }
}

/// Whether a macro in the body may await (see [`super::body::macro_may_await`]).
fn awaits_in_macros(body: &syn::Block) -> bool {
    struct M(bool);
    impl<'ast> Visit<'ast> for M {
        fn visit_macro(&mut self, m: &'ast syn::Macro) {
            self.0 |= super::body::macro_may_await(m);
        }
        fn visit_item(&mut self, _: &'ast syn::Item) {}
    }
    let mut m = M(false);
    m.visit_block(body);
    m.0
}

/// Reports `d`, about a missing deadline, unless the code it points at is the future a
/// fn returns and every caller in the crate bounds that fn: then the deadline is
/// there. For a sync fn that returns an async block, being handed to other code as a
/// value counts too: that is the shape of a callback a pool runs under its own
/// timeout. (An `async fn` handed off is usually a handler or a task: still reported.)
pub fn report_unless_callers_bound(cx: &mut Cx, d: Diagnostic) {
    let frames = cx.context.frames();
    let query = match cx.enclosing_fn {
        Some(f) if frames.ends_with(&[Frame::AsyncFn]) => {
            IndexQuery::NotAlwaysBounded(f.key.clone())
        }
        Some(f) if f.is_async && frames.ends_with(&[Frame::SyncFn, Frame::AsyncBlock]) => {
            IndexQuery::NotBoundedNorHandedOff(f.key.clone())
        }
        _ => return cx.report(d),
    };
    cx.report_if(query, d);
}

/// The associated types of a trait or impl's `items` that are futures: declared with
/// a `Future` bound (a trait: `type Commit: Future<Output = ()>;`) or defined as a
/// future type (an impl: `type Commit = BoxFuture<'static, ()>;`). Within its items,
/// `Self::Commit` is a future whatever the type is called.
pub fn future_assoc(items: AssocTypes) -> Vec<String> {
    match items {
        AssocTypes::Trait(items) => items
            .iter()
            .filter_map(|i| match i {
                syn::TraitItem::Type(t) if bounds_name_future(&t.bounds) => {
                    Some(t.ident.to_string())
                }
                _ => None,
            })
            .collect(),
        AssocTypes::Impl(items) => items
            .iter()
            .filter_map(|i| match i {
                syn::ImplItem::Type(t) if names_future(&t.ty, &[], 0) => Some(t.ident.to_string()),
                _ => None,
            })
            .collect(),
    }
}

/// The items of a trait or an impl, for [`future_assoc`].
pub enum AssocTypes<'a> {
    Trait(&'a [syn::TraitItem]),
    Impl(&'a [syn::ImplItem]),
}

fn bounds_name_future(
    bounds: &syn::punctuated::Punctuated<syn::TypeParamBound, syn::Token![+]>,
) -> bool {
    bounds.iter().any(|b| match b {
        syn::TypeParamBound::Trait(t) => {
            t.path.segments.last().is_some_and(|s| s.ident == "Future")
        }
        _ => false,
    })
}

/// Whether a return type names a future (`impl Future<..>`, `BoxFuture`, `Pin<Box<dyn Future>>`).
pub fn returns_future(output: &syn::ReturnType) -> bool {
    returns_future_in(output, &[])
}

/// [`returns_future`] inside a trait or impl whose associated types `assoc` are
/// futures ([`future_assoc`]).
pub fn returns_future_in(output: &syn::ReturnType, assoc: &[String]) -> bool {
    let syn::ReturnType::Type(_, ty) = output else {
        return false;
    };
    names_future(ty, assoc, 0)
}

fn names_future(ty: &syn::Type, assoc: &[String], depth: usize) -> bool {
    use syn::{GenericArgument, PathArguments, Type};
    if depth > 8 {
        return false;
    }
    match ty {
        Type::ImplTrait(t) => bounds_name_future(&t.bounds),
        Type::TraitObject(t) => bounds_name_future(&t.bounds),
        Type::Paren(p) => names_future(&p.elem, assoc, depth + 1),
        Type::Group(g) => names_future(&g.elem, assoc, depth + 1),
        // `Self::Future` of a trait whose method returns its associated future type.
        Type::Path(p)
            if p.qself.is_none()
                && p.path.segments.len() == 2
                && p.path.segments[0].ident == "Self"
                && {
                    let last = p.path.segments[1].ident.to_string();
                    last.ends_with("Future")
                        || last.ends_with("Fut")
                        || assoc.contains(&last)
                } =>
        {
            true
        }
        Type::Path(p) => p.path.segments.last().is_some_and(|seg| {
            seg.ident == "BoxFuture"
                || seg.ident == "LocalBoxFuture"
                || ((seg.ident == "Pin" || seg.ident == "Box") && match &seg.arguments {
                    PathArguments::AngleBracketed(a) => a.args.iter().any(
                        |arg| matches!(arg, GenericArgument::Type(t) if names_future(t, assoc, depth + 1)),
                    ),
                    _ => false,
                })
        }),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(name: &str, arity: usize) -> FnKey {
        FnKey {
            name: name.into(),
            arity,
            is_method: false,
        }
    }

    #[test]
    fn ambiguous_names_are_not_async() {
        let mut idx = CrateIndex::default();
        idx.add(FnEntry {
            key: key("save", 1),
            is_async: true,
            awaits: Vec::new(),
        });
        assert_eq!(idx.lookup(&key("save", 1)), Asyncness::Async);
        assert_eq!(idx.lookup(&key("save", 2)), Asyncness::Unknown);
        idx.add(FnEntry {
            key: key("save", 1),
            is_async: false,
            awaits: Vec::new(),
        });
        assert_eq!(idx.lookup(&key("save", 1)), Asyncness::Ambiguous);
    }

    #[test]
    fn getters_that_only_take_locks_wait_only_for_memory() {
        let mut idx = CrateIndex::default();
        let add = |idx: &mut CrateIndex, name: &str, awaits: Vec<AwaitKind>| {
            idx.add(FnEntry {
                key: key(name, 0),
                is_async: true,
                awaits,
            })
        };
        add(&mut idx, "state", vec![AwaitKind::Lock]);
        add(
            &mut idx,
            "flush_lsn",
            vec![AwaitKind::Call(key("state", 0))],
        );
        add(&mut idx, "cycle", vec![AwaitKind::Call(key("cycle", 0))]);
        add(&mut idx, "fetch", vec![AwaitKind::Lock, AwaitKind::Other]);
        add(&mut idx, "load", vec![AwaitKind::Call(key("fetch", 0))]);
        add(&mut idx, "both", vec![AwaitKind::Lock]);
        add(&mut idx, "both", vec![AwaitKind::Other]);
        for k in ["state", "flush_lsn", "cycle"] {
            assert!(idx.waits_only_for_memory(&key(k, 0)), "{k}");
        }
        for k in ["fetch", "load", "both", "unknown"] {
            assert!(!idx.waits_only_for_memory(&key(k, 0)), "{k}");
        }
    }

    #[test]
    fn a_fn_is_always_bounded_only_when_every_call_is() {
        let mut idx = CrateIndex::default();
        assert!(!idx.always_bounded(&key("fetch", 1)));
        let bounded = CallCounts {
            bounded: 2,
            unbounded: 0,
        };
        idx.add_calls(key("fetch", 1), bounded);
        assert!(idx.always_bounded(&key("fetch", 1)));
        idx.add_calls(
            key("fetch", 1),
            CallCounts {
                bounded: 0,
                unbounded: 1,
            },
        );
        assert!(!idx.always_bounded(&key("fetch", 1)));
    }

    #[test]
    fn future_returning_signatures() {
        let sig: syn::Signature =
            syn::parse_str("fn f(x: u8) -> impl std::future::Future<Output = ()>").unwrap();
        assert!(returns_future(&sig.output));
        let sig: syn::Signature =
            syn::parse_str("fn f() -> Pin<Box<dyn Future<Output = u8> + Send>>").unwrap();
        assert!(returns_future(&sig.output));
        let sig: syn::Signature = syn::parse_str("fn f() -> Vec<u8>").unwrap();
        assert!(!returns_future(&sig.output));
        let sig: syn::Signature =
            syn::parse_str("fn f(&mut self) -> &mut Pin<Box<dyn Future<Output = ()>>>").unwrap();
        assert!(!returns_future(&sig.output));
    }
}
