//! `azure-key-vault`: a provider plugin for `skill`, built as a third party
//! builds one, against the plugin kit (`skill-pdk`) and nothing of the host.
//! For an app, its environments and its secrets it gives "Key Vault Secrets
//! User" on each secret, a user-assigned managed identity with federated
//! credentials for AKS and GitHub Actions, expiry and the Event Grid trigger
//! of a rotation function, External Secrets Operator manifests, `az`
//! commands and Terraform.
//!
//! This file is the only one that knows the kit: it declares the tool, its
//! guidance for agents and maps errors. The modules below are plain Rust,
//! tested natively.

pub mod checked;
pub mod config;
pub mod generate;
pub mod names;
pub mod request;
pub mod rotation;
pub mod terraform;

use std::fmt::Write as _;

use skill_pdk::prelude::*;
use skill_pdk::untrusted::one_line;

use crate::config::Config;
use crate::request::Request;

skill_pdk::agent_guidance!(include_str!("../GUIDANCE.md"));

/// The tool's output: the configuration, and the files `--out DIR` writes.
#[derive(Serialize, JsonSchema)]
struct Output {
    #[serde(flatten)]
    config: Config,
    /// Per environment whose identity exists `<app>-<environment>.k8s.yaml`
    /// (with `kubernetes`), then `github-workflow.yml` and `main.tf`.
    files: OutputFiles,
}

fn run(request: Request) -> Result<Output, ToolError> {
    let config = generate::generate(&request)?;
    let files = provider_glue::files::output(config.files());
    Ok(Output { config, files })
}

/// What a person reads: per environment the identity, the scopes, the
/// commands and what is pending; then rotation and warnings.
fn text(output: &Output) -> String {
    let config = &output.config;
    let mut out = String::new();
    for env in &config.environments {
        let _ = writeln!(out, "# {}", one_line(&env.environment));
        let _ = writeln!(out, "identity: {}", one_line(&env.identity.id));
        for credential in &env.identity.federated_credentials {
            let _ = writeln!(out, "  trusts {}", one_line(&credential.subject));
        }
        for secret in &env.secrets {
            let _ = writeln!(
                out,
                "  {} on {}",
                one_line(&config.role.name),
                one_line(&secret.scope)
            );
        }
        for command in &env.commands {
            let _ = writeln!(out, "{}", one_line(&command.shell));
        }
        for pending in &env.pending {
            let _ = writeln!(out, "pending: {}", one_line(pending));
        }
        out.push('\n');
    }
    for note in &config.rotation_notes {
        let _ = writeln!(out, "rotation: {}", one_line(note));
    }
    for warning in &config.warnings {
        let _ = writeln!(out, "warning: {}", one_line(warning));
    }
    out
}

fn plugin() -> Plugin {
    let tool = Tool::new(
        "azure-key-vault",
        "Least-privilege Azure Key Vault access for an app: Key Vault Secrets User on each secret, a managed identity trusted by AKS, GitHub Actions and GitLab CI, expiry and rotation trigger, ESO manifests, az commands, Terraform.",
        run,
    )
    .description(
        "Per environment (its subscription, tenant, resource group and vault): the built-in role \
         Key Vault Secrets User (4633458b-17de-408a-b874-0445c86b69e6) assigned at the scope of \
         each secret, never the vault or the resource group; a user-assigned managed identity \
         with federated identity credentials for a Kubernetes service account \
         (system:serviceaccount:<ns>:<sa>, the cluster's OIDC issuer) and for GitHub Actions \
         (repo:<owner>/<repo>:ref:<ref> or repo:<owner>/<repo>:environment:<env>) and GitLab CI \
         (project_path:<group>/<project>:ref_type:<branch|tag>:ref:<name>), audience \
         api://AzureADTokenExchange; the ServiceAccount annotated with \
         azure.workload.identity/client-id and the pod label azure.workload.identity/use; \
         External Secrets Operator SecretStore/ClusterSecretStore (azurekv, WorkloadIdentity) \
         and ExternalSecret; expiry and not-before on each secret and the Event Grid \
         Microsoft.KeyVault.SecretNearExpiry subscription that calls a rotation function; \
         `az` commands as argument lists and shell text; Terraform (azurerm); a GitHub Actions \
         workflow that logs in with azure/login by OIDC, and a GitLab CI pipeline whose jobs log \
         in with an ID token (az login --federated-token). Warns when a vault uses access \
         policies instead of Azure RBAC. Every name is checked against Azure's, Kubernetes' \
         GitHub's and GitLab's rules. `--out DIR` writes the manifests, the workflow, the \
         pipeline and main.tf.",
    )
    .render("text", text);
    Plugin::new("azure-key-vault", env!("CARGO_PKG_VERSION"))
        .description(
            "Azure Key Vault access for apps: per-secret RBAC, workload identity federation for \
             AKS, GitHub Actions and GitLab CI, rotation triggers, External Secrets Operator manifests, az \
             commands and Terraform.",
        )
        .tool(tool)
}

skill_pdk::export_plugin!(plugin);

#[cfg(test)]
mod tests {
    use serde_json::json;
    use skill_pdk::testing;

    use super::plugin;

    #[test]
    fn the_output_matches_its_schema_and_bad_names_name_their_field() {
        let input = json!({
            "app": "payment",
            "environments": [{
                "name": "production",
                "subscription_id": "0b1f6471-1bf0-4dda-aec3-111122223333",
                "tenant_id": "72f988bf-86f1-41af-91ab-2d7cd011db47",
                "resource_group": "rg-payment-prod",
                "vault": "kv-payment-prod",
                "location": "westeurope",
            }],
            "secrets": ["db-creds"],
            "github": {"repository": "octo/payment", "ref": "refs/heads/main"},
        });
        let output = testing::check(&plugin(), "azure-key-vault", input.clone()).unwrap();
        assert_eq!(
            output["environments"][0]["secrets"][0]["scope"],
            "/subscriptions/0b1f6471-1bf0-4dda-aec3-111122223333/resourceGroups/rg-payment-prod/providers/Microsoft.KeyVault/vaults/kv-payment-prod/secrets/db-creds"
        );
        let mut bad = input;
        bad["secrets"] = json!(["db-creds", "db_creds"]);
        let error = testing::check(&plugin(), "azure-key-vault", bad).unwrap_err();
        assert!(error.contains("/secrets/1"), "{error}");
    }
}
