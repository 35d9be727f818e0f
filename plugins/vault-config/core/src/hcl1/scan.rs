//! The two HCL v1 scanners (`hcl/scanner` and `json/scanner` of
//! github.com/hashicorp/hcl v1.0.1-vault-7, the version OpenBao 2.x links),
//! ported step by step: the server's verdict on odd input (`08` is a number,
//! `1ex` is one float token, a heredoc needs a newline after its anchor)
//! comes from these exact loops, so they are kept as they are, quirks included.
//!
//! The two scanners share their reading of characters and most literal rules;
//! where they differ (identifiers, numbers, newlines in strings, `unread`
//! after a failed escape) the [`Dialect`] decides.

use super::{Pos, Token, TokenType};

/// Go's `utf8.RuneError`.
const RUNE_ERROR: u32 = 0xFFFD;
/// Go's scanners use the NUL rune for end of input.
const EOF: u32 = 0;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dialect {
    Hcl,
    Json,
}

/// Decodes one UTF-8 sequence like Go's `utf8.DecodeRune`: an invalid
/// sequence reads as `RuneError` of width 1.
fn decode_rune(bytes: &[u8]) -> (u32, usize) {
    let width = match bytes[0] {
        0x00..=0x7F => 1,
        0xC2..=0xDF => 2,
        0xE0..=0xEF => 3,
        0xF0..=0xF4 => 4,
        _ => return (RUNE_ERROR, 1),
    };
    match bytes.get(..width).and_then(|b| std::str::from_utf8(b).ok()) {
        Some(text) => (text.chars().next().map_or(RUNE_ERROR, u32::from), width),
        None => (RUNE_ERROR, 1),
    }
}

fn is_letter(ch: u32) -> bool {
    matches!(ch, 0x61..=0x7A | 0x41..=0x5A | 0x5F)
        || (ch >= 0x80 && char::from_u32(ch).is_some_and(char::is_alphabetic))
}

fn is_digit(ch: u32) -> bool {
    is_decimal(ch) || (ch >= 0x80 && char::from_u32(ch).is_some_and(char::is_numeric))
}

fn is_decimal(ch: u32) -> bool {
    (0x30..=0x39).contains(&ch)
}

fn is_hexadecimal(ch: u32) -> bool {
    digit_val(ch) < 16
}

fn is_whitespace(ch: u32) -> bool {
    matches!(ch, 0x20 | 0x09 | 0x0A | 0x0D)
}

fn digit_val(ch: u32) -> u32 {
    match char::from_u32(ch) {
        Some(c @ '0'..='9') => u32::from(c) - u32::from('0'),
        Some(c @ 'a'..='f') => u32::from(c) - u32::from('a') + 10,
        Some(c @ 'A'..='F') => u32::from(c) - u32::from('A') + 10,
        _ => 16,
    }
}

fn is(ch: u32, c: char) -> bool {
    ch == u32::from(c)
}

/// A scanner over bytes with Go's position bookkeeping.
pub(crate) struct Scanner<'a> {
    dialect: Dialect,
    src: &'a [u8],
    /// Read offset into `src` (the Go `bytes.Buffer` cursor).
    off: usize,
    /// Width of the last successful read, for `unread`; `None` when the last
    /// read failed, where Go's `UnreadRune` would panic.
    last_read: Option<usize>,
    src_pos: Pos,
    prev_pos: Pos,
    last_char_len: usize,
    last_line_len: usize,
    /// Every error the scanner reported, in order; the parser fails with one
    /// when any was reported for the tokens it read.
    pub(crate) errors: Vec<(Pos, String)>,
}

impl<'a> Scanner<'a> {
    pub(crate) fn new(src: &'a [u8], dialect: Dialect) -> Self {
        Self {
            dialect,
            src,
            off: 0,
            last_read: None,
            src_pos: Pos {
                offset: 0,
                line: 1,
                column: 0,
            },
            prev_pos: Pos::default(),
            last_char_len: 0,
            last_line_len: 0,
            errors: Vec::new(),
        }
    }

