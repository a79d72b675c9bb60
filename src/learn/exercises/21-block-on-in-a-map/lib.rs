//! The checkout: the total price of a cart.

use std::future::Future;
use tokio::runtime::Handle;

pub trait PriceService {
    fn price(&self, item: &str) -> impl Future<Output = u32>;
}

pub struct Cart {
    pub items: Vec<String>,
}

/// The total price of `cart`, in cents.
pub async fn checkout(cart: &Cart, prices: &impl PriceService) -> u32 {
    cart.items
        .iter()
        .map(|item| Handle::current().block_on(prices.price(item)))
        .sum()
}
