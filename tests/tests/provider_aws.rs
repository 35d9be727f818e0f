//! The AWS Secrets Manager provider, built as a third party builds it
//! (`providers/aws-secrets-manager`, the kit only), signed with minisign and
//! installed with `skill plugin install --require-signature`, checked by real
//! tools: parliament lints every
//! generated identity and resource policy; a moto server takes every generated `aws` command,
//! and every ARN the policies grant resolves to exactly the app's secrets;
//! check-jsonschema validates the ESO manifests against ESO's own CRD
//! schemas; actionlint checks the GitHub Actions workflow; check-jsonschema
//! checks the GitLab pipeline against its vendored GitLab CI schema, and each
//! of its jobs runs in a real shell against moto: it assumes its role with
//! `aws sts assume-role-with-web-identity` and reads its secrets.
//!
//! Trust policies are outside parliament 1.6.4's model: it requires a
//! `Resource` in every statement and knows no IAM OIDC provider
//! (`statement.py`), so moto (which validates trust documents on
//! `CreateRole`) and the property test check them instead.
//!
//! What moto cannot prove: it authorizes Secrets Manager calls by action
//! only (its IAM check passes `*` as the resource, moto 5.2.6
//! `core/authorization.py`) and evaluates no conditions, so which reads the
//! policies allow and deny is checked here by matching the granted ARN
//! patterns against every secret the server created, decoys included. Nor
//! does moto check the web identity token (signature, `sub`, `aud`) or the
//! trust policy on `AssumeRoleWithWebIdentity`: the trust's GitLab statement
//! is checked as data, not exercised.

use std::path::Path;

use serde_json::{Value, json};
use skill_tests::checkers::{
    actionlint, assert_eso_valid, assert_kit_only, assert_refused, check_jsonschema, eso_schema,
    gitlab_ci_schema, install_provider, mcp_calls, parliament, run_gitlab_script, split_documents,
};
use skill_tests::moto::Moto;
use skill_tests::{AWS_SECRETS_MANAGER_WASM, Skill, text};

const TOOL: &str = "aws-secrets-manager";
/// moto's default account: the ARNs it makes carry it.
const ACCOUNT: &str = "123456789012";
const REGION: &str = "eu-west-1";

fn installed() -> Skill {
    let skill = Skill::new();
    install_provider(&skill, AWS_SECRETS_MANAGER_WASM);
    skill
}

/// The request every check starts from: two environments, two secrets,
/// IRSA, GitHub Actions, a resource policy and rotation.
fn request(kms_key_id: &str) -> Value {
    json!({
        "app": "payment",
        "environments": ["staging", "production"],
        "secrets": ["db-creds", "api-key"],
        "account_id": ACCOUNT,
        "region": REGION,
        "kms_key_id": kms_key_id,
        "kubernetes": {
            "identity": "irsa",
            "cluster": "prod-eu",
            "oidc_issuer": "oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE",
            "namespace": "payment",
        },
        "github": { "repository": "octo-org/payment", "ref": "refs/heads/main" },
        "resource_policy": {
            "also_allow_role_arns": [format!("arn:aws:iam::{ACCOUNT}:role/secrets-rotation")],
        },
        "rotation": { "automatically_after_days": 30 },
    })
}

const KEY_ID: &str = "1234abcd-12ab-34cd-56ef-1234567890ab";

/// Runs the tool with `--out DIR`; returns its JSON output.
fn run_out(skill: &Skill, input: &Value, dir: &Path) -> Value {
    skill.tool_out(TOOL, input, dir)
}

/// IAM's wildcard match: `*` any run of characters, `?` exactly one.
fn iam_match(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    fn go(p: &[char], t: &[char]) -> bool {
        match p.first() {
            None => t.is_empty(),
            Some('*') => (0..=t.len()).any(|skip| go(&p[1..], &t[skip..])),
            Some('?') => !t.is_empty() && go(&p[1..], &t[1..]),
            Some(c) => t.first() == Some(c) && go(&p[1..], &t[1..]),
        }
    }
    go(&p, &t)
}

