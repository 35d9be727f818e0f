//! GCP Cloud Audit Logs (DOMAIN-FACTS §B.2): a `LogEntry` whose `protoPayload` is an
//! `AuditLog`, to [`Event`]s. Every field is optional in real samples.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

use crate::event::{
    Credentials, Event, Format, Identity, IdentityClass, IdentityKind, Login, Outcome, Phase,
};
use crate::problem::RecordError;
use crate::signals::Signal;
use crate::text::{Strings, Text};
use crate::timestamp::{parse_rfc3339_ms, read_time};

/// The Cloud Audit Logs a GCP entry can be in (the end of its `logName`). Which one
/// matters: Admin Activity is always on, Data Access is off by default, and a secret
/// read (`AccessSecretVersion`, DATA_READ) is logged only in Data Access.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AuditLogKind {
    /// `cloudaudit.googleapis.com%2Factivity`: ADMIN_WRITE calls, always logged.
    Activity,
    /// `cloudaudit.googleapis.com%2Fdata_access`: DATA_READ, DATA_WRITE, ADMIN_READ
    /// calls, logged only when the project's audit config enables them.
    DataAccess,
    /// `cloudaudit.googleapis.com%2Fsystem_event`: Google-initiated changes.
    SystemEvent,
    /// `cloudaudit.googleapis.com%2Fpolicy`: calls refused by a security policy.
    Policy,
}

impl AuditLogKind {
    /// Every log, in the order used for per-log counters.
    pub const ALL: [AuditLogKind; 4] = [
        AuditLogKind::Activity,
        AuditLogKind::DataAccess,
        AuditLogKind::SystemEvent,
        AuditLogKind::Policy,
    ];

    /// Position in [`AuditLogKind::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }

    fn suffix(self) -> &'static str {
        match self {
            AuditLogKind::Activity => "activity",
            AuditLogKind::DataAccess => "data_access",
            AuditLogKind::SystemEvent => "system_event",
            AuditLogKind::Policy => "policy",
        }
    }
}

/// Splits a `logName` (`projects/p/logs/cloudaudit.googleapis.com%2Fdata_access`)
/// into the scope whose audit config governs it (`projects/p`, also `folders/…`,
/// `organizations/…`, `billingAccounts/…`) and the audit log. The `/` may be
/// URL-encoded or not (exports differ). `None` for any other log.
pub(crate) fn audit_log(log_name: &str) -> Option<(&str, AuditLogKind)> {
    let (scope, log) = log_name.split_once("/logs/")?;
    let kind = log
        .strip_prefix("cloudaudit.googleapis.com")?
        .strip_prefix("%2F")
        .or_else(|| log.strip_prefix("cloudaudit.googleapis.com/"))?;
    let kind = AuditLogKind::ALL.into_iter().find(|k| k.suffix() == kind)?;
    Some((scope, kind))
}

#[derive(Deserialize)]
struct LogEntry<'a> {
    #[serde(borrow, default)]
    timestamp: Text<'a>,
    #[serde(borrow, default, rename = "receiveTimestamp")]
    receive_timestamp: Text<'a>,
    #[serde(borrow, default, rename = "insertId")]
    insert_id: Text<'a>,
    #[serde(borrow, default, rename = "logName")]
    log_name: Text<'a>,
    #[serde(borrow, default, rename = "protoPayload")]
    payload: Option<AuditLog<'a>>,
}

#[derive(Deserialize)]
struct AuditLog<'a> {
    #[serde(borrow, default, rename = "serviceName")]
    service_name: Text<'a>,
    #[serde(borrow, default, rename = "methodName")]
    method_name: Text<'a>,
    #[serde(borrow, default, rename = "resourceName")]
    resource_name: Text<'a>,
    #[serde(borrow, default, rename = "authenticationInfo")]
    authentication: Option<AuthenticationInfo<'a>>,
    #[serde(borrow, default, rename = "requestMetadata")]
    request_metadata: Option<RequestMetadata<'a>>,
    #[serde(borrow, default)]
    status: Option<Status<'a>>,
    /// `SetIamPolicy`'s change (`google.iam.v1.logging.AuditData`).
    #[serde(borrow, default, rename = "serviceData")]
    service_data: Option<ServiceData<'a>>,
}

