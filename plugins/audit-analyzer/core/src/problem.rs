//! Problems found while reading an input: counted and reported with their line, never
//! fatal, because a real log ends mid-line while it is being written and may hold a
//! stray line from an operator or a crash.

use serde::Serialize;

/// What kind of problem a record had.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProblemKind {
    /// The record ends before its JSON does: a cut-off last line or a partial write.
    Truncated,
    /// Not JSON at all, or broken JSON.
    Garbage,
    /// Valid JSON that is not a record of the input's format.
    NotARecord,
    /// The input holds no record at all.
    Empty,
    /// A record whose time cannot be read: it is counted, without a time.
    BadTime,
    /// A line or record longer than [`MAX_RECORD_BYTES`](crate::MAX_RECORD_BYTES):
    /// skipped without being buffered.
    TooLong,
}

/// One problem, with the line it starts on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// 1-based line in the input (0 when the problem concerns the whole input).
    pub line: u64,
    /// The kind of problem.
    pub kind: ProblemKind,
    /// What was wrong, for a human.
    pub message: String,
}

/// Keeps the first problems in full and counts all of them, so a log full of garbage
/// cannot grow memory.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Problems {
    /// Total number of problems.
    pub total: u64,
    /// The first [`Problems::KEPT`] problems in input order.
    pub first: Vec<Problem>,
}

impl Problems {
    /// How many problems are kept with their details.
    pub const KEPT: usize = 100;

    pub(crate) fn push(&mut self, line: u64, kind: ProblemKind, message: impl FnOnce() -> String) {
        self.total += 1;
        if self.first.len() < Self::KEPT {
            self.first.push(Problem {
                line,
                kind,
                message: message(),
            });
        }
    }
}

/// Why one record could not be turned into an event.
#[derive(Debug, thiserror::Error)]
pub(crate) enum RecordError {
    #[error("not valid JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("{0}")]
    Shape(&'static str),
    #[error("not UTF-8 text: {0}")]
    Utf8(#[from] std::str::Utf8Error),
}

impl RecordError {
    pub(crate) fn kind(&self) -> ProblemKind {
        match self {
            RecordError::Json(e) if e.is_eof() => ProblemKind::Truncated,
            RecordError::Json(e) if e.is_data() => ProblemKind::NotARecord,
            RecordError::Json(_) => ProblemKind::Garbage,
            RecordError::Shape(_) => ProblemKind::NotARecord,
            RecordError::Utf8(_) => ProblemKind::Garbage,
        }
    }
}
