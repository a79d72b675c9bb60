//! What a fn's signature and body shape say: its tail expression, whether it returns
//! a `Result`, a future (and whether its work runs before the future is polled), or
//! a handle of a task that returns a `Result`.

use super::*;

/// The expression a body ends with, seen through `?` and `unwrap`/`expect`.
pub(super) fn tail_expr(body: &Block) -> Option<&Expr> {
    let Some(Stmt::Expr(e, None)) = body.stmts.last() else {
        return None;
    };
    let mut cur = strip(e);
    loop {
        match cur {
            Expr::Try(t) => cur = strip(&t.expr),
            Expr::MethodCall(m)
                if matches!(m.method.to_string().as_str(), "unwrap" | "expect" | "into") =>
            {
                cur = strip(&m.receiver)
            }
            Expr::Block(b) if b.block.stmts.len() == 1 => match &b.block.stmts[0] {
                Stmt::Expr(e, None) => cur = strip(e),
                _ => return Some(cur),
            },
            _ => return Some(cur),
        }
    }
}

pub(super) fn tail_call(body: &Block) -> usize {
    match tail_expr(body) {
        Some(e @ (Expr::Call(_) | Expr::MethodCall(_))) => addr(e),
        _ => 0,
    }
}

/// How a fn that returns a future makes it.
pub(super) fn future_shape(body: &Block) -> FutureShape {
    let Some((Stmt::Expr(tail, None), before)) = body.stmts.split_last() else {
        return FutureShape::Unknown;
    };
    let mut tail = strip(tail);
    // `Box::pin(async move { .. })`, `async move { .. }.boxed()`.
    loop {
        match tail {
            Expr::Call(c)
                if c.args.len() == 1
                    && chain::call_path(tail)
                        .and_then(|p| p.segments.last())
                        .is_some_and(|s| s.ident == "pin") =>
            {
                tail = strip(&c.args[0])
            }
            Expr::MethodCall(m)
                if m.args.is_empty()
                    && matches!(m.method.to_string().as_str(), "boxed" | "boxed_local") =>
            {
                tail = strip(&m.receiver)
            }
            _ => break,
        }
    }
    match tail {
        Expr::Async(_) => {
            if before.iter().all(only_prepares) {
                FutureShape::Lazy
            } else {
                FutureShape::Eager
            }
        }
        Expr::Call(_) | Expr::MethodCall(_) if before.iter().all(only_prepares) => {
            FutureShape::Delegates
        }
        Expr::Call(_) | Expr::MethodCall(_) => FutureShape::Eager,
        _ => FutureShape::Unknown,
    }
}

/// A statement that only prepares the future: binds a clone, a field, a reference.
fn only_prepares(s: &Stmt) -> bool {
    let Stmt::Local(l) = s else {
        return matches!(s, Stmt::Item(_));
    };
    let Some(init) = &l.init else {
        return true;
    };
    fn cheap(e: &Expr) -> bool {
        match strip(e) {
            Expr::Path(_) | Expr::Lit(_) | Expr::Field(_) => true,
            Expr::Reference(r) => cheap(&r.expr),
            Expr::MethodCall(m) => {
                matches!(
                    m.method.to_string().as_str(),
                    "clone"
                        | "to_owned"
                        | "to_string"
                        | "into"
                        | "as_ref"
                        | "as_str"
                        | "as_deref"
                        | "cloned"
                        | "borrow"
                ) && cheap(&m.receiver)
            }
            Expr::Call(c) => {
                chain::call_path(e)
                    .is_some_and(|p| p.segments.last().is_some_and(|s| s.ident == "clone"))
                    && c.args.iter().all(cheap)
            }
            _ => false,
        }
    }
    init.diverge.is_none() && cheap(&init.expr)
}

