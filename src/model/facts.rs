//! What pass one records of each fn: its place, its signature, what its own body
//! shows, and the calls it makes.

use crate::semantic::callee::{Callee, Scope};
use std::sync::Arc;

/// One fn or method of the checked code, as its own text shows it.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct FnDef {
    /// Crate, module and `impl` type.
    #[serde(with = "crate::cache::shared::scope")]
    pub scope: Arc<Scope>,
    /// The trait an `impl Trait for Type` implements (`Drop`).
    pub trait_name: Option<String>,
    pub name: String,
    /// Parameters, not counting `self`.
    pub params: usize,
    pub has_self: bool,
    /// `async fn` (not turned into a sync fn by `#[tokio::main]`-style attributes).
    pub is_async: bool,
    pub in_test: bool,
    /// The value it returns (for an async fn: the future's output) is a `Result` that
    /// can be an `Err`: not one of a fn that only runs an endless loop after steps
    /// that cannot fail.
    pub returns_result: bool,
    /// The last segment of the declared return type, when it is a path.
    pub returns_type: Option<String>,
    /// The type of the value it hands back, seen through `Result`, `Option`, `Arc`,
    /// `Box`, `Rc` and references, `Self` as the `impl`'s type: its last segment
    /// (`RuntimeContext` for `-> anyhow::Result<Arc<RuntimeContext>>`).
    #[serde(default)]
    pub returns_value: Option<String>,
    /// It returns the handle of a task whose output is a `Result`
    /// (`JoinHandle<anyhow::Result<()>>`): the caller holds the task's failure.
    pub returns_result_handle: bool,
    pub future: FutureShape,
    pub local: Local,
    pub sites: Vec<Site>,
    /// Declared plain `pub` in a library file: code outside the crate may call it.
    pub exported: bool,
    /// Where it is defined: file and line, for notes that name it.
    #[serde(with = "crate::cache::shared::text")]
    pub file: Arc<str>,
    pub line: u32,
}

impl FnDef {
    /// `Type::name` for methods and associated fns, `name` for free fns.
    pub fn display_name(&self) -> String {
        match &self.scope.self_ty {
            Some(t) => format!("{t}::{}", self.name),
            None => self.name.clone(),
        }
    }
}

/// What a fn's own body shows, before anything is known of its callees.
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct Local {
    /// A known blocking operation it performs while it runs (a sync fn only): its
    /// name, for the chain in messages.
    pub blocks: Option<String>,
    /// Future-typed parameters it spawns (or detaches): the indexes.
    pub spawns_params: Vec<u8>,
    /// Future-typed parameters it spawns inside a task of its own that looks at their
    /// outcome (`tokio::spawn(async move { if let Err(e) = fut.await { .. } })`): the
    /// task runs them, its output is not theirs.
    #[serde(default)]
    pub runs_params: Vec<u8>,
    /// It returns a synchronous lock guard or `RefMut` (or a struct holding one).
    pub returns_guard: bool,
    /// It takes `self` by value (`fn defuse(mut self)`): a call moves the receiver,
    /// which is then not dropped where it was bound.
    #[serde(default)]
    pub consumes_self: bool,
    /// Its body names a file of `/proc` or `/sys` (a string starting so): the files
    /// it reads through helpers are the kernel's tables, answered from memory.
    #[serde(default)]
    pub names_kernel_files: bool,
    /// It returns a runtime (`-> tokio::runtime::Runtime`, `-> io::Result<Runtime>` of
    /// compio's): a `block_on` on what it returns drives a future.
    #[serde(default)]
    pub returns_runtime: bool,
    /// What its own `.await`s wait for (an async fn or a fn returning a future).
    pub awaits: Vec<Await>,
    /// It writes state reachable from `&self` through interior mutability.
    pub mutates_shared: bool,
    /// It awaits an operation that loses data when cancelled (`read_exact`,
    /// `write_all`, `io::copy`): its name.
    pub cancel_unsafe: Option<String>,
    /// It calls the tokio runtime's I/O, timers or spawn, or a client built on them.
    pub uses_tokio: bool,
    /// Fields of `self` it locks and waits for (sync or async locks, not `try_lock`) as
    /// part of its own run (not in a task or thread it spawns, nor in a closure it
    /// stores), and `static`s it locks so, as `::NAME`.
    pub locks: Vec<String>,
    /// It awaits a change to what is on this machine's disk (a rename, a removal, an
    /// fsync), directly or through a crate fn it awaits: calls of it keep an order.
    #[serde(default)]
    pub writes_disk: bool,
    /// It awaits a write as part of its own run: a SQL statement that changes data, or
    /// a call named for a write (see `semantic::writes::writes`).
    #[serde(default)]
    pub awaits_write: bool,
    /// It returns a collection capped where it is made: its tail takes at most N
    /// (`.take(N)`, `.chunks(N)`), or drains up to a count it capped with `min`
    /// (`let n = q.len().min(MAX); q.drain(..n).collect()`).
    #[serde(default)]
    pub returns_capped: bool,
    /// It returns a collection made from a count fixed where it is made: its tail is
    /// a numeric range, an array or a `vec![..]` mapped and collected
    /// (`(1..=producers).map(|id| ..).collect()`): a set of workers, not a list of work.
    #[serde(default)]
    pub returns_fixed: bool,
    /// Its declared return type holds handles of tasks it started, or receivers of
    /// replies to work it sent (`-> Vec<JoinHandle<()>>`): joining them starts nothing.
    #[serde(default)]
    pub returns_handles: bool,
    /// It sets a request deadline on something it builds (`.timeout(..)`,
    /// `.read_timeout(..)`): a client builder it returns carries one.
    #[serde(default)]
    pub sets_timeout: bool,
    /// An async fn whose body runs a loop nothing can end (no `break`, `return`, `?`,
    /// cancellation branch or process exit): once started, it runs forever.
    pub runs_forever: bool,
    /// An async fn whose body is a long-lived worker: it runs a `loop` or `while` as
    /// a statement of its own (an accept loop, a consumer), or returns `!`.
    #[serde(default)]
    pub worker: bool,
    /// It builds, enters or is handed a tokio runtime (its text says so): what it calls
    /// may run inside one.
    pub enters_runtime: bool,
    /// Parameters it locks (`m.lock()` on a parameter `m`, through `&`), likewise: the
    /// indexes.
    /// A sync fn that drives a future to completion itself (`block_on`): the first
    /// such call.
    pub drives: Option<String>,
    pub locks_params: Vec<u8>,
    /// An `entry` whose runtime runs every task on one thread (`#[tokio::main(flavor =
    /// "current_thread")]`, `#[actix_web::main]`).
    #[serde(default)]
    pub single_thread_entry: bool,
    /// Parameters it stores in a field of a struct it builds: `(parameter, type,
    /// field)`, as in `fn new(http: Client) -> Self { Self { http } }`.
    #[serde(default)]
    pub stores_params: Vec<(u8, String, String)>,
    /// An async `main` (`#[tokio::main]`, `#[actix_web::main]`, ..) outside test code:
    /// the program's entry, which runs alone until it spawns.
    #[serde(default)]
    pub entry: bool,
    /// The program's `main` (sync or async), outside test code: it runs once.
    #[serde(default)]
    pub once_root: bool,
    /// What it blocks on (`blocks`) is one-off work that ends by itself (the disk, a
    /// child process, CPU, a name lookup), not a wait on another thread or task.
    #[serde(default)]
    pub blocks_one_off: bool,
    /// Declared in a package that is not published: when it is exported, only the
    /// members of its workspace call it, and the run sees their calls.
    #[serde(default)]
    pub workspace_only: bool,
}

