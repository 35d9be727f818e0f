//! The Google Cloud Secret Manager provider, built as a third party builds it
//! (`providers/gcp-secret-manager`, the kit only), signed with minisign and
//! installed with `skill plugin install --require-signature`, run through
//! the binary and checked by real tools: check-jsonschema validates the ESO
//! manifests against ESO's CRD schemas and the GitLab pipeline against its
//! vendored GitLab CI schema (offline); actionlint checks the GitHub
//! workflow; cel-python parses every CEL expression (IAM conditions,
//! provider attribute conditions and mappings) and evaluates them against
//! the claims and times they must admit and refuse; hcl-rs parses `main.tf`
//! back; every `gcloud` command's shell text is split back with shlex and
//! its arguments checked against the command's documented flags; the GitLab
//! job's script runs in a real shell with a `gcloud` that records what it is
//! given; the MCP Python SDK lists and calls the tool.
//!
//! What no emulator here proves: there is no Google Cloud IAM, STS or Secret
//! Manager emulator, so no command is run against Google, no token exchange
//! happens, and that IAM grants exactly these members (and evaluates the
//! conditions as cel-python does) is taken from Google's documentation.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use skill_tests::checkers::{
    CelCase, actionlint, assert_eso_valid, assert_kit_only, assert_refused, cel, gitlab_ci_schema,
    install_provider, mcp_calls, run_gitlab_script, split_documents,
};
use skill_tests::{GCP_SECRET_MANAGER_WASM, Skill, text, workspace};

const TOOL: &str = "gcp-secret-manager";
const EXPIRES: &str = "2027-12-31T23:59:59Z";

fn installed() -> Skill {
    let skill = Skill::new();
    install_provider(&skill, GCP_SECRET_MANAGER_WASM);
    skill
}

/// The request every check starts from: two environments in two projects,
/// two secrets, GKE, GitHub Actions, GitLab CI, a service account, a time
/// window and rotation.
fn request() -> Value {
    json!({
        "app": "payment",
        "environments": [
            { "name": "staging", "project_id": "acme-pay-staging", "project_number": "111111111111" },
            { "name": "production", "project_id": "acme-pay-prod", "project_number": "222222222222" },
        ],
        "secrets": ["db-creds", "api-key"],
        "kubernetes": {
            "cluster": "gke-eu",
            "location": "europe-west1",
            "project_id": "acme-gke-fleet",
            "project_number": "333333333333",
            "namespace": "payment",
        },
        "github": { "repository": "octo-org/payment", "ref": "refs/heads/main" },
        "gitlab": { "project": "octo-org/payments/api", "ref": "refs/tags/v1.2" },
        "service_accounts": ["cloud-run-api@acme-pay-prod.iam.gserviceaccount.com"],
        "condition": { "not_before": "2026-01-01T00:00:00Z", "expires_at": EXPIRES },
        "rotation": { "period": "30d", "next_rotation_time": "2027-01-01T00:00:00Z", "topic": "secret-rotation" },
    })
}

/// Runs the tool with `--out DIR`; returns its JSON output.
fn run_out(skill: &Skill, input: &Value, dir: &Path) -> Value {
    skill.tool_out(TOOL, input, dir)
}

