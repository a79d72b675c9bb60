//! Test code: test fns, `#[cfg(test)]` modules and items, and files that only tests
//! compile. Rules about latency or task hygiene may leave it alone: tests run one
//! request at a time on purpose, and their runtime is dropped when they return.

use syn::Attribute;

/// `#[test]`, `#[tokio::test]`, `#[actix_rt::test]`, `#[test_log::test]`, `#[rstest]`,
/// `#[test_case(..)]`, or `#[cfg(test)]` / `#[cfg(all(test, ..))]`.
pub fn is_test_item(attrs: &[Attribute]) -> bool {
    attrs.iter().any(|a| {
        let Some(last) = a.path().segments.last() else {
            return false;
        };
        let name = last.ident.to_string();
        if name == "cfg" {
            return match &a.meta {
                syn::Meta::List(l) => names_test(l.tokens.clone()),
                _ => false,
            };
        }
        name == "test" || name == "rstest" || name.starts_with("test_")
    })
}

/// Whether a `cfg(..)` predicate mentions `test` outside a `not(..)`.
fn names_test(tokens: proc_macro2::TokenStream) -> bool {
    let mut prev_not = false;
    for tt in tokens {
        match tt {
            proc_macro2::TokenTree::Ident(i) => {
                if i == "test" {
                    return true;
                }
                prev_not = i == "not";
            }
            proc_macro2::TokenTree::Group(g) => {
                if !prev_not && names_test(g.stream()) {
                    return true;
                }
                prev_not = false;
            }
            _ => prev_not = false,
        }
    }
    false
}

/// A file only tests or benches compile: under a `tests`/`benches` directory, or a
/// test module or test-support file (`tests.rs`, `test.rs`, `*_test.rs`,
/// `*_tests.rs`, `test_*.rs` such as `test_utils.rs`, `testing.rs`).
pub fn is_test_path(path: &str) -> bool {
    let mut parts: Vec<&str> = path.split(['/', '\\']).collect();
    let Some(file) = parts.pop() else {
        return false;
    };
    let stem = file.strip_suffix(".rs").unwrap_or(file);
    parts.iter().any(|d| *d == "tests" || *d == "benches")
        || stem == "tests"
        || stem == "test"
        || stem.ends_with("_test")
        || stem.ends_with("_tests")
        || stem.starts_with("test_")
        || stem == "testing"
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attrs(src: &str) -> Vec<Attribute> {
        let f: syn::ItemFn = syn::parse_str(&format!("{src} fn f() {{}}")).unwrap();
        f.attrs
    }

    #[test]
    fn test_items_and_paths() {
        assert!(is_test_item(&attrs("#[tokio::test]")));
        assert!(is_test_item(&attrs("#[test]")));
        assert!(is_test_item(&attrs("#[cfg(all(test, feature = \"x\"))]")));
        assert!(!is_test_item(&attrs("#[cfg(not(test))]")));
        assert!(!is_test_item(&attrs("#[tokio::main] #[inline]")));
        assert!(is_test_path("crates/api/tests/documents/get.rs"));
        assert!(is_test_path("src/site/tests.rs"));
        assert!(is_test_path("src/sinks/loki/integration_tests.rs"));
        assert!(!is_test_path("src/latest.rs"));
        assert!(!is_test_path("fixtures/rule/bad.rs"));
        assert!(is_test_path("src/test_utils.rs") && is_test_path("src/testing.rs"));
        assert!(!is_test_path("src/contest.rs"));
    }
}
