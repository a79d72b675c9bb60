//! What no rule reads, blanked before the lexer runs: plain top-level constants and
//! doc comments. Building `proc_macro2` tokens (with their spans) costs about a third
//! of a parse, and a doc comment costs more than its size: the lexer escapes its text
//! into a string literal inside a `#[doc = ".."]` attribute, which the parser then
//! reads. Generated bindings are mostly tables of `const` items, which
//! [`super::input::skip_plain_static`] steps over unparsed but only once they are
//! lexed; documented libraries are a third doc comments. A byte scan finds both at a
//! fraction of that cost, and they are blanked out of the text the lexer sees: their
//! line breaks are kept, and a token after one on its line keeps its column, so every
//! position the lexer reports is the file's.
//!
//! The scan decides on consts exactly as `skip_plain_static` does for
//! [`Plain::Const`] at the top level of a file, on tokens counted as `proc_macro2`
//! counts them (a lifetime is two, a doc comment an attribute). Its tokens are
//! `rustc_lexer`'s (a test holds it to that); anything it does not read as surely (a
//! non-ASCII character outside strings and comments, a prefix, an unterminated token,
//! unbalanced delimiters) leaves the file to the lexer whole. No rule or fact reads a
//! doc comment; what a blanked file loses is a syntax error a misplaced one would
//! have been (`--full-parse` keeps them all).
//!
//! [`Plain::Const`]: super::input::Plain::Const

/// A file's text with its plain top-level consts and its doc comments blanked, and
/// the consts' names (all the file-wide facts take from them).
pub(super) struct Blanked {
    pub text: String,
    pub names: Vec<String>,
}

/// Which files the scan reads.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum When {
    /// Files with a `const` for every [`BYTES_PER_CONST`] bytes, or a doc comment for
    /// every [`BYTES_PER_DOC`]: in others the scan would cost more than it saves.
    Dense,
    /// For tests: every file, or none.
    #[cfg(test)]
    Always,
    #[cfg(test)]
    Never,
}

/// A generated table has a `const` every 40 to 100 bytes; the scan pays for itself
/// once a tenth of a file is blanked.
const BYTES_PER_CONST: usize = 500;

/// A documented library has a doc comment line every 50 to 150 bytes.
const BYTES_PER_DOC: usize = 600;

/// Blanks the plain top-level consts and the doc comments of `text` (already
/// [`super::input::lexable`]), if `when` says the file is worth it and it has some.
pub(super) fn blank(text: &str, when: When) -> Option<Blanked> {
    let worth = match when {
        #[cfg(test)]
        When::Always => true,
        #[cfg(test)]
        When::Never => false,
        When::Dense => {
            let count = |word: &[u8]| memchr::memmem::find_iter(text.as_bytes(), word).count();
            count(b"const").saturating_mul(BYTES_PER_CONST) >= text.len()
                || (count(b"///") + count(b"//!")).saturating_mul(BYTES_PER_DOC) >= text.len()
        }
    };
    if !worth {
        return None;
    }
    let toks = tokens(text)?;
    let matching = matching(&toks)?;
    let scan = Scan {
        text,
        toks: &toks,
        matching: &matching,
    };
    let mut consts = Vec::new();
    let mut names = Vec::new();
    let mut i = 0;
    while i < toks.len() {
        if let Some(next) = scan.inner_attribute(i) {
            i = next;
        } else if let Some((name, end)) = scan.plain_const(i) {
            consts.push((toks[i].start as usize, toks[end - 1].end as usize));
            names.push(scan.text_of(name).to_string());
            i = end;
        } else {
            i = scan.item_end(i);
        }
    }
    // Doc comments outside those consts, in order with them.
    let mut blanks = Vec::with_capacity(consts.len());
    let mut consts = consts.into_iter().peekable();
    for t in toks
        .iter()
        .filter(|t| matches!(t.kind, Kind::OuterDoc | Kind::InnerDoc))
    {
        let (start, end) = (t.start as usize, t.end as usize);
        while let Some(c) = consts.next_if(|c| c.0 <= start) {
            blanks.push(c);
        }
        if blanks.last().is_none_or(|last| last.1 <= start) {
            blanks.push((start, end));
        }
    }
    blanks.extend(consts);
    if blanks.is_empty() {
        return None;
    }
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for (start, end) in blanks {
        out.push_str(&text[at..start]);
        out.push_str(&blank_one(&text[start..end], &text[end..]));
        at = end;
    }
    out.push_str(&text[at..]);
    Some(Blanked { text: out, names })
}

