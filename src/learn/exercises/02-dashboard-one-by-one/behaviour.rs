//! The five sections load together: the dashboard takes about one section's latency.

use dashboard_one_by_one::{load_dashboard, SectionService, SECTIONS};
use std::cell::Cell;
use std::time::Duration;
use tokio::time::Instant;

const LATENCY: Duration = Duration::from_millis(120);

#[derive(Default)]
struct FakeService {
    in_flight: Cell<usize>,
    max_in_flight: Cell<usize>,
}

impl SectionService for FakeService {
    async fn fetch_section(&self, user: u64, section: &'static str) -> String {
        self.in_flight.set(self.in_flight.get() + 1);
        self.max_in_flight
            .set(self.max_in_flight.get().max(self.in_flight.get()));
        tokio::time::sleep(LATENCY).await;
        self.in_flight.set(self.in_flight.get() - 1);
        format!("{section} of user {user}")
    }
}

#[tokio::test(start_paused = true)]
async fn the_dashboard_takes_one_round_trip_not_five() {
    let service = FakeService::default();
    let started = Instant::now();
    let dashboard = load_dashboard(&service, 7).await;
    let elapsed = started.elapsed();

    assert_eq!(dashboard.len(), SECTIONS.len());
    for section in SECTIONS {
        assert_eq!(dashboard[section], format!("{section} of user 7"));
    }
    assert!(
        elapsed < LATENCY * 2,
        "the dashboard took {elapsed:?}: {} requests of {LATENCY:?}, one after another \
         (at most {} were in flight at once)",
        SECTIONS.len(),
        service.max_in_flight.get()
    );
}
