//! The content cache: each file's pass-one analysis, stored on disk and taken again
//! when nothing it depends on has changed.
//!
//! An entry is keyed by a hash of the file's bytes, its path, the tool (its version
//! and the binary's identity, so that a rebuilt binary never reads what another build
//! wrote), the rules that run and the file's settings (`FileSettings`, through its
//! `Debug` text: a setting added there joins the key by itself). Pass two — the
//! crate-wide index and model, and the decisions that depend on them — always runs,
//! so a re-run reports exactly what a run without the cache reports.
//!
//! Layout: `.asynclint_cache/` at the project root (the nearest directory above the
//! current one with a `Cargo.toml` or an `asynclint.toml`; `ASYNCLINT_CACHE_DIR`
//! names another), holding a `CACHEDIR.TAG`, a `.gitignore` that ignores everything,
//! and one file per checked file and settings under `v1/`. A file's edit replaces its
//! entry in place; entries not used for [`STALE_AFTER`] (deleted files, settings no
//! longer used) are pruned, at most once a day. Entries are written to a temporary
//! file and renamed into place, so two runs may share the cache: a reader sees a whole
//! entry or none. An entry that does not read back — truncated, corrupted, written by
//! another format — is a miss, and the analysis is written again.

pub mod shared;

use crate::config::RuleOptions;
use crate::engine::{self, Analysis, FileError, FileSettings, Options, Report};
use crate::rules::Rule;
use std::fmt::Write as _;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, SystemTime};
use xxhash_rust::xxh3::Xxh3;

/// The environment variable that puts the cache elsewhere.
pub const DIR_VAR: &str = "ASYNCLINT_CACHE_DIR";
/// Set, this environment variable makes a run print what it did with the cache (to
/// standard error).
pub const STATS_VAR: &str = "ASYNCLINT_CACHE_STATS";
/// The cache directory's name at the project root.
pub const DIR_NAME: &str = ".asynclint_cache";
/// The entries' layout; a new one starts an empty directory, and the old one is pruned.
const LAYOUT: &str = "v1";
const MAGIC: &[u8; 8] = b"alcache1";
const HEADER: usize = MAGIC.len() + 16 + 8;
/// Entries unused this long are removed.
pub const STALE_AFTER: Duration = Duration::from_secs(30 * 24 * 3600);
/// An entry read is marked as used (its modification time set) when it was last marked
/// longer ago than this: one write per entry and day at most.
const MARK_AFTER: Duration = Duration::from_secs(24 * 3600);
/// Pruning runs at most this often.
const PRUNE_EVERY: Duration = Duration::from_secs(24 * 3600);
/// Temporary files older than this were left by a run that stopped midway.
const ABANDONED_AFTER: Duration = Duration::from_secs(3600);
/// Entries larger than this are not read.
const MAX_ENTRY: u64 = 1 << 30;

const CACHEDIR_TAG: &str = "Signature: 8a477f597d28d172789f06886806bc55\n\
    # This file is a cache directory tag created by asynclint.\n\
    # For information about cache directory tags see https://bford.info/cachedir/\n";
const GITIGNORE: &str = "# Created by asynclint: the cache is not part of the project.\n*\n";

/// Where one file's analysis is stored, and what it must have been computed from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Key {
    /// The entry's file: the path, the rules and the settings.
    slot: u64,
    /// Everything the analysis depends on: the slot, the tool and the file's bytes.
    full: u128,
}

/// A cache directory.
#[derive(Debug)]
pub struct Cache {
    root: PathBuf,
    entries: PathBuf,
    /// The tool's identity, part of every full key.
    tool: u128,
    hits: AtomicUsize,
    misses: AtomicUsize,
    stored: AtomicUsize,
    rejected: AtomicUsize,
    /// The hash of the last rule options and blocking calls seen: the same for every
    /// file of a run.
    options: Mutex<Option<RunSettings>>,
}

type RunSettings = (Vec<RuleOptions>, Vec<String>, u64);