fn strings(value: &Value) -> Vec<String> {
    value
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn the_provider_installs_as_a_third_party_plugin_with_its_guidance() {
    let skill = installed();
    let (stdout, _) = text(&skill.run(&["list", "--format", "json"]));
    assert!(stdout.contains(&format!("\"{TOOL}\"")), "{stdout}");
    let bare = Skill::new();
    let output = bare.run(&["schema", TOOL]);
    assert_eq!(output.status.code(), Some(2), "{:?}", text(&output));
    // The guidance it ships reaches an agent's skills as a skill of its own.
    let home = tempfile::tempdir().unwrap();
    let output = skill
        .command()
        .args(["install", "--agent", "claude-code"])
        .env("HOME", home.path())
        .env_remove("CODEX_HOME")
        .current_dir(home.path())
        .output()
        .unwrap();
    assert!(output.status.success(), "{:?}", text(&output));
    let guide = home
        .path()
        .join(".claude/skills/gcp-secret-manager/SKILL.md");
    let written = std::fs::read_to_string(&guide).unwrap();
    let shipped =
        std::fs::read_to_string(workspace().join("providers/gcp-secret-manager/GUIDANCE.md"))
            .unwrap();
    assert!(
        written.starts_with("---\nname: gcp-secret-manager\ndescription: \"Guidance from the gcp-secret-manager plugin"),
        "{written}"
    );
    assert!(
        written.contains("its tools: gcp-secret-manager."),
        "{written}"
    );
    assert!(written.ends_with(&format!("---\n\n{shipped}")), "{written}");
    let validated = std::process::Command::new("agentskills")
        .arg("validate")
        .arg(guide.parent().unwrap())
        .output()
        .expect("agentskills (pip install skills-ref)");
    assert!(validated.status.success(), "{:?}", text(&validated));
    // The guidance's example input is one the tool takes.
    let example = shipped
        .split("```json\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("the guidance has an example");
    let out = tempfile::tempdir().unwrap();
    let example: Value = serde_json::from_str(example).unwrap();
    run_out(&skill, &example, out.path());
}

#[test]
fn a_hostile_name_is_refused_with_its_pointer_and_nothing_is_written() {
    let skill = installed();
    for (pointer, value) in [
        (
            "/secrets/1",
            json!(["db-creds", "x\", \"member\": \"allUsers"]),
        ),
        (
            "/condition/expires_at",
            json!({ "expires_at": "2027-01-01T00:00:00Z\") || true || (\"" }),
        ),
        ("/service_accounts/0", json!(["allUsers"])),
        ("/environments/1/project_id", json!("evil.com:acme-prod")),
        ("/gitlab/project", json!("group/*")),
    ] {
        let mut input = request();
        match pointer {
            "/secrets/1" => input["secrets"] = value,
            "/condition/expires_at" => input["condition"] = value,
            "/service_accounts/0" => input["service_accounts"] = value,
            "/environments/1/project_id" => input["environments"][1]["project_id"] = value,
            _ => input["gitlab"]["project"] = value,
        }
        assert_refused(&skill, TOOL, &input, pointer);
    }
}

/// Each `gcloud` command the provider emits: its words, how many positional
/// arguments it takes, and the flags its reference page documents
/// (cloud.google.com/sdk/gcloud/reference/…).
const GCLOUD: &[(&[&str], usize, &[&str])] = &[
    (
        &["secrets", "create"],
        1,
        &[
            "--project",
            "--replication-policy",
            "--locations",
            "--labels",
            "--topics",
            "--rotation-period",
            "--next-rotation-time",
        ],
    ),
    (
        &["secrets", "add-iam-policy-binding"],
        1,
        &[
            "--project",
            "--member",
            "--role",
            "--condition",
            "--condition-from-file",
        ],
    ),
    (
        &["secrets", "versions", "access"],
        1,
        &["--secret", "--project"],
    ),
    (
        &["iam", "workload-identity-pools", "create"],
        1,
        &["--project", "--location", "--display-name"],
    ),
    (
        &["iam", "workload-identity-pools", "providers", "create-oidc"],
        1,
        &[
            "--project",
            "--location",
            "--workload-identity-pool",
            "--issuer-uri",
            "--attribute-mapping",
            "--attribute-condition",
            "--allowed-audiences",
        ],
    ),
    (
        &["iam", "workload-identity-pools", "create-cred-config"],
        1,
        &[
            "--credential-source-file",
            "--credential-source-type",
            "--output-file",
        ],
    ),
    (&["auth", "login"], 0, &["--cred-file"]),
    (&["pubsub", "topics", "create"], 1, &["--project"]),
    (
        &["pubsub", "topics", "add-iam-policy-binding"],
        1,
        &["--project", "--member", "--role"],
    ),
    (
        &["beta", "services", "identity", "create"],
        0,
        &["--service", "--project"],
    ),
];

/// Checks `argv` against [`GCLOUD`]: a known command, its positional
/// arguments (none starting with `-`), then only documented `--flag=value`s.
fn check_gcloud(argv: &[String]) {
    assert_eq!(argv[0], "gcloud", "{argv:?}");
    let (words, positional, flags) = GCLOUD
        .iter()
        .filter(|(words, _, _)| {
            argv[1..].starts_with(&words.iter().map(|w| (*w).to_owned()).collect::<Vec<_>>())
        })
        .max_by_key(|(words, _, _)| words.len())
        .unwrap_or_else(|| panic!("an undocumented gcloud command: {argv:?}"));
    let rest = &argv[1 + words.len()..];
    for arg in &rest[..*positional] {
        assert!(
            !arg.starts_with('-'),
            "a positional argument reads as a flag: {argv:?}"
        );
    }
    for arg in &rest[*positional..] {
        let (flag, value) = arg
            .split_once('=')
            .unwrap_or_else(|| panic!("`{arg}` is not --flag=value: {argv:?}"));
        assert!(
            flags.contains(&flag),
            "`{flag}` is not a flag of gcloud {words:?}: {argv:?}"
        );
        assert!(!value.is_empty(), "{argv:?}");
    }
}

#[test]
fn every_gcloud_command_splits_back_into_its_documented_arguments() {
    let skill = installed();
    let out = tempfile::tempdir().unwrap();
    let output = run_out(&skill, &request(), out.path());
    let mut checked = 0;
    let mut grants = BTreeSet::new();
    for env in output["environments"].as_array().unwrap() {
        let project = env["project_id"].as_str().unwrap();
        let ids: Vec<String> = env["secrets"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["secret_id"].as_str().unwrap().to_owned())
            .collect();
        let members: Vec<&str> = env["binding"]["members"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["member"].as_str().unwrap())
            .collect();
        for command in env["commands"].as_array().unwrap() {
            let argv = strings(&command["argv"]);
            let split = shlex::split(command["shell"].as_str().unwrap()).unwrap();
            assert_eq!(split, argv);
            check_gcloud(&argv);
            assert_ne!(
                argv[1], "projects",
                "nothing is granted on a project: {argv:?}"
            );
            assert!(argv.contains(&format!("--project={project}")), "{argv:?}");
            if argv[1..3] == ["secrets", "add-iam-policy-binding"] {
                assert!(ids.contains(&argv[3]), "{argv:?}");
                let member = argv[5].strip_prefix("--member=").unwrap();
                assert!(members.contains(&member), "{argv:?}");
                assert_eq!(argv[6], "--role=roles/secretmanager.secretAccessor");
                let file = argv[7].strip_prefix("--condition-from-file=").unwrap();
                let condition: Value =
                    serde_json::from_str(&std::fs::read_to_string(out.path().join(file)).unwrap())
                        .unwrap();
                assert_eq!(condition, env["binding"]["condition"]);
                grants.insert((argv[3].clone(), member.to_owned()));
            }
            checked += 1;
        }
        // Every member on every secret of its environment, nothing else.
        for id in &ids {
            for member in &members {
                assert!(
                    grants.contains(&(id.clone(), (*member).to_owned())),
                    "{id} {member}"
                );
            }
        }
    }
    assert_eq!(grants.len(), 2 * 2 * 4, "environments × secrets × members");
    assert!(checked > grants.len());
    // Controls: an undocumented flag, a value in its own word and a
    // positional argument that reads as a flag are each caught.
    for bad in [
        &[
            "gcloud",
            "secrets",
            "create",
            "s",
            "--replication=automatic",
        ][..],
        &["gcloud", "secrets", "create", "s", "--project", "p"],
        &["gcloud", "secrets", "create", "--project=p"],
    ] {
        let bad: Vec<String> = bad.iter().map(|w| (*w).to_owned()).collect();
        assert!(
            std::panic::catch_unwind(|| check_gcloud(&bad)).is_err(),
            "{bad:?}"
        );
    }
}

/// The resource blocks of `main.tf` of one kind, by name.
fn blocks<'a>(body: &'a hcl::Body, kind: &str) -> BTreeMap<String, &'a hcl::Body> {
    body.blocks()
        .filter(|b| b.identifier() == "resource" && b.labels()[0].as_str() == kind)
        .map(|b| (b.labels()[1].as_str().to_owned(), b.body()))
        .collect()
}

