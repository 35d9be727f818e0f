//! Instants in UTC, as the clouds' APIs and Terraform take them: RFC 3339
//! with seconds and `Z`, a date that exists. Checked before any text holds
//! one (an IAM condition, a rotation time, a Key Vault expiry).

use crate::error::{InputError, shown};

/// An instant in UTC as RFC 3339 with seconds and `Z`: `2027-01-31T23:59:59Z`,
/// the form IAM condition timestamps and Secret Manager's rotation times take.
/// The date must exist (leap years counted); no fractions or offsets.
pub fn check_timestamp(field: &str, text: &str) -> Result<(), InputError> {
    if is_timestamp(text) {
        return Ok(());
    }
    Err(InputError::new(
        field,
        format!(
            "`{}` is not a UTC timestamp like `2027-01-31T23:59:59Z`",
            shown(text)
        ),
    ))
}

fn is_timestamp(text: &str) -> bool {
    let bytes = text.as_bytes();
    let shape = b"dddd-dd-ddTdd:dd:ddZ";
    if bytes.len() != shape.len()
        || !bytes.iter().zip(shape).all(|(b, s)| match s {
            b'd' => b.is_ascii_digit(),
            s => b == s,
        })
    {
        return false;
    }
    let number = |range: std::ops::Range<usize>| -> u32 {
        text[range].parse().expect("digits checked above")
    };
    let (year, month, day) = (number(0..4), number(5..7), number(8..10));
    let (hour, minute, second) = (number(11..13), number(14..16), number(17..19));
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    year >= 1970 && (1..=days).contains(&day) && hour < 24 && minute < 60 && second < 60
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_real_utc_instants() {
        for good in [
            "2027-01-31T23:59:59Z",
            "2028-02-29T00:00:00Z",
            "2000-02-29T12:00:00Z",
        ] {
            assert!(check_timestamp("/t", good).is_ok(), "{good}");
        }
        for bad in [
            "2027-02-29T00:00:00Z",
            "1900-02-29T00:00:00Z",
            "2027-04-31T00:00:00Z",
            "2027-13-01T00:00:00Z",
            "2027-01-01T24:00:00Z",
            "2027-01-01T00:00:00+01:00",
            "2027-01-01T00:00:00.5Z",
            "2027-01-01 00:00:00Z",
            "2027-01-01T00:00:00z",
            "\")||true||(\"",
            "",
        ] {
            assert!(check_timestamp("/t", bad).is_err(), "{bad}");
        }
    }
}
