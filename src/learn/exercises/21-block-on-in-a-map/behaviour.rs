//! The checkout works inside async code, with at most 8 lookups at once.

use block_on_in_a_map::{checkout, Cart, PriceService};
use std::cell::Cell;
use std::time::Duration;

#[derive(Default)]
struct FakePrices {
    in_flight: Cell<usize>,
    max_in_flight: Cell<usize>,
}

impl PriceService for FakePrices {
    async fn price(&self, item: &str) -> u32 {
        self.in_flight.set(self.in_flight.get() + 1);
        self.max_in_flight
            .set(self.max_in_flight.get().max(self.in_flight.get()));
        tokio::time::sleep(Duration::from_millis(20)).await;
        self.in_flight.set(self.in_flight.get() - 1);
        item.len() as u32 * 100
    }
}

#[tokio::test(start_paused = true)]
async fn checkout_sums_the_prices_in_an_async_handler() {
    let prices = FakePrices::default();
    let cart = Cart {
        items: (0..30).map(|i| "x".repeat(i % 5 + 1)).collect(),
    };
    let total = checkout(&cart, &prices).await;
    assert_eq!(total, 9_000);
    assert!(
        prices.max_in_flight.get() <= 8,
        "{} price lookups ran at once",
        prices.max_in_flight.get()
    );
}
