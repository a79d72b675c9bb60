//! Tables of well-known async operations, as data: which awaited operations are
//! sequential by nature, which names read rather than write, which calls combine
//! futures, and which library fns are async.

use super::chain;
use syn::Expr;

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

/// What runs a query of `sqlx` (or hands out its connection or transaction).
const DB_OPS: &[&str] = &[
    "execute",
    "execute_many",
    "fetch",
    "fetch_all",
    "fetch_one",
    "fetch_optional",
    "fetch_many",
    "begin",
    "commit",
    "rollback",
    "acquire",
];

/// Whether `text` uses SQLite and no networked database: its queries run in this
/// process, on a local file, one writer at a time.
pub fn embedded_db(text: &str) -> bool {
    use super::text::mentions;
    (mentions(text, "Sqlite") || mentions(text, "sqlite::"))
        && ![
            "Postgres",
            "PgPool",
            "PgConnection",
            "MySql",
            "Mssql",
            "AnyPool",
            "postgres::",
            "mysql::",
        ]
        .iter()
        .any(|n| mentions(text, n))
}

/// Whether an awaited call named `name` in `file` is a query on the file's embedded
/// database: no network round-trip to overlap.
pub fn embedded_db_op(file: &super::FileInfo, name: &str) -> bool {
    file.embedded_db && DB_OPS.contains(&name)
}

/// Whether an awaited method named `name` computes locally, with no round trip to
/// overlap: an object store's presigned URL (`op.presign_read(path, ttl)`, the AWS
/// SDK's `.presigned(config)`) is signed with credentials the client already holds.
pub fn signs_locally(name: &str) -> bool {
    name.starts_with("presign")
}

/// Methods that add to a collection in place.
pub const GROW_METHODS: &[&str] = &["push", "push_back", "push_front", "insert", "extend"];

/// Async file-system modules.
const ASYNC_FS_MODULES: &[&str] = &[
    "tokio::fs::",
    "async_std::fs::",
    "smol::fs::",
    "async_fs::",
    "compio::fs::",
    "monoio::fs::",
    "tokio_uring::fs::",
];

/// Calls of an async file-system module that change what is on disk.
const FS_WRITES: &[&str] = &[
    "rename",
    "remove_file",
    "remove_dir",
    "remove_dir_all",
    "create_dir",
    "create_dir_all",
    "write",
    "copy",
    "hard_link",
    "symlink",
    "set_permissions",
];

/// Whether an awaited call changes what is on this machine's disk: a writing call of
/// an async file-system module by its resolved path (`compio::fs::rename(..)`,
/// `tokio::fs::remove_file(..)`), or a file's flush to disk (`.sync_all()`,
/// `.sync_data()`). A loop of such calls is ordered on purpose: after a crash, the
/// order it chose (write, fsync, rename) is what leaves the state recoverable.
pub fn writes_to_disk(path: Option<&str>, method: Option<&str>) -> bool {
    path.is_some_and(|p| {
        ASYNC_FS_MODULES
            .iter()
            .any(|m| p.strip_prefix(m).is_some_and(changes_disk))
    }) || method.is_some_and(|m| matches!(m, "sync_all" | "sync_data"))
}

/// Whether a file-system module's fn of this name (`rename`, `write`) changes what is
/// on disk.
pub fn changes_disk(f: &str) -> bool {
    FS_WRITES.contains(&f)
}

/// Whether an awaited expression only hands the thread back to the executor for a
/// moment: `yield_now()` of any runtime, or a sleep of `Duration::ZERO`.
pub fn only_yields(e: &syn::Expr) -> bool {
    let syn::Expr::Call(c) = super::chain::strip(e) else {
        return false;
    };
    let syn::Expr::Path(p) = &*c.func else {
        return false;
    };
    match p
        .path
        .segments
        .last()
        .map(|s| s.ident.to_string())
        .as_deref()
    {
        Some("yield_now") => c.args.is_empty(),
        // `sleep(Duration::ZERO)`
        Some("sleep") => match c.args.first().map(super::chain::strip) {
            Some(syn::Expr::Path(d)) if c.args.len() == 1 => {
                let segs: Vec<_> = d.path.segments.iter().rev().take(2).collect();
                matches!(segs[..], [zero, ty] if zero.ident == "ZERO" && ty.ident == "Duration")
            }
            _ => false,
        },
        _ => false,
    }
}

/// Methods that, called with no arguments and awaited, take an async lock or a
/// semaphore permit: they wait for other tasks, not for I/O.
pub const ASYNC_LOCK_METHODS: &[&str] = &[
    "lock",
    "lock_owned",
    "read",
    "read_owned",
    "write",
    "write_owned",
    "upgradable_read",
    "acquire",
    "acquire_owned",
];

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