/// What a run did with the cache.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Analyses taken from the cache.
    pub hits: usize,
    /// Files analysed (no entry, or an entry of other text or settings).
    pub misses: usize,
    /// Entries written.
    pub stored: usize,
    /// Entries that existed but could not be read back (corrupt, truncated, of an
    /// unknown rule).
    pub rejected: usize,
}

impl Cache {
    /// Opens (creating it if needed) the cache directory `root`.
    pub fn open(root: &Path) -> std::io::Result<Cache> {
        let entries = root.join(LAYOUT);
        std::fs::create_dir_all(&entries)?;
        for (name, text) in [("CACHEDIR.TAG", CACHEDIR_TAG), (".gitignore", GITIGNORE)] {
            let file = root.join(name);
            if !file.is_file() {
                write_atomically(root, &file, text.as_bytes())?;
            }
        }
        Ok(Cache {
            root: root.to_path_buf(),
            entries,
            tool: tool_identity(),
            hits: AtomicUsize::new(0),
            misses: AtomicUsize::new(0),
            stored: AtomicUsize::new(0),
            rejected: AtomicUsize::new(0),
            options: Mutex::new(None),
        })
    }

    /// The cache directory a run in the current directory uses: `ASYNCLINT_CACHE_DIR`,
    /// else `.asynclint_cache` at the project root.
    pub fn default_dir() -> PathBuf {
        let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
        Cache::dir_for(&cwd)
    }

