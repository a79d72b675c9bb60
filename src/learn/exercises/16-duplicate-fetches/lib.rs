//! A cache of product descriptions in front of the catalogue service.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Mutex;

pub trait Catalogue {
    fn fetch(&self, product: u64) -> impl Future<Output = String>;
}

pub struct Cache<C> {
    catalogue: C,
    entries: Mutex<HashMap<u64, String>>,
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
        if let Some(hit) = self.entries.lock().unwrap().get(&product) {
            return hit.clone();
        }
        let description = self.catalogue.fetch(product).await;
        self.entries
            .lock()
            .unwrap()
            .insert(product, description.clone());
        description
    }
}
