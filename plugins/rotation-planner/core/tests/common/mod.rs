//! Helpers shared by the integration tests.
#![allow(dead_code)]

use rotation_core::{Entry, Plan, PlanOptions, ScheduleItem, plan};
use serde_json::Value;
use time::Date;
use time::macros::date;

pub const AS_OF: Date = date!(2026 - 06 - 01);

pub fn options(as_of: Date, policy_days: u32) -> PlanOptions {
    PlanOptions { as_of, policy_days }
}

/// Plans inline entries the way the plugin does for `secrets` input.
pub fn plan_inline(entries: &[Value], as_of: Date, policy_days: u32) -> Plan {
    plan_values(entries, "input", "/secrets", &options(as_of, policy_days))
}

/// Plans JSON values, read as the plugin reads inline `secrets`.
pub fn plan_values(
    values: &[Value],
    source: &str,
    pointer_base: &str,
    options: &PlanOptions,
) -> Plan {
    let entries: Vec<Entry> = values.iter().map(Entry::from).collect();
    plan(&entries, source, pointer_base, options)
}

pub fn item<'p>(plan: &'p Plan, name: &str) -> &'p ScheduleItem {
    plan.schedule
        .iter()
        .find(|item| item.name == name)
        .unwrap_or_else(|| panic!("{name} is not in the schedule"))
}

/// A date `days` away from `AS_OF`, as text.
pub fn day(days: i64) -> String {
    let date = AS_OF.saturating_add(time::Duration::days(days));
    format!(
        "{:04}-{:02}-{:02}",
        date.year(),
        u8::from(date.month()),
        date.day()
    )
}

/// (code, pointer) of every problem, for exact comparisons.
pub fn problem_keys(plan: &Plan) -> Vec<(String, String)> {
    plan.problems
        .iter()
        .map(|problem| {
            let code = serde_json::to_value(problem.code).unwrap();
            (code.as_str().unwrap().to_owned(), problem.pointer.clone())
        })
        .collect()
}
