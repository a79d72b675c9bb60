//! A spawned task's handle handed to something that waits for it (a `timeout`, a
//! `select!` branch): which tasks, under which name, and whether it is only lent.

use super::chain::{self, path_ident, strip};
use super::handles::SpawnedHandles;
use super::Cx;
use crate::source::TextRange;
use syn::visit::{self, Visit};
use syn::{Block, Expr};

/// A handle argument: where its tasks were spawned (none for a parameter), its local
/// name, and whether it is lent (`&mut h`) and so still exists afterwards.
#[derive(Debug, Clone)]
pub struct WaitedHandle {
    pub spawns: Vec<TextRange>,
    pub name: Option<String>,
    pub lent: bool,
}

impl SpawnedHandles {
    /// The handle `e` hands over: a handle local or a spawn call (through `&mut`),
    /// handles wrapped in a call or a chain (`join_all(handles)`), an `async` block
    /// that awaits a handle local, or a parameter declared as a `JoinHandle`.
    pub fn waited_handle(&self, cx: &Cx, e: &Expr) -> Option<WaitedHandle> {
        let (inner, lent) = match strip(e) {
            Expr::Reference(r) if r.mutability.is_some() => (strip(&r.expr), true),
            e => (e, false),
        };
        let name = chain::receiver_ident(chain::chain(inner).root).map(|i| i.to_string());
        if let Some(spawns) = self.handle_arg(cx, inner) {
            return Some(WaitedHandle { spawns, name, lent });
        }
        // `async move { h.await }` over a handle local.
        if let Expr::Async(a) = inner {
            let h = handle_mention(&a.block, |n| self.holds_handles(n))?;
            let spawns = self.handle_arg(cx, h)?;
            let name = path_ident(h).map(|i| i.to_string());
            return Some(WaitedHandle {
                spawns,
                name,
                lent: false,
            });
        }
        let local = path_ident(inner)?.to_string();
        let ty = cx.binding(&local)?.ty.as_deref()?;
        ty.ends_with("JoinHandle").then_some(WaitedHandle {
            spawns: Vec::new(),
            name: Some(local),
            lent,
        })
    }
}

/// The first mention in `block` of a local that `holds` says is a handle.
fn handle_mention(block: &Block, holds: impl Fn(&str) -> bool) -> Option<&Expr> {
    struct H<'a, F> {
        holds: F,
        found: Option<&'a Expr>,
    }
    impl<'a, F: Fn(&str) -> bool> Visit<'a> for H<'a, F> {
        fn visit_expr(&mut self, e: &'a Expr) {
            if self.found.is_some() {
                return;
            }
            match path_ident(e) {
                Some(i) if (self.holds)(&i.to_string()) => self.found = Some(e),
                _ => visit::visit_expr(self, e),
            }
        }
        fn visit_item(&mut self, _: &'a syn::Item) {}
    }
    let mut h = H { holds, found: None };
    h.visit_block(block);
    h.found
}
