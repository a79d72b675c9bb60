//! The nightly export, on a thread of its own.

use std::future::Future;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

#[derive(Debug, PartialEq)]
pub enum ExportError {
    TimedOut,
    NoRuntime(String),
}

pub trait Store: Send + Sync + 'static {
    fn dump(&self) -> impl Future<Output = Vec<String>> + Send;
}

async fn export(store: &impl Store) -> Result<usize, ExportError> {
    let rows = tokio::time::timeout(Duration::from_secs(60), store.dump())
        .await
        .map_err(|_| ExportError::TimedOut)?;
    Ok(rows.len())
}

/// Runs the export on a thread of its own; the thread returns how many rows it wrote.
pub fn spawn_export(store: Arc<impl Store>) -> JoinHandle<Result<usize, ExportError>> {
    std::thread::spawn(move || futures::executor::block_on(export(&*store)))
}
