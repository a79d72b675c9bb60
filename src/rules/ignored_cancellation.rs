//! `ignored-cancellation`: a cancellation token accepted and never consulted, a fresh
//! token where the caller's should have been passed down, or a spawned loop that
//! nothing can stop.

use super::{FnKind, FnNode, Group, Hooks, Rule, RuleMeta, TestCode};
use crate::diagnostic::{Applicability, Diagnostic, Edit, Fix, Severity};
use crate::semantic::body::{is_endless_loop, is_stub_body, own_awaits, NameUses};
use crate::semantic::chain;
use crate::semantic::macros::is_select_macro;
use crate::semantic::tasks::{async_block_of, discarded_handle, spawn_call, SpawnKind};
use crate::semantic::Cx;
use crate::source::TextRange;
use syn::spanned::Spanned;
use syn::visit::{self, Visit};
use syn::{Block, Expr, FnArg, Pat, Stmt};

pub struct IgnoredCancellation;

static META: RuleMeta = RuleMeta {
    name: "ignored-cancellation",
    severity: Severity::Warning,
    group: Group::Robustness,
    tests: TestCode::Skip,
    summary: "a cancellation token ignored or recreated, or a spawned loop that can never stop: work outlives its caller",
    doc: include_str!("../../rules/ignored-cancellation.md"),
};

/// Types that carry a cancellation request, by the last segment of their path.
const TOKEN_TYPES: &[&str] = &["CancellationToken"];

/// Constructors of a fresh, unlinked token.
const FRESH_TOKEN_FNS: &[&str] = &["new", "default"];

struct TokenParam {
    name: String,
    range: TextRange,
}

impl Rule for IgnoredCancellation {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }
    fn hooks(&self) -> Hooks {
        Hooks::STMT | Hooks::FN
    }

    fn check_fn(&self, cx: &mut Cx, f: &FnNode) {
        let params = token_params(cx, f);
        if params.is_empty() || is_stub_body(f.body) {
            return;
        }
        let uses = NameUses::of_block(f.body);
        let ignored: Vec<&TokenParam> = params
            .iter()
            .filter(|p| !uses.reads.contains(&p.name))
            .collect();
        let Some(parent) = ignored.first() else {
            return;
        };
        // (b) The caller's token ignored and a fresh one made in its place.
        let fresh = fresh_tokens(cx, f.body);
        for &call in &fresh {
            let name = &parent.name;
            let mut d = Diagnostic::new(
                META.name,
                META.severity,
                call,
                format!("a fresh token is created while the caller's `{name}` is ignored: when the caller cancels `{name}`, the work given this token keeps running"),
            )
            .with_label("new token, not linked to the caller's")
            .with_secondary(parent.range, "the caller's token, never used")
            .with_help(format!("derive it from the caller's token: `{name}.child_token()` is cancelled whenever `{name}` is, and cancelling it does not cancel the parent"));
            if ignored.len() == 1 {
                d = d.with_fix(Fix {
                    applicability: Applicability::MaybeIncorrect,
                    edits: vec![Edit {
                        range: call,
                        replacement: format!("{name}.child_token()"),
                    }],
                });
            }
            cx.report(d);
        }
        // (a) A token accepted and never consulted. A trait fixes the signature of
        // its methods, so there an unused token is the trait's choice, not a bug here.
        if !fresh.is_empty() || matches!(f.kind, FnKind::TraitImpl | FnKind::TraitDefault) {
            return;
        }
        for p in ignored {
            let d = Diagnostic::new(
                META.name,
                META.severity,
                p.range,
                format!("`{}` is accepted but never consulted: cancelling it does not stop this work, which keeps running after its caller has given up", p.name),
            )
            .with_label("never used in the body")
            .with_help(format!("race the long awaits against it (`tokio::select! {{ _ = {0}.cancelled() => .., r = work => .. }}`) and pass `{0}.child_token()` to the calls and tasks that do the work; if ignoring it is intended, name it `_{0}`", p.name));
            cx.report(d);
        }
    }

    fn check_stmt(&self, cx: &mut Cx, stmt: &Stmt) {
        // Only a task whose handle is thrown away: a kept handle can be aborted.
        let Some((call, detached)) = discarded_handle(stmt) else {
            return;
        };
        let Some(spawn) = spawn_call(cx, call) else {
            return;
        };
        if spawn.kind == SpawnKind::CancelsOnDrop && !detached {
            return;
        }
        let (callee, future) = match call {
            Expr::Call(c) => (cx.range(&*c.func), c.args.first()),
            Expr::MethodCall(m) => {
                let start = cx.range(&*m.receiver).start;
                (
                    TextRange::new(start, cx.file.range(m.method.span()).end),
                    m.args.first(),
                )
            }
            _ => return,
        };
        let Some(body) = future.and_then(async_block_of) else {
            return;
        };
        let Some(endless) = body.stmts.iter().find_map(|s| match s {
            Stmt::Expr(e, _) if is_endless_loop(e) => Some(e),
            _ => None,
        }) else {
            return;
        };
        let (keyword, loop_body) = match endless {
            Expr::Loop(l) => (l.loop_token.span, &l.body),
            Expr::While(w) => (w.while_token.span, &w.body),
            _ => return,
        };
        // Race the loop's first wait, or add a branch to the `select!` it already has.
        let has_select = loop_body.stmts.iter().any(|s| match s {
            Stmt::Macro(m) => is_select_macro(&m.mac),
            Stmt::Expr(Expr::Macro(m), _) => is_select_macro(&m.mac),
            _ => false,
        });
        let race = match own_awaits(loop_body).first() {
            _ if has_select => "add `_ = token.cancelled() => break,` to the loop's `select!`".to_string(),
            Some(a) => format!("race each wait against it: `tokio::select! {{ _ = token.cancelled() => break, v = {} => .. }}`", cx.text_one_line(&*a.base)),
            None => "race each iteration against it in a `tokio::select!` with a `_ = token.cancelled() => break` branch".to_string(),
        };
        let d = Diagnostic::new(
            META.name,
            META.severity,
            callee,
            format!("the task spawned by `{}` runs a loop with no way out: nothing can stop it, so it outlives the code that started it and runs until it panics or the runtime shuts down", spawn.spawner),
        )
        .with_label("spawned task never ends")
        .with_secondary(cx.file.range(keyword), "no `break`, `return`, `?` or cancellation branch in this loop")
        .with_help(format!("give the task a way out: move a `CancellationToken` into it (a `child_token()` of its owner's) and {race}; or keep the task's handle and abort it when its owner shuts down"));
        cx.report(d);
    }
}

