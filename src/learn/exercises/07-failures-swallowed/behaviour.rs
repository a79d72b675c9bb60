//! A failed or crashed rebuild makes the whole rebuild fail.

use failures_swallowed::{rebuild_after_deploy, RebuildError, Site};
use std::sync::Arc;
use std::time::Duration;

struct FakeSite {
    index_panics: bool,
    sitemap_fails: bool,
}

impl Site for FakeSite {
    async fn rebuild_search_index(&self) -> Result<(), RebuildError> {
        tokio::time::sleep(Duration::from_millis(300)).await;
        if self.index_panics {
            panic!("search index: out of disk");
        }
        Ok(())
    }
    async fn rebuild_sitemap(&self) -> Result<(), RebuildError> {
        tokio::time::sleep(Duration::from_millis(100)).await;
        if self.sitemap_fails {
            return Err(RebuildError::Failed(
                "sitemap: storage refused the write".into(),
            ));
        }
        Ok(())
    }
}

async fn rebuild(index_panics: bool, sitemap_fails: bool) -> Result<(), RebuildError> {
    rebuild_after_deploy(Arc::new(FakeSite {
        index_panics,
        sitemap_fails,
    }))
    .await
}

#[tokio::test(start_paused = true)]
async fn a_healthy_rebuild_is_ok() {
    assert_eq!(rebuild(false, false).await, Ok(()));
}

#[tokio::test(start_paused = true)]
async fn a_failed_sitemap_is_an_error() {
    assert_eq!(
        rebuild(false, true).await,
        Err(RebuildError::Failed(
            "sitemap: storage refused the write".into()
        )),
        "the sitemap rebuild failed"
    );
}

#[tokio::test(start_paused = true)]
async fn a_crashed_index_is_an_error() {
    let result = rebuild(true, false).await;
    assert!(
        matches!(result, Err(RebuildError::Crashed(_))),
        "the search index rebuild panicked, and the rebuild returned {result:?}"
    );
}
