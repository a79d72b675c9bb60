//! `fail-fast-cancels-writes`: a fail-fast join over plain futures that each write:
//! the first error drops the other writes wherever they are.

use super::{FnNode, Group, Hooks, Rule, RuleMeta, TestCode};
use crate::diagnostic::{Diagnostic, Severity};
use crate::semantic::chain;
use crate::semantic::handles::SpawnedHandles;
use crate::semantic::index::{IndexQuery, ModelQuery};
use crate::semantic::macros::{parse_body, MacroBody};
use crate::semantic::writes::{Write, WriteFutures, TRY_JOIN_ALL, TRY_JOIN_LIST};
use crate::semantic::{Cx, Runtime};
use crate::source::TextRange;
use syn::visit::{self, Visit};
use syn::Expr;

pub struct FailFastCancelsWrites;

static META: RuleMeta = RuleMeta {
    name: "fail-fast-cancels-writes",
    severity: Severity::Warning,
    group: Group::Correctness,
    tests: TestCode::Skip,
    summary: "a fail-fast join (`try_join_all`, `try_join!`) over futures that each write drops the other writes mid-way at the first error, leaving partial state",
    doc: include_str!("../../rules/fail-fast-cancels-writes.md"),
};

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
            futures: WriteFutures::default(),
            found: Vec::new(),
        };
        for stmt in &f.body.stmts {
            scan.visit_stmt(stmt);
        }
        for (d, asks) in std::mem::take(&mut scan.found) {
            if asks.is_empty() {
                cx.report(d);
            } else {
                cx.report_if(IndexQuery::All(asks), d);
            }
        }
    }
}

struct Scan<'c, 'a> {
    cx: &'c Cx<'a>,
    handles: SpawnedHandles,
    futures: WriteFutures,
    /// Each finding, and what the model must confirm first.
    found: Vec<(Diagnostic, Vec<IndexQuery>)>,
}

impl Scan<'_, '_> {
    fn check(&mut self, range: TextRange, joiner: String, list: bool, futures: &[Option<Write>]) {
        if futures.is_empty() || (list && futures.len() < 2) {
            return;
        }
        let Some(writes) = futures.iter().cloned().collect::<Option<Vec<Write>>>() else {
            return;
        };
        // The crate fns whose names do not say they write must await one.
        let asks: Vec<IndexQuery> = writes
            .iter()
            .filter_map(|w| w.ask.clone())
            .map(|c| IndexQuery::Model(ModelQuery::AwaitsWrite(c)))
            .collect();
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
            d = d.with_secondary(w.range, "writes");
        }
        let d = d.with_help(format!(
            "let every write run to its end with {collect_all}, then look at all the results and undo (or retry) the writes that did not fail; or make the writes one transaction"
        ));
        self.found.push((d, asks));
    }

    fn call(&mut self, e: &Expr, c: &syn::ExprCall) {
        let Some(path) = self.cx.call_path(e) else {
            return;
        };
        let joiner = chain::call_path(e).map_or(String::new(), |p| self.cx.text(p).to_string());
        if TRY_JOIN_ALL.contains(&path.as_str()) && c.args.len() == 1 {
            if let Some(elements) = self.futures.elements(self.cx, &self.handles, &c.args[0]) {
                self.check(self.cx.range(e), joiner, false, &elements);
            }
        } else if TRY_JOIN_LIST.contains(&path.as_str()) {
            let futures: Option<Vec<_>> = c
                .args
                .iter()
                .map(|a| self.futures.future_arg(self.cx, a))
                .collect();
            if let Some(futures) = futures {
                self.check(self.cx.range(e), joiner, true, &futures);
            }
        }
    }
}

impl<'ast> Visit<'ast> for Scan<'_, '_> {
    fn visit_item(&mut self, _: &'ast syn::Item) {}

    fn visit_local(&mut self, l: &'ast syn::Local) {
        visit::visit_local(self, l);
        self.handles.bind_local(self.cx, l);
        self.futures.bind_local(self.cx, l);
    }

    fn visit_expr(&mut self, e: &'ast Expr) {
        stacker::maybe_grow(64 * 1024, 1024 * 1024, || {
            visit::visit_expr(self, e);
            match e {
                Expr::MethodCall(m) => {
                    self.handles.method_call(self.cx, m);
                    self.futures.method_call(self.cx, m);
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
                    let end = self.cx.file.end_of(m.delimiter.span().close());
                    let joiner = format!("{}!", self.cx.text(&m.path));
                    let futures: Option<Vec<_>> = exprs
                        .iter()
                        .map(|a| self.futures.future_arg(self.cx, a))
                        .collect();
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
