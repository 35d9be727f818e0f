//! Rotation schedules as Secrets Manager takes them (`RotationRules`):
//! `AutomaticallyAfterDays` (1–1000) or a `ScheduleExpression`, with an
//! optional `Duration` (the window, `1h`–`24h`).
//!
//! Source: aws-secrets-manager-docs `rotate-secrets_schedule.md`: `rate(N
//! hours)` with N ≥ 4 (rotation at most every four hours) or `rate(N days)`
//! up to 1000 days; `cron(0 H DOM M DOW *)` in UTC with the minutes `0`, the
//! year `*`, and `?` in exactly one of day-of-month and day-of-week.

use provider_glue::InputError;
use provider_glue::error::shown;
use serde_json::{Map, Value, json};

use crate::request::Rotation;

/// The checked `RotationRules` object.
pub fn rules(rotation: &Rotation) -> Result<Value, InputError> {
    let mut rules = Map::new();
    match (
        rotation.automatically_after_days,
        rotation.schedule_expression.as_deref(),
    ) {
        (Some(days), None) => {
            if !(1..=1000).contains(&days) {
                return Err(InputError::new(
                    "/rotation/automatically_after_days",
                    format!("{days} is outside 1–1000 days"),
                ));
            }
            rules.insert("AutomaticallyAfterDays".into(), json!(days));
        }
        (None, Some(expression)) => {
            check_expression("/rotation/schedule_expression", expression)?;
            rules.insert("ScheduleExpression".into(), json!(expression));
        }
        _ => {
            return Err(InputError::new(
                "/rotation",
                "give exactly one of `automatically_after_days` and `schedule_expression`",
            ));
        }
    }
    if let Some(duration) = &rotation.duration {
        let hours = duration
            .strip_suffix('h')
            .filter(|n| !n.starts_with('0'))
            .and_then(|n| n.parse::<u32>().ok());
        if !hours.is_some_and(|h| (1..=24).contains(&h)) {
            return Err(InputError::new(
                "/rotation/duration",
                format!("`{}` is not a rotation window `1h`–`24h`", shown(duration)),
            ));
        }
        rules.insert("Duration".into(), json!(duration));
    }
    Ok(Value::Object(rules))
}

fn check_expression(field: &str, text: &str) -> Result<(), InputError> {
    let valid = if let Some(inner) = text.strip_prefix("rate(").and_then(|t| t.strip_suffix(')')) {
        rate_ok(inner)
    } else if let Some(inner) = text.strip_prefix("cron(").and_then(|t| t.strip_suffix(')')) {
        cron_ok(inner)
    } else {
        false
    };
    if valid {
        return Ok(());
    }
    Err(InputError::new(
        field,
        format!(
            "`{}` is not a Secrets Manager schedule: `rate(N hours)` (N ≥ 4), `rate(N days)` \
             (N ≤ 1000) or `cron(0 H DOM M DOW *)` with `?` in one of DOM and DOW",
            shown(text)
        ),
    ))
}

fn rate_ok(inner: &str) -> bool {
    let Some((number, unit)) = inner.split_once(' ') else {
        return false;
    };
    if number.starts_with('0') || !number.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let Ok(n) = number.parse::<u32>() else {
        return false;
    };
    let unit_ok = |singular: &str, plural: &str| {
        if n == 1 {
            unit == singular
        } else {
            unit == plural
        }
    };
    (unit_ok("hour", "hours") && (4..=24_000).contains(&n))
        || (unit_ok("day", "days") && (1..=1000).contains(&n))
}

fn cron_ok(inner: &str) -> bool {
    let fields: Vec<&str> = inner.split(' ').collect();
    let [minutes, hours, day_of_month, month, day_of_week, year] = fields.as_slice() else {
        return false;
    };
    let chars = |field: &str, extra: &str| {
        !field.is_empty()
            && field.len() <= 64
            && field
                .chars()
                .all(|c| c.is_ascii_digit() || ",-*/".contains(c) || extra.contains(c))
    };
    *minutes == "0"
        && chars(hours, "")
        && chars(day_of_month, "?LW")
        && chars(month, "ABCDEFGHIJKLMNOPQRSTUVWXYZ")
        && chars(day_of_week, "?L#ABCDEFGHIJKLMNOPQRSTUVWXYZ")
        && *year == "*"
        && ((*day_of_month == "?") != (*day_of_week == "?"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rotation(days: Option<u32>, expression: Option<&str>, duration: Option<&str>) -> Rotation {
        Rotation {
            automatically_after_days: days,
            schedule_expression: expression.map(str::to_owned),
            duration: duration.map(str::to_owned),
            lambda_arn: None,
        }
    }

    #[test]
    fn days_or_an_expression_become_rotation_rules() {
        assert_eq!(
            rules(&rotation(Some(30), None, None)).unwrap(),
            json!({"AutomaticallyAfterDays": 30})
        );
        assert_eq!(
            rules(&rotation(None, Some("cron(0 4 ? * SUN *)"), Some("3h"))).unwrap(),
            json!({"ScheduleExpression": "cron(0 4 ? * SUN *)", "Duration": "3h"})
        );
        for good in [
            "rate(4 hours)",
            "rate(1 day)",
            "rate(1000 days)",
            "cron(0 8,20 1 * ? *)",
        ] {
            assert!(rules(&rotation(None, Some(good), None)).is_ok(), "{good}");
        }
    }

    #[test]
    fn out_of_range_and_malformed_schedules_are_refused() {
        assert!(rules(&rotation(Some(0), None, None)).is_err());
        assert!(rules(&rotation(Some(1001), None, None)).is_err());
        assert!(rules(&rotation(None, None, None)).is_err());
        assert!(rules(&rotation(Some(1), Some("rate(1 day)"), None)).is_err());
        for bad in [
            "rate(3 hours)",
            "rate(1 days)",
            "rate(1001 days)",
            "rate(05 days)",
            "cron(15 4 ? * SUN *)",
            "cron(0 4 * * * *)",
            "cron(0 4 ? * ? *)",
            "cron(0 4 ? * SUN 2030)",
            "cron(0 4 ? * SUN *)\nx",
            "cron(0 $(id) ? * SUN *)",
        ] {
            assert!(rules(&rotation(None, Some(bad), None)).is_err(), "{bad}");
        }
        for bad in ["0h", "25h", "3", "03h", "1d"] {
            assert!(rules(&rotation(Some(1), None, Some(bad))).is_err(), "{bad}");
        }
    }
}
