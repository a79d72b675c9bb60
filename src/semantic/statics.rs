//! File-level facts about `static mut` items: every access to one is `unsafe`
//! because nothing synchronizes it, so a write from code that runs concurrently
//! (a task, a thread) is a data race.

use rustc_hash::FxHashSet as HashSet;
use syn::visit::{self, Visit};

/// Whether `text` may declare a `static mut`: `static`, whitespace, then the word
/// `mut` (also `&'static mut T`, which only costs a walk).
pub fn may_declare_static_mut(text: &str) -> bool {
    let b = text.as_bytes();
    memchr::memmem::find_iter(b, b"static").any(|i| {
        let rest = b[i + "static".len()..].trim_ascii_start();
        rest.starts_with(b"mut")
            && !rest
                .get(3)
                .is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_')
    })
}

/// The names of the `static mut` items a file declares, at any depth (modules, fn
/// bodies, blocks).
pub fn static_mut_names(file: &syn::File) -> HashSet<String> {
    let mut names = HashSet::default();
    for item in &file.items {
        add_static_mut_names(item, &mut names);
    }
    names
}

/// Adds the names of the `static mut` items `item` declares, at any depth, to `names`.
pub fn add_static_mut_names(item: &syn::Item, names: &mut HashSet<String>) {
    struct S<'n>(&'n mut HashSet<String>);
    impl<'ast> Visit<'ast> for S<'_> {
        fn visit_item_static(&mut self, s: &'ast syn::ItemStatic) {
            if matches!(s.mutability, syn::StaticMutability::Mut(_)) {
                self.0.insert(s.ident.to_string());
            }
            visit::visit_item_static(self, s);
        }
        fn visit_expr(&mut self, e: &'ast syn::Expr) {
            stacker::maybe_grow(64 * 1024, 1024 * 1024, || visit::visit_expr(self, e));
        }
    }
    S(names).visit_item(item);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_pre_check_finds_every_static_mut() {
        assert!(may_declare_static_mut("static mut TOTAL: u64 = 0;"));
        assert!(may_declare_static_mut(
            "pub static\n    mut TOTAL: u64 = 0;"
        ));
        assert!(!may_declare_static_mut(
            "static TOTAL: AtomicU64 = AtomicU64::new(0);"
        ));
        assert!(!may_declare_static_mut(
            "static mutex: Mutex<()> = Mutex::new(());"
        ));
        assert!(!may_declare_static_mut("fn f(x: &'static str) {}"));
    }

    #[test]
    fn finds_static_muts_in_modules_and_fn_bodies() {
        let file = syn::parse_file(
            "static mut TOTAL: u64 = 0;\n\
             static LIMIT: u64 = 9;\n\
             mod m { pub static mut HITS: u32 = 0; }\n\
             fn f() { static mut SEEN: bool = false; }",
        )
        .unwrap();
        let mut names: Vec<String> = static_mut_names(&file).into_iter().collect();
        names.sort();
        assert_eq!(names, ["HITS", "SEEN", "TOTAL"]);
    }
}
