//! The flat JSON form the old Python analyzer read (REFERENCE-TOOLS §3: timestamp,
//! identity from `auth.display_name` or `auth.entity_id`, path, operation, status
//! code, remote address), so its users' existing inputs still work. Fields are taken
//! from the top level or from the Vault-like `request` / `response` objects.

use std::borrow::Cow;

use serde::Deserialize;

use crate::event::{Credentials, Event, Format, Identity, IdentityKind, Outcome, Phase};
use crate::problem::RecordError;
use crate::text::{LooseNumber, non_empty};
use crate::timestamp::parse_rfc3339_ms;

#[derive(Deserialize)]
struct Record<'a> {
    #[serde(
        borrow,
        default,
        deserialize_with = "crate::text::opt_cow",
        alias = "time"
    )]
    timestamp: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    auth: Option<Auth<'a>>,
    #[serde(borrow, default, deserialize_with = "crate::text::opt_cow")]
    path: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "crate::text::opt_cow")]
    operation: Option<Cow<'a, str>>,
    #[serde(default)]
    status_code: LooseNumber,
    #[serde(borrow, default, deserialize_with = "crate::text::opt_cow")]
    remote_address: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    request: Option<Request<'a>>,
    #[serde(default)]
    response: Option<Response>,
    #[serde(borrow, default, deserialize_with = "crate::text::opt_cow")]
    error: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct Auth<'a> {
    #[serde(borrow, default, deserialize_with = "crate::text::opt_cow")]
    display_name: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "crate::text::opt_cow")]
    entity_id: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct Request<'a> {
    #[serde(borrow, default, deserialize_with = "crate::text::opt_cow")]
    path: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "crate::text::opt_cow")]
    operation: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "crate::text::opt_cow")]
    remote_address: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "crate::text::opt_cow")]
    id: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct Response {
    #[serde(default)]
    status_code: LooseNumber,
}

/// Parses one record.
pub(crate) fn parse(bytes: &[u8], line: u64) -> Result<Event<'_>, RecordError> {
    let record: Record<'_> = serde_json::from_str(std::str::from_utf8(bytes)?)?;
    let (entity, display) = match record.auth {
        Some(a) => (non_empty(a.entity_id), non_empty(a.display_name)),
        None => (None, None),
    };
    let identity = match (&entity, &display) {
        (Some(id), _) => Identity {
            kind: IdentityKind::Entity,
            id: id.clone(),
        },
        (None, Some(name)) => Identity {
            kind: IdentityKind::DisplayName,
            id: name.clone(),
        },
        (None, None) => Identity::anonymous(),
    };
    let (req_path, req_op, req_addr, req_id) = match record.request {
        Some(r) => (r.path, r.operation, r.remote_address, r.id),
        None => (None, None, None, None),
    };
    let status = record
        .status_code
        .0
        .or(record.response.and_then(|r| r.status_code.0))
        .map(|s| s as i64);
    let error = non_empty(record.error);
    let outcome = match status {
        Some(401) => Outcome::InvalidToken,
        Some(403) => Outcome::Denied,
        Some(s) if s >= 400 => Outcome::Other,
        _ => error
            .as_deref()
            .map_or(Outcome::Success, crate::vault::classify_error),
    };
    Ok(Event {
        format: Format::Generic,
        phase: Phase::Single,
        line,
        time_ms: record.timestamp.as_deref().and_then(parse_rfc3339_ms),
        identity,
        credentials: Credentials::default(),
        display_name: display,
        operation: non_empty(record.operation)
            .or(non_empty(req_op))
            .unwrap_or(Cow::Borrowed("")),
        resource: non_empty(record.path)
            .or(non_empty(req_path))
            .unwrap_or(Cow::Borrowed("")),
        source_address: non_empty(record.remote_address).or(non_empty(req_addr)),
        outcome,
        error: error.or_else(|| {
            status
                .filter(|s| *s >= 400)
                .map(|s| Cow::Owned(format!("status {s}")))
        }),
        request_id: non_empty(req_id),
        service: None,
        log_name: None,
        vault: None,
    })
}
