//! Property test: generated hostile names in every name field. Each request
//! is either refused, naming a field, or everything it produces says exactly
//! what was asked: every role is assigned at the scope of one secret,
//! recomputed here from Azure's resource id scheme (never at the vault or
//! the group), the federated credentials carry the exact subjects, every
//! command's shell text splits back into its argument list, the YAML parses
//! back into the same objects (no injected key or document), and the
//! Terraform parses back with the same scopes and subjects.

use std::collections::BTreeSet;

use azure_key_vault::generate::generate;
use azure_key_vault::request::Request;
use proptest::prelude::*;
use provider_glue::testing::{
    self, generated, run_property, split_back, terraform_strings, workflow_jobs, yaml_documents,
};
use serde_json::{Value, json};

/// How many requests the property throws.
const CASES: u32 = 3000;
const SECRETS_USER: &str = "4633458b-17de-408a-b874-0445c86b69e6";

/// Plausible names, hostile fragments, and known payloads: injections into
/// JSON, YAML, Terraform templates and the shell, wildcards, Azure resource-id
/// separators, an option-like word, NUL, non-ASCII.
fn name() -> impl Strategy<Value = String> {
    testing::name(24, &["?", "\"}, {\"a\": \"*", "-f", "../..", "a/secrets/b"])
}

/// Branch and tag refs, mostly plausible, some with a hostile name.
fn git_ref() -> impl Strategy<Value = String> {
    testing::git_ref(name().boxed())
}

fn guid() -> impl Strategy<Value = String> {
    prop_oneof![
        12 => "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
        1 => name(),
    ]
}

fn secret() -> impl Strategy<Value = String> {
    prop_oneof![10 => "[A-Za-z0-9][A-Za-z0-9-]{0,14}", 1 => name()]
}

fn vault() -> impl Strategy<Value = String> {
    prop_oneof![10 => "[a-z][a-z0-9]{1,10}(-[a-z0-9]{1,5})?", 1 => name()]
}

fn group() -> impl Strategy<Value = String> {
    prop_oneof![10 => "[A-Za-z0-9_()-][A-Za-z0-9_().-]{0,20}[A-Za-z0-9_()-]", 1 => name()]
}

fn issuer() -> impl Strategy<Value = String> {
    prop_oneof![
        10 => "https://[a-z]{2,12}\\.oic\\.prod-aks\\.azure\\.com/[0-9a-f-]{8,36}/[0-9a-f-]{8,36}/",
        1 => name().prop_map(|n| format!("https://{n}.example.com/")),
        1 => name(),
    ]
}

fn location() -> impl Strategy<Value = String> {
    prop_oneof![10 => "[a-z]{2,12}[0-9]?", 1 => name()]
}

fn tag_value() -> impl Strategy<Value = String> {
    prop_oneof![8 => "[A-Za-z0-9/_.:@+-]{0,30}", 1 => name()]
}

