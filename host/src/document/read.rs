//! Reading JSON text (RFC 8259) onto a [`Document`]'s tape.
//!
//! Written for the one job, rather than driven through serde: a plugin's output
//! is read on every call, and here it is one loop over the bytes with an explicit
//! stack of open containers, strings scanned eight bytes at a time (by the same
//! test the plugin kit's writer escapes with, in `json-scan`), and no visitor
//! between the reader and the tape. It accepts exactly what serde_json accepts
//! (the tests compare the two on valid and invalid texts alike), and it says
//! where an error is as serde_json does.

use std::fmt;

use super::{Builder, Document, Kind};

/// How deep containers may nest (as in serde_json, which counts down from 128
/// and stops at zero): deeper output is refused rather than left for the
/// validator to recurse through.
const MAX_DEPTH: usize = 127;

const CONTROL_CHARACTER: &str = "control character (\\u0000-\\u001F) found while parsing a string";

/// Why a text is not JSON, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    message: &'static str,
    /// Where: see [`Reader::error_after`].
    line: usize,
    column: usize,
}

impl SyntaxError {
    /// The line the error is on, from 1.
    pub fn line(&self) -> usize {
        self.line
    }

    /// The column (in bytes) the error is at, from 1; 0 for a line feed.
    pub fn column(&self) -> usize {
        self.column
    }
}

impl fmt::Display for SyntaxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} at line {} column {}",
            self.message, self.line, self.column
        )
    }
}

impl std::error::Error for SyntaxError {}

/// A container being read: where its slot is, and how many members so far.
struct Open {
    slot: usize,
    members: usize,
    object: bool,
}

impl Open {
    /// The byte that closes it.
    fn closer(&self) -> u8 {
        if self.object { b'}' } else { b']' }
    }
}

struct Reader<'d, 't> {
    builder: Builder<'d, 't>,
    text: &'t str,
    bytes: &'t [u8],
    pos: usize,
}

/// Reads the whole of the document's text onto its tape.
pub(super) fn read(document: &mut Document<'_>) -> Result<(), SyntaxError> {
    let text = document.text;
    if u32::try_from(text.len()).is_err() {
        return Err(SyntaxError {
            message: "a JSON text over 4 GiB",
            line: 1,
            column: 1,
        });
    }
    let mut reader = Reader {
        builder: Builder(document),
        text,
        bytes: text.as_bytes(),
        pos: 0,
    };
    reader.document()
}

