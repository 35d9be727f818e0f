//! Property test: generated hostile names in every name field. Each request
//! is either refused, naming a field, or everything it produces says exactly
//! what was asked: the policies grant the secrets computed here from the
//! documented naming scheme (and no wildcard but the six-character suffix),
//! the trust conditions carry the exact subjects (GitHub's and GitLab's),
//! every command's shell text splits back into its argument list, each
//! GitLab job's reads split back to the exact secret names, the YAML parses
//! back into the same objects (no injected key or document), and the
//! Terraform parses.

use aws_secrets_manager::generate::generate;
use aws_secrets_manager::request::Request;
use proptest::prelude::*;
use provider_glue::testing::{self, run_property};
use provider_glue::yaml;
use serde_json::{Value, json};

/// How many requests the property throws.
const CASES: u32 = 3000;

/// Plausible names, hostile fragments, and known payloads.
fn name() -> impl Strategy<Value = String> {
    testing::name(
        24,
        &[
            "?",
            "db-AbCdEf",
            "\"}, {\"Effect\": \"Allow\", \"Action\": \"*\", \"Resource\": \"*",
            "-f",
        ],
    )
}

fn region() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => prop::sample::select(vec!["eu-west-1".to_owned(), "us-east-2".to_owned(), "ap-southeast-4".to_owned()]),
        1 => name(),
    ]
}

fn account() -> impl Strategy<Value = String> {
    prop_oneof![6 => "[0-9]{12}", 1 => name()]
}

fn git_ref() -> impl Strategy<Value = String> {
    testing::git_ref(name().boxed())
}

/// The YAML documents of `text`, as JSON values.
fn yaml_documents(text: &str) -> Vec<Value> {
    yaml::parse_documents(text).expect("the YAML parses back")
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
    let accepted = run_property(
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
                "gitlab": { "project": repository, "ref": git_ref },
                "resource_policy": if with_policy { json!({ "vpc_endpoint_id": "vpce-0123456789abcdef0" }) } else { Value::Null },
                "rotation": { "automatically_after_days": 30 },
            });
            let mut input = input;
            if !with_policy {
                input.as_object_mut().unwrap().remove("resource_policy");
            }
            let request: Request =
                serde_json::from_value(input).expect("the input has the request's shape");
            let Some(config) = testing::accepted(generate(&request))? else {
                return Ok(false);
            };
            let output = serde_json::to_value(&config).unwrap();
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
                let (ref_type, bare_ref) = match git_ref.strip_prefix("refs/tags/") {
                    Some(tag) => ("tag", tag),
                    None => ("branch", git_ref.trim_start_matches("refs/heads/")),
                };
                prop_assert_eq!(
                    &trust[2]["Condition"]["StringEquals"]["gitlab.com:sub"],
                    &json!(format!(
                        "project_path:{repository}:ref_type:{ref_type}:ref:{bare_ref}"
                    ))
                );
                for command in env_config["commands"].as_array().unwrap() {
                    let words = shlex::split(command["shell"].as_str().unwrap());
                    prop_assert_eq!(words.map(|w| json!(w)), Some(command["argv"].clone()));
                }
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
            let workflow = yaml_documents(config.github_workflow.as_deref().unwrap());
            let jobs: Vec<String> = workflow[0]["jobs"]
                .as_object()
                .unwrap()
                .keys()
                .cloned()
                .collect();
            let expected_jobs: Vec<String> =
                environments.iter().map(|e| format!("read-{e}")).collect();
            prop_assert_eq!(&jobs, &expected_jobs);
            let pipeline = yaml_documents(config.gitlab_ci.as_deref().unwrap());
            let gitlab_jobs: Vec<String> =
                pipeline[0].as_object().unwrap().keys().cloned().collect();
            prop_assert_eq!(&gitlab_jobs, &expected_jobs);
            for (job, env) in pipeline[0].as_object().unwrap().values().zip(&environments) {
                // Each read, split back out of its `VAR="$(…)"` line, names the secret exactly.
                let reads = testing::captured_commands(job, ["aws", "secretsmanager"]);
                let expected: Vec<String> =
                    secrets.iter().map(|s| format!("{env}/{app}/{s}")).collect();
                let named: Vec<String> = reads.iter().map(|argv| argv[6].clone()).collect();
                prop_assert_eq!(named, expected);
            }
            let body = hcl_edit::parser::parse_body(&config.terraform);
            prop_assert!(body.is_ok(), "main.tf does not parse: {:?}", body.err());
            Ok(true)
        },
    );
    eprintln!("{CASES} cases: {accepted} accepted");
    assert!(
        accepted > CASES / 20,
        "too few requests were accepted ({accepted}) for the property to mean much"
    );
}
