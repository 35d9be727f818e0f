//! The blast radius of a leaked credential: every access it made in the exposure
//! window, read from audit logs with audit-core's parsers (Vault/OpenBao, CloudTrail,
//! GCP, Azure Key Vault), grouped by resource and operation, and the secrets it read
//! or came near, which must be rotated next.
//!
//! One streaming pass with bounded memory: one aggregate per (resource, operation) up
//! to [`MAX_GROUPS`], a few sample request ids per group, and only the matching
//! credential's unpaired Vault halves held back for pairing.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use audit_core::{Event, Format, IdentityKind, Outcome, Phase, ReadSummary, format_time};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::error::InputError;
use crate::ids;

/// Groups itemised; accesses to further (resource, operation) pairs are counted only.
pub const MAX_GROUPS: usize = 5_000;
/// Source addresses kept per group and overall.
const MAX_ADDRESSES: usize = 64;
/// Sample request ids per group (the earliest).
const MAX_SAMPLES: usize = 3;
/// Vault halves waiting for their pair; past this the oldest is counted alone.
const MAX_PENDING: usize = 100_000;
/// Secrets listed per adjacent prefix.
const MAX_PER_PREFIX: usize = 50;

/// The leaked credential as the audit logs record it. Give every identifier you have:
/// an access matching any of them is the credential's.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Credential {
    /// Vault/OpenBao: the token accessor's HMAC as this audit device logs it
    /// (`hmac-sha256:…`, from `sys/audit-hash/<device>`); matched against
    /// `auth.accessor` and `request.client_token_accessor`, even when the token has an
    /// entity.
    pub vault_accessor_hmac: Option<String>,
    /// Vault/OpenBao: the token's HMAC (`hmac-sha256:…`); matched against
    /// `auth.client_token` and `request.client_token`, which also finds calls made
    /// after the token was revoked.
    pub vault_token_hmac: Option<String>,
    /// Vault/OpenBao: an entity id (every token of that entity).
    pub vault_entity_id: Option<String>,
    /// AWS: the access key id (`userIdentity.accessKeyId`); defaults to the incident's
    /// `aws_access_key_id`.
    pub aws_access_key_id: Option<String>,
    /// GCP: the principal (`authenticationInfo.principalEmail`); defaults to the
    /// incident's `gcp_service_account`.
    pub gcp_principal: Option<String>,
    /// Azure: the object id (`identity.claim.oid`).
    pub azure_object_id: Option<String>,
    /// Azure: the application id (`identity.claim.appid`); defaults to the incident's
    /// `azure_app_id`.
    pub azure_app_id: Option<String>,
}

/// An HMAC as audit devices write it: `hmac-sha256:` and hex digits (64 from a real
/// device; shorter ones appear in hand-made examples and are harmless).
fn hmac(pointer: &str, value: &str) -> Result<(), InputError> {
    let ok = value.strip_prefix("hmac-sha256:").is_some_and(|hex| {
        (1..=128).contains(&hex.len()) && hex.chars().all(|c| c.is_ascii_hexdigit())
    });
    ok.then_some(()).ok_or_else(|| {
        InputError::new(
            pointer,
            format!(
                "{value:?} is not an audit-log HMAC (`hmac-sha256:` and hex digits): \
                 compute it from the raw value with `sys/audit-hash/<device>`"
            ),
        )
    })
}

/// A principal email (user or service account).
fn principal(pointer: &str, value: &str) -> Result<(), InputError> {
    let ok = value.len() <= 254
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "@._+-".contains(c))
        && value
            .split_once('@')
            .is_some_and(|(name, domain)| !name.is_empty() && domain.contains('.'))
        && !value.starts_with('-');
    ok.then_some(())
        .ok_or_else(|| InputError::new(pointer, format!("{value:?} is not a principal email")))
}

/// What an access is recognised by, validated.
#[derive(Debug, Clone, Default)]
struct Matcher {
    accessor: Option<String>,
    token: Option<String>,
    entity: Option<String>,
    access_key: Option<String>,
    principal: Option<String>,
    object_id: Option<String>,
    app_id: Option<String>,
}

