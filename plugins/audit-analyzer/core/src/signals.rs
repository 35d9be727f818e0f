//! Rare, security-relevant events recognised while counting, so detectors can report
//! them with identities, times and request ids without a second pass: Vault's
//! (DOMAIN-FACTS §A.9), derived here from the path, and the cloud formats' root use
//! and control-plane changes, which their parsers recognise. Everything here is a sum
//! or a min/max, hence mergeable.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::event::{Event, Outcome};
pub use crate::signal::Signal;

/// `response.auth.token_ttl` at or above which a created token counts as long-lived:
/// 768h, Vault's and OpenBao's default `max_lease_ttl` (a token that got no explicit
/// TTL at all).
pub const LONG_TTL_SECONDS: i64 = 768 * 3600;

/// Where and when a signal was seen.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignalStats {
    /// Accesses showing the signal.
    pub count: u64,
    /// Earliest (ms).
    pub first_ms: Option<i64>,
    /// Latest (ms).
    pub last_ms: Option<i64>,
    /// The same, per identity key, so each identity's anomaly carries its own evidence.
    pub identities: BTreeMap<String, SignalByIdentity>,
    /// Largest token TTL seen (token signals only), seconds.
    pub max_ttl_seconds: Option<i64>,
    /// Earliest request ids.
    pub samples: crate::samples::Samples,
}

impl SignalStats {
    pub(crate) fn merge(&mut self, other: SignalStats) {
        self.count += other.count;
        self.first_ms = crate::samples::min_opt(self.first_ms, other.first_ms);
        self.last_ms = crate::samples::max_opt(self.last_ms, other.last_ms);
        for (id, stats) in other.identities {
            self.identities.entry(id).or_default().merge(stats);
        }
        self.max_ttl_seconds = self.max_ttl_seconds.max(other.max_ttl_seconds);
        self.samples.merge(other.samples);
    }
}

/// One identity's share of a signal.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignalByIdentity {
    /// Accesses showing the signal.
    pub count: u64,
    /// Earliest (ms).
    pub first_ms: Option<i64>,
    /// Latest (ms).
    pub last_ms: Option<i64>,
    /// Largest token TTL seen (token signals only), seconds.
    pub max_ttl_seconds: Option<i64>,
    /// Earliest request ids.
    pub samples: crate::samples::Samples,
    /// The files the accesses were in.
    #[serde(default)]
    pub files: crate::files::Files,
}

impl SignalByIdentity {
    pub(crate) fn add(
        &mut self,
        time_ms: Option<i64>,
        ttl: Option<i64>,
        request_id: Option<&str>,
        source: Option<u32>,
    ) {
        self.count += 1;
        self.files.add(source);
        self.first_ms = crate::samples::min_opt(self.first_ms, time_ms);
        self.last_ms = crate::samples::max_opt(self.last_ms, time_ms);
        self.max_ttl_seconds = self.max_ttl_seconds.max(ttl);
        self.samples.offer(time_ms, request_id);
    }

    pub(crate) fn merge(&mut self, other: SignalByIdentity) {
        self.count += other.count;
        self.first_ms = crate::samples::min_opt(self.first_ms, other.first_ms);
        self.last_ms = crate::samples::max_opt(self.last_ms, other.last_ms);
        self.max_ttl_seconds = self.max_ttl_seconds.max(other.max_ttl_seconds);
        self.samples.merge(other.samples);
        self.files.merge(other.files);
    }
}

/// The signals an access shows; `outcome` is the access's (paired) outcome.
pub(crate) fn signals_of(event: &Event<'_>, outcome: Outcome, out: &mut Vec<Signal>) {
    out.extend_from_slice(&event.signals);
    let Some(vault) = &event.vault else { return };
    let path = event.resource.as_ref();
    let op = event.operation.as_ref();
    let writes = matches!(op, "create" | "update" | "patch" | "delete");
    if vault.root_token {
        out.push(Signal::RootTokenUse);
    }
    if vault.raw_token {
        out.push(Signal::RawMode);
    }
    if path.starts_with("sys/generate-root") {
        out.push(Signal::GenerateRoot);
    }
    if let Some(rest) = path.strip_prefix("sys/audit/")
        && !rest.is_empty()
        && rest != "test"
    {
        if op == "delete" {
            out.push(Signal::AuditDisable);
        } else if writes {
            out.push(Signal::AuditChange);
        }
    }
    if writes && (path.starts_with("sys/policy/") || path.starts_with("sys/policies/acl/")) {
        out.push(Signal::PolicyChange);
    }
    if writes && path.starts_with("sys/auth/") {
        out.push(Signal::AuthChange);
    }
    if writes && path.starts_with("sys/mounts/") {
        out.push(Signal::MountChange);
    }
    if writes && is_role_path(path) {
        out.push(Signal::RoleChange);
    }
    if path == "sys/seal" || path == "sys/step-down" {
        out.push(Signal::Seal);
    }
    if path.starts_with("sys/leases/revoke-prefix/") || path.starts_with("sys/leases/revoke-force/")
    {
        out.push(Signal::LeaseMassRevocation);
    }
    if let Some(token) = &vault.new_token {
        if token.ttl_seconds.is_some_and(|t| t >= LONG_TTL_SECONDS) {
            out.push(Signal::LongTtlToken);
        }
        if token.root {
            out.push(Signal::RootTokenCreated);
        }
        if vault.orphan {
            out.push(Signal::OrphanToken);
        }
    }
    if outcome == Outcome::BadCredentials {
        out.push(Signal::LoginFailure);
    }
}

/// `auth/token/roles/<r>` or `auth/<mount>/role/<r>` (AppRole, Kubernetes, JWT/OIDC,
/// AWS, …), but not what lives under a role (`…/role/<r>/secret-id` is a login
/// credential being issued, `…/role-id` a read of one).
fn is_role_path(path: &str) -> bool {
    let mut parts = path.split('/');
    let (Some("auth"), Some(_mount), Some(kind), Some(name), None) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return false;
    };
    !name.is_empty() && (kind == "role" || (kind == "roles" && path.starts_with("auth/token/")))
}

#[cfg(test)]
mod tests {
    use super::is_role_path;

    #[test]
    fn role_paths_are_the_role_itself() {
        for yes in [
            "auth/token/roles/ci-role",
            "auth/approle/role/ci",
            "auth/kubernetes/role/app",
            "auth/jwt-gh/role/deploy",
        ] {
            assert!(is_role_path(yes), "{yes}");
        }
        for no in [
            "auth/approle/role/ci/secret-id",
            "auth/approle/role/ci/role-id",
            "auth/approle/role/",
            "auth/userpass/users/alice",
            "auth/approle/roles/x",
            "sys/auth/approle",
        ] {
            assert!(!is_role_path(no), "{no}");
        }
    }
}
