//! The sub-walk of one fn body that finds its fan-outs: each loop, adapter and
//! join over a collection, followed to the locals it reads and the pushes that fill
//! them, with the bounds met on the way.

use super::*;

pub(super) struct Walk<'c, 'a> {
    pub(super) cx: &'c Cx<'a>,
    /// Counters the fn reads (`in_flight.load(..)`): a task that increments one is
    /// counted against a limit the fn checks.
    pub(super) loaded: HashSet<String>,
    pub(super) binds: Vec<Bind>,
    pub(super) frames: Vec<Frame>,
    /// The expression about to be visited is driven to its end right away (the
    /// argument of `join_all`, `extend`, ...).
    pub(super) forced: bool,
    /// The expression about to be visited is pushed into this local.
    pub(super) push_target: Option<String>,
    /// Collections the fn hands to `select_all` (see [`BodyScan`](super::BodyScan)).
    pub(super) raced: HashSet<String>,
    pub(super) next_closure: Option<Frame>,
    pub(super) out: Vec<Fanout>,
    /// Receivers of `oneshot` channels bound in the fn: each waits for a reply to work
    /// sent elsewhere, so joining them starts nothing.
    pub(super) replies: Vec<String>,
    /// Locals bound to futures mapped from a collection by a closure that runs one
    /// crate fn per item (`let loops = addrs.iter().map(|a| serve(a));`): that fn.
    pub(super) mapped_runs: Vec<(String, crate::semantic::callee::Callee)>,
}

impl Walk<'_, '_> {
    fn lookup(&self, name: &str) -> Option<&Bind> {
        self.binds.iter().rev().find(|b| b.name == name)
    }

    fn text(&self, e: &Expr) -> String {
        one_line(self.cx.text(e))
    }

    fn over(&self, e: &Expr) -> Over {
        Over {
            text: self.text(e),
            range: self.cx.range(e),
            filled_per: None,
            made_by: None,
            self_field: self_field(e),
        }
    }

    /// From the start of a chain's root to the end of method `m`.
    fn method_range(&self, root: &Expr, m: &ExprMethodCall) -> TextRange {
        let start = self.cx.range(root).start;
        TextRange::new(start, self.cx.file.end_of(m.paren_token.span.close()))
    }

    fn method_text(&self, root: &Expr, m: &ExprMethodCall) -> String {
        one_line(self.cx.file.slice(self.method_range(root, m)))
    }

    /// The size of the collection an expression iterates over.
    fn size_of(&self, e: &Expr) -> Size {
        let c = chain::chain(e);
        self.size_of_parts(c.root, &c.methods, 0)
    }

