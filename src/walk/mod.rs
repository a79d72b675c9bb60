//! The single walk over a file: it computes context as it descends (async frames,
//! scopes and bindings, macro bodies, `select!` nesting) and hands each node to the
//! enabled rules. The tree is walked once, however many rules run.

use crate::config::RuleOptions;
use crate::model::record::{At, Recorder};
use crate::rules::{FnKind, FnNode, Hooks, Rule, TestCode};
use crate::semantic::callee::Scope;
use crate::semantic::chain::{self, strip};
use crate::semantic::index::{
    await_kinds, future_assoc, returns_future_in, AssocTypes, CallCounts, FnEntry, FnKey,
};
use crate::semantic::macros::{parse_body, MacroBody};
use crate::semantic::scope::{Context, Frame, Origin, Scopes};
use crate::semantic::{calls, tasks, testcode, Cx, FileInfo, NodeRange, Sink};
use crate::source::TextRange;
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use std::sync::Arc;
use syn::visit::{self, Visit};
use syn::{Block, Expr, FnArg, Pat, Signature, Stmt};

mod locals;
use locals::is_mut_ref;

/// Stack kept free before descending further; the walk grows its stack on the heap
/// when less than this is left, so deeply nested code cannot overflow it.
const RED_ZONE: usize = 128 * 1024;
const GROW_BY: usize = 4 * 1024 * 1024;

pub struct Walker<'a> {
    file: &'a FileInfo<'a>,
    /// For each hook (indexed by [`Hook`]), the rules that implement it, with their
    /// configured options: a node is handed only to the rules that look at its kind.
    by_hook: [Vec<(&'a dyn Rule, &'a RuleOptions)>; 4],
    context: Context,
    scopes: Scopes,
    select_depth: usize,
    /// How many deadlines enclose this node: `timeout(d, ..)` arguments, `.timeout(d)`
    /// receivers, `select!` branches raced against a sleep or a cancellation.
    deadline_depth: usize,
    /// Set by a call for the closure argument it is about to visit: where it runs.
    next_closure: Option<Frame>,
    /// Set by a single-future executor's `block_on` called from sync code for the
    /// `async` block it is given.
    next_block_own_executor: bool,
    /// `async` blocks bound in sync code and then handed to a `block_on` of the
    /// code's own (a build tool's small executor): by address.
    own_executor_blocks: HashSet<usize>,
    /// What a fn item met at this point is: set inside `impl` and `trait` items.
    fn_kind: FnKind,
    pub sink: Sink,
    /// The fns this file defines, for the crate-wide index.
    pub fns: Vec<FnEntry>,
    /// The calls this file makes, by callee name and arity, for the crate-wide index.
    pub calls: HashMap<FnKey, CallCounts>,
    /// Names passed as plain arguments (`Box::new(establish)`): fns handed to other
    /// code as values, which calls them where the syntax does not show.
    pub values: HashSet<String>,
    /// How many `const` items enclose this node: their values are computed when the
    /// crate is compiled.
    in_const: u32,
    /// The fns enclosing this node, innermost last.
    fn_stack: Vec<FnEntry>,
    /// Their texts: attributes and signature, body.
    fn_texts: Vec<(TextRange, TextRange)>,
    /// The line of each open fn's name: the place the crate model knows it by.
    fn_lines: Vec<u32>,
    /// Call rules whose [`TestCode`] is `Skip` in test code too.
    check_all_tests: bool,
    /// What the crate model learns of this file's fns.
    pub recorder: Recorder,
    /// The crate, module and `impl` type of this point.
    scope: Arc<Scope>,
    /// The trait of the `impl` this point is in.
    trait_name: Option<String>,
    /// The associated types of the enclosing trait or impl that are futures.
    future_assoc: Vec<String>,
    /// Calls the configuration names as blocking.
    extra_blocking: &'a [String],
}

/// The hooks of [`Rule`], as indexes into [`Walker::by_hook`].
#[derive(Clone, Copy)]
enum Hook {
    Expr,
    Stmt,
    Fn,
    Block,
}

static NO_OPTIONS: RuleOptions = RuleOptions {
    extra_calls: Vec::new(),
    read_like: None,
    spawn_wrappers: Vec::new(),
    async_methods: Vec::new(),
};

