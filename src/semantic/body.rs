//! Facts about a piece of a fn body, for rules that look at flow within one fn:
//! which locals it reads, writes, declares and borrows mutably; which `.await`s it
//! performs itself (not inside nested closures, async blocks or fns); which loops
//! exit early. Macro bodies the shared layer can parse are included.

use super::calls;
use super::chain::{self, strip};
use super::macros::{parse_body, MacroBody};
use quote::ToTokens;
use rustc_hash::FxHashSet as HashSet;
use syn::visit::{self, Visit};
use syn::{BinOp, Block, Expr, ExprAwait, Pat, Stmt};

/// How a piece of code uses local names (single-segment paths).
#[derive(Debug, Default, Clone)]
pub struct NameUses {
    /// Every name mentioned as a value.
    pub reads: HashSet<String>,
    /// Names assigned with `=` or a compound assignment (`x = ..`, `x.f += ..`).
    pub writes: HashSet<String>,
    /// Names introduced by `let`, `for`, `match`/`if let` patterns and closure params.
    pub declared: HashSet<String>,
    /// Names borrowed mutably (`&mut x`).
    pub mut_borrows: HashSet<String>,
}

impl NameUses {
    pub fn of_expr(e: &Expr) -> Self {
        let mut v = NameCollector::default();
        v.visit_expr(e);
        v.uses
    }

    pub fn of_block(b: &Block) -> Self {
        let mut v = NameCollector::default();
        v.visit_block(b);
        v.uses
    }

    /// The uses in a run of statements: the rest of a block after some statement.
    pub fn of_stmts(stmts: &[syn::Stmt]) -> Self {
        let mut v = NameCollector::default();
        for stmt in stmts {
            v.visit_stmt(stmt);
        }
        v.uses
    }

    /// Names read here that are not declared here: the inputs from outside.
    pub fn free_reads(&self) -> impl Iterator<Item = &String> {
        self.reads.iter().filter(|n| !self.declared.contains(*n))
    }
}

#[derive(Default)]
struct NameCollector {
    uses: NameUses,
}

/// The local a place expression is rooted at: `x` for `x`, `x.f`, `x[i]`, `*x`.
pub fn place_root(e: &Expr) -> Option<String> {
    match strip(e) {
        Expr::Path(p) if p.qself.is_none() => p.path.get_ident().map(|i| i.to_string()),
        Expr::Field(f) => place_root(&f.base),
        Expr::Index(i) => place_root(&i.expr),
        Expr::Unary(u) if matches!(u.op, syn::UnOp::Deref(_)) => place_root(&u.expr),
        _ => None,
    }
}

/// The expression a place is based on, through fields, derefs and indexes, and the
/// field taken directly from it: `(guard, Some(count))` for `*guard.count`, `guard.count[i]`.
pub fn place_base(e: &Expr) -> (&Expr, Option<&syn::Member>) {
    let (mut p, mut member) = (strip(e), None);
    loop {
        match p {
            Expr::Field(f) => (p, member) = (strip(&f.base), Some(&f.member)),
            Expr::Unary(u) if matches!(u.op, syn::UnOp::Deref(_)) => p = strip(&u.expr),
            Expr::Index(i) => p = strip(&i.expr),
            _ => return (p, member),
        }
    }
}

/// A pattern without its type ascription: `(tx, rx)` of `(tx, rx): (Sender<T>, Receiver<T>)`.
pub fn untyped(p: &Pat) -> &Pat {
    match p {
        Pat::Type(t) => untyped(&t.pat),
        p => p,
    }
}

/// The one name a pattern binds when it is a plain name (`x`, `mut x`, `x: T`).
pub fn single_binding(pat: &Pat) -> Option<String> {
    match untyped(pat) {
        Pat::Ident(p) if p.subpat.is_none() => Some(p.ident.to_string()),
        _ => None,
    }
}

