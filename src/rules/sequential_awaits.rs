//! `sequential-awaits`: independent reads awaited one after another.

use super::{FnNode, Group, Hooks, Rule, RuleMeta, TestCode};
use crate::diagnostic::{Diagnostic, Severity};
use crate::semantic::body::{awaited_call, own_awaits_in, pattern_names, NameUses};
use crate::semantic::calls::{chain_writes, is_read_like, is_sequential_op, READ_LIKE_VERBS};
use crate::semantic::chain::{self, strip};
use crate::semantic::index::{FnKey, IndexQuery};
use crate::semantic::locals::can_share;
use crate::semantic::text::one_line;
use crate::semantic::{Cx, Runtime};
use rustc_hash::FxHashSet as HashSet;
use syn::spanned::Spanned;
use syn::visit::{self, Visit};
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
        if f.sig.asyncness.is_some() && !cx.in_migration() {
            check_block(cx, f.body);
        }
    }

    fn check_expr(&self, cx: &mut Cx, e: &Expr) {
        if cx.in_migration() {
            return;
        }
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
    /// The `let` pattern; `None` for a read awaited in place.
    pat: Option<&'a Pat>,
    awaited: &'a Expr,
    /// The awaited future: `get_user(id)`.
    call: &'a Expr,
    name: String,
    /// The callee as the crate index knows fns.
    key: FnKey,
    tried: bool,
    adapted: bool,
    declared: HashSet<String>,
    uses: NameUses,
    /// Awaited in place, as an argument or a field, not bound by a `let` of its own.
    in_place: bool,
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
    // `let Some(user) = get_user(id).await else { return };` is a step too.
    if !attrs.is_empty() {
        return None;
    }
    bound_step(pat, &init.expr, verbs)
}

/// A read awaited in an `if let` condition (`if let Some(url) = find_avatar(id).await?
/// { .. }`): a step that ends its run, since what follows may not run.
fn condition_step<'s>(stmt: &'s Stmt, verbs: &[&str]) -> Option<Step<'s>> {
    let Stmt::Expr(Expr::If(i), _) = stmt else {
        return None;
    };
    let Expr::Let(l) = strip(&i.cond) else {
        return None;
    };
    bound_step(&l.pat, &l.expr, verbs)
}

/// A read awaited and bound to `pat`.
fn bound_step<'s>(pat: &'s Pat, init: &'s Expr, verbs: &[&str]) -> Option<Step<'s>> {
    let Peeled {
        awaited,
        tried,
        adapted,
    } = peel(init)?;
    let Expr::Await(a) = awaited else {
        return None;
    };
    let call = awaited_call(a)?;
    if !is_read_like(&call.name, verbs)
        || is_sequential_op(&call.name)
        || chain_writes(&a.base)
        || own_awaits_in(init).len() != 1
    {
        return None;
    }
    let mut declared = HashSet::default();
    pattern_names(pat, &mut declared);
    Some(Step {
        pat: Some(pat),
        awaited,
        call: call.call,
        key: FnKey {
            name: call.name.clone(),
            arity: call.args.len(),
            is_method: call.receiver.is_some(),
        },
        name: call.name,
        tried,
        adapted,
        declared,
        uses: NameUses::of_expr(init),
        in_place: false,
    })
}

/// An awaited expression and what follows its `.await`.
struct Peeled<'a> {
    /// The `.await` expression.
    awaited: &'a Expr,
    /// Ends in `?`.
    tried: bool,
    /// A result adapter follows the `.await` (`.map_err(..)`, `.context(..)`,
    /// `.unwrap()`): a joined rewrite applies it to the result afterwards.
    adapted: bool,
}

/// `f().await`, `f().await?`, `f().await.map_err(..)?`, `f().await.context("..")?`,
/// `f().await.unwrap()`: the `.await` inside, whether `?` ends it, and whether an
/// adapter sits between.
fn peel(e: &Expr) -> Option<Peeled<'_>> {
    let a = chain::strip_result_adapters(e);
    matches!(a.inner, Expr::Await(_)).then_some(Peeled {
        awaited: a.inner,
        tried: a.tried,
        adapted: a.adapted,
    })
}

