//! Source text of guards and receivers, for comparing them and for messages.

use super::lifetimes::expr_range;
use crate::semantic::FileInfo;
use crate::source::TextRange;
use syn::Expr;

/// Source text of an expression without whitespace and comments, to compare receivers.
pub fn compact(file: &FileInfo, e: &Expr) -> String {
    compact_range(file, expr_range(file, e))
}

/// Source text of a range without whitespace and comments (string literals kept).
pub fn compact_range(file: &FileInfo, range: TextRange) -> String {
    strip_comments(file.slice(range), false)
}

/// Source text of a range on one line, for messages: comments dropped, whitespace runs
/// collapsed, none before `.` or `?` (a chain written over several lines).
pub fn one_line(file: &FileInfo, range: TextRange) -> String {
    strip_comments(file.slice(range), true)
        .replace(" .", ".")
        .replace(" ?", "?")
}

fn strip_comments(text: &str, keep_spaces: bool) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '/' if chars.peek() == Some(&'/') => {
                chars.by_ref().take_while(|c| *c != '\n').for_each(drop);
            }
            '/' if chars.peek() == Some(&'*') => {
                chars.next();
                let mut prev = ' ';
                for c in chars.by_ref() {
                    if prev == '*' && c == '/' {
                        break;
                    }
                    prev = c;
                }
            }
            '"' => {
                out.push(c);
                let mut escaped = false;
                for c in chars.by_ref() {
                    out.push(c);
                    match c {
                        '\\' if !escaped => escaped = true,
                        '"' if !escaped => break,
                        _ => escaped = false,
                    }
                }
            }
            c if c.is_whitespace() => {
                if keep_spaces && !out.is_empty() && !out.ends_with(' ') {
                    out.push(' ');
                }
            }
            c => out.push(c),
        }
    }
    out
}
