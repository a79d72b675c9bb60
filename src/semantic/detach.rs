//! Spawned tasks whose handle is thrown away, and what is lost with it: an `Err` the
//! task returns, a panic a test relies on, or nothing but the wait at shutdown. Shared
//! by `dropped-join-handle` (a failure is lost) and `detached-task` (the pedantic
//! rest), so that each discarded handle is judged once, the same way.

use super::callee::{own_param_in, Callee};
use super::chain::{self, strip};
use super::index::{IndexQuery, ModelQuery};
use super::tasks::{async_block_of, discarded_handle, spawn_call, SpawnKind};
use super::uses::local_uses;
use super::Cx;
use crate::source::TextRange;
use syn::visit::{self, Visit};
use syn::{Block, Expr, Pat, Stmt};

/// When a finding holds: always, never, or when the crate model says so.
#[derive(Clone, Debug)]
pub enum Cond {
    Always,
    Never,
    If(IndexQuery),
}

impl Cond {
    fn and(self, other: Cond) -> Cond {
        match (self, other) {
            (Cond::Never, _) | (_, Cond::Never) => Cond::Never,
            (Cond::Always, c) | (c, Cond::Always) => c,
            (Cond::If(a), Cond::If(b)) => Cond::If(IndexQuery::All(vec![a, b])),
        }
    }

    fn not(self) -> Cond {
        match self {
            Cond::Always => Cond::Never,
            Cond::Never => Cond::Always,
            Cond::If(q) => Cond::If(IndexQuery::Not(Box::new(q))),
        }
    }
}

/// What a task's future returns, as far as its text or the crate model tells.
#[derive(Clone, Debug)]
pub enum Output {
    /// A `Result`: the body uses `?`, returns `Err`/`Ok`, or ends in one.
    Result,
    /// A `Result` if the crate fn it ends in returns one.
    ResultIf(Callee),
    /// Nothing that can fail (`()`, or a value the syntax cannot tell).
    Other,
}

/// A spawned task whose handle is discarded.
pub struct Discard {
    /// The spawning call (a spawn, or a call of the crate's spawn wrapper).
    pub call: TextRange,
    /// How the spawn is written (`tokio::spawn`, `rt.spawn`, `spawn_task`).
    pub spawner: String,
    pub kind: SpawnKind,
    /// Where and how the handle is lost.
    pub how: &'static str,
    pub dropped_at: Option<TextRange>,
    /// When the call spawns at all: always for a known spawn, if the model says
    /// the callee spawns its argument for a wrapper.
    pub spawns: Cond,
    pub output: Output,
    /// The task's code checks something by panicking (`assert!`, `panic!`).
    pub panics: bool,
    /// The spawned future is a parameter of the enclosing fn: this fn is a spawn
    /// wrapper or an executor adapter, and its callers are judged instead.
    pub forwards_param: bool,
}

impl Discard {
    /// When the discard loses a failure: the task's `Err`, or the task itself (a
    /// smol `Task` dropped is cancelled). In test code only what makes the test
    /// wrong counts: an assertion or `panic!` in the task, which can no longer fail
    /// the test (a helper task's `Err` or `unwrap` shows up in what the test checks).
    pub fn loses_failure(&self, in_test: bool) -> Cond {
        if self.kind == SpawnKind::CancelsOnDrop {
            return self.spawns.clone();
        }
        if self.forwards_param {
            return Cond::Never;
        }
        let lost = if in_test {
            if self.panics {
                Cond::Always
            } else {
                Cond::Never
            }
        } else {
            self.result_lost()
        };
        self.spawns.clone().and(lost)
    }

    fn result_lost(&self) -> Cond {
        match &self.output {
            Output::Result => Cond::Always,
            Output::ResultIf(c) => {
                Cond::If(IndexQuery::Model(ModelQuery::ReturnsResult(c.clone())))
            }
            Output::Other => Cond::Never,
        }
    }

