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
    "send_to",
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

/// Awaited in a loop, these pace it on purpose (a delay between
/// requests, a rate limiter, giving other tasks a turn): sequential by design.
pub const PACING: &[&str] = &[
    "sleep",
    "sleep_until",
    "delay_for",
    "delay_until",
    "tick",
    "until_ready",
    "until_key_ready",
    "yield_now",
];

/// Awaited before a call, these hold a lock or permit while it runs: the calls are
/// serialized by that lock anyway.
pub const SERIALIZING: &[&str] = &[
    "lock",
    "lock_owned",
    "acquire",
    "acquire_owned",
    "acquire_many",
    "acquire_many_owned",
];

/// Effects whose order other parties observe (subscribers, a log, a schema): items
/// must not overtake each other. Matched as a verb or a `verb_` prefix.
pub const ORDERED_EFFECTS: &[&str] = &[
    "publish",
    "emit",
    "notify",
    "append",
    "push",
    "broadcast",
    "apply",
    "migrate",
    "replay",
    "commit",
    "ack",
    "nack",
    "dispatch",
    "enqueue",
    "on",
    "handle",
    "send_message",
    "register",
    "mount",
    "log",
    "trace",
    "debug",
    "info",
    "warn",
    "error",
];

/// Get-or-create operations: run together for two items that map to the same key,
/// both miss and both create. Matched anywhere in the name.
pub const RACY_CREATE: &[&str] = &["or_create", "or_insert", "upsert"];

/// Whether awaiting `name` paces a loop on purpose (a timer, a rate limiter).
pub fn is_pacing(name: &str) -> bool {
    PACING.contains(&name)
}

/// Whether awaiting `name` takes a lock or permit (`lock`, `lock_and_write`, `acquire`).
pub fn is_serializing(name: &str) -> bool {
    SERIALIZING.contains(&name) || name.starts_with("lock_")
}

/// Whether `name` is an effect whose order others observe, or a get-or-create.
pub fn is_order_sensitive(name: &str) -> bool {
    is_read_like(name, ORDERED_EFFECTS) || RACY_CREATE.iter().any(|r| name.contains(r))
}

/// Names of a local that holds ONE database connection or transaction, which runs one
/// statement at a time: `conn`, `tx`, `db_conn`, `txn`, `transaction`.
const CONNECTION_NAMES: &[&str] = &["conn", "connection", "tx", "txn", "transaction", "trx"];

/// Type names of one connection or transaction (not a pool): `PgConnection`,
/// `DbConn`, `Transaction<'_, Postgres>`, `SqliteConnection`.
const CONNECTION_TYPES: &[&str] = &["Connection", "Conn", "Transaction"];

/// Whether a local named `name` (declared with type `ty`, a resolved path) is one
/// connection or transaction: statements on it run one after another whatever the
/// code does, and several borrowers cannot interleave on it.
pub fn is_one_connection(name: &str, ty: Option<&str>) -> bool {
    let by_name = CONNECTION_NAMES
        .iter()
        .any(|c| name == *c || name.strip_suffix(c).is_some_and(|rest| rest.ends_with('_')));
    let by_type = ty.and_then(|t| t.rsplit("::").next()).is_some_and(|last| {
        !last.contains("Pool") && CONNECTION_TYPES.iter().any(|c| last.ends_with(c))
    });
    by_name || by_type
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
        assert!(!is_known_async_fn("tokio::fs::File::open"));
        assert!(is_known_async_fn("tokio::time::sleep"));
        assert!(is_pacing("tick") && is_serializing("lock_and_write"));
        assert!(is_order_sensitive("notify_all") && is_order_sensitive("find_or_create_tag"));
        assert!(!is_order_sensitive("fetch_user") && !is_order_sensitive("online"));
        assert!(is_one_connection("conn", None) && is_one_connection("db_conn", None));
        assert!(is_one_connection("c", Some("sqlx::PgConnection")));
        assert!(is_one_connection("t", Some("sqlx::Transaction")));
        assert!(!is_one_connection("pool", Some("sqlx::PgPool")));
        assert!(!is_one_connection("reconnect", None) && !is_one_connection("client", None));
    }
}
