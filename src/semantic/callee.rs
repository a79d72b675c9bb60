//! How a call names its callee, as far as the syntax tells: recorded in pass one, at
//! the call site, and resolved to a fn of the same crate once every file is read.

use super::calls::is_std_method_name;
use super::chain::{self, strip};
use super::imports::UseMap;
use super::scope::Scopes;
use super::types::FieldTypes;
use std::sync::Arc;
use syn::Expr;

/// Where code sits: its crate, its module in the crate, the type of the `impl` it is
/// in. What relative names in a call mean depends on it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Scope {
    /// The package the file belongs to, numbered by the engine.
    pub krate: u32,
    /// The module path in the package (`["net", "conn"]` for `src/net/conn.rs`).
    pub module: Vec<String>,
    /// The last segment of the implementing type inside an `impl` (`Conn` for
    /// `impl Drop for Conn`).
    pub self_ty: Option<String>,
}

/// What a call names.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Target {
    /// `f(..)`, `util::f(..)`, `crate::a::f(..)`, `Type::f(..)`, `Self::f(..)`: the
    /// path's segments, the first one expanded through the file's `use`s when one
    /// introduces it.
    Path(Vec<String>),
    /// `self.m(..)`.
    SelfMethod(String),
    /// `x.m(..)` where the declared type of `x` is known: its last segment, the method.
    TypedMethod(String, String),
    /// `x.m(..)` on a receiver of unknown type.
    Method(String),
    /// `x.p(..).m(..)`: the method `m` called on what a method `p` (taking this many
    /// arguments) returned, of unknown type. When the crate has no method `p`, the
    /// value comes from another crate (`mailer.port(25).build()`), and so does `m`.
    ChainedMethod(String, Box<str>, u8),
    /// `common::load(..)`: a path into a library the package depends on by path or
    /// from its workspace, from that library's name; it reaches only what that crate
    /// exports.
    Linked(Vec<String>),
    /// `x.f.g.m(..)`: the method `m` called on fields `f`, `g` of a value whose type
    /// the model can tell ([`Base`]), through the crate's struct declarations in any
    /// of its files.
    FieldMethod {
        base: Base,
        fields: Vec<String>,
        method: String,
    },
}

/// The value a [`Target::FieldMethod`] chain starts from.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Base {
    /// A value of this type (last segment): `self` in an `impl`, a local or parameter
    /// declared with its type.
    Type(String),
    /// What this call returns (`let ctx = context::init(..);`): its declared type.
    Returned(Box<Callee>),
}

/// A call's callee, as the call names it, with the scope that gives the name meaning.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Callee {
    #[serde(with = "crate::cache::shared::scope")]
    pub scope: Arc<Scope>,
    pub target: Target,
    /// Arguments, not counting a method call's receiver.
    pub args: usize,
    /// The call is awaited: it names a fn that returns a future (an async fn, or one
    /// returning `impl Future`), never a sync fn of the same name.
    #[serde(default)]
    pub awaited: bool,
}

impl Callee {
    /// The callee as the call writes it, for messages: `read_file`, `self.load`.
    pub fn written(&self) -> String {
        match &self.target {
            Target::Path(segs) | Target::Linked(segs) => segs.join("::"),
            Target::SelfMethod(m) => format!("self.{m}"),
            Target::TypedMethod(t, m) => format!("{t}::{m}"),
            Target::Method(m) | Target::ChainedMethod(m, ..) => m.clone(),
            Target::FieldMethod { method, .. } => method.clone(),
        }
    }
}

/// What the file knows that names in calls depend on.
pub struct Names<'a> {
    pub uses: &'a UseMap,
    pub scopes: &'a Scopes,
    pub fields: &'a FieldTypes,
    /// The name under which other crates of the package import this one (its library
    /// name), if known.
    pub lib: Option<&'a str>,
    /// The libraries the package depends on by path or from its workspace.
    pub linked: &'a [String],
}

