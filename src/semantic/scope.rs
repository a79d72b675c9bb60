//! What the walk knows at a point of a fn body: the async context (which code runs on
//! the executor) and the local bindings in scope, with where their values came from.

use std::collections::HashMap;

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
}

#[derive(Debug, Default)]
pub struct Scopes {
    stack: Vec<HashMap<String, Origin>>,
}

impl Scopes {
    pub fn push(&mut self) {
        self.stack.push(HashMap::new());
    }

    pub fn pop(&mut self) {
        self.stack.pop();
    }

    pub fn bind(&mut self, name: String, origin: Origin) {
        if self.stack.is_empty() {
            self.stack.push(HashMap::new());
        }
        if let Some(top) = self.stack.last_mut() {
            top.insert(name, origin);
        }
    }

    /// The innermost binding of `name`, if the current fn has one.
    pub fn lookup(&self, name: &str) -> Option<&Origin> {
        self.stack.iter().rev().find_map(|s| s.get(name))
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
}

impl Context {
    pub fn push(&mut self, f: Frame) {
        self.frames.push(f);
    }

    pub fn pop(&mut self) {
        self.frames.pop();
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

    pub fn innermost(&self) -> Option<Frame> {
        self.frames.last().copied()
    }
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
}
