//! Facts about one iteration of a `for` loop body: the awaits it performs itself
//! (not those of nested loops, closures or async blocks), the names that take their
//! value from the loop variables, and the names that carry state from one iteration
//! to the next.

use super::body::{self, NameUses};
use super::calls::is_row_write_call;
use rustc_hash::FxHashSet as HashSet;
use syn::visit::{self, Visit};
use syn::{Block, Expr, ExprAwait, ExprForLoop, Pat};

pub struct Iteration<'a> {
    /// The names the loop pattern binds.
    pub loop_vars: HashSet<String>,
    /// The loop variables and the names bound from them in the body (`let`, `if let`,
    /// `match` arms, nested `for` patterns), transitively.
    pub from_item: HashSet<String>,
    /// Names declared outside the body and changed inside it (assigned, compound-
    /// assigned, borrowed `&mut`), and names bound from them in the body.
    pub carried: HashSet<String>,
    /// Every name the body declares, the loop variables included.
    pub declared: HashSet<String>,
    /// Names bound from the result of an awaited row write in the body
    /// (`let (id, _) = store.delete(x).await?`), and names bound from them.
    pub from_writes: HashSet<String>,
    /// The body `match`es on the item and awaits in two or more arms: it interprets
    /// records (`Create(x) => save(x).await`, `Delete(id) => remove(id).await`).
    pub dispatches_on_item: bool,
    /// The `.await`s the iteration performs itself, in source order, leaving out those
    /// of loops nested in the body (they are iterations of their own).
    pub awaits: Vec<&'a ExprAwait>,
}

pub fn iteration(f: &ExprForLoop) -> Iteration<'_> {
    let mut loop_vars = HashSet::default();
    body::pattern_names(&f.pat, &mut loop_vars);
    let uses = NameUses::of_block(&f.body);
    let mut declared = uses.declared.clone();
    declared.extend(loop_vars.iter().cloned());
    let changed = uses
        .writes
        .iter()
        .chain(&uses.mut_borrows)
        .chain(&grown_in(&f.body))
        .filter(|n| !declared.contains(*n))
        .cloned()
        .collect();
    let mut from_item = Derive {
        names: loop_vars.clone(),
        seed: None,
    };
    from_item.visit_block(&f.body);
    let mut carried = Derive {
        names: changed,
        seed: None,
    };
    carried.visit_block(&f.body);
    let mut from_writes = Derive {
        names: HashSet::default(),
        seed: Some(awaits_row_write),
    };
    from_writes.visit_block(&f.body);
    let dispatches_on_item = dispatches_on(&f.body, &from_item.names);
    Iteration {
        loop_vars,
        dispatches_on_item,
        from_item: from_item.names,
        carried: carried.names,
        declared,
        from_writes: from_writes.names,
        awaits: awaits_outside_nested_loops(&f.body),
    }
}

/// Collections a body changes in place by a method (`taken.insert(name)`,
/// `seen.push(x)`): state carried to the next pass like an assignment. Not an awaited
/// call (`store.insert(k, v).await` writes to a store, not to a value in memory).
fn grown_in(body: &Block) -> HashSet<String> {
    struct G(HashSet<String>);
    impl G {
        fn note(&mut self, m: &syn::ExprMethodCall) {
            if super::calls::GROW_METHODS.contains(&m.method.to_string().as_str()) {
                if let Some(i) = super::chain::path_ident(&m.receiver) {
                    self.0.insert(i.to_string());
                }
            }
        }
    }
    impl<'ast> Visit<'ast> for G {
        fn visit_expr_await(&mut self, a: &'ast ExprAwait) {
            match super::chain::strip(&a.base) {
                // The awaited call itself is not noted; what it is made of is.
                Expr::MethodCall(m) => {
                    self.visit_expr(&m.receiver);
                    m.args.iter().for_each(|e| self.visit_expr(e));
                }
                _ => visit::visit_expr_await(self, a),
            }
        }
        fn visit_expr_method_call(&mut self, m: &'ast syn::ExprMethodCall) {
            self.note(m);
            visit::visit_expr_method_call(self, m);
        }
    }
    let mut g = G(HashSet::default());
    g.visit_block(body);
    g.0
}

/// Words naming items that form a sequence to apply in order: a loop over
/// `operations`, `events`, `migrations`, `cmd` replays a history, whatever the calls.
/// Matched against the `_`-separated words of the loop variables and the iterable,
/// singular or plural.
const ORDERED_ITEMS: &[&str] = &[
    "op",
    "operation",
    "event",
    "command",
    "cmd",
    "migration",
    "change",
    "update",
    "patch",
    "mutation",
    "message",
    "msg",
    "statement",
    "stmt",
    "action",
    "step",
    "instruction",
    "delta",
    "diff",
    "edit",
    "transaction",
    "txn",
];

/// Words naming queued work: run in the order it was queued, unless the loop only
/// reads something for each item (the page of every queued crawl job).
const QUEUED_ITEMS: &[&str] = &["job"];

