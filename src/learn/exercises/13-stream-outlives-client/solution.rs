//! Live updates pushed to one client.

use std::future::Future;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// One connected client.
pub trait Client {
    fn push(&mut self, update: String) -> impl Future<Output = ()>;
}

/// Forwards updates from the feed to the client until the client goes away (its token
/// is cancelled) or the feed ends.
pub async fn stream_updates(
    cancel: CancellationToken,
    mut updates: mpsc::Receiver<String>,
    client: &mut impl Client,
) {
    loop {
        tokio::select! {
            _ = cancel.cancelled() => return,
            update = updates.recv() => match update {
                Some(update) => client.push(update).await,
                None => return,
            },
        }
    }
}
