//! vault-config through the public API: parity with the old tool, the
//! improvements over it, determinism, and refusal of dangerous names.

use serde_json::{Value, json};
use vault_core::lint::lint;
use vault_core::{Config, Flavour, generate};

fn request(value: Value) -> vault_core::Request {
    serde_json::from_value(value).expect("a valid request")
}

fn config(value: Value) -> Config {
    generate(&request(value)).expect("generates")
}

fn grants(config: &Config, env: usize) -> Vec<(String, Vec<String>)> {
    config.environments[env]
        .paths
        .iter()
        .map(|p| {
            (
                p.path.clone(),
                p.capabilities
                    .iter()
                    .map(|c| c.as_str().to_owned())
                    .collect(),
            )
        })
        .collect()
}

fn pair(path: &str, caps: &[&str]) -> (String, Vec<String>) {
    (
        path.to_owned(),
        caps.iter().map(|c| (*c).to_owned()).collect(),
    )
}

#[test]
fn every_secret_type_of_the_old_tool_maps_to_its_path() {
    let config = config(json!({
        "app_name": "payment",
        "auth_method": "approle",
        "secrets": ["db-creds", "db-admin", "api-key", "tls-cert", "encryption", "ssh-cert", "config"],
    }));
    assert_eq!(config.environments[0].environment, "production");
    assert_eq!(config.environments[0].policy_name, "payment-production");
    assert_eq!(
        grants(&config, 0),
        vec![
            pair("database/creds/payment-production-readonly", &["read"]),
            pair("database/creds/payment-production-readwrite", &["read"]),
            pair("secret/data/production/payment/api-keys", &["read"]),
            pair("pki/issue/payment-production-cert", &["create", "update"]),
            pair("transit/encrypt/payment-production-key", &["update"]),
            pair("transit/decrypt/payment-production-key", &["update"]),
            pair("ssh/sign/payment-production-role", &["create", "update"]),
            pair("secret/data/production/payment/config", &["read"]),
            pair("sys/*", &["deny"]),
        ]
    );
}

#[test]
fn kv_list_adds_metadata_for_versions_and_a_listing_prefix() {
    let config = config(json!({
        "app_name": "payment", "auth_method": "approle",
        "secrets": ["api-key", "config"], "kv_list": true,
        "mounts": {"kv": "kv/apps"},
    }));
    assert_eq!(
        grants(&config, 0),
        vec![
            pair("kv/apps/data/production/payment/api-keys", &["read"]),
            pair("kv/apps/metadata/production/payment/api-keys", &["read"]),
            pair("kv/apps/metadata/production/payment/", &["list"]),
            pair("kv/apps/data/production/payment/config", &["read"]),
            pair("kv/apps/metadata/production/payment/config", &["read"]),
            pair("sys/*", &["deny"]),
        ]
    );
}

#[test]
fn environments_get_separate_policies_and_roles_that_do_not_overlap() {
    let config = config(json!({
        "app_name": "payment", "auth_method": "approle",
        "secrets": ["db-creds", "api-key"], "environments": ["production", "staging"],
    }));
    assert_eq!(config.environments.len(), 2);
    let prod = grants(&config, 0);
    let staging = grants(&config, 1);
    for (path, _) in prod.iter().filter(|(p, _)| p != "sys/*") {
        assert!(path.contains("production"), "{path}");
        assert!(!staging.iter().any(|(p, _)| p == path));
    }
    assert_eq!(config.environments[1].role.name, "payment-staging");
    assert_eq!(
        config.environments[1].role.payload["token_policies"],
        json!(["payment-staging"])
    );
}

#[test]
fn extra_paths_are_granted_as_asked_and_checked_against_the_flavour() {
    let config = config(json!({
        "app_name": "payment", "auth_method": "approle", "secrets": [],
        "flavour": "openbao",
        "extra_paths": [{"path": "kv2/shared/", "capabilities": ["list", "scan"]},
                        {"path": "cubbyhole/x", "capabilities": ["read", "create"]}],
    }));
    assert_eq!(
        grants(&config, 0),
        vec![
            pair("kv2/shared/", &["list", "scan"]),
            pair("cubbyhole/x", &["create", "read"]),
            pair("sys/*", &["deny"]),
        ]
    );
    for (extra, field) in [
        (
            json!({"path": "kv2/x", "capabilities": ["scan"]}),
            "/extra_paths/0/capabilities/0",
        ),
        (
            json!({"path": "kv2/x", "capabilities": ["sudo"]}),
            "/extra_paths/0/capabilities/0",
        ),
        (
            json!({"path": "sys/policies/acl/x", "capabilities": ["read"]}),
            "/extra_paths/0/path",
        ),
        (
            json!({"path": "identity/entity", "capabilities": ["read"]}),
            "/extra_paths/0/path",
        ),
        (
            json!({"path": "kv2/*", "capabilities": ["read"]}),
            "/extra_paths/0/path",
        ),
        (
            json!({"path": "kv2/+/x", "capabilities": ["read"]}),
            "/extra_paths/0/path",
        ),
    ] {
        let error = generate(&request(json!({
            "app_name": "payment", "auth_method": "approle", "secrets": ["config"],
            "flavour": "vault", "extra_paths": [extra],
        })))
        .unwrap_err();
        assert_eq!(error.field, field, "{error}");
    }
}

