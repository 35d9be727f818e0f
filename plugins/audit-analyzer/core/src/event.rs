//! The normalized event every format is turned into: who did what to which resource,
//! from where, when, and how it ended. Fields borrow from the record's bytes wherever
//! the JSON text needs no unescaping, so the hot path does not allocate per field.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

/// The log format an input was recognised as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    /// Vault / OpenBao file (or syslog/socket) audit device, `format=json`.
    Vault,
    /// AWS CloudTrail events, in any of their container shapes.
    CloudTrail,
    /// GCP Cloud Audit Logs `LogEntry` with an `AuditLog` `protoPayload`.
    GcpAudit,
    /// Azure Key Vault / Managed HSM `AuditEvent` records.
    AzureKeyVault,
    /// The flat form the old Python analyzer read (`timestamp`, top-level
    /// `remote_address`, `status_code`).
    Generic,
}

impl Format {
    /// A short human name.
    pub fn label(self) -> &'static str {
        match self {
            Format::Vault => "Vault/OpenBao audit log (JSON)",
            Format::CloudTrail => "AWS CloudTrail",
            Format::GcpAudit => "GCP Cloud Audit Logs",
            Format::AzureKeyVault => "Azure Key Vault AuditEvent",
            Format::Generic => "generic JSON audit log",
        }
    }
}

/// Which side of a Vault request/response pair an event came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Phase {
    /// A Vault `type: request` entry: waits for its response.
    Request,
    /// A Vault `type: response` entry.
    Response,
    /// A complete access on its own (cloud formats, or a Vault entry without a
    /// `request.id`).
    Single,
}

/// How an access ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// No error.
    Success,
    /// Authorization refused (Vault `permission denied`, AWS `AccessDenied*`,
    /// GCP `PERMISSION_DENIED`, Azure 403).
    Denied,
    /// The caller's token or credential was not valid for the call (Vault
    /// `invalid token`, `missing client token`; GCP `UNAUTHENTICATED`; Azure 401).
    InvalidToken,
    /// A login with wrong credentials (Vault `invalid credentials`, …).
    BadCredentials,
    /// Any other error (backend failures, unsupported paths, not found, …).
    Other,
}

impl Outcome {
    /// Every outcome, in a fixed order used for per-outcome counters.
    pub const ALL: [Outcome; 5] = [
        Outcome::Success,
        Outcome::Denied,
        Outcome::InvalidToken,
        Outcome::BadCredentials,
        Outcome::Other,
    ];

    /// Position in [`Outcome::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }

    /// True for every outcome except success.
    pub fn is_failure(self) -> bool {
        self != Outcome::Success
    }

    /// The outcome of one access logged twice (a Vault request and its response):
    /// the more specific failure of the two.
    pub fn worse(self, other: Outcome) -> Outcome {
        if other.rank() > self.rank() {
            other
        } else {
            self
        }
    }

    /// When two entries of one access disagree, the more specific failure wins.
    pub(crate) fn rank(self) -> u8 {
        match self {
            Outcome::Success => 0,
            Outcome::Other => 1,
            Outcome::Denied => 2,
            Outcome::InvalidToken => 3,
            Outcome::BadCredentials => 4,
        }
    }
}

/// What an identity string is, from most to least trustworthy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum IdentityKind {
    /// Vault `entity_id`.
    Entity,
    /// Vault token accessor (HMAC'd but stable under one audit device).
    Accessor,
    /// HMAC of the Vault client token.
    Token,
    /// Vault `display_name`: a free label, only when nothing better exists.
    DisplayName,
    /// A cloud principal (AWS ARN, GCP principal email, Azure object id).
    Principal,
    /// A cloud service that made the call on a principal's behalf (CloudTrail
    /// `invokedBy`, or a service DNS name as the source address): the access is the
    /// service's, never the principal's own.
    Service,
    /// No identity at all (unauthenticated call, denial before authentication).
    Anonymous,
}

/// Whether a person or a machine stands behind an identity, by how it logged in.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum IdentityClass {
    /// A person: Vault userpass, LDAP, OIDC; AWS IAM users, the root user, SSO
    /// (IAM Identity Center) roles; GCP user accounts; Azure users (a UPN, or a
    /// Microsoft public client such as Azure CLI acting for one).
    Human,
    /// A workload: Vault AppRole, Kubernetes, JWT (CI), TLS certificates, cloud auth;
    /// AWS assumed roles and services; GCP service accounts; Azure applications and
    /// managed identities.
    Machine,
    /// Nothing says which (a Vault token made by `auth/token/create`, a bare id).
    #[default]
    Unknown,
}