impl<'a> Walker<'a> {
    /// Hands each enabled rule that implements `hook` the context at the current
    /// node: built once per node, with each rule's own options.
    fn for_each_rule(&mut self, hook: Hook, mut f: impl FnMut(&'a dyn Rule, &mut Cx<'_>)) {
        let in_test = self.context.in_test() || self.file.is_test_file;
        let skip_test_only = in_test && !self.check_all_tests;
        let mut cx = Cx {
            file: self.file,
            options: &NO_OPTIONS,
            context: &self.context,
            scopes: &self.scopes,
            select_depth: self.select_depth,
            under_deadline: self.deadline_depth > 0,
            in_test,
            enclosing_fn: self.fn_stack.last(),
            enclosing_fn_text: self.fn_texts.last().copied(),
            enclosing_fn_line: self.fn_lines.last().copied(),
            trait_impl: self.trait_name.as_deref(),
            check_all_tests: self.check_all_tests,
            scope: &self.scope,
            sink: &mut self.sink,
        };
        for &(rule, options) in &self.by_hook[hook as usize] {
            if skip_test_only && rule.meta().tests == TestCode::Skip {
                continue;
            }
            cx.options = options;
            f(rule, &mut cx);
        }
    }

    pub fn new(file: &'a FileInfo<'a>, rules: &'a [&'a dyn Rule]) -> Self {
        Walker::with_options(file, rules, &[])
    }

    /// A walker with the file's settings: each rule's options and the test-code
    /// policy.
    pub fn with_settings(
        file: &'a FileInfo<'a>,
        rules: &'a [&'a dyn Rule],
        settings: &crate::engine::FileSettings<'a>,
    ) -> Self {
        let mut w = Walker::with_options(file, rules, settings.options);
        w.check_all_tests = settings.check_all_tests;
        w.extra_blocking = settings.extra_blocking;
        w
    }

    /// A walker whose rules see their configured options (`options[i]` for
    /// `rules[i]`; missing entries are the defaults).
    pub fn with_options(
        file: &'a FileInfo<'a>,
        rules: &'a [&'a dyn Rule],
        options: &'a [&'a RuleOptions],
    ) -> Self {
        let by_hook = [Hooks::EXPR, Hooks::STMT, Hooks::FN, Hooks::BLOCK].map(|hook| {
            rules
                .iter()
                .enumerate()
                .filter(|(_, rule)| rule.hooks().contains(hook))
                .map(|(i, rule)| (*rule, options.get(i).copied().unwrap_or(&NO_OPTIONS)))
                .collect()
        });
        Walker {
            file,
            by_hook,
            context: Context::default(),
            scopes: Scopes::default(),
            select_depth: 0,
            deadline_depth: 0,
            next_closure: None,
            next_block_own_executor: false,
            own_executor_blocks: HashSet::default(),
            fn_kind: FnKind::Free,
            sink: Sink::default(),
            fns: Vec::new(),
            calls: HashMap::default(),
            values: HashSet::default(),
            in_const: 0,
            fn_stack: Vec::new(),
            fn_texts: Vec::new(),
            fn_lines: Vec::new(),
            check_all_tests: false,
            recorder: Recorder::default(),
            scope: Arc::new(Scope {
                krate: file.krate,
                module: file.module.clone(),
                self_ty: None,
            }),
            trait_name: None,
            future_assoc: Vec::new(),
            extra_blocking: &[],
        }
    }

    pub fn walk_file(&mut self, file: &syn::File) {
        self.visit_file(file);
    }

    /// Walks the inner attributes of a file read item by item (`#![doc = ..]`), as
    /// [`Walker::walk_file`] does before its items.
    pub fn walk_attributes(&mut self, attrs: &[syn::Attribute]) {
        for attr in attrs {
            self.visit_attribute(attr);
        }
    }

    /// Walks one top-level item of a file read item by item: the same walk as
    /// [`Walker::walk_file`] gives that item.
    pub fn walk_item(&mut self, item: &syn::Item) {
        self.visit_item(item);
    }

    /// Adds a fn to the index: async if it is an `async fn` (not turned into a sync fn
    /// by `#[tokio::main]` / `#[tokio::test]`-style attributes) or returns a future.
    fn record_fn(&mut self, attrs: &[syn::Attribute], sig: &Signature, body: Option<&Block>) {
        let is_method = sig.receiver().is_some();
        let runs_itself = attrs.iter().any(|a| {
            a.path()
                .segments
                .last()
                .is_some_and(|s| s.ident == "main" || s.ident == "test")
        });
        self.fns.push(FnEntry {
            key: FnKey {
                name: sig.ident.to_string(),
                arity: sig.inputs.len() - usize::from(is_method),
                is_method,
            },
            is_async: (sig.asyncness.is_some() && !runs_itself)
                || returns_future_in(&sig.output, &self.future_assoc),
            // A required trait method's implementations are not known: it may wait
            // for anything.
            awaits: body.map_or_else(
                || vec![crate::semantic::index::AwaitKind::Other],
                |b| await_kinds(sig, b),
            ),
        });
    }

    fn enter_fn(&mut self, attrs: &[syn::Attribute], sig: &Signature, body: &Block) {
        let is_async = sig.asyncness.is_some();
        self.record_fn(attrs, sig, Some(body));
        let in_test =
            self.context.in_test() || self.file.is_test_file || testcode::is_test_item(attrs);
        let trait_name = self.trait_name.clone();
        self.record(|r, at| r.open_fn(at, attrs, sig, body, trait_name, in_test));
        if let Some(entry) = self.fns.last().cloned() {
            self.fn_stack.push(entry);
        }
        let body_range = self.file.range(body.brace_token.span.join());
        let head_start = attrs
            .first()
            .map(|a| self.file.start_of(a.pound_token.span))
            .unwrap_or_else(|| self.file.start_of(sig.fn_token.span))
            .min(body_range.start);
        self.fn_texts
            .push((TextRange::new(head_start, body_range.start), body_range));
        let name_line = self
            .file
            .lines
            .position(self.file.text, self.file.start_of(sig.ident.span()))
            .line;
        self.fn_lines.push(name_line as u32);
        // A nested fn sees none of the enclosing fn's locals.
        let outer_scopes = std::mem::take(&mut self.scopes);
        let outer_select = std::mem::replace(&mut self.select_depth, 0);
        let outer_deadline = std::mem::replace(&mut self.deadline_depth, 0);
        let test = testcode::is_test_item(attrs);
        self.context.enter_test(test);
        // Items nested in the body are free fns again.
        let kind = std::mem::replace(&mut self.fn_kind, FnKind::Free);
        self.context.push(if is_async {
            Frame::AsyncFn
        } else {
            Frame::SyncFn
        });
        self.scopes.push();
        for input in &sig.inputs {
            match input {
                FnArg::Typed(pt) => {
                    let origin = Origin {
                        mutable: is_mut_ref(&pt.ty),
                        ..Origin::default()
                    };
                    // `State(state): State<Arc<AppState>>`: an extractor's pattern
                    // binds the value its type wraps.
                    if let Some((inner, ty)) = unwrapped_param(&pt.pat, &pt.ty) {
                        let ty = self.type_path(ty);
                        self.bind_pattern(inner, Some(&origin), ty, true);
                        continue;
                    }
                    let ty = self.type_path(&pt.ty);
                    self.bind_pattern(&pt.pat, Some(&origin), ty, true);
                }
                FnArg::Receiver(r) => {
                    let mutable = r.mutability.is_some()
                        || match &r.kind {
                            syn::ReceiverKind::Reference(_, _, m) => m.is_some(),
                            syn::ReceiverKind::Typed(_, ty) => is_mut_ref(ty),
                            _ => false,
                        };
                    self.scopes.bind(
                        "self".to_string(),
                        Origin {
                            is_param: true,
                            mutable,
                            ..Origin::default()
                        },
                    );
                }
            }
        }
        let node = FnNode {
            attrs,
            sig,
            body,
            kind,
        };
        self.for_each_rule(Hook::Fn, |rule, cx| rule.check_fn(cx, &node));
        self.visit_block(body);
        self.context.pop();
        self.scopes = outer_scopes;
        self.select_depth = outer_select;
        self.deadline_depth = outer_deadline;
        self.fn_kind = kind;
        self.context.leave_test(test);
        self.fn_stack.pop();
        self.fn_texts.pop();
        self.fn_lines.pop();
        self.recorder.close_fn();
    }

    /// Counts a call of `name` with `arity` arguments, under a deadline or not. A
    /// call in a `const`'s value runs at compile time and is not counted.
    fn record_call(&mut self, name: &syn::Ident, arity: usize, is_method: bool) {
        if self.in_const > 0 {
            return;
        }
        let key = FnKey {
            name: name.to_string(),
            arity,
            is_method,
        };
        let counts = self.calls.entry(key).or_default();
        if self.deadline_depth > 0 {
            counts.bounded += 1;
        } else {
            counts.unbounded += 1;
        }
    }

    /// In sync code: `let f = async { .. };` followed by a free `block_on(.., f, ..)`
    /// that is not tokio's drives `f` on this thread, alone or with its siblings.
    fn note_blocks_driven_here(&mut self, b: &Block) {
        let mut bound: Vec<(String, usize)> = Vec::new();
        for stmt in &b.stmts {
            if let Stmt::Local(l) = stmt {
                if let (Pat::Ident(p), Some(init)) = (&l.pat, &l.init) {
                    if let Expr::Async(a) = strip(&init.expr) {
                        bound.push((p.ident.to_string(), a as *const _ as usize));
                    }
                }
            }
        }
        if bound.is_empty() {
            return;
        }
        for stmt in &b.stmts {
            let e = match stmt {
                Stmt::Expr(e, _) => e,
                Stmt::Local(l) => match &l.init {
                    Some(init) => &*init.expr,
                    None => continue,
                },
                _ => continue,
            };
            let Expr::Call(c) = strip(e) else { continue };
            let Some(path) = chain::call_path(strip(e)) else {
                continue;
            };
            let named_block_on = path.segments.last().is_some_and(|s| s.ident == "block_on");
            let tokio = self
                .file
                .uses
                .resolve(path)
                .is_some_and(|p| p.starts_with("tokio::"));
            if !named_block_on || tokio {
                continue;
            }
            for arg in &c.args {
                if let Some(i) = chain::path_ident(strip(arg)) {
                    for (name, addr) in &bound {
                        if i == name {
                            self.own_executor_blocks.insert(*addr);
                        }
                    }
                }
            }
        }
    }

    /// Hands the recorder what it needs of this point of the walk.
    fn record(&mut self, f: impl FnOnce(&mut Recorder, &At)) {
        let at = At {
            file: self.file,
            scopes: &self.scopes,
            context: &self.context,
            scope: &self.scope,
            extra_blocking: self.extra_blocking,
            under_deadline: self.deadline_depth > 0,
            future_assoc: &self.future_assoc,
        };
        f(&mut self.recorder, &at);
    }

    /// Walks `f` with the scope changed by `change` (a module entered, an `impl`).
    fn with_scope_of(&mut self, change: impl FnOnce(&mut Scope), f: impl FnOnce(&mut Self)) {
        let mut inner = (*self.scope).clone();
        change(&mut inner);
        let outer = std::mem::replace(&mut self.scope, Arc::new(inner));
        f(self);
        self.scope = outer;
    }

    fn with_fn_kind(&mut self, kind: FnKind, f: impl FnOnce(&mut Self)) {
        let outer = std::mem::replace(&mut self.fn_kind, kind);
        f(self);
        self.fn_kind = outer;
    }

    fn visit_args<'e>(&mut self, call: &Expr, args: impl Iterator<Item = &'e Expr>) {
        let mut frame = None;
        for arg in args {
            // A fn's name as an argument: not a local, not a type or constant.
            if let Some(name) = chain::path_ident(arg).map(|i| i.to_string()) {
                if name.starts_with(|c: char| c.is_ascii_lowercase())
                    && self.scopes.lookup(&name).is_none()
                {
                    self.values.insert(name);
                }
            }
            if matches!(strip(arg), Expr::Closure(_)) {
                let f = *frame.get_or_insert_with(|| tasks::closure_frame(call, &self.file.uses));
                self.next_closure = Some(f);
            }
            self.visit_expr(arg);
            self.next_closure = None;
        }
    }

    /// Whether a receiver was configured with `setting`: in its own chain, or in the
    /// initializer of the local it starts from.
    fn configured(&self, receiver: &Expr, setting: &str) -> bool {
        let c = chain::chain(receiver);
        c.methods.iter().any(|m| m.method == setting)
            || chain::receiver_ident(c.root)
                .and_then(|i| self.scopes.lookup(&i.to_string()))
                .is_some_and(|o| o.methods.iter().any(|m| m == setting))
    }

    fn file_range(&self, e: &Expr) -> crate::source::TextRange {
        e.text_range(self.file)
    }

    fn with_scope(&mut self, f: impl FnOnce(&mut Self)) {
        let depth = self.scopes.depth();
        self.scopes.push();
        f(self);
        self.scopes.truncate(depth);
    }
}

