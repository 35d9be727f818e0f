//! What a caller asks vault-config for: the app, its auth method, its secrets,
//! its environments, and per-method options. Defaults match the old tool.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::policy::{Capability, Flavour};

/// Generate the Vault/OpenBao access configuration for one application.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Request {
    /// Application name: letters, digits, '.', '_', '-'; starts with a letter or digit.
    pub app_name: String,
    /// How the app logs in: approle, kubernetes, oidc, or jwt (CI).
    pub auth_method: AuthMethod,
    /// Secret types the app needs: db-creds, db-admin, api-key, tls-cert, encryption, ssh-cert, config.
    pub secrets: Vec<SecretType>,
    /// Environments; one policy and one role per environment, none reaching another's paths.
    #[serde(default = "default_environments")]
    #[schemars(length(min = 1))]
    pub environments: Vec<String>,
    /// Server flavour, vault or openbao; decides the capabilities accepted and the CLI shown.
    #[serde(default)]
    pub flavour: Flavour,
    /// Also grant `metadata/` on KV v2 secrets: read versions and list the app's keys.
    #[serde(default)]
    pub kv_list: bool,
    /// Further paths with explicit capabilities, added to every environment's policy.
    #[serde(default)]
    pub extra_paths: Vec<ExtraPath>,
    /// Secrets-engine mount paths, when not the defaults.
    #[serde(default)]
    pub mounts: Mounts,
    /// Auth method mount path; defaults to the method's name (`approle`, `kubernetes`, `oidc`, `jwt`).
    pub auth_mount: Option<String>,
    /// Kubernetes namespace of the service account (kubernetes; default `default`).
    pub kubernetes_namespace: Option<String>,
    /// Kubernetes service account (kubernetes; default the app name).
    pub service_account: Option<String>,
    /// Kubernetes: the audience the service-account token must carry.
    pub kubernetes_audience: Option<String>,
    /// Token TTL (`<n>s|m|h|d`); default per method: approle/kubernetes 1h, oidc 8h, jwt 15m.
    pub token_ttl: Option<String>,
    /// Token max TTL; default per method: approle/kubernetes 4h, oidc 12h, jwt 1h.
    pub token_max_ttl: Option<String>,
    /// The server's address as workloads reach it (`https://host[:port]`): the CSI
    /// SecretProviderClass and ESO SecretStore of a kubernetes role need it, CI jobs
    /// take it (else they read `VAULT_ADDR` from the CI's secrets or variables).
    pub vault_address: Option<String>,
    /// CIDRs the issued tokens may be used from.
    #[serde(default)]
    pub token_bound_cidrs: Vec<String>,
    /// AppRole options.
    #[serde(default)]
    pub approle: AppRoleOptions,
    /// OIDC options (required for `oidc`).
    pub oidc: Option<OidcOptions>,
    /// JWT options for CI (required for `jwt`).
    pub jwt: Option<JwtOptions>,
}

fn default_environments() -> Vec<String> {
    vec!["production".to_owned()]
}

/// How the app logs in: `approle` (machines: role-id and a response-wrapped
/// secret-id), `kubernetes` (pods: service-account token), `oidc` (people,
/// through an OIDC provider), `jwt` (CI jobs such as GitHub Actions: a signed JWT).
// Variant docs would turn the schema's `enum` into a `oneOf` that the CLI
// cannot offer as plain words, so the words are described here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum AuthMethod {
    Approle,
    Kubernetes,
    Oidc,
    Jwt,
}

impl AuthMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            AuthMethod::Approle => "approle",
            AuthMethod::Kubernetes => "kubernetes",
            AuthMethod::Oidc => "oidc",
            AuthMethod::Jwt => "jwt",
        }
    }
}

/// A secret type: `db-creds` / `db-admin` (dynamic database credentials,
/// read-only / read-write), `api-key` and `config` (KV v2), `tls-cert` (PKI
/// issue), `encryption` (transit encrypt and decrypt), `ssh-cert` (SSH sign).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum SecretType {
    DbCreds,
    DbAdmin,
    ApiKey,
    TlsCert,
    Encryption,
    SshCert,
    Config,
}

impl SecretType {
    pub fn as_str(self) -> &'static str {
        match self {
            SecretType::DbCreds => "db-creds",
            SecretType::DbAdmin => "db-admin",
            SecretType::ApiKey => "api-key",
            SecretType::TlsCert => "tls-cert",
            SecretType::Encryption => "encryption",
            SecretType::SshCert => "ssh-cert",
            SecretType::Config => "config",
        }
    }
}

/// A path granted as given, with explicit capabilities.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExtraPath {
    /// A literal path (no `*`, `+` or templating); end it with `/` for a listing prefix.
    /// `sys/`, `auth/` and `identity/` are refused: grants there can escalate.
    pub path: String,
    /// Capabilities; `sudo` is refused, the flavour decides `scan`/`subscribe`.
    #[schemars(length(min = 1))]
    pub capabilities: Vec<Capability>,
}

