//! Source positions: byte offsets ↔ 1-based line / column (columns count characters).

use proc_macro2::{LineColumn, Span};

/// A byte range in one file's text.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub struct TextRange {
    pub start: usize,
    pub end: usize,
}

impl TextRange {
    pub fn new(start: usize, end: usize) -> Self {
        TextRange {
            start,
            end: end.max(start),
        }
    }
}

/// A 1-based line and a 1-based column counted in characters.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub struct Position {
    pub line: usize,
    pub column: usize,
}

/// Line starts of a text, for converting between offsets and positions.
#[derive(Debug, Clone)]
pub struct LineIndex {
    line_starts: Vec<usize>,
    /// An ASCII text has one byte per character: columns are byte offsets.
    ascii: bool,
}

impl LineIndex {
    pub fn new(text: &str) -> Self {
        let mut line_starts = Vec::with_capacity(text.len() / 32 + 1);
        line_starts.push(0);
        line_starts.extend(memchr::memchr_iter(b'\n', text.as_bytes()).map(|i| i + 1));
        LineIndex {
            line_starts,
            ascii: text.is_ascii(),
        }
    }

    /// Byte offset of a proc-macro2 line/column (line 1-based, column 0-based in chars).
    pub fn offset_of(&self, text: &str, lc: LineColumn) -> usize {
        let line = lc.line.max(1) - 1;
        let Some(&start) = self.line_starts.get(line) else {
            return text.len();
        };
        let end = self
            .line_starts
            .get(line + 1)
            .copied()
            .unwrap_or(text.len());
        if self.ascii {
            return (start + lc.column).min(end);
        }
        let line_text = &text[start..end];
        match line_text.char_indices().nth(lc.column) {
            Some((i, _)) => start + i,
            None => end,
        }
    }

    /// The byte range a syn span covers in this text.
    pub fn range_of(&self, text: &str, span: Span) -> TextRange {
        TextRange::new(
            self.offset_of(text, span.start()),
            self.offset_of(text, span.end()),
        )
    }

    /// 1-based line and character column of a byte offset.
    pub fn position(&self, text: &str, offset: usize) -> Position {
        let offset = offset.min(text.len());
        let line = match self.line_starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i - 1,
        };
        let start = self.line_starts[line];
        let mut end = offset;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        Position {
            line: line + 1,
            column: text[start..end].chars().count() + 1,
        }
    }

    /// The text of the 1-based line `line`, without its line break.
    pub fn line_text<'t>(&self, text: &'t str, line: usize) -> &'t str {
        let Some(&start) = self.line_starts.get(line.wrapping_sub(1)) else {
            return "";
        };
        let end = self.line_starts.get(line).copied().unwrap_or(text.len());
        text[start..end].trim_end_matches(['\n', '\r'])
    }

    pub fn line_count(&self) -> usize {
        self.line_starts.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_count_characters_not_bytes() {
        let text = "fn a() {}\nlet é = x;\n";
        let idx = LineIndex::new(text);
        let x = text.find('x').unwrap();
        assert_eq!(idx.position(text, x), Position { line: 2, column: 9 });
        assert_eq!(
            idx.offset_of(text, LineColumn { line: 2, column: 8 }),
            x,
            "column 8 (0-based chars) on line 2 is the `x`"
        );
        assert_eq!(idx.position(text, 0), Position { line: 1, column: 1 });
        assert_eq!(idx.line_text(text, 2), "let é = x;");
    }
}
