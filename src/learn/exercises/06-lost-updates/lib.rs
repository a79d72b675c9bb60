//! A crawler with a running total of the bytes it downloaded.

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};

/// Downloads pages: a round trip each.
pub trait Fetcher {
    /// The size of the page at `url`, in bytes.
    fn fetch_size(&self, url: &str) -> impl Future<Output = u64>;
}

pub struct Crawler<F> {
    fetcher: F,
    total_bytes: AtomicU64,
}

impl<F: Fetcher> Crawler<F> {
    pub fn new(fetcher: F) -> Self {
        Crawler {
            fetcher,
            total_bytes: AtomicU64::new(0),
        }
    }

    /// Downloads one page and adds its size to the total. Many crawls run at once.
    pub async fn crawl(&self, url: &str) {
        let so_far = self.total_bytes.load(Ordering::Relaxed);
        let size = self.fetcher.fetch_size(url).await;
        self.total_bytes.store(so_far + size, Ordering::Relaxed);
    }

    /// Bytes downloaded so far.
    pub fn total_bytes(&self) -> u64 {
        self.total_bytes.load(Ordering::Relaxed)
    }
}
