//! Compact JSON output, byte for byte what `serde_json::to_writer` writes, with
//! strings escaped eight bytes at a time.
//!
//! A tool's output is mostly strings (names, dates, reasons, notes), and
//! serde_json looks at every byte of a string through a table. For a 1,000-secret
//! plan that loop was a quarter of the plugin's instructions. Here each string
//! is scanned a machine word at a time for the bytes JSON must escape (`"`, `\`
//! and the controls below U+0020) and copied in runs between them. Punctuation,
//! numbers and escapes are written by serde_json's own [`CompactFormatter`], so
//! the output is the same text serde_json would write; the tests hold it to that.

use std::io;

use serde::ser::{self, Impossible, Serialize};
use serde_json::ser::{CharEscape, CompactFormatter, Formatter};

/// Appends `value` to `out` as compact JSON.
pub(crate) fn to_writer<T: Serialize + ?Sized>(
    out: &mut Vec<u8>,
    value: &T,
) -> serde_json::Result<()> {
    value.serialize(&mut Writer { out })
}

/// The serializer: an output buffer (formatting state lives in the compounds).
struct Writer<'o> {
    out: &'o mut Vec<u8>,
}

/// Writes into a `Vec`, which cannot fail; the formatter's `io::Result`s are
/// therefore always `Ok` and map to serde_json's error type for form's sake.
fn io(result: io::Result<()>) -> serde_json::Result<()> {
    result.map_err(serde_json::Error::io)
}

/// The escape JSON (as serde_json writes it) needs for `byte`, if any.
fn escape_for(byte: u8) -> Option<CharEscape> {
    Some(match byte {
        b'"' => CharEscape::Quote,
        b'\\' => CharEscape::ReverseSolidus,
        b'\n' => CharEscape::LineFeed,
        b'\r' => CharEscape::CarriageReturn,
        b'\t' => CharEscape::Tab,
        0x08 => CharEscape::Backspace,
        0x0C => CharEscape::FormFeed,
        0x00..0x20 => CharEscape::AsciiControl(byte),
        _ => return None,
    })
}

/// Appends `text` as a JSON string.
fn write_str(out: &mut Vec<u8>, text: &str) -> serde_json::Result<()> {
    let bytes = text.as_bytes();
    out.reserve(bytes.len() + 2);
    out.push(b'"');
    // `bytes[run..]` is not written yet; escapes only come after it.
    let mut run = 0;
    while let Some(at) = find_escape(bytes, run) {
        out.extend_from_slice(&bytes[run..at]);
        if let Some(escape) = escape_for(bytes[at]) {
            io(CompactFormatter.write_char_escape(out, escape))?;
        } else {
            out.push(bytes[at]);
        }
        run = at + 1;
    }
    out.extend_from_slice(&bytes[run..]);
    out.push(b'"');
    Ok(())
}

/// The first byte at or after `from` that may need escaping: exactly the first
/// that does, unless a false alarm comes before it (the caller copies those).
fn find_escape(bytes: &[u8], from: usize) -> Option<usize> {
    let word_at = |at: usize| u64::from_le_bytes(bytes[at..at + 8].try_into().expect("8 bytes"));
    // Little-endian: the lowest flagged byte of a word is the first, and never a
    // false alarm (those arise only above a byte that does need escaping).
    let first = |special: u64| special.trailing_zeros() as usize / 8;
    let mut at = from;
    while at + 8 <= bytes.len() {
        let special = json_scan::special_in_word(word_at(at));
        if special != 0 {
            return Some(at + first(special));
        }
        at += 8;
    }
    let left = bytes.len() - at;
    if left == 0 {
        return None;
    }
    if bytes.len() >= 8 {
        // The last eight bytes, with the `8 - left` before `at` masked off. A byte
        // flagged among them can still be a false alarm, after an escape there.
        let start = bytes.len() - 8;
        let special = json_scan::special_in_word(word_at(start)) & (u64::MAX << ((8 - left) * 8));
        (special != 0).then(|| start + first(special))
    } else {
        // A string shorter than a word: byte by byte is quicker than assembling one.
        bytes[at..]
            .iter()
            .position(|&byte| json_scan::is_special(byte))
            .map(|i| at + i)
    }
}

