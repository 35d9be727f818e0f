//! What the events mean (issue #20), on a log recorded from a real OpenBao 2.7.2 and
//! on cloud records in their published shapes (fixtures/README.md names each source).

mod common;

use audit_core::{
    Analysis, Anomaly, AnomalyKind, BusinessHours, Event, FINGERPRINT_PREFIX, IdentityKind,
    Outcome, ProblemKind, Severity, Thresholds, detect_anomalies,
};
use common::{analyse, fixture, read};

fn anomalies(analysis: &Analysis) -> Vec<Anomaly> {
    detect_anomalies(
        analysis,
        None,
        &Thresholds::default(),
        &BusinessHours::default(),
    )
}

fn of(found: &[Anomaly], kind: AnomalyKind) -> Vec<&Anomaly> {
    found.iter().filter(|a| a.kind == kind).collect()
}

/// The identity key OpenBao gave the entity behind `display_name` in this recording.
fn key_of(analysis: &Analysis, display_name: &str) -> String {
    analysis
        .identities
        .iter()
        .find(|(_, s)| s.display_names.contains(display_name))
        .map(|(k, _)| k.clone())
        .unwrap_or_else(|| panic!("no identity named {display_name}"))
}

// 1. Mass retrieval.

#[test]
fn one_identity_reading_many_secrets_in_seconds_is_high_without_a_baseline() {
    let analysis = analyse(&fixture("openbao-audit.jsonl"));
    let found = anomalies(&analysis);
    let mass = of(&found, AnomalyKind::MassRetrieval);
    assert_eq!(mass.len(), 1, "{found:#?}");
    let alice = key_of(&analysis, "userpass-alice");
    assert_eq!(mass[0].identity, alice);
    assert_eq!(mass[0].severity, Severity::High);
    assert_eq!(mass[0].count, 25, "25 distinct secrets");
    assert_eq!(mass[0].evidence["reads"], 25);
    assert!(mass[0].evidence["seconds"] < 60, "{:?}", mass[0]);
    assert!(!mass[0].request_ids.is_empty());
    // The AppRole machine read two, root wrote 25: neither is a mass read.
    let ci = key_of(&analysis, "approle");
    assert!(
        found
            .iter()
            .all(|a| a.kind != AnomalyKind::MassRetrieval || a.identity != ci)
    );

    // A lower bar is an input.
    let strict = Thresholds {
        mass_retrieval_secrets: 2,
        ..Thresholds::default()
    };
    let found = detect_anomalies(&analysis, None, &strict, &BusinessHours::default());
    assert_eq!(of(&found, AnomalyKind::MassRetrieval).len(), 2);
}

#[test]
fn a_batch_read_by_list_is_a_mass_retrieval_of_each_secret_it_names() {
    let analysis = analyse(&fixture("cloudtrail-meaning.jsonl"));
    let found = anomalies(&analysis);
    let mass = of(&found, AnomalyKind::MassRetrieval);
    assert_eq!(mass.len(), 1, "{found:#?}");
    assert_eq!(mass[0].identity, "arn:aws:iam::111122223333:user/harvester");
    assert_eq!(mass[0].count, 20);
    assert_eq!(mass[0].request_ids, ["m-batch-list"]);
}

// 2. What a path is.

fn cloudtrail() -> Vec<Event<'static>> {
    let (events, summary) = read(&fixture("cloudtrail-meaning.jsonl"));
    assert_eq!(summary.problems.total, 0, "{:?}", summary.problems);
    events
}

fn by_request<'e>(events: &'e [Event<'static>], id: &str) -> &'e Event<'static> {
    events
        .iter()
        .find(|e| e.request_id.as_deref() == Some(id))
        .unwrap_or_else(|| panic!("no event {id}"))
}

