//! Which lock a guard holds, as far as the text tells: its place (`self.state`, a
//! static, a local), the type declared for that place, and the closures of a body
//! that may run at another time than where they are written.

use super::lifetimes::expr_range;
use super::{Acquisition, LockKind};
use crate::semantic::chain::strip;
use crate::semantic::tasks::closure_frame;
use crate::semantic::{Cx, FileInfo};
use crate::source::TextRange;
use syn::visit::{self, Visit};
use syn::{Block, Expr};

/// The place a lock receiver names: `self.state`, `self.inner.queue`, `STATE`,
/// `crate::CACHE`, `state`, seen through `&`, `*`, `.clone()`, `.as_ref()` and
/// `.deref()`. `None` for anything that may name another lock at each evaluation: a
/// call (`self.shard(k)`), an index (`self.shards[i]`), a method chain.
pub fn lock_place(receiver: &str) -> Option<String> {
    let mut p = receiver.trim_start_matches(['&', '*']);
    loop {
        let before = p;
        for suffix in [".clone()", ".as_ref()", ".deref()"] {
            p = p.strip_suffix(suffix).unwrap_or(p);
        }
        if p == before {
            break;
        }
    }
    let p = p
        .strip_prefix('(')
        .and_then(|p| p.strip_suffix(')'))
        .unwrap_or(p);
    let segments_ok = p.split("::").all(|seg| {
        !seg.is_empty()
            && seg.split('.').all(|part| {
                !part.is_empty() && part.chars().all(|c| c.is_alphanumeric() || c == '_')
            })
    });
    let starts_ok = p
        .chars()
        .next()
        .is_some_and(|c| c.is_alphabetic() || c == '_');
    (segments_ok && starts_ok).then(|| p.to_string())
}

/// Whether a name is written as statics are: capitals, digits and `_`, with at least
/// one capital (`WORKERS`, `POOL_2`).
pub fn is_static_name(name: &str) -> bool {
    name.bytes().any(|b| b.is_ascii_uppercase())
        && name
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
}

/// The key under which the model records a lock on a `static` (`::WORKERS` for
/// `WORKERS` or `crate::pool::WORKERS`), if the place is one.
pub fn static_place(place: &str) -> Option<String> {
    if place.contains('.') {
        return None;
    }
    let last = place.rsplit("::").next()?;
    is_static_name(last).then(|| format!("::{last}"))
}

/// The local, `self` or path a place starts from: `self` for `self.state`, `state` for
/// `state.inner`, `crate::CACHE` for `crate::CACHE`.
pub fn place_root(place: &str) -> &str {
    place.split('.').next().unwrap_or(place)
}

/// The type written for a place, as text, when the code shows it: a field of a struct
/// of this file (by its last field name), a parameter's declared type, a `let` in
/// `body` (its type annotation or its initializer), a `static` of this file.
pub fn place_type(cx: &Cx, body: &Block, place: &str) -> Option<String> {
    let mut parts = place.split('.');
    let root = parts.next()?;
    let last_field = place.rsplit_once('.').map(|(_, f)| f);
    if let Some(field) = last_field {
        return cx.file.field_types.get(field).cloned();
    }
    if let Some(ty) = cx.binding(root).and_then(|o| o.ty.clone()) {
        return Some(ty);
    }
    if let Some(init) = let_text(cx.file, body, root) {
        return Some(init);
    }
    static_type(cx.file.text, root.rsplit("::").next()?)
}

/// The text of the type annotation, else of the initializer, of the last `let name`
/// in `body` (closures and async blocks included).
fn let_text(file: &FileInfo, body: &Block, name: &str) -> Option<String> {
    struct L<'a> {
        file: &'a FileInfo<'a>,
        name: &'a str,
        found: Option<String>,
    }
    impl<'ast> Visit<'ast> for L<'_> {
        fn visit_local(&mut self, l: &'ast syn::Local) {
            let (pat, ty) = match &l.pat {
                syn::Pat::Type(t) => (&*t.pat, Some(&*t.ty)),
                p => (p, None),
            };
            if matches!(pat, syn::Pat::Ident(i) if i.ident == self.name) {
                use quote::ToTokens;
                self.found = match (ty, &l.init) {
                    (Some(ty), _) => Some(ty.to_token_stream().to_string()),
                    (None, Some(init)) => Some(
                        self.file
                            .slice(expr_range(self.file, &init.expr))
                            .to_string(),
                    ),
                    (None, None) => None,
                };
            }
            visit::visit_local(self, l);
        }
        fn visit_item(&mut self, _: &'ast syn::Item) {}
    }
    let mut l = L {
        file,
        name,
        found: None,
    };
    l.visit_block(body);
    l.found
}

