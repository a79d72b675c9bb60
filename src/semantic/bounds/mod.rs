//! Fan-out and its bounds: where a fn starts work once per item of a collection — a
//! task spawned in a `for` loop or an iterator adapter, futures joined all at once with
//! `join_all` or a `FuturesUnordered` — and whether something limits how many run at
//! once: a semaphore permit acquired in the loop body, mapped closure or spawned
//! future; a `JoinSet` / `FuturesUnordered` whose `len()` is checked in the loop;
//! `buffer_unordered` / `buffered` / `for_each_concurrent(Some(n), ..)` in the chain;
//! fixed-size chunks (`for chunk in items.chunks(N)`, `.chunks(N)` in the chain).
//!
//! The analysis is a sub-walk of one fn body (nested fn items get their own), so that
//! a local can be followed to its declaration and to the pushes that fill it.

use super::chain::{self, strip, Chain};
use super::macros::parse_body;
use super::scope::Frame as ContextFrame;
use super::{tasks, Cx};
use crate::source::TextRange;
use quote::ToTokens;
use rustc_hash::FxHashSet as HashSet;
use syn::spanned::Spanned;
use syn::visit::{self, Visit};
use syn::{Block, Expr, ExprMethodCall, Pat, Signature};

mod walk;
use walk::Walk;

/// How many items a collection holds, as far as the source tells.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Size {
    /// Fixed in the source: an array, tuple or `vec![..]` literal, a numeric range (a
    /// count of workers, not a list of work), an empty collection filled outside loops.
    Fixed,
    /// Limited by something: fixed-size chunks, `.take(n)`, a permit, a bounded stream.
    Bounded,
    /// Not a list known up front, or not visible: an accept loop's `incoming()`, a
    /// constant, a macro, a value the syntax does not describe.
    Opaque,
    /// The elements are handles of tasks already spawned: joining them starts nothing.
    Handles,
    /// A collection whose size the source does not fix: a parameter, a field, a call's
    /// result, a loop variable, a `Vec` filled once per loop iteration.
    Unknown(Over),
}

impl Size {
    fn rank(&self) -> u8 {
        match self {
            Size::Fixed => 0,
            Size::Bounded => 1,
            Size::Opaque => 2,
            Size::Unknown(_) => 3,
            Size::Handles => 4,
        }
    }

    /// The larger of two sizes: a collection that may be unknown is unknown.
    fn max(self, other: Size) -> Size {
        if other.rank() > self.rank() {
            other
        } else {
            self
        }
    }
}

/// The collection a fan-out runs over.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Over {
    /// The collection as written (`user_ids`, `self.peers`, `futs`).
    pub text: String,
    /// Where to point: the collection, or the push that fills it once per iteration.
    pub range: TextRange,
    /// For a collection filled inside a loop: what the loop runs over (`ids`), or
    /// `None` for a `while`/`loop`.
    pub filled_per: Option<Option<String>>,
    /// The crate fn whose result the collection is (`let futs = build_futures(..)`).
    pub made_by: Option<crate::semantic::callee::Callee>,
    /// The field of `self` the collection is (`levels` for `self.levels` or
    /// `&self.levels`): the model knows whether any code of the crate grows it.
    pub self_field: Option<String>,
}

/// Whether `e` is a collection made from a count fixed in the source: a literal
/// collection or numeric range ([`is_literal_collection`]) run through iteration
/// methods only (`(1..=n).map(f).collect()`), through `?`. A set of workers, not a
/// list of work: the size the fan-out analysis gives such a chain in place.
pub fn fixed_count(e: &Expr) -> bool {
    let c = chain::chain(strip(e));
    is_literal_collection(c.root)
        && !c.methods.is_empty()
        && c.methods.iter().all(|m| is_iteration(m))
}

