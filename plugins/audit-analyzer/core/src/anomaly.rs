//! Anomaly detectors over a finished [`Analysis`]: the old tool's five, fixed
//! (per-identity baselines, business hours as inputs), and the security signals of
//! DOMAIN-FACTS §A.9. Detectors only read counts, so they run after a one-pass or a
//! merged sharded analysis alike, and their output order is fully deterministic.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::analysis::{AddressStats, Analysis, IdentityStats};
use crate::event::{IdentityClass, Outcome};
use crate::files::Files;
use crate::gcp::AuditLogKind;
use crate::retrieval::MAX_DISTINCT_PER_MINUTE;
use crate::signals::{LONG_TTL_SECONDS, Signal, SignalByIdentity};

const HOUR_MS: i64 = 3_600_000;
/// Request ids kept per anomaly.
const REQUEST_IDS: usize = 5;
/// GCP services whose secret reads are logged only in the Data Access audit log
/// (DOMAIN-FACTS §B.2), with a name for messages.
const GCP_SECRET_SERVICES: [(&str, &str); 1] = [("secretmanager.googleapis.com", "Secret Manager")];

/// How bad an anomaly is; sorts most severe first.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Act now: audit disabled, root token minted, seal, secrets in the log.
    Critical,
    /// Likely abuse or a privileged action to review.
    High,
    /// Worth a look.
    Medium,
    /// Informational.
    Low,
}

/// What was detected.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum AnomalyKind {
    /// An identity's busiest hour far above its own baseline rate.
    VolumeSpike,
    /// An identity seen from many distinct source addresses.
    MultiAddress,
    /// Repeated failures (denied, invalid token, other) for one identity@address.
    FailedAccess,
    /// Repeated bad-credential logins for one identity@address.
    LoginFailures,
    /// Accesses outside business hours.
    OffHours,
    /// An identity touching many distinct paths.
    BroadAccess,
    /// An identity using an address its baseline never showed.
    NewSourceAddress,
    /// A GCP project with Admin Activity entries for a secret store but no Data
    /// Access entry: its Data Access audit log looks off, so secret reads are not
    /// logged at all.
    DataAccessLogsOff,
    /// Calls made with a root-policy token.
    RootTokenUse,
    /// `sys/generate-root/*`.
    GenerateRoot,
    /// A token created carrying the `root` policy.
    RootTokenCreated,
    /// A token created with a long TTL.
    LongTtlToken,
    /// An orphan token created.
    OrphanToken,
    /// A policy written or deleted.
    PolicyChange,
    /// An auth method enabled, disabled or tuned.
    AuthChange,
    /// An audit device enabled or reconfigured.
    AuditChange,
    /// An audit device disabled.
    AuditDisable,
    /// A secrets engine mounted, unmounted or tuned.
    MountChange,
    /// `sys/seal` or `sys/step-down`.
    Seal,
    /// A lease prefix revoked.
    LeaseMassRevocation,
    /// The audit device logs tokens in clear (`log_raw`).
    RawModeLog,
    /// One identity read many distinct secrets within a few minutes.
    MassRetrieval,
    /// An identity the baseline log never showed.
    NewIdentity,
    /// A Vault token role or auth-method role written or deleted.
    RoleChange,
    /// The AWS account root user made calls.
    CloudRootUse,
    /// CloudTrail logging stopped or a trail deleted.
    AuditTrailStopped,
    /// A CloudTrail trail or its event selectors changed.
    AuditTrailChange,
    /// An IAM policy attached or written (AWS), or an IAM policy set (GCP).
    IamPolicyChange,
    /// A GCP IAM grant of a role that reaches secrets or mints credentials.
    SensitiveRoleGrant,
    /// An Azure Key Vault's access policies or role assignments changed.
    KeyVaultAccessChange,
}

/// Business hours in local time; accesses outside them are off-hours.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct BusinessHours {
    /// First business hour, 0–23 (default 6, the old tool's).
    pub start_hour: u8,
    /// Hour business ends, 1–24, exclusive (default 22, the old tool's).
    pub end_hour: u8,
    /// Business days, ISO numbering: 1 = Monday … 7 = Sunday (default Monday–Friday).
    pub weekdays: Vec<u8>,
    /// Local time minus UTC in minutes (e.g. 60 for CET, -300 for EST). Counts are
    /// kept per UTC hour, so an offset that is not whole hours is floored to the hour.
    pub utc_offset_minutes: i32,
}

impl Default for BusinessHours {
    fn default() -> Self {
        Self {
            start_hour: 6,
            end_hour: 22,
            weekdays: vec![1, 2, 3, 4, 5],
            utc_offset_minutes: 0,
        }
    }
}

impl BusinessHours {
    /// Whether the UTC hour bucket `hour` (hours since the epoch) is in business time.
    pub fn contains(&self, hour: i64) -> bool {
        let local = (hour * 60 + i64::from(self.utc_offset_minutes)).div_euclid(60);
        let of_day = local.rem_euclid(24);
        // 1970-01-01 was a Thursday (ISO 4).
        let weekday = (local.div_euclid(24) + 3).rem_euclid(7) + 1;
        self.weekdays.iter().any(|d| i64::from(*d) == weekday)
            && of_day >= i64::from(self.start_hour)
            && of_day < i64::from(self.end_hour)
    }
}

