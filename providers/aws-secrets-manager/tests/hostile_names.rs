//! Property test: generated hostile names in every name field. Each request
//! is either refused, naming a field, or everything it produces says exactly
//! what was asked: the policies grant the secrets computed here from the
//! documented naming scheme (and no wildcard but the six-character suffix),
//! the trust conditions carry the exact subjects, every command's shell text
//! splits back into its argument list, the YAML parses back into the same
//! objects (no injected key or document), and the Terraform parses.

use aws_secrets_manager::generate::generate;
use aws_secrets_manager::request::Request;
use proptest::prelude::*;
use provider_glue::testing::{
    generated, git_ref, name, run_cases, split_back, workflow_jobs, yaml_documents,
};
use serde_json::{Value, json};

/// How many requests the property throws.
const CASES: u32 = 3000;

fn region() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => prop::sample::select(vec!["eu-west-1".to_owned(), "us-east-2".to_owned(), "ap-southeast-4".to_owned()]),
        1 => name(),
    ]
}

fn account() -> impl Strategy<Value = String> {
    prop_oneof![6 => "[0-9]{12}", 1 => name()]
}

#[test]
fn hostile_names_are_refused_or_produce_exactly_what_was_asked() {
    let strategy = (
        (
            name(),
            prop::collection::vec(name(), 1..3),
            prop::collection::vec(name(), 1..3),
        ),
        (account(), region()),
        (name(), name(), any::<bool>()),
        (name(), git_ref()),
        any::<bool>(),
    );
    let accepted = run_cases(
        CASES,
        strategy,
        |(
            (app, environments, secrets),
            (account, region),
            (namespace, cluster, irsa),
            (owner, git_ref),
            with_policy,
        )| {
            let kubernetes = if irsa {
                json!({
                    "identity": "irsa",
                    "cluster": cluster,
                    "namespace": namespace,
                    "oidc_issuer": format!("oidc.eks.{region}.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE"),
                })
            } else {
                json!({ "identity": "pod-identity", "cluster": cluster, "namespace": namespace })
            };
            let repository = format!("{owner}/{app}");
            let input = json!({
                "app": app,
                "environments": environments,
                "secrets": secrets,
                "account_id": account,
                "region": region,
                "kms_key_id": "1234abcd-12ab-34cd-56ef-1234567890ab",
                "kubernetes": kubernetes,
                "github": { "repository": repository, "ref": git_ref },
                "resource_policy": if with_policy { json!({ "vpc_endpoint_id": "vpce-0123456789abcdef0" }) } else { Value::Null },
                "rotation": { "automatically_after_days": 30 },
            });
            let mut input = input;
            if !with_policy {
                input.as_object_mut().unwrap().remove("resource_policy");
            }
            let Some((config, output)) = generated::<Request, _>(input, generate)? else {
                return Ok(false);
            };
            prop_assert_eq!(
                output["environments"].as_array().unwrap().len(),
                environments.len()
            );
            for (env_config, env) in output["environments"]
                .as_array()
                .unwrap()
                .iter()
                .zip(&environments)
            {
                let expected: Vec<String> = secrets
                .iter()
                .map(|s| format!("arn:aws:secretsmanager:{region}:{account}:secret:{env}/{app}/{s}-??????"))
                .collect();
                let statements = &env_config["identity_policy"]["Statement"];
                prop_assert_eq!(&statements[0]["Resource"], &json!(expected));
                prop_assert_eq!(
                    &statements[1]["Condition"]["StringLike"]["kms:EncryptionContext:SecretARN"],
                    &json!(expected)
                );
                for arn in &expected {
                    let name = arn
                        .split_once(":secret:")
                        .unwrap()
                        .1
                        .trim_end_matches("-??????");
                    prop_assert!(!name.contains(['*', '?', ':']), "{arn}");
                }
                let trust = &env_config["trust_policy"]["Statement"];
                let service_account = format!("system:serviceaccount:{namespace}:{app}-{env}");
                let kube_statement = &trust[0];
                if irsa {
                    let issuer = format!(
                        "oidc.eks.{region}.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE"
                    );
                    prop_assert_eq!(
                        &kube_statement["Condition"]["StringEquals"][format!("{issuer}:sub")],
                        &json!(service_account)
                    );
                } else {
                    prop_assert_eq!(
                        &kube_statement["Condition"]["ArnEquals"]["aws:SourceArn"],
                        &json!(format!("arn:aws:eks:{region}:{account}:cluster/{cluster}"))
                    );
                }
                prop_assert_eq!(
                    &trust[1]["Condition"]["StringEquals"]["token.actions.githubusercontent.com:sub"],
                    &json!(format!("repo:{repository}:ref:{git_ref}"))
                );
                split_back(&env_config["commands"])?;
                let documents =
                    yaml_documents(env_config["kubernetes_manifests"].as_str().unwrap());
                let kinds: Vec<&str> = documents
                    .iter()
                    .map(|d| d["kind"].as_str().unwrap())
                    .collect();
                let expected_kinds: &[&str] = if irsa {
                    &["ServiceAccount", "SecretStore", "ExternalSecret"]
                } else {
                    &["SecretStore", "ExternalSecret"]
                };
                prop_assert_eq!(&kinds, expected_kinds);
                let external = documents.last().unwrap();
                prop_assert_eq!(&external["metadata"]["namespace"], &json!(namespace));
                let keys: Vec<Value> = secrets
                    .iter()
                    .map(|s| json!(format!("{env}/{app}/{s}")))
                    .collect();
                let remote: Vec<Value> = external["spec"]["data"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|d| d["remoteRef"]["key"].clone())
                    .collect();
                prop_assert_eq!(remote, keys);
            }
            let jobs = workflow_jobs(config.github_workflow.as_deref().unwrap());
            let expected_jobs: Vec<String> =
                environments.iter().map(|e| format!("read-{e}")).collect();
            prop_assert_eq!(jobs, expected_jobs);
            let body = hcl_edit::parser::parse_body(&config.terraform);
            prop_assert!(body.is_ok(), "main.tf does not parse: {:?}", body.err());
            Ok(true)
        },
    );
    assert!(
        accepted > CASES / 20,
        "too few requests were accepted ({accepted}) for the property to mean much"
    );
}
