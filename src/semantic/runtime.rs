//! The words help text uses for the crate's runtime: a finding in an async-std or smol
//! crate is not fixed with tokio's APIs.

use super::Runtime;

/// The APIs help text names, in the crate's runtime.
pub struct Words {
    /// Spawns a task and returns its handle.
    pub spawn: &'static str,
    /// Joins a fixed set of futures (a macro).
    pub join: &'static str,
    pub try_join: &'static str,
    /// Puts a deadline on one future: written as a call `{timeout}(duration, fut)`.
    pub timeout: &'static str,
    pub mutex: &'static str,
    pub rwlock: &'static str,
    /// Pins a future in place (a macro).
    pub pin: &'static str,
    /// Runs sync work off the executor.
    pub spawn_blocking: &'static str,
    /// An async once-cell.
    pub once_cell: &'static str,
}

const TOKIO: Words = Words {
    spawn: "tokio::spawn",
    join: "tokio::join!",
    try_join: "tokio::try_join!",
    timeout: "tokio::time::timeout",
    mutex: "tokio::sync::Mutex",
    rwlock: "tokio::sync::RwLock",
    pin: "tokio::pin!",
    spawn_blocking: "tokio::task::spawn_blocking",
    once_cell: "tokio::sync::OnceCell",
};

const ASYNC_STD: Words = Words {
    spawn: "async_std::task::spawn",
    join: "futures::join!",
    try_join: "futures::try_join!",
    timeout: "async_std::future::timeout",
    mutex: "async_std::sync::Mutex",
    rwlock: "async_std::sync::RwLock",
    pin: "futures::pin_mut!",
    spawn_blocking: "async_std::task::spawn_blocking",
    once_cell: "async_lock::OnceCell",
};

const SMOL: Words = Words {
    spawn: "smol::spawn",
    join: "futures_lite::future::zip",
    try_join: "futures_lite::future::try_zip",
    timeout: "futures_lite::FutureExt::or(fut, timer)` against `smol::Timer::after",
    mutex: "async_lock::Mutex",
    rwlock: "async_lock::RwLock",
    pin: "futures_lite::pin!",
    spawn_blocking: "smol::unblock",
    once_cell: "async_lock::OnceCell",
};

/// The words for a file's runtime; tokio's when the runtime is unknown.
pub fn words(runtime: Runtime) -> &'static Words {
    match runtime {
        Runtime::AsyncStd => &ASYNC_STD,
        Runtime::Smol => &SMOL,
        Runtime::Tokio | Runtime::Unknown => &TOKIO,
    }
}

/// `{timeout}(d, {call}).await` in the runtime's words.
pub fn with_timeout(runtime: Runtime, call: &str) -> String {
    match runtime {
        Runtime::Smol => format!("`futures_lite::FutureExt::or({call}, async {{ smol::Timer::after(Duration::from_secs(N)).await; Err(..) }}).await`"),
        _ => format!("`{}(Duration::from_secs(N), {call}).await`", words(runtime).timeout),
    }
}
