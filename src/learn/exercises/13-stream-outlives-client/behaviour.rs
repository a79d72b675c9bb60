//! A cancelled client's stream ends promptly; updates before that are delivered.

use std::time::Duration;
use stream_outlives_client::{stream_updates, Client};
use tokio::sync::mpsc;
use tokio::time::{sleep, timeout};
use tokio_util::sync::CancellationToken;

#[derive(Default)]
struct FakeClient {
    received: Vec<String>,
}

impl Client for FakeClient {
    async fn push(&mut self, update: String) {
        self.received.push(update);
    }
}

#[tokio::test(start_paused = true)]
async fn the_stream_stops_when_the_client_goes_away() {
    let (feed, updates) = mpsc::channel(8);
    let cancel = CancellationToken::new();
    let stream = tokio::spawn({
        let cancel = cancel.clone();
        async move {
            let mut client = FakeClient::default();
            stream_updates(cancel, updates, &mut client).await;
            client.received
        }
    });
    feed.send("price 1".to_string()).await.unwrap();
    feed.send("price 2".to_string()).await.unwrap();
    sleep(Duration::from_millis(10)).await;

    // The client disconnects; the live feed goes on (and stays quiet for now).
    cancel.cancel();
    let received = timeout(Duration::from_secs(5), stream)
        .await
        .expect("the stream still runs five seconds after its client went away")
        .unwrap();
    assert_eq!(received, ["price 1", "price 2"]);
    drop(feed);
}

#[tokio::test(start_paused = true)]
async fn the_stream_stops_when_the_feed_ends() {
    let (feed, updates) = mpsc::channel(8);
    feed.send("last".to_string()).await.unwrap();
    drop(feed);
    let mut client = FakeClient::default();
    timeout(
        Duration::from_secs(5),
        stream_updates(CancellationToken::new(), updates, &mut client),
    )
    .await
    .expect("the feed ended, the stream did not");
    assert_eq!(client.received, ["last"]);
}
