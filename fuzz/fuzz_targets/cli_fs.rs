//! The command line over file-system shapes: a tree of files with odd names (bytes
//! that are not UTF-8, control characters, backslashes), FIFOs, symbolic and hard
//! links, read-only files, manifests with and without tokio's features, and sources
//! that mix fixable code with fuzz bytes; checked in any format, with `--fix`,
//! `--fix --unsafe-fixes` or `--diff`. The run must return 0, 1 or 2 (never panic or
//! hang: a FIFO must never be waited on), `--diff` and plain checks must change
//! nothing, and `--fix` may only leave each file as it was or parsable, links links,
//! read-only files untouched, and no temporary file behind.
//!
//! Run with `-close_fd_mask=3` (the command line prints its report) and a timeout.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

const TEMPLATES: [&str; 5] = [
    "use std::fs;\nuse std::thread;\n\npub async fn a(p: &str) -> std::io::Result<String> {\n    thread::sleep(std::time::Duration::from_millis(1));\n    fs::read_to_string(p)\n}\n",
    "use std::{fs::{self, read}, thread::sleep as nap};\nasync fn b() { nap(D); let _ = read(\"x\"); let _ = fs::metadata(\"y\"); }\n",
    "#[tokio::test(start_paused = true)]\nasync fn t() { std::thread::sleep(std::time::Duration::from_secs(1)); }\n",
    "fn main() { let rt = tokio::runtime::Builder::new_current_thread().build().unwrap(); rt.block_on(async { std::thread::sleep(D) }); }\n",
    "pub use std::fs;\n#[cfg(unix)] use std::thread;\nasync fn c() { fs::write(\"a\", \"b\"); thread::sleep(D); }\n",
];

const MANIFESTS: [&str; 4] = [
    "[package]\nname = \"f\"\nversion = \"0.1.0\"\n[dependencies]\ntokio = { version = \"1\", features = [\"full\"] }\n",
    "[package]\nname = \"f\"\nversion = \"0.1.0\"\n[dependencies]\ntokio = { version = \"1\", features = [\"fs\"] }\n",
    "[package]\nname = \"f\"\nversion = \"0.1.0\"\n[dependencies]\ntokio = { workspace = true }\n",
    "[package\nbroken",
];

#[derive(Arbitrary, Debug)]
enum Kind {
    /// A template with fuzz bytes spliced in.
    Source { template: u8, at: u16, insert: Vec<u8> },
    Bytes(Vec<u8>),
    Fifo,
    /// A link to the entry with this index (or to a missing file).
    Symlink(u8),
    HardLink(u8),
    Dir,
    Manifest(u8),
}

#[derive(Arbitrary, Debug)]
struct Entry {
    name: Vec<u8>,
    /// Placed in the directory of this earlier entry, if it is one.
    parent: Option<u8>,
    kind: Kind,
    read_only: bool,
}

#[derive(Arbitrary, Debug)]
struct Input {
    entries: Vec<Entry>,
    format: u8,
    mode: u8,
    threads: u8,
    /// Entries named on the command line instead of the root.
    named: Vec<u8>,
}

fn name_of(raw: &[u8], i: usize) -> Vec<u8> {
    let mut n: Vec<u8> = raw.iter().copied().filter(|&b| b != b'/' && b != 0).take(40).collect();
    if n.is_empty() || n == b"." || n == b".." {
        n = format!("e{i}").into_bytes();
    }
    if !n.ends_with(b".rs") && i % 2 == 0 {
        n.extend_from_slice(b".rs");
    }
    n
}

/// Writes a new file; never opens an existing one (a FIFO of an earlier entry would
/// block the write).
fn write_new(path: &Path, bytes: &[u8]) -> bool {
    use std::io::Write;
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .and_then(|mut f| f.write_all(bytes))
        .is_ok()
}

fn snapshot(dir: &Path) -> BTreeMap<PathBuf, (bool, Option<Vec<u8>>, u32)> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter_map(|e| {
            let meta = std::fs::symlink_metadata(e.path()).ok()?;
            let bytes = meta.is_file().then(|| std::fs::read(e.path()).ok()).flatten();
            Some((e.path().to_path_buf(), (meta.file_type().is_symlink(), bytes, meta.mode())))
        })
        .collect()
}