/// Whether source text (a loop's pattern and iterable) names a sequence of
/// operations, events or commands: `for op in ops`, `for event in pending_events`.
pub fn names_ordered_items(text: &str) -> bool {
    names_one_of(text, ORDERED_ITEMS)
}

/// Whether source text names queued work: `for job in jobs`.
pub fn names_queued_items(text: &str) -> bool {
    names_one_of(text, QUEUED_ITEMS)
}

fn names_one_of(text: &str, words: &[&str]) -> bool {
    text.split(|c: char| !c.is_alphanumeric())
        .map(str::to_ascii_lowercase)
        .any(|w| words.contains(&singular(&w).as_str()))
}

/// `operations` → `operation`, `patches` → `patch`, `entries` → `entry`.
fn singular(word: &str) -> String {
    if let Some(stem) = word.strip_suffix("ies") {
        return format!("{stem}y");
    }
    if let Some(stem) = word
        .strip_suffix("es")
        .filter(|s| ORDERED_ITEMS.contains(s) || QUEUED_ITEMS.contains(s))
    {
        return stem.to_string();
    }
    word.strip_suffix('s').unwrap_or(word).to_string()
}

/// Whether the body `match`es on the item and awaits in two or more arms: it
/// interprets records (`Create(x) => save(x).await`, `Delete(id) => remove(id).await`),
/// and a log of records is applied in order.
fn dispatches_on(body: &Block, from_item: &HashSet<String>) -> bool {
    struct M<'i> {
        from_item: &'i HashSet<String>,
        found: bool,
    }
    impl<'ast> Visit<'ast> for M<'_> {
        fn visit_expr_match(&mut self, m: &'ast syn::ExprMatch) {
            let on_item = NameUses::of_expr(&m.expr)
                .reads
                .iter()
                .any(|n| self.from_item.contains(n));
            let awaiting_arms = m
                .arms
                .iter()
                .filter(|a| !awaits_in_expr(&a.body).is_empty())
                .count();
            self.found |= on_item && awaiting_arms >= 2;
            visit::visit_expr_match(self, m);
        }
        fn visit_expr_closure(&mut self, _: &'ast syn::ExprClosure) {}
        fn visit_expr_async(&mut self, _: &'ast syn::ExprAsync) {}
        fn visit_item(&mut self, _: &'ast syn::Item) {}
    }
    let mut m = M {
        from_item,
        found: false,
    };
    m.visit_block(body);
    m.found
}

/// Grows a set of names with every name bound from a value that reads one of them.
/// Whether a loop body handles each item by its kind: a `match` on the loop variable,
/// written as a statement of the body, with two or more arms that name variants
/// (`for effect in effects { match effect { Effect::Save(x) => .., Effect::Quit => .. } }`).
/// Such a loop is a dispatcher: what an arm starts, it starts once per item of that
/// kind, not once per element of a data set.
pub fn dispatches_by_kind(f: &ExprForLoop) -> bool {
    let mut loop_vars = HashSet::default();
    body::pattern_names(&f.pat, &mut loop_vars);
    f.body.stmts.iter().any(|s| {
        let e = match s {
            syn::Stmt::Expr(e, _) => e,
            _ => return false,
        };
        let Expr::Match(m) = super::chain::strip(e) else {
            return false;
        };
        let on_item =
            super::chain::path_ident(&m.expr).is_some_and(|i| loop_vars.contains(&i.to_string()));
        let variants = m.arms.iter().filter(|a| names_variant(&a.pat)).count();
        on_item && variants >= 2
    })
}

/// `Kind::A(..)`, `Kind::B { .. }`, `Kind::C`, also under `|` and `&`.
fn names_variant(p: &Pat) -> bool {
    match p {
        Pat::TupleStruct(_) | Pat::Struct(_) | Pat::Path(_) => true,
        Pat::Or(o) => o.cases.iter().any(names_variant),
        Pat::Reference(r) => names_variant(&r.pat),
        _ => false,
    }
}

/// Names bound from values that read one of `names` (or, with a `seed`, from values
/// the seed picks), transitively in source order.
struct Derive {
    names: HashSet<String>,
    seed: Option<fn(&Expr) -> bool>,
}

impl Derive {
    fn bind_if_reads(&mut self, value: &Expr, pat: &Pat) {
        let reads = NameUses::of_expr(value).reads;
        if reads.iter().any(|r| self.names.contains(r)) || self.seed.is_some_and(|s| s(value)) {
            body::pattern_names(pat, &mut self.names);
        }
    }
}

/// Whether `value` is the result of an awaited row write (`store.delete(id).await?`,
/// `.await.context(..)?`).
fn awaits_row_write(value: &Expr) -> bool {
    match super::chain::strip_result_adapters(value).inner {
        Expr::Await(a) => body::call_of(body::unwrap_adapters(&a.base))
            .is_some_and(|c| is_row_write_call(&c.name, c.call)),
        _ => false,
    }
}

impl<'ast> Visit<'ast> for Derive {
    fn visit_local(&mut self, l: &'ast syn::Local) {
        visit::visit_local(self, l);
        if let Some(init) = &l.init {
            self.bind_if_reads(&init.expr, &l.pat);
        }
    }
    fn visit_expr_let(&mut self, l: &'ast syn::ExprLet) {
        visit::visit_expr_let(self, l);
        self.bind_if_reads(&l.expr, &l.pat);
    }
    fn visit_expr_match(&mut self, m: &'ast syn::ExprMatch) {
        self.visit_expr(&m.expr);
        for arm in &m.arms {
            self.bind_if_reads(&m.expr, &arm.pat);
            self.visit_arm(arm);
        }
    }
    fn visit_expr_for_loop(&mut self, f: &'ast ExprForLoop) {
        self.visit_expr(&f.expr);
        self.bind_if_reads(&f.expr, &f.pat);
        self.visit_block(&f.body);
    }
    fn visit_expr(&mut self, e: &'ast Expr) {
        stacker::maybe_grow(64 * 1024, 1024 * 1024, || visit::visit_expr(self, e));
    }
    // Code that runs at another time binds nothing for this iteration.
    fn visit_expr_closure(&mut self, _: &'ast syn::ExprClosure) {}
    fn visit_expr_async(&mut self, _: &'ast syn::ExprAsync) {}
    fn visit_item(&mut self, _: &'ast syn::Item) {}
}

/// [`body::own_awaits`] of `block`, without the awaits of `for`/`while`/`loop`
/// expressions nested in it (their bodies and `while` conditions).
pub fn awaits_outside_nested_loops(block: &Block) -> Vec<&ExprAwait> {
    struct Nested<'ast> {
        found: Vec<&'ast ExprAwait>,
    }
    impl<'ast> Visit<'ast> for Nested<'ast> {
        fn visit_expr(&mut self, e: &'ast Expr) {
            stacker::maybe_grow(64 * 1024, 1024 * 1024, || match e {
                Expr::ForLoop(f) => {
                    self.visit_expr(&f.expr);
                    self.found.extend(body::own_awaits(&f.body));
                }
                Expr::While(w) => {
                    // The condition runs once per inner iteration too.
                    self.found.extend(awaits_in_expr(&w.cond));
                    self.found.extend(body::own_awaits(&w.body));
                }
                Expr::Loop(l) => self.found.extend(body::own_awaits(&l.body)),
                Expr::Closure(_) | Expr::Async(_) => {}
                _ => visit::visit_expr(self, e),
            })
        }
        fn visit_item(&mut self, _: &'ast syn::Item) {}
    }
    let mut nested = Nested { found: Vec::new() };
    nested.visit_block(block);
    let skip: HashSet<*const ExprAwait> = nested.found.iter().map(|a| *a as *const _).collect();
    body::own_awaits(block)
        .into_iter()
        .filter(|a| !skip.contains(&(*a as *const _)))
        .collect()
}

/// The awaits an expression performs itself (not in closures, async blocks or fn items).
pub fn awaits_in_expr(e: &Expr) -> Vec<&ExprAwait> {
    body::own_awaits_in(e)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::semantic::body::awaited_call;

    fn for_loop(src: &str) -> ExprForLoop {
        syn::parse_str(src).unwrap()
    }

    #[test]
    fn names_from_the_item_and_carried_across_iterations() {
        let f = for_loop(
            "for line in text.lines() { let entry = parse(line)?; \
             if let Some(ip) = entry.ip { let g = geo(ip).await; } \
             let page = list(cursor).await; cursor = page.next; let c2 = cursor; \
             total += 1; let fresh = pick(&taken, line); taken.insert(fresh); \
             let mut local = Vec::new(); local.push(1); store.insert(line).await; }",
        );
        let it = iteration(&f);
        assert!(it.loop_vars.contains("line"));
        for n in ["line", "entry", "ip", "g"] {
            assert!(it.from_item.contains(n), "{n}");
        }
        assert!(!it.from_item.contains("page"));
        for n in ["cursor", "c2", "total", "taken", "fresh"] {
            assert!(it.carried.contains(n), "{n}");
        }
        assert!(!it.carried.contains("entry"));
        assert!(!it.carried.contains("local"));
        assert!(!it.carried.contains("store"));
    }

    #[test]
    fn awaits_of_nested_loops_belong_to_those_loops() {
        let f = for_loop(
            "for order in orders { let items = load(order).await; \
             for item in items.iter() { hold(item).await; } \
             while let Some(x) = rx.recv().await { a(x).await; } \
             loop { b().await; } tokio::spawn(async move { c().await }); done(order).await; }",
        );
        let names: Vec<String> = iteration(&f)
            .awaits
            .into_iter()
            .filter_map(|a| awaited_call(a).map(|c| c.name))
            .collect();
        assert_eq!(names, ["load", "done"]);
    }
}
