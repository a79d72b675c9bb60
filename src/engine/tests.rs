use super::input::{skip_plain_static, Plain};
use super::*;

/// The byte scan written plainly: the table-driven one must agree with it.
fn might_be_too_complex_reference(text: &str) -> bool {
    let b = text.as_bytes();
    let (mut i, mut depth, mut max_depth) = (0usize, 0isize, 0isize);
    let (mut puncts, mut flat) = (0usize, 0usize);
    while i < b.len() {
        match b[i] {
            b'/' if b.get(i + 1) == Some(&b'/') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                let mut nest = 0usize;
                while i < b.len() {
                    if b[i] == b'/' && b.get(i + 1) == Some(&b'*') {
                        nest += 1;
                        i += 2;
                    } else if b[i] == b'*' && b.get(i + 1) == Some(&b'/') {
                        nest -= 1;
                        i += 2;
                        if nest == 0 {
                            break;
                        }
                    } else {
                        i += 1;
                    }
                }
                continue;
            }
            b'"' => {
                i += 1;
                while i < b.len() && b[i] != b'"' {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
                flat += 1;
                puncts = 0;
            }
            b'(' | b'[' | b'{' => {
                depth += 1;
                max_depth = max_depth.max(depth);
                puncts = 0;
                flat = 0;
            }
            b')' | b']' | b'}' => {
                depth -= 1;
                puncts = 0;
                flat = 0;
            }
            b',' | b';' => {
                puncts = 0;
                flat = 0;
            }
            c if c.is_ascii_whitespace() => {}
            c if c.is_ascii_punctuation() => {
                puncts += 1;
                flat += 1;
            }
            _ => {
                puncts = 0;
                flat += 1;
            }
        }
        if max_depth as usize >= MAX_NESTING - 8 || puncts > MAX_PUNCT_RUN || flat > MAX_FLAT_RUN {
            return true;
        }
        i += 1;
    }
    false
}

/// A file read again for its diagnostics must be the file that was checked.
#[test]
fn a_file_changed_between_the_passes_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.rs");
    std::fs::write(&path, "fn a() {}\n").unwrap();
    let path = path.to_str().unwrap();
    let checked = digest("fn a() {}\n");
    assert_eq!(&*reread(path, checked).unwrap(), "fn a() {}\n");
    std::fs::write(path, "fn b() {}\n").unwrap();
    let e = reread(path, checked).unwrap_err();
    assert!(e.message.contains("changed"), "{}", e.message);
    std::fs::remove_file(path).unwrap();
    assert!(reread(path, checked)
        .unwrap_err()
        .message
        .contains("cannot read"));
}

/// The table-driven scan answers as the plain one does: on every fixture, on
/// deep nesting, long operator and token runs, and on every prefix of a text
/// that mixes comments, strings and brackets.
#[test]
fn byte_scan_agrees_with_the_plain_scan() {
    let mut texts = vec![
        "(".repeat(300),
        format!("fn f() {{ {} }}", "[".repeat(247)),
        format!("let x = 1 {};", "+ -".repeat(600)),
        format!("let x = \"{}\";", "\\\"".repeat(50)),
        "a".repeat(100_001),
        format!("// {}\n{}", "(".repeat(400), "x"),
        format!("/* /* {} */ */ ok", "{".repeat(400)),
        format!("{}/ {}", "*".repeat(999), "*".repeat(5)),
    ];
    let mixed = "fn f() { let s = \"a(b\"; /* ( /* [ */ */ // {\n g([1, 2]) / 3 }";
    texts.extend((0..=mixed.len()).map(|n| mixed[..n].to_string()));
    for entry in walkdir::WalkDir::new(concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures")) {
        let entry = entry.unwrap();
        if entry.file_type().is_file() {
            texts.push(std::fs::read_to_string(entry.path()).unwrap());
        }
    }
    let mut flagged = 0;
    for text in &texts {
        let fast = might_be_too_complex(text);
        assert_eq!(fast, might_be_too_complex_reference(text), "{text:.80}");
        flagged += usize::from(fast);
    }
    assert!(flagged >= 5, "only {flagged} texts flagged");
}