/// Whether what a fn returns (an async fn's output, or a future's `Output`) is a
/// `Result`: the last segment of its type is `Result` or ends with it.
pub(super) fn output_is_result(sig: &Signature) -> bool {
    let syn::ReturnType::Type(_, ty) = &sig.output else {
        return false;
    };
    if sig.asyncness.is_some() {
        return names_result(ty);
    }
    // A future's output, or else the value itself (a sync fn whose result a blocking
    // task or an async block hands on as its own).
    future_output(ty).map_or_else(|| names_result(ty), names_result)
}

/// Whether `sig` returns `JoinHandle<..Result<..>>` (also `impl Future` of one for an
/// async fn, which is unusual, is not counted).
pub(super) fn returns_result_handle(sig: &Signature) -> bool {
    use syn::{GenericArgument, PathArguments, Type};
    let syn::ReturnType::Type(_, ty) = &sig.output else {
        return false;
    };
    let Type::Path(p) = &**ty else {
        return false;
    };
    let Some(last) = p.path.segments.last() else {
        return false;
    };
    if last.ident != "JoinHandle" || sig.asyncness.is_some() {
        return false;
    }
    let PathArguments::AngleBracketed(a) = &last.arguments else {
        return false;
    };
    a.args.iter().any(|arg| match arg {
        GenericArgument::Type(t) => names_result(t),
        _ => false,
    })
}

fn names_result(ty: &syn::Type) -> bool {
    last_type_segment(ty).is_some_and(|s| s.ends_with("Result"))
}

/// `Output = T` of `impl Future<Output = T>` (also boxed or pinned).
fn future_output(ty: &syn::Type) -> Option<&syn::Type> {
    use syn::{GenericArgument, PathArguments, Type, TypeParamBound};
    let bounds = match ty {
        Type::ImplTrait(t) => &t.bounds,
        Type::TraitObject(t) => &t.bounds,
        Type::Path(p) => {
            let last = p.path.segments.last()?;
            let PathArguments::AngleBracketed(a) = &last.arguments else {
                return None;
            };
            return a.args.iter().find_map(|arg| match arg {
                GenericArgument::Type(t) => future_output(t),
                _ => None,
            });
        }
        _ => return None,
    };
    bounds.iter().find_map(|b| match b {
        TypeParamBound::Trait(t) => {
            let last = t.path.segments.last()?;
            if last.ident != "Future" {
                return None;
            }
            let PathArguments::AngleBracketed(a) = &last.arguments else {
                return None;
            };
            a.args.iter().find_map(|arg| match arg {
                GenericArgument::AssocType(at) if at.ident == "Output" => Some(&at.ty),
                _ => None,
            })
        }
        _ => None,
    })
}

pub(super) fn last_type_segment(ty: &syn::Type) -> Option<String> {
    match ty {
        syn::Type::Path(p) => p.path.segments.last().map(|s| s.ident.to_string()),
        syn::Type::Paren(p) => last_type_segment(&p.elem),
        syn::Type::Group(g) => last_type_segment(&g.elem),
        _ => None,
    }
}

/// A `-> Result<..>` fn that cannot return an `Err`: nothing before its endless loop
/// (`endless`, which never ends) can fail, or, without one, nothing in its body can
/// and it ends in `Ok(..)` ([`crate::semantic::body::can_fail`]).
pub(super) fn never_fails(body: &Block, endless: Option<&Expr>) -> bool {
    let stmts = match endless {
        Some(l) => {
            let at = body
                .stmts
                .iter()
                .position(|s| matches!(s, Stmt::Expr(e, _) if std::ptr::eq(e, l)));
            &body.stmts[..at.unwrap_or(body.stmts.len())]
        }
        None => {
            let ends_ok = matches!(body.stmts.last(), Some(Stmt::Expr(Expr::Call(c), None))
                if matches!(strip(&c.func), Expr::Path(p) if p.path.is_ident("Ok")));
            if !ends_ok {
                return false;
            }
            &body.stmts[..]
        }
    };
    !crate::semantic::body::can_fail(stmts)
}