    /// When the discard only detaches: the task handles its own failures.
    pub fn only_detaches(&self, in_test: bool) -> Cond {
        if self.kind == SpawnKind::CancelsOnDrop || self.forwards_param {
            return Cond::Never;
        }
        let lost = if in_test && self.panics {
            Cond::Always
        } else {
            self.result_lost()
        };
        self.spawns.clone().and(lost.not())
    }
}

/// The discards a statement makes: `spawn(..);`, `let _ = spawn(..);`,
/// `drop(spawn(..));`, `let _h = spawn(..);` (tokio: detached at the end of the
/// scope), and the same through a crate fn that spawns its argument.
pub fn discards_in_stmt(cx: &Cx, stmt: &Stmt) -> Vec<Discard> {
    match stmt_discard(cx, stmt) {
        Some((e, how, named)) => discards_of_call(cx, e, how, None, named, None),
        None => Vec::new(),
    }
}

/// The call a statement discards the result of, how, and whether into a named local.
fn stmt_discard<'a>(cx: &Cx, stmt: &'a Stmt) -> Option<(&'a Expr, &'static str, bool)> {
    let (e, how) = match stmt {
        Stmt::Expr(e, Some(_)) => match cx.drop_call_arg(e) {
            Some(inner) => (inner, "dropped here"),
            None => (strip(e), "handle discarded at the end of this statement"),
        },
        Stmt::Local(l) => {
            let (e, detached) = discarded_handle(stmt)?;
            if detached {
                return None;
            }
            let named = !matches!(crate::semantic::body::untyped(&l.pat), Pat::Wild(_));
            (
                e,
                if named {
                    "handle dropped at the end of the scope"
                } else {
                    "`let _ =` drops the handle at once"
                },
            )
        }
        _ => return None,
    };
    let named = matches!(stmt, Stmt::Local(l) if !matches!(crate::semantic::body::untyped(&l.pat), Pat::Wild(_)));
    Some((e, how, named))
}

/// `let t = spawn(..);` whose only later uses are `drop(t)` / `let _ = t;`, or none.
pub fn discards_in_block(cx: &Cx, block: &Block) -> Vec<Discard> {
    let mut out = Vec::new();
    for (i, stmt) in block.stmts.iter().enumerate() {
        let Stmt::Local(l) = stmt else { continue };
        let Pat::Ident(p) = crate::semantic::body::untyped(&l.pat) else {
            continue;
        };
        let name = p.ident.to_string();
        if name.starts_with('_') {
            continue;
        }
        let Some(init) = l.init.as_ref().filter(|i| i.diverge.is_none()) else {
            continue;
        };
        // What the binding would discard, before the uses are looked for: most
        // bindings hold no task.
        let mut found = discards_of_call(cx, strip(&init.expr), "", None, true, None);
        if found.is_empty() {
            continue;
        }
        let rest = &block.stmts[i + 1..];
        let uses = local_uses(rest, &name);
        if uses.in_opaque_macro || uses.mentions != uses.drops {
            continue;
        }
        let dropped_at = rest.iter().find_map(|s| drop_of(cx, s, &name));
        let how = if uses.mentions == 0 {
            "handle bound to a name that is never used"
        } else {
            "handle dropped later without being awaited"
        };
        for d in &mut found {
            d.how = how;
            d.dropped_at = dropped_at;
        }
        out.extend(found);
    }
    out.extend(discards_of_held_futures(cx, block));
    out
}

/// A task whose future was bound to a local of the block first: `let job = async move
/// { db.insert(&e).await?; .. }; tokio::spawn(job);`, or in test code `let checker =
/// async move { .. panic!(..) .. }; let _ = tokio::spawn(checker);`.
/// The statement alone shows only the name; the block the local holds is the task.
fn discards_of_held_futures(cx: &Cx, block: &Block) -> Vec<Discard> {
    let mut held: Vec<(String, &Expr)> = Vec::new();
    let mut out = Vec::new();
    for stmt in &block.stmts {
        if let Stmt::Local(l) = stmt {
            if let (Pat::Ident(p), Some(init)) = (crate::semantic::body::untyped(&l.pat), &l.init) {
                let name = p.ident.to_string();
                held.retain(|(n, _)| *n != name);
                if matches!(strip(&init.expr), Expr::Async(_) | Expr::Closure(_)) {
                    held.push((name, &init.expr));
                    continue;
                }
            }
        }
        let Some((e, how, named)) = stmt_discard(cx, stmt) else {
            continue;
        };
        let spawned = spawn_call(cx, e).is_some_and(|s| s.kind != SpawnKind::CancelsOnDrop);
        let Some(future) = spawned_arg(e)
            .and_then(chain::path_ident)
            .and_then(|i| held.iter().find(|(n, _)| i == n))
            .map(|(_, f)| *f)
        else {
            continue;
        };
        if spawned {
            out.extend(discards_of_call(cx, e, how, None, named, Some(future)));
        }
    }
    out
}

