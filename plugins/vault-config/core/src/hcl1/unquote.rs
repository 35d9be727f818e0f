//! String values as the server reads them: HCL's own unquote (which copies
//! `${…}` through untouched), Go's `strconv.Unquote` for JSON strings, and
//! the heredoc un-indenting of `token.Value()`. `Err(())` is where Go returns
//! `ErrSyntax` or panics; either way the server refuses the policy.

const MAX_RUNE: u32 = 0x10_FFFF;

/// Decodes one rune like Go's `utf8.DecodeRune` (invalid → U+FFFD, width 1).
fn decode(bytes: &[u8]) -> (u32, usize) {
    for width in 1..=bytes.len().min(4) {
        if let Ok(text) = std::str::from_utf8(&bytes[..width]) {
            return (text.chars().next().map_or(0xFFFD, u32::from), width);
        }
    }
    (0xFFFD, 1)
}

fn push_rune(out: &mut Vec<u8>, rune: u32) {
    let ch = char::from_u32(rune).unwrap_or('\u{FFFD}');
    let mut buffer = [0u8; 4];
    out.extend_from_slice(ch.encode_utf8(&mut buffer).as_bytes());
}

fn unhex(byte: u8) -> Option<u32> {
    char::from(byte).to_digit(16)
}

/// One character of a double-quoted literal: `(value, multibyte, rest)`.
/// `go_rules` picks Go's `strconv.UnquoteChar` (which refuses surrogates)
/// over HCL's copy of it (which only refuses values above U+10FFFF).
fn unquote_char(s: &[u8], go_rules: bool) -> Result<(u32, bool, &[u8]), ()> {
    let c = *s.first().ok_or(())?;
    if c == b'"' {
        return Err(());
    }
    if c >= 0x80 {
        let (rune, size) = decode(s);
        return Ok((rune, true, &s[size..]));
    }
    if c != b'\\' {
        return Ok((u32::from(c), false, &s[1..]));
    }
    let escape = *s.get(1).ok_or(())?;
    let s = &s[2..];
    let simple = match escape {
        b'a' => Some(0x07),
        b'b' => Some(0x08),
        b'f' => Some(0x0C),
        b'n' => Some(0x0A),
        b'r' => Some(0x0D),
        b't' => Some(0x09),
        b'v' => Some(0x0B),
        b'\\' => Some(u32::from(b'\\')),
        b'"' => Some(u32::from(b'"')),
        _ => None,
    };
    if let Some(value) = simple {
        return Ok((value, false, s));
    }
    match escape {
        b'x' | b'u' | b'U' => {
            let n = match escape {
                b'x' => 2,
                b'u' => 4,
                _ => 8,
            };
            let digits = s.get(..n).ok_or(())?;
            let mut value = 0u32;
            for &digit in digits {
                value = (value << 4) | unhex(digit).ok_or(())?;
            }
            if escape == b'x' {
                return Ok((value, false, &s[n..]));
            }
            let valid = if go_rules {
                char::from_u32(value).is_some()
            } else {
                value <= MAX_RUNE
            };
            if !valid {
                return Err(());
            }
            Ok((value, true, &s[n..]))
        }
        b'0'..=b'7' => {
            let mut value = u32::from(escape - b'0');
            let digits = s.get(..2).ok_or(())?;
            for &digit in digits {
                if !(b'0'..=b'7').contains(&digit) {
                    return Err(());
                }
                value = (value << 3) | u32::from(digit - b'0');
            }
            if value > 255 {
                return Err(());
            }
            Ok((value, false, &s[2..]))
        }
        _ => Err(()),
    }
}

fn push_char(out: &mut Vec<u8>, value: u32, multibyte: bool) {
    if value < 0x80 || !multibyte {
        // Go appends `byte(c)`: a `\xff` escape stays one raw byte.
        out.push(value as u8);
    } else {
        push_rune(out, value);
    }
}

