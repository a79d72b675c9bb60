//! `missing-timeout`: an awaited call to another machine with no deadline.

use super::{Group, Hooks, Rule, RuleMeta, TestCode};
use crate::diagnostic::{Diagnostic, Severity};
use crate::semantic::chain::strip;
use crate::semantic::clients::{construction, ClientKind, DEADLINE_METHODS};
use crate::semantic::index::{report_unless_callers_bound, Explain, IndexQuery, ModelQuery};
use crate::semantic::provenance::{local_init, trace, Traced};
use crate::semantic::runtime::with_timeout;
use crate::semantic::Cx;
use crate::source::TextRange;
use syn::{Expr, ExprCall, ExprMethodCall};

pub struct MissingTimeout;

static META: RuleMeta = RuleMeta {
    name: "missing-timeout",
    severity: Severity::Warning,
    group: Group::Robustness,
    tests: TestCode::Skip,
    summary: "an awaited network call with no deadline: one silent peer and the task waits forever",
    doc: include_str!("../../rules/missing-timeout.md"),
};

/// What the call waits for: the message and help say it in these words.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Wait {
    Http,
    Connect,
    Postgres,
    WebSocket,
    Grpc,
    Datagram,
    /// Named in the configuration's `extra-calls`.
    Configured,
}

/// Free functions that reach another machine and have no deadline of their own.
/// Calls a user configures will join this table.
static EXTERNAL_FNS: &[(&str, Wait)] = &[
    ("reqwest::get", Wait::Http),
    ("tokio::net::TcpStream::connect", Wait::Connect),
    ("tokio_postgres::connect", Wait::Postgres),
    // `connect_async`, `connect_async_with_config`, `connect_async_tls_with_config`.
    ("tokio_tungstenite::connect_async*", Wait::WebSocket),
];

/// Methods that reach another machine, recognised by the call their receiver comes
/// from (directly or through locals of the same fn); a trailing `*` matches a prefix.
struct ExternalMethod {
    roots: &'static [&'static str],
    methods: &'static [&'static str],
    arity: usize,
    /// Builder settings on the way that put a deadline on the call.
    bounded_by: &'static [&'static str],
    wait: Wait,
}

static EXTERNAL_METHODS: &[ExternalMethod] = &[
    ExternalMethod {
        roots: &["reqwest::Client::*", "reqwest::ClientBuilder::new"],
        methods: &["send"],
        arity: 0,
        bounded_by: DEADLINE_METHODS,
        wait: Wait::Http,
    },
    ExternalMethod {
        roots: &[
            "tonic::transport::Endpoint::*",
            "tonic::transport::Channel::from_*",
        ],
        methods: &["connect"],
        arity: 0,
        bounded_by: &["connect_timeout"],
        wait: Wait::Grpc,
    },
    ExternalMethod {
        roots: &["tokio::net::TcpSocket::new_*"],
        methods: &["connect"],
        arity: 1,
        bounded_by: &[],
        wait: Wait::Connect,
    },
    ExternalMethod {
        roots: &["tokio::net::UdpSocket::bind"],
        methods: &["recv", "recv_from"],
        arity: 1,
        bounded_by: &[],
        wait: Wait::Datagram,
    },
];

/// Request-builder methods of a reqwest client: `send` must follow one of them.
const HTTP_VERBS: &[&str] = &["get", "post", "put", "patch", "delete", "head", "request"];

/// Addresses on this machine (also one taken from a listener of this process): a
/// connect to them is answered or refused at once.
const LOOPBACK: &[&str] = &[
    "127.0.0.1",
    "localhost",
    "[::1]",
    "LOCALHOST",
    "local_addr()",
];

impl Rule for MissingTimeout {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }
    fn hooks(&self) -> Hooks {
        Hooks::EXPR
    }

    fn check_expr(&self, cx: &mut Cx, expr: &Expr) {
        if matches!(expr, Expr::Call(_) | Expr::MethodCall(_)) {
            return check_construction(cx, expr);
        }
        let Expr::Await(a) = expr else { return };
        // Under a deadline; in generated code (the fix belongs in the generator).
        if cx.under_deadline || cx.file.is_generated() {
            return;
        }
        let call = strip(&a.base);
        let found = match call {
            Expr::Call(c) => external_fn(cx, call, c),
            Expr::MethodCall(m) => external_method(cx, call, m),
            _ => None,
        };
        let Some((wait, traced)) = found else { return };
        let partial = wait == Wait::Http
            && traced
                .as_ref()
                .is_some_and(|t| way(cx, t, call).contains(".connect_timeout("));
        let local = traced.as_ref().and_then(|t| t.locals.first());
        let client = local.map(|(n, _)| n.as_str());
        let mut d = Diagnostic::new(
            META.name,
            META.severity,
            cx.range(expr),
            message(wait, partial),
        )
        .with_label("no deadline on this call")
        .with_help(help(
            wait,
            cx.snippet(call, 60),
            client,
            traced.is_none(),
            cx.file.runtime,
        ));
        if let Some((name, range)) = local {
            d = d.with_secondary(*range, built_here(name, wait, partial));
        }
        report_unless_callers_bound(cx, d);
    }
}

