//! Where the tokio runtime is entered, and what needs it. tokio's I/O, timers, blocking
//! pool and spawn panic ("there is no reactor running, must be called from the context
//! of a Tokio 1.x runtime") on a thread where no tokio runtime is entered: a fresh
//! `std::thread`, or a sync `main` that never builds one. Shared by the crate model
//! (which fns run only outside a runtime) and `executor-mismatch`.

use super::callee::Callee;
use super::chain::{self, strip};
use super::imports::UseMap;
use super::macros::{parse_body, MacroBody};
use super::tasks::async_block_of;
use super::{Cx, FileInfo, Runtime};
use crate::source::TextRange;
use rustc_hash::FxHashMap as HashMap;
use syn::visit::{self, Visit};
use syn::{Block, Expr, ExprClosure, Pat};

/// Calls that need the tokio runtime, by resolved path prefix: its I/O, timers,
/// processes, signals, blocking pool and spawn, and the clients built on them.
const TOKIO_PREFIXES: &[&str] = &[
    "tokio::net::",
    "tokio::fs::",
    "tokio::time::",
    "tokio::process::",
    "tokio::signal::",
    "tokio::spawn",
    "tokio::task::spawn",
    "tokio::task::block_in_place",
    "tokio::runtime::Handle::current",
    "tokio::io::stdin",
    "tokio::io::stdout",
    "tokio::io::stderr",
    "reqwest::get",
    "reqwest::Client",
    "reqwest::ClientBuilder",
    "tonic::transport::",
    "hyper_util::client::",
    "hyper::Client",
    "sqlx::",
    "tokio_postgres::connect",
    "redis::aio::",
    "lapin::",
    "rdkafka::",
    "async_nats::",
];

/// Paths under those prefixes that work anywhere: plain values, no reactor.
const RUNTIME_FREE: &[&str] = &[
    "tokio::time::Duration",
    "tokio::time::Instant",
    "tokio::time::error",
];

/// Whether a call of this resolved path needs a tokio runtime on the thread that
/// polls it (`reqwest::blocking`, which runs one of its own, does not).
pub fn needs_tokio(path: &str) -> bool {
    TOKIO_PREFIXES.iter().any(|t| path.starts_with(t))
        && !RUNTIME_FREE.iter().any(|t| path.starts_with(t))
        && !path.contains("::blocking::")
}

/// Words in a body that say it builds or enters a runtime (or hands the future to one):
/// `Runtime::new()`, `Builder::new_current_thread()`, `handle.enter()`,
/// `rt.block_on(..)`, `Handle::current()`, `block_in_place`, `async_compat::Compat`.
/// A word is enough: a false "enters" only makes the analysis quieter.
const ENTERS: &[&str] = &[
    "Runtime",
    "runtime::",
    "new_current_thread",
    "new_multi_thread",
    ".enter()",
    "Handle::",
    "block_in_place",
    "Compat",
    ".compat()",
    "LocalSet",
];

/// Whether code (its text) builds, enters or is handed a tokio runtime anywhere: what
/// runs in it cannot be told to run outside one.
pub fn enters_runtime(text: &str) -> bool {
    // One pass for every word (a sync fn body of every crate is asked).
    static WORDS: std::sync::OnceLock<Option<aho_corasick::AhoCorasick>> =
        std::sync::OnceLock::new();
    const BLOCK_ON: &str = ".block_on(";
    let Some(words) =
        WORDS.get_or_init(|| aho_corasick::AhoCorasick::new(ENTERS.iter().chain([&BLOCK_ON])).ok())
    else {
        return ENTERS.iter().any(|w| text.contains(w))
            || text
                .match_indices(BLOCK_ON)
                .any(|(i, m)| !text[i + m.len()..].trim_start().starts_with(')'));
    };
    words.find_iter(text).any(|m| {
        // `rt.block_on(fut)`, not pollster's `fut.block_on()`.
        m.pattern().as_usize() < ENTERS.len() || !text[m.end()..].trim_start().starts_with(')')
    })
}

/// Whether a fn is an entry point that runs with no tokio runtime: a sync `main`, or a
/// sync `#[test]`, whose text builds or enters none (`text` is the whole fn).
pub fn runtime_free_entry(attrs: &[syn::Attribute], sig: &syn::Signature, text: &str) -> bool {
    sig.asyncness.is_none() && plain_entry(attrs, sig) && !enters_runtime(text)
}

