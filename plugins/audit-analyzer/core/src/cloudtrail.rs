//! AWS CloudTrail events (DOMAIN-FACTS §B.1) to [`Event`]s, whatever container they
//! came in: a bare event, an EventBridge envelope (event under `detail`), or a
//! `lookup-events` item (event as a JSON string in `CloudTrailEvent`).

use std::borrow::Cow;

use serde::Deserialize;

use crate::event::{Credentials, Event, Format, Identity, IdentityKind, Outcome, Phase};
use crate::problem::RecordError;
use crate::text::non_empty;
use crate::timestamp::parse_rfc3339_ms;

#[derive(Deserialize)]
struct Record<'a> {
    #[serde(
        borrow,
        default,
        deserialize_with = "crate::text::opt_cow",
        rename = "eventTime"
    )]
    event_time: Option<Cow<'a, str>>,
    #[serde(
        borrow,
        default,
        deserialize_with = "crate::text::opt_cow",
        rename = "eventSource"
    )]
    event_source: Option<Cow<'a, str>>,
    #[serde(
        borrow,
        default,
        deserialize_with = "crate::text::opt_cow",
        rename = "eventName"
    )]
    event_name: Option<Cow<'a, str>>,
    #[serde(
        borrow,
        default,
        deserialize_with = "crate::text::opt_cow",
        rename = "sourceIPAddress"
    )]
    source_ip: Option<Cow<'a, str>>,
    #[serde(
        borrow,
        default,
        deserialize_with = "crate::text::opt_cow",
        rename = "errorCode"
    )]
    error_code: Option<Cow<'a, str>>,
    #[serde(
        borrow,
        default,
        deserialize_with = "crate::text::opt_cow",
        rename = "errorMessage"
    )]
    error_message: Option<Cow<'a, str>>,
    #[serde(
        borrow,
        default,
        deserialize_with = "crate::text::opt_cow",
        rename = "requestID"
    )]
    request_id: Option<Cow<'a, str>>,
    #[serde(
        borrow,
        default,
        deserialize_with = "crate::text::opt_cow",
        rename = "eventID"
    )]
    event_id: Option<Cow<'a, str>>,
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
    #[serde(
        borrow,
        default,
        deserialize_with = "crate::text::opt_cow",
        rename = "CloudTrailEvent"
    )]
    cloudtrail_event: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct UserIdentity<'a> {
    #[serde(
        borrow,
        default,
        deserialize_with = "crate::text::opt_cow",
        rename = "type"
    )]
    kind: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "crate::text::opt_cow")]
    arn: Option<Cow<'a, str>>,
    #[serde(
        borrow,
        default,
        deserialize_with = "crate::text::opt_cow",
        rename = "principalId"
    )]
    principal_id: Option<Cow<'a, str>>,
    #[serde(
        borrow,
        default,
        deserialize_with = "crate::text::opt_cow",
        rename = "accountId"
    )]
    account_id: Option<Cow<'a, str>>,
    #[serde(
        borrow,
        default,
        deserialize_with = "crate::text::opt_cow",
        rename = "userName"
    )]
    user_name: Option<Cow<'a, str>>,
    #[serde(
        borrow,
        default,
        deserialize_with = "crate::text::opt_cow",
        rename = "invokedBy"
    )]
    invoked_by: Option<Cow<'a, str>>,
    #[serde(
        borrow,
        default,
        deserialize_with = "crate::text::opt_cow",
        rename = "accessKeyId"
    )]
    access_key_id: Option<Cow<'a, str>>,
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
    #[serde(borrow, default, deserialize_with = "crate::text::opt_cow")]
    arn: Option<Cow<'a, str>>,
    #[serde(
        borrow,
        default,
        deserialize_with = "crate::text::opt_cow",
        rename = "userName"
    )]
    user_name: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct RequestParameters<'a> {
    #[serde(
        borrow,
        default,
        deserialize_with = "crate::text::opt_cow",
        rename = "secretId"
    )]
    secret_id: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct AdditionalEventData<'a> {
    #[serde(
        borrow,
        default,
        deserialize_with = "crate::text::opt_cow",
        rename = "SecretId"
    )]
    secret_id: Option<Cow<'a, str>>,
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
    if let Some(inner) = record.cloudtrail_event {
        let inner: Record<'_> = serde_json::from_str(&inner)?;
        sink(to_event(unwrap_envelope(inner), line)?);
        return Ok(());
    }
    sink(to_event(unwrap_envelope(record), line)?);
    Ok(())
}

fn unwrap_envelope(record: Record<'_>) -> Record<'_> {
    match record.detail {
        Some(detail) if record.event_name.is_none() => *detail,
        _ => record,
    }
}

fn to_event(record: Record<'_>, line: u64) -> Result<Event<'_>, RecordError> {
    let Some(event_name) = non_empty(record.event_name) else {
        return Err(RecordError::Shape(
            "not a CloudTrail event (no `eventName`)",
        ));
    };
    let (identity, display_name, access_key_id) = match record.user_identity {
        Some(mut user) => {
            let key = non_empty(user.access_key_id.take());
            let (identity, display_name) = identity_of(user);
            (identity, display_name, key)
        }
        None => (Identity::anonymous(), None, None),
    };
    let error_code = non_empty(record.error_code);
    let outcome = match (&error_code, &record.error_message) {
        (Some(code), _) if code.starts_with("AccessDenied") => Outcome::Denied,
        (Some(_), _) => Outcome::Other,
        // `RotationFailed` carries a message and no code.
        (None, Some(message)) if !message.is_empty() => Outcome::Other,
        (None, _) => Outcome::Success,
    };
    let resource = non_empty(record.request_parameters.and_then(|p| p.secret_id))
        .or_else(|| non_empty(record.additional.and_then(|a| a.secret_id)))
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
        source_address: non_empty(record.source_ip),
        outcome,
        error: error_code.or(non_empty(record.error_message)),
        request_id: non_empty(record.request_id).or(non_empty(record.event_id)),
        service: non_empty(record.event_source),
        log_name: None,
        vault: None,
    })
}

/// Identity key: the session issuer's ARN plus the session name for assumed roles,
/// else the ARN, else the principal id, the calling service, or the account.
fn identity_of(user: UserIdentity<'_>) -> (Identity<'_>, Option<Cow<'_, str>>) {
    let issuer = user.session_context.and_then(|c| c.session_issuer);
    let display = non_empty(user.user_name.clone())
        .or_else(|| issuer.as_ref().and_then(|i| non_empty(i.user_name.clone())))
        .or_else(|| non_empty(user.invoked_by.clone()));
    let principal = |id| Identity {
        kind: IdentityKind::Principal,
        id,
    };
    let arn = non_empty(user.arn);
    if user.kind.as_deref() == Some("AssumedRole")
        && let (Some(issuer_arn), Some(arn)) = (issuer.and_then(|i| non_empty(i.arn)), &arn)
    {
        let session = arn.rsplit('/').next().unwrap_or_default();
        return (
            principal(Cow::Owned(format!("{issuer_arn}/{session}"))),
            display,
        );
    }
    let id = arn
        .or(non_empty(user.principal_id))
        .or(non_empty(user.invoked_by))
        .or(non_empty(user.account_id));
    match id {
        Some(id) => (principal(id), display),
        None => (Identity::anonymous(), display),
    }
}