/// The name a `Some(x)` / `Ok(x)` pattern binds (also `Some(mut x)`, `Ok(x: T)`).
pub fn unwrapped_binding(pat: &Pat) -> Option<&syn::Ident> {
    let Pat::TupleStruct(ts) = untyped(pat) else {
        return None;
    };
    let last = ts.path.segments.last()?;
    if !(last.ident == "Some" || last.ident == "Ok") || ts.elems.len() != 1 {
        return None;
    }
    match untyped(ts.elems.first()?) {
        Pat::Ident(i) if i.subpat.is_none() => Some(&i.ident),
        _ => None,
    }
}

pub fn pattern_names(pat: &Pat, out: &mut HashSet<String>) {
    struct P<'o>(&'o mut HashSet<String>);
    impl<'ast> Visit<'ast> for P<'_> {
        fn visit_pat_ident(&mut self, p: &'ast syn::PatIdent) {
            self.0.insert(p.ident.to_string());
            visit::visit_pat_ident(self, p);
        }
        fn visit_expr(&mut self, _: &'ast Expr) {}
    }
    P(out).visit_pat(pat);
}

/// `+=`, `-=`, `|=`, ...: an assignment that reads its place first.
pub fn is_compound_assign(op: &BinOp) -> bool {
    matches!(
        op,
        BinOp::AddAssign(_)
            | BinOp::SubAssign(_)
            | BinOp::MulAssign(_)
            | BinOp::DivAssign(_)
            | BinOp::RemAssign(_)
            | BinOp::BitXorAssign(_)
            | BinOp::BitAndAssign(_)
            | BinOp::BitOrAssign(_)
            | BinOp::ShlAssign(_)
            | BinOp::ShrAssign(_)
    )
}

impl<'ast> Visit<'ast> for NameCollector {
    fn visit_expr(&mut self, e: &'ast Expr) {
        stacker::maybe_grow(64 * 1024, 1024 * 1024, || match e {
            Expr::Path(p) if p.qself.is_none() => {
                if let Some(i) = p.path.get_ident() {
                    self.uses.reads.insert(i.to_string());
                }
            }
            Expr::Assign(a) => {
                if let Some(root) = place_root(&a.left) {
                    self.uses.writes.insert(root);
                }
                visit::visit_expr_assign(self, a);
            }
            Expr::Binary(b) if is_compound_assign(&b.op) => {
                if let Some(root) = place_root(&b.left) {
                    self.uses.writes.insert(root);
                }
                visit::visit_expr_binary(self, b);
            }
            Expr::Reference(r) if r.mutability.is_some() => {
                if let Some(root) = place_root(&r.expr) {
                    self.uses.mut_borrows.insert(root);
                }
                visit::visit_expr_reference(self, r);
            }
            _ => visit::visit_expr(self, e),
        })
    }

    fn visit_pat(&mut self, p: &'ast Pat) {
        pattern_names(p, &mut self.uses.declared);
        visit::visit_pat(self, p);
    }

    fn visit_macro(&mut self, m: &'ast syn::Macro) {
        match &*parse_body(m) {
            MacroBody::Exprs(exprs) => {
                for e in exprs.iter() {
                    <Self as Visit<'_>>::visit_expr(self, e);
                    if let Expr::Lit(syn::ExprLit {
                        lit: syn::Lit::Str(s),
                        ..
                    }) = strip(e)
                    {
                        self.uses.reads.extend(format_captures(&s.value()));
                    }
                }
            }
            MacroBody::Select(branches) => {
                for b in branches.iter() {
                    if let Some(f) = &b.future {
                        <Self as Visit<'_>>::visit_expr(self, f);
                    }
                    if let Some(g) = &b.guard {
                        <Self as Visit<'_>>::visit_expr(self, g);
                    }
                    <Self as Visit<'_>>::visit_expr(self, &b.handler);
                }
            }
            MacroBody::Opaque => {
                // Unparsed macro: any identifier in it may be a use of a local.
                collect_idents(m.tokens.clone(), &mut self.uses.reads);
            }
        }
    }
}

/// The names a format string captures inline: `id` and `user` in
/// `"/users/{id} {user:?}"` (not `{0}`, `{}`, `{{escaped}}`).
pub fn format_captures(fmt: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = fmt;
    while let Some(i) = rest.find('{') {
        rest = &rest[i + 1..];
        if let Some(r) = rest.strip_prefix('{') {
            rest = r;
            continue;
        }
        let end = rest.find(['}', ':']).unwrap_or(rest.len());
        let name = &rest[..end];
        let is_ident = name.starts_with(|c: char| c.is_alphabetic() || c == '_')
            && name.chars().all(|c| c.is_alphanumeric() || c == '_');
        if is_ident {
            out.push(name.to_string());
        }
    }
    out
}

