//! Cache warming before the server accepts traffic.

use futures::stream::{self, StreamExt};
use std::future::Future;
use std::sync::Arc;

/// How many queries the database takes at once.
const DATABASE_CONCURRENCY: usize = 10;

/// The database and the cache, both on other machines.
pub trait Backend: Send + Sync + 'static {
    fn fetch(&self, key: &str) -> impl Future<Output = String> + Send;
    fn cache_set(&self, key: &str, value: String) -> impl Future<Output = ()> + Send;
}

async fn warm_one(backend: &impl Backend, key: &str) {
    let value = backend.fetch(key).await;
    backend.cache_set(key, value).await;
}

/// Loads every key into the cache.
pub async fn warm_caches(backend: Arc<impl Backend>, keys: Vec<String>) {
    let backend = &*backend;
    stream::iter(&keys)
        .for_each_concurrent(DATABASE_CONCURRENCY, |key| warm_one(backend, key))
        .await;
}
