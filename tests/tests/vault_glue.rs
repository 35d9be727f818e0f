//! vault-config's delivery files, checked against what reads them and run on
//! a real OpenBao: for a kubernetes role the Agent Injector patch, the Secrets
//! Store CSI `SecretProviderClass` and the ESO manifests; for JWT roles the
//! GitHub workflow and the GitLab pipeline.
//!
//! - The manifests pass `check-jsonschema` against the CRDs (ESO v2.9.0,
//!   secrets-store-csi-driver v1.6.0); the annotations are keys the injector
//!   reads (vault-k8s v1.7.6 and openbao-k8s v1.4.0); the CSI parameters and
//!   object fields are the Vault provider's (v1.7.4); the workflow passes
//!   actionlint and gives vault-action (v3.4.0) only inputs it has; the
//!   pipeline passes GitLab's schema. Sources: `tests/fixtures/vault-glue/`.
//! - On OpenBao, with a token of the environment's policy: `bao agent` (the
//!   agent the injector runs) renders the injector's own templates from the
//!   written KV secrets; every CSI object and ESO key reads; the other
//!   environment's paths are denied; database paths (no database here) are
//!   readable by the policy. The GitLab jobs' scripts run in `sh` with a JWT
//!   signed as GitLab signs its ID tokens and read the secrets; the GitHub
//!   job's login (role, mount, audience) and reads succeed as vault-action
//!   makes them.
//!
//! What no server here proves: the Kubernetes login itself (it needs a
//! cluster's TokenReview), and the injector, CSI driver and ESO controllers
//! acting on the manifests.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use skill_tests::checkers::{
    actionlint, assert_eso_valid, check_jsonschema, gitlab_ci_schema, run_gitlab_script,
    split_documents,
};
use skill_tests::openbao::{JwtKey, OpenBao, bao_bin};
use skill_tests::{Skill, workspace};

fn fixture(name: &str) -> PathBuf {
    workspace().join("tests/fixtures/vault-glue").join(name)
}

/// `text` written to the file `name` in `dir`, for a checker that reads files.
fn written(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write a scratch file");
    path
}

/// The lines of a fixture list.
fn listed(name: &str) -> BTreeSet<String> {
    std::fs::read_to_string(fixture(name))
        .expect("fixture")
        .lines()
        .map(str::to_owned)
        .collect()
}

/// The delivery file `name` of a vault-config output.
fn delivered<'a>(config: &'a Value, name: &str) -> &'a str {
    config["delivery"]
        .as_array()
        .unwrap()
        .iter()
        .find(|file| file["path"] == name)
        .unwrap_or_else(|| panic!("no delivery file {name}: {:#}", config["delivery"]))["content"]
        .as_str()
        .unwrap()
}

/// The YAML documents of `text` (each generated one starts with `---`).
fn documents(text: &str) -> Vec<Value> {
    text.split("---\n")
        .filter(|document| !document.trim().is_empty())
        .map(|document| serde_yaml_ng::from_str(document).expect("YAML"))
        .collect()
}

/// Values written to each environment's KV secrets, distinct per environment and key.
fn kv_values(env: &str, name: &str) -> Value {
    json!({ "host": format!("{name}.{env}.internal"), "token": format!("{env}-{name}-value") })
}

/// Writes the KV values of every read of `config`'s environments.
fn write_kv(bao: &OpenBao, config: &Value) {
    for env in config["environments"].as_array().unwrap() {
        for read in env["reads"].as_array().unwrap() {
            if read["engine"] == "kv-v2" {
                let values = kv_values(
                    env["environment"].as_str().unwrap(),
                    read["name"].as_str().unwrap(),
                );
                let file = bao.file("kv.json", &values.to_string());
                bao.root(&[
                    "kv",
                    "put",
                    &format!("-mount={}", read["mount"].as_str().unwrap()),
                    read["key"].as_str().unwrap(),
                    &format!("@{}", file.display()),
                ]);
            }
        }
    }
}

