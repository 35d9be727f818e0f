//! What a caller asks for: an app, its environments (each a vault in one
//! subscription, resource group and tenant) and its secrets, and optionally
//! how workloads reach them (AKS, GitHub Actions), expiry and rotation.

use std::collections::BTreeMap;

use provider_glue::eso::{self, StoreKind};
use schemars::JsonSchema;
use serde::Deserialize;

/// Least-privilege Azure Key Vault access for one app.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Request {
    /// The app: a lowercase DNS label (`payment`). Each environment's managed
    /// identity is `<app>-<environment>-secrets`.
    pub app: String,
    /// The environments, each with its own vault and identity, so one
    /// environment's identity never reads another's secrets.
    pub environments: Vec<Environment>,
    /// The app's secrets by their name in each environment's vault
    /// (`db-creds`): 1–127 letters, digits and '-'. Key Vault compares
    /// names without case, so two names that differ only in case are refused.
    pub secrets: Vec<String>,
    /// The Azure cloud: `public` (default), `us-government` or `china`.
    #[serde(default)]
    pub cloud: Cloud,
    /// Pods in AKS (or any cluster with an OIDC issuer and the Azure
    /// Workload Identity webhook) that read the secrets, and the External
    /// Secrets Operator store that syncs them.
    #[serde(default)]
    pub kubernetes: Option<Kubernetes>,
    /// A GitLab.com project and ref whose CI jobs read the secrets by OIDC
    /// (a federated credential with the subject
    /// `project_path:<project>:ref_type:<branch|tag>:ref:<name>`).
    #[serde(default)]
    pub gitlab: Option<provider_glue::gitlab::ProjectRef>,
    /// A GitHub Actions repository whose workflows read the secrets by OIDC.
    #[serde(default)]
    pub github: Option<Github>,
    /// Expiry of the secrets and the Event Grid trigger that drives a rotation
    /// function. Key Vault does not rotate secrets by itself.
    #[serde(default)]
    pub rotation: Option<Rotation>,
}

/// One environment: where its vault is.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Environment {
    /// The environment (`staging`, `production`): a lowercase DNS label.
    pub name: String,
    /// The subscription of the vault and the identity: a lowercase GUID.
    pub subscription_id: String,
    /// The Microsoft Entra tenant of the subscription: a lowercase GUID.
    pub tenant_id: String,
    /// The resource group of the vault.
    pub resource_group: String,
    /// The vault's name (3–24 letters, digits and '-').
    pub vault: String,
    /// The region of the managed identity (`westeurope`), as `az account
    /// list-locations` names it.
    pub location: String,
    /// The resource group for the managed identity; default: the vault's.
    #[serde(default)]
    pub identity_resource_group: Option<String>,
    /// Whether the vault uses Azure RBAC (`properties.enableRbacAuthorization`,
    /// `az keyvault show`). Role assignments grant nothing on a vault that
    /// uses access policies; unknown (left out) is warned about.
    #[serde(default)]
    pub rbac_authorization: Option<bool>,
    /// The managed identity's ids once it exists (`az identity show`): the
    /// role assignments, the ServiceAccount and the workflow need them.
    /// Without them the commands create the identity and stop there.
    #[serde(default)]
    pub identity: Option<IdentityIds>,
    /// This environment's cluster OIDC issuer, when it differs from
    /// `kubernetes.oidc_issuer` (one cluster per environment).
    #[serde(default)]
    pub oidc_issuer: Option<String>,
}

/// A managed identity's ids, as `az identity show` prints them.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IdentityIds {
    /// `clientId`: what workloads log in as (a lowercase GUID).
    pub client_id: String,
    /// `principalId`: the object id that role assignments name (a lowercase GUID).
    pub principal_id: String,
}

/// An Azure cloud.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Cloud {
    #[default]
    Public,
    UsGovernment,
    China,
}

