//! Values whose `Drop` blocks, dropped on the executor thread: at the end of their
//! block, at a `drop(x)`, or when an assignment replaces them.

use super::{alone, explain_chain, report_unless_alone, spawn_blocking_path, Work, META};
use crate::diagnostic::Diagnostic;
use crate::semantic::body::unwrapped_binding;
use crate::semantic::chain::strip;
use crate::semantic::index::{IndexQuery, ModelQuery};
use crate::semantic::Cx;
use crate::source::TextRange;
use syn::{Expr, Pat, Stmt};

/// `if let Ok(t) = Trail::open(..) { .. }`: dropped at the end of the `if let`.
pub(super) fn check_if_let(cx: &mut Cx, expr: &Expr, l: &syn::ExprLet) {
    if cx.test_policy_applies() || alone(cx, cx.range(expr).start) {
        return;
    }
    let (Some(ty), Some(name)) = (constructed_type(&l.expr), unwrapped_binding(&l.pat)) else {
        return;
    };
    let at = cx.range(&cx.file.range(name.span()));
    report_blocking_drop(
        cx,
        at,
        &name.to_string(),
        ty,
        "at the end of this `if let`",
        Vec::new(),
    );
}

/// A value whose `Drop` blocks, bound in async code: dropped at the end of the
/// block, on the executor thread.
pub(super) fn check_local(cx: &mut Cx, stmt: &Stmt) {
    if !cx.in_async() || !cx.context.on_shared_executor() || cx.test_policy_applies() {
        return;
    }
    let Stmt::Local(local) = stmt else { return };
    if alone(
        cx,
        cx.range(&cx.file.range(syn::spanned::Spanned::span(&local.pat)))
            .start,
    ) {
        return;
    }
    let Some(init) = &local.init else { return };
    // `let t = T::open(..)?;`, `let Some(t) = T::find(..) else { .. };`, `let t =
    // match T::open(..) { Ok(t) => t, Err(e) => return .. };`
    let Some(ty) = constructed_type(&init.expr).or_else(|| matched_construction(&init.expr)) else {
        return;
    };
    let name = match crate::semantic::body::untyped(&local.pat) {
        Pat::Ident(name) => name.ident.clone(),
        p => match unwrapped_binding(p) {
            Some(name) => name.clone(),
            None => return,
        },
    };
    let bound = cx.range(&cx.file.range(name.span()));
    let name = name.to_string();
    let end = cx.file.range(syn::spanned::Spanned::span(stmt)).end;
    // Dropped explicitly further on (`drop(old)`): that is where it blocks.
    match explicit_drop(cx, &name, end) {
        Some(Dropped::Here(at)) => report_blocking_drop(cx, at, &name, ty, "here", Vec::new()),
        Some(Dropped::OffExecutor) => {}
        None => {
            // Moved on by a method taking `self` (`guard.defuse()`), it is dropped at
            // the end of the block only on an early exit: an error path.
            let moved = consuming_calls(cx, &name, &ty, end);
            report_blocking_drop(cx, bound, &name, ty, "at the end of this block", moved)
        }
    }
}

/// Where a value is dropped explicitly.
enum Dropped {
    /// `drop(name)` on the executor.
    Here(TextRange),
    /// `drop(name)` in a closure handed to a thread or the blocking pool
    /// (`spawn_blocking(move || drop(old))`).
    OffExecutor,
}

/// The text of the enclosing fn's body after `after`.
fn rest_of_fn<'t>(cx: &Cx<'t>, after: usize) -> Option<&'t str> {
    let (_, body) = cx.enclosing_fn_text?;
    cx.file.text.get(after..body.end)
}

/// Where `needle` starts in `text` as written code, not as the tail of a longer name
/// or path (`drop(x)`, not `mem_drop(x)` or `self.drop(x)`).
fn written_at<'a>(text: &'a str, needle: &'a str) -> impl Iterator<Item = usize> + 'a {
    text.match_indices(needle).map(|(i, _)| i).filter(|&i| {
        !text[..i]
            .chars()
            .next_back()
            .is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '.')
    })
}

