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

/// Methods that add to a collection.
const GROW_METHODS: &[&str] = &["push", "push_back", "push_front", "insert", "extend"];

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
}

#[derive(Clone, Debug)]
struct Bind {
    name: String,
    /// `None` for parameters and loop variables: unknown, named where used.
    size: Option<Size>,
    role: Role,
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
    let mut w = Walk {
        cx,
        loaded: BodyScan::of(|s| s.visit_block(body)).loaded,
        binds: Vec::new(),
        frames: Vec::new(),
        forced: false,
        push_target: None,
        next_closure: None,
        out: Vec::new(),
        replies: Vec::new(),
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

struct Walk<'c, 'a> {
    cx: &'c Cx<'a>,
    /// Counters the fn reads (`in_flight.load(..)`): a task that increments one is
    /// counted against a limit the fn checks.
    loaded: HashSet<String>,
    binds: Vec<Bind>,
    frames: Vec<Frame>,
    /// The expression about to be visited is driven to its end right away (the
    /// argument of `join_all`, `extend`, ...).
    forced: bool,
    /// The expression about to be visited is pushed into this local.
    push_target: Option<String>,
    next_closure: Option<Frame>,
    out: Vec<Fanout>,
    /// Receivers of `oneshot` channels bound in the fn: each waits for a reply to work
    /// sent elsewhere, so joining them starts nothing.
    replies: Vec<String>,
}

impl Walk<'_, '_> {
    fn lookup(&self, name: &str) -> Option<&Bind> {
        self.binds.iter().rev().find(|b| b.name == name)
    }

    fn text(&self, e: &Expr) -> String {
        one_line(self.cx.text(e))
    }

    fn over(&self, e: &Expr) -> Over {
        Over {
            text: self.text(e),
            range: self.cx.range(e),
            filled_per: None,
        }
    }

    /// From the start of a chain's root to the end of method `m`.
    fn method_range(&self, root: &Expr, m: &ExprMethodCall) -> TextRange {
        let start = self.cx.range(root).start;
        TextRange::new(start, self.cx.file.end_of(m.paren_token.span.close()))
    }

    fn method_text(&self, root: &Expr, m: &ExprMethodCall) -> String {
        one_line(self.cx.file.slice(self.method_range(root, m)))
    }

    /// The size of the collection an expression iterates over.
    fn size_of(&self, e: &Expr) -> Size {
        let c = chain::chain(e);
        self.size_of_parts(c.root, &c.methods, 0)
    }

    fn size_of_parts(&self, root: &Expr, methods: &[&ExprMethodCall], depth: usize) -> Size {
        let sliced = methods.iter().any(|m| {
            m.method == "get"
                && m.args
                    .first()
                    .is_some_and(|a| matches!(strip(a), Expr::Range(_)))
        }) || matches!(strip(root), Expr::Index(i) if matches!(strip(&i.index), Expr::Range(_)));
        if chain_is_bounded(methods) || sliced {
            return Size::Bounded;
        }
        if methods
            .iter()
            .any(|m| ARRIVALS.iter().any(|a| m.method == a))
        {
            return Size::Opaque;
        }
        // A path's ancestors or components: as many as the path is deep.
        if methods
            .iter()
            .any(|m| m.args.is_empty() && (m.method == "ancestors" || m.method == "components"))
        {
            return Size::Bounded;
        }
        for m in methods {
            if !PER_ITEM_ADAPTERS.iter().any(|a| m.method == a) {
                continue;
            }
            for arg in &m.args {
                // `.map(Task::cancel)`, `.map(|w| w.shutdown())`: ending work that runs
                // already starts nothing new.
                if ends_work(arg) {
                    return Size::Opaque;
                }
                if let Expr::Closure(c) = strip(arg) {
                    if self.returns_spawn(&c.body) {
                        return Size::Handles;
                    }
                    if self.returns_ready(&c.body) || ends_work(&c.body) {
                        return Size::Opaque;
                    }
                    // `|h| async move { h.await }`: the items are futures already, the
                    // work started elsewhere; `|shard| async move { loop { .. } }`: a
                    // fixed set of long-lived workers that must all run at once (a
                    // bound would leave some never started).
                    if awaits_only_its_argument(c) || is_worker(&c.body) {
                        return Size::Opaque;
                    }
                    if self.bounds_itself(&BodyScan::of(|s| s.visit_expr(&c.body))) {
                        return Size::Bounded;
                    }
                }
            }
        }
        if depth > 4 {
            return Size::Opaque;
        }
        // `store.list_keys().await?.into_iter()`: the collection is what a method
        // returned, not the receiver it was called on.
        let entry = methods
            .iter()
            .position(|m| is_iteration(m))
            .unwrap_or(methods.len());
        if let Some(last) = methods[..entry]
            .iter()
            .rev()
            .find(|m| !VIEW_METHODS.iter().any(|n| m.method == n))
        {
            return Size::Unknown(Over {
                text: self.method_text(root, last),
                range: self.method_range(root, last),
                filled_per: None,
            });
        }
        match strip(root) {
            Expr::Array(_) | Expr::Tuple(_) | Expr::Repeat(_) | Expr::Lit(_) | Expr::Range(_) => {
                Size::Fixed
            }
            Expr::Macro(m) => {
                let name = m.mac.path.segments.last().map(|s| s.ident.to_string());
                match name.as_deref() {
                    Some("vec" | "smallvec" | "array_vec") => Size::Fixed,
                    _ => Size::Opaque,
                }
            }
            Expr::Reference(r) => self.size_of_depth(&r.expr, depth + 1),
            Expr::Unary(u) => self.size_of_depth(&u.expr, depth + 1),
            Expr::Call(call) => match self.cx.call_path(root) {
                Some(p) if FIXED_FNS.contains(&p.as_str()) || is_constructor(&p) => Size::Fixed,
                Some(p) if PASS_THROUGH_FNS.contains(&p.as_str()) => match call.args.first() {
                    Some(arg) => self.size_of_depth(arg, depth + 1),
                    None => Size::Opaque,
                },
                _ => Size::Unknown(self.over(root)),
            },
            Expr::Path(p) if p.qself.is_none() => match p.path.get_ident() {
                Some(ident) => match self.lookup(&ident.to_string()) {
                    Some(Bind { size: Some(s), .. }) => s.clone(),
                    Some(Bind { size: None, .. }) => Size::Unknown(self.over(root)),
                    // A constant, a static, an item: not a local collection.
                    None => Size::Opaque,
                },
                None => Size::Opaque,
            },
            Expr::Field(f) => {
                let ty = match &f.member {
                    syn::Member::Named(name) => self.cx.file.field_types.get(&name.to_string()),
                    syn::Member::Unnamed(_) => None,
                };
                if ty.is_some_and(|t| holds_handles(t)) {
                    Size::Handles
                } else {
                    Size::Unknown(self.over(root))
                }
            }
            Expr::Index(_) | Expr::MethodCall(_) => Size::Unknown(self.over(root)),
            _ => Size::Opaque,
        }
    }

    fn size_of_depth(&self, e: &Expr, depth: usize) -> Size {
        let c = chain::chain(e);
        self.size_of_parts(c.root, &c.methods, depth)
    }

    /// The size of what `root.m0()...m(k-1)()` iterates over, when it is explicitly a
    /// collection turned into an iterator or stream (`ids.iter()`, `stream::iter(ids)`,
    /// a literal); `Opaque` for anything else (an `Option`, a stream of arrivals).
    fn collection_size(&self, c: &Chain, upto: usize) -> Size {
        let methods = &c.methods[..upto];
        let literal = matches!(
            strip(c.root),
            Expr::Array(_) | Expr::Range(_) | Expr::Macro(_) | Expr::Tuple(_)
        );
        let entry = methods
            .iter()
            .any(|m| ITER_ENTRY.iter().any(|n| m.method == n));
        let stream_iter = self
            .cx
            .call_path(c.root)
            .is_some_and(|p| p.ends_with("stream::iter") || p == "tokio_stream::iter");
        if literal || entry || stream_iter {
            self.size_of_parts(c.root, methods, 0)
        } else {
            Size::Opaque
        }
    }

    /// Whether a body bounds its own concurrency: it takes a permit, or it holds a
    /// semaphore (a local made from `Semaphore::new`, a field named like one).
    fn bounds_itself(&self, scan: &BodyScan) -> bool {
        scan.acquires
            || scan.idents.iter().any(|i| {
                let l = i.to_ascii_lowercase();
                l.contains("semaphore")
                    || l.contains("permit")
                    || self.lookup(i).is_some_and(|b| b.role == Role::Semaphore)
            })
    }

    /// The spawner, when `e` spawns a task.
    fn spawn_of(&self, e: &Expr) -> Option<FanoutKind> {
        match strip(e) {
            Expr::Call(_) => tasks::spawn_call(self.cx, e).map(|s| FanoutKind::Spawn {
                spawner: s.spawner,
                join_set: false,
            }),
            Expr::MethodCall(m) => self.method_spawn(m),
            _ => None,
        }
    }

    /// `set.spawn(..)` on a `JoinSet`/`TaskTracker`, `rt.spawn(..)` on a runtime,
    /// handle or executor (a local, a parameter of that type, `Handle::current()`).
    fn method_spawn(&self, m: &ExprMethodCall) -> Option<FanoutKind> {
        if !SPAWN_METHODS.iter().any(|n| m.method == n) {
            return None;
        }
        let c = chain::chain(&m.receiver);
        let role = match strip(c.root) {
            Expr::Call(_) => role_of_path(&self.cx.call_path(c.root)?),
            root => self.lookup(&chain::path_ident(root)?.to_string())?.role,
        };
        matches!(role, Role::JoinSet | Role::Tracker | Role::Runtime).then(|| FanoutKind::Spawn {
            spawner: format!("{}.{}", self.text(&m.receiver), m.method),
            join_set: role == Role::JoinSet,
        })
    }

    /// Whether a closure body's value is a future that is complete from the start
    /// (`future::ready(x)`, `future::ok(x)`): joining those starts no work.
    fn returns_ready(&self, body: &Expr) -> bool {
        self.cx
            .call_path(strip(body))
            .is_some_and(|p| READY_FNS.contains(&p.as_str()))
    }

    /// Whether a closure body's value is a spawned task's handle.
    fn returns_spawn(&self, body: &Expr) -> bool {
        let tail = match strip(body) {
            Expr::Block(b) => match b.block.stmts.last() {
                Some(syn::Stmt::Expr(e, None)) => e,
                _ => return false,
            },
            e => e,
        };
        self.spawn_of(tail).is_some()
    }

    /// The innermost per-item frame around this point, if the code here runs once per
    /// item; with whether an enclosing `for` loop runs over fixed-size chunks.
    fn per_item(&self) -> Option<(&PerItem, bool)> {
        let mut found: Option<&PerItem> = None;
        for f in self.frames.iter().rev() {
            match f {
                Frame::Inline => continue,
                Frame::Barrier | Frame::Loop(_) => return found.map(|p| (p, false)),
                Frame::PerItem(p) => match found {
                    None => found = Some(p),
                    Some(inner) if p.chunked => return Some((inner, true)),
                    Some(_) => {}
                },
            }
        }
        found.map(|p| (p, false))
    }

    /// How a push at this point grows its collection.
    fn growth(&self, target: &str, at: TextRange) -> Size {
        let filled = |per: Option<String>| {
            Size::Unknown(Over {
                text: target.to_string(),
                range: at,
                filled_per: Some(per),
            })
        };
        for f in self.frames.iter().rev() {
            match f {
                Frame::Inline => continue,
                Frame::Loop(watched) if watched.contains(target) => return Size::Bounded,
                Frame::Loop(_) => return filled(None),
                Frame::Barrier => return Size::Opaque,
                Frame::PerItem(p) => {
                    return match &p.size {
                        Size::Unknown(_) if p.bounded || p.drained.contains(target) => {
                            Size::Bounded
                        }
                        Size::Unknown(_) => filled(Some(p.over_text.clone())),
                        Size::Bounded => Size::Bounded,
                        _ => Size::Fixed,
                    };
                }
            }
        }
        Size::Fixed
    }

    /// A local whose size a guard caps from here on.
    fn cap(&mut self, name: &str) {
        if let Some(b) = self.binds.iter_mut().rev().find(|b| b.name == name) {
            b.size = Some(Size::Bounded);
        }
    }

    fn grow(&mut self, target: &str, by: Size) {
        if let Some(b) = self.binds.iter_mut().rev().find(|b| b.name == target) {
            if let Some(size) = b.size.take() {
                b.size = Some(size.max(by));
            }
        }
    }

    /// Records a spawn or a push made at this point, when it runs once per item of a
    /// collection of unknown size.
    fn per_item_site(&mut self, kind: FanoutKind, range: TextRange, future: Option<&Expr>) {
        let watched: Vec<String> = match &kind {
            FanoutKind::Spawn { spawner, .. } => spawner
                .split('.')
                .next()
                .map(str::to_string)
                .into_iter()
                .chain(self.push_target.clone())
                .collect(),
            FanoutKind::Push { set } => vec![set.clone()],
            FanoutKind::Join { .. } => Vec::new(),
        };
        let Some((p, chunked_outside)) = self.per_item() else {
            return;
        };
        let Size::Unknown(over) = &p.size else {
            return;
        };
        if matches!(kind, FanoutKind::Spawn { .. }) && future.is_some_and(is_worker) {
            return;
        }
        let bounded = p.bounded
            // A hand-rolled limit: the task counts itself in a counter the fn checks.
            || p.counted.iter().any(|c| self.loaded.contains(c))
            || p.chunked
            || chunked_outside
            || watched.iter().any(|w| p.drained.contains(w))
            // The loop watches the length of a collection it keeps outside the loop.
            || p.drained.iter().any(|d| {
                self.lookup(d)
                    .is_some_and(|b| b.size.is_some() || b.role != Role::Other)
            })
            || watched
                .iter()
                .any(|w| self.lookup(w).is_some_and(|b| b.role == Role::Semaphore))
            || p.idents.iter().any(|i| {
                self.lookup(i).is_some_and(|b| b.role == Role::Semaphore)
            });
        let site = Fanout {
            kind,
            range,
            over: over.clone(),
            source: Some(p.over_text.clone()),
            mapped: None,
            item: p.item.clone(),
            future: future.map(|f| self.text(f)),
            bounded,
        };
        self.out.push(site);
    }

    /// Records a join over `collection` at `range`.
    fn join_site(&mut self, how: JoinHow, range: TextRange, size: Size, chain: &Chain) {
        let bounded = match size {
            Size::Unknown(_) => false,
            Size::Bounded => true,
            _ => return,
        };
        let over = match size {
            Size::Unknown(o) => o,
            _ => self.over(chain.root),
        };
        let (source, mapped) = match chain.methods.split_last() {
            Some((last, rest)) if last.method == "map" && last.args.len() == 1 => {
                let source = match rest.last() {
                    Some(m) => self.method_text(chain.root, m),
                    None => self.text(chain.root),
                };
                (Some(source), last.args.first().map(|a| self.text(a)))
            }
            _ => (None, None),
        };
        self.out.push(Fanout {
            kind: FanoutKind::Join { how },
            range,
            over,
            source,
            mapped,
            item: None,
            future: None,
            bounded,
        });
    }

    fn bind_local(&mut self, pat: &Pat, init: Option<&Expr>) {
        // `let (tx, rx) = oneshot::channel();`
        if let (Pat::Tuple(t), Some(init)) = (strip_pat_type(pat), init) {
            let oneshot = self
                .cx
                .call_path(strip(init))
                .is_some_and(|p| p.ends_with("oneshot::channel"));
            if let (true, Some(Pat::Ident(rx))) = (oneshot, t.elems.iter().nth(1)) {
                self.replies.push(rx.ident.to_string());
            }
        }
        let (pat, ty, handles) = match pat {
            Pat::Type(t) => (
                &*t.pat,
                type_path(self.cx, &t.ty),
                holds_handles(&t.ty.to_token_stream().to_string()),
            ),
            p => (p, None, false),
        };
        if let (Pat::Ident(pi), Some(init)) = (pat, init) {
            let role = ty
                .as_deref()
                .map_or_else(|| self.role_of(init), role_of_type);
            let size = if handles {
                Size::Handles
            } else {
                self.size_of(init)
            };
            if role == Role::Futures && ty.is_some() {
                // `let futs: FuturesUnordered<_> = items.iter().map(f).collect();`
                let c = chain::chain(init);
                if let Some((i, m)) = c
                    .methods
                    .iter()
                    .enumerate()
                    .find(|(_, m)| m.method == "collect")
                {
                    let size = self.size_of_parts(c.root, &c.methods[..i], 0);
                    let range = self.method_range(c.root, m);
                    let inner = Chain {
                        root: c.root,
                        methods: c.methods[..i].to_vec(),
                        awaited: false,
                    };
                    let ty = ty.as_deref().and_then(|t| t.rsplit("::").next());
                    let how = JoinHow::Collect(ty.unwrap_or("FuturesUnordered").to_string());
                    self.join_site(how, range, size, &inner);
                }
            }
            // A collection of unknown size is named where it is used.
            let size = match size {
                Size::Unknown(o) if o.filled_per.is_none() => None,
                s => Some(s),
            };
            self.binds.push(Bind {
                name: pi.ident.to_string(),
                size,
                role,
            });
            return;
        }
        let mut names = HashSet::default();
        super::body::pattern_names(pat, &mut names);
        for name in names {
            self.binds.push(Bind {
                name,
                size: Some(Size::Opaque),
                role: Role::Other,
            });
        }
    }

    fn role_of(&self, init: &Expr) -> Role {
        let c = chain::chain(init);
        if let Expr::Call(call) = strip(c.root) {
            let Some(path) = self.cx.call_path(c.root) else {
                return Role::Other;
            };
            if path.ends_with("Arc::new") || path.ends_with("Rc::new") {
                return call.args.first().map_or(Role::Other, |a| self.role_of(a));
            }
            return role_of_path(&path);
        }
        match chain::path_ident(c.root) {
            // `let handle = rt.handle().clone();`, `let sem = sem.clone();`
            Some(name) => self
                .lookup(&name.to_string())
                .map_or(Role::Other, |b| match b.role {
                    r @ (Role::Runtime | Role::Semaphore) => r,
                    _ => Role::Other,
                }),
            None => Role::Other,
        }
    }

    /// A method chain, handled from its outermost call: closures along it get the frame
    /// that says how often they run; spawns, pushes and joins along it are recorded.
    fn visit_chain(&mut self, e: &Expr, forced_here: bool) {
        let c = chain::chain(e);
        self.visit_expr(c.root);
        for i in 0..c.methods.len() {
            let m = c.methods[i];
            let name = m.method.to_string();
            let range = self.method_range(c.root, m);
            let receiver = chain::path_ident(c.root)
                .filter(|_| i == 0)
                .map(|r| r.to_string());
            let role = receiver
                .as_deref()
                .and_then(|r| self.lookup(r))
                .map(|b| b.role);
            self.check_method(&c, i, receiver.as_deref(), role, range);
            for arg in &m.args {
                if let Expr::Closure(cl) = strip(arg) {
                    let frame = self.closure_frame(&c, i, forced_here, cl);
                    self.next_closure = Some(frame);
                } else if name == "extend" {
                    self.forced = true;
                }
                let target = if matches!(name.as_str(), "push" | "push_back" | "push_front") {
                    receiver.clone()
                } else {
                    None
                };
                let outer = std::mem::replace(&mut self.push_target, target);
                self.visit_expr(arg);
                self.push_target = outer;
                self.forced = false;
                self.next_closure = None;
            }
        }
    }

    fn check_method(
        &mut self,
        c: &Chain,
        i: usize,
        receiver: Option<&str>,
        role: Option<Role>,
        range: TextRange,
    ) {
        let m = c.methods[i];
        let name = m.method.to_string();
        if name == "truncate" {
            if let Some(target) = receiver {
                self.cap(target);
            }
        }
        if let Some(kind) = self.method_spawn(m) {
            let future = m.args.first();
            self.per_item_site(kind, range, future);
            return;
        }
        if GROW_METHODS.contains(&name.as_str()) {
            let (Some(target), Some(arg)) = (receiver, m.args.last()) else {
                return;
            };
            if role == Some(Role::Futures) && name == "extend" {
                let size = self.size_of(arg);
                let inner = chain::chain(arg);
                self.join_site(JoinHow::Extend(target.to_string()), range, size, &inner);
                return;
            }
            let reply =
                chain::path_ident(strip(arg)).is_some_and(|i| self.replies.iter().any(|r| *i == r));
            let by = if self.spawn_of(arg).is_some() || reply {
                Size::Handles
            } else if name == "extend" {
                self.size_of(arg).max(self.growth(target, range))
            } else {
                self.growth(target, range)
            };
            self.grow(target, by);
            if role == Some(Role::Futures) && name != "extend" && self.spawn_of(arg).is_none() {
                let set = target.to_string();
                self.per_item_site(FanoutKind::Push { set }, range, Some(arg));
            }
            return;
        }
        // `.collect::<FuturesUnordered<_>>()`: the type's name.
        let into_futures = m
            .turbofish
            .as_ref()
            .filter(|_| name == "collect")
            .and_then(|t| match t.args.first() {
                Some(syn::GenericArgument::Type(ty)) => type_path(self.cx, ty),
                _ => None,
            })
            .filter(|ty| role_of_type(ty) == Role::Futures)
            .and_then(|ty| ty.rsplit("::").next().map(str::to_string));
        let concurrent_unlimited = matches!(
            name.as_str(),
            "for_each_concurrent" | "try_for_each_concurrent"
        ) && m.args.first().is_some_and(is_none);
        if into_futures.is_some() || concurrent_unlimited {
            let size = if into_futures.is_some() {
                self.size_of_parts(c.root, &c.methods[..i], 0)
            } else {
                self.collection_size(c, i)
            };
            let inner = Chain {
                root: c.root,
                methods: c.methods[..i].to_vec(),
                awaited: false,
            };
            let how = match into_futures {
                Some(ty) => JoinHow::Collect(ty),
                None => JoinHow::Concurrent(name),
            };
            self.join_site(how, range, size, &inner);
        }
    }

    /// How often the closure passed to method `i` of a chain runs.
    fn closure_frame(&self, c: &Chain, i: usize, forced: bool, cl: &syn::ExprClosure) -> Frame {
        let m = c.methods[i];
        if cl.asyncness.is_some() {
            return Frame::Barrier;
        }
        if PER_ITEM_ADAPTERS.iter().any(|a| m.method == a) {
            let size = self.collection_size(c, i);
            if size != Size::Opaque {
                let driven = forced
                    || matches!(m.method.to_string().as_str(), "for_each" | "try_for_each")
                    || c.methods[i + 1..]
                        .iter()
                        .any(|later| DRIVERS.iter().any(|d| later.method == d));
                if !driven {
                    return Frame::Barrier;
                }
                let scan = BodyScan::of(|s| s.visit_expr(&cl.body));
                let source = match i.checked_sub(1) {
                    Some(prev) => self.method_text(c.root, c.methods[prev]),
                    None => self.text(c.root),
                };
                return Frame::PerItem(Box::new(PerItem {
                    size,
                    over_text: source,
                    item: cl
                        .inputs
                        .first()
                        .map(|p| self.cx.file.slice(pat_range(self.cx, p)).to_string()),
                    bounded: chain_is_bounded(&c.methods) || self.bounds_itself(&scan),
                    chunked: false,
                    drained: scan.drained,
                    idents: scan.idents,
                    counted: scan.counted,
                }));
            }
        }
        if INLINE_ONCE.iter().any(|n| m.method == n) {
            Frame::Inline
        } else {
            Frame::Barrier
        }
    }

    fn with_frame(&mut self, frame: Frame, f: impl FnOnce(&mut Self)) {
        let depth = self.binds.len();
        self.frames.push(frame);
        f(self);
        self.frames.pop();
        self.binds.truncate(depth);
    }
}

/// Whether a method works on the items of a collection (enters, adapts or drives an
/// iterator or stream) rather than producing the collection.
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
        Expr::Async(a) => a
            .block
            .stmts
            .iter()
            .any(|s| matches!(s, syn::Stmt::Expr(Expr::Loop(_) | Expr::While(_), _))),
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

/// Whether a declared type holds handles of spawned tasks (`Vec<JoinHandle<()>>`).
fn holds_handles(ty: &str) -> bool {
    // Tasks' handles, and receivers of replies to work sent elsewhere.
    ty.contains("JoinHandle")
        || ty.contains("oneshot :: Receiver")
        || ty.contains("oneshot::Receiver")
}

/// A pattern without its type ascription (`(tx, rx): (Sender<T>, Receiver<T>)`).
fn strip_pat_type(pat: &Pat) -> &Pat {
    match pat {
        Pat::Type(t) => &t.pat,
        p => p,
    }
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

impl<'ast> Visit<'ast> for Walk<'_, '_> {
    fn visit_block(&mut self, b: &'ast Block) {
        let depth = self.binds.len();
        for s in &b.stmts {
            self.visit_stmt(s);
        }
        self.binds.truncate(depth);
    }

    fn visit_local(&mut self, l: &'ast syn::Local) {
        if let Some(init) = &l.init {
            self.visit_expr(&init.expr);
            if let Some((_, diverge)) = &init.diverge {
                self.visit_expr(diverge);
            }
        }
        self.bind_local(&l.pat, l.init.as_ref().map(|i| &*i.expr));
    }

    fn visit_item(&mut self, _: &'ast syn::Item) {}

    fn visit_arm(&mut self, arm: &'ast syn::Arm) {
        let depth = self.binds.len();
        self.bind_unknown(&arm.pat);
        if let Pat::Guard(g) = &arm.pat {
            self.visit_expr(&g.guard);
        }
        self.visit_expr(&arm.body);
        self.binds.truncate(depth);
    }

    fn visit_expr(&mut self, e: &'ast Expr) {
        let forced = std::mem::take(&mut self.forced);
        stacker::maybe_grow(64 * 1024, 1024 * 1024, || match e {
            Expr::MethodCall(_) => self.visit_chain(e, forced),
            Expr::Call(call) => {
                if let Some(kind) = self.spawn_of(e) {
                    let range = self.cx.range(e);
                    let future = call.args.first();
                    self.per_item_site(kind, range, future);
                }
                let path = self.cx.call_path(e);
                let joins = path.as_deref().is_some_and(|p| {
                    JOIN_FNS.contains(&p)
                        || (p.starts_with("futures")
                            && (p.ends_with("FuturesUnordered::from_iter")
                                || p.ends_with("FuturesOrdered::from_iter")))
                });
                if joins {
                    if let Some(arg) = call.args.first() {
                        let size = self.size_of(arg);
                        let c = chain::chain(arg);
                        let name = chain::call_path(e)
                            .map(|p| self.cx.text(p).to_string())
                            .unwrap_or_default();
                        self.join_site(JoinHow::Call(name), self.cx.range(e), size, &c);
                    }
                }
                self.visit_expr(&call.func);
                for arg in &call.args {
                    self.forced = joins;
                    if matches!(strip(arg), Expr::Closure(_)) {
                        let f = match tasks::closure_frame(e, &self.cx.file.uses) {
                            ContextFrame::InlineClosure => Frame::Inline,
                            _ => Frame::Barrier,
                        };
                        self.next_closure = Some(f);
                    }
                    self.visit_expr(arg);
                    self.forced = false;
                    self.next_closure = None;
                }
            }
            Expr::Closure(c) => {
                let frame = match self.next_closure.take() {
                    Some(f) if c.asyncness.is_none() => f,
                    _ => Frame::Barrier,
                };
                self.with_frame(frame, |w| {
                    for input in &c.inputs {
                        w.bind_unknown(input);
                    }
                    w.visit_expr(&c.body);
                });
            }
            Expr::Async(a) => self.with_frame(Frame::Barrier, |w| w.visit_block(&a.block)),
            Expr::ForLoop(f) => self.visit_for(f),
            Expr::While(wl) => {
                self.visit_expr(&wl.cond);
                let watched = BodyScan::of(|s| {
                    s.visit_expr(&wl.cond);
                    s.visit_block(&wl.body);
                })
                .drained;
                self.with_frame(Frame::Loop(watched), |w| w.visit_block(&wl.body));
            }
            Expr::Loop(l) => {
                let watched = BodyScan::of(|s| s.visit_block(&l.body)).drained;
                self.with_frame(Frame::Loop(watched), |w| w.visit_block(&l.body))
            }
            Expr::Macro(m) => self.visit_macro(&m.mac),
            Expr::Let(l) => {
                self.visit_expr(&l.expr);
                self.bind_unknown(&l.pat);
            }
            Expr::Assign(a) => {
                visit::visit_expr_assign(self, a);
                // `items = items[..LIMIT].to_vec();`: a guard that caps the collection.
                if let Some(name) = chain::path_ident(&a.left) {
                    if matches!(self.size_of(&a.right), Size::Bounded | Size::Fixed) {
                        self.cap(&name.to_string());
                    }
                }
            }
            _ => visit::visit_expr(self, e),
        })
    }

    fn visit_macro(&mut self, m: &'ast syn::Macro) {
        parse_body(m).code().for_each(|e| self.visit_expr(e));
    }
}

impl Walk<'_, '_> {
    /// Binds the names of a pattern whose value the syntax does not describe: a
    /// collection bound here is of unknown size.
    fn bind_unknown(&mut self, pat: &Pat) {
        let mut names = HashSet::default();
        super::body::pattern_names(pat, &mut names);
        for name in names {
            self.binds.push(Bind {
                name,
                size: None,
                role: Role::Other,
            });
        }
    }

    fn visit_for(&mut self, f: &syn::ExprForLoop) {
        self.visit_expr(&f.expr);
        let c = chain::chain(&f.expr);
        let size = match super::body::loop_source(&f.expr) {
            super::body::LoopSource::Range => Size::Fixed,
            super::body::LoopSource::Collection => self.size_of(&f.expr),
        };
        let chunked = chain_is_bounded(&c.methods);
        let scan = BodyScan::of(|s| s.visit_block(&f.body));
        let frame = Frame::PerItem(Box::new(PerItem {
            size,
            over_text: self.text(strip_ref(&f.expr)),
            item: Some(self.cx.file.slice(pat_range(self.cx, &f.pat)).to_string()),
            bounded: self.bounds_itself(&scan),
            chunked,
            drained: scan.drained,
            idents: scan.idents,
            counted: scan.counted,
        }));
        self.with_frame(frame, |w| {
            let mut names = HashSet::default();
            super::body::pattern_names(&f.pat, &mut names);
            for name in names {
                w.binds.push(Bind {
                    name,
                    size: chunked.then_some(Size::Bounded),
                    role: Role::Other,
                });
            }
            w.visit_block(&f.body);
        });
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
