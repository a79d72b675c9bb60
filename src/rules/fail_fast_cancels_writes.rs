//! `fail-fast-cancels-writes`: a fail-fast join over plain futures that each write:
//! the first error drops the other writes wherever they are.

use super::{FnNode, Group, Hooks, Rule, RuleMeta, TestCode};
use crate::diagnostic::{Diagnostic, Severity};
use crate::semantic::body::own_awaits;
use crate::semantic::calls::{is_sql, sql_writes, string_literals, WRITE_LIKE_WORDS};
use crate::semantic::chain::{self, strip};
use crate::semantic::handles::SpawnedHandles;
use crate::semantic::macros::{parse_body, MacroBody};
use crate::semantic::tasks::{async_block_of, spawn_call, spawn_fn_kind};
use crate::semantic::{Cx, Runtime};
use crate::source::TextRange;
use rustc_hash::FxHashMap as HashMap;
use syn::visit::{self, Visit};
use syn::{Expr, Pat, Stmt};

pub struct FailFastCancelsWrites;

static META: RuleMeta = RuleMeta {
    name: "fail-fast-cancels-writes",
    severity: Severity::Warning,
    group: Group::Correctness,
    tests: TestCode::Skip,
    summary: "a fail-fast join (`try_join_all`, `try_join!`) over futures that each write drops the other writes mid-way at the first error, leaving partial state",
    doc: include_str!("../../rules/fail-fast-cancels-writes.md"),
};

/// Fail-fast joins over a collection of futures.
const TRY_JOIN_ALL: &[&str] = &[
    "futures::future::try_join_all",
    "futures_util::future::try_join_all",
];

/// Fail-fast joins over a fixed list of futures: macros, then fns.
const TRY_JOIN_LIST: &[&str] = &[
    "tokio::try_join",
    "futures::try_join",
    "futures_util::try_join",
    "futures::future::try_join",
    "futures::future::try_join3",
    "futures::future::try_join4",
    "futures::future::try_join5",
    "futures_util::future::try_join",
    "futures_util::future::try_join3",
    "futures_util::future::try_join4",
    "futures_util::future::try_join5",
];

/// Words of [`WRITE_LIKE_WORDS`] that do not write anything a dropped future could
/// leave half done: taking a lock, starting or stopping a service, spawning.
const NOT_WRITES: &[&str] = &["lock", "init", "start", "stop", "spawn", "subscribe"];

/// Request-builder methods of reads: `client.get(url).send()` sends a read.
const READ_REQUESTS: &[&str] = &["get", "head"];

/// Iterator adapters whose closure makes each element.
const ELEMENT_ADAPTERS: &[&str] = &["map", "flat_map", "filter_map"];

impl Rule for FailFastCancelsWrites {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }
    fn hooks(&self) -> Hooks {
        Hooks::FN
    }

    fn check_fn(&self, cx: &mut Cx, f: &FnNode) {
        if !cx.file.block_mentions(f.body, &["try_join"]) {
            return;
        }
        let mut scan = Scan {
            cx,
            handles: SpawnedHandles::default(),
            futures: HashMap::default(),
            found: Vec::new(),
        };
        for stmt in &f.body.stmts {
            scan.visit_stmt(stmt);
        }
        for d in std::mem::take(&mut scan.found) {
            cx.report(d);
        }
    }
}

struct Scan<'c, 'a> {
    cx: &'c Cx<'a>,
    handles: SpawnedHandles,
    /// Locals holding futures, each judged where it is made: the future of
    /// `let f = save(x);`, the elements of `let fs: Vec<_> = xs.iter().map(|x|
    /// save(x)).collect();` and of `fs.push(..)`. `None`: a future that does not write.
    futures: HashMap<String, Vec<Option<TextRange>>>,
    found: Vec<Diagnostic>,
}

impl Scan<'_, '_> {
    /// The write a future performs, if it is one that writes: where, for a label.
    fn write_of(&self, fut: &Expr) -> Option<TextRange> {
        let fut = strip(fut);
        if spawn_call(self.cx, fut).is_some() {
            return None;
        }
        // `Box::pin(save(x))`
        if let Expr::Call(c) = fut {
            let pinned = chain::call_path(fut).is_some_and(|p| {
                p.segments.len() == 2
                    && p.segments[0].ident == "Box"
                    && p.segments[1].ident == "pin"
            });
            if pinned && c.args.len() == 1 {
                return self.write_of(&c.args[0]);
            }
        }
        if let Some(block) = async_block_of(fut) {
            return own_awaits(block)
                .into_iter()
                .find(|a| writes(&a.base))
                .map(|a| self.cx.range(&*a.base));
        }
        match fut {
            Expr::Call(_) | Expr::MethodCall(_) => writes(fut).then(|| self.cx.range(fut)),
            // A fn mapped over the items: `.map(tokio::fs::remove_file)`.
            Expr::Path(p) => {
                let spawner = self.cx.resolve(&p.path).and_then(|r| spawn_fn_kind(&r));
                let name = p.path.segments.last()?.ident.to_string();
                (spawner.is_none() && name_writes(&name, false)).then(|| self.cx.range(fut))
            }
            _ => None,
        }
    }

