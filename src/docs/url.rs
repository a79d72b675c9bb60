//! Where the rule book is published: each rule's page has a stable URL (used as the
//! `helpUri` of SARIF results).

/// The published rule book.
pub const SITE: &str = "https://asynclint.github.io/asynclint/";

/// The page of rule `name`: `<SITE>rules/<name>.html`.
pub fn rule_url(name: &str) -> String {
    format!("{SITE}{}", rule_path(name))
}

/// The page of rule `name`, relative to the site's root.
pub fn rule_path(name: &str) -> String {
    format!("rules/{name}.html")
}