impl Matcher {
    fn new(c: &Credential) -> Result<Self, InputError> {
        let m = Matcher {
            accessor: c.vault_accessor_hmac.clone(),
            token: c.vault_token_hmac.clone(),
            entity: c.vault_entity_id.clone(),
            access_key: c.aws_access_key_id.clone(),
            principal: c.gcp_principal.clone(),
            object_id: c.azure_object_id.clone(),
            app_id: c.azure_app_id.clone(),
        };
        let check = |pointer: &str, value: &Option<String>, f: fn(&str, &str) -> _| {
            value.as_deref().map_or(Ok(()), |v| f(pointer, v))
        };
        check("/credential/vault_accessor_hmac", &m.accessor, hmac)?;
        check("/credential/vault_token_hmac", &m.token, hmac)?;
        check("/credential/vault_entity_id", &m.entity, ids::uuid)?;
        check(
            "/credential/aws_access_key_id",
            &m.access_key,
            ids::aws_access_key_id,
        )?;
        check("/credential/gcp_principal", &m.principal, principal)?;
        check("/credential/azure_object_id", &m.object_id, ids::uuid)?;
        check("/credential/azure_app_id", &m.app_id, ids::uuid)?;
        if m.labels().is_empty() {
            return Err(InputError::new(
                "/credential",
                "give the leaked credential as the logs record it (e.g. `aws_access_key_id`, \
                 or for a Vault/OpenBao token `vault_accessor_hmac`: see the \
                 `sys/audit-hash` step)",
            ));
        }
        Ok(m)
    }

    /// Each identifier, labelled, for the report.
    fn labels(&self) -> Vec<String> {
        [
            ("Vault accessor", &self.accessor),
            ("Vault token", &self.token),
            ("Vault entity", &self.entity),
            ("AWS access key", &self.access_key),
            ("GCP principal", &self.principal),
            ("Azure object id", &self.object_id),
            ("Azure application id", &self.app_id),
        ]
        .into_iter()
        .filter_map(|(label, v)| v.as_ref().map(|v| format!("{label} {v}")))
        .collect()
    }

    /// Whether one of the identifiers applies to records of `format`.
    fn covers(&self, format: Format) -> bool {
        match format {
            Format::Vault => {
                self.accessor.is_some() || self.token.is_some() || self.entity.is_some()
            }
            Format::Generic => self.entity.is_some(),
            Format::CloudTrail => self.access_key.is_some(),
            Format::GcpAudit => self.principal.is_some(),
            Format::AzureKeyVault => self.object_id.is_some() || self.app_id.is_some(),
        }
    }

    fn matches(&self, e: &Event<'_>) -> bool {
        let is = |want: &Option<String>, got: Option<&str>| matches!((want, got), (Some(w), Some(g)) if w == g);
        let principal = (e.identity.kind == IdentityKind::Principal).then_some(&*e.identity.id);
        let entity = (e.identity.kind == IdentityKind::Entity).then_some(&*e.identity.id);
        let c = &e.credentials;
        match e.format {
            Format::Vault => {
                is(&self.accessor, c.accessor.as_deref())
                    || is(&self.token, c.client_token.as_deref())
                    || is(&self.entity, entity)
            }
            Format::Generic => is(&self.entity, entity),
            Format::CloudTrail => is(&self.access_key, c.access_key_id.as_deref()),
            Format::GcpAudit => is(&self.principal, principal),
            Format::AzureKeyVault => {
                // Azure writes GUIDs in either case.
                let same = |want: &Option<String>, got: Option<&str>| matches!((want, got), (Some(w), Some(g)) if w.eq_ignore_ascii_case(g));
                same(&self.object_id, principal) || same(&self.app_id, c.app_id.as_deref())
            }
        }
    }
}

/// The exposure window, milliseconds since the epoch (UTC).
#[derive(Debug, Clone, Copy)]
pub struct Window {
    /// Start; `None` means since the start of the logs.
    pub from_ms: Option<i64>,
    /// End, inclusive.
    pub until_ms: i64,
}

