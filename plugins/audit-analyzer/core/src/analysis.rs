//! Accumulates events into mergeable counts: per identity (events, outcomes, hourly
//! time series, paths, addresses with when each was first seen; the totals per
//! hour, path and address are sums of these), failures per identity@address, GCP
//! entries per project, service and audit log, first/last time and sample request
//! ids.
//!
//! Vault writes a request and a response entry for each access; they are paired here
//! on `request.id` so one access counts once. An entry whose other half has not been
//! seen stays pending, because in a sharded run the other half may be in the
//! neighbouring shard: [`Analysis::merge`] pairs across shards, and
//! [`Analysis::finish`] counts what is still alone. So analysing consecutive shards
//! and merging them in order gives exactly the one-pass result.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::event::{Event, IdentityClass, IdentityKind, Login, Outcome, Phase};
use crate::files::{Files, Sources};
use crate::gcp::audit_log;
use crate::retrieval::{SecretReads, is_secret_read};
use crate::samples::{Samples, max_opt, min_opt};
use crate::signals::{Signal, SignalStats, signals_of};
use crate::token::FINGERPRINT_PREFIX;

/// The hash map used for counters: foldhash is several times faster than SipHash on
/// short keys such as paths and addresses, and still seeded per process.
pub type HashMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;

/// Writes a map in key order. A hash map's own order follows its seed, which
/// foldhash takes from memory addresses: in a plugin, those change with every
/// build, and the state a build writes should not.
fn in_key_order<K, V, S>(map: &HashMap<K, V>, serializer: S) -> Result<S::Ok, S::Error>
where
    K: Ord + Serialize,
    V: Serialize,
    S: serde::Serializer,
{
    serializer.collect_map(map.iter().collect::<BTreeMap<_, _>>())
}

/// How many distinct display names are kept per identity.
const DISPLAY_NAMES: usize = 5;
/// Pending halves kept before the oldest are counted alone, so a log of requests
/// without responses cannot grow memory. Real logs have a handful in flight.
const MAX_PENDING: usize = 1 << 16;
/// Milliseconds per hour bucket.
const HOUR_MS: i64 = 3_600_000;

/// Global counters.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Totals {
    /// Accesses counted (a Vault request/response pair is one).
    pub events: u64,
    /// Vault accesses seen as a request and a response.
    pub paired: u64,
    /// Vault requests whose response never came (e.g. `sys/seal`, the audit test probe).
    pub request_only: u64,
    /// Vault responses whose request was not in the input (e.g. a rotated log's start).
    pub response_only: u64,
    /// Records that are a whole access on their own (cloud formats).
    pub single: u64,
    /// Accesses per outcome, indexed like [`Outcome::ALL`].
    pub by_outcome: [u64; 5],
    /// Accesses without a usable time.
    pub untimed: u64,
    /// Accesses without a source address.
    pub no_address: u64,
    /// Vault accesses whose token is logged in clear (`log_raw`).
    pub raw_token: u64,
    /// Vault accesses made with a root-policy token.
    pub root_token: u64,
}

/// Everything counted for one identity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdentityStats {
    /// What the identity key is.
    pub kind: IdentityKind,
    /// Up to five display names seen for it (the smallest, for determinism).
    pub display_names: BTreeSet<String>,
    /// Accesses.
    pub events: u64,
    /// Accesses per outcome, indexed like [`Outcome::ALL`].
    pub by_outcome: [u64; 5],
    /// Accesses per hour since the Unix epoch (UTC), so any timezone, calendar or
    /// window can be applied later.
    pub hourly: BTreeMap<i64, u64>,
    /// Accesses per path / resource.
    #[serde(serialize_with = "in_key_order")]
    pub paths: HashMap<String, u64>,
    /// Accesses and first sighting per source address: an address first seen late in
    /// the window is new for the identity even without a baseline log.
    #[serde(serialize_with = "in_key_order")]
    pub addresses: HashMap<String, AddressStats>,
    /// Earliest access (ms).
    pub first_ms: Option<i64>,
    /// Latest access (ms).
    pub last_ms: Option<i64>,
    /// Earliest request ids.
    pub samples: Samples,
    /// Successful secret reads per minute, for the mass-retrieval detector.
    #[serde(default)]
    pub secret_reads: SecretReads,
    /// Accesses services made on this identity's behalf (CloudTrail `invokedBy`):
    /// counted here, apart from its own, and as the service's accesses.
    #[serde(default)]
    pub via_services: u64,
    /// How it logged in: the first of the logins its records showed, people before
    /// machines (an entity with both kinds of alias is judged as a person).
    #[serde(default)]
    pub login: Option<LoginStats>,
    /// The files its records were in.
    #[serde(default)]
    pub files: Files,
}