/// Whether `e`, the value a fn returns, is a collection capped where it is made:
/// a chain that takes at most N (`.take(N)`, `.chunks(N)`), or a `drain(..n)` /
/// `drain(0..n)` where `n` is a local of `stmts` bound to a `.min(..)`
/// (`let n = st.pending.len().min(MAX);`).
pub fn capped_collection(e: &Expr, stmts: &[syn::Stmt]) -> bool {
    let c = chain::chain(strip(e));
    if c.methods
        .iter()
        .any(|m| BOUNDING_METHODS.contains(&m.method.to_string().as_str()))
    {
        return true;
    }
    c.methods.iter().any(|m| {
        let Some(Expr::Range(r)) = (m.method == "drain")
            .then(|| m.args.first().map(strip))
            .flatten()
        else {
            return false;
        };
        let Some(n) = r.end.as_deref().and_then(chain::path_ident) else {
            return false;
        };
        stmts.iter().any(|s| match s {
            syn::Stmt::Local(l) => {
                crate::semantic::body::single_binding(&l.pat).is_some_and(|b| *n == b)
                    && l.init.as_ref().is_some_and(|i| {
                        chain::chain(strip(&i.expr))
                            .methods
                            .iter()
                            .any(|m| m.method == "min")
                    })
            }
            _ => false,
        })
    })
}

/// Whether `root` is a collection whose size the source fixes: an array, tuple or
/// repeat expression, a literal, a numeric range, or a `vec![..]`-like macro.
fn is_literal_collection(root: &Expr) -> bool {
    match strip(root) {
        Expr::Array(_) | Expr::Tuple(_) | Expr::Repeat(_) | Expr::Lit(_) | Expr::Range(_) => true,
        Expr::Macro(m) => {
            m.mac.path.segments.last().is_some_and(|s| {
                s.ident == "vec" || s.ident == "smallvec" || s.ident == "array_vec"
            })
        }
        _ => false,
    }
}

impl Over {
    /// A label for the collection: why its size is open.
    pub fn label(&self, unit: &str) -> String {
        match &self.filled_per {
            None => format!("`{}` can hold any number of items", self.text),
            Some(Some(per)) => format!(
                "`{}` grows by one {unit} per item of `{per}` here",
                self.text
            ),
            Some(None) => format!(
                "`{}` grows by one {unit} per loop iteration here",
                self.text
            ),
        }
    }
}

/// What kind of work fans out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FanoutKind {
    /// A task spawned once per item: `tokio::spawn(..)`, `set.spawn(..)` on a `JoinSet`
    /// or `TaskTracker`, `rt.spawn(..)` on a runtime. `join_set` when the spawner is a
    /// tokio `JoinSet` (which has `len()` and `join_next()`).
    Spawn { spawner: String, join_set: bool },
    /// Futures started all at once over a collection.
    Join { how: JoinHow },
    /// A future pushed into a `FuturesUnordered`/`FuturesOrdered` once per item.
    Push { set: String },
}

/// How futures are joined all at once.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum JoinHow {
    /// `join_all(..)`, `try_join_all(..)`, `FuturesUnordered::from_iter(..)`: the
    /// callee as written.
    Call(String),
    /// `.collect()` into a `FuturesUnordered` / `FuturesOrdered` (the type's name).
    Collect(String),
    /// `set.extend(..)` on a `FuturesUnordered` / `FuturesOrdered` local.
    Extend(String),
    /// `for_each_concurrent(None, ..)` / `try_for_each_concurrent(None, ..)`.
    Concurrent(String),
}

/// One place where a fn fans out over a collection whose size the source does not fix.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fanout {
    pub kind: FanoutKind,
    /// The call that starts the work.
    pub range: TextRange,
    pub over: Over,
    /// The iterator the items come from, as written before the mapping (`ids.iter()`).
    pub source: Option<String>,
    /// The per-item closure of `source.map(..)`, as written (`|id| fetch(id)`).
    pub mapped: Option<String>,
    /// For a spawn or push in a loop: the loop pattern and the future started per item.
    pub item: Option<String>,
    pub future: Option<String>,
    /// Whether something limits how many run at once.
    pub bounded: bool,
    /// The crate fn the future per item runs, when it is one call
    /// (`spawn(serve(listener))`, `|port| async move { keep_mapped(port).await }`):
    /// if it is a long-lived worker (the model decides), the fan-out is a fixed set of
    /// workers, not a list of work.
    pub runs: Option<crate::semantic::callee::Callee>,
    /// A spawn through a crate fn (`spawn_logged("notify", async move { .. })`): that
    /// fn and the argument the future is. A spawn only if the model says the fn spawns
    /// that argument.
    pub through: Option<(crate::semantic::callee::Callee, usize)>,
}

