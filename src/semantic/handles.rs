//! Locals that hold spawned tasks' handles, followed through one fn body in source
//! order: `let h = tokio::spawn(..)`, a `Vec` collected from spawns or filled with
//! `handles.push(tokio::spawn(..))`, a `vec!`/array of spawns, a local closure that
//! returns a spawn's handle. Only spawns whose dropped handle detaches the task count
//! (tokio, async-std, actix); smol's tasks are cancelled on drop.

use super::body::pattern_names;
use super::chain::{self, strip};
use super::macros::{parse_body, MacroBody};
use super::tasks::{spawn_call, spawn_fn_kind, SpawnKind};
use super::Cx;
use crate::source::TextRange;
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use syn::{Expr, Local, Stmt};

/// Adapters whose closure produces the elements of an iterator.
const ELEMENT_ADAPTERS: &[&str] = &["map", "flat_map", "filter_map"];

/// What a walk over one fn body has learned about handles so far. Feed it every
/// `let` (after its initializer was walked) and every method call, in source order.
#[derive(Default, Debug)]
pub struct SpawnedHandles {
    /// Local name -> where the tasks it holds were spawned.
    handles: HashMap<String, Vec<TextRange>>,
    /// Local closures that return a spawned task's handle -> where they spawn it.
    spawners: HashMap<String, Vec<TextRange>>,
    /// Whether the body calls `.abort()` (or `abort_all`, ..) on anything.
    pub aborts: bool,
}

impl SpawnedHandles {
    /// A `let`: its names no longer hold what they held; a single name bound to
    /// handles (or to a closure returning one) is recorded.
    pub fn bind_local(&mut self, cx: &Cx, l: &Local) {
        let mut names = HashSet::default();
        pattern_names(&l.pat, &mut names);
        for n in &names {
            self.handles.remove(n);
            self.spawners.remove(n);
        }
        let Some(init) = l.init.as_ref().filter(|i| i.diverge.is_none()) else {
            return;
        };
        let Some(name) = super::body::single_binding(&l.pat) else {
            return;
        };
        if matches!(strip(&init.expr), Expr::Closure(_)) {
            if let Some(spawns) = self.yields_spawn(cx, &init.expr) {
                self.spawners.insert(name, spawns);
            }
        } else if let Some(spawns) = self.spawned_by(cx, &init.expr) {
            self.handles.insert(name, spawns);
        }
    }

    /// Whether the local `name` holds spawned tasks' handles here.
    pub fn holds_handles(&self, name: &str) -> bool {
        self.handles.contains_key(name)
    }

    /// `handles.push(tokio::spawn(..))`, `handles.extend(ids.map(|id| tokio::spawn(..)))`,
    /// `h.abort()`.
    pub fn method_call(&mut self, cx: &Cx, m: &syn::ExprMethodCall) {
        let method = m.method.to_string();
        if method.starts_with("abort") {
            self.aborts = true;
        }
        if matches!(method.as_str(), "push" | "push_back" | "extend") && m.args.len() == 1 {
            let Some(name) = chain::path_ident(&m.receiver).map(|i| i.to_string()) else {
                return;
            };
            // `running.push((job.id, tokio::spawn(..)))`: a handle paired with a key.
            let spawns = m.args.first().and_then(|a| match strip(a) {
                Expr::Tuple(t) => t.elems.iter().find_map(|e| self.spawned_by(cx, e)),
                a => self.spawned_by(cx, a),
            });
            if let Some(spawns) = spawns {
                self.handles.entry(name).or_default().extend(spawns);
            }
        }
    }