#[test]
fn the_provider_installs_as_a_third_party_plugin() {
    let skill = installed();
    let output = skill.run(&["plugin", "list"]);
    let (stdout, _) = text(&output);
    assert!(stdout.contains(TOOL), "{stdout}");
    let output = skill.run(&["list", "--format", "json"]);
    let (stdout, _) = text(&output);
    assert!(stdout.contains(&format!("\"{TOOL}\"")), "{stdout}");
    // Without the install the tool is unknown: the binary does not carry it.
    let bare = Skill::new();
    let output = bare.run(&["schema", TOOL]);
    assert_eq!(output.status.code(), Some(2), "{:?}", text(&output));
}

#[test]
fn a_hostile_name_is_refused_with_its_pointer_and_nothing_is_written() {
    let mut input = request(KEY_ID);
    input["secrets"] = json!(["db-creds", "x\"], \"Resource\": \"*"]);
    assert_refused(&installed(), TOOL, &input, "/secrets/1");
}

#[test]
fn parliament_finds_nothing_in_any_generated_policy() {
    let skill = installed();
    let mut pod_identity = request(KEY_ID);
    pod_identity["kubernetes"] = json!({ "identity": "pod-identity", "cluster": "prod-eu" });
    pod_identity["environments"] = json!(["production"]);
    pod_identity["resource_policy"] = json!({ "vpc_endpoint_id": "vpce-0123456789abcdef0" });
    pod_identity["rotation"] =
        json!({ "schedule_expression": "cron(0 4 ? * SUN *)", "duration": "3h" });
    let mut exact = request(KEY_ID);
    exact["known_arns"] = json!([format!(
        "arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:production/payment/db-creds-AbCdEf"
    )]);
    let mut bare = request(KEY_ID);
    for key in [
        "kms_key_id",
        "kubernetes",
        "github",
        "resource_policy",
        "rotation",
    ] {
        bare.as_object_mut().unwrap().remove(key);
    }
    let mut checked = 0;
    for input in [request(KEY_ID), pod_identity, exact, bare] {
        let dir = tempfile::tempdir().unwrap();
        run_out(&skill, &input, dir.path());
        for entry in std::fs::read_dir(dir.path()).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_str().unwrap().to_owned();
            if !(name.ends_with(".policy.json") || name.ends_with(".resource-policy.json")) {
                continue;
            }
            let findings = parliament(&path);
            assert_eq!(
                findings,
                "",
                "parliament on {name}:\n{}",
                std::fs::read_to_string(&path).unwrap()
            );
            checked += 1;
        }
    }
    // Identity and resource policies: 2 + 2 (two environments), 2 (one), 2 + 2, 1 + 1.
    assert_eq!(checked, 12);
}

/// Runs every environment's `aws` commands, in order, on `moto`, in `dir`
/// (where the tool wrote the files they read).
fn run_commands(moto: &Moto, dir: &Path, output: &Value) {
    for env in output["environments"].as_array().unwrap() {
        for command in env["commands"].as_array().unwrap() {
            let argv: Vec<&str> = command["argv"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| a.as_str().unwrap())
                .collect();
            assert_eq!(argv[0], "aws");
            moto.run(dir, &argv[1..]);
        }
    }
}

/// Secrets the app must not reach, created beside its own.
const DECOYS: [&str; 4] = [
    "production/payment/db-creds-old",
    "production/payments/db-creds",
    "production/payment-admin/db-creds",
    "qa/payment/db-creds",
];

