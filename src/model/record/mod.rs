//! Recording each fn's [`FnDef`] during the one walk of a file: the walk tells the
//! recorder where it is (fns entered and left, calls, awaits, structs), the recorder
//! keeps what the model needs and nothing else.

use super::facts::{Alone, Await, FnDef, FutureShape, Local, MainThread, Site};
use crate::semantic::blocking::blocking_op;
use crate::semantic::callee::{
    callee_of, own_param_in, own_param_run_by, passed_params, Names, Scope,
};
use crate::semantic::calls::{embedded_db_op, only_yields, writes_to_disk, ASYNC_LOCK_METHODS};
use crate::semantic::chain::{self, strip};
use crate::semantic::clients::{construction, remote_use, returned_request, ClientKind};
use crate::semantic::guards::guard_call;
use crate::semantic::index::returns_future_in;
use crate::semantic::reactor::{
    enters_runtime, exported, needs_tokio, plain_entry, thread_closures,
};
use crate::semantic::scope::{Context, Frame, Scopes};
use crate::semantic::tasks::spawn_fn_kind;
use crate::semantic::types::type_path;
use crate::semantic::FileInfo;
use crate::source::TextRange;
use std::sync::Arc;
use syn::{Block, Expr, FnArg, Pat, Signature, Stmt};

mod clients;
mod exprs;
mod shape;
pub use clients::ClientPlace;
pub use exprs::crate_path_of;
use exprs::{
    addr, channel_op, data_loss_op, drives_a_future, is_self, receiver_owns_tasks, rooted_at_self,
    self_field, static_lock, through_lock_on_self,
};
use shape::{
    future_shape, last_type_segment, never_fails, output_is_result, returns_result_handle,
    tail_call, tail_expr,
};

/// Where the walk is, as the recorder needs it.
pub struct At<'a> {
    pub file: &'a FileInfo<'a>,
    pub scopes: &'a Scopes,
    pub context: &'a Context,
    pub scope: &'a Arc<Scope>,
    /// Calls the configuration names as blocking, by full path.
    pub extra_blocking: &'a [String],
    /// A deadline bounds this point (`timeout(d, ..)`, a raced `select!` branch).
    pub under_deadline: bool,
    /// The associated types of the enclosing trait or impl that are futures.
    pub future_assoc: &'a [String],
}

impl At<'_> {
    fn names(&self) -> Names<'_> {
        self.file.names(self.scopes)
    }
}

/// The fns of one file, as the walk finds them.
#[derive(Default)]
pub struct Recorder {
    pub fns: Vec<FnDef>,
    /// Structs that hold a synchronous guard in a field.
    pub guard_structs: Vec<String>,
    /// The file's structs with named fields: each field's type (see [`value_type`]).
    pub struct_fields: Vec<StructFields>,
    /// The file's type aliases naming a type (`type Shared = Arc<AppState>;`): the
    /// alias and the type, as [`value_type`] sees it.
    pub aliases: Vec<(String, String)>,
    /// Field names the file's code may grow a collection under (outside test code):
    /// see [`grown_field`].
    pub grown_fields: Vec<String>,
    /// The file's structs and enums as channel messages.
    pub messages: crate::model::messages::FileMessages,
    /// Network clients built in the file (not in test code).
    pub clients: Vec<ClientSite>,
    /// Awaited calls made with a client built elsewhere, with no deadline of their own
    /// (not in test code).
    pub client_uses: Vec<ClientSite>,
    open: Vec<Open>,
}

/// Where a client is built or used.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ClientSite {
    pub kind: ClientKind,
    /// For a construction: it sets a deadline.
    pub deadline: bool,
    /// For a construction, where the client goes first; for a use, where the client
    /// comes from (a field of `self`), when the fn's text shows it.
    #[serde(default)]
    pub place: Option<ClientPlace>,
    pub file: Arc<str>,
    pub line: u32,
}

struct Open {
    def: FnDef,
    params: Vec<String>,
    /// Address of the call whose value the fn returns.
    tail: usize,
    /// How many context frames were open inside the fn's own body.
    depth: usize,
    /// Awaits being walked: the address of the awaited expression, and whether a
    /// recorded call claimed it.
    awaits: Vec<(usize, bool)>,
    /// The fn is a sync `main` (or test) that enters no tokio runtime.
    entry_outside: bool,
    /// The bodies of closures it runs on threads of their own that enter no runtime.
    threads: Vec<TextRange>,
    /// Its body.
    body: TextRange,
    /// The address of the future a `block_on` of its body drives, once seen.
    driven: Option<usize>,
    /// The text of that future: an `async` block's own awaits are driven too.
    driven_text: Option<TextRange>,
    /// When the `block_on` is on what a call of the crate returned: that call's node,
    /// and once recorded, its site.
    driver: Option<(usize, Option<u32>)>,
    /// The calls recorded as sites, by node: `(address, site)`.
    site_nodes: Vec<(usize, u32)>,
    /// Where the clients it builds go, by construction node.
    client_places: Vec<(usize, ClientPlace)>,
    /// The futures it hands to task spawns (`tokio::spawn(async move { .. })`).
    task_args: Vec<TextRange>,
}