    /// The spawns whose handles `e` yields: a spawn call, a handle local, an array or
    /// `vec!` of them, an iterator chain mapping items to spawns or over a collection
    /// of handles.
    pub fn spawned_by(&self, cx: &Cx, e: &Expr) -> Option<Vec<TextRange>> {
        let e = strip(e);
        if let Some(s) = spawn_call(cx, e) {
            return (s.kind == SpawnKind::Detaches).then(|| vec![cx.range(e)]);
        }
        match e {
            Expr::Path(_) => {
                let name = chain::path_ident(e)?.to_string();
                self.handles.get(&name).cloned()
            }
            Expr::Array(a) => self.all_spawned(cx, a.elems.iter()),
            Expr::Macro(m) if m.mac.path.is_ident("vec") => match &*parse_body(&m.mac) {
                MacroBody::Exprs(elems) => self.all_spawned(cx, elems.iter()),
                _ => None,
            },
            Expr::MethodCall(_) => {
                let c = chain::chain(e);
                let from_root = self.handle_local(c.root);
                let mapped = c.methods.iter().find_map(|m| {
                    let adapter = ELEMENT_ADAPTERS.iter().any(|n| m.method == n);
                    match m.args.first() {
                        Some(arg) if adapter && m.args.len() == 1 => self.yields_spawn(cx, arg),
                        _ => None,
                    }
                });
                mapped.or(from_root)
            }
            _ => None,
        }
    }

    fn all_spawned<'e>(
        &self,
        cx: &Cx,
        elems: impl Iterator<Item = &'e Expr>,
    ) -> Option<Vec<TextRange>> {
        let mut out = Vec::new();
        for e in elems {
            out.extend(self.spawned_by(cx, e)?);
        }
        (!out.is_empty()).then_some(out)
    }

    /// `|id| tokio::spawn(..)`, `|id| { ..; tokio::spawn(..) }`, `|id| (id,
    /// tokio::spawn(..))`, `tokio::spawn`.
    fn yields_spawn(&self, cx: &Cx, arg: &Expr) -> Option<Vec<TextRange>> {
        match strip(arg) {
            Expr::Closure(c) => {
                let value = match strip(&c.body) {
                    Expr::Block(b) => match b.block.stmts.last() {
                        Some(Stmt::Expr(e, None)) => e,
                        _ => return None,
                    },
                    e => e,
                };
                // `|host| (host.clone(), tokio::spawn(..))`: a handle paired with a key.
                let value = match strip(value) {
                    Expr::Tuple(t) => t.elems.iter().find(|e| spawn_call(cx, e).is_some())?,
                    v => v,
                };
                let s = spawn_call(cx, value)?;
                (s.kind == SpawnKind::Detaches).then(|| vec![cx.range(strip(value))])
            }
            Expr::Path(p) => {
                if let Some(local) = p.path.get_ident() {
                    if let Some(spawns) = self.spawners.get(&local.to_string()) {
                        return Some(spawns.clone());
                    }
                }
                let kind = spawn_fn_kind(&cx.resolve(&p.path)?)?;
                (kind == SpawnKind::Detaches).then(|| vec![cx.range(strip(arg))])
            }
            _ => None,
        }
    }

    /// A local holding handles, seen through `&`, `&mut` and `*`.
    fn handle_local(&self, e: &Expr) -> Option<Vec<TextRange>> {
        let name = chain::receiver_ident(e)?.to_string();
        self.handles.get(&name).cloned()
    }

    /// An argument of a fail-fast join that is (or wraps) spawned tasks' handles:
    /// `handles`, `handles.into_iter().map(..)`, `h1`, `flatten(h1)`, `&mut h1`.
    pub fn handle_arg(&self, cx: &Cx, arg: &Expr) -> Option<Vec<TextRange>> {
        if cx.text(arg).to_lowercase().contains("abort") {
            return None;
        }
        if let Some(found) = self.spawned_by(cx, arg).or_else(|| self.handle_local(arg)) {
            return Some(found);
        }
        let c = chain::chain(arg);
        if let Some(found) = self.handle_local(c.root) {
            return Some(found);
        }
        match strip(c.root) {
            Expr::Call(call) => call.args.iter().find_map(|a| self.handle_local(a)),
            _ => None,
        }
    }
}
