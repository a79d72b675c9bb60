//! Where the tokio runtime is entered, and what needs it. tokio's I/O, timers, blocking
//! pool and spawn panic ("there is no reactor running, must be called from the context
//! of a Tokio 1.x runtime") on a thread where no tokio runtime is entered: a fresh
//! `std::thread`, or a sync `main` that never builds one. Shared by the crate model
//! (which fns run only outside a runtime) and `executor-mismatch`.

use super::chain::{self, strip};
use super::imports::UseMap;
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
    // `rt.block_on(fut)`, not pollster's `fut.block_on()`.
    let runtime_block_on = text
        .match_indices(".block_on(")
        .any(|(i, m)| !text[i + m.len()..].trim_start().starts_with(')'));
    runtime_block_on || ENTERS.iter().any(|w| text.contains(w))
}

/// Whether a fn is an entry point that runs with no tokio runtime: a sync `main`, or a
/// sync `#[test]`, whose text builds or enters none (`text` is the whole fn).
pub fn runtime_free_entry(attrs: &[syn::Attribute], sig: &syn::Signature, text: &str) -> bool {
    if sig.asyncness.is_some() || enters_runtime(text) {
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