/// Types of synchronous guards: held across an `.await`, they block other threads or
/// make the future `!Send`.
const SYNC_GUARD_TYPES: &[&str] = &[
    "std::sync::MutexGuard",
    "std::sync::RwLockReadGuard",
    "std::sync::RwLockWriteGuard",
    "std::sync::MappedMutexGuard",
    "std::cell::Ref",
    "std::cell::RefMut",
    "core::cell::Ref",
    "core::cell::RefMut",
    "parking_lot::MutexGuard",
    "parking_lot::RwLockReadGuard",
    "parking_lot::RwLockWriteGuard",
    "parking_lot::MappedMutexGuard",
    "parking_lot::MappedRwLockReadGuard",
    "parking_lot::MappedRwLockWriteGuard",
    "parking_lot::ReentrantMutexGuard",
    "spin::MutexGuard",
    "spin::RwLockReadGuard",
    "spin::RwLockWriteGuard",
    "dashmap::mapref::one::Ref",
    "dashmap::mapref::one::RefMut",
];

/// Whether a declared type is a synchronous guard.
pub fn is_sync_guard_type(ty: &syn::Type, file: &FileInfo) -> bool {
    type_path(ty, &file.uses).is_some_and(|p| SYNC_GUARD_TYPES.contains(&p.as_str()))
}

/// Methods whose futures lose data when dropped before they complete, with the
/// arguments that tell them from cancel-safe namesakes.
const DATA_LOSS_METHODS: &[(&str, usize)] = &[
    ("read_exact", 1),
    ("read_line", 1),
    ("read_to_string", 1),
    ("read_to_end", 1),
    ("write_all", 1),
    ("write_all_buf", 1),
];

/// Methods that write through `&self` to state behind a lock, a cell or an atomic.
const SHARED_WRITES: &[&str] = &[
    "insert",
    "push",
    "push_back",
    "push_front",
    "remove",
    "clear",
    "extend",
    "append",
    "retain",
    "truncate",
    "drain",
    "store",
    "swap",
    "fetch_add",
    "fetch_sub",
    "fetch_or",
    "fetch_and",
    "fetch_xor",
    "fetch_max",
    "fetch_min",
    "fetch_update",
    "compare_exchange",
    "compare_exchange_weak",
    "set",
    "replace",
    "take",
    "entry",
    "borrow_mut",
    "get_mut",
    "write",
];