/// Parameters whose declared type is a cancellation token (also behind `&` or `Arc`).
fn token_params(cx: &Cx, f: &FnNode) -> Vec<TokenParam> {
    let mut out = Vec::new();
    for input in &f.sig.inputs {
        let FnArg::Typed(pt) = input else { continue };
        let Pat::Ident(pi) = &*pt.pat else { continue };
        let name = pi.ident.to_string();
        if name.starts_with('_') {
            continue;
        }
        // The resolved type if the file resolves it, else the type as written.
        let ty = match cx.binding(&name).and_then(|o| o.ty.clone()) {
            Some(ty) => ty,
            None => written_type(&pt.ty).unwrap_or_default(),
        };
        let last = ty.rsplit("::").next().unwrap_or("");
        if TOKEN_TYPES.contains(&last) {
            let start = cx.file.range(pi.ident.span()).start;
            let end = cx.file.range(pt.ty.span()).end;
            out.push(TokenParam {
                name,
                range: TextRange::new(start, end),
            });
        }
    }
    out
}

fn written_type(ty: &syn::Type) -> Option<String> {
    match ty {
        syn::Type::Reference(r) => written_type(&r.elem),
        syn::Type::Path(p) => p.path.segments.last().map(|s| s.ident.to_string()),
        _ => None,
    }
}

/// `CancellationToken::new()` calls in a body (not in nested fn items).
fn fresh_tokens(cx: &Cx, body: &Block) -> Vec<TextRange> {
    struct F<'c, 'a> {
        cx: &'c Cx<'a>,
        out: Vec<TextRange>,
    }
    impl<'ast> Visit<'ast> for F<'_, '_> {
        fn visit_expr(&mut self, e: &'ast Expr) {
            if let Some(p) = chain::call_path(e) {
                let path = self
                    .cx
                    .resolve(p)
                    .unwrap_or_else(|| self.cx.text(p).to_string());
                let mut segs = path.rsplit("::");
                let (ctor, ty) = (segs.next().unwrap_or(""), segs.next().unwrap_or(""));
                if FRESH_TOKEN_FNS.contains(&ctor) && TOKEN_TYPES.contains(&ty) {
                    self.out.push(self.cx.range(e));
                }
            }
            stacker::maybe_grow(64 * 1024, 1024 * 1024, || visit::visit_expr(self, e));
        }
        fn visit_item(&mut self, _: &'ast syn::Item) {}
    }
    let mut f = F {
        cx,
        out: Vec::new(),
    };
    f.visit_block(body);
    f.out
}