#[test]
fn approle_role_uses_current_names_bound_cidrs_and_a_wrapped_secret_id() {
    let config = config(json!({
        "app_name": "payment", "auth_method": "approle", "secrets": ["config"],
        "token_bound_cidrs": ["10.0.0.0/8"],
        "approle": {"secret_id_bound_cidrs": ["10.1.0.0/16"], "wrap_ttl": "2m"},
    }));
    let role = &config.environments[0].role;
    assert_eq!(role.path, "auth/approle/role/payment-production");
    assert_eq!(
        role.payload,
        json!({
            "bind_secret_id": true,
            "secret_id_ttl": "10m",
            "secret_id_num_uses": 1,
            "secret_id_bound_cidrs": ["10.1.0.0/16"],
            "token_policies": ["payment-production"],
            "token_ttl": "1h",
            "token_max_ttl": "4h",
            "token_bound_cidrs": ["10.0.0.0/8"],
        })
    );
    let bao: Vec<&str> = config.commands.iter().map(|c| c.bao.as_str()).collect();
    assert!(
        bao.contains(
            &"bao write auth/approle/role/payment-production @payment-production.role.json"
        )
    );
    assert!(
        bao.contains(&"bao write -wrap-ttl=2m -f auth/approle/role/payment-production/secret-id")
    );
    assert!(bao.contains(&"bao read -field=role_id auth/approle/role/payment-production/role-id"));
    let files: Vec<String> = config.files().into_iter().map(|f| f.path).collect();
    assert_eq!(
        files,
        [
            "payment-production.hcl",
            "payment-production.role.json",
            "main.tf"
        ]
    );
    let tf = &config.terraform;
    assert!(
        tf.contains("resource \"vault_policy\" \"payment-production\""),
        "{tf}"
    );
    assert!(tf.contains("resource \"vault_approle_auth_backend_role\" \"payment-production\""));
    assert!(tf.contains("token_ttl     = 3600"), "{tf}");
    assert!(tf.contains("vault_policy.payment-production.name"));
    // The Terraform parses as HCL and names the policy file that is emitted.
    let body = hcl_edit::parser::parse_body(tf).expect("main.tf parses");
    assert_eq!(body.blocks().count(), 2);
    assert!(tf.contains("file(\"${path.module}/payment-production.hcl\")"));
}

#[test]
fn kubernetes_oidc_and_jwt_roles_bind_what_they_should() {
    let k8s = config(json!({
        "app_name": "payment", "auth_method": "kubernetes", "secrets": ["config"],
        "kubernetes_namespace": "shop", "kubernetes_audience": "vault",
    }));
    assert_eq!(
        k8s.environments[0].role.payload,
        json!({
            "bound_service_account_names": ["payment"],
            "bound_service_account_namespaces": ["shop"],
            "audience": "vault",
            "token_policies": ["payment-production"],
            "token_ttl": "1h",
            "token_max_ttl": "4h",
        })
    );
    assert!(k8s.terraform.contains("vault_kubernetes_auth_backend_role"));

    let oidc = config(json!({
        "app_name": "payment", "auth_method": "oidc", "secrets": ["config"],
        "oidc": {"client_id": "abc123", "redirect_uris": ["https://vault.example.org/ui/vault/auth/oidc/oidc/callback"]},
    }));
    let payload = &oidc.environments[0].role.payload;
    assert_eq!(payload["role_type"], "oidc");
    assert_eq!(payload["bound_audiences"], json!(["abc123"]));
    assert_eq!(payload["user_claim"], "email");
    assert_eq!(
        payload["oidc_scopes"],
        json!(["openid", "profile", "email"])
    );
    assert_eq!(payload["token_ttl"], "8h");
    assert_eq!(payload["token_max_ttl"], "12h");

    let jwt = config(json!({
        "app_name": "payment", "auth_method": "jwt", "secrets": ["config"],
        "jwt": {"audience": "https://github.com/octo", "repository": "octo/pay", "ref": "refs/heads/main"},
    }));
    let payload = &jwt.environments[0].role.payload;
    assert_eq!(payload["role_type"], "jwt");
    assert_eq!(
        payload["bound_audiences"],
        json!(["https://github.com/octo"])
    );
    assert_eq!(
        payload["bound_claims"],
        json!({"repository": "octo/pay", "ref": "refs/heads/main"})
    );
    assert_eq!(payload["user_claim"], "repository");
    assert!(jwt.terraform.contains("vault_jwt_auth_backend_role"));
    assert!(
        jwt.terraform.contains("role_type = \"jwt\""),
        "{}",
        jwt.terraform
    );

    // Never the deprecated aliases.
    for config in [&k8s, &oidc, &jwt] {
        let payload = config.environments[0].role.payload.as_object().unwrap();
        for old in ["policies", "ttl", "max_ttl", "period", "bound_cidrs"] {
            assert!(!payload.contains_key(old), "{old}");
        }
    }
}

