//! `sequential-awaits`: independent reads awaited one after another.

use super::{FnNode, Group, Hooks, Rule, RuleMeta, TestCode};
use crate::diagnostic::{Diagnostic, Severity};
use crate::semantic::body::{awaited_call, own_awaits_in, pattern_names, NameUses};
use crate::semantic::calls::{chain_writes, is_read_like, is_sequential_op, READ_LIKE_VERBS};
use crate::semantic::chain::strip;
use crate::semantic::index::{FnKey, IndexQuery};
use crate::semantic::locals::can_share;
use crate::semantic::text::one_line;
use crate::semantic::{Cx, Runtime};
use rustc_hash::FxHashSet as HashSet;
use syn::spanned::Spanned;
use syn::{Block, Expr, Local, Pat, Stmt};

pub struct SequentialAwaits;

static META: RuleMeta = RuleMeta {
    name: "sequential-awaits",
    severity: Severity::Warning,
    group: Group::Latency,
    tests: TestCode::Skip,
    summary:
        "independent reads awaited one after another: their latencies add up instead of overlapping",
    doc: include_str!("../../rules/sequential-awaits.md"),
};

impl Rule for SequentialAwaits {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }
    fn hooks(&self) -> Hooks {
        Hooks::EXPR | Hooks::FN
    }

    fn check_fn(&self, cx: &mut Cx, f: &FnNode) {
        if f.sig.asyncness.is_some() {
            check_block(cx, f.body);
        }
    }

    fn check_expr(&self, cx: &mut Cx, e: &Expr) {
        let block = match e {
            // Checked before the walk enters it, so `can_await` is the outside's.
            Expr::Async(a) => &a.block,
            _ if !cx.can_await() => return,
            Expr::Block(b) => &b.block,
            Expr::If(i) => &i.then_branch,
            Expr::ForLoop(l) => &l.body,
            Expr::While(w) => &w.body,
            Expr::Loop(l) => &l.body,
            Expr::Unsafe(u) => &u.block,
            _ => return,
        };
        check_block(cx, block);
    }
}

/// One `let pat = call(..).await;` (or `.await?;`) whose call reads by its name.
struct Step<'a> {
    pat: &'a Pat,
    awaited: &'a Expr,
    /// The awaited future: `get_user(id)`.
    call: &'a Expr,
    name: String,
    /// The callee as the crate index knows fns.
    key: FnKey,
    tried: bool,
    declared: HashSet<String>,
    uses: NameUses,
}

fn step<'s>(stmt: &'s Stmt, verbs: &[&str]) -> Option<Step<'s>> {
    let Stmt::Local(Local {
        attrs,
        pat,
        init: Some(init),
        ..
    }) = stmt
    else {
        return None;
    };
    if !attrs.is_empty() || init.diverge.is_some() {
        return None;
    }
    let (awaited, tried) = match strip(&init.expr) {
        Expr::Try(t) => (strip(&t.expr), true),
        e => (e, false),
    };
    let Expr::Await(a) = awaited else {
        return None;
    };
    let call = awaited_call(a)?;
    if !is_read_like(&call.name, verbs)
        || is_sequential_op(&call.name)
        || chain_writes(&a.base)
        || !own_awaits_in(&a.base).is_empty()
    {
        return None;
    }
    let mut declared = HashSet::default();
    pattern_names(pat, &mut declared);
    Some(Step {
        pat,
        awaited,
        call: call.call,
        key: FnKey {
            name: call.name.clone(),
            arity: call.args.len(),
            is_method: call.receiver.is_some(),
        },
        name: call.name,
        tried,
        declared,
        uses: NameUses::of_expr(&a.base),
    })
}

fn check_block(cx: &mut Cx, block: &Block) {
    let configured: Vec<&str>;
    let verbs = match &cx.options.read_like {
        Some(names) => {
            configured = names.iter().map(String::as_str).collect();
            &configured[..]
        }
        None => READ_LIKE_VERBS,
    };
    let stmts = &block.stmts;
    let mut run: Vec<Step> = Vec::new();
    let mut run_start = 0;
    for (i, stmt) in stmts.iter().enumerate() {
        let Some(s) = step(stmt, verbs) else {
            report(cx, &run);
            run.clear();
            continue;
        };
        if run.is_empty() || run.iter().any(|r| depends(cx, &stmts[..run_start], r, &s)) {
            report(cx, &run);
            run.clear();
            run_start = i;
        }
        run.push(s);
    }
    report(cx, &run);
}

