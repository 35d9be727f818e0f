//! Renderings made safe to print: a plugin's text must not drive the terminal.
//!
//! A rendering is the plugin's text, and it often quotes hostile data (an audit
//! log's identities, an inventory's names). Whatever a plugin escapes or forgets,
//! the host prints no terminal control sequence and no character that reorders
//! what a reader sees: each becomes a visible escape such as `\u{1b}`.

use std::borrow::Cow;
use std::fmt::Write as _;

/// Whether `c` may not reach a terminal as it is: every character
/// [`untrusted_text`] counts as disguising (escape sequences, backspace, a lone
/// carriage return that rewrites the line, the bidirectional controls) except
/// the tab and line feed a rendering is laid out with.
fn is_unsafe(c: char) -> bool {
    c != '\n' && c != '\t' && untrusted_text::is_disguising(c)
}

/// `text` with every unsafe character written as a visible escape. A carriage
/// return right before a line feed is kept: some formats (iCalendar, CSV) end
/// their lines so.
pub fn displayable(text: &str) -> Cow<'_, str> {
    // Printable ASCII lines, by far the most common rendering, need no decoding.
    if text
        .bytes()
        .all(|b| matches!(b, b' '..=b'~' | b'\n' | b'\t'))
    {
        return Cow::Borrowed(text);
    }
    let mut out = String::new();
    let mut copied = 0;
    let mut chars = text.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        let ends_line = c == '\r' && chars.peek().is_some_and(|&(_, next)| next == '\n');
        if is_unsafe(c) && !ends_line {
            out.push_str(&text[copied..at]);
            let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
            copied = at + c.len_utf8();
        }
    }
    if copied == 0 {
        return Cow::Borrowed(text);
    }
    out.push_str(&text[copied..]);
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_and_line_endings_pass_unchanged() {
        for text in [
            "Secret rotation plan\n  name\tdue\n",
            "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n",
            "naïve – 東京 ✓\n",
            "Zeile mit Umlaut ä\r\n",
        ] {
            assert!(matches!(displayable(text), Cow::Borrowed(t) if t == text));
        }
    }

    #[test]
    fn terminal_controls_and_bidi_characters_become_visible() {
        let text = "a\u{1b}[31mred\u{7}b\rc\u{8}d\u{202e}e\u{2066}f\u{200f}g\u{61c}h\u{9b}i\r\n";
        assert_eq!(
            displayable(text),
            "a\\u{1b}[31mred\\u{7}b\\u{d}c\\u{8}d\\u{202e}e\\u{2066}f\\u{200f}g\\u{61c}h\\u{9b}i\r\n"
        );
    }
}
