//! What the walk knows at a point of a fn body: the async context (which code runs on
//! the executor) and the local bindings in scope, with where their values came from.

use crate::source::TextRange;
use rustc_hash::FxHashMap as HashMap;
use syn::visit::{self, Visit};

/// One level of the context stack, pushed by fns, closures and async blocks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Frame {
    AsyncFn,
    SyncFn,
    AsyncBlock,
    AsyncClosure,
    /// A closure that runs where it is called (iterator adapters, `Option::map`, ...):
    /// it inherits the context around it.
    InlineClosure,
    /// A closure handed to code that runs it off the executor (`spawn_blocking`,
    /// `std::thread::spawn`, `rayon::spawn`, ...).
    OffExecutor,
    /// A closure stored or handed to code the syntax does not describe (a user's
    /// `asyncify(|| ..)`): where it runs is unknown, so it is not async context.
    UnknownClosure,
}

/// Where a local binding's value came from, as far as the syntax tells.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Origin {
    /// The resolved path of the call at the root of the initializer's method chain
    /// (`tokio::runtime::Runtime::new` for `let rt = Runtime::new().unwrap();`).
    pub root_call: Option<String>,
    /// The local the chain starts from (`client` for `let req = client.get(url);`).
    pub root_binding: Option<String>,
    /// The callee of a path call at the root of the chain, when it may be a fn of
    /// the crate (`context::init` in `let ctx = context::init(..)?;`): the model
    /// types the local by what that fn returns.
    pub root_callee: Option<Box<super::callee::Callee>>,
    /// The methods called along the chain, root first.
    pub methods: Vec<String>,
    /// The element of a tuple pattern the binding takes (`let (tx, rx) = channel();`).
    pub tuple_index: Option<usize>,
    /// Whether the chain is awaited.
    pub awaited: bool,
    /// The resolved path of a declared type (`let x: T`, or a parameter `x: &T`).
    pub ty: Option<String>,
    /// A fn or closure parameter.
    pub is_param: bool,
    /// `let mut x`, `mut x: T`, `x: &mut T`, `&mut self`: a value this code mutates.
    pub mutable: bool,
    /// A closure parameter: what it holds (owned, `&` or `&mut`) is usually inferred,
    /// not written.
    pub closure_param: bool,
    /// Where the initializer is written (`Client::new()` in `let client = Client::new();`),
    /// for a label that points back at it or a look at its arguments.
    pub init: Option<TextRange>,
    /// The node of the call at the root of the initializer (`build_runtime()` in
    /// `let rt = build_runtime()?;`), by address: matched against the call the model
    /// recorded there, never read through.
    pub root_addr: usize,
    /// What made the values pushed into this collection: the resolved path of the
    /// call (`std::thread::spawn` for `handles.push(thread::spawn(..))`), when every
    /// push so far agrees.
    pub elements: Option<String>,
    /// The type of each element of a tuple the local holds, where the code makes it on
    /// the spot (`Arc::new((Mutex::new(false), Condvar::new()))`): a tuple pattern
    /// bound from it types its names (`let (lock, cvar) = &*pair;`).
    pub tuple_types: Option<Vec<Option<String>>>,
    /// The field chain the local stands for, which the model can type through the
    /// crate's struct declarations: a name a struct pattern binds (`zones` in `let
    /// Config { zones, .. } = config;` is `Config`'s field `zones`), or an item a
    /// `for` takes from such a chain (`[]` for the element: `zone` in `for zone in
    /// zones`).
    pub chain: Option<(super::callee::Base, Vec<String>)>,
}

#[derive(Debug, Default)]
pub struct Scopes {
    stack: Vec<HashMap<String, Origin>>,
}

impl Scopes {
    pub fn push(&mut self) {
        self.stack.push(HashMap::default());
    }

    pub fn pop(&mut self) {
        self.stack.pop();
    }

    pub fn bind(&mut self, name: String, origin: Origin) {
        if self.stack.is_empty() {
            self.stack.push(HashMap::default());
        }
        if let Some(top) = self.stack.last_mut() {
            top.insert(name, origin);
        }
    }

    /// The innermost binding of `name`, if the current fn has one.
    pub fn lookup(&self, name: &str) -> Option<&Origin> {
        self.stack.iter().rev().find_map(|s| s.get(name))
    }

    /// Whether `name`, here, still means the enclosing fn's parameter of that name: no
    /// `let` or closure parameter of the same name hides it
    /// (`let fut = async move { fut.await };`).
    pub fn names_param(&self, name: &str) -> bool {
        self.lookup(name)
            .is_none_or(|o| o.is_param && !o.closure_param)
    }

    /// The innermost binding of `name`, to update.
    pub fn lookup_mut(&mut self, name: &str) -> Option<&mut Origin> {
        self.stack.iter_mut().rev().find_map(|s| s.get_mut(name))
    }