/// Words that mark an operation as one that changes something, wherever they appear
/// in a snake_case name (`get_or_create_user`, `fetch_and_import`, `insert_into`): such
/// a call is not a pure read even when its name starts with a read verb.
pub const WRITE_LIKE_WORDS: &[&str] = &[
    "insert",
    "update",
    "upsert",
    "delete",
    "remove",
    "create",
    "set",
    "put",
    "post",
    "patch",
    "save",
    "store",
    "write",
    "send",
    "push",
    "add",
    "append",
    "import",
    "export",
    "sync",
    "execute",
    "exec",
    "commit",
    "rollback",
    "publish",
    "emit",
    "notify",
    "apply",
    "register",
    "replace",
    "merge",
    "drop",
    "truncate",
    "clear",
    "reset",
    "mark",
    "lock",
    "claim",
    "consume",
    "take",
    "pop",
    "ack",
    "increment",
    "decrement",
    "incr",
    "decr",
    "upload",
    "submit",
    "migrate",
    "refresh",
    "invalidate",
    "evict",
    "cache",
    "init",
    "start",
    "stop",
    "spawn",
    "subscribe",
    "follow",
    "approve",
    "reject",
    "cancel",
    "values",
    "returning",
    "reserve",
    "charge",
    "refund",
    "pay",
    "transfer",
    "withdraw",
    "deposit",
    "allocate",
    "assign",
    "grant",
    "revoke",
    "enqueue",
    "persist",
    "record",
    "flush",
    "archive",
    "book",
    "confirm",
    "activate",
    "deactivate",
    "enable",
    "disable",
    "ban",
    "unban",
];

/// Write words that are also nouns: right after a leading read verb they name what is
/// read (`get_post`, `fetch_commit`, `load_store`), not a second action.
const NOUN_LIKE_WRITES: &[&str] = &[
    "post", "store", "cache", "mark", "set", "lock", "values", "follow", "claim", "commit",
    "patch", "update", "sync", "start", "stop", "init", "export", "import", "push", "record",
    "book", "archive", "charge", "grant", "transfer", "deposit", "ban",
];

/// The write-like words of a snake_case name, lowercased, not counting a noun-like one
/// that is the object of a leading read verb (`get_post`).
pub fn write_words(name: &str) -> impl Iterator<Item = String> + '_ {
    let mut read_first = false;
    name.split('_').enumerate().filter_map(move |(i, w)| {
        let w = w.to_ascii_lowercase();
        if i == 0 {
            read_first = READ_LIKE_VERBS.contains(&w.as_str());
        }
        let object = read_first && i == 1 && NOUN_LIKE_WRITES.contains(&w.as_str());
        (WRITE_LIKE_WORDS.contains(&w.as_str()) && !object).then_some(w)
    })
}

/// Whether a snake_case name contains a write-like word (see [`write_words`]).
pub fn mentions_write(name: &str) -> bool {
    write_words(name).next().is_some()
}

/// SQL keywords of statements that change data or schema.
const SQL_WRITE_KEYWORDS: &[&str] = &[
    "insert", "update", "delete", "upsert", "merge", "create", "drop", "alter", "truncate",
    "replace", "grant", "revoke", "lock", "call",
];

/// Whether a string literal's text reads like a SQL statement that writes
/// (`"UPDATE users SET .."`): it starts with, or contains as a word, a write keyword
/// next to SQL structure.
pub fn sql_writes(text: &str) -> bool {
    is_sql(text)
        && sql_words(text)
            .iter()
            .any(|w| SQL_WRITE_KEYWORDS.contains(&w.as_str()))
}

/// Whether a string literal's text reads like a SQL statement (it names SQL structure:
/// `select`, `from`, `where`, `into`, `set`, `values`, `table`, `returning`).
pub fn is_sql(text: &str) -> bool {
    sql_words(text).iter().any(|w| {
        matches!(
            w.as_str(),
            "select" | "from" | "where" | "into" | "set" | "values" | "table" | "returning"
        )
    })
}

