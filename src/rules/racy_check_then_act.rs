//! `racy-check-then-act`: shared state checked under one lock, then written under
//! another with an `.await` in between.

use super::{FnNode, Group, Hooks, Rule, RuleMeta, TestCode};
use crate::diagnostic::{Diagnostic, Severity};
use crate::semantic::body::async_body;
use crate::semantic::decisions::Decisions;
use crate::semantic::guards::{
    all_acquisitions, async_critical_sections, guard_ops, guard_view, one_line, takes_guard,
    Acquisition,
};
use crate::semantic::index::{IndexQuery, ModelQuery};
use crate::semantic::runtime::words;
use crate::semantic::types::concurrent_map_calls;
use crate::semantic::Cx;
use crate::source::TextRange;
use syn::{Block, Expr};

pub struct RacyCheckThenAct;

static META: RuleMeta = RuleMeta {
    name: "racy-check-then-act",
    severity: Severity::Warning,
    group: Group::Correctness,
    tests: TestCode::Skip,
    summary: "shared state checked under one lock and written under another with an `.await` between: tasks interleave",
    doc: include_str!("../../rules/racy-check-then-act.md"),
};

/// Reads that decide what to do next.
const CHECKS: &[&str] = &[
    "contains_key",
    "contains",
    "get",
    "is_none",
    "is_some",
    "is_empty",
    "len",
];
/// Writes that act on such a decision; `=` is an assignment through the guard.
const WRITES: &[&str] = &[
    "insert",
    "push",
    "push_back",
    "push_front",
    "extend",
    "append",
    "entry",
    "=",
];
/// After `entry(k)`: insert only if the key is still absent, a check and a write in one.
const FILL_IF_ABSENT: &[&str] = &[
    "or_insert",
    "or_insert_with",
    "or_insert_with_key",
    "or_default",
];

impl Rule for RacyCheckThenAct {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }
    fn hooks(&self) -> Hooks {
        Hooks::EXPR | Hooks::FN
    }

    fn check_fn(&self, cx: &mut Cx, f: &FnNode) {
        // A fn handed a guard runs inside its caller's critical section.
        if f.sig.asyncness.is_some() && !takes_guard(f.sig) {
            check_body(cx, f.body);
        }
    }

    fn check_expr(&self, cx: &mut Cx, expr: &Expr) {
        if let Some(body) = async_body(expr) {
            check_body(cx, body);
        }
    }
}

/// One check or write of shared state.
struct Access {
    range: TextRange,
    /// The state: lock receiver (or map) and field path, as written.
    state: String,
    method: String,
    then: Option<String>,
    /// The guard it went through, to tell a re-check under the writing guard.
    guard: Option<usize>,
    acquired: usize,
    released: usize,
    /// An explicit release (`drop(g)`, the end of `g`'s block) worth pointing at.
    release_label: Option<TextRange>,
    /// The lock call, on one line (`self.cache.lock().unwrap()`); `None` for a map.
    lock: Option<String>,
    /// The fields between the guard and the state (`.token`).
    path: String,
    /// The model's question whether the state is a concurrent map, for a map field
    /// declared in another file.
    needs: Option<IndexQuery>,
}