/// What stands in for `item` in the text the lexer sees: its line breaks, then, if a
/// token follows it on its last line (in `rest`), a space for every character of that
/// line's part of it, so that the token keeps its column. Lines and columns are all
/// the lexer's positions are turned into; the text itself is never read through them.
fn blank_one(item: &str, rest: &str) -> String {
    let breaks = item.matches('\n').count();
    let mut out = "\n".repeat(breaks);
    let line_rest = rest.split('\n').next().unwrap_or("");
    if !line_rest.trim_start_matches([' ', '\t', '\r']).is_empty() {
        let last = item.rsplit('\n').next().unwrap_or(item);
        out.extend(last.chars().map(|_| ' '));
    }
    out
}

/// A token as the scan needs it: its kind and where it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Tok {
    kind: Kind,
    start: u32,
    end: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    /// An identifier, keyword or raw identifier.
    Ident,
    /// `'a`: a `'` and an identifier to `proc_macro2`.
    Lifetime,
    Literal,
    /// A one-character punctuation mark other than a delimiter.
    Punct(u8),
    Open(u8),
    Close(u8),
    /// `/// ..`: `#` and `[doc = ".."]` to `proc_macro2`.
    OuterDoc,
    /// `//! ..`: `#`, `!` and `[doc = ".."]`.
    InnerDoc,
}

/// The tokens of `text` without whitespace and plain comments, or `None` if the
/// file holds anything this scan does not read exactly as `rustc_lexer` does
/// (outside strings and comments: a non-ASCII character, a C string, a reserved
/// prefix, an unterminated literal or comment). A byte scan: the
/// files it is for are large tables, and it costs a small part of what the lexer
/// saves on them.
fn tokens(text: &str) -> Option<Vec<Tok>> {
    let b = text.as_bytes();
    let n = b.len();
    u32::try_from(n).ok()?;
    let at = |i: usize| byte(b, i);
    let mut out = Vec::with_capacity(n / 6);
    let mut i = 0;
    while i < n {
        let c = b[i];
        let start = i;
        let kind = match c {
            b' ' | b'\t' | b'\n' | b'\r' => {
                i += 1;
                continue;
            }
            b'/' if at(i + 1) == b'/' => {
                let end = memchr::memchr(b'\n', &b[i..]).map_or(n, |e| i + e);
                let doc = match (at(i + 2), at(i + 3)) {
                    (b'/', d) if d != b'/' => Some(Kind::OuterDoc),
                    (b'!', _) => Some(Kind::InnerDoc),
                    _ => None,
                };
                i = end;
                match doc {
                    Some(_) if b[start..end].contains(&b'\r') => return None,
                    Some(k) => k,
                    None => continue,
                }
            }
            b'/' if at(i + 1) == b'*' => {
                let doc = match (at(i + 2), at(i + 3)) {
                    (b'*', d) if d != b'*' && d != b'/' => Some(Kind::OuterDoc),
                    (b'!', _) => Some(Kind::InnerDoc),
                    _ => None,
                };
                i = block_comment_end(b, i + 2)?;
                match doc {
                    Some(_) if b[start..i].contains(&b'\r') => return None,
                    Some(k) => k,
                    None => continue,
                }
            }
            b'"' => {
                i = word_end(b, string_end(b, i + 1)?);
                Kind::Literal
            }
            b'\'' => {
                let (end, kind) = quote(text, i)?;
                i = end;
                kind
            }
            b'0'..=b'9' => {
                i = number_end(b, i);
                Kind::Literal
            }
            b'b' if at(i + 1) == b'\'' => {
                let (end, kind) = quote(text, i + 1)?;
                if kind != Kind::Literal {
                    return None;
                }
                i = end;
                kind
            }
            b'b' if at(i + 1) == b'"' => {
                i = word_end(b, string_end(b, i + 2)?);
                Kind::Literal
            }
            b'b' if at(i + 1) == b'r' && matches!(at(i + 2), b'"' | b'#') => {
                i = word_end(b, raw_string_end(b, i + 2)?);
                Kind::Literal
            }
            b'r' if at(i + 1) == b'"'
                || (at(i + 1) == b'#' && matches!(at(i + 2), b'"' | b'#')) =>
            {
                i = word_end(b, raw_string_end(b, i + 1)?);
                Kind::Literal
            }
            c if c.is_ascii_alphabetic() || c == b'_' => {
                // A raw identifier (`r#type`), but not one of the names that cannot be.
                let raw = c == b'r' && at(i + 1) == b'#';
                let name = if raw { i + 2 } else { i };
                i = word_end(b, name);
                if raw
                    && matches!(
                        &text[name..i],
                        "" | "_" | "crate" | "self" | "super" | "Self"
                    )
                {
                    return None;
                }
                // A prefix (`c"..."`, `k#..`) or a non-ASCII identifier.
                if matches!(at(i), b'"' | b'\'' | b'#') || at(i) >= 0x80 {
                    return None;
                }
                Kind::Ident
            }
            b'(' | b'[' | b'{' => {
                i += 1;
                Kind::Open(c)
            }
            b')' => {
                i += 1;
                Kind::Close(b'(')
            }
            b']' => {
                i += 1;
                Kind::Close(b'[')
            }
            b'}' => {
                i += 1;
                Kind::Close(b'{')
            }
            b';' | b',' | b'.' | b'@' | b'#' | b'~' | b'?' | b':' | b'$' | b'=' | b'!' | b'<'
            | b'>' | b'-' | b'&' | b'|' | b'+' | b'*' | b'/' | b'^' | b'%' => {
                i += 1;
                Kind::Punct(c)
            }
            _ => return None,
        };
        out.push(Tok {
            kind,
            start: start as u32,
            end: i as u32,
        });
    }
    Some(out)
}

