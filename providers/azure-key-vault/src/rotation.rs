//! Expiry and rotation as Azure documents them. Key Vault does not rotate a
//! secret by itself: a version carries `exp` and `nbf` attributes, Event
//! Grid publishes `Microsoft.KeyVault.SecretNearExpiry` 30 days before `exp`
//! (azure-docs `event-grid/event-schema-key-vault.md`), and a function
//! subscribed to it sets a new version whose expiry is the validity period
//! away, read from the secret's `ValidityPeriodDays` tag (azure-docs
//! `key-vault/secrets/tutorial-rotation.md`). `exp` and `nbf` are
//! informational for secrets: a get still returns an expired or
//! not-yet-valid secret (`key-vault/secrets/about-secrets.md`, "Date-time
//! controlled operations").

use std::collections::BTreeMap;

use provider_glue::error::shown;
use provider_glue::{InputError, time};

use crate::names;
use crate::request::Rotation;

/// The event a rotation function subscribes to.
pub const NEAR_EXPIRY_EVENT: &str = "Microsoft.KeyVault.SecretNearExpiry";
/// The tag Azure's rotation samples read the validity period from.
pub const PERIOD_TAG: &str = "ValidityPeriodDays";
/// Event Grid: at most 25 values across all advanced filters of one
/// subscription (azure-docs `event-grid/event-filtering.md`, "Limitations").
pub const MOST_FILTER_VALUES: usize = 25;
/// The validity periods accepted here: longer than the 30 days before expiry
/// at which the event fires (else each new version would be rotated at
/// once), at most ten years.
const PERIOD_DAYS: std::ops::RangeInclusive<u32> = 31..=3650;
/// Tags on one secret, `ValidityPeriodDays` included (narrower than Azure).
const MOST_TAGS: usize = 15;

/// Checked rotation settings.
pub struct Plan<'a> {
    pub expires: &'a str,
    pub not_before: Option<&'a str>,
    pub validity_period_days: u32,
    pub function_id: Option<&'a str>,
    pub function_principal_id: Option<&'a str>,
    /// Per secret, its other tags (checked), by name.
    pub tags: &'a BTreeMap<String, BTreeMap<String, String>>,
}

impl Plan<'_> {
    /// The `--tags` words of `secret`: `ValidityPeriodDays=N` then its others.
    pub fn tag_words(&self, secret: &str) -> Vec<String> {
        let mut words = vec![format!("{PERIOD_TAG}={}", self.validity_period_days)];
        if let Some(tags) = self.tags.get(secret) {
            words.extend(tags.iter().map(|(name, value)| format!("{name}={value}")));
        }
        words
    }
}

/// Checks `rotation` for the app's `secrets`.
pub fn check<'a>(rotation: &'a Rotation, secrets: &[String]) -> Result<Plan<'a>, InputError> {
    time::check_timestamp("/rotation/expires", &rotation.expires)?;
    if let Some(not_before) = &rotation.not_before {
        time::check_timestamp("/rotation/not_before", not_before)?;
        // The fixed format orders as text orders.
        if not_before.as_str() >= rotation.expires.as_str() {
            return Err(InputError::new(
                "/rotation/not_before",
                format!(
                    "`{not_before}` is not before `expires` ({})",
                    rotation.expires
                ),
            ));
        }
    }
    if !PERIOD_DAYS.contains(&rotation.validity_period_days) {
        return Err(InputError::new(
            "/rotation/validity_period_days",
            format!(
                "{} days is outside 31–3650: SecretNearExpiry fires 30 days before expiry, so a \
                 shorter period would rotate every new version at once",
                rotation.validity_period_days
            ),
        ));
    }
    if let Some(function) = &rotation.function_id {
        names::check_function_id("/rotation/function_id", function)?;
        if secrets.len() > MOST_FILTER_VALUES {
            return Err(InputError::new(
                "/secrets",
                format!(
                    "the Event Grid subscription filters on each secret's name, and Event Grid \
                     takes at most {MOST_FILTER_VALUES} filter values: split the secrets over \
                     several apps"
                ),
            ));
        }
    }
    if let Some(principal) = &rotation.function_principal_id {
        names::check_guid("/rotation/function_principal_id", principal, "principal id")?;
    }
    for (secret, tags) in &rotation.tags {
        let field = format!("/rotation/tags/{secret}");
        if !secrets.contains(secret) {
            return Err(InputError::new(
                "/rotation/tags",
                format!("`{}` is not one of the app's secrets", shown(secret)),
            ));
        }
        if tags.len() >= MOST_TAGS {
            return Err(InputError::new(
                field,
                format!("at most {} tags besides {PERIOD_TAG}", MOST_TAGS - 1),
            ));
        }
        for (name, value) in tags {
            names::check_tag(&field, name, value)?;
            if name.eq_ignore_ascii_case(PERIOD_TAG) {
                return Err(InputError::new(
                    format!("{field}/{name}"),
                    format!("{PERIOD_TAG} is set from validity_period_days"),
                ));
            }
        }
    }
    Ok(Plan {
        expires: &rotation.expires,
        not_before: rotation.not_before.as_deref(),
        validity_period_days: rotation.validity_period_days,
        function_id: rotation.function_id.as_deref(),
        function_principal_id: rotation.function_principal_id.as_deref(),
        tags: &rotation.tags,
    })
}

/// The UTC day `days` before a checked instant, `YYYY-MM-DD` (the
/// proleptic Gregorian calendar, by days since 1970-01-01).
pub fn days_before(instant: &str, days: i64) -> String {
    let number = |range: std::ops::Range<usize>| -> i64 {
        instant[range].parse().expect("a checked instant")
    };
    let day = days_from_civil(number(0..4), number(5..7), number(8..10)) - days;
    let (year, month, day) = civil_from_days(day);
    format!("{year:04}-{month:02}-{day:02}")
}

/// Days since 1970-01-01 of a date (Howard Hinnant's `days_from_civil`).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let day_of_year = (153 * ((month + 9) % 12) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The date of a count of days since 1970-01-01 (`civil_from_days`).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let days = days + 719_468;
    let era = days.div_euclid(146_097);
    let day_of_era = days - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_event_day_is_thirty_days_before_expiry() {
        assert_eq!(days_before("2027-03-01T00:00:00Z", 30), "2027-01-30");
        assert_eq!(days_before("2028-03-30T12:00:00Z", 30), "2028-02-29");
        assert_eq!(days_before("2027-01-15T00:00:00Z", 30), "2026-12-16");
        assert_eq!(days_before("1970-01-31T00:00:00Z", 30), "1970-01-01");
    }
}
