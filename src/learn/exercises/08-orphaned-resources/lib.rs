//! Provisioning a tenant: a database, a bucket and a search index, in parallel.

use std::future::Future;
use std::sync::Arc;
use tokio::task::JoinHandle;

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

/// A step's own result, or its crash as an error.
async fn flatten(step: JoinHandle<Result<(), CloudError>>) -> Result<(), CloudError> {
    match step.await {
        Ok(result) => result,
        Err(crashed) => Err(CloudError(crashed.to_string())),
    }
}

/// Creates the tenant's resources.
pub async fn provision_tenant(cloud: Arc<impl Cloud>, tenant: u64) -> Result<(), CloudError> {
    let database = tokio::spawn({
        let cloud = cloud.clone();
        async move { cloud.create_database(tenant).await }
    });
    let bucket = tokio::spawn({
        let cloud = cloud.clone();
        async move { cloud.create_bucket(tenant).await }
    });
    let index = tokio::spawn({
        let cloud = cloud.clone();
        async move { cloud.create_search_index(tenant).await }
    });
    tokio::try_join!(flatten(database), flatten(bucket), flatten(index))?;
    Ok(())
}