fn check_block(cx: &mut Cx, block: &Block) {
    let configured: Vec<String> = cx.options.read_like.clone().unwrap_or_default();
    let verbs: Vec<&str> = match &cx.options.read_like {
        Some(_) => configured.iter().map(String::as_str).collect(),
        None => READ_LIKE_VERBS.to_vec(),
    };
    let stmts = &block.stmts;
    let mut run: Vec<Step> = Vec::new();
    let mut run_start = 0;
    // Names whose values come from the run's results, also through statements in
    // between (`let n = user.id + 1;`): a later step that reads one depends on the run.
    let mut derived: HashSet<String> = HashSet::default();
    for (i, stmt) in stmts.iter().enumerate() {
        let Some(s) = step(stmt, &verbs) else {
            if let Some(s) = condition_step(stmt, &verbs) {
                if !run.is_empty()
                    && !run.iter().any(|r| depends(cx, &stmts[..run_start], r, &s))
                    && !s.uses.reads.iter().any(|n| derived.contains(n))
                {
                    run.push(s);
                }
                report(cx, &run);
                run.clear();
                derived.clear();
                continue;
            }
            if !run.is_empty() && transparent(stmt, &run) {
                let uses = stmt_uses(stmt);
                if uses.reads.iter().any(|n| derived.contains(n)) {
                    derived.extend(uses.declared.iter().cloned());
                }
                continue;
            }
            report(cx, &run);
            run.clear();
            derived.clear();
            check_arguments(cx, stmt, &verbs);
            continue;
        };
        let depends_on_run = run.iter().any(|r| depends(cx, &stmts[..run_start], r, &s))
            || s.uses.reads.iter().any(|n| derived.contains(n));
        if run.is_empty() || depends_on_run {
            report(cx, &run);
            run.clear();
            derived.clear();
            run_start = i;
        }
        derived.extend(s.declared.iter().cloned());
        run.push(s);
    }
    report(cx, &run);
}

fn stmt_uses(stmt: &Stmt) -> NameUses {
    let b = Block {
        brace_token: Default::default(),
        stmts: vec![stmt.clone()],
    };
    NameUses::of_block(&b)
}

/// A statement between two reads that changes nothing they depend on: it does not
/// await, cannot leave early (`return`, `?`, `break`, `continue`, a panic), and
/// assigns no name a read uses.
fn transparent(stmt: &Stmt, run: &[Step]) -> bool {
    let exprs: Vec<&Expr> = match stmt {
        Stmt::Local(l) => match &l.init {
            Some(init) if init.diverge.is_none() => vec![&*init.expr],
            Some(_) => return false,
            None => Vec::new(),
        },
        Stmt::Expr(e, _) => vec![e],
        Stmt::Macro(_) => Vec::new(),
        Stmt::Item(_) => return true,
    };
    if let Stmt::Macro(m) = stmt {
        let name = m
            .mac
            .path
            .segments
            .last()
            .map(|s| s.ident.to_string())
            .unwrap_or_default();
        // Logging and formatting only; anything else (`bail!`, `assert!`) may leave.
        return matches!(
            name.as_str(),
            "trace"
                | "debug"
                | "info"
                | "warn"
                | "error"
                | "event"
                | "println"
                | "eprintln"
                | "print"
                | "eprint"
                | "log"
        );
    }
    let leaves = exprs
        .iter()
        .any(|e| !own_awaits_in(e).is_empty() || can_leave(e));
    if leaves {
        return false;
    }
    let uses = stmt_uses(stmt);
    !run.iter().any(|r| {
        uses.writes.iter().any(|w| r.uses.reads.contains(w))
            || uses.mut_borrows.iter().any(|w| r.uses.reads.contains(w))
    })
}

