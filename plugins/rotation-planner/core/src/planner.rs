//! The whole plan: plans every entry, detects duplicates, sorts the schedule and
//! derives the summary, action items, guidance and the short report.

use std::cmp::Ordering;
use std::collections::hash_map::Entry as Seen;
use std::collections::{BTreeMap, HashMap};

use crate::dates::{clip, format_date};
use crate::entry::{MAX_INTERVAL_DAYS, PlanOptions, Problems, plan_entry};
use crate::fields::Entry;
use crate::model::{
    Actions, Plan, ProblemCode, ScheduleItem, Severity, Summary, Urgency, UrgencyCounts,
};
use crate::pointer;

/// Parses a policy written as `<N>d` (e.g. `30d`; a bare `30` is accepted too), with
/// N from 1 to 3650.
pub fn parse_policy(s: &str) -> Result<u32, String> {
    let trimmed = s.trim();
    let digits = trimmed
        .strip_suffix('d')
        .or_else(|| trimmed.strip_suffix('D'))
        .unwrap_or(trimmed);
    let days = (!digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()))
        .then(|| digits.parse::<u32>().ok())
        .flatten();
    match days {
        Some(days) if (1..=MAX_INTERVAL_DAYS).contains(&days) => Ok(days),
        _ => Err(format!(
            "policy {:?} is not a number of days like 30d; expected <N>d with N from 1 to {MAX_INTERVAL_DAYS} \
             (common choices: 30d, 60d, 90d)",
            clip(s)
        )),
    }
}

/// Plans every entry.
///
/// `source` names where the entries came from (a file name, or "input"), and
/// `pointer_base` is prefixed to every problem pointer (`/secrets` for inline input,
/// or the inventory's `pointer_prefix`).
pub fn plan(
    entries: &[Entry<'_>],
    source: &str,
    pointer_base: &str,
    options: &PlanOptions,
) -> Plan {
    let mut problems = Problems::new(source);
    let mut schedule = Vec::with_capacity(entries.len());
    let mut guidance = BTreeMap::new();
    // (name, environment) -> index of the first entry with it. The same name in two
    // environments is two secrets; within one environment it is a copy. Sized up
    // front, so it never rehashes.
    let mut first_seen: HashMap<(&str, Option<&str>), usize> =
        HashMap::with_capacity(entries.len());

    for (index, entry) in entries.iter().enumerate() {
        // An index needs no escaping, unlike the tokens `pointer::push` takes.
        let entry_pointer = format!("{pointer_base}/{index}");
        let Some(planned) = plan_entry(index, entry, entry_pointer, options, &mut problems) else {
            continue;
        };
        let item = planned.item;
        let first = planned.key.and_then(|key| match first_seen.entry(key) {
            Seen::Occupied(seen) => Some(*seen.get()),
            Seen::Vacant(slot) => {
                slot.insert(index);
                None
            }
        });
        if let Some(first) = first {
            let scope = match &item.environment {
                Some(environment) => format!(" in environment {:?}", clip(environment)),
                None => String::new(),
            };
            let message = format!(
                "name {:?}{scope} is already used by entry #{first} ({pointer_base}/{first}); both are planned. \
                 Give each secret a unique name, or remove the copy.",
                clip(&item.name)
            );
            problems.push(
                Severity::Warning,
                ProblemCode::DuplicateName,
                pointer::push(&item.pointer, "name"),
                Some(&item.name),
                message,
            );
        }
        if !guidance.contains_key(&item.secret_type) {
            guidance.insert(item.secret_type.clone(), planned.spec.guidance());
        }
        schedule.push(item);
    }

    sort_schedule(&mut schedule);
    let problems = problems.list;
    let summary = summarize(&schedule, &problems);
    let actions = Actions {
        rotate_now: names_with(&schedule, Urgency::Critical),
        this_week: names_with(&schedule, Urgency::High),
    };
    let report = report(&schedule, &summary, options);
    Plan {
        as_of: format_date(options.as_of),
        policy_days: options.policy_days,
        report,
        schedule,
        summary,
        actions,
        guidance,
        problems,
    }
}

/// Sorts the schedule by [`schedule_order`] through a list of positions, then moves
/// each item straight to its place: items are a few hundred bytes, and sorting them
/// directly would move each one many times.
fn sort_schedule(schedule: &mut [ScheduleItem]) {
    let mut order: Vec<usize> = (0..schedule.len()).collect();
    order.sort_by(|&a, &b| schedule_order(&schedule[a], &schedule[b]));
    // Slot `i` must receive the item now at `order[i]`. Follow each cycle of that
    // permutation from its first slot, marking every filled slot as its own source.
    for start in 0..order.len() {
        let mut slot = start;
        while order[slot] != start {
            let source = order[slot];
            schedule.swap(slot, source);
            order[slot] = slot;
            slot = source;
        }
        order[slot] = slot;
    }
}

/// Most urgent first; within a band fewest days first with undated items last, then
/// by name and input position so the order never depends on the sort algorithm.
fn schedule_order(a: &ScheduleItem, b: &ScheduleItem) -> Ordering {
    let days = |item: &ScheduleItem| (item.days_until_due.is_none(), item.days_until_due);
    a.urgency
        .cmp(&b.urgency)
        .then_with(|| days(a).cmp(&days(b)))
        .then_with(|| a.name.cmp(&b.name))
        .then_with(|| a.index.cmp(&b.index))
}

fn names_with(schedule: &[ScheduleItem], urgency: Urgency) -> Vec<String> {
    schedule
        .iter()
        .filter(|item| item.urgency == urgency)
        .map(|item| item.name.clone())
        .collect()
}

fn summarize(schedule: &[ScheduleItem], problems: &[crate::model::Problem]) -> Summary {
    let mut by_urgency = UrgencyCounts::default();
    // Counted under borrowed names; only the few distinct ones are copied.
    let mut by_type = BTreeMap::<&str, usize>::new();
    let mut by_owner = BTreeMap::<&str, usize>::new();
    for item in schedule {
        *match item.urgency {
            Urgency::Critical => &mut by_urgency.critical,
            Urgency::High => &mut by_urgency.high,
            Urgency::Medium => &mut by_urgency.medium,
            Urgency::Low => &mut by_urgency.low,
        } += 1;
        *by_type.entry(&item.secret_type).or_insert(0) += 1;
        *by_owner
            .entry(item.owner.as_deref().unwrap_or("(none)"))
            .or_insert(0) += 1;
    }
    let errors = problems
        .iter()
        .filter(|problem| problem.severity == Severity::Error)
        .count();
    Summary {
        total: schedule.len(),
        by_urgency,
        by_type: owned_keys(by_type),
        by_owner: owned_keys(by_owner),
        overdue: schedule
            .iter()
            .filter(|item| item.days_until_due.is_some_and(|days| days < 0))
            .count(),
        undated: schedule.iter().filter(|item| item.due.is_none()).count(),
        errors,
        warnings: problems.len() - errors,
    }
}

fn owned_keys(counts: BTreeMap<&str, usize>) -> BTreeMap<String, usize> {
    counts
        .into_iter()
        .map(|(key, count)| (key.to_owned(), count))
        .collect()
}

/// Where an item stands ("3 days overdue", "due today", "never rotated"), as
/// text written straight into a report: renderings show it for every item.
pub(crate) fn standing(item: &ScheduleItem) -> Standing<'_> {
    Standing(item)
}

