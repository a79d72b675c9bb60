//! Placing an order does not wait for the mail server; shutdown waits for every
//! confirmation and reports the ones that failed.

use confirmations_lost::{MailError, Mailer, Orders};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;

/// A slow mail server that rejects the confirmation of order 2.
#[derive(Default)]
struct FakeMailer {
    finished: AtomicUsize,
}

impl Mailer for FakeMailer {
    async fn send_confirmation(&self, order: u64) -> Result<(), MailError> {
        tokio::time::sleep(Duration::from_secs(2)).await;
        self.finished.fetch_add(1, Ordering::SeqCst);
        if order == 2 {
            Err(MailError("mailbox unavailable".to_string()))
        } else {
            Ok(())
        }
    }
}

#[tokio::test(start_paused = true)]
async fn failed_confirmations_are_reported_at_shutdown() {
    let mailer = Arc::new(FakeMailer::default());
    let mut orders = Orders::new(mailer.clone());
    let started = Instant::now();
    let ids: Vec<u64> = (0..3).map(|_| orders.place_order()).collect();
    assert_eq!(ids, [1, 2, 3]);
    assert!(
        started.elapsed() < Duration::from_millis(1),
        "placing orders waited for the mail server"
    );

    let failed = orders.shutdown().await;
    assert_eq!(
        mailer.finished.load(Ordering::SeqCst),
        3,
        "shutdown returned before every confirmation was sent"
    );
    assert_eq!(
        failed,
        [2],
        "the confirmation of order 2 failed, and shutdown reported {failed:?}"
    );
}