/// Detector thresholds; every field has a documented default.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Thresholds {
    /// Volume spike: the busiest hour must reach this many times the identity's own
    /// baseline hourly rate (default 3).
    pub spike_factor: f64,
    /// Volume spike: and hold at least this many accesses (default 20).
    pub spike_min_events: u64,
    /// Without a baseline log, the first this fraction of the window's hours is the
    /// baseline for volume spikes and new source addresses (default 0.25). Windows
    /// under two hours have no in-window baseline.
    pub baseline_fraction: f64,
    /// Multi-address: distinct source addresses per identity (default 5).
    pub addresses: u64,
    /// Failed access: failures per identity@address (default 5).
    pub failures: u64,
    /// Login failures: bad-credential logins per identity@address (default 5).
    pub login_failures: u64,
    /// Off-hours: accesses outside business hours per identity (default 5).
    pub off_hours: u64,
    /// Broad access: distinct paths per identity (default 20).
    pub paths: u64,
    /// Long-TTL token: TTL in seconds (default 768 h, Vault's default max TTL;
    /// lower values are not seen, tokens are classified while counting).
    pub long_ttl_seconds: i64,
    /// Mass retrieval: distinct secrets one identity reads within
    /// `mass_retrieval_minutes` (default 20; at most 256, the distinct secrets kept per
    /// identity and minute).
    pub mass_retrieval_secrets: u64,
    /// Mass retrieval: the window, in minutes (default 5).
    pub mass_retrieval_minutes: u64,
    /// Volume spike without a baseline of the identity's own: its busiest hour must
    /// reach this many times the median busiest hour of its peers, the identities of
    /// the same class logged in through the same auth mount (default 5), and
    /// `spike_min_events`.
    pub peer_factor: f64,
    /// Volume spike against peers: at least this many peers (default 3).
    pub min_peers: u64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Self {
            spike_factor: 3.0,
            spike_min_events: 20,
            baseline_fraction: 0.25,
            addresses: 5,
            failures: 5,
            login_failures: 5,
            off_hours: 5,
            paths: 20,
            long_ttl_seconds: LONG_TTL_SECONDS,
            mass_retrieval_secrets: 20,
            mass_retrieval_minutes: 5,
            peer_factor: 5.0,
            min_peers: 3,
        }
    }
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Anomaly {
    /// What was detected.
    pub kind: AnomalyKind,
    /// How bad it is.
    pub severity: Severity,
    /// The identity key (entity id, accessor, token HMAC, display name or principal).
    pub identity: String,
    /// A display name seen for the identity, for humans.
    pub display_name: Option<String>,
    /// The source address, for per-address detectors.
    pub address: Option<String>,
    /// The main evidence count (accesses, failures, addresses, paths: see `evidence`).
    pub count: u64,
    /// Every count behind the finding, by name.
    pub evidence: BTreeMap<String, u64>,
    /// Earliest access involved, RFC 3339 UTC.
    pub first: Option<String>,
    /// Latest access involved, RFC 3339 UTC.
    pub last: Option<String>,
    /// Up to five request ids to look the accesses up.
    pub request_ids: Vec<String>,
    /// The files the records behind it came from, in reading order (the first 100).
    #[serde(default)]
    pub files: Vec<String>,
    /// The time it judged and what it measured against.
    #[serde(default)]
    pub window: Window,
    /// One line for humans.
    pub message: String,
}

/// The time a finding judged, and the time or peers it was measured against: over a
/// log of months, "a spike" or "a new address" means something only with its window.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Window {
    /// Start of the time judged, RFC 3339 UTC.
    pub from: Option<String>,
    /// End of the time judged, RFC 3339 UTC.
    pub to: Option<String>,
    /// What it was measured against; absent for findings that count or flag
    /// events over the whole window.
    pub baseline: Option<Baseline>,
}

/// What a finding was measured against.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Baseline {
    /// `baseline-log` (the baseline files given), `window-start` (the first part of
    /// the analysed time, `thresholds.baseline_fraction`), or `peers` (identities of
    /// the same class and auth mount, in the same window).
    pub source: BaselineSource,
    /// Start of the baseline time, RFC 3339 UTC.
    pub from: Option<String>,
    /// End of the baseline time, RFC 3339 UTC.
    pub to: Option<String>,
}

/// Where a finding's baseline came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum BaselineSource {
    /// The baseline log(s) given with the input.
    BaselineLog,
    /// The first part of the analysed window.
    WindowStart,
    /// The identity's peers in the same window.
    Peers,
}

impl Window {
    /// From `from_ms` to `to_ms`, measured against nothing.
    fn between(from_ms: Option<i64>, to_ms: Option<i64>) -> Self {
        Self {
            from: from_ms.map(format_time),
            to: to_ms.map(format_time),
            baseline: None,
        }
    }

