//! Splits pushed byte chunks into lines, carrying a partial line across chunk
//! boundaries, so callers can stream a file of any size in fixed-size pieces.

use memchr::memchr_iter;

use crate::carry::{Carry, Completed};

/// One line handed to the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Line<'a> {
    /// 1-based line number in the input.
    pub number: u64,
    /// The line's bytes without the `\n` (a trailing `\r` is stripped too); empty for
    /// an oversized line.
    pub bytes: &'a [u8],
    /// True only for a last line that had no terminating newline: if it does not parse,
    /// it was most likely cut off (a log still being written, or a truncated copy).
    pub unterminated: bool,
    /// `Some(length)` for a line longer than [`MAX_RECORD_BYTES`](crate::MAX_RECORD_BYTES)
    /// (its length in bytes): it was skipped, never buffered whole.
    pub oversized: Option<u64>,
}

impl<'a> Line<'a> {
    fn new(number: u64, completed: Completed<'a>, unterminated: bool) -> Self {
        let (bytes, oversized) = match completed {
            Completed::Whole(bytes) => (trim_cr(bytes), None),
            Completed::Oversized(length) => (&[][..], Some(length)),
        };
        Line {
            number,
            bytes,
            unterminated,
            oversized,
        }
    }
}

/// A streaming line splitter over pushed chunks.
///
/// Complete lines are borrowed straight from the pushed chunk; only a line that spans a
/// chunk boundary is copied, into a carry buffer that holds at most one line of at most
/// [`MAX_RECORD_BYTES`](crate::MAX_RECORD_BYTES). Whatever the chunking, a line longer
/// than that is reported as oversized.
#[derive(Debug, Default)]
pub struct LineSplitter {
    carry: Carry,
    /// Number of lines emitted so far.
    lines: u64,
    bytes: u64,
}

impl LineSplitter {
    /// An empty splitter at line 1.
    pub fn new() -> Self {
        Self::default()
    }

    /// A splitter whose first line is line `skipped + 1` (the first `skipped` lines
    /// were consumed elsewhere, e.g. blank lines before the first record).
    pub fn after_lines(skipped: u64) -> Self {
        Self {
            lines: skipped,
            ..Self::default()
        }
    }

    /// A splitter with another cap on a line's length (tests use a small one).
    pub fn with_cap(cap: usize) -> Self {
        Self {
            carry: Carry::with_cap(cap),
            ..Self::default()
        }
    }

    /// Lines emitted so far.
    pub fn lines(&self) -> u64 {
        self.lines
    }

    /// Bytes pushed so far.
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// Bytes allocated for a line spanning chunks; never more than the cap.
    pub fn buffered_capacity(&self) -> usize {
        self.carry.capacity()
    }

    /// Feeds one chunk; calls `on_line` for every line completed by it.
    pub fn push(&mut self, chunk: &[u8], mut on_line: impl FnMut(Line<'_>)) {
        self.bytes += chunk.len() as u64;
        let mut start = 0;
        for end in memchr_iter(b'\n', chunk) {
            self.lines += 1;
            let number = self.lines;
            let line = &chunk[start..end];
            if self.carry.is_empty() {
                on_line(Line::new(number, self.carry.check(line), false));
            } else {
                // The first newline completes the carried line.
                self.carry
                    .complete(line, |done| on_line(Line::new(number, done, false)));
            }
            start = end + 1;
        }
        self.carry.hold(&chunk[start..]);
    }

    /// Ends the input: emits a last line that had no newline, if any.
    pub fn finish(&mut self, mut on_line: impl FnMut(Line<'_>)) {
        if !self.carry.is_empty() {
            self.lines += 1;
            let number = self.lines;
            self.carry
                .complete(&[], |done| on_line(Line::new(number, done, true)));
        }
    }
}

fn trim_cr(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\r").unwrap_or(line)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(chunks: &[&[u8]]) -> Vec<(u64, String, bool)> {
        split_capped(chunks, crate::MAX_RECORD_BYTES)
            .into_iter()
            .map(|(number, bytes, unterminated, oversized)| {
                assert_eq!(oversized, None);
                (number, bytes, unterminated)
            })
            .collect()
    }

    type Split = Vec<(u64, String, bool, Option<u64>)>;

    fn split_capped(chunks: &[&[u8]], cap: usize) -> Split {
        let mut out = Vec::new();
        let mut splitter = LineSplitter::with_cap(cap);
        let mut collect = |line: Line<'_>| {
            out.push((
                line.number,
                String::from_utf8(line.bytes.to_vec()).unwrap(),
                line.unterminated,
                line.oversized,
            ))
        };
        for chunk in chunks {
            splitter.push(chunk, &mut collect);
        }
        splitter.finish(&mut collect);
        out
    }

    #[test]
    fn lines_across_chunk_boundaries_are_rejoined() {
        let got = split(&[b"ab", b"c\nde", b"f", b"\r\ng\n"]);
        assert_eq!(
            got,
            vec![
                (1, "abc".into(), false),
                (2, "def".into(), false),
                (3, "g".into(), false)
            ]
        );
    }

    #[test]
    fn a_last_line_without_newline_is_marked_unterminated() {
        let got = split(&[b"a\nb"]);
        assert_eq!(got, vec![(1, "a".into(), false), (2, "b".into(), true)]);
    }

    #[test]
    fn every_split_point_gives_the_same_lines() {
        let text: &[u8] = b"one\n\ntwo three\nfour\n";
        let whole = split(&[text]);
        for cut in 0..=text.len() {
            for cut2 in cut..=text.len() {
                let parts = [&text[..cut], &text[cut..cut2], &text[cut2..]];
                assert_eq!(split(&parts), whole, "cuts at {cut},{cut2}");
            }
        }
    }

    #[test]
    fn a_line_over_the_cap_is_reported_with_its_length_whatever_the_chunking() {
        let text: &[u8] = b"short\n0123456789ab\r\nok\n0123456789";
        let want: Split = vec![
            (1, "short".into(), false, None),
            (2, String::new(), false, Some(13)),
            (3, "ok".into(), false, None),
            (4, String::new(), true, Some(10)),
        ];
        for cut in 0..=text.len() {
            for cut2 in cut..=text.len() {
                let parts = [&text[..cut], &text[cut..cut2], &text[cut2..]];
                assert_eq!(split_capped(&parts, 9), want, "cuts at {cut},{cut2}");
            }
        }
    }

    #[test]
    fn an_endless_line_never_holds_more_than_the_cap() {
        let mut splitter = LineSplitter::with_cap(4096);
        let chunk = [b'x'; 1000];
        let mut seen = Vec::new();
        for _ in 0..10_000 {
            splitter.push(&chunk, |line| seen.push(line.oversized));
            assert!(splitter.buffered_capacity() <= 4096);
        }
        splitter.push(b"\n{}\n", |line| seen.push(line.oversized));
        assert_eq!(seen, vec![Some(10_000_000), None]);
        assert_eq!(splitter.lines(), 2);
    }
}
