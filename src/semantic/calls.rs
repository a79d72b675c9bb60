//! Tables of well-known async operations, as data: which awaited operations are
//! sequential by nature, which names read rather than write, which calls combine
//! futures, and which library fns are async.

/// Awaited operations that are sequential by nature: running them "together" makes no
/// sense (a timer, a lock queue, a channel, a stream read in order). Matched against
/// the method or fn name; names starting with `read` or `write` match too.
pub const SEQUENTIAL_OPS: &[&str] = &[
    "sleep",
    "sleep_until",
    "tick",
    "lock",
    "lock_owned",
    "acquire",
    "acquire_owned",
    "acquire_many",
    "acquire_many_owned",
    "send",
    "send_all",
    "send_timeout",
    "reserve",
    "recv",
    "recv_many",
    "recv_from",
    "next",
    "try_next",
    "next_line",
    "next_entry",
    "flush",
    "feed",
    "shutdown",
    "ready",
    "changed",
    "notified",
    "accept",
    "wait",
    "wait_for",
    "closed",
    "cancelled",
    "peek",
    "copy",
    "copy_buf",
    "yield_now",
];

/// Whether an awaited operation named `name` is sequential by nature.
pub fn is_sequential_op(name: &str) -> bool {
    SEQUENTIAL_OPS.contains(&name) || name.starts_with("read") || name.starts_with("write")
}

/// Verbs of operations that only read, so running several at once cannot change the
/// outcome (`sequential-awaits`): a name matches when it is one of these or starts
/// with one followed by `_` (`get_user`, `fetch_orders`).
pub const READ_LIKE_VERBS: &[&str] = &[
    "get", "fetch", "load", "read", "query", "find", "list", "lookup", "resolve", "download",
    "search", "count", "retrieve", "describe", "head", "stat", "scan", "select",
];

pub fn is_read_like(name: &str, verbs: &[&str]) -> bool {
    verbs.iter().any(|v| {
        name == *v
            || name
                .strip_prefix(v)
                .is_some_and(|rest| rest.starts_with('_'))
    })
}

/// Calls that run several futures together: awaiting one of them is already
/// concurrent.
pub const JOIN_COMBINATORS: &[&str] = &[
    "join",
    "join3",
    "join4",
    "join5",
    "join_all",
    "try_join",
    "try_join3",
    "try_join4",
    "try_join5",
    "try_join_all",
    "select",
    "select_all",
    "select_ok",
    "race",
    "zip",
    "try_zip",
];

/// Library fns that are async (or return a future), by full path; a trailing `*`
/// matches a whole module. Calling one without awaiting it does nothing.
pub const KNOWN_ASYNC_FNS: &[&str] = &[
    "tokio::time::sleep",
    "tokio::time::sleep_until",
    "tokio::time::timeout",
    "tokio::fs::*",
    "tokio::net::TcpStream::connect",
    "tokio::net::TcpListener::bind",
    "tokio::net::UdpSocket::bind",
    "tokio::net::lookup_host",
    "tokio::signal::ctrl_c",
    "tokio::task::yield_now",
    "async_std::task::sleep",
    "async_std::fs::*",
    "futures::future::join_all",
    "futures::future::try_join_all",
    "futures_util::future::join_all",
    "futures_util::future::try_join_all",
    "reqwest::get",
];

pub fn is_known_async_fn(path: &str) -> bool {
    KNOWN_ASYNC_FNS.iter().any(|p| match p.strip_suffix('*') {
        Some(prefix) => path.starts_with(prefix) && !path[prefix.len()..].contains("::"),
        None => *p == path,
    })
}

/// Fns that put a deadline on the future they are given.
pub const DEADLINE_FNS: &[&str] = &[
    "tokio::time::timeout",
    "tokio::time::timeout_at",
    "async_std::future::timeout",
    "async_std::io::timeout",
    "futures_time::future::timeout",
];

/// Extension-trait adapters that put a deadline on their receiver
/// (`fut.timeout(d)` from tokio-stream, async-std, futures-time, ...).
pub const DEADLINE_METHODS: &[&str] = &["timeout", "timeout_at", "with_timeout"];

/// Words that mark a `select!` branch as a deadline or a way to cancel: a branch on
/// `sleep(..)`, `deadline`, `token.cancelled()`, a shutdown channel, `ctrl_c()`.
const DEADLINE_WORDS: &[&str] = &[
    "sleep", "deadline", "timeout", "cancel", "shutdown", "ctrl_c", "stop", "timer",
];

/// Whether a `select!` branch future (its source text) is a deadline or cancellation.
pub fn is_deadline_branch(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    DEADLINE_WORDS.iter().any(|w| lower.contains(w))
}

/// Words that mark a `select!` branch as a way to stop a loop: a token's
/// `cancelled()`, a shutdown or stop channel, a signal, a `watch` receiver's
/// `changed()`, a sender's `closed()`.
const CANCEL_WORDS: &[&str] = &[
    "cancel",
    "shutdown",
    "stop",
    "quit",
    "exit",
    "terminate",
    "kill",
    "abort",
    "halt",
    "ctrl_c",
    "signal",
    "changed",
    "closed",
    "done",
];

/// Whether a `select!` branch future (its source text) is a cancellation signal.
pub fn is_cancel_branch(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    CANCEL_WORDS.iter().any(|w| lower.contains(w))
}

/// Calls that end the whole process, by the last segment of a plain call's path
/// (`std::process::exit(1)`, or `exit(1)` after `use std::process::exit`).
pub const PROCESS_EXITS: &[&str] = &["exit", "abort"];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_match_by_name() {
        assert!(is_sequential_op("read_exact") && is_sequential_op("tick"));
        assert!(!is_sequential_op("fetch_user"));
        assert!(is_read_like("get_user", READ_LIKE_VERBS));
        assert!(is_read_like("fetch", READ_LIKE_VERBS));
        assert!(!is_read_like("getaway", READ_LIKE_VERBS));
        assert!(!is_read_like("save_user", READ_LIKE_VERBS));
        assert!(is_known_async_fn("tokio::fs::read_to_string"));
        assert!(!is_known_async_fn("tokio::fs::File::open"));
        assert!(is_known_async_fn("tokio::time::sleep"));
        assert!(is_cancel_branch("token.cancelled()") && is_cancel_branch("shutdown_rx.recv()"));
        assert!(!is_cancel_branch("interval.tick()") && !is_cancel_branch("rx.recv()"));
    }
}