/// HCL's `strconv.Unquote` (hcl/strconv/quote.go).
pub(crate) fn hcl_unquote(text: &str) -> Result<String, ()> {
    let bytes = text.as_bytes();
    let n = bytes.len();
    if n < 2 || bytes[0] != b'"' || bytes[n - 1] != b'"' {
        return Err(());
    }
    let mut s = &bytes[1..n - 1];
    let has = |c: u8| s.contains(&c);
    if !has(b'$') && !has(b'{') && has(b'\n') {
        return Err(());
    }
    if !has(b'\\') && !has(b'"') && !has(b'$') {
        return Ok(String::from_utf8_lossy(s).into_owned());
    }
    let mut out = Vec::with_capacity(s.len());
    while !s.is_empty() {
        if s.starts_with(b"${") {
            // Interpolations are copied through as they are.
            out.extend_from_slice(b"${");
            s = &s[2..];
            let mut braces = 1usize;
            while !s.is_empty() && braces > 0 {
                let (rune, size) = decode(s);
                if rune == 0xFFFD {
                    return Err(());
                }
                out.extend_from_slice(&s[..size]);
                s = &s[size..];
                match char::from_u32(rune) {
                    Some('{') => braces += 1,
                    Some('}') => braces -= 1,
                    _ => {}
                }
            }
            if braces != 0 {
                return Err(());
            }
            continue;
        }
        if s[0] == b'\n' {
            return Err(());
        }
        let (value, multibyte, rest) = unquote_char(s, false)?;
        s = rest;
        push_char(&mut out, value, multibyte);
    }
    Ok(String::from_utf8_lossy(&out).into_owned())
}

/// Go's `strconv.Unquote` for a double-quoted literal.
pub(crate) fn go_unquote(text: &str) -> Result<String, ()> {
    let bytes = text.as_bytes();
    if bytes.len() < 2 || bytes[0] != b'"' {
        return Err(());
    }
    let mut s = &bytes[1..];
    let mut out = Vec::with_capacity(s.len());
    while let Some(&first) = s.first() {
        if first == b'"' {
            break;
        }
        if first == b'\n' {
            return Err(());
        }
        let (value, multibyte, rest) = unquote_char(s, true)?;
        s = rest;
        push_char(&mut out, value, multibyte);
    }
    // The closing quote must end the literal.
    if s != b"\"" {
        return Err(());
    }
    Ok(String::from_utf8_lossy(&out).into_owned())
}

/// `token.unindentHeredoc`: the body between the anchor lines, with `<<-`
/// removing the closing anchor's indentation when every line has it. The
/// slicing follows Go's arithmetic; where Go's slice would be out of range
/// (and panic), this fails.
pub(crate) fn unindent_heredoc(text: &str) -> Result<String, ()> {
    let bytes = text.as_bytes();
    let idx = bytes.iter().position(|&b| b == b'\n').ok_or(())?;
    let len = bytes.len();
    let slice = |from: usize, to: usize| -> Result<&[u8], ()> {
        if from <= to && to <= len {
            Ok(&bytes[from..to])
        } else {
            Err(())
        }
    };
    let body_end = (len + 1).checked_sub(idx).ok_or(())?;
    if bytes.get(2) != Some(&b'-') {
        return Ok(String::from_utf8_lossy(slice(idx + 1, body_end)?).into_owned());
    }
    let region = slice(idx + 1, body_end + 1)?;
    let lines: Vec<&[u8]> = region.split(|&b| b == b'\n').collect();
    let prefix = lines[lines.len() - 1];
    if !lines.iter().all(|line| line.starts_with(prefix)) {
        let body = slice(idx + 1, body_end)?;
        let end = body
            .iter()
            .rposition(|&b| b != b' ' && b != b'\t')
            .map_or(0, |i| i + 1);
        return Ok(String::from_utf8_lossy(&body[..end]).into_owned());
    }
    let mut out: Vec<&[u8]> = lines[..lines.len() - 1]
        .iter()
        .map(|line| &line[prefix.len()..])
        .collect();
    out.push(b"");
    Ok(String::from_utf8_lossy(&out.join(&b'\n')).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hcl_unquote_keeps_interpolations_and_refuses_big_octal() {
        assert_eq!(hcl_unquote("\"a\\tb\"").unwrap(), "a\tb");
        assert_eq!(hcl_unquote("\"x${f(\"y\")}z\"").unwrap(), "x${f(\"y\")}z");
        assert_eq!(hcl_unquote("\"\\u0041\"").unwrap(), "A");
        assert!(hcl_unquote("\"\\777\"").is_err());
        assert!(hcl_unquote("\"\\uD800\"").is_ok());
    }

    #[test]
    fn go_unquote_refuses_surrogates() {
        assert_eq!(
            go_unquote("\"capabil\\u0069ties\"").unwrap(),
            "capabilities"
        );
        assert!(go_unquote("\"\\uD800\"").is_err());
        assert!(go_unquote("\"a\\'b\"").is_err());
    }

    #[test]
    fn heredocs_follow_go_slicing() {
        assert_eq!(unindent_heredoc("<<EOF\nabc\nEOF\n").unwrap(), "abc\n");
        assert_eq!(unindent_heredoc("<<EOF\nabc\n  EOF\n").unwrap(), "abc\n  ");
        assert_eq!(
            unindent_heredoc("<<-EOF\n  a\n  b\n  EOF\n").unwrap(),
            "a\nb\n"
        );
    }
}
