//! Calendar dates: strict YYYY-MM-DD parsing and formatting, and the CA/B Forum
//! schedule of maximum certificate validity.
//!
//! Everything is whole days on `time::Date`; there is no clock here, so a plan
//! depends only on its inputs.

use time::{Date, Duration, Month};

/// Parses a date written exactly as `YYYY-MM-DD` (surrounding whitespace allowed).
///
/// Strict on purpose: `2025-1-5` or `05/01/2025` are ambiguous in inventories, so they
/// are reported instead of guessed.
pub fn parse_date(text: &str) -> Result<Date, String> {
    let trimmed = text.trim();
    let bytes = trimmed.as_bytes();
    let shape_ok = bytes.len() == 10
        && bytes[4] == b'-'
        && bytes[7] == b'-'
        && bytes
            .iter()
            .enumerate()
            .all(|(i, b)| i == 4 || i == 7 || b.is_ascii_digit());
    if !shape_ok {
        return Err(format!(
            "{:?} is not a date in the form YYYY-MM-DD",
            clip(trimmed)
        ));
    }
    // The shape check guarantees these slices are ASCII digits.
    let number = |range: std::ops::Range<usize>| trimmed[range].parse::<u16>().unwrap_or(0);
    let (year, month, day) = (number(0..4), number(5..7), number(8..10));
    let month = u8::try_from(month)
        .ok()
        .and_then(|m| Month::try_from(m).ok())
        .ok_or_else(|| format!("{trimmed:?} has no month {month:02}"))?;
    Date::from_calendar_date(i32::from(year), month, day as u8).map_err(|_| {
        format!("{trimmed:?} is not a day of the calendar ({month} has no day {day:02} that year)")
    })
}

/// Formats a date as `YYYY-MM-DD`.
///
/// A plan formats several dates per secret, so years of four digits (every real one)
/// are written digit by digit rather than through the formatting machinery.
pub(crate) fn format_date(date: Date) -> String {
    let (month, day) = (u8::from(date.month()), date.day());
    let year = match u16::try_from(date.year()) {
        Ok(year) if year <= 9999 => year,
        _ => return format!("{:04}-{month:02}-{day:02}", date.year()),
    };
    let mut text = String::with_capacity(10);
    push_digits(&mut text, year, 4);
    text.push('-');
    push_digits(&mut text, month.into(), 2);
    text.push('-');
    push_digits(&mut text, day.into(), 2);
    text
}

/// Appends the last `width` decimal digits of `value`, zero-padded.
fn push_digits(text: &mut String, value: u16, width: u32) {
    for place in (0..width).rev() {
        let digit = value / 10u16.pow(place) % 10;
        text.push(char::from(b'0' + digit as u8));
    }
}

/// Adds whole days, saturating at the ends of the supported calendar instead of
/// failing, so absurd but well-formed input (year 9999) cannot panic.
pub(crate) fn add_days(date: Date, days: i64) -> Date {
    date.saturating_add(Duration::days(days))
}

/// Whole days from `from` to `to` (negative when `to` is earlier).
pub(crate) fn days_between(from: Date, to: Date) -> i64 {
    (to - from).whole_days()
}

/// Maximum validity, in days, of a publicly trusted TLS certificate issued on `date`,
/// per CA/B Forum Ballot SC-081v3.
pub(crate) fn cab_max_validity_days(date: Date) -> u32 {
    // (first day in force, maximum days), newest first.
    const SCHEDULE: [(i32, Month, u8, u32); 3] = [
        (2029, Month::March, 15, 47),
        (2027, Month::March, 15, 100),
        (2026, Month::March, 15, 200),
    ];
    SCHEDULE
        .iter()
        .find(|&&(year, month, day, _)| {
            Date::from_calendar_date(year, month, day).is_ok_and(|start| date >= start)
        })
        .map_or(398, |&(_, _, _, days)| days)
}

/// Shortens very long values quoted in messages, so a 100 KB name cannot flood them.
pub(crate) fn clip(text: &str) -> String {
    const LIMIT: usize = 64;
    match text.char_indices().nth(LIMIT) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn parses_strict_iso_dates() {
        assert_eq!(parse_date("2026-03-15"), Ok(date!(2026 - 03 - 15)));
        assert_eq!(parse_date(" 2024-02-29 "), Ok(date!(2024 - 02 - 29)));
        for bad in [
            "2025-02-29",
            "2025-13-01",
            "2025-1-05",
            "05/01/2025",
            "",
            "2025-01-01T00:00:00Z",
            "２０２５-01-01",
        ] {
            assert!(parse_date(bad).is_err(), "{bad:?} should be rejected");
        }
    }

    #[test]
    fn formats_any_year_as_the_padded_format_would() {
        let days = [
            Date::MIN,
            Date::from_calendar_date(-1, Month::March, 4).unwrap(),
            Date::from_calendar_date(0, Month::January, 1).unwrap(),
            Date::from_calendar_date(9, Month::December, 31).unwrap(),
            Date::MAX,
        ];
        for day in days {
            let padded = format!(
                "{:04}-{:02}-{:02}",
                day.year(),
                u8::from(day.month()),
                day.day()
            );
            assert_eq!(format_date(day), padded);
        }
    }

    #[test]
    fn formats_round_trip() {
        let day = date!(0987 - 06 - 05);
        assert_eq!(format_date(day), "0987-06-05");
        assert_eq!(parse_date(&format_date(day)), Ok(day));
    }

    #[test]
    fn cab_schedule_switches_on_each_boundary() {
        assert_eq!(cab_max_validity_days(date!(2026 - 03 - 14)), 398);
        assert_eq!(cab_max_validity_days(date!(2026 - 03 - 15)), 200);
        assert_eq!(cab_max_validity_days(date!(2027 - 03 - 14)), 200);
        assert_eq!(cab_max_validity_days(date!(2027 - 03 - 15)), 100);
        assert_eq!(cab_max_validity_days(date!(2029 - 03 - 14)), 100);
        assert_eq!(cab_max_validity_days(date!(2029 - 03 - 15)), 47);
    }

    #[test]
    fn day_arithmetic_saturates() {
        assert_eq!(add_days(date!(9999 - 12 - 01), 3650), Date::MAX);
        assert_eq!(
            days_between(date!(2026 - 01 - 10), date!(2026 - 01 - 01)),
            -9
        );
    }

    #[test]
    fn clip_cuts_on_char_boundaries() {
        let long = "é".repeat(100);
        let clipped = clip(&long);
        assert_eq!(clipped.chars().count(), 65);
        assert_eq!(clip("short"), "short");
    }
}