/// The declared type of `static NAME: T = ..` in the text.
fn static_type(text: &str, name: &str) -> Option<String> {
    let at = text.find(&format!("static {name}:"))?;
    let rest = &text[at + "static ".len() + name.len() + 1..];
    let end = rest.find('=').or_else(|| rest.find(';'))?;
    Some(rest[..end].trim().to_string())
}

/// Whether a name is bound anywhere in `body` between the offsets `from` and `to`
/// (a `let`, a closure parameter, a `for` or `match` pattern): after that, the same
/// text may name another value.
pub fn rebound_between(file: &FileInfo, body: &Block, name: &str, from: usize, to: usize) -> bool {
    struct B<'a> {
        file: &'a FileInfo<'a>,
        name: &'a str,
        range: (usize, usize),
        found: bool,
    }
    impl<'ast> Visit<'ast> for B<'_> {
        fn visit_pat_ident(&mut self, p: &'ast syn::PatIdent) {
            let at = self.file.start_of(p.ident.span());
            if p.ident == self.name && self.range.0 <= at && at < self.range.1 {
                self.found = true;
            }
            visit::visit_pat_ident(self, p);
        }
        fn visit_item(&mut self, _: &'ast syn::Item) {}
    }
    let mut b = B {
        file,
        name,
        range: (from, to),
        found: false,
    };
    b.visit_block(body);
    b.found
}

/// The closures of `body` that may run at another time or on another thread than
/// where they are written: stored in a local, handed to a thread or to code the
/// syntax does not describe. Closures run in place (iterator adapters, `Option::map`,
/// `(|| ..)()`) are not among them; async blocks and nested items are not looked into.
pub fn deferred_closures(cx: &Cx, body: &Block) -> Vec<TextRange> {
    struct D<'c, 'a> {
        cx: &'c Cx<'a>,
        inline: Vec<TextRange>,
        out: Vec<TextRange>,
    }
    impl<'ast> Visit<'ast> for D<'_, '_> {
        fn visit_expr(&mut self, e: &'ast Expr) {
            stacker::maybe_grow(64 * 1024, 1024 * 1024, || {
                match e {
                    Expr::Async(_) => return,
                    Expr::Closure(c) if c.asyncness.is_some() => return,
                    Expr::Closure(_) => {
                        let r = expr_range(self.cx.file, e);
                        if !self.inline.contains(&r) {
                            self.out.push(r);
                        }
                    }
                    Expr::Call(_) | Expr::MethodCall(_) => {
                        let inline = closure_frame(e, &self.cx.file.uses)
                            == crate::semantic::scope::Frame::InlineClosure;
                        let args: Vec<&Expr> = match e {
                            Expr::Call(c) => {
                                std::iter::once(&*c.func).chain(c.args.iter()).collect()
                            }
                            Expr::MethodCall(m) => m.args.iter().collect(),
                            _ => Vec::new(),
                        };
                        for a in args {
                            if inline && matches!(strip(a), Expr::Closure(_)) {
                                self.inline.push(expr_range(self.cx.file, strip(a)));
                            }
                        }
                    }
                    _ => {}
                }
                visit::visit_expr(self, e)
            })
        }
        fn visit_item(&mut self, _: &'ast syn::Item) {}
    }
    let mut d = D {
        cx,
        inline: Vec::new(),
        out: Vec::new(),
    };
    d.visit_block(body);
    d.out
}

/// `try_lock` and friends fail instead of waiting.
pub fn is_try(file: &FileInfo, acq: &Acquisition) -> bool {
    file.slice(acq.range).contains(".try_")
}

/// Whether the guard is a lock's that is not reentrant: a `Mutex` or `RwLock` (not a
/// `RefCell` or a map entry), not a `ReentrantMutex`. `read()`/`write()` are common
/// names: unless the place's declared type says `Lock`, only std's
/// `.read().unwrap()` form counts, or any form in a file that names `RwLock`.
pub fn is_plain_lock(cx: &Cx, body: &Block, acq: &Acquisition, place: &str) -> bool {
    if !matches!(
        acq.kind,
        LockKind::Mutex | LockKind::RwLockRead | LockKind::RwLockWrite
    ) {
        return false;
    }
    let ty = place_type(cx, body, place);
    let reentrant =
        |t: &str| t.contains("Reentrant") || t.contains("stdout") || t.contains("stderr");
    match &ty {
        Some(t) if reentrant(t) => return false,
        None if cx.file.text.contains("Reentrant") => return false,
        _ => {}
    }
    if acq.kind == LockKind::Mutex {
        return true;
    }
    match ty {
        Some(t) => t.contains("Lock"),
        None => {
            let text = cx.file.slice(acq.range);
            let std_form = !acq.asynchronous
                && !cx.file.plain_locks_are_sync
                && (text.contains(".unwrap()") || text.contains(".expect("));
            std_form || cx.file.text.contains("RwLock")
        }
    }
}

/// A call a body makes itself.
pub struct OwnCall<'a> {
    pub call: &'a Expr,
    pub range: TextRange,
    /// The fn or method name.
    pub name: String,
    /// Whether it is `self.name(..)`.
    pub on_self: bool,
    /// The arguments, not counting a method's receiver.
    pub args: Vec<&'a Expr>,
}

