//! Name resolution through `use`: a per-file map from local names to full paths.
//!
//! Only what the file itself says is trusted. A bare name that no `use` introduces is
//! unknown (never guessed), a name imported twice with different targets is unknown,
//! and glob imports introduce nothing.

use rustc_hash::FxHashMap as HashMap;
use syn::{Item, Stmt, UseTree};

#[derive(Clone, Debug, PartialEq, Eq)]
enum Entry {
    Path(String),
    /// Two different targets, or an import that collides with a local item.
    Ambiguous,
}

/// Names the prelude brings into every module, resolved to their home.
const PRELUDE: &[(&str, &str)] = &[
    ("drop", "std::mem::drop"),
    ("Box", "std::boxed::Box"),
    ("Vec", "std::vec::Vec"),
    ("String", "std::string::String"),
    ("Option", "std::option::Option"),
    ("Result", "std::result::Result"),
    ("Some", "std::option::Option::Some"),
];

#[derive(Clone, Debug, Default)]
pub struct UseMap {
    names: HashMap<String, Entry>,
    /// Items the file defines itself (fns, types, modules, ...): they shadow the prelude
    /// and make an import of the same name ambiguous.
    local: HashMap<String, ()>,
    /// First segments of every imported path, for "does this file use crate X".
    roots: Vec<String>,
    /// The last segments of paths imported under another name (`spawn` for
    /// `use tokio::spawn as go;`): words a text pre-check would not find at the use.
    renamed: Vec<String>,
}

impl UseMap {
    pub fn from_file(file: &syn::File) -> Self {
        let mut map = UseMap::default();
        map.collect_items(&file.items);
        map.finish()
    }

    /// Adds the imports and definitions of one top-level item, for a file read item
    /// by item; [`UseMap::finish`] once every item is in.
    pub fn add_item(&mut self, item: &Item) {
        self.collect_items(std::slice::from_ref(item));
    }

    /// Adds an item the file defines at its top level, known by name only.
    pub fn add_defined(&mut self, name: String) {
        self.define(name);
    }

    pub fn finish(mut self) -> Self {
        self.roots.sort();
        self.roots.dedup();
        self
    }

    fn collect_items(&mut self, items: &[Item]) {
        for item in items {
            match item {
                Item::Use(u) => {
                    let mut prefix = Vec::new();
                    if u.leading_colon.is_some() {
                        prefix.push(String::new());
                    }
                    self.collect_tree(&u.tree, &mut prefix);
                }
                Item::ExternCrate(e) => {
                    let name = e.rename.as_ref().map_or(&e.ident, |(_, r)| r).to_string();
                    if name != "_" {
                        self.insert(name, e.ident.to_string());
                    }
                }
                Item::Mod(m) => {
                    self.define(m.ident.to_string());
                    if let Some((_, items)) = &m.content {
                        self.collect_items(items);
                    }
                }
                Item::Fn(f) => {
                    self.define(f.sig.ident.to_string());
                    self.collect_block(&f.block.stmts);
                }
                Item::Impl(i) => {
                    for it in &i.items {
                        if let syn::ImplItem::Fn(f) = it {
                            self.collect_block(&f.block.stmts);
                        }
                    }
                }
                Item::Struct(s) => self.define(s.ident.to_string()),
                Item::Enum(e) => self.define(e.ident.to_string()),
                Item::Trait(t) => self.define(t.ident.to_string()),
                Item::Type(t) => self.define(t.ident.to_string()),
                Item::Union(u) => self.define(u.ident.to_string()),
                Item::Const(c) => self.define(c.ident.to_string()),
                Item::Static(s) => self.define(s.ident.to_string()),
                _ => {}
            }
        }
    }

    fn collect_block(&mut self, stmts: &[Stmt]) {
        for stmt in stmts {
            if let Stmt::Item(item) = stmt {
                self.collect_items(std::slice::from_ref(item));
            }
        }
    }

    fn collect_tree(&mut self, tree: &UseTree, prefix: &mut Vec<String>) {
        match tree {
            UseTree::Path(p) => {
                prefix.push(p.ident.to_string());
                self.collect_tree(&p.tree, prefix);
                prefix.pop();
            }
            UseTree::Name(n) => {
                let ident = n.ident.to_string();
                if ident == "self" {
                    if let Some(last) = prefix.last().cloned() {
                        self.insert(last, join(prefix));
                    }
                } else {
                    prefix.push(ident.clone());
                    self.insert(ident, join(prefix));
                    prefix.pop();
                }
            }
            UseTree::Rename(r) => {
                let rename = r.rename.to_string();
                if rename == "_" {
                    // `use pollster::FutureExt as _;`: a trait brought in for its
                    // methods, no name; the file still uses the crate.
                    if let Some(root) = prefix.iter().find(|s| !s.is_empty()) {
                        self.roots.push(root.clone());
                    }
                    return;
                }
                let ident = r.ident.to_string();
                if ident == "self" {
                    self.insert(rename, join(prefix));
                } else {
                    prefix.push(ident);
                    self.insert(rename, join(prefix));
                    prefix.pop();
                }
            }
            UseTree::Glob(_) => {
                if let Some(root) = prefix.iter().find(|s| !s.is_empty()) {
                    self.roots.push(root.clone());
                }
            }
            UseTree::Group(g) => {
                for t in &g.items {
                    self.collect_tree(t, prefix);
                }
            }
        }
    }

