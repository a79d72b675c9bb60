//! A one-off migration of every user.

use futures::future::join_all;
use std::future::Future;

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
    let results = join_all(users.iter().map(|&user| db.migrate_user(user))).await;
    let mut report = Report::default();
    for (&user, result) in users.iter().zip(results) {
        match result {
            Ok(()) => report.migrated += 1,
            Err(_) => report.failed.push(user),
        }
    }
    report
}
