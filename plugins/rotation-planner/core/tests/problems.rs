//! Every kind of input problem, with its exact pointer and the planner's fallback.

mod common;

use common::{AS_OF, day, item, plan_inline, problem_keys};
use rotation_core::{MethodKind, ProblemCode, Severity, Urgency};
use serde_json::json;

fn keys(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
        .collect()
}

#[test]
fn missing_name_gets_a_placeholder() {
    let plan = plan_inline(
        &[json!({"type": "database", "last_rotated": day(-1)})],
        AS_OF,
        30,
    );
    assert_eq!(
        problem_keys(&plan),
        keys(&[("missing-name", "/secrets/0/name")])
    );
    assert_eq!(plan.problems[0].entry, None);
    assert_eq!(plan.problems[0].source, "input");
    assert_eq!(plan.problems[0].severity, Severity::Error);
    assert_eq!(plan.schedule[0].name, "(unnamed #0)");
}

#[test]
fn missing_type_is_planned_as_unknown() {
    let plan = plan_inline(
        &[json!({"name": "mystery", "last_rotated": day(-1)})],
        AS_OF,
        365,
    );
    assert_eq!(
        problem_keys(&plan),
        keys(&[("missing-type", "/secrets/0/type")])
    );
    let item = &plan.schedule[0];
    assert_eq!(item.secret_type, "(none)");
    assert_eq!(item.interval_days, Some(90));
    assert_eq!(item.method, MethodKind::Manual);
    assert_eq!(plan.problems[0].entry.as_deref(), Some("mystery"));
}

#[test]
fn unknown_type_warns_and_lists_the_known_ones() {
    let plan = plan_inline(
        &[json!({"name": "hook", "type": "webhook-secret", "last_rotated": day(-1)})],
        AS_OF,
        365,
    );
    assert_eq!(
        problem_keys(&plan),
        keys(&[("unknown-type", "/secrets/0/type")])
    );
    let problem = &plan.problems[0];
    assert_eq!(problem.severity, Severity::Warning);
    assert!(
        problem.message.contains("api-key, tls-certificate"),
        "{}",
        problem.message
    );
    assert!(
        problem.message.contains("90-day default"),
        "{}",
        problem.message
    );
    let item = &plan.schedule[0];
    assert_eq!(
        (item.secret_type.as_str(), item.interval_days),
        ("webhook-secret", Some(90))
    );
    assert_eq!(item.standard, "project default, no standard");
    assert!(plan.guidance["webhook-secret"].standard.url.is_none());
}

#[test]
fn missing_and_invalid_last_rotated_mean_never_rotated() {
    let entries = [
        json!({"name": "a", "type": "database"}),
        json!({"name": "b", "type": "database", "last_rotated": "2026-02-30"}),
        json!({"name": "c", "type": "database", "last_rotated": "01/05/2026"}),
        json!({"name": "d", "type": "database", "last_rotated": 20260501}),
    ];
    let plan = plan_inline(&entries, AS_OF, 30);
    assert_eq!(
        problem_keys(&plan),
        keys(&[
            ("missing-last-rotated", "/secrets/0/last_rotated"),
            ("invalid-last-rotated", "/secrets/1/last_rotated"),
            ("invalid-last-rotated", "/secrets/2/last_rotated"),
            ("invalid-last-rotated", "/secrets/3/last_rotated"),
        ])
    );
    for problem in &plan.problems {
        assert_eq!(problem.severity, Severity::Error);
        assert!(
            problem.message.contains("treated as never rotated"),
            "{}",
            problem.message
        );
    }
    assert!(
        plan.problems[3].message.contains("found a number"),
        "{}",
        plan.problems[3].message
    );
    assert!(
        plan.schedule
            .iter()
            .all(|item| item.urgency == Urgency::Critical && item.days_until_due == Some(0))
    );
}

#[test]
fn future_last_rotated_warns_but_plans() {
    let plan = plan_inline(
        &[json!({"name": "f", "type": "api-key", "last_rotated": day(10)})],
        AS_OF,
        30,
    );
    assert_eq!(
        problem_keys(&plan),
        keys(&[("future-last-rotated", "/secrets/0/last_rotated")])
    );
    assert_eq!(plan.problems[0].severity, Severity::Warning);
    assert_eq!(plan.schedule[0].days_until_due, Some(40));
}

