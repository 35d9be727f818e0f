//! GCP Cloud Audit Logs (DOMAIN-FACTS §B.2): a `LogEntry` whose `protoPayload` is an
//! `AuditLog`, to [`Event`]s. Every field is optional in real samples.

use std::borrow::Cow;

use serde::Deserialize;

use crate::event::{Event, Format, Identity, IdentityKind, Outcome, Phase};
use crate::problem::RecordError;
use crate::text::non_empty;
use crate::timestamp::parse_rfc3339_ms;

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
        operation: payload.method_name.unwrap_or(Cow::Borrowed("")),
        resource: payload.resource_name.unwrap_or(Cow::Borrowed("")),
        source_address: non_empty(caller_ip),
        outcome,
        error,
        request_id: non_empty(entry.insert_id),
        service: non_empty(payload.service_name),
        vault: None,
    })
}
