//! Imports a fix leaves unused. A fix that writes a full path (`tokio::fs::read`) in
//! place of a name an import brought in (`fs::read` under `use std::fs;`) may leave
//! that import unused, which `#![deny(warnings)]` turns into a broken build. After a
//! file's fixes are applied, each name the replaced code started with is counted
//! again; an import of it that nothing uses any more is removed (the leaf from its
//! `use` tree, or the whole `use` item with its line). Where that cannot be decided
//! (a `pub` or attributed `use`, the name imported in several places and still used
//! in one), the file is left unfixed and the reason returned.

use crate::source::LineIndex;
use std::str::FromStr;
use syn::visit::Visit;
use syn::{ItemUse, UseTree};

/// The identifier a replaced piece of code starts with (`fs` of `fs::read`,
/// `sleep` of `sleep`), if an import could have brought it in.
pub fn leading_name(code: &str) -> Option<&str> {
    let code = code.trim();
    let end = code
        .find(|c: char| !(c.is_alphanumeric() || c == '_'))
        .unwrap_or(code.len());
    let name = &code[..end];
    let keyword = matches!(
        name,
        "" | "std" | "core" | "alloc" | "crate" | "self" | "super" | "Self"
    );
    (!keyword && !name.starts_with(|c: char| c.is_ascii_digit())).then_some(name)
}

/// `fixed` without the imports of `names` that it no longer uses but `original`
/// did; an error with the reason where that cannot be done safely.
pub fn remove_unused(original: &str, fixed: &str, names: &[&str]) -> Result<String, String> {
    let mut text = fixed.to_string();
    for &name in names {
        let Some(before) = Uses::of(original, name) else {
            continue;
        };
        if before.count == 0 {
            continue;
        }
        // Each round removes one import of `name`, and the text is parsed again.
        for _ in 0..64 {
            let Some(now) = Uses::of(&text, name) else {
                return Ok(text);
            };
            if now.leaves.is_empty() {
                break;
            }
            if now.count > 0 {
                if now.leaves.len() > 1 {
                    return Err(format!(
                        "`{name}` is imported in several places and still used; an import of it could be left unused"
                    ));
                }
                break;
            }
            let leaf = &now.leaves[0];
            if let Some(reason) = &leaf.keep {
                return Err(format!("its `use` of `{name}` {reason}"));
            }
            text = format!(
                "{}{}{}",
                &text[..leaf.remove.0],
                leaf.replacement,
                &text[leaf.remove.1..]
            );
        }
    }
    Ok(text)
}

/// How a file uses one name: how often it names it outside `use` items, and the
/// `use` leaves that import it.
struct Uses {
    count: usize,
    leaves: Vec<Leaf>,
}

struct Leaf {
    /// The byte range to replace with `replacement` to remove the import.
    remove: (usize, usize),
    replacement: String,
    /// Why this import must stay as it is, if it must.
    keep: Option<&'static str>,
}

impl Uses {
    fn of(text: &str, name: &str) -> Option<Uses> {
        let lexable = lexable(text);
        let tokens = proc_macro2::TokenStream::from_str(&lexable).ok()?;
        let file: syn::File = syn::parse2(tokens).ok()?;
        let lines = LineIndex::new(text);
        let mut v = Visitor {
            text,
            lines: &lines,
            name,
            count: 0,
            leaves: Vec::new(),
        };
        v.visit_file(&file);
        proc_macro2::extra::invalidate_current_thread_spans();
        Some(Uses {
            count: v.count,
            leaves: v.leaves,
        })
    }
}

/// The text with a byte-order mark and a `#!` line blanked, as the engine lexes it.
fn lexable(text: &str) -> String {
    let mut out = match text.strip_prefix('\u{feff}') {
        Some(rest) => format!(" {rest}"),
        None => text.to_string(),
    };
    let body = out.trim_start_matches(' ');
    let offset = out.len() - body.len();
    if body.starts_with("#!") && !body[2..].trim_start().starts_with('[') {
        let end = body.find('\n').unwrap_or(body.len());
        let blank: String = body[..end].chars().map(|_| ' ').collect();
        out = format!("{}{}{}", &out[..offset], blank, &body[end..]);
    }
    out
}

struct Visitor<'a> {
    text: &'a str,
    lines: &'a LineIndex,
    name: &'a str,
    count: usize,
    leaves: Vec<Leaf>,
}

