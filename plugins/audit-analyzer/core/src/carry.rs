//! The bounded buffer that holds the beginning of a record (a line, a framed JSON
//! object) which started in an earlier chunk. A record longer than the cap is never
//! buffered whole: once it outgrows the cap its bytes are dropped and only counted, so
//! that the caller can report it with its length.

/// The longest record (one line, or one framed JSON object) that is read: 16 MiB. A
/// longer one is reported as a problem on its line and skipped, never buffered whole.
pub const MAX_RECORD_BYTES: usize = 16 << 20;

/// A record completed by the current chunk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Completed<'a> {
    /// The whole record, at most the cap long.
    Whole(&'a [u8]),
    /// The record was longer than the cap: its length in bytes; its bytes are gone.
    Oversized(u64),
}

/// The beginning of one record that spans chunks, bounded by a cap.
#[derive(Debug)]
pub(crate) struct Carry {
    buf: Vec<u8>,
    /// Bytes of the open record already dropped because it outgrew the cap.
    dropped: Option<u64>,
    cap: usize,
}

impl Default for Carry {
    fn default() -> Self {
        Self::with_cap(MAX_RECORD_BYTES)
    }
}

impl Carry {
    pub(crate) fn with_cap(cap: usize) -> Self {
        Self {
            buf: Vec::new(),
            dropped: None,
            cap,
        }
    }

    /// Nothing held: no record is open across chunks.
    pub(crate) fn is_empty(&self) -> bool {
        self.buf.is_empty() && self.dropped.is_none()
    }

    /// Bytes the buffer has allocated; never more than the cap.
    pub(crate) fn capacity(&self) -> usize {
        self.buf.capacity()
    }

    /// Keeps `piece`, the next bytes of the open record, or drops it (and everything
    /// held) once the record is longer than the cap.
    pub(crate) fn hold(&mut self, piece: &[u8]) {
        if let Some(dropped) = &mut self.dropped {
            *dropped += piece.len() as u64;
            return;
        }
        let needed = self.buf.len() + piece.len();
        if needed > self.cap {
            self.dropped = Some(needed as u64);
            // Give the memory back: the rest of this record may be gigabytes.
            self.buf = Vec::new();
            return;
        }
        if needed > self.buf.capacity() {
            // Grow by doubling as `Vec` does, but never past the cap.
            let target = self
                .buf
                .capacity()
                .saturating_mul(2)
                .clamp(needed, self.cap);
            self.buf.reserve_exact(target - self.buf.len());
        }
        self.buf.extend_from_slice(piece);
    }

    /// Completes the record held so far with `tail` (the bytes up to its end in the
    /// current chunk) and hands it to `on_record`; the carry is empty afterwards.
    pub(crate) fn complete<R>(
        &mut self,
        tail: &[u8],
        on_record: impl FnOnce(Completed<'_>) -> R,
    ) -> R {
        self.hold(tail);
        let result = match self.dropped.take() {
            Some(length) => on_record(Completed::Oversized(length)),
            None => on_record(Completed::Whole(&self.buf)),
        };
        self.buf.clear();
        result
    }

    /// A record that starts and ends inside one chunk, checked against the same cap.
    pub(crate) fn check<'a>(&self, record: &'a [u8]) -> Completed<'a> {
        if record.len() > self.cap {
            Completed::Oversized(record.len() as u64)
        } else {
            Completed::Whole(record)
        }
    }

    /// Forgets the open record (the input ended inside it).
    pub(crate) fn clear(&mut self) {
        self.buf.clear();
        self.dropped = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_within_the_cap_is_rejoined_and_a_longer_one_only_counted() {
        let mut carry = Carry::with_cap(10);
        carry.hold(b"abc");
        carry.hold(b"def");
        let got = carry.complete(b"g", |c| format!("{c:?}"));
        assert_eq!(got, format!("{:?}", Completed::Whole(b"abcdefg")));
        assert!(carry.is_empty());

        carry.hold(b"0123456");
        carry.hold(b"789ab");
        assert_eq!(carry.capacity(), 0, "an oversized record frees the buffer");
        carry.hold(&[b'x'; 1000]);
        let got = carry.complete(b"yz", |c| match c {
            Completed::Oversized(n) => n,
            Completed::Whole(_) => panic!("kept an oversized record"),
        });
        assert_eq!(got, 7 + 5 + 1000 + 2);
        assert!(carry.is_empty());
    }

    #[test]
    fn the_buffer_never_allocates_past_the_cap() {
        let mut carry = Carry::with_cap(1000);
        for _ in 0..999 {
            carry.hold(b"a");
            assert!(carry.capacity() <= 1000);
        }
        carry.hold(b"b");
        assert_eq!(carry.capacity(), 1000);
        assert_eq!(carry.check(&[0; 1001]), Completed::Oversized(1001));
        assert_eq!(carry.check(&[0; 3]), Completed::Whole(&[0; 3]));
    }
}