#[derive(Deserialize)]
struct ServiceData<'a> {
    #[serde(borrow, default, rename = "policyDelta")]
    policy_delta: Option<PolicyDelta<'a>>,
}

#[derive(Deserialize)]
struct PolicyDelta<'a> {
    #[serde(borrow, default, rename = "bindingDeltas")]
    binding_deltas: Vec<BindingDelta<'a>>,
}

#[derive(Deserialize)]
struct BindingDelta<'a> {
    #[serde(borrow, default)]
    action: Strings<'a>,
    #[serde(borrow, default)]
    role: Strings<'a>,
}

#[derive(Deserialize)]
struct AuthenticationInfo<'a> {
    #[serde(borrow, default, rename = "principalEmail")]
    principal_email: Text<'a>,
    #[serde(borrow, default, rename = "principalSubject")]
    principal_subject: Text<'a>,
}

#[derive(Deserialize)]
struct RequestMetadata<'a> {
    #[serde(borrow, default, rename = "callerIp")]
    caller_ip: Text<'a>,
    #[serde(borrow, default, rename = "requestAttributes")]
    request_attributes: Option<RequestAttributes<'a>>,
}

#[derive(Deserialize)]
struct RequestAttributes<'a> {
    #[serde(borrow, default)]
    time: Text<'a>,
}

#[derive(Deserialize)]
struct Status<'a> {
    #[serde(default)]
    code: Option<i64>,
    #[serde(borrow, default)]
    message: Text<'a>,
}

/// Parses one `LogEntry`.
pub(crate) fn parse(bytes: &[u8], line: u64) -> Result<Event<'_>, RecordError> {
    let entry: LogEntry<'_> = serde_json::from_str(std::str::from_utf8(bytes)?)?;
    let payload = entry.payload.ok_or(RecordError::Shape(
        "not a Cloud Audit Logs entry (no `protoPayload`)",
    ))?;
    let (caller_ip, request_time) = match payload.request_metadata {
        Some(m) => (
            m.caller_ip,
            m.request_attributes.map(|a| a.time).unwrap_or_default(),
        ),
        None => (Text::default(), Text::default()),
    };
    let times = [entry.timestamp, request_time, entry.receive_timestamp];
    let time_ms = times
        .iter()
        .find_map(|t| t.as_deref().and_then(parse_rfc3339_ms));
    // Bad only when no time at all could be read from a text that was there.
    let bad_time = time_ms.is_none() && times.iter().any(|t| read_time(t.as_deref()).1);
    let method = payload.method_name.or_empty();
    let signals = iam_change(&method, payload.service_data);
    let principal = payload.authentication.and_then(|a| {
        a.principal_email
            .non_empty()
            .or(a.principal_subject.non_empty())
    });
    let login = principal.as_deref().and_then(login_of);
    let identity = principal.map_or_else(Identity::anonymous, |id| Identity {
        kind: IdentityKind::Principal,
        id,
    });
    // google.rpc.Code: 0 or absent = OK, 7 PERMISSION_DENIED, 16 UNAUTHENTICATED.
    let (outcome, error) = match payload.status {
        Some(Status {
            code: Some(code),
            message,
        }) if code != 0 => (
            match code {
                7 => Outcome::Denied,
                16 => Outcome::InvalidToken,
                _ => Outcome::Other,
            },
            message
                .non_empty()
                .or(Some(Cow::Owned(format!("status code {code}")))),
        ),
        _ => (Outcome::Success, None),
    };
    Ok(Event {
        format: Format::GcpAudit,
        phase: Phase::Single,
        line,
        time_ms,
        display_name: None,
        identity,
        credentials: Credentials::default(),
        operation: method,
        resource: payload.resource_name.or_empty(),
        source_address: caller_ip.non_empty(),
        outcome,
        error,
        request_id: entry.insert_id.non_empty(),
        service: payload.service_name.non_empty(),
        log_name: entry.log_name.non_empty(),
        vault: None,
        more_resources: Vec::new(),
        on_behalf_of: None,
        signals,
        bad_time,
        login,
        alias: None,
    })
}

