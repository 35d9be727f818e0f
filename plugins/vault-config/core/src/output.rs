//! What vault-config produces: the configuration as data, and the files it
//! is written as. Built by `config`, written out by `render` and `terraform`.

use schemars::JsonSchema;
use serde::Serialize;
use serde_json::Value;

use crate::policy::{Capability, Flavour};
use crate::request::AuthMethod;
use crate::shell::CommandLine;

/// The generated configuration.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Config {
    pub app_name: String,
    pub auth_method: AuthMethod,
    pub flavour: Flavour,
    /// One policy and one role per environment.
    pub environments: Vec<EnvironmentConfig>,
    /// Commands to apply it, in order, for `vault` and `bao`.
    pub commands: Vec<CommandLine>,
    /// Terraform (vault provider): `vault_policy` and the auth backend role per environment.
    pub terraform: String,
    /// How workloads get the secrets: for a kubernetes role, per environment the
    /// Agent Injector annotations (a patch for the Deployment), a Secrets Store CSI
    /// `SecretProviderClass` and External Secrets Operator manifests; for a GitHub
    /// or GitLab JWT role, a workflow or pipeline with a job per environment.
    pub delivery: Vec<OutputFile>,
    /// Things the caller should know: weak settings they asked for, set-up steps.
    pub warnings: Vec<String>,
    /// A short summary for agents and people.
    pub report: String,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct EnvironmentConfig {
    pub environment: String,
    pub policy_name: String,
    /// The file [`Config::files`] writes the policy to, `<policy_name>.hcl`.
    pub policy_file: String,
    /// The policy, formatted as `vault policy fmt` formats it.
    pub policy_hcl: String,
    /// Every path the policy names, with its capabilities.
    pub paths: Vec<PathGrant>,
    /// The secrets the app reads with a GET, as the delivery files name them.
    pub reads: Vec<SecretRead>,
    pub role: Role,
}

/// One secret a workload reads with a GET.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct SecretRead {
    /// The file, object or variable name it is delivered as: `config`,
    /// `api-keys`, `db-readonly`, `db-readwrite`.
    pub name: &'static str,
    /// The API path a GET reads (`secret/data/production/payment/config`).
    pub path: String,
    /// The engine's mount (`secret`).
    pub mount: String,
    /// The path below the mount as the engine's clients name it: KV's key
    /// without `data/` (`production/payment/config`), or `creds/<role>`.
    pub key: String,
    pub engine: Engine,
}

/// The secrets engine a [`SecretRead`] comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Engine {
    /// KV version 2: the values are under the response's `.data.data`.
    KvV2,
    /// Database credentials: `username` and `password` under `.data`, on a lease.
    Database,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct PathGrant {
    pub path: String,
    pub capabilities: Vec<Capability>,
    pub why: String,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Role {
    pub name: String,
    /// The auth method's mount path.
    pub mount: String,
    /// The role's API path, `auth/<mount>/role/<name>`.
    pub path: String,
    /// The JSON payload for `write <path> @<payload_file>`.
    pub payload: Value,
    pub payload_file: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct OutputFile {
    /// A file name without directories.
    pub path: String,
    pub content: String,
}

impl Config {
    /// The files to write, in a fixed order: per environment the policy and
    /// the role payload (the names the commands use), then `main.tf`, then the
    /// delivery files.
    pub fn files(&self) -> Vec<OutputFile> {
        let mut files = Vec::new();
        for env in &self.environments {
            files.push(OutputFile {
                path: env.policy_file.clone(),
                content: env.policy_hcl.clone(),
            });
            let mut payload =
                serde_json::to_string_pretty(&env.role.payload).expect("a JSON value serializes");
            payload.push('\n');
            files.push(OutputFile {
                path: env.role.payload_file.clone(),
                content: payload,
            });
        }
        files.push(OutputFile {
            path: "main.tf".into(),
            content: self.terraform.clone(),
        });
        files.extend(self.delivery.iter().cloned());
        files
    }
}
