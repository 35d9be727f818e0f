//! Cuts a stream of JSON text into complete objects without parsing them: a brace-depth
//! counter that knows about strings and escapes, so `{` or `}` inside a value such as
//! `"error":"… }"` does not confuse it.
//!
//! This is what reads the inputs that are not one record per line: a pretty-printed
//! Vault stream (depth 0), a JSON array of records (depth 1), and the wrappers
//! `{"Records":[…]}`, `{"records":[…]}` and `{"Events":[…]}` (depth 2). Objects that
//! start at exactly the target depth are emitted; everything else is skipped.

use crate::carry::{Carry, Completed};

/// One complete object handed to the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Framed<'a> {
    /// 1-based line on which the object starts.
    pub line: u64,
    /// The object's bytes, from `{` to the matching `}`; empty for an oversized object.
    pub bytes: &'a [u8],
    /// `Some(length)` for an object longer than
    /// [`MAX_RECORD_BYTES`](crate::MAX_RECORD_BYTES) (its length in bytes): it was
    /// skipped, never buffered whole.
    pub oversized: Option<u64>,
}

impl<'a> Framed<'a> {
    fn new(line: u64, completed: Completed<'a>) -> Self {
        match completed {
            Completed::Whole(bytes) => Framed {
                line,
                bytes,
                oversized: None,
            },
            Completed::Oversized(length) => Framed {
                line,
                bytes: &[],
                oversized: Some(length),
            },
        }
    }
}

/// Something found outside any record, reported instead of silently skipped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stray {
    /// 1-based line of the first unexpected byte.
    pub line: u64,
}

/// The streaming object framer.
#[derive(Debug)]
pub struct JsonFramer {
    target: u32,
    depth: u32,
    in_string: bool,
    escaped: bool,
    /// Line counter (1-based) at the current scan position.
    line: u64,
    /// Start line of the object being collected, when inside one.
    record_line: Option<u64>,
    /// The beginning of an object that started in an earlier chunk, bounded.
    carry: Carry,
    /// Line of the last stray byte reported, so a garbage line is reported once.
    last_stray_line: u64,
}

impl JsonFramer {
    /// A framer emitting the objects that start at nesting depth `target`
    /// (0 = top-level values, 1 = elements of a top-level array, …).
    pub fn new(target: u32) -> Self {
        Self::starting_at(target, 1)
    }

    /// The same framer, with the first byte pushed on line `line` (earlier lines were
    /// consumed elsewhere, e.g. blank lines before the first record).
    pub fn starting_at(target: u32, line: u64) -> Self {
        Self {
            target,
            depth: 0,
            in_string: false,
            escaped: false,
            line,
            record_line: None,
            carry: Carry::default(),
            last_stray_line: 0,
        }
    }

    /// The same framer with another cap on an object's length (tests use a small one).
    pub fn with_cap(target: u32, cap: usize) -> Self {
        Self {
            carry: Carry::with_cap(cap),
            ..Self::new(target)
        }
    }

    /// Bytes allocated for an object spanning chunks; never more than the cap.
    pub fn buffered_capacity(&self) -> usize {
        self.carry.capacity()
    }

