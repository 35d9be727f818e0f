//! Planning one inventory entry: reading its fields, choosing its interval and due
//! date, and reporting what is wrong with it.
//!
//! Every field problem becomes one [`Problem`] with a JSON Pointer, and the entry is
//! still planned with a stated fallback; only non-objects are skipped.

use time::Date;

use crate::catalog::{self, TLS_CERTIFICATE, TypeSpec};
use crate::dates::{add_days, cab_max_validity_days, clip, days_between, format_date, parse_date};
use crate::fields::{Entry, Field, Fields, Raw, Shape};
use crate::model::{
    IntervalSource, LifetimeBasis, Problem, ProblemCode, ScheduleItem, Severity, TlsDetails,
    Urgency,
};
use crate::pointer;

/// What a plan is computed for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlanOptions {
    /// The day to plan from; every day count is relative to it (never the machine clock).
    pub as_of: Date,
    /// The longest rotation interval allowed, in days.
    pub policy_days: u32,
}

/// The largest `interval_days` accepted: ten years.
pub(crate) const MAX_INTERVAL_DAYS: u32 = 3650;

/// Collects problems for one planning run, stamping each with the source name.
pub(crate) struct Problems<'a> {
    source: &'a str,
    pub(crate) list: Vec<Problem>,
}

impl<'a> Problems<'a> {
    pub(crate) fn new(source: &'a str) -> Self {
        Problems {
            source,
            list: Vec::new(),
        }
    }

    pub(crate) fn push(
        &mut self,
        severity: Severity,
        code: ProblemCode,
        pointer: String,
        entry: Option<&str>,
        message: String,
    ) {
        self.list.push(Problem {
            severity,
            code,
            source: self.source.to_owned(),
            pointer,
            entry: entry.map(str::to_owned),
            message,
        });
    }
}

/// A planned entry plus what the planner needs to finish the plan.
pub(crate) struct Planned<'e> {
    pub item: ScheduleItem,
    pub spec: &'static TypeSpec,
    /// The entry's name and environment, borrowed from the input for duplicate
    /// detection; `None` when it has no real name (those are not duplicate-checked).
    pub key: Option<(&'e str, Option<&'e str>)>,
}

