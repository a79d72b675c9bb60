//! Any bytes, as a source file, through every rule: the library entry point must
//! return a result or an error, never panic, overflow or hang.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = asynclint::analyze_source("fuzz.rs", text, asynclint::rules::RULES);
    }
});