impl Recorder {
    /// Entering a fn: its signature and body, where it is, whether it is test code.
    #[allow(clippy::too_many_arguments)]
    pub fn open_fn(
        &mut self,
        at: &At,
        attrs: &[syn::Attribute],
        sig: &Signature,
        body: &Block,
        trait_name: Option<String>,
        in_test: bool,
    ) {
        let runs_itself = attrs.iter().any(|a| {
            a.path()
                .segments
                .last()
                .is_some_and(|s| s.ident == "main" || s.ident == "test")
        });
        let is_async = sig.asyncness.is_some() && !runs_itself;
        let entry = !in_test
            && sig.asyncness.is_some()
            && attrs.iter().any(|a| {
                a.path().segments.len() > 1
                    && a.path().segments.last().is_some_and(|s| s.ident == "main")
            });
        // `#[tokio::main(flavor = "current_thread")]`, `#[actix_web::main]`: its tasks
        // share one thread.
        let single_thread_entry = entry
            && attrs.iter().any(|a| {
                let segments = &a.path().segments;
                let runtime = segments.first().map(|s| s.ident.to_string());
                segments.last().is_some_and(|s| s.ident == "main")
                    && (!matches!(runtime.as_deref(), Some("tokio" | "async_std"))
                        || quote::ToTokens::to_token_stream(&a.meta)
                            .to_string()
                            .contains("current_thread"))
            });
        // The program's `main`, sync or async: it runs once.
        let once_root = !in_test
            && !at.file.is_test_file
            && trait_name.is_none()
            && sig.ident == "main"
            && sig.inputs.is_empty()
            && crate::semantic::reactor::program_root(at.file.path);
        let has_self = sig.receiver().is_some();
        let params: Vec<String> = sig
            .inputs
            .iter()
            .filter_map(|i| match i {
                FnArg::Typed(t) => match &*t.pat {
                    Pat::Ident(p) => Some(p.ident.to_string()),
                    _ => Some(String::new()),
                },
                FnArg::Receiver(_) => None,
            })
            .collect();
        let tail = tail_call(body);
        let returns_type = match &sig.output {
            syn::ReturnType::Type(_, ty) => last_type_segment(ty),
            syn::ReturnType::Default => None,
        };
        let endless = body.stmts.iter().find_map(|s| match s {
            Stmt::Expr(e, _) if crate::semantic::body::is_endless_loop(e) => Some(e),
            _ => None,
        });
        let runs_forever = is_async && endless.is_some();
        let never_fails = never_fails(body, endless);
        let worker = is_async
            && (matches!(&sig.output, syn::ReturnType::Type(_, ty) if matches!(**ty, syn::Type::Never(_)))
                || crate::semantic::body::runs_a_loop(&body.stmts));
        let returns_fixed = tail_expr(body).is_some_and(crate::semantic::bounds::fixed_count);
        let returns_capped = tail_expr(body)
            .is_some_and(|t| crate::semantic::bounds::capped_collection(t, &body.stmts));
        // The declared return type's text: from `->` to the body.
        let returns_handles = match &sig.output {
            syn::ReturnType::Type(arrow, _) => {
                let from = at.file.start_of(arrow.spans[0]);
                let to = at.file.start_of(body.brace_token.span.open());
                let text = at.file.text.get(from..to).unwrap_or("");
                crate::semantic::bounds::holds_handles(text)
            }
            syn::ReturnType::Default => false,
        };
        let returns_guard = match &sig.output {
            syn::ReturnType::Type(_, ty) => is_sync_guard_type(ty, at.file),
            syn::ReturnType::Default => false,
        } || tail_expr(body).is_some_and(|t| guard_call(at.file, t).is_some());
        let future = if is_async {
            FutureShape::Lazy
        } else if returns_future_in(&sig.output, at.future_assoc) {
            future_shape(body)
        } else {
            FutureShape::NotFuture
        };
        let line = at
            .file
            .lines
            .position(at.file.text, at.file.start_of(sig.ident.span()))
            .line;
        let body_text = at.file.slice(at.file.range(body.brace_token.span.join()));
        // Threads are started by a `spawn`; only a sync fn can run outside a runtime.
        let threads = if body_text.contains("spawn") {
            thread_closures(&at.file.uses, body)
                .into_iter()
                .map(|c| crate::semantic::NodeRange::text_range(&*c.body, at.file))
                .filter(|r| !enters_runtime(at.file.slice(*r)))
                .collect()
        } else {
            Vec::new()
        };
        let enters = !is_async && enters_runtime(body_text);
        // Client provenance: where the clients it builds go, and the parameters a
        // constructor keeps in a field (`fn new(http: Client) -> Self { Self { http } }`).
        let builds = ["Client", "Endpoint"].iter().any(|w| body_text.contains(w));
        let stores = !params.is_empty()
            && returns_type.is_some()
            && [
                Some("Self"),
                returns_type.as_deref(),
                at.scope.self_ty.as_deref(),
            ]
            .into_iter()
            .flatten()
            .any(|t| body_text.contains(t));
        let flows = if builds || stores {
            let keep: &[String] = if stores { &params } else { &[] };
            clients::flows(at, body, builds, keep)
        } else {
            clients::Flows::default()
        };
        if returns_type.as_deref() == Some("RequestBuilder") {
            if let Some(kind) =
                tail_expr(body).and_then(|t| returned_request(at.scopes, &at.file.uses, t))
            {
                let use_site = self.client_site_at(at, body, kind);
                self.client_uses.push(use_site);
            }
        }
        self.open.push(Open {
            def: FnDef {
                scope: at.scope.clone(),
                trait_name,
                name: sig.ident.to_string(),
                params: params.len(),
                has_self,
                is_async,
                in_test,
                returns_result: output_is_result(sig) && !never_fails,
                returns_result_handle: returns_result_handle(sig),
                returns_type,
                returns_value: match &sig.output {
                    syn::ReturnType::Type(_, ty) => value_type(ty, at.scope.self_ty.as_deref()),
                    syn::ReturnType::Default => None,
                },
                future,
                local: Local {
                    returns_guard,
                    names_kernel_files: crate::semantic::blocking::names_kernel_files(body_text),
                    consumes_self: sig
                        .receiver()
                        .is_some_and(|r| matches!(r.kind, syn::ReceiverKind::Value)),
                    returns_runtime: match &sig.output {
                        syn::ReturnType::Type(_, ty) => {
                            crate::semantic::tasks::is_runtime_type(&at.file.uses, ty)
                        }
                        syn::ReturnType::Default => false,
                    },
                    runs_forever,
                    worker,
                    returns_fixed,
                    returns_capped,
                    returns_handles,
                    enters_runtime: enters,
                    entry,
                    single_thread_entry,
                    stores_params: flows.stores,
                    once_root,
                    workspace_only: at.file.unpublished,
                    ..Local::default()
                },
                sites: Vec::new(),
                exported: exported(at.file, sig),
                file: Arc::from(at.file.path),
                line: line as u32,
            },
            params,
            tail,
            depth: at.context.frames().len() + 1,
            awaits: Vec::new(),
            entry_outside: !is_async && !enters && plain_entry(attrs, sig),
            threads,
            body: at.file.range(body.brace_token.span.join()),
            driven: None,
            driven_text: None,
            driver: None,
            site_nodes: Vec::new(),
            client_places: flows.built,
            task_args: Vec::new(),
        });
    }

    /// Entering a static's initializer: recorded as a sync fn named after the static,
    /// with no parameters and no callers, so that the calls it makes have a caller
    /// (`static CONFIG: LazyLock<Config> = LazyLock::new(|| rt.block_on(load()))`).
    pub fn open_static(&mut self, at: &At, name: &syn::Ident, init: &Expr) {
        let line = at
            .file
            .lines
            .position(at.file.text, at.file.start_of(name.span()))
            .line;
        self.open.push(Open {
            def: FnDef {
                scope: at.scope.clone(),
                trait_name: None,
                name: name.to_string(),
                params: 0,
                has_self: false,
                is_async: false,
                in_test: at.context.in_test() || at.file.is_test_file,
                returns_result: false,
                returns_result_handle: false,
                returns_type: None,
                returns_value: None,
                future: FutureShape::NotFuture,
                local: Local::default(),
                sites: Vec::new(),
                exported: false,
                file: Arc::from(at.file.path),
                line: line as u32,
            },
            params: Vec::new(),
            tail: 0,
            depth: at.context.frames().len(),
            awaits: Vec::new(),
            entry_outside: false,
            threads: Vec::new(),
            body: crate::semantic::NodeRange::text_range(init, at.file),
            driven: None,
            driven_text: None,
            driver: None,
            site_nodes: Vec::new(),
            client_places: Vec::new(),
            task_args: Vec::new(),
        });
    }

