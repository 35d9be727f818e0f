//! TLS certificates: the CA/B Forum schedule, renewal at a third of the lifetime,
//! and the calendar cap.

mod common;

use common::{AS_OF, options, plan_values, problem_keys};
use rotation_core::{IntervalSource, LifetimeBasis, Plan, Severity, Urgency};
use serde_json::{Value, json};
use time::Date;
use time::macros::date;

fn plan_cert(entry: Value, as_of: Date, policy_days: u32) -> Plan {
    plan_values(&[entry], "input", "/secrets", &options(as_of, policy_days))
}

#[test]
fn without_not_after_the_parity_default_applies() {
    let cert = json!({"name": "c", "type": "tls-certificate", "last_rotated": "2026-05-01"});
    let plan = plan_cert(cert.clone(), AS_OF, 90);
    let item = &plan.schedule[0];
    assert_eq!(
        (item.interval_days, item.interval_source),
        (Some(60), Some(IntervalSource::TypeDefault))
    );
    assert_eq!(item.due.as_deref(), Some("2026-06-30"));
    let tls = item.tls.as_ref().unwrap();
    assert_eq!(tls.cab_max_validity_days, 200);
    assert_eq!(tls.not_after, None);
    assert_eq!(
        plan_cert(cert, AS_OF, 30).schedule[0].interval_source,
        Some(IntervalSource::Policy)
    );
}

#[test]
fn unknown_issue_date_assumes_the_cab_maximum_in_force_on_as_of() {
    let cert = json!({"name": "c", "type": "tls-certificate", "not_after": "2026-09-30"});
    // 14 March 2026: 398 days allowed, lead ceil(398/3) = 133 days.
    let before = plan_cert(cert.clone(), date!(2026 - 03 - 14), 90);
    let item = &before.schedule[0];
    let tls = item.tls.as_ref().unwrap();
    assert_eq!(tls.cab_max_validity_days, 398);
    assert_eq!(
        (tls.lifetime_days, tls.lifetime_basis),
        (Some(398), Some(LifetimeBasis::CabMaximum))
    );
    assert_eq!(tls.renewal_lead_days, Some(133));
    assert_eq!(item.due.as_deref(), Some("2026-05-20"));
    assert_eq!(item.interval_source, Some(IntervalSource::TlsValidity));
    assert_eq!(item.interval_days, Some(265));
    assert_eq!(item.urgency, Urgency::Low);

    // 15 March 2026: 200 days allowed, lead ceil(200/3) = 67 days.
    let after = plan_cert(cert, date!(2026 - 03 - 15), 90);
    let item = &after.schedule[0];
    assert_eq!(item.tls.as_ref().unwrap().cab_max_validity_days, 200);
    assert_eq!(item.tls.as_ref().unwrap().renewal_lead_days, Some(67));
    assert_eq!(item.due.as_deref(), Some("2026-07-25"));

    // The missing date is a warning only: the expiry is known.
    assert_eq!(
        problem_keys(&after),
        [(
            "missing-last-rotated".to_owned(),
            "/secrets/0/last_rotated".to_owned()
        )]
    );
    assert_eq!(after.problems[0].severity, Severity::Warning);
}

#[test]
fn cab_maximum_follows_every_later_boundary() {
    let cert = json!({"name": "c", "type": "tls-certificate", "last_rotated": "2027-01-01"});
    for (as_of, max) in [
        (date!(2027 - 03 - 14), 200),
        (date!(2027 - 03 - 15), 100),
        (date!(2029 - 03 - 14), 100),
        (date!(2029 - 03 - 15), 47),
    ] {
        let plan = plan_cert(cert.clone(), as_of, 90);
        assert_eq!(
            plan.schedule[0].tls.as_ref().unwrap().cab_max_validity_days,
            max,
            "{as_of}"
        );
    }
}

#[test]
fn known_lifetime_renews_at_a_third_remaining() {
    // 30-day certificate: lead 10 days, renewal 2026-04-21, before the 60-day calendar date.
    let cert = json!({"name": "c", "type": "tls-certificate", "last_rotated": "2026-04-01", "not_after": "2026-05-01"});
    let plan = plan_cert(cert, date!(2026 - 04 - 10), 90);
    let item = &plan.schedule[0];
    assert_eq!(item.due.as_deref(), Some("2026-04-21"));
    assert_eq!(
        (item.interval_days, item.interval_source),
        (Some(20), Some(IntervalSource::TlsValidity))
    );
    assert_eq!(item.days_until_due, Some(11));
    let tls = item.tls.as_ref().unwrap();
    assert_eq!(
        (tls.lifetime_days, tls.lifetime_basis),
        (Some(30), Some(LifetimeBasis::Issued))
    );
    assert_eq!(tls.cab_max_at_issuance_days, Some(200));
    assert_eq!(tls.days_until_expiry, Some(21));
    assert!(plan.problems.is_empty(), "{:?}", plan.problems);
}