impl Visitor<'_> {
    fn range(&self, span: proc_macro2::Span) -> (usize, usize) {
        let r = self.lines.range_of(self.text, span);
        (r.start, r.end)
    }

    /// Counts the name in tokens (a macro's input) where it may start a path: not
    /// right after `::` or `.`.
    fn count_tokens(&mut self, tokens: proc_macro2::TokenStream) {
        let mut after_path_sep = false;
        let mut colons = 0;
        for t in tokens {
            match &t {
                proc_macro2::TokenTree::Ident(i) if i == self.name && !after_path_sep => {
                    self.count += 1
                }
                proc_macro2::TokenTree::Group(g) => self.count_tokens(g.stream()),
                _ => {}
            }
            match &t {
                proc_macro2::TokenTree::Punct(p) if p.as_char() == ':' => colons += 1,
                proc_macro2::TokenTree::Punct(p) if p.as_char() == '.' => colons = 2,
                _ => colons = 0,
            }
            after_path_sep = colons >= 2;
        }
    }

    /// The leaves of `tree` that bind the name, each with how to remove it. `item`
    /// is the range of the whole `use` item; `parent` the last path segment above
    /// `tree` (what a `self` leaf binds).
    fn leaves_of(
        &mut self,
        tree: &UseTree,
        item: (usize, usize),
        parent: Option<&syn::Ident>,
        keep: Option<&'static str>,
    ) {
        // Removing the whole tree is removing the item.
        let whole = self.whole_item(item);
        self.walk_tree(tree, parent, keep, &whole);
    }

    fn walk_tree(
        &mut self,
        tree: &UseTree,
        parent: Option<&syn::Ident>,
        keep: Option<&'static str>,
        whole: &(usize, usize, String),
    ) {
        match tree {
            UseTree::Path(p) => self.walk_tree(&p.tree, Some(&p.ident), keep, whole),
            UseTree::Name(n) => {
                let binds = if n.ident == "self" {
                    parent
                } else {
                    Some(&n.ident)
                };
                if binds.is_some_and(|b| b == self.name) {
                    self.leaves.push(Leaf {
                        remove: (whole.0, whole.1),
                        replacement: whole.2.clone(),
                        keep,
                    });
                }
            }
            UseTree::Rename(r) => {
                if r.rename == self.name {
                    self.leaves.push(Leaf {
                        remove: (whole.0, whole.1),
                        replacement: whole.2.clone(),
                        keep,
                    });
                }
            }
            UseTree::Glob(_) => {}
            UseTree::Group(g) => {
                let n = g.items.len();
                for (i, sub) in g.items.iter().enumerate() {
                    // Removing this element: with the comma after it, or (the last)
                    // the comma before it. The only element: the whole group.
                    let element = if n == 1 {
                        whole.clone()
                    } else {
                        let this = self.tree_range(sub);
                        let range = if i + 1 < n {
                            (this.0, self.tree_range(&g.items[i + 1]).0)
                        } else {
                            (self.tree_range(&g.items[i - 1]).1, this.1)
                        };
                        (range.0, range.1, String::new())
                    };
                    self.walk_tree(sub, parent, keep, &element);
                }
            }
        }
    }

    fn tree_range(&self, tree: &UseTree) -> (usize, usize) {
        use quote::ToTokens;
        let mut tokens = tree.to_token_stream().into_iter();
        let first = tokens.next().map(|t| t.span());
        let last = tokens.last().map(|t| t.span()).or(first);
        match (first, last) {
            (Some(a), Some(b)) => (self.range(a).0, self.range(b).1),
            _ => (0, 0),
        }
    }

    /// The removal of a whole `use` item: with its line when it stands alone there.
    fn whole_item(&self, (start, end): (usize, usize)) -> (usize, usize, String) {
        let b = self.text.as_bytes();
        let line_start = self.text[..start].rfind('\n').map_or(0, |i| i + 1);
        let mut line_end = end;
        while line_end < b.len() && matches!(b[line_end], b' ' | b'\t' | b'\r') {
            line_end += 1;
        }
        let alone_before = self.text[line_start..start].trim().is_empty();
        if alone_before && (line_end == b.len() || b[line_end] == b'\n') {
            let after = (line_end + 1).min(b.len());
            (line_start, after, String::new())
        } else {
            (start, end, String::new())
        }
    }
}

