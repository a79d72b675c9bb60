use super::*;
use ra_ap_rustc_lexer::{tokenize, DocStyle, FrontmatterAllowed, LiteralKind, TokenKind};

/// The tokens `rustc_lexer` reads, mapped as the scan maps them; `None` where it
/// flags a token as malformed.
fn oracle(text: &str) -> Option<Vec<Tok>> {
    let mut out = Vec::with_capacity(text.len() / 4);
    let mut start = 0u32;
    for t in tokenize(text, FrontmatterAllowed::No) {
        let end = start.checked_add(t.len)?;
        let kind = match t.kind {
            TokenKind::Whitespace
            | TokenKind::LineComment { doc_style: None }
            | TokenKind::BlockComment {
                doc_style: None,
                terminated: true,
            } => None,
            TokenKind::LineComment { doc_style: Some(d) }
            | TokenKind::BlockComment {
                doc_style: Some(d),
                terminated: true,
            } => {
                // A bare carriage return is an error in a doc comment.
                if text[start as usize..end as usize].contains('\r') {
                    return None;
                }
                Some(match d {
                    DocStyle::Outer => Kind::OuterDoc,
                    DocStyle::Inner => Kind::InnerDoc,
                })
            }
            TokenKind::Ident | TokenKind::RawIdent => Some(Kind::Ident),
            TokenKind::Lifetime {
                starts_with_number: false,
            } => Some(Kind::Lifetime),
            TokenKind::Literal { kind, .. } if well_formed(kind) => Some(Kind::Literal),
            TokenKind::OpenParen => Some(Kind::Open(b'(')),
            TokenKind::OpenBracket => Some(Kind::Open(b'[')),
            TokenKind::OpenBrace => Some(Kind::Open(b'{')),
            TokenKind::CloseParen => Some(Kind::Close(b'(')),
            TokenKind::CloseBracket => Some(Kind::Close(b'[')),
            TokenKind::CloseBrace => Some(Kind::Close(b'{')),
            TokenKind::Semi
            | TokenKind::Comma
            | TokenKind::Dot
            | TokenKind::At
            | TokenKind::Pound
            | TokenKind::Tilde
            | TokenKind::Question
            | TokenKind::Colon
            | TokenKind::Dollar
            | TokenKind::Eq
            | TokenKind::Bang
            | TokenKind::Lt
            | TokenKind::Gt
            | TokenKind::Minus
            | TokenKind::And
            | TokenKind::Or
            | TokenKind::Plus
            | TokenKind::Star
            | TokenKind::Slash
            | TokenKind::Caret
            | TokenKind::Percent => Some(Kind::Punct(text.as_bytes()[start as usize])),
            TokenKind::Eof => None,
            // Unknown, unterminated or reserved forms: the lexer decides.
            _ => return None,
        };
        if let Some(kind) = kind {
            out.push(Tok { kind, start, end });
        }
        start = end;
    }
    Some(out)
}
fn well_formed(kind: LiteralKind) -> bool {
    match kind {
        LiteralKind::Int { empty_int, .. } => !empty_int,
        LiteralKind::Float { empty_exponent, .. } => !empty_exponent,
        LiteralKind::Char { terminated }
        | LiteralKind::Byte { terminated }
        | LiteralKind::Str { terminated }
        | LiteralKind::ByteStr { terminated } => terminated,
        LiteralKind::RawStr { n_hashes } | LiteralKind::RawByteStr { n_hashes } => {
            n_hashes.is_some()
        }
        LiteralKind::CStr { .. } | LiteralKind::RawCStr { .. } => false,
    }
}

/// Where the byte scan reads a text, it reads the tokens `rustc_lexer` does.
fn agrees(text: &str) -> bool {
    match tokens(text) {
        Some(fast) => {
            assert_eq!(Some(&fast), oracle(text).as_ref(), "{text:.300}");
            true
        }
        None => false,
    }
}

#[test]
fn the_byte_scan_reads_the_tokens_rustc_lexer_reads() {
    let cases = [
        "a.0.1 1. 1.5 1e5 1e+5 1.0e-3 0x1e+5 1..2 1.max(2) 0b1010u8 1_000i64 1.5f32 2.e3",
        "'a' 'a 'static '\\'' '\\\\' '\\u{1F600}' '\\x7f' 'é' b'a' b'\\'' ' ' '(' 'a'x",
        "\"a\\\"b\" b\"x\" r\"raw\" r#\"a\"b\"# br##\"x\"#\"## \"s\"suffix r#\"\"#",
        "/* a /* nested */ b */ /** doc */ /*! inner */ /**/ /*** x */ // c\n/// d\n//! e\n//// f",
        "fn f<'a>(x: &'a str) -> impl Fn() + 'a { |y| x.len() + y }",
        "#[cfg(x)] pub(crate) const N: u8 = !0 ^ 1 | 2 & 3 % 4 @ 5 ~ 6 $ 7 ? 8;",
        "let r#type = r#match; r#fn(r#x)",
        "r#_ c\"str\"; k#x; 'r#a; é; 1 \u{b} 2",
        "\"unterminated",
        "/* unterminated",
        "'ab' ''",
    ];
    let read = cases.iter().filter(|c| agrees(c)).count();
    // The last four hold what the scan leaves to the lexer.
    assert_eq!(read, cases.len() - 4);
    assert!(tokens("r#crate").is_none() && tokens("r#self").is_none());
    let root = env!("CARGO_MANIFEST_DIR");
    let mut files = 0;
    for dir in ["fixtures", "src", "tests", "learn"] {
        for entry in walkdir::WalkDir::new(std::path::Path::new(root).join(dir)) {
            let entry = entry.unwrap();
            if entry.path().extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(entry.path()).unwrap();
                files += usize::from(agrees(&text));
            }
        }
    }
    assert!(files > 300, "{files}");
}

