//! `executor-mismatch`: a future that needs the tokio runtime, driven by another
//! executor on a thread where no tokio runtime is entered: it panics.

use super::{FnNode, Group, Hooks, Rule, RuleMeta, TestCode};
use crate::diagnostic::{Diagnostic, Severity};
use crate::semantic::chain::{self, strip};
use crate::semantic::index::{Explain, IndexQuery, ModelQuery};
use crate::semantic::macros::{parse_body, MacroBody};
use crate::semantic::reactor::{
    enters_runtime, runtime_free_entry, spawns_thread, thread_scope_param, TokioLocals,
};
use crate::semantic::scope::Frame;
use crate::semantic::tasks::{closure_frame, is_single_future_executor};
use crate::semantic::{Cx, Runtime};
use crate::source::TextRange;
use syn::visit::{self, Visit};
use syn::Expr;

pub struct ExecutorMismatch;

static META: RuleMeta = RuleMeta {
    name: "executor-mismatch",
    severity: Severity::Error,
    group: Group::Correctness,
    tests: TestCode::Report,
    summary: "a future that needs the tokio runtime is driven by another executor (`futures::executor::block_on`, `pollster`) on a thread with no tokio runtime: it panics (\"there is no reactor running\")",
    doc: include_str!("../../rules/executor-mismatch.md"),
};

/// Calls that run their closure on a thread of tokio's runtime: it is entered there.
const RUNTIME_POOLS: &[&str] = &["spawn_blocking", "block_in_place"];

impl Rule for ExecutorMismatch {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }
    fn hooks(&self) -> Hooks {
        Hooks::FN
    }

    fn check_fn(&self, cx: &mut Cx, f: &FnNode) {
        if !cx.file.block_mentions(f.body, &["block_on"]) {
            return;
        }
        let text = cx.file.slice(cx.file.range(f.body.brace_token.span.join()));
        let ident = cx.file.range(f.sig.ident.span());
        let start = if f.sig.asyncness.is_some() {
            Where::Inside
        } else if runtime_free_entry(f.attrs, f.sig, text) {
            Where::Outside(Some((ident, entry_label(f))))
        } else if enters_runtime(text) {
            Where::Unknown
        } else {
            let line = cx.file.lines.position(cx.file.text, ident.start).line as u32;
            Where::Caller(f.sig.ident.to_string(), line)
        };
        let mut scan = Scan {
            cx,
            stack: vec![start],
            scopes: Vec::new(),
            locals: TokioLocals::default(),
            found: Vec::new(),
        };
        for stmt in &f.body.stmts {
            scan.visit_stmt(stmt);
        }
        for (d, q, explain) in std::mem::take(&mut scan.found) {
            match (q, explain) {
                (None, _) => cx.report(d),
                (Some(q), Some(e)) => cx.report_if_explained(q, d, e),
                (Some(q), None) => cx.report_if(q, d),
            }
        }
    }
}

fn entry_label(f: &FnNode) -> &'static str {
    if f.sig.ident == "main" {
        "this `main` starts no tokio runtime"
    } else {
        "this test starts no tokio runtime"
    }
}