    pub fn depth(&self) -> usize {
        self.stack.len()
    }

    pub fn truncate(&mut self, depth: usize) {
        self.stack.truncate(depth);
    }
}

/// The async-context stack.
#[derive(Debug, Default)]
pub struct Context {
    frames: Vec<Frame>,
    /// How many test fns and `#[cfg(test)]` modules or items enclose this point.
    tests: usize,
    /// Indexes of the async-block frames driven by an executor of their own
    /// (`futures::executor::block_on(async { .. })` in sync code).
    own_executor: Vec<usize>,
    /// The frame depth at each enclosing loop whose body may run without a bound
    /// known where the code starts ([`Context::enter_loop`]).
    loops: Vec<usize>,
}

impl Context {
    /// Entering an item; `test` says whether it is test code.
    pub fn enter_test(&mut self, test: bool) {
        self.tests += usize::from(test);
    }

    /// Leaving an item entered with [`Context::enter_test`] and the same `test`.
    pub fn leave_test(&mut self, test: bool) {
        self.tests -= usize::from(test);
    }

    /// Whether this point is inside a test fn or a `#[cfg(test)]` module or item.
    pub fn in_test(&self) -> bool {
        self.tests > 0
    }

    pub fn push(&mut self, f: Frame) {
        self.frames.push(f);
    }

    pub fn pop(&mut self) {
        self.frames.pop();
        if self.own_executor.last() == Some(&self.frames.len()) {
            self.own_executor.pop();
        }
    }

    /// Entering the body of a loop that may run any number of times: `loop`, `while`,
    /// a `for` over what arrives (`listener.incoming()`, a channel).
    pub fn enter_loop(&mut self) {
        self.loops.push(self.frames.len());
    }

    /// Leaving a loop entered with [`Context::enter_loop`].
    pub fn leave_loop(&mut self) {
        self.loops.pop();
    }

    /// Whether code at this point may run more than once each time the code at frame
    /// depth `depth` (the body of the fn around it) runs: inside a loop entered at or
    /// below that depth, or in a closure or async closure stored or handed to code that
    /// may call it again (not one run in place, on a thread, or on a pool).
    pub fn repeats_from(&self, depth: usize) -> bool {
        self.loops.iter().any(|&d| d >= depth)
            || self.frames.get(depth..).is_some_and(|f| {
                f.iter()
                    .any(|f| matches!(f, Frame::UnknownClosure | Frame::AsyncClosure))
            })
    }

    /// Enters an `async` block that a single-future executor drives on the calling
    /// thread: async code, but no other task shares its thread.
    pub fn push_own_executor_block(&mut self) {
        self.own_executor.push(self.frames.len());
        self.frames.push(Frame::AsyncBlock);
    }

    /// Whether the async code at this point runs on an executor other tasks share: not
    /// in an `async` block a single-future executor (`futures::executor::block_on`,
    /// `pollster::block_on`) drives from sync code.
    pub fn on_shared_executor(&self) -> bool {
        for (i, f) in self.frames.iter().enumerate().rev() {
            match f {
                Frame::AsyncFn | Frame::AsyncClosure => return true,
                Frame::AsyncBlock => return !self.own_executor.contains(&i),
                Frame::SyncFn | Frame::OffExecutor | Frame::UnknownClosure => return false,
                Frame::InlineClosure => continue,
            }
        }
        false
    }

    /// Whether the code at this point runs on the async executor.
    pub fn in_async(&self) -> bool {
        for f in self.frames.iter().rev() {
            match f {
                Frame::AsyncFn | Frame::AsyncBlock | Frame::AsyncClosure => return true,
                Frame::SyncFn | Frame::OffExecutor | Frame::UnknownClosure => return false,
                Frame::InlineClosure => continue,
            }
        }
        false
    }

    /// Whether the code at this point runs in a closure handed to a thread or a pool
    /// (`std::thread::spawn`, `spawn_blocking`, rayon), seen through inline closures:
    /// code that runs alongside the caller.
    pub fn runs_off_executor(&self) -> bool {
        for f in self.frames.iter().rev() {
            match f {
                Frame::OffExecutor => return true,
                Frame::InlineClosure => continue,
                _ => return false,
            }
        }
        false
    }

    /// Whether `.await` may be written here: directly in an async fn, block or closure,
    /// not inside a sync closure that merely inherits the context.
    pub fn can_await(&self) -> bool {
        matches!(
            self.frames.last(),
            Some(Frame::AsyncFn | Frame::AsyncBlock | Frame::AsyncClosure)
        )
    }

    /// Whether the code at this point runs when the innermost enclosing sync fn is
    /// called: directly in its body or in closures it runs in place — not in an async
    /// block it returns, nor in a closure it hands to a thread or stores.
    pub fn runs_with_sync_fn(&self) -> bool {
        for f in self.frames.iter().rev() {
            match f {
                Frame::SyncFn => return true,
                Frame::InlineClosure => continue,
                _ => return false,
            }
        }
        false
    }

