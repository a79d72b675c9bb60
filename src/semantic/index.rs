//! The crate-wide index of functions, built from every checked file.
//!
//! Each file contributes the fns it defines (free fns and methods, by name and
//! arity, async or not) and the calls it makes (by the same key, under a deadline or
//! not). Checks that need to know whether a callee is async, or whether every caller
//! bounds a fn, record a [`Deferred`] diagnostic during the walk; the engine keeps it
//! only if the merged index answers the question the way the rule asked.

use super::scope::Frame;
use super::Cx;
use crate::diagnostic::Diagnostic;
use std::collections::{HashMap, HashSet};

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

/// How often a fn is called under a deadline (an argument of `timeout(..)`, ...) and
/// without one.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CallCounts {
    pub bounded: u32,
    pub unbounded: u32,
}

#[derive(Default, Debug)]
pub struct CrateIndex {
    fns: HashMap<FnKey, (u32, u32)>,
    calls: HashMap<FnKey, CallCounts>,
    /// Names passed somewhere as plain values (`Box::new(establish)`).
    values: HashSet<String>,
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

    pub fn add_calls(&mut self, key: FnKey, counts: CallCounts) {
        let slot = self.calls.entry(key).or_default();
        slot.bounded += counts.bounded;
        slot.unbounded += counts.unbounded;
    }

    /// Whether the fn is called somewhere and every call of it is under a deadline.
    pub fn always_bounded(&self, key: &FnKey) -> bool {
        self.calls
            .get(key)
            .is_some_and(|c| c.bounded > 0 && c.unbounded == 0)
    }

    pub fn add_value(&mut self, name: String) {
        self.values.insert(name);
    }

    /// Whether a name is passed somewhere as a value: a fn handed to other code (a
    /// pool's connection callback, a router), which calls it where the syntax does
    /// not show.
    pub fn passed_as_value(&self, name: &str) -> bool {
        self.values.contains(name)
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
    /// Keep the diagnostic unless every call of the fn in the crate is under a
    /// deadline (the callers bound it).
    NotAlwaysBounded(FnKey),
    /// The same, and keep it only if the fn is not handed to other code as a value
    /// either (a sync fn returning a boxed future, given to a pool as its callback).
    NotBoundedNorHandedOff(FnKey),
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
            IndexQuery::NotAlwaysBounded(key) => !index.always_bounded(key),
            IndexQuery::NotBoundedNorHandedOff(key) => {
                !index.always_bounded(key) && !index.passed_as_value(&key.name)
            }
        }
    }
}

/// Reports `d`, about a missing deadline, unless the code it points at is the future a
/// fn returns and every caller in the crate bounds that fn: then the deadline is
/// there. For a sync fn that returns an async block, being handed to other code as a
/// value counts too: that is the shape of a callback a pool runs under its own
/// timeout. (An `async fn` handed off is usually a handler or a task: still reported.)
pub fn report_unless_callers_bound(cx: &mut Cx, d: Diagnostic) {
    let frames = cx.context.frames();
    let query = match cx.enclosing_fn {
        Some(f) if frames.ends_with(&[Frame::AsyncFn]) => {
            IndexQuery::NotAlwaysBounded(f.key.clone())
        }
        Some(f) if f.is_async && frames.ends_with(&[Frame::SyncFn, Frame::AsyncBlock]) => {
            IndexQuery::NotBoundedNorHandedOff(f.key.clone())
        }
        _ => return cx.report(d),
    };
    cx.report_if(query, d);
}

/// Whether a return type names a future (`impl Future<..>`, `BoxFuture`, `Pin<Box<dyn Future>>`).
pub fn returns_future(output: &syn::ReturnType) -> bool {
    let syn::ReturnType::Type(_, ty) = output else {
        return false;
    };
    fn mentions(ts: proc_macro2::TokenStream) -> bool {
        ts.into_iter().any(|tt| match tt {
            proc_macro2::TokenTree::Ident(i) => {
                i == "Future" || i == "BoxFuture" || i == "LocalBoxFuture"
            }
            proc_macro2::TokenTree::Group(g) => mentions(g.stream()),
            _ => false,
        })
    }
    mentions(quote::ToTokens::to_token_stream(ty))
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
    fn a_fn_is_always_bounded_only_when_every_call_is() {
        let mut idx = CrateIndex::default();
        assert!(!idx.always_bounded(&key("fetch", 1)));
        let bounded = CallCounts {
            bounded: 2,
            unbounded: 0,
        };
        idx.add_calls(key("fetch", 1), bounded);
        assert!(idx.always_bounded(&key("fetch", 1)));
        idx.add_calls(
            key("fetch", 1),
            CallCounts {
                bounded: 0,
                unbounded: 1,
            },
        );
        assert!(!idx.always_bounded(&key("fetch", 1)));
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
    }
}
