//! The configuration the tool returns (per environment; the rest is
//! `provider_glue::output::Config`), and the files `--out DIR` writes.

use provider_glue::files::File;
use provider_glue::output::EnvironmentFiles;
use provider_glue::shell::CommandLine;
use schemars::JsonSchema;
use serde::Serialize;
use serde_json::Value;

/// Everything an app needs, per environment, plus what spans environments;
/// its Terraform (AWS provider) reads the JSON documents of `files`.
pub type Config = provider_glue::output::Config<EnvironmentConfig>;

/// One environment's access.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct EnvironmentConfig {
    pub environment: String,
    /// The customer managed policy that reads this environment's secrets.
    pub policy_name: String,
    pub policy_arn: String,
    /// The role workloads assume (when `kubernetes` or `github` was given).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role_arn: Option<String>,
    /// Each secret: its name, and the ARN (or suffix pattern) the policies grant.
    pub secrets: Vec<SecretAccess>,
    /// The identity policy (IAM JSON).
    pub identity_policy: Value,
    /// The role's trust policy (IAM JSON).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trust_policy: Option<Value>,
    /// The resource policy put on each secret (IAM JSON).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource_policy: Option<Value>,
    /// The `RotationRules` set on each secret.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rotation_rules: Option<Value>,
    /// Kubernetes manifests (YAML): the service account (IRSA), the External
    /// Secrets Operator store and the ExternalSecret.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kubernetes_manifests: Option<String>,
    /// The `aws` commands that set it up, in order; run them where `files` were written.
    pub commands: Vec<CommandLine>,
}

/// One secret of one environment.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct SecretAccess {
    /// The secret's full name, `<environment>/<app>/<secret>`.
    pub name: String,
    /// Its exact ARN, or its ARN with the suffix wildcard `-??????`.
    pub arn: String,
    /// Whether `arn` is exact (given in `known_arns`).
    pub exact: bool,
}

/// What each environment's files are called.
pub struct FileNames {
    pub policy: String,
    pub trust: String,
    pub resource_policy: String,
    pub manifests: String,
}

impl FileNames {
    pub fn new(app: &str, environment: &str) -> Self {
        let base = format!("{app}-{environment}");
        Self {
            policy: format!("{base}.policy.json"),
            trust: format!("{base}.trust.json"),
            resource_policy: format!("{base}.resource-policy.json"),
            manifests: format!("{base}.k8s.yaml"),
        }
    }
}

impl EnvironmentFiles for EnvironmentConfig {
    /// The documents the commands and the Terraform read, and the manifests.
    fn files(&self, app: &str) -> Vec<File> {
        let names = FileNames::new(app, &self.environment);
        let mut files = vec![File::json(names.policy, &self.identity_policy)];
        if let Some(trust) = &self.trust_policy {
            files.push(File::json(names.trust, trust));
        }
        if let Some(policy) = &self.resource_policy {
            files.push(File::json(names.resource_policy, policy));
        }
        if let Some(manifests) = &self.kubernetes_manifests {
            files.push(File::new(names.manifests, manifests.as_str()));
        }
        files
    }
}