/// One resource and operation the credential touched.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct AccessGroup {
    /// Path or resource as logged (Vault `request.path`, AWS `secretId`, GCP
    /// `resourceName`, Azure object id or URI).
    pub resource: String,
    /// Vault `request.operation`, AWS `eventName`, GCP `methodName`, Azure `operationName`.
    pub operation: String,
    /// The secret the resource names (KV v2 `data/`, `metadata/`… of one key are one
    /// secret; a cloud secret without its version), or the prefix a list names.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    /// Accesses (a Vault request/response pair is one).
    pub accesses: u64,
    /// Accesses that succeeded.
    pub successes: u64,
    /// Failed accesses per outcome (`denied`, `invalid-token`, `bad-credentials`, `other`).
    pub failures: BTreeMap<String, u64>,
    /// Source addresses, sorted (at most 64).
    pub source_addresses: Vec<String>,
    /// First access, RFC 3339 UTC.
    pub first: String,
    /// Last access, RFC 3339 UTC.
    pub last: String,
    /// The earliest request ids, to look the accesses up.
    pub request_ids: Vec<String>,
}

/// A prefix under which the credential read, listed or was refused secrets: other
/// secrets there are likely within the same grant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct AdjacentPrefix {
    /// The prefix, ending in `/` (e.g. `secret/app/`).
    pub prefix: String,
    /// Secrets under it the credential read.
    pub read: Vec<String>,
    /// The credential listed the prefix (it knows every name under it).
    pub listed: bool,
    /// Accesses under it refused by policy (probing).
    pub denied: u64,
}

/// What one audit log was read as.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct LogRead {
    /// The path as given.
    pub path: String,
    /// Detected format (`vault`, `cloud-trail`, `gcp-audit`, `azure-key-vault`, `generic`).
    #[schemars(with = "Option<String>")]
    pub format: Option<Format>,
    /// The file was gzip-compressed.
    pub gzip: bool,
    /// Records read.
    pub records: u64,
    /// Unusable records (counted, skipped).
    pub problems: u64,
}

/// Every access by the leaked credential in the exposure window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct BlastRadius {
    /// The identifiers matched.
    pub credential: Vec<String>,
    /// Start of the window, RFC 3339 UTC; absent when open (since the logs start).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub window_from: Option<String>,
    /// End of the window, RFC 3339 UTC (`exposed_until`, else the detection time).
    pub window_until: String,
    /// The logs read.
    pub logs: Vec<LogRead>,
    /// Accesses in the window.
    pub accesses: u64,
    /// Of which succeeded.
    pub successes: u64,
    /// Failed accesses per outcome.
    pub failures: BTreeMap<String, u64>,
    /// First access in the window, RFC 3339 UTC.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first: Option<String>,
    /// Last access in the window, RFC 3339 UTC.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last: Option<String>,
    /// Source addresses with their accesses in the window (the first 64 seen).
    pub source_addresses: BTreeMap<String, u64>,
    /// Accesses per resource and operation, sorted by resource then operation.
    pub groups: Vec<AccessGroup>,
    /// Accesses beyond the first 5,000 groups, counted but not itemised.
    pub unlisted_accesses: u64,
    /// Secrets the credential read successfully: leaked too, rotate next.
    pub rotate_next: Vec<String>,
    /// Prefixes it read, listed or probed: what else it could reach.
    pub adjacent: Vec<AdjacentPrefix>,
    /// The credential's accesses before the window (not counted above).
    pub before_window: u64,
    /// Its accesses after the window: still in use after it ended?
    pub after_window: u64,
    /// Its accesses without a usable time (not counted above).
    pub untimed: u64,
    /// What the reader must know about these numbers.
    pub warnings: Vec<String>,
}

#[derive(Debug, Default)]
struct Group {
    secret: Option<String>,
    reads_secret: bool,
    lists: bool,
    accesses: u64,
    by_outcome: [u64; 5],
    addresses: BTreeSet<String>,
    first_ms: i64,
    last_ms: i64,
    samples: BTreeSet<(i64, String)>,
}

