//! Test code: fns marked `#[test]` (any attribute whose last segment is `test`:
//! `#[tokio::test]`, `#[async_std::test]`), items under `#[cfg(test)]`, and the files of
//! a crate's `tests/` and `benches/` directories. Rules whose findings only matter at
//! production scale (a test's inputs are small by construction) leave it alone.

use proc_macro2::{Span, TokenTree};
use std::path::Path;
use syn::visit::{self, Visit};
use syn::Attribute;

/// Whether an attribute marks a test fn or test-only code.
pub fn is_test_attr(attr: &Attribute) -> bool {
    let path = attr.path();
    if path.segments.last().is_some_and(|s| s.ident == "test") {
        return true;
    }
    if !path.is_ident("cfg") {
        return false;
    }
    // `#[cfg(test)]`, `#[cfg(all(test, feature = "x"))]`, but not `#[cfg(not(test))]`.
    let syn::Meta::List(list) = &attr.meta else {
        return false;
    };
    let mut idents = Vec::new();
    collect_idents(list.tokens.clone(), &mut idents);
    idents.iter().any(|i| i == "test") && !idents.iter().any(|i| i == "not" || i == "any")
}

fn collect_idents(ts: proc_macro2::TokenStream, out: &mut Vec<String>) {
    for tt in ts {
        match tt {
            TokenTree::Ident(i) => out.push(i.to_string()),
            TokenTree::Group(g) => collect_idents(g.stream(), out),
            _ => {}
        }
    }
}

/// The spans of the test items of a file: test fns and `#[cfg(test)]` items.
pub fn test_item_spans(file: &syn::File) -> Vec<Span> {
    struct T(Vec<Span>);
    impl T {
        fn check(&mut self, attrs: &[Attribute], span: impl FnOnce() -> Span) -> bool {
            let test = attrs.iter().any(is_test_attr);
            if test {
                self.0.push(span());
            }
            test
        }
    }
    impl<'ast> Visit<'ast> for T {
        fn visit_item(&mut self, i: &'ast syn::Item) {
            let attrs: &[Attribute] = match i {
                syn::Item::Fn(f) => &f.attrs,
                syn::Item::Mod(m) => &m.attrs,
                syn::Item::Impl(im) => &im.attrs,
                syn::Item::Use(_) | syn::Item::Macro(_) => return,
                _ => return visit::visit_item(self, i),
            };
            if !self.check(attrs, || syn::spanned::Spanned::span(i)) {
                visit::visit_item(self, i);
            }
        }
        fn visit_impl_item_fn(&mut self, f: &'ast syn::ImplItemFn) {
            if !self.check(&f.attrs, || syn::spanned::Spanned::span(f)) {
                visit::visit_impl_item_fn(self, f);
            }
        }
        fn visit_block(&mut self, _: &'ast syn::Block) {}
    }
    let mut t = T(Vec::new());
    t.visit_file(file);
    t.0
}

/// File names of test-support modules (`src/test.rs`, `src/test_utils.rs`).
const TEST_SUPPORT_FILES: &[&str] = &["test", "tests", "test_util", "test_utils", "testing"];

/// Whether a file is test code by its path: in a crate's `tests/` or `benches/`
/// directory (a directory of that name next to a `Cargo.toml`), or a test-support
/// module (`test.rs`, `test_utils.rs`, `testing.rs`, ...).
pub fn is_test_path(path: &str) -> bool {
    let path = Path::new(path);
    if path
        .file_stem()
        .and_then(|s| s.to_str())
        .is_some_and(|s| TEST_SUPPORT_FILES.contains(&s))
    {
        return true;
    }
    path.ancestors().skip(1).any(|dir| {
        dir.file_name()
            .is_some_and(|n| n == "tests" || n == "benches")
            && dir
                .parent()
                .is_some_and(|crate_dir| crate_dir.join("Cargo.toml").is_file())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_attributes_and_items() {
        let file: syn::File = syn::parse_str(
            "#[tokio::test] async fn a() {}\n\
             #[test] fn b() {}\n\
             #[cfg(test)] mod t { fn c() {} }\n\
             #[cfg(not(test))] fn d() {}\n\
             #[cfg(all(test, unix))] fn e() {}\n\
             fn f() {}\n\
             impl S { #[test] fn g() {} fn h() {} }",
        )
        .unwrap();
        assert_eq!(test_item_spans(&file).len(), 5);
    }

    #[test]
    fn test_paths() {
        assert!(is_test_path("src/test_utils.rs") && is_test_path("a/src/test.rs"));
        assert!(!is_test_path("src/main.rs") && !is_test_path("src/contest.rs"));
        let root = env!("CARGO_MANIFEST_DIR");
        assert!(is_test_path(&format!("{root}/tests/cli.rs")));
        assert!(!is_test_path("/no/such/tests/x.rs"));
    }
}