/// How an identity logged in, as far as one record tells.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Login<'a> {
    /// Person or machine.
    pub class: IdentityClass,
    /// The method: a Vault auth `mount_type` (`userpass`, `approle`, …) or what its
    /// token metadata shows, or the cloud's kind of principal (`aws-iam-user`,
    /// `aws-sso`, `aws-assumed-role`, `gcp-user`, `gcp-service-account`,
    /// `azure-user`, `azure-app`).
    pub method: Cow<'a, str>,
    /// Where identities like it come from, so they can be compared as peers: a Vault
    /// auth mount (`auth/userpass/`), an AWS account or the role whose sessions
    /// they are, a GCP domain or project, an Azure tenant.
    pub mount: Option<Cow<'a, str>>,
}

impl Login<'_> {
    fn into_owned(self) -> Login<'static> {
        Login {
            class: self.class,
            method: Cow::Owned(self.method.into_owned()),
            mount: own(self.mount),
        }
    }
}

/// Who made a call.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Identity<'a> {
    /// What `id` is.
    pub kind: IdentityKind,
    /// The identifier; empty for [`IdentityKind::Anonymous`].
    pub id: Cow<'a, str>,
}

impl<'a> Identity<'a> {
    /// The identity used when a record names nobody.
    pub fn anonymous() -> Self {
        Identity {
            kind: IdentityKind::Anonymous,
            id: Cow::Borrowed(""),
        }
    }

    /// The key analyses group by: the id, or `(anonymous)`.
    pub fn key(&self) -> &str {
        if self.kind == IdentityKind::Anonymous {
            "(anonymous)"
        } else {
            &self.id
        }
    }

    fn into_owned(self) -> Identity<'static> {
        Identity {
            kind: self.kind,
            id: Cow::Owned(self.id.into_owned()),
        }
    }
}

/// A token created by the call (Vault `response.auth`): logins and token creation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewToken<'a> {
    /// `response.auth.token_ttl`, seconds.
    pub ttl_seconds: Option<i64>,
    /// `response.auth.entity_id`, when the token belongs to an entity.
    pub entity_id: Option<Cow<'a, str>>,
    /// `response.auth.display_name`.
    pub display_name: Option<Cow<'a, str>>,
    /// `response.auth.token_type` (`service`, `batch`, …).
    pub token_type: Option<Cow<'a, str>>,
    /// The new token carries the `root` policy.
    pub root: bool,
    /// `response.auth.num_uses` (0 = unlimited).
    pub num_uses: Option<i64>,
}

/// The Vault-specific facts detectors need.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct VaultDetails<'a> {
    /// `request.mount_type` (`kv`, `system`, `token`, …).
    pub mount_type: Option<Cow<'a, str>>,
    /// `request.mount_point`.
    pub mount_point: Option<Cow<'a, str>>,
    /// The calling token carries the `root` policy (`auth.policies`).
    pub root_token: bool,
    /// `auth.token_ttl` of the calling token, seconds.
    pub token_ttl_seconds: Option<i64>,
    /// `auth.token_type` of the calling token.
    pub token_type: Option<Cow<'a, str>>,
    /// The token created by this call, if any (`response.auth`).
    pub new_token: Option<NewToken<'a>>,
    /// The call creates an orphan token (`auth/token/create-orphan`, or
    /// `auth/token/create*` with `no_parent: true` in the request data).
    pub orphan: bool,
    /// A `client_token` that is not an `hmac-sha256:` value: the device runs with
    /// `log_raw=true` and the log itself holds live secrets.
    pub raw_token: bool,
}

/// The raw credential identifiers a record carries, whichever of them became the
/// [`Identity`]: a leaked credential is matched on these (a Vault token with an entity
/// has the entity as identity, yet its accessor must still find it).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Credentials<'a> {
    /// Vault `auth.accessor`, else `request.client_token_accessor` (an HMAC unless the
    /// device sets `hmac_accessor=false`).
    pub accessor: Option<Cow<'a, str>>,
    /// Vault `auth.client_token`, else `request.client_token` (an HMAC unless
    /// `log_raw`); a denial by a revoked token has only the latter.
    pub client_token: Option<Cow<'a, str>>,
    /// AWS `userIdentity.accessKeyId` (`AKIA…` long-term, `ASIA…` temporary).
    pub access_key_id: Option<Cow<'a, str>>,
    /// Azure `identity.claim.appid`: the application, when the object id is the identity.
    pub app_id: Option<Cow<'a, str>>,
}

impl Credentials<'_> {
    fn into_owned(self) -> Credentials<'static> {
        Credentials {
            accessor: own(self.accessor),
            client_token: own(self.client_token),
            access_key_id: own(self.access_key_id),
            app_id: own(self.app_id),
        }
    }
}