/// The callee of a call or method call that may be a fn of the checked crate: paths
/// that resolve into another crate (`std::fs::read`, `tokio::spawn`), calls of locals
/// (closures), and methods of std names on receivers of unknown type are not.
pub fn callee_of(names: &Names, scope: &Arc<Scope>, e: &Expr) -> Option<Callee> {
    match strip(e) {
        Expr::Call(c) => {
            let Expr::Path(p) = strip(&c.func) else {
                return None;
            };
            if p.qself.is_some() {
                return None;
            }
            let path = &p.path;
            let first = path.segments.first()?.ident.to_string();
            if path.segments.len() == 1 && names.scopes.lookup(&first).is_some() {
                // A local: a closure or a fn pointer.
                return None;
            }
            let target = match crate_path(names, path) {
                Some(segs) if !names.linked.contains(&segs[0]) => Target::Path(segs),
                Some(segs) => Target::Linked(segs),
                None => Target::Linked(linked_path(names, path)?),
            };
            Some(Callee {
                scope: scope.clone(),
                target,
                args: c.args.len(),
                awaited: false,
            })
        }
        Expr::MethodCall(m) => {
            let name = m.method.to_string();
            let receiver = strip(&m.receiver);
            let target = if is_self(receiver) {
                Target::SelfMethod(name)
            } else if let Some(ty) = receiver_type(names, receiver) {
                Target::TypedMethod(ty, name)
            } else if let Some((base, fields)) = field_chain(names, scope, receiver) {
                Target::FieldMethod {
                    base,
                    fields,
                    method: name,
                }
            } else if is_std_method_name(&name) {
                return None;
            } else {
                match receiver {
                    Expr::MethodCall(p) if !is_std_method_name(&p.method.to_string()) => {
                        Target::ChainedMethod(
                            name,
                            p.method.to_string().into(),
                            u8::try_from(p.args.len()).unwrap_or(u8::MAX),
                        )
                    }
                    _ => Target::Method(name),
                }
            };
            Some(Callee {
                scope: scope.clone(),
                target,
                args: m.args.len(),
                awaited: false,
            })
        }
        _ => None,
    }
}

/// A path as the crate names it, or `None` when it leads into another crate.
pub fn crate_path(names: &Names, path: &syn::Path) -> Option<Vec<String>> {
    let written: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
    if path.leading_colon.is_some() {
        return None;
    }
    let first = written.first()?;
    if matches!(first.as_str(), "crate" | "self" | "super" | "Self") {
        return Some(written);
    }
    match names.uses.resolve(path) {
        // Imported: `use crate::util::read;`, `use super::util;`, `use mylib::x;`.
        Some(full) => {
            let segs: Vec<String> = full.split("::").map(str::to_string).collect();
            let root = segs.first()?.as_str();
            let in_crate = matches!(root, "crate" | "self" | "super" | "Self")
                || names.lib == Some(root)
                // A module the file declares (`mod config;` then `use config::load;`).
                || (segs.len() >= 2 && names.uses.is_local(root))
                // A type no `use` introduces: defined in this crate, or glob-imported.
                || (segs.len() >= 2 && root.starts_with(|c: char| c.is_ascii_uppercase())
                    && full == written.join("::"));
            in_crate.then_some(segs)
        }
        // A local item or module (`mod util;` then `util::read(..)`), or a bare name
        // no `use` introduces.
        None => Some(written),
    }
}

/// A path into a library the package depends on by path or from its workspace
/// (`common::load(..)`, or `load(..)` after `use common::load;`): written out from
/// that library's name, whose fns the model may hold too.
fn linked_path(names: &Names, path: &syn::Path) -> Option<Vec<String>> {
    if names.linked.is_empty() || path.leading_colon.is_some() {
        return None;
    }
    let full = names.uses.resolve(path)?;
    let segs: Vec<String> = full.split("::").map(str::to_string).collect();
    (segs.len() >= 2 && names.linked.contains(&segs[0])).then_some(segs)
}

/// The library of another crate a path names an item of (`svix_types` for
/// `svix_types::Job`, or for `Job` after `use svix_types::Job;`); `None` for an item
/// of this crate ([`crate_path`]) or one the file's `use`s do not place.
pub fn library_of(names: &Names, path: &syn::Path) -> Option<String> {
    if crate_path(names, path).is_some() {
        return None;
    }
    let full = names.uses.resolve(path)?;
    full.split("::").next().map(str::to_string)
}

fn is_self(e: &Expr) -> bool {
    matches!(strip(e), Expr::Path(p) if p.path.is_ident("self"))
}