impl Cloud {
    /// The DNS suffix of vault URLs.
    pub fn vault_suffix(self) -> &'static str {
        match self {
            Cloud::Public => "vault.azure.net",
            Cloud::UsGovernment => "vault.usgovcloudapi.net",
            Cloud::China => "vault.azure.cn",
        }
    }

    /// ESO's `environmentType`.
    pub fn eso_environment(self) -> &'static str {
        match self {
            Cloud::Public => "PublicCloud",
            Cloud::UsGovernment => "USGovernmentCloud",
            Cloud::China => "ChinaCloud",
        }
    }

    /// The cloud's name for `az cloud set --name` (`az cloud list`).
    pub fn cli_name(self) -> &'static str {
        match self {
            Cloud::Public => "AzureCloud",
            Cloud::UsGovernment => "AzureUSGovernment",
            Cloud::China => "AzureChinaCloud",
        }
    }

    /// The `environment` input of `azure/login`.
    pub fn login_environment(self) -> &'static str {
        match self {
            Cloud::Public => "azurecloud",
            Cloud::UsGovernment => "azureusgovernment",
            Cloud::China => "azurechinacloud",
        }
    }
}

/// Pods that read the secrets, and the ESO store.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Kubernetes {
    /// The cluster's OIDC issuer URL, exactly as the cluster's tokens carry
    /// it (`az aks show --query oidcIssuerProfile.issuerUrl`, trailing '/'
    /// included). An environment's own `oidc_issuer` overrides it.
    #[serde(default)]
    pub oidc_issuer: Option<String>,
    /// Where the app's pods, its ServiceAccount and the ESO objects live;
    /// default: the app's name.
    #[serde(default)]
    pub namespace: Option<String>,
    /// The ServiceAccount each environment's identity trusts, annotated with
    /// its client id; default: `<app>-<environment>`.
    #[serde(default)]
    pub service_account: Option<String>,
    /// The ESO store: `SecretStore` (default) or `ClusterSecretStore`, whose
    /// `serviceAccountRef` then names the namespace too.
    #[serde(default)]
    pub store_kind: StoreKind,
    /// ESO's `refreshInterval` (`1h` by default, `15m`, `1h30m`).
    #[serde(default = "eso::default_refresh_interval")]
    pub refresh_interval: String,
}

/// A GitHub repository whose workflows may log in as the identities.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Github {
    /// The repository, `owner/name`, whose workflow logs in.
    pub repository: String,
    /// The ref the workflow runs on: `refs/heads/<branch>` or `refs/tags/<tag>`.
    /// Without `use_environments` the federated credential's subject is
    /// `repo:<owner>/<name>:ref:<ref>`.
    #[serde(rename = "ref")]
    pub git_ref: String,
    /// Run each environment's job in the GitHub deployment environment of the
    /// same name; the subject is then `repo:<owner>/<name>:environment:<env>`
    /// and the environment's protection rules gate the job.
    #[serde(default)]
    pub use_environments: bool,
}

/// Expiry and rotation of every secret of every environment.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Rotation {
    /// When the current versions expire, UTC: `2027-03-01T00:00:00Z`.
    /// `Microsoft.KeyVault.SecretNearExpiry` fires 30 days before.
    pub expires: String,
    /// Not before, UTC, earlier than `expires`.
    #[serde(default)]
    pub not_before: Option<String>,
    /// How long each new version is valid, in days (31–3650): the period the
    /// rotation function gives the versions it sets, read from the
    /// `ValidityPeriodDays` tag as Azure's rotation samples do.
    pub validity_period_days: u32,
    /// The rotation function, by resource id:
    /// `/subscriptions/<id>/resourceGroups/<group>/providers/Microsoft.Web/sites/<app>/functions/<name>`.
    /// Without it only expiry is set, and nothing rotates.
    #[serde(default)]
    pub function_id: Option<String>,
    /// The rotation function's identity (its principal id, a lowercase GUID):
    /// it gets "Key Vault Secrets Officer" on each secret, to set new versions.
    #[serde(default)]
    pub function_principal_id: Option<String>,
    /// Per secret, the other tags its rotation function reads (Azure's
    /// samples read `CredentialId` and `ProviderAddress`):
    /// `{"db-creds": {"CredentialId": "sqlAdmin"}}`. `set-attributes --tags`
    /// replaces a secret's tags with these and `ValidityPeriodDays`.
    #[serde(default)]
    pub tags: BTreeMap<String, BTreeMap<String, String>>,
}
