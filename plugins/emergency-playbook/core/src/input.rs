//! The incident as described by the responder, and the checks every value
//! passes before it may appear in a command.

use schemars::JsonSchema;
use serde::Deserialize;

use crate::blast::Credential;
use crate::error::InputError;
use crate::ids::{aws_access_key_id, aws_user, gcp_service_account, id, uuid, vault_path};

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum IncidentKind {
    /// A credential leaked; say which in `secret_kind`.
    LeakedSecret,
    /// A CI runner that held credentials is compromised.
    CompromisedCiRunner,
    /// The Vault/OpenBao cluster itself may be compromised: seal it.
    SealEmergency,
    /// A sealed cluster must be brought back (Shamir quorum or auto-unseal).
    UnsealRecovery,
    /// Many credentials at once: by accessor, auth mount or lease prefix.
    MassRevocation,
}

/// Which credential leaked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum SecretKind {
    DatabasePassword,
    ApiKey,
    VaultToken,
    ApproleSecretId,
    AwsAccessKey,
    GcpServiceAccountKey,
    AzureClientSecret,
    TlsPrivateKey,
    SshKey,
}

impl SecretKind {
    pub fn label(self) -> &'static str {
        match self {
            Self::DatabasePassword => "database password",
            Self::ApiKey => "API key",
            Self::VaultToken => "Vault/OpenBao token",
            Self::ApproleSecretId => "AppRole secret-id",
            Self::AwsAccessKey => "AWS access key",
            Self::GcpServiceAccountKey => "GCP service-account key",
            Self::AzureClientSecret => "Azure client secret",
            Self::TlsPrivateKey => "TLS private key",
            Self::SshKey => "SSH key",
        }
    }
}

/// Where the credential was exposed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Exposure {
    /// Public repository, paste site, public log.
    Public,
    /// Shared channel, internal wiki, wrong team.
    Internal,
    /// Only non-production systems or people saw it.
    NonProduction,
}

/// What the credential (or the cluster) reaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Reach {
    Production,
    NonProduction,
    /// Already expired, or of very limited scope.
    Limited,
}

/// Whether the cluster unseals with key shares or a KMS/HSM.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum UnsealMode {
    Shamir,
    AutoUnseal,
}

/// The Vault/OpenBao CLI to write commands for; both take the same arguments.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Cli {
    #[default]
    Vault,
    Bao,
}

impl Cli {
    pub fn program(self) -> &'static str {
        match self {
            Self::Vault => "vault",
            Self::Bao => "bao",
        }
    }
}

/// Everything the playbook is built from. Values left out leave the
/// corresponding step in prose, with placeholders never guessed.
// `L` names an audit log file: the plugin uses the skill's `InputPath`, so the host
// grants exactly those files; this crate never opens them.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, bound(deserialize = "L: Deserialize<'de>"))]
pub struct Incident<L = String> {
    pub incident: IncidentKind,
    /// When the incident was detected, RFC 3339 (e.g. 2026-06-01T09:30:00Z); every deadline counts from it.
    pub detected_at: String,
    /// Start of the exposure window, RFC 3339; defaults to unknown (the blast radius
    /// then counts from the start of the logs).
    pub exposed_since: Option<String>,
    /// End of the exposure window for the blast radius, RFC 3339 (the revocation
    /// time, once known); defaults to `detected_at`.
    pub exposed_until: Option<String>,
    /// Audit logs to compute the blast radius from: Vault/OpenBao file device,
    /// CloudTrail, GCP Cloud Audit Logs or Azure Key Vault, gzip or not, in any order.
    #[serde(default)]
    pub audit_logs: Vec<L>,
    /// The leaked credential as the audit logs record it, needed with `audit_logs`:
    /// `vault_accessor_hmac` or `vault_token_hmac` (`hmac-sha256:…`, from
    /// `sys/audit-hash/<device>`), `vault_entity_id`, `aws_access_key_id`,
    /// `gcp_principal`, `azure_object_id`, `azure_app_id`; an access matching any is
    /// the credential's.
    pub credential: Option<Credential>,
    /// For `leaked-secret`: which credential.
    pub secret_kind: Option<SecretKind>,
    /// Where it leaked; the worst case (public) when not given.
    pub exposure: Option<Exposure>,
    /// What it reaches; the worst case (production) when not given.
    pub reach: Option<Reach>,
    #[serde(default)]
    pub cli: Cli,
    /// Vault/OpenBao token accessors to revoke.
    #[serde(default)]
    pub token_accessors: Vec<String>,
    /// Lease prefixes to revoke (e.g. `database/creds/app`).
    #[serde(default)]
    pub lease_prefixes: Vec<String>,
    /// Auth mounts whose every token is revoked (e.g. `jwt`, `approle`).
    #[serde(default)]
    pub auth_mounts: Vec<String>,
    /// Audit device path for `sys/audit-hash` (e.g. `file`).
    pub audit_device: Option<String>,
    /// KV v2 mount holding the leaked static secret (e.g. `secret`).
    pub kv_mount: Option<String>,
    /// KV path inside the mount, without `data/` (e.g. `payments/db`).
    pub kv_path: Option<String>,
    /// The field of the KV secret to replace (e.g. `password`).
    pub kv_field: Option<String>,
    /// AppRole mount (default `approle`) and role of the leaked secret-id.
    pub approle_mount: Option<String>,
    pub approle_role: Option<String>,
    /// Accessor of the leaked AppRole secret-id.
    pub secret_id_accessor: Option<String>,
    /// AWS: the leaked access key id and the IAM user it belongs to.
    pub aws_access_key_id: Option<String>,
    pub aws_user: Option<String>,
    /// GCP: the service account (email) and the leaked key id.
    pub gcp_service_account: Option<String>,
    pub gcp_key_id: Option<String>,
    /// Azure: application (client) id and the leaked credential's key id.
    pub azure_app_id: Option<String>,
    pub azure_key_id: Option<String>,
    /// PKI mount and serial number of the certificate whose key leaked.
    pub pki_mount: Option<String>,
    pub certificate_serial: Option<String>,
    /// For seal and unseal: whether the cluster runs in HA mode.
    #[serde(default)]
    pub ha: bool,
    /// For unseal: Shamir key shares or auto-unseal.
    pub unseal_mode: Option<UnsealMode>,
    /// For unseal with Shamir: how many key holders must take part.
    pub unseal_threshold: Option<u8>,
}

