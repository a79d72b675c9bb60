//! The crate-wide index of functions, built from every checked file.
//!
//! Each file contributes the fns it defines (free fns and methods, by name and
//! arity, async or not). Checks that need to know whether a callee is async record
//! a [`Deferred`] diagnostic during the walk; the engine keeps it only if the merged
//! index answers the question the way the rule asked.

use crate::diagnostic::Diagnostic;
use std::collections::HashMap;

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct FnKey {
    pub name: String,
    /// Parameters, not counting `self`.
    pub arity: usize,
    pub is_method: bool,
}

#[derive(Clone, Debug)]
pub struct FnEntry {
    pub key: FnKey,
    /// `async fn`, or a fn returning `impl Future` / a boxed future.
    pub is_async: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Asyncness {
    Async,
    Sync,
    /// Both an async and a sync fn answer to this name and arity: do not guess.
    Ambiguous,
    Unknown,
}

#[derive(Default, Debug)]
pub struct CrateIndex {
    fns: HashMap<FnKey, (u32, u32)>,
}

impl CrateIndex {
    pub fn add(&mut self, entry: FnEntry) {
        let slot = self.fns.entry(entry.key).or_default();
        if entry.is_async {
            slot.0 += 1;
        } else {
            slot.1 += 1;
        }
    }

    pub fn lookup(&self, key: &FnKey) -> Asyncness {
        match self.fns.get(key) {
            None => Asyncness::Unknown,
            Some((a, 0)) if *a > 0 => Asyncness::Async,
            Some((0, _)) => Asyncness::Sync,
            Some(_) => Asyncness::Ambiguous,
        }
    }

    pub fn len(&self) -> usize {
        self.fns.len()
    }

    pub fn is_empty(&self) -> bool {
        self.fns.is_empty()
    }
}

/// A question for the crate index that decides whether a diagnostic is kept.
#[derive(Clone, Debug)]
pub enum IndexQuery {
    /// Keep the diagnostic if the fn is async in the crate (and not ambiguous).
    IsAsync(FnKey),
}

#[derive(Clone, Debug)]
pub struct Deferred {
    pub query: IndexQuery,
    pub diagnostic: Diagnostic,
}

impl Deferred {
    pub fn holds(&self, index: &CrateIndex) -> bool {
        match &self.query {
            IndexQuery::IsAsync(key) => index.lookup(key) == Asyncness::Async,
        }
    }
}

/// Whether a return type names a future (`impl Future<..>`, `BoxFuture`, `Pin<Box<dyn Future>>`).
pub fn returns_future(output: &syn::ReturnType) -> bool {
    let syn::ReturnType::Type(_, ty) = output else {
        return false;
    };
    names_future(ty, 0)
}

fn names_future(ty: &syn::Type, depth: usize) -> bool {
    use syn::{GenericArgument, PathArguments, Type, TypeParamBound};
    if depth > 8 {
        return false;
    }
    let bounds_name_future = |bounds: &syn::punctuated::Punctuated<
        TypeParamBound,
        syn::Token![+],
    >| {
        bounds.iter().any(|b| match b {
            TypeParamBound::Trait(t) => t.path.segments.last().is_some_and(|s| s.ident == "Future"),
            _ => false,
        })
    };
    match ty {
        Type::ImplTrait(t) => bounds_name_future(&t.bounds),
        Type::TraitObject(t) => bounds_name_future(&t.bounds),
        Type::Paren(p) => names_future(&p.elem, depth + 1),
        Type::Group(g) => names_future(&g.elem, depth + 1),
        Type::Path(p) => p.path.segments.last().is_some_and(|seg| {
            seg.ident == "BoxFuture"
                || seg.ident == "LocalBoxFuture"
                || ((seg.ident == "Pin" || seg.ident == "Box") && match &seg.arguments {
                    PathArguments::AngleBracketed(a) => a.args.iter().any(
                        |arg| matches!(arg, GenericArgument::Type(t) if names_future(t, depth + 1)),
                    ),
                    _ => false,
                })
        }),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(name: &str, arity: usize) -> FnKey {
        FnKey {
            name: name.into(),
            arity,
            is_method: false,
        }
    }

    #[test]
    fn ambiguous_names_are_not_async() {
        let mut idx = CrateIndex::default();
        idx.add(FnEntry {
            key: key("save", 1),
            is_async: true,
        });
        assert_eq!(idx.lookup(&key("save", 1)), Asyncness::Async);
        assert_eq!(idx.lookup(&key("save", 2)), Asyncness::Unknown);
        idx.add(FnEntry {
            key: key("save", 1),
            is_async: false,
        });
        assert_eq!(idx.lookup(&key("save", 1)), Asyncness::Ambiguous);
    }

    #[test]
    fn future_returning_signatures() {
        let sig: syn::Signature =
            syn::parse_str("fn f(x: u8) -> impl std::future::Future<Output = ()>").unwrap();
        assert!(returns_future(&sig.output));
        let sig: syn::Signature =
            syn::parse_str("fn f() -> Pin<Box<dyn Future<Output = u8> + Send>>").unwrap();
        assert!(returns_future(&sig.output));
        let sig: syn::Signature = syn::parse_str("fn f() -> Vec<u8>").unwrap();
        assert!(!returns_future(&sig.output));
        let sig: syn::Signature =
            syn::parse_str("fn f(&mut self) -> &mut Pin<Box<dyn Future<Output = ()>>>").unwrap();
        assert!(!returns_future(&sig.output));
    }
}
