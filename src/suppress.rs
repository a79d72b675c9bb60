//! Suppression comments, read from the source text (syn keeps no comments):
//! `// asynclint: allow(rule-a, rule-b) reason` for one line, `//! asynclint: allow(..)`
//! for the whole file. Each named rule is tracked, so a suppression that suppresses
//! nothing can be reported.

use crate::source::TextRange;
use std::cell::Cell;

const MARKER: &str = "asynclint: allow(";

#[derive(Debug)]
pub struct Entry {
    pub rule: String,
    /// The line it applies to; `None` for a file-level suppression.
    pub target_line: Option<usize>,
    /// The comment, for reporting it.
    pub comment: TextRange,
    used: Cell<bool>,
}

#[derive(Debug, Default)]
pub struct Suppressions {
    entries: Vec<Entry>,
}

impl Suppressions {
    pub fn parse(text: &str) -> Self {
        let mut s = Suppressions::default();
        if !text.contains(MARKER) {
            return s;
        }
        let mut starts = Vec::new();
        let mut offset = 0;
        for line in text.split_inclusive('\n') {
            starts.push(offset);
            offset += line.len();
        }
        let literals = literal_ranges(text);
        let lines: Vec<&str> = text.lines().collect();
        for (i, line) in lines.iter().enumerate() {
            let Some(at) = line.find(MARKER) else {
                continue;
            };
            let base = starts.get(i).copied().unwrap_or(0);
            // The comment this line holds: the first `//` that is not inside a string
            // (a doc comment lexes as a literal starting with `//`).
            let mut comment = None;
            let mut from = 0;
            while let Some(k) = line[from..at].find("//").map(|k| k + from) {
                match literals
                    .iter()
                    .find(|&&(s, e)| s <= base + k && base + k < e)
                {
                    None => {
                        comment = Some(k);
                        break;
                    }
                    Some(&(s, _)) if s == base + k => {
                        // A doc comment: only `//!` is a suppression (the file-level form).
                        if line[k..].starts_with("//!") {
                            comment = Some(k);
                        }
                        break;
                    }
                    Some(&(_, e)) => from = (e - base).min(at).max(k + 2),
                }
            }
            let Some(comment) = comment else {
                continue;
            };
            // The marker must open the comment: `// asynclint: allow(..)`.
            if !line[comment + 2..at]
                .trim_start_matches(['!', '/'])
                .trim()
                .is_empty()
            {
                continue;
            }
            let rest = &line[at + MARKER.len()..];
            let Some(close) = rest.find(')') else {
                continue;
            };
            let before = line[..comment].trim();
            let file_level = before.is_empty() && line[comment..].starts_with("//!");
            let target_line = if file_level {
                None
            } else if !before.is_empty() {
                Some(i + 1)
            } else {
                // A comment on its own line: the next line that is neither a comment
                // nor blank.
                match lines.iter().enumerate().skip(i + 1).find(|(_, l)| {
                    let t = l.trim_start();
                    !t.is_empty() && !t.starts_with("//")
                }) {
                    Some((j, _)) => Some(j + 1),
                    None => continue,
                }
            };
            let range = TextRange::new(base + comment, base + line.trim_end().len());
            for rule in rest[..close]
                .split(',')
                .map(str::trim)
                .filter(|r| !r.is_empty())
            {
                s.entries.push(Entry {
                    rule: rule.to_string(),
                    target_line,
                    comment: range,
                    used: Cell::new(false),
                });
            }
        }
        s
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Whether a diagnostic of `rule` starting on `line` is suppressed; marks the
    /// suppressions that match as used.
    pub fn suppresses(&self, rule: &str, line: usize) -> bool {
        let mut hit = false;
        for e in &self.entries {
            if e.rule == rule && e.target_line.is_none_or(|t| t == line) {
                e.used.set(true);
                hit = true;
            }
        }
        hit
    }

    /// Suppressions that matched no diagnostic.
    pub fn unused(&self) -> impl Iterator<Item = &Entry> {
        self.entries.iter().filter(|e| !e.used.get())
    }
}

/// Byte ranges of the string and char literals (and doc comments, which lex as
/// literals) in `text`, so that a marker inside one is not taken for a comment.
fn literal_ranges(text: &str) -> Vec<(usize, usize)> {
    use std::str::FromStr;
    let Ok(tokens) = proc_macro2::TokenStream::from_str(text) else {
        return Vec::new();
    };
    let lines = crate::source::LineIndex::new(text);
    let mut out = Vec::new();
    let mut stack = vec![tokens.into_iter()];
    while let Some(top) = stack.last_mut() {
        match top.next() {
            Some(proc_macro2::TokenTree::Group(g)) => stack.push(g.stream().into_iter()),
            Some(proc_macro2::TokenTree::Literal(l)) => {
                let r = lines.range_of(text, l.span());
                out.push((r.start, r.end));
            }
            Some(proc_macro2::TokenTree::Punct(p)) if p.as_char() == '#' => {
                // `///` and `//!` become `#[doc = ".."]`: the literal inside carries the
                // comment's span.
            }
            Some(_) => {}
            None => {
                stack.pop();
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trailing_own_line_and_file_level_forms() {
        let text = "//! asynclint: allow(rule-f)\n\
                    fn a() {\n\
                    \x20   x(); // asynclint: allow(rule-a, rule-b) intended\n\
                    \x20   // asynclint: allow(rule-c) because\n\
                    \x20   // more words\n\
                    \n\
                    \x20   y();\n\
                    \x20   let s = \"// asynclint: allow(rule-d)\";\n\
                    }\n";
        let s = Suppressions::parse(text);
        assert!(s.suppresses("rule-a", 3));
        assert!(!s.suppresses("rule-a", 4));
        assert!(s.suppresses("rule-c", 7));
        assert!(s.suppresses("rule-f", 100));
        assert!(!s.suppresses("rule-d", 8), "not a comment");
        let unused: Vec<&str> = s.unused().map(|e| e.rule.as_str()).collect();
        assert_eq!(unused, ["rule-b"]);
        let e = s.unused().next().unwrap();
        assert_eq!(
            &text[e.comment.start..e.comment.end],
            "// asynclint: allow(rule-a, rule-b) intended"
        );
    }
}