impl<'ast> Visit<'ast> for Visitor<'_> {
    fn visit_item_use(&mut self, u: &'ast ItemUse) {
        let keep = if !matches!(u.vis, syn::Visibility::Inherited) {
            Some("is visible outside its module")
        } else if !u.attrs.is_empty() {
            Some("has attributes (cfg, allow) that make it unsafe to remove")
        } else {
            None
        };
        use quote::ToTokens;
        let mut tokens = u.to_token_stream().into_iter();
        let first = tokens.next().map(|t| t.span());
        let last = tokens.last().map(|t| t.span());
        let (Some(a), Some(b)) = (first, last) else {
            return;
        };
        let item = (self.range(a).0, self.range(b).1);
        self.leaves_of(&u.tree, item, None, keep);
    }

    /// A path names the import only by its first segment (`fs` of `fs::read`, not
    /// of `tokio::fs::read`).
    fn visit_path(&mut self, p: &'ast syn::Path) {
        if p.leading_colon.is_none() && p.segments.first().is_some_and(|s| s.ident == self.name) {
            self.count += 1;
        }
        for segment in &p.segments {
            self.visit_path_arguments(&segment.arguments);
        }
    }

    fn visit_macro(&mut self, m: &'ast syn::Macro) {
        self.visit_path(&m.path);
        self.count_tokens(m.tokens.clone());
    }

    fn visit_attribute(&mut self, a: &'ast syn::Attribute) {
        use quote::ToTokens;
        self.count_tokens(a.meta.to_token_stream());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fix(original: &str, fixed: &str, names: &[&str]) -> Result<String, String> {
        remove_unused(original, fixed, names)
    }

    #[test]
    fn an_import_the_fix_leaves_unused_is_removed() {
        let original = "use std::fs;\nuse std::io;\n\nasync fn f() -> io::Result<String> { fs::read_to_string(\"a\") }\n";
        let fixed = original.replace(
            "fs::read_to_string(\"a\")",
            "tokio::fs::read_to_string(\"a\").await",
        );
        assert_eq!(
            fix(original, &fixed, &["fs"]).unwrap(),
            "use std::io;\n\nasync fn f() -> io::Result<String> { tokio::fs::read_to_string(\"a\").await }\n"
        );
        // Still used elsewhere: kept.
        let original =
            "use std::fs;\nasync fn f() { fs::read(\"a\"); }\nfn g() { fs::read(\"b\"); }\n";
        let fixed = original.replacen("fs::read(\"a\")", "tokio::fs::read(\"a\").await", 1);
        assert_eq!(fix(original, &fixed, &["fs"]).unwrap(), fixed);
    }

    #[test]
    fn leaves_of_groups_and_self_imports() {
        let cases = [
            ("use std::{fs, io};\n", "use std::{io};\n"),
            ("use std::{io, fs};\n", "use std::{io};\n"),
            ("use std::{io, fs, thread};\n", "use std::{io, thread};\n"),
            (
                "use std::{io::{self}, fs::{self}};\n",
                "use std::{io::{self}};\n",
            ),
            ("use std::fs::{self};\n", ""),
            ("use std::fs as fs;\n", ""),
            (
                "fn x() {}\nuse std::fs; fn y() {}\n",
                "fn x() {}\nuse std::io; fn y() {}\n",
            ),
        ];
        for (imports, want) in cases {
            let original = format!("{imports}async fn f() {{ fs::read(\"a\"); }}\n");
            let fixed = original.replace("fs::read", "tokio::fs::read");
            let want = format!("{want}async fn f() {{ tokio::fs::read(\"a\"); }}\n");
            let got = fix(&original, &fixed, &["fs"]);
            if imports.starts_with("fn x") {
                // The item shares its line: only the item goes.
                assert_eq!(
                    got.unwrap(),
                    "fn x() {}\n fn y() {}\nasync fn f() { tokio::fs::read(\"a\"); }\n"
                );
            } else {
                assert_eq!(got.unwrap(), want, "{imports}");
            }
        }
    }

    #[test]
    fn imports_that_must_stay_leave_the_file_unfixed() {
        for imports in ["pub use std::fs;\n", "#[cfg(unix)]\nuse std::fs;\n"] {
            let original = format!("{imports}async fn f() {{ fs::read(\"a\"); }}\n");
            let fixed = original.replace("fs::read", "tokio::fs::read");
            assert!(fix(&original, &fixed, &["fs"]).is_err(), "{imports}");
        }
        // Two imports, one still used: which one is unused cannot be told.
        let original = "mod a { use std::fs; async fn f() { fs::read(\"a\"); } }\n\
                        mod b { use std::fs; fn g() { fs::read(\"b\"); } }\n";
        let fixed = original.replacen("fs::read(\"a\")", "tokio::fs::read(\"a\")", 1);
        assert!(fix(original, &fixed, &["fs"]).is_err());
        // The name inside a longer path is not a use of the import.
        let original = "use std::fs;\nasync fn f() { fs::read(\"a\"); }\n";
        let fixed = original.replace("fs::read", "tokio::fs::read");
        assert_eq!(
            fix(original, &fixed, &["fs"]).unwrap(),
            "async fn f() { tokio::fs::read(\"a\"); }\n"
        );
        // Used in a macro: kept.
        let original = "use std::fs;\nasync fn f() { fs::read(\"a\"); println!(\"{:?}\", fs::metadata(\"b\")); }\n";
        let fixed = original.replacen("fs::read", "tokio::fs::read", 1);
        assert_eq!(fix(original, &fixed, &["fs"]).unwrap(), fixed);
    }

    #[test]
    fn leading_names() {
        assert_eq!(leading_name("fs::read_to_string"), Some("fs"));
        assert_eq!(leading_name("sleep"), Some("sleep"));
        assert_eq!(leading_name("std::thread::sleep"), None);
        assert_eq!(
            leading_name("CancellationToken::new()"),
            Some("CancellationToken")
        );
        assert_eq!(leading_name(""), None);
    }
}