    fn next(&mut self) -> u32 {
        if self.off >= self.src.len() {
            self.src_pos.column += 1;
            self.last_char_len = 0;
            self.last_read = None;
            return EOF;
        }
        let (ch, size) = decode_rune(&self.src[self.off..]);
        self.off += size;
        self.last_read = Some(size);
        // The JSON scanner reports a bad byte before it moves `prev_pos`.
        if self.dialect == Dialect::Json && ch == RUNE_ERROR && size == 1 {
            self.src_pos.column += 1;
            self.src_pos.offset += size;
            self.last_char_len = size;
            self.err("illegal UTF-8 encoding");
            return ch;
        }
        self.prev_pos = self.src_pos;
        self.src_pos.column += 1;
        self.last_char_len = size;
        self.src_pos.offset += size;
        if self.dialect == Dialect::Hcl && ch == RUNE_ERROR && size == 1 {
            self.err("illegal UTF-8 encoding");
            return ch;
        }
        if is(ch, '\n') {
            self.src_pos.line += 1;
            self.last_line_len = self.src_pos.column;
            self.src_pos.column = 0;
        }
        if self.dialect == Dialect::Hcl {
            if ch == 0 {
                self.err("unexpected null character (0x00)");
                return EOF;
            }
            if ch == 0xE123 {
                self.err("unicode code point U+E123 reserved for internal use");
                return RUNE_ERROR;
            }
        }
        ch
    }

    fn unread(&mut self) {
        match self.last_read.take() {
            Some(size) => {
                self.off -= size;
                self.src_pos = self.prev_pos;
            }
            // Go's scanner panics here; the server's request fails.
            None => self.err("scanner panic: unread after end of input"),
        }
    }

    fn peek(&mut self) -> u32 {
        if self.off >= self.src.len() {
            return EOF;
        }
        // Go's peek is a ReadRune + UnreadRune: a later `unread` panics.
        self.last_read = None;
        decode_rune(&self.src[self.off..]).0
    }

    fn recent_position(&self) -> Pos {
        let offset = self.src_pos.offset.saturating_sub(self.last_char_len);
        if self.src_pos.column > 0 {
            Pos {
                offset,
                line: self.src_pos.line,
                column: self.src_pos.column,
            }
        } else if self.last_line_len > 0 {
            Pos {
                offset,
                line: self.src_pos.line - 1,
                column: self.last_line_len,
            }
        } else {
            Pos {
                offset,
                line: 1,
                column: 1,
            }
        }
    }

    fn err(&mut self, message: &str) {
        let pos = self.recent_position();
        self.errors.push((pos, message.to_owned()));
    }

    /// The next token.
    pub(crate) fn scan(&mut self) -> Token {
        let mut ch = self.next();
        while is_whitespace(ch) {
            ch = self.next();
        }
        let tok_start = self.src_pos.offset - self.last_char_len;
        let pos = if self.src_pos.column > 0 {
            Pos {
                offset: tok_start,
                line: self.src_pos.line,
                column: self.src_pos.column,
            }
        } else {
            Pos {
                offset: tok_start,
                line: self.src_pos.line - 1,
                column: self.last_line_len,
            }
        };
        let ty = if is_letter(ch) {
            self.scan_word()
        } else if is_decimal(ch) {
            self.scan_number(ch)
        } else {
            self.scan_symbol(ch)
        };
        let end = self.src_pos.offset.min(self.src.len());
        let text = String::from_utf8_lossy(&self.src[tok_start.min(end)..end]).into_owned();
        Token {
            ty,
            pos,
            text,
            json: self.dialect == Dialect::Json,
        }
    }

    /// An identifier: a name in HCL, only `true`, `false` and `null` in JSON.
    fn scan_word(&mut self) -> TokenType {
        let literal = self.scan_identifier();
        match (self.dialect, literal.as_str()) {
            (_, "true" | "false") => TokenType::Bool,
            (Dialect::Hcl, _) => TokenType::Ident,
            (Dialect::Json, "null") => TokenType::Null,
            (Dialect::Json, _) => {
                self.err("illegal char");
                TokenType::Illegal
            }
        }
    }

