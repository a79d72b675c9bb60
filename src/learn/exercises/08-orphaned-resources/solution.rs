//! Provisioning a tenant: a database, a bucket and a search index, in parallel.

use std::future::Future;
use std::sync::Arc;

#[derive(Debug, PartialEq)]
pub struct CloudError(pub String);

pub trait Cloud: Send + Sync + 'static {
    fn create_database(&self, tenant: u64) -> impl Future<Output = Result<(), CloudError>> + Send;
    fn create_bucket(&self, tenant: u64) -> impl Future<Output = Result<(), CloudError>> + Send;
    fn create_search_index(
        &self,
        tenant: u64,
    ) -> impl Future<Output = Result<(), CloudError>> + Send;
    /// Deletes whatever the tenant has; deleting what does not exist is fine.
    fn delete_tenant(&self, tenant: u64) -> impl Future<Output = ()> + Send;
}

/// Creates the tenant's resources: all of them, or none.
pub async fn provision_tenant(cloud: Arc<impl Cloud>, tenant: u64) -> Result<(), CloudError> {
    // Collect-all: every step settles before anything is decided.
    let (database, bucket, index) = tokio::join!(
        cloud.create_database(tenant),
        cloud.create_bucket(tenant),
        cloud.create_search_index(tenant),
    );
    if let Err(failed) = database.and(bucket).and(index) {
        // Nothing is still running, so this removes everything the steps made.
        cloud.delete_tenant(tenant).await;
        return Err(failed);
    }
    Ok(())
}