    fn size_of_parts(&self, root: &Expr, methods: &[&ExprMethodCall], depth: usize) -> Size {
        let sliced = methods.iter().any(|m| {
            m.method == "get"
                && m.args
                    .first()
                    .is_some_and(|a| matches!(strip(a), Expr::Range(_)))
        }) || matches!(strip(root), Expr::Index(i) if matches!(strip(&i.index), Expr::Range(_)));
        if chain_is_bounded(methods) || sliced {
            return Size::Bounded;
        }
        if methods
            .iter()
            .any(|m| ARRIVALS.iter().any(|a| m.method == a))
        {
            return Size::Opaque;
        }
        // A path's ancestors or components: as many as the path is deep.
        if methods
            .iter()
            .any(|m| m.args.is_empty() && (m.method == "ancestors" || m.method == "components"))
        {
            return Size::Bounded;
        }
        for m in methods {
            if !PER_ITEM_ADAPTERS.iter().any(|a| m.method == a) {
                continue;
            }
            for arg in &m.args {
                // `.map(Task::cancel)`, `.map(|w| w.shutdown())`: ending work that runs
                // already starts nothing new.
                if ends_work(arg) {
                    return Size::Opaque;
                }
                if let Expr::Closure(c) = strip(arg) {
                    if self.returns_spawn(&c.body) {
                        return Size::Handles;
                    }
                    if self.returns_ready(&c.body) || ends_work(&c.body) {
                        return Size::Opaque;
                    }
                    // `|h| async move { h.await }`: the items are futures already, the
                    // work started elsewhere; `|shard| async move { loop { .. } }`: a
                    // fixed set of long-lived workers that must all run at once (a
                    // bound would leave some never started).
                    if awaits_only_its_argument(c) || waits_on_its_argument(c) || is_worker(&c.body)
                    {
                        return Size::Opaque;
                    }
                    if self.bounds_itself(&BodyScan::of(|s| s.visit_expr(&c.body))) {
                        return Size::Bounded;
                    }
                }
            }
        }
        if depth > 4 {
            return Size::Opaque;
        }
        // `store.list_keys().await?.into_iter()`: the collection is what a method
        // returned, not the receiver it was called on.
        let entry = methods
            .iter()
            .position(|m| is_iteration(m))
            .unwrap_or(methods.len());
        if let Some(last) = methods[..entry]
            .iter()
            .rev()
            .find(|m| !VIEW_METHODS.iter().any(|n| m.method == n))
        {
            // `self.pending_batch()`: the crate fn that made it may cap it.
            let made_by = self.cx.callee(&Expr::MethodCall((*last).clone()));
            return Size::Unknown(Over {
                text: self.method_text(root, last),
                range: self.method_range(root, last),
                filled_per: None,
                made_by,
                self_field: None,
            });
        }
        if is_literal_collection(root) {
            return Size::Fixed;
        }
        match strip(root) {
            Expr::Macro(_) => Size::Opaque,
            Expr::Reference(r) => self.size_of_depth(&r.expr, depth + 1),
            Expr::Unary(u) => self.size_of_depth(&u.expr, depth + 1),
            Expr::Call(call) => match self.cx.call_path(root) {
                Some(p) if FIXED_FNS.contains(&p.as_str()) || is_constructor(&p) => Size::Fixed,
                Some(p) if PASS_THROUGH_FNS.contains(&p.as_str()) => match call.args.first() {
                    Some(arg) => self.size_of_depth(arg, depth + 1),
                    None => Size::Opaque,
                },
                _ => Size::Unknown(Over {
                    made_by: self.cx.callee(root),
                    ..self.over(root)
                }),
            },
            Expr::Path(p) if p.qself.is_none() => match p.path.get_ident() {
                Some(ident) => match self.lookup(&ident.to_string()) {
                    Some(Bind { size: Some(s), .. }) => s.clone(),
                    Some(Bind {
                        size: None,
                        made_by,
                        ..
                    }) => Size::Unknown(Over {
                        made_by: made_by.clone(),
                        ..self.over(root)
                    }),
                    // A constant, a static, an item: not a local collection.
                    None => Size::Opaque,
                },
                None => Size::Opaque,
            },
            Expr::Field(f) => {
                let ty = match &f.member {
                    syn::Member::Named(name) => self.cx.file.field_types.get(&name.to_string()),
                    syn::Member::Unnamed(_) => None,
                };
                if ty.is_some_and(|t| holds_handles(t)) {
                    Size::Handles
                } else {
                    Size::Unknown(self.over(root))
                }
            }
            Expr::Index(_) | Expr::MethodCall(_) => Size::Unknown(self.over(root)),
            _ => Size::Opaque,
        }
    }

    fn size_of_depth(&self, e: &Expr, depth: usize) -> Size {
        let c = chain::chain(e);
        self.size_of_parts(c.root, &c.methods, depth)
    }

    /// The size of what `root.m0()...m(k-1)()` iterates over, when it is explicitly a
    /// collection turned into an iterator or stream (`ids.iter()`, `stream::iter(ids)`,
    /// a literal); `Opaque` for anything else (an `Option`, a stream of arrivals).
    fn collection_size(&self, c: &Chain, upto: usize) -> Size {
        let methods = &c.methods[..upto];
        let literal = matches!(
            strip(c.root),
            Expr::Array(_) | Expr::Range(_) | Expr::Macro(_) | Expr::Tuple(_)
        );
        let entry = methods
            .iter()
            .any(|m| ITER_ENTRY.iter().any(|n| m.method == n));
        let stream_iter = self
            .cx
            .call_path(c.root)
            .is_some_and(|p| p.ends_with("stream::iter") || p == "tokio_stream::iter");
        if literal || entry || stream_iter {
            self.size_of_parts(c.root, methods, 0)
        } else {
            Size::Opaque
        }
    }

    /// Whether a body bounds its own concurrency: it takes a permit, or it holds a
    /// semaphore (a local made from `Semaphore::new`, a field named like one).
    fn bounds_itself(&self, scan: &BodyScan) -> bool {
        scan.acquires
            || scan.idents.iter().any(|i| {
                let l = i.to_ascii_lowercase();
                l.contains("semaphore")
                    || l.contains("permit")
                    || self.lookup(i).is_some_and(|b| b.role.limits())
            })
    }

