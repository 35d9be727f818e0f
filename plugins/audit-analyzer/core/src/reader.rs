//! The streaming front door: push an input's bytes in chunks of any size, get
//! normalized [`Event`]s. Detects the format from the first bytes, cuts records with
//! the line splitter or the JSON framer, parses them with the format's parser, and
//! records every unusable record as a [`Problem`] instead of failing.
//!
//! Memory is bounded whatever the input: gzip is inflated in pieces of at most
//! [`GZIP_PIECE_BYTES`] (a 2 MB file that inflates to gigabytes never exists whole),
//! blank lines before the first record are counted, not kept, the format detector
//! waits for at most [`MAX_DETECT_BYTES`], and a record spanning chunks is held up to
//! [`MAX_RECORD_BYTES`](crate::MAX_RECORD_BYTES): a longer one is a
//! [`ProblemKind::TooLong`] problem on its line, never fatal.
//!
//! A gzip stream that turns out corrupt after its first record is a problem too:
//! what inflated before the damage is read, the rest of the input skipped. The inflater is fed the same
//! blocks of [`GZIP_INPUT_BLOCK`] compressed bytes whatever chunks the caller
//! pushes, so where it meets the damage, and so the result, depends on the file
//! alone (as it must for `--jobs`, stdin and whole-file reads to agree).

use std::io::Write;

use memchr::memchr_iter;

use flate2::write::MultiGzDecoder;

use crate::detect::{Detected, FormatError, GZIP_MAGIC, MAX_DETECT_BYTES, detect};
use crate::event::{Event, Format};
use crate::framer::JsonFramer;
use crate::lines::{Line, LineSplitter};
use crate::problem::{ProblemKind, Problems, RecordError};
use crate::{azure, cloudtrail, gcp, generic, vault};

/// The most decompressed bytes handed on at once: inflating stops at this size (plus
/// at most one inflate step, 32 KiB) and the piece is cut into records before
/// inflating on.
pub const GZIP_PIECE_BYTES: usize = 1 << 20;

/// Compressed bytes handed to the inflater at once (the last block may be shorter).
pub const GZIP_INPUT_BLOCK: usize = 64 << 10;

/// What reading one input produced, apart from the events.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ReadSummary {
    /// The detected format and container; `None` for an input with no record.
    pub detected: Option<Detected>,
    /// Bytes read (as pushed, compressed if the input was gzip).
    pub bytes: u64,
    /// The input was gzip-compressed (one or more members) and was decompressed.
    pub gzip: bool,
    /// Records turned into events.
    pub records: u64,
    /// Lines read, for a line-oriented container (the only kind a file can be split
    /// on: a later part's line numbers start after these); `None` for framed input.
    pub lines: Option<u64>,
    /// Records that could not be used, with the first ones in detail.
    pub problems: Problems,
}

/// Why reading an input to its end stopped.
#[derive(Debug, thiserror::Error)]
pub enum ReadError<E> {
    /// The bytes could not be read from their source.
    #[error("{0}")]
    Source(E),
    /// The input as a whole is not a readable audit log.
    #[error(transparent)]
    Format(#[from] FormatError),
}

/// Whether the pushed bytes are compressed; decided from the first two bytes.
enum Compression {
    Undecided(Vec<u8>),
    Plain,
    Gzip(Box<Gzip>),
    /// The gzip stream was corrupt: the rest of the input is skipped.
    Corrupt,
}

/// A gzip stream being inflated.
struct Gzip {
    /// Inflates into its `Vec`, which is cut into records piece by piece.
    decoder: MultiGzDecoder<Vec<u8>>,
    /// Compressed bytes waiting for a whole [`GZIP_INPUT_BLOCK`].
    staged: Vec<u8>,
    /// Compressed bytes the inflater has taken, for the problem's message.
    taken: u64,
}

enum Cutter {
    Detecting(Vec<u8>),
    Lines(LineSplitter),
    Frames(JsonFramer),
}

/// Streaming reader for one input (one file).
pub struct AuditReader {
    compression: Compression,
    cutter: Cutter,
    detected: Option<Detected>,
    bytes: u64,
    records: u64,
    problems: Problems,
    /// Blank lines dropped before the first record (the splitter or framer starts
    /// after them).
    blank_lines: u64,
    /// The most bytes the reader's own buffers held allocated at once.
    peak_buffered: usize,
}

impl Default for AuditReader {
    fn default() -> Self {
        Self::new()
    }
}

impl AuditReader {
    /// A reader that detects the format from the first bytes pushed.
    pub fn new() -> Self {
        Self {
            compression: Compression::Undecided(Vec::new()),
            cutter: Cutter::Detecting(Vec::new()),
            detected: None,
            bytes: 0,
            records: 0,
            problems: Problems::default(),
            blank_lines: 0,
            peak_buffered: 0,
        }
    }

