//! `unbounded-join-all`: futures for a whole collection started at once.

use super::{FnNode, Group, Hooks, Rule, RuleMeta, TestCode};
use crate::diagnostic::{Diagnostic, Severity};
use crate::semantic::bounds::{fanouts_shared, Fanout, FanoutKind, JoinHow};
use crate::semantic::index::{IndexQuery, ModelQuery};
use crate::semantic::Cx;

pub struct UnboundedJoinAll;

static META: RuleMeta = RuleMeta {
    name: "unbounded-join-all",
    severity: Severity::Warning,
    group: Group::Resources,
    tests: TestCode::Skip,
    summary: "`join_all` / `FuturesUnordered` over a collection of any size runs every future at once, with no limit",
    doc: include_str!("../../rules/unbounded-join-all.md"),
};

/// Words in a fn body without which it cannot join a collection of futures.
const NEEDLES: &[&str] = &["join_all", "Futures", "for_each_concurrent"];

/// What goes wrong, after "... all at once, with no limit".
const CONSEQUENCE: &str = "a large input opens that many connections, requests or transactions together and exhausts the connection pool, the downstream service or memory";

const LIMIT_ADVICE: &str =
    "pick LIMIT from what the downstream can take (its connection-pool size or rate limit)";

impl Rule for UnboundedJoinAll {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }
    fn hooks(&self) -> Hooks {
        Hooks::FN
    }

    fn check_fn(&self, cx: &mut Cx, f: &FnNode) {
        if !cx.file.block_mentions(f.body, NEEDLES) {
            return;
        }
        for site in fanouts_shared(cx, f.sig, f.body).iter() {
            if site.bounded {
                continue;
            }
            let d = match &site.kind {
                FanoutKind::Join { how } => join(site, how),
                FanoutKind::Push { set } => push(site, set),
                FanoutKind::Spawn { .. } => continue,
            };
            report_unless_workers(cx, site, d);
        }
    }
}

/// Reports a fan-out, unless the fn each item runs is a long-lived worker (a loop in
/// its body, or `-> !`), or the collection is what a crate fn made from a fixed count
/// (`(1..=producers).map(..).collect()`): then it is a fixed set of workers that must
/// all run at once.
pub(super) fn report_unless_workers(cx: &mut Cx, site: &Fanout, d: Diagnostic) {
    let mut fixed = Vec::new();
    if let Some(c) = &site.runs {
        fixed.push(IndexQuery::Model(ModelQuery::Worker(c.clone())));
    }
    if let Some(c) = &site.over.made_by {
        fixed.push(IndexQuery::Model(ModelQuery::ReturnsFixed(c.clone())));
    }
    let mut needs = Vec::new();
    if !fixed.is_empty() {
        needs.push(IndexQuery::Not(Box::new(IndexQuery::Any(fixed))));
    }
    // A collection in a field of `self` that no code of the crate grows keeps the
    // size it was built with: a set fixed where it was made (configured cache levels).
    if let Some(field) = &site.over.self_field {
        needs.push(IndexQuery::Model(ModelQuery::FieldGrown {
            krate: cx.scope.krate,
            field: field.clone(),
        }));
    }
    // A spawn through a crate fn is one if that fn spawns the future it is handed.
    if let Some((callee, arg)) = &site.through {
        needs.push(IndexQuery::Model(ModelQuery::StartsTaskFor {
            callee: callee.clone(),
            arg: *arg,
        }));
    }
    if needs.is_empty() {
        cx.report(d)
    } else {
        cx.report_if(IndexQuery::All(needs), d)
    }
}

fn join(site: &Fanout, how: &JoinHow) -> Diagnostic {
    let over = &site.over.text;
    let message = match how {
        JoinHow::Call(callee) => format!("`{callee}` starts one future per item of `{over}` and runs them all at once, with no limit: {CONSEQUENCE}"),
        JoinHow::Collect(ty) => format!("collecting into a `{ty}` starts one future per item of `{over}` and runs them all at once, with no limit: {CONSEQUENCE}"),
        JoinHow::Extend(set) => format!("`{set}.extend(..)` adds one future per item of `{over}`, and they all run at once, with no limit: {CONSEQUENCE}"),
        JoinHow::Concurrent(method) => format!("`{method}(None, ..)` runs the closure for every item of `{over}` at once, with no limit: {CONSEQUENCE}"),
    };
    let help = match how {
        JoinHow::Concurrent(method) => format!(
            "give it a limit: `{method}(LIMIT, ..)` runs at most LIMIT at a time; {LIMIT_ADVICE}"
        ),
        _ => {
            // With a long closure, `.map(..)` stands for the same closure.
            let stream = match (&site.source, &site.mapped) {
                (Some(source), Some(mapped)) if short(mapped) && short(source) => {
                    format!("stream::iter({source}).map({mapped})")
                }
                (Some(source), Some(_)) if short(source) => {
                    format!("stream::iter({source}).map(..)")
                }
                (_, Some(_)) => format!("stream::iter({over}).map(..)"),
                (_, None) => format!("stream::iter({over})"),
            };
            let ordered = match how {
                JoinHow::Call(callee) => !callee.contains("Unordered"),
                JoinHow::Collect(ty) => ty.contains("Ordered") && !ty.contains("Unordered"),
                JoinHow::Extend(_) | JoinHow::Concurrent(_) => false,
            };
            let (adapter, note) = if ordered {
                ("buffered", "keeps the results in input order; `buffer_unordered(LIMIT)` if order does not matter")
            } else {
                ("buffer_unordered", "yields the results as they finish")
            };
            let collect = match how {
                JoinHow::Call(callee) if callee.contains("try_join_all") => {
                    ".try_collect::<Vec<_>>().await"
                }
                JoinHow::Call(callee) if callee.contains("join_all") => {
                    ".collect::<Vec<_>>().await"
                }
                _ => "",
            };
            format!("run at most LIMIT at a time: `{stream}.{adapter}(LIMIT){collect}` ({note}), or take a `Semaphore` permit inside each future; {LIMIT_ADVICE}")
        }
    };
    Diagnostic::new(META.name, META.severity, site.range, message)
        .with_label("every future in flight together")
        .with_secondary(site.over.range, site.over.label("future"))
        .with_help(help)
}

fn push(site: &Fanout, set: &str) -> Diagnostic {
    let over = &site.over.text;
    let message = format!("a future is pushed into `{set}` for every item of `{over}` and they all run at once, with no limit: {CONSEQUENCE}");
    let mut help = format!("keep at most LIMIT in flight: before the push, `if {set}.len() >= LIMIT {{ {set}.next().await; }}` (and handle that result)");
    if let (Some(source), Some(item), Some(future)) =
        (&site.source, &site.item, site.mappable_future())
    {
        if short(future) {
            help.push_str(&format!(
                ", or `stream::iter({source}).map(|{item}| {future}).buffer_unordered(LIMIT)`"
            ));
        }
    }
    help.push_str(&format!("; {LIMIT_ADVICE}"));
    Diagnostic::new(META.name, META.severity, site.range, message)
        .with_label("one more future in flight per item")
        .with_secondary(site.over.range, site.over.label("future"))
        .with_help(help)
}

/// Whether a piece of code is short enough to quote inside the help.
fn short(code: &str) -> bool {
    code.len() <= 60 && !code.contains('\n')
}