    /// The spawner, when `e` spawns a task.
    fn spawn_of(&self, e: &Expr) -> Option<FanoutKind> {
        match strip(e) {
            Expr::Call(_) => tasks::spawn_call(self.cx, e).map(|s| FanoutKind::Spawn {
                spawner: s.spawner,
                join_set: false,
            }),
            Expr::MethodCall(m) => self.method_spawn(m),
            _ => None,
        }
    }

    /// A call of a crate fn with an `async` block argument (`spawn_logged("notify",
    /// async move { .. })`): the fn, and which argument the block is.
    fn wrapper_spawn(
        &self,
        e: &Expr,
        call: &syn::ExprCall,
    ) -> Option<(crate::semantic::callee::Callee, usize)> {
        let arg = call
            .args
            .iter()
            .position(|a| matches!(strip(a), Expr::Async(_)))?;
        Some((self.cx.callee(e)?, arg))
    }

    /// `set.spawn(..)` on a `JoinSet`/`TaskTracker`, `rt.spawn(..)` on a runtime,
    /// handle or executor (a local, a parameter of that type, `Handle::current()`).
    fn method_spawn(&self, m: &ExprMethodCall) -> Option<FanoutKind> {
        if !SPAWN_METHODS.iter().any(|n| m.method == n) {
            return None;
        }
        let c = chain::chain(&m.receiver);
        let role = match strip(c.root) {
            Expr::Call(_) => role_of_path(&self.cx.call_path(c.root)?),
            root => self.lookup(&chain::path_ident(root)?.to_string())?.role,
        };
        matches!(role, Role::JoinSet | Role::Tracker | Role::Runtime).then(|| FanoutKind::Spawn {
            spawner: format!("{}.{}", self.text(&m.receiver), m.method),
            join_set: role == Role::JoinSet,
        })
    }

    /// Whether a closure body's value is a future that is complete from the start
    /// (`future::ready(x)`, `future::ok(x)`): joining those starts no work.
    fn returns_ready(&self, body: &Expr) -> bool {
        self.cx
            .call_path(strip(body))
            .is_some_and(|p| READY_FNS.contains(&p.as_str()))
    }

    /// Whether a closure body's value is a spawned task's handle.
    fn returns_spawn(&self, body: &Expr) -> bool {
        let tail = match strip(body) {
            Expr::Block(b) => match b.block.stmts.last() {
                Some(syn::Stmt::Expr(e, None)) => e,
                _ => return false,
            },
            e => e,
        };
        self.spawn_of(tail).is_some()
    }

    /// The innermost per-item frame around this point, if the code here runs once per
    /// item; with whether an enclosing `for` loop runs over fixed-size chunks.
    fn per_item(&self) -> Option<(&PerItem, bool)> {
        let mut found: Option<&PerItem> = None;
        for f in self.frames.iter().rev() {
            match f {
                Frame::Inline => continue,
                Frame::Barrier | Frame::Loop(_) => return found.map(|p| (p, false)),
                Frame::PerItem(p) => match found {
                    None => found = Some(p),
                    Some(inner) if p.chunked => return Some((inner, true)),
                    Some(_) => {}
                },
            }
        }
        found.map(|p| (p, false))
    }

    /// How a push at this point grows its collection.
    fn growth(&self, target: &str, at: TextRange) -> Size {
        let filled = |per: Option<String>| {
            Size::Unknown(Over {
                text: target.to_string(),
                range: at,
                filled_per: Some(per),
                made_by: None,
                self_field: None,
            })
        };
        for f in self.frames.iter().rev() {
            match f {
                Frame::Inline => continue,
                Frame::Loop(watched) if watched.contains(target) => return Size::Bounded,
                Frame::Loop(_) => return filled(None),
                Frame::Barrier => return Size::Opaque,
                Frame::PerItem(p) => {
                    return match &p.size {
                        Size::Unknown(_) if p.bounded || p.drained.contains(target) => {
                            Size::Bounded
                        }
                        Size::Unknown(_) => filled(Some(p.over_text.clone())),
                        Size::Bounded => Size::Bounded,
                        _ => Size::Fixed,
                    };
                }
            }
        }
        Size::Fixed
    }

    /// A local whose size a guard caps from here on.
    fn cap(&mut self, name: &str) {
        if let Some(b) = self.binds.iter_mut().rev().find(|b| b.name == name) {
            b.size = Some(Size::Bounded);
        }
    }

    fn grow(&mut self, target: &str, by: Size) {
        if let Some(b) = self.binds.iter_mut().rev().find(|b| b.name == target) {
            if let Some(size) = b.size.take() {
                b.size = Some(size.max(by));
            }
        }
    }