impl Fanout {
    /// The future per item, as written, when it can stand in a suggested
    /// `stream::iter(..).map(|item| future)`: not an `async move` block, which would
    /// move the loop's captures out of an `FnMut` closure there (E0507).
    pub fn mappable_future(&self) -> Option<&str> {
        self.future
            .as_deref()
            .filter(|f| !f.starts_with("async move"))
    }
}

/// The crate fn a per-item future runs, when the future is one call of it, under
/// adapters (`.instrument(..)`, `.boxed()`), in a block that ends in it, or in an async
/// block whose first `.await` is of it (`async move { if let Err(e) = run(x).await { .. } }`).
pub(super) fn runs_call(cx: &Cx, future: &Expr) -> Option<crate::semantic::callee::Callee> {
    let e = crate::semantic::body::unwrap_adapters(future);
    match e {
        Expr::Block(b) => match b.block.stmts.as_slice() {
            [syn::Stmt::Expr(tail, None)] => runs_call(cx, tail),
            _ => None,
        },
        // The first wait: the task gets no further while that call runs.
        Expr::Async(a) => crate::semantic::body::own_awaits(&a.block)
            .first()
            .map(|first| crate::semantic::body::unwrap_adapters(&first.base))
            .filter(|call| matches!(call, Expr::Call(_) | Expr::MethodCall(_)))
            .and_then(|call| cx.callee(call)),
        Expr::Call(_) | Expr::MethodCall(_) => cx.callee(e),
        _ => None,
    }
}

/// Method calls that take a permit: from a semaphore, or anything shaped like one
/// (a connection pool's `acquire()` limits concurrency the same way).
const PERMIT_METHODS: &[&str] = &[
    "acquire",
    "acquire_owned",
    "acquire_many",
    "acquire_many_owned",
    "try_acquire",
    "try_acquire_owned",
    "try_acquire_many",
    "try_acquire_many_owned",
];

/// Adapters that bound how many items are in flight, or how many there are.
const BOUNDING_METHODS: &[&str] = &[
    "buffer_unordered",
    "buffered",
    "try_buffer_unordered",
    "try_buffered",
    "chunks",
    "chunks_exact",
    "rchunks",
    "ready_chunks",
    "try_chunks",
    "try_ready_chunks",
    "array_chunks",
    "take",
];

/// Methods whose items arrive over time rather than from a list: the server idiom.
const ARRIVALS: &[&str] = &["incoming", "accept"];

/// Methods that turn a collection into an iterator over its items.
const ITER_ENTRY: &[&str] = &[
    "iter",
    "into_iter",
    "iter_mut",
    "drain",
    "keys",
    "values",
    "values_mut",
    "into_keys",
    "into_values",
];

/// Methods that look at a collection without making another one.
const VIEW_METHODS: &[&str] = &[
    "clone",
    "to_vec",
    "to_owned",
    "as_slice",
    "as_ref",
    "as_mut",
    "borrow",
    "borrow_mut",
    "lock",
    "read",
    "write",
    "unwrap",
    "expect",
    "deref",
];

/// Iterator and stream adapters that keep one output per input item (or fewer).
const ITER_ADAPTERS: &[&str] = &[
    "filter",
    "flatten",
    "enumerate",
    "zip",
    "chain",
    "cloned",
    "copied",
    "rev",
    "skip",
    "skip_while",
    "take_while",
    "step_by",
    "peekable",
    "fuse",
    "map_ok",
    "map_err",
];

/// Closure-taking adapters that call their closure once per item.
const PER_ITEM_ADAPTERS: &[&str] = &[
    "map",
    "for_each",
    "try_for_each",
    "flat_map",
    "filter_map",
    "then",
    "and_then",
    "inspect",
];

/// Methods that drive an iterator or stream to its end right away.
const DRIVERS: &[&str] = &[
    "collect",
    "try_collect",
    "for_each",
    "try_for_each",
    "count",
    "fold",
    "try_fold",
    "unzip",
    "partition",
    "last",
    "sum",
    "product",
];

