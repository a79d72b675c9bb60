//! The home screen: a profile, notifications and feature flags, from three services.

use std::future::Future;

/// The three services the home screen reads from.
pub trait Backend {
    fn fetch_profile(&self, user: u64) -> impl Future<Output = String>;
    fn fetch_notifications(&self, user: u64) -> impl Future<Output = Vec<String>>;
    fn fetch_feature_flags(&self) -> impl Future<Output = Vec<String>>;
}

#[derive(Debug, PartialEq)]
pub struct Home {
    pub profile: String,
    pub notifications: Vec<String>,
    pub flags: Vec<String>,
}

/// Everything the home screen of `user` shows.
pub async fn load_home(backend: &impl Backend, user: u64) -> Home {
    let profile = backend.fetch_profile(user).await;
    let notifications = backend.fetch_notifications(user).await;
    let flags = backend.fetch_feature_flags().await;
    Home {
        profile,
        notifications,
        flags,
    }
}
