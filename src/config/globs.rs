//! Glob sets that stay small however many globs a configuration lists.
//!
//! Globs are grouped by their literal directory prefix (`src/gen/**/*.rs` under
//! `src/gen`), and each group is compiled into one [`GlobSet`] the first time a path
//! under that prefix is matched. A path only ever meets the groups of its own
//! ancestors, so 200 000 globs over distinct directories cost their strings, not a
//! regular-expression automaton of every glob at once.

use globset::{Candidate, Glob, GlobSet, GlobSetBuilder};
use rustc_hash::FxHashMap as HashMap;
use std::path::Path;
use std::sync::OnceLock;

/// A group of globs sharing one literal directory prefix.
#[derive(Debug, Default)]
struct Group {
    /// `(pattern, index in the order the globs were added)`.
    globs: Vec<(Box<str>, usize)>,
    compiled: OnceLock<Option<GlobSet>>,
}

impl Group {
    fn set(&self) -> Option<&GlobSet> {
        self.compiled
            .get_or_init(|| {
                let mut b = GlobSetBuilder::new();
                for (g, _) in &self.globs {
                    // Every pattern was parsed when it was added.
                    b.add(Glob::new(g).ok()?);
                }
                b.build().ok()
            })
            .as_ref()
    }
}

/// Globs matched against `/`-separated relative paths (`*` also crosses `/`, as in
/// `globset`'s defaults).
#[derive(Debug, Default)]
pub struct Globs {
    groups: HashMap<Box<str>, Group>,
    len: usize,
}

/// The part of `glob` before its first special character, cut back to a whole
/// directory: every path the glob matches lies under it.
fn literal_dir(glob: &str) -> &str {
    let end = glob.find(['*', '?', '[', '{', '\\']).unwrap_or(glob.len());
    match glob[..end].rfind('/') {
        Some(slash) => glob[..slash].trim_end_matches('/'),
        None => "",
    }
}

impl Globs {
    /// Adds a glob; an invalid one is an error with the `globset` reason, and is not
    /// added.
    pub fn add(&mut self, glob: &str) -> Result<usize, globset::Error> {
        Glob::new(glob)?;
        let index = self.len;
        self.len += 1;
        self.groups
            .entry(literal_dir(glob).into())
            .or_default()
            .globs
            .push((glob.into(), index));
        Ok(index)
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The indexes of the globs that match `path`, in no particular order.
    pub fn matches(&self, path: &Path) -> Vec<usize> {
        let mut out = Vec::new();
        self.each_group(path, |group, candidate| {
            if let Some(set) = group.set() {
                out.extend(
                    set.matches_candidate(candidate)
                        .into_iter()
                        .map(|i| group.globs[i].1),
                );
            }
            false
        });
        out
    }

    pub fn is_match(&self, path: &Path) -> bool {
        self.each_group(path, |group, candidate| {
            group.set().is_some_and(|s| s.is_match_candidate(candidate))
        })
    }

    /// Calls `f` with each group whose prefix is an ancestor of `path` (or `path`
    /// itself), until it returns true.
    fn each_group(&self, path: &Path, mut f: impl FnMut(&Group, &Candidate) -> bool) -> bool {
        if self.groups.is_empty() {
            return false;
        }
        let text = path.to_string_lossy().replace('\\', "/");
        let candidate = Candidate::new(&text);
        if let Some(g) = self.groups.get("") {
            if f(g, &candidate) {
                return true;
            }
        }
        let mut at = 0;
        loop {
            let next = text[at..].find('/').map(|i| at + i);
            let prefix = &text[..next.unwrap_or(text.len())];
            if !prefix.is_empty() {
                if let Some(g) = self.groups.get(prefix.trim_end_matches('/')) {
                    if f(g, &candidate) {
                        return true;
                    }
                }
            }
            match next {
                Some(i) => at = i + 1,
                None => return false,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn globs(list: &[&str]) -> Globs {
        let mut g = Globs::default();
        for p in list {
            g.add(p).unwrap();
        }
        g
    }

    #[test]
    fn matches_as_one_globset_would() {
        let list = [
            "src/gen/**",
            "src/*.rs",
            "**/vendor/**",
            "tests/fixtures/a.rs",
            "/abs/dir/**",
            "*.pb.rs",
            "src/x{1,2}/**",
        ];
        let g = globs(&list);
        let one = GlobSet::new(list.iter().map(|p| Glob::new(p).unwrap())).unwrap();
        for path in [
            "src/gen/a.rs",
            "src/gen",
            "src/lib.rs",
            "src/deep/er/lib.rs",
            "x/vendor/y/z.rs",
            "tests/fixtures/a.rs",
            "tests/fixtures/b.rs",
            "/abs/dir/q.rs",
            "abs/dir/q.rs",
            "api.pb.rs",
            "src/x1/a.rs",
            "src/x3/a.rs",
            "",
        ] {
            let mut ours = g.matches(Path::new(path));
            ours.sort();
            assert_eq!(ours, one.matches(path), "{path}");
            assert_eq!(g.is_match(Path::new(path)), one.is_match(path), "{path}");
        }
    }

    #[test]
    fn literal_dirs() {
        assert_eq!(literal_dir("src/gen/**/*.rs"), "src/gen");
        assert_eq!(literal_dir("src/gen*"), "src");
        assert_eq!(literal_dir("**/x"), "");
        assert_eq!(literal_dir("a.rs"), "");
        assert_eq!(literal_dir("/abs/x/*"), "/abs/x");
        assert_eq!(literal_dir("/x"), "");
    }

    /// 200 000 globs over distinct directories: matching compiles only the groups
    /// on the path's way (one set compiling all of them took 1.7 GB and 17 s).
    #[test]
    fn only_the_groups_on_a_path_are_compiled() {
        let mut g = Globs::default();
        for i in 0..200_000 {
            g.add(&format!("src/gen{i}/**/*.rs")).unwrap();
        }
        assert!(!g.is_match(Path::new("src/lib.rs")));
        assert!(g.is_match(Path::new("src/gen7/a/b.rs")));
        assert!(!g.is_match(Path::new("src/gen7/a/b.txt")));
        let compiled = g
            .groups
            .values()
            .filter(|group| group.compiled.get().is_some())
            .count();
        assert_eq!(compiled, 1);
    }
}
