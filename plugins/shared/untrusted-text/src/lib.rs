//! Untrusted text shown to people and agents.
//!
//! Secret names come from inventories, identities and paths from audit logs:
//! whoever wrote them may have chosen them to mislead. A value rendered into a
//! report must stay one value: it must not end the line and forge the next one,
//! send escape sequences to a terminal, reorder what a reader sees with the
//! Unicode bidirectional controls ("Trojan Source", CVE-2021-42574), or pass for
//! another name with an invisible character in it.
//!
//! Every renderer of the first-party plugins and the host's terminal output use
//! this one list of such characters, so they cannot drift apart.
//!
//! ```
//! use untrusted_text::{markdown_inline, one_line};
//!
//! assert_eq!(one_line("root\n  CRITICAL forged"), r"root\n  CRITICAL forged");
//! assert_eq!(one_line("evil\u{202e}toor"), r"evil\u{202e}toor");
//! assert_eq!(markdown_inline("[click](https://x)|"), r"\[click\](https://x)\|");
//! ```

use std::borrow::Cow;
use std::fmt::Write as _;

/// Whether a character can change how the text around it is shown, or hide
/// in it: control characters (line breaks, escape sequences, backspace), the
/// Unicode line and paragraph separators, the bidirectional marks, embeddings,
/// overrides and isolates, and the invisible characters that make two different
/// names look the same (zero width space, word joiner and invisible operators,
/// zero width no-break space, soft hyphen). The zero width joiner and non-joiner
/// are not among them: they shape scripts and emoji.
pub fn is_disguising(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{00AD}'
                | '\u{061C}'
                | '\u{200B}'
                | '\u{200E}'
                | '\u{200F}'
                | '\u{2028}'
                | '\u{2029}'
                | '\u{202A}'..='\u{202E}'
                | '\u{2060}'..='\u{2064}'
                | '\u{2066}'..='\u{2069}'
                | '\u{FEFF}'
        )
}

/// `text` on one line, with every disguising character written as a visible
/// escape: `\n`, `\r` and `\t`, and `\u{1b}` for the others. Text without
/// any is returned as it is.
pub fn one_line(text: &str) -> Cow<'_, str> {
    if is_plain(text) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        push_visible(&mut out, c);
    }
    Cow::Owned(out)
}

/// `text` for an inline Markdown context, table cells included: the characters
/// that start emphasis, code, links, images, HTML, entities, headings or a cell
/// boundary are backslash-escaped, a line break becomes `<br>` (the only break a
/// table cell can hold), and other disguising characters become visible escapes.
pub fn markdown_inline(text: &str) -> Cow<'_, str> {
    if !text.contains(is_markdown_syntax) && is_plain(text) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            c if is_markdown_syntax(c) => {
                out.push('\\');
                out.push(c);
            }
            '\r' if chars.peek() == Some(&'\n') => {}
            '\r' | '\n' => out.push_str("<br>"),
            c => push_visible(&mut out, c),
        }
    }
    Cow::Owned(out)
}

/// `arg` as one word of a POSIX shell command: bare only when every character
/// is inert, otherwise in single quotes, inside which nothing expands (a single
/// quote itself becomes `'\''`). A name that would add shell text, `$(…)`, `;`,
/// a line feed, stays one argument.
///
/// ```
/// use untrusted_text::shell_quote;
///
/// assert_eq!(shell_quote("auth/approle/role/x"), "auth/approle/role/x");
/// assert_eq!(shell_quote("$(rm -rf /)"), "'$(rm -rf /)'");
/// assert_eq!(shell_quote("it's"), r"'it'\''s'");
/// ```
pub fn shell_quote(arg: &str) -> String {
    let inert = |c: char| c.is_ascii_alphanumeric() || "@%+=:,./_-".contains(c);
    if !arg.is_empty() && arg.chars().all(inert) {
        return arg.to_owned();
    }
    format!("'{}'", arg.replace('\'', r"'\''"))
}

