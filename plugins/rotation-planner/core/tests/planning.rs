//! Intervals, due dates, urgency, sorting and summary.

mod common;

use common::{AS_OF, day, item, plan_inline};
use rotation_core::{IntervalSource, MethodKind, Urgency, parse_policy};
use serde_json::json;

#[test]
fn urgency_bands_have_exact_boundaries() {
    // An api-key with a 30-day override is due exactly 30 days after last_rotated.
    let cases = [
        (-1, Urgency::Critical),
        (0, Urgency::Critical),
        (1, Urgency::High),
        (7, Urgency::High),
        (8, Urgency::Medium),
        (14, Urgency::Medium),
        (15, Urgency::Low),
    ];
    let entries: Vec<_> = cases
        .iter()
        .map(|(days, _)| {
            json!({"name": format!("k{days}"), "type": "api-key", "interval_days": 30, "last_rotated": day(days - 30)})
        })
        .collect();
    let plan = plan_inline(&entries, AS_OF, 90);
    for (days, urgency) in cases {
        let item = item(&plan, &format!("k{days}"));
        assert_eq!(item.days_until_due, Some(days));
        assert_eq!(item.due.as_deref(), Some(day(days).as_str()));
        assert_eq!(item.urgency, urgency, "{days} days until due");
    }
    assert_eq!(
        item(&plan, "k-1").reason,
        format!("last rotated {} + 30 days (override)", day(-31))
    );
}

#[test]
fn interval_is_the_smaller_of_policy_and_type_default() {
    let entries = [
        json!({"name": "db", "type": "database", "last_rotated": "2026-05-01"}),
        json!({"name": "key", "type": "api-key", "last_rotated": "2026-05-01"}),
        json!({"name": "token", "type": "service-token", "last_rotated": "2026-05-31"}),
        json!({"name": "odd", "type": "webhook-secret", "last_rotated": "2026-05-01"}),
    ];
    let plan = plan_inline(&entries, AS_OF, 60);
    let interval = |name| {
        let item = item(&plan, name);
        (item.interval_days, item.interval_source)
    };
    assert_eq!(
        interval("db"),
        (Some(30), Some(IntervalSource::TypeDefault))
    );
    assert_eq!(interval("key"), (Some(60), Some(IntervalSource::Policy)));
    assert_eq!(
        interval("token"),
        (Some(1), Some(IntervalSource::TypeDefault))
    );
    assert_eq!(interval("odd"), (Some(60), Some(IntervalSource::Policy)));
    assert_eq!(item(&plan, "key").due.as_deref(), Some("2026-06-30"));
    assert_eq!(
        item(&plan, "token").urgency,
        Urgency::Critical,
        "a 1-day token rotated yesterday is due today"
    );

    // A policy equal to the default is reported as the type default.
    let plan = plan_inline(&entries[..1], AS_OF, 30);
    assert_eq!(
        plan.schedule[0].interval_source,
        Some(IntervalSource::TypeDefault)
    );
}

#[test]
fn override_beats_policy_and_type_and_says_so_when_longer() {
    let entries = [
        json!({"name": "short", "type": "database", "interval_days": 7, "last_rotated": "2026-05-30"}),
        json!({"name": "long", "type": "database", "interval_days": "365", "last_rotated": "2026-01-01"}),
    ];
    let plan = plan_inline(&entries, AS_OF, 30);
    let short = item(&plan, "short");
    assert_eq!(
        (short.interval_days, short.interval_source),
        (Some(7), Some(IntervalSource::Override))
    );
    assert_eq!(short.due.as_deref(), Some("2026-06-06"));
    assert!(short.notes.is_empty());
    let long = item(&plan, "long");
    assert_eq!(
        (long.interval_days, long.interval_source),
        (Some(365), Some(IntervalSource::Override))
    );
    assert_eq!(long.urgency, Urgency::Low);
    assert!(
        long.notes[0].contains("longer than the 30-day policy"),
        "{:?}",
        long.notes
    );
    assert!(plan.problems.is_empty(), "{:?}", plan.problems);
}