    fn insert(&mut self, name: String, path: String) {
        if let Some(root) = path.split("::").find(|s| !s.is_empty()) {
            self.roots.push(root.to_string());
        }
        let path = path.trim_start_matches("::").to_string();
        if let Some(last) = path.rsplit("::").next().filter(|l| *l != name) {
            self.renamed.push(last.to_string());
        }
        match self.names.get(&name) {
            None => {
                let entry = if self.local.contains_key(&name) {
                    Entry::Ambiguous
                } else {
                    Entry::Path(path)
                };
                self.names.insert(name, entry);
            }
            Some(Entry::Path(p)) if *p == path => {}
            Some(_) => {
                self.names.insert(name, Entry::Ambiguous);
            }
        }
    }

    fn define(&mut self, name: String) {
        if self.names.contains_key(&name) {
            self.names.insert(name.clone(), Entry::Ambiguous);
        }
        self.local.insert(name, ());
    }

    /// Whether the file imports anything from crate `root` (e.g. `tokio`).
    /// Whether a path whose last segment contains `word` is imported under a name
    /// that does not contain it.
    pub fn renames(&self, word: &str) -> bool {
        self.renamed.iter().any(|r| r.contains(word))
    }

    pub fn imports_crate(&self, root: &str) -> bool {
        self.roots
            .binary_search_by(|r| r.as_str().cmp(root))
            .is_ok()
    }

    /// Whether `name` is an item the file defines itself.
    pub fn is_local(&self, name: &str) -> bool {
        self.local.contains_key(name)
    }

    /// The full path a syn path refers to, or `None` when the file does not say.
    pub fn resolve(&self, path: &syn::Path) -> Option<String> {
        use std::fmt::Write;
        let mut segs = path.segments.iter().map(|s| &s.ident);
        let first = segs.next()?.to_string();
        let has_rest = path.segments.len() > 1;
        // The head the rest of the segments are appended to (as `resolve_parts` does,
        // without a string per segment).
        let mut out = if path.leading_colon.is_some() {
            first
        } else {
            match self.names.get(first.as_str()) {
                Some(Entry::Path(p)) => p.clone(),
                Some(Entry::Ambiguous) => return None,
                None => {
                    if matches!(first.as_str(), "crate" | "self" | "super" | "Self")
                        || self.is_local(&first)
                    {
                        return None;
                    }
                    let prelude = PRELUDE.iter().find(|(n, _)| *n == first);
                    match prelude {
                        Some((_, p)) => (*p).to_string(),
                        // A bare name: only the prelude is known.
                        None if !has_rest => return None,
                        // `tokio::spawn`: a path that starts with a crate name.
                        None => first,
                    }
                }
            }
        };
        for ident in segs {
            let _ = write!(out, "::{ident}");
        }
        Some(out)
    }

    /// Resolves a path given as its first segment and the rest.
    pub fn resolve_parts(&self, first: &str, rest: &[String]) -> Option<String> {
        match self.names.get(first) {
            Some(Entry::Path(p)) => Some(join_with(p, rest)),
            Some(Entry::Ambiguous) => None,
            None => {
                if matches!(first, "crate" | "self" | "super" | "Self") || self.is_local(first) {
                    return None;
                }
                if rest.is_empty() {
                    // A bare name: only the prelude is known.
                    return PRELUDE
                        .iter()
                        .find(|(n, _)| *n == first)
                        .map(|(_, p)| (*p).to_string());
                }
                if let Some((_, p)) = PRELUDE.iter().find(|(n, _)| *n == first) {
                    return Some(join_with(p, rest));
                }
                // `tokio::spawn`: a path that starts with a crate name.
                Some(join_with(first, rest))
            }
        }
    }
}

fn join(parts: &[String]) -> String {
    parts.join("::")
}

fn join_with(head: &str, rest: &[String]) -> String {
    let mut s = String::with_capacity(head.len() + rest.len() * 8);
    s.push_str(head);
    for r in rest {
        s.push_str("::");
        s.push_str(r);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(src: &str) -> UseMap {
        UseMap::from_file(&syn::parse_file(src).unwrap())
    }

    fn res(m: &UseMap, p: &str) -> Option<String> {
        m.resolve(&syn::parse_str::<syn::Path>(p).unwrap())
    }

    #[test]
    fn resolves_aliases_groups_and_self() {
        let m = map("use std::{fs, thread::{self, sleep as nap}};\n\
             use std::fs::File;\n\
             use tokio::task;\n");
        assert_eq!(res(&m, "fs::read").as_deref(), Some("std::fs::read"));
        assert_eq!(
            res(&m, "thread::sleep").as_deref(),
            Some("std::thread::sleep")
        );
        assert_eq!(res(&m, "nap").as_deref(), Some("std::thread::sleep"));
        assert_eq!(
            res(&m, "File::open").as_deref(),
            Some("std::fs::File::open")
        );
        assert_eq!(
            res(&m, "task::spawn").as_deref(),
            Some("tokio::task::spawn")
        );
        assert_eq!(res(&m, "tokio::spawn").as_deref(), Some("tokio::spawn"));
        assert!(m.imports_crate("tokio") && m.imports_crate("std"));
    }

    #[test]
    fn unknown_names_are_never_guessed() {
        let m = map("use super::*;\nuse std::thread::*;\nfn read_to_string() {}\n");
        assert_eq!(res(&m, "sleep"), None);
        assert_eq!(res(&m, "read_to_string"), None);
        assert_eq!(res(&m, "self::x::y"), None);
        assert_eq!(res(&m, "drop").as_deref(), Some("std::mem::drop"));
    }

    #[test]
    fn conflicting_imports_are_unknown() {
        let m = map("mod a { use std::fs; }\nmod b { use tokio::fs; }\n");
        assert_eq!(res(&m, "fs::read"), None);
        let m = map("use tokio::fs::File;\n");
        assert_eq!(
            res(&m, "File::open").as_deref(),
            Some("tokio::fs::File::open")
        );
    }
}
