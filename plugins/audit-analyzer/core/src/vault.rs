//! Vault / OpenBao audit entries (`format=json`, DOMAIN-FACTS §A) to [`Event`]s.
//!
//! Traps handled here: key order is never relied on; `remote_address` is read under
//! `request`; failure is the top-level `error` text (there is no status code), which
//! may be a multierror wrapper; the identity prefers `entity_id`, then the accessor,
//! then the token HMAC, and only then `display_name`; a token created by the call is
//! in `response.auth`.

use std::borrow::Cow;

use serde::Deserialize;

use crate::event::{
    Credentials, Event, Format, Identity, IdentityClass, IdentityKind, Login, NewToken, Outcome,
    Phase, VaultDetails,
};
use crate::problem::RecordError;
use crate::text::{HasRoot, IsTrue, Text};
use crate::timestamp::read_time;
use crate::token::{fingerprint, is_live};

#[derive(Deserialize)]
struct Entry<'a> {
    #[serde(borrow, default)]
    time: Text<'a>,
    #[serde(borrow, default, rename = "type")]
    kind: Text<'a>,
    #[serde(borrow, default)]
    auth: Option<Auth<'a>>,
    #[serde(borrow, default)]
    request: Option<Request<'a>>,
    #[serde(borrow, default)]
    response: Option<Response<'a>>,
    #[serde(borrow, default)]
    error: Text<'a>,
}

#[derive(Deserialize, Default)]
struct Auth<'a> {
    #[serde(borrow, default)]
    client_token: Text<'a>,
    #[serde(borrow, default)]
    accessor: Text<'a>,
    #[serde(borrow, default)]
    display_name: Text<'a>,
    #[serde(borrow, default)]
    entity_id: Text<'a>,
    #[serde(default)]
    policies: HasRoot,
    #[serde(default)]
    token_policies: HasRoot,
    #[serde(default)]
    token_ttl: Option<i64>,
    #[serde(borrow, default)]
    token_type: Text<'a>,
    #[serde(default)]
    num_uses: Option<i64>,
    #[serde(borrow, default)]
    metadata: Option<Metadata<'a>>,
}

/// The token metadata keys that tell which auth method issued a token (each method
/// writes its own; OpenBao does not HMAC them).
#[derive(Deserialize, Default)]
struct Metadata<'a> {
    /// userpass, LDAP, Okta, RADIUS.
    #[serde(borrow, default)]
    username: Text<'a>,
    /// AppRole.
    #[serde(borrow, default)]
    role_name: Text<'a>,
    /// Kubernetes.
    #[serde(borrow, default)]
    service_account_name: Text<'a>,
    #[serde(borrow, default)]
    service_account_namespace: Text<'a>,
    /// TLS certificates.
    #[serde(borrow, default)]
    cert_name: Text<'a>,
    /// JWT and OIDC.
    #[serde(borrow, default)]
    role: Text<'a>,
}

#[derive(Deserialize)]
struct Request<'a> {
    #[serde(borrow, default)]
    id: Text<'a>,
    #[serde(borrow, default)]
    client_token: Text<'a>,
    #[serde(borrow, default)]
    client_token_accessor: Text<'a>,
    #[serde(borrow, default)]
    operation: Text<'a>,
    #[serde(borrow, default)]
    mount_type: Text<'a>,
    #[serde(borrow, default)]
    mount_point: Text<'a>,
    #[serde(borrow, default)]
    mount_class: Text<'a>,
    #[serde(borrow, default)]
    path: Text<'a>,
    #[serde(borrow, default)]
    remote_address: Text<'a>,
    #[serde(default)]
    data: Option<RequestData>,
}

/// Only the request data keys that are never HMAC'd and matter to detectors.
#[derive(Deserialize)]
struct RequestData {
    #[serde(default)]
    no_parent: IsTrue,
}

#[derive(Deserialize)]
struct Response<'a> {
    #[serde(borrow, default)]
    auth: Option<Auth<'a>>,
}

