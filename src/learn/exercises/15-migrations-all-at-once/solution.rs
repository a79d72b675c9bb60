//! A one-off migration of every user.

use futures::stream::{self, StreamExt};
use std::future::Future;

/// The database pool's size: more migrations at once only queue on it.
const MIGRATIONS_IN_FLIGHT: usize = 20;

pub trait Database {
    /// Migrates one user in a transaction of its own.
    fn migrate_user(&self, user: u64) -> impl Future<Output = Result<(), String>>;
}

#[derive(Debug, Default, PartialEq)]
pub struct Report {
    pub migrated: usize,
    pub failed: Vec<u64>,
}

/// Migrates every user in `users`.
pub async fn migrate_all(db: &impl Database, users: &[u64]) -> Report {
    let mut results = stream::iter(users)
        .map(|&user| async move { (user, db.migrate_user(user).await) })
        .buffer_unordered(MIGRATIONS_IN_FLIGHT);
    let mut report = Report::default();
    while let Some((user, result)) = results.next().await {
        match result {
            Ok(()) => report.migrated += 1,
            Err(_) => report.failed.push(user),
        }
    }
    report.failed.sort_unstable();
    report
}
