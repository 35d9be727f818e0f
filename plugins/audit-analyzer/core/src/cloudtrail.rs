//! AWS CloudTrail events (DOMAIN-FACTS §B.1) to [`Event`]s, whatever container they
//! came in: a bare event, an EventBridge envelope (event under `detail`), or a
//! `lookup-events` item (event as a JSON string in `CloudTrailEvent`).

use std::borrow::Cow;

use serde::Deserialize;

use crate::event::{Credentials, Event, Format, Identity, IdentityKind, Outcome, Phase};
use crate::problem::RecordError;
use crate::text::Text;
use crate::timestamp::parse_rfc3339_ms;

#[derive(Deserialize)]
struct Record<'a> {
    #[serde(borrow, default, rename = "eventTime")]
    event_time: Text<'a>,
    #[serde(borrow, default, rename = "eventSource")]
    event_source: Text<'a>,
    #[serde(borrow, default, rename = "eventName")]
    event_name: Text<'a>,
    #[serde(borrow, default, rename = "sourceIPAddress")]
    source_ip: Text<'a>,
    #[serde(borrow, default, rename = "errorCode")]
    error_code: Text<'a>,
    #[serde(borrow, default, rename = "errorMessage")]
    error_message: Text<'a>,
    #[serde(borrow, default, rename = "requestID")]
    request_id: Text<'a>,
    #[serde(borrow, default, rename = "eventID")]
    event_id: Text<'a>,
    #[serde(borrow, default, rename = "userIdentity")]
    user_identity: Option<UserIdentity<'a>>,
    #[serde(borrow, default, rename = "requestParameters")]
    request_parameters: Option<RequestParameters<'a>>,
    #[serde(borrow, default, rename = "additionalEventData")]
    additional: Option<AdditionalEventData<'a>>,
    /// EventBridge envelope: the CloudTrail event itself.
    #[serde(borrow, default)]
    detail: Option<Box<Record<'a>>>,
    /// `aws cloudtrail lookup-events`: the event as a JSON string.
    #[serde(borrow, default, rename = "CloudTrailEvent")]
    cloudtrail_event: Text<'a>,
}

#[derive(Deserialize)]
struct UserIdentity<'a> {
    #[serde(borrow, default, rename = "type")]
    kind: Text<'a>,
    #[serde(borrow, default)]
    arn: Text<'a>,
    #[serde(borrow, default, rename = "principalId")]
    principal_id: Text<'a>,
    #[serde(borrow, default, rename = "accountId")]
    account_id: Text<'a>,
    #[serde(borrow, default, rename = "userName")]
    user_name: Text<'a>,
    #[serde(borrow, default, rename = "invokedBy")]
    invoked_by: Text<'a>,
    #[serde(borrow, default, rename = "accessKeyId")]
    access_key_id: Text<'a>,
    #[serde(borrow, default, rename = "sessionContext")]
    session_context: Option<SessionContext<'a>>,
}

#[derive(Deserialize)]
struct SessionContext<'a> {
    #[serde(borrow, default, rename = "sessionIssuer")]
    session_issuer: Option<SessionIssuer<'a>>,
}

#[derive(Deserialize)]
struct SessionIssuer<'a> {
    #[serde(borrow, default)]
    arn: Text<'a>,
    #[serde(borrow, default, rename = "userName")]
    user_name: Text<'a>,
}

#[derive(Deserialize)]
struct RequestParameters<'a> {
    #[serde(borrow, default, rename = "secretId")]
    secret_id: Text<'a>,
}

#[derive(Deserialize)]
struct AdditionalEventData<'a> {
    #[serde(borrow, default, rename = "SecretId")]
    secret_id: Text<'a>,
}

