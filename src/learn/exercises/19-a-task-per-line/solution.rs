//! Shipping log lines to an uploader.

use std::future::Future;
use std::sync::Arc;
use tokio::task::JoinSet;

/// The uploader accepts this many uploads at a time.
pub const WORKERS: usize = 8;

#[derive(Debug, PartialEq)]
pub enum ShipError {
    Upload(String),
    Crashed(String),
}

pub trait Uploader: Send + Sync + 'static {
    fn upload(&self, line: &str) -> impl Future<Output = Result<(), ShipError>> + Send;
}

/// Uploads every line; returns the first error.
pub async fn ship_lines(uploader: Arc<impl Uploader>, lines: Vec<String>) -> Result<(), ShipError> {
    let (tx, rx) = async_channel::bounded::<String>(WORKERS);
    let mut pool = JoinSet::new();
    for _ in 0..WORKERS {
        let (rx, uploader) = (rx.clone(), uploader.clone());
        pool.spawn(async move {
            while let Ok(line) = rx.recv().await {
                uploader.upload(&line).await?;
            }
            Ok(())
        });
    }
    // Only the workers receive: when they have all stopped, `send` fails instead of
    // waiting forever for room in the channel.
    drop(rx);
    pool.spawn(async move {
        for line in lines {
            if tx.send(line).await.is_err() {
                break;
            }
        }
        // `tx` is dropped here: the workers drain the channel and stop.
        Ok(())
    });
    while let Some(done) = pool.join_next().await {
        // The first error returns; dropping `pool` aborts the workers and the feeder.
        done.map_err(|e| ShipError::Crashed(e.to_string()))??;
    }
    Ok(())
}
