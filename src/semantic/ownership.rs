//! Whether a local still owns its value at a point of a fn body: it was not moved
//! (into a call, a `move` closure or `async move` block, a struct, another binding),
//! not dropped, and every use before the point only borrowed it (a method call, `&x`).

use super::chain::path_ident;
use super::guards::expr_range;
use super::macros::{parse_body, MacroBody};
use super::FileInfo;
use crate::source::TextRange;
use syn::visit::{self, Visit};
use syn::{Expr, Pat, Stmt};

/// What happened to a local in the statements before a point.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Borrows {
    /// `x.clone()` calls, in source order.
    pub clones: Vec<TextRange>,
    /// Other method calls on it (`x.send(v)`), in source order: `(range, method)`.
    pub calls: Vec<(TextRange, String)>,
}

/// How the local `name` is used in `stmts` before the offset `until`: `Some` with its
/// borrows when it still owns its value there; `None` when it may have been moved or
/// dropped (a use the analysis does not know, or a macro it cannot read, counts as a
/// move), or when a `let` in `stmts` itself shadows it (the original can no longer be
/// followed). Nested closures and async blocks are looked into: a `move` one that
/// mentions the name takes the value.
pub fn still_owned(file: &FileInfo, stmts: &[Stmt], name: &str, until: usize) -> Option<Borrows> {
    let mut o = Owner {
        file,
        name,
        until,
        shadowed: 0,
        moving: 0,
        moved: false,
        out: Borrows::default(),
    };
    for stmt in stmts {
        if o.moved || o.file.start_of(stmt_start(stmt)) >= until {
            break;
        }
        o.visit_stmt(stmt);
        if let Stmt::Local(l) = stmt {
            if binds(&l.pat, name) {
                // The original lives on, unnamed: it cannot be dropped any more, but
                // nothing here can say so with confidence.
                return None;
            }
        }
    }
    (!o.moved).then_some(o.out)
}

fn stmt_start(stmt: &Stmt) -> proc_macro2::Span {
    syn::spanned::Spanned::span(stmt)
}

struct Owner<'a> {
    file: &'a FileInfo<'a>,
    name: &'a str,
    until: usize,
    /// How many enclosing scopes bind the name to something else.
    shadowed: usize,
    /// How many enclosing `move` closures or `async move` blocks there are.
    moving: usize,
    moved: bool,
    out: Borrows,
}

impl Owner<'_> {
    fn is_name(&self, e: &Expr) -> bool {
        self.shadowed == 0 && path_ident(e).is_some_and(|i| i == self.name)
    }

    fn before(&self, e: &Expr) -> bool {
        expr_range(self.file, e).start < self.until
    }

    fn shadowing(&mut self, names: bool, f: impl FnOnce(&mut Self)) {
        self.shadowed += usize::from(names);
        f(self);
        self.shadowed -= usize::from(names);
    }
}

fn binds(pat: &Pat, name: &str) -> bool {
    let mut names = Default::default();
    super::body::pattern_names(pat, &mut names);
    names.contains(name)
}

