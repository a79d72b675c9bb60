//! Session cleanup: delete the stale sessions, report how many were deleted.

use futures::stream::{self, StreamExt};
use std::future::Future;

/// How many deletes the store takes at once.
const STORE_CONCURRENCY: usize = 16;

/// A session store on another machine.
pub trait SessionStore {
    /// Deletes one session: a round trip to the store.
    fn delete(&self, id: u64) -> impl Future<Output = ()>;
}

/// Deletes every session in `ids` and returns how many it deleted.
pub async fn delete_stale_sessions(store: &impl SessionStore, ids: &[u64]) -> usize {
    stream::iter(ids)
        .for_each_concurrent(STORE_CONCURRENCY, |&id| store.delete(id))
        .await;
    ids.len()
}
