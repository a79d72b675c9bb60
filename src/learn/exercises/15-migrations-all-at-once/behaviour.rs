//! Every user is migrated, failures are reported, and at most 20 run at once.

use migrations_all_at_once::{migrate_all, Database, Report};
use std::cell::Cell;
use std::time::Duration;

/// A database with a pool of 20 connections: the 21st concurrent transaction is a
/// pool timeout. Users divisible by 97 fail to migrate.
#[derive(Default)]
struct FakeDatabase {
    in_flight: Cell<usize>,
    max_in_flight: Cell<usize>,
}

impl Database for FakeDatabase {
    async fn migrate_user(&self, user: u64) -> Result<(), String> {
        self.in_flight.set(self.in_flight.get() + 1);
        self.max_in_flight
            .set(self.max_in_flight.get().max(self.in_flight.get()));
        tokio::time::sleep(Duration::from_millis(50)).await;
        self.in_flight.set(self.in_flight.get() - 1);
        if user % 97 == 0 {
            Err(format!("user {user}: bad record"))
        } else {
            Ok(())
        }
    }
}

#[tokio::test(start_paused = true)]
async fn at_most_twenty_migrations_run_at_once() {
    let db = FakeDatabase::default();
    let users: Vec<u64> = (1..=1000).collect();
    let report = migrate_all(&db, &users).await;
    assert_eq!(
        report,
        Report {
            migrated: 990,
            failed: (1..=10).map(|i| i * 97).collect(),
        }
    );
    assert!(
        db.max_in_flight.get() <= 20,
        "the pool has 20 connections, and {} migrations ran at once",
        db.max_in_flight.get()
    );
    assert!(
        db.max_in_flight.get() > 1,
        "the migrations ran one at a time"
    );
}
