//! A spawned task's handle handed to something that waits for it with a deadline (a
//! `timeout`, a `select!` against a timer): which tasks, under which name, whether it
//! is only lent, and whether the wait is a grace period.

use super::body::always_exits;
use super::body::pattern_names;
use super::calls::{DEADLINE_FNS, DEADLINE_METHODS};
use super::chain::{self, path_ident, strip};
use super::grace::{is_timer, stop_signal, thrown_away};
use super::handles::SpawnedHandles;
use super::macros::{parse_body, MacroBody};
use super::ownership::{mentioned_within, names_within};
use super::Cx;
use crate::source::TextRange;
use rustc_hash::FxHashSet as HashSet;
use syn::visit::{self, Visit};
use syn::{Block, Expr};

/// The deadlines a fn body puts on tasks' handles.
pub struct Deadlines {
    pub found: Vec<HandleDeadline>,
    /// The body aborts something (`abort()`, `abort_handle()`), or cancels a task
    /// (async-std's `h.cancel()`).
    pub stops_tasks: bool,
}

/// The deadlines `body` puts on the handles of tasks it spawns (or is given), in
/// source order: `timeout(d, h)`, `h.timeout(d)`, a `select!` between a handle and a
/// timer whose branch leaves the loop around it.
pub fn handle_deadlines(cx: &Cx, sig: &syn::Signature, body: &Block) -> Deadlines {
    let mut scan = Scan {
        cx,
        handle_params: handle_params(sig),
        handles: SpawnedHandles::default(),
        loops: 0,
        nested: 0,
        signals: Vec::new(),
        lets: Vec::new(),
        cancels: false,
        discarded: Vec::new(),
        loop_handles: Vec::new(),
        found: Vec::new(),
    };
    scan.visit_block(body);
    let stops_tasks = scan.handles.aborts || scan.cancels;
    let (signals, discarded, lets) = (scan.signals, scan.discarded, scan.lets);
    let mut found = scan.found;
    for f in &mut found {
        // A thrown-away outcome is a grace period for a task the fn was handed (whoever
        // owns it decides how it ends), not for one it spawned and walks away from.
        f.grace = discarded.contains(&f.range) && f.spawns.is_empty();
        for (_, root) in signals.iter().filter(|(at, _)| *at < f.range.start) {
            match signal_reaches(cx, body, &lets, root.as_deref(), &f.spawns) {
                Reach::Yes => f.grace = true,
                Reach::No => {}
                Reach::UnlessPlain(types) => f.unless_plain.extend(types),
            }
        }
    }
    Deadlines { found, stops_tasks }
}

/// Whether a stop signal can reach the tasks a deadline waits for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reach {
    Yes,
    No,
    /// Only through these parameters' types (their last path segment), unless each is
    /// plain data.
    UnlessPlain(Vec<String>),
}

/// Whether a stop signal sent through `root` can reach the tasks spawned at `spawns`:
/// one of them is handed `root`, a local bound together with it (the receiver of a
/// `let (tx, rx) = channel()`), a local made from it (`token.child_token()`), `self`,
/// or a parameter whose type may hold it (the caller may have put the same token in a
/// worker). A task the fn was handed, a signal through no local or through a static,
/// may be reached.
fn signal_reaches(
    cx: &Cx,
    body: &Block,
    lets: &[(HashSet<String>, TextRange)],
    root: Option<&str>,
    spawns: &[TextRange],
) -> Reach {
    let Some(root) = root else {
        return Reach::Yes;
    };
    if spawns.is_empty() || root.starts_with(|c: char| c.is_ascii_uppercase()) {
        return Reach::Yes;
    }
    let mut related = vec![root.to_string(), "self".to_string()];
    for (names, init) in lets {
        if names.contains(root) || mentioned_within(cx.file, body, root, init.start..init.end) {
            related.extend(names.iter().cloned());
        }
    }
    let mut types = Vec::new();
    for s in spawns {
        for name in names_within(cx.file, body, s.start..s.end) {
            if related.contains(&name) {
                return Reach::Yes;
            }
            let Some(origin) = cx.binding(&name).filter(|o| o.is_param) else {
                continue;
            };
            match origin.ty.as_deref() {
                Some(ty) if !origin.closure_param => {
                    let last = ty.rsplit("::").next().unwrap_or(ty).to_string();
                    if !types.contains(&last) {
                        types.push(last);
                    }
                }
                _ => return Reach::Yes,
            }
        }
    }
    if types.is_empty() {
        Reach::No
    } else {
        Reach::UnlessPlain(types)
    }
}