    /// The cache directory for work in `dir`: `ASYNCLINT_CACHE_DIR`, else
    /// `.asynclint_cache` in the nearest directory at or above `dir` with a
    /// `Cargo.toml` or an `asynclint.toml` (else in `dir`).
    pub fn dir_for(dir: &Path) -> PathBuf {
        if let Some(dir) = std::env::var_os(DIR_VAR).filter(|d| !d.is_empty()) {
            return PathBuf::from(dir);
        }
        let root = dir
            .ancestors()
            .find(|d| d.join("Cargo.toml").is_file() || d.join("asynclint.toml").is_file())
            .unwrap_or(dir);
        root.join(DIR_NAME)
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn stats(&self) -> Stats {
        Stats {
            hits: self.hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
            stored: self.stored.load(Ordering::Relaxed),
            rejected: self.rejected.load(Ordering::Relaxed),
        }
    }

    /// The key of a file's analysis: its path as displayed, its text, the rules that
    /// run and its settings.
    pub fn key(&self, path: &str, text: &str, rules: &[&dyn Rule], settings: &FileSettings) -> Key {
        let mut h = Xxh3::new();
        for r in rules {
            h.update(r.meta().name.as_bytes());
            h.update(b"\0");
        }
        // Every field, named: a field added to the settings does not compile here
        // until it is part of the key.
        let FileSettings {
            options,
            runtime,
            check_all_tests,
            krate,
            module,
            lib_name,
            linked,
            package_is_app,
            if_let_through_else,
            closed,
            unpublished,
            test_support,
            extra_blocking,
            tokio,
            full_parse,
        } = *settings;
        // The features a fix may rely on; whether another file builds a runtime
        // without timers is checked when an entry that asked is read.
        let features = tokio.map(|t| (t.normal, t.dev));
        h.update(format!("{features:?}").as_bytes());
        h.update(&self.run_hash(options, extra_blocking).to_le_bytes());
        h.update(&[
            runtime as u8,
            u8::from(check_all_tests),
            u8::from(package_is_app),
            u8::from(if_let_through_else),
            u8::from(closed),
            u8::from(unpublished),
            u8::from(full_parse),
            u8::from(test_support),
        ]);
        h.update(&krate.to_le_bytes());
        for m in module {
            h.update(m.as_bytes());
            h.update(b"::");
        }
        h.update(b"\0");
        if let Some(lib) = lib_name {
            h.update(lib.as_bytes());
        }
        h.update(b"\0");
        for l in linked {
            h.update(l.as_bytes());
            h.update(b",");
        }
        h.update(b"\0");
        h.update(path.as_bytes());
        let slot = h.digest();
        h.update(&self.tool.to_le_bytes());
        let seed = h.digest();
        Key {
            slot,
            full: xxhash_rust::xxh3::xxh3_128_with_seed(text.as_bytes(), seed),
        }
    }

    /// The hash of what every file of a run shares (the rule options, through their
    /// `Debug` text, and the configured blocking calls), computed once for a run.
    fn run_hash(&self, options: &[&RuleOptions], extra_blocking: &[String]) -> u64 {
        let mut memo = self.options.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((known, blocking, hash)) = &*memo {
            let same = known.len() == options.len()
                && known.iter().zip(options).all(|(a, b)| a == *b)
                && blocking == extra_blocking;
            if same {
                return *hash;
            }
        }
        let mut h = Xxh3::new();
        let _ = write!(HashWriter(&mut h), "{options:?}\0{extra_blocking:?}");
        let hash = h.digest();
        *memo = Some((
            options.iter().map(|o| (*o).clone()).collect(),
            extra_blocking.to_vec(),
            hash,
        ));
        hash
    }

    fn entry(&self, key: &Key) -> PathBuf {
        self.entries.join(format!("{:016x}", key.slot))
    }

    /// The stored analysis for `key`, if there is one that reads back whole.
    pub fn load(&self, key: &Key) -> Option<Result<Analysis, FileError>> {
        let found = self.read(key);
        let counter = if found.is_some() {
            &self.hits
        } else {
            &self.misses
        };
        counter.fetch_add(1, Ordering::Relaxed);
        found
    }

    fn read(&self, key: &Key) -> Option<Result<Analysis, FileError>> {
        let mut file = std::fs::File::open(self.entry(key)).ok()?;
        let meta = file.metadata().ok()?;
        if meta.len() > MAX_ENTRY {
            self.rejected.fetch_add(1, Ordering::Relaxed);
            return None;
        }
        let mut bytes = Vec::with_capacity(meta.len() as usize);
        file.read_to_end(&mut bytes).ok()?;
        // Another text or other settings in this slot is an ordinary miss.
        if bytes.len() >= HEADER
            && &bytes[..MAGIC.len()] == MAGIC
            && bytes[8..24] != key.full.to_le_bytes()
        {
            return None;
        }
        let decoded = decode(&bytes, key);
        if decoded.is_none() {
            self.rejected.fetch_add(1, Ordering::Relaxed);
            return None;
        }
        let stale_mark = meta
            .modified()
            .ok()
            .and_then(|m| m.elapsed().ok())
            .is_none_or(|age| age > MARK_AFTER);
        if stale_mark {
            // Marks the entry as used, so that pruning keeps it; a failure only means
            // it may be analysed again some day.
            let _ = file.set_modified(SystemTime::now());
        }
        decoded
    }

    /// Stores a file's analysis under `key`. A failure to write is not an error: the
    /// next run analyses the file again.
    pub fn store(&self, key: &Key, result: &Result<Analysis, FileError>) {
        let Some(payload) = shared::encode(result) else {
            return;
        };
        let mut bytes = Vec::with_capacity(HEADER + payload.len());
        bytes.extend_from_slice(MAGIC);
        bytes.extend_from_slice(&key.full.to_le_bytes());
        bytes.extend_from_slice(&xxhash_rust::xxh3::xxh3_64(&payload).to_le_bytes());
        bytes.extend_from_slice(&payload);
        if write_atomically(&self.entries, &self.entry(key), &bytes).is_ok() {
            self.stored.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Prunes the cache if it was not pruned in the last day.
    pub fn prune_if_due(&self) {
        let stamp = self.root.join("last-prune");
        let due = std::fs::metadata(&stamp)
            .and_then(|m| m.modified())
            .ok()
            .and_then(|m| m.elapsed().ok())
            .is_none_or(|age| age > PRUNE_EVERY);
        if due && write_atomically(&self.root, &stamp, b"").is_ok() {
            self.prune();
        }
    }

    /// Removes entries not used for [`STALE_AFTER`], temporary files a stopped run
    /// left, and the directories of other layouts. Returns how many entries went.
    pub fn prune(&self) -> usize {
        let mut removed = 0;
        if let Ok(dirs) = std::fs::read_dir(&self.root) {
            for d in dirs.flatten() {
                let name = d.file_name();
                let name = name.to_string_lossy();
                let other_layout = name.starts_with('v')
                    && name != LAYOUT
                    && name[1..].chars().all(|c| c.is_ascii_digit())
                    && d.file_type().is_ok_and(|t| t.is_dir());
                if other_layout {
                    let _ = std::fs::remove_dir_all(d.path());
                }
            }
        }
        let Ok(entries) = std::fs::read_dir(&self.entries) else {
            return 0;
        };
        for e in entries.flatten() {
            let age = e
                .metadata()
                .and_then(|m| m.modified())
                .ok()
                .and_then(|m| m.elapsed().ok())
                .unwrap_or_default();
            let temporary = e.file_name().to_string_lossy().starts_with(".tmp");
            let limit = if temporary {
                ABANDONED_AFTER
            } else {
                STALE_AFTER
            };
            if age > limit && std::fs::remove_file(e.path()).is_ok() {
                removed += usize::from(!temporary);
            }
        }
        removed
    }
}

/// The analysis in an entry's bytes, if they are whole and of this key.
fn decode(bytes: &[u8], key: &Key) -> Option<Result<Analysis, FileError>> {
    if bytes.len() < HEADER || &bytes[..MAGIC.len()] != MAGIC {
        return None;
    }
    if bytes[8..24] != key.full.to_le_bytes() {
        return None;
    }
    let payload = &bytes[HEADER..];
    if bytes[24..32] != xxhash_rust::xxh3::xxh3_64(payload).to_le_bytes() {
        return None;
    }
    shared::decode(payload)
}

/// The tool's identity: its version, and the size and time of the running binary, so
/// that a rebuilt binary (whose rules may differ under the same version) starts afresh.
fn tool_identity() -> u128 {
    let mut h = Xxh3::new();
    h.update(env!("CARGO_PKG_VERSION").as_bytes());
    h.update(LAYOUT.as_bytes());
    if let Some(meta) = std::env::current_exe()
        .ok()
        .and_then(|p| std::fs::metadata(p).ok())
    {
        h.update(&meta.len().to_le_bytes());
        if let Ok(t) = meta
            .modified()
            .map(|m| m.duration_since(SystemTime::UNIX_EPOCH).unwrap_or_default())
        {
            h.update(&t.as_nanos().to_le_bytes());
        }
    }
    h.digest128()
}

struct HashWriter<'a>(&'a mut Xxh3);

impl std::fmt::Write for HashWriter<'_> {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        self.0.update(s.as_bytes());
        Ok(())
    }
}

