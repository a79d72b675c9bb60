//! Test code: `#[test]`-like fns, `#[cfg(test)]` modules, and files under `tests/` or
//! `benches/`. Some patterns are deliberate there (a task that lives as long as the
//! test's runtime), so rules may look at it differently.

use proc_macro2::TokenTree;
use syn::Attribute;

/// Directories whose files are test or benchmark code.
const TEST_DIRS: &[&str] = &["tests", "benches"];

/// Whether a file is test code by its path: under a `tests/` or `benches/` directory,
/// or a test module by its name (`tests.rs`, `integration_tests.rs`, `test_util.rs`).
pub fn is_test_path(path: &str) -> bool {
    let mut parts = path.split(['/', '\\']).rev();
    let stem = parts.next().unwrap_or("").trim_end_matches(".rs");
    let test_module = stem == "tests"
        || stem == "test"
        || stem.ends_with("_tests")
        || stem.ends_with("_test")
        || stem.starts_with("test_");
    test_module || parts.any(|c| TEST_DIRS.contains(&c))
}

/// `#[test]`, `#[tokio::test]`, `#[async_std::test(..)]`, ...
pub fn is_test_fn(attrs: &[Attribute]) -> bool {
    attrs
        .iter()
        .any(|a| a.path().segments.last().is_some_and(|s| s.ident == "test"))
}

/// `#[cfg(test)]` or `#[cfg(all(.., test, ..))]` (not `any`, not `not`).
pub fn is_cfg_test(attrs: &[Attribute]) -> bool {
    attrs.iter().any(|a| {
        let syn::Meta::List(list) = &a.meta else {
            return false;
        };
        if !list.path.is_ident("cfg") {
            return false;
        }
        let tokens: Vec<TokenTree> = list.tokens.clone().into_iter().collect();
        match tokens.as_slice() {
            [TokenTree::Ident(i)] => i == "test",
            [TokenTree::Ident(all), TokenTree::Group(g)] if all == "all" => {
                let inner: Vec<TokenTree> = g.stream().into_iter().collect();
                inner.iter().enumerate().any(|(k, t)| {
                    matches!(t, TokenTree::Ident(i) if i == "test")
                        && !matches!(inner.get(k + 1), Some(TokenTree::Group(_)))
                }) && !g.stream().to_string().contains("not")
            }
            _ => false,
        }
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
    fn recognises_test_fns_modules_and_paths() {
        assert!(is_test_fn(&attrs(
            "#[tokio::test(flavor = \"multi_thread\")]"
        )));
        assert!(!is_test_fn(&attrs("#[inline]")));
        assert!(is_cfg_test(&attrs("#[cfg(test)]")));
        assert!(is_cfg_test(&attrs(
            "#[cfg(all(feature = \"tokio\", test))]"
        )));
        assert!(!is_cfg_test(&attrs("#[cfg(not(test))]")));
        assert!(!is_cfg_test(&attrs("#[cfg(any(test, feature = \"x\"))]")));
        assert!(!is_cfg_test(&attrs("#[cfg(feature = \"test-util\")]")));
        assert!(is_test_path("tokio/tests/udp.rs") && is_test_path("benches/x.rs"));
        assert!(is_test_path("src/tests.rs") && is_test_path("src/mqtt/integration_tests.rs"));
        assert!(!is_test_path("src/net/tcp.rs") && !is_test_path("src/attestation.rs"));
    }
}
