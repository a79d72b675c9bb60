//! Two queue workers under one supervisor.

use std::future::Future;
use std::sync::Arc;
use tokio::task::JoinError;
use tokio_util::sync::CancellationToken;

pub trait Queue: Send + Sync + 'static {
    /// Takes the next job and does it.
    fn work_one(&self, worker: usize) -> impl Future<Output = ()> + Send;
}

async fn worker(queue: Arc<impl Queue>, id: usize, token: CancellationToken) {
    loop {
        tokio::select! {
            _ = token.cancelled() => break,
            _ = queue.work_one(id) => {}
        }
    }
}

/// Runs two workers until `shutdown` is cancelled.
pub async fn run_workers(
    shutdown: CancellationToken,
    queue: Arc<impl Queue>,
) -> Result<(), JoinError> {
    let token = CancellationToken::new();
    let first = tokio::spawn(worker(queue.clone(), 1, token.clone()));
    let second = tokio::spawn(worker(queue.clone(), 2, token.clone()));
    let (first, second) = tokio::join!(first, second);
    first?;
    second?;
    Ok(())
}