fn attribute<'a>(body: &'a hcl::Body, key: &str) -> &'a hcl::Expression {
    body.attributes()
        .find(|a| a.key() == key)
        .unwrap_or_else(|| panic!("no attribute {key}"))
        .expr()
}

fn string(body: &hcl::Body, key: &str) -> String {
    match attribute(body, key) {
        hcl::Expression::String(text) => text.clone(),
        other => panic!("{key} is not a string: {other:?}"),
    }
}

/// The resource name a reference `kind.name.attribute` points at.
fn referenced(body: &hcl::Body, key: &str) -> String {
    match attribute(body, key) {
        hcl::Expression::Traversal(traversal) => match &traversal.operators[0] {
            hcl::expr::TraversalOperator::GetAttr(name) => name.to_string(),
            other => panic!("{other:?}"),
        },
        other => panic!("{key} is not a reference: {other:?}"),
    }
}

#[test]
fn main_tf_parses_back_to_a_grant_per_secret_and_member() {
    let skill = installed();
    let out = tempfile::tempdir().unwrap();
    let output = run_out(&skill, &request(), out.path());
    let text = std::fs::read_to_string(out.path().join("main.tf")).unwrap();
    assert_eq!(text, output["terraform"].as_str().unwrap());
    let body: hcl::Body = hcl::from_str(&text).expect("main.tf parses");
    let secrets = blocks(&body, "google_secret_manager_secret");
    let members = blocks(&body, "google_secret_manager_secret_iam_member");
    let mut expected = BTreeSet::new();
    for env in output["environments"].as_array().unwrap() {
        for secret in env["secrets"].as_array().unwrap() {
            for member in env["binding"]["members"].as_array().unwrap() {
                expected.insert((
                    env["project_id"].as_str().unwrap().to_owned(),
                    secret["secret_id"].as_str().unwrap().to_owned(),
                    member["member"].as_str().unwrap().to_owned(),
                ));
            }
        }
    }
    let mut granted = BTreeSet::new();
    for block in members.values() {
        let secret = secrets[&referenced(block, "secret_id")];
        assert_eq!(
            referenced(block, "project"),
            referenced(block, "secret_id"),
            "project and secret_id of one secret"
        );
        assert_eq!(string(block, "role"), "roles/secretmanager.secretAccessor");
        let condition = block
            .blocks()
            .find(|b| b.identifier() == "condition")
            .unwrap();
        assert_eq!(
            string(condition.body(), "expression"),
            output["environments"][0]["binding"]["condition"]["expression"]
                .as_str()
                .unwrap()
        );
        granted.insert((
            string(secret, "project"),
            string(secret, "secret_id"),
            string(block, "member"),
        ));
    }
    assert_eq!(granted, expected);
    assert!(
        !body.blocks().any(|b| b
            .labels()
            .first()
            .is_some_and(|l| l.as_str().starts_with("google_project_iam"))),
        "no project-wide grant"
    );
    // Rotation and its topic on every secret; one pool with two providers per project.
    for secret in secrets.values() {
        let rotation = secret
            .blocks()
            .find(|b| b.identifier() == "rotation")
            .unwrap();
        assert_eq!(string(rotation.body(), "rotation_period"), "2592000s");
        assert!(secret.blocks().any(|b| b.identifier() == "topics"));
    }
    assert_eq!(blocks(&body, "google_iam_workload_identity_pool").len(), 2);
    let providers = blocks(&body, "google_iam_workload_identity_pool_provider");
    assert_eq!(providers.len(), 4);
    for provider in providers.values() {
        let condition = string(provider, "attribute_condition");
        assert!(
            condition.starts_with("assertion.repository == \"octo-org/payment\"")
                || condition.starts_with("assertion.project_path == \"octo-org/payments/api\""),
            "{condition}"
        );
    }
    assert_eq!(blocks(&body, "google_pubsub_topic_iam_member").len(), 2);
}