fn sql_words(text: &str) -> Vec<String> {
    text.to_ascii_lowercase()
        .split(|c: char| !c.is_ascii_alphanumeric() && c != '_')
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

/// Whether a call chain says that it writes, whatever verb it ends with: a write word
/// in its root fn or a method name (`insert_into(t).values(..).get_results(conn)`,
/// `get_or_create_user(..)`), or a SQL literal that writes
/// (`query("UPDATE ..").fetch_one(..)`).
pub fn chain_writes(base: &Expr) -> bool {
    let c = chain::chain(base);
    let root_name = chain::call_path(c.root)
        .and_then(|p| p.segments.last())
        .map(|s| s.ident.to_string());
    let mut names = c
        .methods
        .iter()
        .map(|m| m.method.to_string())
        .chain(root_name);
    names.any(|n| mentions_write(&n)) || string_literals(base).iter().any(|s| sql_writes(s))
}

/// The string literals in an expression, macro bodies included.
pub fn string_literals(e: &Expr) -> Vec<String> {
    fn walk(ts: proc_macro2::TokenStream, out: &mut Vec<String>) {
        for tt in ts {
            match tt {
                proc_macro2::TokenTree::Literal(l) => {
                    let text = l.to_string();
                    if text.starts_with('"') || text.starts_with('r') {
                        out.push(text);
                    }
                }
                proc_macro2::TokenTree::Group(g) => walk(g.stream(), out),
                _ => {}
            }
        }
    }
    let mut out = Vec::new();
    walk(quote::ToTokens::to_token_stream(e), &mut out);
    out
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

/// Methods that run the connector they are given under a deadline their receiver
/// was configured with (method, setting): tonic's `Endpoint::connect_with_connector`
/// applies the endpoint's `connect_timeout` to a custom connector.
pub const DEADLINE_IF_CONFIGURED: &[(&str, &str)] = &[
    ("connect_with_connector", "connect_timeout"),
    ("connect_with_connector_lazy", "connect_timeout"),
];

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

/// Verbs that change rows of a store: `delete`, `Post::update`, `create_user`. Written
/// one per item, the writes reach the store in the order given; whether that order
/// matters (an ordered log, rows that refer to each other) is not in the syntax, and
/// the fix for many of them is one batched statement or transaction, not more at once.
/// `add` and `append` add to an ordered collection the same way (`add_item_to_queue`,
/// `append_entry`).
const ROW_WRITES: &[&str] = &[
    "insert", "update", "delete", "remove", "create", "save", "add", "append",
];

/// Whether `name` writes rows of a store (see [`ROW_WRITES`]).
pub fn is_row_write(name: &str) -> bool {
    is_read_like(name, ROW_WRITES)
}

/// Methods that run the statement a query builder built: `Entity::delete_many()
/// .filter(..).exec(&db)`, `diesel::insert_into(t).values(v).execute(conn)`.
const STATEMENT_RUNS: &[&str] = &[
    "exec",
    "execute",
    "exec_with_returning",
    "exec_without_returning",
    "get_result",
    "get_results",
];

/// Whether the awaited call `name` on `e` writes rows: a row-write verb itself, or the
/// run of a statement whose builder chain starts with or calls one.
pub fn is_row_write_call(name: &str, e: &Expr) -> bool {
    if is_row_write(name) {
        return true;
    }
    if !STATEMENT_RUNS.contains(&name) {
        return false;
    }
    let c = chain::chain(e);
    let root_writes = chain::call_path(c.root)
        .and_then(|p| p.segments.last())
        .is_some_and(|s| is_row_write(&s.ident.to_string()));
    root_writes
        || c.methods
            .iter()
            .any(|m| is_row_write(&m.method.to_string()))
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
        assert!(mentions_write("get_or_create_user") && mentions_write("fetch_and_import"));
        assert!(!mentions_write("get_user_settings") && !mentions_write("list_posts"));
        // A noun after the read verb is what is read; after a conjunction, a verb.
        assert!(!mentions_write("get_post") && !mentions_write("fetch_commit_info"));
        assert!(mentions_write("get_and_store") && mentions_write("load_or_set"));
        assert!(mentions_write("post") && mentions_write("store_post"));
        assert!(sql_writes("UPDATE users SET name = $1 WHERE id = $2"));
        assert!(sql_writes("insert into t (a) values ($1) returning id"));
        assert!(!sql_writes(
            "SELECT id, updated_at FROM users WHERE id = $1"
        ));
        assert!(!sql_writes("delete"));
        assert!(is_known_async_fn("tokio::fs::read_to_string"));
        assert!(!is_known_async_fn("tokio::fs::OpenOptions::new"));
        assert!(is_known_async_fn("tokio::fs::File::open"));
        assert!(is_std_method_name("insert") && !is_std_method_name("delete"));
        assert!(is_known_async_fn("tokio::time::sleep"));
        assert!(is_pacing("tick") && is_serializing("lock_and_write"));
        assert!(is_order_sensitive("notify_all") && is_order_sensitive("find_or_create_tag"));
        assert!(!is_order_sensitive("fetch_user") && !is_order_sensitive("online"));
        assert!(is_one_connection("conn", None) && is_one_connection("db_conn", None));
        assert!(is_one_connection("c", Some("sqlx::PgConnection")));
        assert!(is_one_connection("t", Some("sqlx::Transaction")));
        assert!(!is_one_connection("pool", Some("sqlx::PgPool")));
        assert!(!is_one_connection("reconnect", None) && !is_one_connection("client", None));

        assert!(is_cancel_branch("token.cancelled()") && is_cancel_branch("shutdown_rx.recv()"));
        assert!(!is_cancel_branch("interval.tick()") && !is_cancel_branch("rx.recv()"));
    }
}
