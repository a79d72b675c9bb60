//! Declared types, without inference: the type path a declaration names (seen through
//! references, `Arc`, `Box` and `Rc`), the declared types of the struct fields a file
//! defines, and which receivers are concurrent maps.

use super::guards::compact;
use super::imports::UseMap;
use super::{Cx, NodeRange};
use crate::source::TextRange;
use rustc_hash::FxHashMap as HashMap;
use syn::visit::{self, Visit};
use syn::{Block, Expr, Item, Type};

/// Concurrent maps: every method locks a shard internally and releases it on return.
pub const CONCURRENT_MAPS: &[&str] = &["dashmap::DashMap", "dashmap::DashSet"];

/// The resolved path of a declared type, seen through references and `Arc`/`Box`/`Rc`.
pub fn type_path(ty: &Type, uses: &UseMap) -> Option<String> {
    match ty {
        Type::Reference(r) => type_path(&r.elem, uses),
        Type::Paren(p) => type_path(&p.elem, uses),
        Type::Group(g) => type_path(&g.elem, uses),
        Type::Path(p) if p.qself.is_none() => {
            let last = p.path.segments.last()?;
            // Shared pointers, and web frameworks' extractors, which dereference to the
            // value they wrap (`State<Arc<AppState>>`, `web::Data<AppState>`).
            if matches!(
                last.ident.to_string().as_str(),
                "Arc" | "Box" | "Rc" | "State" | "Extension" | "Data"
            ) {
                if let syn::PathArguments::AngleBracketed(a) = &last.arguments {
                    if let Some(syn::GenericArgument::Type(inner)) = a.args.first() {
                        return type_path(inner, uses);
                    }
                }
            }
            uses.resolve(&p.path).or_else(|| {
                // `crate::validate::RemoteValidator`: a type of this crate, by its path.
                let first = p.path.segments.first()?.ident.to_string();
                // `config::Config` after `mod config;`: likewise, by the module's path.
                if (matches!(first.as_str(), "crate" | "self" | "super") || uses.is_local(&first))
                    && p.path.segments.len() > 1
                {
                    return Some(super::chain::segments(&p.path).join("::"));
                }
                // A type the file defines itself: its name is its path here.
                let ident = p.path.get_ident()?.to_string();
                uses.is_local(&ident).then_some(ident)
            })
        }
        _ => None,
    }
}

/// Whether a call path makes a shared or boxed pointer to the value it is given
/// (`Arc::new(repo)`, `std::rc::Rc::new(..)`, `Box::new(..)`): the pointer's methods
/// are the value's. The path's segments come last first.
pub fn shares_value<'s>(mut last_first: impl Iterator<Item = &'s str>) -> bool {
    last_first.next() == Some("new") && matches!(last_first.next(), Some("Arc" | "Rc" | "Box"))
}

/// The declared types of the named struct fields a file defines, by field name. A name
/// declared with different types in different structs has none.
#[derive(Debug, Default, Clone)]
pub struct FieldTypes {
    by_name: HashMap<String, Option<String>>,
    /// What an `Option`, `Vec` or `VecDeque` field holds (`handle: Option<JoinHandle<()>>`).
    elements: HashMap<String, Option<String>>,
    /// Each struct's named fields and their types, by struct name.
    by_struct: HashMap<String, Vec<(String, Option<String>)>>,
    /// Some field holds a task's `JoinHandle`.
    holds_handle: bool,
}

impl FieldTypes {
    pub fn from_file(file: &syn::File, uses: &UseMap) -> Self {
        FieldTypes::from_items(&file.items, uses)
    }

    /// The field types of the structs among `items` and the modules they contain.
    pub fn from_items(items: &[Item], uses: &UseMap) -> Self {
        let mut f = FieldTypes::default();
        f.collect(items, uses);
        f
    }