    /// Records a spawn or a push made at this point, when it runs once per item of a
    /// collection of unknown size.
    fn per_item_site(&mut self, kind: FanoutKind, range: TextRange, future: Option<&Expr>) {
        self.per_item_site_through(kind, range, future, None);
    }

    /// [`Self::per_item_site`] for a spawn that goes through a crate fn.
    fn per_item_site_through(
        &mut self,
        kind: FanoutKind,
        range: TextRange,
        future: Option<&Expr>,
        through: Option<(crate::semantic::callee::Callee, usize)>,
    ) {
        let watched: Vec<String> = match &kind {
            FanoutKind::Spawn { spawner, .. } => spawner
                .split('.')
                .next()
                .map(str::to_string)
                .into_iter()
                .chain(self.push_target.clone())
                .collect(),
            FanoutKind::Push { set } => vec![set.clone()],
            FanoutKind::Join { .. } => Vec::new(),
        };
        // Tasks or futures raced with `select_all`: the fn ends when the first of them
        // does, which only makes sense for long-lived services (a server per
        // configured listener), not for a list of work.
        let raced = match &kind {
            FanoutKind::Push { set } => Some(set),
            _ => self.push_target.as_ref(),
        };
        if raced.is_some_and(|r| self.raced.contains(r)) {
            return;
        }
        let Some((p, chunked_outside)) = self.per_item() else {
            return;
        };
        let Size::Unknown(over) = &p.size else {
            return;
        };
        if matches!(kind, FanoutKind::Spawn { .. }) && future.is_some_and(is_worker) {
            return;
        }
        let bounded = p.bounded
            // A hand-rolled limit: the task counts itself in a counter the fn checks.
            || p.counted.iter().any(|c| self.loaded.contains(c))
            || p.chunked
            || chunked_outside
            || watched.iter().any(|w| p.drained.contains(w))
            // The loop watches the length of a collection it keeps outside the loop.
            || p.drained.iter().any(|d| {
                self.lookup(d)
                    .is_some_and(|b| b.size.is_some() || b.role != Role::Other)
            })
            || watched
                .iter()
                .any(|w| self.lookup(w).is_some_and(|b| b.role.limits()))
            || p.idents
                .iter()
                .any(|i| self.lookup(i).is_some_and(|b| b.role.limits()));
        let site = Fanout {
            kind,
            range,
            over: over.clone(),
            source: Some(p.over_text.clone()),
            mapped: None,
            item: p.item.clone(),
            future: future.map(|f| self.text(f)),
            bounded,
            runs: future.and_then(|f| runs_call(self.cx, f)),
            through,
        };
        self.out.push(site);
    }

    /// Records a join over `collection` at `range`.
    fn join_site(&mut self, how: JoinHow, range: TextRange, size: Size, chain: &Chain) {
        let bounded = match size {
            Size::Unknown(_) => false,
            Size::Bounded => true,
            _ => return,
        };
        let over = match size {
            Size::Unknown(o) => o,
            _ => self.over(chain.root),
        };
        // `.map(|p| self.manage_port(p))`: the closure, and the call it runs per item.
        let (source, mapped, mut runs) = match chain.methods.split_last() {
            Some((last, rest)) if last.method == "map" && last.args.len() == 1 => {
                let source = match rest.last() {
                    Some(m) => self.method_text(chain.root, m),
                    None => self.text(chain.root),
                };
                (
                    Some(source),
                    Some(self.text(&last.args[0])),
                    self.map_runs(last),
                )
            }
            _ => (None, None, None),
        };
        // `join_all(loops)`, where `loops` was mapped so.
        if let (None, Some(name), true) = (
            &runs,
            chain::path_ident(chain.root),
            chain.methods.is_empty(),
        ) {
            let name = name.to_string();
            runs = self
                .mapped_runs
                .iter()
                .rev()
                .find(|(n, _)| *n == name)
                .map(|(_, c)| c.clone());
        }
        self.out.push(Fanout {
            kind: FanoutKind::Join { how },
            range,
            over,
            source,
            mapped,
            item: None,
            future: None,
            bounded,
            runs,
            through: None,
        });
    }

    /// The crate fn a `.map(|x| ..)` runs per item, when its closure's future is one
    /// call of it ([`runs_call`]).
    fn map_runs(&self, m: &syn::ExprMethodCall) -> Option<crate::semantic::callee::Callee> {
        if m.method != "map" || m.args.len() != 1 {
            return None;
        }
        match strip(&m.args[0]) {
            Expr::Closure(c) => runs_call(self.cx, &c.body),
            _ => None,
        }
    }

