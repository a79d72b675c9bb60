//! Known blocking operations: what each waits for and the way out. The list is data,
//! shared by `blocking-in-async` (direct calls in async code) and the function
//! summaries (sync helpers that block, found one or more calls away).

use super::chain;
use super::imports::UseMap;
use super::scope::Scopes;
use super::FileInfo;
use syn::Expr;

/// What the call waits for: the message says it in these words.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Waits {
    Sleep,
    Disk,
    Network,
    Process,
    Input,
    Message,
    /// A condition variable or barrier: another thread's notification.
    Signal,
    Thread,
    Http,
    Cpu,
    /// Named in the configuration's `extra-calls`.
    Configured,
}

impl Waits {
    pub fn phrase(self) -> &'static str {
        match self {
            Waits::Sleep => "puts the whole executor thread to sleep",
            Waits::Disk => "waits for the disk on the executor thread",
            Waits::Network => "waits for the network on the executor thread",
            Waits::Process => "waits for a child process on the executor thread",
            Waits::Input => "waits for terminal input on the executor thread",
            Waits::Message => "waits for a message on the executor thread",
            Waits::Signal => "waits for another thread's signal on the executor thread",
            Waits::Thread => "waits for an OS thread to finish on the executor thread",
            Waits::Http => "performs a blocking HTTP request on the executor thread",
            Waits::Cpu => "runs deliberately slow CPU work on the executor thread",
            Waits::Configured => {
                "is a blocking call (per the configuration) made on the executor thread"
            }
        }
    }
}

/// Whether a wait of this kind is work that ends by itself ([`Blocking::one_off`]),
/// or a prompt: terminal input waits for the person at the terminal, not for a task
/// that needs the thread.
fn one_off(waits: Waits) -> bool {
    matches!(
        waits,
        Waits::Disk | Waits::Process | Waits::Cpu | Waits::Input
    )
}