    fn collect(&mut self, items: &[Item], uses: &UseMap) {
        for item in items {
            match item {
                Item::Struct(s) => {
                    for field in &s.fields {
                        let Some(name) = &field.ident else { continue };
                        let ty = type_path(&field.ty, uses);
                        self.holds_handle |=
                            ty.as_deref().is_some_and(|t| t.ends_with("JoinHandle"));
                        self.by_struct
                            .entry(s.ident.to_string())
                            .or_default()
                            .push((name.to_string(), ty.clone()));
                        let element = element_type(&field.ty).and_then(|t| type_path(t, uses));
                        for (map, ty) in [(&mut self.by_name, ty), (&mut self.elements, element)] {
                            map.entry(name.to_string())
                                .and_modify(|known| {
                                    if *known != ty {
                                        *known = None;
                                    }
                                })
                                .or_insert(ty);
                        }
                    }
                }
                Item::Mod(m) => {
                    if let Some((_, items)) = &m.content {
                        self.collect(items, uses);
                    }
                }
                _ => {}
            }
        }
    }

    /// The declared type of field `name`, when the file says and says it once.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.by_name.get(name)?.as_deref()
    }

    /// The named fields of struct `ty` defined in this file, with their types.
    pub fn of_struct(&self, ty: &str) -> impl Iterator<Item = (&str, Option<&str>)> {
        self.by_struct
            .get(ty)
            .into_iter()
            .flatten()
            .map(|(n, t)| (n.as_str(), t.as_deref()))
    }

    /// Whether a struct of the file keeps a task's `JoinHandle` in a field.
    pub fn holds_handle(&self) -> bool {
        self.holds_handle
    }

    /// The type of what field `name` holds when it is an `Option`, `Vec` or `VecDeque`.
    pub fn element(&self, name: &str) -> Option<&str> {
        self.elements.get(name)?.as_deref()
    }
}

/// `T` of `Option<T>`, `Vec<T>` or `VecDeque<T>`.
fn element_type(ty: &Type) -> Option<&Type> {
    let Type::Path(p) = ty else { return None };
    let last = p.path.segments.last()?;
    if !matches!(
        last.ident.to_string().as_str(),
        "Option" | "Vec" | "VecDeque"
    ) {
        return None;
    }
    let syn::PathArguments::AngleBracketed(a) = &last.arguments else {
        return None;
    };
    match a.args.first()? {
        syn::GenericArgument::Type(t) => Some(t),
        _ => None,
    }
}

/// Whether `receiver` is a concurrent map (`DashMap`): a field declared with that type
/// in this file, or a local whose declared type or constructor names it.
pub fn is_concurrent_map(cx: &Cx, receiver: &Expr) -> bool {
    let ty = match super::chain::strip(receiver) {
        Expr::Reference(r) => return is_concurrent_map(cx, &r.expr),
        Expr::Field(f) => match &f.member {
            syn::Member::Named(name) => cx.file.fields.get(&name.to_string()),
            syn::Member::Unnamed(_) => None,
        },
        e => match super::chain::path_ident(e).and_then(|i| cx.binding(&i.to_string())) {
            Some(origin) => origin.ty.as_deref().or_else(|| {
                let call = origin.root_call.as_deref()?;
                CONCURRENT_MAPS
                    .iter()
                    .find(|m| call.strip_prefix(**m).is_some_and(|r| r.starts_with("::")))
                    .copied()
            }),
            None => None,
        },
    };
    ty.is_some_and(|t| CONCURRENT_MAPS.contains(&t))
}

/// Methods that change a concurrent map's contents (and take a shard's write lock).
const MAP_WRITES: &[&str] = &[
    "insert",
    "remove",
    "remove_if",
    "remove_if_mut",
    "entry",
    "try_entry",
    "get_mut",
    "try_get_mut",
    "alter",
    "alter_all",
    "retain",
    "clear",
    "iter_mut",
    "shrink_to_fit",
    "view_mut",
];