    fn bind_local(&mut self, pat: &Pat, init: Option<&Expr>) {
        // `let (tx, rx) = oneshot::channel();`
        if let (Pat::Tuple(t), Some(init)) = (crate::semantic::body::untyped(pat), init) {
            let oneshot = self
                .cx
                .call_path(strip(init))
                .is_some_and(|p| p.ends_with("oneshot::channel"));
            if let (true, Some(Pat::Ident(rx))) = (oneshot, t.elems.iter().nth(1)) {
                self.replies.push(rx.ident.to_string());
            }
        }
        let (pat, ty, handles) = match pat {
            Pat::Type(t) => (
                &*t.pat,
                type_path(self.cx, &t.ty),
                holds_handles(&t.ty.to_token_stream().to_string()),
            ),
            p => (p, None, false),
        };
        if let (Pat::Ident(pi), Some(init)) = (pat, init) {
            // `let loops = addrs.iter().map(|a| serve(a))` (collected or not).
            let c = chain::chain(init);
            let mapper = c.methods.iter().rev().find(|m| m.method != "collect");
            if let Some(runs) = mapper.and_then(|m| self.map_runs(m)) {
                self.mapped_runs.push((pi.ident.to_string(), runs));
            }
            let role = ty
                .as_deref()
                .map_or_else(|| self.role_of(init), role_of_type);
            let size = if handles {
                Size::Handles
            } else {
                self.size_of(init)
            };
            if role == Role::Futures && ty.is_some() {
                // `let futs: FuturesUnordered<_> = items.iter().map(f).collect();`
                let c = chain::chain(init);
                if let Some((i, m)) = c
                    .methods
                    .iter()
                    .enumerate()
                    .find(|(_, m)| m.method == "collect")
                {
                    let size = self.size_of_parts(c.root, &c.methods[..i], 0);
                    let range = self.method_range(c.root, m);
                    let inner = Chain {
                        root: c.root,
                        methods: c.methods[..i].to_vec(),
                        awaited: false,
                    };
                    let ty = ty.as_deref().and_then(|t| t.rsplit("::").next());
                    let how = JoinHow::Collect(ty.unwrap_or("FuturesUnordered").to_string());
                    self.join_site(how, range, size, &inner);
                }
            }
            // A collection of unknown size is named where it is used.
            let (size, made_by) = match size {
                Size::Unknown(o) if o.filled_per.is_none() => (None, o.made_by),
                s => (Some(s), None),
            };
            self.binds.push(Bind {
                name: pi.ident.to_string(),
                size,
                role,
                made_by,
            });
            return;
        }
        let mut names = HashSet::default();
        crate::semantic::body::pattern_names(pat, &mut names);
        for name in names {
            self.binds.push(Bind {
                name,
                size: Some(Size::Opaque),
                role: Role::Other,
                made_by: None,
            });
        }
    }

    fn role_of(&self, init: &Expr) -> Role {
        if let Expr::Closure(closure) = strip(init) {
            let scan = BodyScan::of(|s| s.visit_expr(&closure.body));
            return if self.bounds_itself(&scan) {
                Role::Gated
            } else {
                Role::Other
            };
        }
        let c = chain::chain(init);
        if let Expr::Call(call) = strip(c.root) {
            let Some(path) = self.cx.call_path(c.root) else {
                return Role::Other;
            };
            if path.ends_with("Arc::new") || path.ends_with("Rc::new") {
                return call.args.first().map_or(Role::Other, |a| self.role_of(a));
            }
            return role_of_path(&path);
        }
        match chain::path_ident(c.root) {
            // `let handle = rt.handle().clone();`, `let sem = sem.clone();`
            Some(name) => self
                .lookup(&name.to_string())
                .map_or(Role::Other, |b| match b.role {
                    r @ (Role::Runtime | Role::Semaphore) => r,
                    _ => Role::Other,
                }),
            None => Role::Other,
        }
    }