impl<L> Incident<L> {
    /// Validates every value that can reach a command line.
    pub fn validate(&self) -> Result<(), InputError> {
        for (i, a) in self.token_accessors.iter().enumerate() {
            id(&format!("/token_accessors/{i}"), a)?;
        }
        for (i, p) in self.lease_prefixes.iter().enumerate() {
            vault_path(&format!("/lease_prefixes/{i}"), p)?;
        }
        for (i, m) in self.auth_mounts.iter().enumerate() {
            vault_path(&format!("/auth_mounts/{i}"), m)?;
        }
        let paths = [
            ("/audit_device", &self.audit_device),
            ("/kv_mount", &self.kv_mount),
            ("/kv_path", &self.kv_path),
            ("/approle_mount", &self.approle_mount),
            ("/pki_mount", &self.pki_mount),
        ];
        for (pointer, value) in paths {
            if let Some(value) = value {
                vault_path(pointer, value)?;
            }
        }
        if let Some(path) = &self.kv_path
            && (path.starts_with("data/") || path.starts_with("metadata/"))
        {
            // The kv CLI adds `data/` itself; given twice it names another secret.
            return Err(InputError::new(
                "/kv_path",
                "give the path without `data/` (the kv CLI adds it)",
            ));
        }
        let ids = [
            ("/kv_field", &self.kv_field),
            ("/approle_role", &self.approle_role),
            ("/secret_id_accessor", &self.secret_id_accessor),
            ("/gcp_key_id", &self.gcp_key_id),
            ("/certificate_serial", &self.certificate_serial),
        ];
        for (pointer, value) in ids {
            if let Some(value) = value {
                id(pointer, value)?;
            }
        }
        if let Some(v) = &self.aws_access_key_id {
            aws_access_key_id("/aws_access_key_id", v)?;
        }
        if let Some(v) = &self.aws_user {
            aws_user("/aws_user", v)?;
        }
        if let Some(v) = &self.gcp_service_account {
            gcp_service_account("/gcp_service_account", v)?;
        }
        if let Some(v) = &self.azure_app_id {
            uuid("/azure_app_id", v)?;
        }
        if let Some(v) = &self.azure_key_id {
            uuid("/azure_key_id", v)?;
        }
        if self.kv_path.is_some() && (self.kv_mount.is_none() || self.kv_field.is_none()) {
            return Err(InputError::new(
                "/kv_path",
                "a KV path needs `kv_mount` and `kv_field` (the field to replace)",
            ));
        }
        if self.unseal_threshold == Some(0) {
            return Err(InputError::new(
                "/unseal_threshold",
                "the threshold is at least 1",
            ));
        }
        if self.incident == IncidentKind::LeakedSecret && self.secret_kind.is_none() {
            return Err(InputError::new(
                "/secret_kind",
                "a leaked-secret incident needs the kind of secret",
            ));
        }
        Ok(())
    }
}
