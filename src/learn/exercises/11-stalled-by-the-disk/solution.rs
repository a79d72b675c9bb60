//! The report endpoint: a template from disk, rows from the database.

use std::future::Future;
use std::path::Path;

pub trait Database {
    fn query_rows(&self, report: u64) -> impl Future<Output = Vec<String>>;
}

/// Renders report `report`.
pub async fn render_report(template: &Path, db: &impl Database, report: u64) -> String {
    let (template, rows) = tokio::join!(tokio::fs::read_to_string(template), db.query_rows(report));
    template
        .unwrap_or_default()
        .replace("{rows}", &rows.join(", "))
}
