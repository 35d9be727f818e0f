//! The plan as data: every type the planner returns.
//!
//! These types are the tool's structured output, so their doc comments become the
//! JSON Schema descriptions that AI agents read. Field names are snake_case and
//! closed sets are lowercase or kebab-case strings.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A rotation plan for an inventory of secrets, computed for one as-of date.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Plan {
    /// The day the plan is computed for (YYYY-MM-DD, UTC). Every day count is relative to it.
    pub as_of: String,
    /// The policy: the longest rotation interval allowed, in days.
    pub policy_days: u32,
    /// A short human summary of the plan: counts by urgency and the most urgent secrets.
    pub report: String,
    /// One item per planned secret, most urgent first (critical to low, then fewest days
    /// until due, undated items last, then name, then position in the input).
    pub schedule: Vec<ScheduleItem>,
    /// Counts over the schedule.
    pub summary: Summary,
    /// What to do now and this week.
    pub actions: Actions,
    /// How to rotate each secret type present in the schedule, and the standard behind
    /// its interval, keyed by the `type` shown on schedule items.
    pub guidance: BTreeMap<String, Guidance>,
    /// Everything wrong with the input, with the JSON Pointer of the offending value and
    /// what the planner did instead. Entries are never dropped silently.
    pub problems: Vec<Problem>,
}

/// One secret's place in the rotation plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ScheduleItem {
    /// The secret's name, or "(unnamed #<index>)" when the entry has none.
    pub name: String,
    /// The secret type: a known type's canonical name, the unknown type as given, or
    /// "(none)" when the entry has no type.
    #[serde(rename = "type")]
    pub secret_type: String,
    /// Where the secret is stored (e.g. vault, aws-secrets-manager), if given.
    pub store: Option<String>,
    /// Who owns the secret, if given.
    pub owner: Option<String>,
    /// The environment (e.g. prod, staging), if given.
    pub environment: Option<String>,
    /// Zero-based position of the entry in the input.
    pub index: usize,
    /// JSON Pointer (RFC 6901) of the entry in the input.
    pub pointer: String,
    /// The last rotation date (YYYY-MM-DD), or null when missing or unparsable.
    pub last_rotated: Option<String>,
    /// Days between the start of the rotation cycle and the due date; null when the
    /// secret is not rotated on a calendar.
    pub interval_days: Option<u32>,
    /// Which rule set the due date; null when the secret is not rotated on a calendar.
    pub interval_source: Option<IntervalSource>,
    /// The date the secret should be rotated by (YYYY-MM-DD); null when it is rotated
    /// on events only (e.g. human passwords).
    pub due: Option<String>,
    /// Days from `as_of` until `due`: negative when overdue, 0 when due today, null
    /// when there is no due date.
    pub days_until_due: Option<i64>,
    /// How urgent the rotation is.
    pub urgency: Urgency,
    /// The rotation mechanism for this type; see `guidance` for the procedure.
    pub method: MethodKind,
    /// Short name of the standard behind the interval; see `guidance` for the citation.
    pub standard: String,
    /// Why the due date is what it is, in one sentence.
    pub reason: String,
    /// Certificate details; present on tls-certificate items only.
    pub tls: Option<TlsDetails>,
    /// Further remarks about this item (e.g. an override longer than the policy).
    pub notes: Vec<String>,
}

/// Certificate facts behind a tls-certificate item's due date.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct TlsDetails {
    /// Maximum validity in days of a publicly trusted TLS certificate issued on
    /// `as_of` (CA/B Forum Ballot SC-081v3).
    pub cab_max_validity_days: u32,
    /// The certificate's expiry (YYYY-MM-DD), when given.
    pub not_after: Option<String>,
    /// Days from `as_of` until expiry: negative or 0 when already expired.
    pub days_until_expiry: Option<i64>,
    /// The lifetime in days used to place the renewal date.
    pub lifetime_days: Option<u32>,
    /// Where `lifetime_days` comes from.
    pub lifetime_basis: Option<LifetimeBasis>,
    /// Days before `not_after` at which renewal is due: a third of the lifetime, rounded up.
    pub renewal_lead_days: Option<u32>,
    /// The CA/B Forum maximum validity in force on `last_rotated` (taken as the issue
    /// date), when that date is known.
    pub cab_max_at_issuance_days: Option<u32>,
}

/// Where a certificate's lifetime comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum LifetimeBasis {
    /// `not_after` minus `last_rotated` (the issue date).
    Issued,
    /// The issue date is unknown, so the CA/B Forum maximum in force on `as_of` is assumed.
    CabMaximum,
}

/// Urgency bands by days until due.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Urgency {
    /// Overdue, due today, never rotated, or an expired certificate.
    Critical,
    /// Due within 7 days.
    High,
    /// Due within 8 to 14 days.
    Medium,
    /// Due in more than 14 days, or not rotated on a calendar.
    Low,
}

impl Urgency {
    /// The lowercase name used in JSON and in every rendering.
    pub fn as_str(self) -> &'static str {
        match self {
            Urgency::Critical => "critical",
            Urgency::High => "high",
            Urgency::Medium => "medium",
            Urgency::Low => "low",
        }
    }

    /// The name in capitals, as the text table shows it.
    pub fn as_upper(self) -> &'static str {
        match self {
            Urgency::Critical => "CRITICAL",
            Urgency::High => "HIGH",
            Urgency::Medium => "MEDIUM",
            Urgency::Low => "LOW",
        }
    }
}

/// The rule that set an item's due date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum IntervalSource {
    /// The entry's own `interval_days`.
    Override,
    /// The policy, because it is shorter than the type's default.
    Policy,
    /// The type's default, because it is no longer than the policy.
    TypeDefault,
    /// The certificate's `not_after`: renewal when a third of its lifetime remains.
    TlsValidity,
}

