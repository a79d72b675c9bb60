//! Merging two feeds into one list.

use std::future::Future;
use std::sync::Arc;
use tokio::sync::mpsc;
use tokio::task::JoinError;

pub trait Feed: Send + Sync + 'static {
    /// The next item, or `None` when the feed is exhausted.
    fn next_item(&self) -> impl Future<Output = Option<String>> + Send;
}

async fn pump(feed: Arc<impl Feed>, out: mpsc::Sender<String>) {
    while let Some(item) = feed.next_item().await {
        if out.send(item).await.is_err() {
            break;
        }
    }
}

/// Every item of both feeds, in the order they arrived.
pub async fn merge_feeds(
    live: Arc<impl Feed>,
    archive: Arc<impl Feed>,
) -> Result<Vec<String>, JoinError> {
    let (tx, mut rx) = mpsc::channel(16);
    let live_pump = tokio::spawn(pump(live, tx.clone()));
    let archive_pump = tokio::spawn(pump(archive, tx.clone()));
    let mut items = Vec::new();
    while let Some(item) = rx.recv().await {
        items.push(item);
    }
    live_pump.await?;
    archive_pump.await?;
    Ok(items)
}
