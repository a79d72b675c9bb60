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

    /// Whether `inner` lies within this range.
    pub fn encloses(&self, inner: TextRange) -> bool {
        self.start <= inner.start && inner.end <= self.end
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
///
/// Positions cost the same on a line of a megabyte as on a short one: an ASCII text
/// has one byte per character, and a text with other characters keeps a count of the
/// characters before every [`CHUNK`]th byte, so that a column is counted from the
/// nearest checkpoint instead of from the start of its line.
#[derive(Debug, Clone)]
pub struct LineIndex {
    line_starts: Vec<usize>,
    /// An ASCII text has one byte per character: columns are byte offsets.
    ascii: bool,
    /// For a text that is not ASCII: `chars[k]` is the number of characters that
    /// start before byte `k * CHUNK`.
    chars: Vec<u32>,
    /// For a text that is not ASCII: how many bytes at the start of each line are
    /// ASCII. A column within them is a byte offset from the line's start, which
    /// spares most lookups the character count.
    ascii_prefix: Vec<u32>,
    /// A byte-order mark at the start is no column of the first line.
    bom: bool,
}

/// Bytes between two character-count checkpoints.
const CHUNK: usize = 256;

/// Whether `b` starts a character (is not a UTF-8 continuation byte).
fn starts_char(b: u8) -> bool {
    (b as i8) >= -0x40
}

impl LineIndex {
    pub fn new(text: &str) -> Self {
        let mut line_starts = Vec::with_capacity(text.len() / 32 + 1);
        line_starts.push(0);
        line_starts.extend(memchr::memchr_iter(b'\n', text.as_bytes()).map(|i| i + 1));
        let ascii = text.is_ascii();
        let mut chars = Vec::new();
        let mut ascii_prefix = Vec::new();
        if !ascii {
            let bytes = text.as_bytes();
            ascii_prefix.reserve(line_starts.len());
            for (i, &start) in line_starts.iter().enumerate() {
                let end = line_starts.get(i + 1).copied().unwrap_or(bytes.len());
                let line = &bytes[start..end];
                let n = if line.is_ascii() {
                    line.len()
                } else {
                    line.iter()
                        .position(|b| !b.is_ascii())
                        .unwrap_or(line.len())
                };
                ascii_prefix.push(u32::try_from(n).unwrap_or(u32::MAX));
            }
            chars.reserve(text.len() / CHUNK + 1);
            let mut n = 0u32;
            for chunk in text.as_bytes().chunks(CHUNK) {
                chars.push(n);
                n += chunk.iter().filter(|&&b| starts_char(b)).count() as u32;
            }
            chars.push(n);
        }
        LineIndex {
            line_starts,
            ascii,
            chars,
            ascii_prefix,
            bom: text.starts_with('\u{feff}'),
        }
    }

    /// The number of characters that start before byte `offset`.
    fn chars_before(&self, text: &str, offset: usize) -> usize {
        if self.ascii {
            return offset;
        }
        let k = offset / CHUNK;
        let Some(&base) = self.chars.get(k) else {
            return self.chars.last().map_or(0, |&c| c as usize);
        };
        let from = k * CHUNK;
        base as usize
            + text.as_bytes()[from.min(offset)..offset]
                .iter()
                .filter(|&&b| starts_char(b))
                .count()
    }

    /// The byte offset of the character that has `n` characters before it (the end
    /// of the text if there are fewer).
    fn offset_of_char(&self, text: &str, n: usize) -> usize {
        if self.ascii {
            return n.min(text.len());
        }
        // The last checkpoint with at most `n` characters before it.
        let k = self.chars.partition_point(|&c| c as usize <= n).max(1) - 1;
        let mut count = self.chars.get(k).map_or(0, |&c| c as usize);
        let bytes = text.as_bytes();
        for (i, &b) in bytes.iter().enumerate().skip(k * CHUNK) {
            if starts_char(b) {
                if count == n {
                    return i;
                }
                count += 1;
            }
        }
        text.len()
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
        if self
            .ascii_prefix
            .get(line)
            .is_some_and(|&n| lc.column <= n as usize)
        {
            return start + lc.column;
        }
        let first = self.chars_before(text, start);
        self.offset_of_char(text, first + lc.column)
            .clamp(start, end)
    }

    /// The byte range a syn span covers in this text.
    pub fn range_of(&self, text: &str, span: Span) -> TextRange {
        TextRange::new(
            self.offset_of(text, span.start()),
            self.offset_of(text, span.end()),
        )
    }

    /// 1-based line and character column of a byte offset. A byte-order mark at
    /// the start of the text takes no column.
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
        let mut column = self.chars_before(text, end) - self.chars_before(text, start) + 1;
        if line == 0 && self.bom && end > 0 {
            column -= 1;
        }
        Position {
            line: line + 1,
            column,
        }
    }

    /// The byte range of the 1-based line `line`, without its line break.
    pub fn line_range(&self, text: &str, line: usize) -> TextRange {
        let Some(&start) = self.line_starts.get(line.wrapping_sub(1)) else {
            return TextRange::new(text.len(), text.len());
        };
        let mut end = self.line_starts.get(line).copied().unwrap_or(text.len());
        let b = text.as_bytes();
        while end > start && matches!(b[end - 1], b'\n' | b'\r') {
            end -= 1;
        }
        TextRange::new(start, end)
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

    /// The checkpointed count agrees with counting from the line start, on every
    /// offset of texts that cross checkpoints mid-character.
    #[test]
    fn checkpointed_columns_agree_with_plain_counting() {
        let mut texts = vec![
            "é".repeat(700),
            format!("{}\n{}x", "aé€𝄞".repeat(200), "€".repeat(300)),
            "\u{feff}fn main() {}\n".to_string(),
        ];
        texts.push(format!("\u{feff}{}", texts[1]));
        for text in &texts {
            let idx = LineIndex::new(text);
            let bom = text.starts_with('\u{feff}');
            for (offset, _) in text.char_indices().chain([(text.len(), ' ')]) {
                let line_start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
                let mut column = text[line_start..offset].chars().count() + 1;
                if bom && line_start == 0 && offset > 0 {
                    column -= 1;
                }
                let line = text[..offset].matches('\n').count() + 1;
                assert_eq!(idx.position(text, offset), Position { line, column });
                let lc = LineColumn {
                    line,
                    column: text[line_start..offset].chars().count(),
                };
                assert_eq!(idx.offset_of(text, lc), offset);
            }
        }
    }

    #[test]
    fn a_byte_order_mark_takes_no_column() {
        let text = "\u{feff}fn main() {}\n";
        let idx = LineIndex::new(text);
        assert_eq!(idx.position(text, 3), Position { line: 1, column: 1 });
        assert_eq!(idx.position(text, 6), Position { line: 1, column: 4 });
    }
}