/// The first `drop(name)` in the enclosing fn's body after `after`.
fn explicit_drop(cx: &Cx, name: &str, after: usize) -> Option<Dropped> {
    let text = rest_of_fn(cx, after)?;
    let call = format!("drop({name})");
    let start = written_at(text, &call).next()?;
    let off = ["spawn_blocking", "unblock", "thread::spawn"]
        .iter()
        .any(|w| text[..start].contains(w));
    if off {
        return Some(Dropped::OffExecutor);
    }
    let start = after + start;
    Some(Dropped::Here(TextRange::new(start, start + call.len())))
}

/// `drop(x)` in async code, of a parameter whose declared type's `Drop` blocks
/// (`spill: SpillFile`).
pub(super) fn check_drop(cx: &mut Cx, expr: &Expr) {
    if cx.test_policy_applies() || alone(cx, cx.range(expr).start) {
        return;
    }
    let Some(arg) = cx.drop_call_arg(expr) else {
        return;
    };
    let Some(name) = crate::semantic::chain::path_ident(arg).map(|i| i.to_string()) else {
        return;
    };
    // A local built here is reported where it is bound (`check_stmt`).
    let Some(ty) = cx
        .binding(&name)
        .filter(|o| o.is_param)
        .and_then(|o| o.ty.as_deref())
        .and_then(|t| t.rsplit("::").next())
        .map(str::to_string)
    else {
        return;
    };
    report_blocking_drop(cx, cx.range(expr), &name, ty, "here", Vec::new());
}

/// A value of type `ty` dropped at `at` on the executor thread, reported if the
/// model says dropping a `ty` blocks and no call in `moved` takes it by value; `when`
/// says when it is dropped.
fn report_blocking_drop(
    cx: &mut Cx,
    at: TextRange,
    name: &str,
    ty: String,
    when: &str,
    moved: Vec<IndexQuery>,
) {
    let subject = format!("`{name}` is a `{ty}`");
    let help = format!(
        "drop it off the executor (`{}(move || drop({name}))`), or give `{ty}` an async `close` that callers await before it is dropped",
        spawn_blocking_path(cx.file.runtime),
    );
    report_drop(cx, at, subject, ty, when, help, moved);
}

/// The zero-argument method calls on `name` in the rest of the enclosing fn after
/// `after` (`guard.defuse()`), as questions whether the method takes `self` by value.
fn consuming_calls(cx: &Cx, name: &str, ty: &str, after: usize) -> Vec<IndexQuery> {
    let Some(text) = rest_of_fn(cx, after) else {
        return Vec::new();
    };
    let receiver = format!("{name}.");
    let mut out = Vec::new();
    for i in written_at(text, &receiver) {
        let rest = &text[i + receiver.len()..];
        let method: String = rest
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        let Some(after_call) = rest[method.len()..].strip_prefix("()") else {
            continue;
        };
        if method.is_empty() {
            continue;
        }
        out.push(IndexQuery::Model(ModelQuery::ConsumesSelf(
            crate::semantic::callee::Callee {
                scope: cx.scope.clone(),
                target: crate::semantic::callee::Target::TypedMethod(ty.to_string(), method),
                args: 0,
                awaited: after_call.trim_start().starts_with(".await"),
            },
        )));
    }
    out
}

fn report_drop(
    cx: &mut Cx,
    at: TextRange,
    subject: String,
    ty: String,
    when: &str,
    help: String,
    moved: Vec<IndexQuery>,
) {
    let d = Diagnostic::new(
        META.name,
        META.severity,
        at,
        format!("{subject}, whose drop blocks: dropping it {when} stalls the executor thread and every task scheduled on it"),
    )
    .with_label("dropped on the executor thread")
    .with_help(help);
    let blocks = IndexQuery::Model(ModelQuery::DropBlocks {
        krate: cx.file.krate,
        ty,
    });
    let query = match moved.is_empty() {
        true => blocks,
        false => IndexQuery::All(vec![
            blocks,
            IndexQuery::Not(Box::new(IndexQuery::Any(moved))),
        ]),
    };
    report_unless_alone(cx, d, Some(query), Some(explain_chain()), Work::Wait);
}

