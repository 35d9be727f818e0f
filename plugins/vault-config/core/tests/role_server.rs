//! role-lint against a real OpenBao: every role of the table below is linted
//! as a payload, written to the server's approle, kubernetes or jwt mount, and
//! where the server takes it, read back with `bao read -format=json` and
//! linted again in that form (the method detected from what the server
//! prints). For each role:
//!
//! - role-lint's valid/invalid verdict on the payload equals the server's
//!   accept/refuse of the write, and a refusal quotes the server's message;
//! - the payload's findings are the ones listed, and so are the read-back's:
//!   defaults the payload left out (secret_id_ttl 0, token_max_ttl 0, no
//!   audience) are what the server fills in, parameters the server ignores
//!   are gone from the read-back, and legacy names come back only where the
//!   server echoes them;
//! - nothing the server prints is an unknown parameter to role-lint.

mod common;

use std::collections::BTreeSet;

use common::Bao;
use serde_json::{Value, json};
use vault_core::role_lint::{RoleForm, RoleLintReport, RoleMethod, lint_role};

struct Case {
    name: &'static str,
    method: RoleMethod,
    payload: Value,
    /// `rule/severity` of the payload's findings.
    payload_findings: &'static [&'static str],
    /// The read-back's findings; `None` when the server refuses the role.
    read_findings: Option<&'static [&'static str]>,
}

fn case(
    name: &'static str,
    method: RoleMethod,
    payload: Value,
    payload_findings: &'static [&'static str],
    read_findings: Option<&'static [&'static str]>,
) -> Case {
    Case {
        name,
        method,
        payload,
        payload_findings,
        read_findings,
    }
}

/// Bounded AppRole secret-ids, so that a case shows only what it is about.
fn approle(mut extra: Value) -> Value {
    let mut base = json!({
        "token_policies": ["app"],
        "token_ttl": "1h",
        "token_max_ttl": "4h",
        "secret_id_ttl": "10m",
        "secret_id_num_uses": 1,
        "secret_id_bound_cidrs": ["10.0.0.0/8"],
    });
    merge(&mut base, extra.take());
    base
}

fn kubernetes(mut extra: Value) -> Value {
    let mut base = json!({
        "bound_service_account_names": ["payment"],
        "bound_service_account_namespaces": ["prod"],
        "audience": "vault",
        "token_policies": ["app"],
        "token_ttl": "1h",
        "token_max_ttl": "4h",
    });
    merge(&mut base, extra.take());
    base
}

fn jwt(mut extra: Value) -> Value {
    let mut base = json!({
        "role_type": "jwt",
        "user_claim": "repository",
        "bound_audiences": ["https://github.com/octo"],
        "bound_claims_type": "string",
        "bound_claims": {"repository": "octo/pay", "ref": "refs/heads/main"},
        "token_policies": ["app"],
        "token_ttl": "15m",
        "token_max_ttl": "1h",
    });
    merge(&mut base, extra.take());
    base
}

/// Sets (or, with `null`, removes) the keys of `extra` in `base`.
fn merge(base: &mut Value, extra: Value) {
    let base = base.as_object_mut().expect("an object");
    for (key, value) in extra.as_object().expect("an object") {
        if value.is_null() {
            base.remove(key);
        } else {
            base.insert(key.clone(), value.clone());
        }
    }
}