/// The calls and method calls of a body, outside async blocks and nested items (in
/// closures too: [`deferred_closures`] says which of those run later).
pub fn own_calls<'a>(cx: &Cx, body: &'a Block) -> Vec<OwnCall<'a>> {
    struct S<'a, 'c> {
        cx: &'c Cx<'c>,
        out: Vec<OwnCall<'a>>,
    }
    impl<'a> Visit<'a> for S<'a, '_> {
        fn visit_expr(&mut self, e: &'a Expr) {
            stacker::maybe_grow(64 * 1024, 1024 * 1024, || {
                let (name, on_self, args) = match e {
                    Expr::Async(_) => return,
                    Expr::Closure(c) if c.asyncness.is_some() => return,
                    Expr::MethodCall(m) => {
                        let on_self =
                            matches!(strip(&m.receiver), Expr::Path(p) if p.path.is_ident("self"));
                        (m.method.to_string(), on_self, m.args.iter().collect())
                    }
                    Expr::Call(c) => match crate::semantic::chain::call_path(e) {
                        Some(p) => {
                            let name = p.segments.last().map(|s| s.ident.to_string());
                            (name.unwrap_or_default(), false, c.args.iter().collect())
                        }
                        None => return visit::visit_expr(self, e),
                    },
                    _ => return visit::visit_expr(self, e),
                };
                let range = expr_range(self.cx.file, e);
                self.out.push(OwnCall {
                    call: e,
                    range,
                    name,
                    on_self,
                    args,
                });
                visit::visit_expr(self, e)
            })
        }
        fn visit_item(&mut self, _: &'a syn::Item) {}
    }
    let mut s = S {
        cx,
        out: Vec::new(),
    };
    s.visit_block(body);
    s.out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn places_are_paths_of_fields() {
        assert_eq!(lock_place("self.state").as_deref(), Some("self.state"));
        assert_eq!(
            lock_place("&self.inner.queue").as_deref(),
            Some("self.inner.queue")
        );
        assert_eq!(lock_place("state.clone()").as_deref(), Some("state"));
        assert_eq!(lock_place("crate::CACHE").as_deref(), Some("crate::CACHE"));
        assert_eq!(lock_place("self.0").as_deref(), Some("self.0"));
        assert_eq!(lock_place("self.shards[i]"), None);
        assert_eq!(lock_place("self.shard(k)"), None);
        assert_eq!(lock_place("io::stdout()"), None);
        assert_eq!(place_root("self.state"), "self");
    }

    #[test]
    fn static_types_are_read_from_the_text() {
        let text = "static CACHE: Mutex<HashMap<u8, u8>> = Mutex::new(HashMap::new());";
        assert_eq!(
            static_type(text, "CACHE").as_deref(),
            Some("Mutex<HashMap<u8, u8>>")
        );
        assert_eq!(static_type(text, "OTHER"), None);
    }
}
