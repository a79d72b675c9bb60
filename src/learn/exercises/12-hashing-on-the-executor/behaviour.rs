//! Another task runs while a password is being hashed.

use hashing_on_the_executor::{register, Users, ROUNDS};
use pbkdf2::pbkdf2_hmac;
use sha2::Sha256;
use std::sync::{Arc, Mutex};

/// Records the order of events on the executor.
#[derive(Clone, Default)]
struct Log(Arc<Mutex<Vec<&'static str>>>);

impl Users for Log {
    async fn save(&self, _name: &str, _hash: [u8; 32]) {
        self.0.lock().unwrap().push("user saved");
    }
}

#[tokio::test]
async fn other_tasks_run_while_the_password_is_hashed() {
    let log = Log::default();
    let heartbeat = tokio::spawn({
        let log = log.clone();
        async move { log.0.lock().unwrap().push("heartbeat") }
    });
    let hash = register(&log, "ada", "correct horse").await;
    heartbeat.await.unwrap();

    let mut expected = [0u8; 32];
    pbkdf2_hmac::<Sha256>(b"correct horse", b"ada", ROUNDS, &mut expected);
    assert_eq!(hash, expected);
    let events = log.0.lock().unwrap().clone();
    assert_eq!(
        events,
        ["heartbeat", "user saved"],
        "the heartbeat task could not run until the hash was done"
    );
}