    /// The same time, measured against `source` over `from_ms..to_ms`.
    fn against(mut self, source: BaselineSource, from_ms: Option<i64>, to_ms: Option<i64>) -> Self {
        self.baseline = Some(Baseline {
            source,
            from: from_ms.map(format_time),
            to: to_ms.map(format_time),
        });
        self
    }
}

/// The window a detector using the first part of `analysis` as baseline judges: from
/// the first hour after that part; and the part itself.
fn window_start_split(analysis: &Analysis, cut_hour: i64) -> Window {
    Window::between(Some(cut_hour * HOUR_MS), analysis.last_ms).against(
        BaselineSource::WindowStart,
        analysis.first_ms,
        Some(cut_hour * HOUR_MS),
    )
}

/// The whole analysed window, measured against the baseline log's.
fn against_baseline_log(analysis: &Analysis, baseline: &Analysis) -> Window {
    Window::between(analysis.first_ms, analysis.last_ms).against(
        BaselineSource::BaselineLog,
        baseline.first_ms,
        baseline.last_ms,
    )
}

/// Runs every detector. `baseline` is the analysis of a baseline log (normal
/// activity) when one was given.
pub fn detect_anomalies(
    analysis: &Analysis,
    baseline: Option<&Analysis>,
    thresholds: &Thresholds,
    hours: &BusinessHours,
) -> Vec<Anomaly> {
    let mut found = Vec::new();
    let mut keys: Vec<&String> = analysis.identities.keys().collect();
    keys.sort();
    let peers = Peers::new(analysis);
    for key in keys {
        let stats = &analysis.identities[key];
        let base = Base::new(key, stats, analysis);
        if key != "(anonymous)" {
            if !volume_spike(&base, analysis, baseline, thresholds, &mut found) {
                peer_spike(&base, &peers, thresholds, &mut found);
            }
            threshold(
                &base,
                AnomalyKind::MultiAddress,
                stats.addresses.len() as u64,
                thresholds.addresses,
                &mut found,
            );
            threshold(
                &base,
                AnomalyKind::BroadAccess,
                stats.paths.len() as u64,
                thresholds.paths,
                &mut found,
            );
            new_addresses(&base, analysis, baseline, thresholds, &mut found);
            mass_retrieval(&base, thresholds, &mut found);
            if let Some(b) = baseline
                && stats.events > 0
                && !b.identities.contains_key(key.as_str())
            {
                new_identity(&base, b, &mut found);
            }
        }
        let Some(from) = off_hours_from(stats, key, analysis, baseline, thresholds, hours) else {
            continue;
        };
        let off: u64 = stats
            .hourly
            .range(from..)
            .filter(|(hour, _)| !hours.contains(**hour))
            .map(|(_, n)| n)
            .sum();
        let judged = found.len();
        threshold(
            &base,
            AnomalyKind::OffHours,
            off,
            thresholds.off_hours,
            &mut found,
        );
        // A machine is judged only after the baseline that showed its quiet hours.
        if let Some(anomaly) = found.get_mut(judged)
            && stats.class() == IdentityClass::Machine
        {
            anomaly.window = match baseline {
                Some(b) => against_baseline_log(analysis, b),
                None => window_start_split(analysis, from),
            };
        }
    }
    failures(analysis, thresholds, &mut found);
    gcp_data_access_off(analysis, &mut found);
    let whole = Window::between(analysis.first_ms, analysis.last_ms);
    for (signal, stats) in &analysis.signals {
        let Some((kind, severity)) = signal_kind(*signal) else {
            continue;
        };
        if *signal == Signal::RawMode {
            // A property of the audit device, not of who called: one finding.
            let mut files = Files::default();
            for by_identity in stats.identities.values() {
                files.merge(by_identity.files.clone());
            }
            let all = SignalByIdentity {
                count: stats.count,
                first_ms: stats.first_ms,
                last_ms: stats.last_ms,
                max_ttl_seconds: None,
                samples: stats.samples.clone(),
                files,
            };
            let mut anomaly = from_signal(kind, severity, "(audit device)", None, &all);
            anomaly.files = analysis.sources.names(&all.files);
            anomaly.window = whole.clone();
            anomaly.message.push_str(&live_tokens(analysis));
            found.push(anomaly);
            continue;
        }
        for (key, by_identity) in &stats.identities {
            if *signal == Signal::LongTtlToken
                && by_identity.max_ttl_seconds.unwrap_or(0) < thresholds.long_ttl_seconds
            {
                continue;
            }
            let name = analysis.identities.get(key).and_then(display_name);
            let mut anomaly = from_signal(kind, severity, key, name, by_identity);
            anomaly.files = analysis.sources.names(&by_identity.files);
            anomaly.window = whole.clone();
            found.push(anomaly);
        }
    }
    found.sort_by(|a, b| {
        (a.severity, a.kind, &a.identity, &a.address).cmp(&(
            b.severity,
            b.kind,
            &b.identity,
            &b.address,
        ))
    });
    found
}