#[test]
fn calendar_interval_caps_a_long_certificate() {
    // 200-day certificate renews 67 days before expiry, but the 30-day policy comes first.
    let cert = json!({"name": "c", "type": "tls-certificate", "last_rotated": "2026-04-01", "not_after": "2026-10-18"});
    let plan = plan_cert(cert, date!(2026 - 04 - 10), 30);
    let item = &plan.schedule[0];
    assert_eq!(item.due.as_deref(), Some("2026-05-01"));
    assert_eq!(item.interval_source, Some(IntervalSource::Policy));
    assert!(
        plan.problems.is_empty(),
        "200 days is within the limit on 2026-04-01"
    );
}

#[test]
fn lifetime_longer_than_allowed_at_issuance_is_a_finding() {
    let long = json!({"name": "c", "type": "tls-certificate", "last_rotated": "2026-04-01", "not_after": "2027-04-01"});
    let plan = plan_cert(long, AS_OF, 90);
    assert_eq!(
        problem_keys(&plan),
        [(
            "certificate-lifetime-exceeds-maximum".to_owned(),
            "/secrets/0/not_after".to_owned()
        )]
    );
    assert!(
        plan.problems[0].message.contains("365 days"),
        "{}",
        plan.problems[0].message
    );
    assert!(
        plan.problems[0].message.contains("200-day"),
        "{}",
        plan.problems[0].message
    );
    assert_eq!(plan.schedule[0].notes.len(), 1);

    // The same lifetime issued before 15 March 2026 was allowed (398 days).
    let allowed = json!({"name": "c", "type": "tls-certificate", "last_rotated": "2026-03-01", "not_after": "2027-03-01"});
    let plan = plan_cert(allowed, AS_OF, 90);
    assert!(plan.problems.is_empty(), "{:?}", plan.problems);
    assert_eq!(
        plan.schedule[0]
            .tls
            .as_ref()
            .unwrap()
            .cab_max_at_issuance_days,
        Some(398)
    );
}

#[test]
fn expired_certificates_are_critical() {
    for not_after in ["2026-06-01", "2026-05-01"] {
        let cert = json!({"name": "c", "type": "tls-certificate", "not_after": not_after});
        let plan = plan_cert(cert, AS_OF, 90);
        let item = &plan.schedule[0];
        assert_eq!(item.urgency, Urgency::Critical, "{not_after}");
        assert!(
            item.reason
                .starts_with(&format!("the certificate expired on {not_after}")),
            "{}",
            item.reason
        );
    }
}

#[test]
fn bad_not_after_values_are_reported() {
    let garbled = json!({"name": "c", "type": "tls-certificate", "last_rotated": "2026-05-01", "not_after": "soon"});
    let plan = plan_cert(garbled, AS_OF, 90);
    assert_eq!(
        problem_keys(&plan),
        [(
            "invalid-not-after".to_owned(),
            "/secrets/0/not_after".to_owned()
        )]
    );
    assert_eq!(
        plan.schedule[0].due.as_deref(),
        Some("2026-06-30"),
        "planned on the calendar instead"
    );

    let backwards = json!({"name": "c", "type": "tls-certificate", "last_rotated": "2026-05-01", "not_after": "2026-04-01"});
    let plan = plan_cert(backwards, AS_OF, 90);
    assert_eq!(
        problem_keys(&plan),
        [(
            "invalid-not-after".to_owned(),
            "/secrets/0/not_after".to_owned()
        )]
    );
    assert_eq!(plan.problems[0].severity, Severity::Error);
    assert_eq!(
        plan.schedule[0].urgency,
        Urgency::Critical,
        "it expired on 2026-04-01"
    );
}

#[test]
fn not_after_on_other_types_is_ignored_with_a_note() {
    let key = json!({"name": "k", "type": "api-key", "last_rotated": "2026-05-01", "not_after": "2026-05-02"});
    let plan = plan_cert(key, AS_OF, 90);
    assert!(plan.schedule[0].tls.is_none());
    assert_eq!(plan.schedule[0].due.as_deref(), Some("2026-07-30"));
    assert_eq!(plan.schedule[0].notes.len(), 1);
}