#[test]
fn only_what_a_call_names_is_a_path() {
    let events = cloudtrail();
    for id in ["m-list-1", "m-batch-filter", "m-stop", "m-selectors"] {
        let e = by_request(&events, id);
        assert_eq!(e.resources().count(), 0, "{id}: {:?}", e.resource);
    }
    let batch = by_request(&events, "m-batch-list");
    let named: Vec<&str> = batch.resources().collect();
    assert_eq!(named.len(), 20);
    assert_eq!((named[0], named[19]), ("prod/db-01", "prod/db-20"));
    assert_eq!(
        by_request(&events, "m-create").resource,
        "prod/new-api-key",
        "CreateSecret's name"
    );
    assert_eq!(
        by_request(&events, "m-decrypt").resource,
        "arn:aws:secretsmanager:us-east-2:111122223333:secret:test-secret-a1b2c3",
        "a KMS call's encryptionContext.SecretARN"
    );

    let analysis = analyse(&fixture("cloudtrail-meaning.jsonl"));
    assert!(!analysis.paths().contains_key(""), "{:?}", analysis.paths());
    assert_eq!(analysis.paths()["prod/db-07"], 1);
    let harvester = &analysis.identities["arn:aws:iam::111122223333:user/harvester"];
    assert_eq!(harvester.events, 3, "three calls");
    assert_eq!(harvester.paths.len(), 20, "twenty secrets");
}

// 3. Who acted.

#[test]
fn a_call_a_service_made_for_a_principal_is_the_services() {
    let events = cloudtrail();
    let decrypt = by_request(&events, "m-decrypt");
    assert_eq!(decrypt.identity.kind, IdentityKind::Service);
    assert_eq!(decrypt.identity.id, "secretsmanager.amazonaws.com");
    assert_eq!(
        decrypt.on_behalf_of.as_deref(),
        Some("arn:aws:iam::111122223333:role/Admin/user01")
    );

    let analysis = analyse(&fixture("cloudtrail-meaning.jsonl"));
    let user = &analysis.identities["arn:aws:iam::111122223333:role/Admin/user01"];
    assert_eq!(user.events, 1, "its own GetSecretValue, once");
    assert_eq!(user.via_services, 1, "the Decrypt made for it");
    assert_eq!(user.paths.len(), 1);
    let service = &analysis.identities["secretsmanager.amazonaws.com"];
    assert_eq!(service.kind, IdentityKind::Service);
    assert_eq!(service.events, 1);
    // A service address is no address of the principal's.
    assert!(!user.addresses.contains_key("secretsmanager.amazonaws.com"));
}

// 4. Cloud root and control-plane changes.

#[test]
fn root_use_and_control_plane_changes_are_flagged() {
    let found = anomalies(&analyse(&fixture("cloudtrail-meaning.jsonl")));
    let root = of(&found, AnomalyKind::CloudRootUse);
    assert_eq!(root.len(), 1);
    assert_eq!(
        (root[0].identity.as_str(), root[0].count, root[0].severity),
        ("arn:aws:iam::111122223333:root", 2, Severity::High)
    );
    let stop = of(&found, AnomalyKind::AuditTrailStopped);
    assert_eq!((stop.len(), stop[0].severity), (1, Severity::Critical));
    assert_eq!(stop[0].request_ids, ["m-stop"]);
    let selectors = of(&found, AnomalyKind::AuditTrailChange);
    assert_eq!(
        selectors[0].identity,
        "arn:aws:iam::111122223333:user/admin"
    );
    assert_eq!(
        of(&found, AnomalyKind::IamPolicyChange)[0].request_ids,
        ["m-attach"]
    );

    let found = anomalies(&analyse(&fixture("gcp-iam.jsonl")));
    let grant = of(&found, AnomalyKind::SensitiveRoleGrant);
    assert_eq!(grant.len(), 1);
    assert_eq!(
        (grant[0].request_ids.as_slice(), grant[0].severity),
        (&["iam-1".to_owned()][..], Severity::High)
    );
    // Adding a viewer (and removing a Secret Manager role) is a policy change only.
    assert_eq!(
        of(&found, AnomalyKind::IamPolicyChange)[0].request_ids,
        ["iam-2"]
    );

    let found = anomalies(&analyse(&fixture("azure-access-change.json")));
    let acl = of(&found, AnomalyKind::KeyVaultAccessChange);
    assert_eq!((acl.len(), acl[0].identity.as_str()), (1, "oid-admin"));
    assert_eq!(acl[0].request_ids, ["az-acl-1"]);

    let analysis = analyse(&fixture("openbao-audit.jsonl"));
    let found = anomalies(&analysis);
    let roles = of(&found, AnomalyKind::RoleChange);
    assert_eq!(roles.len(), 1, "{found:#?}");
    assert_eq!(
        roles[0].count, 2,
        "auth/approle/role/ci and auth/token/roles/ci-role"
    );
    // `-dev-root-token-id` makes the root token through `auth/token/create`, which
    // names it `token`: the label says nothing, the root policy does.
    assert_eq!(roles[0].display_name.as_deref(), Some("token"));
    assert!(!of(&found, AnomalyKind::RootTokenUse).is_empty());
}