/// An identity's login, owned.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct LoginStats {
    /// Person or machine.
    pub class: IdentityClass,
    /// The auth method or kind of principal ([`crate::Login::method`]).
    pub method: String,
    /// Its peer group ([`crate::Login::mount`]).
    pub mount: Option<String>,
}

impl LoginStats {
    /// Keeps the smaller of the two, so any order of records and merges agrees.
    fn offer(slot: &mut Option<LoginStats>, login: &Login<'_>) {
        let smaller = match slot {
            None => true,
            Some(known) => {
                (login.class, login.method.as_ref(), login.mount.as_deref())
                    < (known.class, known.method.as_str(), known.mount.as_deref())
            }
        };
        if smaller {
            *slot = Some(LoginStats {
                class: login.class,
                method: login.method.to_string(),
                mount: login.mount.as_deref().map(str::to_owned),
            });
        }
    }

    fn merge(slot: &mut Option<LoginStats>, other: Option<LoginStats>) {
        if let Some(other) = other
            && slot.as_ref().is_none_or(|known| other < *known)
        {
            *slot = Some(other);
        }
    }
}

/// One identity's use of one source address.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AddressStats {
    /// Accesses from the address.
    pub accesses: u64,
    /// Earliest of them (ms); `None` when none had a usable time.
    pub first_ms: Option<i64>,
}

impl AddressStats {
    fn add(&mut self, time_ms: Option<i64>) {
        self.accesses += 1;
        self.first_ms = min_opt(self.first_ms, time_ms);
    }

    fn merge(&mut self, other: AddressStats) {
        self.accesses += other.accesses;
        self.first_ms = min_opt(self.first_ms, other.first_ms);
    }
}

/// A GCP scope's entries for one service in each Cloud Audit Log: Admin Activity
/// entries with no Data Access entry mean the service's Data Access log is off there.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GcpLogStats {
    /// Entries per audit log, indexed like [`crate::AuditLogKind::ALL`].
    pub by_log: [u64; 4],
    /// Earliest entry (ms).
    pub first_ms: Option<i64>,
    /// Latest entry (ms).
    pub last_ms: Option<i64>,
    /// Earliest entry ids (`insertId`).
    pub samples: Samples,
    /// The files the entries were in.
    #[serde(default)]
    pub files: Files,
}

impl GcpLogStats {
    fn merge(&mut self, other: GcpLogStats) {
        self.files.merge(other.files);
        for (a, b) in self.by_log.iter_mut().zip(other.by_log) {
            *a += b;
        }
        self.first_ms = min_opt(self.first_ms, other.first_ms);
        self.last_ms = max_opt(self.last_ms, other.last_ms);
        self.samples.merge(other.samples);
    }
}

impl IdentityStats {
    fn new(kind: IdentityKind) -> Self {
        Self {
            kind,
            display_names: BTreeSet::new(),
            events: 0,
            by_outcome: [0; 5],
            hourly: BTreeMap::new(),
            paths: HashMap::default(),
            addresses: HashMap::default(),
            first_ms: None,
            last_ms: None,
            samples: Samples::default(),
            secret_reads: SecretReads::default(),
            via_services: 0,
            login: None,
            files: Files::default(),
        }
    }

    /// Person, machine or unknown, by how it logged in.
    pub fn class(&self) -> IdentityClass {
        self.login
            .as_ref()
            .map_or(IdentityClass::Unknown, |l| l.class)
    }

