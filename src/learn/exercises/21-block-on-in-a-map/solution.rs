//! The checkout: the total price of a cart.

use futures::stream::{self, StreamExt};
use std::future::Future;

/// Price lookups in flight at once.
const LOOKUPS_IN_FLIGHT: usize = 8;

pub trait PriceService {
    fn price(&self, item: &str) -> impl Future<Output = u32>;
}

pub struct Cart {
    pub items: Vec<String>,
}

/// The total price of `cart`, in cents.
pub async fn checkout(cart: &Cart, prices: &impl PriceService) -> u32 {
    stream::iter(&cart.items)
        .map(|item| prices.price(item))
        .buffered(LOOKUPS_IN_FLIGHT)
        .fold(0, |total, price| async move { total + price })
        .await
}
