//! Where a value came from, followed back through the locals it passed through:
//! `req.send()` with `let req = client.get(url);` and `let client = Client::new();`
//! comes from `reqwest::Client::new` through the methods `get`, `send`.

use super::chain::{self, strip};
use super::Cx;
use crate::source::TextRange;
use syn::Expr;

/// How many locals are followed before giving up.
const MAX_HOPS: usize = 4;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Traced {
    /// The resolved path of the call the value starts from.
    pub root_call: String,
    /// Every method called on the way, root first: those in the locals'
    /// initializers, then those written at the expression itself.
    pub methods: Vec<String>,
    /// Whether an `.await` occurs on the way.
    pub awaited: bool,
    /// The locals passed through, with their initializers, closest to the root first.
    pub locals: Vec<(String, TextRange)>,
}

impl Traced {
    pub fn has_method(&self, names: &[&str]) -> bool {
        self.methods.iter().any(|m| names.contains(&m.as_str()))
    }
}

/// The source text of the initializer of the local `expr` starts from
/// (`format!("host={h} connect_timeout=5")` for `&config` or `config.as_str()`), or
/// `""` when it does not start from a local of this fn.
pub fn local_init<'a>(cx: &Cx<'a>, expr: &Expr) -> &'a str {
    chain::receiver_ident(chain::chain(expr).root)
        .and_then(|i| cx.binding(&i.to_string()))
        .and_then(|o| o.init)
        .map_or("", |r| cx.file.slice(r))
}

/// Traces `expr` (a method receiver, an argument, ...) back to the call it starts
/// from, through locals bound in the current fn. `None` when it starts anywhere else:
/// a parameter, a field, a literal, a tuple element, an unresolved call.
pub fn trace(cx: &Cx, expr: &Expr) -> Option<Traced> {
    let c = chain::chain(expr);
    let mut methods: Vec<String> = c.methods.iter().map(|m| m.method.to_string()).collect();
    let mut awaited = c.awaited;
    let mut locals = Vec::new();
    if let Some(root_call) = cx.call_path(c.root) {
        return Some(Traced {
            root_call,
            methods,
            awaited,
            locals,
        });
    }
    let mut name = chain::receiver_ident(strip(c.root))?.to_string();
    for _ in 0..MAX_HOPS {
        let origin = cx.binding(&name)?;
        if origin.is_param || origin.tuple_index.is_some() {
            return None;
        }
        let mut earlier = origin.methods.clone();
        earlier.append(&mut methods);
        methods = earlier;
        awaited |= origin.awaited;
        locals.insert(0, (name.clone(), origin.init?));
        if let Some(root_call) = &origin.root_call {
            return Some(Traced {
                root_call: root_call.clone(),
                methods,
                awaited,
                locals,
            });
        }
        match &origin.root_binding {
            Some(next) if *next != name => name = next.clone(),
            _ => return None,
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::semantic::probe_walk;
    use std::sync::Mutex;

    #[test]
    fn traces_through_locals_to_the_root_call() {
        let src = "use reqwest::Client;\n\
             async fn f(param: Client) {\n\
               let client = Client::builder().build().unwrap();\n\
               let req = client.get(u).header(a, b);\n\
               probe(req.send());\n\
               probe(Client::new().get(u));\n\
               probe(param.get(u));\n\
               probe(self.http.get(u));\n\
             }";
        // The trace of every `probe(x)` argument: root call, methods, locals.
        let seen = Mutex::new(Vec::new());
        probe_walk(
            src,
            |cx, e| {
                if let Expr::Call(c) = e {
                    if chain::call_path(e).is_some_and(|p| p.is_ident("probe")) {
                        let t = trace(cx, &c.args[0]).map(|t| {
                            let locals: Vec<String> =
                                t.locals.iter().map(|(n, _)| n.clone()).collect();
                            (t.root_call, t.methods, locals)
                        });
                        seen.lock().unwrap().push(t);
                    }
                }
            },
            |_, _| {},
        );
        let got = seen.into_inner().unwrap();
        let (root, methods, locals) = got[0].clone().unwrap();
        assert_eq!(root, "reqwest::Client::builder");
        assert_eq!(methods, ["build", "unwrap", "get", "header", "send"]);
        assert_eq!(locals, ["client", "req"]);
        assert_eq!(got[1].as_ref().unwrap().0, "reqwest::Client::new");
        assert!(got[2].is_none() && got[3].is_none());
    }
}
