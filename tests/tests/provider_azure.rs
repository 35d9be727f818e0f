//! The Azure Key Vault provider, built as a third party builds it
//! (`providers/azure-key-vault`, the kit only), signed with minisign and
//! installed with `skill plugin install --require-signature`, run through
//! the binary and checked by real tools: check-jsonschema validates the ESO
//! manifests against ESO's own CRD schemas, actionlint the GitHub Actions
//! workflow, hcl-rs parses the Terraform back, shlex splits every `az`
//! command back into its argument list, and the Azure CLI itself (PyPI
//! `azure-cli`, in a network namespace with no network) parses every
//! generated command, refusing any argument it does not know.
//!
//! What no emulator here proves: there is no local Azure Resource Manager or
//! Microsoft Entra ID, so no role assignment, federated credential, token
//! exchange or Event Grid delivery is exercised; that a secret-scoped
//! assignment of "Key Vault Secrets User" lets the identity read that
//! secret and no other is Azure's documented behaviour, checked here only
//! as the exact scopes generated. CEL rules of the CRDs need an API server.

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::{Value, json};
use skill_tests::azure_cli::AzureCli;
use skill_tests::checkers::{
    actionlint, assert_kit_only, assert_refused, check_jsonschema, eso_schema, gitlab_ci_schema,
    install_provider, mcp_calls, split_documents,
};
use skill_tests::{AZURE_KEY_VAULT_WASM, Skill, text, workspace};

const TOOL: &str = "azure-key-vault";
const SUBSCRIPTION: &str = "0b1f6471-1bf0-4dda-aec3-111122223333";
const TENANT: &str = "72f988bf-86f1-41af-91ab-2d7cd011db47";
const SECRETS_USER: &str = "4633458b-17de-408a-b874-0445c86b69e6";
const SECRETS_OFFICER: &str = "b86a8fe4-44ce-4948-aee5-eccb2c155cd7";
const ISSUER: &str = "https://westeurope.oic.prod-aks.azure.com/72f988bf-86f1-41af-91ab-2d7cd011db47/4f9d1c2e-5b6a-4c3d-8e7f-0a1b2c3d4e5f/";
const FUNCTION: &str = "/subscriptions/0b1f6471-1bf0-4dda-aec3-111122223333/resourceGroups/rg-rotation/providers/Microsoft.Web/sites/payment-rotator/functions/RotateSecret";
const SECRETS: [&str; 2] = ["db-creds", "api-key"];

fn installed() -> Skill {
    let skill = Skill::new();
    install_provider(&skill, AZURE_KEY_VAULT_WASM);
    skill
}

fn environment(name: &str, ids: bool) -> Value {
    let mut env = json!({
        "name": name,
        "subscription_id": SUBSCRIPTION,
        "tenant_id": TENANT,
        "resource_group": format!("rg-payment-{name}"),
        "vault": format!("kv-payment-{name}"),
        "location": "westeurope",
        "rbac_authorization": true,
    });
    if ids {
        env["identity"] = json!({
            "client_id": format!("{}-2222-4333-8444-555555555555", if name == "staging" { "11111111" } else { "aaaaaaaa" }),
            "principal_id": format!("{}-7777-4888-9999-aaaaaaaaaaaa", if name == "staging" { "66666666" } else { "bbbbbbbb" }),
        });
    }
    env
}

/// The request every check starts from: two environments whose identities
/// exist, AKS with ESO, GitHub Actions with deployment environments, rotation.
fn request() -> Value {
    json!({
        "app": "payment",
        "environments": [environment("staging", true), environment("production", true)],
        "secrets": SECRETS,
        "kubernetes": { "oidc_issuer": ISSUER, "namespace": "payment" },
        "github": { "repository": "octo-org/payment", "ref": "refs/heads/main", "use_environments": true },
        "rotation": {
            "expires": "2027-03-01T00:00:00Z",
            "not_before": "2026-12-01T00:00:00Z",
            "validity_period_days": 90,
            "function_id": FUNCTION,
            "function_principal_id": "cccccccc-1111-4222-8333-444444444444",
            "tags": { "db-creds": { "CredentialId": "sqlAdmin" } },
        },
    })
}