impl<'ast> Visit<'ast> for Owner<'_> {
    fn visit_expr(&mut self, e: &'ast Expr) {
        if self.moved || !self.before(e) {
            return;
        }
        stacker::maybe_grow(64 * 1024, 1024 * 1024, || match e {
            // A bare mention: the value moves (into a call, a field, a binding).
            Expr::Path(_) if self.is_name(e) => self.moved = true,
            Expr::MethodCall(m) if self.is_name(&m.receiver) => {
                let method = m.method.to_string();
                if self.moving > 0 || method.starts_with("into_") {
                    self.moved = true;
                    return;
                }
                let range = expr_range(self.file, e);
                if method == "clone" {
                    self.out.clones.push(range);
                } else {
                    self.out.calls.push((range, method));
                }
                for a in &m.args {
                    self.visit_expr(a);
                }
            }
            Expr::Reference(r) if self.is_name(&r.expr) => {
                if self.moving > 0 {
                    self.moved = true;
                }
            }
            Expr::Closure(c) => {
                let params = c.inputs.iter().any(|p| binds(p, self.name));
                let moving = usize::from(c.capture.is_some());
                self.moving += moving;
                self.shadowing(params, |o| o.visit_expr(&c.body));
                self.moving -= moving;
            }
            Expr::Async(a) => {
                let moving = usize::from(a.capture.is_some());
                self.moving += moving;
                self.visit_block(&a.block);
                self.moving -= moving;
            }
            Expr::ForLoop(f) => {
                self.visit_expr(&f.expr);
                let names = binds(&f.pat, self.name);
                self.shadowing(names, |o| o.visit_block(&f.body));
            }
            _ => visit::visit_expr(self, e),
        })
    }

    fn visit_block(&mut self, b: &'ast syn::Block) {
        let mut shadows = 0;
        for stmt in &b.stmts {
            self.visit_stmt(stmt);
            if let Stmt::Local(l) = stmt {
                if self.shadowed == 0 && binds(&l.pat, self.name) {
                    shadows += 1;
                    self.shadowed += 1;
                }
            }
        }
        self.shadowed -= shadows;
    }

    fn visit_arm(&mut self, arm: &'ast syn::Arm) {
        let names = binds(&arm.pat, self.name);
        self.shadowing(names, |o| visit::visit_arm(o, arm));
    }

    fn visit_macro(&mut self, m: &'ast syn::Macro) {
        match &*parse_body(m) {
            MacroBody::Opaque => {
                if self.shadowed == 0 && super::futures::mentions_ident(m.tokens.clone(), self.name)
                {
                    self.moved = true;
                }
            }
            body => {
                for e in body.code() {
                    self.visit_expr(e);
                }
            }
        }
    }

    fn visit_item(&mut self, _: &'ast syn::Item) {}
}

/// Whether `name` is mentioned in `body` after the offset `at` (also in macros).
pub fn mentioned_after(file: &FileInfo, body: &syn::Block, name: &str, at: usize) -> bool {
    mentioned_within(file, body, name, at..usize::MAX)
}

