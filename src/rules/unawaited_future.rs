//! `unawaited-future`: a future created and dropped without ever being polled, so
//! its body never runs.

use super::{FnNode, Group, Hooks, Rule, RuleMeta, TestCode};
use crate::diagnostic::{Diagnostic, Severity};
use crate::semantic::body::NameUses;
use crate::semantic::callee::Target;
use crate::semantic::chain::{path_ident, strip};
use crate::semantic::futures::{
    callee_name, collected_futures, future_source, mentions_ident, CollectedFutures, FutureSource,
};
use crate::semantic::index::{IndexQuery, ModelQuery};
use crate::semantic::macros::parse_body;
use crate::semantic::runtime::words;
use crate::semantic::uses::local_uses;
use crate::semantic::Cx;
use rustc_hash::FxHashSet as HashSet;
use syn::visit::{self, Visit};
use syn::{Block, Expr, Pat, Stmt};

pub struct UnawaitedFuture;

static META: RuleMeta = RuleMeta {
    name: "unawaited-future",
    severity: Severity::Error,
    group: Group::Correctness,
    tests: TestCode::Report,
    summary: "a future is created and dropped without being awaited: its body never runs",
    doc: include_str!("../../rules/unawaited-future.md"),
};

/// How the future is thrown away.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Discard {
    /// `save(x);`
    Statement,
    /// `let _ = save(x);`
    LetUnderscore,
    /// `drop(save(x));`
    Drop,
    /// `let f = save(x); .. drop(f);` (or `let _ = f;`, or never used).
    BoundThenDropped,
}

impl Discard {
    fn label(self) -> &'static str {
        match self {
            Discard::Statement => "dropped at the end of this statement, never polled",
            Discard::LetUnderscore => "`let _ =` drops it on the spot, never polled",
            Discard::Drop => "dropped here, never polled",
            Discard::BoundThenDropped => "bound here, then dropped without being polled",
        }
    }
}

impl Rule for UnawaitedFuture {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }
    fn hooks(&self) -> Hooks {
        Hooks::STMT | Hooks::FN
    }

    fn check_stmt(&self, cx: &mut Cx, stmt: &Stmt) {
        let (value, how) = match stmt {
            Stmt::Expr(e, Some(_)) => match cx.drop_call_arg(e) {
                Some(inner) => (inner, Discard::Drop),
                None => (strip(e), Discard::Statement),
            },
            Stmt::Local(local) if is_wildcard(&local.pat) => match &local.init {
                Some(init) if init.diverge.is_none() => (strip(&init.expr), Discard::LetUnderscore),
                _ => return,
            },
            _ => return,
        };
        if let Some(c) = collected_futures(cx, value) {
            report_collected(cx, value, &c, None);
        } else if let Some(source) = future_source(cx, value) {
            report_single(cx, value, source, how);
        }
    }

    /// `let futs: Vec<_> = ids.iter().map(..).collect();` with `futs` never read again:
    /// this needs the rest of the block, so it is checked per fn.
    fn check_fn(&self, cx: &mut Cx, f: &FnNode) {
        // Collected futures need a `.collect()`, a bound future a `drop` or a `let _`:
        // most fns have none.
        if !cx
            .file
            .block_mentions(f.body, &["collect", "drop", "let _"])
        {
            return;
        }
        let declared = NameUses::of_block(f.body).declared;
        UnusedCollections { cx, declared }.visit_block(f.body);
    }
}

/// Visits every block of a fn body, including those in closures, async blocks and the
/// macro bodies the shared layer parses; not those of nested items (checked as fns).
struct UnusedCollections<'c, 'a> {
    cx: &'c mut Cx<'a>,
    /// Locals and closure parameters of the fn: the walk's scopes are not at hand
    /// here, so a callee by one of these names is taken for a closure, not a fn.
    declared: HashSet<String>,
}

impl UnusedCollections<'_, '_> {
    fn check_block(&mut self, block: &Block) {
        for (i, stmt) in block.stmts.iter().enumerate() {
            let Stmt::Local(local) = stmt else { continue };
            let Some(init) = local.init.as_ref().filter(|i| i.diverge.is_none()) else {
                continue;
            };
            let Some(ident) = named_binding(&local.pat) else {
                continue;
            };
            let Some(c) = collected_futures(self.cx, &init.expr) else {
                self.check_bound_future(block, i, ident, &init.expr);
                continue;
            };
            let callee = match strip(c.call) {
                Expr::Call(call) => path_ident(&call.func),
                e => path_ident(e),
            };
            if callee.is_some_and(|i| self.declared.contains(&i.to_string())) {
                continue;
            }
            let name = ident.to_string();
            let later = &block.stmts[i + 1..];
            if !NameUses::of_stmts(later).reads.contains(&name) || only_measured(later, &name) {
                report_collected(self.cx, &init.expr, &c, Some(ident));
            }
        }
    }
}