#[test]
fn eso_manifests_validate_against_the_eso_crd_schemas() {
    let skill = installed();
    let mut cluster_store = request();
    cluster_store["kubernetes"]["store_kind"] = json!("ClusterSecretStore");
    cluster_store["kubernetes"]["refresh_interval"] = json!("15m");
    let mut own_project = request();
    own_project["kubernetes"] = json!({ "cluster": "gke-eu", "location": "europe-west1-b" });
    let mut validated = 0;
    for input in [request(), cluster_store, own_project] {
        let out = tempfile::tempdir().unwrap();
        let output = run_out(&skill, &input, out.path());
        for env in output["environments"].as_array().unwrap() {
            let manifests = env["kubernetes_manifests"].as_str().unwrap();
            let split = tempfile::tempdir().unwrap();
            for (kind, path) in split_documents(manifests, split.path()) {
                let document: Value =
                    serde_yaml_ng::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
                if kind == "ServiceAccount" {
                    assert!(
                        document["metadata"]["annotations"].is_null(),
                        "no GSA in between"
                    );
                    continue;
                }
                if kind.ends_with("SecretStore") {
                    let gcpsm = &document["spec"]["provider"]["gcpsm"];
                    assert_eq!(gcpsm["projectID"], env["project_id"]);
                    let project = input["kubernetes"]["project_id"]
                        .as_str()
                        .unwrap_or_else(|| env["project_id"].as_str().unwrap());
                    assert_eq!(
                        gcpsm["auth"]["workloadIdentity"]["clusterProjectID"],
                        project
                    );
                }
                assert_eso_valid(&kind, &path);
                validated += 1;
            }
        }
    }
    assert_eq!(
        validated, 12,
        "a store and an ExternalSecret per environment and request"
    );
}