    /// Bytes the reader's own buffers hold allocated now: the first bytes awaiting a
    /// decision, inflated bytes not yet cut, the detector's head, a record spanning
    /// chunks. (The inflater's fixed state, about 40 KiB, is not counted.)
    pub fn buffered_capacity(&self) -> usize {
        let compression = match &self.compression {
            Compression::Undecided(first) => first.capacity(),
            Compression::Plain | Compression::Corrupt => 0,
            Compression::Gzip(gzip) => gzip.decoder.get_ref().capacity() + gzip.staged.capacity(),
        };
        let cutter = match &self.cutter {
            Cutter::Detecting(head) => head.capacity(),
            Cutter::Lines(splitter) => splitter.buffered_capacity(),
            Cutter::Frames(framer) => framer.buffered_capacity(),
        };
        compression + cutter
    }

    /// The most [`AuditReader::buffered_capacity`] seen so far, sampled after every
    /// inflate step and at the end of every push.
    pub fn peak_buffered(&self) -> usize {
        self.peak_buffered
    }

    fn note_buffers(&mut self) {
        self.peak_buffered = self.peak_buffered.max(self.buffered_capacity());
    }

    /// The detected format, once known.
    pub fn detected(&self) -> Option<Detected> {
        self.detected
    }

    /// Feeds the next chunk, calling `sink` for every event it completes. A gzip
    /// input (several members allowed, as `cat a.gz b.gz` makes) is decompressed on
    /// the fly.
    ///
    /// Fails only when the input as a whole cannot be read (unknown format, `jsonx`,
    /// corrupt gzip); bad records become problems.
    pub fn push(
        &mut self,
        chunk: &[u8],
        mut sink: impl FnMut(&Event<'_>),
    ) -> Result<(), FormatError> {
        self.bytes += chunk.len() as u64;
        let result = self.push_input(chunk, &mut sink);
        self.note_buffers();
        result
    }

    fn push_input(
        &mut self,
        chunk: &[u8],
        sink: &mut dyn FnMut(&Event<'_>),
    ) -> Result<(), FormatError> {
        match &mut self.compression {
            Compression::Plain => self.push_plain(chunk, sink),
            Compression::Corrupt => Ok(()),
            Compression::Undecided(first) => {
                first.extend_from_slice(chunk);
                if first.len() < GZIP_MAGIC.len() {
                    return Ok(());
                }
                let first = std::mem::take(first);
                self.compression = if first.starts_with(&GZIP_MAGIC) {
                    Compression::Gzip(Box::new(Gzip {
                        decoder: MultiGzDecoder::new(Vec::new()),
                        staged: Vec::with_capacity(GZIP_INPUT_BLOCK),
                        taken: 0,
                    }))
                } else {
                    Compression::Plain
                };
                self.push_input(&first, sink)
            }
            Compression::Gzip(_) => {
                let mut rest = chunk;
                while !rest.is_empty()
                    && let Compression::Gzip(gzip) = &mut self.compression
                {
                    let room = GZIP_INPUT_BLOCK - gzip.staged.len();
                    let (block, tail) = rest.split_at(room.min(rest.len()));
                    gzip.staged.extend_from_slice(block);
                    rest = tail;
                    if gzip.staged.len() == GZIP_INPUT_BLOCK {
                        self.inflate_staged(sink)?;
                    }
                }
                Ok(())
            }
        }
    }

    /// Inflates the staged compressed bytes, cutting the output into records
    /// whenever it reaches [`GZIP_PIECE_BYTES`]. Damage ends the stream: what
    /// inflated before it is cut, and a problem says where it was met (an
    /// error if that was before the first record).
    fn inflate_staged(&mut self, sink: &mut dyn FnMut(&Event<'_>)) -> Result<(), FormatError> {
        let Compression::Gzip(gzip) = &mut self.compression else {
            return Ok(());
        };
        let staged = std::mem::take(&mut gzip.staged);
        let mut rest = &staged[..];
        let mut damage = None;
        while !rest.is_empty()
            && let Compression::Gzip(gzip) = &mut self.compression
        {
            // One `write` inflates at most one step (32 KiB of output).
            match gzip.decoder.write(rest) {
                Ok(0) => damage = Some("the decompressor takes no more input".to_string()),
                Ok(taken) => {
                    rest = &rest[taken..];
                    gzip.taken += taken as u64;
                }
                Err(error) => damage = Some(error.to_string()),
            }
            let full = gzip.decoder.get_ref().len() >= GZIP_PIECE_BYTES;
            self.note_buffers();
            if full || damage.is_some() {
                self.cut_inflated(sink)?;
            }
            if let Some(error) = damage {
                // Damage before the first record leaves nothing to read: the input
                // as a whole is unreadable, as when it is no log at all.
                if self.detected.is_none() {
                    return Err(FormatError::CorruptGzip(error));
                }
                self.stop_corrupt(&error);
                return Ok(());
            }
        }
        if let Compression::Gzip(gzip) = &mut self.compression {
            // Hand the buffer back so staging reuses its allocation.
            gzip.staged = staged;
            gzip.staged.clear();
        }
        self.cut_inflated(sink)
    }

    /// Records where the gzip stream broke and skips the rest of the input.
    fn stop_corrupt(&mut self, error: &str) {
        let taken = match &self.compression {
            Compression::Gzip(gzip) => gzip.taken,
            _ => 0,
        };
        self.compression = Compression::Corrupt;
        self.problems.push(0, ProblemKind::Garbage, || {
            format!(
                "the gzip stream is corrupt after {taken} compressed bytes ({error}); \
                 the rest of the input is skipped"
            )
        });
    }

    /// Hands the inflated bytes so far on to the record cutter.
    fn cut_inflated(&mut self, sink: &mut dyn FnMut(&Event<'_>)) -> Result<(), FormatError> {
        let Compression::Gzip(gzip) = &mut self.compression else {
            return Ok(());
        };
        if gzip.decoder.get_ref().is_empty() {
            return Ok(());
        }
        let mut out = std::mem::take(gzip.decoder.get_mut());
        let result = self.push_plain(&out, sink);
        // Hand the buffer back so decompression reuses its allocation.
        out.clear();
        if let Compression::Gzip(gzip) = &mut self.compression {
            *gzip.decoder.get_mut() = out;
        }
        result
    }

    fn push_plain(
        &mut self,
        chunk: &[u8],
        mut sink: &mut dyn FnMut(&Event<'_>),
    ) -> Result<(), FormatError> {
        if let Cutter::Detecting(head) = &mut self.cutter {
            let found = if head.is_empty() {
                detect(chunk, false)?
            } else {
                head.extend_from_slice(chunk);
                detect(head, false)?
            };
            match found {
                None => {
                    if head.is_empty() {
                        head.extend_from_slice(chunk);
                    }
                    self.blank_lines += drop_blank(head);
                    if head.len() > MAX_DETECT_BYTES {
                        return Err(FormatError::Unknown(format!(
                            "no complete record in the first {MAX_DETECT_BYTES} bytes"
                        )));
                    }
                    return Ok(());
                }
                Some(detected) => {
                    let head = std::mem::take(head);
                    self.start(detected);
                    if head.is_empty() {
                        self.cut(chunk, &mut sink);
                    } else {
                        self.cut(&head, &mut sink);
                    }
                    return Ok(());
                }
            }
        }
        self.cut(chunk, &mut sink);
        Ok(())
    }

    /// Reads a whole input: `next_chunk` returns its next bytes (a plugin's granted
    /// file, a `Read`, …), empty at the end; then [`AuditReader::finish`].
    pub fn read_to_end<E>(
        mut self,
        mut next_chunk: impl FnMut() -> Result<Vec<u8>, E>,
        mut sink: impl FnMut(&Event<'_>),
    ) -> Result<ReadSummary, ReadError<E>> {
        loop {
            let chunk = next_chunk().map_err(ReadError::Source)?;
            if chunk.is_empty() {
                break;
            }
            self.push(&chunk, &mut sink)?;
        }
        Ok(self.finish(sink)?)
    }

    /// Ends the input: flushes a last record without newline, reports a truncated
    /// record, and returns the summary.
    pub fn finish(mut self, mut sink: impl FnMut(&Event<'_>)) -> Result<ReadSummary, FormatError> {
        let gzip = matches!(
            self.compression,
            Compression::Gzip(_) | Compression::Corrupt
        );
        // The last, shorter block.
        self.inflate_staged(&mut sink)?;
        match std::mem::replace(&mut self.compression, Compression::Plain) {
            Compression::Undecided(first) => self.push_plain(&first, &mut sink)?,
            Compression::Plain | Compression::Corrupt => {}
            Compression::Gzip(mut gzip) => {
                // A gzip file still being written ends mid-member: keep what
                // decompressed and report the cut, as for a truncated line.
                if let Err(error) = gzip.decoder.try_finish() {
                    self.problems.push(0, ProblemKind::Truncated, || {
                        format!("the gzip stream ends early ({error})")
                    });
                }
                let out = std::mem::take(gzip.decoder.get_mut());
                self.push_plain(&out, &mut sink)?;
            }
        }
        if let Cutter::Detecting(head) = &mut self.cutter {
            let head = std::mem::take(head);
            match detect(&head, true)? {
                Some(detected) => {
                    self.start(detected);
                    self.cut(&head, &mut sink);
                }
                None => {
                    self.problems
                        .push(0, ProblemKind::Empty, || "the input holds no record".into());
                }
            }
        }
        let format = self.detected.map(|d| d.format);
        let mut lines = None;
        match &mut self.cutter {
            Cutter::Detecting(_) => {}
            Cutter::Lines(splitter) => {
                let (records, problems) = (&mut self.records, &mut self.problems);
                let format = format.unwrap_or(Format::Vault);
                splitter.finish(|line| handle_line(format, line, records, problems, &mut sink));
                lines = Some(splitter.lines());
            }
            Cutter::Frames(framer) => {
                if let Some(line) = framer.finish() {
                    self.problems.push(line, ProblemKind::Truncated, || {
                        "the input ends inside this record".into()
                    });
                }
            }
        }
        if self.records == 0 && self.problems.total == 0 {
            self.problems
                .push(0, ProblemKind::Empty, || "the input holds no record".into());
        }
        Ok(ReadSummary {
            detected: self.detected,
            bytes: self.bytes,
            gzip,
            records: self.records,
            lines,
            problems: self.problems,
        })
    }

    fn start(&mut self, detected: Detected) {
        self.detected = Some(detected);
        self.cutter = match detected.container.frame_depth() {
            None => Cutter::Lines(LineSplitter::after_lines(self.blank_lines)),
            Some(depth) => Cutter::Frames(JsonFramer::starting_at(depth, self.blank_lines + 1)),
        };
    }

    fn cut(&mut self, chunk: &[u8], sink: &mut dyn FnMut(&Event<'_>)) {
        let Some(detected) = self.detected else {
            return;
        };
        let format = detected.format;
        let (records, problems) = (&mut self.records, &mut self.problems);
        match &mut self.cutter {
            Cutter::Detecting(_) => {}
            Cutter::Lines(splitter) => splitter.push(chunk, |line| {
                handle_line(format, line, records, problems, sink)
            }),
            Cutter::Frames(framer) => {
                // Both callbacks need the problem list: strays wait in a cell and are
                // reported before the next record, so problems stay in input order
                // whatever the chunking.
                let strays = std::cell::RefCell::new(Vec::new());
                let report_strays = |problems: &mut Problems| {
                    for line in strays.borrow_mut().drain(..) {
                        problems.push(line, ProblemKind::Garbage, || {
                            "text outside any JSON record".into()
                        });
                    }
                };
                framer.push(
                    chunk,
                    |object| {
                        report_strays(problems);
                        match object.oversized {
                            Some(length) => too_long(object.line, "record", length, problems),
                            None => handle_record(
                                format,
                                object.line,
                                object.bytes,
                                records,
                                problems,
                                sink,
                            ),
                        }
                    },
                    |stray| strays.borrow_mut().push(stray.line),
                );
                report_strays(problems);
            }
        }
    }
}

/// Drops a head that holds nothing but blank lines (after a byte-order mark), so that
/// a file of blank lines never accumulates; returns the newlines dropped.
fn drop_blank(head: &mut Vec<u8>) -> u64 {
    let bom = if head.starts_with(b"\xEF\xBB\xBF") {
        3
    } else {
        0
    };
    if !head[bom..].iter().all(u8::is_ascii_whitespace) {
        return 0;
    }
    let newlines = memchr_iter(b'\n', &head[bom..]).count() as u64;
    head.truncate(bom);
    if head.capacity() > GZIP_PIECE_BYTES {
        head.shrink_to(GZIP_PIECE_BYTES);
    }
    newlines
}

fn too_long(line: u64, what: &str, length: u64, problems: &mut Problems) {
    problems.push(line, ProblemKind::TooLong, || {
        format!(
            "the {what} is {length} bytes long, over the {} MiB cap on one record; skipped",
            crate::MAX_RECORD_BYTES >> 20
        )
    });
}

fn handle_line(
    format: Format,
    line: Line<'_>,
    records: &mut u64,
    problems: &mut Problems,
    sink: &mut dyn FnMut(&Event<'_>),
) {
    let (number, bytes) = (line.number, line.bytes);
    if let Some(length) = line.oversized {
        return too_long(number, "line", length, problems);
    }
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return;
    }
    // Skips a syslog header or operator prefix; a plain line starts with `{`.
    match memchr::memchr(b'{', bytes) {
        Some(start) => handle_record(format, number, &bytes[start..], records, problems, sink),
        None => problems.push(number, ProblemKind::Garbage, || {
            format!("not a JSON record: {:?}", preview(bytes))
        }),
    }
}

fn handle_record(
    format: Format,
    line: u64,
    bytes: &[u8],
    records: &mut u64,
    problems: &mut Problems,
    sink: &mut dyn FnMut(&Event<'_>),
) {
    // A time that cannot be read is a problem on its line, never a silent gap; the
    // access still counts, untimed.
    let mut bad_time = false;
    let sink = &mut |event: &Event<'_>| {
        bad_time |= event.bad_time;
        sink(event);
    };
    let result = match format {
        Format::Vault => vault::parse(bytes, line, sink),
        Format::CloudTrail => cloudtrail::parse_with(bytes, line, &mut |event| sink(&event)),
        Format::GcpAudit => gcp::parse(bytes, line).map(|event| sink(&event)),
        Format::AzureKeyVault => azure::parse(bytes, line).map(|event| sink(&event)),
        Format::Generic => generic::parse(bytes, line).map(|event| sink(&event)),
    };
    match result {
        Ok(()) => *records += 1,
        Err(error) => record_problem(line, &error, bytes, format, problems),
    }
    if bad_time {
        problems.push(line, ProblemKind::BadTime, || {
            format!(
                "the time cannot be read (RFC 3339 expected, e.g. 2024-05-01T09:00:00Z); \
                 the access is counted without a time: {:?}",
                preview(bytes)
            )
        });
    }
}

fn record_problem(
    line: u64,
    error: &RecordError,
    bytes: &[u8],
    format: Format,
    problems: &mut Problems,
) {
    let kind = error.kind();
    problems.push(line, kind, || match kind {
        ProblemKind::Truncated => format!("record cut off ({error})"),
        ProblemKind::NotARecord => format!("not a {} record: {error}", format.label()),
        _ => format!("{error}: {:?}", preview(bytes)),
    });
}

fn preview(bytes: &[u8]) -> String {
    let end = bytes.len().min(80);
    String::from_utf8_lossy(&bytes[..end]).into_owned()
}
