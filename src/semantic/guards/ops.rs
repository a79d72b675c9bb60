//! What a body does through its guards, and the critical sections of its async locks.

use super::lifetimes::{expr_range, release_point};
use super::Acquisition;
use crate::semantic::body::single_binding;
use crate::semantic::chain::{self, strip};
use crate::semantic::FileInfo;
use crate::source::TextRange;
use syn::visit::{self, Visit};
use syn::{Block, Expr, Stmt};

/// One operation performed through a guard: a method called on it (or on a field of
/// the locked value), or an assignment through it.
#[derive(Debug, Clone)]
pub struct GuardOp {
    /// The method call or assignment.
    pub range: TextRange,
    /// The method called (`contains_key`), or `=` for an assignment through the guard
    /// (`*g = v`, `g.conn = v`, `*m.lock().unwrap() += 1`).
    pub method: String,
    /// The fields between the guard and the operation: `""` for `g.insert(..)`,
    /// `".pending"` for `g.pending.insert(..)`.
    pub path: String,
    /// The acquisition of the guard, an index into what [`acquisitions`] returned.
    pub acquisition: usize,
    /// The method called on the operation's result (`or_insert` after `entry(k)`).
    pub then: Option<String>,
}

/// The operations performed through the guards `acqs` found in `body` (in sync
/// closures too), in source order of their ends.
pub fn guard_ops(file: &FileInfo, body: &Block, acqs: &[Acquisition]) -> Vec<GuardOp> {
    struct V<'a> {
        file: &'a FileInfo<'a>,
        acqs: &'a [Acquisition],
        out: Vec<GuardOp>,
    }
    impl V<'_> {
        /// The acquisition and field path a place or receiver goes through.
        fn guard_place(&self, e: &Expr, at: usize) -> Option<(usize, String)> {
            match strip(e) {
                Expr::Field(f) => {
                    let (i, path) = self.guard_place(&f.base, at)?;
                    let member = match &f.member {
                        syn::Member::Named(n) => n.to_string(),
                        syn::Member::Unnamed(i) => i.index.to_string(),
                    };
                    Some((i, format!("{path}.{member}")))
                }
                Expr::Index(i) => self.guard_place(&i.expr, at),
                Expr::Unary(u) if matches!(u.op, syn::UnOp::Deref(_)) => {
                    self.guard_place(&u.expr, at)
                }
                Expr::Reference(r) => self.guard_place(&r.expr, at),
                Expr::Path(_) => {
                    let name = chain::path_ident(e)?.to_string();
                    let i = self.acqs.iter().position(|a| {
                        a.binding.as_deref() == Some(name.as_str())
                            && a.held_from <= at
                            && at < a.held_until
                    })?;
                    Some((i, String::new()))
                }
                e => {
                    let range = expr_range(self.file, e);
                    let i = self
                        .acqs
                        .iter()
                        .position(|a| a.binding.is_none() && a.range == range)?;
                    Some((i, String::new()))
                }
            }
        }

        fn push(&mut self, e: &Expr, place: &Expr, method: String) {
            let range = expr_range(self.file, e);
            if let Some((acquisition, path)) = self.guard_place(place, range.start) {
                self.out.push(GuardOp {
                    range,
                    method,
                    path,
                    acquisition,
                    then: None,
                });
            }
        }
    }
    impl<'ast> Visit<'ast> for V<'_> {
        fn visit_expr(&mut self, e: &'ast Expr) {
            stacker::maybe_grow(64 * 1024, 1024 * 1024, || match e {
                Expr::Async(_) => {}
                Expr::Closure(c) if c.asyncness.is_some() => {}
                Expr::MethodCall(m) => {
                    visit::visit_expr_method_call(self, m);
                    let inner = expr_range(self.file, &m.receiver);
                    if let Some(op) = self.out.last_mut().filter(|op| op.range == inner) {
                        op.then.get_or_insert_with(|| m.method.to_string());
                    }
                    self.push(e, &m.receiver, m.method.to_string());
                }
                Expr::Assign(a) => {
                    visit::visit_expr_assign(self, a);
                    self.push(e, &a.left, "=".to_string());
                }
                Expr::Binary(b) if crate::semantic::body::is_compound_assign(&b.op) => {
                    visit::visit_expr_binary(self, b);
                    self.push(e, &b.left, "=".to_string());
                }
                _ => visit::visit_expr(self, e),
            })
        }
        fn visit_item(&mut self, _: &'ast syn::Item) {}
    }
    let mut v = V {
        file,
        acqs,
        out: Vec::new(),
    };
    v.visit_block(body);
    v.out
}

