//! Prices, cached, with a count of cache misses.

use std::collections::HashMap;
use std::future::Future;
use tokio::sync::Mutex;

pub trait PriceSource {
    fn fetch_price(&self, product: u64) -> impl Future<Output = u32>;
}

#[derive(Default)]
struct State {
    prices: HashMap<u64, u32>,
    misses: u64,
}

impl State {
    fn record_miss(&mut self) {
        self.misses += 1;
    }
}

pub struct Prices<S> {
    source: S,
    state: Mutex<State>,
}

impl<S: PriceSource> Prices<S> {
    pub fn new(source: S) -> Self {
        Prices {
            source,
            state: Mutex::new(State::default()),
        }
    }

    /// The price of `product`. The lock is held over check, fetch and fill, so
    /// concurrent misses fetch a price only once.
    pub async fn price(&self, product: u64) -> u32 {
        let mut state = self.state.lock().await;
        if let Some(&price) = state.prices.get(&product) {
            return price;
        }
        let price = self.source.fetch_price(product).await;
        state.prices.insert(product, price);
        state.record_miss();
        price
    }

    /// Cache misses so far.
    pub async fn misses(&self) -> u64 {
        self.state.lock().await.misses
    }
}
