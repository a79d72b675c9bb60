//! Where a client goes once built, and where a client a request is made with comes
//! from, as far as one fn's text shows: a field of a crate struct, or an argument of a
//! crate fn (which the model follows to the field that fn stores its parameter in).

use super::exprs::{addr, self_field};
use super::At;
use crate::semantic::callee::{callee_of, Callee};
use crate::semantic::chain::{self, path_ident};
use crate::semantic::clients::construction;
use syn::visit::{self, Visit};
use syn::{Block, Expr};

/// A place a client is kept or handed to.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum ClientPlace {
    /// A field of a struct of the crate: its type's last segment and the field.
    Field { ty: String, field: String },
    /// An argument of a call that may name a fn of the crate.
    Arg { callee: Callee, arg: u8 },
}

/// What one fn body shows of client provenance.
#[derive(Default)]
pub struct Flows {
    /// Each client construction (by node address) and where the client goes first.
    pub built: Vec<(usize, ClientPlace)>,
    /// Parameters stored in a field of a struct the fn builds: `(parameter, type,
    /// field)`, as in `fn new(http: Client) -> Self { Self { http } }`.
    pub stores: Vec<(u8, String, String)>,
}

/// The flows of `body`: `builds` when its text may build a client, `params` (its
/// parameters' names) when it may store them in a struct it builds.
pub fn flows(at: &At, body: &Block, builds: bool, params: &[String]) -> Flows {
    let mut scan = Scan {
        at,
        builds,
        params,
        locals: Vec::new(),
        named: Vec::new(),
        flows: Flows::default(),
    };
    scan.visit_block(body);
    let Scan {
        locals,
        named,
        mut flows,
        ..
    } = scan;
    for (name, built) in locals {
        if let Some((_, place)) = named.iter().find(|(n, _)| *n == name) {
            flows.built.push((built, place.clone()));
        }
    }
    flows
}

/// The client a request is made with, when it is a field of `self`: the place the
/// request chain `e` (`self.http.get(url).send()`) takes its client from.
pub fn used_from(at: &At, e: &Expr) -> Option<ClientPlace> {
    Some(ClientPlace::Field {
        ty: at.scope.self_ty.clone()?,
        field: self_field(chain::chain(e).root)?,
    })
}

struct Scan<'s, 'a> {
    at: &'s At<'a>,
    builds: bool,
    params: &'s [String],
    /// Locals bound to a client construction: name and the construction's address.
    locals: Vec<(String, usize)>,
    /// Places a local is first handed to, by name.
    named: Vec<(String, ClientPlace)>,
    flows: Flows,
}

impl Scan<'_, '_> {
    /// `value` goes to `place`: a local by name, or a construction written there.
    fn goes(&mut self, value: &Expr, place: ClientPlace) {
        let value = peel(value);
        if let Some(name) = path_ident(value).map(|i| i.to_string()) {
            let client = self.locals.iter().any(|(n, _)| *n == name);
            if client && !self.named.iter().any(|(n, _)| *n == name) {
                self.named.push((name, place));
            }
        } else if self.builds && construction(&self.at.file.uses, value).is_some() {
            self.flows.built.push((addr(value), place));
        }
    }
}

/// A value seen through `?` and result adapters (`.unwrap()`, `.expect(..)`),
/// `.clone()` and `&`.
fn peel(e: &Expr) -> &Expr {
    let mut e = chain::strip_result_adapters(e).inner;
    loop {
        match e {
            Expr::Reference(r) => e = chain::strip_result_adapters(&r.expr).inner,
            Expr::MethodCall(m) if m.method == "clone" && m.args.is_empty() => {
                e = chain::strip_result_adapters(&m.receiver).inner
            }
            _ => return e,
        }
    }
}

impl<'ast> Visit<'ast> for Scan<'_, '_> {
    fn visit_item(&mut self, _: &'ast syn::Item) {}

    fn visit_local(&mut self, l: &'ast syn::Local) {
        if let (true, syn::Pat::Ident(p), Some(init)) = (self.builds, &l.pat, &l.init) {
            let value = peel(&init.expr);
            if construction(&self.at.file.uses, value).is_some() {
                self.locals.push((p.ident.to_string(), addr(value)));
            }
        }
        visit::visit_local(self, l);
    }

    fn visit_expr_struct(&mut self, s: &'ast syn::ExprStruct) {
        let last = s.path.segments.last().map(|l| l.ident.to_string());
        let ty = match last.as_deref() {
            Some("Self") => self.at.scope.self_ty.clone(),
            _ => last,
        };
        if let Some(ty) = ty {
            for f in &s.fields {
                let syn::Member::Named(field) = &f.member else {
                    continue;
                };
                let place = ClientPlace::Field {
                    ty: ty.clone(),
                    field: field.to_string(),
                };
                if let Some(name) = path_ident(peel(&f.expr)) {
                    if let Some(i) = self.params.iter().position(|p| name == p) {
                        self.flows
                            .stores
                            .push((i as u8, ty.clone(), field.to_string()));
                    }
                }
                self.goes(&f.expr, place);
            }
        }
        visit::visit_expr_struct(self, s);
    }

    fn visit_expr(&mut self, e: &'ast Expr) {
        let args = match e {
            Expr::Call(c) if self.builds => Some(&c.args),
            Expr::MethodCall(m) if self.builds => Some(&m.args),
            _ => None,
        };
        if let Some(args) = args {
            if let Some(callee) = callee_of(&self.at.names(), self.at.scope, e) {
                for (i, a) in args.iter().enumerate().take(u8::MAX as usize) {
                    let place = ClientPlace::Arg {
                        callee: callee.clone(),
                        arg: i as u8,
                    };
                    self.goes(a, place);
                }
            }
        }
        visit::visit_expr(self, e);
    }
}
