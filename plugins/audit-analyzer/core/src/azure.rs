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

use crate::event::{
    Credentials, Event, Format, Identity, IdentityClass, IdentityKind, Login, Outcome, Phase,
};
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
    // Log Analytics' `AzureDiagnostics` flattens the claims into columns, each named
    // after the claim's key as it was logged, short or long.
    #[serde(
        borrow,
        default,
        rename = "identity_claim_upn_s",
        alias = "identity_claim_http_schemas_xmlsoap_org_ws_2005_05_identity_claims_upn_s"
    )]
    flat_upn: Text<'a>,
    #[serde(
        borrow,
        default,
        rename = "identity_claim_oid_g",
        alias = "identity_claim_http_schemas_microsoft_com_identity_claims_objectidentifier_g"
    )]
    flat_oid: Text<'a>,
    #[serde(borrow, default, rename = "identity_claim_appid_g")]
    flat_appid: Text<'a>,
    #[serde(borrow, default, rename = "identity_claim_idtyp_s")]
    flat_idtyp: Text<'a>,
    #[serde(
        borrow,
        default,
        rename = "identity_claim_tid_g",
        alias = "identity_claim_http_schemas_microsoft_com_identity_claims_tenantid_g"
    )]
    flat_tid: Text<'a>,
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

/// The claims of the caller's token, under their short or their long (URI) keys.
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
    /// `app` for an application's own token, `user` for a person's.
    #[serde(borrow, default)]
    idtyp: Text<'a>,
    #[serde(
        borrow,
        default,
        alias = "http://schemas.microsoft.com/identity/claims/tenantid"
    )]
    tid: Text<'a>,
}

impl Claims<'_> {
    fn into_owned(self) -> Claims<'static> {
        Claims {
            oid: self.oid.into_owned(),
            appid: self.appid.into_owned(),
            upn: self.upn.into_owned(),
            idtyp: self.idtyp.into_owned(),
            tid: self.tid.into_owned(),
        }
    }
}

/// Each claim of `first`, or else `second`'s.
fn either<'a>(first: Claims<'a>, second: Claims<'a>) -> Claims<'a> {
    let pick = |a: Text<'a>, b: Text<'a>| {
        if a.as_deref().is_some_and(|v| !v.is_empty()) {
            a
        } else {
            b
        }
    };
    Claims {
        oid: pick(first.oid, second.oid),
        appid: pick(first.appid, second.appid),
        upn: pick(first.upn, second.upn),
        idtyp: pick(first.idtyp, second.idtyp),
        tid: pick(first.tid, second.tid),
    }
}

/// Microsoft's own public clients (DOMAIN-FACTS §B.3): a token they hold is a
/// person's, signed in through the tool, so their application id names the tool,
/// never who acted. Ids as Microsoft's first-party applications are registered in
/// every tenant (the sign-in logs' `appId`).
const PUBLIC_CLIENTS: [(&str, &str); 6] = [
    ("04b07795-8ddb-461a-bbee-02f9e1bf7b46", "Azure CLI"),
    ("1950a258-227b-4e31-a9cf-717495945fc2", "Azure PowerShell"),
    (
        "14d82eec-204b-4c2f-b7e8-296a70dab67e",
        "Microsoft Graph Command Line Tools",
    ),
    ("aebc6443-996d-45c2-90f0-388ff96faa56", "Visual Studio Code"),
    ("872cd9fa-d31f-45e0-9eab-6e460a02d1f1", "Visual Studio"),
    ("d3590ed6-52b3-4102-aeff-aad2292ab01c", "Microsoft Office"),
];

/// The tool's name when `appid` is one of Microsoft's public clients.
pub fn public_client(appid: &str) -> Option<&'static str> {
    PUBLIC_CLIENTS
        .iter()
        .find(|(id, _)| id.eq_ignore_ascii_case(appid))
        .map(|(_, name)| *name)
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
    let nested: Claims<'_> = match record.identity {
        Some(IdentityField::Object(o)) => o.claim.unwrap_or_default(),
        Some(IdentityField::Text(text)) => {
            // A JSON string (Managed HSM, `AZKVAuditLogs` exports): the claims under
            // `claim`, or flattened into the object itself. Parsed from a temporary
            // string, so the values are copied out.
            match serde_json::from_str::<IdentityObject<'_>>(&text) {
                Ok(IdentityObject { claim: Some(c) }) => c.into_owned(),
                _ => serde_json::from_str::<Claims<'_>>(&text)
                    .unwrap_or_default()
                    .into_owned(),
            }
        }
        None => Claims::default(),
    };
    let claims = either(
        nested,
        Claims {
            oid: record.flat_oid,
            appid: record.flat_appid,
            upn: record.flat_upn,
            idtyp: record.flat_idtyp,
            tid: record.flat_tid,
        },
    );
    let (identity, display_name, login, alias) = who(&claims);
    let app_id = claims.appid.non_empty();
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
        login,
        alias,
    })
}

/// The identity, display name, login class and alias of a caller's claims.
///
/// The object id is the identity; a UPN beside it is its alias, so that a record
/// carrying only the UPN (an older Log Analytics column) counts for the same person.
/// UPNs are compared in lower case, as Entra ID matches them. An application id is
/// the identity only of an application's own token: one of Microsoft's public
/// clients (Azure CLI, PowerShell, …) only says which tool a person used.
type Who<'a> = (
    Identity<'a>,
    Option<Cow<'a, str>>,
    Option<Login<'a>>,
    Option<Cow<'a, str>>,
);

fn who<'a>(claims: &Claims<'a>) -> Who<'a> {
    let text = |t: &Text<'a>| t.clone().non_empty();
    let upn = text(&claims.upn);
    let oid = text(&claims.oid);
    let appid = text(&claims.appid);
    let tool = appid.as_deref().and_then(public_client);
    let upn_key = upn.as_deref().map(|u| Cow::Owned(u.to_lowercase()));
    let app = claims.idtyp.as_deref() == Some("app");
    let human = !app && (upn.is_some() || tool.is_some());
    let id = oid
        .clone()
        .or_else(|| upn_key.clone())
        .or_else(|| appid.clone().filter(|_| tool.is_none()));
    let identity = id.map_or_else(Identity::anonymous, |id| Identity {
        kind: IdentityKind::Principal,
        id,
    });
    let display_name = upn.clone().or_else(|| match tool {
        Some(tool) => Some(Cow::Owned(format!("{tool} user"))),
        None => appid.clone(),
    });
    let login = (identity.kind != IdentityKind::Anonymous).then(|| Login {
        class: if human {
            IdentityClass::Human
        } else {
            IdentityClass::Machine
        },
        method: Cow::Borrowed(if human { "azure-user" } else { "azure-app" }),
        mount: text(&claims.tid).map(|t| Cow::Owned(format!("azure:{t}"))),
    });
    let alias = match (&oid, upn_key) {
        (Some(_), Some(upn)) => Some(upn),
        _ => None,
    };
    (identity, display_name, login, alias)
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