/// Parses one Vault audit entry and lends its event to `sink`.
///
/// The event is built in place and lent, not returned: it is several hundred bytes,
/// and moving it through `Result`s showed up as `memmove` in profiles.
pub(crate) fn parse(
    bytes: &[u8],
    line: u64,
    sink: &mut dyn FnMut(&Event<'_>),
) -> Result<(), RecordError> {
    // Validating the whole line at once (ASCII fast path) and parsing from `&str` is
    // faster than serde_json's per-string UTF-8 checks on a byte slice.
    let text = std::str::from_utf8(bytes)?;
    let entry: Entry<'_> = serde_json::from_str(text)?;
    let event = to_event(entry, line)?;
    sink(&event);
    Ok(())
}

#[inline(always)]
fn to_event(entry: Entry<'_>, line: u64) -> Result<Event<'_>, RecordError> {
    if entry.kind.as_deref().is_none() && entry.request.is_none() {
        return Err(RecordError::Shape(
            "not a Vault audit entry (no `type` and no `request`)",
        ));
    }
    let auth = entry.auth.unwrap_or_default();
    let new_auth = entry.response.and_then(|r| r.auth);
    let Some(request) = entry.request else {
        // A typed entry without a request object: keep it, with what there is.
        let (time_ms, bad_time) = read_time(entry.time.as_deref());
        return Ok(Event {
            format: Format::Vault,
            phase: Phase::Single,
            line,
            time_ms,
            identity: Identity::anonymous(),
            credentials: Credentials {
                accessor: auth.accessor.non_empty(),
                client_token: token_name(auth.client_token),
                ..Credentials::default()
            },
            display_name: auth.display_name.non_empty(),
            operation: Cow::Borrowed(""),
            resource: Cow::Borrowed(""),
            source_address: None,
            outcome: entry
                .error
                .as_deref()
                .map_or(Outcome::Success, classify_error),
            error: entry.error.non_empty(),
            request_id: None,
            service: None,
            log_name: None,
            vault: None,
            more_resources: Vec::new(),
            on_behalf_of: None,
            signals: Vec::new(),
            bad_time,
            login: None,
            alias: None,
        });
    };

    let request_id = request.id.non_empty();
    let phase = match (entry.kind.as_deref(), &request_id) {
        (_, None) => Phase::Single,
        (Some("request"), Some(_)) => Phase::Request,
        (Some("response"), Some(_)) => Phase::Response,
        _ => Phase::Single,
    };
    // Masked values from an export (`****`) are not live tokens; only a real value
    // makes the log a raw-mode one.
    let raw_token = [&auth.client_token, &request.client_token]
        .into_iter()
        .filter_map(Text::as_deref)
        .any(is_live);
    let path = request.path.or_empty();
    let orphan = path.starts_with("auth/token/create-orphan")
        || (path.starts_with("auth/token/create")
            && request.data.as_ref().is_some_and(|d| d.no_parent.0));
    let root_token = auth.policies.0 || auth.token_policies.0;

    let mut display_name = auth.display_name.non_empty();
    let credentials = Credentials {
        accessor: auth
            .accessor
            .non_empty()
            .or(request.client_token_accessor.non_empty()),
        client_token: token_name(auth.client_token).or_else(|| token_name(request.client_token)),
        ..Credentials::default()
    };
    let identity = if let Some(id) = auth.entity_id.non_empty() {
        Identity {
            kind: IdentityKind::Entity,
            id,
        }
    } else if let Some(id) = credentials.accessor.clone() {
        Identity {
            kind: IdentityKind::Accessor,
            id,
        }
    } else if let Some(id) = credentials.client_token.clone() {
        Identity {
            kind: IdentityKind::Token,
            id,
        }
    } else if let Some(name) = display_name.clone() {
        Identity {
            kind: IdentityKind::DisplayName,
            id: name,
        }
    } else {
        Identity::anonymous()
    };

    let login = if request.mount_class.as_deref() == Some("auth")
        && path.contains("/login")
        && new_auth.is_some()
        && let Some(method) = request.mount_type.clone().non_empty()
    {
        // A login: the auth mount that issued the token says it all.
        Some(Login {
            class: class_of(&method),
            method,
            mount: request.mount_point.clone().non_empty(),
        })
    } else {
        auth.metadata
            .as_ref()
            .and_then(|m| login_of(m, display_name.as_deref()))
    };
    let new_token = new_auth.map(|a| {
        let root = a.policies.0 || a.token_policies.0;
        NewToken {
            ttl_seconds: a.token_ttl,
            entity_id: a.entity_id.non_empty(),
            display_name: a.display_name.non_empty(),
            token_type: a.token_type.non_empty(),
            root,
            num_uses: a.num_uses,
        }
    });
    // A login is made by nobody yet: attribute it to the entity that logged in.
    let identity = match (&identity.kind, &new_token) {
        (IdentityKind::Anonymous, Some(token)) => match &token.entity_id {
            Some(id) => Identity {
                kind: IdentityKind::Entity,
                id: id.clone(),
            },
            None => identity,
        },
        _ => identity,
    };
    if display_name.is_none() {
        display_name = new_token.as_ref().and_then(|t| t.display_name.clone());
    }

    let error = entry.error.non_empty();
    let (time_ms, bad_time) = read_time(entry.time.as_deref());
    Ok(Event {
        format: Format::Vault,
        phase,
        line,
        time_ms,
        identity,
        credentials,
        display_name,
        operation: request.operation.or_empty(),
        resource: path,
        source_address: request.remote_address.non_empty(),
        outcome: error.as_deref().map_or(Outcome::Success, classify_error),
        error,
        request_id,
        service: None,
        log_name: None,
        vault: Some(VaultDetails {
            mount_type: request.mount_type.non_empty(),
            mount_point: request.mount_point.non_empty(),
            root_token,
            token_ttl_seconds: auth.token_ttl,
            token_type: auth.token_type.non_empty(),
            new_token,
            orphan,
            raw_token,
        }),
        more_resources: Vec::new(),
        on_behalf_of: None,
        signals: Vec::new(),
        bad_time,
        login,
        alias: None,
    })
}

/// The class of a Vault/OpenBao auth method (`mount_type`): people log in with a
/// password, a directory or a browser; workloads with a role, a platform identity,
/// a CI token or a certificate. The token store itself says nothing.
fn class_of(method: &str) -> IdentityClass {
    match method {
        "userpass" | "ldap" | "oidc" | "okta" | "radius" | "github" | "kerberos" => {
            IdentityClass::Human
        }
        "approle" | "kubernetes" | "jwt" | "cert" | "aws" | "gcp" | "azure" | "alicloud" | "cf"
        | "oci" => IdentityClass::Machine,
        _ => IdentityClass::Unknown,
    }
}

/// How a token was obtained, from the metadata its auth method wrote, when the login
/// itself is not in the log. The mount comes from `display_name`, which OpenBao builds
/// as the mount path (slashes as dashes) followed by `-` and the method's own name for
/// the caller (the user name, `<namespace>-<service account>`, the certificate's
/// name; nothing for AppRole). JWT and OIDC share a plugin and write only `role`: a
/// mount named `oidc…` is taken for people, any other for CI and workloads.
fn login_of<'a>(m: &Metadata<'a>, display_name: Option<&str>) -> Option<Login<'a>> {
    let mount_before = |suffix: Option<String>| {
        let name = display_name?;
        let mount = match suffix {
            Some(suffix) => name.strip_suffix(&suffix)?,
            None => name,
        };
        (!mount.is_empty()).then(|| Cow::Owned(format!("auth/{mount}/")))
    };
    let (method, mount) = if let Some(user) = m.username.as_deref().filter(|v| !v.is_empty()) {
        let mount = mount_before(Some(format!("-{user}")));
        let kind = mount
            .as_deref()
            .and_then(|p: &str| p.strip_prefix("auth/")?.strip_suffix('/'))
            .filter(|kind: &&str| class_of(kind) == IdentityClass::Human)
            .unwrap_or("userpass");
        (kind.to_owned(), mount)
    } else if let Some(sa) = m.service_account_name.as_deref().filter(|v| !v.is_empty()) {
        let ns = m.service_account_namespace.as_deref().unwrap_or_default();
        (
            "kubernetes".to_owned(),
            mount_before(Some(format!("-{ns}-{sa}"))),
        )
    } else if m.role_name.as_deref().is_some_and(|v| !v.is_empty()) {
        ("approle".to_owned(), mount_before(None))
    } else if let Some(cert) = m.cert_name.as_deref().filter(|v| !v.is_empty()) {
        ("cert".to_owned(), mount_before(Some(format!("-{cert}"))))
    } else if m.role.as_deref().is_some_and(|v| !v.is_empty()) {
        let prefix = display_name?.split('-').next()?;
        let method = if prefix.starts_with("oidc") {
            "oidc"
        } else {
            "jwt"
        };
        (
            method.to_owned(),
            Some(Cow::Owned(format!("auth/{prefix}/"))),
        )
    } else {
        return None;
    };
    Some(Login {
        class: class_of(&method),
        method: Cow::Owned(method),
        mount,
    })
}

