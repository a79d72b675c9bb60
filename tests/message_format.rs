//! `--message-format json` read back through `cargo_metadata::Message`, the type
//! rust-analyzer reads cargo's output with: every field of every finding checked
//! against the `--format json` report of the same run and against the source text.

mod common;

use cargo_metadata::diagnostic::{Applicability, DiagnosticLevel, DiagnosticSpan};
use cargo_metadata::{Message, TargetKind};
use common::{asynclint, root, write};
use serde_json::Value;
use std::path::Path;

fn messages(dir: &Path, args: &[&str]) -> (Vec<Message>, i32) {
    let out = asynclint()
        .arg("check")
        .args(args)
        .args(["--message-format", "json", "--no-cache"])
        .current_dir(dir)
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    for line in stdout.lines() {
        // One object per line, as cargo writes them.
        serde_json::from_str::<Value>(line).unwrap_or_else(|e| panic!("{e}: {line}"));
    }
    let parsed: Vec<Message> = Message::parse_stream(stdout.as_bytes())
        .map(|m| m.unwrap())
        .collect();
    (parsed, out.status.code().unwrap())
}

fn json_report(dir: &Path, args: &[&str]) -> Value {
    let out = asynclint()
        .arg("check")
        .args(args)
        .args(["--format", "json", "--no-cache"])
        .current_dir(dir)
        .output()
        .unwrap();
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The text a span covers, read from the file by its byte offsets; it must be what
/// its lines and columns say too.
fn covered(dir: &Path, s: &DiagnosticSpan) -> String {
    let text = std::fs::read_to_string(dir.join(&s.file_name)).unwrap();
    let by_bytes = text[s.byte_start as usize..s.byte_end as usize].to_string();
    let lines: Vec<&str> = text.split('\n').collect();
    let mut by_columns = String::new();
    for (i, l) in s.text.iter().enumerate() {
        assert_eq!(l.text, lines[s.line_start - 1 + i].trim_end_matches('\r'));
        let chars: Vec<char> = l.text.chars().collect();
        let end = (l.highlight_end - 1).min(chars.len());
        by_columns.extend(&chars[l.highlight_start - 1..end]);
        if i + 1 < s.text.len() {
            by_columns.push('\n');
        }
    }
    assert_eq!(s.text.len(), s.line_end - s.line_start + 1);
    assert_eq!(s.text[0].highlight_start, s.column_start);
    assert_eq!(s.text.last().unwrap().highlight_end, s.column_end);
    assert_eq!(by_bytes, by_columns, "{s:?}");
    by_bytes
}

/// Every finding of every fixture, field by field.
#[test]
fn every_field_of_every_finding_reads_back_through_cargo_metadata() {
    let dir = root();
    let args = ["fixtures", "--select", "all"];
    let (msgs, code) = messages(&dir, &args);
    let report = json_report(&dir, &args);
    assert_eq!(code, 1);
    let findings = report["diagnostics"].as_array().unwrap();
    assert!(findings.len() > 100);
    assert_eq!(msgs.len(), findings.len() + 1);
    let (mut fixes, mut labels, mut notes, mut multiline) = (0, 0, 0, 0);
    for (m, j) in msgs.iter().zip(findings) {
        let Message::CompilerMessage(cm) = m else {
            panic!("not a compiler message: {m:?}");
        };
        let path = j["path"].as_str().unwrap();
        let rule = j["rule"].as_str().unwrap();
        assert!(cm.package_id.repr.starts_with("path+file:///"));
        assert!(cm.package_id.repr.ends_with("#asynclint@0.1.0"));
        assert_eq!(cm.target.name, "asynclint");
        assert!(cm.target.kind.contains(&TargetKind::Lib));
        assert!(cm.target.src_path.ends_with("src/lib.rs"));
        let d = &cm.message;
        assert_eq!(d.message, j["message"].as_str().unwrap());
        let code = d.code.as_ref().unwrap();
        assert_eq!(code.code, format!("asynclint::{rule}"));
        assert_eq!(
            code.explanation.as_deref(),
            Some(asynclint::rules::find(rule).unwrap().meta().doc)
        );
        let level = match j["severity"].as_str().unwrap() {
            "warning" => DiagnosticLevel::Warning,
            "error" => DiagnosticLevel::Error,
            _ => DiagnosticLevel::Help,
        };
        assert_eq!(d.level, level);
        let rendered = d.rendered.as_deref().unwrap();
        assert!(
            rendered.contains(&format!("[{rule}]: {}", d.message)),
            "{rendered}"
        );
        let primary = &d.spans[0];
        assert!(primary.is_primary);
        assert!(d.spans[1..].iter().all(|s| !s.is_primary));
        assert_eq!(primary.file_name, path);
        assert_eq!(
            (
                primary.line_start,
                primary.column_start,
                primary.line_end,
                primary.column_end
            ),
            (
                j["line"].as_u64().unwrap() as usize,
                j["column"].as_u64().unwrap() as usize,
                j["end_line"].as_u64().unwrap() as usize,
                j["end_column"].as_u64().unwrap() as usize,
            )
        );
        for s in &d.spans {
            assert!(s.expansion.is_none() && s.suggested_replacement.is_none());
            covered(&dir, s);
        }
        multiline += usize::from(primary.line_end > primary.line_start);
        labels += d.spans.len() - 1;
        assert!(d.spans[1..].iter().all(|s| s.label.is_some()));
        // Children: the notes, then the help with the fix's edits.
        let want_notes: Vec<&str> = j["notes"]
            .as_array()
            .map(|a| a.iter().map(|n| n.as_str().unwrap()).collect())
            .unwrap_or_default();
        let got_notes: Vec<&str> = d
            .children
            .iter()
            .filter(|c| c.level == DiagnosticLevel::Note)
            .map(|c| c.message.as_str())
            .collect();
        assert_eq!(got_notes, want_notes);
        notes += got_notes.len();
        let helps: Vec<_> = d
            .children
            .iter()
            .filter(|c| c.level == DiagnosticLevel::Help)
            .collect();
        assert_eq!(d.children.len(), got_notes.len() + helps.len());
        assert!(d
            .children
            .iter()
            .all(|c| c.code.is_none() && c.children.is_empty() && c.rendered.is_none()));
        match (j.get("help"), j.get("fix")) {
            (None, None) => assert!(helps.is_empty()),
            (help, fix) => {
                assert_eq!(helps.len(), 1);
                if let Some(h) = help {
                    assert_eq!(helps[0].message, h.as_str().unwrap());
                }
                let edits = fix
                    .map(|f| f["edits"].as_array().unwrap().clone())
                    .unwrap_or_default();
                assert_eq!(helps[0].spans.len(), edits.len());
                for (s, e) in helps[0].spans.iter().zip(&edits) {
                    assert_eq!(
                        s.suggested_replacement.as_deref(),
                        e["replacement"].as_str()
                    );
                    let want = match fix.unwrap()["applicability"].as_str().unwrap() {
                        "machine-applicable" => Applicability::MachineApplicable,
                        _ => Applicability::MaybeIncorrect,
                    };
                    assert_eq!(s.suggestion_applicability.as_ref(), Some(&want));
                    assert_eq!(
                        (s.line_start, s.column_start, s.line_end, s.column_end),
                        (
                            e["line"].as_u64().unwrap() as usize,
                            e["column"].as_u64().unwrap() as usize,
                            e["end_line"].as_u64().unwrap() as usize,
                            e["end_column"].as_u64().unwrap() as usize,
                        )
                    );
                    covered(&dir, s);
                    fixes += 1;
                }
            }
        }
    }
    assert!(
        fixes > 10 && labels > 5 && notes > 5 && multiline > 5,
        "{fixes} {labels} {notes} {multiline}"
    );
    let Message::BuildFinished(done) = msgs.last().unwrap() else {
        panic!("no build-finished line");
    };
    assert!(!done.success, "the fixtures hold error-level findings");
}

/// Targets from cargo's layout, a file that cannot be parsed as an error at its
/// position, multi-byte characters counted as characters, and a clean run.
#[test]
fn targets_errors_and_character_columns() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(
        d,
        "Cargo.toml",
        "[package]\nname = \"my-app\"\nversion = \"1.2.3\"\nedition = \"2021\"\n\n[dependencies]\ntokio = \"1\"\n",
    );
    let body = "async fn f() {\n    let _é = \"ü\"; std::thread::sleep(d);\n    g();\n}\nasync fn g() {}\n";
    for f in [
        "src/lib.rs",
        "src/main.rs",
        "src/bin/tool.rs",
        "tests/it.rs",
        "examples/ex.rs",
    ] {
        write(d, f, body);
    }
    write(d, "src/broken.rs", "fn f() {\n    let = ;\n}\n");
    let (msgs, code) = messages(d, &["."]);
    assert_eq!(code, 2);
    let mut kinds = Vec::new();
    for m in &msgs[..msgs.len() - 1] {
        let Message::CompilerMessage(cm) = m else {
            panic!("{m:?}")
        };
        assert!(
            cm.package_id.repr.ends_with("#my-app@1.2.3"),
            "{}",
            cm.package_id
        );
        assert_eq!(cm.target.edition, cargo_metadata::Edition::E2021);
        let s = &cm.message.spans[0];
        if cm.message.level == DiagnosticLevel::Error && cm.message.code.is_none() {
            assert!(cm.message.message.contains("could not check this file"));
            assert_eq!((s.file_name.as_str(), s.line_start), ("./src/broken.rs", 2));
            continue;
        }
        kinds.push((cm.target.kind[0].to_string(), cm.target.name.clone()));
        if cm.message.code.as_ref().unwrap().code == "asynclint::blocking-in-async" {
            // `let _é = "ü"; ` is 14 characters and 16 bytes before the call.
            assert_eq!((s.line_start, s.column_start), (2, 19));
            assert_eq!(covered(d, s), "std::thread::sleep(d)");
        }
    }
    kinds.sort();
    kinds.dedup();
    let names: Vec<String> = kinds.iter().map(|(k, n)| format!("{k}:{n}")).collect();
    assert_eq!(
        names,
        [
            "bin:my-app",
            "bin:tool",
            "example:ex",
            "lib:my_app",
            "test:it"
        ]
    );
    assert!(matches!(msgs.last(), Some(Message::BuildFinished(b)) if !b.success));

    let clean = tempfile::tempdir().unwrap();
    write(clean.path(), "src/lib.rs", "pub fn f() {}\n");
    let (msgs, code) = messages(clean.path(), &["src"]);
    assert_eq!(code, 0);
    assert_eq!(msgs.len(), 1);
    assert!(matches!(&msgs[0], Message::BuildFinished(b) if b.success));
}

