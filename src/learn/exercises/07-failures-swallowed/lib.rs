//! The rebuilds that follow a deploy: search index and sitemap, in parallel.

use std::future::Future;
use std::sync::Arc;

#[derive(Debug, PartialEq)]
pub enum RebuildError {
    /// A rebuild returned an error.
    Failed(String),
    /// A rebuild panicked or was cancelled.
    Crashed(String),
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
    let _ = index.await;
    let _ = sitemap.await;
    Ok(())
}