// 5. Raw versus redacted; no live token in any output.

/// Every live token value the raw fixture holds.
fn live_tokens(raw: &str) -> Vec<String> {
    let mut tokens: Vec<String> = raw
        .lines()
        .flat_map(|line| {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            [
                v["auth"]["client_token"].as_str().map(str::to_owned),
                v["request"]["client_token"].as_str().map(str::to_owned),
                v["response"]["auth"]["client_token"]
                    .as_str()
                    .map(str::to_owned),
            ]
        })
        .flatten()
        .collect();
    tokens.sort();
    tokens.dedup();
    tokens
}

#[test]
fn a_raw_log_is_flagged_and_its_tokens_are_only_ever_fingerprints() {
    let raw = String::from_utf8(fixture("openbao-audit-raw.jsonl")).unwrap();
    let tokens = live_tokens(&raw);
    assert!(tokens.len() >= 4, "{tokens:?}");
    let analysis = analyse(raw.as_bytes());
    let found = anomalies(&analysis);
    let flagged = of(&found, AnomalyKind::RawModeLog);
    assert_eq!(
        (flagged.len(), flagged[0].severity),
        (1, Severity::Critical)
    );

    let state = serde_json::to_string(&analysis).unwrap();
    let report = serde_json::to_string(&found).unwrap();
    for token in &tokens {
        assert!(!state.contains(token.as_str()), "state holds {token}");
        assert!(!report.contains(token.as_str()), "report holds {token}");
    }
    // A token seen with an accessor is named by fingerprint and that accessor; one
    // seen without (the invalid token) by its fingerprint alone.
    let root = audit_core::fingerprint("root-recording");
    assert!(flagged[0].message.contains(&root), "{}", flagged[0].message);
    assert!(analysis.live_tokens[&root].is_some());
    let invalid = audit_core::fingerprint("not-a-real-token");
    assert_eq!(analysis.live_tokens[&invalid], None);
    assert!(analysis.identities.contains_key(&invalid), "its identity");
    assert!(
        analysis
            .live_tokens
            .keys()
            .all(|k| k.starts_with(FINGERPRINT_PREFIX))
    );
}

#[test]
fn hmac_and_redacted_logs_are_not_raw() {
    let hmac = String::from_utf8(fixture("openbao-audit.jsonl")).unwrap();
    assert!(
        of(
            &anomalies(&analyse(hmac.as_bytes())),
            AnomalyKind::RawModeLog
        )
        .is_empty()
    );
    // The same log as an export that masks tokens and accessors.
    let mut redacted = String::new();
    for line in hmac.lines() {
        let mut v: serde_json::Value = serde_json::from_str(line).unwrap();
        for (object, key) in [
            ("auth", "client_token"),
            ("auth", "accessor"),
            ("request", "client_token"),
            ("request", "client_token_accessor"),
        ] {
            if let Some(field) = v[object].get_mut(key) {
                *field = "****".into();
            }
        }
        redacted.push_str(&v.to_string());
        redacted.push('\n');
    }
    let analysis = analyse(redacted.as_bytes());
    assert_eq!(analysis.totals.raw_token, 0);
    assert!(analysis.live_tokens.is_empty());
    assert!(of(&anomalies(&analysis), AnomalyKind::RawModeLog).is_empty());
}

// 6. Time.