fn is_markdown_syntax(c: char) -> bool {
    matches!(
        c,
        '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '~' | '&' | '#' | '!'
    )
}

/// True when nothing in `text` needs escaping. Printable ASCII, by far the most
/// common text, is checked without decoding.
fn is_plain(text: &str) -> bool {
    text.bytes().all(|b| matches!(b, b' '..=b'~')) || !text.chars().any(is_disguising)
}

fn push_visible(out: &mut String, c: char) {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_quoting_keeps_every_argument_one_word() {
        assert_eq!(shell_quote("file://policy.json"), "file://policy.json");
        assert_eq!(shell_quote("@x.json"), "@x.json");
        assert_eq!(shell_quote(""), "''");
        assert_eq!(shell_quote("a b"), "'a b'");
        assert_eq!(shell_quote("a;b`c`|d&e>f"), "'a;b`c`|d&e>f'");
        assert_eq!(shell_quote("a\nb"), "'a\nb'");
        assert_eq!(
            shell_quote(r#"{"AutomaticallyAfterDays":30}"#),
            r#"'{"AutomaticallyAfterDays":30}'"#
        );
    }

    #[test]
    fn plain_text_is_borrowed_unchanged() {
        for text in ["secret-0001", "clé é 日本語", ""] {
            assert!(matches!(one_line(text), Cow::Borrowed(t) if t == text));
            assert!(matches!(markdown_inline(text), Cow::Borrowed(t) if t == text));
        }
    }

    #[test]
    fn one_line_shows_every_disguising_character() {
        assert_eq!(
            one_line("a\nb\r\x1b[31m\t\u{7f}\u{85}"),
            r"a\nb\r\u{1b}[31m\t\u{7f}\u{85}"
        );
        assert_eq!(
            one_line("\u{61c}\u{200e}\u{200f}\u{2028}\u{2029}\u{202a}\u{202e}\u{2066}\u{2069}"),
            r"\u{61c}\u{200e}\u{200f}\u{2028}\u{2029}\u{202a}\u{202e}\u{2066}\u{2069}"
        );
        // Invisible in a name: "ro\u{200b}ot" is not "root".
        assert_eq!(
            one_line("ro\u{200b}o\u{2060}t\u{feff}\u{ad}\u{2064}"),
            r"ro\u{200b}o\u{2060}t\u{feff}\u{ad}\u{2064}"
        );
        // Neighbours of the ranges, and the joiners scripts need, are ordinary text.
        assert_eq!(
            one_line("\u{2027}\u{202f}\u{2065}\u{206a}\u{200c}\u{200d}\u{ac}\u{fefe}"),
            "\u{2027}\u{202f}\u{2065}\u{206a}\u{200c}\u{200d}\u{ac}\u{fefe}"
        );
    }

    #[test]
    fn no_output_of_one_line_holds_a_disguising_character() {
        let all: String = (0..=0x10FFFF).filter_map(char::from_u32).collect();
        let shown = one_line(&all);
        assert!(!shown.chars().any(is_disguising));
        let shown = markdown_inline(&all);
        assert!(!shown.chars().any(is_disguising));
    }

    #[test]
    fn markdown_escapes_markup_and_breaks_lines_inside_the_cell() {
        assert_eq!(markdown_inline("a|b"), r"a\|b");
        assert_eq!(markdown_inline(r"a\|b"), r"a\\\|b");
        assert_eq!(
            markdown_inline("<script>*x*</script>"),
            r"\<script\>\*x\*\</script\>"
        );
        assert_eq!(
            markdown_inline("![i](u) # &amp; ~~s~~ `c` _e_"),
            r"\!\[i\](u) \# \&amp; \~\~s\~\~ \`c\` \_e\_"
        );
        assert_eq!(
            markdown_inline("one\r\ntwo\nthree\rfour"),
            "one<br>two<br>three<br>four"
        );
        assert_eq!(markdown_inline("x\u{1b}\u{202e}"), r"x\u{1b}\u{202e}");
        assert_eq!(markdown_inline("api-key"), "api-key");
    }
}
