//! audit-analyzer through the real binary on cloud audit samples written from the
//! documented field lists (DOMAIN-FACTS §B; `tests/fixtures/audit/`), in every
//! container each cloud delivers them in. Each sample is one window, Wednesday
//! 2024-05-01 09:00–12:59 UTC, analysed without a baseline log (its first hour is the
//! baseline), with the same plan per cloud:
//!
//! - normal: an application reading one secret 4 times an hour, a worker reading two
//!   secrets 3 times an hour, an administrator's few management calls;
//! - planted: an intruder denied 6 times from one address, a CI identity that reads
//!   from a new address in the last hour (4 times), a scanner reading 24 distinct
//!   secrets; for GCP also a project whose Secret Manager has Admin Activity entries
//!   only (its Data Access log is off).
//!
//! Every planted anomaly must be found with its identity, address and evidence count,
//! and nothing else may be flagged.

use serde_json::{Value, json};
use skill_tests::{Skill, workspace};

/// One expected finding.
struct Planted {
    kind: &'static str,
    identity: &'static str,
    address: Option<&'static str>,
    count: u64,
    /// An evidence entry that must hold this value.
    evidence: (&'static str, u64),
}

/// Runs audit-analyzer on the fixture files (relative to `tests/fixtures/audit/`).
fn analyse(files: &[&str]) -> Value {
    let dir = workspace().join("tests/fixtures/audit");
    let logs: Vec<String> = files
        .iter()
        .map(|f| dir.join(f).display().to_string())
        .collect();
    Skill::new().tool_json("audit-analyzer", &json!({ "logs": logs }))
}

/// Every file read as `format` in its `container`, with no unusable record.
fn assert_files(out: &Value, format: &str, containers: &[&str]) {
    let files = out["files"].as_array().expect("files");
    assert_eq!(files.len(), containers.len(), "{files:#?}");
    for (file, container) in files.iter().zip(containers) {
        assert_eq!(file["format"], format, "{file}");
        assert_eq!(file["container"], *container, "{file}");
        assert_eq!(file["problems"], 0, "{file}");
    }
}

/// Exactly the planted anomalies, each with its identity, address and counts.
fn assert_exactly(out: &Value, planted: &[Planted]) {
    let anomalies = out["anomalies"].as_array().expect("anomalies");
    for p in planted {
        let found: Vec<&Value> = anomalies
            .iter()
            .filter(|a| a["kind"] == p.kind && a["identity"] == p.identity)
            .collect();
        assert_eq!(
            found.len(),
            1,
            "{} for {}: {}",
            p.kind,
            p.identity,
            out["report"]
        );
        let a = found[0];
        assert_eq!(a["address"].as_str(), p.address, "{a}");
        assert_eq!(a["count"], p.count, "{a}");
        assert_eq!(a["evidence"][p.evidence.0], p.evidence.1, "{a}");
        assert!(!a["request_ids"].as_array().unwrap().is_empty(), "{a}");
        assert!(a["first"].as_str().is_some_and(|t| t.ends_with('Z')), "{a}");
    }
    // Nothing else: no normal identity flagged, no planted one flagged twice.
    assert_eq!(anomalies.len(), planted.len(), "{}", out["report"]);
}

#[test]
fn cloudtrail_records_eventbridge_and_lookup_events() {
    let out = analyse(&[
        "cloudtrail/111122223333_CloudTrail_eu-west-1_20240501T0900Z_a1B2c3D4e5F6g7H8.json",
        "cloudtrail/eventbridge.jsonl",
        "cloudtrail/lookup-events.json",
    ]);
    assert_files(
        &out,
        "cloud-trail",
        &["records-wrapper", "json-lines", "lookup-events"],
    );
    // 16 + 12 + 16 reads, 24 scans, 6 denials; 16 KMS decrypts behind the app's reads;
    // 3 administrator calls (IAM, rotation) and the rotation service event.
    assert_eq!(out["totals"]["accesses"], 94, "{}", out["report"]);
    assert_eq!(out["totals"]["by_outcome"]["denied"], 6);
    assert_exactly(
        &out,
        &[
            Planted {
                kind: "failed-access",
                identity: "arn:aws:iam::111122223333:user/contractor-jdoe",
                address: Some("203.0.113.77"),
                count: 6,
                evidence: ("denied", 6),
            },
            Planted {
                kind: "new-source-address",
                identity: "arn:aws:iam::111122223333:user/ci-bot",
                address: Some("185.220.101.47"),
                count: 4,
                evidence: ("new_addresses", 1),
            },
            Planted {
                kind: "broad-access",
                identity: "arn:aws:iam::111122223333:role/inventory-scanner/scan-20240501",
                address: None,
                count: 24,
                evidence: ("distinct_paths", 24),
            },
            Planted {
                kind: "mass-retrieval",
                identity: "arn:aws:iam::111122223333:role/inventory-scanner/scan-20240501",
                address: None,
                count: 24,
                evidence: ("distinct_secrets", 24),
            },
            Planted {
                kind: "iam-policy-change",
                identity: "arn:aws:iam::111122223333:user/ops-admin",
                address: None,
                count: 1,
                evidence: ("accesses", 1),
            },
        ],
    );
}

#[test]
fn gcp_secret_manager_and_a_project_without_data_access_logs() {
    let out = analyse(&[
        "gcp/prod-payments.jsonl",
        "gcp/prod-analytics-activity-only.jsonl",
    ]);
    assert_files(&out, "gcp-audit", &["json-lines", "json-lines"]);
    // 16 + 12 + 16 + 24 + 6 reads and one admin write in prod-payments; five admin
    // writes in prod-analytics.
    assert_eq!(out["totals"]["accesses"], 80, "{}", out["report"]);
    assert_eq!(out["totals"]["by_outcome"]["denied"], 6);
    assert_exactly(
        &out,
        &[
            Planted {
                kind: "failed-access",
                identity: "jdoe.contractor@example.com",
                address: Some("203.0.113.150"),
                count: 6,
                evidence: ("denied", 6),
            },
            Planted {
                kind: "new-source-address",
                identity: "ci-deployer@prod-payments.iam.gserviceaccount.com",
                address: Some("45.148.10.81"),
                count: 4,
                evidence: ("new_addresses", 1),
            },
            Planted {
                kind: "broad-access",
                identity: "inventory-scanner@prod-payments.iam.gserviceaccount.com",
                address: None,
                count: 24,
                evidence: ("distinct_paths", 24),
            },
            Planted {
                kind: "mass-retrieval",
                identity: "inventory-scanner@prod-payments.iam.gserviceaccount.com",
                address: None,
                count: 24,
                evidence: ("distinct_secrets", 24),
            },
            Planted {
                kind: "volume-spike",
                identity: "inventory-scanner@prod-payments.iam.gserviceaccount.com",
                address: None,
                count: 24,
                evidence: ("peer_median_peak_hour", 4),
            },
            Planted {
                kind: "iam-policy-change",
                identity: "ops-admin@example.com",
                address: None,
                count: 1,
                evidence: ("accesses", 1),
            },
            Planted {
                kind: "data-access-logs-off",
                identity: "projects/prod-analytics",
                address: None,
                count: 5,
                evidence: ("data_access_entries", 0),
            },
        ],
    );
    let off = out["anomalies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["kind"] == "data-access-logs-off")
        .unwrap();
    assert_eq!(off["severity"], "high");
    assert!(
        off["message"]
            .as_str()
            .unwrap()
            .contains("secret reads (AccessSecretVersion) are not logged"),
        "{off}"
    );

    // The project with Data Access entries alone is not flagged.
    let payments = analyse(&["gcp/prod-payments.jsonl"]);
    let kinds: Vec<&Value> = payments["anomalies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| &a["kind"])
        .collect();
    assert!(
        !kinds.contains(&&json!("data-access-logs-off")),
        "{kinds:?}"
    );
}

#[test]
fn azure_key_vault_records_and_azure_diagnostics() {
    let out = analyse(&["azure/PT1H.json", "azure/azure-diagnostics.json"]);
    assert_files(&out, "azure-key-vault", &["records-wrapper", "array"]);
    // 16 + 12 + 16 + 24 reads and two administrator calls in the blob; 6 denials in
    // the Log Analytics export.
    assert_eq!(out["totals"]["accesses"], 76, "{}", out["report"]);
    assert_eq!(out["totals"]["by_outcome"]["denied"], 6);
    assert_exactly(
        &out,
        &[
            Planted {
                kind: "failed-access",
                // AzureDiagnostics rows name the caller by UPN.
                // The guest's UPN and object id are one identity, named by the object id.
                identity: "5febeb4f-0aad-4757-a041-00403e8b3231",
                address: Some("203.0.113.90"),
                count: 6,
                evidence: ("denied", 6),
            },
            Planted {
                kind: "new-source-address",
                identity: "810edc38-70f6-448a-a824-71146db6d380",
                address: Some("91.219.236.18"),
                count: 4,
                evidence: ("new_addresses", 1),
            },
            Planted {
                kind: "broad-access",
                identity: "a6eb8011-a7fd-4844-a62e-37cd2b3b9c57",
                address: None,
                count: 24,
                evidence: ("distinct_paths", 24),
            },
            Planted {
                kind: "mass-retrieval",
                identity: "a6eb8011-a7fd-4844-a62e-37cd2b3b9c57",
                address: None,
                count: 24,
                evidence: ("distinct_secrets", 24),
            },
            Planted {
                kind: "volume-spike",
                identity: "a6eb8011-a7fd-4844-a62e-37cd2b3b9c57",
                address: None,
                count: 24,
                evidence: ("peer_median_peak_hour", 4),
            },
        ],
    );
}