/// The byte at `i`, or 0 past the end.
fn byte(b: &[u8], i: usize) -> u8 {
    b.get(i).copied().unwrap_or(0)
}

fn ident_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

/// The end of the identifier characters from `i` (a word, or a literal's suffix).
fn word_end(b: &[u8], mut i: usize) -> usize {
    while ident_char(byte(b, i)) {
        i += 1;
    }
    i
}

/// The index after a block comment whose text starts at `i` (after its `/*`).
fn block_comment_end(b: &[u8], mut i: usize) -> Option<usize> {
    let mut depth = 1;
    while depth > 0 {
        match (b.get(i)?, byte(b, i + 1)) {
            (b'/', b'*') => {
                depth += 1;
                i += 2;
            }
            (b'*', b'/') => {
                depth -= 1;
                i += 2;
            }
            _ => i += 1,
        }
    }
    Some(i)
}

/// The index after the closing `"` of a string whose text starts at `i`.
fn string_end(b: &[u8], mut i: usize) -> Option<usize> {
    loop {
        match b.get(i)? {
            b'"' => return Some(i + 1),
            b'\\' => i += 2,
            _ => i += 1,
        }
    }
}

/// The index after a raw string whose `#`s (or `"`) start at `i`.
fn raw_string_end(b: &[u8], mut i: usize) -> Option<usize> {
    let hashes = b[i..].iter().take_while(|c| **c == b'#').count();
    i += hashes;
    if b.get(i) != Some(&b'"') || hashes > 255 {
        return None;
    }
    i += 1;
    loop {
        let close = i + memchr::memchr(b'"', b.get(i..)?)?;
        let end = close + 1 + hashes;
        if b.get(close + 1..end)?.iter().all(|c| *c == b'#') {
            return Some(end);
        }
        i = close + 1;
    }
}

