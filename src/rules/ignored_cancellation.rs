//! `ignored-cancellation`: a cancellation token accepted and never consulted, a fresh
//! token where the caller's should have been passed down, or a spawned loop that
//! nothing can stop.

use super::{FnKind, FnNode, Group, Hooks, Rule, RuleMeta, TestCode};
use crate::diagnostic::{Applicability, Diagnostic, Edit, Fix, Severity};
use crate::semantic::body::{is_endless_loop, is_stub_body, own_awaits, NameUses};
use crate::semantic::chain;
use crate::semantic::index::{Explain, IndexQuery, ModelQuery};
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

/// Whether a type, written or resolved (`tokio_util::sync::CancellationToken`), is a
/// cancellation token.
fn is_token_type(ty: &str) -> bool {
    TOKEN_TYPES.contains(&ty.rsplit("::").next().unwrap_or(""))
}

/// Constructors of a fresh, unlinked token.
const FRESH_TOKEN_FNS: &[&str] = &["new", "default"];

struct TokenParam {
    name: String,
    range: TextRange,
    /// Named `_token`: ignored on purpose.
    on_purpose: bool,
}

impl Rule for IgnoredCancellation {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }
    fn hooks(&self) -> Hooks {
        Hooks::STMT | Hooks::FN
    }

    fn check_fn(&self, cx: &mut Cx, f: &FnNode) {
        if is_stub_body(f.body)
            || !cx.file.block_mentions(f.body, &["Token", "token"])
                && token_params(cx, f).is_empty()
        {
            return;
        }
        // (c) A token re-created in place (`self.token = CancellationToken::new()`)
        // without cancelling the one it replaces: the tasks holding the old token are
        // never told to stop.
        for (at, place) in recreated_tokens(cx, f.body) {
            let d = Diagnostic::new(
                META.name,
                META.severity,
                at,
                format!("`{place}` is replaced with a fresh token without cancelling the old one: the tasks started with the old token are never told to stop, and keep running beside the new ones"),
            )
            .with_label("old token dropped, not cancelled")
            .with_help(format!("cancel the old token first (`{place}.cancel();`), then replace it; or keep one long-lived parent and hand each generation a `child_token()`"));
            cx.report(d);
        }
        let params = token_params(cx, f);
        // (b') A fresh token handed to a child while a parent token is at hand (a used
        // parameter, a token field of `self`).
        let parent = params
            .first()
            .map(|p| p.name.clone())
            .or_else(|| token_field(cx, f.body));
        if let Some(parent) = &parent {
            let uses = NameUses::of_block(f.body);
            let used = params.is_empty() || params.iter().any(|p| uses.reads.contains(&p.name));
            if used {
                for call in handed_fresh_tokens(cx, f.body) {
                    let d = Diagnostic::new(
                        META.name,
                        META.severity,
                        call,
                        format!("a fresh token is handed on while `{parent}` is at hand: cancelling `{parent}` does not reach the work given this one, so it keeps running after its owner stopped"),
                    )
                    .with_label("new token, not linked to the parent")
                    .with_help(format!("hand on `{parent}.child_token()`: it is cancelled whenever `{parent}` is, and cancelling it does not cancel the parent"));
                    cx.report(d);
                }
            }
        } else if params.is_empty() {
            // A parameter of a struct type that keeps a token, declared in another
            // file (`State(state): State<Arc<AppState>>`, `AppState.shutdown`).
            fresh_beside_state_token(cx, f);
        }
        if params.is_empty() {
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
        // its methods: an impl that does no waiting work may ignore the token; one that
        // awaits or loops is work the caller can no longer stop.
        let does_work = !own_awaits(f.body).is_empty() || has_loop(f.body);
        if !fresh.is_empty()
            || (matches!(f.kind, FnKind::TraitImpl | FnKind::TraitDefault) && !does_work)
        {
            return;
        }
        for p in ignored.into_iter().filter(|p| !p.on_purpose) {
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
        // A task an async `main` starts lives as long as the process, on purpose.
        // (`#[tokio::main]`, `#[tokio::main(flavor = "current_thread")]`, `#[main]`.)
        let in_main = cx.enclosing_fn_text.is_some_and(|(head, _)| {
            crate::semantic::testcode::main_attribute(cx.file.slice(head)).is_some()
        });
        if in_main {
            return;
        }
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
                    TextRange::new(start, cx.file.end_of(m.method.span())),
                    m.args.first(),
                )
            }
            _ => return,
        };
        let Some(body) = future.and_then(async_block_of) else {
            // `tokio::spawn(run_sweeper(cache))` where `run_sweeper` loops forever.
            if let Some(f) = future {
                report_forever_fn(cx, callee, f, &spawn.spawner);
            }
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
        // A handler of a process signal (SIGUSR1, SIGHUP, Ctrl-C) belongs to the process.
        if handles_process_signal(cx, body, loop_body) {
            return;
        }
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
        // Spawned by code the program runs once, as it starts (`main`'s start-up,
        // called once): like a task `main` starts itself, the task is the program's
        // and lives as long as the process, on purpose.
        match crate::semantic::testcode::runs_once(cx) {
            Some(once) => cx.report_if(IndexQuery::Not(Box::new(once)), d),
            None => cx.report(d),
        }
    }
}