#[test]
fn method_options_are_required_and_checked() {
    let base = |extra: Value| {
        let mut value = json!({"app_name": "payment", "secrets": ["config"]});
        value
            .as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        generate(&request(value)).unwrap_err().field
    };
    assert_eq!(base(json!({"auth_method": "oidc"})), "/oidc");
    assert_eq!(base(json!({"auth_method": "jwt"})), "/jwt");
    assert_eq!(
        base(json!({"auth_method": "jwt", "jwt": {"audience": "a", "repository": "octo/*"}})),
        "/jwt/repository"
    );
    // Each provider's options, and only those: a stray one would bind nothing.
    for (jwt, field) in [
        (
            json!({"audience": "a", "repository": "o/r", "project_path": "g/p"}),
            "/jwt/project_path",
        ),
        (
            json!({"provider": "gitlab", "audience": "a"}),
            "/jwt/project_path",
        ),
        (
            json!({"provider": "gitlab", "audience": "a", "project_path": "pay"}),
            "/jwt/project_path",
        ),
        (
            json!({"provider": "terraform", "audience": "a", "organization": "o", "project": "p", "workspace": "w:run_phase"}),
            "/jwt/workspace",
        ),
        (
            json!({"provider": "generic", "audience": "a", "bound_subject": "s"}),
            "/jwt/issuer",
        ),
        (
            json!({"provider": "generic", "audience": "a", "issuer": "https://i", "bound_claims": {"sub": ["*"]}}),
            "/jwt/bound_claims/sub/0",
        ),
        (
            json!({"provider": "generic", "audience": "a", "issuer": "https://i", "bound_claims": {"team": ["*-x"]}}),
            "/jwt/bound_claims",
        ),
        (
            json!({"provider": "generic", "audience": "a", "issuer": "https://i", "bound_subject": "${x}"}),
            "/jwt/bound_subject",
        ),
    ] {
        assert_eq!(
            base(json!({"auth_method": "jwt", "jwt": jwt})),
            field,
            "{jwt}"
        );
    }
    assert_eq!(
        base(
            json!({"auth_method": "oidc", "oidc": {"client_id": "a", "redirect_uris": ["http://evil/cb"]}})
        ),
        "/oidc/redirect_uris/0"
    );
    assert_eq!(
        base(json!({"auth_method": "kubernetes", "kubernetes_namespace": "Shop"})),
        "/kubernetes_namespace"
    );
    assert_eq!(
        base(json!({"auth_method": "approle", "token_ttl": "5h"})),
        "/token_ttl"
    );
    assert_eq!(
        base(json!({"auth_method": "approle", "approle": {"secret_id_ttl": "0"}})),
        "/approle/secret_id_ttl"
    );
    assert_eq!(
        base(json!({"auth_method": "approle", "token_bound_cidrs": ["10.0.0.0/40"]})),
        "/token_bound_cidrs/0"
    );
    assert_eq!(
        base(json!({"auth_method": "kubernetes", "app_name": "Pay_Ment"})),
        "/service_account"
    );
}