fn check_body(cx: &mut Cx, body: &Block) {
    // A check and a write need a lock, a cell or a concurrent map: skip bodies that
    // name none.
    let shared = cx
        .file
        .block_mentions(body, &["lock", "read(", "write(", "borrow", "entry("]);
    // A map field declared in another file may be a concurrent one: its writes say so.
    let map_field = cx.file.block_mentions(body, &["insert("]);
    if !shared && !cx.file.mentions_concurrent_map && !map_field {
        return;
    }
    let view = guard_view(cx, body);
    let (awaits, acqs) = (&view.awaits, &view.acquisitions);
    if awaits.is_empty() {
        return;
    }
    let decisions = Decisions::of_body(cx.file, body);
    // Async guards (`rw.read().await`) guard as much as sync ones while they live; the
    // `.await` that takes one is not work another task's check can slip past.
    let async_acqs: Vec<Acquisition> = all_acquisitions(cx, body)
        .into_iter()
        .filter(|a| a.asynchronous)
        .collect();
    let awaits: Vec<(usize, TextRange)> = awaits
        .iter()
        .filter(|(at, _)| {
            !async_acqs
                .iter()
                .any(|a| a.range.start <= *at && *at < a.range.end)
        })
        .copied()
        .collect();
    let all: Vec<&Acquisition> = acqs.iter().chain(&async_acqs).collect();
    let mut ops = guard_ops(cx.file, body, acqs);
    ops.extend(
        guard_ops(cx.file, body, &async_acqs)
            .into_iter()
            .map(|mut op| {
                op.acquisition += acqs.len();
                op
            }),
    );
    let mut accesses: Vec<Access> = ops
        .into_iter()
        .map(|op| {
            let a = all[op.acquisition];
            let release_label = match (a.released_at, &a.binding) {
                (Some(r), _) => Some(r),
                (None, Some(_)) => Some(TextRange::new(a.held_until - 1, a.held_until)),
                (None, None) => None,
            };
            Access {
                range: op.range,
                state: format!("{}{}", a.receiver, op.path),
                lock: Some(one_line(cx.file, a.range)),
                path: op.path,
                method: op.method,
                then: op.then,
                guard: Some(op.acquisition),
                acquired: a.held_from,
                released: a.held_until,
                release_label,
                // A guard a crate helper hands out is one if the model says so.
                needs: a
                    .helper
                    .clone()
                    .map(|h| IndexQuery::Model(ModelQuery::ReturnsGuard(h))),
            }
        })
        .collect();
    let maps = concurrent_map_calls(cx, body);
    // `cache().get(&k)` may be a map a crate fn hands out, or a guard a helper does:
    // the map call stands for both, and the model tells which.
    accesses.retain(|a| a.needs.is_none() || !maps.iter().any(|m| m.range == a.range));
    accesses.extend(maps.into_iter().map(|c| Access {
        range: c.range,
        state: c.receiver,
        method: c.method,
        then: c.then,
        guard: None,
        acquired: c.range.start,
        released: c.range.end,
        release_label: None,
        lock: None,
        path: String::new(),
        needs: c.needs,
    }));
    accesses.sort_by_key(|a| a.range.start);

    let sections = async_critical_sections(cx.file, body);
    let key = |a: &Access| match a.guard {
        Some(g) => (Some(g), TextRange::new(0, 0)),
        None => (None, a.range),
    };
    let is_check = |a: &Access| CHECKS.contains(&a.method.as_str()) && decisions.decides(a.range);
    // One report per checking guard (or map call).
    let mut reported: Vec<(Option<usize>, TextRange)> = Vec::new();
    for w in &accesses {
        // `.entry(k).or_insert(v)`, or an entry matched on (`match m.entry(k) {
        // Entry::Vacant(e) => .. }`): the write re-checks under its own lock.
        let fills_if_absent = w.method == "entry"
            && w.then
                .as_deref()
                .is_none_or(|t| FILL_IF_ABSENT.contains(&t));
        if !WRITES.contains(&w.method.as_str()) || fills_if_absent {
            continue;
        }
        // The latest decision about this state before the write.
        let Some(c) = accesses
            .iter()
            .rev()
            .find(|c| c.state == w.state && c.range.end <= w.range.start && is_check(c))
        else {
            continue;
        };
        if (c.guard.is_some() && c.guard == w.guard) || reported.contains(&key(c)) {
            continue;
        }
        let (c_released, w_acquired) = (c.released, w.acquired);
        let Some((at, await_range)) = awaits.iter().find(|(at, _)| {
            // One run must reach the check, the `.await` and the write in turn.
            let (c, w) = (c.range.start, w.range.start);
            c_released <= *at
                && *at < w_acquired
                && !decisions.exclusive(c, *at)
                && !decisions.exclusive(*at, w)
                && !decisions.exclusive(c, w)
        }) else {
            continue;
        };
        // A decision already acted on before the `.await` (`if !g.contains_key(&k) {
        // g.insert(k, Pending) }`, a placeholder) is not what the later write follows.
        let acted_on = accesses.iter().any(|a| {
            a.state == c.state
                && a.range.start > c.range.end
                && a.range.end <= *at
                && WRITES.contains(&a.method.as_str())
        });
        // An async lock held over the check, the `.await` and the write serializes them.
        let serialized = sections
            .iter()
            .any(|s| s.start <= c.range.start && w.range.end <= s.end);
        if acted_on || serialized {
            continue;
        }
        reported.push(key(c));
        report(cx, c, w, *at, *await_range);
    }
}

fn report(cx: &mut Cx, check: &Access, write: &Access, at: usize, await_range: TextRange) {
    let state = &write.state;
    let how = match write.lock {
        Some(_) => "checked under one lock and written under another",
        None => "checked and written in two separate calls",
    };
    let mut d = Diagnostic::new(
        META.name,
        META.severity,
        write.range,
        format!("`{state}` is {how}, with an `.await` in between: other tasks can pass the same check meanwhile, so the work behind it runs twice (duplicate fetches) and the later write overwrites the earlier one"),
    )
    .with_label("written again here")
    .with_secondary(check.range, "checked here");
    if let Some(r) = check.release_label.filter(|r| r.start < at) {
        d = d.with_secondary(r, "lock released here");
    }
    let await_label = if cx.file.slice(await_range).contains('\n') {
        TextRange::new(at, at + "await".len())
    } else {
        await_range
    };
    d = d.with_secondary(
        await_label,
        "`.await` here: other tasks run before the write",
    );
    let w = words(cx.file.runtime);
    let once = format!("keep a `{}` (per key) and `get_or_try_init` it, so one task does the work and the others await its result", w.once_cell);
    let help = match &write.lock {
        None => format!("write only if still absent, in one call: `{state}.entry(key).or_insert(value)`; to do the work once per key, {once}"),
        Some(lock) => {
            let args = if ["contains_key", "contains", "get"].contains(&check.method.as_str()) {
                "(..)"
            } else {
                "()"
            };
            let entry = if write.method == "insert" || write.method == "entry" {
                " (for a map, `.entry(key).or_insert(value)` does both)"
            } else {
                ""
            };
            format!("hold a `{}` over the whole check-fetch-fill, or {once}; at the least, take the new guard (`let mut g = {lock};`) and test `g{}.{}{args}` again before writing{entry}", w.mutex, write.path, check.method)
        }
    };
    let d = d.with_help(help);
    let mut needs: Vec<IndexQuery> = [&check.needs, &write.needs]
        .into_iter()
        .flatten()
        .cloned()
        .collect();
    let query = match needs.len() {
        0 | 1 => needs.pop(),
        _ => Some(IndexQuery::All(needs)),
    };
    match query {
        None => cx.report(d),
        Some(q) => cx.report_if(q, d),
    }
}