/// Whether `receiver` is a private field of `self` (`self.sinks`) that this file never
/// writes: no `insert`, `remove`, `entry`, `get_mut`, `retain`, .. on it, nor a `&mut`
/// or a plain hand-over of it. Filled where it is built (`DashMap::from_iter(..)`) and
/// only read after, its shards are only ever read-locked, and a read reference held
/// across an `.await` blocks no one.
pub fn map_never_written(cx: &Cx, receiver: &Expr) -> bool {
    let Expr::Field(f) = super::chain::strip(receiver) else {
        return false;
    };
    let syn::Member::Named(name) = &f.member else {
        return false;
    };
    if !matches!(super::chain::strip(&f.base), Expr::Path(p) if p.path.is_ident("self")) {
        return false;
    }
    let name = name.to_string();
    let text = cx.file.text;
    let declared_pub = text.match_indices(&format!("{name}:")).any(|(i, _)| {
        let before = text[..i].trim_end();
        // `pub sinks:`, `pub(crate) sinks:`.
        before.ends_with("pub")
            || before
                .rsplit_once("pub(")
                .is_some_and(|(_, rest)| rest.ends_with(')') && !rest.contains(['\n', ';', ',']))
    });
    if declared_pub {
        return false;
    }
    !written_as(text, &format!(".{name}"), true)
}

/// Whether `text` calls a writing method on `place` (`.sinks`, or a local `sinks`), or
/// hands it over whole. `let sinks = &self.sinks;` then reads through the local are
/// followed one step (`field`).
fn written_as(text: &str, place: &str, field: bool) -> bool {
    text.match_indices(place).any(|(i, _)| {
        if !field && text[..i].ends_with(|c: char| c.is_alphanumeric() || c == '_' || c == '.') {
            return false;
        }
        let after = text[i + place.len()..].trim_start();
        match after.strip_prefix('.') {
            Some(rest) => MAP_WRITES.iter().any(|w| {
                rest.strip_prefix(w)
                    .is_some_and(|r| r.trim_start().starts_with(['(', ':']))
            }),
            // Handed over whole (`f(&self.sinks)`, `let m = &self.sinks;`): it may be
            // written elsewhere, unless it is a local that is only read.
            None if field && !after.starts_with(['(', ':']) => {
                let before = text[..i].strip_suffix("self").unwrap_or("").trim_end();
                let local = before
                    .strip_suffix('&')
                    .map(str::trim_end)
                    .and_then(|b| b.strip_suffix('='))
                    .map(str::trim_end)
                    .and_then(|b| {
                        let name = b
                            .rsplit(|c: char| !(c.is_alphanumeric() || c == '_'))
                            .next()?;
                        b[..b.len() - name.len()]
                            .trim_end()
                            .ends_with("let")
                            .then_some(name)
                    });
                match local {
                    Some(l) if !l.is_empty() && after.starts_with(';') => {
                        written_as(text, l, false)
                    }
                    _ => before.ends_with('&') || before.ends_with("mut") || before.ends_with('='),
                }
            }
            None => false,
        }
    })
}

/// One method call on a concurrent map.
#[derive(Debug, Clone)]
pub struct MapCall {
    /// The whole call.
    pub range: TextRange,
    /// The map as written, without whitespace or a leading `&` (`self.prices`).
    pub receiver: String,
    pub method: String,
    /// The method called on the result (`or_insert` after `entry(k)`).
    pub then: Option<String>,
    /// When the map is a field this file does not declare: the model's question
    /// whether the crate declares it as a concurrent map.
    pub needs: Option<super::index::IndexQuery>,
}