    /// A method chain, handled from its outermost call: closures along it get the frame
    /// that says how often they run; spawns, pushes and joins along it are recorded.
    fn visit_chain(&mut self, e: &Expr, forced_here: bool) {
        let c = chain::chain(e);
        self.visit_expr(c.root);
        for i in 0..c.methods.len() {
            let m = c.methods[i];
            let name = m.method.to_string();
            let range = self.method_range(c.root, m);
            let receiver = chain::path_ident(c.root)
                .filter(|_| i == 0)
                .map(|r| r.to_string());
            let role = receiver
                .as_deref()
                .and_then(|r| self.lookup(r))
                .map(|b| b.role);
            self.check_method(&c, i, receiver.as_deref(), role, range);
            for arg in &m.args {
                if let Expr::Closure(cl) = strip(arg) {
                    let frame = self.closure_frame(&c, i, forced_here, cl);
                    self.next_closure = Some(frame);
                } else if name == "extend" {
                    self.forced = true;
                }
                let target = if matches!(name.as_str(), "push" | "push_back" | "push_front") {
                    receiver.clone()
                } else {
                    None
                };
                let outer = std::mem::replace(&mut self.push_target, target);
                self.visit_expr(arg);
                self.push_target = outer;
                self.forced = false;
                self.next_closure = None;
            }
        }
    }

    fn check_method(
        &mut self,
        c: &Chain,
        i: usize,
        receiver: Option<&str>,
        role: Option<Role>,
        range: TextRange,
    ) {
        let m = c.methods[i];
        let name = m.method.to_string();
        if name == "truncate" {
            if let Some(target) = receiver {
                self.cap(target);
            }
        }
        if let Some(kind) = self.method_spawn(m) {
            let future = m.args.first();
            self.per_item_site(kind, range, future);
            return;
        }
        if crate::semantic::calls::GROW_METHODS.contains(&name.as_str()) {
            let (Some(target), Some(arg)) = (receiver, m.args.last()) else {
                return;
            };
            if role == Some(Role::Futures) && name == "extend" {
                let size = self.size_of(arg);
                let inner = chain::chain(arg);
                self.join_site(JoinHow::Extend(target.to_string()), range, size, &inner);
                return;
            }
            let reply =
                chain::path_ident(strip(arg)).is_some_and(|i| self.replies.iter().any(|r| *i == r));
            // `v.push(async move { plugin.join().await })`: waits for work that runs.
            let ends_item = self
                .per_item()
                .is_some_and(|(p, _)| awaits_only_end_of(arg, &p.names));
            if ends_item {
                self.grow(target, Size::Handles);
                return;
            }
            let by = if self.spawn_of(arg).is_some() || reply {
                Size::Handles
            } else if name == "extend" {
                self.size_of(arg).max(self.growth(target, range))
            } else {
                self.growth(target, range)
            };
            self.grow(target, by);
            if role == Some(Role::Futures) && name != "extend" && self.spawn_of(arg).is_none() {
                let set = target.to_string();
                self.per_item_site(FanoutKind::Push { set }, range, Some(arg));
            }
            return;
        }
        // `.collect::<FuturesUnordered<_>>()`: the type's name.
        let into_futures = m
            .turbofish
            .as_ref()
            .filter(|_| name == "collect")
            .and_then(|t| match t.args.first() {
                Some(syn::GenericArgument::Type(ty)) => type_path(self.cx, ty),
                _ => None,
            })
            .filter(|ty| role_of_type(ty) == Role::Futures)
            .and_then(|ty| ty.rsplit("::").next().map(str::to_string));
        let concurrent_unlimited = matches!(
            name.as_str(),
            "for_each_concurrent" | "try_for_each_concurrent"
        ) && m.args.first().is_some_and(is_none);
        if into_futures.is_some() || concurrent_unlimited {
            let size = if into_futures.is_some() {
                self.size_of_parts(c.root, &c.methods[..i], 0)
            } else {
                self.collection_size(c, i)
            };
            let inner = Chain {
                root: c.root,
                methods: c.methods[..i].to_vec(),
                awaited: false,
            };
            let how = match into_futures {
                Some(ty) => JoinHow::Collect(ty),
                None => JoinHow::Concurrent(name),
            };
            self.join_site(how, range, size, &inner);
        }
    }

