//! RFC 3339 timestamps to Unix milliseconds, by hand: the parse runs once per log
//! entry, and every format here writes the same narrow shape
//! (`2024-05-01T12:34:56.123456789Z`, or a numeric offset), give or take the
//! variants that exports and SIEMs make of it.

/// Parses `YYYY-MM-DD(T| )HH:MM:SS[.fraction][zone]` into milliseconds since the Unix
/// epoch (UTC). The fraction may have any number of digits (Go trims trailing zeros,
/// Azure writes 7, nanoseconds 9). The zone is `Z`, `±HH:MM`, `±HHMM`, `±HH` or
/// ` UTC`; without one the time is UTC, as audit logs and their exports write UTC
/// (Vault, CloudTrail, GCP and Azure all do; a CSV or SIEM export that drops the `Z`
/// still means it). `t` and `z` may be lower case. Returns `None` for anything else
/// rather than guessing.
pub fn parse_rfc3339_ms(text: &str) -> Option<i64> {
    let b = text.as_bytes();
    if b.len() < 19 || b[4] != b'-' || b[7] != b'-' || b[13] != b':' || b[16] != b':' {
        return None;
    }
    if !matches!(b[10], b'T' | b't' | b' ') {
        return None;
    }
    let year = digits(&b[0..4])? as i64;
    let month = digits(&b[5..7])?;
    let day = digits(&b[8..10])?;
    let hour = digits(&b[11..13])? as i64;
    let minute = digits(&b[14..16])? as i64;
    let second = digits(&b[17..19])? as i64;
    if !(1..=12).contains(&month)
        || day == 0
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    let mut rest = &b[19..];
    let mut millis = 0i64;
    if let Some((b'.', fraction)) = rest.split_first() {
        let n = fraction.iter().take_while(|c| c.is_ascii_digit()).count();
        if n == 0 {
            return None;
        }
        for (k, c) in fraction[..n.min(3)].iter().enumerate() {
            millis += i64::from(c - b'0') * [100, 10, 1][k];
        }
        rest = &fraction[n..];
    }
    let rest = rest
        .strip_suffix(b"UTC")
        .map_or(rest, |r| r.strip_suffix(b" ").unwrap_or(r));
    let offset_minutes = match rest {
        [] | [b'Z' | b'z'] => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] | [sign @ (b'+' | b'-'), h1, h2, m1, m2] => {
            let h = digits(&[*h1, *h2])? as i64;
            let m = digits(&[*m1, *m2])? as i64;
            if h > 23 || m > 59 {
                return None;
            }
            let total = h * 60 + m;
            if *sign == b'-' { -total } else { total }
        }
        [sign @ (b'+' | b'-'), h1, h2] => {
            let h = digits(&[*h1, *h2])? as i64;
            if h > 23 {
                return None;
            }
            if *sign == b'-' { -h * 60 } else { h * 60 }
        }
        _ => return None,
    };
    let days = days_from_civil(year, month, day);
    let seconds = days * 86_400 + hour * 3_600 + minute * 60 + second - offset_minutes * 60;
    let ms = seconds * 1_000 + millis;
    // `9999-12-31T23:30:00-01:00` is the year 10000 in UTC, which no time written
    // back (RFC 3339, four-digit years) can say: refused like any unreadable time.
    (FIRST_MS..=LAST_MS).contains(&ms).then_some(ms)
}

/// 0000-01-01T00:00:00Z and 9999-12-31T23:59:59.999Z, in Unix milliseconds.
const FIRST_MS: i64 = -62_167_219_200_000;
const LAST_MS: i64 = 253_402_300_799_999;

fn digits(b: &[u8]) -> Option<u32> {
    b.iter().try_fold(0u32, |acc, c| {
        c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
    })
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 for a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// A record's time text read: its milliseconds, and whether a non-empty text failed
/// to parse (a problem to report with the record's line, not a silent gap).
pub(crate) fn read_time(text: Option<&str>) -> (Option<i64>, bool) {
    match text {
        Some(t) if !t.is_empty() => {
            let ms = parse_rfc3339_ms(t);
            (ms, ms.is_none())
        }
        _ => (None, false),
    }
}

#[cfg(test)]
mod tests {
    use super::{parse_rfc3339_ms, read_time};

    #[test]
    fn times_outside_the_years_0000_to_9999_in_utc_are_refused() {
        assert_eq!(
            parse_rfc3339_ms("0000-01-01T00:00:00Z"),
            Some(super::FIRST_MS)
        );
        assert_eq!(
            parse_rfc3339_ms("9999-12-31T23:59:59.999Z"),
            Some(super::LAST_MS)
        );
        assert_eq!(parse_rfc3339_ms("9999-12-31T23:30:00-01:00"), None);
        assert_eq!(parse_rfc3339_ms("0000-01-01T00:30:00+01:00"), None);
        assert_eq!(
            parse_rfc3339_ms("0000-01-01T00:30:00-01:00"),
            Some(super::FIRST_MS + 5_400_000)
        );
    }

    #[test]
    fn known_instants() {
        assert_eq!(parse_rfc3339_ms("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(
            parse_rfc3339_ms("2021-04-12T19:31:20.05860988Z"),
            Some(1_618_255_880_058)
        );
        // Vault's token_issue_time in the server's offset.
        assert_eq!(
            parse_rfc3339_ms("2021-04-12T15:31:20-04:00"),
            Some(1_618_255_880_000)
        );
        // Azure's seven fraction digits.
        assert_eq!(
            parse_rfc3339_ms("2016-01-05T01:32:01.2691226Z"),
            Some(1_451_957_521_269)
        );
        assert_eq!(
            parse_rfc3339_ms("2024-02-29T23:59:59Z"),
            Some(1_709_251_199_000)
        );
    }

    #[test]
    fn export_variants_mean_the_same_instant() {
        // 2021-04-12T19:31:20.058Z as exports and SIEMs write it.
        let want = Some(1_618_255_880_058);
        for text in [
            "2021-04-12T19:31:20.058Z",
            "2021-04-12 19:31:20.058Z",
            "2021-04-12 19:31:20.058",
            "2021-04-12T19:31:20.058",
            "2021-04-12 19:31:20.058 UTC",
            "2021-04-12T19:31:20.058UTC",
            "2021-04-12T19:31:20.058+00:00",
            "2021-04-12T21:31:20.058+0200",
            "2021-04-12T14:31:20.058-05",
            "2021-04-12T19:31:20.058000000Z",
            "2021-04-12t19:31:20.058999999z",
        ] {
            assert_eq!(parse_rfc3339_ms(text), want, "{text}");
        }
    }

    #[test]
    fn malformed_is_rejected() {
        for bad in [
            "",
            "2021-04-12",
            "2021-13-12T19:31:20Z",
            "2023-02-29T00:00:00Z",
            "2021-04-12T19:31:20.Z",
            "2021-04-12T19:31:20+04:0",
            "2021-04-12T19:31:20 CET",
            "2021-04-12T25:31:20Z",
            "12/04/2021 19:31:20",
        ] {
            assert_eq!(parse_rfc3339_ms(bad), None, "{bad}");
        }
    }

    #[test]
    fn only_a_present_unreadable_time_is_bad() {
        assert_eq!(read_time(None), (None, false));
        assert_eq!(read_time(Some("")), (None, false));
        assert_eq!(read_time(Some("yesterday")), (None, true));
        assert_eq!(read_time(Some("1970-01-01 00:00:01")), (Some(1000), false));
    }
}