/// Accumulates the blast radius over any number of logs; feed every event with
/// [`BlastRadiusBuilder::add`], each log's summary with
/// [`BlastRadiusBuilder::add_log`], then [`BlastRadiusBuilder::finish`].
#[derive(Debug)]
pub struct BlastRadiusBuilder {
    matcher: Matcher,
    window: Window,
    pending: HashMap<String, (u64, Event<'static>)>,
    order: BTreeMap<u64, String>,
    seq: u64,
    groups: BTreeMap<(String, String), Group>,
    addresses: BTreeMap<String, u64>,
    unlisted: u64,
    before: u64,
    after: u64,
    untimed: u64,
    logs: Vec<LogRead>,
    raw_log: bool,
    gcp_records: bool,
    gcp_secret_reads: bool,
}

impl BlastRadiusBuilder {
    /// A builder for `credential` over `window`; fails when no identifier is given or
    /// one is malformed.
    pub fn new(credential: &Credential, window: Window) -> Result<Self, InputError> {
        Ok(Self {
            matcher: Matcher::new(credential)?,
            window,
            pending: HashMap::new(),
            order: BTreeMap::new(),
            seq: 0,
            groups: BTreeMap::new(),
            addresses: BTreeMap::new(),
            unlisted: 0,
            before: 0,
            after: 0,
            untimed: 0,
            logs: Vec::new(),
            raw_log: false,
            gcp_records: false,
            gcp_secret_reads: false,
        })
    }

    /// Takes one event; only the credential's count, Vault halves paired on `request.id`.
    pub fn add(&mut self, event: &Event<'_>) {
        match event.format {
            Format::Vault => {
                self.raw_log |= event.vault.as_ref().is_some_and(|v| v.raw_token);
            }
            Format::GcpAudit => {
                self.gcp_records = true;
                self.gcp_secret_reads |= event.operation.ends_with("AccessSecretVersion");
            }
            _ => {}
        }
        if !self.matcher.matches(event) {
            return;
        }
        let id = match (event.phase, &event.request_id) {
            (Phase::Single, _) | (_, None) => {
                return self.record(event, event.time_ms, event.outcome);
            }
            (_, Some(id)) => id.as_ref(),
        };
        if let Some((seq, other)) = self.pending.remove(id) {
            self.order.remove(&seq);
            if other.phase != event.phase {
                let (request, response) = match event.phase {
                    Phase::Request => (event, &other),
                    _ => (&other, event),
                };
                // The access happened when the request arrived.
                let time = request.time_ms.or(response.time_ms);
                return self.record(response, time, request.outcome.worse(response.outcome));
            }
            // The same half twice (a duplicated line): count the older alone.
            self.record(&other, other.time_ms, other.outcome);
        }
        self.seq += 1;
        self.order.insert(self.seq, id.to_owned());
        self.pending
            .insert(id.to_owned(), (self.seq, event.clone().into_owned()));
        if self.pending.len() > MAX_PENDING
            && let Some((_, oldest)) = self.order.pop_first()
            && let Some((_, half)) = self.pending.remove(&oldest)
        {
            self.record(&half, half.time_ms, half.outcome);
        }
    }

    /// Records what one log was read as.
    pub fn add_log(&mut self, path: &str, summary: &ReadSummary) {
        self.logs.push(LogRead {
            path: path.to_owned(),
            format: summary.detected.map(|d| d.format),
            gzip: summary.gzip,
            records: summary.records,
            problems: summary.problems.total,
        });
    }

    fn record(&mut self, e: &Event<'_>, time_ms: Option<i64>, outcome: Outcome) {
        let Some(time) = time_ms else {
            self.untimed += 1;
            return;
        };
        if self.window.from_ms.is_some_and(|from| time < from) {
            self.before += 1;
            return;
        }
        if time > self.window.until_ms {
            self.after += 1;
            return;
        }
        if let Some(address) = &e.source_address {
            let known = self.addresses.len() < MAX_ADDRESSES
                || self.addresses.contains_key(address.as_ref());
            if known {
                *self.addresses.entry(address.to_string()).or_default() += 1;
            }
        }
        let key = (e.resource.to_string(), e.operation.to_string());
        if !self.groups.contains_key(&key) && self.groups.len() >= MAX_GROUPS {
            self.unlisted += 1;
            return;
        }
        let group = self.groups.entry(key).or_insert_with(|| {
            let (secret, reads_secret, lists) = classify(e);
            Group {
                secret,
                reads_secret,
                lists,
                first_ms: time,
                last_ms: time,
                ..Group::default()
            }
        });
        group.accesses += 1;
        group.by_outcome[outcome.index()] += 1;
        group.first_ms = group.first_ms.min(time);
        group.last_ms = group.last_ms.max(time);
        if let Some(address) = &e.source_address
            && group.addresses.len() < MAX_ADDRESSES
        {
            group.addresses.insert(address.to_string());
        }
        if let Some(id) = &e.request_id {
            group.samples.insert((time, id.to_string()));
            if group.samples.len() > MAX_SAMPLES {
                group.samples.pop_last();
            }
        }
    }

