//! The configuration the tool returns, and the files `--out DIR` writes.

use std::collections::BTreeMap;

use provider_glue::files::File;
use provider_glue::output::EnvironmentFiles;
use provider_glue::shell::CommandLine;
use schemars::JsonSchema;
use serde::Serialize;
use serde_json::Value;

use crate::condition::IamCondition;

/// The role every grant gives: read secret versions, nothing else.
pub const ROLE: &str = "roles/secretmanager.secretAccessor";

/// Everything an app needs, per environment, plus what spans environments.
pub type Config = provider_glue::output::Config<EnvironmentConfig>;

/// One environment's access.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct EnvironmentConfig {
    pub environment: String,
    pub project_id: String,
    pub project_number: String,
    /// Each secret, and who may read it.
    pub secrets: Vec<SecretAccess>,
    /// The binding added to each secret's IAM policy (not the project's):
    /// the role, the members and the condition.
    pub binding: Binding,
    /// The workload identity providers CI jobs exchange their tokens through.
    pub workload_identity_providers: Vec<Provider>,
    /// Secret Manager's rotation settings on each secret, as the API takes
    /// them (`topics`, `rotation.rotationPeriod`, `rotation.nextRotationTime`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rotation: Option<Value>,
    /// Kubernetes manifests (YAML): the service account, the External Secrets
    /// Operator store and the ExternalSecret.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kubernetes_manifests: Option<String>,
    /// The `gcloud` commands that set it up, in order; run them where `files` were written.
    pub commands: Vec<CommandLine>,
}

/// One secret of one environment.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct SecretAccess {
    /// The secret id, `<app>_<environment>_<secret>`.
    pub secret_id: String,
    /// Its resource name, `projects/<project id>/secrets/<secret id>`.
    pub name: String,
}

/// An IAM policy binding.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Binding {
    /// Always `roles/secretmanager.secretAccessor`.
    pub role: String,
    /// The principals, with what each stands for.
    pub members: Vec<Member>,
    /// The time window, when one was asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub condition: Option<IamCondition>,
}

/// A principal granted the role.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Member {
    /// The principal identifier (`principal://…`, `principalSet://…`, `serviceAccount:…`).
    pub member: String,
    /// Who that is.
    pub stands_for: String,
}

/// A workload identity pool provider (OIDC).
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Provider {
    /// `projects/<number>/locations/global/workloadIdentityPools/<pool>/providers/<id>`.
    pub name: String,
    pub issuer_uri: String,
    /// Google attribute → CEL on the token's claims.
    pub attribute_mapping: BTreeMap<String, String>,
    /// CEL every token must satisfy: the one repository (project) and ref.
    pub attribute_condition: String,
    /// The one audience the provider accepts, which the CI job asks for.
    pub allowed_audience: String,
    /// The `sub` claim of the admitted tokens (`google.subject`).
    pub subject: String,
}

/// The file `gcloud --condition-from-file` reads for an environment.
pub fn condition_file(app: &str, environment: &str) -> String {
    format!("{app}-{environment}.condition.json")
}

/// The Kubernetes manifests of an environment.
pub fn manifests_file(app: &str, environment: &str) -> String {
    format!("{app}-{environment}.k8s.yaml")
}

impl EnvironmentFiles for EnvironmentConfig {
    /// The condition `gcloud --condition-from-file` reads, and the manifests.
    fn files(&self, app: &str) -> Vec<File> {
        let mut files = Vec::new();
        if let Some(condition) = &self.binding.condition {
            files.push(File::json(
                condition_file(app, &self.environment),
                condition,
            ));
        }
        if let Some(manifests) = &self.kubernetes_manifests {
            files.push(File::new(
                manifests_file(app, &self.environment),
                manifests.as_str(),
            ));
        }
        files
    }
}
