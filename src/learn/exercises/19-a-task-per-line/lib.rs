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
    let mut uploads = JoinSet::new();
    for line in lines {
        let uploader = uploader.clone();
        uploads.spawn(async move { uploader.upload(&line).await });
    }
    while let Some(done) = uploads.join_next().await {
        done.map_err(|e| ShipError::Crashed(e.to_string()))??;
    }
    Ok(())
}