/// A char literal or a lifetime at the `'` at `i`: the index after it, and which.
fn quote(text: &str, i: usize) -> Option<(usize, Kind)> {
    let b = text.as_bytes();
    let at = |i: usize| byte(b, i);
    let first = at(i + 1);
    let end = if first == b'\\' {
        // An escape: up to the closing quote, on this line.
        let mut j = i + 3;
        loop {
            match at(j) {
                b'\'' => break j + 1,
                b'\n' | b'\\' | 0 => return None,
                _ => j += 1,
            }
        }
    } else if first.is_ascii_alphabetic() || first == b'_' {
        let j = word_end(b, i + 1);
        if at(j) == b'\'' {
            if j != i + 2 {
                return None;
            }
            j + 1
        } else if at(j) >= 0x80 || at(j) == b'#' || at(i + 1) == b'r' && at(i + 2) == b'#' {
            return None;
        } else {
            return Some((j, Kind::Lifetime));
        }
    } else if first >= 0x80 {
        let len = text.get(i + 1..)?.chars().next()?.len_utf8();
        if at(i + 1 + len) != b'\'' {
            return None;
        }
        i + 2 + len
    } else if matches!(first, b'\'' | b'\n' | b'\r' | b'\t' | 0) || first.is_ascii_digit() {
        return None;
    } else {
        if at(i + 2) != b'\'' {
            return None;
        }
        i + 3
    };
    // A suffix is part of the literal.
    Some((word_end(b, end), Kind::Literal))
}

/// The index after a number starting at `i`, its suffix included.
fn number_end(b: &[u8], i: usize) -> usize {
    let at = |i: usize| byte(b, i);
    let digits = |mut j: usize| {
        while at(j).is_ascii_digit() || at(j) == b'_' {
            j += 1;
        }
        j
    };
    if at(i) == b'0' && matches!(at(i + 1), b'x' | b'o' | b'b') {
        return word_end(b, i + 2);
    }
    let mut j = digits(i + 1);
    // A fraction: `1.5`, or `1.` before anything but a `.` or a name.
    if at(j) == b'.' && at(j + 1) != b'.' && !(at(j + 1).is_ascii_alphabetic() || at(j + 1) == b'_')
    {
        j = digits(j + 1);
    }
    // An exponent.
    if matches!(at(j), b'e' | b'E') {
        let first = if matches!(at(j + 1), b'+' | b'-') {
            j + 2
        } else {
            j + 1
        };
        if at(first).is_ascii_digit() || at(first) == b'_' {
            j = digits(first);
        }
    }
    word_end(b, j)
}

/// For each opening delimiter, the index of the token after its closing one; `None`
/// if the delimiters do not balance.
fn matching(toks: &[Tok]) -> Option<Vec<u32>> {
    let mut after = vec![0u32; toks.len()];
    let mut open: Vec<(usize, u8)> = Vec::new();
    for (i, t) in toks.iter().enumerate() {
        match t.kind {
            Kind::Open(d) => open.push((i, d)),
            Kind::Close(d) => {
                let (o, od) = open.pop()?;
                if od != d {
                    return None;
                }
                after[o] = u32::try_from(i + 1).ok()?;
            }
            _ => {}
        }
    }
    open.is_empty().then_some(after)
}

struct Scan<'a> {
    text: &'a str,
    toks: &'a [Tok],
    matching: &'a [u32],
}

