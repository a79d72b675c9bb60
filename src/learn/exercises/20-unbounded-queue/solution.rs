//! Ingesting events: producers put them in a queue, a worker writes them to the sink.

use std::future::Future;
use std::sync::Arc;
use tokio::sync::mpsc;
use tokio::task::{JoinError, JoinHandle};

/// The most events the queue should hold.
pub const CAPACITY: usize = 256;

pub trait Sink: Send + Sync + 'static {
    fn write(&self, event: String) -> impl Future<Output = ()> + Send;
}

#[derive(Debug)]
pub struct Closed;

pub struct Pipeline {
    events: mpsc::Sender<String>,
    worker: JoinHandle<()>,
}

impl Pipeline {
    pub fn start(sink: Arc<impl Sink>) -> Pipeline {
        let (events, mut queue) = mpsc::channel(CAPACITY);
        let worker = tokio::spawn(async move {
            while let Some(event) = queue.recv().await {
                sink.write(event).await;
            }
        });
        Pipeline { events, worker }
    }

    /// Queues one event for the sink, waiting while the queue is full.
    pub async fn ingest(&self, event: String) -> Result<(), Closed> {
        self.events.send(event).await.map_err(|_| Closed)
    }

    /// Waits until every queued event is written.
    pub async fn finish(self) -> Result<(), JoinError> {
        drop(self.events);
        self.worker.await
    }
}
