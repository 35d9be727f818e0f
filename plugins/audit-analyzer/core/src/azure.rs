//! Azure Key Vault and Managed HSM `AuditEvent` records (DOMAIN-FACTS §B.3) to
//! [`Event`]s, in the three shapes they reach us in: the diagnostic record (storage
//! blob / Event Hubs), Log Analytics' flattened `AzureDiagnostics` columns, and the
//! resource-specific `AZKVAuditLogs` table; plus the Managed HSM variant with
//! top-level `httpStatusCode` and `identity` as a JSON string.
//!
//! Failure is judged from the HTTP status and `resultSignature`, never from
//! `resultType` alone (a real denial was logged with `resultType: "Success"`).

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
        alias = "TimeGenerated"
    )]
    time: Option<Cow<'a, str>>,
    #[serde(
        borrow,
        default,
        deserialize_with = "crate::text::opt_cow",
        rename = "operationName",
        alias = "OperationName"
    )]
    operation_name: Option<Cow<'a, str>>,
    #[serde(
        borrow,
        default,
        deserialize_with = "crate::text::opt_cow",
        rename = "resourceId",
        alias = "ResourceId"
    )]
    resource_id: Option<Cow<'a, str>>,
    #[serde(
        borrow,
        default,
        deserialize_with = "crate::text::opt_cow",
        alias = "Category"
    )]
    category: Option<Cow<'a, str>>,
    #[serde(
        borrow,
        default,
        deserialize_with = "crate::text::opt_cow",
        rename = "resultSignature",
        alias = "ResultSignature"
    )]
    result_signature: Option<Cow<'a, str>>,
    #[serde(
        borrow,
        default,
        deserialize_with = "crate::text::opt_cow",
        rename = "resultType",
        alias = "ResultType"
    )]
    result_type: Option<Cow<'a, str>>,
    #[serde(
        borrow,
        default,
        deserialize_with = "crate::text::opt_cow",
        rename = "resultDescription",
        alias = "ResultDescription"
    )]
    result_description: Option<Cow<'a, str>>,
    #[serde(
        borrow,
        default,
        deserialize_with = "crate::text::opt_cow",
        rename = "callerIpAddress",
        alias = "CallerIPAddress",
        alias = "CallerIpAddress"
    )]
    caller_ip: Option<Cow<'a, str>>,
    #[serde(
        borrow,
        default,
        deserialize_with = "crate::text::opt_cow",
        rename = "correlationId",
        alias = "CorrelationId"
    )]
    correlation_id: Option<Cow<'a, str>>,
    #[serde(borrow, default, alias = "Identity")]
    identity: Option<IdentityField<'a>>,
    #[serde(borrow, default)]
    properties: Option<Properties<'a>>,
    // Managed HSM and the Log Analytics shapes keep these at the top level.
    #[serde(
        default,
        rename = "httpStatusCode",
        alias = "HttpStatusCode",
        alias = "httpStatusCode_d"
    )]
    http_status: LooseNumber,
    #[serde(
        borrow,
        default,
        deserialize_with = "crate::text::opt_cow",
        rename = "requestUri",
        alias = "requestUri_s"
    )]
    request_uri: Option<Cow<'a, str>>,
    #[serde(
        borrow,
        default,
        deserialize_with = "crate::text::opt_cow",
        rename = "id_s",
        alias = "Id"
    )]
    object_id: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "crate::text::opt_cow")]
    identity_claim_upn_s: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct Properties<'a> {
    #[serde(borrow, default, deserialize_with = "crate::text::opt_cow")]
    id: Option<Cow<'a, str>>,
    #[serde(
        borrow,
        default,
        deserialize_with = "crate::text::opt_cow",
        rename = "requestUri"
    )]
    request_uri: Option<Cow<'a, str>>,
    #[serde(default, rename = "httpStatusCode")]
    http_status: LooseNumber,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum IdentityField<'a> {
    Object(#[serde(borrow)] IdentityObject<'a>),
    /// Managed HSM writes the identity object as a JSON string.
    Text(#[serde(borrow)] Cow<'a, str>),
}

#[derive(Deserialize, Default)]
struct IdentityObject<'a> {
    #[serde(borrow, default)]
    claim: Option<Claims<'a>>,
}

