//! The configuration the tool returns, and the files `--out DIR` writes.

use provider_glue::files::File;
use provider_glue::github::WORKFLOW_FILE;
use provider_glue::shell::CommandLine;
use schemars::JsonSchema;
use serde::Serialize;
use serde_json::Value;

/// Everything an app needs, per environment, plus what spans environments.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Config {
    /// The app, as given.
    pub app: String,
    /// The built-in role each secret is shared with.
    pub role: Role,
    /// One entry per requested environment, in the order given.
    pub environments: Vec<EnvironmentConfig>,
    /// A GitHub Actions workflow (YAML) with one job per environment whose
    /// identity exists: it logs in by OIDC and reads the secrets into masked
    /// environment variables `KV_<SECRET>` ('-' as '_', upper case).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub github_workflow: Option<String>,
    /// A GitLab CI pipeline (YAML) with one job per environment whose
    /// identity exists: it gets an ID token for `api://AzureADTokenExchange`,
    /// logs in with `az login --federated-token` and reads the secrets into
    /// exported variables `SECRET_<SECRET>`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gitlab_ci: Option<String>,
    /// Terraform (azurerm provider 4.x) for all of it.
    pub terraform: String,
    /// What rotation is and is not, as Azure documents it (with `rotation`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rotation_notes: Vec<String>,
    /// Things to know before applying.
    pub warnings: Vec<String>,
}

/// A built-in role.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Role {
    pub name: String,
    /// Its role definition id (the same GUID in every subscription).
    pub id: String,
}

/// One environment's access.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct EnvironmentConfig {
    pub environment: String,
    pub vault_id: String,
    pub vault_url: String,
    /// The user-assigned managed identity the workloads log in as.
    pub identity: Identity,
    /// Each secret and the scope of its role assignment.
    pub secrets: Vec<SecretAccess>,
    /// The rotation trigger (with `rotation.function_id`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rotation_trigger: Option<RotationTrigger>,
    /// Kubernetes manifests (YAML): the annotated ServiceAccount, the External
    /// Secrets Operator store and the ExternalSecret; once the identity exists.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kubernetes_manifests: Option<String>,
    /// What the app's pod template needs so that the Azure Workload Identity
    /// webhook gives its pods a token: the label and the service account.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pod_template: Option<Value>,
    /// The `az` commands that set it up, in order.
    pub commands: Vec<CommandLine>,
    /// What is left to do before the rest can be generated (the identity's ids).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pending: Vec<String>,
}

/// The managed identity of one environment.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Identity {
    pub name: String,
    pub id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub principal_id: Option<String>,
    pub federated_credentials: Vec<FederatedCredential>,
}

/// A federated identity credential.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct FederatedCredential {
    pub name: String,
    pub issuer: String,
    pub subject: String,
    pub audiences: Vec<String>,
}

/// One secret of one environment.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct SecretAccess {
    /// The secret's name in the vault.
    pub name: String,
    /// The resource id the role is assigned at: this secret only.
    pub scope: String,
}

/// The Event Grid subscription that calls the rotation function.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct RotationTrigger {
    pub name: String,
    /// The vault, whose system topic publishes the event.
    pub source: String,
    pub event_type: String,
    /// The function's resource id.
    pub function_id: String,
    /// The secrets whose events are delivered (the events' `subject`).
    pub subjects: Vec<String>,
}

impl Config {
    /// Per environment `<app>-<environment>.k8s.yaml`, then the workflow and `main.tf`.
    pub fn files(&self) -> Vec<File> {
        let mut files: Vec<File> = self
            .environments
            .iter()
            .filter_map(|env| {
                env.kubernetes_manifests.as_ref().map(|text| File {
                    path: format!("{}-{}.k8s.yaml", self.app, env.environment),
                    content: text.clone(),
                })
            })
            .collect();
        if let Some(workflow) = &self.github_workflow {
            files.push(File {
                path: WORKFLOW_FILE.to_owned(),
                content: workflow.clone(),
            });
        }
        if let Some(pipeline) = &self.gitlab_ci {
            files.push(File {
                path: provider_glue::gitlab::FILE.to_owned(),
                content: pipeline.clone(),
            });
        }
        files.push(File {
            path: "main.tf".to_owned(),
            content: self.terraform.clone(),
        });
        files
    }
}
