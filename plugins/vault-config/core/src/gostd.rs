//! The few Go standard-library and go-secure-stdlib parsers whose verdicts
//! decide whether the server accepts a policy or a role: `strconv.ParseInt`
//! (base 0 and 10), `strconv.ParseFloat`, `time.ParseDuration`,
//! `parseutil.ParseDurationSecond` and the RFC 3339 / epoch forms of
//! `parseutil.ParseAbsoluteTime`. Each follows the Go rules, including
//! overflow, so that a value the server refuses is refused here; RFC 3339
//! itself is the `time` crate's.

const NANOS_PER_SECOND: i64 = 1_000_000_000;

/// Go's `underscoreOK`: underscores only between digits (or after a base prefix).
fn underscore_ok(s: &str) -> bool {
    let s = s.strip_prefix(['+', '-']).unwrap_or(s);
    let bytes = s.as_bytes();
    let mut saw = b'^';
    let mut i = 0;
    let mut hex = false;
    if bytes.len() >= 2
        && bytes[0] == b'0'
        && matches!(bytes[1].to_ascii_lowercase(), b'b' | b'o' | b'x')
    {
        i = 2;
        saw = b'0';
        hex = bytes[1].eq_ignore_ascii_case(&b'x');
    }
    while i < bytes.len() {
        let c = bytes[i];
        if c.is_ascii_digit() || (hex && c.is_ascii_hexdigit()) {
            saw = b'0';
        } else if c == b'_' {
            if saw != b'0' {
                return false;
            }
            saw = b'_';
        } else {
            if saw == b'_' {
                return false;
            }
            saw = b'!';
        }
        i += 1;
    }
    saw != b'_'
}

/// `strconv.ParseInt(s, base, 64)` for base 0 (Go literal prefixes and
/// underscores) or 10.
pub(crate) fn parse_int(s: &str, base_zero: bool) -> Option<i64> {
    let (negative, digits) = match s.as_bytes().first() {
        Some(b'+') => (false, &s[1..]),
        Some(b'-') => (true, &s[1..]),
        _ => (false, s),
    };
    if digits.is_empty() {
        return None;
    }
    let (base, body) = if base_zero && digits.starts_with('0') {
        let lower = digits.as_bytes().get(1).map(u8::to_ascii_lowercase);
        match lower {
            Some(b'b') if digits.len() >= 3 => (2, &digits[2..]),
            Some(b'o') if digits.len() >= 3 => (8, &digits[2..]),
            Some(b'x') if digits.len() >= 3 => (16, &digits[2..]),
            _ => (8, &digits[1..]),
        }
    } else {
        (10, digits)
    };
    let mut value: u64 = 0;
    let mut underscores = false;
    for c in body.chars() {
        if c == '_' && base_zero {
            underscores = true;
            continue;
        }
        let digit = u64::from(c.to_digit(base)?);
        value = value.checked_mul(u64::from(base))?.checked_add(digit)?;
    }
    if underscores && !underscore_ok(digits) {
        return None;
    }
    let limit = 1u64 << 63;
    if negative {
        if value > limit {
            return None;
        }
        Some((value as i128).wrapping_neg() as i64)
    } else if value >= limit {
        None
    } else {
        Some(value as i64)
    }
}

/// `strconv.ParseFloat(s, 64)` for the decimal forms HCL tokens can hold;
/// out of range is an error, as in Go.
pub(crate) fn parse_float(s: &str) -> Option<f64> {
    let body = s.strip_prefix(['+', '-']).unwrap_or(s);
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(index) => (&body[..index], Some(&body[index + 1..])),
        None => (body, None),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits = |t: &str| t.bytes().all(|b| b.is_ascii_digit());
    if !digits(int) || !digits(frac) || (int.is_empty() && frac.is_empty()) {
        return None;
    }
    if let Some(exponent) = exponent {
        let exponent = exponent.strip_prefix(['+', '-']).unwrap_or(exponent);
        if exponent.is_empty() || !digits(exponent) {
            return None;
        }
    }
    s.parse::<f64>().ok().filter(|v| v.is_finite())
}

