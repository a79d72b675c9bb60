//! Cache warming before the server accepts traffic.

use std::future::Future;
use std::sync::Arc;

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
    for key in keys {
        let backend = backend.clone();
        tokio::spawn(async move { warm_one(&*backend, &key).await });
    }
}
