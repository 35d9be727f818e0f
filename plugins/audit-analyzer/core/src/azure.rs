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
use crate::signals::Signal;
use crate::text::{LooseNumber, Text};
use crate::timestamp::read_time;

#[derive(Deserialize)]
struct Record<'a> {
    #[serde(borrow, default, alias = "TimeGenerated")]
    time: Text<'a>,
    #[serde(borrow, default, rename = "operationName", alias = "OperationName")]
    operation_name: Text<'a>,
    #[serde(borrow, default, rename = "resourceId", alias = "ResourceId")]
    resource_id: Text<'a>,
    #[serde(borrow, default, alias = "Category")]
    category: Text<'a>,
    #[serde(borrow, default, rename = "resultSignature", alias = "ResultSignature")]
    result_signature: Text<'a>,
    #[serde(borrow, default, rename = "resultType", alias = "ResultType")]
    result_type: Text<'a>,
    #[serde(
        borrow,
        default,
        rename = "resultDescription",
        alias = "ResultDescription"
    )]
    result_description: Text<'a>,
    #[serde(
        borrow,
        default,
        rename = "callerIpAddress",
        alias = "CallerIPAddress",
        alias = "CallerIpAddress"
    )]
    caller_ip: Text<'a>,
    #[serde(borrow, default, rename = "correlationId", alias = "CorrelationId")]
    correlation_id: Text<'a>,
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
    #[serde(borrow, default, rename = "requestUri", alias = "requestUri_s")]
    request_uri: Text<'a>,
    #[serde(borrow, default, rename = "id_s", alias = "Id")]
    object_id: Text<'a>,
    #[serde(borrow, default)]
    identity_claim_upn_s: Text<'a>,
}

#[derive(Deserialize)]
struct Properties<'a> {
    #[serde(borrow, default)]
    id: Text<'a>,
    #[serde(borrow, default, rename = "requestUri")]
    request_uri: Text<'a>,
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
        alias = "http://schemas.microsoft.com/identity/claims/objectidentifier"
    )]
    oid: Text<'a>,
    #[serde(borrow, default)]
    appid: Text<'a>,
    #[serde(
        borrow,
        default,
        alias = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn"
    )]
    upn: Text<'a>,
}

/// Parses one record.
pub(crate) fn parse(bytes: &[u8], line: u64) -> Result<Event<'_>, RecordError> {
    let record: Record<'_> = serde_json::from_str(std::str::from_utf8(bytes)?)?;
    let operation = record.operation_name.non_empty().ok_or(RecordError::Shape(
        "not an Azure Key Vault audit record (no `operationName`)",
    ))?;
    let signals = access_change(&operation, record.resource_id.as_deref())
        .into_iter()
        .collect();
    let claims: Claims<'_> = match record.identity {
        Some(IdentityField::Object(o)) => o.claim.unwrap_or_default(),
        Some(IdentityField::Text(text)) => {
            // Parsed from a temporary string, so the values must be copied out.
            let parsed: IdentityObject<'_> = serde_json::from_str(&text).unwrap_or_default();
            let c = parsed.claim.unwrap_or_default();
            Claims {
                oid: c.oid.into_owned(),
                appid: c.appid.into_owned(),
                upn: c.upn.into_owned(),
            }
        }
        None => Claims::default(),
    };
    let upn = claims
        .upn
        .non_empty()
        .or(record.identity_claim_upn_s.non_empty());
    let display_name = upn.clone().or_else(|| claims.appid.clone().non_empty());
    let app_id = claims.appid.non_empty();
    let identity = claims
        .oid
        .non_empty()
        .or(app_id.clone())
        .or(upn)
        .map_or_else(Identity::anonymous, |id| Identity {
            kind: IdentityKind::Principal,
            id,
        });
    let (prop_id, prop_uri, prop_status) = match record.properties {
        Some(p) => (p.id, p.request_uri, p.http_status.0),
        None => (Text::default(), Text::default(), None),
    };
    let status = prop_status.or(record.http_status.0);
    let signature = record.result_signature.non_empty();
    let outcome = classify(status, signature.as_deref(), record.result_type.as_deref());
    let resource = prop_id
        .non_empty()
        .or(record.object_id.non_empty())
        .or(prop_uri.non_empty())
        .or(record.request_uri.non_empty())
        .or(record.resource_id.non_empty())
        .unwrap_or(Cow::Borrowed(""));
    let error = if outcome.is_failure() {
        record.result_description.non_empty().or(signature)
    } else {
        None
    };
    let (time_ms, bad_time) = read_time(record.time.as_deref());
    Ok(Event {
        format: Format::AzureKeyVault,
        phase: Phase::Single,
        line,
        time_ms,
        identity,
        credentials: Credentials {
            app_id,
            ..Credentials::default()
        },
        display_name,
        operation,
        resource,
        source_address: record.caller_ip.non_empty(),
        outcome,
        error,
        request_id: record.correlation_id.non_empty(),
        service: record.category.non_empty(),
        log_name: None,
        vault: None,
        more_resources: Vec::new(),
        on_behalf_of: None,
        signals,
        bad_time,
    })
}

/// Who may read a vault's secrets changed: its access policies (`VaultPut` and
/// `VaultPatch` carry them, and Key Vault announces the change itself), or an Azure
/// RBAC role assignment on the vault (an Activity Log record, which reaches us in
/// the same record shape).
fn access_change(operation: &str, resource_id: Option<&str>) -> Option<Signal> {
    let on_vault = || {
        resource_id.is_some_and(|r| {
            r.to_ascii_lowercase()
                .contains("/providers/microsoft.keyvault/")
        })
    };
    let op = operation.to_ascii_lowercase();
    let changed = matches!(
        operation,
        "VaultPut" | "VaultPatch" | "VaultAccessPolicyChangedEventGridNotification"
    ) || ((op.starts_with("microsoft.authorization/roleassignments/")
        && (op.ends_with("/write") || op.ends_with("/delete")))
        && on_vault());
    changed.then_some(Signal::KeyVaultAccessChange)
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