    fn scan_symbol(&mut self, ch: u32) -> TokenType {
        let c = char::from_u32(ch);
        match (self.dialect, c) {
            (_, Some('\0')) => TokenType::Eof,
            (_, Some('"')) => {
                self.scan_string();
                TokenType::String
            }
            (_, Some('.')) => self.scan_period(),
            (_, Some('[')) => TokenType::LBrack,
            (_, Some(']')) => TokenType::RBrack,
            (_, Some('{')) => TokenType::LBrace,
            (_, Some('}')) => TokenType::RBrace,
            (_, Some(',')) => TokenType::Comma,
            (_, Some('-')) if is_decimal(self.peek()) => {
                let ch = self.next();
                self.scan_number(ch)
            }
            (Dialect::Hcl, Some('-')) => TokenType::Sub,
            (Dialect::Hcl, Some(first @ ('#' | '/'))) => {
                self.scan_comment(first);
                TokenType::Comment
            }
            (Dialect::Hcl, Some('<')) => {
                self.scan_heredoc();
                TokenType::Heredoc
            }
            (Dialect::Hcl, Some('=')) => TokenType::Assign,
            (Dialect::Hcl, Some('+')) => TokenType::Add,
            (Dialect::Json, Some(':')) => TokenType::Colon,
            (Dialect::Hcl, _) | (Dialect::Json, Some('-')) => {
                self.err("illegal char");
                TokenType::Illegal
            }
            (Dialect::Json, other) => {
                let shown = other.map_or_else(|| "\u{FFFD}".to_owned(), String::from);
                self.err(&format!("illegal char: {shown}"));
                TokenType::Illegal
            }
        }
    }

    fn scan_period(&mut self) -> TokenType {
        let ch = self.peek();
        if is_decimal(ch) {
            let ch = self.scan_mantissa(ch);
            self.scan_exponent(ch);
            return TokenType::Float;
        }
        TokenType::Period
    }

    fn scan_comment(&mut self, first: char) {
        let mut ch;
        if first == '#' || (first == '/' && !is(self.peek(), '*')) {
            if first == '/' && !is(self.peek(), '/') {
                self.err("expected '/' for comment");
                return;
            }
            ch = self.next();
            while !is(ch, '\n') && ch != EOF {
                ch = self.next();
            }
            if ch != EOF {
                self.unread();
            }
            return;
        }
        self.next();
        ch = self.next();
        loop {
            if ch == EOF {
                self.err("comment not terminated");
                break;
            }
            let previous = ch;
            ch = self.next();
            if is(previous, '*') && is(ch, '/') {
                break;
            }
        }
    }

    fn scan_number(&mut self, mut ch: u32) -> TokenType {
        match self.dialect {
            Dialect::Hcl => {
                if is(ch, '0') {
                    return self.scan_hcl_zero();
                }
            }
            Dialect::Json => return self.scan_json_number(ch),
        }
        self.scan_mantissa(ch);
        ch = self.next();
        self.number_tail(ch, false)
    }

    /// What follows the integer digits: an exponent, a fraction, or nothing
    /// (where an HCL octal literal holding 8 or 9 is an error).
    fn number_tail(&mut self, mut ch: u32, illegal_octal: bool) -> TokenType {
        if is(ch, 'e') || is(ch, 'E') {
            self.scan_exponent(ch);
            return TokenType::Float;
        }
        if is(ch, '.') {
            ch = self.scan_fraction(ch);
            if is(ch, 'e') || is(ch, 'E') {
                ch = self.next();
                self.scan_exponent(ch);
            }
            return TokenType::Float;
        }
        if illegal_octal {
            self.err("illegal octal number");
        }
        if ch != EOF {
            self.unread();
        }
        TokenType::Number
    }

    fn scan_hcl_zero(&mut self) -> TokenType {
        let mut ch = self.next();
        if is(ch, 'x') || is(ch, 'X') {
            ch = self.next();
            let mut found = false;
            while is_hexadecimal(ch) {
                ch = self.next();
                found = true;
            }
            if !found {
                self.err("illegal hexadecimal number");
            }
            if ch != EOF {
                self.unread();
            }
            return TokenType::Number;
        }
        let mut illegal_octal = false;
        while is_decimal(ch) {
            ch = self.next();
            if is(ch, '8') || is(ch, '9') {
                illegal_octal = true;
            }
        }
        self.number_tail(ch, illegal_octal)
    }

    fn scan_json_number(&mut self, ch: u32) -> TokenType {
        let zero = is(ch, '0');
        let start = self.src_pos;
        self.scan_mantissa(ch);
        let ch = self.next();
        let ty = self.number_tail(ch, false);
        if ty == TokenType::Number && zero && start != self.src_pos {
            self.err("numbers cannot start with 0");
        }
        ty
    }

