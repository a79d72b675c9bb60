//! Lock guards and how long they live, without types.
//!
//! A guard comes from a synchronous lock or cell call: `m.lock().unwrap()` /
//! `.expect(..)` / `.unwrap_or_else(..)` / `.map_err(..)?` (std), `m.lock()` with no
//! `.await` in a file that uses parking_lot, `read()`/`write()` likewise,
//! `borrow_mut()` (not in files that use the `BorrowMut` trait and no `RefCell`) and
//! `borrow()` in files that use `RefCell` or a `watch` channel. `.lock().await` is an
//! async lock and yields no guard here.
//!
//! Lifetimes follow Rust's rules: a guard bound by `let` lives to the end of its block
//! unless it is dropped, moved or shadowed first; a temporary guard lives to the end
//! of its statement, except where Rust opens a narrower temporary scope: an `if` or
//! `while` condition, each operand of `&&`/`||`, a match arm's guard and body, the
//! value of an assignment (evaluated before its place). `if let` scrutinees live
//! through the `then` block (dropped before `else`, as in edition 2024), `while let`
//! and `match` scrutinees through the body and the arms.
//!
//! Also here: the operations performed through guards, the critical sections of async
//! locks bound with `let`, and the `.await`s a body performs.

use super::chain::{self, strip};
use super::{Cx, FileInfo};
use crate::source::TextRange;
use syn::visit::{self, Visit};
use syn::{BinOp, Block, Expr, ExprMethodCall, Pat, Stmt};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LockKind {
    Mutex,
    RwLockRead,
    RwLockWrite,
    RefCell,
}

impl LockKind {
    pub fn describe(self) -> &'static str {
        match self {
            LockKind::Mutex => "mutex guard",
            LockKind::RwLockRead => "read guard",
            LockKind::RwLockWrite => "write guard",
            LockKind::RefCell => "`RefCell` borrow",
        }
    }
}

/// One acquisition of a synchronous guard in a body.
#[derive(Debug, Clone)]
pub struct Acquisition {
    /// The lock call through its `unwrap`/`expect`: the guard expression.
    pub range: TextRange,
    /// The receiver as written, without whitespace (`self.cache`, `state`).
    pub receiver: String,
    pub kind: LockKind,
    /// `Some(g)` for `let g = m.lock().unwrap();`.
    pub binding: Option<String>,
    /// The method called on a temporary guard (`contains_key` in
    /// `m.lock().unwrap().contains_key(k)`).
    pub guard_method: Option<String>,
    /// Byte offsets between which the guard is alive.
    pub held_from: usize,
    pub held_until: usize,
    /// Where an explicit `drop(g)` or move released it, if one did.
    pub released_at: Option<TextRange>,
}

/// If `e` is a guard-producing lock call (after stripping `unwrap`/`expect`/
/// `unwrap_or_else`/`map_err`/`?`),
/// the lock call and its kind.
pub fn guard_call<'e>(file: &FileInfo, e: &'e Expr) -> Option<(&'e ExprMethodCall, LockKind)> {
    let mut cur = strip(e);
    let mut unwrapped = false;
    loop {
        match cur {
            Expr::Try(t) => {
                unwrapped = true;
                cur = strip(&t.expr);
            }
            // `.unwrap_or_else(PoisonError::into_inner)` recovers a poisoned guard.
            Expr::MethodCall(m)
                if m.method == "unwrap" || m.method == "expect" || m.method == "unwrap_or_else" =>
            {
                unwrapped = true;
                cur = strip(&m.receiver);
            }
            // `.map_err(..)?`: the `?` unwraps.
            Expr::MethodCall(m) if m.method == "map_err" => cur = strip(&m.receiver),
            _ => break,
        }
    }
    let Expr::MethodCall(m) = cur else {
        return None;
    };
    if !m.args.is_empty() {
        return None;
    }
    let plain = |kind| (unwrapped || file.plain_locks_are_sync).then_some(kind);
    let kind = match m.method.to_string().as_str() {
        "lock" => plain(LockKind::Mutex)?,
        "read" => plain(LockKind::RwLockRead)?,
        "write" => plain(LockKind::RwLockWrite)?,
        // `BorrowMut::borrow_mut` hands out a plain `&mut`, not a guard.
        "borrow_mut" if file.uses_cells || !file.uses_borrow_mut_trait => LockKind::RefCell,
        "borrow" if file.uses_cells => LockKind::RefCell,
        _ => return None,
    };
    Some((m, kind))
}

