//! Resolving a call site to the one fn of its crate it names. A name with no
//! candidate, or with two that the syntax cannot tell apart, resolves to nothing.

use super::facts::{FnDef, FutureShape};
use super::record::FieldDecl;
use crate::semantic::callee::{Base, Callee, Target};
use crate::semantic::calls::is_std_method_name;
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

/// The fns of each crate by name.
/// A struct's fields by name (see [`FieldDecl`]).
type Fields = HashMap<String, FieldDecl>;

#[derive(Default)]
pub(super) struct Tables {
    by_crate: HashMap<u32, HashMap<Box<str>, Vec<u32>>>,
    /// Each crate's library name (`my_crate` for `use my_crate::x;` in its binaries).
    libs: HashMap<u32, String>,
    /// The crate of each library name, `None` when several have it.
    by_lib: HashMap<String, Option<u32>>,
    /// The library names each crate links (its dependencies checked in the run).
    links: HashMap<u32, Vec<String>>,
    /// Each crate's structs by name: field → the type it holds. `None` when the crate
    /// declares two structs of that name.
    fields: HashMap<(u32, String), Option<Fields>>,
    /// Each crate's type aliases that name a type: `None` when two disagree.
    aliases: HashMap<(u32, String), Option<String>>,
}

impl Tables {
    /// The crate whose library has this name, if one does.
    pub(super) fn crate_of_lib(&self, lib: &str) -> Option<u32> {
        self.libs.iter().find(|(_, l)| *l == lib).map(|(k, _)| *k)
    }

    /// The one crate of the run whose library has this name: none when two do (two
    /// versions of a library checked side by side).
    fn linked_crate(&self, lib: &str) -> Option<u32> {
        self.by_lib.get(lib).copied().flatten()
    }

    pub(super) fn new(
        fns: &[FnDef],
        libs: HashMap<u32, String>,
        links: HashMap<u32, Vec<String>>,
        structs: Vec<(u32, super::record::StructFields)>,
        alias_list: Vec<(u32, (String, String))>,
    ) -> Self {
        let mut aliases: HashMap<(u32, String), Option<String>> = HashMap::default();
        for (krate, (name, ty)) in alias_list {
            aliases
                .entry((krate, name))
                .and_modify(|known| {
                    if known.as_ref() != Some(&ty) {
                        *known = None;
                    }
                })
                .or_insert(Some(ty));
        }
        let mut fields: HashMap<(u32, String), Option<Fields>> = HashMap::default();
        for (krate, (name, of)) in structs {
            fields
                .entry((krate, name))
                .and_modify(|known| *known = None)
                .or_insert_with(|| Some(of.into_iter().map(|f| (f.name.clone(), f)).collect()));
        }
        let mut by_crate: HashMap<u32, HashMap<Box<str>, Vec<u32>>> = HashMap::default();
        for (i, f) in fns.iter().enumerate() {
            by_crate
                .entry(f.scope.krate)
                .or_default()
                .entry(f.name.as_str().into())
                .or_default()
                .push(i as u32);
        }
        let mut by_lib: HashMap<String, Option<u32>> = HashMap::default();
        for (&k, lib) in &libs {
            by_lib
                .entry(lib.clone())
                .and_modify(|c| *c = None)
                .or_insert(Some(k));
        }
        Tables {
            by_crate,
            libs,
            by_lib,
            links,
            fields,
            aliases,
        }
    }

    /// The first field, by name, of the crate's struct `ty` whose declared type path
    /// ends in `field_ty`.
    pub(super) fn field_of_type(&self, krate: u32, ty: &str, field_ty: &str) -> Option<&str> {
        let ty = self.unaliased(krate, ty.to_string());
        let of = self.fields.get(&(krate, ty))?.as_ref()?;
        of.values()
            .filter(|f| {
                f.path
                    .as_deref()
                    .is_some_and(|p| p.rsplit("::").next() == Some(field_ty))
            })
            .map(|f| f.name.as_str())
            .min()
    }

    /// Each crate's structs with named fields, where one struct has the name.
    pub(super) fn structs(&self) -> impl Iterator<Item = (&(u32, String), &Fields)> {
        self.fields
            .iter()
            .filter_map(|(k, of)| Some((k, of.as_ref()?)))
    }

