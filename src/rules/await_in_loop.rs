//! `await-in-loop`: independent calls awaited one per iteration of a `for` loop.

use super::{Group, Hooks, Rule, RuleMeta, TestCode};
use crate::diagnostic::{Diagnostic, Severity};
use crate::semantic::body::{
    call_of, loop_exits, loop_source, through_deadline, unwrap_adapters, AwaitedCall, LoopSource,
    NameUses,
};
use crate::semantic::callee::Callee;
use crate::semantic::calls::{
    is_one_connection, is_order_sensitive, is_pacing, is_read_like, is_row_write_call,
    is_sequential_op, is_serializing, mentions_write, JOIN_COMBINATORS, READ_LIKE_VERBS,
};
use crate::semantic::chain::{self, strip};
use crate::semantic::index::{IndexQuery, ModelQuery};
use crate::semantic::iteration::{iteration, names_ordered_items, names_queued_items, Iteration};
use crate::semantic::Cx;
use syn::spanned::Spanned;
use syn::{Expr, ExprForLoop};

pub struct AwaitInLoop;

static META: RuleMeta = RuleMeta {
    name: "await-in-loop",
    severity: Severity::Warning,
    group: Group::Latency,
    tests: TestCode::Skip,
    summary: "a `for` loop awaits independent calls one after another: N items take N round-trips",
    doc: include_str!("../../rules/await-in-loop.md"),
};

/// Iterator adapters that cut the collection into batches: a batch per iteration is
/// deliberate load control.
const BATCHING: &[&str] = &["chunks", "chunks_exact", "rchunks", "windows", "chunks_mut"];

impl Rule for AwaitInLoop {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }
    fn hooks(&self) -> Hooks {
        Hooks::EXPR
    }

    fn check_expr(&self, cx: &mut Cx, expr: &Expr) {
        let Expr::ForLoop(f) = expr else {
            return;
        };
        if !cx.in_async()
            || cx.select_depth > 0
            || cx.in_migration()
            || loop_source(&f.expr) == LoopSource::Range
        {
            return;
        }
        // `.rev()`: the author chose the order (children before parents, newest first).
        let reversed = chain::chain(&f.expr)
            .methods
            .last()
            .is_some_and(|m| m.method == "rev");
        let names = format!(
            "{} {}",
            cx.text(&cx.file.range(f.pat.span())),
            cx.text(&*f.expr)
        );
        if reversed || names_ordered_items(&names) {
            return;
        }
        let batched = chain::chain(&f.expr)
            .methods
            .iter()
            .any(|m| BATCHING.contains(&m.method.to_string().as_str()));
        // A `break` or `return` ends the loop on some result: a first-success search.
        let exits = loop_exits(&f.body);
        if batched || exits.breaks || exits.returns {
            return;
        }
        let it = iteration(f);
        // `handle.await` on the loop variable: the loop collects work that already runs.
        let drains = it.awaits.iter().any(|a| {
            chain::path_ident(unwrap_adapters(&a.base))
                .is_some_and(|i| it.loop_vars.contains(&i.to_string()))
        });
        let calls: Vec<AwaitedCall> = it
            .awaits
            .iter()
            .filter_map(|a| call_of(unwrap_adapters(&a.base)))
            .filter_map(through_deadline)
            .collect();
        let in_order = |c: &AwaitedCall| is_pacing(&c.name) || is_order_sensitive(&c.name);
        // An awaited call that reads state the body changes for the next pass
        // (`announce` granted by one hop and handed to the next): the iterations form
        // a chain, and running their bodies at once would break it.
        let chained = calls.iter().any(|c| {
            NameUses::of_expr(c.call)
                .reads
                .iter()
                .any(|n| it.carried.contains(n))
        });
        if drains || chained || it.dispatches_on_item || calls.iter().any(in_order) {
            return;
        }
        // Queued jobs run in the order they were queued, unless each only reads.
        let reads_only = calls
            .iter()
            .all(|c| is_read_like(&c.name, READ_LIKE_VERBS) && !mentions_write(&c.name));
        if names_queued_items(&names) && !reads_only {
            return;
        }
        for call in &calls {
            // A lock or permit taken first serializes the calls anyway.
            if is_serializing(&call.name) {
                return;
            }
            // A row write is left in order (see `is_row_write`), and so is a call that
            // takes its input from one's result. A fetch beside it is still independent.
            let after_write = || {
                NameUses::of_expr(call.call)
                    .reads
                    .iter()
                    .any(|n| it.from_writes.contains(n))
            };
            if is_row_write_call(&call.name, call.call) || after_write() {
                continue;
            }
            match independent(cx, &it, call) {
                Independence::No => {}
                Independence::Yes => {
                    let callee = cx.callee(call.call);
                    report(cx, f, &it, call, callee, false);
                    return;
                }
                Independence::Accessor => {
                    if let Some(callee) = cx.callee(call.call) {
                        report(cx, f, &it, call, Some(callee), true);
                        return;
                    }
                }
            }
        }
    }
}

