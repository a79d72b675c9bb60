//! The dashboard: five sections of a user's account, from the section service.

use std::collections::BTreeMap;
use std::future::Future;

/// The sections, in the order the page shows them.
pub const SECTIONS: [&str; 5] = ["profile", "billing", "usage", "notifications", "feed"];

/// The section service, on another machine.
pub trait SectionService {
    /// One section of one user's dashboard: a request to the service.
    fn fetch_section(&self, user: u64, section: &'static str) -> impl Future<Output = String>;
}

/// Every section of `user`'s dashboard, by name.
pub async fn load_dashboard(
    service: &impl SectionService,
    user: u64,
) -> BTreeMap<&'static str, String> {
    let mut data = BTreeMap::new();
    for section in SECTIONS {
        let body = service.fetch_section(user, section).await;
        data.insert(section, body);
    }
    data
}
