//! Renderings of a plan: aligned text, GitHub Markdown, CSV and iCalendar.
//!
//! All output is a pure function of the plan (no timestamps), so the same plan always
//! renders to the same bytes. Names and other inventory values are hostile input:
//! each renderer escapes them for its own format.

mod csv;
mod ics;
mod markdown;
mod text;

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt::Write as _;

pub use self::csv::render_csv;
pub use self::ics::render_ics;
pub use self::markdown::render_markdown;
pub use self::text::render_text;

/// Whether a character could rewrite what a reader sees: control characters (newline,
/// escape sequences) and the Unicode bidirectional marks, embeddings, overrides and
/// isolates used to disguise text.
fn is_disguising(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
        )
}

/// Makes such characters visible as escapes (`\n`, `\u{1b}`), so one value stays on
/// one line and cannot drive a terminal.
fn visible(text: &str) -> Cow<'_, str> {
    // Printable ASCII, by far the most common text, is checked without decoding.
    let printable_ascii = text.bytes().all(|b| matches!(b, b' '..=b'~'));
    if printable_ascii || !text.chars().any(is_disguising) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if is_disguising(c) => {
                let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// "a 2, b 1" from a count map.
fn counts(map: &BTreeMap<String, usize>) -> String {
    if map.is_empty() {
        return "none".to_owned();
    }
    map.iter()
        .map(|(key, count)| format!("{key} {count}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A date cell: the date, or a dash when there is none.
fn or_dash(value: Option<&str>) -> &str {
    value.unwrap_or("-")
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    #[test]
    fn visible_escapes_controls_and_bidi_overrides() {
        assert_eq!(visible("plain é"), "plain é");
        assert_eq!(visible("a\nb\x1b[31m\u{202E}"), "a\\nb\\u{1b}[31m\\u{202e}");
    }
}
