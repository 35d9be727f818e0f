//! Common Expression Language (CEL) text from checked values: Google Cloud
//! IAM conditions (`request.time < timestamp("…")`) and workload identity
//! provider attribute conditions (`assertion.repository == "…"`) are CEL.
//!
//! Values reach an expression only as string literals made by [`string`],
//! which escapes whatever could end the literal, even for values a provider
//! has already checked; timestamps are checked by [`crate::time::check_timestamp`] first.
//! Grammar: cel-spec `doc/langdef.md` (string literals, escapes).

use std::fmt::Write as _;

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
}