impl<'ast> Visit<'ast> for Walker<'_> {
    fn visit_item_mod(&mut self, m: &'ast syn::ItemMod) {
        let test = testcode::is_test_item(&m.attrs);
        self.context.enter_test(test);
        let name = m.ident.to_string();
        self.with_scope_of(|s| s.module.push(name), |w| visit::visit_item_mod(w, m));
        self.context.leave_test(test);
    }

    fn visit_item_struct(&mut self, s: &'ast syn::ItemStruct) {
        let file = self.file;
        self.recorder.record_struct(file, s);
        visit::visit_item_struct(self, s);
    }

    fn visit_item_enum(&mut self, e: &'ast syn::ItemEnum) {
        let file = self.file;
        self.recorder.messages.record_enum(e, file);
        visit::visit_item_enum(self, e);
    }

    fn visit_item_type(&mut self, t: &'ast syn::ItemType) {
        let file = self.file;
        self.recorder.messages.record_alias(t, file);
        self.recorder.record_alias(t);
        visit::visit_item_type(self, t);
    }

    fn visit_item_const(&mut self, c: &'ast syn::ItemConst) {
        self.in_const += 1;
        visit::visit_item_const(self, c);
        self.in_const -= 1;
    }

    fn visit_impl_item_const(&mut self, c: &'ast syn::ImplItemConst) {
        self.in_const += 1;
        visit::visit_impl_item_const(self, c);
        self.in_const -= 1;
    }

    fn visit_trait_item_const(&mut self, c: &'ast syn::TraitItemConst) {
        self.in_const += 1;
        visit::visit_trait_item_const(self, c);
        self.in_const -= 1;
    }

    fn visit_item_fn(&mut self, f: &'ast syn::ItemFn) {
        self.enter_fn(&f.attrs, &f.sig, &f.block);
    }

    /// A static's initializer runs once, when first used (`LazyLock::new(|| ..)`): the
    /// calls it makes are recorded as those of a fn of its own, which nothing calls.
    fn visit_item_static(&mut self, s: &'ast syn::ItemStatic) {
        self.record(|r, at| r.open_static(at, &s.ident, &s.expr));
        visit::visit_item_static(self, s);
        self.recorder.close_fn();
    }

    fn visit_impl_item_fn(&mut self, f: &'ast syn::ImplItemFn) {
        self.enter_fn(&f.attrs, &f.sig, &f.block);
    }

    fn visit_item_impl(&mut self, i: &'ast syn::ItemImpl) {
        let kind = if i.trait_.is_some() {
            FnKind::TraitImpl
        } else {
            FnKind::Inherent
        };
        let test = testcode::is_test_item(&i.attrs);
        self.context.enter_test(test);
        let self_ty = match &*i.self_ty {
            syn::Type::Path(p) => p.path.segments.last().map(|s| s.ident.to_string()),
            _ => None,
        };
        let trait_name = i
            .trait_
            .as_ref()
            .and_then(|(p, _)| p.segments.last().map(|s| s.ident.to_string()));
        let outer_trait = std::mem::replace(&mut self.trait_name, trait_name);
        self.with_scope_of(
            |s| s.self_ty = self_ty,
            |w| {
                let assoc = future_assoc(AssocTypes::Impl(&i.items));
                let outer = std::mem::replace(&mut w.future_assoc, assoc);
                w.with_fn_kind(kind, |w| visit::visit_item_impl(w, i));
                w.future_assoc = outer;
            },
        );
        self.trait_name = outer_trait;
        self.context.leave_test(test);
    }

    fn visit_item_trait(&mut self, t: &'ast syn::ItemTrait) {
        let outer_trait = self.trait_name.replace(t.ident.to_string());
        self.with_scope_of(
            |s| s.self_ty = None,
            |w| {
                let assoc = future_assoc(AssocTypes::Trait(&t.items));
                let outer = std::mem::replace(&mut w.future_assoc, assoc);
                w.with_fn_kind(FnKind::TraitDefault, |w| visit::visit_item_trait(w, t));
                w.future_assoc = outer;
            },
        );
        self.trait_name = outer_trait;
    }

    fn visit_trait_item_fn(&mut self, f: &'ast syn::TraitItemFn) {
        match &f.default {
            Some(body) => self.enter_fn(&f.attrs, &f.sig, body),
            // A required method still tells callers whether it is async.
            None => {
                self.record_fn(&f.attrs, &f.sig, None);
                let in_test = self.context.in_test() || self.file.is_test_file;
                let trait_name = self.trait_name.clone();
                self.record(|r, at| r.required_fn(at, &f.sig, trait_name, in_test));
            }
        }
    }

    fn visit_block(&mut self, b: &'ast Block) {
        if !self.context.in_async() {
            self.note_blocks_driven_here(b);
        }
        self.with_scope(|w| {
            w.for_each_rule(Hook::Block, |rule, cx| rule.check_block(cx, b));
            for stmt in &b.stmts {
                w.visit_stmt(stmt);
            }
        });
    }

    fn visit_stmt(&mut self, s: &'ast Stmt) {
        self.for_each_rule(Hook::Stmt, |rule, cx| rule.check_stmt(cx, s));
        visit::visit_stmt(self, s);
    }

    fn visit_local(&mut self, l: &'ast syn::Local) {
        let origin = l.init.as_ref().map(|init| {
            self.visit_expr(&init.expr);
            if let Some((_, diverge)) = &init.diverge {
                self.visit_expr(diverge);
            }
            self.origin_of(&init.expr)
        });
        self.bind_pattern(&l.pat, origin.as_ref(), None, false);
    }

    fn visit_expr(&mut self, e: &'ast Expr) {
        stacker::maybe_grow(RED_ZONE, GROW_BY, || {
            self.for_each_rule(Hook::Expr, |rule, cx| rule.check_expr(cx, e));
            if !(self.context.in_test() || self.file.is_test_file) {
                if let Some(field) = crate::model::record::grown_field(e) {
                    self.recorder.grown_fields.push(field);
                }
            }
            if matches!(e, Expr::Call(_) | Expr::MethodCall(_)) {
                self.record(|r, at| r.call(at, e));
            }
            match e {
                Expr::Await(a) => {
                    self.recorder.await_start(&a.base);
                    self.visit_expr(&a.base);
                    self.record(|r, at| r.await_end(at, &a.base));
                }
                Expr::Assign(a) => {
                    self.recorder.assign(&a.left);
                    visit::visit_expr(self, e);
                }
                Expr::Binary(b) if crate::semantic::body::is_compound_assign(&b.op) => {
                    self.recorder.assign(&b.left);
                    visit::visit_expr(self, e);
                }
                Expr::Call(c) => {
                    if matches!(strip(&c.func), Expr::Closure(_)) {
                        // `(|| ..)()` runs right here.
                        self.next_closure = Some(Frame::InlineClosure);
                    }
                    self.visit_expr(&c.func);
                    self.next_closure = None;
                    if let Some(last) = chain::call_path(e).and_then(|p| p.segments.last()) {
                        self.record_call(&last.ident, c.args.len(), false);
                    }
                    let deadline = chain::call_path(e)
                        .and_then(|p| self.file.uses.resolve(p))
                        .is_some_and(|p| calls::DEADLINE_FNS.contains(&p.as_str()));
                    let own_executor = !self.context.in_async()
                        && chain::call_path(e)
                            .and_then(|p| self.file.uses.resolve(p))
                            .is_some_and(|p| tasks::is_single_future_executor(&p));
                    self.deadline_depth += usize::from(deadline);
                    if own_executor && c.args.len() == 1 {
                        self.next_block_own_executor = matches!(strip(&c.args[0]), Expr::Async(_));
                    }
                    self.visit_args(e, c.args.iter());
                    self.next_block_own_executor = false;
                    self.deadline_depth -= usize::from(deadline);
                }
                Expr::MethodCall(m) => {
                    self.record_call(&m.method, m.args.len(), true);
                    if m.method == "push" && m.args.len() == 1 {
                        self.note_pushed(&m.receiver, &m.args[0]);
                    }
                    let deadline = calls::DEADLINE_METHODS.iter().any(|n| m.method == n);
                    self.deadline_depth += usize::from(deadline);
                    self.visit_expr(&m.receiver);
                    self.deadline_depth -= usize::from(deadline);
                    let configured = calls::DEADLINE_IF_CONFIGURED
                        .iter()
                        .any(|(n, setting)| m.method == n && self.configured(&m.receiver, setting));
                    self.deadline_depth += usize::from(configured);
                    self.visit_args(e, m.args.iter());
                    self.deadline_depth -= usize::from(configured);
                }
                Expr::Macro(m) => self.visit_macro(&m.mac),
                _ => visit::visit_expr(self, e),
            }
        });
    }

    fn visit_expr_closure(&mut self, c: &'ast syn::ExprClosure) {
        let site = self.next_closure.take();
        let frame = if c.asyncness.is_some() {
            Frame::AsyncClosure
        } else {
            // A closure that is not an argument (stored in a local, a field, returned)
            // runs where the syntax does not say.
            site.unwrap_or(Frame::UnknownClosure)
        };
        self.context.push(frame);
        self.with_scope(|w| {
            let param = Origin {
                closure_param: true,
                ..Origin::default()
            };
            for input in &c.inputs {
                w.bind_pattern(input, Some(&param), None, true);
            }
            w.visit_expr(&c.body);
        });
        self.context.pop();
    }

    fn visit_expr_async(&mut self, a: &'ast syn::ExprAsync) {
        let driven_here = self.own_executor_blocks.remove(&(a as *const _ as usize));
        if std::mem::take(&mut self.next_block_own_executor) || driven_here {
            self.context.push_own_executor_block();
        } else {
            self.context.push(Frame::AsyncBlock);
        }
        self.visit_block(&a.block);
        self.context.pop();
    }

    fn visit_expr_for_loop(&mut self, f: &'ast syn::ExprForLoop) {
        self.visit_expr(&f.expr);
        let mut item = self.element_origin(&f.expr);
        // An item of a collection the crate's declarations type (`for zone in zones`
        // where `zones` is a `Config`'s field): the model types the item.
        let names = self.file.names(&self.scopes);
        if let Some(chain) = crate::semantic::callee::item_chain(&names, &self.scope, &f.expr) {
            item.get_or_insert_with(Default::default).chain = Some(chain);
        }
        // A `for` over a collection runs a known number of passes; one over what
        // arrives (connections, messages) runs as long as they come.
        let open_ended = arrivals(&f.expr);
        if open_ended {
            self.context.enter_loop();
        }
        self.with_scope(|w| {
            w.bind_pattern(&f.pat, item.as_ref(), None, false);
            w.visit_block(&f.body);
        });
        if open_ended {
            self.context.leave_loop();
        }
    }

    fn visit_expr_loop(&mut self, l: &'ast syn::ExprLoop) {
        self.context.enter_loop();
        visit::visit_expr_loop(self, l);
        self.context.leave_loop();
    }

    fn visit_expr_while(&mut self, w: &'ast syn::ExprWhile) {
        self.context.enter_loop();
        visit::visit_expr_while(self, w);
        self.context.leave_loop();
    }

    fn visit_arm(&mut self, arm: &'ast syn::Arm) {
        self.with_scope(|w| {
            w.bind_pattern(&arm.pat, None, None, false);
            if let Pat::Guard(g) = &arm.pat {
                w.visit_expr(&g.guard);
            }
            w.visit_expr(&arm.body);
        });
    }

    fn visit_expr_let(&mut self, l: &'ast syn::ExprLet) {
        // `if let` / `while let`: the names are bound for the rest of the condition
        // and the body; the enclosing block's scope is close enough for lookups.
        self.visit_expr(&l.expr);
        // `while let Some(h) = handles.pop()`: `h` is what was pushed.
        if let (Pat::TupleStruct(ts), Some(item)) = (&*l.pat, self.element_origin(&l.expr)) {
            if let (true, Some(inner)) = (
                ts.path.is_ident("Some") && ts.elems.len() == 1,
                ts.elems.first(),
            ) {
                self.bind_pattern(inner, Some(&item), None, false);
                return;
            }
        }
        // `if let Some(h) = self.handle.take()`: `h` has the type the field holds.
        if let Pat::TupleStruct(ts) = &*l.pat {
            if let (true, Some(inner), Some(ty)) = (
                ts.path.is_ident("Some") && ts.elems.len() == 1,
                ts.elems.first(),
                self.taken_from_field(&l.expr),
            ) {
                self.bind_pattern(inner, None, Some(ty), false);
                return;
            }
        }
        let origin = self.origin_of(&l.expr);
        self.bind_pattern(&l.pat, Some(&origin), None, false);
    }

    fn visit_macro(&mut self, m: &'ast syn::Macro) {
        let joins = m.path.segments.last().is_some_and(|s| {
            matches!(
                s.ident.to_string().as_str(),
                "join" | "try_join" | "select" | "select_biased"
            )
        });
        if joins {
            self.record(|r, at| r.opaque_await(at));
        }
        match &*parse_body(m) {
            MacroBody::Exprs(exprs) => {
                for e in exprs.iter() {
                    self.visit_expr(e);
                }
            }
            MacroBody::Select(branches) => {
                self.select_depth += 1;
                let raced = branches.iter().any(|b| {
                    b.future.as_ref().is_some_and(|f| {
                        calls::is_deadline_branch(self.file.slice(self.file_range(f)))
                    })
                });
                for b in branches.iter() {
                    if let Some(f) = &b.future {
                        self.deadline_depth += usize::from(raced);
                        self.visit_expr(f);
                        self.deadline_depth -= usize::from(raced);
                    }
                    if let Some(g) = &b.guard {
                        self.visit_expr(g);
                    }
                    self.visit_expr(&b.handler);
                }
                self.select_depth -= 1;
            }
            MacroBody::Opaque => {}
        }
    }
}