    /// A trait's required method (no body): what its signature says.
    pub fn required_fn(
        &mut self,
        at: &At,
        sig: &Signature,
        trait_name: Option<String>,
        in_test: bool,
    ) {
        let params = sig
            .inputs
            .iter()
            .filter(|i| matches!(i, FnArg::Typed(_)))
            .count();
        let line = at
            .file
            .lines
            .position(at.file.text, at.file.start_of(sig.ident.span()))
            .line;
        self.fns.push(FnDef {
            scope: at.scope.clone(),
            trait_name,
            name: sig.ident.to_string(),
            params,
            has_self: sig.receiver().is_some(),
            is_async: sig.asyncness.is_some(),
            in_test,
            returns_result: output_is_result(sig),
            returns_result_handle: returns_result_handle(sig),
            returns_type: match &sig.output {
                syn::ReturnType::Type(_, ty) => last_type_segment(ty),
                syn::ReturnType::Default => None,
            },
            returns_value: match &sig.output {
                syn::ReturnType::Type(_, ty) => value_type(ty, at.scope.self_ty.as_deref()),
                syn::ReturnType::Default => None,
            },
            future: if sig.asyncness.is_some() || returns_future_in(&sig.output, at.future_assoc) {
                FutureShape::Unknown
            } else {
                FutureShape::NotFuture
            },
            local: Local {
                awaits: vec![Await::Other],
                workspace_only: at.file.unpublished,
                ..Local::default()
            },
            sites: Vec::new(),
            exported: exported(at.file, sig),
            file: Arc::from(at.file.path),
            line: line as u32,
        });
    }

    /// Leaving the fn entered last.
    pub fn close_fn(&mut self) {
        if let Some(mut open) = self.open.pop() {
            // Kept until every file is read: no room beyond what it holds.
            open.def.sites.shrink_to_fit();
            open.def.local.awaits.shrink_to_fit();
            self.fns.push(open.def);
        }
    }

    /// A type alias that names a type: `type SharedState = Arc<AppState>;`.
    pub fn record_alias(&mut self, t: &syn::ItemType) {
        if let Some(ty) = field_type(&t.ty) {
            self.aliases.push((t.ident.to_string(), ty));
        }
    }

    /// A struct: it holds a synchronous guard if one of its fields is one.
    pub fn record_struct(&mut self, file: &FileInfo, s: &syn::ItemStruct) {
        if s.fields.iter().any(|f| is_sync_guard_type(&f.ty, file)) {
            self.guard_structs.push(s.ident.to_string());
        }
        self.messages.record_struct(s, file);
        if let syn::Fields::Named(named) = &s.fields {
            self.struct_fields.push((
                s.ident.to_string(),
                named
                    .named
                    .iter()
                    .filter_map(|f| {
                        Some(FieldDecl {
                            name: f.ident.as_ref()?.to_string(),
                            holds: field_type(&f.ty),
                            element: element_type(&f.ty),
                            owns: owned_type(&f.ty),
                            path: crate::semantic::types::type_path(&f.ty, &file.uses),
                        })
                    })
                    .collect(),
            ));
        }
    }

    /// Whether code at this point runs as part of the fn's own run: in its body or in
    /// closures it runs in place, or in the `async` block a sync fn returns.
    fn runs_as_fn(open: &Open, context: &Context) -> bool {
        let frames = context.frames();
        let inline = frames
            .get(open.depth..)
            .is_some_and(|f| f.iter().all(|f| *f == Frame::InlineClosure));
        inline || Self::own_await(open, context)
    }

    /// Whether an await at this point is one of the fn's own: in its body, or in the
    /// `async` block a sync fn returns.
    fn own_await(open: &Open, context: &Context) -> bool {
        let frames = context.frames();
        (frames.len() == open.depth && frames.last() == Some(&Frame::AsyncFn))
            || (frames.len() == open.depth + 1
                && open.depth.checked_sub(1).and_then(|d| frames.get(d)) == Some(&Frame::SyncFn)
                && frames.last() == Some(&Frame::AsyncBlock))
    }

    /// Whether the call `e` (at address `here`) runs its callee alone on its runtime:
    /// outside test code, before the fn spawned any task, and either driven by a
    /// `block_on` of the fn or awaited in the fn's own body.
    fn alone(open: &Open, at: &At, e: &Expr, here: usize, awaited: bool) -> Alone {
        if open.def.in_test || at.file.is_test_file {
            return Alone::No;
        }
        // `rt.block_on(run())`, or a call awaited in the `async` block it drives
        // (`rt.block_on(async { run().await })`).
        let in_driven_block = awaited
            && open
                .driven_text
                .is_some_and(|d| d.encloses(crate::semantic::NodeRange::text_range(e, at.file)));
        let driven = open.driven == Some(here) || in_driven_block;
        let own = awaited && Self::own_await(open, at.context);
        if !driven && !own {
            return Alone::No;
        }
        let start = crate::semantic::NodeRange::text_range(e, at.file).start;
        let text = at.file.slice(open.body);
        let before = start.saturating_sub(open.body.start).min(text.len());
        // A periodic sampler spawned first only runs a moment late.
        if crate::semantic::testcode::serving_task_spawned_before(text, before) {
            return Alone::No;
        }
        if driven && open.driver.is_some() {
            // On what a crate fn returned: alone if that fn makes a runtime.
            match open.driver {
                Some((_, Some(site))) => Alone::IfRuntime(site),
                _ => Alone::No,
            }
        } else if driven || open.def.local.entry {
            Alone::Always
        } else if open.def.is_async {
            Alone::IfCaller
        } else {
            Alone::No
        }
    }