    fn merge(&mut self, other: IdentityStats) {
        // Two keys of different kinds colliding is not expected; keep the stronger.
        self.kind = self.kind.min(other.kind);
        for name in other.display_names {
            offer_name(&mut self.display_names, &name);
        }
        self.events += other.events;
        add_array(&mut self.by_outcome, &other.by_outcome);
        for (hour, n) in other.hourly {
            *self.hourly.entry(hour).or_default() += n;
        }
        merge_counts(&mut self.paths, other.paths);
        for (address, seen) in other.addresses {
            self.addresses.entry(address).or_default().merge(seen);
        }
        self.first_ms = min_opt(self.first_ms, other.first_ms);
        self.last_ms = max_opt(self.last_ms, other.last_ms);
        self.samples.merge(other.samples);
        self.secret_reads.merge(other.secret_reads);
        self.via_services += other.via_services;
        LoginStats::merge(&mut self.login, other.login);
        self.files.merge(other.files);
    }
}

/// Halves of Vault pairs waiting for their other half. Part of the serialized state,
/// so a shard analysed in another process still pairs with its neighbour.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Pending {
    #[serde(serialize_with = "in_key_order")]
    requests: HashMap<String, Half>,
    #[serde(serialize_with = "in_key_order")]
    responses: HashMap<String, Half>,
    seq: u64,
}

/// A Vault half waiting for its pair: when it was met, the file it was in, and it.
type Half = (u64, Option<u32>, Event<'static>);

impl PartialEq for Pending {
    fn eq(&self, other: &Self) -> bool {
        // Sequence numbers are local to a pass; what is pending is what matters.
        let keys = |m: &HashMap<String, Half>| {
            m.iter()
                .map(|(k, (_, source, e))| (k.clone(), (*source, e.clone())))
                .collect::<BTreeMap<_, _>>()
        };
        keys(&self.requests) == keys(&other.requests)
            && keys(&self.responses) == keys(&other.responses)
    }
}

impl Eq for Pending {}

/// The mergeable analysis state.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Analysis {
    /// Global counters.
    pub totals: Totals,
    /// Earliest access (ms).
    pub first_ms: Option<i64>,
    /// Latest access (ms).
    pub last_ms: Option<i64>,
    /// Per identity key ([`crate::Identity::key`]).
    #[serde(serialize_with = "in_key_order")]
    pub identities: HashMap<String, IdentityStats>,
    /// Failures per identity, then per source address (`(unknown)` when missing), per
    /// outcome (indexed like [`Outcome::ALL`]): the identity@address unit of the
    /// repeated-failure signal.
    pub failures: BTreeMap<String, BTreeMap<String, [u64; 5]>>,
    /// Earliest request ids overall.
    pub samples: Samples,
    /// Security-relevant Vault accesses, by kind.
    pub signals: BTreeMap<Signal, SignalStats>,
    /// GCP Cloud Audit Logs entries per scope (`projects/<p>`, from `logName`), then
    /// per service (`serviceName`).
    #[serde(default)]
    pub gcp_logs: BTreeMap<String, BTreeMap<String, GcpLogStats>>,
    /// Live tokens of a raw-mode log, by fingerprint (never the value), with the
    /// smallest accessor seen beside each: the link to revoke it by. The
    /// [`LIVE_TOKENS`] smallest fingerprints are kept.
    #[serde(default)]
    pub live_tokens: BTreeMap<String, Option<String>>,
    /// Second keys of identities (an Azure UPN) with the key they belong to (its
    /// object id), learnt from records that carry both; [`Analysis::finish`] counts
    /// what was keyed by the second under the first. The smallest key is kept.
    #[serde(default)]
    pub aliases: BTreeMap<String, String>,
    /// Vault halves waiting for their pair (see [`Analysis::merge`]).
    #[serde(default)]
    pending: Pending,
    /// The input files, in reading order; counters name them by index.
    #[serde(default)]
    pub sources: Sources,
    /// The file being read, once one is named: what is counted now is counted as
    /// seen in it.
    #[serde(skip)]
    source: Option<u32>,
}

/// Live-token fingerprints kept for reports.
pub const LIVE_TOKENS: usize = 100;

