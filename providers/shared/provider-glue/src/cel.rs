//! Common Expression Language (CEL) text from checked values: Google Cloud
//! IAM conditions (`request.time < timestamp("…")`) and workload identity
//! provider attribute conditions (`assertion.repository == "…"`) are CEL.
//!
//! Values reach an expression only as string literals made by [`string`],
//! which escapes whatever could end the literal, even for values a provider
//! has already checked; timestamps are checked by [`check_timestamp`] first.
//! Grammar: cel-spec `doc/langdef.md` (string literals, escapes).

use std::fmt::Write as _;

use crate::error::{InputError, shown};

/// `text` as a double-quoted CEL string literal: `\` and `"` escaped, and
/// every character outside printable ASCII as `\uXXXX` (or `\UXXXXXXXX`).
pub fn string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            ' '..='~' => out.push(c),
            c if u32::from(c) <= 0xFFFF => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => {
                let _ = write!(out, "\\U{:08x}", u32::from(c));
            }
        }
    }
    out.push('"');
    out
}

/// `timestamp("…")` for a checked timestamp.
pub fn timestamp(checked: &str) -> String {
    format!("timestamp({})", string(checked))
}

/// `a && b && …` of expressions built here.
pub fn all(parts: &[String]) -> String {
    parts.join(" && ")
}

/// An instant in UTC as RFC 3339 with seconds and `Z`: `2027-01-31T23:59:59Z`,
/// the form IAM condition timestamps and Secret Manager's rotation times take.
/// The date must exist (leap years counted); no fractions or offsets.
pub fn check_timestamp(field: &str, text: &str) -> Result<(), InputError> {
    if is_timestamp(text) {
        return Ok(());
    }
    Err(InputError::new(
        field,
        format!(
            "`{}` is not a UTC timestamp like `2027-01-31T23:59:59Z`",
            shown(text)
        ),
    ))
}

fn is_timestamp(text: &str) -> bool {
    let bytes = text.as_bytes();
    let shape = b"dddd-dd-ddTdd:dd:ddZ";
    if bytes.len() != shape.len()
        || !bytes.iter().zip(shape).all(|(b, s)| match s {
            b'd' => b.is_ascii_digit(),
            s => b == s,
        })
    {
        return false;
    }
    let number = |range: std::ops::Range<usize>| -> u32 {
        text[range].parse().expect("digits checked above")
    };
    let (year, month, day) = (number(0..4), number(5..7), number(8..10));
    let (hour, minute, second) = (number(11..13), number(14..16), number(17..19));
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    year >= 1970 && (1..=days).contains(&day) && hour < 24 && minute < 60 && second < 60
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string_literals_cannot_be_ended_by_their_value() {
        assert_eq!(string("octo/app"), "\"octo/app\"");
        assert_eq!(string("a\"b\\c"), "\"a\\\"b\\\\c\"");
        assert_eq!(string("é\n"), "\"\\u00e9\\u000a\"");
        assert_eq!(string("🦀"), "\"\\U0001f980\"");
        assert_eq!(
            timestamp("2027-01-01T00:00:00Z"),
            "timestamp(\"2027-01-01T00:00:00Z\")"
        );
    }

    #[test]
    fn timestamps_are_real_utc_instants() {
        for good in [
            "2027-01-31T23:59:59Z",
            "2028-02-29T00:00:00Z",
            "2000-02-29T12:00:00Z",
        ] {
            assert!(check_timestamp("/t", good).is_ok(), "{good}");
        }
        for bad in [
            "2027-02-29T00:00:00Z",
            "1900-02-29T00:00:00Z",
            "2027-04-31T00:00:00Z",
            "2027-13-01T00:00:00Z",
            "2027-01-01T24:00:00Z",
            "2027-01-01T00:00:00+01:00",
            "2027-01-01T00:00:00.5Z",
            "2027-01-01 00:00:00Z",
            "2027-01-01T00:00:00z",
            "\")||true||(\"",
            "",
        ] {
            assert!(check_timestamp("/t", bad).is_err(), "{bad}");
        }
    }
}