    /// Counts the halves still unpaired and returns the result.
    pub fn finish(mut self) -> BlastRadius {
        let pending = std::mem::take(&mut self.pending);
        let mut halves: Vec<(u64, Event<'static>)> = pending.into_values().collect();
        halves.sort_by_key(|(seq, _)| *seq);
        for (_, half) in halves {
            self.record(&half, half.time_ms, half.outcome);
        }
        self.report()
    }

    fn report(self) -> BlastRadius {
        let mut totals = [0u64; 5];
        let (mut first, mut last) = (None::<i64>, None::<i64>);
        let mut rotate_next = BTreeSet::new();
        let mut adjacent: BTreeMap<String, (BTreeSet<String>, bool, u64)> = BTreeMap::new();
        let mut groups = Vec::with_capacity(self.groups.len());
        for ((resource, operation), g) in self.groups {
            for (t, n) in totals.iter_mut().zip(g.by_outcome) {
                *t += n;
            }
            first = Some(first.map_or(g.first_ms, |f| f.min(g.first_ms)));
            last = Some(last.map_or(g.last_ms, |l| l.max(g.last_ms)));
            let successes = g.by_outcome[Outcome::Success.index()];
            let denied = g.by_outcome[Outcome::Denied.index()];
            if let Some(secret) = &g.secret {
                if g.reads_secret && successes > 0 {
                    rotate_next.insert(secret.clone());
                }
                let near = if g.lists {
                    Some(format!("{}/", secret.trim_end_matches('/')))
                } else {
                    parent(secret)
                };
                if let Some(prefix) = near {
                    let entry = adjacent.entry(prefix).or_default();
                    if g.reads_secret && successes > 0 && entry.0.len() < MAX_PER_PREFIX {
                        entry.0.insert(secret.clone());
                    }
                    entry.1 |= g.lists && successes > 0;
                    entry.2 += denied;
                }
            }
            groups.push(AccessGroup {
                secret: g.secret,
                failures: failures(&g.by_outcome),
                accesses: g.accesses,
                successes,
                source_addresses: g.addresses.into_iter().collect(),
                first: format_time(g.first_ms),
                last: format_time(g.last_ms),
                request_ids: g.samples.into_iter().map(|(_, id)| id).collect(),
                resource,
                operation,
            });
        }

        let mut warnings = Vec::new();
        let formats: BTreeSet<Format> = self.logs.iter().filter_map(|l| l.format).collect();
        for format in formats {
            if !self.matcher.covers(format) {
                warnings.push(format!(
                    "{} records were read but no identifier for them was given: their accesses \
                     are not in this blast radius",
                    format.label()
                ));
            }
        }
        if self.raw_log {
            warnings.push(
                "the Vault/OpenBao log is in raw mode (log_raw): tokens and accessors are in \
                 clear, so match the raw values, and treat the log itself as a leaked secret"
                    .to_owned(),
            );
        }
        if self.gcp_records && !self.gcp_secret_reads {
            warnings.push(
                "the GCP logs hold no AccessSecretVersion: Data Access logging is probably off, \
                 so secret reads cannot be ruled out"
                    .to_owned(),
            );
        }
        if self.after > 0 {
            warnings.push(format!(
                "{} accesses after the window: the credential was still used; extend \
                 `exposed_until` to its revocation",
                self.after
            ));
        }
        if self.untimed > 0 {
            warnings.push(format!(
                "{} accesses have no usable time and are not counted",
                self.untimed
            ));
        }
        if self.unlisted > 0 {
            warnings.push(format!(
                "{} accesses beyond the first {MAX_GROUPS} resource/operation groups are \
                 counted in `unlisted_accesses` only",
                self.unlisted
            ));
        }
        let problems: u64 = self.logs.iter().map(|l| l.problems).sum();
        if problems > 0 {
            warnings.push(format!("{problems} unusable log records were skipped"));
        }

        BlastRadius {
            credential: self.matcher.labels(),
            window_from: self.window.from_ms.map(format_time),
            window_until: format_time(self.window.until_ms),
            logs: self.logs,
            accesses: totals.iter().sum::<u64>() + self.unlisted,
            successes: totals[Outcome::Success.index()],
            failures: failures(&totals),
            first: first.map(format_time),
            last: last.map(format_time),
            source_addresses: self.addresses,
            groups,
            unlisted_accesses: self.unlisted,
            rotate_next: rotate_next.into_iter().collect(),
            adjacent: adjacent
                .into_iter()
                .map(|(prefix, (read, listed, denied))| AdjacentPrefix {
                    prefix,
                    read: read.into_iter().collect(),
                    listed,
                    denied,
                })
                .collect(),
            before_window: self.before,
            after_window: self.after,
            untimed: self.untimed,
            warnings,
        }
    }
}

/// Non-zero failure counts by outcome name.
fn failures(by_outcome: &[u64; 5]) -> BTreeMap<String, u64> {
    Outcome::ALL
        .iter()
        .filter(|o| o.is_failure() && by_outcome[o.index()] > 0)
        .map(|o| (outcome_name(*o).to_owned(), by_outcome[o.index()]))
        .collect()
}

fn outcome_name(o: Outcome) -> &'static str {
    match o {
        Outcome::Success => "success",
        Outcome::Denied => "denied",
        Outcome::InvalidToken => "invalid-token",
        Outcome::BadCredentials => "bad-credentials",
        Outcome::Other => "other",
    }
}

/// The prefix holding `secret`, with its trailing `/`; `None` at the top level.
fn parent(secret: &str) -> Option<String> {
    let trimmed = secret.trim_end_matches('/');
    trimmed.rfind('/').map(|at| trimmed[..=at].to_owned())
}

/// The secret an access names, whether it read a secret's value, and whether it
/// listed a prefix.
fn classify(e: &Event<'_>) -> (Option<String>, bool, bool) {
    let resource = e.resource.as_ref();
    let op = e.operation.as_ref();
    match e.format {
        Format::Vault | Format::Generic => {
            if resource.is_empty()
                || ["sys/", "auth/", "identity/"]
                    .iter()
                    .any(|p| resource.starts_with(p))
            {
                return (None, false, false);
            }
            let vault = e.vault.as_ref();
            let kv_mount = vault
                .filter(|v| v.mount_type.as_deref() == Some("kv"))
                .and_then(|v| v.mount_point.as_deref());
            // KV v2: `<mount>data/<key>` holds values; `metadata/`, `delete/`,
            // `undelete/`, `destroy/`, `subkeys/` of the same key are the same secret.
            let kv2 = kv_mount.and_then(|mount| {
                let rest = resource.strip_prefix(mount)?;
                let (kind, key) = rest.split_once('/')?;
                [
                    "data", "metadata", "delete", "undelete", "destroy", "subkeys",
                ]
                .contains(&kind)
                .then(|| (format!("{mount}{key}"), kind == "data"))
            });
            let (secret, holds_values) = kv2.unwrap_or_else(|| (resource.to_owned(), true));
            let lists = op == "list";
            (Some(secret), holds_values && op == "read", lists)
        }
        Format::CloudTrail => {
            let reads = matches!(op, "GetSecretValue" | "BatchGetSecretValue");
            let secret = (!resource.is_empty()).then(|| resource.to_owned());
            (secret, reads, op == "ListSecrets")
        }
        Format::GcpAudit => {
            let secret = resource
                .split_once("/versions/")
                .map_or(resource, |(s, _)| s);
            let secret = (!secret.is_empty()).then(|| secret.to_owned());
            (
                secret,
                op.ends_with("AccessSecretVersion"),
                op.ends_with("ListSecrets"),
            )
        }
        Format::AzureKeyVault => {
            // `https://<vault>/secrets/<name>/<version>` names the secret `…/secrets/<name>`.
            let secret = match resource.find("/secrets/") {
                Some(at) => {
                    let name_start = at + "/secrets/".len();
                    let end = resource[name_start..]
                        .find('/')
                        .map_or(resource.len(), |i| name_start + i);
                    Some(resource[..end].to_owned())
                }
                None => (!resource.is_empty()).then(|| resource.to_owned()),
            };
            let reads = matches!(op, "SecretGet" | "SecretBackup");
            (secret, reads, op == "SecretList")
        }
    }
}

#[cfg(test)]
mod tests;
