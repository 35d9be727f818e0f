//! Granted input files, read for the plugin a bounded piece at a time.
//!
//! Only regular files are granted by path: a FIFO, a device or a socket could
//! block a read (or an open) for as long as its other end likes, and `/dev/zero`
//! never ends. A regular file is read synchronously in the host call, at most
//! [`CHUNK`] bytes at a time, so the host holds no more than one piece of it, no
//! thread and no read-ahead; the call's deadline bounds the whole. A call may
//! open at most [`MAX_OPENS`] inputs.
//!
//! The process's standard input can be granted too (a log piped in by a batch
//! engine). It is read in the same pieces, with no thread and no read-ahead
//! either, but never blocks the call: the host waits for it to become readable
//! in slices of at most [`STDIN_WAIT`] and yields between them, so the call's
//! deadline and cancellation still end a call whose writer has stalled.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Take};
use std::ops::Range;
use std::time::Duration;

/// The most bytes one read hands over.
pub const CHUNK: usize = 1 << 20;
/// The most inputs one call may open (each holds a file handle).
pub const MAX_OPENS: usize = 64;
/// The longest the host blocks at once waiting for standard input; between
/// waits the call yields, so its deadline is overrun by at most this much.
pub const STDIN_WAIT: Duration = Duration::from_millis(10);

/// A file the plugin may open in this call: the whole file, or only a byte range
/// of it (one part of a large log read in parallel; the plugin sees just those
/// bytes), or the process's standard input, opened under the name `path`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    pub path: String,
    pub range: Option<Range<u64>>,
    pub stdin: bool,
}

impl Grant {
    /// The whole file at `path`.
    pub fn whole(path: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            range: None,
            stdin: false,
        }
    }

    /// The process's standard input, which the plugin opens as `path`.
    pub fn stdin(path: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            range: None,
            stdin: true,
        }
    }
}

/// Where an opened input's bytes come from.
enum Source {
    File(Take<File>),
    Stdin(stdin::Stream),
}

/// One opened input: the resource behind `host.input-file`.
pub struct GrantedInput {
    path: String,
    /// `None` for standard input, whose length is known only at its end.
    size: Option<u64>,
    source: Source,
    delivered: u64,
}

impl GrantedInput {
    /// Opens the granted file (or range); refuses anything but a regular file,
    /// before opening it, since opening a FIFO blocks until a writer appears.
    pub fn open(grant: &Grant) -> Result<Self, String> {
        if grant.stdin {
            return Ok(Self {
                path: grant.path.clone(),
                size: None,
                source: Source::Stdin(stdin::Stream::open()?),
                delivered: 0,
            });
        }
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
            size: Some(size),
            source: Source::File(file.take(size)),
            delivered: 0,
        })
    }

    pub fn path(&self) -> &str {
        &self.path
    }

    pub fn size(&self) -> Option<u64> {
        self.size
    }

    pub fn delivered(&self) -> u64 {
        self.delivered
    }

    /// Up to `max` bytes (at most [`CHUNK`]); empty at the end. Standard input
    /// hands over what has arrived, once some has (or it has ended).
    pub async fn read(&mut self, max: usize) -> Result<Vec<u8>, String> {
        let want = max.clamp(1, CHUNK);
        let bytes = match &mut self.source {
            Source::File(reader) => {
                let mut bytes = Vec::with_capacity(want);
                reader
                    .take(want as u64)
                    .read_to_end(&mut bytes)
                    .map(|_| bytes)
            }
            Source::Stdin(stream) => stream.read(want).await,
        }
        .map_err(|error| format!("cannot read {}: {error}", self.path))?;
        self.delivered += bytes.len() as u64;
        Ok(bytes)
    }
}

#[cfg(unix)]
mod stdin {
    //! Standard input without blocking the call: `poll(2)` for at most
    //! [`STDIN_WAIT`](super::STDIN_WAIT) at a time, then a read of what is there.

    use std::fs::File;
    use std::io::Read;
    use std::os::fd::AsFd;

    use rustix::event::{PollFd, PollFlags, Timespec, poll};

    use super::STDIN_WAIT;

    /// A handle of its own on the process's standard input (a duplicate: closing
    /// it leaves fd 0 open), read unbuffered, so that what `poll` sees is all
    /// there is.
    pub struct Stream(File);

    impl Stream {
        pub fn open() -> Result<Self, String> {
            std::io::stdin()
                .as_fd()
                .try_clone_to_owned()
                .map(|fd| Self(File::from(fd)))
                .map_err(|error| format!("cannot open standard input: {error}"))
        }

        /// Up to `want` bytes, once some have arrived; empty at the end.
        pub async fn read(&mut self, want: usize) -> std::io::Result<Vec<u8>> {
            while !self.readable(STDIN_WAIT)? {
                // Nothing yet: let the call's deadline and cancellation be seen.
                tokio::task::yield_now().await;
            }
            let mut bytes = vec![0; want];
            let mut filled = 0;
            // Readable: this read returns at once. Take more while more is there,
            // so that a fast writer is read in large pieces, not pipe-buffer ones.
            loop {
                let read = self.0.read(&mut bytes[filled..])?;
                filled += read;
                if read == 0 || filled == want || !self.readable(std::time::Duration::ZERO)? {
                    break;
                }
            }
            bytes.truncate(filled);
            Ok(bytes)
        }

        /// Whether a read would return at once (data, end of input or an error),
        /// waiting at most `wait`.
        fn readable(&self, wait: std::time::Duration) -> std::io::Result<bool> {
            let mut fds = [PollFd::new(&self.0, PollFlags::IN)];
            let timeout = Timespec::try_from(wait).map_err(std::io::Error::other)?;
            match poll(&mut fds, Some(&timeout)) {
                Ok(ready) => Ok(ready > 0 && !fds[0].revents().is_empty()),
                Err(rustix::io::Errno::INTR) => Ok(false),
                Err(error) => Err(error.into()),
            }
        }
    }
}

#[cfg(not(unix))]
mod stdin {
    //! Reading standard input without blocking the call needs `poll(2)`.

    pub struct Stream;

    impl Stream {
        pub fn open() -> Result<Self, String> {
            Err("standard input is read on Unix only; give a file".to_owned())
        }

        pub async fn read(&mut self, _want: usize) -> std::io::Result<Vec<u8>> {
            Ok(Vec::new())
        }
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
            stdin: false,
        };
        let mut input = GrantedInput::open(&grant).unwrap();
        assert_eq!(input.size(), Some(5));
        let read = |input: &mut GrantedInput, max| {
            tokio::runtime::Builder::new_current_thread()
                .build()
                .unwrap()
                .block_on(input.read(max))
                .unwrap()
        };
        assert_eq!(read(&mut input, 3), b"234");
        assert_eq!(read(&mut input, usize::MAX), b"56");
        assert!(read(&mut input, 10).is_empty());
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