/// Whether `later` cannot start before `earlier` is done, as far as the syntax tells.
fn depends(cx: &Cx, before: &[Stmt], earlier: &Step, later: &Step) -> bool {
    let (e, l) = (&earlier.uses, &later.uses);
    // Uses an earlier result, or shadows it.
    if l.free_reads().any(|n| earlier.declared.contains(n))
        || later.declared.iter().any(|n| earlier.declared.contains(n))
    {
        return true;
    }
    // One call mutates what the other one touches: `&mut conn`, an assignment.
    let touches = |changed: &HashSet<String>, other: &NameUses| {
        changed.iter().any(|n| other.reads.contains(n))
    };
    if touches(&e.mut_borrows, l)
        || touches(&l.mut_borrows, e)
        || touches(&e.writes, l)
        || touches(&l.writes, e)
    {
        return true;
    }
    // The same call twice: a cache warmed by the first, a poll; joining them is no fix.
    if cx.text(earlier.call) == cx.text(later.call) {
        return true;
    }
    // Both use one local that may be a `&mut` (a connection, `&mut self`): they cannot
    // borrow it at the same time.
    e.reads
        .intersection(&l.reads)
        .any(|n| can_share(cx, before, n) == Some(false))
}

fn report(cx: &mut Cx, run: &[Step]) {
    let [first, second, ..] = run else {
        return;
    };
    let message = if run.len() == 2 {
        format!(
            "`{}` does not need the result of `{}`, yet starts only after it finishes: the two latencies add up instead of overlapping",
            short(cx, second),
            short(cx, first)
        )
    } else {
        format!(
            "these {} awaited calls do not need each other's results, yet each starts only after the previous one finishes: their latencies add up instead of overlapping",
            run.len()
        )
    };
    let later = ["awaited after it", "also awaited after it"][usize::from(run.len() > 2)];
    let mut d = Diagnostic::new(META.name, META.severity, cx.range(first.awaited), message)
        .with_label("awaited first");
    for s in &run[1..] {
        d = d.with_secondary(cx.range(s.awaited), later);
    }
    let d = d.with_help(help(cx, run));
    // An async getter of shared state (it only takes a lock) has no latency to overlap.
    let calls = run.iter().map(|s| s.key.clone()).collect();
    cx.report_if(IndexQuery::MayWaitForIo { calls, at_least: 2 }, d);
}

/// `let (user, orders) = tokio::try_join!(get_user(id), get_orders(id))?;`
fn help(cx: &Cx, run: &[Step]) -> String {
    let crate_name = match cx.file.runtime {
        Runtime::Tokio => "tokio",
        _ => "futures",
    };
    let pats: Vec<String> = run.iter().map(|s| pat_text(cx, s.pat)).collect();
    let calls: Vec<String> = run.iter().map(|s| one_line(cx.text(s.call))).collect();
    let all_tried = run.iter().all(|s| s.tried);
    let (mac, tail) = [("join", ""), ("try_join", "?")][usize::from(all_tried)];
    let all = ["both", "all"][usize::from(run.len() > 2)];
    let mut help = format!(
        "start them together and wait for {all}: `let ({}) = {crate_name}::{mac}!({}){tail};`",
        pats.join(", "),
        calls.join(", ")
    );
    if !all_tried && run.iter().any(|s| s.tried) {
        help.push_str(", then apply `?` to the results that had it");
    }
    help
}

/// How the message names a call: its text when short, else `name(..)`.
fn short(cx: &Cx, s: &Step) -> String {
    let text = one_line(cx.text(s.call));
    if text.chars().count() <= 40 {
        text
    } else {
        format!("{}(..)", s.name)
    }
}

fn pat_text(cx: &Cx, pat: &Pat) -> String {
    let pat = match pat {
        Pat::Type(t) => &*t.pat,
        p => p,
    };
    one_line(cx.file.slice(cx.file.range(pat.span())))
}