fn collect_idents(ts: proc_macro2::TokenStream, out: &mut HashSet<String>) {
    for tt in ts {
        match tt {
            proc_macro2::TokenTree::Ident(i) => {
                out.insert(i.to_string());
            }
            proc_macro2::TokenTree::Group(g) => collect_idents(g.stream(), out),
            _ => {}
        }
    }
}

/// The `.await` expressions a block performs itself, in source order: not those in
/// nested closures, async blocks or fn items, which run at another time, nor those
/// inside macro bodies (`select!` branches race; `join!` arguments run together).
pub fn own_awaits(block: &Block) -> Vec<&ExprAwait> {
    let mut a = OwnAwaits { found: Vec::new() };
    a.visit_block(block);
    a.found
}

/// The `.await` expressions an expression performs itself, in source order (as
/// [`own_awaits`]).
pub fn own_awaits_in(expr: &Expr) -> Vec<&ExprAwait> {
    let mut a = OwnAwaits { found: Vec::new() };
    a.visit_expr(expr);
    a.found
}

struct OwnAwaits<'ast> {
    found: Vec<&'ast ExprAwait>,
}

impl<'ast> Visit<'ast> for OwnAwaits<'ast> {
    fn visit_expr_await(&mut self, a: &'ast ExprAwait) {
        visit::visit_expr_await(self, a);
        self.found.push(a);
    }
    fn visit_expr_closure(&mut self, _: &'ast syn::ExprClosure) {}
    fn visit_expr_async(&mut self, _: &'ast syn::ExprAsync) {}
    fn visit_item(&mut self, _: &'ast syn::Item) {}
    fn visit_expr(&mut self, e: &'ast Expr) {
        stacker::maybe_grow(64 * 1024, 1024 * 1024, || visit::visit_expr(self, e));
    }
}

/// Whether an expression may wait when it runs: an `.await` of its own (not in
/// closures or async blocks it only builds), or a macro that may await — `join!`,
/// `select!`, or any whose tokens say `await`.
pub fn may_await(e: &Expr) -> bool {
    struct W(bool);
    impl<'ast> Visit<'ast> for W {
        fn visit_expr_await(&mut self, _: &'ast ExprAwait) {
            self.0 = true;
        }
        fn visit_expr_closure(&mut self, _: &'ast syn::ExprClosure) {}
        fn visit_expr_async(&mut self, _: &'ast syn::ExprAsync) {}
        fn visit_item(&mut self, _: &'ast syn::Item) {}
        fn visit_macro(&mut self, m: &'ast syn::Macro) {
            self.0 |= macro_may_await(m);
        }
        fn visit_expr(&mut self, e: &'ast Expr) {
            stacker::maybe_grow(64 * 1024, 1024 * 1024, || visit::visit_expr(self, e));
        }
    }
    let mut w = W(false);
    w.visit_expr(e);
    w.0
}

/// Whether a macro may await: `join!`, `select!` (they await without writing it), or
/// any macro whose tokens say `await`.
pub fn macro_may_await(m: &syn::Macro) -> bool {
    fn mentions_await(ts: proc_macro2::TokenStream) -> bool {
        ts.into_iter().any(|tt| match tt {
            proc_macro2::TokenTree::Ident(i) => i == "await",
            proc_macro2::TokenTree::Group(g) => mentions_await(g.stream()),
            _ => false,
        })
    }
    awaits_its_futures(m) || mentions_await(m.tokens.clone())
}

/// A `join!`/`try_join!`/`select!`/`select_biased!`: the macro awaits the futures it
/// is given, so it is itself a point where the task waits.
pub fn awaits_its_futures(m: &syn::Macro) -> bool {
    let name = m.path.segments.last().map(|s| s.ident.to_string());
    matches!(
        name.as_deref(),
        Some("join" | "try_join" | "select" | "select_biased")
    )
}

/// The body an async expression runs: an `async` block's block, or the block of an
/// async closure (`async move |x| { .. }`). Each async body is analysed on its own:
/// awaits and guards do not cross into nested closures or async blocks.
pub fn async_body(e: &Expr) -> Option<&Block> {
    match e {
        Expr::Async(a) => Some(&a.block),
        Expr::Closure(c) if c.asyncness.is_some() => match strip(&c.body) {
            Expr::Block(b) => Some(&b.block),
            _ => None,
        },
        _ => None,
    }
}

/// Every expression a piece of code evaluates itself, outermost first: not those in
/// closures, async blocks or nested items, which run at another time, nor macro
/// arguments. `own_exprs(|v| v.visit_stmt(stmt))`.
pub fn own_exprs<'a>(visit: impl FnOnce(&mut OwnExprs<'a>)) -> Vec<&'a Expr> {
    let mut v = OwnExprs(Vec::new());
    visit(&mut v);
    v.0
}

pub struct OwnExprs<'a>(Vec<&'a Expr>);

impl<'a> Visit<'a> for OwnExprs<'a> {
    fn visit_expr(&mut self, e: &'a Expr) {
        if matches!(e, Expr::Closure(_) | Expr::Async(_)) {
            return;
        }
        self.0.push(e);
        stacker::maybe_grow(64 * 1024, 1024 * 1024, || visit::visit_expr(self, e));
    }
    fn visit_item(&mut self, _: &'a syn::Item) {}
}

/// The expressions [`own_exprs`] lists that can give `e` its value: not those in a
/// branch that always leaves (`Err(e) => { m.lock()..; return Err(e); }`), whose work
/// never reaches the binding.
pub fn value_exprs(e: &Expr) -> Vec<&Expr> {
    struct V<'a>(Vec<&'a Expr>);
    impl<'a> Visit<'a> for V<'a> {
        fn visit_expr(&mut self, e: &'a Expr) {
            if matches!(e, Expr::Closure(_) | Expr::Async(_)) || always_exits(e) {
                return;
            }
            self.0.push(e);
            stacker::maybe_grow(64 * 1024, 1024 * 1024, || visit::visit_expr(self, e));
        }
        fn visit_item(&mut self, _: &'a syn::Item) {}
    }
    let mut v = V(Vec::new());
    v.visit_expr(e);
    v.0
}