    /// How often the closure passed to method `i` of a chain runs.
    fn closure_frame(&self, c: &Chain, i: usize, forced: bool, cl: &syn::ExprClosure) -> Frame {
        let m = c.methods[i];
        if cl.asyncness.is_some() {
            return Frame::Barrier;
        }
        if PER_ITEM_ADAPTERS.iter().any(|a| m.method == a) {
            let size = self.collection_size(c, i);
            if size != Size::Opaque {
                let driven = forced
                    || matches!(m.method.to_string().as_str(), "for_each" | "try_for_each")
                    || c.methods[i + 1..]
                        .iter()
                        .any(|later| DRIVERS.iter().any(|d| later.method == d));
                if !driven {
                    return Frame::Barrier;
                }
                let scan = BodyScan::of(|s| s.visit_expr(&cl.body));
                let source = match i.checked_sub(1) {
                    Some(prev) => self.method_text(c.root, c.methods[prev]),
                    None => self.text(c.root),
                };
                return Frame::PerItem(Box::new(PerItem {
                    size,
                    over_text: source,
                    item: cl
                        .inputs
                        .first()
                        .map(|p| self.cx.file.slice(pat_range(self.cx, p)).to_string()),
                    names: {
                        let mut names = HashSet::default();
                        for p in &cl.inputs {
                            crate::semantic::body::pattern_names(p, &mut names);
                        }
                        names
                    },
                    bounded: chain_is_bounded(&c.methods) || self.bounds_itself(&scan),
                    chunked: false,
                    drained: scan.drained,
                    idents: scan.idents,
                    counted: scan.counted,
                }));
            }
        }
        if INLINE_ONCE.iter().any(|n| m.method == n) {
            Frame::Inline
        } else {
            Frame::Barrier
        }
    }

    fn with_frame(&mut self, frame: Frame, f: impl FnOnce(&mut Self)) {
        let depth = self.binds.len();
        self.frames.push(frame);
        f(self);
        self.frames.pop();
        self.binds.truncate(depth);
    }
}

/// Whether a method works on the items of a collection (enters, adapts or drives an
/// iterator or stream) rather than producing the collection.
impl<'ast> Visit<'ast> for Walk<'_, '_> {
    fn visit_block(&mut self, b: &'ast Block) {
        let depth = self.binds.len();
        for s in &b.stmts {
            self.visit_stmt(s);
        }
        self.binds.truncate(depth);
    }

    fn visit_local(&mut self, l: &'ast syn::Local) {
        if let Some(init) = &l.init {
            self.visit_expr(&init.expr);
            if let Some((_, diverge)) = &init.diverge {
                self.visit_expr(diverge);
            }
        }
        self.bind_local(&l.pat, l.init.as_ref().map(|i| &*i.expr));
    }