/// Whether every mention of `name` in `stmts` (macro arguments included) only
/// measures the collection (`name.len()`, `name.is_empty()`): a count logged is not a
/// future awaited.
fn only_measured(stmts: &[Stmt], name: &str) -> bool {
    let uses = crate::semantic::uses::local_uses(stmts, name);
    !uses.in_opaque_macro
        && uses.mentions == uses.calls.len()
        && uses
            .calls
            .iter()
            .all(|(method, _)| method == "len" || method == "is_empty")
}

impl UnusedCollections<'_, '_> {
    /// `let f = save(x);` whose only later uses drop it: `drop(f)`, `let _ = f;`.
    fn check_bound_future(&mut self, block: &Block, i: usize, ident: &syn::Ident, init: &Expr) {
        let name = ident.to_string();
        if name.starts_with('_') {
            return;
        }
        let init = strip(init);
        let callee = match init {
            Expr::Call(call) => path_ident(&call.func),
            _ => None,
        };
        if callee.is_some_and(|i| self.declared.contains(&i.to_string())) {
            return;
        }
        let Some(source) = future_source(self.cx, init) else {
            return;
        };
        let uses = local_uses(&block.stmts[i + 1..], &name);
        if uses.in_opaque_macro || uses.drops == 0 || uses.mentions != uses.drops {
            return;
        }
        report_single(self.cx, init, source, Discard::BoundThenDropped);
    }
}

impl<'ast> Visit<'ast> for UnusedCollections<'_, '_> {
    fn visit_block(&mut self, b: &'ast Block) {
        self.check_block(b);
        visit::visit_block(self, b);
    }