impl IntervalSource {
    /// The kebab-case name used in JSON and in every rendering.
    pub fn as_str(self) -> &'static str {
        match self {
            IntervalSource::Override => "override",
            IntervalSource::Policy => "policy",
            IntervalSource::TypeDefault => "type-default",
            IntervalSource::TlsValidity => "tls-validity",
        }
    }
}

/// How a type of secret is rotated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum MethodKind {
    /// Short-lived credentials issued with a TTL instead of rotation.
    DynamicTtl,
    /// Two accounts, alternately re-credentialed (zero downtime).
    DualAccountSwap,
    /// New and old credential valid together until consumers have moved.
    OverlapWindow,
    /// New key version for new data, old ciphertext re-wrapped, old version retired.
    RekeyRewrap,
    /// A new certificate issued and deployed before the old one expires.
    CertificateRenewal,
    /// A new key pair replaces the old one wherever it is trusted.
    Rekey,
    /// Changed on evidence of compromise, not on a calendar.
    EventDriven,
    /// No known mechanism: a documented manual procedure.
    Manual,
}

impl MethodKind {
    /// The kebab-case name used in JSON and in every rendering.
    pub fn as_str(self) -> &'static str {
        match self {
            MethodKind::DynamicTtl => "dynamic-ttl",
            MethodKind::DualAccountSwap => "dual-account-swap",
            MethodKind::OverlapWindow => "overlap-window",
            MethodKind::RekeyRewrap => "rekey-rewrap",
            MethodKind::CertificateRenewal => "certificate-renewal",
            MethodKind::Rekey => "rekey",
            MethodKind::EventDriven => "event-driven",
            MethodKind::Manual => "manual",
        }
    }
}

/// How to rotate one secret type, and why its default interval is what it is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Guidance {
    /// The type's default interval in days; null when it is not rotated on a calendar.
    pub default_interval_days: Option<u32>,
    /// Where the default interval comes from and how it relates to the standard.
    pub interval_basis: String,
    /// The rotation mechanism.
    pub method: Method,
    /// The standard behind the interval.
    pub standard: Standard,
}

/// A rotation mechanism and its procedure.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Method {
    /// The mechanism.
    pub kind: MethodKind,
    /// The procedure, in one paragraph.
    pub how: String,
    /// Documentation of the mechanism, when there is a canonical page.
    pub reference_url: Option<String>,
}

/// A standard (or the lack of one) behind a rotation interval.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Standard {
    /// Short name of the standard and clause.
    pub label: String,
    /// What the standard says that matters here.
    pub citation: String,
    /// Where to read the standard; null when there is none.
    pub url: Option<String>,
}

/// Counts over the schedule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Summary {
    /// Number of planned secrets.
    pub total: usize,
    /// Number of secrets per urgency.
    pub by_urgency: UrgencyCounts,
    /// Number of secrets per type.
    pub by_type: BTreeMap<String, usize>,
    /// Number of secrets per owner; "(none)" counts secrets without one.
    pub by_owner: BTreeMap<String, usize>,
    /// Number of secrets past their due date (days_until_due < 0).
    pub overdue: usize,
    /// Number of secrets without a due date (rotated on events only).
    pub undated: usize,
    /// Number of problems of severity error.
    pub errors: usize,
    /// Number of problems of severity warning.
    pub warnings: usize,
}

/// Number of secrets in each urgency band.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct UrgencyCounts {
    /// Overdue, due today or never rotated.
    pub critical: usize,
    /// Due within 7 days.
    pub high: usize,
    /// Due within 8 to 14 days.
    pub medium: usize,
    /// Due later, or not rotated on a calendar.
    pub low: usize,
}

/// Action items drawn from the schedule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Actions {
    /// Names of the critical secrets: rotate now.
    pub rotate_now: Vec<String>,
    /// Names of the high-urgency secrets: rotate this week.
    pub this_week: Vec<String>,
}

/// Something wrong with the input, where it is, and what the planner did about it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Problem {
    /// error: a value is missing or invalid and the planner substituted a fallback;
    /// warning: the value was used but looks wrong.
    pub severity: Severity,
    /// Machine-readable kind of problem.
    pub code: ProblemCode,
    /// Where the entries came from: the inventory file name, or "input".
    pub source: String,
    /// JSON Pointer (RFC 6901) of the offending value, or of where it should be.
    pub pointer: String,
    /// Name of the entry, when it has one.
    pub entry: Option<String>,
    /// What is wrong, what was expected, and what the planner did instead.
    pub message: String,
}

/// How serious a problem is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// A value is missing or invalid; the planner used a fallback.
    Error,
    /// A value was used as given but looks wrong.
    Warning,
}

impl Severity {
    /// The lowercase name used in JSON and in every rendering.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

/// The kinds of input problem.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ProblemCode {
    /// The entry is not a JSON object (or is an empty one); it was skipped.
    NotAnObject,
    /// A field has the wrong JSON type (e.g. a number where a string belongs).
    WrongFieldType,
    /// The entry has no name.
    MissingName,
    /// The entry has no type.
    MissingType,
    /// The type is not one the planner knows.
    UnknownType,
    /// The entry has no last_rotated date.
    MissingLastRotated,
    /// last_rotated is not a YYYY-MM-DD date.
    InvalidLastRotated,
    /// last_rotated is after the as-of date.
    FutureLastRotated,
    /// interval_days is not a whole number from 1 to 3650.
    InvalidInterval,
    /// not_after is not a YYYY-MM-DD date, or not after last_rotated.
    InvalidNotAfter,
    /// The certificate lives longer than the CA/B Forum allowed on its issue date.
    CertificateLifetimeExceedsMaximum,
    /// Another entry earlier in the input has the same name and environment.
    DuplicateName,
}
