//! The Terraform form (AWS provider): the secrets that do not exist yet, the
//! policies and roles (reading the same JSON files the commands use), the Pod
//! Identity association, the resource policies and the rotation schedules.
//! Built as an HCL body with `hcl-rs` and serialized by it, never by formatting text.

use std::collections::BTreeSet;

use hcl::expr::{FuncCall, TemplateExpr};
use hcl::{Block, Body, Expression};
use provider_glue::terraform::{identifier, reference, resource};

use crate::checked::{Checked, Secret};
use crate::config::{EnvironmentConfig, FileNames};
use crate::request::PodIdentity;

/// `main.tf` for these environments.
pub fn render(checked: &Checked<'_>, environments: &[EnvironmentConfig]) -> String {
    let mut body = Body::builder();
    let mut used = BTreeSet::new();
    for (env, config) in checked.environments.iter().zip(environments) {
        let files = FileNames::new(checked.app, env.name);
        let id = identifier(&format!("{}_{}", checked.app, env.name), &mut used);
        let secret_ids: Vec<String> = env
            .secrets
            .iter()
            .map(|secret| identifier(&format!("{id}_{}", secret.short), &mut used))
            .collect();
        for (secret, sid) in env
            .secrets
            .iter()
            .zip(&secret_ids)
            .filter(|(s, _)| !s.exact)
        {
            let mut block = resource("aws_secretsmanager_secret", sid)
                .add_attribute(("name", secret.name.as_str()));
            if let Some(key) = checked.kms_key_id {
                block = block.add_attribute(("kms_key_id", key));
            }
            body = body.add_block(block.build());
        }
        body = body.add_block(
            resource("aws_iam_policy", &id)
                .add_attribute(("name", env.policy_name.as_str()))
                .add_attribute(("policy", file(&files.policy)))
                .build(),
        );
        if config.role_arn.is_some() {
            body = body.add_block(
                resource("aws_iam_role", &id)
                    .add_attribute(("name", env.role_name.as_str()))
                    .add_attribute(("assume_role_policy", file(&files.trust)))
                    .build(),
            );
            body = body.add_block(
                resource("aws_iam_role_policy_attachment", &id)
                    .add_attribute(("role", reference("aws_iam_role", &id, "name")))
                    .add_attribute(("policy_arn", reference("aws_iam_policy", &id, "arn")))
                    .build(),
            );
            if let Some(kube) = checked
                .kubernetes
                .as_ref()
                .filter(|k| k.identity == PodIdentity::PodIdentity)
            {
                body = body.add_block(
                    resource("aws_eks_pod_identity_association", &id)
                        .add_attribute(("cluster_name", kube.cluster))
                        .add_attribute(("namespace", kube.namespace.as_str()))
                        .add_attribute(("service_account", env.service_account(checked.app, kube)))
                        .add_attribute(("role_arn", reference("aws_iam_role", &id, "arn")))
                        .build(),
                );
            }
        }
        for (secret, sid) in env.secrets.iter().zip(&secret_ids) {
            if config.resource_policy.is_some() {
                body = body.add_block(
                    resource("aws_secretsmanager_secret_policy", sid)
                        .add_attribute(("secret_arn", secret_ref(secret, sid, "arn")))
                        .add_attribute(("policy", file(&files.resource_policy)))
                        .add_attribute(("block_public_policy", true))
                        .build(),
                );
            }
            if let Some(rules) = &checked.rotation_rules {
                let mut block = resource("aws_secretsmanager_secret_rotation", sid)
                    .add_attribute(("secret_id", secret_ref(secret, sid, "id")));
                if let Some(lambda) = checked.rotation_lambda {
                    block = block.add_attribute(("rotation_lambda_arn", lambda));
                }
                let mut rotation_rules = Block::builder("rotation_rules");
                if let Some(days) = rules["AutomaticallyAfterDays"].as_u64() {
                    rotation_rules =
                        rotation_rules.add_attribute(("automatically_after_days", days));
                }
                for (key, attribute) in [
                    ("ScheduleExpression", "schedule_expression"),
                    ("Duration", "duration"),
                ] {
                    if let Some(text) = rules[key].as_str() {
                        rotation_rules = rotation_rules.add_attribute((attribute, text));
                    }
                }
                body = body.add_block(
                    block
                        .add_attribute(("rotate_immediately", false))
                        .add_block(rotation_rules.build())
                        .build(),
                );
            }
        }
    }
    hcl::to_string(&body.build()).expect("an HCL body built in code serializes")
}

/// `file("${path.module}/<name>")`; file names are built from checked names.
fn file(name: &str) -> Expression {
    FuncCall::builder("file")
        .arg(TemplateExpr::QuotedString(format!(
            "${{path.module}}/{name}"
        )))
        .build()
        .into()
}

/// The secret's attribute from its resource, or its exact ARN when it exists already.
fn secret_ref(secret: &Secret<'_>, id: &str, attribute: &str) -> Expression {
    if secret.exact {
        Expression::String(secret.arn.clone())
    } else {
        reference("aws_secretsmanager_secret", id, attribute)
    }
}
