//! `aws-secrets-manager`: a provider plugin for `skill`, built as a third
//! party builds one, against the plugin kit (`skill-pdk`) and nothing of the
//! host. For an app, its environments and its secrets it gives the
//! least-privilege IAM policy, the trust of the roles that Kubernetes pods
//! (IRSA or EKS Pod Identity), GitHub Actions and GitLab CI (OIDC) assume, an
//! optional resource policy, rotation schedules, External Secrets Operator
//! manifests, `aws` commands, a GitLab CI pipeline and Terraform.
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

use provider_glue::output::commands_text;
use skill_pdk::prelude::*;
use skill_pdk::untrusted::one_line;

use crate::config::EnvironmentConfig;
use crate::request::Request;

/// The tool's output: the configuration, and the files `--out DIR` writes
/// (per environment `<app>-<environment>.policy.json`, `.trust.json`,
/// `.resource-policy.json` and `.k8s.yaml`, then the workflow, the pipeline
/// and `main.tf`).
type Output = provider_glue::output::Output<EnvironmentConfig>;

fn run(request: Request) -> Result<Output, ToolError> {
    Ok(Output::new(generate::generate(&request)?))
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
        out.push_str(&commands_text(&env.commands));
        out.push('\n');
    }
    out.push_str(&output.config.warnings_text());
    out
}

fn plugin() -> Plugin {
    let tool = Tool::new(
        "aws-secrets-manager",
        "Least-privilege AWS Secrets Manager access for an app: IAM policy, IRSA/Pod Identity and GitHub/GitLab OIDC trust, rotation, ESO manifests, aws commands, Terraform.",
        run,
    )
    .description(
        "Per environment: a customer managed policy granting secretsmanager:GetSecretValue and \
         DescribeSecret on the app's secrets only (exact ARNs when given in known_arns, else the \
         name with the six-character suffix wildcard -??????), kms:Decrypt on a customer managed \
         key only via secretsmanager.<region>.amazonaws.com and only for those secret ARNs; a role \
         trusted by one Kubernetes service account (IRSA or EKS Pod Identity) and/or one GitHub \
         repository at one ref (sub = repo:<owner>/<repo>:ref:<ref>) and/or one GitLab.com \
         project at one ref (sub = project_path:<group>/<project>:ref_type:<branch|tag>:ref:<name>, \
         aud = sts.amazonaws.com); optionally a resource policy \
         denying reads by other principals (aws:PrincipalArn) or from outside a VPC endpoint \
         (aws:sourceVpce); RotationRules (AutomaticallyAfterDays or ScheduleExpression); External \
         Secrets Operator SecretStore/ClusterSecretStore and ExternalSecret; `aws` commands as \
         argument lists and shell text; Terraform; a GitLab CI pipeline whose jobs get an ID \
         token (id_tokens) and assume the role with aws sts assume-role-with-web-identity. Every \
         name is checked against AWS's, Kubernetes', GitHub's and GitLab's rules. `--out DIR` \
         writes the JSON documents, manifests, the workflow, the pipeline and main.tf.",
    )
    .render("text", text);
    Plugin::new("aws-secrets-manager", env!("CARGO_PKG_VERSION")).tool(tool)
}

skill_pdk::export_plugin!(plugin);
skill_pdk::agent_guidance!(include_str!("../GUIDANCE.md"));

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