impl Reader<'_, '_> {
    fn document(&mut self) -> Result<(), SyntaxError> {
        let mut open: Vec<Open> = Vec::new();
        'value: loop {
            self.skip_whitespace();
            match self.peek() {
                Some(opener @ (b'{' | b'[')) => {
                    if open.len() == MAX_DEPTH {
                        return Err(self.error("recursion limit exceeded"));
                    }
                    self.pos += 1;
                    let object = opener == b'{';
                    let kind = if object { Kind::Object } else { Kind::Array };
                    let container = Open {
                        slot: self.builder.open(kind),
                        members: 0,
                        object,
                    };
                    self.skip_whitespace();
                    if self.peek() == Some(container.closer()) {
                        self.pos += 1;
                        self.builder.close(container.slot, 0);
                    } else {
                        if object {
                            self.key()?;
                        }
                        open.push(container);
                        continue 'value;
                    }
                }
                Some(b'"') => self.string()?,
                Some(b'-' | b'0'..=b'9') => self.number()?,
                Some(b't') => self.literal(b"true", Kind::True)?,
                Some(b'f') => self.literal(b"false", Kind::False)?,
                Some(b'n') => self.literal(b"null", Kind::Null)?,
                Some(b']')
                    if open
                        .last()
                        .is_some_and(|top| !top.object && top.members > 0) =>
                {
                    return Err(self.error("trailing comma"));
                }
                Some(_) => return Err(self.error("expected value")),
                None => return Err(self.error("EOF while parsing a value")),
            }
            // A value has ended: it is a member of the innermost open container,
            // which either goes on or closes (and is then a value itself).
            while let Some(top) = open.last_mut() {
                top.members += 1;
                self.skip_whitespace();
                match self.peek() {
                    Some(b',') => {
                        self.pos += 1;
                        if top.object {
                            self.skip_whitespace();
                            self.key()?;
                        }
                        continue 'value;
                    }
                    Some(byte) if byte == top.closer() => {
                        self.pos += 1;
                        self.builder.close(top.slot, top.members);
                        open.pop();
                    }
                    Some(_) if top.object => {
                        return Err(self.error("expected `,` or `}`"));
                    }
                    Some(_) => return Err(self.error("expected `,` or `]`")),
                    None if top.object => return Err(self.error("EOF while parsing an object")),
                    None => return Err(self.error("EOF while parsing a list")),
                }
            }
            self.skip_whitespace();
            return match self.peek() {
                None => Ok(()),
                Some(_) => Err(self.error("trailing characters")),
            };
        }
    }

    /// An object's key and the colon after it.
    fn key(&mut self) -> Result<(), SyntaxError> {
        match self.peek() {
            Some(b'"') => self.string()?,
            // An empty object is read before any key: a brace here follows a comma.
            Some(b'}') => return Err(self.error("trailing comma")),
            Some(_) => return Err(self.error("key must be a string")),
            None => return Err(self.error("EOF while parsing an object")),
        }
        self.skip_whitespace();
        match self.peek() {
            Some(b':') => {
                self.pos += 1;
                Ok(())
            }
            Some(_) => Err(self.error("expected `:`")),
            None => Err(self.error("EOF while parsing an object")),
        }
    }

    #[inline]
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    #[inline]
    fn skip_whitespace(&mut self) {
        while let Some(b' ' | b'\n' | b'\t' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    fn literal(&mut self, word: &[u8], kind: Kind) -> Result<(), SyntaxError> {
        for &expected in word {
            match self.peek() {
                Some(byte) if byte == expected => self.pos += 1,
                Some(_) => return Err(self.error("expected ident")),
                None => return Err(self.error("EOF while parsing a value")),
            }
        }
        self.builder.push_scalar(kind);
        Ok(())
    }

    /// A string, from its opening quote. One without escapes stays in the text.
    fn string(&mut self) -> Result<(), SyntaxError> {
        self.pos += 1;
        let start = self.pos;
        self.pos = start + json_scan::first_special(&self.bytes[start..]);
        match self.peek() {
            Some(b'"') => {
                self.builder
                    .push_string(Kind::Text, self.pos - start, start);
                self.pos += 1;
                Ok(())
            }
            Some(b'\\') => self.escaped_string(start),
            Some(_) => Err(self.error(CONTROL_CHARACTER)),
            None => Err(self.error("EOF while parsing a string")),
        }
    }

    /// The rest of a string that has an escape at `self.pos`, decoded.
    fn escaped_string(&mut self, start: usize) -> Result<(), SyntaxError> {
        let text = self.text;
        let mut decoded = String::from(&text[start..self.pos]);
        loop {
            match self.peek() {
                Some(b'"') => break,
                Some(b'\\') => {
                    self.pos += 1;
                    self.escape(&mut decoded)?;
                }
                Some(_) => {
                    return Err(self.error(CONTROL_CHARACTER));
                }
                None => return Err(self.error("EOF while parsing a string")),
            }
            let run = self.pos;
            self.pos = run + json_scan::first_special(&self.bytes[run..]);
            decoded.push_str(&text[run..self.pos]);
        }
        self.pos += 1;
        self.builder.push_decoded(&decoded);
        Ok(())
    }

    /// One escape, after its backslash.
    fn escape(&mut self, decoded: &mut String) -> Result<(), SyntaxError> {
        let Some(byte) = self.peek() else {
            return Err(self.error("EOF while parsing a string"));
        };
        self.pos += 1;
        let plain = match byte {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => return self.unicode_escape(decoded),
            _ => {
                self.pos -= 1;
                return Err(self.error("invalid escape"));
            }
        };
        decoded.push(plain);
        Ok(())
    }

    /// `\uXXXX`, after the `u`: a character, or a surrogate pair spelled as two.
    fn unicode_escape(&mut self, decoded: &mut String) -> Result<(), SyntaxError> {
        let first = self.hex4()?;
        let code = match first {
            0xD800..=0xDBFF => {
                if self.bytes.get(self.pos..self.pos + 2) != Some(b"\\u") {
                    return Err(self.error("unexpected end of hex escape"));
                }
                self.pos += 2;
                let second = self.hex4()?;
                if !(0xDC00..=0xDFFF).contains(&second) {
                    return Err(self.error_after(self.pos, "lone leading surrogate in hex escape"));
                }
                0x10000 + ((u32::from(first) - 0xD800) << 10) + (u32::from(second) - 0xDC00)
            }
            0xDC00..=0xDFFF => {
                return Err(self.error_after(self.pos, "lone trailing surrogate in hex escape"));
            }
            _ => u32::from(first),
        };
        // Surrogates are handled above, so every other code is a character.
        decoded.push(char::from_u32(code).unwrap_or(char::REPLACEMENT_CHARACTER));
        Ok(())
    }

    /// Four hex digits. Like serde_json, it reads all four before it objects to one.
    fn hex4(&mut self) -> Result<u16, SyntaxError> {
        let Some(digits) = self.bytes.get(self.pos..self.pos + 4) else {
            self.pos = self.bytes.len();
            return Err(self.error("EOF while parsing a string"));
        };
        self.pos += 4;
        let mut value = 0u16;
        for &digit in digits {
            let nibble = match digit {
                b'0'..=b'9' => digit - b'0',
                b'a'..=b'f' => digit - b'a' + 10,
                b'A'..=b'F' => digit - b'A' + 10,
                _ => return Err(self.error_after(self.pos, "invalid escape")),
            };
            value = value << 4 | u16::from(nibble);
        }
        Ok(value)
    }

    /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`, kept as serde_json
    /// keeps it: an integer as u64 or i64 where it fits, anything else as f64.
    fn number(&mut self) -> Result<(), SyntaxError> {
        let start = self.pos;
        let negative = self.peek() == Some(b'-');
        if negative {
            self.pos += 1;
        }
        let mut magnitude: Option<u64> = Some(0);
        match self.peek() {
            Some(b'0') => {
                self.pos += 1;
                if let Some(b'0'..=b'9') = self.peek() {
                    return Err(self.error("invalid number"));
                }
            }
            Some(b'1'..=b'9') => {
                while let Some(digit @ b'0'..=b'9') = self.peek() {
                    magnitude = magnitude
                        .and_then(|m| m.checked_mul(10))
                        .and_then(|m| m.checked_add(u64::from(digit - b'0')));
                    self.pos += 1;
                }
            }
            Some(_) => return Err(self.error("invalid number")),
            None => return Err(self.error("EOF while parsing a value")),
        }
        let mut integer = true;
        if self.peek() == Some(b'.') {
            integer = false;
            self.pos += 1;
            self.digits()?;
        }
        if let Some(b'e' | b'E') = self.peek() {
            integer = false;
            self.pos += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.pos += 1;
            }
            self.digits()?;
        }
        match (integer, magnitude) {
            (true, Some(value)) if !negative => self.builder.push_number(Kind::PosInt, value),
            // -0 is a float to serde_json, as is anything below i64::MIN.
            (true, Some(value)) if value != 0 && value <= 1 << 63 => {
                self.builder
                    .push_number(Kind::NegInt, (value as i64).wrapping_neg() as u64);
            }
            _ => {
                let text = &self.text[start..self.pos];
                let value: f64 = text.parse().map_err(|_| self.error("invalid number"))?;
                if !value.is_finite() {
                    return Err(self.error_after(self.pos, "number out of range"));
                }
                self.builder.push_number(Kind::Float, value.to_bits());
            }
        }
        Ok(())
    }

    /// One or more digits, of a fraction or an exponent.
    fn digits(&mut self) -> Result<(), SyntaxError> {
        match self.peek() {
            Some(b'0'..=b'9') => {}
            Some(_) => return Err(self.error("invalid number")),
            None => return Err(self.error("EOF while parsing a value")),
        }
        while let Some(b'0'..=b'9') = self.peek() {
            self.pos += 1;
        }
        Ok(())
    }

    /// An error at the current byte (or the end of the text).
    #[cold]
    fn error(&self, message: &'static str) -> SyntaxError {
        self.error_after((self.pos + 1).min(self.bytes.len()), message)
    }

    /// An error found on reading the bytes before `end`. Its place is given as
    /// serde_json gives it: the line and column of the last byte read, the column
    /// counting bytes from 1 (0 when that byte is a line feed).
    #[cold]
    fn error_after(&self, end: usize, message: &'static str) -> SyntaxError {
        let read = &self.bytes[..end];
        let line_start = read
            .iter()
            .rposition(|&byte| byte == b'\n')
            .map_or(0, |newline| newline + 1);
        SyntaxError {
            message,
            line: 1 + read.iter().filter(|&&byte| byte == b'\n').count(),
            column: end - line_start,
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use serde_json::Value;

    use super::super::{Document, to_value};

    /// Both readers agree: the same value, or an error at the same place. (A
    /// number out of range is refused by both, but serde_json may stop reading
    /// its exponent earlier: there only the line must match.)
    fn agree(text: &str) {
        let ours = Document::parse(text).map(|document| to_value(document.root()));
        let reference = serde_json::from_str::<Value>(text);
        match (ours, reference) {
            (Ok(ours), Ok(reference)) => assert_eq!(ours, reference, "{text:?}"),
            (Err(ours), Err(reference)) if ours.message == "number out of range" => {
                assert_eq!(
                    ours.line(),
                    reference.line(),
                    "{text:?}: {ours} / {reference}"
                );
            }
            (Err(ours), Err(reference)) => assert_eq!(
                (ours.line(), ours.column()),
                (reference.line(), reference.column()),
                "{text:?}: {ours} / {reference}"
            ),
            (ours, reference) => panic!("{text:?}: ours {ours:?}, serde_json {reference:?}"),
        }
    }

    #[test]
    fn numbers_are_read_and_refused_as_serde_json_does() {
        for text in [
            "0",
            "-0",
            "7",
            "-7",
            "1.0",
            "-0.0",
            "1e5",
            "1E+5",
            "1e-5",
            "2.5E-3",
            "-1.5e-300",
            "18446744073709551615",
            "18446744073709551616",
            "-9223372036854775808",
            "-9223372036854775809",
            "4294967295",
            "4294967296",
            "1e-400",
            "1e400",
            "-1e400",
            "123456789012345678901234567890",
            "0.1",
            "1.7976931348623157e308",
            "01",
            "-",
            "-a",
            "1.",
            ".1",
            "1e",
            "1e+",
            "+1",
            "1.e5",
            "--1",
            "0x10",
            "1 2",
            "[01]",
        ] {
            agree(text);
        }
    }

    #[test]
    fn strings_are_read_and_refused_as_serde_json_does() {
        for text in [
            r#""""#,
            r#""plain""#,
            r#""\"\\\/\b\f\n\r\t""#,
            r#""\u00e9\u00E9""#,
            r#""é€😀""#,
            r#""\ud83d\ude00""#,
            r#""a\u0000b""#,
            r#""\ud800""#,
            r#""\udc00""#,
            r#""\ud800\u0041""#,
            r#""\ud800x""#,
            r#""\x""#,
            r#""\u12""#,
            r#""\u12g4""#,
            "\"tab\there\"",
            "\"line\nbreak\"",
            "\"\u{1f}\"",
            "\"\u{7f}\"",
            r#""open"#,
            r#""esc\"#,
            r#""0123456789abcdef\"0123456789abcdef""#,
        ] {
            agree(text);
        }
    }

    #[test]
    fn structure_is_read_and_refused_as_serde_json_does() {
        for text in [
            "",
            " ",
            "null",
            " true ",
            "false",
            "nul",
            "nulll",
            "tru",
            "True",
            "[]",
            "{}",
            "[1,]",
            "[,1]",
            "[1 2]",
            "[1,,2]",
            "{,}",
            r#"{"a":1,}"#,
            r#"{"a" 1}"#,
            r#"{"a":}"#,
            "{1:2}",
            r#"{"a":1 "b":2}"#,
            "[",
            "]",
            "{",
            r#"{"a""#,
            r#"{"a":"#,
            r#"[1"#,
            "[1]x",
            "[] []",
            "\n\t\r [ 1 , { \"a\" : [ ] } ]\r\n",
            "[\u{a0}1]",
            "\u{feff}1",
            r#"{"k":1,"k":2}"#,
            "[1]\n\n{",
            "{\n\"a\": tru\n}",
        ] {
            agree(text);
        }
    }

    #[test]
    fn nesting_stops_where_serde_json_stops() {
        for depth in [127, 128, 129, 500] {
            agree(&format!("{}{}", "[".repeat(depth), "]".repeat(depth)));
            agree(&format!(
                "{}1{}",
                r#"{"a":"#.repeat(depth),
                "}".repeat(depth)
            ));
        }
    }

    #[test]
    fn errors_say_what_and_where() {
        let error = Document::parse("{\n  \"a\": [1,]\n}").unwrap_err();
        assert_eq!(error.to_string(), "trailing comma at line 2 column 11");
        let error = Document::parse("[1 2]").unwrap_err();
        assert_eq!(error.to_string(), "expected `,` or `]` at line 1 column 4");
        let error = Document::parse(r#"{"a": "\ud800\u0041"}"#).unwrap_err();
        assert!(error.to_string().contains("surrogate"), "{error}");
    }

    fn json_value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<u64>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            any::<f64>()
                .prop_filter("finite", |f| f.is_finite())
                .prop_map(Value::from),
            any::<String>().prop_map(Value::String),
            "[a-z\"\\\\/\u{0}-\u{1f}é😀]{0,20}".prop_map(Value::String),
        ];
        leaf.prop_recursive(4, 64, 8, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
                prop::collection::vec((any::<String>(), inner), 0..8)
                    .prop_map(|members| Value::Object(members.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #[test]
        fn any_value_reads_back_as_itself(value in json_value()) {
            agree(&value.to_string());
            agree(&serde_json::to_string_pretty(&value).unwrap());
        }

        /// A byte changed, dropped or doubled anywhere is refused exactly when
        /// serde_json refuses it.
        #[test]
        fn damaged_texts_are_refused_as_serde_json_refuses_them(
            value in json_value(),
            at in any::<prop::sample::Index>(),
            byte in prop::sample::select(b"\"\\{}[],:.-+eE0159tfnu \n/".to_vec()),
            how in 0..3u8,
        ) {
            let mut bytes = value.to_string().into_bytes();
            let at = at.index(bytes.len());
            match how {
                0 => bytes[at] = byte,
                1 => { bytes.remove(at); }
                _ => bytes.insert(at, bytes[at]),
            }
            if let Ok(text) = std::str::from_utf8(&bytes) {
                agree(text);
            }
        }
    }
}
