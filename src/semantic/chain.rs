//! Looking through expressions: parentheses, method chains and their roots.

use syn::{Expr, ExprMethodCall};

/// Methods of a `Result`/`Option` that hand its value on (or an error or a default in
/// its place) and do no work of their own.
const RESULT_ADAPTERS: &[&str] = &[
    "map_err",
    "context",
    "with_context",
    "wrap_err",
    "wrap_err_with",
    "unwrap",
    "expect",
    "ok",
    "ok_or",
    "ok_or_else",
    "unwrap_or",
    "unwrap_or_default",
    "unwrap_or_else",
];

/// What an expression is below the `?`s and result adapters written after it.
pub struct Adapted<'a> {
    /// `f().await` in `f().await.map_err(..)?`.
    pub inner: &'a Expr,
    /// The outermost operator is `?`.
    pub tried: bool,
    /// At least one adapter method was looked through.
    pub adapted: bool,
}

/// `expr` without the `?`s and result adapters after it (`.map_err(..)`, `.context(..)`,
/// `.unwrap()`, `.ok()`, ...): `T::open(p)?` is `T::open(p)`, `f().await.context("x")?`
/// is `f().await`.
pub fn strip_result_adapters(expr: &Expr) -> Adapted<'_> {
    let mut cur = strip(expr);
    let tried = matches!(cur, Expr::Try(_));
    let mut adapted = false;
    loop {
        match cur {
            Expr::Try(t) => cur = strip(&t.expr),
            Expr::MethodCall(m) if RESULT_ADAPTERS.contains(&m.method.to_string().as_str()) => {
                adapted = true;
                cur = strip(&m.receiver);
            }
            _ => break,
        }
    }
    Adapted {
        inner: cur,
        tried,
        adapted,
    }
}

/// The future `Box::pin(f)` pins: `f`.
pub fn box_pinned(e: &Expr) -> Option<&Expr> {
    let Expr::Call(c) = e else {
        return None;
    };
    let pins = call_path(e).is_some_and(|p| {
        p.segments.len() == 2 && p.segments[0].ident == "Box" && p.segments[1].ident == "pin"
    });
    (pins && c.args.len() == 1).then(|| &c.args[0])
}

/// `expr` without surrounding parentheses and invisible groups.
pub fn strip(mut expr: &Expr) -> &Expr {
    loop {
        match expr {
            Expr::Paren(p) => expr = &p.expr,
            Expr::Group(g) => expr = &g.expr,
            _ => return expr,
        }
    }
}

/// A method chain read from its root outward: `Command::new("ls").arg("-l").output()?`
/// has root `Command::new("ls")` and methods `arg`, `output`.
pub struct Chain<'a> {
    pub root: &'a Expr,
    /// Method calls from the innermost (closest to the root) to the outermost.
    pub methods: Vec<&'a ExprMethodCall>,
    /// Whether an `.await` appears anywhere along the chain.
    pub awaited: bool,
}

pub fn chain(expr: &Expr) -> Chain<'_> {
    let mut methods = Vec::new();
    let mut awaited = false;
    let mut cur = expr;
    loop {
        match cur {
            Expr::MethodCall(m) => {
                methods.push(m);
                cur = &m.receiver;
            }
            Expr::Try(t) => cur = &t.expr,
            Expr::Await(a) => {
                awaited = true;
                cur = &a.base;
            }
            Expr::Paren(p) => cur = &p.expr,
            Expr::Group(g) => cur = &g.expr,
            _ => break,
        }
    }
    methods.reverse();
    Chain {
        root: cur,
        methods,
        awaited,
    }
}

/// The path of a plain call `a::b(..)`.
pub fn call_path(expr: &Expr) -> Option<&syn::Path> {
    match strip(expr) {
        Expr::Call(c) => match strip(&c.func) {
            Expr::Path(p) if p.qself.is_none() => Some(&p.path),
            _ => None,
        },
        _ => None,
    }
}

/// A path's segments as written, without their generic arguments
/// (`["crate", "config", "Config"]`).
pub fn segments(path: &syn::Path) -> Vec<String> {
    path.segments.iter().map(|s| s.ident.to_string()).collect()
}

/// The single identifier of a path expression `x`.
pub fn path_ident(expr: &Expr) -> Option<&syn::Ident> {
    match strip(expr) {
        Expr::Path(p) if p.qself.is_none() => p.path.get_ident(),
        _ => None,
    }
}

/// The receiver of a method call seen through `&`, `&mut`, `*` and parentheses.
pub fn receiver_ident(expr: &Expr) -> Option<&syn::Ident> {
    match strip(expr) {
        Expr::Reference(r) => receiver_ident(&r.expr),
        Expr::Unary(u) if matches!(u.op, syn::UnOp::Deref(_)) => receiver_ident(&u.expr),
        e => path_ident(e),
    }
}
