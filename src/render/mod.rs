//! Output formats.

pub mod concise;
pub mod github;
pub mod gitlab;
pub mod human;
pub mod json;
pub mod junit;
pub mod rdjson;
pub mod sarif;

use std::borrow::Cow;

/// The page of a rule in the rule book.
pub fn rule_url(rule: &str) -> String {
    format!("https://asynclint.github.io/asynclint/rules/{rule}.html")
}

/// A path as CI tools want it: without a leading `./`, `/`-separated.
pub fn plain_path(path: &str) -> Cow<'_, str> {
    let p = path.trim_start_matches("./");
    if p.contains('\\') {
        Cow::Owned(p.replace('\\', "/"))
    } else {
        Cow::Borrowed(p)
    }
}

/// `text` with control characters (line breaks too, unless `keep_newlines`) written
/// as `\u{..}` escapes: a file name or message cannot start a new line or move a
/// terminal's cursor in output meant for people and logs.
pub fn escape_controls(text: &str, keep_newlines: bool) -> Cow<'_, str> {
    let bad = |c: char| c.is_control() && !(keep_newlines && (c == '\n' || c == '\t'));
    if !text.chars().any(bad) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if bad(c) {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_are_escaped() {
        assert_eq!(escape_controls("a\nb\x1b[2J", false), "a\\u{a}b\\u{1b}[2J");
        assert_eq!(escape_controls("a\nb\x07", true), "a\nb\\u{7}");
        assert_eq!(escape_controls("plain", false), "plain");
        assert_eq!(plain_path("./src/a.rs"), "src/a.rs");
    }
}