/// A handle argument: where its tasks were spawned (none for a parameter), its local
/// name, and whether it is lent (`&mut h`) and so still exists afterwards.
#[derive(Debug, Clone)]
pub struct WaitedHandle {
    pub spawns: Vec<TextRange>,
    pub name: Option<String>,
    pub lent: bool,
    /// A field declared in another file: a handle if the model says its declared type
    /// is one.
    pub needs: Option<super::index::IndexQuery>,
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
            return Some(WaitedHandle {
                spawns,
                name,
                lent,
                needs: None,
            });
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
                needs: None,
            });
        }
        // A parameter, local or field declared as a `JoinHandle` (`self.handle`).
        let Some(ty) = super::types::declared_type(cx.file, cx.scopes, inner) else {
            // A field of a struct declared in another file: the model knows its type.
            let field = cx.field_access(inner)?;
            let asks: Vec<_> = HANDLE_TYPES
                .iter()
                .filter_map(|t| super::types::field_is_callee(&field, t))
                .collect();
            return Some(WaitedHandle {
                spawns: Vec::new(),
                name: None,
                lent,
                needs: Some(super::index::IndexQuery::Any(asks)),
            });
        };
        ty.ends_with("JoinHandle").then(|| WaitedHandle {
            spawns: Vec::new(),
            name: path_ident(inner).map(|i| i.to_string()),
            lent,
            needs: None,
        })
    }
}

/// A deadline on a task's handle.
pub struct HandleDeadline {
    pub range: TextRange,
    /// `timeout` or `select!`.
    pub select: bool,
    /// Where the tasks were spawned (empty for a handle passed in).
    pub spawns: Vec<TextRange>,
    /// The handle's local name, when it has one.
    pub name: Option<String>,
    /// The handle is lent (`&mut h`) and so still exists afterwards: its name.
    pub kept: Option<String>,
    pub in_loop: bool,
    /// A grace period: its outcome is thrown away, or the fn told the task to stop
    /// before it.
    pub grace: bool,
    /// A grace period too unless each of these types (of parameters the tasks are
    /// handed, which a stop signal could reach through) is plain data.
    pub unless_plain: Vec<String>,
    /// The handle is a field declared in another file: the model's question whether
    /// it is a task's handle.
    pub needs: Option<super::index::IndexQuery>,
}

struct Scan<'c, 'a> {
    cx: &'c Cx<'a>,
    /// The fn's parameters declared to hold task handles.
    handle_params: Vec<String>,
    handles: SpawnedHandles,
    /// Loops around the current point.
    loops: usize,
    /// Closures and async blocks around the current point.
    nested: usize,
    /// Where the fn itself tells something to stop, and the local the signal goes
    /// through.
    signals: Vec<(usize, Option<String>)>,
    /// The names each `let` binds, and its initializer.
    lets: Vec<(HashSet<String>, TextRange)>,
    /// `h.cancel()` (async-std's way to stop a task).
    cancels: bool,
    /// Expressions whose value a statement throws away (`let _ = x;`, `x.await.ok();`).
    discarded: Vec<TextRange>,
    /// Loop variables over handles (`for h in handles`), innermost last.
    loop_handles: Vec<(String, Vec<TextRange>)>,
    found: Vec<HandleDeadline>,
}

/// The task handle types a field may be declared with.
const HANDLE_TYPES: &[&str] = &["tokio::task::JoinHandle", "async_std::task::JoinHandle"];

/// The parameters of `sig` whose declared type holds task handles (`handles:
/// Vec<(u64, JoinHandle<T>)>`, `&mut [JoinHandle<()>]`).
fn handle_params(sig: &syn::Signature) -> Vec<String> {
    sig.inputs
        .iter()
        .filter_map(|arg| match arg {
            syn::FnArg::Typed(t) => Some(t),
            syn::FnArg::Receiver(_) => None,
        })
        .filter(|t| {
            super::futures::mentions_ident(quote::ToTokens::to_token_stream(&t.ty), "JoinHandle")
        })
        .filter_map(|t| super::body::single_binding(&t.pat))
        .collect()
}

impl Scan<'_, '_> {
    fn handle(&self, e: &Expr) -> Option<WaitedHandle> {
        let (inner, lent) = match strip(e) {
            Expr::Reference(r) if r.mutability.is_some() => (strip(&r.expr), true),
            e => (e, false),
        };
        let looped = path_ident(inner).and_then(|i| {
            let (name, spawns) = self.loop_handles.iter().rev().find(|(n, _)| i == n)?;
            Some(WaitedHandle {
                spawns: spawns.clone(),
                name: Some(name.clone()),
                lent,
                needs: None,
            })
        });
        looped.or_else(|| self.handles.waited_handle(self.cx, e))
    }

    fn found(&mut self, range: TextRange, select: bool, h: WaitedHandle) {
        self.found.push(HandleDeadline {
            range,
            select,
            spawns: h.spawns,
            kept: h.lent.then(|| h.name.clone()).flatten(),
            name: h.name,
            in_loop: self.loops > 0,
            grace: false,
            unless_plain: Vec::new(),
            needs: h.needs,
        });
    }

    fn call(&mut self, e: &Expr, c: &syn::ExprCall) {
        let Some(path) = self.cx.call_path(e) else {
            return;
        };
        if DEADLINE_FNS.contains(&path.as_str()) && c.args.len() == 2 {
            if let Some(h) = self.handle(&c.args[1]) {
                self.found(self.cx.range(e), false, h);
            }
        }
        if self.nested == 0 {
            if let Some(root) = stop_signal(self.cx, e) {
                self.signals.push((self.cx.range(e).start, root));
            }
        }
    }