/// Whether a spawned loop waits first for a process signal: its first wait is
/// `tokio::signal::ctrl_c()`, or `recv()` on a stream bound before the loop from
/// `tokio::signal::unix::signal(..)` (or another `tokio::signal` constructor). Such a
/// task handles an event of the whole process, and lives as long as the process on
/// purpose.
fn handles_process_signal(cx: &Cx, task: &Block, loop_body: &Block) -> bool {
    let from_signal = |e: &Expr| {
        let e = chain::strip_result_adapters(e).inner;
        chain::call_path(chain::chain(e).root)
            .and_then(|p| cx.resolve(p))
            .is_some_and(|p| p.starts_with("tokio::signal::"))
    };
    let streams: Vec<String> = task
        .stmts
        .iter()
        .filter_map(|s| match s {
            Stmt::Local(l) => {
                let init = l.init.as_ref()?;
                let Pat::Ident(name) = &l.pat else {
                    return None;
                };
                from_signal(&init.expr).then(|| name.ident.to_string())
            }
            _ => None,
        })
        .collect();
    let Some(first) = own_awaits(loop_body).into_iter().next() else {
        return false;
    };
    match chain::strip(&first.base) {
        Expr::MethodCall(m) if m.method == "recv" => {
            chain::path_ident(&m.receiver).is_some_and(|i| streams.contains(&i.to_string()))
        }
        base => from_signal(base),
    }
}

/// Parameters whose declared type is a cancellation token (also behind `&` or `Arc`).
fn token_params(cx: &Cx, f: &FnNode) -> Vec<TokenParam> {
    let mut out = Vec::new();
    for input in &f.sig.inputs {
        let FnArg::Typed(pt) = input else { continue };
        let Pat::Ident(pi) = &*pt.pat else { continue };
        let name = pi.ident.to_string();
        // `_token` says the token is ignored on purpose; a fresh token made beside it
        // is still a finding (the caller's cancellation never reaches it).
        let ignored_on_purpose = name.starts_with('_');
        // The resolved type if the file resolves it, else the type as written.
        let ty = match cx.binding(&name).and_then(|o| o.ty.clone()) {
            Some(ty) => ty,
            None => written_type(&pt.ty).unwrap_or_default(),
        };
        if is_token_type(&ty) {
            let start = cx.file.start_of(pi.ident.span());
            let end = cx.file.end_of(pt.ty.span());
            out.push(TokenParam {
                name,
                range: TextRange::new(start, end),
                on_purpose: ignored_on_purpose,
            });
        }
    }
    out
}

