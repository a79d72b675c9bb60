//! Text that reaches a terminal or a log: file names, messages and source lines may
//! hold escape sequences (clear the screen, set the title, write the clipboard with
//! OSC 52), line breaks that start a forged line (`::error file=..` runs as a GitHub
//! Actions workflow command) or bidirectional overrides that make code read in a
//! different order. Every format meant for people or logs passes such text through
//! [`controls`] first.

use std::borrow::Cow;

/// Whether `c` must not reach a terminal raw: a control character other than tab
/// (C0, DEL, C1), a line or paragraph separator, a bidirectional control, or a
/// byte-order mark.
pub fn is_unsafe(c: char) -> bool {
    (c.is_control() && c != '\t')
        || matches!(
            c,
            '\u{2028}'
                | '\u{2029}'
                | '\u{200e}'
                | '\u{200f}'
                | '\u{061c}'
                | '\u{202a}'..='\u{202e}'
                | '\u{2066}'..='\u{2069}'
                | '\u{feff}'
        )
}

/// Writes `c` as its visible escape (`\n`, `\r`, `\u{1b}`).
pub fn push_escaped(out: &mut String, c: char) {
    match c {
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        c => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
    }
}

/// `s` with every character [`is_unsafe`] replaced by its visible escape.
pub fn controls(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_unsafe) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        if is_unsafe(c) {
            push_escaped(&mut out, c);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// [`controls`] for text of several lines: line breaks stay.
pub fn controls_but_newlines(s: &str) -> Cow<'_, str> {
    if !s.chars().any(|c| c != '\n' && is_unsafe(c)) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 16);
    for line in s.split_inclusive('\n') {
        let (body, nl) = match line.strip_suffix('\n') {
            Some(b) => (b, "\n"),
            None => (line, ""),
        };
        out.push_str(&controls(body));
        out.push_str(nl);
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_sequences_and_line_breaks_are_shown_not_sent() {
        assert_eq!(controls("plain é\ttab"), "plain é\ttab");
        assert_eq!(
            controls("a\x1b]52;c;aGk=\x07b\nc\r\u{202e}d\u{9b}"),
            "a\\u{1b}]52;c;aGk=\\u{7}b\\nc\\r\\u{202e}d\\u{9b}"
        );
    }
}