    fn named<'a>(&'a self, krate: u32, name: &str) -> &'a [u32] {
        self.by_crate
            .get(&krate)
            .and_then(|m| m.get(name))
            .map_or(&[], Vec::as_slice)
    }

    /// Every fn a method call on a receiver of unknown type may reach: the methods of
    /// the crate by that name and arity, in `impl`s and trait declarations alike.
    pub(super) fn method_candidates(&self, fns: &[FnDef], c: &Callee) -> Vec<u32> {
        let m = match &c.target {
            Target::Method(m) => m,
            Target::FieldMethod {
                base,
                fields,
                method,
            } if self.field_type(fns, c, base, fields).is_none() && !is_std_method_name(method) => {
                method
            }
            Target::ChainedMethod(m, after, args) if self.has_method(fns, c, after, *args) => m,
            Target::ChainedMethod(..) => return Vec::new(),
            _ => return self.resolve(fns, c).into_iter().collect(),
        };
        self.named(c.scope.krate, m)
            .iter()
            .copied()
            .filter(|&i| {
                let f = &fns[i as usize];
                f.has_self && f.params == c.args
            })
            .collect()
    }

    /// Whether the crate `from` links the library of the crate `to`.
    fn links_to(&self, from: u32, to: u32) -> bool {
        self.links
            .get(&from)
            .is_some_and(|libs| libs.iter().any(|l| self.linked_crate(l) == Some(to)))
    }

    /// Whether a fn `c` may name returns a future: by the name it is called by and
    /// its arity (with or without a receiver), in the caller's crate, or in a library
    /// the caller's crate links, where that library exports it or declares it in a
    /// trait (or an impl of one).
    pub(super) fn async_namesake(&self, fns: &[FnDef], c: &Callee) -> bool {
        let name = match &c.target {
            Target::Path(segs) | Target::Linked(segs) => match segs.last() {
                Some(n) => n.as_str(),
                None => return false,
            },
            Target::SelfMethod(m) | Target::TypedMethod(_, m) | Target::Method(m) => m,
            Target::ChainedMethod(m, ..) => m,
            Target::FieldMethod { method, .. } => method,
        };
        let fits = |i: u32| {
            let f = &fns[i as usize];
            (f.params == c.args || (f.has_self && f.params + 1 == c.args))
                && (f.is_async || f.future != FutureShape::NotFuture)
        };
        let reachable = |krate: u32, i: u32| {
            let f = &fns[i as usize];
            krate == c.scope.krate
                || ((f.exported || f.trait_name.is_some()) && self.links_to(c.scope.krate, krate))
        };
        self.by_crate.iter().any(|(krate, names)| {
            names
                .get(name)
                .is_some_and(|found| found.iter().any(|&i| fits(i) && reachable(*krate, i)))
        })
    }

    /// Whether the crate of `c` has a method `name` taking `args` arguments: what a
    /// call of it returns may be a value of the crate.
    fn has_method(&self, fns: &[FnDef], c: &Callee, name: &str, args: u8) -> bool {
        self.named(c.scope.krate, name).iter().any(|&i| {
            let f = &fns[i as usize];
            f.has_self && f.params == usize::from(args)
        })
    }

    pub(super) fn resolve(&self, fns: &[FnDef], c: &Callee) -> Option<u32> {
        let f = self.resolve_name(fns, c)?;
        let def = &fns[f as usize];
        let returns_future = def.is_async || def.future != FutureShape::NotFuture;
        (!c.awaited || returns_future).then_some(f)
    }

    /// [`Tables::resolve`] by name, arity and receiver alone.
    fn resolve_name(&self, fns: &[FnDef], c: &Callee) -> Option<u32> {
        let scope = &c.scope;
        // Methods of a type, taking `self` (`x.m(a)`) or called by path (`T::m(x, a)`,
        // `T::new(a)`).
        // A path into another crate of the run (a library this one depends on) reaches
        // only what that crate exports.
        let linked = match &c.target {
            Target::Linked(segs) => Some(
                self.linked_crate(segs.first()?)
                    .filter(|k| *k != scope.krate)?,
            ),
            _ => None,
        };
        let krate = linked.unwrap_or(scope.krate);
        let reachable = |f: &FnDef| linked.is_none() || f.exported;
        let of_type = |ty: &str, name: &str, by_path: bool| {
            unique(self.named(krate, name).iter().copied().filter(move |&i| {
                let f = &fns[i as usize];
                reachable(f)
                    && f.scope.self_ty.as_deref() == Some(ty)
                    && if by_path {
                        (f.has_self && f.params + 1 == c.args)
                            || (!f.has_self && f.params == c.args)
                    } else {
                        f.has_self && f.params == c.args
                    }
            }))
        };
        match &c.target {
            Target::SelfMethod(m) => of_type(scope.self_ty.as_deref()?, m, false),
            Target::TypedMethod(ty, m) => {
                of_type(&self.unaliased(scope.krate, ty.clone()), m, false)
            }
            Target::ChainedMethod(m, after, args) => {
                if !self.has_method(fns, c, after, *args) {
                    return None;
                }
                unique(self.named(scope.krate, m).iter().copied().filter(|&i| {
                    let f = &fns[i as usize];
                    f.has_self && f.params == c.args && f.trait_name.is_none()
                }))
            }
            Target::Method(m) => self.by_method_name(fns, c, m),
            Target::FieldMethod {
                base,
                fields,
                method,
            } => match self.field_type(fns, c, base, fields) {
                // A trait object: the one impl of the trait's method in its crate.
                Some((krate, ty)) if ty.starts_with("dyn ") => {
                    let tr = &ty["dyn ".len()..];
                    unique(self.named(krate, method).iter().copied().filter(|&i| {
                        let f = &fns[i as usize];
                        (krate == scope.krate || f.exported)
                            && f.scope.self_ty.is_some()
                            && f.trait_name.as_deref() == Some(tr)
                            && f.has_self
                            && f.params == c.args
                    }))
                }
                Some((krate, ty)) => {
                    unique(self.named(krate, method).iter().copied().filter(|&i| {
                        let f = &fns[i as usize];
                        (krate == scope.krate || f.exported)
                            && f.scope.self_ty.as_deref() == Some(ty.as_str())
                            && f.has_self
                            && f.params == c.args
                    }))
                }
                // A chain the crate's declarations do not type: by name, as a method
                // on a receiver of unknown type.
                None => self.by_method_name(fns, c, method),
            },
            Target::Path(segs) | Target::Linked(segs) => {
                let mut segs: &[String] = segs;
                let mut module: Option<Vec<String>> = None;
                let first = segs.first()?.as_str();
                if linked.is_some()
                    || first == "crate"
                    || self.libs.get(&scope.krate).is_some_and(|l| l == first)
                {
                    module = Some(Vec::new());
                    segs = &segs[1..];
                } else if first == "self" {
                    module = Some(scope.module.clone());
                    segs = &segs[1..];
                } else if first == "super" {
                    let mut m = scope.module.clone();
                    while segs.first().is_some_and(|s| s == "super") {
                        m.pop();
                        segs = &segs[1..];
                    }
                    module = Some(m);
                } else if first == "Self" {
                    return match segs {
                        [_, name] => of_type(scope.self_ty.as_deref()?, name, true),
                        _ => None,
                    };
                }
                let (name, prefix) = segs.split_last()?;
                if let Some(ty) = prefix.last() {
                    if ty.starts_with(|c: char| c.is_ascii_uppercase()) {
                        return of_type(ty, name, true);
                    }
                }
                let free_fn = |&i: &u32| {
                    let f = &fns[i as usize];
                    reachable(f) && f.scope.self_ty.is_none() && !f.has_self && f.params == c.args
                };
                let named = self.named(krate, name);
                let mut candidates = named.iter().copied().filter(free_fn);
                let first = candidates.next();
                if candidates.next().is_none() {
                    return first;
                }
                let free: Vec<u32> = named.iter().copied().filter(free_fn).collect();
                // Several fns by that name: the one in the module the path names.
                let expected: Vec<Vec<String>> = match module {
                    Some(mut m) => {
                        m.extend(prefix.iter().cloned());
                        vec![m]
                    }
                    None => {
                        let mut relative = scope.module.clone();
                        relative.extend(prefix.iter().cloned());
                        vec![relative, prefix.to_vec()]
                    }
                };
                for m in &expected {
                    let here: Vec<u32> = free
                        .iter()
                        .copied()
                        .filter(|&i| fns[i as usize].scope.module == *m)
                        .collect();
                    if here.len() == 1 {
                        return Some(here[0]);
                    }
                    if here.len() > 1 {
                        return None;
                    }
                }
                None
            }
        }
    }
}