/// The way out of a blocking call.
#[derive(Clone, Copy)]
pub enum Instead {
    /// Same arguments, same result type: `tokio::fs::<name>(..).await`.
    AsyncFs(&'static str),
    /// `tokio::time::sleep(d).await`.
    Sleep,
    /// An async API that is not a drop-in (different types), named for the help.
    Api(&'static str),
    /// No async equivalent: move the work to the blocking pool.
    SpawnBlocking,
    /// Neither a drop-in nor a wrap: how the code is written instead (a thread's work
    /// started as a blocking-pool task), as the whole help.
    Rewrite(&'static str),
}

pub struct BlockingFn {
    /// Full path; a trailing `*` matches every path with that prefix.
    pub path: &'static str,
    pub waits: Waits,
    pub instead: Instead,
}

const fn entry(path: &'static str, waits: Waits, instead: Instead) -> BlockingFn {
    BlockingFn {
        path,
        waits,
        instead,
    }
}

/// Blocking free functions and associated fns, resolved through `use`.
pub static BLOCKING_FNS: &[BlockingFn] = &[
    entry("std::thread::sleep", Waits::Sleep, Instead::Sleep),
    entry("std::fs::read", Waits::Disk, Instead::AsyncFs("read")),
    entry(
        "std::fs::read_to_string",
        Waits::Disk,
        Instead::AsyncFs("read_to_string"),
    ),
    entry("std::fs::write", Waits::Disk, Instead::AsyncFs("write")),
    entry("std::fs::copy", Waits::Disk, Instead::AsyncFs("copy")),
    entry("std::fs::rename", Waits::Disk, Instead::AsyncFs("rename")),
    entry(
        "std::fs::create_dir",
        Waits::Disk,
        Instead::AsyncFs("create_dir"),
    ),
    entry(
        "std::fs::create_dir_all",
        Waits::Disk,
        Instead::AsyncFs("create_dir_all"),
    ),
    entry(
        "std::fs::remove_file",
        Waits::Disk,
        Instead::AsyncFs("remove_file"),
    ),
    entry(
        "std::fs::remove_dir",
        Waits::Disk,
        Instead::AsyncFs("remove_dir"),
    ),
    entry(
        "std::fs::remove_dir_all",
        Waits::Disk,
        Instead::AsyncFs("remove_dir_all"),
    ),
    entry(
        "std::fs::metadata",
        Waits::Disk,
        Instead::AsyncFs("metadata"),
    ),
    entry(
        "std::fs::symlink_metadata",
        Waits::Disk,
        Instead::AsyncFs("symlink_metadata"),
    ),
    entry(
        "std::fs::canonicalize",
        Waits::Disk,
        Instead::AsyncFs("canonicalize"),
    ),
    entry(
        "std::fs::hard_link",
        Waits::Disk,
        Instead::AsyncFs("hard_link"),
    ),
    entry(
        "std::fs::read_link",
        Waits::Disk,
        Instead::AsyncFs("read_link"),
    ),
    entry(
        "std::fs::set_permissions",
        Waits::Disk,
        Instead::AsyncFs("set_permissions"),
    ),
    entry(
        "std::fs::try_exists",
        Waits::Disk,
        Instead::AsyncFs("try_exists"),
    ),
    entry(
        "std::fs::read_dir",
        Waits::Disk,
        Instead::Api("tokio::fs::read_dir"),
    ),
    entry(
        "std::fs::File::open",
        Waits::Disk,
        Instead::Api("tokio::fs::File::open"),
    ),
    entry(
        "std::fs::File::create",
        Waits::Disk,
        Instead::Api("tokio::fs::File::create"),
    ),
    entry(
        "std::net::TcpStream::connect",
        Waits::Network,
        Instead::Api("tokio::net::TcpStream::connect"),
    ),
    entry(
        "std::net::TcpStream::connect_timeout",
        Waits::Network,
        Instead::Api("tokio::net::TcpStream::connect"),
    ),
    entry(
        "std::net::TcpListener::bind",
        Waits::Network,
        Instead::Api("tokio::net::TcpListener::bind"),
    ),
    entry(
        "std::net::UdpSocket::bind",
        Waits::Network,
        Instead::Api("tokio::net::UdpSocket::bind"),
    ),
    entry(
        "reqwest::blocking::*",
        Waits::Http,
        Instead::Api("reqwest's async API (`reqwest::get`, `reqwest::Client`)"),
    ),
    entry(
        "ureq::*",
        Waits::Http,
        Instead::Api("an async HTTP client such as `reqwest::Client`"),
    ),
    entry("bcrypt::hash", Waits::Cpu, Instead::SpawnBlocking),
    entry(
        "bcrypt::hash_with_result",
        Waits::Cpu,
        Instead::SpawnBlocking,
    ),
    entry("bcrypt::hash_with_salt", Waits::Cpu, Instead::SpawnBlocking),
    entry("bcrypt::verify", Waits::Cpu, Instead::SpawnBlocking),
    entry("scrypt::scrypt", Waits::Cpu, Instead::SpawnBlocking),
    entry("pbkdf2::pbkdf2*", Waits::Cpu, Instead::SpawnBlocking),
];

/// Blocking methods, recognised by the call their receiver chain starts from (directly,
/// or through a local bound from it in the same fn).
pub struct BlockingMethod {
    pub root: &'static str,
    /// `Some(i)`: the receiver must be element `i` of a tuple pattern (`let (tx, rx)`).
    pub tuple_index: Option<usize>,
    pub methods: &'static [&'static str],
    pub waits: Waits,
    pub instead: Instead,
}

pub static BLOCKING_METHODS: &[BlockingMethod] = &[
    BlockingMethod {
        root: "std::process::Command::new",
        tuple_index: None,
        methods: &["output", "status", "wait", "wait_with_output"],
        waits: Waits::Process,
        instead: Instead::Api("tokio::process::Command"),
    },
    BlockingMethod {
        root: "std::fs::OpenOptions::new",
        tuple_index: None,
        methods: &["open"],
        waits: Waits::Disk,
        instead: Instead::Api("tokio::fs::OpenOptions"),
    },
    BlockingMethod {
        root: "std::io::stdin",
        tuple_index: None,
        methods: &["read_line", "read_to_string", "read_to_end"],
        waits: Waits::Input,
        instead: Instead::Api("tokio::io::stdin() with `AsyncBufReadExt::read_line`"),
    },
    BlockingMethod {
        root: "std::sync::mpsc::channel",
        tuple_index: Some(1),
        methods: &["recv", "recv_timeout"],
        waits: Waits::Message,
        instead: Instead::Api("tokio::sync::mpsc (`rx.recv().await`)"),
    },
    BlockingMethod {
        root: "std::sync::mpsc::sync_channel",
        tuple_index: Some(1),
        methods: &["recv", "recv_timeout"],
        waits: Waits::Message,
        instead: Instead::Api("tokio::sync::mpsc (`rx.recv().await`)"),
    },
    BlockingMethod {
        root: "std::thread::spawn",
        tuple_index: None,
        methods: &["join"],
        waits: Waits::Thread,
        instead: Instead::Rewrite("use a task started with `tokio::task::spawn_blocking` instead of the thread, whose handle can be `.await`ed"),
    },
    // `Builder::new().name(..).spawn(..)?`: a `Builder` has no `join`, so a `join` on
    // what its chain made is the thread's handle.
    BlockingMethod {
        root: "std::thread::Builder::new",
        tuple_index: None,
        methods: &["join"],
        waits: Waits::Thread,
        instead: Instead::Rewrite("use a task started with `tokio::task::spawn_blocking` instead of the thread, whose handle can be `.await`ed"),
    },
];

/// argon2's password-hash trait methods, recognised in files that import argon2.
pub const ARGON2_METHODS: &[&str] = &["hash_password", "verify_password"];

/// More blocking calls: temporary files and directories are created on disk.
pub static MORE_BLOCKING_FNS: &[BlockingFn] = &[
    entry("tempfile::tempdir", Waits::Disk, Instead::SpawnBlocking),
    entry("tempfile::tempdir_in", Waits::Disk, Instead::SpawnBlocking),
    entry("tempfile::tempfile", Waits::Disk, Instead::SpawnBlocking),
    entry("tempfile::tempfile_in", Waits::Disk, Instead::SpawnBlocking),
    entry(
        "tempfile::TempDir::new",
        Waits::Disk,
        Instead::SpawnBlocking,
    ),
    entry(
        "tempfile::NamedTempFile::new",
        Waits::Disk,
        Instead::SpawnBlocking,
    ),
    entry(
        "tempfile::Builder::tempdir",
        Waits::Disk,
        Instead::SpawnBlocking,
    ),
    entry(
        "tempfile::Builder::tempfile",
        Waits::Disk,
        Instead::SpawnBlocking,
    ),
];

/// The blocking free fn or associated fn a resolved path names, if it is one.
pub fn blocking_fn(path: &str) -> Option<&'static BlockingFn> {
    BLOCKING_FNS
        .iter()
        .chain(MORE_BLOCKING_FNS)
        .find(|e| match e.path.strip_suffix('*') {
            Some(prefix) => path.starts_with(prefix),
            None => e.path == path,
        })
}

/// Socket constructors that only bind: fast unless the address must be looked up.
const BIND_FNS: &[&str] = &["std::net::TcpListener::bind", "std::net::UdpSocket::bind"];

/// Whether a call is a blocking operation: a table fn (not a `bind` to a literal or
/// loopback address, which never waits), or a table method on a receiver that comes
/// from the table's root (`Command::new(..).output()`, `rx.recv()` on a std channel),
/// or argon2 hashing in a file that imports argon2.
pub fn blocking_op(file: &FileInfo, scopes: &Scopes, e: &Expr) -> Option<Blocking> {
    let uses = &file.uses;
    match e {
        Expr::Call(call) => {
            let path = chain::call_path(e).and_then(|p| uses.resolve(p))?;
            let entry = blocking_fn(&path)?;
            if BIND_FNS.contains(&entry.path)
                && call
                    .args
                    .first()
                    .is_some_and(|a| is_local_address(a) || is_typed_socket_addr(scopes, a))
            {
                return None;
            }
            // `/proc` and `/sys` are the kernel's own tables, answered from memory: no
            // disk wait (`std::fs::read_to_string("/proc/self/status")`).
            if entry.path.starts_with("std::fs::") && call.args.first().is_some_and(is_kernel_file)
            {
                return None;
            }
            Some(Blocking::Fn(entry))
        }
        Expr::MethodCall(mc) => {
            let method = mc.method.to_string();
            if ARGON2_METHODS.contains(&method.as_str()) && uses.imports_crate("argon2") {
                return Some(Blocking::Argon2);
            }
            if method == "to_socket_addrs" && mc.args.is_empty() {
                // A loopback name or an address written out needs no resolver.
                if is_local_address(&mc.receiver) {
                    return None;
                }
                return Some(Blocking::Typed(&NAME_LOOKUP));
            }
            if method == "recv_timeout" && mc.args.first().is_some_and(is_under_a_millisecond) {
                // `recv_timeout(Duration::from_nanos(1))` is a poll: it never waits.
                return None;
            }
            if let Some(m) = BLOCKING_METHODS.iter().find(|m| {
                m.methods.contains(&method.as_str())
                    && receiver_comes_from(uses, scopes, &mc.receiver, m)
            }) {
                return Some(Blocking::Method(m));
            }
            let ty = super::types::declared_type(file, scopes, &mc.receiver)?;
            TYPED_BLOCKING
                .iter()
                .find(|t| t.ty == ty && t.methods.contains(&method.as_str()))
                .map(Blocking::Typed)
        }
        _ => None,
    }
}

/// A blocking operation found at a call.
#[derive(Clone, Copy)]
pub enum Blocking {
    Fn(&'static BlockingFn),
    Method(&'static BlockingMethod),
    /// A method of a blocking std type, on a receiver declared with that type.
    Typed(&'static TypedBlocking),
    Argon2,
}

/// Blocking methods of std types, recognised on receivers whose declared type is
/// known: a parameter `sock: &mut TcpStream`, a field `rx: Receiver<Job>`.
pub struct TypedBlocking {
    pub ty: &'static str,
    pub methods: &'static [&'static str],
    pub waits: Waits,
    pub instead: Instead,
}

impl TypedBlocking {
    /// [`Blocking::one_off`] for a method of this type: a name lookup, or one-off
    /// work by its kind.
    pub fn one_off(&self) -> bool {
        std::ptr::eq(self, &NAME_LOOKUP) || one_off(self.waits)
    }
}

/// `ToSocketAddrs::to_socket_addrs`: a host name is looked up in DNS, on this thread.
static NAME_LOOKUP: TypedBlocking = TypedBlocking {
    ty: "std::net::ToSocketAddrs",
    methods: &["to_socket_addrs"],
    waits: Waits::Network,
    instead: Instead::Api("tokio::net::lookup_host"),
};

const IO_METHODS: &[&str] = &[
    "read",
    "read_exact",
    "read_to_end",
    "read_to_string",
    "write",
    "write_all",
    "flush",
    "sync_all",
    "sync_data",
];

pub static TYPED_BLOCKING: &[TypedBlocking] = &[
    TypedBlocking {
        ty: "std::net::TcpStream",
        methods: IO_METHODS,
        waits: Waits::Network,
        instead: Instead::Api("tokio::net::TcpStream with `AsyncReadExt`/`AsyncWriteExt`"),
    },
    TypedBlocking {
        ty: "std::net::TcpListener",
        methods: &["accept", "incoming"],
        waits: Waits::Network,
        instead: Instead::Api("tokio::net::TcpListener"),
    },
    TypedBlocking {
        ty: "std::net::UdpSocket",
        methods: &["recv", "recv_from", "send", "send_to", "peek", "peek_from"],
        waits: Waits::Network,
        instead: Instead::Api("tokio::net::UdpSocket"),
    },
    TypedBlocking {
        ty: "std::os::unix::net::UnixStream",
        methods: IO_METHODS,
        waits: Waits::Network,
        instead: Instead::Api("tokio::net::UnixStream"),
    },
    TypedBlocking {
        ty: "std::fs::File",
        methods: IO_METHODS,
        waits: Waits::Disk,
        instead: Instead::Api("tokio::fs::File"),
    },
    TypedBlocking {
        ty: "std::sync::mpsc::Receiver",
        methods: &["recv", "recv_timeout", "iter"],
        waits: Waits::Message,
        instead: Instead::Api("tokio::sync::mpsc (`rx.recv().await`)"),
    },
    TypedBlocking {
        ty: "crossbeam_channel::Receiver",
        methods: &["recv", "recv_timeout", "iter"],
        waits: Waits::Message,
        instead: Instead::Api("tokio::sync::mpsc, or `spawn_blocking` around the receive"),
    },
    TypedBlocking {
        ty: "std::thread::JoinHandle",
        methods: &["join"],
        waits: Waits::Thread,
        instead: Instead::Rewrite("use a task started with `tokio::task::spawn_blocking` instead of the thread, whose handle can be `.await`ed"),
    },
    TypedBlocking {
        ty: "std::sync::Condvar",
        methods: &["wait", "wait_while", "wait_timeout", "wait_timeout_while"],
        waits: Waits::Signal,
        instead: Instead::Api("tokio::sync::Notify"),
    },
    TypedBlocking {
        ty: "std::sync::Barrier",
        methods: &["wait"],
        waits: Waits::Signal,
        instead: Instead::Api("tokio::sync::Barrier"),
    },
];

impl Blocking {
    pub fn waits(self) -> Waits {
        match self {
            Blocking::Fn(f) => f.waits,
            Blocking::Method(m) => m.waits,
            Blocking::Typed(t) => t.waits,
            Blocking::Argon2 => Waits::Cpu,
        }
    }

    pub fn instead(self) -> Instead {
        match self {
            Blocking::Fn(f) => f.instead,
            Blocking::Method(m) => m.instead,
            Blocking::Typed(t) => t.instead,
            Blocking::Argon2 => Instead::SpawnBlocking,
        }
    }

    /// How the operation at `e` is named in a chain of calls
    /// (`std::fs::read_to_string`, `Command::output`, `TcpStream::read_exact`).
    pub fn name_at(self, e: &Expr) -> String {
        let called = match e {
            Expr::MethodCall(m) => Some(m.method.to_string()),
            _ => None,
        };
        match (self, called) {
            (Blocking::Method(m), Some(method)) => {
                let ty = m.root.rsplit("::").nth(1).unwrap_or(m.root);
                format!("{ty}::{method}")
            }
            (Blocking::Typed(t), Some(method)) => {
                let ty = t.ty.rsplit("::").next().unwrap_or(t.ty);
                format!("{ty}::{method}")
            }
            _ => self.name(),
        }
    }

    /// Whether the operation is work that ends by itself, whoever else runs (the
    /// disk, a child process, CPU, a name lookup), not a wait on another thread, task
    /// or peer: done once as a program starts, it delays the others a moment.
    pub fn one_off(self) -> bool {
        match self {
            Blocking::Typed(t) => t.one_off(),
            _ => one_off(self.waits()),
        }
    }

    /// How the operation is named, without the call at hand.
    pub fn name(self) -> String {
        match self {
            Blocking::Fn(f) => f
                .path
                .trim_end_matches('*')
                .trim_end_matches("::")
                .to_string(),
            Blocking::Method(m) => {
                let ty = m.root.rsplit("::").nth(1).unwrap_or(m.root);
                format!("{ty}::{}", m.methods[0])
            }
            Blocking::Typed(t) => {
                let ty = t.ty.rsplit("::").next().unwrap_or(t.ty);
                format!("{ty}::{}", t.methods[0])
            }
            Blocking::Argon2 => "argon2 password hashing".to_string(),
        }
    }
}

/// Whether the method's receiver chain starts at `entry.root`, directly
/// (`Command::new("ls").output()`) or through a local (`let mut cmd = Command::new(..)`).
fn receiver_comes_from(
    uses: &UseMap,
    scopes: &Scopes,
    receiver: &Expr,
    entry: &BlockingMethod,
) -> bool {
    let c = chain::chain(receiver);
    if entry.tuple_index.is_none() {
        if let Some(path) = chain::call_path(c.root).and_then(|p| uses.resolve(p)) {
            return path == entry.root;
        }
    }
    let Some(origin) = chain::receiver_ident(c.root).and_then(|i| scopes.lookup(&i.to_string()))
    else {
        return false;
    };
    origin.root_call.as_deref() == Some(entry.root)
        && origin.tuple_index == entry.tuple_index
        && !origin.awaited
}

/// A `Duration` written out as less than a millisecond (`Duration::from_nanos(1)`,
/// `Duration::from_micros(10)`, `Duration::ZERO`): a timeout that makes a wait a poll.
fn is_under_a_millisecond(arg: &Expr) -> bool {
    let int = |e: &Expr| match chain::strip(e) {
        Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Int(i),
            ..
        }) => i.base10_parse::<u64>().ok(),
        _ => None,
    };
    match chain::strip(arg) {
        Expr::Path(p) => p.path.segments.last().is_some_and(|s| s.ident == "ZERO"),
        Expr::Call(c) => {
            let Some(name) = chain::call_path(arg).and_then(|p| p.segments.last()) else {
                return false;
            };
            let first = c.args.first().and_then(int);
            match (name.ident.to_string().as_str(), c.args.len()) {
                ("from_nanos", 1) => first.is_some_and(|n| n < 1_000_000),
                ("from_micros", 1) => first.is_some_and(|n| n < 1_000),
                ("from_millis" | "from_secs", 1) => first == Some(0),
                ("new", 2) => {
                    first == Some(0)
                        && c.args
                            .iter()
                            .nth(1)
                            .and_then(int)
                            .is_some_and(|n| n < 1_000_000)
                }
                _ => false,
            }
        }
        _ => false,
    }
}

/// The kernel's own file systems: files under them are answered from memory.
const KERNEL_DIRS: [&str; 2] = ["/proc/", "/sys/"];

/// Whether code names a file under `/proc` or `/sys` in a string (`"/sys/fs/cgroup"`).
pub fn names_kernel_files(code: &str) -> bool {
    KERNEL_DIRS
        .iter()
        .any(|d| code.match_indices(d).any(|(i, _)| code[..i].ends_with('"')))
}

/// Whether a blocking operation's name (`std::fs::read_to_string`) is a std call
/// that reads the file system without changing it.
pub fn reads_files(op: &str) -> bool {
    op.strip_prefix("std::fs::")
        .is_some_and(|f| f != "File::create" && !super::calls::changes_disk(f))
}

/// A path under `/proc` or `/sys`, written out (`"/proc/meminfo"`, `format!("/proc/{pid}/stat")`,
/// `Path::new("/sys/fs/cgroup/memory.max")`): a file the kernel answers from memory.
fn is_kernel_file(arg: &Expr) -> bool {
    let kernel = |p: &str| KERNEL_DIRS.iter().any(|d| p.starts_with(d));
    match chain::strip(arg) {
        Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Str(s),
            ..
        }) => kernel(&s.value()),
        Expr::Reference(r) => is_kernel_file(&r.expr),
        Expr::Call(c) if c.args.len() == 1 => {
            chain::call_path(arg)
                .is_some_and(|p| p.segments.last().is_some_and(|s| s.ident == "new"))
                && is_kernel_file(&c.args[0])
        }
        Expr::Macro(m) => format_string(&m.mac).is_some_and(|fmt| kernel(&fmt)),
        _ => false,
    }
}