/// The calls `body` makes on concurrent maps (sync closures included; async blocks,
/// async closures and fns are bodies of their own), in source order of their ends.
pub fn concurrent_map_calls(cx: &Cx, body: &Block) -> Vec<MapCall> {
    struct V<'a> {
        cx: &'a Cx<'a>,
        out: Vec<MapCall>,
    }
    impl<'ast> Visit<'ast> for V<'_> {
        fn visit_expr(&mut self, e: &'ast Expr) {
            stacker::maybe_grow(64 * 1024, 1024 * 1024, || match e {
                Expr::Async(_) => {}
                Expr::Closure(c) if c.asyncness.is_some() => {}
                Expr::MethodCall(m) => {
                    visit::visit_expr(self, e);
                    let inner = m.receiver.text_range(self.cx.file);
                    if let Some(call) = self.out.last_mut().filter(|c| c.range == inner) {
                        call.then.get_or_insert_with(|| m.method.to_string());
                    }
                    let needs = if is_concurrent_map(self.cx, &m.receiver) {
                        Some(None)
                    } else {
                        undeclared_map_field(self.cx, e, m).map(Some)
                    };
                    if let Some(needs) = needs {
                        let mut recv = super::chain::strip(&m.receiver);
                        while let Expr::Reference(r) = recv {
                            recv = super::chain::strip(&r.expr);
                        }
                        self.out.push(MapCall {
                            range: e.text_range(self.cx.file),
                            receiver: compact(self.cx.file, recv),
                            method: m.method.to_string(),
                            then: None,
                            needs,
                        });
                    }
                }
                _ => visit::visit_expr(self, e),
            })
        }
        fn visit_item(&mut self, _: &'ast syn::Item) {}
    }
    let mut v = V {
        cx,
        out: Vec::new(),
    };
    v.visit_block(body);
    v.out
}

/// A map method called on a field this file does not declare the type of
/// (`self.inflight.get(&k)`, the struct declared in another file): the model's
/// question whether the crate declares the field as a concurrent map.
fn undeclared_map_field(
    cx: &Cx,
    call: &Expr,
    m: &syn::ExprMethodCall,
) -> Option<super::index::IndexQuery> {
    const MAP_METHODS: &[&str] = &["contains_key", "contains", "get", "insert", "entry"];
    if !MAP_METHODS.contains(&m.method.to_string().as_str()) {
        return None;
    }
    // `cache().get(&k)`: a crate fn that hands out the map (`fn cache() -> &'static
    // DashMap<K, V>`, a `OnceLock` behind it).
    if let receiver @ (Expr::Call(_) | Expr::MethodCall(_)) = super::chain::strip(&m.receiver) {
        let callee = cx.callee(receiver)?;
        let asks = CONCURRENT_MAPS
            .iter()
            .filter_map(|ty| ty.rsplit("::").next())
            .map(|ty| {
                super::index::IndexQuery::Model(super::index::ModelQuery::ReturnsValue {
                    callee: callee.clone(),
                    ty: ty.to_string(),
                })
            })
            .collect();
        return Some(super::index::IndexQuery::Any(asks));
    }
    if !matches!(super::chain::strip(&m.receiver), Expr::Field(_))
        || declared_type(cx.file, cx.scopes, &m.receiver).is_some()
    {
        return None;
    }
    let asks: Vec<_> = CONCURRENT_MAPS
        .iter()
        .map(|ty| field_is(cx, call, ty))
        .collect::<Option<_>>()?;
    Some(super::index::IndexQuery::Any(asks))
}

/// The declared type of a receiver: a local or parameter with a type, a field of
/// `self` whose struct the file declares.
pub fn declared_type(
    file: &super::FileInfo,
    scopes: &super::scope::Scopes,
    receiver: &Expr,
) -> Option<String> {
    match super::chain::strip(receiver) {
        Expr::Path(p) => scopes.lookup(&p.path.get_ident()?.to_string())?.ty.clone(),
        Expr::Field(f) => match (&f.member, super::chain::strip(&f.base)) {
            (syn::Member::Named(n), Expr::Path(b)) if b.path.is_ident("self") => {
                file.fields.get(&n.to_string()).map(str::to_string)
            }
            // `link.stream` where `link` is declared with a struct this file defines.
            (syn::Member::Named(n), base) => {
                let owner = declared_type(file, scopes, base)?;
                let owner = owner.rsplit("::").next()?;
                let (_, ty) = file.fields.of_struct(owner).find(|(f, _)| n == f)?;
                ty.map(str::to_string)
            }
            _ => None,
        },
        Expr::Reference(r) => declared_type(file, scopes, &r.expr),
        Expr::MethodCall(m) if m.method == "by_ref" || m.method == "as_ref" => {
            declared_type(file, scopes, &m.receiver)
        }
        _ => None,
    }
}

