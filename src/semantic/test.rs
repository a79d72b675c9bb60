//! Test code: what runs only under `cargo test` or `cargo bench`. Some rules judge it
//! differently (a test's peer is a fixture the test itself started).

use syn::Attribute;

/// Whether a file is test code by where it lives or what it is called: a module
/// named `tests`, `test`, `*_tests`, `*_test` (`transport_tests.rs`, declared under
/// `#[cfg(test)]`), a directory named `test_*`/`test-*` (`test_utils/`,
/// `test_helpers/`) or `*-tests`/`*_tests` (an end-to-end test crate), or a `tests/`,
/// `test/` or `benches/` directory that is not itself inside a crate's `src/`
/// (`/home/me/tests/app/src/main.rs` is not test code).
pub fn is_test_path(path: &str) -> bool {
    let parts: Vec<&str> = path.split(['/', '\\']).collect();
    let Some((file, dirs)) = parts.split_last() else {
        return false;
    };
    let stem = file.strip_suffix(".rs").unwrap_or(file);
    let test_named =
        |n: &str| n.ends_with("_tests") || n.ends_with("-tests") || n.ends_with("_test");
    if matches!(stem, "tests" | "test") || test_named(stem) {
        return true;
    }
    let mut after_src = false;
    for dir in dirs.iter().rev() {
        if test_named(dir) || dir.starts_with("test_") || dir.starts_with("test-") {
            return true;
        }
        if matches!(*dir, "tests" | "test" | "benches") && !after_src {
            return true;
        }
        after_src |= *dir == "src";
    }
    false
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
        assert!(is_test_path("src/http/transport_tests.rs"));
        assert!(is_test_path("core/test_helpers/src/prometheus.rs"));
        assert!(is_test_path("lib/k8s-e2e-tests/src/metrics.rs"));
        assert!(is_test_path("src/topology/test/end_to_end.rs"));
        assert!(!is_test_path("src/latest.rs"));
        assert!(!is_test_path("src/contest/mod.rs"));
        assert!(is_test_path("tokio/tests/support/mod.rs"));
        assert!(!is_test_path("/home/me/tests/app/src/main.rs"));
        assert!(!is_test_path("fixtures/missing-timeout/bad.rs"));
    }
}