    fn scan_mantissa(&mut self, mut ch: u32) -> u32 {
        let mut scanned = false;
        while is_decimal(ch) {
            ch = self.next();
            scanned = true;
        }
        if scanned && ch != EOF {
            self.unread();
        }
        ch
    }

    fn scan_fraction(&mut self, ch: u32) -> u32 {
        if is(ch, '.') {
            let peeked = self.peek();
            return self.scan_mantissa(peeked);
        }
        ch
    }

    fn scan_exponent(&mut self, mut ch: u32) -> u32 {
        if is(ch, 'e') || is(ch, 'E') {
            ch = self.next();
            if is(ch, '-') || is(ch, '+') {
                ch = self.next();
            }
            ch = self.scan_mantissa(ch);
        }
        ch
    }

    fn scan_heredoc(&mut self) {
        if !is(self.next(), '<') {
            self.err("heredoc expected second '<', didn't see it");
            return;
        }
        let anchor_start = self.src_pos.offset;
        let mut ch = self.next();
        if is(ch, '-') {
            ch = self.next();
        }
        while is_letter(ch) || is_digit(ch) {
            ch = self.next();
        }
        if ch == EOF {
            self.err("heredoc not terminated");
            return;
        }
        if is(ch, '\r') && is(self.peek(), '\n') {
            ch = self.next();
        }
        if !is(ch, '\n') {
            self.err("invalid characters in heredoc anchor");
            return;
        }
        let anchor = &self.src[anchor_start..self.src_pos.offset - self.last_char_len];
        if anchor.is_empty() || anchor == b"-" {
            self.err("zero-length heredoc anchor");
            return;
        }
        let name = anchor.strip_prefix(b"-").unwrap_or(anchor);
        let mut line_start = self.src_pos.offset;
        loop {
            let ch = self.next();
            if is(ch, '\n') {
                let line_end = self.src_pos.offset - self.last_char_len;
                let line = &self.src[line_start..line_end];
                if line.len() >= anchor.len() && closes_heredoc(line, name) {
                    break;
                }
                line_start = self.src_pos.offset;
            }
            if ch == EOF {
                self.err("heredoc not terminated");
                return;
            }
        }
    }

    fn scan_string(&mut self) {
        let mut braces = 0usize;
        loop {
            let ch = self.next();
            let newline_ends = self.dialect == Dialect::Json || braces == 0;
            if (is(ch, '\n') && newline_ends) || ch == EOF {
                self.err("literal not terminated");
                return;
            }
            let quote_ends = self.dialect == Dialect::Json || braces == 0;
            if is(ch, '"') && quote_ends {
                break;
            }
            if braces == 0 && is(ch, '$') && is(self.peek(), '{') {
                braces += 1;
                self.next();
            } else if braces > 0 && is(ch, '{') {
                braces += 1;
            }
            if braces > 0 && is(ch, '}') {
                braces -= 1;
            }
            if is(ch, '\\') {
                self.scan_escape();
            }
        }
    }

    fn scan_escape(&mut self) {
        let ch = self.next();
        match char::from_u32(ch) {
            Some('a' | 'b' | 'f' | 'n' | 'r' | 't' | 'v' | '\\' | '"') => {}
            Some('0'..='7') => self.scan_digits(ch, 8, 3),
            Some('x') => {
                let ch = self.next();
                self.scan_digits(ch, 16, 2);
            }
            Some('u') => {
                let ch = self.next();
                self.scan_digits(ch, 16, 4);
            }
            Some('U') => {
                let ch = self.next();
                self.scan_digits(ch, 16, 8);
            }
            _ => self.err("illegal char escape"),
        }
    }

    fn scan_digits(&mut self, mut ch: u32, base: u32, count: usize) {
        let mut n = count;
        while n > 0 && digit_val(ch) < base {
            ch = self.next();
            if self.dialect == Dialect::Hcl && ch == EOF {
                break;
            }
            n -= 1;
        }
        if n > 0 {
            self.err("illegal char escape");
        }
        match self.dialect {
            Dialect::Hcl => {
                if n != count && ch != EOF {
                    self.unread();
                }
            }
            Dialect::Json => self.unread(),
        }
    }