/// RFC 3339 UTC text for milliseconds since the epoch; milliseconds only when not zero.
pub fn format_time(ms: i64) -> String {
    let days = ms.div_euclid(86_400_000);
    let in_day = ms.rem_euclid(86_400_000);
    let (y, m, d) = civil_from_days(days);
    let (h, min, s, milli) = (
        in_day / 3_600_000,
        in_day / 60_000 % 60,
        in_day / 1000 % 60,
        in_day % 1000,
    );
    if milli == 0 {
        format!("{y:04}-{m:02}-{d:02}T{h:02}:{min:02}:{s:02}Z")
    } else {
        format!("{y:04}-{m:02}-{d:02}T{h:02}:{min:02}:{s:02}.{milli:03}Z")
    }
}

/// Proleptic Gregorian date of a day count since 1970-01-01 (Howard Hinnant).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

fn display_name(stats: &IdentityStats) -> Option<String> {
    stats.display_names.iter().next().cloned()
}

/// The identity facts every per-identity anomaly repeats.
struct Base<'a> {
    key: &'a str,
    stats: &'a IdentityStats,
    analysis: &'a Analysis,
}

impl<'a> Base<'a> {
    fn new(key: &'a str, stats: &'a IdentityStats, analysis: &'a Analysis) -> Self {
        Self {
            key,
            stats,
            analysis,
        }
    }

    fn anomaly(
        &self,
        kind: AnomalyKind,
        count: u64,
        evidence: &[(&str, u64)],
        message: String,
    ) -> Anomaly {
        Anomaly {
            kind,
            severity: default_severity(kind),
            identity: self.key.to_owned(),
            display_name: display_name(self.stats),
            address: None,
            count,
            evidence: evidence
                .iter()
                .map(|(k, v)| ((*k).to_owned(), *v))
                .collect(),
            first: self.stats.first_ms.map(format_time),
            last: self.stats.last_ms.map(format_time),
            request_ids: self
                .stats
                .samples
                .ids()
                .take(REQUEST_IDS)
                .map(str::to_owned)
                .collect(),
            files: self.analysis.sources.names(&self.stats.files),
            window: Window::between(self.analysis.first_ms, self.analysis.last_ms),
            message,
        }
    }
}

fn default_severity(kind: AnomalyKind) -> Severity {
    match kind {
        // A blind spot over every secret read is as bad as the abuse it hides.
        AnomalyKind::VolumeSpike
        | AnomalyKind::FailedAccess
        | AnomalyKind::LoginFailures
        | AnomalyKind::MassRetrieval
        | AnomalyKind::DataAccessLogsOff => Severity::High,
        _ => Severity::Medium,
    }
}

/// The simple "at least N" detectors (addresses, paths, off-hours accesses).
fn threshold(base: &Base<'_>, kind: AnomalyKind, value: u64, limit: u64, found: &mut Vec<Anomaly>) {
    if limit == 0 || value < limit {
        return;
    }
    let (what, label) = match kind {
        AnomalyKind::MultiAddress => ("distinct_addresses", "distinct source addresses"),
        AnomalyKind::BroadAccess => ("distinct_paths", "distinct paths"),
        _ => ("off_hours_accesses", "accesses outside business hours"),
    };
    let message = format!(
        "{} {value} {label} (threshold {limit})",
        who(base.key, base.stats)
    );
    found.push(base.anomaly(
        kind,
        value,
        &[(what, value), ("accesses", base.stats.events)],
        message,
    ));
}

fn who(key: &str, stats: &IdentityStats) -> String {
    match stats.display_names.iter().next() {
        Some(name) if name != key => format!("{name} ({key}):"),
        _ => format!("{key}:"),
    }
}

