//! Property test: generated hostile names in every name field. Each request
//! is either refused, naming a field, or everything it produces says exactly
//! what was asked: the secret ids and members recomputed here from the
//! documented formats, the CEL conditions recomputed from the checked
//! values, every command's shell text split back into its argument list,
//! every GitLab script line's command split back too, the YAML parsed back
//! into the same objects (no injected key or document), and the Terraform
//! parsed, its grants exactly the members asked for.

use std::collections::BTreeSet;

use gcp_secret_manager::generate::generate;
use gcp_secret_manager::request::Request;
use proptest::prelude::*;
use provider_glue::testing::{self, run_property, terraform_strings, yaml_documents};
use serde_json::{Value, json};

/// How many requests the property throws.
const CASES: u32 = 3000;

/// Plausible names, hostile fragments, and known payloads.
fn name() -> impl Strategy<Value = String> {
    testing::name(
        40,
        &[
            "allUsers",
            "\" || true || \"",
            "--project=evil",
            "a,b=c",
            "my-google-app",
        ],
    )
}

/// Project ids and service account ids: 6 or more characters.
fn long_id() -> impl Strategy<Value = String> {
    prop_oneof![6 => "[a-z][a-z0-9-]{4,20}[a-z0-9]", 1 => name()]
}

fn location() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => prop::sample::select(vec!["europe-west1".to_owned(), "us-central1-a".to_owned()]),
        1 => name(),
    ]
}

fn project_number() -> impl Strategy<Value = String> {
    prop_oneof![6 => "[1-9][0-9]{11}", 1 => name()]
}

fn git_ref() -> impl Strategy<Value = String> {
    testing::git_ref(name().boxed())
}

fn timestamp() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => "20(2[7-9]|3[0-9])-0[1-9]-[0-2][1-8]T[01][0-9]:[0-5][0-9]:[0-5][0-9]Z",
        1 => name(),
    ]
}

/// A CEL string literal of a value the checks admit (no `"` or `\`).
fn lit(text: &str) -> String {
    format!("\"{text}\"")
}

