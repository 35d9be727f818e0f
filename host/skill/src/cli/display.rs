//! Text made safe to print: nothing a plugin controls may drive the terminal.
//!
//! A rendering is the plugin's text, and it often quotes hostile data (an audit
//! log's identities, an inventory's names); error messages, JSON Pointers,
//! panic text, file names and log lines carry a plugin's bytes too. Whatever a
//! plugin escapes or forgets, the host prints no terminal control sequence and
//! no character that reorders what a reader sees: each becomes a visible escape
//! such as `\u{1b}`. Every sink (stdout, the error report, `wrote …`, clap's
//! help and errors, the log) goes through [`displayable`], [`displayable_line`]
//! or, for JSON, [`json_displayable`], which share one rule.

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
    escape_where(
        text,
        |c, next| is_unsafe(c) && !(c == '\r' && next == Some('\n')),
        visible,
    )
}

/// `text` on one line: [`displayable`], and line feeds and tabs escaped too
/// (a file name with a line feed in it must not forge the next line).
pub fn displayable_line(text: &str) -> Cow<'_, str> {
    escape_where(text, |c, _| untrusted_text::is_disguising(c), visible)
}

/// The log's writer: stderr, with each event's text on one line as
/// [`displayable_line`] makes it, ended by its own line feed. A plugin logs
/// text of its own, and a log line must not be rewritten by a carriage return,
/// reordered by a bidirectional control, or followed by a forged one. The
/// formatter writes each event whole, in one call.
pub struct EscapedStderr;

impl std::io::Write for EscapedStderr {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let text = String::from_utf8_lossy(buf);
        let (line, end) = match text.strip_suffix('\n') {
            Some(line) => (line, "\n"),
            None => (&*text, ""),
        };
        let mut stderr = std::io::stderr().lock();
        stderr.write_all(displayable_line(line).as_bytes())?;
        stderr.write_all(end.as_bytes())?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}

/// Writes `c` as a visible escape, `\u{1b}`.
fn visible(out: &mut String, c: char) {
    let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
}

/// JSON text made safe to print, as the same JSON value: every character
/// [`untrusted_text`] counts as disguising is written as a `\uXXXX` escape.
/// serde_json escapes only U+0000 to U+001F, so DEL, the C1 controls (U+009B
/// is a terminal's CSI) and the bidirectional controls reach a terminal raw.
/// In valid JSON such characters occur only inside strings, where the escape
/// means the same; tab, line feed and carriage return are never raw there and
/// are kept as the whitespace between values.
pub fn json_displayable(json: &str) -> Cow<'_, str> {
    escape_where(
        json,
        |c, _| !matches!(c, '\t' | '\n' | '\r') && untrusted_text::is_disguising(c),
        |out, c| {
            // Every disguising character is in the Basic Multilingual Plane.
            let _ = write!(out, "\\u{:04x}", u32::from(c));
        },
    )
}

/// `text` with each character `escape_it(c, next)` picks written by `escape`.
fn escape_where(
    text: &str,
    escape_it: impl Fn(char, Option<char>) -> bool,
    escape: impl Fn(&mut String, char),
) -> Cow<'_, str> {
    // Most of a rendering or a JSON output is printable ASCII, which needs no
    // escape and no decoding: start where the first other byte is.
    let Some(first) = text.bytes().position(|b| !matches!(b, b' '..=b'~')) else {
        return Cow::Borrowed(text);
    };
    let mut out = String::new();
    let mut copied = 0;
    let mut chars = text[first..]
        .char_indices()
        .map(|(at, c)| (first + at, c))
        .peekable();
    while let Some((start, c)) = chars.next() {
        let next = chars.peek().map(|&(_, next)| next);
        if escape_it(c, next) {
            out.push_str(&text[copied..start]);
            escape(&mut out, c);
            copied = start + c.len_utf8();
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

    #[test]
    fn a_control_is_found_at_every_offset_of_a_long_text() {
        // After plain and after multi-byte text.
        for lead in ["", "é", "東京 ✓\t"] {
            for at in 0..100 {
                let text = format!("{lead}{}\u{1b}[2J{}\n", "x".repeat(at), "y".repeat(70));
                let expected = format!("{lead}{}\\u{{1b}}[2J{}\n", "x".repeat(at), "y".repeat(70));
                assert_eq!(displayable(&text), expected, "at {at} after {lead:?}");
            }
        }
    }

    #[test]
    fn one_line_escapes_line_breaks_too() {
        assert_eq!(
            displayable_line("a\nwrote /etc/passwd\tb\r\n\u{1b}[2J"),
            "a\\u{a}wrote /etc/passwd\\u{9}b\\u{d}\\u{a}\\u{1b}[2J"
        );
        assert!(matches!(displayable_line("out/a b.txt"), Cow::Borrowed(_)));
    }

    #[test]
    fn json_keeps_its_value_and_loses_its_disguises() {
        let value = serde_json::json!({
            "name": "evil\u{202e}gnp.exe\u{9b}31m\u{7f}\u{2028}",
            "plain": "é\tx\ny",
        });
        let json = serde_json::to_string_pretty(&value).unwrap();
        let shown = json_displayable(&json);
        assert!(
            shown.contains(r#""evil\u202egnp.exe\u009b31m\u007f\u2028""#),
            "{shown}"
        );
        assert!(
            !shown
                .chars()
                .any(|c| c != '\n' && untrusted_text::is_disguising(c))
        );
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&shown).unwrap(),
            value
        );
        let compact = serde_json::to_string(&serde_json::json!({"a": [1, "b"]})).unwrap();
        assert!(matches!(json_displayable(&compact), Cow::Borrowed(_)));
    }
}
