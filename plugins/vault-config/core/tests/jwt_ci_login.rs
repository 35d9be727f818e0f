//! vault-config's CI roles proven by real JWT logins on OpenBao. A local RSA
//! key (the `openssl` CLI) stands in for each CI's issuer: one jwt mount per
//! issuer is configured with `jwt_validation_pubkeys` and `bound_issuer`, the
//! generated policy and role are written as the generated commands say, and
//! tokens with the claims each CI issues (the claim sets of GitHub's, GitLab's
//! and HCP Terraform's documentation) log in and get the generated policy. A
//! token from another repository, project, branch, unprotected ref, workspace
//! or organization, or for another audience, is refused.

mod common;

use std::io::Write as _;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{SystemTime, UNIX_EPOCH};

use common::Bao;
use serde_json::{Value, json};
use vault_core::{Config, generate};

/// A throw-away RSA signing key in a temporary directory.
struct Issuer {
    dir: PathBuf,
}

impl Issuer {
    fn new(label: &str) -> Issuer {
        let dir =
            std::env::temp_dir().join(format!("vault-core-jwt-{label}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("a temporary directory");
        let key = dir.join("key.pem");
        openssl(&[
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:2048",
            "-out",
            key.to_str().unwrap(),
        ]);
        Issuer { dir }
    }

    fn key(&self) -> PathBuf {
        self.dir.join("key.pem")
    }

    fn public_pem(&self) -> String {
        String::from_utf8(openssl(&[
            "pkey",
            "-pubout",
            "-in",
            self.key().to_str().unwrap(),
        ]))
        .expect("PEM text")
    }

    /// An RS256 JWT with these claims.
    fn sign(&self, claims: &Value) -> String {
        let header = base64url(
            json!({"alg": "RS256", "typ": "JWT", "kid": "ci"})
                .to_string()
                .as_bytes(),
        );
        let body = base64url(claims.to_string().as_bytes());
        let input = format!("{header}.{body}");
        let signature = openssl_stdin(
            &["dgst", "-sha256", "-sign", self.key().to_str().unwrap()],
            input.as_bytes(),
        );
        format!("{input}.{}", base64url(&signature))
    }
}

impl Drop for Issuer {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn openssl(args: &[&str]) -> Vec<u8> {
    openssl_stdin(args, &[])
}

fn openssl_stdin(args: &[&str], input: &[u8]) -> Vec<u8> {
    let mut child = Command::new("openssl")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the openssl CLI runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input)
        .expect("write to openssl");
    let output = child.wait_with_output().expect("openssl finishes");
    assert!(
        output.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output.stdout
}

/// RFC 4648 §5 base64url without padding, as JWTs use it.
fn base64url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..=chunk.len() {
            out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// Writes what vault-config generated to the server: the mount and its
/// issuer config (`bound_issuer` from the generated command, the local key
/// instead of discovery), then the policy and the role.
fn apply(bao: &Bao, issuer: &Issuer, config: &Config) {
    let env = &config.environments[0];
    let mount = &env.role.mount;
    let response = bao.request(
        "POST",
        &format!("/v1/sys/auth/{mount}"),
        Some(&json!({"type": "jwt"})),
    );
    assert!(response.ok(), "enable {mount}: {}", response.body);
    let trust = config
        .commands
        .iter()
        .find(|c| c.args.first().is_some_and(|a| a == "write") && c.args[1].ends_with("/config"))
        .expect("a command configuring the issuer");
    let bound_issuer = trust
        .args
        .iter()
        .find_map(|a| a.strip_prefix("bound_issuer="))
        .expect("bound_issuer");
    let response = bao.request(
        "POST",
        &format!("/v1/auth/{mount}/config"),
        Some(&json!({
            "jwt_validation_pubkeys": [issuer.public_pem()],
            "bound_issuer": bound_issuer,
        })),
    );
    assert!(response.ok(), "config {mount}: {}", response.body);
    let response = bao.write_policy(&env.policy_name, &env.policy_hcl);
    assert!(response.ok(), "policy: {}", response.body);
    let response = bao.request(
        "POST",
        &format!("/v1/{}", env.role.path),
        Some(&env.role.payload),
    );
    assert!(response.ok(), "role {}: {}", env.role.path, response.body);
}

/// Logs in with a token carrying `claims`; the token's policies, or the refusal.
fn login(
    bao: &Bao,
    issuer: &Issuer,
    config: &Config,
    claims: &Value,
) -> Result<Vec<String>, String> {
    let env = &config.environments[0];
    let jwt = issuer.sign(claims);
    let response = bao.request(
        "POST",
        &format!("/v1/auth/{}/login", env.role.mount),
        Some(&json!({"role": env.role.name, "jwt": jwt})),
    );
    if !response.ok() {
        return Err(format!("{} {}", response.status, response.body.trim()));
    }
    let body = response.json();
    Ok(body["auth"]["policies"]
        .as_array()
        .expect("policies")
        .iter()
        .map(|p| p.as_str().unwrap().to_owned())
        .collect())
}

/// One provider: the accepted claims log in with the generated policy, each
/// altered claim set is refused.
fn prove(label: &str, request: Value, accepted: Value, refused: &[(&str, Value)]) {
    let bao = Bao::start();
    let issuer = Issuer::new(label);
    let request: vault_core::Request = serde_json::from_value(request).expect("a request");
    let config = generate(&request).expect("generates");
    apply(&bao, &issuer, &config);
    let policy = &config.environments[0].policy_name;
    let policies = login(&bao, &issuer, &config, &accepted)
        .unwrap_or_else(|refusal| panic!("{label}: the CI's own token was refused: {refusal}"));
    assert!(policies.contains(policy), "{label}: {policies:?}");
    for (what, change) in refused {
        let mut claims = accepted.clone();
        for (key, value) in change.as_object().expect("an object") {
            claims[key] = value.clone();
        }
        let outcome = login(&bao, &issuer, &config, &claims);
        assert!(
            outcome.is_err(),
            "{label}: a token with {what} logged in: {outcome:?}"
        );
    }
}

fn times() -> (i64, i64, i64) {
    let now = now();
    (now - 5, now - 5, now + 300)
}

#[test]
fn gitlab_ci_tokens_of_the_bound_project_and_protected_branch_log_in() {
    let (iat, nbf, exp) = times();
    // The claims of a GitLab CI `id_tokens` token, as GitLab's documentation lists them.
    let claims = json!({
        "namespace_id": "72", "namespace_path": "acme", "project_id": "20",
        "project_path": "acme/payment", "user_id": "1", "user_login": "sam",
        "user_email": "sam@example.com", "user_access_level": "developer",
        "pipeline_id": "574", "pipeline_source": "push", "job_id": "302",
        "ref": "main", "ref_type": "branch", "ref_path": "refs/heads/main",
        "ref_protected": "true", "environment": "production",
        "environment_protected": "true", "deployment_tier": "production",
        "runner_id": 1, "runner_environment": "gitlab-hosted",
        "sha": "714a629c0b401fdce83e847fc9589983fc6f46bc",
        "project_visibility": "private",
        "ci_config_ref_uri": "gitlab.com/acme/payment//.gitlab-ci.yml@refs/heads/main",
        "ci_config_sha": "714a629c0b401fdce83e847fc9589983fc6f46bc",
        "jti": "235b3a54-b797-45c7-ae9a-f72d7bc6ef5b",
        "iss": "https://gitlab.com", "iat": iat, "nbf": nbf, "exp": exp,
        "sub": "project_path:acme/payment:ref_type:branch:ref:main",
        "aud": "https://vault.example.com",
    });
    prove(
        "gitlab",
        json!({
            "app_name": "payment", "auth_method": "jwt", "secrets": ["config"],
            "auth_mount": "gitlab",
            "jwt": {
                "provider": "gitlab", "audience": "https://vault.example.com",
                "project_path": "acme/payment", "ref": "main", "ref_type": "branch",
            },
        }),
        claims,
        &[
            (
                "another project",
                json!({"project_path": "acme/payment-fork"}),
            ),
            ("another branch", json!({"ref": "feature"})),
            ("an unprotected ref", json!({"ref_protected": "false"})),
            ("a tag of that name", json!({"ref_type": "tag"})),
            (
                "another audience",
                json!({"aud": "https://other.example.com"}),
            ),
            (
                "another issuer",
                json!({"iss": "https://gitlab.example.com"}),
            ),
            ("an expired token", json!({"exp": iat - 100})),
        ],
    );
}

#[test]
fn hcp_terraform_tokens_of_the_bound_workspace_log_in_in_both_phases() {
    let (iat, nbf, exp) = times();
    // HCP Terraform's workload identity token, as its documentation shows it.
    let claims = |phase: &str| {
        json!({
            "jti": "1192426d-b525-4fde-9d81-5f4c3d8a9e0c",
            "iss": "https://app.terraform.io",
            "aud": "vault.workload.identity",
            "iat": iat, "nbf": nbf, "exp": exp,
            "sub": format!("organization:acme:project:Default Project:workspace:payment-prod:run_phase:{phase}"),
            "terraform_run_phase": phase,
            "terraform_workspace_id": "ws-mbsd5E3Ktt5Rg2Xm",
            "terraform_workspace_name": "payment-prod",
            "terraform_organization_id": "org-GRNbCjYNpBB6NEH9",
            "terraform_organization_name": "acme",
            "terraform_project_id": "prj-vegSA59s1XPwMr2t",
            "terraform_project_name": "Default Project",
            "terraform_run_id": "run-X3n1AUZNJWP2AZbS",
            "terraform_full_workspace": "organization:acme:project:Default Project:workspace:payment-prod",
        })
    };
    let request = json!({
        "app_name": "payment", "auth_method": "jwt", "secrets": ["config"],
        "auth_mount": "tfc",
        "jwt": {
            "provider": "terraform", "audience": "vault.workload.identity",
            "organization": "acme", "project": "Default Project", "workspace": "payment-prod",
        },
    });
    let sub = |text: &str| json!({"sub": text});
    prove(
        "terraform",
        request.clone(),
        claims("apply"),
        &[
            (
                "another workspace",
                sub(
                    "organization:acme:project:Default Project:workspace:payment-dev:run_phase:apply",
                ),
            ),
            (
                "a workspace sharing the prefix",
                sub(
                    "organization:acme:project:Default Project:workspace:payment-prod2:run_phase:apply",
                ),
            ),
            (
                "another organization",
                sub(
                    "organization:evil:project:Default Project:workspace:payment-prod:run_phase:apply",
                ),
            ),
            (
                "another project",
                sub("organization:acme:project:Other:workspace:payment-prod:run_phase:apply"),
            ),
            ("another audience", json!({"aud": "aws.workload.identity"})),
        ],
    );
    prove("terraform-plan", request, claims("plan"), &[]);
}

#[test]
fn terraform_roles_bound_to_apply_refuse_plan_tokens() {
    let (iat, nbf, exp) = times();
    let claims = |phase: &str| {
        json!({
            "iss": "https://app.terraform.io", "aud": "vault.workload.identity",
            "iat": iat, "nbf": nbf, "exp": exp,
            "sub": format!("organization:acme:project:Default Project:workspace:payment-prod:run_phase:{phase}"),
            "terraform_full_workspace": "organization:acme:project:Default Project:workspace:payment-prod",
        })
    };
    prove(
        "terraform-apply",
        json!({
            "app_name": "payment", "auth_method": "jwt", "secrets": ["config"],
            "auth_mount": "tfc",
            "jwt": {
                "provider": "terraform", "audience": "vault.workload.identity",
                "organization": "acme", "project": "Default Project",
                "workspace": "payment-prod", "run_phase": "apply",
            },
        }),
        claims("apply"),
        &[(
            "the plan phase",
            json!({"sub": "organization:acme:project:Default Project:workspace:payment-prod:run_phase:plan"}),
        )],
    );
}

#[test]
fn github_tokens_of_the_bound_repository_and_ref_log_in() {
    let (iat, nbf, exp) = times();
    // A GitHub Actions OIDC token's claims, as GitHub's documentation lists them.
    let claims = json!({
        "jti": "example-id", "sub": "repo:octo-org/octo-repo:ref:refs/heads/main",
        "environment": "prod", "aud": "https://github.com/octo-org",
        "ref": "refs/heads/main", "sha": "example-sha",
        "repository": "octo-org/octo-repo", "repository_owner": "octo-org",
        "actor_id": "12", "repository_visibility": "private", "repository_id": "74",
        "repository_owner_id": "65", "run_id": "example-run-id",
        "run_number": "10", "run_attempt": "2", "runner_environment": "github-hosted",
        "actor": "octocat", "workflow": "example-workflow", "head_ref": "",
        "base_ref": "", "event_name": "workflow_dispatch", "ref_type": "branch",
        "job_workflow_ref": "octo-org/octo-automation/.github/workflows/oidc.yml@refs/heads/main",
        "iss": "https://token.actions.githubusercontent.com",
        "nbf": nbf, "exp": exp, "iat": iat,
    });
    prove(
        "github",
        json!({
            "app_name": "payment", "auth_method": "jwt", "secrets": ["config"],
            "jwt": {
                "audience": "https://github.com/octo-org",
                "repository": "octo-org/octo-repo", "ref": "refs/heads/main",
            },
        }),
        claims,
        &[
            (
                "another repository",
                json!({"repository": "octo-org/other"}),
            ),
            ("another branch", json!({"ref": "refs/heads/dev"})),
        ],
    );
}

#[test]
fn generic_issuer_roles_match_claim_globs_and_map_claims() {
    let (iat, nbf, exp) = times();
    let claims = json!({
        "iss": "https://ci.example.com", "aud": "vault", "iat": iat, "nbf": nbf, "exp": exp,
        "sub": "pipeline:payment:deploy", "team": "payments", "branch": "release-2026.1",
    });
    let request = json!({
        "app_name": "payment", "auth_method": "jwt", "secrets": ["config"],
        "auth_mount": "ci",
        "jwt": {
            "provider": "generic", "audience": "vault", "issuer": "https://ci.example.com",
            "bound_claims": {"sub": ["pipeline:payment:*"], "branch": ["release-*", "main"]},
            "claim_mappings": {"team": "team"},
        },
    });
    prove(
        "generic",
        request.clone(),
        claims.clone(),
        &[
            (
                "another pipeline",
                json!({"sub": "pipeline:billing:deploy"}),
            ),
            ("a branch outside the globs", json!({"branch": "feature-x"})),
        ],
    );
    // The second accepted value of `branch`, and the mapped claim in the metadata.
    let bao = Bao::start();
    let issuer = Issuer::new("generic-meta");
    let config = generate(&serde_json::from_value(request).unwrap()).unwrap();
    apply(&bao, &issuer, &config);
    let mut main = claims;
    main["branch"] = json!("main");
    let env = &config.environments[0];
    let response = bao.request(
        "POST",
        &format!("/v1/auth/{}/login", env.role.mount),
        Some(&json!({"role": env.role.name, "jwt": issuer.sign(&main)})),
    );
    assert!(response.ok(), "{}", response.body);
    assert_eq!(response.json()["auth"]["metadata"]["team"], "payments");
}
