//! The request with every name checked against Azure's, Kubernetes' and
//! GitHub's rules, and every derived name and resource id computed once.
//! Nothing else reads the raw request.

use provider_glue::eso::{self, StoreKind};
use provider_glue::list::{check_list, check_list_by};
use provider_glue::{InputError, github, gitlab, k8s};

use crate::names;
use crate::request::{Cloud, Request};
use crate::rotation::{self, Plan};

/// Most environments and secrets a request may name.
const MOST_ENVIRONMENTS: usize = 20;
const MOST_SECRETS: usize = 100;
/// The audience Microsoft Entra expects in exchanged tokens.
pub const AUDIENCE: &str = "api://AzureADTokenExchange";

/// "Key Vault Secrets User": read secret contents (azure-docs
/// `key-vault/general/rbac-guide.md`, "Azure built-in roles for Key Vault
/// data plane operations").
pub const SECRETS_USER: (&str, &str) = (
    "Key Vault Secrets User",
    "4633458b-17de-408a-b874-0445c86b69e6",
);
/// "Key Vault Secrets Officer": any action on secrets but managing
/// permissions; what a rotation function needs to set new versions.
pub const SECRETS_OFFICER: (&str, &str) = (
    "Key Vault Secrets Officer",
    "b86a8fe4-44ce-4948-aee5-eccb2c155cd7",
);

/// A checked request.
pub struct Checked<'a> {
    pub app: &'a str,
    pub cloud: Cloud,
    pub secrets: &'a [String],
    pub kubernetes: Option<Kubernetes<'a>>,
    pub github: Option<Github<'a>>,
    /// The GitLab project and the ref its jobs run on.
    pub gitlab: Option<(&'a str, gitlab::Ref<'a>)>,
    pub rotation: Option<Plan<'a>>,
    pub environments: Vec<Environment<'a>>,
}

/// Checked Kubernetes settings.
pub struct Kubernetes<'a> {
    pub namespace: String,
    pub store_kind: StoreKind,
    pub refresh_interval: &'a str,
}

/// Checked GitHub settings.
pub struct Github<'a> {
    pub repository: &'a str,
    pub git_ref: &'a str,
    pub use_environments: bool,
}

/// One environment, its names and ids.
pub struct Environment<'a> {
    pub name: &'a str,
    pub subscription: &'a str,
    pub tenant: &'a str,
    pub resource_group: &'a str,
    pub vault: &'a str,
    pub location: &'a str,
    pub identity_resource_group: &'a str,
    pub rbac_authorization: Option<bool>,
    /// `(client id, principal id)` of the identity, when it exists.
    pub ids: Option<(&'a str, &'a str)>,
    pub identity_name: String,
    /// The service account the identity trusts (with `kubernetes`).
    pub service_account: Option<String>,
    /// The identity's federated credentials.
    pub credentials: Vec<Credential>,
    /// The Event Grid subscription's name (with a rotation function).
    pub event_subscription: String,
    /// `<app>-<environment>`: the ESO objects and the Kubernetes Secret.
    pub object_name: String,
}

/// A federated identity credential: whose tokens the identity accepts.
pub struct Credential {
    pub name: String,
    pub issuer: String,
    pub subject: String,
}

impl Environment<'_> {
    /// The vault's resource id.
    pub fn vault_id(&self) -> String {
        format!(
            "/subscriptions/{}/resourceGroups/{}/providers/Microsoft.KeyVault/vaults/{}",
            self.subscription, self.resource_group, self.vault
        )
    }

    /// A secret's resource id: the scope of its role assignment. The same
    /// id is what the azurerm provider exports as an `azurerm_key_vault_secret`'s
    /// `resource_versionless_id` (its `NewSecretVersionlessID(…).ID()`).
    pub fn secret_id(&self, secret: &str) -> String {
        format!("{}/secrets/{secret}", self.vault_id())
    }

    /// The managed identity's resource id.
    pub fn identity_id(&self) -> String {
        format!(
            "/subscriptions/{}/resourceGroups/{}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{}",
            self.subscription, self.identity_resource_group, self.identity_name
        )
    }

    /// A built-in role's definition id in this subscription (the scoped id
    /// `azurerm_role_assignment.role_definition_id` takes).
    pub fn role_definition_id(&self, role: &str) -> String {
        format!(
            "/subscriptions/{}/providers/Microsoft.Authorization/roleDefinitions/{role}",
            self.subscription
        )
    }

    /// The vault's URL.
    pub fn vault_url(&self, cloud: Cloud) -> String {
        format!("https://{}.{}/", self.vault, cloud.vault_suffix())
    }
}

