//! Orders, and their confirmation emails sent in the background.

use std::future::Future;
use std::sync::Arc;
use tokio::task::JoinSet;

#[derive(Debug)]
pub struct MailError(pub String);

/// The mail server.
pub trait Mailer: Send + Sync + 'static {
    fn send_confirmation(&self, order: u64) -> impl Future<Output = Result<(), MailError>> + Send;
}

pub struct Orders<M> {
    mailer: Arc<M>,
    placed: u64,
    /// The confirmations being sent, each with the order it confirms.
    confirmations: JoinSet<(u64, Result<(), MailError>)>,
}

impl<M: Mailer> Orders<M> {
    pub fn new(mailer: Arc<M>) -> Self {
        Orders {
            mailer,
            placed: 0,
            confirmations: JoinSet::new(),
        }
    }

    /// Places an order and returns its id. The confirmation is sent in the background:
    /// the customer does not wait for the mail server.
    pub fn place_order(&mut self) -> u64 {
        self.placed += 1;
        let order = self.placed;
        let mailer = self.mailer.clone();
        self.confirmations
            .spawn(async move { (order, mailer.send_confirmation(order).await) });
        order
    }

    /// Waits for the confirmations still being sent; returns the orders whose
    /// confirmation failed.
    pub async fn shutdown(mut self) -> Vec<u64> {
        let mut failed = Vec::new();
        while let Some(done) = self.confirmations.join_next().await {
            match done {
                Ok((_, Ok(()))) => {}
                Ok((order, Err(MailError(why)))) => {
                    eprintln!("confirmation of order {order} failed: {why}");
                    failed.push(order);
                }
                Err(crashed) => eprintln!("a confirmation task crashed: {crashed}"),
            }
        }
        failed.sort_unstable();
        failed
    }
}