    pub fn innermost(&self) -> Option<Frame> {
        self.frames.last().copied()
    }

    /// The frames from the outermost to the innermost.
    pub fn frames(&self) -> &[Frame] {
        &self.frames
    }
}

/// Whether a file has any async code at all: an `async fn`, an `async` block or an
/// async closure anywhere in it (macro bodies are not looked into).
pub fn file_has_async(file: &syn::File) -> bool {
    file.items.iter().any(item_has_async)
}

/// [`file_has_async`] for one item.
pub fn item_has_async(item: &syn::Item) -> bool {
    struct A(bool);
    impl<'ast> Visit<'ast> for A {
        fn visit_signature(&mut self, s: &'ast syn::Signature) {
            self.0 |= s.asyncness.is_some();
        }
        fn visit_expr(&mut self, e: &'ast syn::Expr) {
            if self.0 {
                return;
            }
            match e {
                syn::Expr::Async(_) => self.0 = true,
                syn::Expr::Closure(c) if c.asyncness.is_some() => self.0 = true,
                _ => stacker::maybe_grow(64 * 1024, 1024 * 1024, || visit::visit_expr(self, e)),
            }
        }
        fn visit_item(&mut self, i: &'ast syn::Item) {
            if !self.0 {
                visit::visit_item(self, i);
            }
        }
    }
    let mut a = A(false);
    a.visit_item(item);
    a.0
}

/// The declared types of the named struct fields of a file, by field name, as written
/// (`handles` → `Vec < JoinHandle < () > >`). A name declared with two different types
/// is left out: a field access cannot say which struct it reads.
pub fn field_types(items: &[syn::Item]) -> HashMap<String, String> {
    use quote::ToTokens;
    struct F(HashMap<String, Option<String>>);
    impl<'ast> Visit<'ast> for F {
        fn visit_item_struct(&mut self, s: &'ast syn::ItemStruct) {
            for field in &s.fields {
                if let Some(name) = &field.ident {
                    let ty = field.ty.to_token_stream().to_string();
                    let entry = self.0.entry(name.to_string()).or_insert(Some(ty.clone()));
                    if entry.as_deref() != Some(ty.as_str()) {
                        *entry = None;
                    }
                }
            }
        }
        fn visit_block(&mut self, _: &'ast syn::Block) {}
    }
    let mut f = F(HashMap::default());
    for item in items {
        f.visit_item(item);
    }
    f.0.into_iter()
        .filter_map(|(name, ty)| ty.map(|t| (name, t)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_closures_inherit_and_off_executor_closures_do_not() {
        let mut cx = Context::default();
        assert!(!cx.in_async());
        cx.push(Frame::AsyncFn);
        cx.push(Frame::InlineClosure);
        assert!(cx.in_async() && !cx.can_await());
        cx.push(Frame::OffExecutor);
        assert!(!cx.in_async() && cx.runs_off_executor());
        cx.push(Frame::InlineClosure);
        assert!(cx.runs_off_executor());
        cx.pop();
        cx.pop();
        cx.pop();
        cx.push(Frame::SyncFn);
        assert!(!cx.in_async());
        cx.push(Frame::AsyncBlock);
        assert!(cx.in_async() && cx.can_await());
    }

    #[test]
    fn inner_bindings_shadow_outer_ones() {
        let mut s = Scopes::default();
        s.push();
        s.bind(
            "rt".into(),
            Origin {
                root_call: Some("a".into()),
                ..Origin::default()
            },
        );
        s.push();
        s.bind("rt".into(), Origin::default());
        assert_eq!(s.lookup("rt").unwrap().root_call, None);
        s.pop();
        assert_eq!(s.lookup("rt").unwrap().root_call.as_deref(), Some("a"));
    }

    #[test]
    fn files_with_and_without_async_code() {
        let has = |src: &str| file_has_async(&syn::parse_file(src).unwrap());
        assert!(has("async fn a() {}"));
        assert!(has("fn a() { let f = async { 1 }; }"));
        assert!(has("fn a() { let f = async |x: u8| x; }"));
        assert!(has("impl S { async fn a(&self) {} }"));
        assert!(has("trait T { async fn a(&self); }"));
        assert!(!has(
            "fn a() { let (tx, rx) = std::sync::mpsc::channel::<u8>(); }"
        ));
    }

    #[test]
    fn field_types_by_name() {
        let file = syn::parse_file(
            "struct A { handles: Vec<JoinHandle<()>>, n: u8 }\n\
             struct B { n: u16 }",
        )
        .unwrap();
        let f = field_types(&file.items);
        assert!(f["handles"].contains("JoinHandle"));
        assert!(!f.contains_key("n"));
    }
}