#[derive(Deserialize, Default)]
struct Claims<'a> {
    #[serde(
        borrow,
        default,
        deserialize_with = "crate::text::opt_cow",
        alias = "http://schemas.microsoft.com/identity/claims/objectidentifier"
    )]
    oid: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "crate::text::opt_cow")]
    appid: Option<Cow<'a, str>>,
    #[serde(
        borrow,
        default,
        deserialize_with = "crate::text::opt_cow",
        alias = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn"
    )]
    upn: Option<Cow<'a, str>>,
}

fn owned(c: Option<Cow<'_, str>>) -> Option<Cow<'static, str>> {
    c.map(|c| Cow::Owned(c.into_owned()))
}

/// Parses one record.
pub(crate) fn parse(bytes: &[u8], line: u64) -> Result<Event<'_>, RecordError> {
    let record: Record<'_> = serde_json::from_str(std::str::from_utf8(bytes)?)?;
    let operation = non_empty(record.operation_name).ok_or(RecordError::Shape(
        "not an Azure Key Vault audit record (no `operationName`)",
    ))?;
    let claims: Claims<'_> = match record.identity {
        Some(IdentityField::Object(o)) => o.claim.unwrap_or_default(),
        Some(IdentityField::Text(text)) => {
            // Parsed from a temporary string, so the values must be copied out.
            let parsed: IdentityObject<'_> = serde_json::from_str(&text).unwrap_or_default();
            let c = parsed.claim.unwrap_or_default();
            Claims {
                oid: owned(c.oid),
                appid: owned(c.appid),
                upn: owned(c.upn),
            }
        }
        None => Claims::default(),
    };
    let upn = non_empty(claims.upn).or(non_empty(record.identity_claim_upn_s));
    let display_name = upn.clone().or_else(|| non_empty(claims.appid.clone()));
    let app_id = non_empty(claims.appid);
    let identity = non_empty(claims.oid)
        .or(app_id.clone())
        .or(upn)
        .map_or_else(Identity::anonymous, |id| Identity {
            kind: IdentityKind::Principal,
            id,
        });
    let (prop_id, prop_uri, prop_status) = match record.properties {
        Some(p) => (p.id, p.request_uri, p.http_status.0),
        None => (None, None, None),
    };
    let status = prop_status.or(record.http_status.0);
    let signature = non_empty(record.result_signature);
    let outcome = classify(status, signature.as_deref(), record.result_type.as_deref());
    let resource = non_empty(prop_id)
        .or(non_empty(record.object_id))
        .or(non_empty(prop_uri))
        .or(non_empty(record.request_uri))
        .or(non_empty(record.resource_id))
        .unwrap_or(Cow::Borrowed(""));
    let error = if outcome.is_failure() {
        non_empty(record.result_description).or(signature)
    } else {
        None
    };
    Ok(Event {
        format: Format::AzureKeyVault,
        phase: Phase::Single,
        line,
        time_ms: record.time.as_deref().and_then(parse_rfc3339_ms),
        identity,
        credentials: Credentials {
            app_id,
            ..Credentials::default()
        },
        display_name,
        operation,
        resource,
        source_address: non_empty(record.caller_ip),
        outcome,
        error,
        request_id: non_empty(record.correlation_id),
        service: non_empty(record.category),
        log_name: None,
        vault: None,
    })
}

fn classify(status: Option<f64>, signature: Option<&str>, result_type: Option<&str>) -> Outcome {
    match status.map(|s| s as i64) {
        Some(401) => return Outcome::InvalidToken,
        Some(403) => return Outcome::Denied,
        Some(s) if s >= 400 => return Outcome::Other,
        Some(_) => return Outcome::Success,
        None => {}
    }
    match signature {
        Some("OK") => Outcome::Success,
        Some("Unauthorized") => Outcome::InvalidToken,
        Some("Forbidden") => Outcome::Denied,
        Some(_) => Outcome::Other,
        None => match result_type {
            Some("Success") | None => Outcome::Success,
            Some(_) => Outcome::Other,
        },
    }
}