/// A string field as found in an entry.
enum Text<'v> {
    /// Missing, null, or blank.
    Absent,
    Given(&'v str),
    /// Present with a non-string JSON type (its kind, for messages).
    Wrong(&'static str),
}

fn text<'v>(fields: &'v Fields<'_>, field: Field) -> Text<'v> {
    match fields.get(field) {
        Raw::Null => Text::Absent,
        Raw::Str(s) => match s.trim() {
            "" => Text::Absent,
            given => Text::Given(given),
        },
        other => Text::Wrong(other.kind()),
    }
}

/// Reports problems of one entry: fills in the source, the entry's name and the
/// pointer of the field.
struct EntryProblems<'p, 's> {
    problems: &'p mut Problems<'s>,
    entry_pointer: &'p str,
    label: Option<&'p str>,
}

impl EntryProblems<'_, '_> {
    fn report(&mut self, severity: Severity, code: ProblemCode, field: Field, message: String) {
        let pointer = pointer::push(self.entry_pointer, field.name());
        self.problems
            .push(severity, code, pointer, self.label, message);
    }

    fn error(&mut self, code: ProblemCode, field: Field, message: String) {
        self.report(Severity::Error, code, field, message);
    }

    fn warning(&mut self, code: ProblemCode, field: Field, message: String) {
        self.report(Severity::Warning, code, field, message);
    }
}

/// The due date of one entry and the rule behind it.
struct Due {
    date: Option<Date>,
    interval_days: Option<u32>,
    source: Option<IntervalSource>,
    reason: String,
    /// Never rotated, or an expired certificate: critical whatever the day count says.
    forced_critical: bool,
}

/// Plans one entry, or reports it and returns `None` when it is not a non-empty object.
pub(crate) fn plan_entry<'e>(
    index: usize,
    entry: &'e Entry<'_>,
    entry_pointer: String,
    options: &PlanOptions,
    problems: &mut Problems<'_>,
) -> Option<Planned<'e>> {
    let fields = match &entry.0 {
        Shape::Object(fields) => fields,
        other => {
            let what = match other {
                Shape::Other(kind) => format!("{kind}, not an object"),
                _ => "an empty object".to_owned(),
            };
            let message = format!(
                "the entry is {what}; expected a secret object with name and type. Skipped."
            );
            problems.push(
                Severity::Error,
                ProblemCode::NotAnObject,
                entry_pointer,
                None,
                message,
            );
            return None;
        }
    };

    // Name first: every later message names the entry.
    let (name, given_name) = match text(fields, Field::Name) {
        Text::Given(name) => (name.to_owned(), Some(name)),
        absent_or_wrong => {
            let fallback = format!("(unnamed #{index})");
            let (code, found) = match absent_or_wrong {
                Text::Wrong(found) => (ProblemCode::WrongFieldType, format!("found {found}")),
                _ => (ProblemCode::MissingName, "it is missing".to_owned()),
            };
            let message =
                format!("name must be a non-empty string, but {found}; listed as \"{fallback}\".");
            problems.push(
                Severity::Error,
                code,
                pointer::push(&entry_pointer, Field::Name.name()),
                None,
                message,
            );
            (fallback, None)
        }
    };
    let mut report = EntryProblems {
        problems,
        entry_pointer: &entry_pointer,
        label: given_name,
    };

    let (spec, secret_type) = read_type(fields, &mut report);
    let mut optional = |field: Field| match text(fields, field) {
        Text::Given(value) => Some(value),
        Text::Absent => None,
        Text::Wrong(found) => {
            let message = format!(
                "{} must be a string, but found {found}; ignored.",
                field.name()
            );
            report.error(ProblemCode::WrongFieldType, field, message);
            None
        }
    };
    let store = optional(Field::Store);
    let owner = optional(Field::Owner);
    let environment = optional(Field::Environment);

    let mut notes = Vec::new();
    let interval = choose_interval(fields, spec, options.policy_days, &mut report, &mut notes);

    let is_tls = spec.name == TLS_CERTIFICATE;
    let not_after = if is_tls {
        read_date(fields, Field::NotAfter).unwrap_or_else(|found| {
            let message = format!(
                "not_after must be a valid date in the form YYYY-MM-DD, but {found}; planned without it."
            );
            report.error(ProblemCode::InvalidNotAfter, Field::NotAfter, message);
            None
        })
    } else {
        if *fields.get(Field::NotAfter) != Raw::Null {
            notes.push(
                "not_after is only used for tls-certificate entries; ignored here.".to_owned(),
            );
        }
        None
    };
    let last_rotated = read_last_rotated(
        fields,
        interval.is_some(),
        not_after.is_some(),
        options.as_of,
        &mut report,
    );

    let mut tls = is_tls.then(|| bare_tls(options.as_of));
    let due = match (not_after, interval) {
        (Some(expiry), _) => {
            let mut details = bare_tls(options.as_of);
            let due = tls_due(
                expiry,
                last_rotated,
                interval,
                options.as_of,
                &mut details,
                &mut report,
                &mut notes,
            );
            tls = Some(details);
            due
        }
        (None, Some((days, source))) => match last_rotated {
            Some(date) => Due {
                date: Some(add_days(date, i64::from(days))),
                interval_days: Some(days),
                source: Some(source),
                reason: format!(
                    "last rotated {} + {days} days ({})",
                    format_date(date),
                    source.as_str()
                ),
                forced_critical: false,
            },
            None => Due {
                date: Some(options.as_of),
                interval_days: Some(days),
                source: Some(source),
                reason: "no valid last_rotated, so treated as never rotated: due now".to_owned(),
                forced_critical: true,
            },
        },
        (None, None) => Due {
            date: None,
            interval_days: None,
            source: None,
            reason: format!(
                "not rotated on a calendar ({}): change on evidence of compromise",
                spec.standard_label
            ),
            forced_critical: false,
        },
    };

    let days_until_due = due.date.map(|date| days_between(options.as_of, date));
    let urgency = if due.forced_critical {
        Urgency::Critical
    } else {
        days_until_due.map_or(Urgency::Low, urgency_for)
    };
    let item = ScheduleItem {
        name,
        secret_type,
        store: store.map(str::to_owned),
        owner: owner.map(str::to_owned),
        environment: environment.map(str::to_owned),
        index,
        pointer: entry_pointer,
        last_rotated: last_rotated.map(format_date),
        interval_days: due.interval_days,
        interval_source: due.source,
        due: due.date.map(format_date),
        days_until_due,
        urgency,
        method: spec.method,
        standard: spec.standard_label.to_owned(),
        reason: due.reason,
        tls,
        notes,
    };
    let key = given_name.map(|name| (name, environment));
    Some(Planned { item, spec, key })
}