    fn visit_item(&mut self, _: &'ast syn::Item) {}

    fn visit_arm(&mut self, arm: &'ast syn::Arm) {
        let depth = self.binds.len();
        self.bind_unknown(&arm.pat);
        if let Pat::Guard(g) = &arm.pat {
            self.visit_expr(&g.guard);
        }
        self.visit_expr(&arm.body);
        self.binds.truncate(depth);
    }

    fn visit_expr(&mut self, e: &'ast Expr) {
        let forced = std::mem::take(&mut self.forced);
        stacker::maybe_grow(64 * 1024, 1024 * 1024, || match e {
            Expr::MethodCall(_) => self.visit_chain(e, forced),
            Expr::Call(call) => {
                if let Some(kind) = self.spawn_of(e) {
                    let range = self.cx.range(e);
                    let future = call.args.first();
                    self.per_item_site(kind, range, future);
                } else if let Some((callee, arg)) = self.wrapper_spawn(e, call) {
                    // A crate fn handed an `async` block: its spawn wrapper, if the
                    // model says it spawns that argument.
                    let kind = FanoutKind::Spawn {
                        spawner: self.text(&call.func),
                        join_set: false,
                    };
                    let range = self.cx.range(e);
                    let future = call.args.iter().nth(arg);
                    self.per_item_site_through(kind, range, future, Some((callee, arg)));
                }
                let path = self.cx.call_path(e);
                let joins = path.as_deref().is_some_and(|p| {
                    JOIN_FNS.contains(&p)
                        || (p.starts_with("futures")
                            && (p.ends_with("FuturesUnordered::from_iter")
                                || p.ends_with("FuturesOrdered::from_iter")))
                });
                if joins {
                    if let Some(arg) = call.args.first() {
                        let size = self.size_of(arg);
                        let c = chain::chain(arg);
                        let name = chain::call_path(e)
                            .map(|p| self.cx.text(p).to_string())
                            .unwrap_or_default();
                        self.join_site(JoinHow::Call(name), self.cx.range(e), size, &c);
                    }
                }
                self.visit_expr(&call.func);
                for arg in &call.args {
                    self.forced = joins;
                    if matches!(strip(arg), Expr::Closure(_)) {
                        let f = match tasks::closure_frame(e, &self.cx.file.uses) {
                            ContextFrame::InlineClosure => Frame::Inline,
                            _ => Frame::Barrier,
                        };
                        self.next_closure = Some(f);
                    }
                    self.visit_expr(arg);
                    self.forced = false;
                    self.next_closure = None;
                }
            }
            Expr::Closure(c) => {
                let frame = match self.next_closure.take() {
                    Some(f) if c.asyncness.is_none() => f,
                    _ => Frame::Barrier,
                };
                self.with_frame(frame, |w| {
                    for input in &c.inputs {
                        w.bind_unknown(input);
                    }
                    w.visit_expr(&c.body);
                });
            }
            Expr::Async(a) => self.with_frame(Frame::Barrier, |w| w.visit_block(&a.block)),
            Expr::ForLoop(f) => self.visit_for(f),
            Expr::While(wl) => {
                self.visit_expr(&wl.cond);
                let watched = BodyScan::of(|s| {
                    s.visit_expr(&wl.cond);
                    s.visit_block(&wl.body);
                })
                .drained;
                self.with_frame(Frame::Loop(watched), |w| w.visit_block(&wl.body));
            }
            Expr::Loop(l) => {
                let watched = BodyScan::of(|s| s.visit_block(&l.body)).drained;
                self.with_frame(Frame::Loop(watched), |w| w.visit_block(&l.body))
            }
            Expr::Macro(m) => self.visit_macro(&m.mac),
            Expr::Let(l) => {
                self.visit_expr(&l.expr);
                self.bind_unknown(&l.pat);
            }
            Expr::Assign(a) => {
                visit::visit_expr_assign(self, a);
                // `items = items[..LIMIT].to_vec();`: a guard that caps the collection.
                if let Some(name) = chain::path_ident(&a.left) {
                    if matches!(self.size_of(&a.right), Size::Bounded | Size::Fixed) {
                        self.cap(&name.to_string());
                    }
                }
            }
            _ => visit::visit_expr(self, e),
        })
    }

    fn visit_macro(&mut self, m: &'ast syn::Macro) {
        parse_body(m).code().for_each(|e| self.visit_expr(e));
    }
}

impl Walk<'_, '_> {
    /// Binds the names of a pattern whose value the syntax does not describe: a
    /// collection bound here is of unknown size.
    fn bind_unknown(&mut self, pat: &Pat) {
        let mut names = HashSet::default();
        crate::semantic::body::pattern_names(pat, &mut names);
        for name in names {
            self.binds.push(Bind {
                name,
                size: None,
                role: Role::Other,
                made_by: None,
            });
        }
    }

    fn visit_for(&mut self, f: &syn::ExprForLoop) {
        self.visit_expr(&f.expr);
        let c = chain::chain(&f.expr);
        let size = match crate::semantic::body::loop_source(&f.expr) {
            crate::semantic::body::LoopSource::Range => Size::Fixed,
            crate::semantic::body::LoopSource::Collection => self.size_of(&f.expr),
        };
        let chunked = chain_is_bounded(&c.methods);
        let scan = BodyScan::of(|s| s.visit_block(&f.body));
        let mut names = HashSet::default();
        crate::semantic::body::pattern_names(&f.pat, &mut names);
        let frame = Frame::PerItem(Box::new(PerItem {
            size,
            over_text: self.text(strip_ref(&f.expr)),
            item: Some(self.cx.file.slice(pat_range(self.cx, &f.pat)).to_string()),
            names: names.clone(),
            // A dispatcher starts one task per item of a kind, not a fan-out.
            bounded: self.bounds_itself(&scan) || crate::semantic::iteration::dispatches_by_kind(f),
            chunked,
            drained: scan.drained,
            idents: scan.idents,
            counted: scan.counted,
        }));
        self.with_frame(frame, |w| {
            for name in names {
                w.binds.push(Bind {
                    name,
                    size: chunked.then_some(Size::Bounded),
                    role: Role::Other,
                    made_by: None,
                });
            }
            w.visit_block(&f.body);
        });
    }
}

/// The field of `self` an expression is, through references: `levels` for
/// `self.levels`, `&self.levels` or `&mut self.levels`.
fn self_field(e: &Expr) -> Option<String> {
    match strip(e) {
        Expr::Reference(r) => self_field(&r.expr),
        Expr::Field(f) => match (&f.member, strip(&f.base)) {
            (syn::Member::Named(n), Expr::Path(p)) if p.path.is_ident("self") => {
                Some(n.to_string())
            }
            _ => None,
        },
        _ => None,
    }
}