impl Tables {
    /// A method called on a receiver of unknown type: the one method of the crate by
    /// that name and arity, outside trait declarations; never a std method's name.
    fn by_method_name(&self, fns: &[FnDef], c: &Callee, m: &str) -> Option<u32> {
        if is_std_method_name(m) {
            return None;
        }
        unique(self.named(c.scope.krate, m).iter().copied().filter(|&i| {
            let f = &fns[i as usize];
            f.has_self && f.params == c.args && f.trait_name.is_none()
        }))
    }

    /// The crate and type of what a field chain reaches: its base's type, then each
    /// field's declared type in the struct of the one before.
    fn field_type(
        &self,
        fns: &[FnDef],
        c: &Callee,
        base: &Base,
        fields: &[String],
    ) -> Option<(u32, String)> {
        let (krate, mut ty) = match base {
            Base::Type(t) => (c.scope.krate, t.clone()),
            Base::Returned(made) => {
                let f = &fns[self.resolve(fns, made)? as usize];
                (f.scope.krate, f.returns_value.clone()?)
            }
        };
        // `[]`: an item of the collection the field before holds.
        let mut element: Option<String> = None;
        for field in fields {
            if field == "[]" {
                ty = element.take()?;
                continue;
            }
            ty = self.unaliased(krate, ty);
            let of = self.fields.get(&(krate, ty))?.as_ref()?;
            let decl = of.get(field)?;
            element = decl.element.clone();
            ty = match &decl.holds {
                Some(t) => t.clone(),
                // A collection's own type names no struct; only an item goes on.
                None if element.is_some() => String::new(),
                None => return None,
            };
        }
        (!ty.is_empty()).then(|| (krate, self.unaliased(krate, ty)))
    }