/// Reads `type`, returning the catalog row and the type name to show.
fn read_type(
    fields: &Fields<'_>,
    report: &mut EntryProblems<'_, '_>,
) -> (&'static TypeSpec, String) {
    // Only a bad type needs it, and most entries have a good one.
    let fallback = || {
        format!(
            "planned as an unknown type with the {}-day default and a manual method",
            unknown_days()
        )
    };
    match text(fields, Field::Type) {
        Text::Given(given) => match catalog::lookup(given) {
            Some(spec) => (spec, spec.name.to_owned()),
            None => {
                let message = format!(
                    "type {:?} is not a known type (known: {}); {}.",
                    clip(given),
                    catalog::known_names(),
                    fallback()
                );
                report.warning(ProblemCode::UnknownType, Field::Type, message);
                (&catalog::UNKNOWN, given.to_owned())
            }
        },
        absent_or_wrong => {
            let (code, found) = match absent_or_wrong {
                Text::Wrong(found) => (ProblemCode::WrongFieldType, format!("found {found}")),
                _ => (ProblemCode::MissingType, "it is missing".to_owned()),
            };
            let message = format!(
                "type must be one of {}, but {found}; {}.",
                catalog::known_names(),
                fallback()
            );
            report.error(code, Field::Type, message);
            (&catalog::UNKNOWN, "(none)".to_owned())
        }
    }
}

/// Chooses the calendar interval: a valid `interval_days` override, else the smaller
/// of the policy and the type's default; `None` for event-only types.
fn choose_interval(
    fields: &Fields<'_>,
    spec: &TypeSpec,
    policy_days: u32,
    report: &mut EntryProblems<'_, '_>,
    notes: &mut Vec<String>,
) -> Option<(u32, IntervalSource)> {
    let default = spec.default_days.map(|days| {
        if policy_days < days {
            (policy_days, IntervalSource::Policy)
        } else {
            (days, IntervalSource::TypeDefault)
        }
    });
    match read_interval(fields.get(Field::IntervalDays)) {
        Ok(None) => default,
        Ok(Some(days)) => {
            if days > policy_days {
                notes.push(format!(
                    "interval_days {days} is longer than the {policy_days}-day policy; the entry's override wins."
                ));
            }
            if spec.default_days.is_none() {
                notes.push(
                    "interval_days puts this human password on a calendar, although NIST SP 800-63B says to \
                     change human passwords only on evidence of compromise."
                        .to_owned(),
                );
            }
            Some((days, IntervalSource::Override))
        }
        Err(found) => {
            let instead = match default {
                Some((days, source)) => format!(
                    "used the {} interval of {days} days instead",
                    source.as_str()
                ),
                None => "planned without a calendar interval instead".to_owned(),
            };
            let message = format!(
                "interval_days must be a whole number of days from 1 to {MAX_INTERVAL_DAYS}, but found {found}; {instead}."
            );
            report.error(ProblemCode::InvalidInterval, Field::IntervalDays, message);
            default
        }
    }
}