/// If `e` is an async lock acquisition — `m.lock().await`, `rw.read().await`,
/// `rw.write().await` (tokio, async-std, futures), with `?`/`unwrap` for the fallible
/// ones — the lock call and its kind. Its guard is not a synchronous guard (see
/// [`guard_call`]) but it is still one critical section.
pub fn async_guard_call(e: &Expr) -> Option<(&ExprMethodCall, LockKind)> {
    let mut cur = strip(e);
    loop {
        match cur {
            Expr::Try(t) => cur = strip(&t.expr),
            Expr::MethodCall(m) if m.method == "unwrap" || m.method == "expect" => {
                cur = strip(&m.receiver)
            }
            _ => break,
        }
    }
    let Expr::Await(a) = cur else {
        return None;
    };
    let Expr::MethodCall(m) = strip(&a.base) else {
        return None;
    };
    if !m.args.is_empty() {
        return None;
    }
    let kind = match m.method.to_string().as_str() {
        "lock" | "lock_owned" => LockKind::Mutex,
        "read" | "read_owned" => LockKind::RwLockRead,
        "write" | "write_owned" => LockKind::RwLockWrite,
        _ => return None,
    };
    Some((m, kind))
}

/// Every synchronous guard acquired in `body`, with the span it is alive. Sync
/// closures are included (their guards live and die inside them); async blocks, async
/// closures and nested fns are bodies of their own.
pub fn acquisitions(cx: &Cx, body: &Block) -> Vec<Acquisition> {
    let mut c = Collector {
        file: cx.file,
        scopes: Vec::new(),
        assigned_after: 0,
        out: Vec::new(),
    };
    c.block(body);
    c.out
}

struct Collector<'f> {
    file: &'f FileInfo<'f>,
    /// Ends of the enclosing temporary scopes.
    scopes: Vec<usize>,
    /// Inside the place of an assignment: its value operand, evaluated first, ends here.
    assigned_after: usize,
    out: Vec<Acquisition>,
}

impl Collector<'_> {
    fn end_of(&self, span: proc_macro2::Span) -> usize {
        self.file.range(span).end
    }

    fn block(&mut self, b: &Block) {
        let block_end = self.end_of(b.brace_token.span.close());
        for (i, stmt) in b.stmts.iter().enumerate() {
            if let Stmt::Local(local) = stmt {
                if let Some(init) = &local.init {
                    if let (Some(name), Some((call, kind))) = (
                        simple_binding(&local.pat),
                        guard_call(self.file, &init.expr),
                    ) {
                        // Visit the initializer for temporaries other than the guard.
                        self.with_scope(self.end_of(local.semi_token.span), |c| {
                            c.visit_expr(&call.receiver)
                        });
                        let start = self.end_of(local.semi_token.span);
                        let (until, released) =
                            release_point(self.file, &b.stmts[i + 1..], &name, block_end);
                        self.out.push(Acquisition {
                            range: expr_range(self.file, &init.expr),
                            receiver: compact(self.file, &call.receiver),
                            kind,
                            binding: Some(name),
                            guard_method: None,
                            held_from: start,
                            held_until: until,
                            released_at: released,
                        });
                        continue;
                    }
                }
            }
            let end = stmt_end(self.file, stmt);
            self.with_scope(end, |c| c.visit_stmt(stmt));
        }
    }

    /// Records the temporary guard `guard`, alive to the end of the innermost
    /// temporary scope.
    fn temporary(&mut self, guard: &Expr, method: Option<String>) {
        let Some((lock, kind)) = guard_call(self.file, guard) else {
            return;
        };
        self.visit_expr(&lock.receiver);
        let range = expr_range(self.file, guard);
        self.out.push(Acquisition {
            range,
            receiver: compact(self.file, &lock.receiver),
            kind,
            binding: None,
            guard_method: method,
            held_from: range.end.max(self.assigned_after),
            held_until: self.scopes.last().copied().unwrap_or(usize::MAX),
            released_at: None,
        });
    }

    fn with_scope(&mut self, end: usize, f: impl FnOnce(&mut Self)) {
        self.scopes.push(end);
        f(self);
        self.scopes.pop();
    }
}