/// A call of one of [`EXTERNAL_FNS`], unless it connects to this machine or its
/// configuration sets a timeout.
fn external_fn(cx: &Cx, call: &Expr, c: &ExprCall) -> Option<(Wait, Option<Traced>)> {
    let path = cx.call_path(call)?;
    if cx
        .options
        .extra_calls
        .iter()
        .any(|x| matches(&x.path, &path))
    {
        return Some((Wait::Configured, None));
    }
    let (_, wait) = EXTERNAL_FNS.iter().find(|(p, _)| matches(p, &path))?;
    let exempt = match wait {
        Wait::Connect => c.args.first().is_some_and(|a| mentions(cx, a, LOOPBACK)),
        Wait::Postgres => c.args.iter().any(|a| mentions(cx, a, &["connect_timeout"])),
        _ => false,
    };
    (!exempt).then_some((*wait, None))
}

/// A method call from the table whose receiver comes from one of its roots with no
/// bounding setting on the way.
fn external_method(cx: &Cx, call: &Expr, m: &ExprMethodCall) -> Option<(Wait, Option<Traced>)> {
    let fits =
        |e: &&ExternalMethod| e.methods.iter().any(|n| m.method == n) && m.args.len() == e.arity;
    EXTERNAL_METHODS.iter().find(fits)?;
    let traced = trace(cx, &m.receiver)?;
    let entry = EXTERNAL_METHODS
        .iter()
        .filter(fits)
        .find(|e| e.roots.iter().any(|p| matches(p, &traced.root_call)))?;
    let way = way(cx, &traced, call);
    if entry
        .bounded_by
        .iter()
        .any(|b| way.contains(&format!(".{b}(")))
    {
        return None;
    }
    let applies = match entry.wait {
        Wait::Http => traced.has_method(HTTP_VERBS),
        Wait::Connect => !m.args.first().is_some_and(|a| mentions(cx, a, LOOPBACK)),
        // A socket bound to port 0 is a client's: it waits for replies to what it sent.
        // One bound to a known port is a server's, and a server waits for the next
        // request as long as it takes.
        Wait::Datagram => ephemeral(local_init(cx, &m.receiver)),
        _ => true,
    };
    applies.then_some((entry.wait, Some(traced)))
}

/// Whether a path matches a table entry; `a::b::*` matches every path under `a::b::`
/// (`a::b::c`, not `a::b::c::d`), `a::b::c*` every path that starts so.
fn matches(pattern: &str, path: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => path
            .strip_prefix(prefix)
            .is_some_and(|rest| !rest.contains("::")),
        None => pattern == path,
    }
}

/// The code on the way from the value's root call to the end of `call`: the locals'
/// initializers, what is done to them in between (`req = req.timeout(d);`), the chain.
fn way<'a>(cx: &Cx<'a>, traced: &Traced, call: &Expr) -> &'a str {
    let range = cx.range(call);
    let start = traced.locals.first().map_or(range.start, |(_, r)| r.start);
    cx.file.slice(TextRange::new(start, range.end))
}

/// Whether an argument, or the initializer of the local it starts from, mentions one of
/// `words` (`connect_timeout=5` in a connection string built a line earlier).
fn mentions(cx: &Cx, arg: &Expr, words: &[&str]) -> bool {
    let texts = [cx.text(arg), local_init(cx, arg)];
    texts.iter().any(|t| words.iter().any(|w| t.contains(w)))
}

/// Whether a `UdpSocket::bind(..)` initializer binds port 0.
fn ephemeral(init: &str) -> bool {
    let s: String = init.chars().filter(|c| !c.is_whitespace()).collect();
    let args = s.split_once("bind(").map_or("", |(_, rest)| rest);
    args.contains(":0\"") || args.contains(",0)")
}

fn message(wait: Wait, partial: bool) -> String {
    match wait {
        Wait::Http if partial => "this request is bounded only while connecting (`.connect_timeout`): if the server accepts the connection and never answers, the task waits here forever",
        Wait::Http => "this HTTP request has no deadline: if the server accepts the connection and never answers, the task waits here forever, holding everything it owns",
        Wait::Connect => "this connect has no deadline of its own: to an unreachable host it waits until the operating system gives up (over two minutes on Linux), holding everything the task owns",
        Wait::Postgres => "`tokio_postgres::connect` has no connect timeout unless the configuration sets one: an unreachable or stalled database keeps this task waiting",
        Wait::WebSocket => "the WebSocket connect has no deadline: a stalled DNS lookup, TCP connect, TLS handshake or upgrade response keeps this task waiting",
        Wait::Grpc => "the endpoint has no `connect_timeout`: connecting to an unreachable host waits until the operating system gives up, holding everything the task owns",
        Wait::Datagram => "a lost datagram is never resent: this receive waits forever for a reply that will not come",
        Wait::Configured => "this call reaches another machine (per the configuration) and has no deadline: one silent peer and the task waits here forever",
    }
    .to_string()
}

