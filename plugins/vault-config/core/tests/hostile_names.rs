//! Property test: generated hostile names in every name field. Each request is
//! either refused, or the policies it produces — parsed back with the policy
//! parser — grant exactly the requested paths and nothing else, contain no
//! glob or template outside the fixed `sys/*` deny, and lint clean; the
//! commands carry no unquoted shell text.

use std::cell::Cell;

use proptest::prelude::*;
use proptest::test_runner::TestRunner;
use serde_json::json;
use vault_core::lint::lint;
use vault_core::parse::parse_policy;
use vault_core::{Flavour, generate};

/// How many requests each property throws; the report cites this number.
const CASES: u32 = 4000;

/// Names that look plausible, hostile fragments, and known exploit payloads.
fn name() -> impl Strategy<Value = String> {
    prop_oneof![
        12 => "[A-Za-z0-9][A-Za-z0-9._-]{0,15}",
        2 => r#"[A-Za-z0-9._*+{}"\\/\n\r\t $'`;|&<>()#=\[\]%-]{0,24}"#,
        1 => any::<String>(),
        1 => prop::sample::select(vec![
            "pay\" {\n  capabilities = [\"read\"]\n}\npath \"sys/*\" {\n  capabilities = [\"sudo\"]\n}\npath \"x".to_owned(),
            "+".to_owned(),
            "*".to_owned(),
            "{{identity.entity.id}}".to_owned(),
            "..".to_owned(),
            "a/../../sys".to_owned(),
            "-f".to_owned(),
            "$(touch /tmp/pwned)".to_owned(),
            "a'b".to_owned(),
            "${path.module}".to_owned(),
            "a\u{0}b".to_owned(),
            "é".to_owned(),
        ]),
    ]
}

/// Environment names: like `name()`, but plausible ones carry no '-' (which
/// environments may not hold), so that enough requests are accepted.
fn environment() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "[A-Za-z0-9][A-Za-z0-9._]{0,15}",
        1 => name(),
    ]
}

/// Kubernetes-shaped names (DNS labels) mixed with the hostile ones.
fn k8s_name() -> impl Strategy<Value = String> {
    prop_oneof![
        2 => "[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?",
        1 => name(),
    ]
}

/// What the policy must hold for these (accepted) names: computed here
/// independently of the generator, from the documented path table.
fn expected(app: &str, env: &str, kv: &str, extra: &str) -> Vec<(String, Vec<&'static str>)> {
    vec![
        (format!("database/creds/{app}-{env}-readonly"), vec!["read"]),
        (format!("{kv}/data/{env}/{app}/api-keys"), vec!["read"]),
        (format!("{kv}/metadata/{env}/{app}/api-keys"), vec!["read"]),
        (format!("{kv}/metadata/{env}/{app}/"), vec!["list"]),
        (format!("transit/encrypt/{app}-{env}-key"), vec!["update"]),
        (format!("transit/decrypt/{app}-{env}-key"), vec!["update"]),
        (extra.to_owned(), vec!["read"]),
        ("sys/*".to_owned(), vec!["deny"]),
    ]
}

/// Runs `property` on `CASES` generated inputs; returns (accepted, refused).
fn run<S: Strategy>(
    strategy: S,
    property: impl Fn(S::Value) -> Result<bool, TestCaseError>,
) -> (usize, usize) {
    let accepted = Cell::new(0);
    let refused = Cell::new(0);
    let config = ProptestConfig {
        cases: CASES,
        // Failures are reported with the shrunk input; no regression files in the tree.
        failure_persistence: None,
        ..ProptestConfig::default()
    };
    let mut runner = TestRunner::new(config);
    let result = runner.run(&strategy, |value| {
        if property(value)? {
            accepted.set(accepted.get() + 1);
        } else {
            refused.set(refused.get() + 1);
        }
        Ok(())
    });
    if let Err(error) = result {
        panic!("{error}");
    }
    eprintln!(
        "{CASES} cases: {} accepted, {} refused",
        accepted.get(),
        refused.get()
    );
    (accepted.get(), refused.get())
}

