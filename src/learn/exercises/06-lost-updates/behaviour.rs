//! Concurrent crawls add up exactly.

use lost_updates::{Crawler, Fetcher};
use std::time::Duration;

struct FakeFetcher;

impl Fetcher for FakeFetcher {
    async fn fetch_size(&self, url: &str) -> u64 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        url.len() as u64 * 100
    }
}

#[tokio::test(start_paused = true)]
async fn concurrent_crawls_add_up() {
    let crawler = Crawler::new(FakeFetcher);
    tokio::join!(
        crawler.crawl("a"),
        crawler.crawl("bb"),
        crawler.crawl("ccc")
    );
    assert_eq!(
        crawler.total_bytes(),
        600,
        "three pages of 100, 200 and 300 bytes were crawled at once"
    );
    crawler.crawl("dddd").await;
    assert_eq!(crawler.total_bytes(), 1000);
}
