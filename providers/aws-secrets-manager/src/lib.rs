//! `aws-secrets-manager`: a provider plugin for `skill`, built as a third
//! party builds one, against the plugin kit (`skill-pdk`) and nothing of the
//! host. For an app, its environments and its secrets it gives the
//! least-privilege IAM policy, the trust of the roles that Kubernetes pods
//! (IRSA or EKS Pod Identity) and GitHub Actions (OIDC) assume, an optional
//! resource policy, rotation schedules, External Secrets Operator manifests,
//! `aws` commands and Terraform.
//!
//! This file is the only one that knows the kit: it declares the tool and
//! maps errors. The modules below are plain Rust, tested natively.

pub mod checked;
pub mod config;
pub mod generate;
pub mod names;
pub mod policy;
pub mod request;
pub mod rotation;
pub mod terraform;

use std::fmt::Write as _;

use skill_pdk::prelude::*;
use skill_pdk::untrusted::one_line;

use crate::config::Config;
use crate::request::Request;

/// The tool's output: the configuration, and the files `--out DIR` writes.
#[derive(Serialize, JsonSchema)]
struct Output {
    #[serde(flatten)]
    config: Config,
    /// Per environment `<app>-<environment>.policy.json`, `.trust.json`,
    /// `.resource-policy.json` and `.k8s.yaml`, then `github-workflow.yml` and
    /// `main.tf`; the commands and the Terraform read them from where they are written.
    files: OutputFiles,
}

fn run(request: Request) -> Result<Output, ToolError> {
    let config = generate::generate(&request)?;
    let files = provider_glue::files::output(config.files());
    Ok(Output { config, files })
}

/// What a person reads: per environment the role, the secrets and the commands.
fn text(output: &Output) -> String {
    let mut out = String::new();
    for env in &output.config.environments {
        let _ = writeln!(out, "# {}", one_line(&env.environment));
        if let Some(role) = &env.role_arn {
            let _ = writeln!(out, "role:   {}", one_line(role));
        }
        let _ = writeln!(out, "policy: {}", one_line(&env.policy_arn));
        for secret in &env.secrets {
            let _ = writeln!(out, "  reads {}", one_line(&secret.arn));
        }
        for command in &env.commands {
            let _ = writeln!(out, "{}", one_line(&command.shell));
        }
        out.push('\n');
    }
    for warning in &output.config.warnings {
        let _ = writeln!(out, "warning: {}", one_line(warning));
    }
    out
}

fn plugin() -> Plugin {
    let tool = Tool::new(
        "aws-secrets-manager",
        "Least-privilege AWS Secrets Manager access for an app: IAM policy, IRSA/Pod Identity and GitHub OIDC trust, rotation, ESO manifests, aws commands, Terraform.",
        run,
    )
    .description(
        "Per environment: a customer managed policy granting secretsmanager:GetSecretValue and \
         DescribeSecret on the app's secrets only (exact ARNs when given in known_arns, else the \
         name with the six-character suffix wildcard -??????), kms:Decrypt on a customer managed \
         key only via secretsmanager.<region>.amazonaws.com and only for those secret ARNs; a role \
         trusted by one Kubernetes service account (IRSA or EKS Pod Identity) and/or one GitHub \
         repository at one ref (sub = repo:<owner>/<repo>:ref:<ref>); optionally a resource policy \
         denying reads by other principals (aws:PrincipalArn) or from outside a VPC endpoint \
         (aws:sourceVpce); RotationRules (AutomaticallyAfterDays or ScheduleExpression); External \
         Secrets Operator SecretStore/ClusterSecretStore and ExternalSecret; `aws` commands as \
         argument lists and shell text; Terraform. Every name is checked against AWS's, \
         Kubernetes' and GitHub's rules. `--out DIR` writes the JSON documents, manifests, the \
         workflow and main.tf.",
    )
    .render("text", text);
    Plugin::new("aws-secrets-manager", env!("CARGO_PKG_VERSION")).tool(tool)
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
            "environments": ["production"],
            "secrets": ["db-creds"],
            "account_id": "111122223333",
            "region": "eu-west-1",
            "github": {"repository": "octo/payment", "ref": "refs/heads/main"},
        });
        let output = testing::check(&plugin(), "aws-secrets-manager", input.clone()).unwrap();
        assert_eq!(
            output["environments"][0]["role_arn"],
            "arn:aws:iam::111122223333:role/payment-production-secrets"
        );
        let mut bad = input;
        bad["secrets"] = json!(["db-creds", "x*"]);
        let error = testing::check(&plugin(), "aws-secrets-manager", bad).unwrap_err();
        assert!(error.contains("/secrets/1"), "{error}");
    }
}
