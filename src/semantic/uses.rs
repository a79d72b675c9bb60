//! How a local is used after its declaration: every mention of it, and the method
//! calls made on it, with whether each may run more than once (inside a loop, or a
//! closure that an iterator or another callee may call repeatedly).

use super::chain::{path_ident, strip};
use super::macros::{parse_body, MacroBody};
use syn::visit::{self, Visit};
use syn::{Expr, Stmt};

/// The uses of one local in a run of statements.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct LocalUses {
    /// Every mention of the name as a value, method receivers included.
    pub mentions: usize,
    /// Method calls made directly on the local: `(method, may_repeat)`.
    pub calls: Vec<(String, bool)>,
    /// Mentions as the single argument of `drop(..)`.
    pub drops: usize,
    /// Whether the name appears inside a macro body the analysis cannot read.
    pub in_opaque_macro: bool,
}

/// Calls whose closure argument runs once, on another thread or task.
const RUN_ONCE: &[&str] = &["spawn", "spawn_blocking", "spawn_local", "block_in_place"];

/// The uses of `name` in `stmts` (the statements after its declaration).
pub fn local_uses(stmts: &[Stmt], name: &str) -> LocalUses {
    let mut u = U {
        name,
        repeat: 0,
        once_closure: false,
        out: LocalUses::default(),
    };
    for s in stmts {
        u.visit_stmt(s);
    }
    u.out
}

struct U<'n> {
    name: &'n str,
    /// How many loops or repeatable closures enclose this point.
    repeat: usize,
    /// The closure about to be visited is the argument of a run-once call.
    once_closure: bool,
    out: LocalUses,
}

impl U<'_> {
    fn is_name(&self, e: &Expr) -> bool {
        path_ident(e).is_some_and(|i| i == self.name)
    }

    fn repeated(&mut self, f: impl FnOnce(&mut Self)) {
        self.repeat += 1;
        f(self);
        self.repeat -= 1;
    }

    fn args<'a>(&mut self, once: bool, args: impl Iterator<Item = &'a Expr>) {
        for a in args {
            self.once_closure = once && matches!(strip(a), Expr::Closure(_));
            self.visit_expr(a);
            self.once_closure = false;
        }
    }
}

fn callee_name(e: &Expr) -> Option<String> {
    match strip(e) {
        Expr::Path(p) => p.path.segments.last().map(|s| s.ident.to_string()),
        _ => None,
    }
}

impl<'ast> Visit<'ast> for U<'_> {
    fn visit_expr(&mut self, e: &'ast Expr) {
        stacker::maybe_grow(64 * 1024, 1024 * 1024, || match e {
            Expr::Path(_) if self.is_name(e) => self.out.mentions += 1,
            Expr::MethodCall(m) => {
                if self.is_name(&m.receiver) {
                    self.out.mentions += 1;
                    self.out.calls.push((m.method.to_string(), self.repeat > 0));
                } else {
                    self.visit_expr(&m.receiver);
                }
                let once = RUN_ONCE.iter().any(|n| m.method == n);
                self.args(once, m.args.iter());
            }
            Expr::Call(c) => {
                let callee = callee_name(&c.func);
                if callee.as_deref() == Some("drop") && c.args.len() == 1 {
                    if let Some(a) = c.args.first() {
                        if self.is_name(a) {
                            self.out.drops += 1;
                        }
                    }
                }
                self.visit_expr(&c.func);
                let once = callee.is_some_and(|n| RUN_ONCE.contains(&n.as_str()));
                self.args(once, c.args.iter());
            }
            Expr::Closure(c) => {
                if std::mem::take(&mut self.once_closure) {
                    self.visit_expr(&c.body);
                } else {
                    self.repeated(|u| u.visit_expr(&c.body));
                }
            }
            Expr::ForLoop(f) => {
                self.visit_expr(&f.expr);
                self.repeated(|u| u.visit_block(&f.body));
            }
            Expr::While(w) => self.repeated(|u| {
                u.visit_expr(&w.cond);
                u.visit_block(&w.body);
            }),
            Expr::Loop(l) => self.repeated(|u| u.visit_block(&l.body)),
            _ => visit::visit_expr(self, e),
        })
    }

    /// `let _ = name;` drops the value, as `drop(name)` does.
    fn visit_local(&mut self, l: &'ast syn::Local) {
        if let (syn::Pat::Wild(_), Some(init)) = (&l.pat, &l.init) {
            if self.is_name(&init.expr) && init.diverge.is_none() {
                self.out.drops += 1;
            }
        }
        visit::visit_local(self, l);
    }

    fn visit_macro(&mut self, m: &'ast syn::Macro) {
        match &*parse_body(m) {
            MacroBody::Exprs(exprs) => exprs.iter().for_each(|e| self.visit_expr(e)),
            select @ MacroBody::Select(_) => {
                self.repeated(|u| select.code().for_each(|e| u.visit_expr(e)))
            }
            MacroBody::Opaque => {
                let text = m.tokens.to_string();
                if text
                    .split(|c: char| !c.is_alphanumeric() && c != '_')
                    .any(|w| w == self.name)
                {
                    self.out.in_opaque_macro = true;
                    self.out.mentions += 1;
                }
            }
        }
    }

    fn visit_item(&mut self, _: &'ast syn::Item) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    fn uses(src: &str) -> LocalUses {
        let b: syn::Block = syn::parse_str(src).unwrap();
        local_uses(&b.stmts, "tx")
    }

    #[test]
    fn counts_calls_and_repetition() {
        let u = uses("{ std::thread::spawn(move || { tx.send(1).unwrap(); }); }");
        assert_eq!(u.calls, [("send".to_string(), false)]);
        assert_eq!(u.mentions, 1);
        let u = uses("{ for x in xs { tx.send(x); } items.iter().for_each(|i| tx.send(i)); }");
        assert_eq!(
            u.calls,
            [("send".to_string(), true), ("send".to_string(), true)]
        );
        let u = uses("{ let t2 = tx.clone(); worker(tx); drop(tx); }");
        assert_eq!((u.mentions, u.drops), (3, 1));
        let u = uses("{ tokio::spawn(async move { let _ = tx.send(v); }); }");
        assert_eq!(u.calls, [("send".to_string(), false)]);
    }
}