#[test]
fn the_github_workflow_passes_actionlint() {
    let skill = installed();
    let out = tempfile::tempdir().unwrap();
    let output = run_out(&skill, &request(), out.path());
    let workflow = out.path().join("github-workflow.yml");
    let text = std::fs::read_to_string(&workflow).unwrap();
    assert_eq!(text, output["github_workflow"].as_str().unwrap());
    if let Err(findings) = actionlint(&[&workflow]) {
        panic!("actionlint:\n{findings}");
    }
    let parsed: Value = serde_yaml_ng::from_str(&text).unwrap();
    let steps = &parsed["jobs"]["read-production"]["steps"];
    assert_eq!(
        steps[0]["with"]["workload_identity_provider"],
        "projects/222222222222/locations/global/workloadIdentityPools/payment-ci/providers/github"
    );
    assert_eq!(
        steps[1]["with"]["secrets"],
        "SECRET_DB_CREDS:acme-pay-prod/payment_production_db-creds\nSECRET_API_KEY:acme-pay-prod/payment_production_api-key\n"
    );
    let broken = out.path().join("broken.yml");
    std::fs::write(&broken, text.replace("runs-on", "runs_on")).unwrap();
    assert!(actionlint(&[&broken]).is_err());
}

/// A `gcloud` that records each call's arguments (one file per call, NUL
/// between arguments) and answers `secrets versions access` with a value
/// naming the secret.
fn recording_gcloud(dir: &Path) -> PathBuf {
    let bin = dir.join("bin");
    std::fs::create_dir(&bin).unwrap();
    let script = r#"#!/bin/sh
calls="$GCLOUD_CALLS"
n=$(ls "$calls" | wc -l)
for arg in "$@"; do printf '%s\0' "$arg"; done > "$calls/$(printf '%03d' "$n")"
if [ "$1 $2 $3" = "secrets versions access" ]; then printf 'value of %s' "$5"; fi
"#;
    let gcloud = bin.join("gcloud");
    std::fs::write(&gcloud, script).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&gcloud, std::fs::Permissions::from_mode(0o755)).unwrap();
    bin
}

