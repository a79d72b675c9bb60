//! The export thread finishes and returns the row count.

use no_reactor::{spawn_export, Store};
use std::sync::Arc;

struct FakeStore;

impl Store for FakeStore {
    async fn dump(&self) -> Vec<String> {
        tokio::task::yield_now().await;
        vec!["a".into(), "b".into(), "c".into()]
    }
}

#[test]
fn the_export_runs_on_its_own_thread() {
    let thread = spawn_export(Arc::new(FakeStore));
    let result = thread
        .join()
        .expect("the export thread panicked (see its message above)");
    assert_eq!(result, Ok(3));
}
