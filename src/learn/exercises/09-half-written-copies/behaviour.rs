//! Every store ends with the whole file or nothing, even when one copy fails.

use half_written_copies::{store_everywhere, Store, StoreError};
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::time::Duration;

/// A store that writes a chunk per 10 ms and can fail after some chunks.
struct FakeStore {
    files: RefCell<BTreeMap<String, Vec<u8>>>,
    fail_after: Option<usize>,
}

impl FakeStore {
    fn new(fail_after: Option<usize>) -> Self {
        FakeStore {
            files: RefCell::default(),
            fail_after,
        }
    }
}

impl Store for FakeStore {
    async fn write_chunk(&self, name: &str, chunk: &[u8]) -> Result<(), StoreError> {
        tokio::time::sleep(Duration::from_millis(10)).await;
        let mut files = self.files.borrow_mut();
        let file = files.entry(name.to_string()).or_default();
        if self.fail_after.is_some_and(|n| file.len() >= n * 4) {
            return Err(StoreError("disk full".to_string()));
        }
        file.extend_from_slice(chunk);
        Ok(())
    }
    async fn remove(&self, name: &str) {
        tokio::time::sleep(Duration::from_millis(10)).await;
        self.files.borrow_mut().remove(name);
    }
}

const DATA: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";

fn whole_or_nothing(store: &FakeStore, which: &str) {
    let files = store.files.borrow();
    match files.get("upload") {
        None => {}
        Some(content) => assert_eq!(
            content.as_slice(),
            DATA,
            "the {which} holds {} of {} bytes",
            content.len(),
            DATA.len()
        ),
    }
}

#[tokio::test(start_paused = true)]
async fn a_failed_copy_leaves_no_partial_file() {
    let (primary, mirror, backup) = (
        FakeStore::new(None),
        FakeStore::new(None),
        FakeStore::new(Some(1)),
    );
    let result = store_everywhere(&primary, &mirror, &backup, "upload", DATA).await;
    assert_eq!(result, Err(StoreError("disk full".to_string())));
    whole_or_nothing(&primary, "primary");
    whole_or_nothing(&mirror, "mirror");
    whole_or_nothing(&backup, "backup");
}

#[tokio::test(start_paused = true)]
async fn a_good_upload_is_everywhere() {
    let stores = [
        FakeStore::new(None),
        FakeStore::new(None),
        FakeStore::new(None),
    ];
    store_everywhere(&stores[0], &stores[1], &stores[2], "upload", DATA)
        .await
        .unwrap();
    for store in &stores {
        assert_eq!(store.files.borrow()["upload"], DATA);
    }
}