#[test]
fn never_rotated_is_critical_and_due_today() {
    let plan = plan_inline(&[json!({"name": "db", "type": "database"})], AS_OF, 90);
    let db = &plan.schedule[0];
    assert_eq!(db.urgency, Urgency::Critical);
    assert_eq!(db.due.as_deref(), Some("2026-06-01"));
    assert_eq!(db.days_until_due, Some(0));
    assert_eq!(db.last_rotated, None);
    assert!(
        plan.report.contains("db (database, never rotated)"),
        "{}",
        plan.report
    );
}

#[test]
fn human_passwords_stay_in_the_schedule_without_a_due_date() {
    let entries = [
        json!({"name": "admin", "type": "human-password", "last_rotated": "2020-01-01"}),
        json!({"name": "alice", "type": "human-password"}),
        json!({"name": "later", "type": "api-key", "last_rotated": "2026-05-30"}),
    ];
    let plan = plan_inline(&entries, AS_OF, 30);
    for name in ["admin", "alice"] {
        let item = item(&plan, name);
        assert_eq!((item.due.as_deref(), item.days_until_due), (None, None));
        assert_eq!((item.interval_days, item.interval_source), (None, None));
        assert_eq!(item.urgency, Urgency::Low);
        assert_eq!(item.method, MethodKind::EventDriven);
        assert!(item.reason.contains("NIST SP 800-63B"), "{}", item.reason);
    }
    assert!(
        plan.problems.is_empty(),
        "a human password needs no date: {:?}",
        plan.problems
    );
    let order: Vec<_> = plan
        .schedule
        .iter()
        .map(|item| item.name.as_str())
        .collect();
    assert_eq!(
        order,
        ["later", "admin", "alice"],
        "undated items sort last"
    );
    assert_eq!(plan.summary.undated, 2);
    assert_eq!(plan.guidance["human-password"].default_interval_days, None);
}

#[test]
fn schedule_sorts_by_urgency_days_name_then_index() {
    let entries = [
        json!({"name": "b-low", "type": "api-key", "last_rotated": day(-10)}),
        json!({"name": "z-crit", "type": "database", "last_rotated": day(-40)}),
        json!({"name": "a-crit", "type": "database", "last_rotated": day(-40)}),
        json!({"name": "a-crit", "type": "database", "last_rotated": day(-40)}),
        json!({"name": "worst", "type": "database", "last_rotated": day(-100)}),
        json!({"name": "high", "type": "database", "last_rotated": day(-25)}),
        json!({"name": "a-low", "type": "api-key", "last_rotated": day(-5)}),
    ];
    let plan = plan_inline(&entries, AS_OF, 90);
    let order: Vec<_> = plan
        .schedule
        .iter()
        .map(|item| (item.name.as_str(), item.index))
        .collect();
    assert_eq!(
        order,
        [
            ("worst", 4),
            ("a-crit", 2),
            ("a-crit", 3),
            ("z-crit", 1),
            ("high", 5),
            ("b-low", 0),
            ("a-low", 6)
        ]
    );
}