    /// Whether the call `e` (at address `here`) runs its callee on the thread of a
    /// multi-thread runtime's `main` (see [`MainThread`]): outside test code, awaited
    /// in the own body of the fn, or driven by its `block_on` on a multi-thread
    /// runtime it built (`Builder::new_multi_thread()`, `Runtime::new()`), with no
    /// task set up before it to run on that thread (`spawn_local`, a `LocalSet`).
    fn main_thread(open: &Open, at: &At, e: &Expr, here: usize, awaited: bool) -> MainThread {
        if open.def.in_test || at.file.is_test_file {
            return MainThread::No;
        }
        let range = crate::semantic::NodeRange::text_range(e, at.file);
        let driven = open.driven == Some(here)
            || (awaited && open.driven_text.is_some_and(|d| d.encloses(range)));
        let own = awaited && Self::own_await(open, at.context);
        if !driven && !own {
            return MainThread::No;
        }
        let text = at.file.slice(open.body);
        let before = &text[..range.start.saturating_sub(open.body.start).min(text.len())];
        if crate::semantic::testcode::runs_local_tasks(before) {
            return MainThread::No;
        }
        let local = &open.def.local;
        if driven {
            use crate::semantic::testcode::{last_runtime_before, Flavour};
            let multi = last_runtime_before(before, before.len()) == Some(Flavour::MultiThread);
            if multi && open.driver.is_none() {
                MainThread::Always
            } else {
                MainThread::No
            }
        } else if local.entry && !local.single_thread_entry {
            MainThread::Always
        } else if open.def.is_async && !local.entry {
            MainThread::IfCaller
        } else {
            MainThread::No
        }
    }

    /// Before the walk enters an `.await`'s operand.
    pub fn await_start(&mut self, base: &Expr) {
        if let Some(open) = self.open.last_mut() {
            // `Box::pin(f(..)).await` awaits `f(..)`: the heap only moves it.
            let base = strip(base);
            let base = chain::box_pinned(base).map_or(base, strip);
            open.awaits.push((addr(base), false));
        }
    }

    /// After the walk left an `.await`'s operand: what it waited for, if no recorded
    /// call claimed it.
    pub fn await_end(&mut self, at: &At, base: &Expr) {
        let Some(open) = self.open.last_mut() else {
            return;
        };
        let Some((_, claimed)) = open.awaits.pop() else {
            return;
        };
        if !Self::own_await(open, at.context) {
            return;
        }
        let base = strip(base);
        if let Some(op) = data_loss_op(at, base) {
            open.def.local.cancel_unsafe.get_or_insert(op);
        }
        // A write it awaits itself: a SQL statement that changes data, a write-named
        // call (`sqlx::query("UPDATE ..").execute(pool)`, `store.put(..)`).
        if !open.def.local.awaits_write && crate::semantic::writes::writes(base) {
            open.def.local.awaits_write = true;
        }
        if claimed {
            return;
        }
        let in_process = in_process_op(at, base);
        let path = chain::call_path(base).and_then(|p| at.file.uses.resolve(p));
        let method = match base {
            Expr::MethodCall(m) => Some(m.method.to_string()),
            _ => None,
        };
        if writes_to_disk(path.as_deref(), method.as_deref()) {
            open.def.local.writes_disk = true;
        }
        open.def
            .local
            .awaits
            .push(if in_process || only_yields(base) {
                Await::InProcess
            } else {
                Await::Other
            });
    }

    /// A macro that awaits what the syntax does not show (`select!`, `join!`).
    pub fn opaque_await(&mut self, at: &At) {
        if let Some(open) = self.open.last_mut() {
            if Self::own_await(open, at.context) {
                open.def.local.awaits.push(Await::Other);
            }
        }
    }

