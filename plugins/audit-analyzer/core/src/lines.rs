//! Splits pushed byte chunks into lines, carrying a partial line across chunk
//! boundaries, so callers can stream a file of any size in fixed-size pieces.

use memchr::memchr_iter;

/// One line handed to the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Line<'a> {
    /// 1-based line number in the input.
    pub number: u64,
    /// The line's bytes without the `\n` (a trailing `\r` is stripped too).
    pub bytes: &'a [u8],
    /// True only for a last line that had no terminating newline: if it does not parse,
    /// it was most likely cut off (a log still being written, or a truncated copy).
    pub unterminated: bool,
}

/// A streaming line splitter over pushed chunks.
///
/// Complete lines are borrowed straight from the pushed chunk; only a line that spans a
/// chunk boundary is copied, into a carry buffer that holds at most one line.
#[derive(Debug, Default)]
pub struct LineSplitter {
    carry: Vec<u8>,
    /// Number of lines emitted so far.
    lines: u64,
    bytes: u64,
}

impl LineSplitter {
    /// An empty splitter at line 1.
    pub fn new() -> Self {
        Self::default()
    }

    /// Lines emitted so far.
    pub fn lines(&self) -> u64 {
        self.lines
    }

    /// Bytes pushed so far.
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// Feeds one chunk; calls `on_line` for every line completed by it.
    pub fn push(&mut self, chunk: &[u8], mut on_line: impl FnMut(Line<'_>)) {
        self.bytes += chunk.len() as u64;
        let mut start = 0;
        let mut newlines = memchr_iter(b'\n', chunk);
        if !self.carry.is_empty() {
            // The first newline (if any) completes the carried line.
            match newlines.next() {
                Some(end) => {
                    self.carry.extend_from_slice(&chunk[..end]);
                    self.lines += 1;
                    let carry = std::mem::take(&mut self.carry);
                    on_line(Line {
                        number: self.lines,
                        bytes: trim_cr(&carry),
                        unterminated: false,
                    });
                    // Hand the allocation back so a long-running stream reuses it.
                    self.carry = carry;
                    self.carry.clear();
                    start = end + 1;
                }
                None => {
                    self.carry.extend_from_slice(chunk);
                    return;
                }
            }
        }
        for end in newlines {
            self.lines += 1;
            on_line(Line {
                number: self.lines,
                bytes: trim_cr(&chunk[start..end]),
                unterminated: false,
            });
            start = end + 1;
        }
        self.carry.extend_from_slice(&chunk[start..]);
    }

    /// Ends the input: emits a last line that had no newline, if any.
    pub fn finish(&mut self, mut on_line: impl FnMut(Line<'_>)) {
        if !self.carry.is_empty() {
            self.lines += 1;
            let carry = std::mem::take(&mut self.carry);
            on_line(Line {
                number: self.lines,
                bytes: trim_cr(&carry),
                unterminated: true,
            });
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
        let mut out = Vec::new();
        let mut splitter = LineSplitter::new();
        let mut collect = |line: Line<'_>| {
            out.push((
                line.number,
                String::from_utf8(line.bytes.to_vec()).unwrap(),
                line.unterminated,
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
}