    fn visit_item(&mut self, _: &'ast syn::Item) {}

    fn visit_expr(&mut self, e: &'ast Expr) {
        stacker::maybe_grow(64 * 1024, 1024 * 1024, || visit::visit_expr(self, e));
    }

    fn visit_macro(&mut self, m: &'ast syn::Macro) {
        for e in parse_body(m).code() {
            <Self as Visit<'_>>::visit_expr(self, e);
        }
    }
}

fn report_single(cx: &mut Cx, value: &Expr, source: FutureSource, how: Discard) {
    let shown = cx.short_text(value);
    let message = match (&source, value) {
        (FutureSource::AsyncBlock, _) => "this `async` block only creates a future, and it is dropped without being polled: none of the code inside it runs".to_string(),
        (_, Expr::Call(_) | Expr::MethodCall(_)) => format!(
            "{} only creates a future, and it is dropped without being polled: `{}` never runs, so its work silently does not happen",
            shown
                .as_ref()
                .map_or_else(|| "this call".to_string(), |t| format!("`{t}`")),
            callee_name(value),
        ),
        _ => return,
    };
    // `store.delete(id).await`, written out when the call is short.
    let example = match (&source, &shown) {
        (FutureSource::AsyncBlock, _) | (_, None) => String::new(),
        (_, Some(t)) => format!(": `{t}.await`"),
    };
    let w = words(cx.file.runtime);
    let alongside = format!(
        "to run it alongside other work, join it (`{}`), or `{}` it and keep the handle",
        w.join, w.spawn
    );
    let mut help = if source == FutureSource::AsyncBlock && cx.can_await() {
        format!("run its code here: drop the `async` wrapper, or `.await` the block; {alongside}")
    } else if cx.can_await() {
        format!("`.await` it to run it here{example}; {alongside}")
    } else if cx.in_async() {
        format!("this closure cannot `.await`: use a `for` loop and `.await` each call in its body{example}, or map the items to futures and run them with a bound (`futures::stream::iter(..).map(..).buffer_unordered(LIMIT)`)")
    } else {
        format!("nothing here can `.await` it: make this code `async` and `.await` it{example}, or hand it to the runtime with `{}` and keep the handle", w.spawn)
    };
    if how == Discard::LetUnderscore {
        help = format!("`let _ =` does not keep a value alive; {help}");
    }
    let d = Diagnostic::new(META.name, META.severity, cx.range(value), message)
        .with_label(how.label())
        .with_help(help);
    emit(cx, value, source, d);
}

fn report_collected(cx: &mut Cx, value: &Expr, c: &CollectedFutures, binding: Option<&syn::Ident>) {
    let each = match &c.source {
        FutureSource::AsyncBlock => "of the `async` blocks".to_string(),
        _ => match cx.short_text(c.call) {
            Some(t) => format!("of the `{t}` calls"),
            None => format!("of the calls to `{}`", callee_name(c.call)),
        },
    };
    let message = match binding {
        Some(name) => {
            format!("the futures collected into `{name}` are never awaited, so none {each} runs")
        }
        None => format!(
            "these futures are collected and dropped without being polled, so none {each} runs"
        ),
    };
    let stream = match (cx.short_text(c.items), cx.short_text(c.mapper)) {
        (Some(items), Some(mapper)) => {
            format!("`futures::stream::iter({items}).map({mapper}).buffer_unordered(LIMIT)`")
        }
        _ => "`futures::stream::iter(..).map(..).buffer_unordered(LIMIT)`".to_string(),
    };
    let join = match binding {
        Some(name) => format!("`futures::future::join_all({name}).await`"),
        None => "`futures::future::join_all(..).await`".to_string(),
    };
    let help = format!(
        "drive them: run them with a bound, {stream} consumed with `.next().await` or `.collect().await`; for a handful, {join}; or a `for` loop that `.await`s each call"
    );
    let mut d = Diagnostic::new(META.name, META.severity, cx.range(value), message)
        .with_label("futures built here, never polled")
        .with_help(help);
    if let Some(name) = binding {
        let range = cx.file.range(name.span());
        d = d.with_secondary(range, format!("`{name}` is not used after this"));
    }
    emit(cx, c.call, c.source.clone(), d);
}

/// Known futures are reported at once; the checked code's fns only if the crate
/// index says the name and arity are async, and the crate model neither knows the fn
/// to do its work when called (an eager fn that returns a future for the reply) nor
/// resolves the call to a sync fn of the crate (the index goes by name and arity
/// across every package checked: `Update::update(self, data)` of a sync trait method
/// is not another package's `async fn update(a, b)`).
fn emit(cx: &mut Cx, value: &Expr, source: FutureSource, d: Diagnostic) {
    let not_eager = |cx: &Cx| {
        cx.callee(value).map(|c| {
            let not = |q: ModelQuery| IndexQuery::Not(Box::new(IndexQuery::Model(q)));
            IndexQuery::All(vec![
                not(ModelQuery::Eager(c.clone())),
                not(ModelQuery::ResolvesToSync(c.clone())),
                IndexQuery::Model(ModelQuery::AsyncNamesake(c)),
            ])
        })
    };
    let is_async = match source {
        FutureSource::Indexed(key) => IndexQuery::IsAsync(key),
        FutureSource::IndexedPath { free, method } => {
            IndexQuery::Any(vec![IndexQuery::IsAsync(free), IndexQuery::IsAsync(method)])
        }
        FutureSource::AsyncBlock | FutureSource::Known(_) => return cx.report(d),
        FutureSource::FieldTyped(types) => {
            let Some(callee) = cx.callee(value) else {
                return;
            };
            let asks: Vec<IndexQuery> = types
                .iter()
                .filter_map(|ty| crate::semantic::types::field_is(cx, value, ty))
                .collect();
            if asks.is_empty() || !matches!(callee.target, Target::FieldMethod { .. }) {
                return;
            }
            return cx.report_if(IndexQuery::Any(asks), d);
        }
    };
    let query = match not_eager(cx) {
        Some(q) => IndexQuery::All(vec![is_async, q]),
        None => is_async,
    };
    cx.report_if(query, d);
}

fn is_wildcard(pat: &Pat) -> bool {
    match pat {
        Pat::Wild(_) => true,
        Pat::Type(t) => is_wildcard(&t.pat),
        _ => false,
    }
}

/// `futs` in `let futs = ..` / `let mut futs: Vec<_> = ..`; not a binding whose declared
/// type is a `JoinSet` (collecting into one spawns the futures).
fn named_binding(pat: &Pat) -> Option<&syn::Ident> {
    match pat {
        Pat::Ident(p) if p.subpat.is_none() => Some(&p.ident),
        Pat::Type(t) if !mentions_ident(quote::ToTokens::to_token_stream(&t.ty), "JoinSet") => {
            named_binding(&t.pat)
        }
        _ => None,
    }
}