/// The same over every `.rs` file under the directories listed, one per line, in
/// the file `ASYNCLINT_LEX_DIRS` names (`scripts/corpus.sh > dirs`).
#[test]
#[ignore = "reads a corpus outside the repository"]
fn the_byte_scan_reads_a_corpus_as_rustc_lexer_does() {
    let list = std::env::var("ASYNCLINT_LEX_DIRS").unwrap();
    let (mut read, mut left) = (0, 0);
    for dir in std::fs::read_to_string(list).unwrap().lines() {
        for entry in walkdir::WalkDir::new(dir) {
            let entry = entry.unwrap();
            if entry.path().extension().is_some_and(|e| e == "rs") {
                if let Ok(text) = std::fs::read_to_string(entry.path()) {
                    if agrees(&text) {
                        read += 1;
                    } else {
                        left += 1;
                    }
                }
            }
        }
    }
    eprintln!("{read} files read, {left} left to the lexer");
}

/// Over a corpus (as above), every blanked file keeps all its line breaks; and how
/// much the scan blanks: bytes in all, in the files dense in `const`s or doc
/// comments, and taken out of the text the lexer sees.
#[test]
#[ignore = "reads a corpus outside the repository"]
fn blanking_a_corpus_keeps_every_line_break() {
    let list = std::env::var("ASYNCLINT_LEX_DIRS").unwrap();
    let (mut all, mut dense, mut blanked) = (0, 0, 0);
    for dir in std::fs::read_to_string(list).unwrap().lines() {
        for entry in walkdir::WalkDir::new(dir) {
            let entry = entry.unwrap();
            if entry.path().extension().is_some_and(|e| e == "rs") {
                if let Ok(text) = std::fs::read_to_string(entry.path()) {
                    all += text.len();
                    if let Some(b) = blank(&text, When::Dense) {
                        dense += text.len();
                        blanked += text.len() - b.text.len();
                    }
                }
            }
        }
    }
    eprintln!("{all} bytes, {dense} in files dense in consts or doc comments, {blanked} taken out");
}

fn blanked(src: &str) -> Option<(String, Vec<String>)> {
    blank(src, When::Always).map(|b| (b.text, b.names))
}

#[test]
fn plain_consts_are_blanked_and_lines_and_columns_kept() {
    let table = "const T: [&'static str; 2] = [\"x\", \"é\"];";
    let src = format!("use a::b;\n/// The answer.\npub const N: u32 = 42;\n{table} fn f() {{}}\n");
    let (text, names) = blanked(&src).unwrap();
    assert_eq!(names, ["N", "T"]);
    // Each line break stays; a token after a blanked const on its line keeps its
    // column in characters.
    let spaces = " ".repeat(table.chars().count());
    assert_eq!(text, format!("use a::b;\n\n\n{spaces} fn f() {{}}\n"));
}

#[test]
fn doc_comments_are_blanked_and_nothing_else() {
    let src = "//! Crate.\n/// A fn.\nfn f() {\n    /** Block\n     doc. */ let x = \"/// no\";\n    //// plain\n    /*! in */\n}\n";
    let (text, names) = blanked(src).unwrap();
    assert!(names.is_empty());
    let pad = " ".repeat("     doc. */".len());
    assert_eq!(
        text,
        format!("\n\nfn f() {{\n    \n{pad} let x = \"/// no\";\n    //// plain\n    \n}}\n")
    );
    assert!(blanked("//// plain\n/* block */ fn f() {}\n").is_none());
}

#[test]
fn only_what_the_cursor_scan_skips_is_blanked() {
    for src in [
        "const F: fn() = || { let _ = async {}; };",
        "const X: u8 = { static mut Y: u8 = 0; 0 };",
        "const H: Handler = Handler::new(serve);",
        "const H: Handler = Handler::new((serve));",
        "#[cfg(test)] const N: u8 = 1;",
        "const fn f() -> u8 { 0 }",
        "static T: [u8; 2] = [1, 2];",
        "const N: u8 = 1",
        "const P: (u8, u8) = (1, 2);",
        "impl<const N: usize> S<N> { const M: usize = N; }",
        "fn f() { const N: u8 = 1; }",
        // An unknown token, unbalanced delimiters: the lexer decides.
        "const N: u8 = 1; fn f() { \u{1f600} }",
        "const N: u8 = 1; fn f() { ( }",
        "const N: u8 = 1; const S: &str = \"a",
    ] {
        assert!(blanked(src).is_none(), "{src}");
    }
    for (src, name) in [
        ("pub(crate) const N: usize = 1 + 2;", "N"),
        ("#[rustfmt::skip] const _: () = ();", "_"),
        ("const G: Guid = Guid::from_u128(0x1234_u128 as u128);", "G"),
        ("const D: Duration = Duration::from_secs(2);", "D"),
        ("const L: &'static str = \"static\";", "L"),
        ("#![allow(dead_code)]\nconst N: u8 = 1;", "N"),
        ("struct S<const N: usize = { 1 }>;\nconst M: u8 = 1;", "M"),
        ("const P: [u8; 2] = [1, 2];", "P"),
    ] {
        assert_eq!(
            blanked(src).map(|b| b.1),
            Some(vec![name.to_string()]),
            "{src}"
        );
    }
}
