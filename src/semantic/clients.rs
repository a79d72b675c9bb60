//! Network clients: where one is built (with a deadline or not) and where one built
//! elsewhere is used for an awaited call. The crate model joins the two crate-wide.

use super::chain::{self, strip};
use super::imports::UseMap;
use super::scope::Scopes;
use serde::{Deserialize, Serialize};
use syn::Expr;

/// The kind of client: what a deadline is called on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ClientKind {
    /// A `reqwest::Client`: `.timeout(..)` bounds each request.
    Http,
    /// A tonic `Channel` from an `Endpoint`: `.timeout(..)` bounds each request,
    /// `.connect_timeout(..)` the connect.
    Grpc,
}

impl ClientKind {
    pub fn describe(self) -> &'static str {
        match self {
            ClientKind::Http => "HTTP client",
            ClientKind::Grpc => "gRPC channel",
        }
    }
}

/// A client built in the code, as the chain that builds it shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Construction {
    pub kind: ClientKind,
    /// A deadline on every call made with it.
    pub deadline: bool,
}

/// Calls a `reqwest` client chain starts from.
const HTTP_BUILDERS: &[&str] = &["reqwest::Client::builder", "reqwest::ClientBuilder::new"];
const HTTP_DIRECT: &[&str] = &["reqwest::Client::new", "reqwest::Client::default"];
/// Calls a tonic channel chain starts from.
const GRPC_ROOTS: &[&str] = &[
    "tonic::transport::Endpoint::from_static",
    "tonic::transport::Endpoint::from_shared",
    "tonic::transport::Endpoint::new",
    "tonic::transport::Endpoint::try_from",
    "tonic::transport::Channel::from_static",
    "tonic::transport::Channel::from_shared",
    "tonic::transport::Channel::builder",
];

/// Builder methods that put a deadline on every request of a reqwest client (or on the
/// request they are called on). `connect_timeout` bounds only the connect.
pub const DEADLINE_METHODS: &[&str] = &["timeout", "read_timeout"];

/// The client `e` builds, if `e` is the whole of a client construction:
/// `reqwest::Client::new()`, `Client::builder().timeout(d).build()`, tonic's
/// `Endpoint::from_static(u).timeout(d).connect()` / `.connect_lazy()`. Settings that
/// only bound part of a call (`connect_timeout` on reqwest, `pool_idle_timeout`,
/// `tcp_keepalive`) are not deadlines.
pub fn construction(uses: &UseMap, e: &Expr) -> Option<Construction> {
    let e = strip(e);
    let root_path = |root: &Expr| chain::call_path(root).and_then(|p| uses.resolve(p));
    // `LazyLock::new(Client::new)`, `cell.get_or_init(Client::new)`: the constructor
    // handed by name to what calls it once.
    let named_ctor = |args: &syn::punctuated::Punctuated<Expr, syn::Token![,]>| {
        let [Expr::Path(p)] = args.iter().map(strip).collect::<Vec<_>>()[..] else {
            return None;
        };
        let path = uses.resolve(&p.path)?;
        HTTP_DIRECT
            .contains(&path.as_str())
            .then_some(Construction {
                kind: ClientKind::Http,
                deadline: false,
            })
    };
    match e {
        Expr::Call(c) => {
            let path = root_path(e)?;
            if LAZY_INITS.contains(&path.as_str()) {
                return named_ctor(&c.args);
            }
            HTTP_DIRECT
                .contains(&path.as_str())
                .then_some(Construction {
                    kind: ClientKind::Http,
                    deadline: false,
                })
        }
        Expr::MethodCall(m)
            if matches!(m.method.to_string().as_str(), "get_or_init" | "call_once") =>
        {
            named_ctor(&m.args)
        }
        Expr::MethodCall(m) => {
            let c = chain::chain(e);
            let path = root_path(c.root)?;
            let has = |names: &[&str]| {
                c.methods
                    .iter()
                    .any(|m| names.iter().any(|n| m.method == n))
            };
            let deadline = has(DEADLINE_METHODS);
            // A builder with a deadline, whether it is built here or handed to a
            // factory's callers, bounds the clients built from it.
            if HTTP_BUILDERS.contains(&path.as_str()) && (m.method == "build" || deadline) {
                return Some(Construction {
                    kind: ClientKind::Http,
                    deadline,
                });
            }
            if GRPC_ROOTS.contains(&path.as_str())
                && matches!(m.method.to_string().as_str(), "connect" | "connect_lazy")
            {
                return Some(Construction {
                    kind: ClientKind::Grpc,
                    deadline: has(&["timeout"]),
                });
            }
            None
        }
        _ => None,
    }
}