/// A network client built without a deadline, when the crate makes awaited calls with
/// clients it did not build on the spot: reported once, here, with the calls as notes.
fn check_construction(cx: &mut Cx, expr: &Expr) {
    let Some(built) = construction(&cx.file.uses, expr) else {
        return check_helper_build(cx, expr);
    };
    if built.deadline || cx.file.is_generated() {
        return;
    }
    let what = built.kind.describe();
    let d = Diagnostic::new(
        META.name,
        META.severity,
        cx.range(expr),
        format!(
            "this {what} is built without a timeout, and the crate awaits calls made with it: a peer that accepts the connection and never answers keeps each of those tasks waiting forever"
        ),
    )
    .with_label(format!("{what} without a timeout"))
    .with_help(match built.kind {
        ClientKind::Http => "build it with a deadline that bounds every request, `reqwest::Client::builder().timeout(Duration::from_secs(N)).build()?` (`connect_timeout`, `pool_idle_timeout` and `tcp_keepalive` do not bound a request), or bound each call with its own `.timeout(..)`",
        ClientKind::Grpc => "set `.timeout(Duration::from_secs(N))` on the `Endpoint` (it bounds every request made on the channel) and `.connect_timeout(..)` for the connect, or bound each call with `tokio::time::timeout`",
    });
    let line = cx
        .file
        .lines
        .position(
            cx.file.text,
            cx.file.start_of(syn::spanned::Spanned::span(expr)),
        )
        .line as u32;
    cx.report_if_explained(
        IndexQuery::Model(ModelQuery::ClientUsedWithoutDeadline {
            krate: cx.file.krate,
            kind: built.kind,
            file: cx.file.path.to_string(),
            line,
        }),
        d,
        Explain {
            note: "awaited calls made with a client built elsewhere: {chain}".to_string(),
            places: true,
        },
    );
}

/// `client_builder(headers).build()?` in async code, where `client_builder` is a crate
/// fn returning a `reqwest::ClientBuilder` that sets no `.timeout(..)`: the client
/// built here has no deadline, whatever other clients of the crate have.
fn check_helper_build(cx: &mut Cx, expr: &Expr) {
    let Expr::MethodCall(m) = expr else { return };
    if m.method != "build" || !m.args.is_empty() || !cx.in_async() || cx.file.is_generated() {
        return;
    }
    let c = crate::semantic::chain::chain(expr);
    let bounded = c
        .methods
        .iter()
        .any(|m| DEADLINE_METHODS.iter().any(|d| m.method == d));
    let root = strip(c.root);
    if bounded || !matches!(root, Expr::Call(_)) {
        return;
    }
    let Some(helper) = cx.callee(root) else {
        return;
    };
    let name = helper.written();
    let d = Diagnostic::new(
        META.name,
        META.severity,
        cx.range(expr),
        format!(
            "this HTTP client is built from `{name}(..)`, which sets no timeout: a server that accepts the connection and never answers keeps every request made with it waiting forever"
        ),
    )
    .with_label("HTTP client without a timeout")
    .with_help(format!(
        "set `.timeout(Duration::from_secs(N))` before `.build()` (or in `{name}`, for every client built from it); `connect_timeout` alone does not bound a request"
    ));
    cx.report_if(
        IndexQuery::Model(ModelQuery::BuilderWithoutDeadline(helper)),
        d,
    );
}

fn built_here(name: &str, wait: Wait, partial: bool) -> String {
    match wait {
        Wait::Http if partial => format!("`{name}` is built here with only `.connect_timeout(..)`"),
        Wait::Http => format!("`{name}` is built here without `.timeout(..)`"),
        Wait::Grpc => format!("`{name}` is built here without `.connect_timeout(..)`"),
        Wait::Datagram => format!("`{name}` is bound to port 0 here: a client's socket"),
        _ => format!("`{name}` is created here"),
    }
}

/// `from_fn`: the call is one of [`EXTERNAL_FNS`], not a method.
fn help(
    wait: Wait,
    call: String,
    client: Option<&str>,
    from_fn: bool,
    runtime: crate::semantic::Runtime,
) -> String {
    let wrap = with_timeout(runtime, &call);
    let fail = "and treat the elapsed error as a failure of this call (retry, try the next peer, or report it)";
    match (wait, client) {
        (Wait::Http, Some(c)) => format!("set `.timeout(Duration::from_secs(N))` where `{c}` is built (or on this request, before `.send()`), {fail}; or wrap the call: {wrap}"),
        (Wait::Http, None) if from_fn => format!("`reqwest::get` uses a client without a timeout: build one `reqwest::Client` with `.timeout(Duration::from_secs(N))` and reuse it, or wrap the call: {wrap}, {fail}"),
        (Wait::Grpc, Some(c)) => format!("set `.connect_timeout(Duration::from_secs(N))` where `{c}` is built, or wrap the call: {wrap}, {fail}"),
        (Wait::Postgres, _) => format!("set `connect_timeout` in the configuration (`Config::connect_timeout`, or `connect_timeout=N` in the connection string), or wrap the call: {wrap}, {fail}"),
        (Wait::Datagram, _) => format!("wrap the receive: {wrap}, and resend the request or give up when it elapses"),
        _ => format!("wrap the call: {wrap}, {fail}"),
    }
}