/// How an access was assembled, for the pairing counters.
#[derive(Clone, Copy)]
enum Assembly {
    Paired,
    RequestOnly,
    ResponseOnly,
    Single,
}

impl Analysis {
    /// An empty analysis.
    pub fn new() -> Self {
        Self::default()
    }

    /// Names the file the next events come from (the same name again for the next
    /// part of one file).
    pub fn begin_file(&mut self, name: &str) {
        self.source = Some(self.sources.begin(name));
    }

    /// Adds one event (one record), pairing Vault requests with responses.
    pub fn add(&mut self, event: &Event<'_>) {
        let id = match (&event.phase, &event.request_id) {
            (Phase::Single, _) | (_, None) => {
                return self.record(event, event.outcome, Assembly::Single);
            }
            (_, Some(id)) => id.as_ref(),
        };
        self.pending.seq += 1;
        let half = |this: &Self| (this.pending.seq, this.source, event.clone().into_owned());
        match event.phase {
            Phase::Request => {
                if let Some((_, _, response)) = self.pending.responses.remove(id) {
                    self.record_pair(event, &response);
                } else if let Some(older) = self.pending.requests.insert(id.to_owned(), half(self))
                {
                    self.record_half(older, Assembly::RequestOnly);
                }
            }
            Phase::Response => {
                if let Some((_, _, request)) = self.pending.requests.remove(id) {
                    self.record_pair(&request, event);
                } else if let Some(older) = self.pending.responses.insert(id.to_owned(), half(self))
                {
                    self.record_half(older, Assembly::ResponseOnly);
                }
            }
            Phase::Single => unreachable!("handled above"),
        }
        self.bound_pending();
    }

    /// Merges the analysis of the shard that comes right after this one.
    pub fn merge(&mut self, other: Analysis) {
        let Analysis {
            totals,
            first_ms,
            last_ms,
            identities,
            failures,
            samples,
            signals,
            gcp_logs,
            live_tokens,
            aliases,
            pending,
            sources,
            source: _,
        } = other;
        let renumbered = self.sources.append(sources);
        let mut identities = identities;
        for stats in identities.values_mut() {
            stats.files.renumber(&renumbered);
        }
        let mut signals = signals;
        for by_identity in signals.values_mut().flat_map(|s| s.identities.values_mut()) {
            by_identity.files.renumber(&renumbered);
        }
        let mut gcp_logs = gcp_logs;
        for stats in gcp_logs.values_mut().flat_map(BTreeMap::values_mut) {
            stats.files.renumber(&renumbered);
        }
        for (alias, key) in aliases {
            self.offer_alias(&alias, &key);
        }
        for (fingerprint, accessor) in live_tokens {
            self.offer_live_token(&fingerprint, accessor.as_deref());
        }
        let t = &mut self.totals;
        t.events += totals.events;
        t.paired += totals.paired;
        t.request_only += totals.request_only;
        t.response_only += totals.response_only;
        t.single += totals.single;
        add_array(&mut t.by_outcome, &totals.by_outcome);
        t.untimed += totals.untimed;
        t.no_address += totals.no_address;
        t.raw_token += totals.raw_token;
        t.root_token += totals.root_token;
        self.first_ms = min_opt(self.first_ms, first_ms);
        self.last_ms = max_opt(self.last_ms, last_ms);
        for (key, stats) in identities {
            match self.identities.get_mut(&key) {
                Some(mine) => mine.merge(stats),
                None => {
                    self.identities.insert(key, stats);
                }
            }
        }
        for (identity, addresses) in failures {
            let mine = self.failures.entry(identity).or_default();
            for (address, counts) in addresses {
                add_array(mine.entry(address).or_insert([0; 5]), &counts);
            }
        }
        self.samples.merge(samples);
        for (signal, stats) in signals {
            self.signals.entry(signal).or_default().merge(stats);
        }
        for (scope, services) in gcp_logs {
            let mine = self.gcp_logs.entry(scope).or_default();
            for (service, stats) in services {
                mine.entry(service).or_default().merge(stats);
            }
        }

        // Pair across the shard boundary, replaying the later shard's pending halves
        // in their original order, as a single pass would have met them.
        let mut halves: Vec<Half> = pending
            .requests
            .into_values()
            .chain(pending.responses.into_values())
            .collect();
        halves.sort_by_key(|(seq, ..)| *seq);
        for (_, source, event) in halves {
            self.source = source.and_then(|s| renumbered.get(s as usize).copied());
            self.add(&event);
        }
        self.source = self.sources.last();
    }

