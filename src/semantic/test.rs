//! Test code: what runs only under `cargo test` or `cargo bench`. Some rules judge it
//! differently (a test's peer is a fixture the test itself started).

use syn::Attribute;

/// Whether a file is test code by where it lives: a `tests.rs` module, or a file in
/// a `tests/` or `benches/` directory that is not itself inside a crate's `src/`
/// (`/home/me/tests/app/src/main.rs` is not test code).
pub fn is_test_path(path: &str) -> bool {
    let parts: Vec<&str> = path.split(['/', '\\']).collect();
    let Some((file, dirs)) = parts.split_last() else {
        return false;
    };
    if *file == "tests.rs" {
        return true;
    }
    dirs.iter()
        .rposition(|c| *c == "tests" || *c == "benches")
        .is_some_and(|i| !dirs[i..].contains(&"src"))
}

/// Whether attributes make an item test-only: `#[cfg(test)]`, `#[cfg(all(test, ..))]`,
/// or a test attribute (`#[test]`, `#[tokio::test]`, `#[async_std::test]`, ...).
pub fn is_test_only(attrs: &[Attribute]) -> bool {
    attrs.iter().any(|a| {
        let path = a.path();
        if path.segments.last().is_some_and(|s| s.ident == "test") {
            return true;
        }
        if !path.is_ident("cfg") {
            return false;
        }
        let Ok(list) = a.meta.require_list() else {
            return false;
        };
        let cfg: String = list
            .tokens
            .to_string()
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        cfg == "test"
            || (cfg.starts_with("all(")
                && cfg
                    .trim_start_matches("all(")
                    .split([',', ')'])
                    .any(|p| p == "test"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attrs(src: &str) -> Vec<Attribute> {
        let f: syn::ItemFn = syn::parse_str(&format!("{src} fn f() {{}}")).unwrap();
        f.attrs
    }

    #[test]
    fn test_attributes_and_paths() {
        assert!(is_test_only(&attrs("#[tokio::test]")));
        assert!(is_test_only(&attrs("#[test]")));
        assert!(is_test_only(&attrs("#[cfg(test)]")));
        assert!(is_test_only(&attrs("#[cfg(all(test, feature = \"net\"))]")));
        assert!(!is_test_only(&attrs("#[cfg(not(test))]")));
        assert!(!is_test_only(&attrs("#[cfg(all(not(test), unix))]")));
        assert!(!is_test_only(&attrs("#[inline]")));
        assert!(is_test_path("tokio/tests/udp.rs"));
        assert!(is_test_path("h2/benches/main.rs"));
        assert!(is_test_path("src/net/tests.rs"));
        assert!(is_test_path("tokio/tests/support/mod.rs"));
        assert!(!is_test_path("/home/me/tests/app/src/main.rs"));
        assert!(!is_test_path("fixtures/missing-timeout/bad.rs"));
    }
}