/// Reads `last_rotated`, reporting it as missing, invalid or in the future. How serious
/// a missing date is depends on whether the due date needs it.
fn read_last_rotated(
    fields: &Fields<'_>,
    on_calendar: bool,
    has_not_after: bool,
    as_of: Date,
    report: &mut EntryProblems<'_, '_>,
) -> Option<Date> {
    let consequence = if has_not_after {
        "planned from not_after alone"
    } else if on_calendar {
        "treated as never rotated: due now (critical)"
    } else {
        "ignored, as this secret is not rotated on a calendar"
    };
    match read_date(fields, Field::LastRotated) {
        Ok(Some(date)) => {
            if date > as_of {
                let message = format!(
                    "last_rotated {} is after the as-of date {}; planned from it as given. Check the date.",
                    format_date(date),
                    format_date(as_of)
                );
                report.warning(ProblemCode::FutureLastRotated, Field::LastRotated, message);
            }
            Some(date)
        }
        // Event-only secrets need no date, so its absence is not a problem.
        Ok(None) if !on_calendar && !has_not_after => None,
        Ok(None) => {
            let message = format!("last_rotated is missing (expected YYYY-MM-DD); {consequence}.");
            if has_not_after {
                report.warning(ProblemCode::MissingLastRotated, Field::LastRotated, message);
            } else {
                report.error(ProblemCode::MissingLastRotated, Field::LastRotated, message);
            }
            None
        }
        Err(found) => {
            let message = format!(
                "last_rotated must be a valid date in the form YYYY-MM-DD, but {found}; {consequence}."
            );
            report.error(ProblemCode::InvalidLastRotated, Field::LastRotated, message);
            None
        }
    }
}

/// Due date of a certificate with a known expiry: when a third of its lifetime
/// remains, and never later than its calendar interval after the last rotation.
fn tls_due(
    expiry: Date,
    last_rotated: Option<Date>,
    interval: Option<(u32, IntervalSource)>,
    as_of: Date,
    details: &mut TlsDetails,
    report: &mut EntryProblems<'_, '_>,
    notes: &mut Vec<String>,
) -> Due {
    let cab_now = details.cab_max_validity_days;
    let issued = last_rotated.filter(|&date| date < expiry);
    if let (Some(date), None) = (last_rotated, issued) {
        let message = format!(
            "not_after {} is not after last_rotated {}; the lifetime is unknown, so the {cab_now}-day CA/B Forum \
             maximum in force on the as-of date is assumed.",
            format_date(expiry),
            format_date(date)
        );
        report.error(ProblemCode::InvalidNotAfter, Field::NotAfter, message);
    }
    let (lifetime, basis, start) = match issued {
        Some(date) => {
            let lifetime = days_between(date, expiry);
            let cab_then = cab_max_validity_days(date);
            details.cab_max_at_issuance_days = Some(cab_then);
            if lifetime > i64::from(cab_then) {
                let finding = format!(
                    "the certificate's lifetime of {lifetime} days (last_rotated {} to not_after {}) exceeds the \
                     {cab_then}-day CA/B Forum maximum in force on its issue date; a publicly trusted CA could not \
                     issue it, so either the dates are wrong or it comes from a private CA.",
                    format_date(date),
                    format_date(expiry)
                );
                notes.push(finding.clone());
                report.warning(
                    ProblemCode::CertificateLifetimeExceedsMaximum,
                    Field::NotAfter,
                    finding,
                );
            }
            (lifetime, LifetimeBasis::Issued, date)
        }
        None => {
            let lifetime = i64::from(cab_now);
            (
                lifetime,
                LifetimeBasis::CabMaximum,
                add_days(expiry, -lifetime),
            )
        }
    };
    // A third of the lifetime, rounded up: renewing a day early is harmless, late is not.
    let lead = (lifetime + 2) / 3;
    let renewal = add_days(expiry, -lead);
    details.not_after = Some(format_date(expiry));
    details.days_until_expiry = Some(days_between(as_of, expiry));
    details.lifetime_days = u32::try_from(lifetime).ok();
    details.lifetime_basis = Some(basis);
    details.renewal_lead_days = u32::try_from(lead).ok();

    let expired = expiry <= as_of;
    let prefix = if expired {
        format!("the certificate expired on {}; ", format_date(expiry))
    } else {
        String::new()
    };
    let calendar = last_rotated
        .zip(interval)
        .map(|(date, (days, source))| (date, add_days(date, i64::from(days)), days, source));
    match calendar {
        Some((date, calendar_due, days, source)) if calendar_due < renewal => Due {
            date: Some(calendar_due),
            interval_days: Some(days),
            source: Some(source),
            reason: format!(
                "{prefix}last rotated {} + {} ({}), earlier than renewal at a third of the lifetime ({})",
                format_date(date),
                days_text(days),
                source.as_str(),
                format_date(renewal)
            ),
            forced_critical: expired,
        },
        _ => {
            let assumed = match basis {
                LifetimeBasis::Issued => "",
                LifetimeBasis::CabMaximum => " (assumed: the CA/B Forum maximum)",
            };
            Due {
                date: Some(renewal),
                interval_days: u32::try_from(days_between(start, renewal).max(0)).ok(),
                source: Some(IntervalSource::TlsValidity),
                reason: format!(
                    "{prefix}renew when a third of the {lifetime}-day lifetime{assumed} remains: {lead} days before \
                     not_after {}",
                    format_date(expiry)
                ),
                forced_critical: expired,
            }
        }
    }
}

