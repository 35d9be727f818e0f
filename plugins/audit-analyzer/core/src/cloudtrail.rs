//! AWS CloudTrail events (DOMAIN-FACTS §B.1) to [`Event`]s, whatever container they
//! came in: a bare event, an EventBridge envelope (event under `detail`), or a
//! `lookup-events` item (event as a JSON string in `CloudTrailEvent`).
//!
//! What the events mean, beyond their fields:
//! - the resource is the secret the call names, wherever that call names it
//!   (`secretId`, each of a batch's `secretIdList`, `CreateSecret`'s `name`, a KMS
//!   call's `encryptionContext.SecretARN`, a rotation's `SecretId`); a call that
//!   names none (`ListSecrets`, a filter-based `BatchGetSecretValue`, a trail
//!   change) has no resource, not an empty one;
//! - a call a service made for a principal (`invokedBy`, or a service's DNS name as
//!   `sourceIPAddress`, as in the KMS `Decrypt` that Secrets Manager makes for every
//!   `GetSecretValue`) is the service's, with the principal kept as `on_behalf_of`:
//!   counting it as the principal's would count each secret read twice;
//! - root use and control-plane changes become signals.

use std::borrow::Cow;

use serde::Deserialize;

use crate::event::{
    Credentials, Event, Format, Identity, IdentityClass, IdentityKind, Login, Outcome, Phase,
};
use crate::problem::RecordError;
use crate::signals::Signal;
use crate::text::{Strings, Text};
use crate::timestamp::read_time;

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
    /// `BatchGetSecretValue` by list (a filter-based one names no secret).
    #[serde(borrow, default, rename = "secretIdList")]
    secret_id_list: Strings<'a>,
    /// `CreateSecret`'s new secret (read for that call only: `name` means other
    /// things to other APIs).
    #[serde(borrow, default)]
    name: Strings<'a>,
    /// KMS calls Secrets Manager makes name the secret here.
    #[serde(borrow, default, rename = "encryptionContext")]
    encryption_context: Option<EncryptionContext<'a>>,
}

#[derive(Deserialize)]
struct EncryptionContext<'a> {
    #[serde(borrow, default, rename = "SecretARN")]
    secret_arn: Strings<'a>,
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
    let source = record.event_source.non_empty();
    let source_ip = record.source_ip.non_empty();
    let mut signals = control_plane(source.as_deref(), &event_name);
    let (identity, display_name, access_key_id, on_behalf_of, login) = match record.user_identity {
        Some(mut user) => {
            if user.kind.as_deref() == Some("Root") {
                signals.push(Signal::CloudRootUse);
            }
            let key = std::mem::take(&mut user.access_key_id).non_empty();
            let service = std::mem::take(&mut user.invoked_by)
                .non_empty()
                .or_else(|| source_ip.clone().filter(|ip| is_service_name(ip)));
            let login = login_of(&user);
            let (principal, display_name) = identity_of(user);
            match service {
                // The service acted; the principal only asked it to.
                Some(service) => (
                    Identity {
                        kind: IdentityKind::Service,
                        id: service,
                    },
                    display_name,
                    key,
                    (principal.kind != IdentityKind::Anonymous).then_some(principal.id),
                    Some(Login {
                        class: IdentityClass::Machine,
                        method: Cow::Borrowed("aws-service"),
                        mount: None,
                    }),
                ),
                None => (principal, display_name, key, None, login),
            }
        }
        None => (Identity::anonymous(), None, None, None, None),
    };
    let error_code = record.error_code.non_empty();
    let outcome = match (&error_code, record.error_message.as_deref()) {
        (Some(code), _) if code.starts_with("AccessDenied") => Outcome::Denied,
        (Some(_), _) => Outcome::Other,
        // `RotationFailed` carries a message and no code.
        (None, Some(message)) if !message.is_empty() => Outcome::Other,
        (None, _) => Outcome::Success,
    };
    let mut resources = match record.request_parameters {
        Some(p) => match p.secret_id.non_empty() {
            Some(id) => vec![id],
            None if !p.secret_id_list.0.is_empty() => p.secret_id_list.0,
            None if event_name == "CreateSecret" => p.name.first().into_iter().collect(),
            None => p
                .encryption_context
                .and_then(|c| c.secret_arn.first())
                .into_iter()
                .collect(),
        },
        None => Vec::new(),
    };
    resources.retain(|r| !r.is_empty());
    if resources.is_empty()
        && let Some(id) = record.additional.and_then(|a| a.secret_id.non_empty())
    {
        resources.push(id);
    }
    let mut resources = resources.into_iter();
    let resource = resources.next().unwrap_or(Cow::Borrowed(""));
    let (time_ms, bad_time) = read_time(record.event_time.as_deref());
    Ok(Event {
        format: Format::CloudTrail,
        phase: Phase::Single,
        line,
        time_ms,
        identity,
        credentials: Credentials {
            access_key_id,
            ..Credentials::default()
        },
        display_name,
        operation: event_name,
        resource,
        source_address: source_ip,
        outcome,
        error: error_code.or(record.error_message.non_empty()),
        request_id: record
            .request_id
            .non_empty()
            .or(record.event_id.non_empty()),
        service: source,
        log_name: None,
        vault: None,
        more_resources: resources.collect(),
        on_behalf_of,
        signals,
        bad_time,
        login,
        alias: None,
    })
}

