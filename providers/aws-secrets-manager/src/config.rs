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
    /// One entry per requested environment, in the order given.
    pub environments: Vec<EnvironmentConfig>,
    /// A GitHub Actions workflow (YAML) with one job per environment that
    /// assumes its role by OIDC and reads its secrets, when `github` was given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub github_workflow: Option<String>,
    /// Terraform (AWS provider) for all of it; reads the JSON documents of `files`.
    pub terraform: String,
    /// Things to know before applying (e.g. what a VPC endpoint condition blocks).
    pub warnings: Vec<String>,
}

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

impl Config {
    /// The files the commands and the Terraform read, plus the manifests.
    pub fn files(&self) -> Vec<File> {
        let json = |value: &Value| {
            let mut text = serde_json::to_string_pretty(value).expect("JSON values serialize");
            text.push('\n');
            text
        };
        let mut files = Vec::new();
        for env in &self.environments {
            let names = FileNames::new(&self.app, &env.environment);
            files.push(File {
                path: names.policy,
                content: json(&env.identity_policy),
            });
            if let Some(trust) = &env.trust_policy {
                files.push(File {
                    path: names.trust,
                    content: json(trust),
                });
            }
            if let Some(policy) = &env.resource_policy {
                files.push(File {
                    path: names.resource_policy,
                    content: json(policy),
                });
            }
            if let Some(manifests) = &env.kubernetes_manifests {
                files.push(File {
                    path: names.manifests,
                    content: manifests.clone(),
                });
            }
        }
        if let Some(workflow) = &self.github_workflow {
            files.push(File {
                path: WORKFLOW_FILE.to_owned(),
                content: workflow.clone(),
            });
        }
        files.push(File {
            path: "main.tf".to_owned(),
            content: self.terraform.clone(),
        });
        files
    }
}
