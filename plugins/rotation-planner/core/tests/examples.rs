//! The shipped example inventories plan as documented.

use rotation_core::{
    IntervalSource, InventoryFormat, LifetimeBasis, PlanOptions, ProblemCode, Urgency,
    parse_inventory, plan,
};
use time::macros::date;

const JSON: &[u8] = include_bytes!("../../../../examples/inventory.json");
const CSV: &[u8] = include_bytes!("../../../../examples/inventory.csv");

fn options() -> PlanOptions {
    PlanOptions {
        as_of: date!(2026 - 06 - 01),
        policy_days: 30,
    }
}

#[test]
fn example_json_inventory_plans_as_expected() {
    let inventory = parse_inventory(JSON, "inventory.json").unwrap();
    assert_eq!(inventory.format, InventoryFormat::Json);
    assert_eq!(inventory.pointer_prefix, "/secrets");
    let plan = plan(
        &inventory.entries,
        "inventory.json",
        &inventory.pointer_prefix,
        &options(),
    );

    assert_eq!(plan.summary.total, 13);
    let counts = &plan.summary.by_urgency;
    assert_eq!(
        (counts.critical, counts.high, counts.medium, counts.low),
        (4, 3, 2, 4)
    );
    assert_eq!(
        plan.actions.rotate_now,
        [
            "legacy-intranet-cert",
            "prod-postgres-app",
            "reporting-db-readonly",
            "vault-approle-ci-token"
        ]
    );
    assert_eq!(
        plan.actions.this_week,
        [
            "partner-sftp-key",
            "github-oauth-client",
            "smtp-relay-password"
        ]
    );

    let item = |name: &str| plan.schedule.iter().find(|item| item.name == name).unwrap();
    // Database: type default 30 equals the policy; rotated 2026-04-10, so 22 days overdue.
    let db = item("prod-postgres-app");
    assert_eq!(
        (db.due.as_deref(), db.days_until_due),
        (Some("2026-05-10"), Some(-22))
    );
    assert_eq!(db.interval_source, Some(IntervalSource::TypeDefault));
    // api-key: the 30-day policy beats the 90-day default.
    assert_eq!(
        item("payments-stripe-api-key").interval_source,
        Some(IntervalSource::Policy)
    );
    assert_eq!(item("payments-stripe-api-key").urgency, Urgency::Low);
    // Override of 14 days.
    assert_eq!(item("partner-sftp-key").due.as_deref(), Some("2026-06-03"));
    // Bad date: never rotated.
    let reporting = item("reporting-db-readonly");
    assert_eq!(
        (reporting.urgency, reporting.due.as_deref()),
        (Urgency::Critical, Some("2026-06-01"))
    );
    // Certificate with only not_after: 200-day maximum in force, renewal 67 days before expiry.
    let www = item("www-example-com");
    assert_eq!(www.due.as_deref(), Some("2026-06-14"));
    assert_eq!(www.urgency, Urgency::Medium);
    let tls = www.tls.as_ref().unwrap();
    assert_eq!(
        (tls.cab_max_validity_days, tls.lifetime_basis),
        (200, Some(LifetimeBasis::CabMaximum))
    );
    // The human password stays in the schedule, undated and last.
    let admin = plan.schedule.last().unwrap();
    assert_eq!(
        (admin.name.as_str(), admin.due.as_deref()),
        ("break-glass-admin", None)
    );
    // Unknown type keeps its name and gets the manual method.
    assert_eq!(item("webhook-signing-secret").secret_type, "webhook-secret");

    let problems: Vec<_> = plan
        .problems
        .iter()
        .map(|p| (p.code, p.pointer.as_str()))
        .collect();
    assert_eq!(
        problems,
        [
            (ProblemCode::InvalidLastRotated, "/secrets/3/last_rotated"),
            (ProblemCode::MissingLastRotated, "/secrets/4/last_rotated"),
            (
                ProblemCode::CertificateLifetimeExceedsMaximum,
                "/secrets/5/not_after"
            ),
            (ProblemCode::UnknownType, "/secrets/10/type"),
        ]
    );
    assert!(
        plan.report
            .starts_with("13 secrets planned as of 2026-06-01 under a 30-day policy: 4 critical")
    );
    assert!(
        plan.report
            .contains("Most urgent: legacy-intranet-cert (tls-certificate, 335 days overdue)")
    );
}

#[test]
fn example_csv_inventory_plans_every_row() {
    let inventory = parse_inventory(CSV, "inventory.csv").unwrap();
    assert_eq!(inventory.format, InventoryFormat::Csv);
    assert_eq!(inventory.entries.len(), 4);
    let plan = plan(
        &inventory.entries,
        "inventory.csv",
        &inventory.pointer_prefix,
        &options(),
    );
    assert!(plan.problems.is_empty(), "{:?}", plan.problems);
    assert_eq!(plan.summary.total, 4);
    let maps = plan
        .schedule
        .iter()
        .find(|item| item.name == "maps-api-key, browser")
        .unwrap();
    assert_eq!(maps.urgency, Urgency::Critical);
    let payroll = plan
        .schedule
        .iter()
        .find(|item| item.name == "payroll-export-key")
        .unwrap();
    assert_eq!(
        (payroll.interval_days, payroll.environment.as_deref()),
        (Some(45), None)
    );
    assert_eq!(payroll.interval_source, Some(IntervalSource::Override));
}
