//! `unused-suppression`: an `asynclint: allow(..)` comment that suppresses nothing.
//!
//! The engine reports it after applying suppressions (see `engine::run`), because only
//! then is it known which suppressions matched; the rule is registered so that it can
//! be selected, ignored, configured and explained like any other.

use super::{Group, Hooks, Rule, RuleMeta, TestCode};
use crate::diagnostic::Severity;

pub struct UnusedSuppression;

static META: RuleMeta = RuleMeta {
    name: crate::engine::UNUSED_SUPPRESSION,
    severity: Severity::Warning,
    group: Group::Robustness,
    tests: TestCode::Report,
    summary: "an `asynclint: allow(..)` comment that suppresses nothing, or names no rule",
    doc: include_str!("../../rules/unused-suppression.md"),
};

impl Rule for UnusedSuppression {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }
    fn hooks(&self) -> Hooks {
        Hooks::NONE
    }
}
