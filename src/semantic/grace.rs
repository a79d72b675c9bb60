//! Waits that are grace periods rather than the only way to stop something: a stop
//! signal sent before the wait, a wait whose outcome is thrown away. Also what a
//! `select!` branch on a timer looks like.

use super::body::place_root;
use super::calls::is_cancel_branch;
use super::chain::{self, strip};
use super::Cx;
use syn::{Expr, Pat, Stmt};

/// Methods that tell a task (or everything) to stop.
const STOP_METHODS: &[&str] = &[
    "cancel",
    "shutdown",
    "stop",
    "close",
    "terminate",
    "kill",
    "quit",
    "halt",
];

/// Methods that carry a stop signal when their receiver is named for one
/// (`shutdown_tx.send(())`, `stop.notify_waiters()`).
const SIGNAL_METHODS: &[&str] = &[
    "send",
    "try_send",
    "send_replace",
    "notify_one",
    "notify_waiters",
    "store",
    "set",
];

/// Words of a `select!` branch future that is a timer.
const TIMER_WORDS: &[&str] = &["sleep", "timeout", "deadline", "delay", "timer"];

/// Whether a call tells something to stop: `token.cancel()`, `server.shutdown()`,
/// `shutdown_tx.send(())`, `drop(stop_tx)`. `Some(root)` names the local the signal
/// goes through (`token`, `self`, `stop_tx`), `Some(None)` when it has none.
pub fn stop_signal(cx: &Cx, e: &Expr) -> Option<Option<String>> {
    match strip(e) {
        Expr::MethodCall(m) => {
            let method = m.method.to_string();
            let stops = STOP_METHODS.contains(&method.as_str())
                || (SIGNAL_METHODS.contains(&method.as_str())
                    && is_cancel_branch(cx.text(&*m.receiver)));
            stops.then(|| place_root(chain::chain(&m.receiver).root))
        }
        Expr::Call(c) => {
            let stops = cx.drop_call_arg(e).is_some()
                && c.args.first().is_some_and(|a| is_cancel_branch(cx.text(a)));
            stops.then(|| c.args.first().and_then(place_root))
        }
        _ => None,
    }
}

/// The expression whose value a statement throws away, looked at through `.await` and
/// `.ok()` / `.is_ok()` / `.is_err()`: `timeout(d, h)` in `let _ = timeout(d,
/// h).await;` or `timeout(d, h).await.ok();`.
pub fn thrown_away(stmt: &Stmt) -> Option<&Expr> {
    let mut e = match stmt {
        Stmt::Expr(e, Some(_)) => e,
        Stmt::Local(l) if matches!(l.pat, Pat::Wild(_)) => &l.init.as_ref()?.expr,
        _ => return None,
    };
    loop {
        match strip(e) {
            Expr::Await(a) => e = &a.base,
            Expr::MethodCall(m)
                if m.args.is_empty() && ["ok", "is_ok", "is_err"].iter().any(|n| m.method == n) =>
            {
                e = &m.receiver
            }
            inner => return Some(inner),
        }
    }
}

/// Whether a `select!` branch future (its source text) is a timer: `sleep(..)`,
/// `sleep_until(..)`, `&mut deadline`, `timer.tick()`.
pub fn is_timer(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    TIMER_WORDS.iter().any(|w| lower.contains(w))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thrown_away_values_and_timers() {
        let s: Stmt = syn::parse_str("let _ = timeout(d, h).await;").unwrap();
        assert!(matches!(thrown_away(&s), Some(Expr::Call(_))));
        let s: Stmt = syn::parse_str("timeout(d, h).await.ok();").unwrap();
        assert!(matches!(thrown_away(&s), Some(Expr::Call(_))));
        let s: Stmt = syn::parse_str("let r = timeout(d, h).await;").unwrap();
        assert!(thrown_away(&s).is_none());
        assert!(is_timer("tokio::time::sleep(d)") && is_timer("&mut deadline"));
        assert!(!is_timer("rx.recv()"));
    }
}