#[test]
fn the_gitlab_pipeline_passes_gitlabs_schema_and_its_jobs_log_in_and_read() {
    let skill = installed();
    let out = tempfile::tempdir().unwrap();
    let output = run_out(&skill, &request(), out.path());
    let file = out.path().join("gitlab-ci.yml");
    let text = std::fs::read_to_string(&file).unwrap();
    assert_eq!(text, output["gitlab_ci"].as_str().unwrap());
    if let Err(report) = gitlab_ci_schema(&[&file]) {
        panic!("GitLab CI schema:\n{report}\n{text}");
    }
    // Controls: the schema is strict, so a pass above means something.
    for (from, to) in [("id_tokens", "id_token"), ("aud:", "audience:")] {
        let broken = out.path().join("broken.yml");
        std::fs::write(&broken, text.replace(from, to)).unwrap();
        assert!(gitlab_ci_schema(&[&broken]).is_err(), "{from} → {to}");
    }
    let pipeline: Value = serde_yaml_ng::from_str(&text).unwrap();
    for env in output["environments"].as_array().unwrap() {
        let name = env["environment"].as_str().unwrap();
        let project = env["project_id"].as_str().unwrap();
        let provider = &env["workload_identity_providers"][1];
        let job = &pipeline[format!("read-{name}")];
        assert_eq!(
            job["id_tokens"]["GITLAB_OIDC_TOKEN"]["aud"],
            provider["allowed_audience"]
        );
        assert_eq!(job["rules"][0]["if"], "$CI_COMMIT_TAG == \"v1.2\"");
        let dir = tempfile::tempdir().unwrap();
        let bin = recording_gcloud(dir.path());
        let calls = dir.path().join("calls");
        std::fs::create_dir(&calls).unwrap();
        let token = "eyJhbGciOiJSUzI1NiJ9.e30.c2ln'\"$(x)";
        let vars = run_gitlab_script(
            job,
            dir.path(),
            &bin,
            &[
                ("GITLAB_OIDC_TOKEN", token),
                ("GCLOUD_CALLS", calls.to_str().unwrap()),
            ],
        );
        let mut recorded: Vec<PathBuf> = std::fs::read_dir(&calls)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        recorded.sort();
        let recorded: Vec<Vec<String>> = recorded
            .iter()
            .map(|path| {
                let bytes = std::fs::read(path).unwrap();
                let mut words: Vec<String> = bytes
                    .split(|b| *b == 0)
                    .map(|w| String::from_utf8(w.to_vec()).unwrap())
                    .collect();
                words.pop();
                words
            })
            .collect();
        assert_eq!(recorded.len(), 4, "{recorded:?}");
        let flag = |argv: &[String], name: &str| -> String {
            argv.iter()
                .find_map(|a| a.strip_prefix(&format!("{name}=")))
                .unwrap_or_else(|| panic!("{name} in {argv:?}"))
                .to_owned()
        };
        let create = &recorded[0];
        assert_eq!(
            create[..4],
            [
                "iam",
                "workload-identity-pools",
                "create-cred-config",
                provider["name"].as_str().unwrap(),
            ]
        );
        let token_file = flag(create, "--credential-source-file");
        assert_eq!(std::fs::read_to_string(&token_file).unwrap(), token);
        assert_eq!(flag(create, "--credential-source-type"), "text");
        let credentials = flag(create, "--output-file");
        assert_eq!(
            recorded[1],
            ["auth", "login", &format!("--cred-file={credentials}")]
        );
        for (call, secret) in recorded[2..].iter().zip(env["secrets"].as_array().unwrap()) {
            let id = secret["secret_id"].as_str().unwrap();
            assert_eq!(
                call,
                &[
                    "secrets",
                    "versions",
                    "access",
                    "latest",
                    &format!("--secret={id}"),
                    &format!("--project={project}"),
                ]
            );
            let short = id.rsplit('_').next().unwrap();
            let variable = format!("SECRET_{}", short.to_uppercase().replace('-', "_"));
            assert_eq!(vars[&variable], format!("value of --secret={id}"));
        }
        for argv in &recorded {
            let mut full = vec!["gcloud".to_owned()];
            full.extend(argv.iter().cloned());
            check_gcloud(&full);
        }
    }
}