/// Whether the calls of a loop could all run at once.
enum Independence {
    No,
    Yes,
    /// A method of the item itself (`item.refresh().await`): independent if it is a
    /// fn of the crate that waits for I/O.
    Accessor,
}

/// Whether `call` could run for every item at once: it takes its input from the loop
/// variable (and, as every call of the loop, reads nothing the loop carries from one
/// pass to the next), and does not use one mutable value, one
/// connection or transaction, or `&mut self` in turn.
fn independent(cx: &Cx, it: &Iteration, call: &AwaitedCall) -> Independence {
    // `client.get(url).send()` is a request, not a channel send.
    let request_send = call.name == "send"
        && call.args.is_empty()
        && call
            .receiver
            .is_some_and(|r| matches!(strip(r), Expr::MethodCall(_)));
    // Waiting for a condition costs the longest wait, in order or not.
    let waits = call.name.starts_with("wait_");
    // A query on an embedded database (SQLite) is a local call, not a round-trip. A
    // change to the disk (`fs::rename`, `file.sync_all()`) keeps the order the loop
    // chose.
    let path = cx.call_path(call.call);
    if (is_sequential_op(&call.name) && !request_send)
        || crate::semantic::calls::embedded_db_op(cx.file, &call.name)
        || crate::semantic::calls::writes_to_disk(path.as_deref(), Some(&call.name))
        || waits
        || JOIN_COMBINATORS.contains(&call.name.as_str())
    {
        return Independence::No;
    }
    // `shard.is_local()`, `collection.state()`: an accessor of the item itself.
    let accessor = call.args.is_empty()
        && call
            .receiver
            .and_then(chain::path_ident)
            .is_some_and(|i| it.from_item.contains(&i.to_string()));
    let uses = NameUses::of_expr(call.call);
    let from_outside = |n: &String| !it.declared.contains(n);
    // A `let mut` value, a `&mut` parameter, one connection or transaction, or a
    // handle taken from one (`let store = tx.object_store(name)?`).
    let one_at_a_time = |n: &String| {
        from_outside(n)
            && cx.binding(n).is_some_and(|o| {
                o.mutable
                    || is_one_connection(n, o.ty.as_deref())
                    || o.root_binding.as_deref().is_some_and(|r| {
                        cx.binding(r)
                            .is_some_and(|ro| ro.mutable || is_one_connection(r, ro.ty.as_deref()))
                    })
            })
    };
    // (A call that reads state carried across passes never gets here: the loop as a
    // whole is a chain, see `chained` in `check_expr`.)
    let independent = uses.reads.iter().any(|n| it.from_item.contains(n))
        && !uses.mut_borrows.iter().any(from_outside)
        && !uses.reads.iter().any(one_at_a_time);
    match (independent, accessor) {
        (false, _) => Independence::No,
        (true, true) => Independence::Accessor,
        (true, false) => Independence::Yes,
    }
}