fn drop_of(cx: &Cx, s: &Stmt, name: &str) -> Option<TextRange> {
    match s {
        Stmt::Expr(e, _) => {
            let arg = cx.drop_call_arg(e)?;
            chain::path_ident(arg).filter(|i| *i == name)?;
            Some(cx.range(strip(e)))
        }
        Stmt::Local(l) if matches!(l.pat, Pat::Wild(_)) => {
            let init = l.init.as_ref()?;
            chain::path_ident(strip(&init.expr)).filter(|i| *i == name)?;
            Some(cx.range(strip(&init.expr)))
        }
        _ => None,
    }
}

fn discards_of_call(
    cx: &Cx,
    e: &Expr,
    how: &'static str,
    dropped_at: Option<TextRange>,
    named: bool,
    held: Option<&Expr>,
) -> Vec<Discard> {
    if let Some(spawn) = spawn_call(cx, e) {
        let params = enclosing_params(cx);
        // A smol task kept in a named local runs until the end of its scope, on purpose.
        if named && spawn.kind == SpawnKind::CancelsOnDrop {
            return Vec::new();
        }
        let future = held.or_else(|| spawned_arg(e));
        return vec![Discard {
            call: cx.range(e),
            spawner: spawn.spawner,
            kind: spawn.kind,
            how,
            dropped_at,
            spawns: Cond::Always,
            output: future.map_or(Output::Other, |f| output_of(cx, f)),
            panics: future.is_some_and(|f| can_panic(cx, f)),
            forwards_param: future.is_some_and(|f| own_param_in(f, &params, cx.scopes).is_some()),
        }];
    }
    // A call of the crate's own spawn wrapper: each future-valued argument.
    let args: Vec<&Expr> = match e {
        Expr::Call(c) => c.args.iter().collect(),
        Expr::MethodCall(m) => m.args.iter().collect(),
        _ => return Vec::new(),
    };
    let Some(callee) = cx.callee(e) else {
        return Vec::new();
    };
    let spawner = match e {
        Expr::Call(c) => cx.text(&*c.func).to_string(),
        Expr::MethodCall(m) => format!("{}.{}", cx.text(&*m.receiver), m.method),
        _ => String::new(),
    };
    // A crate fn that spawns a task itself and hands back its handle
    // (`fn spawn_submitter(&self) -> JoinHandle<Result<()>>`), named for what it
    // does: only such names are asked about, so that every other call statement
    // stays free.
    if !args.iter().any(|a| looks_like_future(a)) {
        let name = match e {
            Expr::Call(c) => match strip(&c.func) {
                Expr::Path(p) => p.path.segments.last().map(|s| s.ident.to_string()),
                _ => None,
            },
            Expr::MethodCall(m) => Some(m.method.to_string()),
            _ => None,
        };
        let starts_a_task = name.is_some_and(|n| {
            ["spawn", "start", "launch", "task", "worker", "background"]
                .iter()
                .any(|w| n.contains(w))
        });
        if !starts_a_task {
            return Vec::new();
        }
        return vec![Discard {
            call: cx.range(e),
            spawner,
            kind: SpawnKind::Detaches,
            how,
            dropped_at,
            spawns: Cond::If(IndexQuery::Model(ModelQuery::ReturnsResultHandle(callee))),
            output: Output::Result,
            panics: false,
            forwards_param: false,
        }];
    }
    let params = enclosing_params(cx);
    args.iter()
        .enumerate()
        .filter(|(_, a)| looks_like_future(a))
        .map(|(i, a)| Discard {
            call: cx.range(e),
            spawner: spawner.clone(),
            kind: SpawnKind::Detaches,
            how,
            dropped_at,
            spawns: Cond::If(IndexQuery::Model(ModelQuery::SpawnsArg {
                callee: callee.clone(),
                arg: i,
            })),
            output: output_of(cx, a),
            panics: can_panic(cx, a),
            forwards_param: own_param_in(a, &params, cx.scopes).is_some(),
        })
        .collect()
}