/// `bao read -format=json PATH` as `token`: the response's `.data`, or `None` when refused.
fn read(bao: &OpenBao, token: &str, path: &str) -> Option<Value> {
    let output = bao.run(token, &["read", "-format=json", path]);
    output
        .status
        .success()
        .then(|| serde_json::from_slice::<Value>(&output.stdout).unwrap()["data"].clone())
}

/// Renders `templates` (name → template text) with `bao agent` logging in
/// with `token` and exiting after one pass, as the injector's init
/// container does; returns each rendered file.
fn agent_renders(bao: &OpenBao, token: &str, templates: &[(String, String)]) -> Vec<String> {
    let dir = bao.scratch().join("agent");
    std::fs::create_dir_all(&dir).unwrap();
    let token_file = written(&dir, "token", token);
    let template: Vec<Value> = templates
        .iter()
        .map(|(name, contents)| json!({ "destination": dir.join(name), "contents": contents }))
        .collect();
    let config = json!({
        "vault": { "address": bao.addr },
        "exit_after_auth": true,
        "auto_auth": { "method": [{ "type": "token_file",
                                    "config": { "token_file_path": token_file } }] },
        "template": template,
    });
    let config_file = written(&dir, "agent.json", &config.to_string());
    let output = std::process::Command::new("timeout")
        .arg("60")
        .arg(bao_bin())
        .arg("agent")
        .arg(format!("-config={}", config_file.display()))
        .current_dir(&dir)
        .env("HOME", bao.scratch())
        .env_remove("BAO_TOKEN")
        .env_remove("VAULT_TOKEN")
        .output()
        .expect("run bao agent");
    assert!(
        output.status.success(),
        "bao agent: {}",
        String::from_utf8_lossy(&output.stdout)
    );
    templates
        .iter()
        .map(|(name, _)| std::fs::read_to_string(dir.join(name)).expect("rendered"))
        .collect()
}

/// Each annotation is one the injector reads: listed as is, or a listed key
/// that takes a `-<name>` suffix; names fit a Kubernetes annotation key.
fn assert_injector_reads(annotations: &serde_json::Map<String, Value>) {
    let known = listed("injector-annotations.txt");
    // The keys annotations.go documents as "any unique string after" the key.
    let suffixed = [
        "vault.hashicorp.com/agent-inject-secret",
        "vault.hashicorp.com/agent-inject-template",
    ];
    for key in annotations.keys() {
        let known_key = known.contains(key)
            || suffixed
                .iter()
                .any(|prefix| key.strip_prefix(prefix).is_some_and(|s| s.starts_with('-')));
        assert!(known_key, "the injector reads no annotation {key}");
        let name = key.split_once('/').unwrap().1;
        assert!(name.len() <= 63, "{key}: a name part over 63 characters");
    }
}