/// Whether a block leaves its loop early: a `return`, a `break` that is not inside a
/// nested loop (or that names a label), or a `?`. Nested closures, async blocks and
/// fn items do not count.
#[derive(Debug, Default, Clone, Copy)]
pub struct Exits {
    pub breaks: bool,
    pub returns: bool,
    pub tries: bool,
}

pub fn loop_exits(body: &Block) -> Exits {
    struct X {
        depth: usize,
        exits: Exits,
    }
    impl<'ast> Visit<'ast> for X {
        fn visit_expr(&mut self, e: &'ast Expr) {
            stacker::maybe_grow(64 * 1024, 1024 * 1024, || match e {
                Expr::ForLoop(_) | Expr::While(_) | Expr::Loop(_) => {
                    self.depth += 1;
                    visit::visit_expr(self, e);
                    self.depth -= 1;
                }
                Expr::Break(b) => {
                    if self.depth == 0 || b.label.is_some() {
                        self.exits.breaks = true;
                    }
                    visit::visit_expr(self, e);
                }
                Expr::Return(_) => {
                    self.exits.returns = true;
                    visit::visit_expr(self, e);
                }
                Expr::Try(_) => {
                    self.exits.tries = true;
                    visit::visit_expr(self, e);
                }
                Expr::Closure(_) | Expr::Async(_) => {}
                _ => visit::visit_expr(self, e),
            })
        }
        fn visit_item(&mut self, _: &'ast syn::Item) {}
        fn visit_macro(&mut self, m: &'ast syn::Macro) {
            // `return`/`break` inside `select!` handlers still leave the loop.
            if let MacroBody::Select(branches) = &*parse_body(m) {
                for b in branches.iter() {
                    <Self as Visit<'_>>::visit_expr(self, &b.handler);
                }
            }
        }
    }
    let mut x = X {
        depth: 0,
        exits: Exits::default(),
    };
    x.visit_block(body);
    x.exits
}

/// Macros that never return.
const DIVERGING_MACROS: &[&str] = &["panic", "unreachable", "todo", "unimplemented"];

/// Whether evaluating `e` always leaves the loop around it (or the fn): a `return`, a
/// `break`, a diverging macro, or a block, `if`/`else` or `match` whose every path
/// does. A `continue` does not leave the loop; code after a nested loop is not looked
/// into.
pub fn always_exits(e: &Expr) -> bool {
    match strip(e) {
        Expr::Return(_) | Expr::Break(_) => true,
        Expr::Block(b) => block_always_exits(&b.block),
        Expr::Unsafe(u) => block_always_exits(&u.block),
        Expr::If(i) => i
            .else_branch
            .as_ref()
            .is_some_and(|(_, els)| block_always_exits(&i.then_branch) && always_exits(els)),
        Expr::Match(m) => !m.arms.is_empty() && m.arms.iter().all(|a| always_exits(&a.body)),
        Expr::Macro(m) => is_diverging_macro(&m.mac),
        _ => false,
    }
}

/// Whether a body runs a `loop` or `while` as a statement of its own: a long-lived
/// worker (an accept loop, a consumer), not one piece of work.
pub fn runs_a_loop(stmts: &[syn::Stmt]) -> bool {
    stmts
        .iter()
        .any(|s| matches!(s, syn::Stmt::Expr(Expr::Loop(_) | Expr::While(_), _)))
}

/// Whether `e` is a loop that nothing inside it can end: a `loop` or `while true`
/// with no `break`, `return` or `?` of its own (see [`loop_exits`]), no call that ends
/// the process, no macro that might hide one of those, and no `select!` branch on a
/// cancellation signal ([`calls::is_cancel_branch`]). A `for`, `while let` or
/// `while <cond>` loop can end: its iterator, pattern or condition says when (a
/// `while let Some(x) = rx.recv().await` ends when the channel closes).
pub fn is_endless_loop(e: &Expr) -> bool {
    let body = match strip(e) {
        Expr::Loop(l) => &l.body,
        Expr::While(w) if is_true(&w.cond) => &w.body,
        _ => return false,
    };
    let exits = loop_exits(body);
    !(exits.breaks || exits.returns || exits.tries || has_way_out(body))
}

fn is_true(cond: &Expr) -> bool {
    matches!(strip(cond), Expr::Lit(syn::ExprLit { lit: syn::Lit::Bool(b), .. }) if b.value)
}

/// A process exit, a cancellation branch of a `select!`, or a macro (other than
/// `select!`) whose tokens might hold a `return`, `break` or `?`.
fn has_way_out(body: &Block) -> bool {
    struct W(bool);
    impl<'ast> Visit<'ast> for W {
        fn visit_expr(&mut self, e: &'ast Expr) {
            if self.0 {
                return;
            }
            stacker::maybe_grow(64 * 1024, 1024 * 1024, || match e {
                Expr::Closure(_) | Expr::Async(_) => {}
                Expr::Call(_) => {
                    self.0 |= chain::call_path(e)
                        .and_then(|p| p.segments.last())
                        .is_some_and(|s| calls::PROCESS_EXITS.iter().any(|n| s.ident == n));
                    visit::visit_expr(self, e);
                }
                _ => visit::visit_expr(self, e),
            })
        }
        fn visit_item(&mut self, _: &'ast syn::Item) {}
        fn visit_macro(&mut self, m: &'ast syn::Macro) {
            match &*parse_body(m) {
                MacroBody::Select(branches) => {
                    for b in branches.iter() {
                        if let Some(f) = &b.future {
                            self.0 |= calls::is_cancel_branch(&f.to_token_stream().to_string());
                        }
                        <Self as Visit<'_>>::visit_expr(self, &b.handler);
                    }
                }
                _ => self.0 |= may_exit(m.tokens.clone()),
            }
        }
    }
    let mut w = W(false);
    w.visit_block(body);
    w.0
}

/// Whether statements of a fn can end it with an `Err`: a `?`, a `return`, an `Err(..)`
/// made, or a macro that bails (`bail!`, `ensure!`, `try!`, or one whose tokens hold
/// a `return`, `?` or `Err(..)`, see [`may_exit`]); `select!` handlers are read as
/// code. Closures, `async` blocks and nested items do not count.
pub fn can_fail(stmts: &[Stmt]) -> bool {
    struct F(bool);
    impl<'ast> Visit<'ast> for F {
        fn visit_expr(&mut self, e: &'ast Expr) {
            if self.0 {
                return;
            }
            stacker::maybe_grow(64 * 1024, 1024 * 1024, || match e {
                Expr::Closure(_) | Expr::Async(_) => {}
                Expr::Try(_) | Expr::Return(_) => self.0 = true,
                Expr::Call(c) if matches!(strip(&c.func), Expr::Path(p) if p.path.is_ident("Err")) => {
                    self.0 = true
                }
                _ => visit::visit_expr(self, e),
            })
        }
        fn visit_item(&mut self, _: &'ast syn::Item) {}
        fn visit_macro(&mut self, m: &'ast syn::Macro) {
            if let MacroBody::Select(branches) = &*parse_body(m) {
                for b in branches.iter() {
                    if let Some(f) = &b.future {
                        <Self as Visit<'_>>::visit_expr(self, f);
                    }
                    <Self as Visit<'_>>::visit_expr(self, &b.handler);
                }
                return;
            }
            let name = m.path.segments.last().map(|s| s.ident.to_string());
            self.0 |= matches!(name.as_deref(), Some("bail" | "ensure" | "try"))
                || may_exit(m.tokens.clone())
                || makes_err(m.tokens.clone());
        }
    }
    let mut f = F(false);
    for s in stmts {
        f.visit_stmt(s);
    }
    f.0
}

/// Whether macro tokens make an `Err(..)` (not match one: `Err(e) =>`, `let Err(e) =`).
fn makes_err(ts: proc_macro2::TokenStream) -> bool {
    use proc_macro2::TokenTree;
    let trees: Vec<TokenTree> = ts.into_iter().collect();
    trees.iter().enumerate().any(|(i, t)| match t {
        TokenTree::Ident(id) if id == "Err" => {
            let after_let = i > 0 && matches!(&trees[i - 1], TokenTree::Ident(l) if l == "let");
            let matched =
                matches!(trees.get(i + 2), Some(TokenTree::Punct(p)) if p.as_char() == '=');
            !(after_let || matched)
        }
        TokenTree::Group(g) => makes_err(g.stream()),
        _ => false,
    })
}

/// Whether macro tokens may hold a `return`, `break` or `?` operator. A `?` counts only
/// after an operand (`load()?`, `x?`): before one (`error = ?e`, `info!(?id)`) it is
/// a tracing field's debug sigil.
fn may_exit(ts: proc_macro2::TokenStream) -> bool {
    use proc_macro2::TokenTree;
    let mut after_operand = false;
    for tt in ts {
        let found = match &tt {
            TokenTree::Ident(i) => i == "return" || i == "break",
            TokenTree::Punct(p) => p.as_char() == '?' && after_operand,
            TokenTree::Group(g) => may_exit(g.stream()),
            TokenTree::Literal(_) => false,
        };
        if found {
            return true;
        }
        after_operand = matches!(
            tt,
            TokenTree::Ident(_) | TokenTree::Literal(_) | TokenTree::Group(_)
        );
    }
    false
}

/// Macros that mark a body as not written yet.
const STUB_MACROS: &[&str] = &["todo", "unimplemented", "unreachable", "panic"];

/// Whether a fn body says "not written yet": empty, or only `todo!()`,
/// `unimplemented!()`, `unreachable!()` or `panic!(..)`.
pub fn is_stub_body(body: &Block) -> bool {
    match body.stmts.as_slice() {
        [] => true,
        [Stmt::Macro(m)] => is_stub_macro(&m.mac),
        [Stmt::Expr(Expr::Macro(m), _)] => is_stub_macro(&m.mac),
        _ => false,
    }
}

fn block_always_exits(b: &Block) -> bool {
    b.stmts.iter().any(|s| match s {
        syn::Stmt::Expr(e, _) => always_exits(e),
        syn::Stmt::Macro(m) => is_diverging_macro(&m.mac),
        _ => false,
    })
}

fn is_diverging_macro(m: &syn::Macro) -> bool {
    m.path
        .segments
        .last()
        .is_some_and(|s| DIVERGING_MACROS.iter().any(|d| s.ident == d))
}

fn is_stub_macro(m: &syn::Macro) -> bool {
    m.path
        .segments
        .last()
        .is_some_and(|s| STUB_MACROS.iter().any(|n| s.ident == n))
}

/// What a `for` loop iterates over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoopSource {
    /// `0..n`, `(1..=n).rev()`, `(0..n).step_by(2)`: a count, not a collection.
    Range,
    /// Anything else: a collection or an iterator over one.
    Collection,
}

pub fn loop_source(iter: &Expr) -> LoopSource {
    let c = chain::chain(iter);
    let only_range_adapters = c.methods.iter().all(|m| {
        matches!(
            m.method.to_string().as_str(),
            "rev" | "step_by" | "into_iter"
        )
    });
    match strip(c.root) {
        Expr::Range(_) if only_range_adapters => LoopSource::Range,
        _ => LoopSource::Collection,
    }
}

/// The callee of an awaited call, looked at through the await.
pub struct AwaitedCall<'a> {
    /// The call or method call expression.
    pub call: &'a Expr,
    /// The fn or method name (last path segment).
    pub name: String,
    /// For a method call, the receiver.
    pub receiver: Option<&'a Expr>,
    pub args: Vec<&'a Expr>,
}

/// `f(x).await`, `client.get(x).send().await?` (the outermost call is `send`).
pub fn awaited_call(a: &ExprAwait) -> Option<AwaitedCall<'_>> {
    call_of(&a.base)
}