/// Person or machine, by the form of `principalEmail` (or `principalSubject`):
/// service accounts and service agents end in `gserviceaccount.com` (peers: the
/// other accounts of the same project domain); workload identity federation
/// subjects name a `workloadIdentityPools` pool, workforce federation ones a
/// `workforcePools` pool (people); any other address is a Google or Workspace user
/// (peers: the users of the same domain).
fn login_of(principal: &str) -> Option<Login<'static>> {
    let owned = |class, method: &'static str, mount: &str| Login {
        class,
        method: Cow::Borrowed(method),
        mount: Some(Cow::Owned(format!("gcp:{mount}"))),
    };
    if let Some(pool) = principal.strip_prefix("principal://") {
        let pool = pool.split("/subject/").next().unwrap_or(pool);
        return if pool.contains("/workforcePools/") {
            Some(owned(IdentityClass::Human, "gcp-workforce-user", pool))
        } else if pool.contains("/workloadIdentityPools/") {
            Some(owned(IdentityClass::Machine, "gcp-workload-identity", pool))
        } else {
            None
        };
    }
    let (_, domain) = principal.rsplit_once('@')?;
    Some(if domain.ends_with("gserviceaccount.com") {
        owned(IdentityClass::Machine, "gcp-service-account", domain)
    } else {
        owned(IdentityClass::Human, "gcp-user", domain)
    })
}

/// Roles whose grant reaches secrets or mints credentials: Secret Manager's own,
/// token creation (impersonating any service account), and the basic roles that
/// include both.
fn is_sensitive_role(role: &str) -> bool {
    role.starts_with("roles/secretmanager.")
        || matches!(
            role,
            "roles/iam.serviceAccountTokenCreator"
                | "roles/iam.serviceAccountKeyAdmin"
                | "roles/iam.workloadIdentityUser"
                | "roles/owner"
                | "roles/editor"
        )
}

/// A `SetIamPolicy` (on a project, folder, organization, secret, service account…)
/// is a policy change; one that adds a sensitive role is a sensitive grant.
fn iam_change(method: &str, data: Option<ServiceData<'_>>) -> Vec<Signal> {
    if !method.ends_with("SetIamPolicy") {
        return Vec::new();
    }
    let sensitive = data.and_then(|d| d.policy_delta).is_some_and(|delta| {
        delta.binding_deltas.into_iter().any(|b| {
            b.action.first().as_deref() == Some("ADD")
                && b.role.first().is_some_and(|r| is_sensitive_role(&r))
        })
    });
    vec![if sensitive {
        Signal::SensitiveRoleGrant
    } else {
        Signal::IamPolicyChange
    }]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_names_give_scope_and_audit_log() {
        assert_eq!(
            audit_log("projects/p-1/logs/cloudaudit.googleapis.com%2Fdata_access"),
            Some(("projects/p-1", AuditLogKind::DataAccess))
        );
        assert_eq!(
            audit_log("organizations/123/logs/cloudaudit.googleapis.com/activity"),
            Some(("organizations/123", AuditLogKind::Activity))
        );
        assert_eq!(
            audit_log("folders/9/logs/cloudaudit.googleapis.com%2Fsystem_event"),
            Some(("folders/9", AuditLogKind::SystemEvent))
        );
        for other in [
            "projects/p/logs/cloudaudit.googleapis.com%2Faccess_transparency",
            "projects/p/logs/stdout",
            "cloudaudit.googleapis.com%2Factivity",
        ] {
            assert_eq!(audit_log(other), None, "{other}");
        }
    }
}