    /// A call or method call.
    pub fn call(&mut self, at: &At, e: &Expr) {
        let in_test = at.context.in_test() || at.file.is_test_file;
        if !in_test {
            self.client_site(at, e);
        }
        let Some(open) = self.open.last_mut() else {
            return;
        };
        let sync = at.context.runs_with_sync_fn();
        let own_run = Self::runs_as_fn(open, at.context);
        let path = chain::call_path(e).and_then(|p| at.file.uses.resolve(p));
        // `rt.block_on(run(args))`: the future it drives, for the call that makes it
        // (in sync code: the fn's own, or a thread it starts).
        if !at.context.in_async() {
            let known = drives_a_future(at, e, path.as_deref()).is_some();
            let maker = if known { None } else { runtime_maker(at, e) };
            if known || maker.is_some() {
                let arg = match e {
                    Expr::Call(c) => c.args.first(),
                    Expr::MethodCall(m) => m.args.first(),
                    _ => None,
                };
                open.driven = arg.map(|a| addr(strip(a)));
                open.driven_text = arg.map(|a| crate::semantic::NodeRange::text_range(a, at.file));
                open.driver = maker.map(|m| {
                    let site = open.site_nodes.iter().rev().find(|(a, _)| *a == m);
                    (m, site.map(|(_, s)| *s))
                });
            }
        }
        let local = &mut open.def.local;
        if sync && !open.def.is_async && (local.blocks.is_none() || local.drives.is_none()) {
            // A sync fn that drives a future to completion blocks its caller's thread
            // until the future is done (and, called from async code, deadlocks or
            // panics): `futures::executor::block_on`, `rt.block_on`.
            let drives = drives_a_future(at, e, path.as_deref());
            if local.drives.is_none() {
                local.drives.clone_from(&drives);
            }
            if local.blocks.is_none() {
                if let Some(op) = blocking_op(at.file, at.scopes, e) {
                    local.blocks = Some(op.name_at(e));
                    local.blocks_one_off = op.one_off();
                } else if let Some(p) = path.as_ref().filter(|p| at.extra_blocking.contains(p)) {
                    local.blocks = Some(p.clone());
                } else if let Some(b) = drives {
                    local.blocks = Some(b);
                }
            }
        }
        if let Some(p) = &path {
            if needs_tokio(p) {
                local.uses_tokio = true;
            }
        }
        if let Expr::MethodCall(m) = e {
            if crate::semantic::clients::DEADLINE_METHODS
                .iter()
                .any(|d| m.method == d)
            {
                local.sets_timeout = true;
            }
        }
        let args: Vec<&Expr> = match e {
            Expr::Call(c) => c.args.iter().collect(),
            Expr::MethodCall(m) => m.args.iter().collect(),
            _ => return,
        };
        // A spawn of a future parameter: this fn is a spawn wrapper.
        let spawns = match e {
            Expr::Call(_) => path.as_deref().and_then(spawn_fn_kind).is_some(),
            Expr::MethodCall(m) => {
                matches!(m.method.to_string().as_str(), "spawn" | "spawn_local")
                    && !receiver_owns_tasks(at, &m.receiver)
            }
            _ => false,
        };
        if spawns {
            // A closure is run on a thread (`thread::Builder::new().spawn(move || ..)`,
            // a pool's `spawn(|| ..)`): a task is spawned from a future.
            let thread = args.first().is_some_and(|a| match strip(a) {
                Expr::Closure(c) => c.asyncness.is_none(),
                _ => false,
            });
            if let Some(a) = args.first().filter(|_| !thread) {
                let r = crate::semantic::NodeRange::text_range(*a, at.file);
                open.task_args.push(r);
            }
            if let Some(p) = args
                .first()
                .and_then(|a| own_param_in(a, &open.params, at.scopes))
            {
                if let Ok(p) = u8::try_from(p) {
                    if !local.spawns_params.contains(&p) {
                        local.spawns_params.push(p);
                    }
                }
            } else if let Some(p) = args
                .first()
                .and_then(|a| own_param_run_by(a, &open.params, at.scopes))
            {
                if let Ok(p) = u8::try_from(p) {
                    if !local.runs_params.contains(&p) {
                        local.runs_params.push(p);
                    }
                }
            }
        }
        if let Expr::MethodCall(m) = e {
            let on_self = rooted_at_self(&m.receiver);
            let method = m.method.to_string();
            if on_self && SHARED_WRITES.contains(&method.as_str()) && !is_self(&m.receiver) {
                local.mutates_shared = true;
            }
            // A lock that waits: `try_lock` and friends fail instead, so they can
            // never deadlock against a guard the caller holds.
            let locking = m.args.is_empty()
                && matches!(
                    method.as_str(),
                    "lock" | "read" | "write" | "lock_owned" | "read_owned" | "write_owned"
                );
            // Only a lock taken as part of the fn's own run counts: not one in a task
            // or thread it spawns, nor in a closure it stores or hands away.
            if locking && own_run {
                if let Some(field) = self_field(&m.receiver).or_else(|| static_lock(&m.receiver)) {
                    if !local.locks.contains(&field) {
                        local.locks.push(field);
                    }
                }
                let param = own_param_in(&m.receiver, &open.params, at.scopes)
                    .and_then(|p| u8::try_from(p).ok());
                if let Some(p) = param.filter(|p| !local.locks_params.contains(p)) {
                    local.locks_params.push(p);
                }
            }
        }
        // A query on the file's embedded database waits for no peer, whatever fn of
        // the crate its name might match; nor does a URL signed locally.
        if let Expr::MethodCall(m) = e {
            let method = m.method.to_string();
            if embedded_db_op(at.file, &method) || crate::semantic::calls::signs_locally(&method) {
                return;
            }
        }
        let Some(callee) = callee_of(&at.names(), at.scope, e) else {
            return;
        };
        let here = addr(e);
        let awaited = open.awaits.last().is_some_and(|(a, _)| *a == here);
        let index = open.def.sites.len() as u32;
        if awaited {
            if let Some(last) = open.awaits.last_mut() {
                last.1 = true;
            }
            if Self::own_await(open, at.context) {
                open.def.local.awaits.push(Await::Site(index));
            }
        }
        let outside_runtime = (open.entry_outside && sync)
            || (!open.threads.is_empty() && {
                let r = crate::semantic::NodeRange::text_range(e, at.file);
                open.threads.iter().any(|t| t.encloses(r))
            });
        open.site_nodes.push((here, index));
        if let Some((node, site @ None)) = &mut open.driver {
            if *node == here {
                *site = Some(index);
            }
        }
        let alone = Self::alone(open, at, e, here, awaited);
        let main_thread = Self::main_thread(open, at, e, here, awaited);
        let in_task = !open.task_args.is_empty() && {
            let r = crate::semantic::NodeRange::text_range(e, at.file);
            open.task_args.iter().any(|t| t.encloses(r))
        };
        open.def.sites.push(Site {
            callee: crate::semantic::callee::Callee { awaited, ..callee },
            sync,
            awaited,
            tail: here == open.tail,
            passes: {
                let mut passes = passed_params(&args, &open.params);
                passes.retain(|&(_, p)| at.scopes.names_param(&open.params[usize::from(p)]));
                passes
            },
            outside_runtime,
            alone,
            main_thread,
            in_task,
            in_process: awaited && in_process_op(at, strip(e)),
            once: !at.context.repeats_from(open.depth),
        });
    }