/// The `serialize_*` method of every integer type: `|serializer, write, value|
/// body`, where `write(out, value)` is serde_json's formatter for that type.
macro_rules! integers {
    (|$writer:ident, $method:ident, $value:ident| $body:expr) => {
        integers!(@each |$writer, $method, $value| $body;
            serialize_i8: i8 => write_i8, serialize_i16: i16 => write_i16,
            serialize_i32: i32 => write_i32, serialize_i64: i64 => write_i64,
            serialize_i128: i128 => write_i128, serialize_u8: u8 => write_u8,
            serialize_u16: u16 => write_u16, serialize_u32: u32 => write_u32,
            serialize_u64: u64 => write_u64, serialize_u128: u128 => write_u128);
    };
    (@each |$writer:ident, $method:ident, $value:ident| $body:expr;
        $($name:ident: $type:ty => $write:ident),*) => {$(
        fn $name(self, $value: $type) -> serde_json::Result<()> {
            let $writer = self;
            let $method = |out: &mut Vec<u8>, value: $type| CompactFormatter.$write(out, value);
            $body
        }
    )*};
}

impl<'w, 'o> ser::Serializer for &'w mut Writer<'o> {
    type Ok = ();
    type Error = serde_json::Error;
    type SerializeSeq = Compound<'w, 'o>;
    type SerializeTuple = Compound<'w, 'o>;
    type SerializeTupleStruct = Compound<'w, 'o>;
    type SerializeTupleVariant = Compound<'w, 'o>;
    type SerializeMap = Compound<'w, 'o>;
    type SerializeStruct = Compound<'w, 'o>;
    type SerializeStructVariant = Compound<'w, 'o>;

