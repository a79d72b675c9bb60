//! Reading the files to check, and naming them.
//!
//! A path is shown as text: valid UTF-8 as it is, a byte that is not UTF-8 as `\xNN`
//! and a backslash as `\\` (on Unix), so that two different names never show as the
//! same text, and the text leads back to the file ([`path_of`]). Only regular files
//! are read, and only up to [`MAX_FILE_BYTES`]: a FIFO, a device or a terminal named on
//! the command line, or put in place of a file after discovery, is an error, never a
//! read that blocks or never ends. The file type is taken from the opened handle, so a
//! file swapped between the check and the read cannot slip through.

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

/// Larger files are not checked: their syntax tree would take gigabytes.
pub const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;

/// The text by which a path is shown and reported: see the module documentation.
pub fn display(path: &Path) -> String {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        let bytes = path.as_os_str().as_bytes();
        if !bytes.contains(&b'\\') {
            if let Ok(s) = std::str::from_utf8(bytes) {
                return s.to_string();
            }
        }
        let mut out = String::with_capacity(bytes.len() + 8);
        for chunk in bytes.utf8_chunks() {
            for c in chunk.valid().chars() {
                if c == '\\' {
                    out.push_str("\\\\");
                } else {
                    out.push(c);
                }
            }
            for b in chunk.invalid() {
                out.push_str(&format!("\\x{b:02x}"));
            }
        }
        out
    }
    #[cfg(not(unix))]
    {
        path.to_string_lossy().into_owned()
    }
}

/// The path a [`display`] text stands for.
pub fn path_of(shown: &str) -> PathBuf {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStringExt;
        if !shown.contains('\\') {
            return PathBuf::from(shown);
        }
        let b = shown.as_bytes();
        let mut out = Vec::with_capacity(b.len());
        let mut i = 0;
        while i < b.len() {
            if b[i] == b'\\' {
                if b.get(i + 1) == Some(&b'\\') {
                    out.push(b'\\');
                    i += 2;
                    continue;
                }
                let hex = shown
                    .get(i + 2..i + 4)
                    .filter(|_| b.get(i + 1) == Some(&b'x'))
                    .and_then(|h| u8::from_str_radix(h, 16).ok());
                if let Some(byte) = hex {
                    out.push(byte);
                    i += 4;
                    continue;
                }
            }
            out.push(b[i]);
            i += 1;
        }
        PathBuf::from(std::ffi::OsString::from_vec(out))
    }
    #[cfg(not(unix))]
    {
        PathBuf::from(shown)
    }
}

/// Why a file could not be read.
#[derive(Debug)]
pub enum ReadError {
    Io(std::io::Error),
    /// Not a regular file: what it is instead.
    NotAFile(&'static str),
    TooLarge(u64),
    /// The bytes up to the first one that is not UTF-8.
    NotUtf8 {
        valid_prefix: String,
    },
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReadError::Io(e) => write!(f, "cannot read file: {e}"),
            ReadError::NotAFile(kind) => {
                write!(
                    f,
                    "not a regular file ({kind}); only regular files are read"
                )
            }
            ReadError::TooLarge(n) => write!(
                f,
                "file is {} MiB, larger than the {} MiB limit; not checked",
                n.div_ceil(1024 * 1024),
                MAX_FILE_BYTES / (1024 * 1024)
            ),
            ReadError::NotUtf8 { .. } => write!(f, "file is not valid UTF-8"),
        }
    }
}

/// Opens `path` for reading without waiting for a writer (a FIFO would block an
/// ordinary open), and returns it only if it is a regular file.
pub fn open_regular(path: &Path) -> Result<File, ReadError> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        // No effect on regular files; keeps the open of a FIFO from blocking.
        options.custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY);
    }
    let file = options.open(path).map_err(ReadError::Io)?;
    let meta = file.metadata().map_err(ReadError::Io)?;
    if !meta.is_file() {
        return Err(ReadError::NotAFile(kind_of(&meta.file_type())));
    }
    Ok(file)
}

fn kind_of(t: &std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return "a FIFO or pipe";
        }
        if t.is_char_device() {
            return "a character device";
        }
        if t.is_block_device() {
            return "a block device";
        }
        if t.is_socket() {
            return "a socket";
        }
    }
    if t.is_dir() {
        "a directory"
    } else {
        "not a file"
    }
}

/// The bytes of a regular file of at most [`MAX_FILE_BYTES`].
pub fn read_bytes(path: &Path) -> Result<Vec<u8>, ReadError> {
    let file = open_regular(path)?;
    let len = file.metadata().map_err(ReadError::Io)?.len();
    if len > MAX_FILE_BYTES {
        return Err(ReadError::TooLarge(len));
    }
    let mut bytes = Vec::with_capacity(len as usize);
    // The file may grow after the size was read: never read past the limit.
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(ReadError::Io)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(ReadError::TooLarge(bytes.len() as u64));
    }
    Ok(bytes)
}

/// The text of a regular UTF-8 file of at most [`MAX_FILE_BYTES`].
/// `bytes` as text, if they are UTF-8 (checked with SIMD: the bytes of every file
/// are checked on every run, also where the cache answers).
pub fn utf8(bytes: &[u8]) -> Result<&str, ReadError> {
    simdutf8::compat::from_utf8(bytes).map_err(|e| {
        let valid = e.valid_up_to();
        ReadError::NotUtf8 {
            valid_prefix: String::from_utf8_lossy(&bytes[..valid]).into_owned(),
        }
    })
}

pub fn read_text(path: &Path) -> Result<String, ReadError> {
    let bytes = read_bytes(path)?;
    String::from_utf8(bytes).map_err(|e| {
        let valid = e.utf8_error().valid_up_to();
        let prefix = String::from_utf8_lossy(&e.as_bytes()[..valid]).into_owned();
        ReadError::NotUtf8 {
            valid_prefix: prefix,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn shown_paths_are_distinct_and_lead_back() {
        use std::ffi::OsStr;
        use std::os::unix::ffi::OsStrExt;
        let names: [&[u8]; 7] = [
            b"x\xff.rs",
            b"x\xfe.rs",
            b"x\\xff.rs",
            b"x\\\\.rs",
            b"plain/\xc3\xa9.rs",
            b"\\",
            b"a\\x4",
        ];
        let shown: Vec<String> = names
            .iter()
            .map(|n| display(Path::new(OsStr::from_bytes(n))))
            .collect();
        for (i, s) in shown.iter().enumerate() {
            assert_eq!(path_of(s).as_os_str().as_bytes(), names[i], "{s}");
            for t in &shown[i + 1..] {
                assert_ne!(s, t);
            }
        }
        assert_eq!(shown[0], "x\\xff.rs");
        assert_eq!(shown[4], "plain/é.rs");
    }
}