/// The identity's busiest hour against its own baseline rate: a baseline log when
/// given, else the first part of this window. Returns false when the identity has no
/// baseline activity of its own, hence no rate to exceed: its peers are the measure.
fn volume_spike(
    base: &Base<'_>,
    analysis: &Analysis,
    baseline: Option<&Analysis>,
    t: &Thresholds,
    found: &mut Vec<Anomaly>,
) -> bool {
    let (Some(first), Some(last)) = (analysis.first_ms, analysis.last_ms) else {
        return false;
    };
    let (h0, h1) = (first.div_euclid(HOUR_MS), last.div_euclid(HOUR_MS));
    let (base_events, base_hours, from) = match baseline {
        Some(b) => {
            let (Some(bf), Some(bl)) = (b.first_ms, b.last_ms) else {
                return false;
            };
            let hours = bl.div_euclid(HOUR_MS) - bf.div_euclid(HOUR_MS) + 1;
            let events = b.identities.get(base.key).map_or(0, |s| s.events);
            (events, hours, i64::MIN)
        }
        None => {
            let Some(hours) = window_baseline_hours(h0, h1, t) else {
                return false;
            };
            let events = base
                .stats
                .hourly
                .range(h0..h0 + hours)
                .map(|(_, n)| n)
                .sum();
            (events, hours, h0 + hours)
        }
    };
    if base_events == 0 {
        return false;
    }
    let Some((peak_hour, peak)) = base
        .stats
        .hourly
        .range(from..)
        .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
        .map(|(h, n)| (*h, *n))
    else {
        return true;
    };
    let rate = base_events as f64 / base_hours as f64;
    if peak < t.spike_min_events || (peak as f64) < t.spike_factor * rate {
        return true;
    }
    let window: u64 = base.stats.hourly.range(from..).map(|(_, n)| n).sum();
    let message = format!(
        "{} {peak} accesses in the hour from {}, against a baseline of {rate:.1} per hour",
        who(base.key, base.stats),
        format_time(peak_hour * HOUR_MS)
    );
    let mut anomaly = base.anomaly(
        AnomalyKind::VolumeSpike,
        peak,
        &[
            ("peak_hour_accesses", peak),
            ("window_accesses", window),
            ("baseline_accesses", base_events),
            ("baseline_hours", base_hours as u64),
        ],
        message,
    );
    anomaly.window = match baseline {
        Some(b) => against_baseline_log(analysis, b),
        None => window_start_split(analysis, from),
    };
    found.push(anomaly);
    true
}

/// The busiest hours of the identities of each class and auth mount, for comparing
/// an identity without a history of its own with its peers.
struct Peers<'a>(BTreeMap<(IdentityClass, &'a str), Vec<u64>>);

impl<'a> Peers<'a> {
    fn new(analysis: &'a Analysis) -> Self {
        let mut groups: BTreeMap<(IdentityClass, &str), Vec<u64>> = BTreeMap::new();
        for stats in analysis.identities.values() {
            if let Some((group, peak)) = group_of(stats).zip(peak_hour(stats)) {
                groups.entry(group).or_default().push(peak.1);
            }
        }
        for peaks in groups.values_mut() {
            peaks.sort_unstable();
        }
        Self(groups)
    }
}

fn group_of(stats: &IdentityStats) -> Option<(IdentityClass, &str)> {
    let login = stats.login.as_ref()?;
    Some((login.class, login.mount.as_deref()?))
}

/// The busiest hour (the earliest on a tie) and its accesses.
fn peak_hour(stats: &IdentityStats) -> Option<(i64, u64)> {
    stats
        .hourly
        .iter()
        .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
        .map(|(h, n)| (*h, *n))
}

/// An identity with no history of its own against its peers (same class, same auth
/// mount) in the same window: its busiest hour must reach `peer_factor` times their
/// median busiest hour, and `spike_min_events`.
fn peer_spike(base: &Base<'_>, peers: &Peers<'_>, t: &Thresholds, found: &mut Vec<Anomaly>) {
    let (Some(group), Some((hour, peak))) = (group_of(base.stats), peak_hour(base.stats)) else {
        return;
    };
    let Some(all) = peers.0.get(&group) else {
        return;
    };
    // The group without this identity (one of its equal values, if several).
    let mut others = all.clone();
    if let Ok(at) = others.binary_search(&peak) {
        others.remove(at);
    }
    if (others.len() as u64) < t.min_peers.max(1) {
        return;
    }
    let median = others[others.len() / 2];
    if peak < t.spike_min_events || (peak as f64) < t.peer_factor * median.max(1) as f64 {
        return;
    }
    let (class, mount) = group;
    let class = serde_json::to_value(class)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default();
    let message = format!(
        "{} {peak} accesses in the hour from {}, against a median of {median} in the busiest \
         hour of its {} peers ({class} identities of {mount}); it has no baseline of its own",
        who(base.key, base.stats),
        format_time(hour * HOUR_MS),
        others.len()
    );
    let mut anomaly = base.anomaly(
        AnomalyKind::VolumeSpike,
        peak,
        &[
            ("peak_hour_accesses", peak),
            ("peer_median_peak_hour", median),
            ("peers", others.len() as u64),
        ],
        message,
    );
    let (first, last) = (base.analysis.first_ms, base.analysis.last_ms);
    anomaly.window = Window::between(first, last).against(BaselineSource::Peers, first, last);
    found.push(anomaly);
}

/// The first hour the off-hours detector judges for an identity, or `None` when it
/// does not apply. People (and identities of unknown class) are judged over the whole
/// window. A machine runs when it is scheduled: it is judged only when its own
/// baseline (a baseline log, else the first part of the window) shows quiet hours, at
/// least `off_hours` accesses and none outside business hours, and then only after it.
fn off_hours_from(
    stats: &IdentityStats,
    key: &str,
    analysis: &Analysis,
    baseline: Option<&Analysis>,
    t: &Thresholds,
    hours: &BusinessHours,
) -> Option<i64> {
    if stats.class() != IdentityClass::Machine {
        return Some(i64::MIN);
    }
    let quiet = |hourly: &mut dyn Iterator<Item = (&i64, &u64)>| {
        let (mut on, mut off) = (0, 0);
        for (hour, n) in hourly {
            if hours.contains(*hour) {
                on += n;
            } else {
                off += n;
            }
        }
        off == 0 && on >= t.off_hours.max(1)
    };
    match baseline {
        Some(b) => {
            let own = b.identities.get(key)?;
            quiet(&mut own.hourly.iter()).then_some(i64::MIN)
        }
        None => {
            let (first, last) = (analysis.first_ms?, analysis.last_ms?);
            let h0 = first.div_euclid(HOUR_MS);
            let n = window_baseline_hours(h0, last.div_euclid(HOUR_MS), t)?;
            quiet(&mut stats.hourly.range(h0..h0 + n)).then_some(h0 + n)
        }
    }
}