/// The format string of a `format!(..)`, written out: `"/proc/{pid}/stat"`.
fn format_string(m: &syn::Macro) -> Option<String> {
    if !m.path.is_ident("format") {
        return None;
    }
    m.parse_body_with(
        |input: syn::parse::ParseStream| -> syn::Result<syn::LitStr> {
            let lit = input.parse()?;
            let _: proc_macro2::TokenStream = input.parse()?;
            Ok(lit)
        },
    )
    .ok()
    .map(|fmt| fmt.value())
}

/// Whether a socket address argument is written out as an IP address or `localhost`
/// (`"127.0.0.1:0"`, `("0.0.0.0", port)`, `([127, 0, 0, 1], 8080)`,
/// `SocketAddr::from(..)` of such): binding it needs no name lookup and returns at once.
fn is_local_address(arg: &Expr) -> bool {
    match chain::strip(arg) {
        Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Str(s),
            ..
        }) => is_ip_or_localhost(&s.value()),
        Expr::Reference(r) => is_local_address(&r.expr),
        Expr::Tuple(t) => t.elems.first().is_some_and(is_local_address),
        Expr::Array(a) => a
            .elems
            .iter()
            .all(|e| matches!(chain::strip(e), Expr::Lit(_))),
        // A typed socket address never needs a lookup, whatever it holds.
        Expr::Call(_) if is_socket_addr_ctor(arg) => true,
        // `format!("127.0.0.1:{}", port)`: the host is written out.
        Expr::Macro(m) => {
            format_string(&m.mac).is_some_and(|fmt| is_ip_or_localhost(&fill_placeholders(&fmt)))
        }
        Expr::Call(c) => {
            let ctor = chain::call_path(arg)
                .and_then(|p| p.segments.last())
                .is_some_and(|s| {
                    s.ident == "from" || s.ident == "new" || s.ident == "V4" || s.ident == "V6"
                });
            ctor && !c.args.is_empty()
                && c.args.iter().all(|a| {
                    is_local_address(a) || matches!(chain::strip(a), Expr::Lit(_) | Expr::Path(_))
                })
                && c.args.iter().any(is_local_address)
        }
        Expr::Path(p) => p.path.segments.last().is_some_and(|s| {
            matches!(
                s.ident.to_string().as_str(),
                "LOCALHOST" | "UNSPECIFIED" | "BROADCAST"
            )
        }),
        _ => false,
    }
}