pub(crate) struct Standing<'a>(&'a ScheduleItem);

impl std::fmt::Display for Standing<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let item = self.0;
        let never_rotated = item.last_rotated.is_none()
            && item.due.is_some()
            && item.tls.as_ref().is_none_or(|tls| tls.not_after.is_none());
        match item.days_until_due {
            None => f.write_str("no due date"),
            Some(_) if never_rotated => f.write_str("never rotated"),
            Some(days) if days < -1 => write!(f, "{} days overdue", -days),
            Some(-1) => f.write_str("1 day overdue"),
            Some(0) => f.write_str("due today"),
            Some(1) => f.write_str("due tomorrow"),
            Some(days) => write!(f, "due in {days} days"),
        }
    }
}

fn plural(count: usize, one: &str, many: &str) -> String {
    format!("{count} {}", if count == 1 { one } else { many })
}

/// Two or three sentences for readers who see only the JSON.
fn report(schedule: &[ScheduleItem], summary: &Summary, options: &PlanOptions) -> String {
    let as_of = format_date(options.as_of);
    let mut sentences = Vec::new();
    if schedule.is_empty() {
        sentences.push(format!("No secrets to plan as of {as_of}."));
    } else {
        let counts = &summary.by_urgency;
        sentences.push(format!(
            "{} planned as of {as_of} under a {}-day policy: {} critical, {} high, {} medium, {} low.",
            plural(summary.total, "secret", "secrets"),
            options.policy_days,
            counts.critical,
            counts.high,
            counts.medium,
            counts.low
        ));
        const SHOWN: usize = 3;
        let urgent: Vec<String> = schedule
            .iter()
            .filter(|item| item.urgency <= Urgency::High)
            .take(SHOWN)
            .map(|item| {
                format!(
                    "{} ({}, {})",
                    clip(&item.name),
                    item.secret_type,
                    standing(item)
                )
            })
            .collect();
        let pressing = counts.critical + counts.high;
        if !urgent.is_empty() {
            let more = if pressing > SHOWN {
                format!(" and {} more", pressing - SHOWN)
            } else {
                String::new()
            };
            sentences.push(format!("Most urgent: {}{more}.", urgent.join("; ")));
        } else if let Some(next) = schedule.iter().find(|item| item.due.is_some()) {
            sentences.push(format!(
                "Nothing is due within 7 days; next is {} on {}.",
                clip(&next.name),
                next.due.as_deref().unwrap_or_default()
            ));
        } else {
            sentences.push("No secret has a due date.".to_owned());
        }
    }
    let problem_count = summary.errors + summary.warnings;
    if problem_count > 0 {
        sentences.push(format!(
            "The input has {} ({}, {}), listed under problems.",
            plural(problem_count, "problem", "problems"),
            plural(summary.errors, "error", "errors"),
            plural(summary.warnings, "warning", "warnings")
        ));
    }
    sentences.join(" ")
}
