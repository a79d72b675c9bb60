//! Cancelling `shutdown` stops both workers and `run_workers` returns.

use fresh_token::{run_workers, Queue};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::time::{sleep, timeout};
use tokio_util::sync::CancellationToken;

#[derive(Default)]
struct FakeQueue {
    jobs: AtomicUsize,
}

impl Queue for FakeQueue {
    async fn work_one(&self, _worker: usize) {
        sleep(Duration::from_millis(100)).await;
        self.jobs.fetch_add(1, Ordering::SeqCst);
    }
}

#[tokio::test(start_paused = true)]
async fn the_shutdown_reaches_the_workers() {
    let queue = Arc::new(FakeQueue::default());
    let shutdown = CancellationToken::new();
    let supervisor = tokio::spawn(run_workers(shutdown.clone(), queue.clone()));
    sleep(Duration::from_millis(550)).await;
    assert!(
        queue.jobs.load(Ordering::SeqCst) >= 8,
        "the workers did not work"
    );

    shutdown.cancel();
    timeout(Duration::from_secs(5), supervisor)
        .await
        .expect("five seconds after the shutdown, the workers are still working")
        .unwrap()
        .unwrap();
    let done = queue.jobs.load(Ordering::SeqCst);
    sleep(Duration::from_secs(1)).await;
    assert_eq!(
        queue.jobs.load(Ordering::SeqCst),
        done,
        "jobs ran after the shutdown"
    );
}