    fn serialize_bool(self, value: bool) -> serde_json::Result<()> {
        io(CompactFormatter.write_bool(self.out, value))
    }
    integers!(|writer, write, value| io(write(writer.out, value)));
    fn serialize_f32(self, value: f32) -> serde_json::Result<()> {
        if !value.is_finite() {
            return self.serialize_unit();
        }
        io(CompactFormatter.write_f32(self.out, value))
    }
    fn serialize_f64(self, value: f64) -> serde_json::Result<()> {
        if !value.is_finite() {
            return self.serialize_unit();
        }
        io(CompactFormatter.write_f64(self.out, value))
    }
    fn serialize_char(self, value: char) -> serde_json::Result<()> {
        write_str(self.out, value.encode_utf8(&mut [0; 4]))
    }
    fn serialize_str(self, value: &str) -> serde_json::Result<()> {
        write_str(self.out, value)
    }
    fn serialize_bytes(self, value: &[u8]) -> serde_json::Result<()> {
        io(CompactFormatter.write_byte_array(self.out, value))
    }
    fn serialize_none(self) -> serde_json::Result<()> {
        self.serialize_unit()
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> serde_json::Result<()> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> serde_json::Result<()> {
        io(CompactFormatter.write_null(self.out))
    }
    fn serialize_unit_struct(self, _name: &'static str) -> serde_json::Result<()> {
        self.serialize_unit()
    }
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> serde_json::Result<()> {
        write_str(self.out, variant)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> serde_json::Result<()> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> serde_json::Result<()> {
        self.out.push(b'{');
        write_str(self.out, variant)?;
        self.out.push(b':');
        value.serialize(&mut *self)?;
        self.out.push(b'}');
        Ok(())
    }
    fn serialize_seq(self, _len: Option<usize>) -> serde_json::Result<Compound<'w, 'o>> {
        Ok(Compound::open(self, b'[', false))
    }
    fn serialize_tuple(self, len: usize) -> serde_json::Result<Compound<'w, 'o>> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        len: usize,
    ) -> serde_json::Result<Compound<'w, 'o>> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> serde_json::Result<Compound<'w, 'o>> {
        Ok(Compound::open_variant(self, variant, b'['))
    }
    fn serialize_map(self, _len: Option<usize>) -> serde_json::Result<Compound<'w, 'o>> {
        Ok(Compound::open(self, b'{', false))
    }
    fn serialize_struct(
        self,
        _name: &'static str,
        len: usize,
    ) -> serde_json::Result<Compound<'w, 'o>> {
        self.serialize_map(Some(len))
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> serde_json::Result<Compound<'w, 'o>> {
        Ok(Compound::open_variant(self, variant, b'{'))
    }
}

/// An array or object being written; enum variants wrap it in `{"variant":…}`.
struct Compound<'w, 'o> {
    writer: &'w mut Writer<'o>,
    /// No member written yet, so no comma before the next.
    first: bool,
    /// `]` or `}`.
    close: u8,
    /// Whether a `{"variant":` wrapper must be closed too.
    in_variant: bool,
}

impl<'w, 'o> Compound<'w, 'o> {
    fn open(writer: &'w mut Writer<'o>, open: u8, in_variant: bool) -> Self {
        writer.out.push(open);
        Compound {
            writer,
            first: true,
            close: if open == b'[' { b']' } else { b'}' },
            in_variant,
        }
    }

    fn open_variant(writer: &'w mut Writer<'o>, variant: &str, open: u8) -> Self {
        writer.out.push(b'{');
        // Writing into a `Vec` cannot fail.
        let _ = write_str(writer.out, variant);
        writer.out.push(b':');
        Self::open(writer, open, true)
    }

    fn comma(&mut self) {
        if !std::mem::take(&mut self.first) {
            self.writer.out.push(b',');
        }
    }

    fn element<T: Serialize + ?Sized>(&mut self, value: &T) -> serde_json::Result<()> {
        self.comma();
        value.serialize(&mut *self.writer)
    }

    fn field<T: Serialize + ?Sized>(&mut self, key: &str, value: &T) -> serde_json::Result<()> {
        self.comma();
        write_str(self.writer.out, key)?;
        self.writer.out.push(b':');
        value.serialize(&mut *self.writer)
    }

    fn close(self) -> serde_json::Result<()> {
        self.writer.out.push(self.close);
        if self.in_variant {
            self.writer.out.push(b'}');
        }
        Ok(())
    }
}

/// The compounds whose elements need no key: arrays, tuples, tuple variants.
macro_rules! elements {
    ($($compound:ident::$method:ident),*) => {$(
        impl ser::$compound for Compound<'_, '_> {
            type Ok = ();
            type Error = serde_json::Error;
            fn $method<T: Serialize + ?Sized>(&mut self, value: &T) -> serde_json::Result<()> {
                self.element(value)
            }
            fn end(self) -> serde_json::Result<()> {
                self.close()
            }
        }
    )*};
}
elements!(
    SerializeSeq::serialize_element,
    SerializeTuple::serialize_element,
    SerializeTupleStruct::serialize_field,
    SerializeTupleVariant::serialize_field
);

/// The compounds whose members are named by the type: structs, struct variants.
macro_rules! fields {
    ($($compound:ident),*) => {$(
        impl ser::$compound for Compound<'_, '_> {
            type Ok = ();
            type Error = serde_json::Error;
            fn serialize_field<T: Serialize + ?Sized>(
                &mut self,
                key: &'static str,
                value: &T,
            ) -> serde_json::Result<()> {
                self.field(key, value)
            }
            fn end(self) -> serde_json::Result<()> {
                self.close()
            }
        }
    )*};
}
fields!(SerializeStruct, SerializeStructVariant);

impl ser::SerializeMap for Compound<'_, '_> {
    type Ok = ();
    type Error = serde_json::Error;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> serde_json::Result<()> {
        self.comma();
        key.serialize(KeyWriter(self.writer.out))?;
        self.writer.out.push(b':');
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> serde_json::Result<()> {
        value.serialize(&mut *self.writer)
    }
    fn end(self) -> serde_json::Result<()> {
        self.close()
    }
}

/// Writes an object key: a string, or (as serde_json does) a number, boolean or
/// character in quotes; anything else is an error.
struct KeyWriter<'a>(&'a mut Vec<u8>);

impl KeyWriter<'_> {
    fn quoted(self, write: impl FnOnce(&mut Vec<u8>) -> io::Result<()>) -> serde_json::Result<()> {
        self.0.push(b'"');
        io(write(self.0))?;
        self.0.push(b'"');
        Ok(())
    }
}

fn key_must_be_a_string() -> serde_json::Error {
    ser::Error::custom("key must be a string")
}

impl ser::Serializer for KeyWriter<'_> {
    type Ok = ();
    type Error = serde_json::Error;
    type SerializeSeq = Impossible<(), serde_json::Error>;
    type SerializeTuple = Impossible<(), serde_json::Error>;
    type SerializeTupleStruct = Impossible<(), serde_json::Error>;
    type SerializeTupleVariant = Impossible<(), serde_json::Error>;
    type SerializeMap = Impossible<(), serde_json::Error>;
    type SerializeStruct = Impossible<(), serde_json::Error>;
    type SerializeStructVariant = Impossible<(), serde_json::Error>;