impl<'ast> Visit<'ast> for Collector<'_> {
    fn visit_block(&mut self, b: &'ast Block) {
        self.block(b);
    }

    fn visit_expr(&mut self, e: &'ast Expr) {
        stacker::maybe_grow(64 * 1024, 1024 * 1024, || match e {
            // A guard in any position other than a method receiver: `*m.lock().unwrap() =
            // v`, `m.lock().unwrap().field`, a scrutinee, an argument.
            _ if guard_call(self.file, e).is_some() => self.temporary(e, None),
            // `m.lock().await` is an async lock even in a file that uses parking_lot.
            Expr::Await(a) if is_lock_method(&a.base) => {
                if let Expr::MethodCall(m) = strip(&a.base) {
                    self.visit_expr(&m.receiver);
                }
            }
            Expr::Closure(c) if c.asyncness.is_none() => {
                // A sync closure runs without awaiting: its temporaries die within its
                // body, its `let` guards at the end of its block.
                let end = expr_range(self.file, &c.body).end;
                self.with_scope(end, |s| s.visit_expr(&c.body));
            }
            Expr::Closure(_) | Expr::Async(_) => {}
            Expr::If(i) => {
                // Temporaries of a plain `if` condition die before the branches run;
                // those of an `if let` scrutinee live through the `then` block (and, in
                // editions before 2024, the `else` block too: that is not counted).
                let end = if matches!(strip(&i.cond), Expr::Let(_)) {
                    self.end_of(i.then_branch.brace_token.span.close())
                } else {
                    expr_range(self.file, &i.cond).end
                };
                self.with_scope(end, |c| c.visit_expr(&i.cond));
                self.visit_block(&i.then_branch);
                if let Some((_, els)) = &i.else_branch {
                    self.visit_expr(els);
                }
            }
            Expr::Binary(b) if matches!(b.op, BinOp::And(_) | BinOp::Or(_)) => {
                // Each operand of `&&` / `||` is a temporary scope of its own.
                for operand in [&b.left, &b.right] {
                    let end = expr_range(self.file, operand).end;
                    self.with_scope(end, |c| c.visit_expr(operand));
                }
            }
            Expr::Match(m) => {
                // The scrutinee lives through the arms; each arm's guard and body are
                // temporary scopes of their own.
                self.visit_expr(&m.expr);
                for arm in &m.arms {
                    if let Pat::Guard(g) = &arm.pat {
                        let end = expr_range(self.file, &g.guard).end;
                        self.with_scope(end, |c| c.visit_expr(&g.guard));
                    }
                    let end = expr_range(self.file, &arm.body).end;
                    self.with_scope(end, |c| c.visit_expr(&arm.body));
                }
            }
            Expr::While(w) if !matches!(strip(&w.cond), Expr::Let(_)) => {
                let end = expr_range(self.file, &w.cond).end;
                self.with_scope(end, |c| c.visit_expr(&w.cond));
                self.visit_block(&w.body);
            }
            // `*m.lock().unwrap() = load().await`: the value is evaluated first, the
            // place (and its guard) after it. (A compound assignment on a non-primitive
            // evaluates the place first; without types, the value-first order is assumed.)
            Expr::Assign(a) => {
                self.visit_expr(&a.right);
                let outer = self.assigned_after;
                self.assigned_after = expr_range(self.file, &a.right).end;
                self.visit_expr(&a.left);
                self.assigned_after = outer;
            }
            Expr::Binary(b) if super::body::is_compound_assign(&b.op) => {
                self.visit_expr(&b.right);
                let outer = self.assigned_after;
                self.assigned_after = expr_range(self.file, &b.right).end;
                self.visit_expr(&b.left);
                self.assigned_after = outer;
            }
            // A temporary guard as a receiver: `m.lock().unwrap().insert(k, v)`.
            Expr::MethodCall(m) if guard_call(self.file, &m.receiver).is_some() => {
                self.temporary(&m.receiver, Some(m.method.to_string()));
                for arg in &m.args {
                    self.visit_expr(arg);
                }
            }
            _ => visit::visit_expr(self, e),
        })
    }

    fn visit_item(&mut self, _: &'ast syn::Item) {}
}

/// `x.lock()`, `x.read()`, `x.write()` with no arguments.
fn is_lock_method(e: &Expr) -> bool {
    matches!(strip(e), Expr::MethodCall(m)
        if m.args.is_empty() && (m.method == "lock" || m.method == "read" || m.method == "write"))
}

