//! Receiving telemetry frames while sending heartbeats.

use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt};

pub const HEARTBEAT: Duration = Duration::from_millis(100);

/// Reads 4-byte big-endian readings until the connection closes, calling `heartbeat`
/// every `HEARTBEAT` meanwhile.
pub async fn receive(mut conn: impl AsyncRead + Unpin, mut heartbeat: impl FnMut()) -> Vec<u32> {
    let mut ticks = tokio::time::interval(HEARTBEAT);
    let mut readings = Vec::new();
    loop {
        let mut frame = [0u8; 4];
        tokio::select! {
            read = conn.read_exact(&mut frame) => match read {
                Ok(_) => readings.push(u32::from_be_bytes(frame)),
                Err(_) => return readings,
            },
            _ = ticks.tick() => heartbeat(),
        }
    }
}
