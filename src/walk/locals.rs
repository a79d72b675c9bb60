//! What the walker knows of a fn's locals: where a value comes from, the type it
//! has when the code says, what a collection was filled with, and the names a
//! pattern binds.

use super::*;

impl Walker<'_> {
    /// The resolved path of a declared type, seen through references and `Arc`/`Box`.
    pub(super) fn type_path(&self, ty: &syn::Type) -> Option<String> {
        crate::semantic::types::type_path(ty, &self.file.uses)
    }

    pub(super) fn origin_of(&self, init: &Expr) -> Origin {
        let c = chain::chain(init);
        Origin {
            root_call: chain::call_path(c.root).and_then(|p| self.file.uses.resolve(p)),
            root_binding: chain::path_ident(c.root).map(|i| i.to_string()),
            root_callee: match c.root {
                // `Arc::new(ctx)`: what `ctx` was made by.
                Expr::Call(_) if shares_value(chain::call_path(c.root)) => self
                    .shared_local(c.root)
                    .filter(|o| o.methods.iter().all(|m| m == "unwrap" || m == "expect"))
                    .and_then(|o| o.root_callee.clone()),
                Expr::Call(_) => crate::semantic::callee::callee_of(
                    &self.file.names(&self.scopes),
                    &self.scope,
                    c.root,
                )
                .filter(|callee| {
                    matches!(
                        callee.target,
                        crate::semantic::callee::Target::Path(_)
                            | crate::semantic::callee::Target::Linked(_)
                    )
                })
                .map(Box::new),
                _ => None,
            },
            methods: c.methods.iter().map(|m| m.method.to_string()).collect(),
            tuple_index: None,
            chain: None,
            awaited: c.awaited,
            ty: self
                .local_value_type(init)
                .or_else(|| self.built_runtime(&c))
                // `Arc::new(state)` holds a value of `state`'s declared type.
                .or_else(|| self.shared_local(c.root).and_then(|o| o.ty.clone()))
                // `Arc::new(Repo::new(pool))`: of the type made inside.
                .or_else(|| match c.root {
                    Expr::Call(call)
                        if call.args.len() == 1
                            && c.methods.iter().all(|m| m.method == "clone")
                            && shares_value(chain::call_path(c.root)) =>
                    {
                        self.local_value_type(&call.args[0])
                    }
                    _ => None,
                }),
            is_param: false,
            // `let pool = &mut context.pool();`: a unique borrow, used in turn.
            mutable: matches!(chain::strip(init), Expr::Reference(r) if r.mutability.is_some()),
            closure_param: false,
            init: Some(self.file_range(init)),
            root_addr: match c.root {
                Expr::Call(_) => c.root as *const Expr as usize,
                _ => 0,
            },
            elements: None,
            tuple_types: self.tuple_types(init),
        }
    }

    /// The element types of a tuple made on the spot, seen through `Arc::new`/`Rc::new`/
    /// `Box::new`, references, derefs and `clone()`, or held by a local that has them.
    fn tuple_types(&self, e: &Expr) -> Option<Vec<Option<String>>> {
        match strip(e) {
            Expr::Tuple(t) => Some(t.elems.iter().map(|e| self.constructed(e)).collect()),
            Expr::Reference(r) => self.tuple_types(&r.expr),
            Expr::Unary(u) if matches!(u.op, syn::UnOp::Deref(_)) => self.tuple_types(&u.expr),
            Expr::MethodCall(m) if m.method == "clone" && m.args.is_empty() => {
                self.tuple_types(&m.receiver)
            }
            Expr::Call(c) if c.args.len() == 1 && shares_value(chain::call_path(strip(e))) => {
                self.tuple_types(&c.args[0])
            }
            Expr::Path(_) => {
                let name = chain::path_ident(strip(e))?.to_string();
                self.scopes.lookup(&name)?.tuple_types.clone()
            }
            _ => None,
        }
    }

    /// The resolved type a constructor call makes (`std::sync::Condvar` for
    /// `Condvar::new()`), or a value of a type the file defines.
    fn constructed(&self, e: &Expr) -> Option<String> {
        if let Some(ty) = self.local_value_type(e) {
            return Some(ty);
        }
        let Expr::Call(_) = strip(e) else { return None };
        let path = self.file.uses.resolve(chain::call_path(strip(e))?)?;
        let (ty, ctor) = path.rsplit_once("::")?;
        matches!(ctor, "new" | "default" | "with_capacity").then(|| ty.to_string())
    }

    /// The local a pointer made on the spot points to: `state` in `Arc::new(state)`
    /// (also `Rc::new`, `Box::new`).
    fn shared_local(&self, root: &Expr) -> Option<&Origin> {
        let Expr::Call(call) = root else { return None };
        if !shares_value(chain::call_path(root)) {
            return None;
        }
        let local = chain::path_ident(strip(call.args.first()?))?;
        self.scopes.lookup(&local.to_string())
    }

    /// `let rt = builder.build()?` where `builder` holds a tokio runtime `Builder`
    /// configured step by step (`let mut b = Builder::new_multi_thread();
    /// b.enable_all();`): a `Runtime`.
    fn built_runtime(&self, c: &chain::Chain) -> Option<String> {
        let root = chain::path_ident(c.root)?.to_string();
        let builder = self.scopes.lookup(&root)?.root_call.as_deref()?;
        (builder.starts_with("tokio::runtime::Builder::")
            && crate::semantic::tasks::is_tokio_runtime_root(builder)
            && c.methods.iter().any(|m| m.method == "build"))
        .then(|| "tokio::runtime::Runtime".to_string())
    }

    /// The type of a value of a type the file defines, made on the spot: a struct
    /// literal (`Metrics { .. }`), a unit struct (`Metrics`), or a constructor call
    /// with nothing called on its result (`Metrics::new(..)`). A constructor of a type
    /// the file imports from its own crate (`use crate::server::Server;`, or from its
    /// package's library in a binary, `use mydns::DnsServer;`) gives that type's path;
    /// `parse` and `from_args` are the constructors clap and structopt derive. So does
    /// a socket address constructor (`SocketAddr::new(ip, port)`).
    pub(super) fn local_value_type(&self, init: &Expr) -> Option<String> {
        // `SocketAddr::new(ip, port)`, `SocketAddrV4::from(..)`: a socket address.
        if crate::semantic::blocking::is_socket_addr_ctor(strip(init)) {
            let ctor = self.file.uses.resolve(chain::call_path(strip(init))?)?;
            return ctor.rsplit_once("::").map(|(ty, _)| ty.to_string());
        }
        let path = match strip(init) {
            Expr::Struct(s) => &s.path,
            Expr::Path(p) => &p.path,
            Expr::Call(c) => match strip(&c.func) {
                Expr::Path(p) if p.path.segments.len() == 2 => {
                    let ty = &p.path.segments[0].ident;
                    let ctor = p.path.segments[1].ident.to_string();
                    if !matches!(
                        ctor.as_str(),
                        "new" | "default" | "with_capacity" | "parse" | "from_args"
                    ) {
                        return None;
                    }
                    let name = ty.to_string();
                    if self.file.uses.is_local(&name) {
                        return Some(name);
                    }
                    // Imported from this crate or its package's library.
                    let path = syn::Path::from(ty.clone());
                    let full = self.file.uses.resolve(&path)?;
                    let names = self.file.names(&self.scopes);
                    let own = crate::semantic::callee::crate_path(&names, &path).is_some();
                    return (own && name.starts_with(|c: char| c.is_ascii_uppercase()))
                        .then_some(full);
                }
                _ => return None,
            },
            _ => return None,
        };
        let name = path.get_ident()?.to_string();
        (name.starts_with(|c: char| c.is_ascii_uppercase()) && self.file.uses.is_local(&name))
            .then_some(name)
    }

    /// `handles.push(thread::spawn(..))`: the collection holds what that call makes.
    pub(super) fn note_pushed(&mut self, receiver: &Expr, value: &Expr) {
        let Some(name) = chain::path_ident(strip(receiver)).map(|i| i.to_string()) else {
            return;
        };
        let made_by = chain::call_path(strip(value)).and_then(|p| self.file.uses.resolve(p));
        if let Some(o) = self.scopes.lookup_mut(&name) {
            o.elements = match (&o.elements, made_by) {
                (None, Some(p)) if o.init.is_some() => Some(p),
                (Some(before), Some(p)) if *before == p => Some(p),
                _ => None,
            };
        }
    }

    /// The type of what `self.field.take()` / `.pop()` / `.pop_front()` hands out, from
    /// the field's declared `Option`/`Vec`/`VecDeque` type.
    pub(super) fn taken_from_field(&self, e: &Expr) -> Option<String> {
        let Expr::MethodCall(m) = strip(e) else {
            return None;
        };
        if !m.args.is_empty()
            || !matches!(m.method.to_string().as_str(), "take" | "pop" | "pop_front")
        {
            return None;
        }
        let Expr::Field(f) = strip(&m.receiver) else {
            return None;
        };
        let (syn::Member::Named(name), Expr::Path(base)) = (&f.member, strip(&f.base)) else {
            return None;
        };
        if !base.path.is_ident("self") {
            return None;
        }
        self.file
            .fields
            .element(&name.to_string())
            .map(str::to_string)
    }

    /// The origin of the items a loop or a `pop` takes from a collection of values
    /// the fn pushed (`for h in handles`, `handles.into_iter()`, `handles.pop()`).
    pub(super) fn element_origin(&self, e: &Expr) -> Option<Origin> {
        let c = chain::chain(e);
        let takes_items = c
            .methods
            .iter()
            .all(|m| matches!(m.method.to_string().as_str(), "into_iter" | "drain" | "pop"));
        if !takes_items || c.awaited {
            return None;
        }
        let name = chain::path_ident(strip(c.root))?.to_string();
        let made_by = self.scopes.lookup(&name)?.elements.clone()?;
        Some(Origin {
            root_call: Some(made_by),
            ..Origin::default()
        })
    }

    /// Binds every name a pattern introduces. `origin` describes the whole value; a
    /// tuple pattern's elements get the same origin with their index.
    pub(super) fn bind_pattern(
        &mut self,
        pat: &Pat,
        origin: Option<&Origin>,
        ty: Option<String>,
        param: bool,
    ) {
        match pat {
            Pat::Ident(pi) => {
                let mut o = origin.cloned().unwrap_or_default();
                o.ty = ty.or(o.ty);
                o.is_param = param;
                o.mutable |= pi.mutability.is_some();
                self.scopes.bind(pi.ident.to_string(), o);
                if let Some((_, sub)) = &pi.subpat {
                    self.bind_pattern(sub, None, None, param);
                }
            }
            Pat::Type(pt) => {
                let ty = self.type_path(&pt.ty);
                let mut o = origin.cloned().unwrap_or_default();
                o.mutable |= is_mut_ref(&pt.ty);
                self.bind_pattern(&pt.pat, Some(&o), ty, param);
            }
            Pat::Tuple(t) => {
                for (i, elem) in t.elems.iter().enumerate() {
                    let o = origin.map(|o| Origin {
                        tuple_index: Some(i),
                        tuple_types: None,
                        ..o.clone()
                    });
                    let ty = origin.and_then(|o| o.tuple_types.as_ref()?.get(i).cloned().flatten());
                    self.bind_pattern(elem, o.as_ref(), ty, param);
                }
            }
            Pat::Reference(r) => self.bind_pattern(&r.pat, None, None, param),
            Pat::Paren(p) => self.bind_pattern(&p.pat, origin, ty, param),
            Pat::Guard(g) => self.bind_pattern(&g.pat, origin, ty, param),
            Pat::TupleStruct(ts) => {
                for elem in &ts.elems {
                    self.bind_pattern(elem, None, None, param);
                }
            }
            Pat::Struct(s) => {
                // `Config { zones, .. }`: each name is a field of the struct the
                // pattern names, which the model types through its declaration.
                // Not an enum's variant (`Event::Data { .. }`).
                let ty = match chain::segments(&s.path).as_slice() {
                    [.., owner, _] if owner.starts_with(|c: char| c.is_ascii_uppercase()) => None,
                    [only] if only == "Self" => self.scope.self_ty.clone(),
                    [.., last] => crate::semantic::callee::type_name(last),
                    [] => None,
                };
                for field in &s.fields {
                    let chain = match (&ty, &field.member) {
                        (Some(t), syn::Member::Named(n))
                            if matches!(&*field.pat, Pat::Ident(_)) =>
                        {
                            Some((
                                crate::semantic::callee::Base::Type(t.clone()),
                                vec![n.to_string()],
                            ))
                        }
                        _ => None,
                    };
                    let o = chain.map(|chain| Origin {
                        chain: Some(chain),
                        ..Origin::default()
                    });
                    self.bind_pattern(&field.pat, o.as_ref(), None, param);
                }
            }
            Pat::Slice(s) => {
                for elem in &s.elems {
                    self.bind_pattern(elem, None, None, param);
                }
            }
            Pat::Or(o) => {
                for case in &o.cases {
                    self.bind_pattern(case, None, None, param);
                }
            }
            _ => {}
        }
    }
}

pub(super) fn is_mut_ref(ty: &syn::Type) -> bool {
    match ty {
        syn::Type::Reference(r) => r.mutability.is_some(),
        syn::Type::Paren(p) => is_mut_ref(&p.elem),
        syn::Type::Group(g) => is_mut_ref(&g.elem),
        _ => false,
    }
}

/// `Arc::new(x)`, `Rc::new(x)`, `Box::new(x)`: a pointer to the value it is given,
/// which a method call sees through.
fn shares_value(path: Option<&syn::Path>) -> bool {
    path.is_some_and(|p| {
        let segments: Vec<String> = p.segments.iter().map(|s| s.ident.to_string()).collect();
        crate::semantic::types::shares_value(segments.iter().rev().map(String::as_str))
    })
}