    /// The futures a fail-fast join over a collection runs, as far as the syntax
    /// shows them, each judged; `None` when it cannot tell, or when they are spawned
    /// tasks.
    fn elements(&self, arg: &Expr) -> Option<Vec<Option<TextRange>>> {
        if self.handles.handle_arg(self.cx, arg).is_some() {
            return None;
        }
        let arg = match strip(arg) {
            Expr::Reference(r) => strip(&r.expr),
            a => a,
        };
        if let Some(name) = chain::path_ident(arg) {
            return self.futures.get(&name.to_string()).cloned();
        }
        match arg {
            Expr::Array(a) => Some(a.elems.iter().map(|e| self.write_of(e)).collect()),
            Expr::MethodCall(_) => element_of_chain(arg).map(|e| vec![self.write_of(e)]),
            _ => None,
        }
    }

    /// One argument of a list join, judged: the future itself, or the one a local
    /// holds (`None` for a local holding several).
    fn future_arg(&self, arg: &Expr) -> Option<Option<TextRange>> {
        match chain::path_ident(strip(arg)).and_then(|n| self.futures.get(&n.to_string())) {
            Some(held) if held.len() == 1 => Some(held[0]),
            Some(_) => None,
            None => Some(self.write_of(arg)),
        }
    }

    fn check(
        &mut self,
        range: TextRange,
        joiner: String,
        list: bool,
        futures: &[Option<TextRange>],
    ) {
        if futures.is_empty() || (list && futures.len() < 2) {
            return;
        }
        let Some(writes) = futures.iter().copied().collect::<Option<Vec<TextRange>>>() else {
            return;
        };
        let collect_all = match (self.cx.file.runtime, list) {
            (_, false) => "`futures::future::join_all(..)`",
            (Runtime::Tokio, true) => "`tokio::join!(..)`",
            _ => "`futures::join!(..)`",
        };
        let mut d = Diagnostic::new(
            META.name,
            META.severity,
            range,
            format!(
                "`{joiner}` returns at the first failed write and drops the others wherever they are: some have finished, some stop halfway, some never start, and nothing records which"
            ),
        )
        .with_label("drops the other writes at the first error");
        for w in writes.iter().take(3) {
            d = d.with_secondary(*w, "writes");
        }
        self.found.push(d.with_help(format!(
            "let every write run to its end with {collect_all}, then look at all the results and undo (or retry) the writes that did not fail; or make the writes one transaction"
        )));
    }

    fn call(&mut self, e: &Expr, c: &syn::ExprCall) {
        let Some(path) = self.cx.call_path(e) else {
            return;
        };
        let joiner = chain::call_path(e).map_or(String::new(), |p| self.cx.text(p).to_string());
        if TRY_JOIN_ALL.contains(&path.as_str()) && c.args.len() == 1 {
            if let Some(elements) = self.elements(&c.args[0]) {
                self.check(self.cx.range(e), joiner, false, &elements);
            }
        } else if TRY_JOIN_LIST.contains(&path.as_str()) {
            let futures: Option<Vec<_>> = c.args.iter().map(|a| self.future_arg(a)).collect();
            if let Some(futures) = futures {
                self.check(self.cx.range(e), joiner, true, &futures);
            }
        }
    }

    /// `let f = save(x);`, `let fs: Vec<_> = xs.iter().map(..).collect();`.
    fn bind(&mut self, l: &syn::Local) {
        let name = match &l.pat {
            Pat::Ident(p) => p.ident.to_string(),
            Pat::Type(t) => match &*t.pat {
                Pat::Ident(p) => p.ident.to_string(),
                _ => return,
            },
            _ => return,
        };
        self.futures.remove(&name);
        let Some(init) = l.init.as_ref().filter(|i| i.diverge.is_none()) else {
            return;
        };
        let init = strip(&init.expr);
        let held = match init {
            Expr::Async(_) | Expr::Call(_) => Some(vec![self.write_of(init)]),
            Expr::MethodCall(m) if m.method == "collect" => {
                element_of_chain(init).map(|e| vec![self.write_of(e)])
            }
            Expr::MethodCall(_) => Some(vec![self.write_of(init)]),
            Expr::Array(a) => Some(a.elems.iter().map(|e| self.write_of(e)).collect()),
            Expr::Macro(m) if m.mac.path.is_ident("vec") => match &*parse_body(&m.mac) {
                MacroBody::Exprs(elems) => Some(elems.iter().map(|e| self.write_of(e)).collect()),
                _ => None,
            },
            _ => None,
        };
        let is_vec_new = matches!(init, Expr::Call(_))
            && chain::call_path(init)
                .and_then(|p| p.segments.last())
                .is_some_and(|s| s.ident == "new" || s.ident == "with_capacity");
        if is_vec_new {
            self.futures.insert(name, Vec::new());
        } else if let Some(held) = held {
            self.futures.insert(name, held);
        }
    }
}