/// Checks `request`; the first problem found is the error, naming its field.
pub fn check(request: &Request) -> Result<Checked<'_>, InputError> {
    k8s::check_label("/app", &request.app)?;
    let env_names: Vec<String> = request
        .environments
        .iter()
        .map(|e| e.name.clone())
        .collect();
    check_list("/environments", &env_names, MOST_ENVIRONMENTS)?;
    check_list_by(
        "/secrets",
        &request.secrets,
        MOST_SECRETS,
        str::to_ascii_lowercase,
    )?;
    for (index, secret) in request.secrets.iter().enumerate() {
        names::check_secret(&format!("/secrets/{index}"), secret)?;
    }
    let rotation = match &request.rotation {
        Some(rotation) => Some(rotation::check(rotation, &request.secrets)?),
        None => None,
    };
    let kubernetes = match &request.kubernetes {
        Some(kube) => {
            let namespace = kube
                .namespace
                .clone()
                .unwrap_or_else(|| request.app.clone());
            k8s::check_label("/kubernetes/namespace", &namespace)?;
            if let Some(account) = &kube.service_account {
                k8s::check_subdomain("/kubernetes/service_account", account)?;
            }
            if let Some(issuer) = &kube.oidc_issuer {
                names::check_issuer("/kubernetes/oidc_issuer", issuer)?;
            }
            eso::check_refresh_interval("/kubernetes/refresh_interval", &kube.refresh_interval)?;
            Some(Kubernetes {
                namespace,
                store_kind: kube.store_kind,
                refresh_interval: &kube.refresh_interval,
            })
        }
        None => None,
    };
    let github = match &request.github {
        Some(gh) => {
            github::check_repository("/github/repository", &gh.repository)?;
            github::check_git_ref("/github/ref", &gh.git_ref)?;
            Some(Github {
                repository: &gh.repository,
                git_ref: &gh.git_ref,
                use_environments: gh.use_environments,
            })
        }
        None => None,
    };
    let gitlab = match &request.gitlab {
        Some(gl) => Some((gl.project.as_str(), gl.check("/gitlab")?)),
        None => None,
    };
    let vaults: Vec<String> = request
        .environments
        .iter()
        .map(|e| e.vault.clone())
        .collect();
    let mut environments = Vec::new();
    for (index, env) in request.environments.iter().enumerate() {
        let field = |name: &str| format!("/environments/{index}/{name}");
        k8s::check_label(&field("name"), &env.name)?;
        names::check_guid(
            &field("subscription_id"),
            &env.subscription_id,
            "subscription id",
        )?;
        names::check_guid(&field("tenant_id"), &env.tenant_id, "tenant id")?;
        names::check_resource_group(&field("resource_group"), &env.resource_group)?;
        names::check_vault(&field("vault"), &env.vault)?;
        if vaults[..index]
            .iter()
            .any(|v| v.eq_ignore_ascii_case(&env.vault))
        {
            return Err(InputError::new(
                field("vault"),
                format!(
                    "`{}` is the vault of an earlier environment: give each environment its own \
                     vault, or its identity would read the other's secrets",
                    env.vault
                ),
            ));
        }
        names::check_location(&field("location"), &env.location)?;
        let identity_resource_group = env
            .identity_resource_group
            .as_deref()
            .unwrap_or(&env.resource_group);
        names::check_resource_group(&field("identity_resource_group"), identity_resource_group)?;
        let ids = match &env.identity {
            Some(ids) => {
                names::check_guid(&field("identity/client_id"), &ids.client_id, "client id")?;
                names::check_guid(
                    &field("identity/principal_id"),
                    &ids.principal_id,
                    "principal id",
                )?;
                Some((ids.client_id.as_str(), ids.principal_id.as_str()))
            }
            None => None,
        };
        let base = format!("{}-{}", request.app, env.name);
        let too_long = |what: &str| {
            InputError::new(
                field("name"),
                format!("{what} `{base}-…` would be too long; shorten the app or the environment"),
            )
        };
        let identity_name = format!("{base}-secrets");
        names::check_identity_name(&field("name"), &identity_name)
            .map_err(|_| too_long("the managed identity's name"))?;
        let mut credentials = Vec::new();
        let mut service_account = None;
        if let Some(kube) = &request.kubernetes {
            k8s::check_label(&field("name"), &base)
                .map_err(|_| too_long("the Kubernetes object name"))?;
            let issuer = match (&env.oidc_issuer, &kube.oidc_issuer) {
                (Some(issuer), _) => {
                    names::check_issuer(&field("oidc_issuer"), issuer)?;
                    issuer
                }
                (None, Some(issuer)) => issuer,
                (None, None) => {
                    return Err(InputError::new(
                        "/kubernetes/oidc_issuer",
                        "the federated credential needs the cluster's OIDC issuer (`az aks show \
                         --query oidcIssuerProfile.issuerUrl`), here or per environment",
                    ));
                }
            };
            let account = kube.service_account.clone().unwrap_or_else(|| base.clone());
            let namespace = kubernetes
                .as_ref()
                .map(|k| k.namespace.as_str())
                .unwrap_or_default();
            let name = format!("{base}-aks");
            names::check_federated_credential_name(&field("name"), &name)
                .map_err(|_| too_long("the federated credential's name"))?;
            // AKS: the cluster's issuer and the service account's subject,
            // `system:serviceaccount:<namespace>:<name>` (Azure Workload
            // Identity's quick start; azure-docs `aks/workload-identity-deploy-cluster.md`).
            credentials.push(Credential {
                name,
                issuer: issuer.clone(),
                subject: format!("system:serviceaccount:{namespace}:{account}"),
            });
            service_account = Some(account);
        } else if env.oidc_issuer.is_some() {
            return Err(InputError::new(
                field("oidc_issuer"),
                "an OIDC issuer is for `kubernetes`; give `kubernetes` too or leave it out",
            ));
        }
        // GitHub's OIDC reference documents the subjects a job's token
        // carries: `repo:<owner>/<repo>:ref:refs/heads/<branch>` (or
        // `refs/tags/<tag>`) for a job that names no environment, and
        // `repo:<owner>/<repo>:environment:<name>` for one that does.
        // Microsoft Entra's "Configure a user-assigned managed identity to
        // trust an external identity provider" builds the same subjects for
        // its Branch, Tag and Environment entity types, with the issuer
        // `https://token.actions.githubusercontent.com` and the audience
        // `api://AzureADTokenExchange`, and matches them exactly (no wildcard).
        if let Some(gh) = &github {
            let name = format!("{base}-github");
            names::check_federated_credential_name(&field("name"), &name)
                .map_err(|_| too_long("the federated credential's name"))?;
            let subject = if gh.use_environments {
                github::environment_subject(gh.repository, &env.name)
            } else {
                github::subject(gh.repository, gh.git_ref)
            };
            credentials.push(Credential {
                name,
                issuer: github::ISSUER.to_owned(),
                subject,
            });
        }
        // GitLab's ID tokens carry
        // `project_path:<group>/<project>:ref_type:<branch|tag>:ref:<name>`
        // with the issuer `https://gitlab.com`; Entra matches the subject
        // exactly, as for GitHub.
        if let Some((project, git_ref)) = gitlab {
            let name = format!("{base}-gitlab");
            names::check_federated_credential_name(&field("name"), &name)
                .map_err(|_| too_long("the federated credential's name"))?;
            credentials.push(Credential {
                name,
                issuer: gitlab::ISSUER.to_owned(),
                subject: gitlab::subject(project, git_ref),
            });
        }
        let event_subscription = format!("{base}-near-expiry");
        if rotation.as_ref().is_some_and(|r| r.function_id.is_some()) {
            names::check_event_subscription_name(&field("name"), &event_subscription)
                .map_err(|_| too_long("the Event Grid subscription's name"))?;
        }
        environments.push(Environment {
            name: &env.name,
            subscription: &env.subscription_id,
            tenant: &env.tenant_id,
            resource_group: &env.resource_group,
            vault: &env.vault,
            location: &env.location,
            identity_resource_group,
            rbac_authorization: env.rbac_authorization,
            ids,
            identity_name,
            service_account,
            credentials,
            event_subscription,
            object_name: base,
        });
    }
    if let (Some(kube), true) = (&request.kubernetes, environments.len() > 1) {
        check_shared_service_account(request, kube.service_account.is_some(), &environments)?;
    }
    Ok(Checked {
        app: &request.app,
        cloud: request.cloud,
        secrets: &request.secrets,
        kubernetes,
        github,
        gitlab,
        rotation,
        environments,
    })
}

/// One service account named for several environments: each carries one
/// client id annotation, so the environments must be different clusters
/// (different issuers), or one account would need two identities.
fn check_shared_service_account(
    request: &Request,
    named: bool,
    environments: &[Environment<'_>],
) -> Result<(), InputError> {
    if !named {
        return Ok(());
    }
    let issuers: Vec<&str> = environments
        .iter()
        .filter_map(|env| env.credentials.first().map(|c| c.issuer.as_str()))
        .collect();
    for (index, issuer) in issuers.iter().enumerate() {
        if issuers[..index].contains(issuer) {
            return Err(InputError::new(
                "/kubernetes/service_account",
                format!(
                    "environments `{}` and an earlier one share a cluster, and one service \
                     account cannot carry two identities; leave it out (each environment's is \
                     `<app>-<environment>`) or give each environment its cluster's `oidc_issuer`",
                    request.environments[index].name
                ),
            ));
        }
    }
    Ok(())
}
