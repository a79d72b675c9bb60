//! The rules and their registry. Adding a rule: one file here, one line in [`RULES`],
//! one page in `rules/<name>.md`, one folder in `fixtures/<name>/`.

mod await_in_loop;
mod block_on_in_async;
mod blocking_in_async;
mod detached_task;
mod dropped_join_handle;
mod executor_mismatch;
mod fail_fast_cancels_writes;
mod fail_fast_detached_tasks;
mod ignored_cancellation;
mod ignored_task_result;
mod lock_across_await;
mod lock_reentry;
mod missing_timeout;
mod non_atomic_update;
mod racy_check_then_act;
mod select_cancel_unsafe;
mod sender_keeps_receiver_open;
mod sequential_awaits;
mod timeout_leaves_task_running;
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
    /// What kind of harm the rule reports; `pedantic` rules are off by default.
    pub group: Group,
    /// What the rule reports in test code.
    pub tests: TestCode,
    /// One line for `asynclint rules`.
    pub summary: &'static str,
    /// The rule's page, `rules/<name>.md`.
    pub doc: &'static str,
}

impl RuleMeta {
    /// Whether the rule runs when neither the command line nor the config says.
    pub fn default_enabled(&self) -> bool {
        self.group.default_enabled()
    }
}

/// The kind of harm a rule reports. Groups are selected like rule names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Group {
    /// The code does not do what it says: lost work or errors, a deadlock, a hang, a
    /// panic, a test that checks nothing.
    Correctness,
    /// It works, slowly: waits add up, the executor stalls.
    Latency,
    /// It works until load arrives: memory, tasks or connections without a bound.
    Resources,
    /// It works until a slow peer or a shutdown arrives.
    Robustness,
    /// Literally right and often deliberate; for teams that want the policy. Off.
    Pedantic,
}

impl Group {
    pub const ALL: [Group; 5] = [
        Group::Correctness,
        Group::Latency,
        Group::Resources,
        Group::Robustness,
        Group::Pedantic,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Group::Correctness => "correctness",
            Group::Latency => "latency",
            Group::Resources => "resources",
            Group::Robustness => "robustness",
            Group::Pedantic => "pedantic",
        }
    }

    pub fn from_name(name: &str) -> Option<Group> {
        Group::ALL.into_iter().find(|g| g.name() == name)
    }

    pub fn default_enabled(self) -> bool {
        self != Group::Pedantic
    }

    /// One line for `asynclint rules`.
    pub fn summary(self) -> &'static str {
        match self {
            Group::Correctness => "the code does not do what it says: lost errors, deadlocks, hangs, panics, tests that check nothing",
            Group::Latency => "the code works, but waits add up or the executor stalls",
            Group::Resources => "the code works until load arrives: tasks, memory or work without a bound",
            Group::Robustness => "the code works until a slow peer or a shutdown arrives",
            Group::Pedantic => "literally right and often deliberate; off by default",
        }
    }
}

/// What a rule reports in test code (`#[cfg(test)]` items, test fns, files under
/// `tests/` and `benches/`). In tests only what makes the test itself wrong is worth
/// a finding; `[tests] check = "all"` in the config reports everything.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TestCode {
    /// Everything it finds: its findings make a test wrong (a future that never runs,
    /// a deadlock).
    Report,
    /// Nothing: latency and resource advice does not apply to a test. The walk does
    /// not call the rule in test code.
    Skip,
    /// The rule asks [`crate::semantic::Cx::in_test_code`] and reports the harmful
    /// subset itself (an assertion inside a detached task, a wait that blocks a task
    /// the test spawned).
    Own,
}

/// A rule name, a group name or `all`, as `--select`, `--ignore` and the config take
/// them.
#[derive(Clone, Copy)]
pub enum Selector {
    All,
    Group(Group),
    Rule(&'static dyn Rule),
}

impl std::fmt::Debug for Selector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Selector::All => f.write_str("all"),
            Selector::Group(g) => f.write_str(g.name()),
            Selector::Rule(r) => f.write_str(r.meta().name),
        }
    }
}

impl Selector {
    /// Reads a selector; an unknown name is an error that suggests the closest known
    /// one.
    pub fn parse(name: &str) -> Result<Selector, String> {
        if name == "all" {
            return Ok(Selector::All);
        }
        if let Some(g) = Group::from_name(name) {
            return Ok(Selector::Group(g));
        }
        if let Some(r) = find(name) {
            return Ok(Selector::Rule(r));
        }
        Err(unknown_name(name))
    }

    pub fn matches(&self, rule: &dyn Rule) -> bool {
        match self {
            Selector::All => true,
            Selector::Group(g) => rule.meta().group == *g,
            Selector::Rule(r) => r.meta().name == rule.meta().name,
        }
    }

    /// How specific the selector is: a rule name beats a group, a group beats `all`.
    pub fn specificity(&self) -> u8 {
        match self {
            Selector::All => 0,
            Selector::Group(_) => 1,
            Selector::Rule(_) => 2,
        }
    }
}

