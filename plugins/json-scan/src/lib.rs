//! The bytes that end a plain run of a JSON string, found eight at a time.
//!
//! A JSON string cannot hold a quote, a backslash or a control character (below
//! U+0020) as it is. The plugin kit escapes them when it writes a plugin's output,
//! and the host's reader stops at them when it reads that output back; both look
//! for them with this one test, so the two cannot disagree.
//!
//! ```
//! assert_eq!(json_scan::first_special(b"plain text, then \"quoted\""), 17);
//! assert_eq!(json_scan::first_special(b"no special byte"), 15);
//! ```

/// Whether `byte` cannot stand as it is in a JSON string.
#[inline]
pub fn is_special(byte: u8) -> bool {
    byte < 0x20 || byte == b'"' || byte == b'\\'
}

/// The special bytes of `word` (eight bytes read little-endian), each flagged by
/// its high bit. The lowest flag marks the first special byte; flags above it may
/// be false alarms (a borrow from the flagged byte), never those below.
#[inline]
pub fn special_in_word(word: u64) -> u64 {
    // A byte is zero after the XOR exactly where it equalled the quote or the
    // backslash; subtracting one from each byte borrows into the high bit of a
    // zero byte, and of a byte below 0x20 when subtracting 0x20.
    let zero_byte = |x: u64| x.wrapping_sub(repeat(0x01)) & !x;
    let control = word.wrapping_sub(repeat(0x20)) & !word;
    (control | zero_byte(word ^ repeat(b'"')) | zero_byte(word ^ repeat(b'\\'))) & repeat(0x80)
}

/// The offset of the first special byte in `bytes`, or `bytes.len()` if none is.
#[inline]
pub fn first_special(bytes: &[u8]) -> usize {
    let mut offset = 0;
    for chunk in bytes.chunks_exact(8) {
        let word = u64::from_le_bytes(chunk.try_into().expect("chunks of eight"));
        let special = special_in_word(word);
        if special != 0 {
            return offset + (special.trailing_zeros() / 8) as usize;
        }
        offset += 8;
    }
    bytes[offset..]
        .iter()
        .position(|&byte| is_special(byte))
        .map_or(bytes.len(), |at| offset + at)
}

/// Eight copies of `byte`.
const fn repeat(byte: u8) -> u64 {
    u64::from_ne_bytes([byte; 8])
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every byte value, at every offset of texts up to 24 bytes long, after a
    /// run of plain bytes and followed by anything: the word-at-a-time answer is
    /// the byte-at-a-time one, whatever the bytes after the first special one.
    #[test]
    fn finds_the_first_special_byte_wherever_it_is() {
        for byte in 0..=u8::MAX {
            for len in 1..24 {
                for at in 0..len {
                    // Bytes after the probe are special too, to provoke false alarms.
                    let mut text = vec![b'a'; len];
                    text[at] = byte;
                    for later in &mut text[at + 1..] {
                        *later = 0x01;
                    }
                    let expected = text.iter().position(|&b| is_special(b)).unwrap_or(len);
                    assert_eq!(
                        first_special(&text),
                        expected,
                        "{byte:#04x} at {at} of {len}"
                    );
                }
            }
        }
    }

    #[test]
    fn the_lowest_flag_of_a_word_is_its_first_special_byte() {
        let word = u64::from_le_bytes(*b"ab\"\\\x1fcd\x00");
        assert_eq!(special_in_word(word).trailing_zeros() / 8, 2);
        assert_eq!(special_in_word(u64::from_le_bytes(*b"plain ok")), 0);
        assert!(
            (0x20..=0xff)
                .filter(|&b| b != b'"' && b != b'\\')
                .all(|b| !is_special(b))
        );
    }
}