    fn method_call(&mut self, e: &Expr, m: &syn::ExprMethodCall) {
        self.handles.method_call(self.cx, m);
        let method = m.method.to_string();
        if method == "cancel"
            && path_ident(&m.receiver).is_some_and(|i| self.handles.holds_handles(&i.to_string()))
        {
            self.cancels = true;
        }
        if DEADLINE_METHODS.contains(&method.as_str()) && m.args.len() == 1 {
            if let Some(h) = self.handle(&m.receiver) {
                self.found(self.cx.range(e), false, h);
            }
        }
        if self.nested == 0 {
            if let Some(root) = stop_signal(self.cx, e) {
                self.signals.push((self.cx.range(e).start, root));
            }
        }
    }

    /// `select!` between a handle and a timer, where the timer's branch leaves.
    fn select(&mut self, range: TextRange, branches: &[crate::semantic::macros::SelectBranch]) {
        let handle = branches
            .iter()
            .find_map(|b| b.future.as_ref().and_then(|f| self.handle(f)));
        let Some(handle) = handle else {
            return;
        };
        let timer = branches.iter().find(|b| {
            b.future
                .as_ref()
                .is_some_and(|f| is_timer(self.cx.text(f)) && self.handle(f).is_none())
        });
        let Some(timer) = timer else {
            return;
        };
        if self.cx.text(&timer.handler).contains("abort") {
            return;
        }
        // In a loop, a timer branch that goes round again waits for the task again.
        if self.loops > 0 && !always_exits(&timer.handler) {
            return;
        }
        self.found(range, true, handle);
    }
}

impl<'ast> Visit<'ast> for Scan<'_, '_> {
    fn visit_item(&mut self, _: &'ast syn::Item) {}

    fn visit_stmt(&mut self, s: &'ast syn::Stmt) {
        if let Some(e) = thrown_away(s) {
            self.discarded.push(self.cx.range(e));
        }
        visit::visit_stmt(self, s);
    }

    fn visit_local(&mut self, l: &'ast syn::Local) {
        visit::visit_local(self, l);
        if let Some(init) = &l.init {
            let mut names = HashSet::default();
            pattern_names(&l.pat, &mut names);
            self.lets.push((names, self.cx.range(&*init.expr)));
        }
        self.handles.bind_local(self.cx, l);
    }

    fn visit_expr(&mut self, e: &'ast Expr) {
        stacker::maybe_grow(64 * 1024, 1024 * 1024, || match e {
            Expr::ForLoop(f) => {
                self.visit_expr(&f.expr);
                // `for h in handles`, or `for (host, h) in handles` over handles paired
                // with keys (the key is never awaited, so taking it along is harmless).
                let vars: Vec<String> = match &*f.pat {
                    syn::Pat::Ident(p) => vec![p.ident.to_string()],
                    syn::Pat::Tuple(t) => t
                        .elems
                        .iter()
                        .filter_map(|e| match e {
                            syn::Pat::Ident(p) => Some(p.ident.to_string()),
                            _ => None,
                        })
                        .collect(),
                    _ => Vec::new(),
                };
                // Or over a parameter of handles: `handles: Vec<(u64, JoinHandle<T>)>`.
                let spawns = self.handles.handle_arg(self.cx, &f.expr).or_else(|| {
                    let param = path_ident(strip(&f.expr))?.to_string();
                    (self.handle_params.contains(&param) && self.cx.scopes.names_param(&param))
                        .then(Vec::new)
                });
                let bound = match spawns {
                    Some(spawns) => {
                        for v in &vars {
                            self.loop_handles.push((v.clone(), spawns.clone()));
                        }
                        vars.len()
                    }
                    None => 0,
                };
                self.loops += 1;
                self.visit_block(&f.body);
                self.loops -= 1;
                for _ in 0..bound {
                    self.loop_handles.pop();
                }
            }
            Expr::While(_) | Expr::Loop(_) => {
                self.loops += 1;
                visit::visit_expr(self, e);
                self.loops -= 1;
            }
            Expr::Closure(_) | Expr::Async(_) => {
                self.nested += 1;
                visit::visit_expr(self, e);
                self.nested -= 1;
            }
            _ => {
                visit::visit_expr(self, e);
                match e {
                    Expr::MethodCall(m) => self.method_call(e, m),
                    Expr::Call(c) => self.call(e, c),
                    _ => {}
                }
            }
        });
    }

    fn visit_macro(&mut self, m: &'ast syn::Macro) {
        match &*parse_body(m) {
            MacroBody::Exprs(exprs) => exprs.iter().for_each(|e| self.visit_expr(e)),
            MacroBody::Select(branches) => {
                branches
                    .iter()
                    .flat_map(|b| b.future.iter())
                    .for_each(|e| self.visit_expr(e));
                let start = self.cx.range(&m.path).start;
                let end = self.cx.file.end_of(m.delimiter.span().close());
                self.select(TextRange::new(start, end), branches);
                branches.iter().for_each(|b| self.visit_expr(&b.handler));
            }
            MacroBody::Opaque => {}
        }
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