    /// Counts every half still waiting for its pair. Call once, after the last input
    /// (or the last merge).
    pub fn finish(&mut self) {
        let requests = std::mem::take(&mut self.pending.requests);
        let responses = std::mem::take(&mut self.pending.responses);
        for half in requests.into_values() {
            self.record_half(half, Assembly::RequestOnly);
        }
        for half in responses.into_values() {
            self.record_half(half, Assembly::ResponseOnly);
        }
        self.fold_aliases();
    }

    /// Counts everything keyed by a second key under the identity it belongs to.
    fn fold_aliases(&mut self) {
        for (alias, key) in &self.aliases {
            if alias == key {
                continue;
            }
            if let Some(stats) = self.identities.remove(alias) {
                match self.identities.get_mut(key) {
                    Some(mine) => mine.merge(stats),
                    None => {
                        self.identities.insert(key.clone(), stats);
                    }
                }
            }
            if let Some(by_address) = self.failures.remove(alias) {
                let mine = self.failures.entry(key.clone()).or_default();
                for (address, counts) in by_address {
                    add_array(mine.entry(address).or_insert([0; 5]), &counts);
                }
            }
            for signal in self.signals.values_mut() {
                if let Some(stats) = signal.identities.remove(alias) {
                    signal
                        .identities
                        .entry(key.clone())
                        .or_default()
                        .merge(stats);
                }
            }
        }
    }

    fn offer_alias(&mut self, alias: &str, key: &str) {
        match self.aliases.get_mut(alias) {
            Some(known) if key < known.as_str() => *known = key.to_owned(),
            Some(_) => {}
            None => {
                self.aliases.insert(alias.to_owned(), key.to_owned());
            }
        }
    }

    /// Accesses per hour since the Unix epoch (UTC), over all identities; shift by a
    /// timezone offset and take `rem_euclid(24)` for an hour-of-day histogram.
    pub fn hourly(&self) -> BTreeMap<i64, u64> {
        self.summed(|stats| stats.hourly.iter().map(|(&hour, &n)| (hour, n)))
            .into_iter()
            .collect()
    }

    /// Accesses per path / resource, over all identities. Derived rather than
    /// counted apart: every access counts its paths under its identity, and the
    /// state then carries each path once.
    pub fn paths(&self) -> HashMap<&str, u64> {
        self.summed(|stats| stats.paths.iter().map(|(path, &n)| (path.as_str(), n)))
    }

    /// Accesses per source address, over all identities (derived like [`Self::paths`]).
    pub fn addresses(&self) -> HashMap<&str, u64> {
        self.summed(|stats| {
            stats
                .addresses
                .iter()
                .map(|(address, seen)| (address.as_str(), seen.accesses))
        })
    }

