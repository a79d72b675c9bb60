//! Every session is deleted before `delete_stale_sessions` returns, the store never sees
//! more than it accepts, and the deletes overlap.

use deletes_never_run::{delete_stale_sessions, SessionStore};
use std::cell::{Cell, RefCell};
use std::collections::BTreeSet;
use std::time::Duration;
use tokio::time::Instant;

const ROUND_TRIP: Duration = Duration::from_millis(50);

/// A fake remote store: each delete takes a round trip; it counts deletes in flight.
#[derive(Default)]
struct FakeStore {
    deleted: RefCell<BTreeSet<u64>>,
    in_flight: Cell<usize>,
    max_in_flight: Cell<usize>,
}

impl SessionStore for FakeStore {
    async fn delete(&self, id: u64) {
        self.in_flight.set(self.in_flight.get() + 1);
        self.max_in_flight
            .set(self.max_in_flight.get().max(self.in_flight.get()));
        tokio::time::sleep(ROUND_TRIP).await;
        self.deleted.borrow_mut().insert(id);
        self.in_flight.set(self.in_flight.get() - 1);
    }
}

#[tokio::test(start_paused = true)]
async fn every_session_is_deleted_before_it_returns() {
    let store = FakeStore::default();
    let ids: Vec<u64> = (1..=100).collect();
    let started = Instant::now();
    let reported = delete_stale_sessions(&store, &ids).await;
    let elapsed = started.elapsed();

    let deleted = store.deleted.borrow().len();
    assert_eq!(
        deleted, 100,
        "it returned {reported}, but only {deleted} of 100 sessions were deleted when it did"
    );
    assert_eq!(reported, 100);
    assert!(
        store.max_in_flight.get() <= 16,
        "the store takes 16 deletes at a time; it was sent {} at once",
        store.max_in_flight.get()
    );
    assert!(
        elapsed < ROUND_TRIP * 20,
        "100 deletes took {elapsed:?}: one round trip after another ({:?} each)",
        ROUND_TRIP
    );
}