/// A call or method call seen through parentheses, as an [`AwaitedCall`]: for the
/// future a wrapper such as `timeout(d, fut)` takes.
pub fn call_of(e: &Expr) -> Option<AwaitedCall<'_>> {
    match strip(e) {
        call @ Expr::Call(c) => {
            let Expr::Path(p) = strip(&c.func) else {
                return None;
            };
            Some(AwaitedCall {
                call,
                name: p.path.segments.last()?.ident.to_string(),
                receiver: None,
                args: c.args.iter().collect(),
            })
        }
        call @ Expr::MethodCall(m) => Some(AwaitedCall {
            call,
            name: m.method.to_string(),
            receiver: Some(&m.receiver),
            args: m.args.iter().collect(),
        }),
        _ => None,
    }
}

/// Future adapters that wrap the future they are called on without starting work.
const FUTURE_ADAPTERS: &[&str] = &[
    "instrument",
    "in_current_span",
    "boxed",
    "boxed_local",
    "fuse",
];

/// `fut.instrument(span)` → `fut`: the future under adapters that only wrap it.
pub fn unwrap_adapters(mut e: &Expr) -> &Expr {
    while let Expr::MethodCall(m) = strip(e) {
        if !FUTURE_ADAPTERS.contains(&m.method.to_string().as_str()) {
            break;
        }
        e = &m.receiver;
    }
    strip(e)
}