#[test]
fn export_time_variants_are_read_and_an_unreadable_time_is_a_problem_on_its_line() {
    let hmac = String::from_utf8(fixture("openbao-audit.jsonl")).unwrap();
    let lines: Vec<&str> = hmac.lines().take(6).collect();
    let variants = [
        "2024-05-01 09:00:00.123456789",
        "2024-05-01T09:00:00.5",
        "2024-05-01 09:00:01 UTC",
        "2024-05-01T11:00:02+0200",
        "01/05/2024 09:00:03",
        "2024-05-01T09:00:04.987654321Z",
    ];
    let mut log = String::new();
    for (line, time) in lines.iter().zip(variants) {
        let mut v: serde_json::Value = serde_json::from_str(line).unwrap();
        v["time"] = time.into();
        log.push_str(&v.to_string());
        log.push('\n');
    }
    let (events, summary) = read(log.as_bytes());
    let times: Vec<Option<i64>> = events.iter().map(|e| e.time_ms).collect();
    let at = 1_714_554_000_000;
    assert_eq!(
        times,
        [
            Some(at + 123),
            Some(at + 500),
            Some(at + 1000),
            Some(at + 2000),
            None,
            Some(at + 4987)
        ]
    );
    assert_eq!(summary.records, 6, "the record still counts");
    let bad: Vec<_> = summary
        .problems
        .first
        .iter()
        .filter(|p| p.kind == ProblemKind::BadTime)
        .collect();
    assert_eq!(bad.len(), 1, "{:?}", summary.problems);
    assert_eq!(bad[0].line, 5);
    assert!(bad[0].message.contains("01/05/2024"), "{}", bad[0].message);
}

// 10. New identities against a baseline.

#[test]
fn an_identity_absent_from_the_baseline_is_reported() {
    let log = String::from_utf8(fixture("openbao-audit.jsonl")).unwrap();
    // The baseline is the set-up by root, before anyone logged in.
    let before: String = log
        .lines()
        .take_while(|l| !l.contains("auth/userpass/login"))
        .map(|l| format!("{l}\n"))
        .collect();
    let baseline = analyse(before.as_bytes());
    let analysis = analyse(log.as_bytes());
    let found = detect_anomalies(
        &analysis,
        Some(&baseline),
        &Thresholds::default(),
        &BusinessHours::default(),
    );
    let mut new: Vec<&str> = of(&found, AnomalyKind::NewIdentity)
        .iter()
        .map(|a| a.identity.as_str())
        .collect();
    new.sort();
    let want = [
        key_of(&analysis, "userpass-alice"),
        key_of(&analysis, "approle"),
    ];
    assert!(want.iter().all(|w| new.contains(&w.as_str())), "{new:?}");
    assert!(!new.contains(&key_of(&analysis, "token").as_str()));
}

// 11. Failure classes.

#[test]
fn operator_errors_do_not_raise_failed_access_but_refusals_do() {
    let analysis = analyse(&fixture("openbao-audit.jsonl"));
    let root = key_of(&analysis, "token");
    let alice = key_of(&analysis, "userpass-alice");
    let n = |key: &str, o: Outcome| -> u64 {
        analysis
            .failures
            .get(key)
            .map_or(0, |by| by.values().map(|c| c[o.index()]).sum())
    };
    assert_eq!(n(&root, Outcome::Other), 1, "unsupported path");
    assert_eq!(n(&alice, Outcome::Denied), 1, "permission denied");
    let any = Thresholds {
        failures: 1,
        ..Thresholds::default()
    };
    let found = detect_anomalies(&analysis, None, &any, &BusinessHours::default());
    let failed: Vec<&str> = of(&found, AnomalyKind::FailedAccess)
        .iter()
        .map(|a| a.identity.as_str())
        .collect();
    assert!(failed.contains(&alice.as_str()), "{failed:?}");
    assert!(!failed.contains(&root.as_str()), "{failed:?}");
    // The invalid token is refused too (OpenBao logs it as permission denied).
    assert!(
        failed.iter().any(|k| k.starts_with("hmac-sha256:")),
        "{failed:?}"
    );
}
