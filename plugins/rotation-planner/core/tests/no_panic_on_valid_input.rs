//! Issue 19, promise 10: no panic on valid input. Every date and duration of a plan
//! (`as_of`, the policy, and each entry's `last_rotated`, `not_after` and
//! `interval_days`) takes extreme values, as JSON and as CSV: the plan is made, with
//! problems where a value is refused, and every renderer writes it, never a panic.

mod common;

use proptest::prelude::*;
use rotation_core::{
    PlanOptions, parse_date, parse_inventory, parse_policy, plan, render_csv, render_ics,
    render_markdown, render_text,
};
use serde_json::{Value, json};
use time::{Date, Duration};

/// Any day `time` can hold, biased to the ends of the calendar and of the years
/// 0000–9999 that an inventory can write.
fn date() -> impl Strategy<Value = Date> {
    let edges = [
        Date::MIN,
        Date::MAX,
        Date::from_ordinal_date(0, 1).unwrap(),
        Date::from_ordinal_date(9999, 365).unwrap(),
        common::AS_OF,
    ];
    prop_oneof![
        proptest::sample::select(edges.to_vec()),
        (Date::MIN.to_julian_day()..=Date::MAX.to_julian_day())
            .prop_map(|day| Date::from_julian_day(day).unwrap()),
    ]
}

/// A date field as an inventory writes it: a date of the years 0000–9999 near the
/// ends, or any value of another type.
fn date_field() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(json!("0000-01-01")),
        Just(json!("9999-12-31")),
        (0u32..=9999, 1u32..=12, 1u32..=28)
            .prop_map(|(y, m, d)| json!(format!("{y:04}-{m:02}-{d:02}"))),
        Just(Value::Null),
        any::<i64>().prop_map(|n| json!(n)),
    ]
}

fn interval() -> impl Strategy<Value = Value> {
    prop_oneof![
        proptest::sample::select(vec![0i64, 1, -1, 3650, 3651, i64::MIN, i64::MAX])
            .prop_map(|n| json!(n)),
        any::<i64>().prop_map(|n| json!(n)),
        Just(json!(u64::MAX)),
        Just(json!(1e308)),
        Just(json!(-0.5)),
        Just(json!("30")),
    ]
}

fn entry() -> impl Strategy<Value = Value> {
    let kind = proptest::sample::select(vec![
        "database",
        "api-key",
        "ssh-key",
        "service-token",
        "encryption-key",
        "oauth-secret",
        "password",
        "human-password",
        "tls-certificate",
        "something-else",
    ]);
    (
        kind,
        proptest::option::of(date_field()),
        proptest::option::of(date_field()),
        proptest::option::of(interval()),
    )
        .prop_map(|(kind, last_rotated, not_after, interval_days)| {
            let mut entry = json!({"name": "s", "type": kind});
            for (name, value) in [
                ("last_rotated", last_rotated),
                ("not_after", not_after),
                ("interval_days", interval_days),
            ] {
                if let Some(value) = value {
                    entry[name] = value;
                }
            }
            entry
        })
}

/// The same entries as a CSV inventory (values written as text).
fn as_csv(entries: &[Value]) -> String {
    let mut csv = "name,type,last_rotated,not_after,interval_days\n".to_owned();
    for entry in entries {
        let cell = |name: &str| match &entry[name] {
            Value::Null => String::new(),
            Value::String(text) => text.clone(),
            other => other.to_string(),
        };
        csv.push_str(&format!(
            "{},{},{},{},{}\n",
            cell("name"),
            cell("type"),
            cell("last_rotated"),
            cell("not_after"),
            cell("interval_days")
        ));
    }
    csv
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn extreme_dates_and_durations_plan_and_render(
        as_of in date(),
        policy_days in prop_oneof![Just(0u32), Just(1), Just(3650), Just(u32::MAX), any::<u32>()],
        entries in proptest::collection::vec(entry(), 1..6),
    ) {
        let options = PlanOptions { as_of, policy_days };
        let inline = common::plan_values(&entries, "input", "/secrets", &options);
        let csv = as_csv(&entries);
        let inventory = parse_inventory(csv.as_bytes(), "inventory.csv").expect("a CSV inventory");
        let from_csv = plan(&inventory.entries, "inventory.csv", &inventory.pointer_prefix, &options);
        for planned in [&inline, &from_csv] {
            prop_assert_eq!(planned.schedule.len(), entries.len());
            for item in &planned.schedule {
                // Day counts agree with the dates written, whatever the calendar's end.
                if let (Some(due), Some(days)) = (&item.due, item.days_until_due)
                    && let Ok(due) = parse_date(due)
                {
                    prop_assert_eq!(days, (due - as_of).whole_days());
                }
            }
            for rendered in [
                render_text(planned),
                render_markdown(planned),
                render_csv(planned),
                render_ics(planned),
            ] {
                prop_assert!(!rendered.is_empty());
            }
        }
    }

    #[test]
    fn any_policy_text_is_a_number_of_days_or_a_message(days in any::<u64>(), suffix in "d?") {
        match parse_policy(&format!("{days}{suffix}")) {
            Ok(parsed) => prop_assert_eq!(u64::from(parsed), days),
            Err(message) => prop_assert!(message.contains("policy")),
        }
    }
}

#[test]
fn the_calendar_ends_saturate_instead_of_overflowing() {
    let last = Date::MAX;
    let entries = [
        json!({"name": "s", "type": "tls-certificate", "last_rotated": "9999-12-31", "not_after": "9999-12-31"}),
    ];
    let planned = common::plan_values(
        &entries,
        "input",
        "/secrets",
        &PlanOptions {
            as_of: last,
            policy_days: u32::MAX,
        },
    );
    assert_eq!(planned.schedule.len(), 1);
    assert!(render_ics(&planned).contains("BEGIN:VCALENDAR"));
    assert!(last.checked_add(Duration::days(1)).is_none());
}
