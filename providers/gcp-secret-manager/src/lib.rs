//! `gcp-secret-manager`: a provider plugin for `skill`, built as a third
//! party builds one, against the plugin kit (`skill-pdk`) and nothing of the
//! host. For an app, its environments (a Google Cloud project each) and its
//! secrets it gives `roles/secretmanager.secretAccessor` bound on each secret
//! (optionally under an IAM condition), Workload Identity Federation members
//! for GKE pods and for GitHub Actions and GitLab CI (a pool and an OIDC
//! provider per CI system), rotation settings, External Secrets Operator
//! manifests, `gcloud` commands, a GitLab CI pipeline and Terraform.
//!
//! This file is the only one that knows the kit: it declares the tool, its
//! guidance for agents, and maps errors. The modules below are plain Rust,
//! tested natively.

pub mod checked;
pub mod condition;
pub mod config;
pub mod generate;
pub mod identity;
pub mod names;
pub mod request;
pub mod rotation;
pub mod terraform;

use std::fmt::Write as _;

use provider_glue::output::commands_text;
use skill_pdk::prelude::*;
use skill_pdk::untrusted::one_line;

use crate::config::EnvironmentConfig;
use crate::request::Request;

skill_pdk::agent_guidance!(include_str!("../GUIDANCE.md"));

/// The tool's output: the configuration, and the files `--out DIR` writes
/// (per environment `<app>-<environment>.condition.json` with a condition
/// and `.k8s.yaml`, then the workflow, the pipeline and `main.tf`).
type Output = provider_glue::output::Output<EnvironmentConfig>;

fn run(request: Request) -> Result<Output, ToolError> {
    Ok(Output::new(generate::generate(&request)?))
}

/// What a person reads: per environment the secrets, who reads them, the commands.
fn text(output: &Output) -> String {
    let mut out = String::new();
    for env in &output.config.environments {
        let _ = writeln!(
            out,
            "# {} (project {})",
            one_line(&env.environment),
            one_line(&env.project_id)
        );
        for secret in &env.secrets {
            let _ = writeln!(out, "secret: {}", one_line(&secret.name));
        }
        for member in &env.binding.members {
            let _ = writeln!(
                out,
                "  {} reads: {}",
                one_line(&member.stands_for),
                one_line(&member.member)
            );
        }
        if let Some(condition) = &env.binding.condition {
            let _ = writeln!(out, "  when: {}", one_line(&condition.expression));
        }
        out.push_str(&commands_text(&env.commands));
        out.push('\n');
    }
    out.push_str(&output.config.warnings_text());
    out
}

fn plugin() -> Plugin {
    let tool = Tool::new(
        "gcp-secret-manager",
        "Least-privilege Google Cloud Secret Manager access for an app: secretAccessor on each secret, Workload Identity Federation for GKE/GitHub/GitLab, rotation, ESO manifests, gcloud commands, Terraform.",
        run,
    )
    .description(
        "Per environment (one Google Cloud project each): secrets `<app>_<environment>_<secret>` \
         and roles/secretmanager.secretAccessor bound on each secret, never on the project, to \
         the Kubernetes service account of the app's pods (Workload Identity Federation for GKE, \
         principal://…/<cluster project>.svc.id.goog/subject/ns/<ns>/sa/<ksa>), to GitHub \
         Actions (principalSet://…/attribute.repository/<owner>/<repo>) and GitLab CI \
         (principalSet://…/attribute.project_path/<group>/<project>) through a workload identity \
         pool whose OIDC providers admit one repository at one ref, and to service accounts; \
         optionally under an IAM condition on request.time (a time window); rotation settings \
         (rotation period, next rotation time, the Pub/Sub topic and its publisher grant); \
         External Secrets Operator SecretStore/ClusterSecretStore (gcpsm, workload identity) \
         and ExternalSecret; `gcloud` commands as argument lists and shell text; a GitHub \
         Actions workflow and a GitLab CI pipeline (id_tokens, create-cred-config) that log in \
         by OIDC; Terraform. Every name is checked against Google Cloud's, Kubernetes', \
         GitHub's and GitLab's rules. `--out DIR` writes the condition files, manifests, \
         the workflows and main.tf.",
    )
    .render("text", text);
    Plugin::new("gcp-secret-manager", env!("CARGO_PKG_VERSION"))
        .description(
            "Google Cloud Secret Manager: least-privilege access for an app's secrets (IAM on \
             each secret, Workload Identity Federation for GKE, GitHub and GitLab, ESO, \
             rotation, gcloud, Terraform).",
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
            "environments": [
                { "name": "production", "project_id": "acme-pay-prod", "project_number": "222222222222" },
            ],
            "secrets": ["db-creds"],
            "github": {"repository": "octo/payment", "ref": "refs/heads/main"},
            "condition": {"expires_at": "2027-01-01T00:00:00Z"},
        });
        let output = testing::check(&plugin(), "gcp-secret-manager", input.clone()).unwrap();
        assert_eq!(
            output["environments"][0]["secrets"][0]["name"],
            "projects/acme-pay-prod/secrets/payment_production_db-creds"
        );
        let mut bad = input;
        bad["secrets"] = json!(["db-creds", "x\", \"member\": \"allUsers"]);
        let error = testing::check(&plugin(), "gcp-secret-manager", bad).unwrap_err();
        assert!(error.contains("/secrets/1"), "{error}");
    }
}