/// Secrets-engine mounts.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Mounts {
    pub kv: String,
    pub database: String,
    pub pki: String,
    pub transit: String,
    pub ssh: String,
}

impl Default for Mounts {
    fn default() -> Self {
        Self {
            kv: "secret".into(),
            database: "database".into(),
            pki: "pki".into(),
            transit: "transit".into(),
            ssh: "ssh".into(),
        }
    }
}

/// AppRole role options; TTLs as `<n>s|m|h|d`.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct AppRoleOptions {
    /// How long a secret-id stays valid; `0` (never expires) is refused.
    pub secret_id_ttl: String,
    /// 0 means unlimited (warned about).
    pub secret_id_num_uses: u32,
    /// CIDRs allowed to use a secret-id.
    pub secret_id_bound_cidrs: Vec<String>,
    /// TTL of the response-wrapping token that delivers the secret-id.
    pub wrap_ttl: String,
}

impl Default for AppRoleOptions {
    fn default() -> Self {
        Self {
            secret_id_ttl: "10m".into(),
            secret_id_num_uses: 1,
            secret_id_bound_cidrs: Vec::new(),
            wrap_ttl: "5m".into(),
        }
    }
}

/// OIDC role options.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OidcOptions {
    /// The OIDC client id: an ID token's `aud` is the client id, so this is `bound_audiences`.
    pub client_id: String,
    /// Redirect URIs registered with the provider (`https://…`, or `http://localhost…`).
    #[schemars(length(min = 1))]
    pub redirect_uris: Vec<String>,
    /// Claim naming the user (default `email`).
    #[serde(default = "default_oidc_user_claim")]
    pub user_claim: String,
}

fn default_oidc_user_claim() -> String {
    "email".into()
}

/// JWT role options for CI: GitHub Actions, GitLab CI, HCP Terraform
/// (Terraform Cloud), or any other OIDC issuer (`generic`).
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct JwtOptions {
    /// Who issues the tokens: github (default), gitlab, terraform (HCP Terraform /
    /// Terraform Cloud), or generic (bound_subject / bound_claims as given).
    #[serde(default)]
    pub provider: CiProvider,
    /// The `aud` the CI token carries (GitHub: the audience the workflow asks for;
    /// GitLab: the `id_tokens` aud; HCP Terraform: TFC_VAULT_WORKLOAD_IDENTITY_AUDIENCE,
    /// `vault.workload.identity` by default).
    pub audience: String,
    /// The token issuer (`https://…`); default per provider
    /// (`https://token.actions.githubusercontent.com`, `https://gitlab.com`,
    /// `https://app.terraform.io`); required for generic and self-managed GitLab.
    pub issuer: Option<String>,
    /// github: `owner/repo` the token must come from (claim `repository`).
    pub repository: Option<String>,
    /// github: the git ref (claim `ref`, e.g. `refs/heads/main`); gitlab: the branch
    /// or tag name (claim `ref`, e.g. `main`).
    #[serde(rename = "ref")]
    pub git_ref: Option<String>,
    /// gitlab: the project's full path, `group/subgroup/project` (claim `project_path`).
    pub project_path: Option<String>,
    /// gitlab: `branch` or `tag` (claim `ref_type`).
    pub ref_type: Option<GitlabRefType>,
    /// gitlab: only protected branches and tags (claim `ref_protected`); default true.
    pub ref_protected: Option<bool>,
    /// terraform: the organization name.
    pub organization: Option<String>,
    /// terraform: the project name (HCP Terraform's first one is `Default Project`).
    pub project: Option<String>,
    /// terraform: the workspace name.
    pub workspace: Option<String>,
    /// terraform: `plan` or `apply`; without it both phases log in (`run_phase:*`).
    pub run_phase: Option<TerraformRunPhase>,
    /// generic: the exact `sub` the token must carry.
    pub bound_subject: Option<String>,
    /// generic: claim name to accepted values, matched as globs (`*` anywhere);
    /// a value that is only `*` binds nothing and is refused.
    #[serde(default)]
    pub bound_claims: BTreeMap<String, Vec<String>>,
    /// Claims copied into the token's metadata (claim name to metadata key), any provider.
    #[serde(default)]
    pub claim_mappings: BTreeMap<String, String>,
    /// Claim naming the caller; default per provider: `repository`, `project_path`,
    /// `terraform_full_workspace`, `sub`.
    pub user_claim: Option<String>,
}

/// Who issues the CI tokens.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum CiProvider {
    #[default]
    Github,
    Gitlab,
    Terraform,
    Generic,
}

impl CiProvider {
    pub fn as_str(self) -> &'static str {
        match self {
            CiProvider::Github => "github",
            CiProvider::Gitlab => "gitlab",
            CiProvider::Terraform => "terraform",
            CiProvider::Generic => "generic",
        }
    }
}

/// GitLab's `ref_type` claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum GitlabRefType {
    Branch,
    Tag,
}

/// HCP Terraform's `terraform_run_phase` claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum TerraformRunPhase {
    Plan,
    Apply,
}
