//! GCP Cloud Audit Logs (DOMAIN-FACTS §B.2): a `LogEntry` whose `protoPayload` is an
//! `AuditLog`, to [`Event`]s. Every field is optional in real samples.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

use crate::event::{Credentials, Event, Format, Identity, IdentityKind, Outcome, Phase};
use crate::problem::RecordError;
use crate::text::non_empty;
use crate::timestamp::parse_rfc3339_ms;

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
    #[serde(borrow, default, deserialize_with = "crate::text::opt_cow")]
    timestamp: Option<Cow<'a, str>>,
    #[serde(
        borrow,
        default,
        deserialize_with = "crate::text::opt_cow",
        rename = "receiveTimestamp"
    )]
    receive_timestamp: Option<Cow<'a, str>>,
    #[serde(
        borrow,
        default,
        deserialize_with = "crate::text::opt_cow",
        rename = "insertId"
    )]
    insert_id: Option<Cow<'a, str>>,
    #[serde(
        borrow,
        default,
        deserialize_with = "crate::text::opt_cow",
        rename = "logName"
    )]
    log_name: Option<Cow<'a, str>>,
    #[serde(borrow, default, rename = "protoPayload")]
    payload: Option<AuditLog<'a>>,
}

#[derive(Deserialize)]
struct AuditLog<'a> {
    #[serde(
        borrow,
        default,
        deserialize_with = "crate::text::opt_cow",
        rename = "serviceName"
    )]
    service_name: Option<Cow<'a, str>>,
    #[serde(
        borrow,
        default,
        deserialize_with = "crate::text::opt_cow",
        rename = "methodName"
    )]
    method_name: Option<Cow<'a, str>>,
    #[serde(
        borrow,
        default,
        deserialize_with = "crate::text::opt_cow",
        rename = "resourceName"
    )]
    resource_name: Option<Cow<'a, str>>,
    #[serde(borrow, default, rename = "authenticationInfo")]
    authentication: Option<AuthenticationInfo<'a>>,
    #[serde(borrow, default, rename = "requestMetadata")]
    request_metadata: Option<RequestMetadata<'a>>,
    #[serde(borrow, default)]
    status: Option<Status<'a>>,
}

#[derive(Deserialize)]
struct AuthenticationInfo<'a> {
    #[serde(
        borrow,
        default,
        deserialize_with = "crate::text::opt_cow",
        rename = "principalEmail"
    )]
    principal_email: Option<Cow<'a, str>>,
    #[serde(
        borrow,
        default,
        deserialize_with = "crate::text::opt_cow",
        rename = "principalSubject"
    )]
    principal_subject: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct RequestMetadata<'a> {
    #[serde(
        borrow,
        default,
        deserialize_with = "crate::text::opt_cow",
        rename = "callerIp"
    )]
    caller_ip: Option<Cow<'a, str>>,
    #[serde(borrow, default, rename = "requestAttributes")]
    request_attributes: Option<RequestAttributes<'a>>,
}

#[derive(Deserialize)]
struct RequestAttributes<'a> {
    #[serde(borrow, default, deserialize_with = "crate::text::opt_cow")]
    time: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct Status<'a> {
    #[serde(default)]
    code: Option<i64>,
    #[serde(borrow, default, deserialize_with = "crate::text::opt_cow")]
    message: Option<Cow<'a, str>>,
}

/// Parses one `LogEntry`.
pub(crate) fn parse(bytes: &[u8], line: u64) -> Result<Event<'_>, RecordError> {
    let entry: LogEntry<'_> = serde_json::from_str(std::str::from_utf8(bytes)?)?;
    let payload = entry.payload.ok_or(RecordError::Shape(
        "not a Cloud Audit Logs entry (no `protoPayload`)",
    ))?;
    let (caller_ip, request_time) = match payload.request_metadata {
        Some(m) => (m.caller_ip, m.request_attributes.and_then(|a| a.time)),
        None => (None, None),
    };
    let time_ms = [entry.timestamp, request_time, entry.receive_timestamp]
        .into_iter()
        .flatten()
        .find_map(|t| parse_rfc3339_ms(&t));
    let identity = payload
        .authentication
        .and_then(|a| non_empty(a.principal_email).or(non_empty(a.principal_subject)))
        .map_or_else(Identity::anonymous, |id| Identity {
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
            non_empty(message).or(Some(Cow::Owned(format!("status code {code}")))),
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
        operation: payload.method_name.unwrap_or(Cow::Borrowed("")),
        resource: payload.resource_name.unwrap_or(Cow::Borrowed("")),
        source_address: non_empty(caller_ip),
        outcome,
        error,
        request_id: non_empty(entry.insert_id),
        service: non_empty(payload.service_name),
        log_name: non_empty(entry.log_name),
        vault: None,
    })
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
