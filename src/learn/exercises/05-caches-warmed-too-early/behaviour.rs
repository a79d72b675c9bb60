//! Every key is in the cache when `warm_caches` returns, and the database never sees
//! more than 10 queries at once.

use caches_warmed_too_early::{warm_caches, Backend};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[derive(Default)]
struct FakeBackend {
    cache: Mutex<BTreeMap<String, String>>,
    queries: Mutex<(usize, usize)>,
}

impl Backend for FakeBackend {
    async fn fetch(&self, key: &str) -> String {
        {
            let mut q = self.queries.lock().unwrap();
            q.0 += 1;
            q.1 = q.1.max(q.0);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        self.queries.lock().unwrap().0 -= 1;
        format!("value of {key}")
    }
    async fn cache_set(&self, key: &str, value: String) {
        tokio::time::sleep(Duration::from_millis(5)).await;
        self.cache.lock().unwrap().insert(key.to_string(), value);
    }
}

#[tokio::test(start_paused = true)]
async fn every_key_is_warm_when_it_returns() {
    let backend = Arc::new(FakeBackend::default());
    let keys: Vec<String> = (0..50).map(|i| format!("key-{i}")).collect();
    warm_caches(backend.clone(), keys).await;

    let warm = backend.cache.lock().unwrap().len();
    assert_eq!(warm, 50, "it returned with {warm} of 50 keys in the cache");
    let most = backend.queries.lock().unwrap().1;
    assert!(
        most <= 10,
        "the database takes 10 queries at a time and was sent {most}"
    );
}