#[test]
fn every_cel_expression_parses_and_admits_exactly_what_was_asked() {
    let skill = installed();
    let out = tempfile::tempdir().unwrap();
    let output = run_out(&skill, &request(), out.path());
    let mut cases = Vec::new();
    let time = |at: &str| json!({ "request": { "time": { "$timestamp": at } } });
    for env in output["environments"].as_array().unwrap() {
        let name = env["environment"].as_str().unwrap();
        let expression = env["binding"]["condition"]["expression"].as_str().unwrap();
        for (at, expect) in [
            ("2025-12-31T23:59:59Z", false),
            ("2026-01-01T00:00:00Z", true),
            ("2027-06-01T12:00:00Z", true),
            (EXPIRES, false),
            ("2028-01-01T00:00:00Z", false),
        ] {
            cases.push(CelCase {
                name: format!("{name}: access at {at}"),
                expression: expression.to_owned(),
                activation: Some(time(at)),
                expect: json!(expect),
            });
        }
        let claims = |repository: &str, project_path: &str, ref_type: &str, git_ref: &str| {
            json!({ "assertion": {
                "sub": "s", "repository": repository, "project_path": project_path,
                "ref_type": ref_type, "ref": git_ref,
            }})
        };
        let providers = env["workload_identity_providers"].as_array().unwrap();
        let github = providers[0]["attribute_condition"].as_str().unwrap();
        for (claims, expect) in [
            (claims("octo-org/payment", "", "", "refs/heads/main"), true),
            (claims("octo-org/payment", "", "", "refs/heads/dev"), false),
            (
                claims("octo-org/payment-fork", "", "", "refs/heads/main"),
                false,
            ),
            (claims("evil/payment", "", "", "refs/heads/main"), false),
        ] {
            cases.push(CelCase {
                name: format!("{name}: github {claims}"),
                expression: github.to_owned(),
                activation: Some(claims),
                expect: json!(expect),
            });
        }
        let gitlab = providers[1]["attribute_condition"].as_str().unwrap();
        for (claims, expect) in [
            (claims("", "octo-org/payments/api", "tag", "v1.2"), true),
            (claims("", "octo-org/payments/api", "branch", "v1.2"), false),
            (claims("", "octo-org/payments/api", "tag", "v1.3"), false),
            (claims("", "octo-org/payments", "tag", "v1.2"), false),
        ] {
            cases.push(CelCase {
                name: format!("{name}: gitlab {claims}"),
                expression: gitlab.to_owned(),
                activation: Some(claims),
                expect: json!(expect),
            });
        }
        // The mappings are CEL too: each reads its claim.
        for provider in providers {
            for (attribute, mapping) in provider["attribute_mapping"].as_object().unwrap() {
                let claim = mapping
                    .as_str()
                    .unwrap()
                    .strip_prefix("assertion.")
                    .unwrap();
                cases.push(CelCase {
                    name: format!("{name}: {attribute}"),
                    expression: mapping.as_str().unwrap().to_owned(),
                    activation: Some(json!({ "assertion": { claim: "value" } })),
                    expect: json!("value"),
                });
            }
        }
    }
    // The condition files gcloud reads carry the same expression.
    for entry in std::fs::read_dir(out.path()).unwrap() {
        let path = entry.unwrap().path();
        if path.to_str().unwrap().ends_with(".condition.json") {
            let condition: Value =
                serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
            cases.push(CelCase {
                name: path.display().to_string(),
                expression: condition["expression"].as_str().unwrap().to_owned(),
                activation: None,
                expect: Value::Null,
            });
        }
    }
    assert_eq!(cases.len(), 2 * (5 + 4 + 4 + 3 + 4) + 2);
    match cel(&cases) {
        Ok(report) => assert!(
            report.contains(&format!("{} passed, 0 failed", cases.len())),
            "{report}"
        ),
        Err(report) => panic!("cel-python:\n{report}"),
    }
    // Control: cel-python refuses what is not CEL.
    let broken = [CelCase {
        name: "broken".into(),
        expression: "request.time < timestamp(\"2027-01-01T00:00:00Z\"".into(),
        activation: None,
        expect: Value::Null,
    }];
    assert!(cel(&broken).is_err());
}

#[test]
fn the_python_mcp_sdk_lists_and_calls_the_provider() {
    let report = mcp_calls(&installed(), TOOL, &request());
    assert!(report.contains("6 passed, 0 failed"), "{report}");
}

#[test]
fn the_provider_depends_on_the_kit_and_nothing_of_the_host_or_first_party_plugins() {
    assert_kit_only("providers/gcp-secret-manager/Cargo.toml");
}