/// The parameter names of the enclosing fn, from its signature's text.
fn enclosing_params(cx: &Cx) -> Vec<String> {
    let Some((head, _)) = cx.enclosing_fn_text else {
        return Vec::new();
    };
    let text = cx.file.slice(head);
    let Some(open) = text
        .find("fn ")
        .and_then(|f| text[f..].find('(').map(|p| f + p))
    else {
        return Vec::new();
    };
    let inner = &text[open + 1..];
    let mut depth = 0usize;
    let mut params = Vec::new();
    let mut current = String::new();
    for c in inner.chars() {
        match c {
            '(' | '<' | '[' => depth += 1,
            ')' if depth == 0 => break,
            ')' | '>' | ']' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                params.push(std::mem::take(&mut current));
                continue;
            }
            _ => {}
        }
        current.push(c);
    }
    params.push(current);
    params
        .iter()
        .filter_map(|p| {
            let name = p
                .split(':')
                .next()?
                .trim()
                .trim_start_matches("mut ")
                .trim();
            (!name.is_empty() && !name.contains("self")).then(|| name.to_string())
        })
        .collect()
}

/// The future (or closure) a spawn call runs.
fn spawned_arg(e: &Expr) -> Option<&Expr> {
    match strip(e) {
        Expr::Call(c) => c.args.first(),
        Expr::MethodCall(m) => m.args.first(),
        _ => None,
    }
}

/// An argument that can be a future: an async block, a call, a pinned or
/// instrumented future, a closure (for a blocking-pool wrapper).
fn looks_like_future(e: &Expr) -> bool {
    match strip(e) {
        Expr::Async(_) | Expr::Call(_) | Expr::Closure(_) => true,
        Expr::MethodCall(m) => !matches!(
            m.method.to_string().as_str(),
            "clone" | "to_string" | "to_owned" | "into" | "as_ref" | "len"
        ),
        _ => false,
    }
}

/// What a spawned future (or blocking closure) returns.
pub fn output_of(cx: &Cx, e: &Expr) -> Output {
    if let Some(block) = async_block_of(e) {
        return block_output(cx, block);
    }
    match strip(e) {
        Expr::Closure(c) => match strip(&c.body) {
            Expr::Block(b) => block_output(cx, &b.block),
            body => tail_output(cx, body),
        },
        call @ (Expr::Call(_) | Expr::MethodCall(_)) => match cx.callee(call) {
            Some(c) => Output::ResultIf(c),
            None => Output::Other,
        },
        _ => Output::Other,
    }
}

fn block_output(cx: &Cx, block: &Block) -> Output {
    let mut f = Fails(false);
    for s in &block.stmts {
        f.visit_stmt(s);
    }
    if f.0 {
        return Output::Result;
    }
    match block.stmts.last() {
        Some(Stmt::Expr(tail, None)) => tail_output(cx, tail),
        _ => Output::Other,
    }
}

fn tail_output(cx: &Cx, tail: &Expr) -> Output {
    let tail = match strip(tail) {
        Expr::Await(a) => strip(&a.base),
        t => t,
    };
    if is_ok_or_err(tail) || returns_io_result(cx, tail) {
        return Output::Result;
    }
    match tail {
        Expr::Call(_) | Expr::MethodCall(_) => match cx.callee(tail) {
            Some(c) => Output::ResultIf(c),
            None => Output::Other,
        },
        _ => Output::Other,
    }
}

