//! What the host offers a plugin: granted input files, logging and progress.

use std::io;

use crate::__private::skill::plugin::host as bindings;
use crate::{InputPath, ToolError};

pub use bindings::LogLevel;

// Built natively (a plugin's own `cargo test`, see [`crate::testing`]) there
// is no host: logs and progress go nowhere and no file is granted, where the
// generated bindings would panic.

/// Sends a log record to the host, which forwards it to its `tracing` output.
pub fn log(level: LogLevel, message: &str) {
    #[cfg(target_arch = "wasm32")]
    bindings::log(level, message);
    #[cfg(not(target_arch = "wasm32"))]
    let _ = (level, message);
}

/// Reports progress of the current call; pass `total = 0` when it is unknown.
pub fn progress(done: u64, total: u64, message: &str) {
    #[cfg(target_arch = "wasm32")]
    bindings::progress(done, total, message);
    #[cfg(not(target_arch = "wasm32"))]
    let _ = (done, total, message);
}

/// A read-only stream over a file the user granted for this call.
///
/// Implements [`io::Read`], so it plugs into `BufReader`, `csv`, `serde_json`
/// and the like. Reads pull chunks from the host; the file is never copied
/// whole into plugin memory.
pub struct InputFile {
    handle: bindings::InputFile,
    path: String,
    pending: Vec<u8>,
    offset: usize,
}

/// How much one host call fetches; 1 MiB measured best for streaming parsers.
const CHUNK: u32 = 1 << 20;

/// Opens the file named by an [`InputPath`] field of this call's input.
///
/// Natively (in tests) no host grants files, so this fails with a message that
/// says so: test the code that reads with any [`io::Read`] instead.
pub fn open_input(path: &InputPath) -> Result<InputFile, ToolError> {
    #[cfg(target_arch = "wasm32")]
    let opened = bindings::open_input(path.as_str());
    #[cfg(not(target_arch = "wasm32"))]
    let opened: Result<bindings::InputFile, String> =
        Err("files are granted by the skill host; run natively, a tool has none".to_owned());
    let handle = opened.map_err(|message| {
        ToolError::failed(format!("cannot open `{}`: {message}", path.as_str()))
    })?;
    Ok(InputFile {
        handle,
        path: path.as_str().to_owned(),
        pending: Vec::new(),
        offset: 0,
    })
}

impl InputFile {
    /// The path the user gave, for messages.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The file's size in bytes, when known (not for pipes).
    pub fn size(&self) -> Option<u64> {
        self.handle.size()
    }

    /// The next chunk straight from the host, without copying; empty at end of file.
    pub fn next_chunk(&mut self) -> io::Result<Vec<u8>> {
        if self.offset < self.pending.len() {
            let rest = self.pending.split_off(self.offset);
            self.offset = 0;
            self.pending.clear();
            return Ok(rest);
        }
        self.handle.read(CHUNK).map_err(io::Error::other)
    }

    /// Reads the whole file; for inputs known to be small (an inventory, a policy).
    pub fn read_to_end_limited(&mut self, limit: usize) -> Result<Vec<u8>, ToolError> {
        let mut all = Vec::new();
        loop {
            let chunk = self.next_chunk().map_err(|error| {
                ToolError::failed(format!("cannot read `{}`: {error}", self.path))
            })?;
            if chunk.is_empty() {
                return Ok(all);
            }
            if all.len() + chunk.len() > limit {
                return Err(ToolError::failed(format!(
                    "`{}` is larger than {limit} bytes, the most this tool reads",
                    self.path
                )));
            }
            if all.is_empty() {
                // Most inputs arrive in one chunk: keep it rather than copy it.
                all = chunk;
            } else {
                all.extend_from_slice(&chunk);
            }
        }
    }
}

impl io::Read for InputFile {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.offset == self.pending.len() {
            self.pending = self.handle.read(CHUNK).map_err(io::Error::other)?;
            self.offset = 0;
        }
        let available = &self.pending[self.offset..];
        let n = available.len().min(buf.len());
        buf[..n].copy_from_slice(&available[..n]);
        self.offset += n;
        Ok(n)
    }
}
