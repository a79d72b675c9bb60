//! `select-cancel-unsafe`: in a loop around `select!`, a branch future that is not
//! cancel safe is created afresh on every pass, so whatever it had done when another
//! branch won is thrown away.

use super::{Group, Hooks, Rule, RuleMeta, TestCode};
use crate::diagnostic::{Diagnostic, Severity};
use crate::semantic::body::always_exits;
use crate::semantic::chain::{receiver_ident, strip};
use crate::semantic::index::{Explain, IndexQuery, ModelQuery};
use crate::semantic::macros::{parse_body, MacroBody, SelectBranch};
use crate::semantic::provenance::trace;
use crate::semantic::runtime::words;
use crate::semantic::Cx;
use syn::visit::{self, Visit};
use syn::{Block, Expr, Pat};

pub struct SelectCancelUnsafe;

static META: RuleMeta = RuleMeta {
    name: "select-cancel-unsafe",
    severity: Severity::Warning,
    group: Group::Correctness,
    tests: TestCode::Skip,
    summary: "a future that is not cancel safe is re-created in a `select!` inside a loop: when another branch wins, its progress or its value is lost",
    doc: include_str!("../../rules/select-cancel-unsafe.md"),
};

/// What is lost when the future is dropped before it completes.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Loss {
    /// Bytes already read are dropped (tokio: "some data may be lost").
    Read,
    /// A partial write is forgotten: the next call starts from the first byte again.
    Write,
    /// Bytes read into the copy's own buffer and not yet written are dropped.
    Copy,
    /// The place in a fair wait queue (mutex, semaphore, notify).
    Queue,
    /// The value moved into the future (`Sender::send`).
    Value,
    /// A notification sent while no listener exists (`event_listener`'s `listen()`).
    Notify,
    /// What a crate fn had read or written when it was dropped (the model knows the
    /// fn awaits such an operation).
    Helper,
}

/// Methods whose futures tokio documents as not cancel safe, with the number of
/// arguments that tells them apart from cancel-safe namesakes (`RwLock::read()` vs
/// `AsyncReadExt::read(buf)`).
const METHODS: &[(&str, usize, Loss)] = &[
    ("read_exact", 1, Loss::Read),
    ("read_line", 1, Loss::Read),
    ("read_to_string", 1, Loss::Read),
    ("write_all", 1, Loss::Write),
    ("lock", 0, Loss::Queue),
    ("lock_owned", 0, Loss::Queue),
    ("read", 0, Loss::Queue),
    ("read_owned", 0, Loss::Queue),
    ("write", 0, Loss::Queue),
    ("write_owned", 0, Loss::Queue),
    ("acquire", 0, Loss::Queue),
    ("acquire_owned", 0, Loss::Queue),
    ("acquire_many", 1, Loss::Queue),
    ("acquire_many_owned", 1, Loss::Queue),
    ("send", 1, Loss::Value),
    ("send_timeout", 2, Loss::Value),
];

/// `read_u16()`, `read_i64_le()`, ...: multi-byte integer reads lose bytes too
/// (`read_u8`/`read_i8` read one byte and are cancel safe).
const MULTI_BYTE: &[&str] = &[
    "u16", "i16", "u32", "i32", "u64", "i64", "u128", "i128", "f32", "f64",
];

/// Free functions that are not cancel safe.
const FNS: &[(&str, Loss)] = &[
    ("tokio::io::copy", Loss::Copy),
    ("tokio::io::copy_bidirectional", Loss::Copy),
];

impl Rule for SelectCancelUnsafe {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }
    fn hooks(&self) -> Hooks {
        Hooks::EXPR
    }

    fn check_expr(&self, cx: &mut Cx, expr: &Expr) {
        let body = match expr {
            Expr::Loop(l) => &l.body,
            Expr::While(w) => &w.body,
            Expr::ForLoop(f) => &f.body,
            _ => return,
        };
        for select in selects_in(body) {
            let MacroBody::Select(branches) = &*select else {
                continue;
            };
            check_select(cx, branches);
        }
    }
}