#[test]
fn hostile_names_are_refused_or_grant_only_what_was_asked() {
    let strategy = (
        name(),
        environment(),
        environment(),
        name(),
        name(),
        name(),
        any::<bool>(),
    );
    let (accepted, refused) = run(
        strategy,
        |(app, env, other_env, kv, extra, auth_mount, openbao)| {
            let flavour = if openbao { "openbao" } else { "vault" };
            let request = json!({
                "app_name": app,
                "auth_method": "approle",
                "flavour": flavour,
                "secrets": ["db-creds", "api-key", "encryption"],
                "environments": [env, other_env],
                "kv_list": true,
                "mounts": {"kv": kv},
                "auth_mount": auth_mount,
                "extra_paths": [{"path": format!("cubbyhole/{extra}"), "capabilities": ["read"]}],
            });
            let request: vault_core::Request = serde_json::from_value(request).unwrap();
            let Ok(config) = generate(&request) else {
                // Refused: nothing was emitted. That is always safe.
                return Ok(false);
            };
            let flavour = if openbao {
                Flavour::Openbao
            } else {
                Flavour::Vault
            };
            for (index, env_config) in config.environments.iter().enumerate() {
                let env_name = &request.environments[index];
                let parsed = parse_policy(&env_config.policy_hcl, flavour)
                    .map_err(|e| TestCaseError::fail(format!("unparsable: {e:?}")))?;
                let got: Vec<(String, Vec<&str>)> = parsed
                    .rules
                    .iter()
                    .map(|rule| {
                        (
                            rule.path.clone(),
                            rule.capabilities.iter().map(|c| c.as_str()).collect(),
                        )
                    })
                    .collect();
                prop_assert_eq!(
                    &got,
                    &expected(&app, env_name, &kv, &format!("cubbyhole/{extra}"))
                );
                for (path, _) in got.iter().filter(|(path, _)| path != "sys/*") {
                    prop_assert!(!path.contains(['*', '+', '{', '}', '"', '\\']), "{}", path);
                    prop_assert!(!path.split('/').any(|s| s == ".." || s == "."), "{}", path);
                }
                let report = lint(&env_config.policy_hcl, flavour);
                prop_assert!(
                    report.valid && report.findings.is_empty(),
                    "{:?}",
                    report.findings
                );
                // Every command argument came from validated names: nothing needed quoting.
                for command in &config.commands {
                    prop_assert!(!command.bao.contains('\''), "{}", command.bao);
                }
            }
            Ok(true)
        },
    );
    // Both branches must really be exercised, or the property proves nothing.
    assert!(accepted >= CASES as usize / 10, "only {accepted} accepted");
    assert!(refused >= CASES as usize / 10, "only {refused} refused");
}

/// The delivery files of a kubernetes role: every document parses, there
/// are exactly the documents written, and each name and path is carried
/// verbatim where it belongs (the injector's annotations and templates, the
/// CSI objects, the ESO store and keys).
fn kubernetes_delivery_is_verbatim(
    config: &vault_core::Config,
    namespace: &str,
    account: &str,
) -> Result<(), TestCaseError> {
    use provider_glue::testing::yaml_documents;
    let file = |name: &str| {
        config
            .delivery
            .iter()
            .find(|f| f.path == name)
            .map(|f| yaml_documents(&f.content))
            .ok_or_else(|| TestCaseError::fail(format!("no {name}")))
    };
    for env in &config.environments {
        let role = &env.role.name;
        let paths: Vec<&str> = env.reads.iter().map(|r| r.path.as_str()).collect();
        let patch = file(&format!("{role}.agent-injector.patch.yaml"))?;
        prop_assert_eq!(patch.len(), 1);
        let template = &patch[0]["spec"]["template"];
        prop_assert_eq!(&template["spec"]["serviceAccountName"], account);
        let annotations = template["metadata"]["annotations"].as_object().unwrap();
        prop_assert_eq!(&annotations["vault.hashicorp.com/role"], role.as_str());
        prop_assert!(
            annotations
                .keys()
                .all(|k| k.starts_with("vault.hashicorp.com/"))
        );
        for read in &env.reads {
            let key = |kind: &str| format!("vault.hashicorp.com/agent-inject-{kind}-{}", read.name);
            prop_assert_eq!(&annotations[&key("secret")], read.path.as_str());
            let template = annotations[&key("template")].as_str().unwrap();
            let quoted = format!("{{{{ with secret \"{}\" }}}}", read.path);
            prop_assert!(template.starts_with(&quoted), "{}", template);
            prop_assert_eq!(template.matches('"').count(), 2);
        }
        let class = file(&format!("{role}.secret-provider-class.yaml"))?;
        prop_assert_eq!(class.len(), 1);
        prop_assert_eq!(&class[0]["metadata"]["namespace"], namespace);
        let parameters = &class[0]["spec"]["parameters"];
        prop_assert_eq!(&parameters["roleName"], role.as_str());
        let objects = &yaml_documents(parameters["objects"].as_str().unwrap())[0];
        for object in objects.as_array().unwrap() {
            prop_assert!(paths.contains(&object["secretPath"].as_str().unwrap()));
        }
        let eso = file(&format!("{role}.external-secrets.yaml"))?;
        prop_assert_eq!(eso.len(), 2);
        let auth = &eso[0]["spec"]["provider"]["vault"]["auth"]["kubernetes"];
        prop_assert_eq!(&auth["role"], role.as_str());
        prop_assert_eq!(&auth["serviceAccountRef"]["name"], account);
        for item in eso[1]["spec"]["data"].as_array().unwrap() {
            let key = item["remoteRef"]["key"].as_str().unwrap();
            prop_assert!(env.reads.iter().any(|r| r.key == key), "{}", key);
        }
    }
    Ok(())
}