/// Methods that run their closure in place, at most once or once per item of
/// something that is not a collection of work (`Option::map`, `unwrap_or_else`).
const INLINE_ONCE: &[&str] = &[
    "map",
    "map_err",
    "map_or",
    "map_or_else",
    "and_then",
    "or_else",
    "then",
    "unwrap_or_else",
    "ok_or_else",
    "filter",
    "inspect",
    "inspect_err",
    "is_some_and",
    "is_ok_and",
    "get_or_insert_with",
    "or_insert_with",
    "with",
];

/// Methods that spawn on their receiver (a `JoinSet`, `TaskTracker` or runtime).
const SPAWN_METHODS: &[&str] = &[
    "spawn",
    "spawn_local",
    "spawn_blocking",
    "spawn_on",
    "spawn_local_on",
];

/// Free fns that join a collection of futures all at once.
const JOIN_FNS: &[&str] = &[
    "futures::future::join_all",
    "futures::future::try_join_all",
    "futures_util::future::join_all",
    "futures_util::future::try_join_all",
    "futures::join_all",
    "futures::try_join_all",
];

/// Free fns whose result holds what their first argument holds.
const PASS_THROUGH_FNS: &[&str] = &[
    "futures::stream::iter",
    "futures_util::stream::iter",
    "tokio_stream::iter",
    "futures_lite::stream::iter",
    "std::mem::take",
    "std::mem::replace",
    "core::mem::take",
    "std::iter::IntoIterator::into_iter",
    "std::vec::Vec::from",
    "std::vec::Vec::from_iter",
];

/// Free fns that return at most a handful of items, or none.
const FIXED_FNS: &[&str] = &[
    "std::iter::once",
    "std::iter::empty",
    "std::option::Option::Some",
    "std::array::from_fn",
    "std::vec::Vec::new",
    "std::vec::Vec::with_capacity",
    "std::vec::Vec::default",
    "std::collections::VecDeque::new",
    "std::collections::HashMap::new",
];

/// Futures that are complete as soon as they are made.
const READY_FNS: &[&str] = &[
    "futures::future::ready",
    "futures::future::ok",
    "futures::future::err",
    "futures_util::future::ready",
    "futures_util::future::ok",
    "futures_util::future::err",
    "std::future::ready",
    "core::future::ready",
];

/// Operations that end work already running (a task, a connection, a worker).
const TEARDOWN: &[&str] = &[
    "cancel",
    "abort",
    "shutdown",
    "graceful_shutdown",
    "stop",
    "close",
    "terminate",
    "kill",
];

/// Whether a mapped fn (`Task::cancel`) or a closure body (`w.shutdown()`) ends work
/// that runs already rather than starting new work.
fn ends_work(e: &Expr) -> bool {
    let name = match strip(e) {
        Expr::Path(p) => p.path.segments.last().map(|s| s.ident.to_string()),
        Expr::Call(c) => match strip(&c.func) {
            Expr::Path(p) => p.path.segments.last().map(|s| s.ident.to_string()),
            _ => None,
        },
        Expr::MethodCall(m) => Some(m.method.to_string()),
        Expr::Await(a) => return ends_work(&a.base),
        _ => None,
    };
    name.is_some_and(|n| TEARDOWN.contains(&n.as_str()))
}

/// What a local holds, for spawns and pushes through it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Role {
    Other,
    JoinSet,
    Tracker,
    Runtime,
    Futures,
    Semaphore,
    /// A closure whose future takes a permit first (`|a| async move { let _p =
    /// sem.acquire().await?; .. }`): every future it makes waits its turn.
    Gated,
}

impl Role {
    /// Whether futures that use this local are held to a limit by it.
    fn limits(self) -> bool {
        matches!(self, Role::Semaphore | Role::Gated)
    }
}

#[derive(Clone, Debug)]
struct Bind {
    name: String,
    /// `None` for parameters and loop variables: unknown, named where used.
    size: Option<Size>,
    role: Role,
    /// The crate fn whose result it is (`let futs = build_futures(n);`).
    made_by: Option<crate::semantic::callee::Callee>,
}

/// Facts about a loop body or closure body, gathered once when it is entered.
#[derive(Default)]
struct BodyScan {
    acquires: bool,
    idents: HashSet<String>,
    /// Receivers of `len()`, `join_next()`, `next()`: collections watched or drained.
    drained: HashSet<String>,
    /// Receivers of `fetch_add` and of `load`: counters of work in flight, and the
    /// counters that are read.
    counted: HashSet<String>,
    loaded: HashSet<String>,
    /// Collections handed to `select_all`: raced, the first to finish ends the wait.
    raced: HashSet<String>,
}