/// The name a client token is kept under: its HMAC as logged, or the fingerprint of
/// a live value, so that no live token reaches the analysis, its state or a report.
fn token_name(token: Text<'_>) -> Option<Cow<'_, str>> {
    let token = token.non_empty()?;
    Some(if is_live(&token) {
        Cow::Owned(fingerprint(&token))
    } else {
        token
    })
}

/// Classifies Vault's `error` text (DOMAIN-FACTS §A.6).
///
/// Strips the `N error(s) occurred:` multierror wrapper, looks at each `* ` item, and
/// returns the most specific class found: bad credentials, then invalid token, then
/// denied, else other. An empty text is success.
pub fn classify_error(text: &str) -> Outcome {
    let text = text.trim();
    if text.is_empty() {
        return Outcome::Success;
    }
    let body = match text.find("occurred:") {
        Some(at) if text[..at].contains("error") => &text[at + "occurred:".len()..],
        _ => text,
    };
    body.split("* ")
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(classify_item)
        .max_by_key(|o| o.rank())
        .unwrap_or(Outcome::Other)
}

fn classify_item(item: &str) -> Outcome {
    if item.contains("invalid credentials") {
        Outcome::BadCredentials
    } else if item.contains("invalid token") || item.contains("missing client token") {
        Outcome::InvalidToken
    } else if item.contains("permission denied") {
        Outcome::Denied
    } else {
        Outcome::Other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_texts_are_classified_as_documented() {
        let cases = [
            ("permission denied", Outcome::Denied),
            (
                "1 error occurred:\n\t* permission denied\n\n",
                Outcome::Denied,
            ),
            ("1 error occurred:\n\n* permission denied", Outcome::Denied),
            (
                "2 errors occurred:\n\t* permission denied\n\t* invalid token\n\n",
                Outcome::InvalidToken,
            ),
            ("invalid credentials", Outcome::BadCredentials),
            ("missing client token", Outcome::InvalidToken),
            ("unsupported path", Outcome::Other),
            ("invalid request", Outcome::Other),
            ("", Outcome::Success),
        ];
        for (text, want) in cases {
            assert_eq!(classify_error(text), want, "{text:?}");
        }
    }
}