/// The spans during which `body` holds an async lock it bound with `let`
/// (`let g = m.lock().await;`, also `.read()`/`.write()`/`*_owned()`, semaphore
/// permits, awaited helpers named after a lock such as `exclusive_lock(..)`, with `?`
/// or `.unwrap()` after the await): critical sections that may span `.await`s.
pub fn async_critical_sections(file: &FileInfo, body: &Block) -> Vec<TextRange> {
    struct V<'a> {
        file: &'a FileInfo<'a>,
        out: Vec<TextRange>,
    }
    impl<'ast> Visit<'ast> for V<'_> {
        fn visit_block(&mut self, b: &'ast Block) {
            let block_end = self.file.end_of(b.brace_token.span.close());
            for (i, stmt) in b.stmts.iter().enumerate() {
                if let Stmt::Local(local) = stmt {
                    let name = single_binding(&local.pat);
                    let init = local.init.as_ref().map(|init| &*init.expr);
                    if let (Some(name), Some(_)) = (name, init.filter(|e| is_async_lock(e))) {
                        let start = self.file.end_of(local.semi_token.span);
                        let (until, _) =
                            release_point(self.file, &b.stmts[i + 1..], &name, block_end);
                        self.out.push(TextRange::new(start, until));
                    }
                }
                self.visit_stmt(stmt);
            }
        }
        fn visit_expr(&mut self, e: &'ast Expr) {
            stacker::maybe_grow(64 * 1024, 1024 * 1024, || match e {
                Expr::Async(_) => {}
                Expr::Closure(c) if c.asyncness.is_some() => {}
                _ => visit::visit_expr(self, e),
            })
        }
        fn visit_item(&mut self, _: &'ast syn::Item) {}
    }
    fn is_async_lock(e: &Expr) -> bool {
        match strip(e) {
            Expr::Try(t) => is_async_lock(&t.expr),
            Expr::MethodCall(m) if m.method == "unwrap" || m.method == "expect" => {
                is_async_lock(&m.receiver)
            }
            Expr::Await(a) => {
                let name = match strip(&a.base) {
                    Expr::MethodCall(m) => m.method.to_string(),
                    call => match chain::call_path(call).and_then(|p| p.segments.last()) {
                        Some(last) => last.ident.to_string(),
                        None => return false,
                    },
                };
                is_lock_name(&name)
            }
            _ => false,
        }
    }
    /// `lock`, `read`, `write`, `*_owned`, `acquire*` (a permit), and helpers named
    /// after a lock: `exclusive_lock`, `lock_tenant`.
    fn is_lock_name(name: &str) -> bool {
        let name = name.strip_suffix("_owned").unwrap_or(name);
        matches!(name, "read" | "write" | "upgradable_read")
            || name.starts_with("acquire")
            || name.split('_').any(|w| w == "lock" || w == "locked")
    }
    let mut v = V {
        file,
        out: Vec::new(),
    };
    v.visit_block(body);
    v.out
}

/// Whether a fn is handed a lock guard or permit by its caller (`node_lock:
/// &ExclusiveGuard<Op>`, `_permit: OwnedSemaphorePermit`): its whole body then runs
/// inside the caller's critical section.
pub fn takes_guard(sig: &syn::Signature) -> bool {
    fn is_guard(ty: &syn::Type) -> bool {
        match ty {
            syn::Type::Reference(r) => is_guard(&r.elem),
            syn::Type::Paren(p) => is_guard(&p.elem),
            syn::Type::Path(p) => p.path.segments.last().is_some_and(|s| {
                let name = s.ident.to_string();
                name.ends_with("Guard") || name.ends_with("Permit")
            }),
            _ => false,
        }
    }
    sig.inputs
        .iter()
        .any(|arg| matches!(arg, syn::FnArg::Typed(t) if is_guard(&t.ty)))
}