/// For `x.f.m(..)` on a field whose type this file does not declare (see
/// [`super::callee::Target::FieldMethod`]): the model's question whether the crate
/// declares that field with type path `ty`.
pub fn field_is(cx: &Cx, call: &Expr, ty: &str) -> Option<super::index::IndexQuery> {
    field_is_callee(&cx.callee(call)?, ty)
}

/// [`field_is`] for the callee of the call.
pub fn field_is_callee(
    callee: &super::callee::Callee,
    ty: &str,
) -> Option<super::index::IndexQuery> {
    matches!(callee.target, super::callee::Target::FieldMethod { .. }).then(|| {
        super::index::IndexQuery::Model(super::index::ModelQuery::FieldIs {
            callee: callee.clone(),
            ty: ty.to_string(),
        })
    })
}

/// Lock types whose `lock()`, `read()` and `write()` hand out the guard itself.
pub const PLAIN_GUARD_LOCKS: &[&str] = &[
    "parking_lot::Mutex",
    "parking_lot::FairMutex",
    "parking_lot::RwLock",
    "spin::Mutex",
    "spin::RwLock",
];

/// A bare `self.queue.lock()` (`read()`, `write()`) on a field this file does not
/// declare: the kind of guard it takes, and the model's question whether the crate
/// declares the field as a lock that hands out its guard directly (parking_lot's).
pub fn plain_field_lock(
    callee: &super::callee::Callee,
) -> Option<(super::guards::LockKind, super::index::IndexQuery)> {
    use super::guards::LockKind;
    let super::callee::Target::FieldMethod { method, .. } = &callee.target else {
        return None;
    };
    let (kind, of) = match method.as_str() {
        "lock" => (LockKind::Mutex, "Mutex"),
        "read" => (LockKind::RwLockRead, "RwLock"),
        "write" => (LockKind::RwLockWrite, "RwLock"),
        _ => return None,
    };
    if callee.args != 0 {
        return None;
    }
    let asks: Vec<_> = PLAIN_GUARD_LOCKS
        .iter()
        .filter(|t| t.ends_with(of))
        .filter_map(|t| field_is_callee(callee, t))
        .collect();
    Some((kind, super::index::IndexQuery::Any(asks)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_types_see_through_arc_and_give_up_on_conflicts() {
        let src = "use dashmap::DashMap; use std::sync::Arc;\n\
                   struct A { cache: Arc<DashMap<u64, String>>, ids: Vec<u64> }\n\
                   struct B { ids: std::collections::HashSet<u64> }\n\
                   mod m { struct C { seen: dashmap::DashSet<u64> } }";
        let file: syn::File = syn::parse_str(src).unwrap();
        let f = FieldTypes::from_file(&file, &UseMap::from_file(&file));
        assert_eq!(f.get("cache"), Some("dashmap::DashMap"));
        assert_eq!(f.get("seen"), Some("dashmap::DashSet"));
        assert_eq!(f.get("ids"), None);
        assert_eq!(f.get("other"), None);
    }

    #[test]
    fn calls_on_concurrent_map_fields() {
        use crate::semantic::FileInfo;
        let src = "use dashmap::DashMap;\n\
                   struct S { prices: DashMap<u64, u64>, names: Vec<String> }\n\
                   async fn f(s: &S) { if !s.prices.contains_key(&1) { s.names.push(x); } \
                   (&s.prices).entry(1).or_insert(2); }";
        let file: syn::File = syn::parse_str(src).unwrap();
        let info = FileInfo::new("t.rs", src, &file);
        let syn::Item::Fn(f) = &file.items[2] else {
            panic!()
        };
        let mut parts = crate::semantic::TestCx::default();
        let cx = parts.cx(&info);
        let calls: Vec<(String, String, Option<String>)> = concurrent_map_calls(&cx, &f.block)
            .into_iter()
            .map(|c| (c.receiver, c.method, c.then))
            .collect();
        assert_eq!(
            calls,
            [
                ("s.prices".into(), "contains_key".into(), None),
                ("s.prices".into(), "entry".into(), Some("or_insert".into()))
            ]
        );
    }
}