impl Scan<'_> {
    fn text_of(&self, i: usize) -> &str {
        let t = self.toks[i];
        &self.text[t.start as usize..t.end as usize]
    }

    fn kind(&self, i: usize) -> Option<Kind> {
        self.toks.get(i).map(|t| t.kind)
    }

    fn is_ident(&self, i: usize, word: &str) -> bool {
        self.kind(i) == Some(Kind::Ident) && self.text_of(i) == word
    }

    /// The token after the group opened at `i`.
    fn after_group(&self, i: usize) -> usize {
        self.matching[i] as usize
    }

    /// `#![..]` or `//! ..` at `i`: the index after it.
    fn inner_attribute(&self, i: usize) -> Option<usize> {
        match self.kind(i)? {
            Kind::InnerDoc => Some(i + 1),
            Kind::Punct(b'#')
                if self.kind(i + 1) == Some(Kind::Punct(b'!'))
                    && self.kind(i + 2) == Some(Kind::Open(b'[')) =>
            {
                Some(self.after_group(i + 2))
            }
            _ => None,
        }
    }

    /// Where the item starting at `i` ends: after its first `;` or `{..}` outside
    /// any other delimiters.
    fn item_end(&self, mut i: usize) -> usize {
        while i < self.toks.len() {
            match self.toks[i].kind {
                Kind::Punct(b';') => return i + 1,
                Kind::Open(b'{') => return self.after_group(i),
                Kind::Open(_) => i = self.after_group(i),
                _ => i += 1,
            }
        }
        i
    }

    /// A plain `const` item at `i`, as `skip_plain_static` with `Plain::Const` reads
    /// one: its name's token and the index after its `;`.
    fn plain_const(&self, i: usize) -> Option<(usize, usize)> {
        let mut j = i;
        // Outer attributes: their contents must be plain too.
        loop {
            match self.kind(j)? {
                Kind::OuterDoc => j += 1,
                Kind::Punct(b'#') => {
                    if self.kind(j + 1)? != Kind::Open(b'[') {
                        return None;
                    }
                    let after = self.after_group(j + 1);
                    if !self.plain(j + 2, after - 1) {
                        return None;
                    }
                    j = after;
                }
                Kind::Punct(_) => return None,
                _ => break,
            }
        }
        if self.is_ident(j, "pub") {
            j += 1;
            if self.kind(j) == Some(Kind::Open(b'(')) {
                j = self.after_group(j);
            }
        }
        if !self.is_ident(j, "const") || self.kind(j + 1)? != Kind::Ident {
            return None;
        }
        let name = j + 1;
        if self.kind(name + 1)? != Kind::Punct(b':') {
            return None;
        }
        // The value runs to the first `;` outside delimiters.
        let start = name + 2;
        let mut k = start;
        loop {
            match self.kind(k)? {
                Kind::Punct(b';') => break,
                Kind::Open(_) => k = self.after_group(k),
                _ => k += 1,
            }
        }
        self.plain(start, k).then_some((name, k + 1))
    }

    /// Whether the tokens `from..to` name neither `async` nor `static` (a lifetime
    /// aside), at any depth, and no parenthesised group among them may pass a fn by
    /// name.
    fn plain(&self, from: usize, to: usize) -> bool {
        (from..to).all(|i| match self.toks[i].kind {
            Kind::Ident => !matches!(self.text_of(i), "async" | "static"),
            Kind::Open(b'(') => !self.names_a_value(i + 1, self.after_group(i) - 1),
            _ => true,
        })
    }

    /// Whether the arguments `from..to` of a parenthesised group hold one that is a
    /// lowercase name (`true` and `false` aside) or a parenthesised group alone,
    /// counting token trees as `proc_macro2` does.
    fn names_a_value(&self, from: usize, to: usize) -> bool {
        // The argument so far: how many token trees, and its first token.
        let mut trees = 0;
        let mut first = from;
        let lone_value = |trees: usize, first: usize| {
            trees == 1
                && match self.toks[first].kind {
                    Kind::Ident => {
                        let name = self.text_of(first);
                        name.starts_with(|c: char| c.is_ascii_lowercase())
                            && !matches!(name, "true" | "false")
                    }
                    Kind::Open(d) => d == b'(',
                    _ => false,
                }
        };
        let mut i = from;
        while i < to {
            let kind = self.toks[i].kind;
            if kind == Kind::Punct(b',') {
                if lone_value(trees, first) {
                    return true;
                }
                trees = 0;
                i += 1;
                continue;
            }
            if trees == 0 {
                first = i;
            }
            trees += match kind {
                Kind::Lifetime | Kind::OuterDoc => 2,
                Kind::InnerDoc => 3,
                _ => 1,
            };
            i = match kind {
                Kind::Open(_) => self.after_group(i),
                _ => i + 1,
            };
        }
        lone_value(trees, first)
    }
}

#[cfg(test)]
mod tests;