/// How many of the window's hours `h0..=h1` are its own baseline when no baseline log
/// is given: the first `baseline_fraction` of them, at least one, and leaving at
/// least one to judge. `None` for a window under two hours.
fn window_baseline_hours(h0: i64, h1: i64, t: &Thresholds) -> Option<i64> {
    let span = h1 - h0 + 1;
    (span >= 2).then(|| ((span as f64 * t.baseline_fraction) as i64).clamp(1, span - 1))
}

/// Addresses the identity used that its baseline never showed: with a baseline log,
/// those absent from it; without one, those first seen after the window's baseline
/// part (the volume-spike split). An identity with no baseline address is new as a
/// whole and not reported here; an address never seen with a time is not judged, nor
/// one that is not an IP: CloudTrail names the service that acted for the caller
/// there (`secretsmanager.amazonaws.com`, `AWS Internal`), which is no new place.
fn new_addresses(
    base: &Base<'_>,
    analysis: &Analysis,
    baseline: Option<&Analysis>,
    t: &Thresholds,
    found: &mut Vec<Anomaly>,
) {
    let addresses = base
        .stats
        .addresses
        .iter()
        .filter(|(a, _)| a.parse::<IpAddr>().is_ok());
    let (mut new, known, since, window): (Vec<(&String, &AddressStats)>, usize, String, Window) =
        match baseline {
            Some(b) => {
                let Some(known) = b.identities.get(base.key) else {
                    return;
                };
                let new = addresses
                    .filter(|(a, _)| !known.addresses.contains_key(*a))
                    .collect();
                (
                    new,
                    known.addresses.len(),
                    "not in the baseline".to_owned(),
                    against_baseline_log(analysis, b),
                )
            }
            None => {
                let (Some(first), Some(last)) = (analysis.first_ms, analysis.last_ms) else {
                    return;
                };
                let h0 = first.div_euclid(HOUR_MS);
                let Some(hours) = window_baseline_hours(h0, last.div_euclid(HOUR_MS), t) else {
                    return;
                };
                let cut = (h0 + hours) * HOUR_MS;
                let (new, old): (Vec<_>, Vec<_>) = addresses
                    .filter(|(_, s)| s.first_ms.is_some())
                    .partition(|(_, s)| s.first_ms >= Some(cut));
                (
                    new,
                    old.len(),
                    format!(
                        "first seen after the baseline part of the window (to {})",
                        format_time(cut)
                    ),
                    window_start_split(analysis, h0 + hours),
                )
            }
        };
    if known == 0 || new.is_empty() {
        return;
    }
    new.sort_by_key(|(a, _)| *a);
    let accesses = new.iter().map(|(_, s)| s.accesses).sum();
    let list: Vec<&str> = new.iter().map(|(a, _)| a.as_str()).collect();
    let message = format!(
        "{} {accesses} accesses from addresses {since}: {}",
        who(base.key, base.stats),
        list.join(", ")
    );
    let mut anomaly = base.anomaly(
        AnomalyKind::NewSourceAddress,
        accesses,
        &[
            ("new_addresses", new.len() as u64),
            ("known_addresses", known as u64),
            ("accesses", accesses),
        ],
        message,
    );
    anomaly.address = Some(list[0].to_owned());
    anomaly.window = window;
    anomaly.first = new
        .iter()
        .filter_map(|(_, s)| s.first_ms)
        .min()
        .map(format_time);
    found.push(anomaly);
}