#[test]
fn summary_actions_and_report_agree_with_the_schedule() {
    let entries = [
        json!({"name": "db", "type": "database", "owner": "team-a", "last_rotated": day(-45)}),
        json!({"name": "key", "type": "api-key", "owner": "team-b", "last_rotated": day(-85)}),
        json!({"name": "ssh", "type": "ssh-key", "last_rotated": day(-1)}),
        json!({"name": "tok", "type": "service-token", "owner": "team-a", "last_rotated": day(-1)}),
    ];
    let plan = plan_inline(&entries, AS_OF, 90);
    let summary = &plan.summary;
    assert_eq!(summary.total, 4);
    assert_eq!(
        (
            summary.by_urgency.critical,
            summary.by_urgency.high,
            summary.by_urgency.medium,
            summary.by_urgency.low
        ),
        (2, 1, 0, 1)
    );
    assert_eq!(summary.overdue, 1);
    let owners: Vec<_> = summary
        .by_owner
        .iter()
        .map(|(k, v)| (k.as_str(), *v))
        .collect();
    assert_eq!(owners, [("(none)", 1), ("team-a", 2), ("team-b", 1)]);
    assert_eq!(summary.by_type.len(), 4);
    assert_eq!(plan.actions.rotate_now, ["db", "tok"]);
    assert_eq!(plan.actions.this_week, ["key"]);
    assert_eq!(
        plan.report,
        "4 secrets planned as of 2026-06-01 under a 90-day policy: 2 critical, 1 high, 0 medium, 1 low. \
         Most urgent: db (database, 15 days overdue); tok (service-token, due today); key (api-key, due in 5 days)."
    );
    let keys: Vec<_> = plan.guidance.keys().map(String::as_str).collect();
    assert_eq!(keys, ["api-key", "database", "service-token", "ssh-key"]);
    assert_eq!(
        plan.guidance["database"].method.kind,
        MethodKind::DualAccountSwap
    );
    assert!(
        plan.guidance["database"]
            .method
            .how
            .contains("database secrets engine")
    );
}

#[test]
fn plan_serializes_with_snake_case_and_closed_string_sets() {
    let plan = plan_inline(
        &[json!({"name": "db", "type": "database", "last_rotated": day(-3)})],
        AS_OF,
        30,
    );
    let value = serde_json::to_value(&plan).unwrap();
    let item = &value["schedule"][0];
    assert_eq!(item["type"], "database");
    assert_eq!(item["urgency"], "low");
    assert_eq!(item["interval_source"], "type-default");
    assert_eq!(item["method"], "dual-account-swap");
    assert_eq!(
        value["guidance"]["database"]["standard"]["label"],
        "PCI DSS v4.0 Req. 8.6.3"
    );
    let back: rotation_core::Plan = serde_json::from_value(value).unwrap();
    assert_eq!(back, plan);

    let schema = serde_json::to_value(schemars::schema_for!(rotation_core::Plan)).unwrap();
    let text = schema.to_string();
    assert!(
        text.contains("Days from `as_of` until `due`"),
        "field docs become schema descriptions"
    );
}

#[test]
fn policy_parsing() {
    assert_eq!(parse_policy("30d"), Ok(30));
    assert_eq!(parse_policy(" 90D "), Ok(90));
    assert_eq!(parse_policy("60"), Ok(60));
    assert_eq!(parse_policy("3650d"), Ok(3650));
    for bad in ["0d", "3651d", "d", "", "-5d", "30 days", "1e3d", "+30d"] {
        let message = parse_policy(bad).unwrap_err();
        assert!(
            message.contains("expected <N>d with N from 1 to 3650"),
            "{bad}: {message}"
        );
    }
}

#[test]
fn planning_is_deterministic() {
    let entries: Vec<_> = (0..50)
        .map(|i| {
            let secret_type = ["database", "api-key", "x"][i % 3];
            json!({"name": format!("s{}", i % 7), "type": secret_type, "last_rotated": day(-(i as i64))})
        })
        .collect();
    let first = serde_json::to_string(&plan_inline(&entries, AS_OF, 30)).unwrap();
    let second = serde_json::to_string(&plan_inline(&entries, AS_OF, 30)).unwrap();
    assert_eq!(first, second);
}

#[test]
fn large_inventories_plan_without_quadratic_work() {
    let entries: Vec<_> = (0..100_000)
        .map(|i| json!({"name": format!("secret-{}", i % 50_000), "type": "api-key", "last_rotated": day(-(i % 120))}))
        .collect();
    let started = std::time::Instant::now();
    let plan = plan_inline(&entries, AS_OF, 90);
    let elapsed = started.elapsed();
    assert_eq!(plan.schedule.len(), 100_000);
    assert_eq!(
        plan.problems.len(),
        50_000,
        "every second copy is a duplicate"
    );
    // Generous so that unoptimised test builds pass; release builds take a fraction.
    assert!(
        elapsed.as_secs() < 10,
        "planning 100k entries took {elapsed:?}"
    );
}
