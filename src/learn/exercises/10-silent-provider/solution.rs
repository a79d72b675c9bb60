//! Asking quote providers for a price, over UDP, first answer wins.

use std::net::SocketAddr;
use std::time::Duration;
use tokio::net::UdpSocket;
use tokio::time::{timeout_at, Instant};

/// How long a healthy provider takes at most.
pub const PROVIDER_TIMEOUT: Duration = Duration::from_secs(2);

#[derive(Debug, PartialEq)]
pub enum QuoteError {
    NoProvider,
    Io(String),
}

impl From<std::io::Error> for QuoteError {
    fn from(e: std::io::Error) -> Self {
        QuoteError::Io(e.to_string())
    }
}

/// The price of `symbol` from the first provider that gives one.
pub async fn get_quote(symbol: &str, providers: &[SocketAddr]) -> Result<String, QuoteError> {
    let socket = UdpSocket::bind("127.0.0.1:0").await?;
    let mut buf = [0u8; 512];
    for provider in providers {
        socket.send_to(symbol.as_bytes(), provider).await?;
        let deadline = Instant::now() + PROVIDER_TIMEOUT;
        // Replies from providers given up on earlier are skipped, not taken as this one's.
        while let Ok(received) = timeout_at(deadline, socket.recv_from(&mut buf)).await {
            let (n, from) = received?;
            if from != *provider {
                continue;
            }
            let reply = String::from_utf8_lossy(&buf[..n]).into_owned();
            if reply != "ERR" {
                return Ok(reply);
            }
            break;
        }
    }
    Err(QuoteError::NoProvider)
}
