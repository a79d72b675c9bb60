//! A provider that never answers is skipped after the timeout.

use silent_provider::{get_quote, QuoteError, PROVIDER_TIMEOUT};
use std::net::SocketAddr;
use std::time::Duration;
use tokio::net::UdpSocket;
use tokio::time::{timeout, Instant};

/// A provider whose service has hung: it receives requests and never replies.
async fn hung_provider() -> (UdpSocket, SocketAddr) {
    let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let addr = socket.local_addr().unwrap();
    (socket, addr)
}

/// A healthy provider answering every request with `reply`.
async fn provider(reply: &'static str) -> SocketAddr {
    let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let addr = socket.local_addr().unwrap();
    tokio::spawn(async move {
        let mut buf = [0u8; 64];
        while let Ok((_, from)) = socket.recv_from(&mut buf).await {
            socket.send_to(reply.as_bytes(), from).await.unwrap();
        }
    });
    addr
}

#[tokio::test(start_paused = true)]
async fn a_hung_provider_is_skipped() {
    let (_hung, hung_addr) = hung_provider().await;
    let healthy = provider("101.25").await;
    let started = Instant::now();
    let quote = timeout(
        Duration::from_secs(60),
        get_quote("ACME", &[hung_addr, healthy]),
    )
    .await
    .expect("get_quote still waits for the hung provider after a minute");
    assert_eq!(quote, Ok("101.25".to_string()));
    assert!(started.elapsed() <= PROVIDER_TIMEOUT + Duration::from_millis(100));
}

#[tokio::test(start_paused = true)]
async fn an_erroring_provider_is_skipped_and_all_failing_is_an_error() {
    let failing = provider("ERR").await;
    let healthy = provider("99.00").await;
    assert_eq!(
        get_quote("ACME", &[failing, healthy]).await,
        Ok("99.00".to_string())
    );
    let (_hung, hung_addr) = hung_provider().await;
    let result = timeout(
        Duration::from_secs(60),
        get_quote("ACME", &[failing, hung_addr]),
    )
    .await
    .expect("get_quote still waits for the hung provider after a minute");
    assert_eq!(result, Err(QuoteError::NoProvider));
}
