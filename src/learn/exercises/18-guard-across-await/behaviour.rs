//! Two refreshes at once on one thread complete.
//!
//! The scenario runs on a thread of its own, so that a deadlock is reported instead of
//! hanging the test run.

use guard_across_await::{AuthServer, Sessions};
use std::sync::mpsc;
use std::time::Duration;

struct FakeAuth;

impl AuthServer for FakeAuth {
    async fn renew(&self, user: u64) -> String {
        tokio::time::sleep(Duration::from_millis(100)).await;
        format!("token-{user}")
    }
}

#[test]
fn concurrent_refreshes_complete() {
    let (done_tx, done_rx) = mpsc::channel();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .start_paused(true)
            .build()
            .unwrap();
        runtime.block_on(async {
            let sessions = Sessions::new(FakeAuth);
            tokio::join!(sessions.refresh(1), sessions.refresh(2));
            let _ = done_tx.send((sessions.token(1), sessions.token(2)));
        });
    });
    let tokens = done_rx
        .recv_timeout(Duration::from_secs(2))
        .expect("two concurrent refreshes deadlocked the thread");
    assert_eq!(
        tokens,
        (Some("token-1".to_string()), Some("token-2".to_string()))
    );
}