impl BodyScan {
    fn of(f: impl FnOnce(&mut BodyScan)) -> BodyScan {
        let mut s = BodyScan::default();
        f(&mut s);
        s
    }
}

impl<'ast> Visit<'ast> for BodyScan {
    fn visit_expr_method_call(&mut self, m: &'ast ExprMethodCall) {
        let name = m.method.to_string();
        if PERMIT_METHODS.contains(&name.as_str()) {
            self.acquires = true;
        }
        if matches!(
            name.as_str(),
            "len" | "join_next" | "join_next_with_id" | "next" | "try_next"
        ) {
            if let Some(root) = chain::receiver_ident(&m.receiver) {
                self.drained.insert(root.to_string());
            }
        }
        let counter = match strip(&m.receiver) {
            Expr::Field(f) => match &f.member {
                syn::Member::Named(i) => Some(i.to_string()),
                syn::Member::Unnamed(_) => None,
            },
            r => chain::path_ident(r).map(|i| i.to_string()),
        };
        if let Some(counter) = counter {
            match name.as_str() {
                "fetch_add" => drop(self.counted.insert(counter)),
                "load" => drop(self.loaded.insert(counter)),
                _ => {}
            }
        }
        self.idents.insert(name);
        visit::visit_expr_method_call(self, m);
    }
    fn visit_expr_call(&mut self, c: &'ast syn::ExprCall) {
        // `future::select_all(handles)`: the fn waits for the first of them to end.
        let races = matches!(strip(&c.func), Expr::Path(p)
            if p.path.segments.last().is_some_and(|s| s.ident == "select_all"));
        if races {
            if let Some(root) = c.args.first().and_then(|a| chain::path_ident(strip_ref(a))) {
                self.raced.insert(root.to_string());
            }
        }
        visit::visit_expr_call(self, c);
    }
    fn visit_ident(&mut self, i: &'ast proc_macro2::Ident) {
        self.idents.insert(i.to_string());
    }
    fn visit_macro(&mut self, m: &'ast syn::Macro) {
        parse_body(m).code().for_each(|e| self.visit_expr(e));
    }
    fn visit_expr(&mut self, e: &'ast Expr) {
        stacker::maybe_grow(64 * 1024, 1024 * 1024, || visit::visit_expr(self, e));
    }
}

/// Whether `expr` takes a permit anywhere inside it (closures and async blocks
/// included): `.acquire()`, `.acquire_owned()`, `acquire_many*`, `try_acquire*`.
pub fn acquires_permit(expr: &Expr) -> bool {
    BodyScan::of(|s| s.visit_expr(expr)).acquires
}

/// Whether a method chain bounds the number of items in flight or in total.
pub fn chain_is_bounded(methods: &[&ExprMethodCall]) -> bool {
    methods.iter().any(|m| is_bounding(m))
}

fn is_bounding(m: &ExprMethodCall) -> bool {
    let name = m.method.to_string();
    if BOUNDING_METHODS.contains(&name.as_str()) {
        return true;
    }
    // `for_each_concurrent(Some(n), ..)`, `for_each_concurrent(limit, ..)`: bounded
    // unless the limit is written `None`.
    matches!(
        name.as_str(),
        "for_each_concurrent" | "try_for_each_concurrent"
    ) && !m.args.first().is_some_and(is_none)
}

fn is_none(e: &Expr) -> bool {
    chain::path_ident(e).is_some_and(|i| i == "None")
}

/// A `for` loop or iterator adapter that runs its body once per item.
struct PerItem {
    size: Size,
    over_text: String,
    item: Option<String>,
    /// The names the item's pattern binds.
    names: HashSet<String>,
    bounded: bool,
    chunked: bool,
    drained: HashSet<String>,
    idents: HashSet<String>,
    counted: HashSet<String>,
}