    /// A use with no deadline of a client built elsewhere: the request a fn returns.
    fn client_site_at(&self, at: &At, body: &Block, kind: ClientKind) -> ClientSite {
        let tail = tail_expr(body).map_or(body.brace_token.span.join(), |t| {
            syn::spanned::Spanned::span(t)
        });
        ClientSite {
            kind,
            deadline: false,
            place: None,
            file: Arc::from(at.file.path),
            line: at
                .file
                .lines
                .position(at.file.text, at.file.start_of(tail))
                .line as u32,
        }
    }

    /// A client built here, or used here for an awaited call with no deadline.
    fn client_site(&mut self, at: &At, e: &Expr) {
        let site = |kind, deadline| ClientSite {
            kind,
            deadline,
            place: None,
            file: Arc::from(at.file.path),
            line: at
                .file
                .lines
                .position(
                    at.file.text,
                    at.file.start_of(syn::spanned::Spanned::span(e)),
                )
                .line as u32,
        };
        if let Some(c) = construction(&at.file.uses, e) {
            let place = self.open.last().and_then(|o| {
                let here = addr(e);
                o.client_places
                    .iter()
                    .find_map(|(n, p)| (*n == here).then(|| p.clone()))
            });
            self.clients.push(ClientSite {
                place,
                ..site(c.kind, c.deadline)
            });
            return;
        }
        let awaited = self
            .open
            .last()
            .and_then(|o| o.awaits.last())
            .is_some_and(|(a, _)| *a == addr(e));
        if awaited && !at.under_deadline {
            if let Some(kind) = remote_use(at.scopes, &at.file.uses, e) {
                self.client_uses.push(ClientSite {
                    place: clients::used_from(at, e),
                    ..site(kind, false)
                });
            }
        }
    }

    /// Writes through `self` outside method calls: `*self.n.lock().unwrap() += 1`,
    /// `self.count.set(..)` is a call and seen there.
    pub fn assign(&mut self, place: &Expr) {
        let Some(open) = self.open.last_mut() else {
            return;
        };
        if open.def.has_self && through_lock_on_self(place) {
            open.def.local.mutates_shared = true;
        }
    }
}

/// `rt.block_on(fut)` where `rt` is what a call returned (`build_runtime()?.block_on(..)`,
/// or a local bound from one): that call's node, for the model to ask whether its
/// callee makes a runtime.
fn runtime_maker(at: &At, e: &Expr) -> Option<usize> {
    let Expr::MethodCall(m) = e else {
        return None;
    };
    if m.method != "block_on" || m.args.len() != 1 {
        return None;
    }
    let root = chain::chain(&m.receiver).root;
    match root {
        Expr::Call(_) => Some(addr(root)),
        _ => {
            let name = chain::receiver_ident(root)?.to_string();
            let origin = at.scopes.lookup(&name)?;
            (origin.root_addr != 0 && !origin.is_param).then_some(origin.root_addr)
        }
    }
}

/// Whether awaiting `base` waits in the process by its shape: an async lock's
/// `lock()`/`read()`/`write()`, a channel op, a local database op, local signing.
fn in_process_op(at: &At, base: &Expr) -> bool {
    matches!(base, Expr::MethodCall(m)
        if (m.args.is_empty() && ASYNC_LOCK_METHODS.iter().any(|n| m.method == n))
            || channel_op(m)
            || embedded_db_op(at.file, &m.method.to_string())
            || crate::semantic::calls::signs_locally(&m.method.to_string()))
}

/// A struct's named fields, with what each holds.
pub type StructFields = (String, Vec<FieldDecl>);

/// One named field of a struct.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FieldDecl {
    pub name: String,
    /// The type it holds, as a chain of fields is followed (see [`field_type`]).
    pub holds: Option<String>,
    /// The type of each item it holds, when it is a collection (`Vec<ZoneConfig>`,
    /// a slice, a set): what a `for` over it takes, as [`field_type`] names types.
    #[serde(default)]
    pub element: Option<String>,
    /// The type whose value dropping the struct drops (see [`owned_type`]).
    pub owns: Option<String>,
    /// Its declared type's path, resolved through the declaring file's `use`s and seen
    /// through `Arc`/`Box`/`Rc` (`parking_lot::Mutex`, `tokio::sync::mpsc::Sender`).
    pub path: Option<String>,
}

/// The type of the value a fn hands back: its declared return type seen through
/// `Result`, `Option`, `Arc`, `Box`, `Rc` and references, `Self` as `self_ty`; the
/// last segment of a type path that names a type (`RuntimeContext`).
pub(super) fn value_type(ty: &syn::Type, self_ty: Option<&str>) -> Option<String> {
    let last = field_type(ty)?;
    if last == "Self" {
        return self_ty.map(str::to_string);
    }
    Some(last)
}

