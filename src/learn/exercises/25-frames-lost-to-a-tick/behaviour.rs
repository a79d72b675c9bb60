//! Frames split across a heartbeat arrive intact, and heartbeats keep going.

use frames_lost_to_a_tick::{receive, HEARTBEAT};
use std::time::Duration;
use tokio::io::AsyncWriteExt;

#[tokio::test(start_paused = true)]
async fn split_frames_arrive_intact() {
    let (mut sender, conn) = tokio::io::duplex(64);
    tokio::spawn(async move {
        sender.write_all(&1u32.to_be_bytes()).await.unwrap();
        // The second frame arrives in two halves, with a heartbeat in between.
        let second = 2u32.to_be_bytes();
        sender.write_all(&second[..2]).await.unwrap();
        tokio::time::sleep(HEARTBEAT + HEARTBEAT / 2).await;
        sender.write_all(&second[2..]).await.unwrap();
        sender.write_all(&3u32.to_be_bytes()).await.unwrap();
        tokio::time::sleep(Duration::from_millis(10)).await;
        // Dropping the sender closes the connection.
    });
    let mut beats = 0;
    let readings = receive(conn, || beats += 1).await;
    assert_eq!(
        readings,
        [1, 2, 3],
        "a frame split across a heartbeat was read as {readings:?}"
    );
    assert!(beats >= 2, "only {beats} heartbeats were sent");
}
