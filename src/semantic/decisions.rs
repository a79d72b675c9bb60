//! Where a body decides what to do next: conditions, scrutinees, match guards,
//! `let .. else` initializers, `for` loop sources, the closures of selecting iterator
//! adapters (`filter`, `any`, `find`, ..), and `let`s whose names a later decision
//! reads. A read that feeds one of them is a decision; a read that is only logged is
//! not. Nested async blocks, async closures and fns are bodies of their own; sync
//! closures are included. `while` conditions are not counted (polling loops re-check).
//! It also knows the alternatives of each `if`/`else` and `match`, to tell code that
//! no single run reaches twice.

use super::body::{pattern_names, NameUses};
use super::{FileInfo, NodeRange};
use crate::source::TextRange;
use rustc_hash::FxHashSet as HashSet;
use syn::visit::{self, Visit};
use syn::{Block, Expr};

/// Iterator adapters whose closure decides what is kept or found.
pub const SELECTORS: &[&str] = &[
    "filter",
    "filter_map",
    "retain",
    "partition",
    "any",
    "all",
    "find",
    "position",
];

#[derive(Default)]
pub struct Decisions {
    /// Decision expressions and the names they read.
    sites: Vec<(TextRange, NameUses)>,
    /// `let` initializers and the names they bind.
    lets: Vec<(TextRange, HashSet<String>)>,
    /// The alternatives of each `if`/`else` and `match`: at most one of them runs.
    branches: Vec<Vec<TextRange>>,
}

impl Decisions {
    pub fn of_body(file: &FileInfo, body: &Block) -> Self {
        let mut v = V {
            file,
            out: Decisions::default(),
        };
        v.visit_block(body);
        v.out
    }

    /// Whether the code at `r` feeds a decision: it sits in one, or in a `let` whose
    /// names a later decision reads.
    pub fn decides(&self, r: TextRange) -> bool {
        let inside = |outer: &TextRange| outer.encloses(r);
        self.sites.iter().any(|(d, _)| inside(d))
            || self.lets.iter().any(|(init, names)| {
                inside(init)
                    && self.sites.iter().any(|(d, uses)| {
                        d.start > init.end && names.iter().any(|n| uses.reads.contains(n))
                    })
            })
    }

    /// Whether offsets `a` and `b` lie in different alternatives of one `if`/`else`
    /// or `match`, so no single run reaches both.
    pub fn exclusive(&self, a: usize, b: usize) -> bool {
        let within = |r: &TextRange, at: usize| r.start <= at && at < r.end;
        self.branches.iter().any(|alts| {
            let ia = alts.iter().position(|r| within(r, a));
            let ib = alts.iter().position(|r| within(r, b));
            matches!((ia, ib), (Some(x), Some(y)) if x != y)
        })
    }
}

struct V<'f> {
    file: &'f FileInfo<'f>,
    out: Decisions,
}

impl V<'_> {
    fn site(&mut self, e: &Expr) {
        let r = e.text_range(self.file);
        self.out.sites.push((r, NameUses::of_expr(e)));
    }
}

impl<'ast> Visit<'ast> for V<'_> {
    fn visit_expr(&mut self, e: &'ast Expr) {
        stacker::maybe_grow(64 * 1024, 1024 * 1024, || {
            match e {
                Expr::Async(_) => return,
                Expr::Closure(c) if c.asyncness.is_some() => return,
                Expr::If(i) => {
                    self.site(&i.cond);
                    if let Some((_, els)) = &i.else_branch {
                        let then = self.file.range(i.then_branch.brace_token.span.join());
                        self.out
                            .branches
                            .push(vec![then, els.text_range(self.file)]);
                    }
                }
                Expr::Match(m) => {
                    self.site(&m.expr);
                    for arm in &m.arms {
                        if let syn::Pat::Guard(g) = &arm.pat {
                            self.site(&g.guard);
                        }
                    }
                    let arms = m.arms.iter().map(|a| a.body.text_range(self.file));
                    self.out.branches.push(arms.collect());
                }
                Expr::ForLoop(f) => self.site(&f.expr),
                Expr::MethodCall(m) if SELECTORS.iter().any(|s| m.method == s) => {
                    for arg in &m.args {
                        self.site(arg);
                    }
                }
                _ => {}
            }
            visit::visit_expr(self, e);
        })
    }

    fn visit_local(&mut self, l: &'ast syn::Local) {
        if let Some(init) = &l.init {
            let mut names = HashSet::default();
            pattern_names(&l.pat, &mut names);
            self.out.lets.push((init.expr.text_range(self.file), names));
            if init.diverge.is_some() {
                // `let Some(v) = .. else { .. }` decides.
                self.site(&init.expr);
            }
        }
        visit::visit_local(self, l);
    }

    fn visit_item(&mut self, _: &'ast syn::Item) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conditions_selectors_and_lets_read_by_a_condition_decide() {
        let src = "async fn f() { if a.is_empty() {} let n = b.len(); log(n); \
                   let hit = c.get(&k).cloned(); if let Some(h) = hit {} \
                   let m: Vec<_> = ids.iter().filter(|i| !d.contains(i)).collect(); \
                   while e.is_empty() {} }";
        let file: syn::File = syn::parse_str(src).unwrap();
        let info = FileInfo::new("t.rs", src, &file);
        let syn::Item::Fn(f) = &file.items[0] else {
            panic!()
        };
        let d = Decisions::of_body(&info, &f.block);
        let at = |needle: &str| {
            let start = src.find(needle).unwrap();
            TextRange::new(start, start + needle.len())
        };
        assert!(d.decides(at("a.is_empty()")));
        assert!(!d.decides(at("b.len()")));
        assert!(d.decides(at("c.get(&k)")));
        assert!(d.decides(at("d.contains(i)")));
        assert!(!d.decides(at("e.is_empty()")));
    }

    #[test]
    fn alternatives_of_if_else_and_match_are_exclusive() {
        let src = "async fn f() { if a { x().await; } else { y(); } \
                   match b { Some(_) => z().await, None => w() } v(); }";
        let file: syn::File = syn::parse_str(src).unwrap();
        let info = FileInfo::new("t.rs", src, &file);
        let syn::Item::Fn(f) = &file.items[0] else {
            panic!()
        };
        let d = Decisions::of_body(&info, &f.block);
        let at = |needle: &str| src.find(needle).unwrap();
        assert!(d.exclusive(at("x()"), at("y()")));
        assert!(d.exclusive(at("z()"), at("w()")));
        assert!(!d.exclusive(at("x()"), at("v()")));
        assert!(!d.exclusive(at("z()"), at("v()")));
    }
}