fuzz_target!(|input: Input| {
    if input.entries.len() > 16 {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("root");
    std::fs::create_dir(&root).unwrap();
    let mut paths: Vec<PathBuf> = Vec::new();
    let mut read_only = Vec::new();
    for (i, e) in input.entries.iter().enumerate() {
        let dir = e
            .parent
            .and_then(|p| paths.get(p as usize))
            .filter(|p| p.is_dir() && !p.is_symlink())
            .cloned()
            .unwrap_or_else(|| root.clone());
        let path = dir.join(OsStr::from_bytes(&name_of(&e.name, i)));
        let made = match &e.kind {
            Kind::Source { template, at, insert } => {
                let mut text = TEMPLATES[*template as usize % TEMPLATES.len()].as_bytes().to_vec();
                let at = (*at as usize) % (text.len() + 1);
                text.splice(at..at, insert.iter().copied().take(256));
                write_new(&path, &text)
            }
            Kind::Bytes(b) => write_new(&path, &b[..b.len().min(512)]),
            Kind::Fifo => std::process::Command::new("mkfifo")
                .arg(&path)
                .status()
                .is_ok_and(|s| s.success()),
            Kind::Symlink(t) => {
                let target = paths.get(*t as usize).cloned().unwrap_or_else(|| root.join("missing.rs"));
                std::os::unix::fs::symlink(target, &path).is_ok()
            }
            Kind::HardLink(t) => paths
                .get(*t as usize)
                .is_some_and(|t| t.is_file() && std::fs::hard_link(t, &path).is_ok()),
            Kind::Dir => std::fs::create_dir(&path).is_ok(),
            Kind::Manifest(m) => {
                let path = dir.join("Cargo.toml");
                write_new(&path, MANIFESTS[*m as usize % MANIFESTS.len()].as_bytes())
            }
        };
        if made && e.read_only && path.is_file() && !path.is_symlink() {
            let _ = std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o444));
            read_only.push(path.clone());
        }
        paths.push(path);
    }

    let before = snapshot(&root);
    let mut args: Vec<std::ffi::OsString> = vec!["asynclint".into(), "check".into()];
    let named: Vec<&PathBuf> = input
        .named
        .iter()
        .take(4)
        .filter_map(|i| paths.get(*i as usize))
        .collect();
    if named.is_empty() {
        args.push(root.clone().into());
    } else {
        args.extend(named.iter().map(|p| p.as_os_str().to_owned()));
    }
    let format = ["human", "json", "github", "sarif"][input.format as usize % 4];
    args.extend(["--format".into(), format.into(), "--color".into(), "always".into()]);
    args.extend(["--threads".into(), (1 + input.threads % 4).to_string().into()]);
    let mode = input.mode % 4;
    match mode {
        1 => args.push("--fix".into()),
        2 => args.extend(["--fix".into(), "--unsafe-fixes".into()]),
        3 => args.push("--diff".into()),
        _ => {}
    }

    let code = asynclint::cli::run_from(args);
    assert!((0..=2).contains(&code), "exit code {code}");

    let after = snapshot(&root);
    if mode == 0 || mode == 3 {
        assert_eq!(before, after, "a check without --fix changed the tree");
        return;
    }
    for (path, (was_link, old, old_mode)) in &before {
        let Some((is_link, new, new_mode)) = after.get(path) else {
            panic!("{} disappeared", path.display());
        };
        assert_eq!(was_link, is_link, "{} changed kind", path.display());
        assert_eq!(old_mode, new_mode, "{} changed mode", path.display());
        if old != new {
            assert!(!read_only.contains(path), "read-only {} was written", path.display());
            let text = std::str::from_utf8(new.as_deref().unwrap_or_default()).expect("fixed file is UTF-8");
            assert!(
                asynclint::analyze_source("fixed.rs", text, &[]).is_ok(),
                "{} was left unparsable:\n{text}",
                path.display()
            );
        }
    }
    for path in after.keys() {
        let name = path.file_name().unwrap_or_default().as_bytes();
        assert!(!name.starts_with(b".asynclint-fix-"), "temporary file left: {}", path.display());
        assert!(before.contains_key(path), "{} appeared", path.display());
    }
});