/// A local or parameter of a socket address type, declared (`addr: SocketAddr`) or
/// made on the spot (`let addr = SocketAddr::new(ip, port);`, see
/// `Walker::local_value_type`): it holds an IP address and a port, never a name to
/// look up.
fn is_typed_socket_addr(scopes: &Scopes, arg: &Expr) -> bool {
    let arg = match chain::strip(arg) {
        Expr::Reference(r) => chain::strip(&r.expr),
        a => a,
    };
    let Expr::Path(p) = arg else {
        return false;
    };
    p.path
        .get_ident()
        .and_then(|i| scopes.lookup(&i.to_string()))
        .and_then(|o| o.ty.as_deref())
        .and_then(|t| t.trim_start_matches('&').rsplit("::").next())
        .is_some_and(|last| matches!(last.trim(), "SocketAddr" | "SocketAddrV4" | "SocketAddrV6"))
}

/// `SocketAddr::from(..)`, `SocketAddr::new(..)`, `SocketAddrV4::new(..)`, ..
pub(crate) fn is_socket_addr_ctor(e: &Expr) -> bool {
    let Some(path) = chain::call_path(e) else {
        return false;
    };
    let n = path.segments.len();
    n >= 2
        && matches!(
            path.segments[n - 2].ident.to_string().as_str(),
            "SocketAddr" | "SocketAddrV4" | "SocketAddrV6"
        )
        && matches!(
            path.segments[n - 1].ident.to_string().as_str(),
            "from" | "new"
        )
}