enum Frame {
    /// A `for` loop body, or the closure of a per-item adapter on a chain that is
    /// driven to its end right away.
    PerItem(Box<PerItem>),
    /// An inline closure that runs once, not per item (`Option::map`): look outward.
    Inline,
    /// Code that runs at another time or an unknown number of times: an async block,
    /// a closure stored or passed elsewhere, a lazy adapter.
    Barrier,
    /// The body of a `while` or `loop`, with the collections whose `len()` the loop
    /// checks (`while batch.len() < LIMIT { batch.push(..) }`).
    Loop(HashSet<String>),
}

/// [`fanouts`], computed once per fn when several rules ask within one file's analysis.
pub fn fanouts_shared(cx: &Cx, sig: &Signature, body: &Block) -> std::rc::Rc<Vec<Fanout>> {
    super::macros::per_body(body, || fanouts(cx, sig, body))
}

/// Every fan-out over a collection of unknown size in the fn `body`, bounded or not.
pub fn fanouts(cx: &Cx, sig: &Signature, body: &Block) -> Vec<Fanout> {
    let scan = BodyScan::of(|s| s.visit_block(body));
    let mut w = Walk {
        cx,
        loaded: scan.loaded,
        raced: scan.raced,
        binds: Vec::new(),
        frames: Vec::new(),
        forced: false,
        push_target: None,
        next_closure: None,
        out: Vec::new(),
        replies: Vec::new(),
        mapped_runs: Vec::new(),
    };
    for input in &sig.inputs {
        if let syn::FnArg::Typed(pt) = input {
            let mut names = HashSet::default();
            super::body::pattern_names(&pt.pat, &mut names);
            // `sources: [Source; 4]`: an array parameter has a fixed length;
            // `handles: Vec<JoinHandle<T>>` holds tasks that run already.
            let size = if is_array(&pt.ty) {
                Some(Size::Fixed)
            } else {
                holds_handles(&pt.ty.to_token_stream().to_string()).then_some(Size::Handles)
            };
            for name in names {
                let role = cx
                    .binding(&name)
                    .and_then(|o| o.ty.as_deref())
                    .map_or(Role::Other, role_of_type);
                w.binds.push(Bind {
                    name,
                    size: size.clone(),
                    role,
                    made_by: None,
                });
            }
        }
    }
    w.visit_block(body);
    let mut seen = HashSet::default();
    let mut out = w.out;
    out.retain(|f| seen.insert((f.range, std::mem::discriminant(&f.kind))));
    out
}

fn is_iteration(m: &ExprMethodCall) -> bool {
    let name = m.method.to_string();
    let name = name.as_str();
    ITER_ENTRY.contains(&name)
        || ITER_ADAPTERS.contains(&name)
        || PER_ITEM_ADAPTERS.contains(&name)
        || DRIVERS.contains(&name)
        || BOUNDING_METHODS.contains(&name)
        || name.ends_with("for_each_concurrent")
}

fn is_array(ty: &syn::Type) -> bool {
    match ty {
        syn::Type::Array(_) | syn::Type::Tuple(_) => true,
        syn::Type::Reference(r) => is_array(&r.elem),
        syn::Type::Paren(p) => is_array(&p.elem),
        _ => false,
    }
}

/// Code as one line: a line break and the indentation after it are dropped, so
/// `items\n    .iter()` reads `items.iter()`.
fn one_line(code: &str) -> String {
    let mut out = String::with_capacity(code.len());
    let mut lines = code.lines();
    if let Some(first) = lines.next() {
        out.push_str(first.trim_end());
    }
    for line in lines {
        let line = line.trim();
        let joins = line.starts_with(['.', ')', ']', '}', '?']) || out.ends_with(['(', '[', '{']);
        if !joins && !out.is_empty() {
            out.push(' ');
        }
        out.push_str(line);
    }
    out
}

/// Whether a spawned future is a long-running worker (an async block whose body runs a
/// `loop` or `while`): one per item of a list of resources (shards, configured inputs),
/// not one per item of work.
fn is_worker(future: &Expr) -> bool {
    match strip(future) {
        Expr::Async(a) => crate::semantic::body::runs_a_loop(&a.block.stmts),
        // `{ let bus = bus.clone(); async move { loop { .. } } }`
        Expr::Block(b) => match b.block.stmts.last() {
            Some(syn::Stmt::Expr(e, None)) => is_worker(e),
            _ => false,
        },
        _ => false,
    }
}

