//! Output formats.

pub mod cargo;
pub mod concise;
pub mod escape;
pub mod github;
pub mod gitlab;
pub mod human;
pub mod json;
pub mod junit;
pub mod rdjson;
pub mod sarif;

use std::borrow::Cow;

/// The page of a rule in the rule book.
pub fn rule_url(rule: &str) -> String {
    format!("https://asynclint.github.io/asynclint/rules/{rule}.html")
}

/// A path as CI tools want it: without a leading `./`, `/`-separated.
pub fn plain_path(path: &str) -> Cow<'_, str> {
    let p = path.trim_start_matches("./");
    if p.contains('\\') {
        Cow::Owned(p.replace('\\', "/"))
    } else {
        Cow::Borrowed(p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_plain() {
        assert_eq!(plain_path("./src/a.rs"), "src/a.rs");
    }
}
