//! Once both feeds are exhausted, `merge_feeds` returns all their items.

use a_merge_that_never_ends::{merge_feeds, Feed};
use std::sync::Arc;
use std::sync::Mutex;
use std::time::Duration;
use tokio::time::timeout;

/// A finite feed.
struct FakeFeed(Mutex<Vec<String>>);

impl FakeFeed {
    fn new(items: &[&str]) -> Arc<Self> {
        Arc::new(FakeFeed(Mutex::new(
            items.iter().rev().map(|s| s.to_string()).collect(),
        )))
    }
}

impl Feed for FakeFeed {
    async fn next_item(&self) -> Option<String> {
        tokio::time::sleep(Duration::from_millis(10)).await;
        self.0.lock().unwrap().pop()
    }
}

#[tokio::test(start_paused = true)]
async fn the_merge_ends_when_both_feeds_do() {
    let live = FakeFeed::new(&["l1", "l2", "l3"]);
    let archive = FakeFeed::new(&["a1", "a2"]);
    let merged = timeout(Duration::from_secs(60), merge_feeds(live, archive))
        .await
        .expect("both feeds ended a minute ago, and merge_feeds is still waiting")
        .unwrap();
    let mut sorted = merged.clone();
    sorted.sort();
    assert_eq!(sorted, ["a1", "a2", "l1", "l2", "l3"]);
}