    /// Feeds a chunk; emits every object completed by it, and reports bytes at the
    /// target depth that cannot belong to a record (garbage between records).
    pub fn push(
        &mut self,
        chunk: &[u8],
        mut on_object: impl FnMut(Framed<'_>),
        mut on_stray: impl FnMut(Stray),
    ) {
        // Start of the current object within this chunk, if it started here.
        let mut start: Option<usize> = None;
        let mut i = 0;
        while i < chunk.len() {
            let byte = chunk[i];
            if self.in_string {
                if self.escaped {
                    // The byte after a backslash that ended the previous chunk.
                    self.escaped = false;
                    if byte == b'\n' {
                        self.line += 1;
                    }
                    i += 1;
                    continue;
                }
                // Skip quickly to the next byte that can end the string or matter for
                // line counting; strings are most of a log's bytes.
                match memchr::memchr3(b'"', b'\\', b'\n', &chunk[i..]) {
                    None => {
                        i = chunk.len();
                        continue;
                    }
                    Some(offset) => i += offset,
                }
                match chunk[i] {
                    b'\\' => {
                        // Skip the escaped byte (it may be in the next chunk).
                        if i + 1 < chunk.len() {
                            if chunk[i + 1] == b'\n' {
                                self.line += 1;
                            }
                            i += 2;
                        } else {
                            self.escaped = true;
                            i += 1;
                        }
                        continue;
                    }
                    b'"' => self.in_string = false,
                    _ => self.line += 1,
                }
                i += 1;
                continue;
            }
            match byte {
                b'"' => self.in_string = true,
                b'\n' => self.line += 1,
                b'{' | b'[' => {
                    if byte == b'{' && self.depth == self.target && self.record_line.is_none() {
                        self.record_line = Some(self.line);
                        start = Some(i);
                    }
                    // Saturates: a gigabyte of `[` from a gzip bomb must not wrap.
                    self.depth = self.depth.saturating_add(1);
                }
                b'}' | b']' => {
                    self.depth = self.depth.saturating_sub(1);
                    if self.depth == self.target
                        && let Some(line) = self.record_line.take()
                    {
                        match start.take() {
                            Some(s) => {
                                on_object(Framed::new(line, self.carry.check(&chunk[s..=i])))
                            }
                            None => self
                                .carry
                                .complete(&chunk[..=i], |done| on_object(Framed::new(line, done))),
                        }
                    }
                }
                b' ' | b'\t' | b'\r' | b',' => {}
                _ => {
                    // Only between top-level values is any other byte certainly
                    // garbage; deeper, it is the container's own keys and values.
                    if self.depth == 0
                        && self.record_line.is_none()
                        && self.last_stray_line != self.line
                    {
                        self.last_stray_line = self.line;
                        on_stray(Stray { line: self.line });
                    }
                }
            }
            i += 1;
        }
        if self.record_line.is_some() {
            match start {
                Some(s) => self.carry.hold(&chunk[s..]),
                None => self.carry.hold(chunk),
            }
        }
    }

    /// Ends the input; returns the start line of an object left incomplete (truncated).
    pub fn finish(&mut self) -> Option<u64> {
        self.carry.clear();
        self.record_line.take()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type Frames = (Vec<(u64, String)>, Vec<u64>, Option<u64>);

    fn frame(target: u32, chunks: &[&[u8]]) -> Frames {
        frame_capped(target, chunks, crate::MAX_RECORD_BYTES, &mut |o| {
            assert_eq!(o.oversized, None)
        })
    }

    fn frame_capped(
        target: u32,
        chunks: &[&[u8]],
        cap: usize,
        seen: &mut dyn FnMut(Framed<'_>),
    ) -> Frames {
        let mut framer = JsonFramer::with_cap(target, cap);
        let mut objects = Vec::new();
        let mut strays = Vec::new();
        for chunk in chunks {
            framer.push(
                chunk,
                |o| {
                    seen(o);
                    objects.push((o.line, String::from_utf8(o.bytes.to_vec()).unwrap()))
                },
                |s| strays.push(s.line),
            );
            assert!(framer.buffered_capacity() <= cap);
        }
        let open = framer.finish();
        (objects, strays, open)
    }

    const PRETTY: &[u8] = b"{\n  \"a\": \"x}{\\\"\",\n  \"b\": {\"c\": [1, {\"d\": 2}]}\n}\n{\n  \"e\": \"\\\\\"\n}\n";

    #[test]
    fn pretty_stream_is_cut_into_objects_whatever_the_chunking() {
        let (whole, strays, open) = frame(0, &[PRETTY]);
        assert_eq!(whole.len(), 2);
        assert_eq!(whole[0].0, 1);
        assert_eq!(whole[1].0, 5);
        assert!(strays.is_empty() && open.is_none());
        for cut in 0..=PRETTY.len() {
            let (got, _, _) = frame(0, &[&PRETTY[..cut], &PRETTY[cut..]]);
            assert_eq!(got, whole, "cut at {cut}");
        }
        // And byte by byte.
        let bytes: Vec<&[u8]> = PRETTY.chunks(1).collect();
        assert_eq!(frame(0, &bytes).0, whole);
    }

    #[test]
    fn wrapper_records_are_found_at_depth_two() {
        let text = br#"{"Records":[{"a":1,"n":{"x":[]}},{"b":"]"}],"other":{"c":3}}"#;
        let (got, _, _) = frame(2, &[text]);
        let bodies: Vec<&str> = got.iter().map(|(_, b)| b.as_str()).collect();
        assert_eq!(bodies, vec![r#"{"a":1,"n":{"x":[]}}"#, r#"{"b":"]"}"#]);
    }

    #[test]
    fn garbage_between_records_and_truncation_are_reported() {
        let text = b"{\"a\":1}\nnot json\n{\"b\":";
        let (got, strays, open) = frame(0, &[text]);
        assert_eq!(got.len(), 1);
        assert_eq!(strays, vec![2]);
        assert_eq!(open, Some(3));
    }

    #[test]
    fn an_object_over_the_cap_is_reported_with_its_length_whatever_the_chunking() {
        let text: &[u8] = b"[{\"a\":1},\n{\"b\":\"0123456789\"},{\"c\":2}]";
        for cut in 0..=text.len() {
            let mut oversized = Vec::new();
            let (got, strays, open) =
                frame_capped(1, &[&text[..cut], &text[cut..]], 12, &mut |o| {
                    oversized.push(o.oversized)
                });
            assert_eq!(oversized, vec![None, Some(18), None], "cut at {cut}");
            assert_eq!(got[1], (2, String::new()), "cut at {cut}");
            assert!(strays.is_empty() && open.is_none());
        }
    }

    #[test]
    fn nesting_deeper_than_u32_cannot_wrap_the_depth() {
        let mut framer = JsonFramer::new(0);
        framer.depth = u32::MAX - 1;
        framer.push(b"[[[[", |_| panic!("no object"), |_| panic!("no stray"));
        assert_eq!(framer.depth, u32::MAX);
    }
}