/// Whether a fn is a sync `main` or a sync `#[test]` by its signature and attributes:
/// [`runtime_free_entry`] for a caller that already knows the fn enters no runtime.
pub fn plain_entry(attrs: &[syn::Attribute], sig: &syn::Signature) -> bool {
    if sig.asyncness.is_some() {
        return false;
    }
    let is_main = sig.ident == "main" && sig.inputs.is_empty();
    let main_attr = attrs.iter().any(|a| {
        a.path()
            .segments
            .last()
            .is_some_and(|s| s.ident == "main" || s.ident.to_string().ends_with("test"))
    });
    let plain_test = attrs.iter().any(|a| a.path().is_ident("test"));
    // A test that expects a panic may expect exactly this one.
    let should_panic = attrs.iter().any(|a| a.path().is_ident("should_panic"));
    (is_main && !main_attr) || (plain_test && !should_panic)
}

/// Whether a fn is declared plain `pub` in a file that is not a program's root, a
/// test, a bench or an example, of a package whose library others may use (not
/// [`FileInfo::closed`]): code outside the crate may call it.
pub fn exported(file: &FileInfo, sig: &syn::Signature) -> bool {
    let start = [
        sig.constness.map(|t| t.span),
        sig.asyncness.map(|t| t.span),
        match &sig.safety {
            syn::Safety::Unsafe(t) => Some(t.span),
            syn::Safety::Safe(t) => Some(t.span),
            _ => None,
        },
        sig.abi.as_ref().map(|a| a.extern_token.span),
    ]
    .into_iter()
    .flatten()
    .chain([sig.fn_token.span])
    .map(|s| file.start_of(s))
    .min()
    .unwrap_or(0);
    let before = file.text.get(..start).unwrap_or("").trim_end();
    let plain_pub = before
        .strip_suffix("pub")
        .is_some_and(|rest| !rest.ends_with(|c: char| c.is_alphanumeric() || c == '_'));
    let program = program_root(file.path)
        || ["/examples/", "/tests/", "/benches/"]
            .iter()
            .any(|d| file.path.contains(d));
    plain_pub && !program && !file.closed
}

/// Whether a file is the root of one of its package's programs (`src/main.rs`,
/// `src/bin/..`), not an example's: where the program's `main` is.
pub fn program_root(path: &str) -> bool {
    (path.ends_with("main.rs") || path.contains("/bin/")) && !path.contains("/examples/")
}

/// The closures a body (not its nested items) runs on threads of their own:
/// `std::thread::spawn(|| ..)`, `thread::Builder::new()..spawn(|| ..)`, and
/// `s.spawn(|| ..)` inside `std::thread::scope(|s| ..)`.
pub fn thread_closures<'a>(uses: &UseMap, body: &'a Block) -> Vec<&'a ExprClosure> {
    let mut f = Threads {
        uses,
        scopes: Vec::new(),
        found: Vec::new(),
    };
    f.visit_block(body);
    f.found
}

/// Whether `call` runs its closure argument on a new OS thread; `scopes` are the
/// names of `std::thread::scope` handles in reach.
pub fn spawns_thread(uses: &UseMap, call: &Expr, scopes: &[String]) -> bool {
    match strip(call) {
        Expr::Call(_) => chain::call_path(call)
            .and_then(|p| uses.resolve(p))
            .is_some_and(|p| p == "std::thread::spawn"),
        Expr::MethodCall(m) if m.method == "spawn" || m.method == "spawn_scoped" => {
            let c = chain::chain(&m.receiver);
            let builder = chain::call_path(c.root)
                .and_then(|p| uses.resolve(p))
                .is_some_and(|p| p == "std::thread::Builder::new");
            let scoped =
                chain::path_ident(&m.receiver).is_some_and(|i| scopes.iter().any(|s| i == s));
            builder || scoped
        }
        _ => false,
    }
}

/// The name `std::thread::scope(|s| ..)` gives its scope handle, if `call` is that.
pub fn thread_scope_param(uses: &UseMap, call: &Expr) -> Option<String> {
    let Expr::Call(c) = strip(call) else {
        return None;
    };
    let path = chain::call_path(call).and_then(|p| uses.resolve(p))?;
    if path != "std::thread::scope" {
        return None;
    }
    let Expr::Closure(closure) = strip(c.args.first()?) else {
        return None;
    };
    match closure.inputs.first()? {
        Pat::Ident(p) => Some(p.ident.to_string()),
        Pat::Type(t) => match &*t.pat {
            Pat::Ident(p) => Some(p.ident.to_string()),
            _ => None,
        },
        _ => None,
    }
}

struct Threads<'u, 'a> {
    uses: &'u UseMap,
    scopes: Vec<String>,
    found: Vec<&'a ExprClosure>,
}