fn check_select(cx: &mut Cx, branches: &[SelectBranch]) {
    for (i, b) in branches.iter().enumerate() {
        let Some(fut) = &b.future else { continue };
        let Some((op, loss, call)) = unsafe_op(cx, fut) else {
            check_helper(cx, branches, i, b, fut);
            continue;
        };
        let receiver = match call {
            Expr::MethodCall(m) => Some(&*m.receiver),
            _ => None,
        };
        if !loss_matters(cx, b, loss, call, receiver) {
            continue;
        }
        // Only a branch that lets the loop go on makes the loss matter: when the
        // winner breaks out or returns, the half-done future is abandoned on purpose.
        let Some(rival) = branches
            .iter()
            .enumerate()
            .find_map(|(j, r)| match &r.future {
                Some(f) if j != i && !always_exits(&r.handler) => Some(f),
                _ => None,
            })
        else {
            continue;
        };
        let fut_text = cx.snippet(fut, 48);
        let d = Diagnostic::new(META.name, META.severity, cx.range(fut), message(&op, loss))
            .with_label("created afresh on every pass of the loop")
            .with_secondary(
                cx.range(rival),
                "when this branch wins, the loop goes round and starts over",
            )
            .with_help(help(
                &op,
                loss,
                receiver.map(|r| cx.snippet(r, 48)),
                &fut_text,
                words(cx.file.runtime).pin,
            ));
        cx.report(d);
    }
}

/// The operation a branch future starts, seen through `.fuse()` and `Box::pin(..)`,
/// if it is not cancel safe: its name, what is lost, and its call.
fn unsafe_op<'e>(cx: &Cx, fut: &'e Expr) -> Option<(String, Loss, &'e Expr)> {
    match strip(fut) {
        Expr::MethodCall(m) if m.method == "fuse" && m.args.is_empty() => {
            unsafe_op(cx, &m.receiver)
        }
        Expr::MethodCall(m) if m.method == "listen" && m.args.is_empty() => {
            let event_listener = cx.file.uses.imports_crate("event_listener")
                || crate::semantic::text::mentions(cx.file.text, "event_listener");
            event_listener.then(|| ("listen".to_string(), Loss::Notify, strip(fut)))
        }
        Expr::MethodCall(m) => {
            let name = m.method.to_string();
            let loss = METHODS
                .iter()
                .find(|(n, arity, _)| *n == name && *arity == m.args.len())
                .map(|(_, _, l)| *l)
                .or_else(|| {
                    let ty = name.strip_prefix("read_")?;
                    let ty = ty.strip_suffix("_le").unwrap_or(ty);
                    (m.args.is_empty() && MULTI_BYTE.contains(&ty)).then_some(Loss::Read)
                })?;
            Some((name, loss, strip(fut)))
        }
        Expr::Call(c) => {
            let path = cx.call_path(fut)?;
            if path == "std::boxed::Box::pin" && c.args.len() == 1 {
                return unsafe_op(cx, &c.args[0]);
            }
            let (_, loss) = FNS.iter().find(|(p, _)| *p == path)?;
            let name = path.rsplit("::").next().unwrap_or(&path).to_string();
            Some((name, *loss, strip(fut)))
        }
        _ => None,
    }
}

/// Whether what is lost matters here. A queue place does not when the wait is only
/// a signal (its output thrown away: `_ = sem.acquire()`) or the primitive was made
/// in this fn (no other waiter to overtake this one). Read data does not when it goes
/// into a buffer the code marks as unused (`&mut _ignored`).
fn loss_matters(
    cx: &Cx,
    b: &SelectBranch,
    loss: Loss,
    call: &Expr,
    receiver: Option<&Expr>,
) -> bool {
    match loss {
        Loss::Queue => {
            !matches!(b.pat, Some(Pat::Wild(_))) && receiver.is_none_or(|r| trace(cx, r).is_none())
        }
        Loss::Read => !matches!(call, Expr::MethodCall(m) if m.args.iter().any(|a| {
            matches!(strip(a), Expr::Reference(r) if receiver_ident(&r.expr).is_some_and(|i| i.to_string().starts_with('_')))
        })),
        _ => true,
    }
}

fn message(op: &str, loss: Loss) -> String {
    let what = match loss {
        Loss::Read => "the bytes it has already read are dropped with it, and the next read starts in the middle of the data",
        Loss::Write => "a partly written buffer is abandoned: the next `write_all` starts again from the first byte, so the peer receives that part twice",
        Loss::Copy => "the bytes it has read but not yet written are dropped with its buffer",
        Loss::Queue => "the waiting future is dropped and gives up its place in the queue, so under contention this task can keep being overtaken",
        Loss::Value => "the pending send is dropped together with the message it holds: the message is lost",
        Loss::Notify => "the listener is dropped, and a notification sent before the next one is created is missed: the loop can go on waiting for an event that already happened",
        Loss::Helper => "what it had read or written so far is lost with it (it awaits an operation that is not cancel safe)",
    };
    format!("`{op}` is created afresh on every pass of the loop: when another branch of this `select!` wins, {what}")
}