/// A call of the file system API (`std::fs::remove_file(p)`, `tokio::fs::write(..)`):
/// every fn there returns an `io::Result`.
fn returns_io_result(cx: &Cx, call: &Expr) -> bool {
    let Expr::Call(_) = call else {
        return false;
    };
    cx.call_path(call).is_some_and(|p| {
        ["std::fs::", "tokio::fs::", "async_std::fs::"]
            .iter()
            .any(|m| p.starts_with(m))
    })
}

fn is_ok_or_err(e: &Expr) -> bool {
    chain::call_path(strip(e))
        .and_then(|p| p.segments.last())
        .is_some_and(|s| s.ident == "Ok" || s.ident == "Err")
}

/// Whether a body fails with a `Result` of its own: `?` or `return Ok/Err(..)` at its
/// own level (not in nested closures, async blocks or items), or `bail!`/`ensure!`.
struct Fails(bool);

impl<'ast> Visit<'ast> for Fails {
    fn visit_expr(&mut self, e: &'ast Expr) {
        match e {
            Expr::Try(_) => self.0 = true,
            Expr::Return(r) => {
                if r.expr.as_deref().is_some_and(is_ok_or_err) {
                    self.0 = true;
                }
            }
            Expr::Closure(_) | Expr::Async(_) => {}
            Expr::Macro(m) => self.visit_macro(&m.mac),
            _ => visit::visit_expr(self, e),
        }
    }
    fn visit_macro(&mut self, m: &'ast syn::Macro) {
        if m.path
            .segments
            .last()
            .is_some_and(|s| s.ident == "bail" || s.ident == "ensure")
        {
            self.0 = true;
        }
    }
    fn visit_item(&mut self, _: &'ast syn::Item) {}
}

/// Whether the task checks something by panicking: an assertion or `panic!` in its own
/// code (its last statement, a loop over what it receives, a `match` arm). A check
/// followed by a send or a reply is seen by the test anyway (a failed check means the
/// reply never comes), and unwrap-like assertions (`assert_ok!`) are not checks.
pub fn can_panic(cx: &Cx, e: &Expr) -> bool {
    let body = match strip(e) {
        Expr::Closure(c) => match strip(&c.body) {
            Expr::Block(b) => Some(&b.block),
            _ => None,
        },
        _ => async_block_of(e),
    };
    let Some(body) = body else {
        return false;
    };
    let last = match body.stmts.last() {
        Some(Stmt::Macro(m)) => Some(&m.mac),
        Some(Stmt::Expr(Expr::Macro(m), _)) => Some(&m.mac),
        _ => None,
    };
    if last
        .and_then(|m| m.path.segments.last())
        .is_some_and(|s| is_check(&s.ident.to_string()))
    {
        return true;
    }
    // A test of the runtime's own panic handling panics on purpose.
    if let Some((head, fn_body)) = cx.enclosing_fn_text {
        if cx.file.slice(head).contains("should_panic")
            || cx.file.slice(fn_body).contains("unhandled_panic")
        {
            return false;
        }
    }
    let mut checks = Checks { cx, first: None };
    body.stmts.iter().for_each(|s| checks.visit_stmt(s));
    let Some(check) = checks.first else {
        return false;
    };
    let end = cx.file.end_of(body.brace_token.span.close());
    let after = cx.file.slice(TextRange::new(check.end, end.max(check.end)));
    !["send", "reply", "notify", "respond", "write"]
        .iter()
        .any(|w| after.contains(w))
}

/// The first check in a task's own code: an assertion anywhere, or a `panic!` that is
/// a `match` arm (`Event::Message(m) => panic!(..)`). A `panic!` elsewhere is as often
/// a failed setup step as a check.
struct Checks<'c, 'a> {
    cx: &'c Cx<'a>,
    first: Option<TextRange>,
}

impl<'ast> Visit<'ast> for Checks<'_, '_> {
    fn visit_expr(&mut self, e: &'ast Expr) {
        if self.first.is_some() {
            return;
        }
        match e {
            Expr::Async(_) | Expr::Closure(_) => {}
            Expr::Match(m) => {
                self.visit_expr(&m.expr);
                for arm in &m.arms {
                    if let Expr::Macro(mac) = strip(&arm.body) {
                        if mac.mac.path.is_ident("panic") && self.first.is_none() {
                            self.first = Some(self.cx.range(&*arm.body));
                        }
                    }
                    self.visit_expr(&arm.body);
                }
            }
            _ => visit::visit_expr(self, e),
        }
    }
    fn visit_macro(&mut self, m: &'ast syn::Macro) {
        if self.first.is_some() {
            return;
        }
        if m.path
            .segments
            .last()
            .is_some_and(|s| is_check(&s.ident.to_string()))
        {
            let start = self.cx.range(&m.path).start;
            let end = self.cx.file.end_of(m.delimiter.span().close());
            self.first = Some(TextRange::new(start, end));
        }
    }
    fn visit_item(&mut self, _: &'ast syn::Item) {}
}

fn is_check(name: &str) -> bool {
    matches!(
        name,
        "assert"
            | "assert_eq"
            | "assert_ne"
            | "assert_matches"
            | "debug_assert"
            | "debug_assert_eq"
            | "debug_assert_ne"
            | "assert_approx_eq"
    )
}

/// How a task's own code can panic, as written in its body.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PanicKind {
    /// `assert!`, `assert_eq!`, `panic!`: a check, the panic is the point.
    Check,
    /// `unwrap()`, `expect(..)` on anything but a lock.
    Unwrap,
}

/// An explicit panic path in a spawned future's (or blocking closure's) own code —
/// the first check (`panic!`, `assert*!`) if there is one, else the first `unwrap()` /
/// `expect(..)` — not in nested `async` blocks or items, which may run elsewhere, and
/// not a lock's poisoning (`m.lock().unwrap()`).
pub fn panic_path(cx: &Cx, e: &Expr) -> Option<(TextRange, PanicKind)> {
    let body = match strip(e) {
        Expr::Closure(c) => match strip(&c.body) {
            Expr::Block(b) => Some(&b.block),
            _ => None,
        },
        _ => async_block_of(e),
    };
    let mut p = Panics {
        cx,
        check: None,
        unwrap: None,
    };
    match body {
        Some(b) => b.stmts.iter().for_each(|s| p.visit_stmt(s)),
        None => match strip(e) {
            Expr::Closure(c) => p.visit_expr(&c.body),
            _ => return None,
        },
    }
    p.check.or(p.unwrap)
}

struct Panics<'c, 'a> {
    cx: &'c Cx<'a>,
    check: Option<(TextRange, PanicKind)>,
    unwrap: Option<(TextRange, PanicKind)>,
}

impl<'ast> Visit<'ast> for Panics<'_, '_> {
    fn visit_expr(&mut self, e: &'ast Expr) {
        if self.check.is_some() {
            return;
        }
        match e {
            Expr::Async(_) => {}
            Expr::MethodCall(m)
                if (m.method == "unwrap" && m.args.is_empty())
                    || (m.method == "expect" && m.args.len() == 1) =>
            {
                let poison = matches!(strip(&m.receiver), Expr::MethodCall(l)
                    if l.args.is_empty() && matches!(l.method.to_string().as_str(), "lock" | "read" | "write"));
                if self.unwrap.is_none() && !poison {
                    let start = self.cx.file.start_of(m.method.span());
                    let end = self.cx.range(e).end;
                    self.unwrap = Some((TextRange::new(start, end), PanicKind::Unwrap));
                }
                visit::visit_expr(self, e);
            }
            _ => visit::visit_expr(self, e),
        }
    }
    fn visit_macro(&mut self, m: &'ast syn::Macro) {
        if self.check.is_some() {
            return;
        }
        let Some(last) = m.path.segments.last() else {
            return;
        };
        let name = last.ident.to_string();
        if name == "panic" || name.starts_with("assert") || name.starts_with("debug_assert") {
            let start = self.cx.range(&m.path).start;
            let end = self.cx.file.end_of(m.delimiter.span().close());
            self.check = Some((TextRange::new(start, end), PanicKind::Check));
        }
    }
    fn visit_item(&mut self, _: &'ast syn::Item) {}
}