impl<'a> Visit<'a> for Threads<'_, 'a> {
    fn visit_item(&mut self, _: &'a syn::Item) {}

    fn visit_expr(&mut self, e: &'a Expr) {
        stacker::maybe_grow(64 * 1024, 1024 * 1024, || {
            let args: Vec<&Expr> = match e {
                Expr::Call(c) => c.args.iter().collect(),
                Expr::MethodCall(m) => m.args.iter().collect(),
                _ => Vec::new(),
            };
            if !args.is_empty() && spawns_thread(self.uses, e, &self.scopes) {
                if let Some(Expr::Closure(c)) = args.first().map(|a| strip(a)) {
                    self.found.push(c);
                }
            }
            let scope = thread_scope_param(self.uses, e);
            let pushed = scope.is_some();
            self.scopes.extend(scope);
            visit::visit_expr(self, e);
            if pushed {
                self.scopes.pop();
            }
        });
    }
}

/// How many crate fns a driven future may call before the rule stops asking about them.
const MAX_CALLEES: usize = 24;

/// What a future needs of tokio: a call that needs it directly, or crate fns that may.
#[derive(Clone, Debug, Default)]
pub struct Need {
    /// A call that needs tokio (or a tokio value used), and how a message names it.
    pub direct: Option<(TextRange, String)>,
    /// Crate fns it calls, with their names as the code writes them.
    pub callees: Vec<(Callee, String)>,
}

impl Need {
    /// Whether anything in the future may need tokio.
    pub fn any(&self) -> bool {
        self.direct.is_some() || !self.callees.is_empty()
    }

    fn add(&mut self, other: Need) {
        if self.direct.is_none() {
            self.direct = other.direct;
        }
        for c in other.callees {
            if self.callees.len() < MAX_CALLEES && !self.callees.iter().any(|(k, _)| *k == c.0) {
                self.callees.push(c);
            }
        }
    }
}

/// Locals of a fn body that a driven future may use, followed in source order:
/// futures bound to names (judged where they are made) and values that need the
/// runtime (`let client = reqwest::Client::new();`), with the call that made them.
#[derive(Default, Debug)]
pub struct TokioLocals {
    futures: HashMap<String, Need>,
    tokio_values: Vec<(String, String)>,
}

impl TokioLocals {
    /// A `let` of the fn body, after its initializer was walked.
    pub fn bind_local(&mut self, cx: &Cx, l: &syn::Local) {
        let Pat::Ident(p) = &l.pat else { return };
        let name = p.ident.to_string();
        self.futures.remove(&name);
        self.tokio_values.retain(|(n, _)| *n != name);
        if let Some(init) = l.init.as_ref().filter(|i| i.diverge.is_none()) {
            let init = strip(&init.expr);
            let root = chain::chain(init).root;
            if let Some(path) = cx.call_path(root).filter(|p| needs_tokio(p)) {
                self.tokio_values.push((name.clone(), path));
            }
            if matches!(init, Expr::Async(_) | Expr::Call(_) | Expr::MethodCall(_)) {
                let need = self.need(cx, init);
                if need.any() {
                    self.futures.insert(name, need);
                }
            }
        }
    }

    /// What a future needs of tokio.
    pub fn need(&self, cx: &Cx, fut: &Expr) -> Need {
        let fut = strip(fut);
        if cx.text(fut).contains("ompat") {
            // `async_compat::Compat` runs it inside a tokio runtime of its own.
            return Need::default();
        }
        if let Some(name) = chain::path_ident(fut) {
            if let Some(n) = self.futures.get(&name.to_string()) {
                return n.clone();
            }
        }
        let mut scan = NeedScan {
            cx,
            tokio_locals: self.tokio_values.clone(),
            need: Need::default(),
        };
        match async_block_of(fut) {
            Some(block) => scan.visit_block(block),
            None => match fut {
                Expr::Call(_) | Expr::MethodCall(_) => scan.visit_expr(fut),
                Expr::Path(_) => scan.local(fut),
                _ => {}
            },
        }
        scan.need
    }
}

/// What a future's own code needs of tokio, call by call.
struct NeedScan<'c, 'a> {
    cx: &'c Cx<'a>,
    /// Locals bound inside the future to values that need the runtime (a
    /// `reqwest::Client`, a `TcpStream`), with the call that made them.
    tokio_locals: Vec<(String, String)>,
    need: Need,
}

impl NeedScan<'_, '_> {
    fn tokio_path(&self, e: &Expr) -> Option<String> {
        let path = self.cx.call_path(e)?;
        let sqlx_elsewhere = path.starts_with("sqlx::")
            && matches!(self.cx.file.runtime, Runtime::AsyncStd | Runtime::Smol);
        (needs_tokio(&path) && !sqlx_elsewhere).then_some(path)
    }