    /// The declared type path of the last field of a chain (`parking_lot::Mutex` for
    /// `self.queue`), through the crate's struct declarations in any of its files.
    pub(super) fn field_path(
        &self,
        fns: &[FnDef],
        c: &Callee,
        base: &Base,
        fields: &[String],
    ) -> Option<String> {
        let (last, before) = fields.split_last()?;
        let (krate, ty) = self.field_type(fns, c, base, before)?;
        let of = self.fields.get(&(krate, ty))?.as_ref()?;
        of.get(last)?.path.clone()
    }

    /// The type an alias of the crate names (`SharedState` for `AppState`), or `ty`.
    fn unaliased(&self, krate: u32, ty: String) -> String {
        match self.aliases.get(&(krate, ty.clone())) {
            Some(Some(t)) => t.clone(),
            _ => ty,
        }
    }
}

/// The one item of `it`, if it has exactly one.
impl Tables {
    /// The trait declaration a path call names, `Update::update(self, data)`: the one
    /// method of a trait of the crate by that trait name, method name and arity.
    pub(super) fn trait_method(&self, fns: &[FnDef], c: &Callee) -> Option<u32> {
        let Target::Path(segs) = &c.target else {
            return None;
        };
        let [.., tr, name] = segs.as_slice() else {
            return None;
        };
        unique(
            self.named(c.scope.krate, name)
                .iter()
                .copied()
                .filter(|&i| {
                    let f = &fns[i as usize];
                    f.scope.self_ty.is_none()
                        && f.trait_name.as_deref() == Some(tr.as_str())
                        && f.has_self
                        && f.params + 1 == c.args
                }),
        )
    }
}

fn unique(mut it: impl Iterator<Item = u32>) -> Option<u32> {
    let first = it.next()?;
    it.next().is_none().then_some(first)
}

/// For each impl of a method of a trait the crate declares, the calls that may reach
/// it by dynamic dispatch: a method call by that name and arity on a receiver the
/// model cannot type (`command.execute_cmd(&client)` on a `Box<dyn CliCommand>`),
/// which reaches every impl. `(caller, site)` pairs, as `callers` has them.
pub(super) fn dispatched_callers(
    fns: &[FnDef],
    tables: &Tables,
    resolved: &[Vec<Option<u32>>],
) -> Vec<Vec<(u32, u32)>> {
    // Only traits no code outside the run can call: of a package that is not
    // published, or that exports nothing.
    let exports: HashSet<u32> = fns
        .iter()
        .filter(|f| f.exported && !f.local.workspace_only)
        .map(|f| f.scope.krate)
        .collect();
    let declared: HashSet<(u32, &str)> = fns
        .iter()
        .filter(|f| f.scope.self_ty.is_none())
        .filter(|f| f.local.workspace_only || !exports.contains(&f.scope.krate))
        .filter_map(|f| Some((f.scope.krate, f.trait_name.as_deref()?)))
        .collect();
    let mut out = vec![Vec::new(); fns.len()];
    if declared.is_empty() {
        return out;
    }
    for (g, f) in fns.iter().enumerate() {
        for (s, site) in f.sites.iter().enumerate() {
            if resolved[g][s].is_some()
                || !matches!(
                    site.callee.target,
                    Target::Method(_) | Target::FieldMethod { .. } | Target::ChainedMethod(..)
                )
            {
                continue;
            }
            for i in tables.method_candidates(fns, &site.callee) {
                let d = &fns[i as usize];
                let of_declared = d.scope.self_ty.is_some()
                    && d.trait_name
                        .as_deref()
                        .is_some_and(|t| declared.contains(&(d.scope.krate, t)));
                if of_declared {
                    out[i as usize].push((g as u32, s as u32));
                }
            }
        }
    }
    out
}