#[test]
fn on_moto_every_command_runs_and_every_granted_arn_is_exactly_an_app_secret() {
    let skill = installed();
    let moto = Moto::start();
    let dir = tempfile::tempdir().unwrap();
    let key = moto.json(
        dir.path(),
        &["kms", "create-key", "--description", "payment secrets"],
    );
    let key_id = key["KeyMetadata"]["KeyId"].as_str().unwrap().to_owned();
    for decoy in DECOYS {
        moto.run(
            dir.path(),
            &["secretsmanager", "create-secret", "--name", decoy],
        );
    }
    let output = run_out(&skill, &request(&key_id), dir.path());
    run_commands(&moto, dir.path(), &output);
    let listed = moto.json(dir.path(), &["secretsmanager", "list-secrets"]);
    let created: Vec<(String, String)> = listed["SecretList"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["Name"].as_str().unwrap().to_owned(),
                s["ARN"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(created.len(), DECOYS.len() + 4);
    for env in output["environments"].as_array().unwrap() {
        let name = env["environment"].as_str().unwrap();
        let wanted: Vec<String> = ["db-creds", "api-key"]
            .iter()
            .map(|s| format!("{name}/payment/{s}"))
            .collect();
        let statements = &env["identity_policy"]["Statement"];
        let kms_arns = &statements[1]["Condition"]["StringLike"]["kms:EncryptionContext:SecretARN"];
        assert_eq!(&statements[0]["Resource"], kms_arns);
        for pattern in statements[0]["Resource"].as_array().unwrap() {
            let pattern = pattern.as_str().unwrap();
            let hits: Vec<&str> = created
                .iter()
                .filter(|(_, arn)| iam_match(pattern, arn))
                .map(|(n, _)| n.as_str())
                .collect();
            assert_eq!(hits.len(), 1, "{pattern} matches {hits:?}");
            assert!(
                wanted.iter().any(|w| w == hits[0]),
                "{pattern} grants {}",
                hits[0]
            );
        }
        let granted: Vec<&str> = created
            .iter()
            .filter(|(_, arn)| {
                statements[0]["Resource"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|p| iam_match(p.as_str().unwrap(), arn))
            })
            .map(|(n, _)| n.as_str())
            .collect();
        assert_eq!(granted.len(), wanted.len(), "{name}: grants {granted:?}");
        assert_eq!(
            statements[1]["Resource"],
            format!("arn:aws:kms:{REGION}:{ACCOUNT}:key/{key_id}")
        );
        // The server holds what the commands said: role, trust, attached policy.
        let role_name = env["role_name"].as_str().unwrap();
        let role = moto.json(dir.path(), &["iam", "get-role", "--role-name", role_name]);
        assert_eq!(role["Role"]["Arn"], env["role_arn"]);
        assert_eq!(
            role["Role"]["AssumeRolePolicyDocument"],
            env["trust_policy"]
        );
        let attached = moto.json(
            dir.path(),
            &[
                "iam",
                "list-attached-role-policies",
                "--role-name",
                role_name,
            ],
        );
        assert_eq!(
            attached["AttachedPolicies"][0]["PolicyArn"],
            env["policy_arn"]
        );
        let policy_arn = env["policy_arn"].as_str().unwrap();
        let version = moto.json(
            dir.path(),
            &[
                "iam",
                "get-policy-version",
                "--policy-arn",
                policy_arn,
                "--version-id",
                "v1",
            ],
        );
        assert_eq!(version["PolicyVersion"]["Document"], env["identity_policy"]);
        for secret in &wanted {
            let described = moto.json(
                dir.path(),
                &["secretsmanager", "describe-secret", "--secret-id", secret],
            );
            assert_eq!(described["KmsKeyId"], key_id.as_str(), "{secret}");
            assert_eq!(
                described["RotationRules"]["AutomaticallyAfterDays"], 30,
                "{secret}"
            );
            let policy = moto.json(
                dir.path(),
                &[
                    "secretsmanager",
                    "get-resource-policy",
                    "--secret-id",
                    secret,
                ],
            );
            let stored: Value =
                serde_json::from_str(policy["ResourcePolicy"].as_str().unwrap()).unwrap();
            assert_eq!(stored, env["resource_policy"], "{secret}");
        }
    }
    // Given the ARNs the server made, the policies name them exactly and
    // create nothing again.
    let known: Vec<&str> = created
        .iter()
        .filter(|(n, _)| n.contains("/payment/") && !DECOYS.contains(&n.as_str()))
        .map(|(_, a)| a.as_str())
        .collect();
    let mut input = request(&key_id);
    input["known_arns"] = json!(known);
    let exact_dir = tempfile::tempdir().unwrap();
    let exact = run_out(&skill, &input, exact_dir.path());
    for env in exact["environments"].as_array().unwrap() {
        for secret in env["secrets"].as_array().unwrap() {
            assert_eq!(secret["exact"], true);
            assert!(known.contains(&secret["arn"].as_str().unwrap()));
        }
        let commands: Vec<&str> = env["commands"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["shell"].as_str().unwrap())
            .collect();
        assert!(
            !commands.iter().any(|c| c.contains("create-secret")),
            "{commands:?}"
        );
    }
}

#[test]
fn the_gitlab_pipeline_passes_gitlabs_schema_and_its_jobs_read_the_secrets_on_moto() {
    let skill = installed();
    let moto = Moto::start();
    let dir = tempfile::tempdir().unwrap();
    let key = moto.json(dir.path(), &["kms", "create-key"]);
    let key_id = key["KeyMetadata"]["KeyId"].as_str().unwrap().to_owned();
    let mut input = request(&key_id);
    input["gitlab"] = json!({ "project": "octo-org/payments/api", "ref": "refs/heads/main" });
    let output = run_out(&skill, &input, dir.path());
    run_commands(&moto, dir.path(), &output);
    for env in output["environments"].as_array().unwrap() {
        let gitlab = &env["trust_policy"]["Statement"][2];
        assert_eq!(gitlab["Sid"], "GitlabCi");
        assert_eq!(
            gitlab["Principal"]["Federated"],
            format!("arn:aws:iam::{ACCOUNT}:oidc-provider/gitlab.com")
        );
        assert_eq!(
            gitlab["Condition"]["StringEquals"],
            json!({
                "gitlab.com:aud": "sts.amazonaws.com",
                "gitlab.com:sub": "project_path:octo-org/payments/api:ref_type:branch:ref:main",
            })
        );
        for secret in env["secrets"].as_array().unwrap() {
            let name = secret["name"].as_str().unwrap();
            moto.run(
                dir.path(),
                &[
                    "secretsmanager",
                    "put-secret-value",
                    "--secret-id",
                    name,
                    "--secret-string",
                    &format!("value of {name}"),
                ],
            );
        }
    }
    let file = dir.path().join("gitlab-ci.yml");
    let text = std::fs::read_to_string(&file).unwrap();
    assert_eq!(text, output["gitlab_ci"].as_str().unwrap());
    if let Err(report) = gitlab_ci_schema(&[&file]) {
        panic!("GitLab CI schema:\n{report}\n{text}");
    }
    let broken = dir.path().join("broken.yml");
    std::fs::write(&broken, text.replace("id_tokens", "id_token")).unwrap();
    assert!(gitlab_ci_schema(&[&broken]).is_err());
    let pipeline: Value = serde_yaml_ng::from_str(&text).unwrap();
    for env in output["environments"].as_array().unwrap() {
        let name = env["environment"].as_str().unwrap();
        let job = &pipeline[format!("read-{name}")];
        assert_eq!(
            job["id_tokens"]["GITLAB_OIDC_TOKEN"]["aud"],
            "sts.amazonaws.com"
        );
        assert_eq!(job["rules"][0]["if"], "$CI_COMMIT_BRANCH == \"main\"");
        let run = tempfile::tempdir().unwrap();
        let bin = run.path().join("bin");
        std::fs::create_dir(&bin).unwrap();
        let vars = run_gitlab_script(
            job,
            run.path(),
            &bin,
            &[
                ("AWS_ENDPOINT_URL", moto.endpoint.as_str()),
                ("AWS_CONFIG_FILE", "/dev/null"),
                ("AWS_SHARED_CREDENTIALS_FILE", "/dev/null"),
                ("AWS_PAGER", ""),
                (
                    "GITLAB_OIDC_TOKEN",
                    "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln",
                ),
                ("CI_PROJECT_ID", "42"),
                ("CI_PIPELINE_ID", "7"),
            ],
        );
        // The role's temporary credentials, from STS, replaced none given.
        assert!(vars["AWS_ACCESS_KEY_ID"].len() >= 16, "{vars:?}");
        assert!(!vars["AWS_SESSION_TOKEN"].is_empty());
        for (short, variable) in [
            ("db-creds", "SECRET_DB_CREDS"),
            ("api-key", "SECRET_API_KEY"),
        ] {
            assert_eq!(vars[variable], format!("value of {name}/payment/{short}"));
        }
    }
}

#[test]
fn eso_manifests_validate_against_the_eso_crd_schemas() {
    let skill = installed();
    let mut cluster_store = request(KEY_ID);
    cluster_store["kubernetes"]["store_kind"] = json!("ClusterSecretStore");
    cluster_store["kubernetes"]["refresh_interval"] = json!("15m");
    let mut pod_identity = request(KEY_ID);
    pod_identity["kubernetes"] = json!({ "identity": "pod-identity", "cluster": "prod-eu" });
    let mut validated = 0;
    for input in [request(KEY_ID), cluster_store, pod_identity] {
        let out = tempfile::tempdir().unwrap();
        let output = run_out(&skill, &input, out.path());
        for env in output["environments"].as_array().unwrap() {
            let manifests = env["kubernetes_manifests"].as_str().unwrap();
            let split = tempfile::tempdir().unwrap();
            for (kind, path) in split_documents(manifests, split.path()) {
                if kind == "ServiceAccount" {
                    let text = std::fs::read_to_string(&path).unwrap();
                    assert!(
                        text.contains(&format!(
                            "eks.amazonaws.com/role-arn: {}",
                            env["role_arn"].as_str().unwrap()
                        )),
                        "{text}"
                    );
                    continue;
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
fn the_eso_schemas_refuse_what_the_api_server_would() {
    // Controls: the schemas are strict, so a pass above means something.
    let dir = tempfile::tempdir().unwrap();
    let bad_field = dir.path().join("bad-field.yaml");
    std::fs::write(
        &bad_field,
        "apiVersion: external-secrets.io/v1\nkind: SecretStore\nmetadata:\n  name: s\nspec:\n  provider:\n    aws:\n      service: SecretsManager\n      region: eu-west-1\n      rol: x\n",
    )
    .unwrap();
    let bad_name = dir.path().join("bad-name.yaml");
    std::fs::write(
        &bad_name,
        "apiVersion: external-secrets.io/v1\nkind: SecretStore\nmetadata:\n  name: Payment_Store\nspec:\n  provider:\n    aws:\n      service: SecretsManager\n      region: eu-west-1\n",
    )
    .unwrap();
    for file in [&bad_field, &bad_name] {
        assert!(
            check_jsonschema(&eso_schema("SecretStore"), &[file]).is_err(),
            "{}",
            file.display()
        );
    }
}

#[test]
fn the_github_workflow_passes_actionlint() {
    let skill = installed();
    let out = tempfile::tempdir().unwrap();
    let output = run_out(&skill, &request(KEY_ID), out.path());
    let workflow = out.path().join("github-workflow.yml");
    assert_eq!(
        std::fs::read_to_string(&workflow).unwrap(),
        output["github_workflow"].as_str().unwrap()
    );
    if let Err(findings) = actionlint(&[&workflow]) {
        panic!("actionlint:\n{findings}");
    }
    // Control: the same workflow with a misspelt key is flagged.
    let broken = out.path().join("broken.yml");
    std::fs::write(
        &broken,
        std::fs::read_to_string(&workflow)
            .unwrap()
            .replace("runs-on", "runs_on"),
    )
    .unwrap();
    assert!(actionlint(&[&broken]).is_err());
}

#[test]
fn the_python_mcp_sdk_lists_and_calls_the_provider() {
    let report = mcp_calls(&installed(), TOOL, &request(KEY_ID));
    assert!(report.contains("6 passed, 0 failed"), "{report}");
}

#[test]
fn the_provider_depends_on_the_kit_and_nothing_of_the_host_or_first_party_plugins() {
    for manifest in [
        "providers/aws-secrets-manager/Cargo.toml",
        "providers/shared/provider-glue/Cargo.toml",
    ] {
        assert_kit_only(manifest);
    }
}
