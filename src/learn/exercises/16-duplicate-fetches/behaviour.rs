//! Concurrent misses share one fetch; different products do not wait for each other.

use duplicate_fetches::{Cache, Catalogue};
use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;
use tokio::time::Instant;

/// Counts its fetches in a counter the test keeps a handle to.
#[derive(Default, Clone)]
struct FakeCatalogue {
    fetches: Rc<Cell<usize>>,
}

impl Catalogue for FakeCatalogue {
    async fn fetch(&self, product: u64) -> String {
        self.fetches.set(self.fetches.get() + 1);
        tokio::time::sleep(Duration::from_millis(100)).await;
        format!("product {product}")
    }
}

#[tokio::test(start_paused = true)]
async fn concurrent_requests_share_one_fetch() {
    let catalogue = FakeCatalogue::default();
    let cache = Cache::new(catalogue.clone());
    let (a, b, c) = tokio::join!(cache.get(7), cache.get(7), cache.get(7));
    assert_eq!(
        (a.as_str(), b.as_str(), c.as_str()),
        ("product 7", "product 7", "product 7")
    );
    assert_eq!(
        catalogue.fetches.get(),
        1,
        "three concurrent requests for one uncached product"
    );
    assert_eq!(cache.get(7).await, "product 7");
    assert_eq!(
        catalogue.fetches.get(),
        1,
        "a cached product was fetched again"
    );
}

#[tokio::test(start_paused = true)]
async fn different_products_do_not_wait_for_each_other() {
    let cache = Cache::new(FakeCatalogue::default());
    let started = Instant::now();
    let (a, b) = tokio::join!(cache.get(1), cache.get(2));
    assert_eq!((a.as_str(), b.as_str()), ("product 1", "product 2"));
    assert!(started.elapsed() < Duration::from_millis(150));
}