#[test]
fn kubernetes_delivery_matches_its_readers_and_reads_on_openbao() {
    let skill = Skill::new();
    let bao = OpenBao::start();
    let config = skill.tool_json(
        "vault-config",
        &json!({
            "app_name": "payment", "auth_method": "kubernetes", "flavour": "openbao",
            "secrets": ["db-creds", "api-key", "config", "encryption"],
            "environments": ["production", "staging"],
            "kubernetes_namespace": "shop", "service_account": "payment",
            "kubernetes_audience": "vault",
            "vault_address": "https://vault.example.com:8200",
        }),
    );
    bao.root(&["auth", "enable", "kubernetes"]);
    bao.apply_config(&config);
    write_kv(&bao, &config);
    let dir = tempfile::tempdir().unwrap();
    let environments = config["environments"].as_array().unwrap();
    for (index, env) in environments.iter().enumerate() {
        let role = env["role"]["name"].as_str().unwrap();
        let environment = env["environment"].as_str().unwrap();
        let reads = env["reads"].as_array().unwrap();
        let token = bao.token_with(&[env["policy_name"].as_str().unwrap()]);
        let other = &environments[1 - index];

        // The Agent Injector: keys it reads, and templates its agent renders.
        let patch = documents(delivered(
            &config,
            &format!("{role}.agent-injector.patch.yaml"),
        ));
        let pod = &patch[0]["spec"]["template"];
        assert_eq!(pod["spec"]["serviceAccountName"], "payment");
        let annotations = pod["metadata"]["annotations"].as_object().unwrap();
        assert_injector_reads(annotations);
        assert_eq!(annotations["vault.hashicorp.com/role"], role);
        assert_eq!(
            annotations["vault.hashicorp.com/auth-path"],
            "auth/kubernetes"
        );
        // transit is called, not read: the app gets the agent's token.
        assert_eq!(
            annotations["vault.hashicorp.com/agent-inject-token"],
            "true"
        );
        let mut templates = Vec::new();
        for read in reads {
            let name = read["name"].as_str().unwrap();
            let path = read["path"].as_str().unwrap();
            let secret = format!("vault.hashicorp.com/agent-inject-secret-{name}");
            assert_eq!(annotations[&secret], path);
            let template = format!("vault.hashicorp.com/agent-inject-template-{name}");
            if read["engine"] == "kv-v2" {
                templates.push((
                    name.to_owned(),
                    annotations[&template].as_str().unwrap().to_owned(),
                ));
            }
        }
        assert_eq!(templates.len(), 2, "api-keys and config");
        for ((name, _), rendered) in templates
            .iter()
            .zip(agent_renders(&bao, &token, &templates))
        {
            let rendered: Value = serde_json::from_str(&rendered).expect("a JSON file");
            assert_eq!(rendered, kv_values(environment, name), "{name}");
        }

        // The CSI SecretProviderClass: the CRD's schema, the provider's fields.
        let class_file = written(
            dir.path(),
            &format!("{role}.spc.yaml"),
            delivered(&config, &format!("{role}.secret-provider-class.yaml")),
        );
        check_jsonschema(
            &fixture("SecretProviderClass.v1.schema.json"),
            &[&class_file],
        )
        .unwrap_or_else(|report| panic!("SecretProviderClass: {report}"));
        let class = &documents(&std::fs::read_to_string(&class_file).unwrap())[0];
        let parameters = class["spec"]["parameters"].as_object().unwrap();
        let known = listed("csi-parameters.txt");
        assert!(
            parameters.keys().all(|key| known.contains(key)),
            "{parameters:?}"
        );
        assert_eq!(parameters["roleName"], role);
        let objects = documents(parameters["objects"].as_str().unwrap()).remove(0);
        let fields = listed("csi-object-fields.txt");
        let mut object_names = BTreeSet::new();
        for object in objects.as_array().unwrap() {
            let object = object.as_object().unwrap();
            assert!(object.keys().all(|key| fields.contains(key)), "{object:?}");
            assert!(
                object_names.insert(object["objectName"].to_string()),
                "objectNames are unique"
            );
            let path = object["secretPath"].as_str().unwrap();
            let engine = &reads
                .iter()
                .find(|r| r["path"] == path)
                .expect("a read path")["engine"];
            if engine == "kv-v2" {
                let data = read(&bao, &token, path).unwrap_or_else(|| panic!("{path} refused"));
                assert!(
                    data["data"].is_object(),
                    "{path}: KV v2 values under .data.data"
                );
            }
            // The other environment's token reads none of it.
            let other_token = bao.token_with(&[other["policy_name"].as_str().unwrap()]);
            assert!(
                read(&bao, &other_token, path).is_none(),
                "{path} read by another environment"
            );
        }
        assert_eq!(
            object_names.len(),
            4,
            "db username, password, api-keys, config"
        );

        // ESO: the CRDs' schemas; each remote key reads through the store's mount.
        let eso = delivered(&config, &format!("{role}.external-secrets.yaml"));
        for (kind, path) in split_documents(eso, dir.path()) {
            assert_eso_valid(&kind, &path);
        }
        let eso = documents(eso);
        let store = &eso[0]["spec"]["provider"]["vault"];
        assert_eq!(
            store["auth"]["kubernetes"]["serviceAccountRef"]["audiences"],
            json!(["vault"])
        );
        for item in eso[1]["spec"]["data"].as_array().unwrap() {
            let key = item["remoteRef"]["key"].as_str().unwrap();
            let output = bao.run(
                &token,
                &[
                    "kv",
                    "get",
                    "-format=json",
                    &format!("-mount={}", store["path"].as_str().unwrap()),
                    key,
                ],
            );
            assert!(output.status.success(), "ESO key {key} refused");
        }

        // Database credentials: no database here, so the policy is checked instead.
        let database: Vec<String> = reads
            .iter()
            .filter(|r| r["engine"] == "database")
            .map(|r| r["path"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(database.len(), 1);
        let got = bao.capabilities(&token, &database);
        assert_eq!(got[&database[0]], ["read"]);
    }
}

#[test]
fn a_github_workflow_passes_actionlint_and_its_login_and_reads_work_on_openbao() {
    let skill = Skill::new();
    let bao = OpenBao::start();
    let key = JwtKey::new(&bao);
    let issuer = "https://token.actions.githubusercontent.com";
    key.trust(&bao, "github", issuer);
    let audience = "https://github.com/octo-org";
    let config = skill.tool_json(
        "vault-config",
        &json!({
            "app_name": "payment", "auth_method": "jwt", "flavour": "openbao",
            "auth_mount": "github", "secrets": ["api-key", "config", "db-creds"],
            "environments": ["production", "staging"],
            "jwt": {"audience": audience, "repository": "octo-org/payment", "ref": "refs/heads/main"},
        }),
    );
    bao.apply_config(&config);
    write_kv(&bao, &config);
    let workflow_text = delivered(&config, "github-workflow.yml");
    let dir = tempfile::tempdir().unwrap();
    let workflow_file = written(dir.path(), "secrets.yml", workflow_text);
    actionlint(&[&workflow_file]).unwrap_or_else(|report| panic!("actionlint: {report}"));
    let workflow = &documents(workflow_text)[0];
    assert_eq!(workflow["permissions"]["id-token"], "write");
    assert_eq!(workflow["on"]["push"]["branches"], json!(["main"]));

    let inputs = listed("vault-action-inputs.txt");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let jobs = workflow["jobs"].as_object().unwrap();
    assert_eq!(jobs.len(), 2);
    for (env, job) in config["environments"]
        .as_array()
        .unwrap()
        .iter()
        .zip(jobs.values())
    {
        let step = &job["steps"][0];
        assert!(
            step["uses"]
                .as_str()
                .unwrap()
                .starts_with("hashicorp/vault-action@v3")
        );
        let with = step["with"].as_object().unwrap();
        assert!(with.keys().all(|input| inputs.contains(input)), "{with:?}");
        assert_eq!(with["method"], "jwt");
        // What the action does: log in at auth/<path>/login with the role and
        // a GitHub token for `jwtGithubAudience`, then GET each secret path.
        let claims = json!({
            "iss": issuer, "aud": with["jwtGithubAudience"],
            "sub": "repo:octo-org/payment:ref:refs/heads/main",
            "repository": "octo-org/payment", "ref": "refs/heads/main",
            "iat": now - 5, "nbf": now - 5, "exp": now + 300,
        });
        let login = bao.run(
            &bao.root_token,
            &[
                "write",
                "-field=token",
                &format!("auth/{}/login", with["path"].as_str().unwrap()),
                &format!("role={}", with["role"].as_str().unwrap()),
                &format!("jwt={}", key.sign(&bao, &claims)),
            ],
        );
        assert!(
            login.status.success(),
            "login: {}",
            String::from_utf8_lossy(&login.stderr)
        );
        let token = String::from_utf8_lossy(&login.stdout).trim().to_owned();
        // vault-action's grammar: `PATH SELECTOR | NAME ;` entries.
        let entries: Vec<&str> = with["secrets"]
            .as_str()
            .unwrap()
            .split(';')
            .map(str::trim)
            .filter(|entry| !entry.is_empty())
            .collect();
        let reads = env["reads"].as_array().unwrap();
        assert_eq!(entries.len(), reads.len());
        for (entry, expected) in entries.iter().zip(reads) {
            let (spec, variable) = entry.rsplit_once('|').unwrap();
            let parts: Vec<&str> = spec.split_whitespace().collect();
            assert_eq!(parts.len(), 2, "{entry}");
            assert_eq!(parts[0], expected["path"]);
            assert_eq!(parts[1], "*", "every key, upper-cased");
            assert!(variable.trim().ends_with('_'), "{entry}");
            if expected["engine"] == "kv-v2" {
                let data =
                    read(&bao, &token, parts[0]).unwrap_or_else(|| panic!("{entry} refused"));
                let name = expected["name"].as_str().unwrap();
                assert_eq!(
                    data["data"],
                    kv_values(env["environment"].as_str().unwrap(), name)
                );
            } else {
                let got = bao.capabilities(&token, &[parts[0].to_owned()]);
                assert_eq!(got[parts[0]], ["read"]);
            }
        }
    }
}

#[test]
fn gitlab_jobs_pass_gitlabs_schema_and_read_the_secrets_on_openbao() {
    let skill = Skill::new();
    let bao = OpenBao::start();
    let key = JwtKey::new(&bao);
    key.trust(&bao, "gitlab", "https://gitlab.com");
    let audience = "https://vault.example.com";
    // The vault flavour: the jobs run `vault`, here OpenBao's CLI under that name.
    let config = skill.tool_json(
        "vault-config",
        &json!({
            "app_name": "payment", "auth_method": "jwt", "auth_mount": "gitlab",
            "secrets": ["api-key", "config"], "environments": ["production", "staging"],
            "vault_address": bao.addr,
            "jwt": {"provider": "gitlab", "audience": audience, "project_path": "acme/payment",
                    "ref": "main", "ref_type": "branch"},
        }),
    );
    bao.apply_config(&config);
    write_kv(&bao, &config);
    let pipeline_text = delivered(&config, "gitlab-ci.yml");
    let dir = tempfile::tempdir().unwrap();
    let pipeline_file = written(dir.path(), ".gitlab-ci.yml", pipeline_text);
    gitlab_ci_schema(&[&pipeline_file]).unwrap_or_else(|report| panic!("GitLab schema: {report}"));

    let bin = dir.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    std::os::unix::fs::symlink(bao_bin(), bin.join("vault")).unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let jwt = key.sign(
        &bao,
        &json!({
            "iss": "https://gitlab.com", "aud": audience,
            "sub": "project_path:acme/payment:ref_type:branch:ref:main",
            "project_path": "acme/payment", "ref": "main", "ref_type": "branch",
            "ref_protected": "true",
            "iat": now - 5, "nbf": now - 5, "exp": now + 300,
        }),
    );
    let pipeline = &documents(pipeline_text)[0];
    let jobs = pipeline.as_object().unwrap();
    assert_eq!(jobs.len(), 2);
    for (env, job) in config["environments"]
        .as_array()
        .unwrap()
        .iter()
        .zip(jobs.values())
    {
        assert_eq!(job["rules"][0]["if"], "$CI_COMMIT_BRANCH == \"main\"");
        assert_eq!(job["id_tokens"]["GITLAB_OIDC_TOKEN"]["aud"], audience);
        let work = dir.path().join(env["environment"].as_str().unwrap());
        std::fs::create_dir(&work).unwrap();
        let address = job["variables"]["VAULT_ADDR"].as_str().unwrap();
        let home = work.to_str().unwrap();
        let variables = run_gitlab_script(
            job,
            &work,
            &bin,
            &[
                ("GITLAB_OIDC_TOKEN", &jwt),
                ("VAULT_ADDR", address),
                ("HOME", home),
            ],
        );
        let environment = env["environment"].as_str().unwrap();
        for (variable, name) in [("SECRET_API_KEYS", "api-keys"), ("SECRET_CONFIG", "config")] {
            let value: Value = serde_json::from_str(&variables[variable]).expect("JSON");
            assert_eq!(value, kv_values(environment, name), "{variable}");
        }
    }
}