/// `--message-format` replaces `--format`; both at once is a usage error.
#[test]
fn message_format_and_format_conflict() {
    asynclint()
        .args([
            "check",
            "src",
            "--format",
            "json",
            "--message-format",
            "json",
        ])
        .current_dir(root())
        .assert()
        .code(2);
}

/// `editors/asynclint-check`, the command rust-analyzer runs: clippy's messages and
/// asynclint's in one stream that cargo_metadata reads.
#[test]
fn the_wrapper_script_runs_clippy_and_asynclint() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(
        d,
        "Cargo.toml",
        "[package]\nname = \"w\"\nversion = \"0.1.0\"\nedition = \"2021\"\n",
    );
    write(
        d,
        "src/lib.rs",
        "pub fn one() -> i32 {\n    return 1;\n}\n\npub async fn load(p: &str) -> String {\n    std::fs::read_to_string(p).unwrap()\n}\n",
    );
    let bin = Path::new(env!("CARGO_BIN_EXE_asynclint")).parent().unwrap();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = std::process::Command::new(root().join("editors/asynclint-check"))
        .current_dir(d)
        .env("PATH", path)
        .env("CARGO_TARGET_DIR", d.join("target"))
        .env_remove("RUSTFLAGS")
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let codes: Vec<String> = Message::parse_stream(&out.stdout[..])
        .map(|m| m.unwrap())
        .filter_map(|m| match m {
            Message::CompilerMessage(cm) => cm.message.code.map(|c| c.code),
            _ => None,
        })
        .collect();
    assert!(
        codes.iter().any(|c| c == "clippy::needless_return"),
        "{codes:?}"
    );
    assert!(
        codes.iter().any(|c| c == "asynclint::blocking-in-async"),
        "{codes:?}"
    );
}