/// `time.ParseDuration`: signed sequence of decimal numbers with units, in nanoseconds.
pub(crate) fn parse_go_duration(text: &str) -> Option<i64> {
    const LIMIT: u64 = 1 << 63;
    let (negative, mut s) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    if s == "0" {
        return Some(0);
    }
    if s.is_empty() {
        return None;
    }
    let mut total: u64 = 0;
    while !s.is_empty() {
        if !(s.starts_with('.') || s.as_bytes()[0].is_ascii_digit()) {
            return None;
        }
        let int_len = s.bytes().take_while(u8::is_ascii_digit).count();
        let mut whole: u64 = 0;
        for b in s[..int_len].bytes() {
            if whole > LIMIT / 10 {
                return None;
            }
            whole = whole * 10 + u64::from(b - b'0');
            if whole > LIMIT {
                return None;
            }
        }
        s = &s[int_len..];
        let mut fraction: u64 = 0;
        let mut scale = 1.0f64;
        let mut post = false;
        if let Some(rest) = s.strip_prefix('.') {
            let frac_len = rest.bytes().take_while(u8::is_ascii_digit).count();
            let mut overflow = false;
            for b in rest[..frac_len].bytes() {
                if overflow {
                    continue;
                }
                if fraction > (LIMIT - 1) / 10 {
                    overflow = true;
                    continue;
                }
                let next = fraction * 10 + u64::from(b - b'0');
                if next > LIMIT {
                    overflow = true;
                    continue;
                }
                fraction = next;
                scale *= 10.0;
            }
            post = frac_len > 0;
            s = &rest[frac_len..];
        }
        if int_len == 0 && !post {
            return None;
        }
        let unit_len = s
            .bytes()
            .position(|b| b == b'.' || b.is_ascii_digit())
            .unwrap_or(s.len());
        if unit_len == 0 {
            return None;
        }
        let unit: u64 = match &s[..unit_len] {
            "ns" => 1,
            "us" | "\u{00B5}s" | "\u{03BC}s" => 1_000,
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" => 60_000_000_000,
            "h" => 3_600_000_000_000,
            _ => return None,
        };
        s = &s[unit_len..];
        if whole > LIMIT / unit {
            return None;
        }
        let mut value = whole * unit;
        if fraction > 0 {
            value += (fraction as f64 * (unit as f64 / scale)) as u64;
            if value > LIMIT {
                return None;
            }
        }
        total += value;
        if total > LIMIT {
            return None;
        }
    }
    if negative {
        return Some((total as i128).wrapping_neg() as i64);
    }
    if total > LIMIT - 1 {
        return None;
    }
    Some(total as i64)
}

/// A value as decoded into a Go `interface{}` (what `ParseDurationSecond` sees).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Dynamic<'a> {
    Nil,
    Str(&'a str),
    Int(i64),
    Float(f64),
    /// Booleans, lists and maps: never a duration.
    Other,
}

/// Go's `overflowMul` on durations.
fn overflow_mul(a: i64, b: i64) -> Option<i64> {
    let x = a.wrapping_mul(b);
    if a != 0 && x.wrapping_div(a) != b {
        return None;
    }
    Some(x)
}

/// `parseutil.ParseDurationSecond`: a bare number is seconds, `Nd` is days,
/// anything else is `time.ParseDuration`. Nanoseconds.
pub(crate) fn parse_duration_second(value: &Dynamic<'_>) -> Option<i64> {
    match value {
        Dynamic::Nil => Some(0),
        Dynamic::Str("") => Some(0),
        Dynamic::Str(text) => {
            if let Some(seconds) = parse_int(text, false) {
                return overflow_mul(seconds, NANOS_PER_SECOND);
            }
            if let Some(days) = text.strip_suffix('d') {
                return overflow_mul(parse_int(days, false)?, 24 * 3600 * NANOS_PER_SECOND);
            }
            parse_go_duration(text)
        }
        Dynamic::Int(seconds) => overflow_mul(*seconds, NANOS_PER_SECOND),
        // Go converts the float to a Duration (nanoseconds, truncated), then
        // multiplies by a second; out of range reads as the minimum on amd64.
        Dynamic::Float(value) => {
            let nanos = if value.is_finite() && value.abs() < 9.223_372_036_854_776e18 {
                value.trunc() as i64
            } else {
                i64::MIN
            };
            overflow_mul(nanos, NANOS_PER_SECOND)
        }
        Dynamic::Other => None,
    }
}

