//! Fns whose waiting depends on an optional input: every `.await` of the body sits in
//! the `Some` branch of an `if let` or `match` on an `Option` parameter
//! (`if let Some(name) = name { resolve(name).await? } else { id }`). A call of one
//! does no I/O at all when the caller passes `None`, so whether it is a round-trip is
//! not in the caller's text.

use super::chain::strip;
use rustc_hash::FxHashSet as HashSet;
use syn::visit::{self, Visit};
use syn::{Block, Expr, FnArg, Pat, Signature};

/// Whether `body` awaits something, and only under `Some` of an `Option` parameter.
pub fn awaits_only_for_some_input(sig: &Signature, body: &Block) -> bool {
    let optional = optional_params(sig);
    if optional.is_empty() {
        return false;
    }
    let mut v = Branches {
        optional,
        depth: 0,
        inside: 0,
        outside: 0,
    };
    v.visit_block(body);
    v.inside > 0 && v.outside == 0
}

/// The names of parameters declared `Option<..>`, `&Option<..>` or `Option<&..>`.
fn optional_params(sig: &Signature) -> HashSet<String> {
    let mut names = HashSet::default();
    for input in &sig.inputs {
        let FnArg::Typed(t) = input else { continue };
        let mut ty = &*t.ty;
        while let syn::Type::Reference(r) = ty {
            ty = &r.elem;
        }
        let is_option = matches!(ty, syn::Type::Path(p)
            if p.path.segments.last().is_some_and(|s| s.ident == "Option"));
        if is_option {
            if let Pat::Ident(i) = &*t.pat {
                names.insert(i.ident.to_string());
            }
        }
    }
    names
}

struct Branches {
    optional: HashSet<String>,
    /// How many `Some` branches on an optional parameter enclose the visit.
    depth: usize,
    inside: usize,
    outside: usize,
}

impl Branches {
    /// `name`, `&name`, `*name`, `name.as_ref()`, `name.as_deref()` of an optional
    /// parameter.
    fn is_optional(&self, e: &Expr) -> bool {
        match strip(e) {
            Expr::Path(p) => p
                .path
                .get_ident()
                .is_some_and(|i| self.optional.contains(&i.to_string())),
            Expr::Reference(r) => self.is_optional(&r.expr),
            Expr::Unary(u) if matches!(u.op, syn::UnOp::Deref(_)) => self.is_optional(&u.expr),
            Expr::MethodCall(m)
                if m.args.is_empty() && (m.method == "as_ref" || m.method == "as_deref") =>
            {
                self.is_optional(&m.receiver)
            }
            _ => false,
        }
    }

    fn in_some(&mut self, f: impl FnOnce(&mut Self)) {
        self.depth += 1;
        f(self);
        self.depth -= 1;
    }
}

/// `Some(x)` (also `&Some(x)`, `Some(ref x)`): the pattern of the present value.
fn is_some_pat(p: &Pat) -> bool {
    match p {
        Pat::TupleStruct(t) => t.path.segments.last().is_some_and(|s| s.ident == "Some"),
        Pat::Reference(r) => is_some_pat(&r.pat),
        _ => false,
    }
}

impl<'ast> Visit<'ast> for Branches {
    fn visit_expr_await(&mut self, a: &'ast syn::ExprAwait) {
        visit::visit_expr_await(self, a);
        if self.depth > 0 {
            self.inside += 1;
        } else {
            self.outside += 1;
        }
    }
    fn visit_expr_if(&mut self, i: &'ast syn::ExprIf) {
        if let Expr::Let(l) = strip(&i.cond) {
            if is_some_pat(&l.pat) && self.is_optional(&l.expr) {
                self.in_some(|v| v.visit_block(&i.then_branch));
                if let Some((_, e)) = &i.else_branch {
                    self.visit_expr(e);
                }
                return;
            }
        }
        visit::visit_expr_if(self, i);
    }
    fn visit_expr_match(&mut self, m: &'ast syn::ExprMatch) {
        if !self.is_optional(&m.expr) {
            return visit::visit_expr_match(self, m);
        }
        for arm in &m.arms {
            if is_some_pat(&arm.pat) {
                self.in_some(|v| v.visit_arm(arm));
            } else {
                self.visit_arm(arm);
            }
        }
    }
    fn visit_expr(&mut self, e: &'ast Expr) {
        stacker::maybe_grow(64 * 1024, 1024 * 1024, || visit::visit_expr(self, e));
    }
    // Awaits of code that runs at another time are not this fn's.
    fn visit_expr_closure(&mut self, _: &'ast syn::ExprClosure) {}
    fn visit_expr_async(&mut self, _: &'ast syn::ExprAsync) {}
    fn visit_item(&mut self, _: &'ast syn::Item) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(src: &str) -> bool {
        let f: syn::ItemFn = syn::parse_str(src).unwrap();
        awaits_only_for_some_input(&f.sig, &f.block)
    }

    #[test]
    fn awaits_under_some_of_an_optional_parameter() {
        assert!(check(
            "async fn r(name: &Option<String>, id: Option<u32>) -> R<Option<u32>> {
                Ok(if let Some(name) = name { Some(resolve(name).await?.id) } else { id })
            }"
        ));
        assert!(check(
            "async fn r(name: Option<&str>) -> R<()> {
                match name { Some(n) => { load(n).await?; Ok(()) } None => Ok(()) }
            }"
        ));
    }

    #[test]
    fn awaits_that_run_whatever_the_input() {
        // An await outside the branch, one in the `else`, no optional parameter, none.
        for src in [
            "async fn r(name: Option<String>) { ping().await; if let Some(n) = name { load(n).await; } }",
            "async fn r(name: Option<String>) { if let Some(n) = name { load(n).await; } else { fallback().await; } }",
            "async fn r(name: String) { if let Some(n) = parse(name) { load(n).await; } }",
            "async fn r(name: Option<String>) -> Option<String> { name }",
            "async fn r(cache: &Cache, name: Option<String>) { if let Some(n) = cache.get(name) { load(n).await; } }",
        ] {
            assert!(!check(src), "{src}");
        }
    }
}
