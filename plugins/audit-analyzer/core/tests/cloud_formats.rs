//! AWS CloudTrail, GCP Cloud Audit Logs, Azure Key Vault and the old tool's generic
//! form, in each container they are found in (DOMAIN-FACTS §B).

mod common;

use audit_core::{Container, Event, Format, IdentityKind, Outcome};
use common::{fixture, read};
use serde_json::{Value, json};

fn cloudtrail_events() -> Vec<Value> {
    String::from_utf8(fixture("cloudtrail-events.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn check_cloudtrail(events: &[Event<'_>]) {
    assert_eq!(events.len(), 3);
    let role = &events[0];
    assert_eq!(role.format, Format::CloudTrail);
    assert_eq!(role.identity.kind, IdentityKind::Principal);
    assert_eq!(
        role.identity.id,
        "arn:aws:iam::111122223333:role/app-role/app-session"
    );
    assert_eq!(role.display_name.as_deref(), Some("app-role"));
    assert_eq!(role.operation, "GetSecretValue");
    assert_eq!(role.resource, "prod/app/db");
    assert_eq!(role.source_address.as_deref(), Some("203.0.113.10"));
    assert_eq!(role.request_id.as_deref(), Some("ct-req-1"));
    assert_eq!(
        role.service.as_deref(),
        Some("secretsmanager.amazonaws.com")
    );
    assert_eq!(role.time_ms, Some(1_714_554_000_000));
    assert_eq!(role.outcome, Outcome::Success);

    let denied = &events[1];
    assert_eq!(denied.identity.id, "arn:aws:iam::111122223333:user/mallory");
    assert_eq!(denied.outcome, Outcome::Denied);
    assert_eq!(denied.error.as_deref(), Some("AccessDenied"));

    let rotation = &events[2];
    assert_eq!(rotation.operation, "RotationFailed");
    assert_eq!(
        rotation.outcome,
        Outcome::Other,
        "errorMessage without errorCode"
    );
    assert_eq!(rotation.identity.id, "secretsmanager.amazonaws.com");
    assert!(rotation.resource.starts_with("arn:aws:secretsmanager:"));
    assert_eq!(rotation.request_id.as_deref(), Some("ct-evt-3"));
}

#[test]
fn cloudtrail_in_every_container() {
    let events = cloudtrail_events();
    let lines = fixture("cloudtrail-events.jsonl");
    let records = serde_json::to_vec(&json!({ "Records": events })).unwrap();
    let array = serde_json::to_vec_pretty(&Value::Array(events.clone())).unwrap();
    let eventbridge: Vec<u8> = events
        .iter()
        .map(|e| {
            let mut line = serde_json::to_vec(&json!({
                "version": "0",
                "id": "eb-1",
                "detail-type": "AWS API Call via CloudTrail",
                "source": "aws.secretsmanager",
                "account": "111122223333",
                "time": e["eventTime"],
                "region": "us-east-1",
                "resources": [],
                "detail": e,
            }))
            .unwrap();
            line.push(b'\n');
            line
        })
        .collect::<Vec<_>>()
        .concat();
    let lookup = serde_json::to_vec_pretty(&json!({
        "Events": events.iter().map(|e| json!({
            "EventId": e["eventID"],
            "EventName": e["eventName"],
            "ReadOnly": "true",
            "EventTime": 1_714_554_000,
            "EventSource": e["eventSource"],
            "Resources": [{"ResourceType": "AWS::SecretsManager::Secret", "ResourceName": "prod/app/db"}],
            "CloudTrailEvent": serde_json::to_string(e).unwrap(),
        })).collect::<Vec<_>>(),
        "NextToken": "abc"
    }))
    .unwrap();
    for (bytes, container) in [
        (lines, Container::JsonLines),
        (records, Container::RecordsWrapper),
        (array, Container::Array),
        (eventbridge, Container::JsonLines),
        (lookup, Container::LookupEvents),
    ] {
        let (events, summary) = read(&bytes);
        let detected = summary.detected.unwrap();
        assert_eq!(detected.format, Format::CloudTrail, "{container:?}");
        assert_eq!(detected.container, container);
        assert_eq!(summary.problems.total, 0, "{:?}", summary.problems);
        check_cloudtrail(&events);
    }
}

#[test]
fn gcp_audit_log_entries() {
    let (events, summary) = read(&fixture("gcp-audit.jsonl"));
    assert_eq!(summary.detected.unwrap().format, Format::GcpAudit);
    assert_eq!(summary.problems.total, 0);
    let ok = &events[0];
    assert_eq!(ok.identity.id, "app@proj-1.iam.gserviceaccount.com");
    assert_eq!(
        ok.operation,
        "google.cloud.secretmanager.v1.SecretManagerService.AccessSecretVersion"
    );
    assert_eq!(ok.resource, "projects/proj-1/secrets/db/versions/latest");
    assert_eq!(ok.source_address.as_deref(), Some("203.0.113.30"));
    assert_eq!(ok.outcome, Outcome::Success, "empty status is OK");
    assert_eq!(ok.time_ms, Some(1_714_554_000_123));
    assert_eq!(ok.request_id.as_deref(), Some("gcp-1"));
    assert_eq!(events[1].outcome, Outcome::Denied);
    assert!(
        events[1]
            .error
            .as_deref()
            .unwrap()
            .starts_with("Permission")
    );
    // No authenticationInfo, no timestamp: still an event.
    assert_eq!(events[2].identity.kind, IdentityKind::Anonymous);
    assert_eq!(events[2].time_ms, Some(1_714_561_200_000));
}

#[test]
fn azure_records_wrapper_with_short_and_long_claim_keys() {
    let (events, summary) = read(&fixture("azure-records.json"));
    let detected = summary.detected.unwrap();
    assert_eq!(detected.format, Format::AzureKeyVault);
    assert_eq!(detected.container, Container::RecordsWrapper);
    assert_eq!(events.len(), 2);
    let ok = &events[0];
    assert_eq!(ok.identity.id, "oid-app");
    assert_eq!(ok.display_name.as_deref(), Some("appid-app"));
    assert_eq!(ok.operation, "SecretGet");
    assert_eq!(ok.resource, "https://kv1.vault.azure.net/secrets/db/0123");
    assert_eq!(ok.source_address.as_deref(), Some("203.0.113.50"));
    assert_eq!(ok.outcome, Outcome::Success);
    assert_eq!(ok.time_ms, Some(1_714_554_000_269));
    let denied = &events[1];
    assert_eq!(denied.identity.id, "oid-bob");
    assert_eq!(denied.display_name.as_deref(), Some("bob@example.com"));
    assert_eq!(
        denied.outcome,
        Outcome::Denied,
        "403 despite resultType Success"
    );
    assert!(
        denied
            .error
            .as_deref()
            .unwrap()
            .contains("does not have secrets get")
    );
}

#[test]
fn azure_log_analytics_shapes_and_managed_hsm() {
    let (events, summary) = read(&fixture("azure-diagnostics.jsonl"));
    assert_eq!(summary.detected.unwrap().format, Format::AzureKeyVault);
    assert_eq!(events[0].identity.id, "alice@example.com");
    assert_eq!(events[0].source_address.as_deref(), Some("203.0.113.51"));
    assert_eq!(
        events[0].resource,
        "https://kv1.vault.azure.net/secrets/api-key"
    );
    assert_eq!(events[0].outcome, Outcome::Success);
    assert_eq!(events[1].outcome, Outcome::InvalidToken);

    let (events, _) = read(&fixture("azure-azkv.jsonl"));
    assert_eq!(events[0].identity.id, "oid-carol");
    assert_eq!(events[0].source_address.as_deref(), Some("203.0.113.52"));
    assert_eq!(events[0].operation, "SecretList");
    assert_eq!(events[0].time_ms, Some(1_714_554_000_000));

    let (events, summary) = read(&fixture("azure-hsm.json"));
    assert_eq!(summary.detected.unwrap().container, Container::Array);
    let sign = &events[0];
    assert_eq!(
        sign.identity.id, "oid-signer",
        "identity given as a JSON string"
    );
    assert_eq!(sign.outcome, Outcome::Denied);
    assert!(
        sign.resource
            .ends_with("/keys/sign-key/sign?api-version=7.4")
    );
}

#[test]
fn the_old_tools_generic_form() {
    let (events, summary) = read(&fixture("generic.json"));
    assert_eq!(summary.detected.unwrap().format, Format::Generic);
    assert_eq!(events[0].identity.kind, IdentityKind::DisplayName);
    assert_eq!(events[0].source_address.as_deref(), Some("10.1.1.1"));
    assert_eq!(events[0].resource, "secret/data/a");
    assert_eq!(events[1].identity.id, "ent-a");
    assert_eq!(events[1].resource, "secret/data/b");
    assert_eq!(events[1].outcome, Outcome::Denied);
}