fn report(
    cx: &mut Cx,
    f: &ExprForLoop,
    it: &Iteration,
    call: &AwaitedCall,
    callee: Option<Callee>,
    must_resolve: bool,
) {
    let pat = one_line(cx.text(&cx.file.range(f.pat.span())));
    let iter = one_line(cx.text(&*f.expr));
    let call_text = one_line(cx.text(call.call));
    let iter_short = shorten(&iter);
    let call_short = shorten(&call_text);
    let d = Diagnostic::new(
        META.name,
        META.severity,
        cx.range(call.call),
        format!(
            "`{call_short}` is awaited once per item of `{iter_short}`, each call waiting for the one before: N independent calls take N times as long as one"
        ),
    )
    .with_label("awaited one item at a time")
    .with_secondary(cx.range(&*f.expr), format!("loop over `{iter_short}` here"))
    .with_help(help(cx, f, it, call, &pat, &iter, &call_text));
    let setup = crate::semantic::testcode::setup_once(cx);
    match callee {
        // A fn of the crate: not if it only waits for in-process locks, writes state
        // that every iteration shares, or changes what is on disk.
        Some(c) => {
            let waits_for_io = IndexQuery::Not(Box::new(IndexQuery::Any(vec![
                IndexQuery::Model(ModelQuery::InProcessOnly(c.clone())),
                IndexQuery::Model(ModelQuery::WritesDisk(c.clone())),
                IndexQuery::Model(ModelQuery::MutatesShared(c.clone())),
            ])));
            let query = if must_resolve {
                IndexQuery::All(vec![
                    IndexQuery::Model(ModelQuery::Resolves(c)),
                    waits_for_io,
                ])
            } else {
                waits_for_io
            };
            cx.report_if(query.unless(setup), d)
        }
        None => match setup {
            Some(s) => cx.report_if(IndexQuery::Not(Box::new(s)), d),
            None => cx.report(d),
        },
    }
}

/// The rewrite, written out when the loop body is just the awaited call (with `?`);
/// otherwise the structure of the fix without code that would not compile.
fn help(
    cx: &Cx,
    f: &ExprForLoop,
    it: &Iteration,
    call: &AwaitedCall,
    pat: &str,
    iter: &str,
    call_text: &str,
) -> String {
    let keep = "keep the loop only if each call must see the previous one's effect";
    let only_stmt = match f.body.stmts.as_slice() {
        [syn::Stmt::Expr(e, _)] => Some(strip(e)),
        _ => None,
    };
    let tried = match only_stmt {
        Some(Expr::Try(t)) => {
            matches!(strip(&t.expr), Expr::Await(a) if std::ptr::eq(strip(&a.base), call.call))
        }
        _ => false,
    };
    let plain =
        matches!(only_stmt, Some(Expr::Await(a)) if std::ptr::eq(strip(&a.base), call.call));
    // `|url| http.get(&url)` would return a borrow of the closure's own argument.
    let borrows_item = it
        .loop_vars
        .iter()
        .any(|v| call_text.contains(&format!("&{v}")));
    let fits =
        iter.chars().count() <= 60 && call_text.chars().count() <= 60 && !call_text.contains('\n');
    let _ = cx;
    if (plain || tried) && fits {
        let mapped = if borrows_item {
            format!("async move {{ {call_text}.await }}")
        } else {
            call_text.to_string()
        };
        if tried {
            format!(
                "start the calls together: `futures::stream::iter({iter}).map(|{pat}| {mapped}).buffer_unordered(16).try_collect::<Vec<_>>().await?` (`futures::{{StreamExt, TryStreamExt}}`; `buffered` keeps the order), or `futures::future::try_join_all` for a handful; {keep}"
            )
        } else {
            format!(
                "start the calls together: `futures::stream::iter({iter}).map(|{pat}| {mapped}).buffer_unordered(16).collect::<Vec<_>>().await` (`futures::StreamExt`; `buffered` keeps the order), or `futures::future::join_all` for a handful; {keep}"
            )
        }
    } else {
        format!(
            "start the calls together: move one iteration's work into an `async move {{ .. }}` block per item and drive the blocks with a bound, `futures::stream::iter(..).map(..).buffer_unordered(16)` (`buffered` keeps the order), collecting what the loop collected; {keep}"
        )
    }
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Long text cut at its first argument list: `client.get(..)`.
fn shorten(s: &str) -> String {
    const MAX: usize = 48;
    if s.chars().count() <= MAX {
        return s.to_string();
    }
    match s.find('(') {
        Some(i) if i <= MAX => format!("{}(..)", &s[..i]),
        _ => format!("{}..", s.chars().take(MAX).collect::<String>()),
    }
}