#[test]
fn hostile_names_are_refused_or_produce_exactly_what_was_asked() {
    let strategy = (
        (
            name(),
            prop::collection::vec((name(), long_id(), project_number()), 1..3),
            prop::collection::vec(name(), 1..3),
        ),
        (name(), name(), location()),
        (name(), git_ref(), name()),
        (long_id(), timestamp(), name()),
    );
    let accepted = run_property(
        CASES,
        strategy,
        |(
            (app, environments, secrets),
            (namespace, cluster, location),
            (owner, git_ref, group),
            (account, expires_at, topic),
        )| {
            let repository = format!("{owner}/{app}");
            let project_path = format!("{group}/{app}");
            let service_account =
                format!("{account}@{}.iam.gserviceaccount.com", environments[0].1);
            let input = json!({
                "app": app,
                "environments": environments
                    .iter()
                    .map(|(name, id, number)| json!({ "name": name, "project_id": id, "project_number": number }))
                    .collect::<Vec<_>>(),
                "secrets": secrets,
                "kubernetes": { "cluster": cluster, "location": location, "namespace": namespace },
                "github": { "repository": repository, "ref": git_ref },
                "gitlab": { "project": project_path, "ref": git_ref },
                "service_accounts": [service_account],
                "condition": { "expires_at": expires_at },
                "rotation": { "period": "30d", "next_rotation_time": expires_at, "topic": topic },
            });
            let request: Request =
                serde_json::from_value(input).expect("the input has the request's shape");
            let Some(config) = testing::accepted(generate(&request))? else {
                return Ok(false);
            };
            let output = serde_json::to_value(&config).unwrap();
            let envs = output["environments"].as_array().unwrap();
            prop_assert_eq!(envs.len(), environments.len());
            let condition = format!("request.time < timestamp({})", lit(&expires_at));
            let (branch_or_tag, bare_ref) = match git_ref.strip_prefix("refs/tags/") {
                Some(tag) => ("tag", tag),
                None => ("branch", git_ref.trim_start_matches("refs/heads/")),
            };
            let mut all_members = BTreeSet::new();
            let mut all_ids = BTreeSet::new();
            for (env_config, (env, project, number)) in envs.iter().zip(&environments) {
                let ids: Vec<String> = secrets.iter().map(|s| format!("{app}_{env}_{s}")).collect();
                all_ids.extend(ids.iter().cloned());
                let names: Vec<Value> = ids
                    .iter()
                    .map(|id| json!(format!("projects/{project}/secrets/{id}")))
                    .collect();
                let given: Vec<Value> = env_config["secrets"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|s| s["name"].clone())
                    .collect();
                prop_assert_eq!(given, names);
                let pool =
                    format!("projects/{number}/locations/global/workloadIdentityPools/{app}-ci");
                let members = vec![
                    format!(
                        "principal://iam.googleapis.com/projects/{number}/locations/global/workloadIdentityPools/{project}.svc.id.goog/subject/ns/{namespace}/sa/{app}-{env}"
                    ),
                    format!(
                        "principalSet://iam.googleapis.com/{pool}/attribute.repository/{repository}"
                    ),
                    format!(
                        "principalSet://iam.googleapis.com/{pool}/attribute.project_path/{project_path}"
                    ),
                    format!("serviceAccount:{service_account}"),
                ];
                all_members.extend(members.iter().cloned());
                let given: Vec<&str> = env_config["binding"]["members"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|m| m["member"].as_str().unwrap())
                    .collect();
                prop_assert_eq!(&given, &members);
                prop_assert_eq!(
                    &env_config["binding"]["condition"]["expression"],
                    &json!(condition)
                );
                let providers = env_config["workload_identity_providers"]
                    .as_array()
                    .unwrap();
                prop_assert_eq!(
                    &providers[0]["attribute_condition"],
                    &json!(format!(
                        "assertion.repository == {} && assertion.ref == {}",
                        lit(&repository),
                        lit(&git_ref)
                    ))
                );
                prop_assert_eq!(
                    &providers[1]["attribute_condition"],
                    &json!(format!(
                        "assertion.project_path == {} && assertion.ref_type == {} && assertion.ref == {}",
                        lit(&project_path),
                        lit(branch_or_tag),
                        lit(bare_ref)
                    ))
                );
                prop_assert_eq!(
                    &providers[1]["allowed_audience"],
                    &json!(format!(
                        "https://iam.googleapis.com/{pool}/providers/gitlab"
                    ))
                );
                for command in env_config["commands"].as_array().unwrap() {
                    let words = shlex::split(command["shell"].as_str().unwrap());
                    prop_assert_eq!(words.map(|w| json!(w)), Some(command["argv"].clone()));
                    let argv = command["argv"].as_array().unwrap();
                    prop_assert_eq!(&argv[0], "gcloud");
                    // Every grant is on one of this environment's secrets.
                    if argv[2] == "add-iam-policy-binding" && argv[1] == "secrets" {
                        prop_assert!(ids.iter().any(|id| argv[3] == id.as_str()), "{argv:?}");
                        let granted = members.iter().any(|m| argv[5] == format!("--member={m}"));
                        prop_assert!(granted, "{argv:?}");
                    }
                }
                let documents =
                    yaml_documents(env_config["kubernetes_manifests"].as_str().unwrap());
                let kinds: Vec<&str> = documents
                    .iter()
                    .map(|d| d["kind"].as_str().unwrap())
                    .collect();
                prop_assert_eq!(kinds, ["ServiceAccount", "SecretStore", "ExternalSecret"]);
                prop_assert_eq!(
                    &documents[1]["spec"]["provider"]["gcpsm"]["projectID"],
                    &json!(project)
                );
                let remote: Vec<Value> = documents[2]["spec"]["data"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|d| d["remoteRef"]["key"].clone())
                    .collect();
                prop_assert_eq!(remote, ids.iter().map(|id| json!(id)).collect::<Vec<_>>());
            }
            let workflow = yaml_documents(config.github_workflow.as_deref().unwrap());
            let jobs: Vec<String> = workflow[0]["jobs"]
                .as_object()
                .unwrap()
                .keys()
                .cloned()
                .collect();
            let expected_jobs: Vec<String> = environments
                .iter()
                .map(|e| format!("read-{}", e.0))
                .collect();
            prop_assert_eq!(&jobs, &expected_jobs);
            let pipeline = yaml_documents(config.gitlab_ci.as_deref().unwrap());
            let jobs: Vec<String> = pipeline[0].as_object().unwrap().keys().cloned().collect();
            prop_assert_eq!(&jobs, &expected_jobs);
            for (job, (env, project, _)) in
                pipeline[0].as_object().unwrap().values().zip(&environments)
            {
                let reads = testing::captured_commands(job, ["gcloud", "secrets"]);
                let expected: Vec<Vec<String>> = secrets
                    .iter()
                    .map(|s| {
                        ["gcloud", "secrets", "versions", "access", "latest"]
                            .iter()
                            .map(|w| (*w).to_owned())
                            .chain([
                                format!("--secret={app}_{env}_{s}"),
                                format!("--project={project}"),
                            ])
                            .collect()
                    })
                    .collect();
                prop_assert_eq!(reads, expected);
            }
            prop_assert!(hcl_edit::parser::parse_body(&config.terraform).is_ok());
            let body: hcl::Body = hcl::from_str(&config.terraform).expect("main.tf parses");
            let granted: BTreeSet<String> =
                terraform_strings(&body, "google_secret_manager_secret_iam_member", "member")
                    .into_iter()
                    .collect();
            prop_assert_eq!(granted, all_members);
            let created: BTreeSet<String> =
                terraform_strings(&body, "google_secret_manager_secret", "secret_id")
                    .into_iter()
                    .collect();
            prop_assert_eq!(created, all_ids);
            Ok(true)
        },
    );
    eprintln!("{CASES} cases: {accepted} accepted");
    assert!(
        accepted > CASES / 20,
        "too few requests were accepted ({accepted}) for the property to mean much"
    );
}