/// The future each element of an iterator chain is: the body of its `map` closure
/// (`|x| save(x)`, `|x| async move { .. }`), or the fn it maps with
/// (`.map(tokio::fs::remove_file)`).
fn element_of_chain(e: &Expr) -> Option<&Expr> {
    let c = chain::chain(e);
    c.methods.iter().rev().find_map(|m| {
        if !ELEMENT_ADAPTERS.iter().any(|n| m.method == n) || m.args.len() != 1 {
            return None;
        }
        let closure = match strip(&m.args[0]) {
            Expr::Closure(closure) => closure,
            path @ Expr::Path(_) => return Some(path),
            _ => return None,
        };
        match strip(&closure.body) {
            Expr::Block(b) => match b.block.stmts.last() {
                Some(Stmt::Expr(tail, None)) => Some(tail),
                _ => None,
            },
            body => Some(body),
        }
    })
}

/// Whether a call chain writes: a SQL literal that writes (a SQL literal that only
/// reads decides the other way), or a write word in its fn or method names — not a
/// lock, a start or a spawn, and not `send` of a `get`/`head` request.
fn writes(base: &Expr) -> bool {
    let literals = string_literals(base);
    if literals.iter().any(|l| is_sql(l)) {
        return literals.iter().any(|l| sql_writes(l));
    }
    let c = chain::chain(base);
    let root = chain::call_path(c.root)
        .and_then(|p| p.segments.last())
        .map(|s| s.ident.to_string());
    let names: Vec<String> = c
        .methods
        .iter()
        .map(|m| m.method.to_string())
        .chain(root)
        .collect();
    let read_request = names.iter().any(|n| READ_REQUESTS.contains(&n.as_str()));
    names.iter().any(|n| name_writes(n, read_request))
}

/// Whether a snake_case fn or method name says it writes.
fn name_writes(name: &str, read_request: bool) -> bool {
    name.split('_').any(|w| {
        let w = w.to_ascii_lowercase();
        WRITE_LIKE_WORDS.contains(&w.as_str())
            && !NOT_WRITES.contains(&w.as_str())
            && !(read_request && w == "send")
    })
}

impl<'ast> Visit<'ast> for Scan<'_, '_> {
    fn visit_item(&mut self, _: &'ast syn::Item) {}

    fn visit_local(&mut self, l: &'ast syn::Local) {
        visit::visit_local(self, l);
        self.handles.bind_local(self.cx, l);
        self.bind(l);
    }

    fn visit_expr(&mut self, e: &'ast Expr) {
        stacker::maybe_grow(64 * 1024, 1024 * 1024, || {
            visit::visit_expr(self, e);
            match e {
                Expr::MethodCall(m) => {
                    self.handles.method_call(self.cx, m);
                    // `futs.push(save(x))`
                    if m.method == "push" && m.args.len() == 1 {
                        if let Some(name) = chain::path_ident(&m.receiver) {
                            let judged = self.write_of(&m.args[0]);
                            if let Some(held) = self.futures.get_mut(&name.to_string()) {
                                held.push(judged);
                            }
                        }
                    }
                }
                Expr::Call(c) => self.call(e, c),
                _ => {}
            }
        });
    }

    fn visit_macro(&mut self, m: &'ast syn::Macro) {
        match &*parse_body(m) {
            MacroBody::Exprs(exprs) => {
                for e in exprs.iter() {
                    self.visit_expr(e);
                }
                let is_try_join = self
                    .cx
                    .resolve(&m.path)
                    .is_some_and(|p| TRY_JOIN_LIST.contains(&p.as_str()));
                if is_try_join {
                    let start = self.cx.range(&m.path).start;
                    let end = self.cx.file.range(m.delimiter.span().close()).end;
                    let joiner = format!("{}!", self.cx.text(&m.path));
                    let futures: Option<Vec<_>> =
                        exprs.iter().map(|a| self.future_arg(a)).collect();
                    if let Some(futures) = futures {
                        self.check(TextRange::new(start, end), joiner, true, &futures);
                    }
                }
            }
            select @ MacroBody::Select(_) => select.code().for_each(|e| self.visit_expr(e)),
            MacroBody::Opaque => {}
        }
    }
}