/// One access, normalized across formats.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event<'a> {
    /// The format the record was read as.
    pub format: Format,
    /// Pairing role (Vault request/response, or a complete single record).
    pub phase: Phase,
    /// 1-based line where the record starts.
    pub line: u64,
    /// Time in milliseconds since the Unix epoch (UTC); `None` when missing or invalid.
    pub time_ms: Option<i64>,
    /// Who made the call.
    pub identity: Identity<'a>,
    /// The credential identifiers behind the identity, for matching a leaked one.
    pub credentials: Credentials<'a>,
    /// A human label for reports (Vault `display_name`, AWS user name, UPN…).
    pub display_name: Option<Cow<'a, str>>,
    /// What was done: Vault `request.operation`, AWS `eventName`, GCP `methodName`,
    /// Azure `operationName`.
    pub operation: Cow<'a, str>,
    /// What it was done to: Vault `request.path`, AWS `secretId` (or the secret a
    /// call names otherwise), GCP `resourceName`, Azure object id / request URI;
    /// empty when the call names no resource (a list, a filter, a trail change).
    pub resource: Cow<'a, str>,
    /// Caller address, from where each format really keeps it (Vault
    /// `request.remote_address`, AWS `sourceIPAddress`, GCP `requestMetadata.callerIp`,
    /// Azure `callerIpAddress`).
    pub source_address: Option<Cow<'a, str>>,
    /// How the call ended.
    pub outcome: Outcome,
    /// The error text as logged, when there was one.
    pub error: Option<Cow<'a, str>>,
    /// Request id to look the access up (Vault `request.id`, AWS `requestID`, GCP
    /// `insertId`, Azure `correlationId`).
    pub request_id: Option<Cow<'a, str>>,
    /// Service the record belongs to (AWS `eventSource`, GCP `serviceName`, Azure
    /// `category`).
    pub service: Option<Cow<'a, str>>,
    /// GCP `logName` (`projects/<p>/logs/cloudaudit.googleapis.com%2Factivity`): which
    /// audit log of which project the entry is in, so the analysis can tell that a
    /// project's Data Access log is off; `None` for other formats.
    pub log_name: Option<Cow<'a, str>>,
    /// Vault specifics; `None` for other formats.
    pub vault: Option<VaultDetails<'a>>,
    /// Further resources the call names after `resource` (the rest of a CloudTrail
    /// `BatchGetSecretValue`'s `secretIdList`): each is a path of its own.
    #[serde(default)]
    pub more_resources: Vec<Cow<'a, str>>,
    /// The principal a service acted for, when `identity` is that service.
    #[serde(default)]
    pub on_behalf_of: Option<Cow<'a, str>>,
    /// Security signals the format's parser recognised (cloud root use, control-plane
    /// changes); Vault's are derived from the path while counting.
    #[serde(default)]
    pub signals: Vec<crate::signal::Signal>,
    /// The record has a time that could not be read (the reader reports it as a
    /// problem on the record's line; the access still counts, untimed).
    #[serde(default)]
    pub bad_time: bool,
    /// How the identity logged in, when the record shows it.
    #[serde(default)]
    pub login: Option<Login<'a>>,
    /// Another key the record gives the same identity (an Azure UPN beside the object
    /// id): the analysis counts accesses keyed by either as one identity's.
    #[serde(default)]
    pub alias: Option<Cow<'a, str>>,
}

fn own(c: Option<Cow<'_, str>>) -> Option<Cow<'static, str>> {
    c.map(|c| Cow::Owned(c.into_owned()))
}

impl Event<'_> {
    /// Copies every borrowed field, so the event can outlive the input chunk.
    pub fn into_owned(self) -> Event<'static> {
        Event {
            format: self.format,
            phase: self.phase,
            line: self.line,
            time_ms: self.time_ms,
            identity: self.identity.into_owned(),
            credentials: self.credentials.into_owned(),
            display_name: own(self.display_name),
            operation: Cow::Owned(self.operation.into_owned()),
            resource: Cow::Owned(self.resource.into_owned()),
            source_address: own(self.source_address),
            outcome: self.outcome,
            error: own(self.error),
            request_id: own(self.request_id),
            service: own(self.service),
            log_name: own(self.log_name),
            vault: self.vault.map(|v| VaultDetails {
                mount_type: own(v.mount_type),
                mount_point: own(v.mount_point),
                root_token: v.root_token,
                token_ttl_seconds: v.token_ttl_seconds,
                token_type: own(v.token_type),
                new_token: v.new_token.map(|t| NewToken {
                    ttl_seconds: t.ttl_seconds,
                    entity_id: own(t.entity_id),
                    display_name: own(t.display_name),
                    token_type: own(t.token_type),
                    root: t.root,
                    num_uses: t.num_uses,
                }),
                orphan: v.orphan,
                raw_token: v.raw_token,
            }),
            more_resources: self
                .more_resources
                .into_iter()
                .map(|r| Cow::Owned(r.into_owned()))
                .collect(),
            on_behalf_of: own(self.on_behalf_of),
            signals: self.signals,
            bad_time: self.bad_time,
            login: self.login.map(Login::into_owned),
            alias: own(self.alias),
        }
    }
}

impl<'a> Event<'a> {
    /// Every resource the call names: `resource` (unless empty) and `more_resources`.
    pub fn resources(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.resource.as_ref())
            .filter(|r| !r.is_empty())
            .chain(self.more_resources.iter().map(AsRef::as_ref))
    }
}