fn cases() -> Vec<Case> {
    use RoleMethod::{Approle, Jwt, Kubernetes};
    vec![
        // AppRole
        case(
            "approle-bounded",
            Approle,
            approle(json!({})),
            &[],
            Some(&[]),
        ),
        case(
            "approle-defaults",
            Approle,
            json!({"token_policies": "app"}),
            &[
                "no-max-ttl/medium",
                "no-ttl/low",
                "secret-id-no-ttl/high",
                "secret-id-unlimited-uses/medium",
                "no-cidr-binding/low",
            ],
            Some(&[
                "no-max-ttl/medium",
                "no-ttl/low",
                "secret-id-no-ttl/high",
                "secret-id-unlimited-uses/medium",
                "no-cidr-binding/low",
            ]),
        ),
        case(
            "approle-legacy-names",
            Approle,
            approle(json!({
                "token_policies": null, "policies": "app", "period": "1h",
                "secret_id_bound_cidrs": null, "bound_cidr_list": "10.0.0.0/8",
            })),
            // `period` makes the tokens periodic; `bound_cidr_list` is not echoed back.
            &["deprecated-parameter/low", "periodic-token/high"],
            Some(&["deprecated-parameter/low", "periodic-token/high"]),
        ),
        case(
            "approle-takes-no-ttl",
            Approle,
            approle(
                json!({"token_ttl": null, "token_max_ttl": null, "ttl": "1h", "max_ttl": "4h"}),
            ),
            &["ignored-parameter/high", "no-max-ttl/medium", "no-ttl/low"],
            Some(&["no-max-ttl/medium", "no-ttl/low"]),
        ),
        case(
            "approle-typo",
            Approle,
            approle(json!({"token_max_ttl": null, "token_max_tll": "4h"})),
            &["ignored-parameter/high", "no-max-ttl/medium"],
            Some(&["no-max-ttl/medium"]),
        ),
        case(
            "approle-no-secret-id",
            Approle,
            approle(json!({"bind_secret_id": false})),
            &["no-secret-id/high"],
            Some(&["no-secret-id/high"]),
        ),
        case(
            "approle-no-secret-id-no-cidr",
            Approle,
            approle(json!({"bind_secret_id": false, "secret_id_bound_cidrs": null})),
            &["no-secret-id/high"],
            None,
        ),
        case(
            "approle-long-batch",
            Approle,
            approle(json!({"token_type": "batch", "token_ttl": "8h", "token_max_ttl": "8h"})),
            &["batch-token/medium"],
            Some(&["batch-token/medium"]),
        ),
        case(
            "approle-default-batch",
            Approle,
            approle(json!({"token_type": "default-batch"})),
            // The server adjusts it to `batch` (with a warning): nothing to say on read.
            &["token-type/low"],
            Some(&[]),
        ),
        case(
            "approle-periodic-batch",
            Approle,
            approle(json!({"token_type": "batch", "token_period": "1h"})),
            &["periodic-token/high"],
            None,
        ),
        case(
            "approle-limited-batch",
            Approle,
            approle(json!({"token_type": "batch", "token_num_uses": 3})),
            &[],
            None,
        ),
        case(
            "approle-bad-token-type",
            Approle,
            approle(json!({"token_type": "default_batch"})),
            &[],
            None,
        ),
        case(
            "approle-ttl-above-max",
            Approle,
            approle(json!({"token_ttl": "8h"})),
            &[],
            None,
        ),
        case(
            "approle-bad-duration",
            Approle,
            approle(json!({"secret_id_ttl": "ten minutes"})),
            &["secret-id-no-ttl/high"],
            None,
        ),
        case(
            "approle-negative-uses",
            Approle,
            approle(json!({"secret_id_num_uses": -1})),
            &[],
            None,
        ),
        case(
            "approle-periodic-with-max",
            Approle,
            approle(json!({"token_period": "1h"})),
            &["periodic-token/high"],
            Some(&["periodic-token/high"]),
        ),
        case(
            "approle-periodic-capped",
            Approle,
            approle(json!({"token_period": "1h", "token_explicit_max_ttl": "24h"})),
            &[],
            Some(&[]),
        ),
        case(
            "approle-root-no-default",
            Approle,
            approle(json!({"token_policies": ["root"], "token_no_default_policy": true})),
            &["root-policy/critical", "no-default-policy/low"],
            Some(&["root-policy/critical", "no-default-policy/low"]),
        ),
        // Kubernetes
        case(
            "k8s-bounded",
            Kubernetes,
            kubernetes(json!({})),
            &[],
            Some(&[]),
        ),
        case(
            "k8s-any-account",
            Kubernetes,
            kubernetes(json!({"bound_service_account_names": "*"})),
            &["any-service-account/high"],
            Some(&["any-service-account/high"]),
        ),
        case(
            "k8s-any-account-anywhere",
            Kubernetes,
            kubernetes(json!({
                "bound_service_account_names": ["*"],
                "bound_service_account_namespaces": "*",
                "audience": null, "token_ttl": null, "token_max_ttl": null,
            })),
            &[
                "any-service-account/critical",
                "no-audience/low",
                "no-max-ttl/medium",
                "no-ttl/low",
            ],
            Some(&[
                "any-service-account/critical",
                "no-audience/low",
                "no-max-ttl/medium",
                "no-ttl/low",
            ]),
        ),
        case(
            "k8s-any-namespace",
            Kubernetes,
            kubernetes(json!({"bound_service_account_namespaces": ["*"]})),
            &["any-namespace/medium"],
            Some(&["any-namespace/medium"]),
        ),
        case(
            "k8s-star-mixed",
            Kubernetes,
            kubernetes(json!({"bound_service_account_names": ["*", "payment"]})),
            &["any-service-account/high"],
            None,
        ),
        case(
            "k8s-no-names",
            Kubernetes,
            kubernetes(json!({"bound_service_account_names": null})),
            &[],
            None,
        ),
        case(
            "k8s-legacy-names",
            Kubernetes,
            kubernetes(json!({
                "token_policies": null, "token_ttl": null, "token_max_ttl": null,
                "policies": "app", "ttl": "1h", "max_ttl": "4h",
            })),
            &["deprecated-parameter/low"],
            Some(&["deprecated-parameter/low"]),
        ),
        case(
            "k8s-legacy-and-current",
            Kubernetes,
            kubernetes(json!({"policies": "other"})),
            // The server keeps `token_policies` and echoes it under the old name too.
            &["deprecated-parameter/medium"],
            Some(&["deprecated-parameter/low"]),
        ),
        case(
            "k8s-alias-by-name",
            Kubernetes,
            kubernetes(json!({"alias_name_source": "serviceaccount_name"})),
            &["alias-by-name/low"],
            Some(&["alias-by-name/low"]),
        ),
        // JWT / OIDC
        case("jwt-github-bound", Jwt, jwt(json!({})), &[], Some(&[])),
        case(
            "jwt-audience-only",
            Jwt,
            jwt(json!({"bound_claims": null})),
            &["unbound-subject/critical"],
            Some(&["unbound-subject/critical"]),
        ),
        case(
            "jwt-ref-only",
            Jwt,
            jwt(json!({"bound_claims": {"ref": "refs/heads/main"}})),
            &["unbound-subject/high"],
            Some(&["unbound-subject/high"]),
        ),
        case(
            "jwt-any-repo-glob",
            Jwt,
            jwt(
                json!({"bound_claims_type": "glob", "bound_claims": {"sub": "repo:*:ref:refs/heads/main"}}),
            ),
            &["unbound-subject/high"],
            Some(&["unbound-subject/high"]),
        ),
        case(
            "jwt-owner-glob",
            Jwt,
            jwt(json!({"bound_claims_type": "glob", "bound_claims": {"sub": "repo:octo/*"}})),
            &[],
            Some(&[]),
        ),
        case(
            "jwt-star-as-string",
            Jwt,
            jwt(json!({"bound_claims": {"sub": "repo:octo/pay:*"}})),
            &["literal-star-claim/medium"],
            Some(&["literal-star-claim/medium"]),
        ),
        case(
            "jwt-terraform-glob",
            Jwt,
            jwt(json!({
                "bound_audiences": ["vault.workload.identity"],
                "user_claim": "terraform_full_workspace",
                "bound_claims_type": "glob",
                "bound_claims": {"sub": "organization:acme:project:Default Project:workspace:pay:run_phase:*"},
            })),
            &[],
            Some(&[]),
        ),
        case(
            "jwt-subject-no-audience",
            Jwt,
            jwt(
                json!({"bound_audiences": null, "bound_claims": null, "bound_subject": "repo:octo/pay:ref:refs/heads/main"}),
            ),
            &["no-audience/low"],
            Some(&["no-audience/low"]),
        ),
        case(
            "jwt-no-constraint",
            Jwt,
            jwt(json!({"bound_audiences": null, "bound_claims": null})),
            &["unbound-subject/critical", "no-audience/low"],
            None,
        ),
        case(
            "jwt-no-user-claim",
            Jwt,
            jwt(json!({"user_claim": null})),
            &[],
            None,
        ),
        case(
            "jwt-bad-claims-type",
            Jwt,
            jwt(json!({"bound_claims_type": "regex"})),
            &[],
            None,
        ),
        case(
            "jwt-legacy-ttl",
            Jwt,
            jwt(
                json!({"token_ttl": null, "token_max_ttl": null, "ttl": "15m", "max_ttl": "1h", "num_uses": 1}),
            ),
            &["deprecated-parameter/low"],
            Some(&["deprecated-parameter/low"]),
        ),
        case(
            "oidc-default-type-without-redirects",
            Jwt,
            jwt(json!({"role_type": null, "bound_claims": null})),
            &[],
            None,
        ),
        case(
            "oidc-verbose-logging",
            Jwt,
            jwt(json!({
                "role_type": "oidc", "bound_claims": null, "user_claim": "email",
                "allowed_redirect_uris": ["http://localhost:8250/oidc/callback"],
                "verbose_oidc_logging": true,
            })),
            &["verbose-oidc-logging/medium"],
            Some(&["verbose-oidc-logging/medium"]),
        ),
    ]
}