/// Writes `bytes` to a temporary file in `dir` and renames it to `to`.
fn write_atomically(dir: &Path, to: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut tmp = tempfile::Builder::new().prefix(".tmp").tempfile_in(dir)?;
    tmp.write_all(bytes)?;
    tmp.persist(to).map_err(|e| e.error)?;
    Ok(())
}

/// Checks `paths` as [`engine::run`] does, through the cache in
/// [`Cache::default_dir`] unless `use_cache` is false. A cache that cannot be opened
/// is a warning, and the run goes on without it.
pub fn run(paths: &[PathBuf], options: &Options, use_cache: bool) -> Report {
    if !use_cache {
        return engine::run(paths, options);
    }
    let dir = Cache::default_dir();
    match Cache::open(&dir) {
        Ok(cache) => {
            let report = engine::run_with_cache(paths, options, Some(&cache));
            cache.prune_if_due();
            if std::env::var_os(STATS_VAR).is_some() {
                let s = cache.stats();
                eprintln!(
                    "cache {}: {} hits, {} misses, {} rejected, {} stored",
                    cache.root.display(),
                    s.hits,
                    s.misses,
                    s.rejected,
                    s.stored
                );
            }
            report
        }
        Err(e) => {
            eprintln!(
                "warning: cannot use the cache directory {}: {e}; checking without it",
                dir.display()
            );
            engine::run(paths, options)
        }
    }
}

#[cfg(test)]
mod tests;