/// Parses one record and hands its event to `sink`. The callback shape lets a
/// `lookup-events` item, whose event is a string that must be unescaped first, lend
/// a short-lived event too.
pub(crate) fn parse_with(
    bytes: &[u8],
    line: u64,
    sink: &mut dyn FnMut(Event<'_>),
) -> Result<(), RecordError> {
    let record: Record<'_> = serde_json::from_str(std::str::from_utf8(bytes)?)?;
    if let Some(inner) = record.cloudtrail_event.as_deref() {
        let inner: Record<'_> = serde_json::from_str(inner)?;
        sink(to_event(unwrap_envelope(inner), line)?);
        return Ok(());
    }
    sink(to_event(unwrap_envelope(record), line)?);
    Ok(())
}

fn unwrap_envelope(record: Record<'_>) -> Record<'_> {
    match record.detail {
        Some(detail) if record.event_name.as_deref().is_none() => *detail,
        _ => record,
    }
}

fn to_event(record: Record<'_>, line: u64) -> Result<Event<'_>, RecordError> {
    let Some(event_name) = record.event_name.non_empty() else {
        return Err(RecordError::Shape(
            "not a CloudTrail event (no `eventName`)",
        ));
    };
    let (identity, display_name, access_key_id) = match record.user_identity {
        Some(mut user) => {
            let key = std::mem::take(&mut user.access_key_id).non_empty();
            let (identity, display_name) = identity_of(user);
            (identity, display_name, key)
        }
        None => (Identity::anonymous(), None, None),
    };
    let error_code = record.error_code.non_empty();
    let outcome = match (&error_code, record.error_message.as_deref()) {
        (Some(code), _) if code.starts_with("AccessDenied") => Outcome::Denied,
        (Some(_), _) => Outcome::Other,
        // `RotationFailed` carries a message and no code.
        (None, Some(message)) if !message.is_empty() => Outcome::Other,
        (None, _) => Outcome::Success,
    };
    let resource = record
        .request_parameters
        .and_then(|p| p.secret_id.non_empty())
        .or_else(|| record.additional.and_then(|a| a.secret_id.non_empty()))
        .unwrap_or(Cow::Borrowed(""));
    Ok(Event {
        format: Format::CloudTrail,
        phase: Phase::Single,
        line,
        time_ms: record.event_time.as_deref().and_then(parse_rfc3339_ms),
        identity,
        credentials: Credentials {
            access_key_id,
            ..Credentials::default()
        },
        display_name,
        operation: event_name,
        resource,
        source_address: record.source_ip.non_empty(),
        outcome,
        error: error_code.or(record.error_message.non_empty()),
        request_id: record
            .request_id
            .non_empty()
            .or(record.event_id.non_empty()),
        service: record.event_source.non_empty(),
        log_name: None,
        vault: None,
    })
}

/// Identity key: the session issuer's ARN plus the session name for assumed roles,
/// else the ARN, else the principal id, the calling service, or the account.
fn identity_of(user: UserIdentity<'_>) -> (Identity<'_>, Option<Cow<'_, str>>) {
    let issuer = user.session_context.and_then(|c| c.session_issuer);
    let display = user
        .user_name
        .clone()
        .non_empty()
        .or_else(|| {
            issuer
                .as_ref()
                .and_then(|i| i.user_name.clone().non_empty())
        })
        .or_else(|| user.invoked_by.clone().non_empty());
    let principal = |id| Identity {
        kind: IdentityKind::Principal,
        id,
    };
    let arn = user.arn.non_empty();
    if user.kind.as_deref() == Some("AssumedRole")
        && let (Some(issuer_arn), Some(arn)) = (issuer.and_then(|i| i.arn.non_empty()), &arn)
    {
        let session = arn.rsplit('/').next().unwrap_or_default();
        return (
            principal(Cow::Owned(format!("{issuer_arn}/{session}"))),
            display,
        );
    }
    let id = arn
        .or(user.principal_id.non_empty())
        .or(user.invoked_by.non_empty())
        .or(user.account_id.non_empty());
    match id {
        Some(id) => (principal(id), display),
        None => (Identity::anonymous(), display),
    }
}