/// Where the code at a point runs, as far as a tokio runtime goes.
#[derive(Clone, Debug)]
enum Where {
    /// Where no runtime is entered: a thread of its own, a `main` without one. The
    /// place that says so, for a label.
    Outside(Option<(TextRange, &'static str)>),
    /// Where the enclosing sync fn's callers run (its name and line).
    Caller(String, u32),
    /// In async code, or on a thread of tokio's pool.
    Inside,
    /// Somewhere the syntax does not tell (a stored closure, an async block someone
    /// else polls).
    Unknown,
}

type Found = (Diagnostic, Option<IndexQuery>, Option<Explain>);

struct Scan<'c, 'a> {
    cx: &'c Cx<'a>,
    stack: Vec<Where>,
    /// Names of `std::thread::scope` handles in reach.
    scopes: Vec<String>,
    locals: TokioLocals,
    found: Vec<Found>,
}

impl Scan<'_, '_> {
    fn here(&self) -> Where {
        self.stack.last().cloned().unwrap_or(Where::Unknown)
    }

    /// Where a closure (or `async` block) given to `call` runs.
    fn arg_where(&self, call: &Expr, async_block: bool) -> Where {
        let method_or_fn = match strip(call) {
            Expr::Call(_) => chain::call_path(call)
                .and_then(|p| p.segments.last())
                .map(|s| s.ident.to_string()),
            Expr::MethodCall(m) => Some(m.method.to_string()),
            _ => None,
        };
        if async_block {
            // Driven right here by a single-future executor, or by someone else.
            return if self.executor(call).is_some() {
                self.here()
            } else {
                Where::Unknown
            };
        }
        if spawns_thread(&self.cx.file.uses, call, &self.scopes) {
            let at = match strip(call) {
                Expr::MethodCall(m) => self.cx.file.range(m.method.span()),
                _ => chain::call_path(call).map_or(self.cx.range(call), |p| self.cx.range(p)),
            };
            return Where::Outside(Some((
                at,
                "a thread of its own: no tokio runtime is entered on it",
            )));
        }
        if method_or_fn.is_some_and(|n| RUNTIME_POOLS.contains(&n.as_str())) {
            return Where::Inside;
        }
        match closure_frame(strip(call), &self.cx.file.uses) {
            Frame::InlineClosure => self.here(),
            _ => Where::Unknown,
        }
    }

    /// The single-future executor a call is (as the code writes it), and the future
    /// it drives.
    fn executor<'e>(&self, call: &'e Expr) -> Option<(String, &'e Expr)> {
        match strip(call) {
            Expr::Call(c) if c.args.len() == 1 => {
                let path = self.cx.call_path(call)?;
                let written = chain::call_path(call).map(|p| self.cx.text(p).to_string())?;
                is_single_future_executor(&path).then(|| (written, &c.args[0]))
            }
            // `fut.block_on()` of `pollster::FutureExt`.
            Expr::MethodCall(m)
                if m.method == "block_on"
                    && m.args.is_empty()
                    && (self.cx.file.uses.imports_crate("pollster")
                        || crate::semantic::text::mentions(self.cx.file.text, "pollster::")) =>
            {
                Some((".block_on()".to_string(), &*m.receiver))
            }
            _ => None,
        }
    }

    fn block_on(&mut self, call: &Expr, executor: &str, fut: &Expr) {
        let here = self.here();
        let (place, caller) = match &here {
            Where::Outside(place) => (*place, None),
            Where::Caller(name, line) => (None, Some((name.clone(), *line))),
            Where::Inside | Where::Unknown => return,
        };
        let need = self.locals.need(self.cx, fut);
        let exec = executor;
        let what = match (&need.direct, need.callees.as_slice()) {
            (Some((_, op)), _) => format!("uses {op}, which needs"),
            (None, [(_, written)]) => format!("calls `{written}`, which needs"),
            (None, [_, ..]) => "calls crate fns that need".to_string(),
            (None, []) => return,
        };
        let mut d = Diagnostic::new(
            META.name,
            META.severity,
            self.cx.range(call),
            format!(
                "`{exec}` drives a future that {what} a tokio runtime, on a thread where none is entered: it panics (\"there is no reactor running, must be called from the context of a Tokio 1.x runtime\")"
            ),
        )
        .with_label("drives it without tokio's reactor");
        if let Some((at, _)) = &need.direct {
            d = d.with_secondary(*at, "needs the tokio runtime");
        }
        if let Some((at, label)) = place {
            d = d.with_secondary(at, label);
        }
        let main = matches!(place, Some((_, l)) if l.contains("`main`"));
        let fut_text = self.cx.snippet(strip(fut), 40);
        let fut_text = if fut_text == ".." {
            "fut".to_string()
        } else {
            fut_text
        };
        d = d.with_help(help(self.cx.file.runtime, main, &fut_text));
        let need_q = match need.direct {
            Some(_) => None,
            None => Some(IndexQuery::Any(
                need.callees
                    .into_iter()
                    .map(|(c, _)| IndexQuery::Model(ModelQuery::UsesTokio(c)))
                    .collect(),
            )),
        };
        let found = match caller {
            None => (d, need_q, None),
            Some((name, line)) => {
                let outside = IndexQuery::Model(ModelQuery::OutsideRuntime {
                    file: self.cx.file.path.to_string(),
                    line,
                });
                let q = match need_q {
                    Some(n) => IndexQuery::All(vec![outside, n]),
                    None => outside,
                };
                let explain = Explain {
                    note: format!("`{name}` runs only where no tokio runtime is entered: it is called from {{chain}}"),
                    places: true,
                };
                (d, Some(q), Some(explain))
            }
        };
        self.found.push(found);
    }

    /// Visits the arguments of a call, each closure or `async` block where it runs.
    fn args<'e>(&mut self, call: &Expr, args: impl Iterator<Item = &'e Expr>) {
        let scope = thread_scope_param(&self.cx.file.uses, call);
        let pushed_scope = scope.is_some();
        self.scopes.extend(scope);
        for a in args {
            match strip(a) {
                Expr::Closure(c) if c.asyncness.is_none() => {
                    let mut at = self.arg_where(call, false);
                    if matches!(at, Where::Outside(_)) && enters_runtime(self.cx.text(&*c.body)) {
                        at = Where::Unknown;
                    }
                    self.stack.push(at);
                    self.visit_expr(&c.body);
                    self.stack.pop();
                }
                Expr::Async(block) => {
                    let at = self.arg_where(call, true);
                    self.stack.push(at);
                    self.visit_block(&block.block);
                    self.stack.pop();
                }
                _ => self.visit_expr(a),
            }
        }
        if pushed_scope {
            self.scopes.pop();
        }
    }
}

