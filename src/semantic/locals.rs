//! Locals that several calls may use at once, and those that one call at a time must
//! have: a `let mut` binding, a `&mut` parameter or reference, `self` in a `&mut self`
//! method. When the declaration does not say, the answer is "may be mutable".

use super::body::{pattern_names, place_root, NameUses};
use super::chain::{self, strip};
use super::scope::Origin;
use super::Cx;
use rustc_hash::FxHashSet as HashSet;
use syn::{Expr, Local, Pat, Stmt};

/// Whether several calls may use the local `name` at the same time (in one `join!`):
/// `Some(true)` when it is known to be neither a mutable binding nor a `&mut`,
/// `Some(false)` when it is or may be one, `None` when `name` is not a local (a fn, a
/// const, a static). `before` are the statements of the current block that precede
/// the point asked about: their `let`s are not bound in `cx` yet when a rule looks at
/// a whole block.
pub fn can_share(cx: &Cx, before: &[Stmt], name: &str) -> Option<bool> {
    can_share_at(cx, before, name, 0)
}

/// How far `let b = a;` aliases are followed.
const MAX_ALIASES: usize = 4;

fn can_share_at(cx: &Cx, before: &[Stmt], name: &str, depth: usize) -> Option<bool> {
    if depth > MAX_ALIASES {
        return Some(false);
    }
    for (i, stmt) in before.iter().enumerate().rev() {
        if let Stmt::Local(l) = stmt {
            let mut names = HashSet::default();
            pattern_names(&l.pat, &mut names);
            if names.contains(name) {
                return Some(let_is_shared(l, name, |root| {
                    can_share_at(cx, &before[..i], root, depth + 1) != Some(false)
                }));
            }
        }
    }
    let origin = cx.binding(name)?;
    Some(match origin_alias(origin) {
        Some(root) => {
            origin_is_shared(origin) && can_share_at(cx, &[], root, depth + 1) != Some(false)
        }
        None => origin_is_shared(origin),
    })
}

/// A `let` earlier in the same block (the walk has not bound it yet). `root_shared`
/// answers for the local an initializer like `a`, `a.field` or `*a` takes its value
/// from: a `&mut` flows through such a `let` (also when a pattern destructures it).
fn let_is_shared(l: &Local, name: &str, root_shared: impl Fn(&str) -> bool) -> bool {
    if pat_mutable(&l.pat, name) {
        return false;
    }
    let Some(init) = &l.init else {
        return true;
    };
    let value = strip(&init.expr);
    if let Expr::Path(_) | Expr::Field(_) | Expr::Index(_) | Expr::Unary(_) = value {
        return place_root(value).is_none_or(|root| root_shared(&root));
    }
    let c = chain::chain(&init.expr);
    let mut_ref = matches!(value, Expr::Reference(r) if r.mutability.is_some());
    !mut_ref
        && NameUses::of_expr(&init.expr).mut_borrows.is_empty()
        && !c
            .methods
            .iter()
            .any(|m| m.method.to_string().contains("mut"))
}

fn pat_mutable(pat: &Pat, name: &str) -> bool {
    match pat {
        Pat::Ident(p) => p.ident == name && p.mutability.is_some(),
        Pat::Type(t) => {
            let mut_ref = matches!(&*t.ty, syn::Type::Reference(r) if r.mutability.is_some());
            mut_ref || pat_mutable(&t.pat, name)
        }
        Pat::Tuple(t) => t.elems.iter().any(|p| pat_mutable(p, name)),
        Pat::TupleStruct(t) => t.elems.iter().any(|p| pat_mutable(p, name)),
        Pat::Struct(s) => s.fields.iter().any(|f| pat_mutable(&f.pat, name)),
        Pat::Paren(p) => pat_mutable(&p.pat, name),
        Pat::Reference(r) => r.mutability.is_some() || pat_mutable(&r.pat, name),
        Pat::Slice(s) => s.elems.iter().any(|p| pat_mutable(p, name)),
        _ => false,
    }
}

/// `let b = a;`: the local a binding merely aliases.
fn origin_alias(o: &Origin) -> Option<&str> {
    match (&o.root_binding, &o.root_call) {
        (Some(root), None) if o.methods.is_empty() && !o.is_param => Some(root),
        _ => None,
    }
}

/// A binding of an enclosing scope or a parameter.
fn origin_is_shared(o: &Origin) -> bool {
    let known = o.is_param || o.root_call.is_some() || o.root_binding.is_some();
    known && !o.mutable && !o.closure_param && !o.methods.iter().any(|m| m.contains("mut"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn local(src: &str) -> Local {
        match syn::parse_str::<Stmt>(src).unwrap() {
            Stmt::Local(l) => l,
            _ => panic!("not a let"),
        }
    }

    fn shared(src: &str, name: &str) -> bool {
        let_is_shared(&local(src), name, |root| root != "conn")
    }

    #[test]
    fn declarations_say_what_may_be_mutated() {
        assert!(!shared("let c = conn;", "c"));
        assert!(!shared("let Conn { inner, .. } = conn;", "inner"));
        assert!(shared("let id = user.id;", "id"));
        assert!(shared("let pool = PgPool::connect(url).await?;", "pool"));
        assert!(!shared("let mut conn = pool.acquire().await?;", "conn"));
        assert!(!shared("let conn = &mut get_conn(pool).await?;", "conn"));
        assert!(!shared("let c = self.conn.as_mut().unwrap();", "c"));
        assert!(!shared("let (a, mut b) = split();", "b"));
        assert!(!origin_is_shared(&Origin::default()));
        let param = Origin {
            is_param: true,
            ..Origin::default()
        };
        assert!(origin_is_shared(&param));
        assert!(!origin_is_shared(&Origin {
            closure_param: true,
            ..param
        }));
    }
}
