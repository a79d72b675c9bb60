//! Source text as diagnostics quote it: on one line, without comments.

/// Whether `needle` occurs in `text`: a vectorized substring search, for the
/// pre-checks that look for a word in a whole file or fn body before walking it.
pub fn mentions(text: &str, needle: &str) -> bool {
    memchr::memmem::find(text.as_bytes(), needle.as_bytes()).is_some()
}

/// Source text on one line, without comments: runs of whitespace become one space,
/// and none is left before `.` or `?` or inside parentheses.
pub fn one_line(text: &str) -> String {
    without_comments(text)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .replace(" .", ".")
        .replace(" ?", "?")
        .replace("( ", "(")
        .replace(" )", ")")
        .replace(",)", ")")
}

/// `text` with `// ..` and `/* .. */` comments removed (string and char literals are
/// kept as they are).
pub fn without_comments(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => {
                out.push(c);
                while let Some(s) = chars.next() {
                    out.push(s);
                    match s {
                        '\\' => out.extend(chars.next()),
                        '"' => break,
                        _ => {}
                    }
                }
            }
            '/' if chars.peek() == Some(&'/') => {
                for s in chars.by_ref() {
                    if s == '\n' {
                        out.push(s);
                        break;
                    }
                }
            }
            '/' if chars.peek() == Some(&'*') => {
                chars.next();
                let mut prev = ' ';
                for s in chars.by_ref() {
                    if prev == '*' && s == '/' {
                        break;
                    }
                    prev = s;
                }
                out.push(' ');
            }
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_on_one_line_without_comments() {
        assert_eq!(
            one_line("query(\"a // b\") // note\n    .fetch_one(&pool /* shared */)\n"),
            "query(\"a // b\").fetch_one(&pool)"
        );
    }
}
