//! A cache of product descriptions in front of the catalogue service.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use tokio::sync::OnceCell;

pub trait Catalogue {
    fn fetch(&self, product: u64) -> impl Future<Output = String>;
}

pub struct Cache<C> {
    catalogue: C,
    /// One cell per product: the first request fills it, the others wait for it.
    entries: Mutex<HashMap<u64, Arc<OnceCell<String>>>>,
}

impl<C: Catalogue> Cache<C> {
    pub fn new(catalogue: C) -> Self {
        Cache {
            catalogue,
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// The description of `product`, fetched once and then served from memory.
    pub async fn get(&self, product: u64) -> String {
        let cell = self
            .entries
            .lock()
            .unwrap()
            .entry(product)
            .or_default()
            .clone();
        cell.get_or_init(|| self.catalogue.fetch(product))
            .await
            .clone()
    }
}
