//! Receiving telemetry frames while sending heartbeats.

use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt};

pub const HEARTBEAT: Duration = Duration::from_millis(100);

/// Reads 4-byte big-endian readings until the connection closes, calling `heartbeat`
/// every `HEARTBEAT` meanwhile.
pub async fn receive(mut conn: impl AsyncRead + Unpin, mut heartbeat: impl FnMut()) -> Vec<u32> {
    let mut ticks = tokio::time::interval(HEARTBEAT);
    let mut readings = Vec::new();
    // Bytes received but not yet part of a whole frame. They live outside the
    // `select!`, so a read cancelled by the heartbeat loses nothing.
    let mut pending: Vec<u8> = Vec::with_capacity(64);
    loop {
        tokio::select! {
            read = conn.read_buf(&mut pending) => match read {
                Ok(0) | Err(_) => return readings,
                Ok(_) => {
                    let whole = pending.len() / 4 * 4;
                    for frame in pending.drain(..whole).collect::<Vec<u8>>().chunks(4) {
                        readings.push(u32::from_be_bytes([frame[0], frame[1], frame[2], frame[3]]));
                    }
                }
            },
            _ = ticks.tick() => heartbeat(),
        }
    }
}
