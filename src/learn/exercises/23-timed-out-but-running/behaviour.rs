//! A timed-out load leaves no query running.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use timed_out_but_running::{load_user, Database, LoadError};
use tokio::time::sleep;

/// A database that hangs; it counts the queries still running (a dropped query
/// future counts as stopped).
#[derive(Default)]
struct HangingDatabase {
    running: Arc<AtomicUsize>,
}

struct Running(Arc<AtomicUsize>);

impl Drop for Running {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Database for HangingDatabase {
    async fn load(&self, user: u64) -> String {
        self.running.fetch_add(1, Ordering::SeqCst);
        let _running = Running(self.running.clone());
        sleep(Duration::from_secs(60)).await;
        format!("user {user}")
    }
}

#[tokio::test(start_paused = true)]
async fn a_timed_out_load_leaves_no_query_running() {
    let db = Arc::new(HangingDatabase::default());
    for user in 0..3 {
        assert_eq!(load_user(db.clone(), user).await, Err(LoadError::TimedOut));
    }
    sleep(Duration::from_secs(1)).await;
    assert_eq!(
        db.running.load(Ordering::SeqCst),
        0,
        "queries still run a second after their loads timed out"
    );
}

struct FastDatabase;

impl Database for FastDatabase {
    async fn load(&self, user: u64) -> String {
        sleep(Duration::from_millis(10)).await;
        format!("user {user}")
    }
}

#[tokio::test(start_paused = true)]
async fn a_fast_load_returns_the_details() {
    assert_eq!(
        load_user(Arc::new(FastDatabase), 7).await,
        Ok("user 7".to_string())
    );
}