fn findings(report: &RoleLintReport) -> BTreeSet<String> {
    report
        .findings
        .iter()
        .map(|f| format!("{}/{}", f.rule, f.severity.as_str()))
        .collect()
}

fn expected(list: &[&str]) -> BTreeSet<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

#[test]
fn role_lint_agrees_with_a_real_openbao() {
    let bao = Bao::start();
    for mount in ["approle", "kubernetes", "jwt"] {
        let response = bao.request(
            "POST",
            &format!("/v1/sys/auth/{mount}"),
            Some(&json!({"type": mount})),
        );
        assert!(response.ok(), "enable {mount}: {}", response.body);
    }
    let cases = cases();
    let mut problems = Vec::new();
    let (mut accepted, mut refused) = (0, 0);
    for case in &cases {
        let payload = lint_role(&case.payload, Some(case.method)).expect("a role object");
        assert_eq!(payload.form, RoleForm::Payload);
        let path = format!("auth/{}/role/{}", case.method.as_str(), case.name);
        let response = bao.request("POST", &format!("/v1/{path}"), Some(&case.payload));
        if payload.valid != response.ok() {
            problems.push(format!(
                "{}: role-lint says {}, OpenBao says {} {} ({:?})",
                case.name,
                if payload.valid { "valid" } else { "invalid" },
                response.status,
                response.body.trim(),
                payload.errors
            ));
            continue;
        }
        if !response.ok() {
            refused += 1;
            // The refusal is the server's own: its message is one of ours.
            let server: Vec<String> = response.json()["errors"]
                .as_array()
                .map(|e| {
                    e.iter()
                        .filter_map(|m| m.as_str())
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default();
            let quoted = payload.errors.iter().any(|ours| {
                server.iter().any(|theirs| {
                    theirs.contains(&ours.message) || theirs.contains(&ours.parameter)
                })
            });
            if !quoted {
                problems.push(format!(
                    "{}: server refused with {server:?}, role-lint said {:?}",
                    case.name, payload.errors
                ));
            }
        } else {
            accepted += 1;
        }
        if findings(&payload) != expected(case.payload_findings) {
            problems.push(format!(
                "{}: payload findings {:?}, expected {:?}",
                case.name,
                findings(&payload),
                case.payload_findings
            ));
        }
        match (response.ok(), case.read_findings) {
            (true, Some(read_expected)) => {
                let output = bao.cli(&["read", "-format=json", &path]);
                assert!(
                    output.status.success(),
                    "{}: bao read: {}",
                    case.name,
                    String::from_utf8_lossy(&output.stderr)
                );
                let printed: Value = serde_json::from_slice(&output.stdout).expect("JSON");
                let read = lint_role(&printed, None).expect("a role the method is detected for");
                assert_eq!(read.form, RoleForm::Read, "{}", case.name);
                assert_eq!(read.method, case.method, "{}: detected method", case.name);
                assert!(read.valid, "{}: {:?}", case.name, read.errors);
                if findings(&read) != expected(read_expected) {
                    problems.push(format!(
                        "{}: read-back findings {:?}, expected {read_expected:?}\n{printed}",
                        case.name,
                        findings(&read)
                    ));
                }
                if let Some(unknown) = read.findings.iter().find(|f| f.rule == "ignored-parameter")
                {
                    problems.push(format!(
                        "{}: the server prints `{}`, which role-lint does not know",
                        case.name, unknown.parameter
                    ));
                }
            }
            (false, None) => {}
            (ok, read) => problems.push(format!(
                "{}: the server {} it, but the case expects {}",
                case.name,
                if ok { "accepted" } else { "refused" },
                if read.is_some() {
                    "acceptance"
                } else {
                    "refusal"
                }
            )),
        }
    }
    assert!(
        problems.is_empty(),
        "{} of {} roles disagree:\n{}",
        problems.len(),
        cases.len(),
        problems.join("\n")
    );
    assert!(
        accepted >= 20 && refused >= 10,
        "{accepted} accepted, {refused} refused"
    );
    eprintln!(
        "role-lint agrees with OpenBao {} on {} of {} roles ({accepted} accepted, {refused} refused)",
        common::BAO_VERSION,
        cases.len(),
        cases.len()
    );
}