/// `self.flusher = Some(Flusher::start(..));` in async code: the value the place held
/// before, of the same type, is dropped here.
pub(super) fn check_assign(cx: &mut Cx, expr: &Expr, assign: &syn::ExprAssign) {
    if cx.test_policy_applies() || alone(cx, cx.range(expr).start) {
        return;
    }
    let Some(ty) = constructed_type(&assign.right) else {
        return;
    };
    let place = strip(&assign.left);
    match place {
        // `_ = ..` drops the new value, not an old one.
        Expr::Infer(_) => return,
        // `let x; .. x = T::new();` holds nothing before.
        Expr::Path(_) => {
            let Some(name) = crate::semantic::chain::path_ident(place) else {
                return;
            };
            if cx
                .binding(&name.to_string())
                .is_none_or(|o| o.init.is_none() && !o.is_param)
            {
                return;
            }
        }
        Expr::Field(_) | Expr::Unary(_) | Expr::Index(_) => {}
        _ => return,
    }
    let written = cx.text(&*assign.left).to_string();
    let subject = format!("`{written}` holds a `{ty}`");
    let help = format!(
        "take the old value out (`let old = std::mem::replace(&mut {written}, ..);`) and drop it off the executor (`{}(move || drop(old))`)",
        spawn_blocking_path(cx.file.runtime),
    );
    let at = cx.range(expr);
    report_drop(
        cx,
        at,
        subject,
        ty,
        "when this assignment replaces it",
        help,
        Vec::new(),
    );
}

/// The type a binding's initializer constructs: `T::new(..)`, `T::open(..)?`,
/// `T { .. }`.
fn constructed_type(e: &Expr) -> Option<String> {
    let e = crate::semantic::chain::strip_result_adapters(e).inner;
    let path = match e {
        // `std::mem::replace(&mut *slot, T::start(..))` hands back a value of the type
        // it puts in.
        Expr::Call(c)
            if crate::semantic::chain::call_path(e).is_some_and(|p| {
                let n = p.segments.len();
                n >= 2 && p.segments[n - 1].ident == "replace" && p.segments[n - 2].ident == "mem"
            }) && c.args.len() == 2 =>
        {
            return constructed_type(&c.args[1]);
        }
        // `Some(T::start(..))`
        Expr::Call(c)
            if c.args.len() == 1
                && crate::semantic::chain::call_path(e)
                    .is_some_and(|p| p.segments.len() == 1 && p.segments[0].ident == "Some") =>
        {
            return constructed_type(&c.args[0]);
        }
        Expr::Call(_) => {
            let p = crate::semantic::chain::call_path(e)?;
            let n = p.segments.len();
            (n >= 2).then(|| p.segments[n - 2].ident.to_string())?
        }
        Expr::Struct(s) => s.path.segments.last()?.ident.to_string(),
        _ => return None,
    };
    path.starts_with(|c: char| c.is_ascii_uppercase())
        .then_some(path)
}

/// `match T::open(..) { Ok(t) => t, Err(e) => return .. }`: the type constructed when
/// an arm hands the unwrapped value on as it is.
fn matched_construction(e: &Expr) -> Option<String> {
    let Expr::Match(m) = strip(e) else {
        return None;
    };
    let ty = constructed_type(&m.expr)?;
    m.arms
        .iter()
        .any(|arm| {
            unwrapped_binding(&arm.pat).is_some_and(|name| {
                crate::semantic::chain::path_ident(strip(&arm.body)).is_some_and(|b| b == name)
            })
        })
        .then_some(ty)
}
