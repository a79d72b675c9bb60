//! The rules and their registry. Adding a rule: one file here, one line in [`RULES`],
//! one page in `rules/<name>.md`, one folder in `fixtures/<name>/`.

mod await_in_loop;
mod block_on_in_async;
mod blocking_in_async;
mod dropped_join_handle;
mod fail_fast_detached_tasks;
mod ignored_cancellation;
mod lock_across_await;
mod missing_timeout;
mod non_atomic_update;
mod racy_check_then_act;
mod select_cancel_unsafe;
mod sequential_awaits;
mod unawaited_future;
mod unbounded_channel;
mod unbounded_join_all;
mod unbounded_spawn;
mod unused_suppression;

use crate::diagnostic::Severity;
use crate::semantic::Cx;
use syn::{Attribute, Block, Expr, Signature, Stmt};

/// What the registry, `asynclint rules` and `asynclint explain` know of a rule.
pub struct RuleMeta {
    /// The stable id, used in output, config and suppressions.
    pub name: &'static str,
    pub severity: Severity,
    pub default_enabled: bool,
    /// One line for `asynclint rules`.
    pub summary: &'static str,
    /// The rule's page, `rules/<name>.md`.
    pub doc: &'static str,
}

/// Where a fn is defined: its signature is the author's own choice only for free fns
/// and inherent methods; a trait fixes it for the others.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FnKind {
    /// A free fn, also one nested in another fn's body.
    Free,
    /// A method of an inherent `impl Type`.
    Inherent,
    /// A method of an `impl Trait for Type`.
    TraitImpl,
    /// A trait's default method body.
    TraitDefault,
}

/// A fn item, impl method or trait default method.
pub struct FnNode<'a> {
    pub attrs: &'a [Attribute],
    pub sig: &'a Signature,
    pub body: &'a Block,
    pub kind: FnKind,
}

/// A rule: the walk calls its hooks at every node of the kinds it cares about.
pub trait Rule: Sync {
    fn meta(&self) -> &'static RuleMeta;
    fn check_expr(&self, _cx: &mut Cx, _expr: &Expr) {}
    fn check_stmt(&self, _cx: &mut Cx, _stmt: &Stmt) {}
    fn check_fn(&self, _cx: &mut Cx, _f: &FnNode) {}
    /// Called on entering every block (fn bodies, closure and async bodies, branches),
    /// with the context of the code inside it.
    fn check_block(&self, _cx: &mut Cx, _block: &Block) {}
}

/// Every rule, in the order `asynclint rules` lists them.
pub static RULES: &[&dyn Rule] = &[
    &dropped_join_handle::DroppedJoinHandle,
    &unawaited_future::UnawaitedFuture,
    &await_in_loop::AwaitInLoop,
    &sequential_awaits::SequentialAwaits,
    &unbounded_join_all::UnboundedJoinAll,
    &unbounded_spawn::UnboundedSpawn,
    &unbounded_channel::UnboundedChannel,
    &blocking_in_async::BlockingInAsync,
    &block_on_in_async::BlockOnInAsync,
    &missing_timeout::MissingTimeout,
    &ignored_cancellation::IgnoredCancellation,
    &lock_across_await::LockAcrossAwait,
    &racy_check_then_act::RacyCheckThenAct,
    &non_atomic_update::NonAtomicUpdate,
    &fail_fast_detached_tasks::FailFastDetachedTasks,
    &select_cancel_unsafe::SelectCancelUnsafe,
    &unused_suppression::UnusedSuppression,
];

pub fn find(name: &str) -> Option<&'static dyn Rule> {
    RULES.iter().copied().find(|r| r.meta().name == name)
}