/// A GCP scope whose secret store shows Admin Activity entries but no Data Access
/// entry: Data Access logs are off by default, and without them every secret read
/// (`AccessSecretVersion`, DATA_READ) is invisible, to this tool and to an incident
/// response alike. Inferred from an absence, so the message says how to check.
fn gcp_data_access_off(analysis: &Analysis, found: &mut Vec<Anomaly>) {
    for (scope, services) in &analysis.gcp_logs {
        for (service, label) in GCP_SECRET_SERVICES {
            let Some(stats) = services.get(service) else {
                continue;
            };
            let activity = stats.by_log[AuditLogKind::Activity.index()];
            let data_access = stats.by_log[AuditLogKind::DataAccess.index()];
            if activity == 0 || data_access > 0 {
                continue;
            }
            let message = format!(
                "{scope}: {activity} Admin Activity entries for {label} ({service}) but no \
                 Data Access entry: Data Access audit logging (DATA_READ) for it appears \
                 disabled, so secret reads (AccessSecretVersion) are not logged. Check the \
                 IAM audit config of {scope} for {service}, or add its \
                 cloudaudit.googleapis.com%2Fdata_access log to the input if it was left out"
            );
            found.push(Anomaly {
                kind: AnomalyKind::DataAccessLogsOff,
                severity: default_severity(AnomalyKind::DataAccessLogsOff),
                identity: scope.clone(),
                display_name: Some(label.to_owned()),
                address: None,
                count: activity,
                evidence: BTreeMap::from([
                    ("admin_activity_entries".to_owned(), activity),
                    ("data_access_entries".to_owned(), data_access),
                ]),
                first: stats.first_ms.map(format_time),
                last: stats.last_ms.map(format_time),
                request_ids: stats
                    .samples
                    .ids()
                    .take(REQUEST_IDS)
                    .map(str::to_owned)
                    .collect(),
                files: analysis.sources.names(&stats.files),
                window: Window::between(analysis.first_ms, analysis.last_ms),
                message,
            });
        }
    }
}

/// The live tokens of a raw-mode log as fingerprints, each with the accessor to
/// revoke it by (`vault token revoke -accessor`) when an entry carried one.
fn live_tokens(analysis: &Analysis) -> String {
    if analysis.live_tokens.is_empty() {
        return String::new();
    }
    let shown: Vec<String> = analysis
        .live_tokens
        .iter()
        .take(REQUEST_IDS)
        .map(|(fp, accessor)| match accessor {
            Some(a) => format!("{fp} (accessor {a})"),
            None => fp.clone(),
        })
        .collect();
    let more = analysis.live_tokens.len().saturating_sub(shown.len());
    let more = if more > 0 {
        format!(" and {more} more")
    } else {
        String::new()
    };
    format!("; tokens by fingerprint: {}{more}", shown.join(", "))
}

/// Many distinct secrets read by one identity within a few minutes, however normal
/// its volume: a rate, so it needs no baseline.
fn mass_retrieval(base: &Base<'_>, t: &Thresholds, found: &mut Vec<Anomaly>) {
    let limit = t.mass_retrieval_secrets.min(MAX_DISTINCT_PER_MINUTE as u64);
    let minutes = t.mass_retrieval_minutes.max(1);
    if limit == 0 {
        return;
    }
    let span = i64::try_from(minutes).unwrap_or(i64::MAX);
    let Some(burst) = base.stats.secret_reads.busiest(span) else {
        return;
    };
    if burst.distinct < limit {
        return;
    }
    let seconds = (burst.last_ms - burst.first_ms) / 1000;
    let message = format!(
        "{} read {} distinct secrets in {seconds} s, from {} (threshold {limit} within {minutes} min)",
        who(base.key, base.stats),
        burst.distinct,
        format_time(burst.first_ms),
    );
    let mut anomaly = base.anomaly(
        AnomalyKind::MassRetrieval,
        burst.distinct,
        &[
            ("distinct_secrets", burst.distinct),
            ("reads", burst.reads),
            ("window_minutes", minutes),
            ("seconds", seconds.max(0) as u64),
        ],
        message,
    );
    anomaly.first = Some(format_time(burst.first_ms));
    anomaly.last = Some(format_time(burst.last_ms));
    anomaly.request_ids = burst.request_ids.into_iter().take(REQUEST_IDS).collect();
    found.push(anomaly);
}

/// An identity absent from the baseline log: nothing it does has a history.
fn new_identity(base: &Base<'_>, baseline: &Analysis, found: &mut Vec<Anomaly>) {
    let message = format!(
        "{} {} accesses by an identity the baseline never showed",
        who(base.key, base.stats),
        base.stats.events
    );
    let mut anomaly = base.anomaly(
        AnomalyKind::NewIdentity,
        base.stats.events,
        &[
            ("accesses", base.stats.events),
            ("addresses", base.stats.addresses.len() as u64),
        ],
        message,
    );
    anomaly.window = against_baseline_log(base.analysis, baseline);
    found.push(anomaly);
}

/// Failed access and login failures, per identity@address.
fn failures(analysis: &Analysis, t: &Thresholds, found: &mut Vec<Anomaly>) {
    for (key, by_address) in &analysis.failures {
        let Some(stats) = analysis.identities.get(key) else {
            continue;
        };
        let base = Base::new(key, stats, analysis);
        for (address, counts) in by_address {
            let n = |o: Outcome| counts[o.index()];
            // Operator errors (unsupported path, backend failures, not found) are
            // evidence, not attempts on something guarded: only refusals count.
            let failed = n(Outcome::Denied) + n(Outcome::InvalidToken);
            let logins = n(Outcome::BadCredentials);
            let evidence = [
                ("denied", n(Outcome::Denied)),
                ("invalid_token", n(Outcome::InvalidToken)),
                ("bad_credentials", logins),
                ("other", n(Outcome::Other)),
            ];
            for (kind, value, limit, label) in [
                (
                    AnomalyKind::FailedAccess,
                    failed,
                    t.failures,
                    "failed accesses",
                ),
                (
                    AnomalyKind::LoginFailures,
                    logins,
                    t.login_failures,
                    "failed logins",
                ),
            ] {
                if limit == 0 || value < limit {
                    continue;
                }
                let message = format!(
                    "{} {value} {label} from {address} (threshold {limit})",
                    who(key, stats)
                );
                let mut anomaly = base.anomaly(kind, value, &evidence, message);
                anomaly.address = Some(address.clone());
                found.push(anomaly);
            }
        }
    }
}