/// Person or machine, by `userIdentity.type` (DOMAIN-FACTS §B.1): IAM users, the root
/// user, federated users and IAM Identity Center users are people, and so are the
/// sessions of the roles IAM Identity Center makes for them (`AWSReservedSSO_*`, under
/// `aws-reserved/sso.amazonaws.com/`); AWS services are machines. Any other assumed
/// role may be either (an instance profile, or a person switching roles in the
/// console): its class is unknown, and its peers are the other sessions of the role.
fn login_of<'a>(user: &UserIdentity<'a>) -> Option<Login<'a>> {
    let account = || {
        user.account_id
            .as_deref()
            .filter(|a| !a.is_empty())
            .map(|a| Cow::Owned(format!("aws:{a}")))
    };
    let human = |method: &'static str| Login {
        class: IdentityClass::Human,
        method: Cow::Borrowed(method),
        mount: account(),
    };
    Some(match user.kind.as_deref()? {
        "IAMUser" => human("aws-iam-user"),
        "Root" => human("aws-root"),
        "FederatedUser" => human("aws-federated-user"),
        "IdentityCenterUser" => human("aws-identity-center-user"),
        "AWSService" => Login {
            class: IdentityClass::Machine,
            method: Cow::Borrowed("aws-service"),
            mount: None,
        },
        "AssumedRole" => {
            let issuer = user.session_context.as_ref()?.session_issuer.as_ref()?;
            let arn = issuer.arn.clone().non_empty();
            let sso = issuer
                .user_name
                .as_deref()
                .is_some_and(|n| n.starts_with("AWSReservedSSO_"))
                || arn
                    .as_deref()
                    .is_some_and(|a| a.contains("/aws-reserved/sso.amazonaws.com/"));
            Login {
                class: if sso {
                    IdentityClass::Human
                } else {
                    IdentityClass::Unknown
                },
                method: Cow::Borrowed(if sso { "aws-sso" } else { "aws-assumed-role" }),
                mount: arn,
            }
        }
        _ => return None,
    })
}

/// A service's DNS name where an address belongs (`secretsmanager.amazonaws.com`,
/// `lambda.amazonaws.com`), or CloudTrail's `AWS Internal`: the call came from inside
/// AWS, not from the principal's machine.
fn is_service_name(source: &str) -> bool {
    source.ends_with(".amazonaws.com") || source == "AWS Internal"
}

/// The control-plane changes a call makes (DOMAIN-FACTS §B.1): CloudTrail's own
/// logging and IAM policies.
fn control_plane(source: Option<&str>, name: &str) -> Vec<Signal> {
    let signal = match (source, name) {
        (Some("cloudtrail.amazonaws.com"), "StopLogging" | "DeleteTrail") => {
            Signal::AuditTrailStopped
        }
        (
            Some("cloudtrail.amazonaws.com"),
            "UpdateTrail" | "PutEventSelectors" | "PutInsightSelectors",
        ) => Signal::AuditTrailChange,
        (Some("iam.amazonaws.com"), name)
            if (name.starts_with("Attach") || name.starts_with("Put"))
                && name.ends_with("Policy") =>
        {
            Signal::IamPolicyChange
        }
        _ => return Vec::new(),
    };
    vec![signal]
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
