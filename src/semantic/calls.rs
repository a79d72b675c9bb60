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
    "tokio::fs::File::open",
    "tokio::fs::File::create",
    "tokio::fs::File::create_new",
    "tokio::net::TcpStream::connect",
    "tokio::net::UnixStream::connect",
    "tokio::io::copy",
    "tokio::io::copy_buf",
    "tokio::io::copy_bidirectional",
    "async_std::task::yield_now",
    "async_std::net::TcpStream::connect",
    "async_std::net::TcpListener::bind",
    "smol::Timer::after",
    "async_io::Timer::after",
    "futures::future::select_all",
    "futures_util::future::select_all",
    "reqwest::get",
];

/// Method names that std types (collections, I/O, sync primitives, channels, cells,
/// atomics, iterators, `Option`/`Result`) or the async runtimes' own handles
/// (`JoinHandle::abort`, `Runnable::run`, `Task::detach`, `Waker::wake`,
/// `CancellationToken::cancel`) also have as sync methods. The receiver's type is
/// unknown to the syntax, so a method call by one of these names is never taken for a
/// call of the checked code's async method of the same name: `map.insert(k, v);` stays
/// quiet even when some `async fn insert(&self, k, v)` exists.
pub const STD_METHOD_NAMES: &[&str] = &[
    "get",
    "get_mut",
    "insert",
    "remove",
    "push",
    "push_back",
    "push_front",
    "push_str",
    "pop",
    "pop_back",
    "pop_front",
    "append",
    "extend",
    "extend_from_slice",
    "truncate",
    "clear",
    "drain",
    "retain",
    "sort",
    "sort_by",
    "dedup",
    "reserve",
    "resize",
    "swap",
    "take",
    "replace",
    "set",
    "entry",
    "contains",
    "contains_key",
    "len",
    "is_empty",
    "iter",
    "into_iter",
    "next",
    "map",
    "and_then",
    "unwrap",
    "expect",
    "clone",
    "into",
    "as_ref",
    "borrow",
    "borrow_mut",
    "send",
    "try_send",
    "send_to",
    "recv",
    "try_recv",
    "recv_from",
    "write",
    "write_all",
    "write_fmt",
    "write_str",
    "read",
    "read_exact",
    "read_to_end",
    "read_to_string",
    "read_line",
    "flush",
    "seek",
    "sync_all",
    "sync_data",
    "set_len",
    "close",
    "shutdown",
    "connect",
    "bind",
    "accept",
    "lock",
    "try_lock",
    "wait",
    "wait_timeout",
    "notify_one",
    "notify_all",
    "join",
    "unpark",
    "kill",
    "spawn",
    "store",
    "load",
    "fetch_add",
    "fetch_sub",
    "fetch_update",
    "compare_exchange",
    "call",
    "call_once",
    "call_mut",
    "finish",
    "fill",
    "copy_from",
    "for_each",
    "collect",
    "fold",
    "count",
    "or_insert",
    "or_insert_with",
    "or_default",
    "and_modify",
    "drop",
    "hash",
    "fmt",
    "to_string",
    "abort",
    "run",
    "cancel",
    "detach",
    "wake",
    "wake_by_ref",
    "schedule",
];

pub fn is_std_method_name(name: &str) -> bool {
    STD_METHOD_NAMES.contains(&name)
}

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
        assert!(!is_known_async_fn("tokio::fs::OpenOptions::new"));
        assert!(is_known_async_fn("tokio::fs::File::open"));
        assert!(is_std_method_name("insert") && !is_std_method_name("delete"));
        assert!(is_known_async_fn("tokio::time::sleep"));
    }
}