#[test]
fn dangerous_names_are_refused_naming_the_field() {
    let injection = "pay\" {\n  capabilities = [\"read\"]\n}\npath \"sys/*\" {\n  capabilities = [\"sudo\"]\n}\npath \"x";
    for (field, needle, overrides) in [
        ("/app_name", "'\"'", json!({"app_name": injection})),
        ("/app_name", "'*'", json!({"app_name": "pay*"})),
        ("/app_name", "'$'", json!({"app_name": "$(reboot)"})),
        ("/app_name", "start with", json!({"app_name": "-rf"})),
        ("/app_name", "empty", json!({"app_name": ""})),
        (
            "/app_name",
            "bytes long",
            json!({"app_name": "a".repeat(200)}),
        ),
        ("/environments/0", "'+'", json!({"environments": ["+"]})),
        (
            "/environments/1",
            "'{'",
            json!({"environments": ["prod", "{{identity.entity.id}}"]}),
        ),
        (
            "/environments/0",
            "'/'",
            json!({"environments": ["prod/../sys"]}),
        ),
        (
            "/environments/0",
            "U+000A",
            json!({"environments": ["prod\nx"]}),
        ),
        (
            "/environments/0",
            "U+0000",
            json!({"environments": ["prod\u{0}"]}),
        ),
        (
            "/mounts/kv",
            "under `sys/`",
            json!({"mounts": {"kv": "sys"}}),
        ),
        (
            "/mounts/kv",
            "empty segment",
            json!({"mounts": {"kv": "secret/"}}),
        ),
        ("/auth_mount", "U+000A", json!({"auth_mount": "approle\nx"})),
    ] {
        let mut value =
            json!({"app_name": "payment", "auth_method": "approle", "secrets": ["config"]});
        value
            .as_object_mut()
            .unwrap()
            .extend(overrides.as_object().unwrap().clone());
        let error = generate(&request(value)).unwrap_err();
        assert_eq!(error.field, field, "{error}");
        assert!(error.message.contains(needle), "{needle}: {error}");
    }
}

#[test]
fn same_input_gives_the_same_bytes() {
    let value = json!({
        "app_name": "payment", "auth_method": "jwt", "secrets": ["db-creds", "api-key", "encryption"],
        "environments": ["production", "staging"], "kv_list": true,
        "jwt": {"audience": "https://github.com/octo", "repository": "octo/pay", "ref": "refs/heads/main"},
    });
    let first = serde_json::to_string(&config(value.clone())).unwrap();
    let second = serde_json::to_string(&config(value)).unwrap();
    assert_eq!(first, second);
    assert!(!first.contains("Generated"));
}

#[test]
fn every_generated_policy_lints_clean_for_its_flavour() {
    for flavour in ["vault", "openbao"] {
        for method in ["approle", "kubernetes", "oidc", "jwt"] {
            let config = config(json!({
                "app_name": "payment", "auth_method": method, "flavour": flavour,
                "secrets": ["db-creds", "db-admin", "api-key", "tls-cert", "encryption", "ssh-cert", "config"],
                "environments": ["production", "staging"], "kv_list": true,
                "extra_paths": [{"path": "kv2/shared/", "capabilities": ["list"]}],
                "oidc": {"client_id": "abc", "redirect_uris": ["http://localhost:8250/oidc/callback"]},
                "jwt": {"audience": "a", "repository": "octo/pay", "ref": "refs/heads/main"},
            }));
            let flavour = if flavour == "vault" {
                Flavour::Vault
            } else {
                Flavour::Openbao
            };
            for env in &config.environments {
                let report = lint(&env.policy_hcl, flavour);
                assert!(report.valid, "{:?}", report.errors);
                assert!(report.findings.is_empty(), "{:?}", report.findings);
            }
        }
    }
}

#[test]
fn commands_quote_every_argument() {
    let config = config(json!({
        "app_name": "payment", "auth_method": "oidc", "secrets": ["config"],
        "oidc": {"client_id": "abc", "redirect_uris": ["https://vault.example.org/cb?x=1&y=$(id)"]},
    }));
    // The URI travels only in the JSON payload, never on a command line.
    for command in &config.commands {
        assert!(!command.vault.contains("$(id)"), "{}", command.vault);
        assert_eq!(
            command.bao.strip_prefix("bao "),
            command.vault.strip_prefix("vault ")
        );
    }
    assert_eq!(vault_core::shell_quote("$(id)"), "'$(id)'");
}

/// `{app}-{env}` names must identify one app in one environment.
#[test]
fn environments_cannot_make_names_ambiguous() {
    let error = generate(&request(json!({
        "app_name": "pay", "auth_method": "approle", "secrets": ["api-key"], "environments": ["x-prod"],
    })))
    .unwrap_err();
    assert!(error.to_string().contains("/environments/0"), "{error}");
    assert!(error.to_string().contains("ambiguous"), "{error}");
}
