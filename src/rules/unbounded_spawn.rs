//! `unbounded-spawn`: one task per item of a collection, with nothing limiting how
//! many run at once.

use super::{FnNode, Group, Hooks, Rule, RuleMeta, TestCode};
use crate::diagnostic::{Diagnostic, Severity};
use crate::semantic::bounds::{fanouts_shared, Fanout, FanoutKind};
use crate::semantic::Cx;

pub struct UnboundedSpawn;

static META: RuleMeta = RuleMeta {
    name: "unbounded-spawn",
    severity: Severity::Warning,
    group: Group::Resources,
    tests: TestCode::Skip,
    summary: "a task spawned per item of a collection, with no limit on how many run at once",
    doc: include_str!("../../rules/unbounded-spawn.md"),
};

impl Rule for UnboundedSpawn {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }
    fn hooks(&self) -> Hooks {
        Hooks::FN
    }

    fn check_fn(&self, cx: &mut Cx, f: &FnNode) {
        if !cx.file.block_mentions(f.body, &["spawn"]) {
            return;
        }
        // One finding per collection: two spawns per item are one fan-out.
        let mut seen = Vec::new();
        for site in fanouts_shared(cx, f.sig, f.body).iter() {
            if let FanoutKind::Spawn { spawner, join_set } = &site.kind {
                if !site.bounded && !seen.contains(&site.over.range) {
                    seen.push(site.over.range);
                    let d = diagnostic(site, spawner, *join_set);
                    super::unbounded_join_all::report_unless_workers(cx, site, d);
                }
            }
        }
    }
}

fn diagnostic(site: &Fanout, spawner: &str, join_set: bool) -> Diagnostic {
    let over = &site.over.text;
    let message = format!(
        "`{spawner}` starts a task for every item of `{over}` with nothing limiting how many run at once: a large input starts them all together, and memory, sockets or the downstream service run out"
    );
    let mut help = String::from("bound it: ");
    // A `JoinSet` owns its tasks but does not limit them: wait for a slot.
    if let Some(set) = spawner
        .rsplit_once('.')
        .map(|(set, _)| set)
        .filter(|_| join_set)
    {
        help.push_str(&format!(
            "before `{spawner}(..)`, wait for a slot with `while {set}.len() >= LIMIT {{ {set}.join_next().await; }}`, or "
        ));
    }
    help.push_str("take a permit from a shared `Arc<Semaphore>` before spawning (`let permit = semaphore.clone().acquire_owned().await?;`) and move it into the task, so it is released when the task ends; or run a fixed pool of N workers fed by a bounded channel");
    if let (Some(source), Some(item), Some(future)) =
        (&site.source, &site.item, site.mappable_future())
    {
        let closure = future.starts_with('|') || future.starts_with("move |");
        if short(future) && short(item) && short(source) && !closure {
            help.push_str(&format!(
                "; or, if the results are awaited here, `stream::iter({source}).map(|{item}| {future}).buffer_unordered(LIMIT)`"
            ));
        }
    }
    help.push_str(
        "; pick the limit from what the downstream can take, not from the size of the input",
    );
    Diagnostic::new(META.name, META.severity, site.range, message)
        .with_label("one task per item")
        .with_secondary(site.over.range, site.over.label("item"))
        .with_help(help)
}

/// Whether a piece of code is short enough to quote inside the help.
fn short(code: &str) -> bool {
    code.len() <= 60 && !code.contains('\n')
}
