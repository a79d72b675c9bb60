//! The queue never holds more than CAPACITY events, and every event is written.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use unbounded_queue::{Pipeline, Sink, CAPACITY};

#[derive(Default)]
struct SlowSink {
    written: AtomicUsize,
}

impl Sink for SlowSink {
    async fn write(&self, _event: String) {
        tokio::time::sleep(Duration::from_millis(1)).await;
        self.written.fetch_add(1, Ordering::SeqCst);
    }
}

#[tokio::test(start_paused = true)]
async fn a_fast_producer_waits_for_the_sink() {
    let sink = Arc::new(SlowSink::default());
    let pipeline = Pipeline::start(sink.clone());
    let mut most_waiting = 0;
    for i in 0..5_000 {
        pipeline.ingest(format!("event {i}")).await.unwrap();
        let waiting = i + 1 - sink.written.load(Ordering::SeqCst);
        most_waiting = most_waiting.max(waiting);
    }
    pipeline.finish().await.unwrap();
    assert_eq!(sink.written.load(Ordering::SeqCst), 5_000);
    assert!(
        most_waiting <= CAPACITY + 2,
        "{most_waiting} events waited in the queue at once (the limit is {CAPACITY})"
    );
}