/// The future a deadline wraps, `timeout(d, fut)` or `fut.timeout(d)`: the work is
/// that future's. `None` when it is not a call (a future built earlier).
pub fn through_deadline(call: AwaitedCall) -> Option<AwaitedCall> {
    if call.name != "timeout" && call.name != "with_timeout" {
        return Some(call);
    }
    match (call.receiver, call.args.as_slice()) {
        (None, [_, fut]) => call_of(fut),
        (Some(fut), [_]) => call_of(fut),
        _ => Some(call),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block(src: &str) -> Block {
        syn::parse_str(src).unwrap()
    }

    #[test]
    fn names_read_written_declared() {
        let b = block(
            "{ let mut cursor = None; cursor = next(&mut conn, page).await; total += 1; \
             println!(\"{}\", shown); }",
        );
        let u = NameUses::of_block(&b);
        assert!(u.declared.contains("cursor"));
        assert!(u.writes.contains("cursor") && u.writes.contains("total"));
        assert!(u.mut_borrows.contains("conn"));
        assert!(u.reads.contains("page") && u.reads.contains("shown"));
        assert!(u.free_reads().all(|n| n != "cursor"));
    }

    #[test]
    fn format_strings_read_their_inline_captures() {
        assert_eq!(
            format_captures("/{n}/{id:?} {} {0} {{x}} {a_b:>8}"),
            ["n", "id", "a_b"]
        );
        let u = NameUses::of_block(&block("{ client.get(&format!(\"/users/{id}\")).await; }"));
        assert!(u.reads.contains("id"));
    }

    #[test]
    fn own_awaits_skip_nested_async_code() {
        let b = block("{ a().await; spawn(async { b().await }); let f = || async { c().await }; d(e().await).await; }");
        let names: Vec<String> = own_awaits(&b)
            .into_iter()
            .filter_map(|a| awaited_call(a).map(|c| c.name))
            .collect();
        assert_eq!(names, ["a", "e", "d"]);
    }

    #[test]
    fn own_exprs_skip_closures_and_async_blocks() {
        let b = block("{ let n = a.load(o); spawn(async { b.store(n, o) }); xs.map(|x| c(x)); }");
        let calls: Vec<String> = own_exprs(|v| v.visit_block(&b))
            .into_iter()
            .filter_map(|e| match e {
                Expr::MethodCall(m) => Some(m.method.to_string()),
                _ => None,
            })
            .collect();
        assert_eq!(calls, ["load", "map"]);
    }

    #[test]
    fn endless_loops_have_no_way_out() {
        let endless = |s: &str| is_endless_loop(&syn::parse_str(s).unwrap());
        assert!(endless("loop { tick.tick().await; flush().await; }"));
        assert!(endless("while true { poll(); }"));
        assert!(endless("loop { for x in xs { if x { break; } } }"));
        assert!(endless(
            "loop { tokio::select! { _ = tick.tick() => {}, m = rx.recv() => handle(m) } }"
        ));
        assert!(!endless("loop { if done() { break; } }"));
        assert!(!endless("loop { step().await?; }"));
        assert!(!endless(
            "loop { tokio::select! { _ = token.cancelled() => {}, _ = t.tick() => {} } }"
        ));
        assert!(!endless("loop { std::process::exit(1); }"));
        assert!(!endless(
            "loop { let Ok(c) = l.accept().await else { exit(2) }; }"
        ));
        assert!(!endless("loop { my_macro!(return); }"));
        assert!(endless("loop { spawn(async move { return; }); }"));
        assert!(!endless(
            "while let Some(m) = rx.recv().await { handle(m); }"
        ));
        assert!(!endless("while !stop.load(Ordering::Relaxed) { work(); }"));
        assert!(!endless("for x in xs { handle(x); }"));
    }

    #[test]
    fn exits_and_loop_sources() {
        let b = block("{ for x in xs { if x { break; } } let v = f()?; }");
        let e = loop_exits(&b);
        assert!(!e.breaks && e.tries && !e.returns);
        let e = loop_exits(&block(
            "{ tokio::select! { _ = t.cancelled() => return, v = rx.recv() => {} } }",
        ));
        assert!(e.returns);
        let src = |s: &str| loop_source(&syn::parse_str(s).unwrap());
        assert_eq!(src("0..n"), LoopSource::Range);
        assert_eq!(src("(1..=n).rev()"), LoopSource::Range);
        assert_eq!(src("ids.iter()"), LoopSource::Collection);
        assert_eq!(src("&items"), LoopSource::Collection);
    }

    #[test]
    fn always_exits_follows_every_path() {
        let exits = |s: &str| always_exits(&syn::parse_str(s).unwrap());
        assert!(exits("break"));
        assert!(exits("{ tracing::info!(\"bye\"); return Ok(()); }"));
        assert!(exits("if done { break } else { return }"));
        assert!(exits(
            "match r { Ok(_) => break, Err(e) => panic!(\"{e}\") }"
        ));
        assert!(!exits("if done { break }"));
        assert!(!exits("{ continue; }"));
        assert!(!exits("{ handle(msg).await; }"));
    }
}