/// The type of the value a field owns, whose `Drop` runs when the struct is dropped:
/// seen through `Option`, `Box`, `Vec` and `VecDeque`, never through a shared pointer
/// (`Arc`, `Rc`) or a reference, whose drop may leave the value alive.
fn owned_type(ty: &syn::Type) -> Option<String> {
    match ty {
        syn::Type::Paren(p) => owned_type(&p.elem),
        syn::Type::Group(g) => owned_type(&g.elem),
        syn::Type::Path(p) if p.qself.is_none() => {
            let last = p.path.segments.last()?;
            let name = last.ident.to_string();
            match name.as_str() {
                "Option" | "Box" | "Vec" | "VecDeque" => match &last.arguments {
                    syn::PathArguments::AngleBracketed(a) => match a.args.first()? {
                        syn::GenericArgument::Type(inner) => owned_type(inner),
                        _ => None,
                    },
                    _ => None,
                },
                "Arc" | "Rc" | "Weak" => None,
                _ => name
                    .starts_with(|c: char| c.is_ascii_uppercase())
                    .then_some(name),
            }
        }
        _ => None,
    }
}

/// The type of the items of a collection type (`Vec<T>`, `VecDeque<T>`, a set, a
/// slice or an array; through references, `Arc` and `Box`), as [`field_type`] names it.
fn element_type(ty: &syn::Type) -> Option<String> {
    match ty {
        syn::Type::Reference(r) => element_type(&r.elem),
        syn::Type::Paren(p) => element_type(&p.elem),
        syn::Type::Group(g) => element_type(&g.elem),
        syn::Type::Slice(s) => field_type(&s.elem),
        syn::Type::Array(a) => field_type(&a.elem),
        syn::Type::Path(p) if p.qself.is_none() => {
            let last = p.path.segments.last()?;
            let syn::PathArguments::AngleBracketed(a) = &last.arguments else {
                return None;
            };
            let syn::GenericArgument::Type(inner) = a.args.first()? else {
                return None;
            };
            match last.ident.to_string().as_str() {
                "Arc" | "Box" | "Rc" => element_type(inner),
                "Vec" | "VecDeque" | "HashSet" | "BTreeSet" | "LinkedList" | "BinaryHeap" => {
                    field_type(inner)
                }
                _ => None,
            }
        }
        _ => None,
    }
}

/// The type a field holds, seen through `Arc`, `Box`, `Rc` and references (and, for
/// return types, `Result` and `Option`): the last segment of a path that names a type,
/// or `dyn Name` for a trait object (`Arc<dyn Spawner>`), whose methods are the
/// trait's impls.
fn field_type(ty: &syn::Type) -> Option<String> {
    match ty {
        syn::Type::TraitObject(t) => t.bounds.iter().find_map(|b| match b {
            syn::TypeParamBound::Trait(tr) => {
                tr.path.segments.last().map(|s| format!("dyn {}", s.ident))
            }
            _ => None,
        }),
        syn::Type::Reference(r) => field_type(&r.elem),
        syn::Type::Paren(p) => field_type(&p.elem),
        syn::Type::Group(g) => field_type(&g.elem),
        syn::Type::Path(p) if p.qself.is_none() => {
            let last = p.path.segments.last()?;
            let name = last.ident.to_string();
            if matches!(name.as_str(), "Arc" | "Box" | "Rc" | "Result" | "Option") {
                if let syn::PathArguments::AngleBracketed(a) = &last.arguments {
                    if let Some(syn::GenericArgument::Type(inner)) = a.args.first() {
                        return field_type(inner);
                    }
                }
                return None;
            }
            name.starts_with(|c: char| c.is_ascii_uppercase())
                .then_some(name)
        }
        _ => None,
    }
}

/// Methods that add items to a collection.
const GROWS: &[&str] = &[
    "push",
    "push_back",
    "push_front",
    "insert",
    "extend",
    "extend_from_slice",
    "append",
    "resize",
    "entry",
];

/// The field a collection may grow under through `e`: a growing method called on
/// it (`self.levels.push(..)`, also through `lock()`/`write()`/`borrow_mut()` and
/// `unwrap()`), an assignment to it, or a `&mut` borrow of it (a callee may grow it).
pub fn grown_field(e: &Expr) -> Option<String> {
    // Through the guard and `unwrap` calls a chain takes to reach the collection.
    let field = |x: &Expr| -> Option<String> {
        let c = chain::chain(x);
        let through = c.methods.iter().all(|m| {
            matches!(
                m.method.to_string().as_str(),
                "lock" | "write" | "borrow_mut" | "get_mut" | "as_mut" | "unwrap" | "expect"
            )
        });
        match (through, strip(c.root)) {
            (true, Expr::Field(f)) => match &f.member {
                syn::Member::Named(n) => Some(n.to_string()),
                syn::Member::Unnamed(_) => None,
            },
            _ => None,
        }
    };
    match strip(e) {
        Expr::MethodCall(m) if GROWS.contains(&m.method.to_string().as_str()) => field(&m.receiver),
        Expr::Assign(a) => field(&a.left),
        Expr::Reference(r) if r.mutability.is_some() => field(&r.expr),
        _ => None,
    }
}
