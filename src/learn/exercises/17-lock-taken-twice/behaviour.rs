//! A cache miss returns, is fetched once, and is counted.

use lock_taken_twice::{PriceSource, Prices};
use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;
use tokio::time::timeout;

#[derive(Default, Clone)]
struct FakeSource {
    fetches: Rc<Cell<usize>>,
}

impl PriceSource for FakeSource {
    async fn fetch_price(&self, product: u64) -> u32 {
        self.fetches.set(self.fetches.get() + 1);
        tokio::time::sleep(Duration::from_millis(100)).await;
        product as u32 * 10
    }
}

#[tokio::test(start_paused = true)]
async fn a_miss_returns_and_is_counted() {
    let source = FakeSource::default();
    let prices = Prices::new(source.clone());
    let price = timeout(Duration::from_secs(10), prices.price(4))
        .await
        .expect("the first cache miss has not returned after ten seconds: a deadlock");
    assert_eq!(price, 40);

    let (a, b) = tokio::join!(prices.price(5), prices.price(5));
    assert_eq!((a, b), (50, 50));
    assert_eq!(prices.price(4).await, 40);
    assert_eq!(
        source.fetches.get(),
        2,
        "each missing price is fetched once"
    );
    assert_eq!(prices.misses().await, 2);
}