impl<'ast> Visit<'ast> for Scan<'_, '_> {
    fn visit_item(&mut self, _: &'ast syn::Item) {}

    fn visit_local(&mut self, l: &'ast syn::Local) {
        visit::visit_local(self, l);
        self.locals.bind_local(self.cx, l);
    }

    fn visit_expr(&mut self, e: &'ast Expr) {
        stacker::maybe_grow(64 * 1024, 1024 * 1024, || match e {
            Expr::Call(c) => {
                if let Some((executor, fut)) = self.executor(e) {
                    self.block_on(e, &executor, fut);
                }
                self.visit_expr(&c.func);
                self.args(e, c.args.iter());
            }
            Expr::MethodCall(m) => {
                if let Some((executor, fut)) = self.executor(e) {
                    self.block_on(e, &executor, fut);
                }
                self.visit_expr(&m.receiver);
                self.args(e, m.args.iter());
            }
            Expr::Closure(c) => {
                // Stored, returned or handed to code the syntax does not describe.
                self.stack.push(Where::Unknown);
                self.visit_expr(&c.body);
                self.stack.pop();
            }
            Expr::Async(a) => {
                self.stack.push(Where::Unknown);
                self.visit_block(&a.block);
                self.stack.pop();
            }
            _ => visit::visit_expr(self, e),
        });
    }

    fn visit_macro(&mut self, m: &'ast syn::Macro) {
        if let MacroBody::Exprs(exprs) = &*parse_body(m) {
            for e in exprs.iter() {
                self.visit_expr(e);
            }
        }
    }
}

fn help(runtime: Runtime, main: bool, fut: &str) -> String {
    let build = format!("drive it with a tokio runtime on this thread: `tokio::runtime::Builder::new_current_thread().enable_all().build()?.block_on({fut})`, or hand this code the `tokio::runtime::Handle` of the runtime that runs the rest and call `handle.block_on({fut})`");
    match (runtime, main) {
        (Runtime::Tokio, true) => format!(
            "{build}; or make `main` `#[tokio::main] async fn main()` and `.await` the future"
        ),
        _ => build,
    }
}