fn simple_binding(pat: &Pat) -> Option<String> {
    match pat {
        Pat::Ident(p) if p.subpat.is_none() => Some(p.ident.to_string()),
        Pat::Type(t) => simple_binding(&t.pat),
        _ => None,
    }
}

/// Where the guard bound to `name` stops being alive among the statements after its
/// `let`: an explicit `drop(name)`, a move of `name` into a call or another binding,
/// or a new `let name` in the same block (after which it can no longer be followed). A
/// `let name` in a nested block shadows it only there; the guard lives on.
fn release_point(
    file: &FileInfo,
    rest: &[Stmt],
    name: &str,
    block_end: usize,
) -> (usize, Option<TextRange>) {
    struct R<'n, 'f> {
        name: &'n str,
        file: &'f FileInfo<'f>,
        found: Option<(usize, Option<TextRange>)>,
        /// How many blocks deep below the guard's own block.
        depth: usize,
    }
    impl<'ast> Visit<'ast> for R<'_, '_> {
        fn visit_expr(&mut self, e: &'ast Expr) {
            if self.found.is_some() {
                return;
            }
            match e {
                Expr::Call(c) => {
                    let moves = c
                        .args
                        .iter()
                        .any(|a| chain::path_ident(a).is_some_and(|i| i == self.name));
                    if moves {
                        let r = expr_range(self.file, e);
                        self.found = Some((r.start, Some(r)));
                        return;
                    }
                    visit::visit_expr_call(self, c);
                }
                Expr::Closure(c) if c.capture.is_some() => {
                    // `move` closures take the guard with them.
                    let uses = super::body::NameUses::of_expr(&c.body);
                    if uses.free_reads().any(|n| n == self.name) {
                        let r = expr_range(self.file, e);
                        self.found = Some((r.start, Some(r)));
                    }
                }
                Expr::Async(a) => {
                    // So do `async move` blocks; other async blocks only borrow it.
                    let uses = super::body::NameUses::of_block(&a.block);
                    if a.capture.is_some() && uses.free_reads().any(|n| n == self.name) {
                        let r = expr_range(self.file, e);
                        self.found = Some((r.start, Some(r)));
                    }
                }
                _ => visit::visit_expr(self, e),
            }
        }
        fn visit_block(&mut self, b: &'ast Block) {
            self.depth += 1;
            visit::visit_block(self, b);
            self.depth -= 1;
        }
        fn visit_local(&mut self, l: &'ast syn::Local) {
            if let Some(init) = &l.init {
                self.visit_expr(&init.expr);
                if self.found.is_none()
                    && chain::path_ident(&init.expr).is_some_and(|i| i == self.name)
                {
                    let r = expr_range(self.file, &init.expr);
                    self.found = Some((r.start, Some(r)));
                }
            }
            if self.found.is_none()
                && self.depth == 0
                && simple_binding(&l.pat).as_deref() == Some(self.name)
            {
                self.found = Some((self.file.range(l.let_token.span).start, None));
            }
        }
        fn visit_item(&mut self, _: &'ast syn::Item) {}
    }
    let mut r = R {
        name,
        file,
        found: None,
        depth: 0,
    };
    for stmt in rest {
        r.visit_stmt(stmt);
        if r.found.is_some() {
            break;
        }
    }
    r.found.unwrap_or((block_end, None))
}

fn stmt_end(file: &FileInfo, stmt: &Stmt) -> usize {
    match stmt {
        Stmt::Local(l) => file.range(l.semi_token.span).end,
        Stmt::Expr(e, Some(semi)) => file.range(semi.span).end.max(expr_range(file, e).end),
        Stmt::Expr(e, None) => expr_range(file, e).end,
        Stmt::Macro(m) => file.range(syn::spanned::Spanned::span(&m.mac)).end,
        Stmt::Item(_) => 0,
    }
}

fn expr_range(file: &FileInfo, e: &Expr) -> TextRange {
    super::NodeRange::text_range(e, file)
}

/// Source text of an expression without whitespace and comments, to compare receivers.
pub fn compact(file: &FileInfo, e: &Expr) -> String {
    compact_range(file, expr_range(file, e))
}

/// Source text of a range without whitespace and comments (string literals kept).
pub fn compact_range(file: &FileInfo, range: TextRange) -> String {
    strip_comments(file.slice(range), false)
}

/// Source text of a range on one line, for messages: comments dropped, whitespace runs
/// collapsed, none before `.` or `?` (a chain written over several lines).
pub fn one_line(file: &FileInfo, range: TextRange) -> String {
    strip_comments(file.slice(range), true)
        .replace(" .", ".")
        .replace(" ?", "?")
}

fn strip_comments(text: &str, keep_spaces: bool) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '/' if chars.peek() == Some(&'/') => {
                chars.by_ref().take_while(|c| *c != '\n').for_each(drop);
            }
            '/' if chars.peek() == Some(&'*') => {
                chars.next();
                let mut prev = ' ';
                for c in chars.by_ref() {
                    if prev == '*' && c == '/' {
                        break;
                    }
                    prev = c;
                }
            }
            '"' => {
                out.push(c);
                let mut escaped = false;
                for c in chars.by_ref() {
                    out.push(c);
                    match c {
                        '\\' if !escaped => escaped = true,
                        '"' if !escaped => break,
                        _ => escaped = false,
                    }
                }
            }
            c if c.is_whitespace() => {
                if keep_spaces && !out.is_empty() && !out.ends_with(' ') {
                    out.push(' ');
                }
            }
            c => out.push(c),
        }
    }
    out
}

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
                Expr::Binary(b) if super::body::is_compound_assign(&b.op) => {
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
            let block_end = self.file.range(b.brace_token.span.close()).end;
            for (i, stmt) in b.stmts.iter().enumerate() {
                if let Stmt::Local(local) = stmt {
                    let name = simple_binding(&local.pat);
                    let init = local.init.as_ref().map(|init| &*init.expr);
                    if let (Some(name), Some(_)) = (name, init.filter(|e| is_async_lock(e))) {
                        let start = self.file.range(local.semi_token.span).end;
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

/// Byte offsets of the `.await`s a body performs itself.
/// The awaits of a body and, when it has any, the guards acquired in it: what the
/// rules about guards and awaits start from.
#[derive(Debug, Default)]
pub struct GuardView {
    /// Each `.await` the body performs itself: its offset and the awaited expression.
    pub awaits: Vec<(usize, TextRange)>,
    /// Empty when there are no awaits.
    pub acquisitions: Vec<Acquisition>,
}

/// [`GuardView`] of `body`, computed once when several rules ask in a row.
pub fn guard_view(cx: &Cx, body: &Block) -> std::rc::Rc<GuardView> {
    super::macros::per_body(body, || {
        let awaits = await_offsets(cx.file, body);
        let acquisitions = if awaits.is_empty() {
            Vec::new()
        } else {
            acquisitions(cx, body)
        };
        GuardView {
            awaits,
            acquisitions,
        }
    })
}

pub fn await_offsets(file: &FileInfo, body: &Block) -> Vec<(usize, TextRange)> {
    super::body::own_awaits(body)
        .into_iter()
        .map(|a| {
            let r = file.range(a.await_token.span);
            (
                r.start,
                TextRange::new(expr_range(file, &a.base).start, r.end),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (binding or guard method, held across an await?) for each acquisition in `f`.
    fn held(src: &str) -> Vec<(String, bool)> {
        let file: syn::File = syn::parse_str(src).unwrap();
        let info = FileInfo::new("t.rs", src, &file);
        let syn::Item::Fn(f) = &file.items.last().unwrap() else {
            panic!()
        };
        let mut parts = crate::semantic::TestCx::default();
        let cx = parts.cx(&info);
        let awaits = await_offsets(&info, &f.block);
        acquisitions(&cx, &f.block)
            .into_iter()
            .map(|a| {
                let name = a
                    .binding
                    .clone()
                    .or(a.guard_method.clone())
                    .unwrap_or_else(|| "*".to_string());
                let across = awaits
                    .iter()
                    .any(|(at, _)| a.held_from <= *at && *at < a.held_until);
                (name, across)
            })
            .collect()
    }

    #[test]
    fn let_guards_live_to_the_end_of_their_block() {
        let h = held("async fn f() { let g = m.lock().unwrap(); g.push(1); save().await; }");
        assert_eq!(h, [("g".to_string(), true)]);
        let h = held("async fn f() { { let g = m.lock().unwrap(); g.push(1); } save().await; }");
        assert_eq!(h, [("g".to_string(), false)]);
    }

    #[test]
    fn drop_move_and_shadowing_end_a_guard() {
        let h = held("async fn f() { let g = m.lock().unwrap(); drop(g); save().await; }");
        assert_eq!(h, [("g".to_string(), false)]);
        let h = held("async fn f() { let g = m.lock().unwrap(); consume(g); save().await; }");
        assert_eq!(h, [("g".to_string(), false)]);
        let h = held("async fn f() { let g = m.lock().unwrap(); let g = 1; save().await; }");
        assert_eq!(h, [("g".to_string(), false)]);
        // A `let g` in a nested block or async block shadows only there.
        let h = held("async fn f() { let g = m.lock().unwrap(); spawn(async { let g = 1; }); save().await; }");
        assert_eq!(h, [("g".to_string(), true)]);
        let h =
            held("async fn f() { let g = m.lock().unwrap(); if x { let g = 1; } save().await; }");
        assert_eq!(h, [("g".to_string(), true)]);
        let h = held("async fn f() { let g = m.lock().unwrap(); spawn(async move { g.len() }); save().await; }");
        assert_eq!(h, [("g".to_string(), false)]);
    }

    #[test]
    fn temporaries_die_with_their_statement_but_scrutinees_live_through_arms() {
        let h = held("async fn f() { let v = m.lock().unwrap().clone(); save(v).await; }");
        assert_eq!(h, [("clone".to_string(), false)]);
        let h = held("async fn f() { match m.lock().unwrap().get(&k) { Some(v) => save(v).await, None => {} } }");
        assert_eq!(h, [("get".to_string(), true)]);
        let h = held("async fn f() { if m.lock().unwrap().is_empty() { save().await; } }");
        assert_eq!(h, [("is_empty".to_string(), false)]);
        let h =
            held("async fn f() { if let Some(v) = m.lock().unwrap().pop() { save(v).await; } }");
        assert_eq!(h, [("pop".to_string(), true)]);
    }

    #[test]
    fn lazy_boolean_operands_arms_and_if_let_else_are_scopes_of_their_own() {
        let h = held(
            "async fn f() -> bool { !m.read().unwrap().is_empty() || !n.read().await.is_empty() }",
        );
        assert_eq!(h, [("is_empty".to_string(), false)]);
        let h = held("async fn f() { match k { Some(k) => m.lock().unwrap().remove(&k), None => None }; save().await; }");
        assert_eq!(h, [("remove".to_string(), false)]);
        let h = held("async fn f() { match k { Some(k) if m.lock().unwrap().contains(&k) => save().await, _ => {} } }");
        assert_eq!(h, [("contains".to_string(), false)]);
        // Edition 2024 drops an `if let` scrutinee's temporaries before `else`.
        let h = held("async fn f() { if let Some(v) = m.lock().unwrap().get(&k).cloned() { v } else { load().await } }");
        assert_eq!(h, [("get".to_string(), false)]);
    }

    #[test]
    fn temporaries_in_any_position_and_in_sync_closures() {
        let h = held("async fn f() { *m.lock().unwrap() = Some(c); save().await; }");
        assert_eq!(h, [("*".to_string(), false)]);
        // The assigned value is evaluated before the place that holds the guard.
        let h = held("async fn f() { *m.lock().unwrap() = load().await?; }");
        assert_eq!(h, [("*".to_string(), false)]);
        let h = held("async fn f() { let g = m.lock().unwrap(); spawn(async move { let g = 1; }); save().await; }");
        assert_eq!(h, [("g".to_string(), true)]);
        let h = held("async fn f() { save(m.lock().unwrap().pending.len()).await; }");
        assert_eq!(h, [("*".to_string(), true)]);
        let h = held(
            "async fn f() { let n = xs.iter().filter(|x| m.lock().unwrap().contains(x)).count(); save(n).await; }",
        );
        assert_eq!(h, [("contains".to_string(), false)]);
        let h = held("async fn f() { let g = m.lock().unwrap_or_else(PoisonError::into_inner); save().await; }");
        assert_eq!(h, [("g".to_string(), true)]);
        let h =
            held("async fn f() -> Result<()> { let g = m.lock().map_err(|_| E)?; save().await }");
        assert_eq!(h, [("g".to_string(), true)]);
    }

    /// (method, path, acquisition) of each operation through a guard in `f`.
    fn ops(src: &str) -> Vec<(String, String, usize)> {
        let file: syn::File = syn::parse_str(src).unwrap();
        let info = FileInfo::new("t.rs", src, &file);
        let syn::Item::Fn(f) = &file.items.last().unwrap() else {
            panic!()
        };
        let mut parts = crate::semantic::TestCx::default();
        let cx = parts.cx(&info);
        let acqs = acquisitions(&cx, &f.block);
        guard_ops(&info, &f.block, &acqs)
            .into_iter()
            .map(|o| match o.then {
                Some(then) => (format!("{}.{then}", o.method), o.path, o.acquisition),
                None => (o.method, o.path, o.acquisition),
            })
            .collect()
    }

    #[test]
    fn operations_through_guards() {
        let o = ops(
            "async fn f() { if m.lock().unwrap().contains_key(&k) { return; } \
                     let v = load().await; let mut g = m.lock().unwrap(); g.pending.insert(k, v); \
                     *g = x; g.n += 1; other.insert(1); }",
        );
        let s = |m: &str, p: &str, i| (m.to_string(), p.to_string(), i);
        assert_eq!(
            o,
            [
                s("contains_key", "", 0),
                s("insert", ".pending", 1),
                s("=", "", 1),
                s("=", ".n", 1)
            ]
        );
        let o = ops("fn f() { let n = m.lock().unwrap().entry(k).or_insert(0); *m.lock().unwrap() = None; }");
        assert_eq!(o, [s("entry.or_insert", "", 0), s("=", "", 1)]);
    }

    #[test]
    fn async_critical_sections_follow_their_guards() {
        let src =
            "async fn f() { { let g = a.lock().await; x().await; } let r = b.write().await?; \
                   y().await; drop(r); z().await; let n = c.lock().await.len(); \
                   let _p = per_key_lock(&locks, id).await; w().await; }";
        let file: syn::File = syn::parse_str(src).unwrap();
        let info = FileInfo::new("t.rs", src, &file);
        let syn::Item::Fn(f) = &file.items[0] else {
            panic!()
        };
        let sections: Vec<&str> = async_critical_sections(&info, &f.block)
            .into_iter()
            .map(|r| info.slice(r).trim())
            .collect();
        assert_eq!(sections, ["x().await; }", "y().await;", "w().await; }"]);
    }

    fn info_range(info: &FileInfo, e: &Expr) -> TextRange {
        expr_range(info, e)
    }

    #[test]
    fn compact_text_drops_whitespace_and_comments() {
        let src = "fn f() { room // the room\n .outbox /* queue */ .get(\"a // b\"); }";
        let file: syn::File = syn::parse_str(src).unwrap();
        let info = FileInfo::new("t.rs", src, &file);
        let syn::Item::Fn(f) = &file.items[0] else {
            panic!()
        };
        let Stmt::Expr(e, _) = &f.block.stmts[0] else {
            panic!()
        };
        assert_eq!(compact(&info, e), "room.outbox.get(\"a // b\")");
        assert_eq!(
            one_line(&info, info_range(&info, e)),
            "room.outbox.get(\"a // b\")"
        );
    }

    #[test]
    fn guards_handed_in_by_the_caller() {
        let sig = |s: &str| syn::parse_str::<syn::ItemFn>(s).unwrap().sig;
        assert!(takes_guard(&sig(
            "async fn f(&self, lock: &TracingExclusiveGuard<Op>) {}"
        )));
        assert!(takes_guard(&sig("async fn f(_p: OwnedSemaphorePermit) {}")));
        assert!(!takes_guard(&sig("async fn f(&self, id: u64) {}")));
    }

    #[test]
    fn async_lock_acquisitions_are_recognised() {
        let e: Expr = syn::parse_str("state.lock().await").unwrap();
        assert_eq!(async_guard_call(&e).map(|(_, k)| k), Some(LockKind::Mutex));
        let e: Expr = syn::parse_str("file.read(&mut buf).await").unwrap();
        assert!(async_guard_call(&e).is_none());
    }

    #[test]
    fn async_locks_and_unknown_plain_locks_are_not_guards() {
        assert!(held("async fn f() { let g = m.lock().await; save().await; }").is_empty());
        assert!(held("async fn f() { let g = m.lock(); save().await; }").is_empty());
        let h = held("use parking_lot::Mutex; async fn f() { let g = m.lock(); save().await; }");
        assert_eq!(h, [("g".to_string(), true)]);
        let h = held("use parking_lot::Mutex; async fn f() { a.write().await.flush().await; }");
        assert!(h.is_empty());
        let h = held("use std::borrow::BorrowMut; async fn f() { let b = buf.borrow_mut(); b.fill().await; }");
        assert!(h.is_empty());
    }
}