/// A format string with each `{..}` placeholder written as `0`, so that a host given
/// by a placeholder is no address (`{host}:80` reads `0:80`).
fn fill_placeholders(fmt: &str) -> String {
    let mut out = String::with_capacity(fmt.len());
    let mut depth = 0usize;
    for c in fmt.chars() {
        match c {
            '{' => {
                if depth == 0 {
                    out.push('0');
                }
                depth += 1;
            }
            '}' if depth > 0 => depth -= 1,
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}

fn is_ip_or_localhost(addr: &str) -> bool {
    // `host:port`, `[v6]:port`, or a bare host.
    let host = if let Some(rest) = addr.strip_prefix('[') {
        rest.split(']').next().unwrap_or("")
    } else {
        match addr.rsplit_once(':') {
            Some((h, port)) if port.chars().all(|c| c.is_ascii_digit()) => h,
            _ => addr,
        }
    };
    host == "localhost" || host.parse::<std::net::IpAddr>().is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literal_and_loopback_addresses_need_no_lookup() {
        for a in [
            "\"127.0.0.1:0\"",
            "\"0.0.0.0:8080\"",
            "\"[::1]:0\"",
            "\"localhost:3000\"",
            "(\"127.0.0.1\", port)",
            "([127, 0, 0, 1], 0)",
            "SocketAddr::from(([0, 0, 0, 0], 0))",
            "&\"127.0.0.1:0\"",
            "(Ipv4Addr::LOCALHOST, 0)",
            "SocketAddr::from((ip, port))",
            "SocketAddrV4::new(ip, port)",
            "format!(\"127.0.0.1:{}\", port + 1)",
            "format!(\"localhost:{port}\")",
        ] {
            let e: Expr = syn::parse_str(a).unwrap();
            assert!(is_local_address(&e), "{a}");
        }
        for a in [
            "addr",
            "\"example.com:80\"",
            "config.listen",
            "format!(\"{host}:80\")",
            "format!(\"{}:{}\", host, port)",
            "format!(\"db.{}:5432\", zone)",
        ] {
            let e: Expr = syn::parse_str(a).unwrap();
            assert!(!is_local_address(&e), "{a}");
        }
    }
}