#[cfg(test)]
mod tests;

/// `State(state): State<T>`, `Extension(ext): Extension<T>`: a parameter pattern that
/// unwraps the one-field tuple struct its type names, with the pattern inside and the
/// type it holds.
fn unwrapped_param<'p>(
    pat: &'p syn::Pat,
    ty: &'p syn::Type,
) -> Option<(&'p syn::Pat, &'p syn::Type)> {
    let syn::Pat::TupleStruct(ts) = pat else {
        return None;
    };
    let syn::Type::Path(tp) = ty else { return None };
    let last = tp.path.segments.last()?;
    if ts.elems.len() != 1 || ts.path.segments.last()?.ident != last.ident {
        return None;
    }
    let syn::PathArguments::AngleBracketed(a) = &last.arguments else {
        return None;
    };
    let mut types = a.args.iter().filter_map(|g| match g {
        syn::GenericArgument::Type(t) => Some(t),
        _ => None,
    });
    let inner = types.next()?;
    types.next().is_none().then(|| (&ts.elems[0], inner))
}

/// Whether a `for` loop iterates over what arrives rather than over a collection: a
/// listener's `incoming()`, a channel's receiver or its `iter()`, lines of a reader.
fn arrivals(iterable: &Expr) -> bool {
    let text = quote::ToTokens::to_token_stream(iterable).to_string();
    [
        "incoming", "recv", "rx", "receiver", "lines", "stdin", "messages", "requests",
    ]
    .iter()
    .any(|w| text.contains(w))
}