/// (b') for a parent token kept in a field of a parameter's struct that this file
/// does not declare: asked of the model, which names the field.
fn fresh_beside_state_token(cx: &mut Cx, f: &FnNode) {
    // The parameters as the walk bound them, typed through pointers and extractors.
    let mut states: Vec<(String, String)> = Vec::new();
    for input in &f.sig.inputs {
        let FnArg::Typed(pt) = input else { continue };
        let mut bound = Default::default();
        crate::semantic::body::pattern_names(&pt.pat, &mut bound);
        let mut names: Vec<String> = bound.into_iter().collect();
        names.sort();
        for name in names {
            let Some(ty) = cx
                .binding(&name)
                .and_then(|o| o.ty.as_deref())
                .and_then(crate::semantic::callee::type_name)
            else {
                continue;
            };
            if !cx.file.fields.of_struct(&ty).any(|_| true) {
                states.push((name, ty));
            }
        }
    }
    if states.is_empty() {
        return;
    }
    let keeps_token = |ty: &str| {
        let asks = TOKEN_TYPES
            .iter()
            .map(|t| {
                IndexQuery::Model(ModelQuery::FieldOfType {
                    krate: cx.file.krate,
                    ty: ty.to_string(),
                    field_ty: t.to_string(),
                })
            })
            .collect();
        IndexQuery::Any(asks)
    };
    for call in handed_fresh_tokens(cx, f.body) {
        // The first parameter whose struct keeps a token is the parent.
        for (i, (name, ty)) in states.iter().enumerate() {
            let d = Diagnostic::new(
                META.name,
                META.severity,
                call,
                format!("a fresh token is handed on while `{name}.{{op}}` is at hand: cancelling `{name}.{{op}}` does not reach the work given this one, so it keeps running after its owner stopped"),
            )
            .with_label("new token, not linked to the parent")
            .with_help(format!("hand on `{name}.{{op}}.child_token()`: it is cancelled whenever `{name}.{{op}}` is, and cancelling it does not cancel the parent"));
            let earlier = states[..i].iter().map(|(_, t)| keeps_token(t)).collect();
            let query = IndexQuery::All(vec![
                keeps_token(ty),
                IndexQuery::Not(Box::new(IndexQuery::Any(earlier))),
            ]);
            let explain = Explain {
                note: String::new(),
                places: false,
            };
            cx.report_if_explained(query, d, explain);
        }
    }
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

/// A spawned call of a crate fn that runs a loop nothing can end (the crate model
/// knows the fn): the task never stops.
fn report_forever_fn(cx: &mut Cx, callee: TextRange, future: &Expr, spawner: &str) {
    let call = chain::strip(future);
    if !matches!(call, Expr::Call(_) | Expr::MethodCall(_)) {
        return;
    }
    let Some(c) = cx.callee(call) else {
        return;
    };
    let name = c.written();
    let d = Diagnostic::new(
        META.name,
        META.severity,
        callee,
        format!("the task spawned by `{spawner}` runs `{name}`, whose loop has no way out: nothing can stop it, so it outlives the code that started it and runs until it panics or the runtime shuts down"),
    )
    .with_label("spawned task never ends")
    .with_help(format!("give `{name}` a way out: pass it a `CancellationToken` (a `child_token()` of its owner's) and `select!` on `token.cancelled()` in its loop; or keep the task's handle and abort it when its owner shuts down"));
    let forever = IndexQuery::Model(ModelQuery::RunsForever(c));
    cx.report_if(forever.unless(crate::semantic::testcode::runs_once(cx)), d);
}

/// Whether a body runs a loop (of its own, not in nested closures or items).
fn has_loop(body: &Block) -> bool {
    struct L(bool);
    impl<'ast> Visit<'ast> for L {
        fn visit_expr(&mut self, e: &'ast Expr) {
            match e {
                Expr::Loop(_) | Expr::While(_) | Expr::ForLoop(_) => self.0 = true,
                Expr::Closure(_) | Expr::Async(_) => {}
                _ => visit::visit_expr(self, e),
            }
        }
        fn visit_item(&mut self, _: &'ast syn::Item) {}
    }
    let mut l = L(false);
    l.visit_block(body);
    l.0
}

/// Whether an expression makes a fresh token: `CancellationToken::new()`/`default()`.
fn is_fresh_token(cx: &Cx, e: &Expr) -> bool {
    let Some(p) = chain::call_path(chain::strip(e)) else {
        return false;
    };
    let path = cx.resolve(p).unwrap_or_else(|| cx.text(p).to_string());
    let mut segs = path.rsplit("::");
    let (ctor, ty) = (segs.next().unwrap_or(""), segs.next().unwrap_or(""));
    FRESH_TOKEN_FNS.contains(&ctor) && TOKEN_TYPES.contains(&ty)
}

/// Whether a tail expression hands the local `name` back to the caller: the name
/// itself, or inside a tuple, a struct literal or a variant (`Ok(..)`, `Self(..)`),
/// not an argument of a call that takes it (`ws.on_upgrade(move |s| run(s, token))`).
fn hands_back(tail: &Expr, name: &str) -> bool {
    match chain::strip(tail) {
        Expr::Path(_) => chain::path_ident(chain::strip(tail)).is_some_and(|i| i == name),
        Expr::Tuple(t) => t.elems.iter().any(|e| hands_back(e, name)),
        Expr::Struct(st) => st.fields.iter().any(|f| hands_back(&f.expr, name)),
        Expr::Call(c) => {
            let variant = chain::call_path(chain::strip(tail))
                .and_then(|p| p.segments.last())
                .is_some_and(|s| {
                    s.ident
                        .to_string()
                        .starts_with(|c: char| c.is_ascii_uppercase())
                });
            variant && c.args.iter().any(|a| hands_back(a, name))
        }
        Expr::MethodCall(m) if m.method == "clone" => hands_back(&m.receiver, name),
        _ => false,
    }
}

/// A token field of `self` the body mentions (`self.shutdown` declared as a
/// `CancellationToken` in a struct of this file).
fn token_field(cx: &Cx, body: &Block) -> Option<String> {
    struct F<'c, 'a> {
        cx: &'c Cx<'a>,
        found: Option<String>,
    }
    impl<'ast> Visit<'ast> for F<'_, '_> {
        fn visit_expr_field(&mut self, f: &'ast syn::ExprField) {
            if let (syn::Member::Named(n), Expr::Path(p)) = (&f.member, chain::strip(&f.base)) {
                let ty = self.cx.file.fields.get(&n.to_string()).unwrap_or("");
                if p.path.is_ident("self") && is_token_type(ty) {
                    self.found.get_or_insert_with(|| format!("self.{n}"));
                }
            }
            visit::visit_expr_field(self, f);
        }
        fn visit_item(&mut self, _: &'ast syn::Item) {}
    }
    let mut f = F { cx, found: None };
    f.visit_block(body);
    // A method of a type that keeps a token, whether the method names it or not.
    f.found.or_else(|| {
        let self_ty = cx.scope.self_ty.as_deref()?;
        if !cx.enclosing_fn.is_some_and(|f| f.key.is_method) {
            return None;
        }
        let mut tokens = cx
            .file
            .fields
            .of_struct(self_ty)
            .filter(|(_, ty)| ty.is_some_and(is_token_type));
        tokens.next().map(|(name, _)| format!("self.{name}"))
    })
}

/// Fresh tokens handed on: an argument of a call or a method call, a field of a
/// struct being built, or bound to a local that then goes to one of those.
fn handed_fresh_tokens(cx: &Cx, body: &Block) -> Vec<TextRange> {
    struct H<'c, 'a> {
        cx: &'c Cx<'a>,
        fresh_locals: Vec<(String, TextRange)>,
        out: Vec<TextRange>,
    }
    impl H<'_, '_> {
        fn arg(&mut self, a: &Expr) {
            let a = chain::strip(a);
            let a = match a {
                Expr::MethodCall(m) if m.method == "clone" => chain::strip(&m.receiver),
                Expr::Reference(r) => chain::strip(&r.expr),
                a => a,
            };
            if is_fresh_token(self.cx, a) {
                self.out.push(self.cx.range(a));
            } else if let Some(i) = chain::path_ident(a) {
                if let Some((_, r)) = self.fresh_locals.iter().find(|(n, _)| i == n) {
                    self.out.push(*r);
                }
            }
        }
    }
    impl<'ast> Visit<'ast> for H<'_, '_> {
        fn visit_local(&mut self, l: &'ast syn::Local) {
            if let (Pat::Ident(p), Some(init)) = (&l.pat, &l.init) {
                if is_fresh_token(self.cx, &init.expr) {
                    self.fresh_locals
                        .push((p.ident.to_string(), self.cx.range(chain::strip(&init.expr))));
                }
            }
            visit::visit_local(self, l);
        }
        fn visit_expr_call(&mut self, c: &'ast syn::ExprCall) {
            for a in &c.args {
                self.arg(a);
            }
            visit::visit_expr_call(self, c);
        }
        fn visit_expr_method_call(&mut self, m: &'ast syn::ExprMethodCall) {
            for a in &m.args {
                self.arg(a);
            }
            visit::visit_expr_method_call(self, m);
        }
        fn visit_field_value(&mut self, f: &'ast syn::FieldValue) {
            self.arg(&f.expr);
            visit::visit_field_value(self, f);
        }
        // An accept loop's `select!` branch that starts each connection.
        fn visit_macro(&mut self, m: &'ast syn::Macro) {
            crate::semantic::macros::parse_body(m)
                .code()
                .for_each(|e| self.visit_expr(e));
        }
        fn visit_item(&mut self, _: &'ast syn::Item) {}
    }
    let mut h = H {
        cx,
        fresh_locals: Vec::new(),
        out: Vec::new(),
    };
    h.visit_block(body);
    // A fresh token with a lifecycle of its own is kept: cancelled here, or returned
    // to the caller (who cancels it: a drain token for connections).
    let kept: Vec<TextRange> = h
        .fresh_locals
        .iter()
        .filter(|(name, _)| {
            let cancelled = cx
                .file
                .slice(cx.file.range(body.brace_token.span.join()))
                .contains(&format!("{name}.cancel()"));
            // A loop at the end is no value handed back, whatever it mentions.
            let returned = match body.stmts.last() {
                Some(Stmt::Expr(Expr::While(_) | Expr::ForLoop(_) | Expr::Loop(_), None)) => false,
                Some(Stmt::Expr(tail, None)) => hands_back(tail, name),
                _ => false,
            };
            cancelled || returned
        })
        .map(|(_, r)| *r)
        .collect();
    h.out.retain(|r| !kept.contains(r));
    h.out.sort();
    h.out.dedup();
    h.out
}

/// `place = CancellationToken::new()` with no `place.cancel()` before it in the
/// body: the replaced token is never cancelled.
fn recreated_tokens(cx: &Cx, body: &Block) -> Vec<(TextRange, String)> {
    struct R<'c, 'a> {
        cx: &'c Cx<'a>,
        cancelled: Vec<String>,
        out: Vec<(TextRange, String)>,
    }
    impl<'ast> Visit<'ast> for R<'_, '_> {
        fn visit_expr_method_call(&mut self, m: &'ast syn::ExprMethodCall) {
            if m.method == "cancel" {
                let text: String = self.cx.text(&*m.receiver).split_whitespace().collect();
                self.cancelled.push(text);
            }
            visit::visit_expr_method_call(self, m);
        }
        fn visit_expr_assign(&mut self, a: &'ast syn::ExprAssign) {
            visit::visit_expr_assign(self, a);
            if is_fresh_token(self.cx, &a.right) {
                let place: String = self.cx.text(&*a.left).split_whitespace().collect();
                if !self.cancelled.contains(&place) {
                    self.out.push((self.cx.range(&*a.right), place));
                }
            }
        }
        fn visit_item(&mut self, _: &'ast syn::Item) {}
    }
    let mut r = R {
        cx,
        cancelled: Vec::new(),
        out: Vec::new(),
    };
    r.visit_block(body);
    r.out
}