/// The last segment of a receiver's declared type: a local or parameter with a type,
/// or a field of `self` whose struct the file declares.
fn receiver_type(names: &Names, receiver: &Expr) -> Option<String> {
    let ty = match strip(receiver) {
        Expr::Path(p) => {
            let ident = p.path.get_ident()?;
            names.scopes.lookup(&ident.to_string())?.ty.clone()?
        }
        Expr::Field(f) if is_self(&f.base) => match &f.member {
            syn::Member::Named(n) => names.fields.get(&n.to_string())?.to_string(),
            syn::Member::Unnamed(_) => return None,
        },
        Expr::Reference(r) => return receiver_type(names, &r.expr),
        _ => return None,
    };
    type_name(&ty)
}

/// The last segment of a declared type's path, when it names a type (`AppState` for
/// `crate::state::AppState`; not a module or a generic parameter's lower-case path).
pub(crate) fn type_name(ty: &str) -> Option<String> {
    let last = ty.rsplit("::").next()?;
    last.starts_with(|c: char| c.is_ascii_uppercase())
        .then(|| last.to_string())
}

/// A receiver the model may type: fields of `self`, of a local or parameter declared
/// with its type, or of a local bound to what a path call returned (`let ctx =
/// context::init(..)?;`, `.unwrap()`/`.expect(..)` and `.await` allowed), or such a
/// local itself. Its base and the fields, in order.
fn field_chain(names: &Names, scope: &Arc<Scope>, receiver: &Expr) -> Option<(Base, Vec<String>)> {
    let mut fields = Vec::new();
    let mut e = strip(receiver);
    loop {
        match e {
            Expr::Field(f) => {
                let syn::Member::Named(n) = &f.member else {
                    return None;
                };
                fields.push(n.to_string());
                e = strip(&f.base);
            }
            Expr::Reference(r) => e = strip(&r.expr),
            _ => break,
        }
    }
    fields.reverse();
    if is_self(e) {
        return (!fields.is_empty())
            .then(|| Some((Base::Type(scope.self_ty.clone()?), fields)))
            .flatten();
    }
    let Expr::Path(p) = e else { return None };
    let origin = names.scopes.lookup(&p.path.get_ident()?.to_string())?;
    if let Some((base, first)) = &origin.chain {
        return Some((base.clone(), first.iter().cloned().chain(fields).collect()));
    }
    if let Some(ty) = &origin.ty {
        return (!fields.is_empty())
            .then(|| Some((Base::Type(type_name(ty)?), fields)))
            .flatten();
    }
    let returned = origin.root_callee.as_ref()?;
    origin
        .methods
        .iter()
        .all(|m| m == "unwrap" || m == "expect")
        .then(|| (Base::Returned(returned.clone()), fields))
}

/// The chain of what a `for` loop takes items from (`zones`, `&self.zones`,
/// `config.zones.iter()`), with `[]` for the item: how the model types the loop's
/// variable through the crate's struct declarations.
pub fn item_chain(
    names: &Names,
    scope: &Arc<Scope>,
    iterable: &Expr,
) -> Option<(Base, Vec<String>)> {
    let c = super::chain::chain(strip(iterable));
    let items = c.methods.iter().all(|m| {
        m.args.is_empty()
            && matches!(
                m.method.to_string().as_str(),
                "iter" | "into_iter" | "iter_mut" | "drain"
            )
    });
    if !items || c.awaited {
        return None;
    }
    let e = strip(c.root);
    let (base, mut fields) = match e {
        Expr::Path(p) => {
            let origin = names.scopes.lookup(&p.path.get_ident()?.to_string())?;
            origin.chain.clone()?
        }
        _ => field_chain(names, scope, e)?,
    };
    fields.push("[]".to_string());
    Some((base, fields))
}

/// A field access (`self.task`, `job.handle`) as a chain the model can type: a
/// [`Target::FieldMethod`] with no method, for questions about the last field's
/// declared type.
pub fn field_access(names: &Names, scope: &Arc<Scope>, e: &Expr) -> Option<Callee> {
    if !matches!(strip(e), Expr::Field(_)) {
        return None;
    }
    let (base, fields) = field_chain(names, scope, e)?;
    Some(Callee {
        scope: scope.clone(),
        target: Target::FieldMethod {
            base,
            fields,
            method: String::new(),
        },
        args: 0,
        awaited: false,
    })
}