fn help(op: &str, loss: Loss, receiver: Option<String>, fut: &str, pin_macro: &str) -> String {
    let recv = receiver.unwrap_or_else(|| "..".to_string());
    let pin = format!("create the future once before the loop (`let fut = {fut}; {pin_macro}(fut);`), select on `&mut fut` and re-arm it with `fut.set(..)` after it completes");
    match loss {
        Loss::Read if op == "read_line" => format!("keep the partial line between passes: make `let mut lines = {recv}.lines();` before the loop and select on `lines.next_line()`, which is cancel safe; or {pin}"),
        Loss::Read => format!("read with the cancel-safe `{recv}.read_buf(&mut buf)` into a buffer that lives outside the loop and take complete frames from it (what `tokio_util::codec::FramedRead` does); or {pin}"),
        Loss::Write => format!("{pin}; or write with `{recv}.write_all_buf(&mut buf)`, which advances `buf` past what was written"),
        Loss::Copy | Loss::Queue | Loss::Helper => pin,
        Loss::Notify => format!("create the listener before checking the condition and keep it across passes (`let listener = event.listen();` outside the loop, a new one only after it fires), or {pin}"),
        Loss::Value => format!("reserve a slot first: select on `permit = {recv}.reserve()` and call `permit.send(..)` in its handler, so the message is moved only once it can be delivered"),
    }
}

/// The `select!` bodies a loop body evaluates on every pass: not those in nested
/// loops (checked for their own loop), closures, async blocks or fn items.
fn selects_in(body: &Block) -> Vec<std::rc::Rc<MacroBody>> {
    #[derive(Default)]
    struct Finder {
        found: Vec<std::rc::Rc<MacroBody>>,
    }
    impl<'ast> Visit<'ast> for Finder {
        fn visit_expr(&mut self, e: &'ast Expr) {
            stacker::maybe_grow(64 * 1024, 1024 * 1024, || match e {
                Expr::Loop(_)
                | Expr::While(_)
                | Expr::ForLoop(_)
                | Expr::Closure(_)
                | Expr::Async(_) => {}
                _ => visit::visit_expr(self, e),
            })
        }
        fn visit_item(&mut self, _: &'ast syn::Item) {}
        fn visit_macro(&mut self, m: &'ast syn::Macro) {
            let body = parse_body(m);
            if let MacroBody::Select(branches) = &*body {
                for b in branches.iter() {
                    <Self as Visit<'_>>::visit_expr(self, &b.handler);
                }
                self.found.push(body.clone());
            }
        }
    }
    let mut f = Finder::default();
    f.visit_block(body);
    f.found
}

/// A branch future that is a call of a crate fn which awaits an operation that is not
/// cancel safe (`read_frame(&mut conn)` where `read_frame` awaits `read_exact`): reported
/// if the crate model says so, with the chain as a note.
fn check_helper(cx: &mut Cx, branches: &[SelectBranch], i: usize, b: &SelectBranch, fut: &Expr) {
    let call = match strip(fut) {
        Expr::MethodCall(m) if m.method == "fuse" && m.args.is_empty() => strip(&m.receiver),
        e => e,
    };
    if !matches!(call, Expr::Call(_) | Expr::MethodCall(_)) {
        return;
    }
    let Some(callee) = cx.callee(call) else {
        return;
    };
    let rival = branches
        .iter()
        .enumerate()
        .find_map(|(j, r)| match &r.future {
            Some(f) if j != i && !always_exits(&r.handler) => Some(f),
            _ => None,
        });
    let Some(rival) = rival else {
        return;
    };
    let _ = b;
    let op = callee.written();
    let fut_text = cx.snippet(fut, 48);
    let d = Diagnostic::new(
        META.name,
        META.severity,
        cx.range(fut),
        message(&op, Loss::Helper),
    )
    .with_label("created afresh on every pass of the loop")
    .with_secondary(
        cx.range(rival),
        "when this branch wins, the loop goes round and starts over",
    )
    .with_help(help(
        &op,
        Loss::Helper,
        None,
        &fut_text,
        words(cx.file.runtime).pin,
    ));
    cx.report_if_explained(
        IndexQuery::Model(ModelQuery::CancelUnsafe(callee)),
        d,
        Explain {
            note: "it is not cancel safe through {chain}".to_string(),
            places: false,
        },
    );
}