fn run_out(skill: &Skill, input: &Value, dir: &Path) -> Value {
    skill.tool_out(TOOL, input, dir)
}

fn strings(value: &Value) -> Vec<&str> {
    value
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect()
}

fn secret_id(env: &str, secret: &str) -> String {
    format!(
        "/subscriptions/{SUBSCRIPTION}/resourceGroups/rg-payment-{env}/providers/Microsoft.KeyVault/vaults/kv-payment-{env}/secrets/{secret}"
    )
}

/// The value of `flag` in an argument list.
fn flag<'a>(argv: &[&'a str], flag: &str) -> Option<&'a str> {
    argv.iter().position(|a| *a == flag).map(|i| argv[i + 1])
}

#[test]
fn the_provider_installs_signed_and_ships_its_guidance_for_agents() {
    let skill = installed();
    let (stdout, _) = text(&skill.run(&["plugin", "list"]));
    assert!(stdout.contains(TOOL), "{stdout}");
    // Without the install the tool is unknown: the binary does not carry it.
    let output = Skill::new().run(&["schema", TOOL]);
    assert_eq!(output.status.code(), Some(2), "{:?}", text(&output));

    let home = tempfile::tempdir().unwrap();
    let output = skill
        .command()
        .args(["install", "--agent", "claude-code"])
        .env("HOME", home.path())
        .current_dir(home.path())
        .output()
        .unwrap();
    assert!(output.status.success(), "{:?}", text(&output));
    let guide = home.path().join(".claude/skills/azure-key-vault/SKILL.md");
    let written = std::fs::read_to_string(&guide).unwrap();
    let shipped =
        std::fs::read_to_string(workspace().join("providers/azure-key-vault/GUIDANCE.md")).unwrap();
    assert!(
        written.starts_with("---\nname: azure-key-vault\ndescription: \""),
        "{written}"
    );
    assert!(written.ends_with(&format!("---\n\n{shipped}")), "{written}");
    // The guidance's example input is a valid request.
    let example = shipped
        .split("```json\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("an example input");
    let example: Value = serde_json::from_str(example).expect("the example is JSON");
    let out = tempfile::tempdir().unwrap();
    run_out(&skill, &example, out.path());
    let validated = std::process::Command::new("agentskills")
        .arg("validate")
        .arg(guide.parent().unwrap())
        .output()
        .expect("agentskills (pip install skills-ref)");
    assert!(validated.status.success(), "{:?}", text(&validated));
}

#[test]
fn a_hostile_name_is_refused_with_its_pointer_and_nothing_is_written() {
    let skill = installed();
    for (index, key, value, pointer) in [
        (1, "vault", "kv\"; rm -rf /; \"", "/environments/1/vault"),
        (
            0,
            "resource_group",
            "rg/providers/x",
            "/environments/0/resource_group",
        ),
        (0, "subscription_id", "*", "/environments/0/subscription_id"),
    ] {
        let mut input = request();
        input["environments"][index][key] = json!(value);
        assert_refused(&skill, TOOL, &input, pointer);
    }
    let mut input = request();
    input["secrets"] = json!(["db-creds", "db_creds"]);
    assert_refused(&skill, TOOL, &input, "/secrets/1");
}

/// Every role assignment, in the commands and in the Terraform, is on one
/// secret of the app: the set of scopes is exactly the app's secrets in each
/// environment's vault.
#[test]
fn roles_are_assigned_on_each_secret_and_nowhere_else() {
    let skill = installed();
    let out = tempfile::tempdir().unwrap();
    let output = run_out(&skill, &request(), out.path());
    let mut wanted = BTreeSet::new();
    let mut from_commands = BTreeSet::new();
    for env in output["environments"].as_array().unwrap() {
        let name = env["environment"].as_str().unwrap();
        for secret in SECRETS {
            wanted.insert((secret_id(name, secret), SECRETS_USER.to_owned()));
            wanted.insert((secret_id(name, secret), SECRETS_OFFICER.to_owned()));
        }
        for command in env["commands"].as_array().unwrap() {
            let argv = strings(&command["argv"]);
            let words = shlex::split(command["shell"].as_str().unwrap()).unwrap();
            assert_eq!(words, argv, "{command}");
            if argv[1..4] == ["role", "assignment", "create"] {
                from_commands.insert((
                    flag(&argv, "--scope").unwrap().to_owned(),
                    flag(&argv, "--role").unwrap().to_owned(),
                ));
                assert_eq!(
                    flag(&argv, "--assignee-principal-type"),
                    Some("ServicePrincipal")
                );
            }
        }
    }
    assert_eq!(from_commands, wanted);

    // The Terraform, parsed back: the same scopes, the roles by id in the
    // environment's subscription, the principal from the identity resource.
    let main_tf = std::fs::read_to_string(out.path().join("main.tf")).unwrap();
    assert_eq!(main_tf, output["terraform"].as_str().unwrap());
    let body = hcl::parse(&main_tf).expect("main.tf parses");
    let mut from_terraform = BTreeSet::new();
    let mut subjects = BTreeSet::new();
    for block in body.blocks().filter(|b| b.identifier() == "resource") {
        let attribute = |key: &str| {
            block
                .body()
                .attributes()
                .find(|a| a.key() == key)
                .map(|a| a.expr().clone())
        };
        let string = |key: &str| match attribute(key) {
            Some(hcl::Expression::String(text)) => text,
            other => panic!("{key}: {other:?}"),
        };
        match block.labels()[0].as_str() {
            "azurerm_role_assignment" => {
                let role = string("role_definition_id");
                let role = role
                    .strip_prefix(&format!(
                        "/subscriptions/{SUBSCRIPTION}/providers/Microsoft.Authorization/roleDefinitions/"
                    ))
                    .expect("a role definition id of the subscription")
                    .to_owned();
                from_terraform.insert((string("scope"), role));
                assert_eq!(string("principal_type"), "ServicePrincipal");
            }
            "azurerm_federated_identity_credential" => {
                subjects.insert((string("issuer"), string("subject")));
            }
            "azurerm_eventgrid_event_subscription" => {
                assert!(main_tf.contains("Microsoft.KeyVault.SecretNearExpiry"));
                assert!(
                    string("scope")
                        .ends_with("/providers/Microsoft.KeyVault/vaults/kv-payment-staging")
                        || string("scope").ends_with(
                            "/providers/Microsoft.KeyVault/vaults/kv-payment-production"
                        )
                );
            }
            _ => {}
        }
    }
    assert_eq!(from_terraform, wanted);
    let expected_subjects: BTreeSet<(String, String)> = ["staging", "production"]
        .iter()
        .flat_map(|env| {
            [
                (
                    ISSUER.to_owned(),
                    format!("system:serviceaccount:payment:payment-{env}"),
                ),
                (
                    "https://token.actions.githubusercontent.com".to_owned(),
                    format!("repo:octo-org/payment:environment:{env}"),
                ),
            ]
        })
        .collect();
    assert_eq!(subjects, expected_subjects);
}

/// Without the identity's ids the commands create it and print its ids; the
/// role assignments, the manifests and the workflow wait for a second call.
/// A vault on access policies is warned about.
#[test]
fn a_new_identity_takes_two_calls_and_access_policies_are_warned_about() {
    let skill = installed();
    let mut input = request();
    input["environments"] = json!([environment("production", false)]);
    input["environments"][0]["rbac_authorization"] = json!(false);
    let out = tempfile::tempdir().unwrap();
    let first = run_out(&skill, &input, out.path());
    let env = &first["environments"][0];
    let commands: Vec<Vec<&str>> = env["commands"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| strings(&c["argv"]))
        .collect();
    let before_rotation: Vec<&[&str]> = commands
        .iter()
        .map(|argv| &argv[1..3])
        .take_while(|words| *words != ["keyvault", "secret"])
        .collect();
    assert_eq!(
        before_rotation,
        [
            &["keyvault", "show"][..],
            &["identity", "create"][..],
            &["identity", "federated-credential"][..],
            &["identity", "federated-credential"][..],
            &["identity", "show"][..],
        ]
    );
    assert!(
        commands
            .iter()
            .all(|argv| flag(argv, "--role") != Some(SECRETS_USER))
    );
    assert!(env["pending"].as_array().unwrap().len() == 1, "{env}");
    assert!(env.get("kubernetes_manifests").is_none());
    assert!(first.get("github_workflow").is_none());
    let warnings = first["warnings"].to_string();
    assert!(warnings.contains("uses access policies"), "{warnings}");

    input["environments"] = json!([environment("production", true)]);
    let second = run_out(&skill, &input, tempfile::tempdir().unwrap().path());
    let env = &second["environments"][0];
    assert!(env.get("pending").is_none(), "{env}");
    assert!(env["kubernetes_manifests"].is_string());
    assert!(second["github_workflow"].is_string());
    assert!(
        env["commands"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| strings(&c["argv"])[1..3] != ["identity", "create"]),
        "the identity exists: it is not created again"
    );
}

#[test]
fn eso_manifests_validate_against_the_eso_crd_schemas() {
    let skill = installed();
    let mut cluster_store = request();
    cluster_store["kubernetes"]["store_kind"] = json!("ClusterSecretStore");
    cluster_store["kubernetes"]["refresh_interval"] = json!("15m");
    let mut validated = 0;
    for input in [request(), cluster_store] {
        let out = tempfile::tempdir().unwrap();
        let output = run_out(&skill, &input, out.path());
        for env in output["environments"].as_array().unwrap() {
            let manifests = env["kubernetes_manifests"].as_str().unwrap();
            let file = out.path().join(format!(
                "payment-{}.k8s.yaml",
                env["environment"].as_str().unwrap()
            ));
            assert_eq!(std::fs::read_to_string(file).unwrap(), manifests);
            let split = tempfile::tempdir().unwrap();
            for (kind, path) in split_documents(manifests, split.path()) {
                let document = std::fs::read_to_string(&path).unwrap();
                if kind == "ServiceAccount" {
                    let client_id = env["identity"]["client_id"].as_str().unwrap();
                    assert!(
                        document
                            .contains(&format!("azure.workload.identity/client-id: {client_id}")),
                        "{document}"
                    );
                    continue;
                }
                if let Err(report) = check_jsonschema(&eso_schema(&kind), &[&path]) {
                    panic!("{kind} is not valid:\n{report}\n{document}");
                }
                validated += 1;
            }
            assert_eq!(
                env["pod_template"]["metadata"]["labels"]["azure.workload.identity/use"],
                "true"
            );
        }
    }
    assert_eq!(
        validated, 8,
        "a store and an ExternalSecret per environment and request"
    );

    // Control: the schema knows the azurekv block, so a pass above means something.
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.yaml");
    std::fs::write(
        &bad,
        "apiVersion: external-secrets.io/v1\nkind: SecretStore\nmetadata:\n  name: s\n  namespace: n\nspec:\n  provider:\n    azurekv:\n      authType: Workload\n      vaultUrl: https://kv.vault.azure.net/\n",
    )
    .unwrap();
    assert!(check_jsonschema(&eso_schema("SecretStore"), &[&bad]).is_err());
}

#[test]
fn the_github_workflow_passes_actionlint_and_reads_each_secret_by_oidc() {
    let skill = installed();
    let out = tempfile::tempdir().unwrap();
    let output = run_out(&skill, &request(), out.path());
    let path = out.path().join("github-workflow.yml");
    let text_of_workflow = std::fs::read_to_string(&path).unwrap();
    assert_eq!(
        text_of_workflow,
        output["github_workflow"].as_str().unwrap()
    );
    if let Err(findings) = actionlint(&[&path]) {
        panic!("actionlint:\n{findings}");
    }
    let documents = yaml_by_pyyaml(&text_of_workflow);
    assert_eq!(documents.len(), 1);
    let workflow = &documents[0];
    assert_eq!(workflow["permissions"]["id-token"], "write");
    for env in output["environments"].as_array().unwrap() {
        let name = env["environment"].as_str().unwrap();
        let job = &workflow["jobs"][format!("read-{name}")];
        assert_eq!(job["environment"], name);
        let login = &job["steps"][0];
        assert_eq!(login["uses"], "azure/login@v2");
        assert_eq!(login["with"]["client-id"], env["identity"]["client_id"]);
        assert_eq!(login["with"]["tenant-id"], TENANT);
        assert_eq!(login["with"]["subscription-id"], SUBSCRIPTION);
        // Each `az keyvault secret show` in the script splits back into
        // exactly the command for one of the app's secrets.
        let script = job["steps"][1]["run"].as_str().unwrap();
        let reads: Vec<Vec<String>> = script
            .lines()
            .filter_map(|line| line.strip_prefix("value=\"$(")?.strip_suffix(")\""))
            .map(|command| shlex::split(command).unwrap())
            .collect();
        let vault = format!("kv-payment-{name}");
        let expected: Vec<Vec<String>> = SECRETS
            .iter()
            .map(|secret| {
                [
                    "az",
                    "keyvault",
                    "secret",
                    "show",
                    "--vault-name",
                    vault.as_str(),
                    "--name",
                    secret,
                    "--query",
                    "value",
                    "--output",
                    "tsv",
                ]
                .iter()
                .map(|w| (*w).to_owned())
                .collect()
            })
            .collect();
        assert_eq!(reads, expected);
        assert!(script.contains("KV_DB_CREDS\"<<$delimiter\""), "{script}");
        assert!(script.contains("::add-mask::"), "{script}");
    }
    // Control: the same workflow with a misspelt key is flagged.
    let broken = out.path().join("broken.yml");
    std::fs::write(&broken, text_of_workflow.replace("runs-on", "runs_on")).unwrap();
    assert!(actionlint(&[&broken]).is_err());
}

/// YAML documents as JSON, read by PyYAML (independent of the Rust serializer).
fn yaml_by_pyyaml(text: &str) -> Vec<Value> {
    let output = std::process::Command::new("python3")
        .args([
            "-c",
            "import json, sys, yaml; print(json.dumps(list(yaml.safe_load_all(sys.stdin))))",
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write as _;
            child.stdin.take().unwrap().write_all(text.as_bytes())?;
            child.wait_with_output()
        })
        .expect("python3 with PyYAML (awscli installs it)");
    assert!(output.status.success());
    serde_json::from_slice(&output.stdout).unwrap()
}

/// The Azure CLI parses every generated command: a misspelt or unknown
/// argument, a missing required one or a bad value (a date, a choice) fails
/// in its parser, before any call to Azure; the control below shows it does.
#[test]
fn the_azure_cli_parses_every_generated_command() {
    let az = AzureCli::find();
    // Controls: what the parser refuses without a login.
    for (argv, refused) in [
        (
            &[
                "az",
                "role",
                "assignment",
                "create",
                "--assignee-object-idd",
                "x",
                "--role",
                "r",
                "--scope",
                "/s",
            ][..],
            "--assignee-object-idd",
        ),
        (
            &[
                "az",
                "identity",
                "create",
                "--name",
                "payment-staging-secrets",
            ][..],
            "--resource-group",
        ),
        (
            &[
                "az",
                "keyvault",
                "secret",
                "set-attributes",
                "--vault-name",
                "kv",
                "--name",
                "s",
                "--expires",
                "2027-02-30T00:00:00Z",
            ][..],
            "--expires",
        ),
        (
            &[
                "az",
                "role",
                "assignment",
                "create",
                "--assignee-object-id",
                "x",
                "--assignee-principal-type",
                "App",
                "--role",
                "r",
                "--scope",
                "/s",
            ][..],
            "--assignee-principal-type",
        ),
    ] {
        let report = az.parse(argv).expect_err("the parser refuses it");
        assert!(report.contains(refused), "{argv:?}: {report}");
    }

    let skill = installed();
    let mut new_identity = request();
    new_identity["environments"] = json!([environment("staging", false)]);
    let mut parsed = 0;
    for input in [request(), new_identity] {
        let output = run_out(&skill, &input, tempfile::tempdir().unwrap().path());
        for env in output["environments"].as_array().unwrap() {
            for command in env["commands"].as_array().unwrap() {
                let argv = strings(&command["argv"]);
                if let Err(report) = az.parse(&argv) {
                    panic!("az refuses `{}`:\n{report}", command["shell"]);
                }
                parsed += 1;
            }
        }
    }
    assert!(parsed > 20, "{parsed} commands parsed");
}

/// GitLab CI: each identity trusts the project at its ref (a federated
/// credential with GitLab's issuer and exact subject), and the pipeline
/// passes GitLab's own schema (check-jsonschema's vendored copy), asks for an
/// ID token for Entra's token exchange, logs in as each environment's
/// identity and reads each secret with `az` lines the Azure CLI parses.
#[test]
fn the_gitlab_pipeline_passes_gitlabs_schema_and_its_az_lines_parse() {
    let az = AzureCli::find();
    let misspelt = az.parse(&[
        "az",
        "login",
        "--service-principal",
        "--federated-tokn",
        "t",
    ]);
    assert!(misspelt.expect_err("refused").contains("--federated-tokn"));
    let skill = installed();
    let mut input = request();
    input["gitlab"] = json!({ "project": "octo-group/payment", "ref": "refs/heads/main" });
    let out = tempfile::tempdir().unwrap();
    let output = run_out(&skill, &input, out.path());
    let subject = "project_path:octo-group/payment:ref_type:branch:ref:main";
    for env in output["environments"].as_array().unwrap() {
        let trusted: Vec<(&str, &str)> = env["commands"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| strings(&c["argv"]))
            .filter(|argv| argv[1..3] == ["identity", "federated-credential"])
            .filter_map(|argv| Some((flag(&argv, "--issuer")?, flag(&argv, "--subject")?)))
            .collect();
        assert!(
            trusted.contains(&("https://gitlab.com", subject)),
            "{trusted:?}"
        );
    }

    let file = out.path().join("gitlab-ci.yml");
    if let Err(report) = gitlab_ci_schema(&[&file]) {
        panic!("GitLab's schema refuses the pipeline: {report}");
    }
    let pipeline: Value =
        serde_yaml_ng::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    let jobs = pipeline.as_object().unwrap();
    assert_eq!(
        jobs.keys().collect::<Vec<_>>(),
        ["read-staging", "read-production"]
    );
    let mut parsed = 0;
    for (name, job) in jobs {
        assert_eq!(
            job["id_tokens"]["GITLAB_OIDC_TOKEN"]["aud"],
            "api://AzureADTokenExchange"
        );
        let env = name.trim_start_matches("read-");
        let mut read = Vec::new();
        for line in job["script"].as_array().unwrap() {
            let line = line.as_str().unwrap();
            // `VAR="$(az …)"` or a plain `az …` line.
            let command = line
                .split_once("=\"$(")
                .and_then(|(_, rest)| rest.strip_suffix(")\""))
                .unwrap_or(line);
            let words = shlex::split(command).unwrap();
            let argv: Vec<&str> = words.iter().map(String::as_str).collect();
            if argv[0] != "az" {
                continue;
            }
            if let Err(report) = az.parse(&argv) {
                panic!("az refuses `{line}`:\n{report}");
            }
            parsed += 1;
            if argv[1] == "login" {
                let client = format!(
                    "{}-2222-4333-8444-555555555555",
                    if env == "staging" {
                        "11111111"
                    } else {
                        "aaaaaaaa"
                    }
                );
                assert_eq!(flag(&argv, "--username"), Some(client.as_str()));
                assert_eq!(flag(&argv, "--federated-token"), Some("$GITLAB_OIDC_TOKEN"));
            } else {
                assert_eq!(
                    flag(&argv, "--vault-name"),
                    Some(format!("kv-payment-{env}").as_str())
                );
                read.push(flag(&argv, "--name").unwrap().to_owned());
            }
        }
        assert_eq!(read, SECRETS, "{name}");
    }
    assert_eq!(parsed, 6);
}

#[test]
fn the_python_mcp_sdk_lists_and_calls_the_provider() {
    let skill = installed();
    let report = mcp_calls(&skill, TOOL, &request());
    assert!(report.contains("6 passed, 0 failed"), "{report}");
}

#[test]
fn the_provider_depends_on_the_kit_and_nothing_of_the_host_or_first_party_plugins() {
    assert_kit_only("providers/azure-key-vault/Cargo.toml");
}
