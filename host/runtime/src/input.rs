//! Granted input files, streamed to the plugin in chunks.
//!
//! A reader thread fills a small bounded queue ahead of the plugin, so disk
//! reads overlap with parsing, memory stays at a few chunks whatever the file
//! size, and the plugin's `read` waits at most until the call's deadline: a
//! stalled input (a pipe nobody writes) cannot hang the host.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::ops::Range;
use std::sync::mpsc::{Receiver, RecvTimeoutError, sync_channel};
use std::time::Instant;

/// Bytes per chunk the reader thread hands over.
const CHUNK: usize = 1 << 20;
/// Chunks read ahead of the plugin.
const READ_AHEAD: usize = 2;

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

    /// How many bytes the grant gives the plugin: its range, or the file's size
    /// now (0 if it cannot be read; the plugin is told so when it opens it).
    pub fn granted_bytes(&self) -> u64 {
        match &self.range {
            Some(range) => range.end.saturating_sub(range.start),
            None => std::fs::metadata(&self.path).map_or(0, |metadata| metadata.len()),
        }
    }
}

/// One opened input: the resource behind `host.input-file`.
pub struct GrantedInput {
    path: String,
    size: Option<u64>,
    chunks: Receiver<std::io::Result<Vec<u8>>>,
    /// The part of the current chunk the plugin has not read yet.
    pending: Vec<u8>,
    consumed: usize,
    finished: bool,
    delivered: u64,
}

/// Why a read did not deliver bytes.
pub enum ReadFailure {
    /// The deadline passed while waiting for data.
    TimedOut,
    /// The file could not be read; the message is for the plugin.
    Io(String),
}

impl GrantedInput {
    /// Starts streaming the granted file (or range). Opening happens on the reader
    /// thread too: opening a FIFO blocks until a writer appears, and that wait must
    /// not escape the deadline.
    pub fn open(grant: &Grant) -> Result<Self, String> {
        let path = grant.path.as_str();
        let metadata =
            std::fs::metadata(path).map_err(|error| format!("cannot read {path}: {error}"))?;
        if metadata.is_dir() {
            return Err(format!("{path} is a directory, not a file"));
        }
        let size = match &grant.range {
            Some(range) => Some(range.end - range.start),
            None => metadata.is_file().then_some(metadata.len()),
        };
        let (sender, chunks) = sync_channel(READ_AHEAD);
        let thread_path = path.to_owned();
        let range = grant.range.clone();
        std::thread::Builder::new()
            .name("skill-input".to_owned())
            .spawn(move || match open_range(&thread_path, range) {
                Ok(file) => read_ahead(file, &thread_path, &sender),
                Err(error) => {
                    let _ = sender.send(Err(error));
                }
            })
            .map_err(|error| format!("cannot start reading {path}: {error}"))?;
        Ok(Self {
            path: path.to_owned(),
            size,
            chunks,
            pending: Vec::new(),
            consumed: 0,
            finished: false,
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

    /// Up to `max` bytes; empty at end of file.
    pub fn read(&mut self, max: usize, deadline: Instant) -> Result<Vec<u8>, ReadFailure> {
        if self.consumed == self.pending.len() {
            if self.finished {
                return Ok(Vec::new());
            }
            let wait = deadline.saturating_duration_since(Instant::now());
            match self.chunks.recv_timeout(wait) {
                Ok(Ok(chunk)) => {
                    self.pending = chunk;
                    self.consumed = 0;
                }
                Ok(Err(error)) => {
                    self.finished = true;
                    return Err(ReadFailure::Io(format!(
                        "cannot read {}: {error}",
                        self.path
                    )));
                }
                Err(RecvTimeoutError::Timeout) => return Err(ReadFailure::TimedOut),
                Err(RecvTimeoutError::Disconnected) => {
                    self.finished = true;
                    return Ok(Vec::new());
                }
            }
        }
        let end = (self.consumed + max.max(1)).min(self.pending.len());
        let out = if self.consumed == 0 && end == self.pending.len() {
            std::mem::take(&mut self.pending)
        } else {
            self.pending[self.consumed..end].to_vec()
        };
        self.consumed = if self.pending.is_empty() { 0 } else { end };
        self.delivered += out.len() as u64;
        Ok(out)
    }
}

/// The file, or its byte range, as one reader.
fn open_range(path: &str, range: Option<Range<u64>>) -> std::io::Result<Box<dyn Read>> {
    let mut file = File::open(path)?;
    Ok(match range {
        None => Box::new(file),
        Some(range) => {
            file.seek(SeekFrom::Start(range.start))?;
            Box::new(file.take(range.end - range.start))
        }
    })
}

fn read_ahead(
    mut file: Box<dyn Read>,
    path: &str,
    sender: &std::sync::mpsc::SyncSender<std::io::Result<Vec<u8>>>,
) {
    loop {
        let mut chunk = Vec::with_capacity(CHUNK);
        match (&mut file).take(CHUNK as u64).read_to_end(&mut chunk) {
            Ok(0) => return,
            Ok(_) => {
                if sender.send(Ok(chunk)).is_err() {
                    return; // the call ended; nobody wants the rest
                }
            }
            Err(error) => {
                tracing::debug!(path, %error, "input read failed");
                let _ = sender.send(Err(error));
                return;
            }
        }
    }
}