/// Whether a closure only awaits what it is given: `|h| async move { h.await }`,
/// `|rx| async move { rx.await.ok() }`.
fn awaits_only_its_argument(c: &syn::ExprClosure) -> bool {
    let [Pat::Ident(param)] = c.inputs.iter().collect::<Vec<_>>()[..] else {
        return false;
    };
    let Expr::Async(a) = strip(&c.body) else {
        return false;
    };
    let [syn::Stmt::Expr(tail, _)] = a.block.stmts.as_slice() else {
        return false;
    };
    let mut e = strip(tail);
    loop {
        match e {
            Expr::MethodCall(m) if m.args.is_empty() => e = strip(&m.receiver),
            Expr::Try(t) => e = strip(&t.expr),
            Expr::Await(aw) => {
                return chain::path_ident(strip(&aw.base)).is_some_and(|i| *i == param.ident)
            }
            _ => return false,
        }
    }
}

/// Whether a closure only waits for the work its argument stands for to end:
/// `|h| h.wait_until_completed()`, `|t| t.join()`: the work runs already.
fn waits_on_its_argument(c: &syn::ExprClosure) -> bool {
    let [Pat::Ident(param)] = c.inputs.iter().collect::<Vec<_>>()[..] else {
        return false;
    };
    match crate::semantic::body::unwrap_adapters(&c.body) {
        Expr::MethodCall(m) => end_waited_on(m).is_some_and(|i| *i == param.ident),
        _ => false,
    }
}

/// `t` of `t.join()`, `t.wait()`, `t.wait_*()` with no arguments: a wait for the
/// work `t` stands for to end.
fn end_waited_on(m: &ExprMethodCall) -> Option<&syn::Ident> {
    let name = m.method.to_string();
    let ends = m.args.is_empty() && (name == "join" || name == "wait" || name.starts_with("wait_"));
    ends.then(|| chain::path_ident(strip(&m.receiver)))
        .flatten()
}

/// Whether an `async` block only waits for the work the loop item (bound to `names`)
/// stands for to end: it awaits, and every `.await` in it is a wait for the end of
/// one of them (`async move { match plugin.join().await { .. } }`): that work runs
/// already.
fn awaits_only_end_of(e: &Expr, names: &HashSet<String>) -> bool {
    struct Awaits<'a> {
        names: &'a HashSet<String>,
        seen: bool,
        other: bool,
    }
    impl<'ast> Visit<'ast> for Awaits<'_> {
        fn visit_expr_await(&mut self, a: &'ast syn::ExprAwait) {
            let ends = match strip(&a.base) {
                Expr::MethodCall(m) => {
                    end_waited_on(m).is_some_and(|i| self.names.contains(&i.to_string()))
                }
                _ => false,
            };
            self.seen = true;
            self.other |= !ends;
            visit::visit_expr_await(self, a);
        }
        fn visit_item(&mut self, _: &'ast syn::Item) {}
    }
    let Expr::Async(a) = strip(e) else {
        return false;
    };
    let mut v = Awaits {
        names,
        seen: false,
        other: false,
    };
    v.visit_block(&a.block);
    v.seen && !v.other
}

/// Whether a declared type holds handles of spawned tasks (`Vec<JoinHandle<()>>`).
pub(crate) fn holds_handles(ty: &str) -> bool {
    // Tasks' handles, and receivers of replies to work sent elsewhere.
    ty.contains("JoinHandle")
        || ty.contains("oneshot :: Receiver")
        || ty.contains("oneshot::Receiver")
}

/// `x` for `&x` and `&mut x`.
fn strip_ref(e: &Expr) -> &Expr {
    match strip(e) {
        Expr::Reference(r) => strip_ref(&r.expr),
        e => e,
    }
}

/// `T::new()`, `T::default()`, `T::with_capacity(n)`: a fresh, empty value.
fn is_constructor(path: &str) -> bool {
    path.rsplit_once("::")
        .is_some_and(|(_, f)| matches!(f, "new" | "default" | "with_capacity"))
}

fn pat_range(cx: &Cx, p: &Pat) -> TextRange {
    cx.file.range(p.span())
}

/// The resolved path of a declared type (see [`super::types::type_path`]).
fn type_path(cx: &Cx, ty: &syn::Type) -> Option<String> {
    super::types::type_path(ty, &cx.file.uses)
}