    fn scan_identifier(&mut self) -> String {
        let start = self.src_pos.offset - self.last_char_len;
        let mut ch = self.next();
        while is_letter(ch)
            || is_digit(ch)
            || is(ch, '-')
            || (self.dialect == Dialect::Hcl && is(ch, '.'))
        {
            ch = self.next();
        }
        if ch != EOF {
            self.unread();
        }
        String::from_utf8_lossy(&self.src[start..self.src_pos.offset]).into_owned()
    }
}

/// Go's `^[[:space:]]*ANCHOR\r*\z` on one heredoc line.
fn closes_heredoc(line: &[u8], anchor: &[u8]) -> bool {
    let trimmed_start = line
        .iter()
        .position(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\x0B' | b'\x0C' | b'\r'))
        .unwrap_or(line.len());
    let rest = &line[trimmed_start..];
    let without_cr = {
        let mut end = rest.len();
        while end > 0 && rest[end - 1] == b'\r' {
            end -= 1;
        }
        &rest[..end]
    };
    // `[[:space:]]*` may also swallow leading `\r`s, which the anchor cannot start with.
    without_cr == anchor
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(text: &str, dialect: Dialect) -> (Vec<(TokenType, String)>, Vec<String>) {
        let mut scanner = Scanner::new(text.as_bytes(), dialect);
        let mut out = Vec::new();
        loop {
            let token = scanner.scan();
            if token.ty == TokenType::Eof {
                break;
            }
            out.push((token.ty, token.text));
        }
        let errors = scanner.errors.into_iter().map(|(_, m)| m).collect();
        (out, errors)
    }

    #[test]
    fn numbers_follow_the_go_loops() {
        use TokenType::*;
        let (toks, errors) = tokens("08 089 1ex .5e3 0x 1.5 -3", Dialect::Hcl);
        assert_eq!(
            toks,
            [
                (Number, "08".into()),
                (Number, "089".into()),
                (Float, "1ex".into()),
                (Float, ".5e".into()),
                (Number, "3".into()),
                (Number, "0x".into()),
                (Float, "1.5".into()),
                (Number, "-3".into()),
            ]
        );
        assert_eq!(
            errors,
            ["illegal octal number", "illegal hexadecimal number"]
        );
        let (_, errors) = tokens("05", Dialect::Json);
        assert_eq!(errors, ["numbers cannot start with 0"]);
    }

    #[test]
    fn strings_comments_and_heredocs() {
        use TokenType::*;
        let (toks, errors) = tokens(
            "\"a${b(\"c\")}\" # x\n/* y */ <<EOF\nz\n  EOF\n",
            Dialect::Hcl,
        );
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(toks[0], (String, "\"a${b(\"c\")}\"".into()));
        assert_eq!(toks[1].0, Comment);
        assert_eq!(toks[2].0, Comment);
        assert_eq!(toks[3], (Heredoc, "<<EOF\nz\n  EOF\n".into()));
        let (_, errors) = tokens("<<EOF\nz\nEOF", Dialect::Hcl);
        assert_eq!(errors, ["heredoc not terminated"]);
        let (_, errors) = tokens("\"a\nb\"", Dialect::Hcl);
        assert_eq!(errors[0], "literal not terminated");
        let (_, errors) = tokens("\"a\\/b\" / x", Dialect::Hcl);
        assert_eq!(errors, ["illegal char escape", "expected '/' for comment"]);
    }

    #[test]
    fn json_knows_only_its_words() {
        let (toks, errors) = tokens("{\"a\": null, \"b\": yes}", Dialect::Json);
        assert_eq!(toks[3].0, TokenType::Null);
        assert_eq!(errors, ["illegal char"]);
    }

    #[test]
    fn positions_are_one_based_lines_and_columns() {
        let mut scanner = Scanner::new(b"path \"a\"\n{\n", Dialect::Hcl);
        let path = scanner.scan();
        let label = scanner.scan();
        let brace = scanner.scan();
        assert_eq!((path.pos.line, path.pos.column), (1, 1));
        assert_eq!((label.pos.line, label.pos.column), (1, 6));
        assert_eq!((brace.pos.line, brace.pos.column), (2, 1));
    }
}