    fn serialize_str(self, value: &str) -> serde_json::Result<()> {
        write_str(self.0, value)
    }
    fn serialize_char(self, value: char) -> serde_json::Result<()> {
        write_str(self.0, value.encode_utf8(&mut [0; 4]))
    }
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> serde_json::Result<()> {
        write_str(self.0, variant)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> serde_json::Result<()> {
        value.serialize(self)
    }
    fn serialize_bool(self, value: bool) -> serde_json::Result<()> {
        self.quoted(|out| CompactFormatter.write_bool(out, value))
    }
    integers!(|writer, write, value| writer.quoted(|out| write(out, value)));
    fn serialize_f32(self, value: f32) -> serde_json::Result<()> {
        if !value.is_finite() {
            return Err(ser::Error::custom(
                "float key must be finite (got NaN or +/-inf)",
            ));
        }
        self.quoted(|out| CompactFormatter.write_f32(out, value))
    }
    fn serialize_f64(self, value: f64) -> serde_json::Result<()> {
        if !value.is_finite() {
            return Err(ser::Error::custom(
                "float key must be finite (got NaN or +/-inf)",
            ));
        }
        self.quoted(|out| CompactFormatter.write_f64(out, value))
    }
    fn serialize_bytes(self, _value: &[u8]) -> serde_json::Result<()> {
        Err(key_must_be_a_string())
    }
    fn serialize_none(self) -> serde_json::Result<()> {
        Err(key_must_be_a_string())
    }
    fn serialize_some<T: Serialize + ?Sized>(self, _value: &T) -> serde_json::Result<()> {
        Err(key_must_be_a_string())
    }
    fn serialize_unit(self) -> serde_json::Result<()> {
        Err(key_must_be_a_string())
    }
    fn serialize_unit_struct(self, _name: &'static str) -> serde_json::Result<()> {
        Err(key_must_be_a_string())
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _value: &T,
    ) -> serde_json::Result<()> {
        Err(key_must_be_a_string())
    }
    fn serialize_seq(self, _len: Option<usize>) -> serde_json::Result<Self::SerializeSeq> {
        Err(key_must_be_a_string())
    }
    fn serialize_tuple(self, _len: usize) -> serde_json::Result<Self::SerializeTuple> {
        Err(key_must_be_a_string())
    }
    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> serde_json::Result<Self::SerializeTupleStruct> {
        Err(key_must_be_a_string())
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> serde_json::Result<Self::SerializeTupleVariant> {
        Err(key_must_be_a_string())
    }
    fn serialize_map(self, _len: Option<usize>) -> serde_json::Result<Self::SerializeMap> {
        Err(key_must_be_a_string())
    }
    fn serialize_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> serde_json::Result<Self::SerializeStruct> {
        Err(key_must_be_a_string())
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> serde_json::Result<Self::SerializeStructVariant> {
        Err(key_must_be_a_string())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde::Serialize;
    use serde_json::json;

    use super::to_writer;

    /// What this module writes, and what serde_json writes, for `value`.
    fn both<T: Serialize + ?Sized>(value: &T) -> (String, String) {
        let mut ours = Vec::new();
        to_writer(&mut ours, value).unwrap();
        let theirs = serde_json::to_string(value).unwrap();
        (String::from_utf8(ours).unwrap(), theirs)
    }

    fn same<T: Serialize + ?Sized>(value: &T) {
        let (ours, theirs) = both(value);
        assert_eq!(ours, theirs);
    }

    #[test]
    fn every_character_is_escaped_as_serde_json_escapes_it() {
        for code in (0..0x300).chain([0x2028, 0x2029, 0xFEFF, 0x1F600]) {
            let c = char::from_u32(code).unwrap();
            same(&c);
            same(&c.to_string());
        }
    }

    #[test]
    fn an_escape_is_found_at_every_offset_of_a_word_and_after() {
        // Escapes before, inside, across and after each eight-byte word, next to
        // multi-byte characters and to bytes just above the controls.
        // A control borrows into the byte above it in the word arithmetic: a
        // space there is flagged too, wrongly, and must be written as it is.
        let specials = [
            "\"", "\\", "\n", "\u{1}", "\u{1f}", " ", "\u{7f}", "é", "€", "\u{a0}", "\u{1} ",
            "\u{0}!",
        ];
        for len in 0..40 {
            for at in 0..len {
                for special in specials {
                    let mut text: String = "abcdefghijklmnopqrstuvwxyz0123456789ABCD"[..len].into();
                    text.replace_range(at..at + 1, special);
                    same(&text);
                }
            }
        }
    }

    #[test]
    fn pseudo_random_strings_match_serde_json() {
        let alphabet: Vec<char> = "aZ09 \"\\\n\t\r\u{8}\u{c}\u{0}\u{1f}\u{7f}é€😀\u{200b}<>&'/"
            .chars()
            .collect();
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        for _ in 0..2_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let len = (state % 70) as usize;
            let text: String = (0..len)
                .map(|i| alphabet[((state >> (i % 50)) as usize + i * 7) % alphabet.len()])
                .collect();
            same(&text);
        }
    }

    #[derive(Serialize)]
    enum Shape {
        Unit,
        Newtype(u8),
        Tuple(i32, String),
        Struct { width: f64, label: Option<String> },
    }

    #[derive(Serialize)]
    struct Everything<'a> {
        flag: bool,
        small: i8,
        large: u128,
        negative: i128,
        float: f32,
        not_finite: [f64; 3],
        letter: char,
        #[serde(with = "serde_bytes_as_slice")]
        raw: &'a [u8],
        none: Option<u8>,
        unit: (),
        empty: Vec<u8>,
        shapes: Vec<Shape>,
        tuple: (u8, &'a str),
        numbers: BTreeMap<i64, bool>,
        flags: BTreeMap<bool, u8>,
        letters: BTreeMap<char, u8>,
        floats: BTreeMap<u64, f64>,
        value: serde_json::Value,
    }

    /// Serializes a byte slice through `serialize_bytes`, as `serde_bytes` would.
    mod serde_bytes_as_slice {
        pub fn serialize<S: serde::Serializer>(bytes: &&[u8], s: S) -> Result<S::Ok, S::Error> {
            s.serialize_bytes(bytes)
        }
    }

    #[test]
    fn every_kind_of_value_is_written_as_serde_json_writes_it() {
        let value = Everything {
            flag: true,
            small: -128,
            large: u128::MAX,
            negative: i128::MIN,
            float: 0.1,
            not_finite: [f64::NAN, f64::INFINITY, -0.0],
            letter: '"',
            raw: &[0, 127, 255],
            none: None,
            unit: (),
            empty: Vec::new(),
            shapes: vec![
                Shape::Unit,
                Shape::Newtype(7),
                Shape::Tuple(-1, "t\"u".into()),
                Shape::Struct {
                    width: 1e300,
                    label: None,
                },
                Shape::Struct {
                    width: 2.5,
                    label: Some("w".into()),
                },
            ],
            tuple: (1, "one"),
            numbers: [(-5, true), (i64::MAX, false)].into(),
            flags: [(false, 0), (true, 1)].into(),
            letters: [('\n', 1), ('k', 2)].into(),
            floats: [(1, 1.0), (2, 1.5e-7)].into(),
            value: json!({"nested": [null, 1, -2.5, "x\u{1}", {"": []}], "b": {}}),
        };
        same(&value);
    }

    #[test]
    fn keys_that_are_not_strings_or_scalars_are_refused_as_serde_json_refuses_them() {
        let mut out = Vec::new();
        let by_list: BTreeMap<Vec<u8>, u8> = [(vec![1], 1)].into();
        let ours = to_writer(&mut out, &by_list).unwrap_err();
        let theirs = serde_json::to_string(&by_list).unwrap_err();
        assert_eq!(ours.to_string(), theirs.to_string());

        struct FloatKeys(f64);
        impl Serialize for FloatKeys {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_map([(self.0, 1)])
            }
        }
        same(&FloatKeys(0.5));
        let ours = to_writer(&mut out, &FloatKeys(f64::NAN)).unwrap_err();
        let theirs = serde_json::to_string(&FloatKeys(f64::NAN)).unwrap_err();
        assert_eq!(ours.to_string(), theirs.to_string());
    }
}
