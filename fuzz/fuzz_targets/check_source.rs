//! Any bytes, as a source file, through every rule: the library entry point must
//! return a result or an error, never panic, overflow or hang. The same text also
//! goes through the item-by-item path that large files take, which must agree, and
//! through the full parse (`--full-parse`), which must agree wherever it parses: the
//! default path blanks plain consts and doc comments before the lexer in a file dense
//! in them, as a short input containing either usually is.
#![no_main]

use asynclint::rules::RULES;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let whole = asynclint::analyze_source("fuzz.rs", text, RULES);
        let items = asynclint::analyze_source_item_by_item("fuzz.rs", text, RULES);
        if let Ok(f) = asynclint::analyze_source_fully("fuzz.rs", text, RULES) {
            let w = whole.as_ref().expect("the default parse fails where the full one does not");
            assert_eq!(f.canonical(), w.canonical());
        }
        match (whole, items) {
            (Ok(w), Ok(i)) => assert_eq!(w.canonical(), i.canonical()),
            (Err(w), Err(i)) => assert_eq!(w.message, i.message),
            (w, i) => panic!(
                "the two paths disagree: whole file {}, item by item {}",
                w.is_ok(),
                i.is_ok()
            ),
        }
    }
});
