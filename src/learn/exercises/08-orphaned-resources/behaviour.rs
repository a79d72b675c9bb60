//! A failed provisioning owns nothing once it has returned.

use orphaned_resources::{provision_tenant, Cloud, CloudError};
use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::time::sleep;

/// A cloud whose search quota is exhausted: the index fails fast, the others are slow.
#[derive(Default)]
struct FakeCloud {
    resources: Mutex<BTreeSet<&'static str>>,
}

impl FakeCloud {
    async fn create(&self, what: &'static str, takes: Duration) -> Result<(), CloudError> {
        sleep(takes).await;
        self.resources.lock().unwrap().insert(what);
        Ok(())
    }
}

impl Cloud for FakeCloud {
    async fn create_database(&self, _tenant: u64) -> Result<(), CloudError> {
        self.create("database", Duration::from_secs(2)).await
    }
    async fn create_bucket(&self, _tenant: u64) -> Result<(), CloudError> {
        self.create("bucket", Duration::from_millis(500)).await
    }
    async fn create_search_index(&self, _tenant: u64) -> Result<(), CloudError> {
        sleep(Duration::from_millis(300)).await;
        Err(CloudError("search quota exceeded".to_string()))
    }
    async fn delete_tenant(&self, _tenant: u64) {
        sleep(Duration::from_millis(200)).await;
        self.resources.lock().unwrap().clear();
    }
}

#[tokio::test(start_paused = true)]
async fn a_failed_provisioning_leaves_nothing_behind() {
    let cloud = Arc::new(FakeCloud::default());
    let result = provision_tenant(cloud.clone(), 42).await;
    assert_eq!(result, Err(CloudError("search quota exceeded".to_string())));

    sleep(Duration::from_secs(5)).await;
    let left = cloud.resources.lock().unwrap().clone();
    assert!(
        left.is_empty(),
        "provisioning failed, and five seconds later the tenant still has {left:?}"
    );
}