#[test]
fn hostile_kubernetes_names_are_refused_or_bound_verbatim() {
    let strategy = (k8s_name(), k8s_name(), name(), environment());
    let (accepted, refused) = run(strategy, |(namespace, account, app, env)| {
        let request = json!({
            "app_name": app, "auth_method": "kubernetes", "environments": [env],
            "secrets": ["config", "api-key", "db-creds"],
            "kubernetes_namespace": namespace, "service_account": account,
            "vault_address": "https://vault.example.com:8200",
        });
        let request: vault_core::Request = serde_json::from_value(request).unwrap();
        if let Ok(config) = generate(&request) {
            let payload = &config.environments[0].role.payload;
            prop_assert_eq!(
                &payload["bound_service_account_namespaces"],
                &json!([namespace])
            );
            prop_assert_eq!(&payload["bound_service_account_names"], &json!([account]));
            prop_assert!(namespace != "*" && account != "*");
            prop_assert!(
                namespace
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            );
            kubernetes_delivery_is_verbatim(&config, &namespace, &account)?;
            return Ok(true);
        }
        Ok(false)
    });
    assert!(accepted >= CASES as usize / 20, "only {accepted} accepted");
    assert!(refused >= CASES as usize / 10, "only {refused} refused");
}

/// Hostile CI names (GitLab project and ref, HCP Terraform organization,
/// project and workspace): refused, or bound verbatim in claims that
/// role-lint finds nothing above low in and that no name can widen.
#[test]
fn hostile_ci_names_are_refused_or_bound_verbatim() {
    use vault_core::role_lint::{RoleMethod, lint_role};
    let strategy = (name(), name(), name(), name(), any::<bool>());
    let (accepted, refused) = run(strategy, |(first, second, third, git_ref, gitlab)| {
        let jwt = if gitlab {
            json!({"provider": "gitlab", "audience": "vault",
                   "project_path": format!("{first}/{second}"), "ref": git_ref})
        } else {
            json!({"provider": "terraform", "audience": "vault",
                   "organization": first, "project": second, "workspace": third})
        };
        let request = json!({
            "app_name": "payment", "auth_method": "jwt", "secrets": ["config"], "jwt": jwt,
        });
        let request: vault_core::Request = serde_json::from_value(request).unwrap();
        let Ok(config) = generate(&request) else {
            return Ok(false);
        };
        let payload = &config.environments[0].role.payload;
        let claims = &payload["bound_claims"];
        if gitlab {
            prop_assert_eq!(&claims["project_path"], &json!(format!("{first}/{second}")));
            prop_assert_eq!(&claims["ref"], &json!(git_ref));
            prop_assert_eq!(&payload["bound_claims_type"], "string");
        } else {
            for name in [&first, &second, &third] {
                prop_assert!(!name.contains([':', '*']), "{}", name);
            }
            prop_assert_eq!(
                &claims["sub"],
                &json!(format!(
                    "organization:{first}:project:{second}:workspace:{third}:run_phase:*"
                ))
            );
        }
        if gitlab {
            // The pipeline runs for the bound ref only and logs in to the role.
            let pipeline = config
                .delivery
                .iter()
                .find(|f| f.path == "gitlab-ci.yml")
                .map(|f| provider_glue::testing::yaml_documents(&f.content))
                .expect("a gitlab role with a ref gets a pipeline");
            prop_assert_eq!(pipeline.len(), 1);
            for job in pipeline[0].as_object().unwrap().values() {
                prop_assert_eq!(
                    &job["rules"][0]["if"],
                    &json!(format!("$CI_COMMIT_BRANCH == \"{git_ref}\""))
                );
                let logins = provider_glue::testing::captured_commands(job, ["vault", "write"]);
                prop_assert_eq!(logins.len(), 1);
                prop_assert_eq!(
                    &logins[0][4],
                    &format!("role={}", config.environments[0].role.name)
                );
            }
        }
        let report = lint_role(payload, Some(RoleMethod::Jwt)).unwrap();
        prop_assert!(report.valid, "{:?}", report.errors);
        prop_assert!(
            report
                .findings
                .iter()
                .all(|f| f.severity <= vault_core::lint::Severity::Low),
            "{:?}",
            report.findings
        );
        for command in &config.commands {
            prop_assert!(!command.bao.contains('\''), "{}", command.bao);
        }
        Ok(true)
    });
    assert!(accepted >= CASES as usize / 20, "only {accepted} accepted");
    assert!(refused >= CASES as usize / 10, "only {refused} refused");
}