fn role_of_type(ty: &str) -> Role {
    let last = ty.rsplit("::").next().unwrap_or(ty);
    let futures = ty.starts_with("futures::") || ty.starts_with("futures_util::");
    match last {
        "JoinSet" if ty.starts_with("tokio::") => Role::JoinSet,
        "TaskTracker" if ty.starts_with("tokio_util::") => Role::Tracker,
        "Runtime" | "Handle" if ty.starts_with("tokio::runtime::") => Role::Runtime,
        "Executor" | "LocalExecutor"
            if ty.starts_with("async_executor::") || ty.starts_with("smol::") =>
        {
            Role::Runtime
        }
        "FuturesUnordered" | "FuturesOrdered" if futures => Role::Futures,
        "Semaphore" => Role::Semaphore,
        _ => Role::Other,
    }
}

fn role_of_path(path: &str) -> Role {
    if tasks::is_tokio_runtime_root(path) {
        return Role::Runtime;
    }
    match path.rsplit_once("::") {
        Some((ty, "new" | "default" | "const_new")) => role_of_type(ty),
        _ => Role::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::semantic::probe_walk;
    use std::sync::Mutex;

    /// Every fan-out of every fn: what it starts over, and whether it is bounded.
    fn sites(src: &str) -> Vec<(String, bool)> {
        let seen = Mutex::new(Vec::new());
        probe_walk(
            src,
            |_, _| {},
            |cx, f| {
                for site in fanouts(cx, f.sig, f.body) {
                    let what = match &site.kind {
                        FanoutKind::Spawn { .. } => "spawn",
                        FanoutKind::Join { .. } => "join",
                        FanoutKind::Push { .. } => "push",
                    };
                    let text = format!("{what} over {}", site.over.text);
                    seen.lock().unwrap().push((text, site.bounded));
                }
            },
        );
        seen.into_inner().unwrap()
    }

    fn unbounded(src: &str) -> Vec<String> {
        sites(src)
            .into_iter()
            .filter(|(_, b)| !b)
            .map(|(t, _)| t)
            .collect()
    }

    #[test]
    fn joins_over_collections_of_unknown_size() {
        let got = unbounded(
            "use futures::future::join_all;\n\
             async fn a(ids: Vec<u64>) {\n\
               join_all(ids.iter().map(|id| f(id))).await;\n\
               join_all([f(1), f(2)]).await;\n\
               join_all(vec![f(1), f(2)]).await;\n\
               for chunk in ids.chunks(10) { join_all(chunk.iter().map(|i| f(i))).await; }\n\
               let mut futs = Vec::new();\n\
               for id in &ids { futs.push(f(id)); }\n\
               join_all(futs).await;\n\
               let mut two = Vec::new(); two.push(f(1)); two.push(f(2));\n\
               join_all(two).await;\n\
               join_all(ids.iter().map(|id| tokio::spawn(g(*id)))).await;\n\
               join_all(ids.iter().map(|id| async { let _p = sem.acquire().await; f(id).await })).await;\n\
             }",
        );
        assert_eq!(got, ["join over ids", "join over futs", "spawn over ids"]);
    }

    #[test]
    fn spawns_per_item_and_their_bounds() {
        let got = unbounded(
            "use tokio::task::JoinSet;\n\
             async fn a(lines: Vec<String>, listener: std::net::TcpListener, sem: Arc<Semaphore>) {\n\
               for line in &lines { let h = tokio::spawn(upload(line.clone())); hs.push(h); }\n\
               for _ in 0..8 { tokio::spawn(worker()); }\n\
               for s in listener.incoming() { tokio::spawn(serve(s)); }\n\
               for line in &lines { let p = sem.clone().acquire_owned().await; tokio::spawn(up(p)); }\n\
               let mut set = JoinSet::new();\n\
               for line in &lines { set.spawn(upload(line)); }\n\
               for line in &lines { if set.len() > 8 { set.join_next().await; } set.spawn(upload(line)); }\n\
               loop { let (s, _) = l.accept().await?; tokio::spawn(serve(s)); }\n\
             }",
        );
        assert_eq!(got, ["spawn over lines", "spawn over lines"]);
    }
}