/// Large files are parsed and walked item by item; the result must be the
/// whole-file walk's, findings, index facts and parse errors alike. Checked on
/// every fixture, on this crate's own sources, and on texts where a fact from one
/// item changes what another means.
/// Texts where a fact from one item changes what another means, every fixture, and
/// this crate's own sources: what the paths that read a file differently must agree on.
fn walk_texts() -> Vec<String> {
    let mut texts = vec![
        String::new(),
        "#![allow(unused)]\n".to_string(),
        "#![allow(unused)]\nasync fn f() { tokio::spawn(g()); }\nasync fn g() {}\n".into(),
        // The import and the struct come after the code that needs them.
        "async fn f(s: &S) { let _g = s.m.lock(); h().await; }\n\
         async fn h() {}\nmod inner { pub struct T { pub n: u8 } }\n\
         struct S { m: Mutex<u8> }\nuse std::sync::Mutex;\n"
            .into(),
        "fn f() { static mut N: u32 = 0; }\nasync fn g() { std::thread::spawn(|| unsafe { N += 1 }); }\n".into(),
        "fn f() { tokio::select! { _ = a() => {}, _ = b() => {} } }\nasync fn a() {}\nasync fn b() {}\n".into(),
        "fn f() {}\nfn g( {}\n".into(),
        "fn f() {}\n#[cfg(x)]\n".into(),
        // Tables the facts pass skips, and items it must not skip.
        "#[rustfmt::skip]\npub(crate) static T: [&'static str; 2] = [\"a\", \"b\"];\n\
         const _: () = ();\nconst N: usize = 2;\nstatic mut M: u32 = 0;\n\
         const fn c() -> u8 { 0 }\npub const async_thing: u8 = 1;\n\
         static H: fn() = || { let _f = async {}; };\n\
         const X: u8 = { static mut Y: u8 = 0; 0 };\n\
         async fn g() { std::thread::spawn(|| unsafe { M += 1; Y += 1 }); }\n"
            .into(),
        // A broken table before a broken fn: the first error is the one reported.
        "static T: [u8; 2] = [1, 2 3];\nfn f() { let = ; }\n".into(),
        "static T: [u8; 2] = [1, 2 3];\nfn f() {}\n".into(),
        "static T: [u8; 2] = [1, 2]\n".into(),
        // Calls in a const's value run at compile time; a fn passed by name in one is
        // a value all the same.
        "const D: Duration = Duration::from_secs(2);\nconst H: Handler = Handler::new(serve);\n\
         async fn serve() { let _ = timeout(D, from_secs(3)).await; }\n"
            .into(),
        // A broken const is found by the full parse only.
        "const T: [u8; 2] = [1, 2 3];\nasync fn f() { std::thread::sleep(d); }\n".into(),
        // Inner attributes are walked too: the call in the value is indexed.
        "#![doc = docs(\"../README.md\")]\nmod a;\n".into(),
    ];
    let root = env!("CARGO_MANIFEST_DIR");
    for dir in ["fixtures", "src", "tests"] {
        for entry in walkdir::WalkDir::new(Path::new(root).join(dir)) {
            let entry = entry.unwrap();
            if entry.path().extension().is_some_and(|e| e == "rs") {
                texts.push(std::fs::read_to_string(entry.path()).unwrap());
            }
        }
    }
    texts
}

#[test]
fn item_by_item_walk_gives_the_whole_file_result() {
    let texts = walk_texts();
    let rules = crate::rules::RULES;
    let full = FileSettings {
        full_parse: true,
        ..FileSettings::default()
    };
    let (mut files, mut findings, mut errors, mut only_full) = (0, 0, 0, 0);
    for text in &texts {
        let whole = analyze("a.rs", text, rules, &FileSettings::default(), false);
        let items = analyze_source_item_by_item("a.rs", text, rules);
        // The full parse, whole and item by item, agrees with the default wherever
        // it parses; where it finds an error the default may not (in a skipped const).
        for by_item in [false, true] {
            match (analyze("a.rs", text, rules, &full, by_item), &whole) {
                (Ok(f), Ok(w)) => assert_eq!(f.canonical(), w.canonical(), "{text:.200}"),
                (Err(f), Err(w)) => assert_eq!(f.message, w.message),
                (Err(_), Ok(_)) => only_full += 1,
                (Ok(_), Err(_)) => panic!("only the default path failed: {text:.200}"),
            }
        }
        match (&whole, &items) {
            (Ok(w), Ok(i)) => {
                assert_eq!(w.canonical(), i.canonical(), "{text:.200}");
                findings += w.diagnostics.len() + w.deferred.len();
            }
            (Err(w), Err(i)) => {
                assert_eq!(w.message, i.message);
                errors += 1;
            }
            _ => panic!("one path failed: {text:.200}"),
        }
        files += 1;
    }
    assert!(
        files > 100 && findings > 100 && errors >= 2 && only_full == 2,
        "{files} {findings} {errors} {only_full}"
    );
}