/// Whether an expression can leave the enclosing code: `return`, `?`, `break`,
/// `continue`, or a macro that may (`bail!`, `ensure!`, `panic!`, assertions).
fn can_leave(e: &Expr) -> bool {
    use syn::visit::Visit;
    struct L(bool);
    impl<'ast> Visit<'ast> for L {
        fn visit_expr(&mut self, e: &'ast Expr) {
            match e {
                Expr::Return(_) | Expr::Try(_) | Expr::Break(_) | Expr::Continue(_) => {
                    self.0 = true
                }
                Expr::Closure(_) | Expr::Async(_) => {}
                _ => syn::visit::visit_expr(self, e),
            }
        }
        fn visit_macro(&mut self, m: &'ast syn::Macro) {
            let name = m
                .path
                .segments
                .last()
                .map(|s| s.ident.to_string())
                .unwrap_or_default();
            if !matches!(
                name.as_str(),
                "format"
                    | "vec"
                    | "trace"
                    | "debug"
                    | "info"
                    | "warn"
                    | "error"
                    | "println"
                    | "eprintln"
                    | "write"
                    | "writeln"
                    | "concat"
                    | "stringify"
            ) {
                self.0 = true;
            }
        }
        fn visit_item(&mut self, _: &'ast syn::Item) {}
    }
    let mut l = L(false);
    l.visit_expr(e);
    l.0
}

/// Reads awaited one after another inside one expression's arguments or fields:
/// `Page::new(get_user(id).await?, get_orders(id).await?)`, `Dashboard { user:
/// get_user(id).await?, orders: get_orders(id).await? }`, a builder chain.
fn check_arguments(cx: &mut Cx, stmt: &Stmt, verbs: &[&str]) {
    let e = match stmt {
        Stmt::Local(l) => match &l.init {
            Some(init) => &*init.expr,
            None => return,
        },
        Stmt::Expr(e, _) => e,
        _ => return,
    };
    let mut parts: Vec<&Expr> = Vec::new();
    collect_parts(strip(e), &mut parts);
    let mut run: Vec<Step> = Vec::new();
    for part in parts {
        let Some(s) = part_step(part, verbs) else {
            report(cx, &run);
            run.clear();
            continue;
        };
        if run.iter().any(|r| depends(cx, &[], r, &s)) {
            report(cx, &run);
            run.clear();
        }
        run.push(s);
    }
    report(cx, &run);
}

/// The argument and field expressions of a call, a method chain, a struct literal or
/// a tuple, in evaluation order.
fn collect_parts<'a>(e: &'a Expr, out: &mut Vec<&'a Expr>) {
    // An awaited part is one step; anything else is looked into, in evaluation order.
    let part = |p: &'a Expr, out: &mut Vec<&'a Expr>| {
        let read = projected(p);
        if peel(read).is_some() {
            out.push(read);
        } else {
            collect_parts(p, out);
        }
    };
    match strip(e) {
        Expr::Try(t) => collect_parts(&t.expr, out),
        Expr::Call(c) => c.args.iter().for_each(|a| part(a, out)),
        Expr::MethodCall(m) => {
            collect_parts(&m.receiver, out);
            m.args.iter().for_each(|a| part(a, out));
        }
        Expr::Struct(st) => st.fields.iter().for_each(|f| part(&f.expr, out)),
        Expr::Tuple(t) => t.elems.iter().for_each(|a| part(a, out)),
        _ => {}
    }
}

/// The value a projection of a result is taken from: `get_stock(sku).await?` in
/// `get_stock(sku).await?.available` or `list_reviews(sku).await?.len()`.
fn projected(e: &Expr) -> &Expr {
    match strip(e) {
        Expr::Field(f) => projected(&f.base),
        Expr::MethodCall(m)
            if m.args.is_empty()
                && matches!(
                    m.method.to_string().as_str(),
                    "len" | "is_empty" | "clone" | "to_string" | "to_owned" | "unwrap_or_default"
                ) =>
        {
            projected(&m.receiver)
        }
        _ => e,
    }
}

/// An argument that is a read awaited in place: `get_user(id).await?`.
fn part_step<'a>(part: &'a Expr, verbs: &[&str]) -> Option<Step<'a>> {
    let Peeled {
        awaited,
        tried,
        adapted,
    } = peel(part)?;
    let Expr::Await(a) = awaited else {
        return None;
    };
    let call = awaited_call(a)?;
    if !is_read_like(&call.name, verbs)
        || is_sequential_op(&call.name)
        || chain_writes(&a.base)
        || own_awaits_in(part).len() != 1
    {
        return None;
    }
    Some(Step {
        pat: None,
        awaited,
        call: call.call,
        key: FnKey {
            name: call.name.clone(),
            arity: call.args.len(),
            is_method: call.receiver.is_some(),
        },
        name: call.name,
        tried,
        adapted,
        declared: HashSet::default(),
        uses: NameUses::of_expr(part),
        in_place: true,
    })
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
    // One connection or transaction both go through (`&conn`): its queries run one
    // at a time, however it is borrowed.
    if e.reads
        .intersection(&l.reads)
        .any(|n| is_connection_name(n))
    {
        return true;
    }
    // A name both only borrow shared (`&day`) is shared between them, whatever it is.
    e.reads.intersection(&l.reads).any(|n| {
        can_share(cx, before, n) == Some(false)
            && !(only_borrowed_shared(earlier.call, n) && only_borrowed_shared(later.call, n))
    })
}

/// A local named for one database connection or transaction.
fn is_connection_name(name: &str) -> bool {
    let name = name.trim_start_matches('_');
    matches!(
        name,
        "conn" | "connection" | "db_conn" | "tx" | "txn" | "transaction" | "trx"
    ) || name.ends_with("_conn")
        || name.ends_with("_tx")
        || name.ends_with("_txn")
}