#[test]
fn invalid_interval_days_fall_back_to_the_computed_interval() {
    let bad = [
        json!(0),
        json!(3651),
        json!(-5),
        json!(2.5),
        json!("soon"),
        json!(true),
        json!([30]),
    ];
    let entries: Vec<_> = bad
        .iter()
        .enumerate()
        .map(|(i, interval)| json!({"name": format!("k{i}"), "type": "api-key", "last_rotated": day(-1), "interval_days": interval}))
        .collect();
    let plan = plan_inline(&entries, AS_OF, 30);
    let expected: Vec<_> = (0..bad.len())
        .map(|i| {
            (
                "invalid-interval".to_owned(),
                format!("/secrets/{i}/interval_days"),
            )
        })
        .collect();
    assert_eq!(problem_keys(&plan), expected);
    assert!(
        plan.problems[0]
            .message
            .contains("used the policy interval of 30 days instead")
    );
    assert!(
        plan.schedule
            .iter()
            .all(|item| item.interval_days == Some(30))
    );
}

#[test]
fn non_objects_are_the_only_entries_skipped() {
    let entries = [
        json!("db"),
        json!({"name": "ok", "type": "api-key", "last_rotated": day(-1)}),
        json!(null),
        json!({}),
        json!([1]),
    ];
    let plan = plan_inline(&entries, AS_OF, 30);
    assert_eq!(
        problem_keys(&plan),
        keys(&[
            ("not-an-object", "/secrets/0"),
            ("not-an-object", "/secrets/2"),
            ("not-an-object", "/secrets/3"),
            ("not-an-object", "/secrets/4"),
        ])
    );
    assert!(plan.problems[0].message.contains("a string, not an object"));
    assert_eq!(plan.schedule.len(), 1);
    assert_eq!(plan.schedule[0].pointer, "/secrets/1");
}

#[test]
fn fields_of_the_wrong_json_type_are_reported() {
    let entry = json!({"name": 42, "type": "database", "owner": ["a"], "store": {"x": 1}, "environment": false, "last_rotated": day(-1)});
    let plan = plan_inline(&[entry], AS_OF, 30);
    assert_eq!(
        problem_keys(&plan),
        keys(&[
            ("wrong-field-type", "/secrets/0/name"),
            ("wrong-field-type", "/secrets/0/store"),
            ("wrong-field-type", "/secrets/0/owner"),
            ("wrong-field-type", "/secrets/0/environment"),
        ])
    );
    assert!(plan.problems[0].message.contains("found a number"));
    let item = &plan.schedule[0];
    assert_eq!((item.owner.as_ref(), item.store.as_ref()), (None, None));
    assert_eq!(item.name, "(unnamed #0)");
}

#[test]
fn duplicates_warn_on_the_later_entry_and_name_the_first() {
    let entries = [
        json!({"name": "db", "type": "database", "last_rotated": day(-1)}),
        json!({"name": "db", "type": "database", "environment": "staging", "last_rotated": day(-1)}),
        json!({"name": "other", "type": "api-key", "last_rotated": day(-1)}),
        json!({"name": "db", "type": "database", "last_rotated": day(-2)}),
        json!({"name": "db", "type": "database", "last_rotated": day(-3)}),
    ];
    let plan = plan_inline(&entries, AS_OF, 30);
    assert_eq!(
        problem_keys(&plan),
        keys(&[
            ("duplicate-name", "/secrets/3/name"),
            ("duplicate-name", "/secrets/4/name")
        ])
    );
    for problem in &plan.problems {
        assert_eq!(problem.severity, Severity::Warning);
        assert!(
            problem.message.contains("entry #0 (/secrets/0)"),
            "{}",
            problem.message
        );
    }
    assert_eq!(plan.schedule.len(), 5, "duplicates are still planned");
}

#[test]
fn pointers_use_the_given_base() {
    let entries = [json!({"name": "a", "type": "database"})];
    let from_array = common::plan_values(&entries, "inv.json", "", &common::options(AS_OF, 30));
    assert_eq!(from_array.problems[0].pointer, "/0/last_rotated");
    assert_eq!(from_array.problems[0].source, "inv.json");
    assert_eq!(from_array.schedule[0].pointer, "/0");
}

#[test]
fn every_problem_code_used_here_serializes_in_kebab_case() {
    let code = serde_json::to_value(ProblemCode::CertificateLifetimeExceedsMaximum).unwrap();
    assert_eq!(code, "certificate-lifetime-exceeds-maximum");
    assert_eq!(
        item(
            &plan_inline(&[json!({"name": "x", "type": "x"})], AS_OF, 30),
            "x"
        )
        .secret_type,
        "x"
    );
}