/// The message for a name that is neither a rule, a group nor `all`.
pub fn unknown_name(name: &str) -> String {
    let known = RULES
        .iter()
        .map(|r| r.meta().name)
        .chain(Group::ALL.iter().map(|g| g.name()))
        .chain(["all"]);
    let best = known
        .map(|k| (strsim::damerau_levenshtein(name, k), k))
        .min_by_key(|(d, _)| *d)
        .filter(|(d, k)| *d <= (k.len() / 3).max(2));
    match best {
        Some((_, k)) => format!(
            "unknown rule or group `{name}`: did you mean `{k}`? (`asynclint rules` lists them)"
        ),
        None => format!("unknown rule or group `{name}` (`asynclint rules` lists them)"),
    }
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

/// A set of the `check_*` hooks of [`Rule`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Hooks(u8);

impl Hooks {
    pub const EXPR: Hooks = Hooks(1);
    pub const STMT: Hooks = Hooks(1 << 1);
    pub const FN: Hooks = Hooks(1 << 2);
    pub const BLOCK: Hooks = Hooks(1 << 3);
    pub const NONE: Hooks = Hooks(0);
    pub const ALL: Hooks = Hooks(0b1111);

    pub const fn contains(self, other: Hooks) -> bool {
        self.0 & other.0 == other.0
    }
}

impl std::ops::BitOr for Hooks {
    type Output = Hooks;
    fn bitor(self, other: Hooks) -> Hooks {
        Hooks(self.0 | other.0)
    }
}

/// A rule: the walk calls its hooks at every node of the kinds it cares about.
pub trait Rule: Sync {
    fn meta(&self) -> &'static RuleMeta;
    /// The hooks this rule implements. The walk calls a rule only at the kinds of node
    /// it names here; the default, all of them, is always correct, and a rule that
    /// names only its own hooks saves the walk a call per node for each other kind.
    fn hooks(&self) -> Hooks {
        Hooks::ALL
    }
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
    &detached_task::DetachedTask,
    &ignored_task_result::IgnoredTaskResult,
    &unawaited_future::UnawaitedFuture,
    &await_in_loop::AwaitInLoop,
    &sequential_awaits::SequentialAwaits,
    &unbounded_join_all::UnboundedJoinAll,
    &unbounded_spawn::UnboundedSpawn,
    &unbounded_channel::UnboundedChannel,
    &blocking_in_async::BlockingInAsync,
    &block_on_in_async::BlockOnInAsync,
    &executor_mismatch::ExecutorMismatch,
    &missing_timeout::MissingTimeout,
    &ignored_cancellation::IgnoredCancellation,
    &lock_across_await::LockAcrossAwait,
    &lock_reentry::LockReentry,
    &racy_check_then_act::RacyCheckThenAct,
    &non_atomic_update::NonAtomicUpdate,
    &fail_fast_detached_tasks::FailFastDetachedTasks,
    &fail_fast_cancels_writes::FailFastCancelsWrites,
    &select_cancel_unsafe::SelectCancelUnsafe,
    &sender_keeps_receiver_open::SenderKeepsReceiverOpen,
    &timeout_leaves_task_running::TimeoutLeavesTaskRunning,
    &unused_suppression::UnusedSuppression,
];

pub fn find(name: &str) -> Option<&'static dyn Rule> {
    RULES.iter().copied().find(|r| r.meta().name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The `check_*` methods a rule's source implements in its `impl Rule for`.
    fn implemented_hooks(source: &str) -> Hooks {
        let file = syn::parse_file(source).expect("rule source parses");
        let mut hooks = Hooks::NONE;
        for item in &file.items {
            let syn::Item::Impl(i) = item else { continue };
            let is_rule_impl = i
                .trait_
                .as_ref()
                .is_some_and(|(path, _)| path.is_ident("Rule"));
            if !is_rule_impl {
                continue;
            }
            for it in &i.items {
                let syn::ImplItem::Fn(f) = it else { continue };
                hooks = hooks
                    | match f.sig.ident.to_string().as_str() {
                        "check_expr" => Hooks::EXPR,
                        "check_stmt" => Hooks::STMT,
                        "check_fn" => Hooks::FN,
                        "check_block" => Hooks::BLOCK,
                        _ => Hooks::NONE,
                    };
            }
        }
        hooks
    }

    /// A rule that declares fewer hooks than it implements would never see the nodes
    /// of the missing kinds; one that declares more costs the walk calls that do
    /// nothing. Each rule's declaration must match its source.
    #[test]
    fn every_rule_declares_exactly_the_hooks_it_implements() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/rules");
        for rule in RULES {
            let name = rule.meta().name;
            let path = dir.join(format!("{}.rs", name.replace('-', "_")));
            let source = std::fs::read_to_string(&path).expect("each rule has its own module");
            assert_eq!(rule.hooks(), implemented_hooks(&source), "{name}");
        }
        // The check sees the difference.
        let expr_only = "struct R; impl Rule for R { fn check_expr(&self) {} }";
        assert_eq!(implemented_hooks(expr_only), Hooks::EXPR);
        assert_ne!(implemented_hooks(expr_only), Hooks::EXPR | Hooks::FN);
    }
}
