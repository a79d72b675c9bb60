//! The rebuilds that follow a deploy: search index and sitemap, in parallel.

use std::future::Future;
use std::sync::Arc;
use tokio::task::JoinError;

#[derive(Debug, PartialEq)]
pub enum RebuildError {
    /// A rebuild returned an error.
    Failed(String),
    /// A rebuild panicked or was cancelled.
    Crashed(String),
}

impl From<JoinError> for RebuildError {
    fn from(e: JoinError) -> Self {
        RebuildError::Crashed(e.to_string())
    }
}

pub trait Site: Send + Sync + 'static {
    fn rebuild_search_index(&self) -> impl Future<Output = Result<(), RebuildError>> + Send;
    fn rebuild_sitemap(&self) -> impl Future<Output = Result<(), RebuildError>> + Send;
}

/// Rebuilds the search index and the sitemap in parallel.
pub async fn rebuild_after_deploy(site: Arc<impl Site>) -> Result<(), RebuildError> {
    let index = tokio::spawn({
        let site = site.clone();
        async move { site.rebuild_search_index().await }
    });
    let sitemap = tokio::spawn({
        let site = site.clone();
        async move { site.rebuild_sitemap().await }
    });
    // Both have finished before either result is judged: no task is left running.
    let (index, sitemap) = tokio::join!(index, sitemap);
    index??;
    sitemap??;
    Ok(())
}
