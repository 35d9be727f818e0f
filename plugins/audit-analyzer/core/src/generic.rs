//! The flat JSON form the old Python analyzer read (REFERENCE-TOOLS §3: timestamp,
//! identity from `auth.display_name` or `auth.entity_id`, path, operation, status
//! code, remote address), so its users' existing inputs still work. Fields are taken
//! from the top level or from the Vault-like `request` / `response` objects.

use std::borrow::Cow;

use serde::Deserialize;

use crate::event::{Credentials, Event, Format, Identity, IdentityKind, Outcome, Phase};
use crate::problem::RecordError;
use crate::text::{LooseNumber, Text};
use crate::timestamp::read_time;

#[derive(Deserialize)]
struct Record<'a> {
    #[serde(borrow, default, alias = "time")]
    timestamp: Text<'a>,
    #[serde(borrow, default)]
    auth: Option<Auth<'a>>,
    #[serde(borrow, default)]
    path: Text<'a>,
    #[serde(borrow, default)]
    operation: Text<'a>,
    #[serde(default)]
    status_code: LooseNumber,
    #[serde(borrow, default)]
    remote_address: Text<'a>,
    #[serde(borrow, default)]
    request: Option<Request<'a>>,
    #[serde(default)]
    response: Option<Response>,
    #[serde(borrow, default)]
    error: Text<'a>,
}

#[derive(Deserialize)]
struct Auth<'a> {
    #[serde(borrow, default)]
    display_name: Text<'a>,
    #[serde(borrow, default)]
    entity_id: Text<'a>,
}

#[derive(Deserialize, Default)]
struct Request<'a> {
    #[serde(borrow, default)]
    path: Text<'a>,
    #[serde(borrow, default)]
    operation: Text<'a>,
    #[serde(borrow, default)]
    remote_address: Text<'a>,
    #[serde(borrow, default)]
    id: Text<'a>,
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
        Some(a) => (a.entity_id.non_empty(), a.display_name.non_empty()),
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
    let request = record.request.unwrap_or_default();
    let status = record
        .status_code
        .0
        .or(record.response.and_then(|r| r.status_code.0))
        .map(|s| s as i64);
    let error = record.error.non_empty();
    let outcome = match status {
        Some(401) => Outcome::InvalidToken,
        Some(403) => Outcome::Denied,
        Some(s) if s >= 400 => Outcome::Other,
        _ => error
            .as_deref()
            .map_or(Outcome::Success, crate::vault::classify_error),
    };
    let (time_ms, bad_time) = read_time(record.timestamp.as_deref());
    Ok(Event {
        format: Format::Generic,
        phase: Phase::Single,
        line,
        time_ms,
        identity,
        credentials: Credentials::default(),
        display_name: display,
        operation: record
            .operation
            .non_empty()
            .or(request.operation.non_empty())
            .unwrap_or(Cow::Borrowed("")),
        resource: record
            .path
            .non_empty()
            .or(request.path.non_empty())
            .unwrap_or(Cow::Borrowed("")),
        source_address: record
            .remote_address
            .non_empty()
            .or(request.remote_address.non_empty()),
        outcome,
        error: error.or_else(|| {
            status
                .filter(|s| *s >= 400)
                .map(|s| Cow::Owned(format!("status {s}")))
        }),
        request_id: request.id.non_empty(),
        service: None,
        log_name: None,
        vault: None,
        more_resources: Vec::new(),
        on_behalf_of: None,
        signals: Vec::new(),
        bad_time,
        login: None,
        alias: None,
    })
}