#[test]
fn hostile_names_are_refused_or_produce_exactly_what_was_asked() {
    let strategy = (
        (
            name(),
            prop::collection::vec(name(), 1..3),
            prop::collection::vec(secret(), 1..4),
        ),
        (guid(), guid(), group(), vault(), location()),
        (name(), (any::<bool>(), name()), issuer()),
        (name(), git_ref(), any::<bool>()),
        (any::<bool>(), tag_value()),
    );
    let accepted = run_property(
        CASES,
        strategy,
        |(
            (app, environments, secrets),
            (subscription, tenant, group, vault, location),
            (namespace, (named_account, account), issuer),
            (owner, git_ref, use_environments),
            (ids_known, tag),
        )| {
            let envs: Vec<Value> = environments
                .iter()
                .enumerate()
                .map(|(index, env)| {
                    let mut value = json!({
                        "name": env,
                        "subscription_id": subscription,
                        "tenant_id": tenant,
                        "resource_group": group,
                        "vault": format!("{vault}{index}"),
                        "location": location,
                        "rbac_authorization": true,
                    });
                    if ids_known {
                        value["identity"] = json!({
                            "client_id": "11111111-2222-4333-8444-555555555555",
                            "principal_id": "66666666-7777-4888-9999-aaaaaaaaaaaa",
                        });
                    }
                    value
                })
                .collect();
            let repository = format!("{owner}/{app}");
            let mut kubernetes = json!({ "oidc_issuer": issuer, "namespace": namespace });
            if named_account {
                kubernetes["service_account"] = json!(account);
            }
            let first = secrets[0].clone();
            let input = json!({
                "app": app,
                "environments": envs,
                "secrets": secrets,
                "kubernetes": kubernetes,
                "github": { "repository": repository, "ref": git_ref, "use_environments": use_environments },
                "rotation": {
                    "expires": "2027-03-01T00:00:00Z",
                    "validity_period_days": 90,
                    "function_id": format!("/subscriptions/{subscription}/resourceGroups/{group}/providers/Microsoft.Web/sites/rotator/functions/Rotate"),
                    "tags": { first.clone(): { "CredentialId": tag } },
                },
            });
            let Some((config, output)) = generated::<Request, _>(input, generate)? else {
                return Ok(false);
            };
            let configs = output["environments"].as_array().unwrap();
            prop_assert_eq!(configs.len(), environments.len());
            let mut expected_scopes = BTreeSet::new();
            for (index, (env_config, env)) in configs.iter().zip(&environments).enumerate() {
                let vault_id = format!(
                    "/subscriptions/{subscription}/resourceGroups/{group}/providers/Microsoft.KeyVault/vaults/{vault}{index}"
                );
                prop_assert_eq!(&env_config["vault_id"], &json!(vault_id));
                let scopes: Vec<String> = secrets
                    .iter()
                    .map(|s| format!("{vault_id}/secrets/{s}"))
                    .collect();
                for (access, scope) in env_config["secrets"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .zip(&scopes)
                {
                    prop_assert_eq!(&access["scope"], &json!(scope));
                    // One secret: exactly the id's ten segments, the last a secret name.
                    prop_assert_eq!(scope.split('/').count(), 11, "{}", scope);
                }
                expected_scopes.extend(scopes.iter().cloned());
                let account = if named_account {
                    account.clone()
                } else {
                    format!("{app}-{env}")
                };
                let credentials = env_config["identity"]["federated_credentials"]
                    .as_array()
                    .unwrap();
                prop_assert_eq!(
                    &credentials[0]["subject"],
                    &json!(format!("system:serviceaccount:{namespace}:{account}"))
                );
                prop_assert_eq!(&credentials[0]["issuer"], &json!(issuer));
                let github_subject = if use_environments {
                    format!("repo:{repository}:environment:{env}")
                } else {
                    format!("repo:{repository}:ref:{git_ref}")
                };
                prop_assert_eq!(&credentials[1]["subject"], &json!(github_subject));
                let mut assigned = Vec::new();
                split_back(&env_config["commands"])?;
                for command in env_config["commands"].as_array().unwrap() {
                    let argv: Vec<&str> = command["argv"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|a| a.as_str().unwrap())
                        .collect();
                    if argv[1..4] == ["role", "assignment", "create"] {
                        let value =
                            |flag: &str| argv.iter().position(|a| *a == flag).map(|i| argv[i + 1]);
                        if value("--role") == Some(SECRETS_USER) {
                            assigned.push(value("--scope").unwrap().to_owned());
                        }
                    }
                }
                if ids_known {
                    prop_assert_eq!(&assigned, &scopes);
                    let documents =
                        yaml_documents(env_config["kubernetes_manifests"].as_str().unwrap());
                    let kinds: Vec<&str> = documents
                        .iter()
                        .map(|d| d["kind"].as_str().unwrap())
                        .collect();
                    prop_assert_eq!(kinds, ["ServiceAccount", "SecretStore", "ExternalSecret"]);
                    prop_assert_eq!(&documents[0]["metadata"]["name"], &json!(account));
                    prop_assert_eq!(
                        &documents[0]["metadata"]["annotations"]["azure.workload.identity/client-id"],
                        &json!("11111111-2222-4333-8444-555555555555")
                    );
                    prop_assert_eq!(
                        &documents[1]["spec"]["provider"]["azurekv"]["vaultUrl"],
                        &json!(format!("https://{vault}{index}.vault.azure.net/"))
                    );
                    let remote: Vec<Value> = documents[2]["spec"]["data"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|d| d["remoteRef"]["key"].clone())
                        .collect();
                    prop_assert_eq!(remote, secrets.iter().map(|s| json!(s)).collect::<Vec<_>>());
                } else {
                    prop_assert!(assigned.is_empty());
                    prop_assert!(env_config.get("kubernetes_manifests").is_none());
                }
            }
            if ids_known {
                let jobs = workflow_jobs(config.github_workflow.as_deref().unwrap());
                let expected: Vec<String> =
                    environments.iter().map(|e| format!("read-{e}")).collect();
                prop_assert_eq!(jobs, expected);
            } else {
                prop_assert!(config.github_workflow.is_none());
            }
            let body = hcl::parse(&config.terraform);
            prop_assert!(body.is_ok(), "main.tf does not parse: {:?}", body.err());
            let body = body.unwrap();
            let scopes: BTreeSet<String> =
                terraform_strings(&body, "azurerm_role_assignment", "scope")
                    .into_iter()
                    .collect();
            prop_assert_eq!(scopes, expected_scopes);
            let subjects =
                terraform_strings(&body, "azurerm_federated_identity_credential", "subject");
            prop_assert_eq!(subjects.len(), 2 * environments.len());
            Ok(true)
        },
    );
    assert!(
        accepted > CASES / 20,
        "too few requests were accepted ({accepted}) for the property to mean much"
    );
}
