//! Loading a user, with a deadline.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

pub const DEADLINE: Duration = Duration::from_millis(100);

#[derive(Debug, PartialEq)]
pub enum LoadError {
    TimedOut,
    Crashed,
}

pub trait Database: Send + Sync + 'static {
    fn load(&self, user: u64) -> impl Future<Output = String> + Send;
}

/// The user's details, or `TimedOut` after `DEADLINE`.
pub async fn load_user(db: Arc<impl Database>, user: u64) -> Result<String, LoadError> {
    // No task: when the deadline passes, `timeout` drops the query future, which
    // cancels the query.
    tokio::time::timeout(DEADLINE, db.load(user))
        .await
        .map_err(|_| LoadError::TimedOut)
}