/// Whether every mention of `name` in `e` is behind a shared `&` (`&day`, `&day.id`).
fn only_borrowed_shared(e: &Expr, name: &str) -> bool {
    struct V<'n> {
        name: &'n str,
        other: bool,
    }
    impl<'ast> Visit<'ast> for V<'_> {
        fn visit_expr(&mut self, e: &'ast Expr) {
            match e {
                Expr::Reference(r) if r.mutability.is_none() => {
                    let mut inner = strip(&r.expr);
                    while let Expr::Field(f) = inner {
                        inner = strip(&f.base);
                    }
                    if chain::path_ident(inner).is_some_and(|i| i == self.name) {
                        return;
                    }
                    visit::visit_expr(self, e);
                }
                Expr::Path(p) if p.path.is_ident(self.name) => self.other = true,
                _ => visit::visit_expr(self, e),
            }
        }
        fn visit_macro(&mut self, m: &'ast syn::Macro) {
            self.other |= m.tokens.to_string().contains(self.name);
        }
    }
    let mut v = V { name, other: false };
    v.visit_expr(e);
    !v.other
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
    let query = IndexQuery::MayWaitForIo { calls, at_least: 2 };
    cx.report_if(query.unless(crate::semantic::testcode::setup_once(cx)), d);
}

/// `let (user, orders) = tokio::try_join!(get_user(id), get_orders(id))?;`
fn help(cx: &Cx, run: &[Step]) -> String {
    let crate_name = match cx.file.runtime {
        Runtime::Tokio => "tokio",
        _ => "futures",
    };
    let is_refutable = |p: &Pat| {
        !matches!(
            p,
            Pat::Ident(_) | Pat::Type(_) | Pat::Tuple(_) | Pat::Wild(_)
        )
    };
    // A refutable pattern (`Ok(profile)`) cannot bind a `join!`'s tuple: the result
    // gets the name the pattern binds, and is taken apart after.
    let pats: Vec<String> = run
        .iter()
        .enumerate()
        .map(|(i, s)| match s.pat {
            Some(p) if is_refutable(p) => crate::semantic::body::unwrapped_binding(p)
                .map(|id| id.to_string())
                .or_else(|| crate::semantic::body::single_binding(p))
                .unwrap_or_else(|| format!("r{}", i + 1)),
            Some(p) => pat_text(cx, p),
            None => format!("r{}", i + 1),
        })
        .collect();
    let taken_apart: Option<String> = run.iter().zip(&pats).find_map(|(s, name)| {
        let p = s.pat.filter(|p| is_refutable(p))?;
        Some(format!("`{}` against `{name}`", pat_text(cx, p)))
    });
    let calls: Vec<String> = run.iter().map(|s| one_line(cx.text(s.call))).collect();
    let adapted = run.iter().any(|s| s.adapted);
    let all_tried = !adapted && run.iter().all(|s| s.tried);
    // `try_join!` needs one error type: calls of one fn, whose results no annotation
    // types. Otherwise `join!`, then `?` on each result, converts each error as the
    // `?` after each `.await` did, and keeps the annotations.
    let annotated: Vec<Option<String>> = run
        .iter()
        .map(|s| match s.pat {
            Some(Pat::Type(t)) => Some(one_line(cx.file.slice(cx.file.range(t.ty.span())))),
            _ => None,
        })
        .collect();
    let one_fn = run.iter().all(|s| s.name == run[0].name);
    let try_join = all_tried && one_fn && annotated.iter().all(Option::is_none);
    let (mac, tail) = [("join", ""), ("try_join", "?")][usize::from(try_join)];
    let all = ["both", "all"][usize::from(run.len() > 2)];
    let names = pats.join(", ");
    let mut help = format!(
        "start them together and wait for {all}: `let ({names}) = {crate_name}::{mac}!({}){tail};`",
        calls.join(", ")
    );
    if all_tried && !try_join {
        let tried: Vec<String> = pats.iter().map(|p| format!("{p}?")).collect();
        let ty = if annotated.iter().any(Option::is_some) {
            let tys: Vec<&str> = annotated
                .iter()
                .map(|t| t.as_deref().unwrap_or("_"))
                .collect();
            format!(": ({})", tys.join(", "))
        } else {
            String::new()
        };
        help.truncate(help.len() - 1);
        help.push_str(&format!(" let ({names}){ty} = ({});`", tried.join(", ")));
    }
    if run.iter().any(|s| s.in_place) {
        help.push_str(", then build the value from the results");
    }
    if let Some(example) = taken_apart {
        help.push_str(&format!(
            ", then match each result with its pattern as before ({example})"
        ));
    }
    if adapted {
        help.push_str(", then apply what followed each `.await` (`.map_err(..)?`, `.context(..)?`, `.unwrap()`) to its result as before");
    } else if !all_tried && run.iter().any(|s| s.tried) {
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
