//! Session cleanup: delete the stale sessions, report how many were deleted.

use std::future::Future;

/// A session store on another machine.
pub trait SessionStore {
    /// Deletes one session: a round trip to the store.
    fn delete(&self, id: u64) -> impl Future<Output = ()>;
}

/// Deletes every session in `ids` and returns how many it deleted.
pub async fn delete_stale_sessions(store: &impl SessionStore, ids: &[u64]) -> usize {
    ids.iter().for_each(|&id| {
        store.delete(id);
    });
    ids.len()
}