/// Urgency band for a number of days until due.
pub(crate) fn urgency_for(days_until_due: i64) -> Urgency {
    match days_until_due {
        ..=0 => Urgency::Critical,
        1..=7 => Urgency::High,
        8..=14 => Urgency::Medium,
        _ => Urgency::Low,
    }
}

/// "1 day", "30 days".
fn days_text(days: u32) -> String {
    if days == 1 {
        "1 day".to_owned()
    } else {
        format!("{days} days")
    }
}

fn unknown_days() -> u32 {
    catalog::UNKNOWN.default_days.unwrap_or(90)
}

/// Certificate details before anything is known about the certificate itself.
fn bare_tls(as_of: Date) -> TlsDetails {
    TlsDetails {
        cab_max_validity_days: cab_max_validity_days(as_of),
        not_after: None,
        days_until_expiry: None,
        lifetime_days: None,
        lifetime_basis: None,
        renewal_lead_days: None,
        cab_max_at_issuance_days: None,
    }
}

/// Reads an optional date field: `Ok(None)` when absent, `Err` with a description of
/// what was found when it is not a valid date.
fn read_date(fields: &Fields<'_>, field: Field) -> Result<Option<Date>, String> {
    match text(fields, field) {
        Text::Absent => Ok(None),
        Text::Wrong(found) => Err(format!("found {found}")),
        // The field name and expected form are in the caller's message; say what was found.
        Text::Given(given) => parse_date(given)
            .map(Some)
            .map_err(|_| format!("found {:?}", clip(given))),
    }
}

/// Reads `interval_days`: a whole number (or numeric text, as spreadsheets export)
/// from 1 to [`MAX_INTERVAL_DAYS`]. `Err` describes what was found.
fn read_interval(value: &Raw<'_>) -> Result<Option<u32>, String> {
    let in_range = |days: u64| {
        u32::try_from(days)
            .ok()
            .filter(|days| (1..=MAX_INTERVAL_DAYS).contains(days))
    };
    match value {
        Raw::Null => Ok(None),
        Raw::Number(number) => number
            .as_u64()
            .or_else(|| {
                number
                    .as_f64()
                    .filter(|f| f.fract() == 0.0 && *f >= 0.0)
                    .map(|f| f as u64)
            })
            .and_then(in_range)
            .map(Some)
            .ok_or_else(|| number.to_string()),
        Raw::Str(text) => text
            .trim()
            .parse::<u64>()
            .ok()
            .and_then(in_range)
            .map(Some)
            .ok_or_else(|| format!("{:?}", clip(text))),
        Raw::Other(kind) => Err((*kind).to_owned()),
    }
}