/// The names mentioned in `body` at an offset in `within`, each once, in order (a
/// macro's names count when its opening delimiter is in range).
pub fn names_within(
    file: &FileInfo,
    body: &syn::Block,
    within: std::ops::Range<usize>,
) -> Vec<String> {
    struct N<'c, 'a> {
        file: &'c FileInfo<'a>,
        within: std::ops::Range<usize>,
        names: Vec<String>,
    }
    impl N<'_, '_> {
        fn add(&mut self, name: String) {
            if !self.names.contains(&name) {
                self.names.push(name);
            }
        }
        fn tokens(&mut self, ts: proc_macro2::TokenStream) {
            for t in ts {
                match t {
                    proc_macro2::TokenTree::Ident(i) => self.add(i.to_string()),
                    proc_macro2::TokenTree::Group(g) => self.tokens(g.stream()),
                    _ => {}
                }
            }
        }
    }
    impl<'ast> Visit<'ast> for N<'_, '_> {
        fn visit_ident(&mut self, i: &'ast proc_macro2::Ident) {
            if self.within.contains(&self.file.start_of(i.span())) {
                self.add(i.to_string());
            }
        }
        fn visit_macro(&mut self, m: &'ast syn::Macro) {
            if self
                .within
                .contains(&self.file.start_of(m.delimiter.span().open()))
            {
                self.tokens(m.tokens.clone());
            }
            visit::visit_macro(self, m);
        }
        fn visit_item(&mut self, _: &'ast syn::Item) {}
    }
    let mut n = N {
        file,
        within,
        names: Vec::new(),
    };
    n.visit_block(body);
    n.names
}

/// Whether `name` is mentioned in `body` at an offset in `within` (a macro counts when
/// its opening delimiter is in range).
pub fn mentioned_within(
    file: &FileInfo,
    body: &syn::Block,
    name: &str,
    within: std::ops::Range<usize>,
) -> bool {
    struct M<'c, 'a> {
        file: &'c FileInfo<'a>,
        name: &'c str,
        within: std::ops::Range<usize>,
        found: bool,
    }
    impl<'ast> Visit<'ast> for M<'_, '_> {
        fn visit_ident(&mut self, i: &'ast proc_macro2::Ident) {
            self.found |= i == self.name && self.within.contains(&self.file.start_of(i.span()));
        }
        fn visit_macro(&mut self, m: &'ast syn::Macro) {
            let inside = self
                .within
                .contains(&self.file.start_of(m.delimiter.span().open()));
            self.found |= inside && super::futures::mentions_ident(m.tokens.clone(), self.name);
            visit::visit_macro(self, m);
        }
        fn visit_item(&mut self, _: &'ast syn::Item) {}
    }
    let mut m = M {
        file,
        name,
        within,
        found: false,
    };
    m.visit_block(body);
    m.found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_within_a_range_once_each_macros_included() {
        let src =
            "fn f() { let h = spawn(work(job, job.clone(), format!(\"{}\", token))); after(x); }";
        let file: syn::File = syn::parse_str(src).unwrap();
        let syn::Item::Fn(f) = &file.items[0] else {
            unreachable!()
        };
        let info = FileInfo::new("t.rs", src, &file);
        let (start, end) = (src.find("spawn").unwrap(), src.find("; after").unwrap());
        let names = names_within(&info, &f.block, start..end);
        assert_eq!(names, ["spawn", "work", "job", "clone", "token", "format"]);
        assert!(mentioned_within(&info, &f.block, "token", start..end));
        assert!(!mentioned_within(&info, &f.block, "x", start..end));
    }

    fn owned(src: &str) -> Option<(usize, Vec<String>)> {
        let file: syn::File = syn::parse_str(src).unwrap();
        let info = FileInfo::new("t.rs", src, &file);
        let syn::Item::Fn(f) = &file.items[0] else {
            panic!()
        };
        let until = src.find("LOOP").unwrap_or(src.len());
        still_owned(&info, &f.block.stmts, "tx", until).map(|b| {
            (
                b.clones.len(),
                b.calls.into_iter().map(|(_, m)| m).collect(),
            )
        })
    }

    #[test]
    fn clones_and_sends_borrow_and_moves_end_ownership() {
        let o = owned("fn f() { for i in 0..3 { let tx = tx.clone(); spawn(async move { tx.send(i).await }); } tx.send(9); LOOP; }");
        assert_eq!(o, Some((1, vec!["send".to_string()])));
        assert_eq!(owned("fn f() { spawn(producer(tx)); LOOP; }"), None);
        assert_eq!(owned("fn f() { drop(tx); LOOP; }"), None);
        assert_eq!(
            owned("fn f() { spawn(async move { tx.send(1).await }); LOOP; }"),
            None
        );
        assert_eq!(owned("fn f() { let s = S { tx }; LOOP; }"), None);
        assert_eq!(owned("fn f() { register(&tx); LOOP; }"), Some((0, vec![])));
        assert_eq!(owned("fn f() { LOOP; drop(tx); }"), Some((0, vec![])));
        assert_eq!(owned("fn f() { let tx = tx.clone(); LOOP; }"), None);
        assert_eq!(
            owned("fn f() { xs.iter().for_each(|x| { tx.send(*x); }); LOOP; }"),
            Some((0, vec!["send".to_string()]))
        );
        assert_eq!(
            owned("fn f() { thread::spawn(move || { let t = tx.clone(); }); LOOP; }"),
            None
        );
        assert_eq!(owned("fn f() { opaque!(tx); LOOP; }"), None);
    }
}