    /// A local that holds a tokio value: bound inside the future, or outside it from a
    /// call that needs the runtime (`let client = reqwest::Client::new();`).
    fn local(&mut self, e: &Expr) {
        if self.need.direct.is_some() {
            return;
        }
        let Some(name) = chain::receiver_ident(e).map(|i| i.to_string()) else {
            return;
        };
        let inner = self
            .tokio_locals
            .iter()
            .rev()
            .find(|(n, _)| *n == name)
            .map(|(_, p)| p.clone());
        let outer = || {
            self.cx
                .binding(&name)
                .and_then(|o| o.root_call.clone())
                .filter(|p| needs_tokio(p))
        };
        if let Some(path) = inner.or_else(outer) {
            self.need.direct = Some((self.cx.range(e), format!("`{name}` (from `{path}`)")));
        }
    }
}

impl<'ast> Visit<'ast> for NeedScan<'_, '_> {
    fn visit_item(&mut self, _: &'ast syn::Item) {}

    fn visit_local(&mut self, l: &'ast syn::Local) {
        visit::visit_local(self, l);
        let (Pat::Ident(p), Some(init)) = (&l.pat, &l.init) else {
            return;
        };
        let root = chain::chain(strip(&init.expr)).root;
        if let Some(path) = self.tokio_path(root) {
            self.tokio_locals.push((p.ident.to_string(), path));
        }
    }

    fn visit_expr(&mut self, e: &'ast Expr) {
        stacker::maybe_grow(64 * 1024, 1024 * 1024, || {
            match e {
                Expr::Call(_) => {
                    if let Some(path) = self.tokio_path(e) {
                        if self.need.direct.is_none() {
                            self.need.direct = Some((self.cx.range(e), format!("`{path}`")));
                        }
                    } else if let Some(c) = self.cx.callee(e) {
                        let written = chain::call_path(e)
                            .map_or_else(|| c.written(), |p| self.cx.text(p).to_string());
                        self.need.add(Need {
                            direct: None,
                            callees: vec![(c, written)],
                        });
                    }
                }
                Expr::MethodCall(m) => {
                    if let Some(c) = self.cx.callee(e) {
                        let written = m.method.to_string();
                        self.need.add(Need {
                            direct: None,
                            callees: vec![(c, written)],
                        });
                    }
                    let root = chain::chain(&m.receiver).root;
                    if matches!(strip(root), Expr::Path(_)) {
                        self.local(root);
                    }
                }
                _ => {}
            }
            visit::visit_expr(self, e);
        });
    }

    fn visit_macro(&mut self, m: &'ast syn::Macro) {
        if let MacroBody::Exprs(exprs) = &*parse_body(m) {
            for e in exprs.iter() {
                self.visit_expr(e);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn uses(src: &str) -> UseMap {
        UseMap::from_file(&syn::parse_file(src).unwrap())
    }

    #[test]
    fn tokio_paths_that_need_a_runtime() {
        assert!(needs_tokio("tokio::time::sleep"));
        assert!(needs_tokio("tokio::net::TcpStream::connect"));
        assert!(needs_tokio("reqwest::Client::new"));
        assert!(!needs_tokio("tokio::time::Duration::from_secs"));
        assert!(!needs_tokio("tokio::sync::Mutex::new"));
        assert!(!needs_tokio("reqwest::blocking::get"));
    }

    #[test]
    fn closures_on_threads_of_their_own() {
        let src = "use std::thread;\n\
            fn f() {\n\
                thread::spawn(|| a());\n\
                std::thread::Builder::new().name(n).spawn(move || b()).unwrap();\n\
                std::thread::scope(|s| { s.spawn(|| c()); });\n\
                tokio::task::spawn_blocking(|| d());\n\
                pool.spawn(|| e());\n\
            }";
        let file = syn::parse_file(src).unwrap();
        let syn::Item::Fn(f) = &file.items[1] else {
            panic!()
        };
        let found = thread_closures(&uses(src), &f.block);
        assert_eq!(found.len(), 3);
    }

    #[test]
    fn entries_without_a_runtime() {
        let f: syn::ItemFn = syn::parse_str("fn main() { run(); }").unwrap();
        assert!(runtime_free_entry(&f.attrs, &f.sig, "fn main() { run(); }"));
        let text = "fn main() { let rt = Runtime::new().unwrap(); }";
        let f: syn::ItemFn = syn::parse_str(text).unwrap();
        assert!(!runtime_free_entry(&f.attrs, &f.sig, text));
        let f: syn::ItemFn = syn::parse_str("#[tokio::main] async fn main() {}").unwrap();
        assert!(!runtime_free_entry(&f.attrs, &f.sig, ""));
        let f: syn::ItemFn = syn::parse_str("#[test] fn t() {}").unwrap();
        assert!(runtime_free_entry(&f.attrs, &f.sig, "#[test] fn t() {}"));
        let text = "#[test] #[should_panic(expected = \"no reactor\")] fn t() {}";
        let f: syn::ItemFn = syn::parse_str(text).unwrap();
        assert!(!runtime_free_entry(&f.attrs, &f.sig, text));
        let f: syn::ItemFn = syn::parse_str("fn helper() {}").unwrap();
        assert!(!runtime_free_entry(&f.attrs, &f.sig, "fn helper() {}"));
    }
}
