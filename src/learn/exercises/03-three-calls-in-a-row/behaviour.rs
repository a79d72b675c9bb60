//! The three independent calls overlap: the home screen costs the slowest one.

use std::time::Duration;
use three_calls_in_a_row::{load_home, Backend, Home};
use tokio::time::{sleep, Instant};

struct FakeBackend;

impl Backend for FakeBackend {
    async fn fetch_profile(&self, user: u64) -> String {
        sleep(Duration::from_millis(120)).await;
        format!("user {user}")
    }
    async fn fetch_notifications(&self, _user: u64) -> Vec<String> {
        sleep(Duration::from_millis(90)).await;
        vec!["welcome".to_string()]
    }
    async fn fetch_feature_flags(&self) -> Vec<String> {
        sleep(Duration::from_millis(60)).await;
        vec!["dark-mode".to_string()]
    }
}

#[tokio::test(start_paused = true)]
async fn the_home_screen_costs_the_slowest_call() {
    let started = Instant::now();
    let home = load_home(&FakeBackend, 3).await;
    let elapsed = started.elapsed();
    assert_eq!(
        home,
        Home {
            profile: "user 3".to_string(),
            notifications: vec!["welcome".to_string()],
            flags: vec!["dark-mode".to_string()],
        }
    );
    assert!(
        elapsed < Duration::from_millis(150),
        "the home screen took {elapsed:?}: the sum of the three calls (120 + 90 + 60 ms), \
         not the slowest (120 ms)"
    );
}