/// An RFC 3339 date-time (`2030-01-02T03:04:05Z`, with optional fraction and
/// numeric offset), as Unix seconds.
pub(crate) fn parse_rfc3339(text: &str) -> Option<i64> {
    time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
        .ok()
        .map(time::OffsetDateTime::unix_timestamp)
}

/// Go's `base64.StdEncoding.DecodeString`: padded standard alphabet, `\r`
/// and `\n` ignored, trailing bits not checked. `None` when it is not base64.
pub(crate) fn decode_base64(text: &str) -> Option<Vec<u8>> {
    fn value(c: u8) -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    }
    let chars: Vec<u8> = text
        .bytes()
        .filter(|b| *b != b'\r' && *b != b'\n')
        .collect();
    if !chars.len().is_multiple_of(4) {
        return None;
    }
    let quads = chars.len() / 4;
    let mut out = Vec::with_capacity(quads * 3);
    for (index, quad) in chars.chunks(4).enumerate() {
        let padding = quad.iter().rev().take_while(|&&c| c == b'=').count();
        if padding > 2 || (padding > 0 && index + 1 != quads) {
            return None;
        }
        let mut bits = 0u32;
        for &c in &quad[..4 - padding] {
            bits = (bits << 6) | value(c)?;
        }
        bits <<= 6 * padding as u32;
        let bytes = [(bits >> 16) as u8, (bits >> 8) as u8, bits as u8];
        out.extend_from_slice(&bytes[..3 - padding]);
    }
    Some(out)
}

/// `parseutil.ParseAbsoluteTime` for a string: RFC 3339 or epoch seconds.
pub(crate) fn parse_absolute_time(text: &str) -> Option<i64> {
    parse_rfc3339(text).or_else(|| parse_int(text, false))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_int_follows_go() {
        assert_eq!(parse_int("0x10", true), Some(16));
        assert_eq!(parse_int("010", true), Some(8));
        assert_eq!(parse_int("1_000", true), Some(1000));
        assert_eq!(parse_int("1__0", true), None);
        assert_eq!(parse_int("0x", true), None);
        assert_eq!(parse_int("9223372036854775807", true), Some(i64::MAX));
        assert_eq!(parse_int("9223372036854775808", true), None);
        assert_eq!(parse_int("-9223372036854775808", false), Some(i64::MIN));
        assert_eq!(parse_int("010", false), Some(10));
    }

    #[test]
    fn floats_and_durations() {
        assert_eq!(parse_float("1.5"), Some(1.5));
        assert_eq!(parse_float("1e"), None);
        assert_eq!(parse_float("1e999"), None);
        assert_eq!(parse_go_duration("1h30m"), Some(5_400 * NANOS_PER_SECOND));
        assert_eq!(parse_go_duration("1.5s"), Some(1_500_000_000));
        assert_eq!(parse_go_duration("5"), None);
        assert_eq!(parse_go_duration("3000000h"), None);
        let d = |t| parse_duration_second(&Dynamic::Str(t));
        assert_eq!(d("300"), Some(300 * NANOS_PER_SECOND));
        assert_eq!(d("2d"), Some(172_800 * NANOS_PER_SECOND));
        assert_eq!(d("1x"), None);
        assert_eq!(d("9223372037"), None);
        assert_eq!(
            parse_duration_second(&Dynamic::Float(1.5)),
            Some(NANOS_PER_SECOND)
        );
        assert_eq!(parse_duration_second(&Dynamic::Other), None);
    }

    #[test]
    fn base64_as_go_decodes_it() {
        assert_eq!(decode_base64("cGF0aA==").unwrap(), b"path");
        assert_eq!(decode_base64("cGF0\naA==").unwrap(), b"path");
        assert_eq!(decode_base64("").unwrap(), b"");
        assert!(decode_base64("path \"a\" {}").is_none());
        assert!(decode_base64("cG==aA==").is_none());
        assert!(decode_base64("abc").is_none());
    }

    #[test]
    fn absolute_times() {
        assert_eq!(parse_absolute_time("1970-01-02T00:00:00Z"), Some(86_400));
        assert_eq!(parse_absolute_time("1970-01-01T01:00:00+01:00"), Some(0));
        assert_eq!(parse_absolute_time("2030-02-30T00:00:00Z"), None);
        assert_eq!(parse_absolute_time("1700000000"), Some(1_700_000_000));
    }
}