    /// One of the identities' counts, summed over all identities.
    fn summed<'a, K, I>(&'a self, counts: impl FnMut(&'a IdentityStats) -> I) -> HashMap<K, u64>
    where
        K: Eq + std::hash::Hash,
        I: Iterator<Item = (K, u64)>,
    {
        let mut total = HashMap::default();
        for (key, n) in self.identities.values().flat_map(counts) {
            *total.entry(key).or_default() += n;
        }
        total
    }

    /// Halves still waiting for their pair (requests, responses).
    pub fn pending(&self) -> (usize, usize) {
        (self.pending.requests.len(), self.pending.responses.len())
    }

    fn bound_pending(&mut self) {
        for responses in [false, true] {
            let map = if responses {
                &mut self.pending.responses
            } else {
                &mut self.pending.requests
            };
            if map.len() <= MAX_PENDING {
                continue;
            }
            let mut seqs: Vec<u64> = map.values().map(|(s, ..)| *s).collect();
            seqs.sort_unstable();
            let cutoff = seqs[seqs.len() / 2];
            let old: Vec<String> = map
                .iter()
                .filter(|(_, (s, ..))| *s < cutoff)
                .map(|(k, _)| k.clone())
                .collect();
            let evicted: Vec<Half> = old.iter().filter_map(|k| map.remove(k)).collect();
            let assembly = if responses {
                Assembly::ResponseOnly
            } else {
                Assembly::RequestOnly
            };
            for half in evicted {
                self.record_half(half, assembly);
            }
        }
    }

    /// Keeps a live token's fingerprint with its smallest accessor, within the cap.
    fn offer_live_token(&mut self, fingerprint: &str, accessor: Option<&str>) {
        match self.live_tokens.get_mut(fingerprint) {
            Some(known) => {
                if let Some(a) = accessor
                    && known.as_deref().is_none_or(|k| a < k)
                {
                    *known = Some(a.to_owned());
                }
            }
            None => {
                self.live_tokens
                    .insert(fingerprint.to_owned(), accessor.map(str::to_owned));
                if self.live_tokens.len() > LIVE_TOKENS {
                    self.live_tokens.pop_last();
                }
            }
        }
    }

    /// Counts a request and its response as one access at the request's time: the
    /// response carries the whole request too, and the more specific failure of the
    /// two wins.
    fn record_pair(&mut self, request: &Event<'_>, response: &Event<'_>) {
        let outcome = if request.outcome.rank() > response.outcome.rank() {
            request.outcome
        } else {
            response.outcome
        };
        // The access happened when the request arrived.
        let time = request.time_ms.or(response.time_ms);
        self.record_at(response, time, outcome, Assembly::Paired);
    }

    fn record(&mut self, event: &Event<'_>, outcome: Outcome, assembly: Assembly) {
        self.record_at(event, event.time_ms, outcome, assembly);
    }

    /// Counts a half that stays alone, as seen in the file it was in.
    fn record_half(&mut self, (_, source, event): Half, assembly: Assembly) {
        let reading = std::mem::replace(&mut self.source, source);
        self.record(&event, event.outcome, assembly);
        self.source = reading;
    }

    fn record_at(
        &mut self,
        event: &Event<'_>,
        time_ms: Option<i64>,
        outcome: Outcome,
        assembly: Assembly,
    ) {
        let t = &mut self.totals;
        t.events += 1;
        match assembly {
            Assembly::Paired => t.paired += 1,
            Assembly::RequestOnly => t.request_only += 1,
            Assembly::ResponseOnly => t.response_only += 1,
            Assembly::Single => t.single += 1,
        }
        t.by_outcome[outcome.index()] += 1;
        if let Some(vault) = &event.vault {
            t.raw_token += u64::from(vault.raw_token);
            t.root_token += u64::from(vault.root_token);
        }
        if time_ms.is_none() {
            t.untimed += 1;
        }
        if event.source_address.is_none() {
            t.no_address += 1;
        }
        if let Some(fp) = event.credentials.client_token.as_deref()
            && fp.starts_with(FINGERPRINT_PREFIX)
        {
            self.offer_live_token(fp, event.credentials.accessor.as_deref());
        }
        self.first_ms = min_opt(self.first_ms, time_ms);
        self.last_ms = max_opt(self.last_ms, time_ms);
        let request_id = event.request_id.as_deref();
        self.samples.offer(time_ms, request_id);
        let address = event.source_address.as_deref();

        let key = event.identity.key();
        let stats = match self.identities.get_mut(key) {
            Some(stats) => stats,
            None => self
                .identities
                .entry(key.to_owned())
                .or_insert_with(|| IdentityStats::new(event.identity.kind)),
        };
        stats.events += 1;
        stats.by_outcome[outcome.index()] += 1;
        if let Some(login) = &event.login {
            LoginStats::offer(&mut stats.login, login);
        }
        if let Some(name) = &event.display_name {
            offer_name(&mut stats.display_names, name);
        }
        if let Some(time) = time_ms {
            *stats.hourly.entry(time.div_euclid(HOUR_MS)).or_default() += 1;
        }
        // A call that names no resource (a list, a filter, a trail change) has no
        // path; a batch call has one per secret it names.
        for resource in event.resources() {
            bump(&mut stats.paths, resource);
        }
        if let Some(time) = time_ms
            && is_secret_read(event, outcome)
        {
            for resource in event.resources() {
                stats.secret_reads.add(time, resource, request_id);
            }
        }
        if let Some(address) = address {
            match stats.addresses.get_mut(address) {
                Some(seen) => seen.add(time_ms),
                None => stats
                    .addresses
                    .entry(address.to_owned())
                    .or_default()
                    .add(time_ms),
            }
        }
        stats.first_ms = min_opt(stats.first_ms, time_ms);
        stats.last_ms = max_opt(stats.last_ms, time_ms);
        stats.samples.offer(time_ms, request_id);
        stats.files.add(self.source);

        if let Some(principal) = &event.on_behalf_of {
            let stats = match self.identities.get_mut(principal.as_ref()) {
                Some(stats) => stats,
                None => self
                    .identities
                    .entry(principal.to_string())
                    .or_insert_with(|| IdentityStats::new(IdentityKind::Principal)),
            };
            stats.via_services += 1;
            stats.files.add(self.source);
        }

        if let Some(alias) = &event.alias
            && event.identity.kind != IdentityKind::Anonymous
        {
            self.offer_alias(alias, key);
        }

        let mut signals = Vec::new();
        signals_of(event, outcome, &mut signals);
        for signal in signals {
            let s = self.signals.entry(signal).or_default();
            s.count += 1;
            s.first_ms = min_opt(s.first_ms, time_ms);
            s.last_ms = max_opt(s.last_ms, time_ms);
            let ttl = event
                .vault
                .as_ref()
                .and_then(|v| v.new_token.as_ref()?.ttl_seconds);
            s.max_ttl_seconds = s.max_ttl_seconds.max(ttl);
            s.samples.offer(time_ms, request_id);
            s.identities.entry(key.to_owned()).or_default().add(
                time_ms,
                ttl,
                request_id,
                self.source,
            );
        }

        if let (Some(log_name), Some(service)) = (&event.log_name, &event.service)
            && let Some((scope, log)) = audit_log(log_name)
        {
            let stats = slot(slot(&mut self.gcp_logs, scope), service);
            stats.by_log[log.index()] += 1;
            stats.first_ms = min_opt(stats.first_ms, time_ms);
            stats.last_ms = max_opt(stats.last_ms, time_ms);
            stats.samples.offer(time_ms, request_id);
            stats.files.add(self.source);
        }

        if outcome.is_failure() {
            let by_address = self.failures.entry(key.to_owned()).or_default();
            let address = address.unwrap_or("(unknown)");
            let counts = match by_address.get_mut(address) {
                Some(counts) => counts,
                None => by_address.entry(address.to_owned()).or_insert([0; 5]),
            };
            counts[outcome.index()] += 1;
        }
    }
}

/// The entry for `key`, allocating the key only when it is new.
fn slot<'m, V: Default>(map: &'m mut BTreeMap<String, V>, key: &str) -> &'m mut V {
    if !map.contains_key(key) {
        map.insert(key.to_owned(), V::default());
    }
    map.get_mut(key).expect("inserted above")
}

fn bump(map: &mut HashMap<String, u64>, key: &str) {
    match map.get_mut(key) {
        Some(n) => *n += 1,
        None => {
            map.insert(key.to_owned(), 1);
        }
    }
}

fn offer_name(names: &mut BTreeSet<String>, name: &str) {
    if names.contains(name) {
        return;
    }
    if names.len() >= DISPLAY_NAMES && names.last().is_some_and(|last| name >= last.as_str()) {
        return;
    }
    names.insert(name.to_owned());
    if names.len() > DISPLAY_NAMES {
        names.pop_last();
    }
}

fn merge_counts(into: &mut HashMap<String, u64>, from: HashMap<String, u64>) {
    for (key, n) in from {
        *into.entry(key).or_default() += n;
    }
}

fn add_array(into: &mut [u64; 5], from: &[u64; 5]) {
    for (a, b) in into.iter_mut().zip(from) {
        *a += b;
    }
}