/// Lazily initialised statics, whose argument builds the value once.
const LAZY_INITS: &[&str] = &[
    "std::sync::LazyLock::new",
    "std::cell::LazyCell::new",
    "once_cell::sync::Lazy::new",
    "once_cell::unsync::Lazy::new",
    "LazyLock::new",
    "Lazy::new",
];

/// Request-builder methods of a reqwest client: `send` follows one of them.
pub const HTTP_VERBS: &[&str] = &["get", "post", "put", "patch", "delete", "head", "request"];

/// An awaited request (`x.get(url).send().await`) made with a client that comes from
/// somewhere other than this fn's own code: a field, a parameter, a crate fn. `None`
/// when the request sets its own `.timeout(..)`, or the client is built in this fn
/// (the call site's own check sees that).
pub fn remote_use(scopes: &Scopes, uses: &UseMap, send: &Expr) -> Option<ClientKind> {
    let Expr::MethodCall(m) = strip(send) else {
        return None;
    };
    if m.method != "send" || !m.args.is_empty() {
        return None;
    }
    remote_request(scopes, uses, send)
}

/// A request builder a fn hands back (`fn request(&self, ..) -> RequestBuilder {
/// self.http.get(url) }`): its callers send it, with the deadline it carries.
pub fn returned_request(scopes: &Scopes, uses: &UseMap, tail: &Expr) -> Option<ClientKind> {
    remote_request(scopes, uses, tail)
}

/// A request chain (`x.get(url)...`) on a client from outside this fn's own code,
/// with no `.timeout(..)` of its own.
fn remote_request(scopes: &Scopes, uses: &UseMap, send: &Expr) -> Option<ClientKind> {
    let c = chain::chain(send);
    let first = c.methods.first()?;
    if !HTTP_VERBS.iter().any(|v| first.method == v)
        || c.methods.iter().any(|m| m.method == "timeout")
    {
        return None;
    }
    let root = strip(c.root);
    // A client built right there in the chain is the call site's own business.
    if chain::call_path(root)
        .and_then(|p| uses.resolve(p))
        .is_some_and(|p| p.starts_with("reqwest::"))
    {
        return None;
    }
    match root {
        // `self.http`, `state.client`, `ctx.http()`, a crate factory `http::client()`.
        Expr::Field(_) | Expr::MethodCall(_) | Expr::Call(_) => Some(ClientKind::Http),
        // `self.get(url)`: the crate's own method building a request, not a client's.
        Expr::Path(p) if p.path.is_ident("self") => None,
        Expr::Path(p) => {
            let last = p.path.segments.last()?.ident.to_string();
            let local = p
                .path
                .get_ident()
                .and_then(|i| scopes.lookup(&i.to_string()));
            if local.is_none() {
                // A client kept in a static (`static HTTP: LazyLock<Client>`).
                let screaming = last.chars().any(|c| c.is_ascii_uppercase())
                    && last
                        .chars()
                        .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
                return screaming.then_some(ClientKind::Http);
            }
            match local {
                // A parameter, or a local taken from one (`let client = &self.http;`).
                Some(o) if o.is_param || o.root_call.is_none() => (o
                    .ty
                    .as_deref()
                    .is_none_or(|t| t.contains("Client") || t.starts_with("reqwest")))
                .then_some(ClientKind::Http),
                // Built or fetched in this fn by a call: a construction is checked where
                // it is; another call (a factory) gives a crate client.
                Some(o) => o
                    .root_call
                    .as_deref()
                    .filter(|c| !c.starts_with("reqwest::"))
                    .map(|_| ClientKind::Http),
                None => None,
            }
        }
        _ => None,
    }
}
