//! Granted input files, read for the plugin a bounded piece at a time.
//!
//! Only regular files are granted: a FIFO, a device or a socket could block a
//! read (or an open) for as long as its other end likes, and `/dev/zero` never
//! ends. A regular file is read synchronously in the host call, at most
//! [`CHUNK`] bytes at a time, so the host holds no more than one piece of it, no
//! thread and no read-ahead; the call's deadline bounds the whole. A call may
//! open at most [`MAX_OPENS`] inputs.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Take};
use std::ops::Range;

/// The most bytes one read hands over.
pub const CHUNK: usize = 1 << 20;
/// The most inputs one call may open (each holds a file handle).
pub const MAX_OPENS: usize = 64;

/// A file the plugin may open in this call: the whole file, or only a byte range
/// of it (one part of a large log read in parallel; the plugin sees just those bytes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    pub path: String,
    pub range: Option<Range<u64>>,
}

impl Grant {
    /// The whole file at `path`.
    pub fn whole(path: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            range: None,
        }
    }
}

/// One opened input: the resource behind `host.input-file`.
pub struct GrantedInput {
    path: String,
    size: u64,
    reader: Take<File>,
    delivered: u64,
}

impl GrantedInput {
    /// Opens the granted file (or range); refuses anything but a regular file,
    /// before opening it, since opening a FIFO blocks until a writer appears.
    pub fn open(grant: &Grant) -> Result<Self, String> {
        let path = grant.path.as_str();
        let cannot = |error: std::io::Error| format!("cannot read {path}: {error}");
        if !std::fs::metadata(path).map_err(cannot)?.is_file() {
            return Err(format!("{path} is not a regular file"));
        }
        let mut file = File::open(path).map_err(cannot)?;
        // The path may have been replaced between the check and the open.
        let opened = file.metadata().map_err(cannot)?;
        if !opened.is_file() {
            return Err(format!("{path} is not a regular file"));
        }
        let (start, size) = match &grant.range {
            Some(range) => (range.start, range.end.saturating_sub(range.start)),
            None => (0, opened.len()),
        };
        file.seek(SeekFrom::Start(start)).map_err(cannot)?;
        Ok(Self {
            path: path.to_owned(),
            size,
            reader: file.take(size),
            delivered: 0,
        })
    }

    pub fn path(&self) -> &str {
        &self.path
    }

    pub fn size(&self) -> u64 {
        self.size
    }

    pub fn delivered(&self) -> u64 {
        self.delivered
    }

    /// Up to `max` bytes (at most [`CHUNK`]); empty at the end.
    pub fn read(&mut self, max: usize) -> Result<Vec<u8>, String> {
        let want = max.clamp(1, CHUNK);
        let mut bytes = Vec::with_capacity(want);
        (&mut self.reader)
            .take(want as u64)
            .read_to_end(&mut bytes)
            .map_err(|error| format!("cannot read {}: {error}", self.path))?;
        self.delivered += bytes.len() as u64;
        Ok(bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_range_reads_only_its_bytes_in_bounded_pieces() {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        std::io::Write::write_all(&mut file, b"0123456789").unwrap();
        let grant = Grant {
            path: file.path().to_str().unwrap().to_owned(),
            range: Some(2..7),
        };
        let mut input = GrantedInput::open(&grant).unwrap();
        assert_eq!(input.size(), 5);
        assert_eq!(input.read(3).unwrap(), b"234");
        assert_eq!(input.read(usize::MAX).unwrap(), b"56");
        assert!(input.read(10).unwrap().is_empty());
        assert_eq!(input.delivered(), 5);
    }

    #[cfg(unix)]
    #[test]
    fn only_regular_files_are_opened() {
        let dir = tempfile::tempdir().unwrap();
        for path in ["/dev/zero", dir.path().to_str().unwrap()] {
            let error = GrantedInput::open(&Grant::whole(path)).err().unwrap();
            assert!(error.contains("not a regular file"), "{error}");
        }
    }
}