fn signal_kind(signal: Signal) -> Option<(AnomalyKind, Severity)> {
    use AnomalyKind as K;
    use Severity::*;
    Some(match signal {
        Signal::RootTokenUse => (K::RootTokenUse, High),
        Signal::GenerateRoot => (K::GenerateRoot, Critical),
        Signal::AuditDisable => (K::AuditDisable, Critical),
        Signal::AuditChange => (K::AuditChange, High),
        Signal::PolicyChange => (K::PolicyChange, Medium),
        Signal::AuthChange => (K::AuthChange, Medium),
        Signal::MountChange => (K::MountChange, Medium),
        Signal::Seal => (K::Seal, Critical),
        Signal::LeaseMassRevocation => (K::LeaseMassRevocation, High),
        Signal::LongTtlToken => (K::LongTtlToken, High),
        Signal::OrphanToken => (K::OrphanToken, Medium),
        Signal::RootTokenCreated => (K::RootTokenCreated, Critical),
        Signal::RawMode => (K::RawModeLog, Critical),
        Signal::RoleChange => (K::RoleChange, Medium),
        Signal::CloudRootUse => (K::CloudRootUse, High),
        Signal::AuditTrailStopped => (K::AuditTrailStopped, Critical),
        Signal::AuditTrailChange => (K::AuditTrailChange, High),
        Signal::IamPolicyChange => (K::IamPolicyChange, Medium),
        Signal::SensitiveRoleGrant => (K::SensitiveRoleGrant, High),
        Signal::KeyVaultAccessChange => (K::KeyVaultAccessChange, High),
        // Counted per identity@address with a threshold instead.
        Signal::LoginFailure => return None,
    })
}

fn from_signal(
    kind: AnomalyKind,
    severity: Severity,
    key: &str,
    name: Option<String>,
    s: &SignalByIdentity,
) -> Anomaly {
    let mut evidence = BTreeMap::from([("accesses".to_owned(), s.count)]);
    if let Some(ttl) = s
        .max_ttl_seconds
        .filter(|_| kind == AnomalyKind::LongTtlToken)
    {
        evidence.insert("max_ttl_seconds".to_owned(), ttl.max(0) as u64);
    }
    let label = match &name {
        Some(n) if n != key => format!("{n} ({key})"),
        _ => key.to_owned(),
    };
    let message = match kind {
        AnomalyKind::RawModeLog => format!(
            "{} accesses log their token in clear: the audit device runs with log_raw and \
             the log itself holds live secrets",
            s.count
        ),
        _ => format!("{label}: {} × {}", s.count, kebab(kind)),
    };
    Anomaly {
        kind,
        severity,
        identity: key.to_owned(),
        display_name: name,
        address: None,
        count: s.count,
        evidence,
        first: s.first_ms.map(format_time),
        last: s.last_ms.map(format_time),
        request_ids: s
            .samples
            .ids()
            .take(REQUEST_IDS)
            .map(str::to_owned)
            .collect(),
        files: Vec::new(),
        window: Window::default(),
        message,
    }
}

/// The kind's serialized name, for messages.
pub(crate) fn kebab(kind: AnomalyKind) -> String {
    serde_json::to_value(kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// Identity keys any anomaly names, for reports.
pub fn flagged_identities(anomalies: &[Anomaly]) -> BTreeSet<&str> {
    anomalies.iter().map(|a| a.identity.as_str()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_rfc3339_utc() {
        assert_eq!(format_time(0), "1970-01-01T00:00:00Z");
        assert_eq!(format_time(1_714_611_900_123), "2024-05-02T01:05:00.123Z");
        assert_eq!(format_time(951_782_400_000), "2000-02-29T00:00:00Z");
    }

    #[test]
    fn business_hours_follow_weekday_and_offset() {
        let hours = BusinessHours::default();
        // 2024-05-01 was a Wednesday.
        let wed_9 = 1_714_554_000_000 / HOUR_MS;
        assert!(hours.contains(wed_9));
        assert!(!hours.contains(wed_9 - 5), "04:00 UTC");
        let tokyo = BusinessHours {
            utc_offset_minutes: 540,
            ..BusinessHours::default()
        };
        assert!(tokyo.contains(wed_9 - 5), "13:00 in Tokyo");
        assert!(!hours.contains(wed_9 + 72), "Saturday");
    }
}