/// The facts pass steps over plain tables only: never over an item from which it
/// needs more than the name.
#[test]
fn only_plain_statics_and_consts_are_skipped() {
    use syn::parse::{ParseStream, Parser};
    let skipped = |src: &str| {
        (|input: ParseStream| {
            let name = input
                .step(|c| skip_plain_static(*c, Plain::StaticOrConst))
                .ok();
            // The rest of the input is left for the parser.
            while !input.is_empty() {
                input.parse::<proc_macro2::TokenTree>()?;
            }
            Ok(name)
        })
        .parse_str(src)
        .unwrap()
    };
    let plain = [
        ("static T: [u16; 3] = [1, 2, 3];", "T"),
        ("pub static T: &[&'static str] = &[\"a\"]; fn f() {}", "T"),
        ("#[rustfmt::skip] pub(crate) const N: usize = 1 + 2;", "N"),
        ("const _: () = ();", "_"),
    ];
    for (src, name) in plain {
        assert_eq!(skipped(src).as_deref(), Some(name), "{src}");
    }
    let parsed = [
        "static mut T: u8 = 0;",
        "const fn f() -> u8 { 0 }",
        "const F: fn() = || { let _ = async {}; };",
        "const X: u8 = { static mut Y: u8 = 0; 0 };",
        "static T: [u8; 2] = [1, 2]",
        "#[cfg(x)] fn f() {}",
        "pub struct S;",
        "use std::fs;",
    ];
    for src in parsed {
        assert_eq!(skipped(src), None, "{src}");
    }
    // The walk steps over consts only: it records what a static's initializer calls.
    let walked = |src: &str| {
        (|input: ParseStream| {
            let name = input.step(|c| skip_plain_static(*c, Plain::Const)).ok();
            while !input.is_empty() {
                input.parse::<proc_macro2::TokenTree>()?;
            }
            Ok(name)
        })
        .parse_str(src)
        .unwrap()
    };
    assert_eq!(walked("pub const N: usize = 1;").as_deref(), Some("N"));
    assert_eq!(
        walked("pub const G: Guid = Guid::from_u128(0x1234_u128 as u128);").as_deref(),
        Some("G")
    );
    assert_eq!(walked("static T: [u16; 3] = [1, 2, 3];"), None);
    // A fn passed by name in a const's value is one the crate may call unseen.
    assert_eq!(walked("const H: Handler = Handler::new(serve);"), None);
}

/// Blanking plain consts and doc comments before the lexer changes nothing:
/// findings, index facts and errors are those of the lexer reading every token, whole
/// and item by item, wherever that parses.
#[test]
fn blanking_before_the_lexer_changes_nothing() {
    let mut texts = walk_texts();
    // Blanked items before, between and after others; one whose value spans lines,
    // one with a token after it on its line; an error after a blanked table.
    texts.push(
        "pub const A: u8 = 1;\n/// Doc.\n#[rustfmt::skip]\npub(crate) const B: [u16; 3] = [\n    1,\n    2, 3,\n]; async fn f() { std::thread::sleep(D); }\n\
         const D: Duration = Duration::from_secs(1); const E: &str = \"é\"; fn g() { tokio::spawn(f()); }\n"
            .into(),
    );
    texts.push("const A: u8 = 1;\nconst B: u8 = 2;\nfn f() { let = ; }\n".into());
    texts.push("const A: u8 = [1, 2 3];\nfn f() {}\n".into());
    // Doc comments on items, statements, fields, in a macro's input, across lines.
    texts.push(
        "//! Crate.\n/// A task.\nasync fn f() {\n    /// Slept.\n    let _g = M.lock().unwrap();\n    g().await;\n}\n\
         struct S {\n    /// Field.\n    n: u8,\n}\nm! {\n    /// In.\n    fn h() {}\n}\n/** A\n block. */ async fn g() {}\n"
            .into(),
    );
    // A doc comment where none may be: only the lexer reading it all sees the error.
    texts.push("fn f() {\n    let x = 1;\n    /// Trailing.\n}\n".into());
    let rules = crate::rules::RULES;
    let settings = FileSettings::default();
    let (mut blanked, mut only_blanked) = (0, 0);
    for text in &texts {
        if prelex::blank(&lexable(text), prelex::When::Always).is_some() {
            blanked += 1;
        }
        for by_item in [false, true] {
            let fast = analyze_prelexed(
                "a.rs",
                text,
                rules,
                &settings,
                by_item,
                prelex::When::Always,
            );
            let whole =
                analyze_prelexed("a.rs", text, rules, &settings, by_item, prelex::When::Never);
            match (fast, whole) {
                (Ok(f), Ok(w)) => assert_eq!(f.canonical(), w.canonical(), "{text:.200}"),
                (Err(f), Err(w)) => assert_eq!(f.message, w.message, "{text:.200}"),
                (Ok(_), Err(_)) => only_blanked += 1,
                (Err(_), Ok(_)) => panic!("only the blanked text failed: {text:.200}"),
            }
        }
    }
    assert!(
        blanked > 200 && only_blanked == 2,
        "{blanked} {only_blanked}"
    );
}