/// The parameters a call passes on: `(argument index, parameter index)` for each
/// argument that is one of `params` (through `&`, `Box::pin(..)`, `.instrument(..)`,
/// or an `async move { p.await }` block).
pub fn passed_params(args: &[&Expr], params: &[String]) -> Vec<(u8, u8)> {
    let mut out = Vec::new();
    for (i, a) in args.iter().enumerate() {
        if let Some(p) = param_in(a, params) {
            if let (Ok(i), Ok(p)) = (u8::try_from(i), u8::try_from(p)) {
                out.push((i, p));
            }
        }
    }
    out
}

/// [`param_in`], where the parameter's name still means the parameter (no local of
/// the same name hides it, see [`Scopes::names_param`]).
pub fn own_param_in(e: &Expr, params: &[String], scopes: &Scopes) -> Option<usize> {
    param_in(e, params).filter(|&p| scopes.names_param(&params[p]))
}

/// The parameter a future-valued expression is, or wraps.
pub fn param_in(e: &Expr, params: &[String]) -> Option<usize> {
    match strip(e) {
        Expr::Path(p) => {
            let ident = p.path.get_ident()?.to_string();
            params.iter().position(|n| *n == ident)
        }
        Expr::Reference(r) => param_in(&r.expr, params),
        Expr::MethodCall(m)
            if matches!(
                m.method.to_string().as_str(),
                "instrument" | "in_current_span" | "boxed" | "with_current_subscriber"
            ) =>
        {
            param_in(&m.receiver, params)
        }
        Expr::Call(c) => {
            let p = chain::call_path(e)?;
            let pins = p.segments.last().is_some_and(|s| s.ident == "pin");
            if pins && c.args.len() == 1 {
                param_in(&c.args[0], params)
            } else {
                None
            }
        }
        Expr::Async(a) => {
            // `async move { fut.await }` (also with `let _ = fut.await;`).
            let awaited: Vec<usize> = statement_values(&a.block)
                .filter_map(|e| match strip(e) {
                    Expr::Await(aw) => param_in(&aw.base, params),
                    _ => None,
                })
                .collect();
            (awaited.len() == 1).then(|| awaited[0])
        }
        _ => None,
    }
}

/// The parameter an `async` block runs and then looks at the outcome of (`async move
/// { if let Err(e) = fut.await { log(e) } }`, `match fut.await { .. }`, `fut.await.ok()`):
/// the task it is spawned as runs the parameter, and keeps its outcome to itself.
pub fn own_param_run_by(e: &Expr, params: &[String], scopes: &Scopes) -> Option<usize> {
    let Expr::Async(a) = strip(e) else {
        return None;
    };
    let awaited: Vec<usize> = statement_values(&a.block)
        .filter_map(|e| awaited_param(e, params))
        .collect();
    match awaited.as_slice() {
        [p] if scopes.names_param(&params[*p]) => Some(*p),
        _ => None,
    }
}

/// The expressions a block's statements evaluate: expression statements and `let`
/// initializers.
fn statement_values(block: &syn::Block) -> impl Iterator<Item = &Expr> {
    block.stmts.iter().filter_map(|s| match s {
        syn::Stmt::Expr(e, _) => Some(e),
        syn::Stmt::Local(l) => l.init.as_ref().map(|i| &*i.expr),
        _ => None,
    })
}

/// The parameter whose `.await` an expression statement's outcome comes from:
/// `fut.await`, `fut.await?`, `fut.await.ok()`, `if let Err(e) = fut.await`, `match
/// fut.await`.
fn awaited_param(e: &Expr, params: &[String]) -> Option<usize> {
    match strip(e) {
        Expr::Await(aw) => param_in(&aw.base, params),
        Expr::Try(t) => awaited_param(&t.expr, params),
        Expr::MethodCall(m) => awaited_param(&m.receiver, params),
        Expr::Let(l) => awaited_param(&l.expr, params),
        Expr::If(i) => awaited_param(&i.cond, params),
        Expr::Match(m) => awaited_param(&m.expr, params),
        _ => None,
    }
}