/// What one `.await` of a fn's own body waits for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Await {
    /// An async lock, semaphore or in-process channel operation, or a yield to the
    /// executor.
    InProcess,
    /// The call recorded as this site.
    Site(u32),
    /// Anything else: a library call, a future in a local, a macro that awaits.
    Other,
}

/// What calling a fn gives, when it returns a future.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum FutureShape {
    /// Not a future.
    NotFuture,
    /// An `async fn`, or a body that only binds clones and returns an `async` block:
    /// nothing happens until the future is polled.
    Lazy,
    /// Work happens at call time (a message sent, a request started), and the future
    /// only waits for the reply.
    Eager,
    /// It returns what the call recorded as its tail site returns.
    Delegates,
    /// A future made some other way.
    Unknown,
}

/// One call a fn makes to what may be a fn of the same crate.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct Site {
    pub callee: Callee,
    /// The call runs when the enclosing fn runs: in a sync fn's own body or a closure
    /// it runs in place (not in an async block, a spawned closure or a stored one).
    pub sync: bool,
    /// The call's result is awaited right there.
    pub awaited: bool,
    /// The call's result (through `?`/`unwrap`) is what the fn returns.
    pub tail: bool,
    /// Parameters it passes on: `(argument, parameter)` indexes.
    pub passes: Vec<(u8, u8)>,
    /// The call runs where no tokio runtime is entered: on a `std::thread` this fn
    /// starts, or in the body of a sync `main` (or test) that builds no runtime.
    pub outside_runtime: bool,
    /// Whether the callee runs alone on its runtime when this call runs it.
    #[serde(default)]
    pub alone: Alone,
    /// Whether the callee runs on the thread of a multi-thread async `main` when this
    /// call runs it.
    #[serde(default)]
    pub main_thread: MainThread,
    /// The call is in the future the caller hands to a task spawn (`tokio::spawn(async
    /// move { f().await })`, `tokio::spawn(f())`): it runs beside the caller.
    #[serde(default)]
    pub in_task: bool,
    /// The call is an in-process wait by its shape (an async lock's `lock()`, a
    /// channel's `send`/`recv`, a local database op): when it names no fn of the
    /// crate, awaiting it does no I/O.
    #[serde(default)]
    pub in_process: bool,
    /// The call runs at most once each time the caller runs: not in a loop that
    /// may run any number of times, nor in a closure stored or handed to code that
    /// may call it again.
    #[serde(default)]
    pub once: bool,
}

/// Whether a call runs its callee on the thread of an async `main` whose runtime runs
/// its tasks on worker threads (`#[tokio::main]`, `#[async_std::main]`): the tasks it
/// spawns run elsewhere, so blocking there stalls none of them, before or after a
/// spawn.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum MainThread {
    /// Elsewhere, or the text cannot tell.
    #[default]
    No,
    /// Awaited in the own body of such a `main`.
    Always,
    /// Awaited in the own body of an async fn: on that thread when the fn is.
    IfCaller,
}

/// Whether a call runs its callee alone on its runtime: no other task can be
/// scheduled beside it, so blocking there stalls no one.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Alone {
    /// Other tasks may run beside it, or the text cannot tell.
    #[default]
    No,
    /// Always: awaited by an async `main` before it spawns anything, or driven by
    /// `block_on` on a runtime before anything is spawned on it.
    Always,
    /// Awaited in the own body of an async fn before it spawns anything: alone when
    /// that fn runs alone.
    IfCaller,
    /// Driven by `block_on` on what the call recorded as this site returned
    /// (`let rt = build_runtime()?; rt.block_on(run())`), before anything is spawned:
    /// alone when that fn returns a runtime.
    IfRuntime(u32),
}
