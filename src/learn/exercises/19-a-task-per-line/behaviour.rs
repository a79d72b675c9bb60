//! At most WORKERS uploads at once; every line shipped; the first error returns and
//! stops the uploads; and a run where every upload fails does not hang.

use a_task_per_line::{ship_lines, ShipError, Uploader, WORKERS};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::time::{sleep, timeout};

#[derive(Default)]
struct FakeUploader {
    /// Lines from this index on fail.
    fail_from: Option<usize>,
    started: AtomicUsize,
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
    shipped: AtomicUsize,
}

impl Uploader for FakeUploader {
    async fn upload(&self, line: &str) -> Result<(), ShipError> {
        self.started.fetch_add(1, Ordering::SeqCst);
        let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        self.max_in_flight.fetch_max(now, Ordering::SeqCst);
        sleep(Duration::from_millis(10)).await;
        self.in_flight.fetch_sub(1, Ordering::SeqCst);
        let index: usize = line.parse().unwrap();
        if self.fail_from.is_some_and(|from| index >= from) {
            return Err(ShipError::Upload(format!("line {index} refused")));
        }
        self.shipped.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }
}

fn lines(n: usize) -> Vec<String> {
    (0..n).map(|i| i.to_string()).collect()
}

#[tokio::test(start_paused = true)]
async fn every_line_is_shipped_with_at_most_workers_in_flight() {
    let uploader = Arc::new(FakeUploader::default());
    let result = timeout(
        Duration::from_secs(600),
        ship_lines(uploader.clone(), lines(1000)),
    )
    .await;
    assert_eq!(result, Ok(Ok(())));
    assert_eq!(uploader.shipped.load(Ordering::SeqCst), 1000);
    let most = uploader.max_in_flight.load(Ordering::SeqCst);
    assert!(
        most <= WORKERS,
        "the uploader takes {WORKERS} uploads at a time and got {most}"
    );
}

#[tokio::test(start_paused = true)]
async fn when_every_upload_fails_it_returns_the_error() {
    let uploader = Arc::new(FakeUploader {
        fail_from: Some(0),
        ..Default::default()
    });
    let result = timeout(
        Duration::from_secs(600),
        ship_lines(uploader.clone(), lines(1000)),
    )
    .await
    .expect("every upload failed, and ship_lines is still waiting");
    assert!(matches!(result, Err(ShipError::Upload(_))), "{result:?}");
}

#[tokio::test(start_paused = true)]
async fn the_first_error_stops_the_uploads() {
    let uploader = Arc::new(FakeUploader {
        fail_from: Some(100),
        ..Default::default()
    });
    let result = timeout(
        Duration::from_secs(600),
        ship_lines(uploader.clone(), lines(1000)),
    )
    .await
    .expect("ship_lines hangs");
    assert!(matches!(result, Err(ShipError::Upload(_))), "{result:?}");
    let started = uploader.started.load(Ordering::SeqCst);
    sleep(Duration::from_secs(10)).await;
    assert_eq!(
        uploader.started.load(Ordering::SeqCst),
        started,
        "uploads went on after ship_lines returned its error"
    );
    assert!(
        started < 200,
        "{started} uploads were started although line 100 failed"
    );
}
