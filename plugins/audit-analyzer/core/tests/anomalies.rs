//! The detectors on a generated Vault log: each planted anomaly is found with its
//! identity and count, normal identities are not flagged, and the order is fixed.

mod common;

use audit_core::{
    Analysis, Anomaly, AnomalyKind, Baseline, BaselineSource, BusinessHours, Severity, Thresholds,
    Window, detect_anomalies, format_time,
};
use common::analyse;

/// 2024-05-01 (a Wednesday) 09:00 UTC, ms.
const WED_9: i64 = 1_714_554_000_000;
const MIN: i64 = 60_000;

fn time(ms: i64) -> String {
    audit_core::format_time(ms)
}

/// One access as a request/response pair.
fn access(
    log: &mut String,
    id: &str,
    at: i64,
    entity: &str,
    path: &str,
    addr: &str,
    error: Option<&str>,
) {
    let auth = format!(
        r#"{{"entity_id":"{entity}","display_name":"token-{entity}","accessor":"hmac-sha256:acc-{entity}","policies":["default"]}}"#
    );
    let req =
        format!(r#"{{"operation":"read","path":"{path}","remote_address":"{addr}","id":"{id}"}}"#);
    log.push_str(&format!(
        r#"{{"time":"{}","type":"request","auth":{auth},"request":{req}}}"#,
        time(at)
    ));
    log.push('\n');
    let err = error.map_or(String::new(), |e| format!(r#","error":"{e}""#));
    log.push_str(&format!(
        r#"{{"time":"{}","type":"response","auth":{auth},"request":{req}{err}}}"#,
        time(at + 5)
    ));
    log.push('\n');
}

/// Four hours: svc-a and svc-b steady at 10/hour from one address; svc-b spikes to 80
/// in the last hour; mallory is denied 7 times from 10.9.9.9 and uses 6 addresses.
fn scenario() -> Analysis {
    let mut log = String::new();
    let mut n = 0;
    let mut next = || {
        n += 1;
        format!("r{n:05}")
    };
    for hour in 0..4 {
        for i in 0..10 {
            let at = WED_9 + hour * 60 * MIN + i * MIN;
            access(
                &mut log,
                &next(),
                at,
                "svc-a",
                "secret/data/a",
                "10.0.0.1",
                None,
            );
            access(
                &mut log,
                &next(),
                at + 1,
                "svc-b",
                "secret/data/b",
                "10.0.0.2",
                None,
            );
        }
    }
    for i in 0..70 {
        let at = WED_9 + 3 * 60 * MIN + 30 * MIN + i * 100;
        access(
            &mut log,
            &next(),
            at,
            "svc-b",
            "secret/data/b",
            "10.0.0.2",
            None,
        );
    }
    for i in 0..7 {
        let at = WED_9 + 60 * MIN + i * 1000;
        let denied = "1 error occurred:\\n\\t* permission denied\\n\\n";
        access(
            &mut log,
            &next(),
            at,
            "mallory",
            "secret/data/x",
            "10.9.9.9",
            Some(denied),
        );
    }
    for i in 0..6 {
        let at = WED_9 + 2 * 60 * MIN + i * 1000;
        access(
            &mut log,
            &next(),
            at,
            "mallory",
            "secret/data/y",
            &format!("10.8.0.{i}"),
            None,
        );
    }
    analyse(log.as_bytes())
}

fn of(anomalies: &[Anomaly], kind: AnomalyKind) -> Vec<&Anomaly> {
    anomalies.iter().filter(|a| a.kind == kind).collect()
}

#[test]
fn planted_anomalies_are_found_and_normal_identities_are_not() {
    let analysis = scenario();
    let found = detect_anomalies(
        &analysis,
        None,
        &Thresholds::default(),
        &BusinessHours::default(),
    );

    let spikes = of(&found, AnomalyKind::VolumeSpike);
    assert_eq!(spikes.len(), 1, "{found:#?}");
    assert_eq!(spikes[0].identity, "svc-b");
    assert_eq!(spikes[0].display_name.as_deref(), Some("token-svc-b"));
    assert_eq!(
        spikes[0].count, 80,
        "10 steady + 70 planted in the last hour"
    );
    assert_eq!(spikes[0].evidence["baseline_accesses"], 10);
    // Without a baseline log the first part of the window is the baseline: the
    // finding says which hours it judged and which it measured against.
    let window = &spikes[0].window;
    let baseline = window.baseline.as_ref().expect("a spike has a baseline");
    assert_eq!(baseline.source, BaselineSource::WindowStart);
    assert_eq!(baseline.from, analysis.first_ms.map(format_time));
    assert_eq!(baseline.to, window.from);
    assert_eq!(window.to, analysis.last_ms.map(format_time));
    assert!(window.from > baseline.from);

    let failed = of(&found, AnomalyKind::FailedAccess);
    assert_eq!(failed.len(), 1);
    assert_eq!(
        (failed[0].identity.as_str(), failed[0].address.as_deref()),
        ("mallory", Some("10.9.9.9"))
    );
    assert_eq!(failed[0].count, 7);
    assert_eq!(failed[0].evidence["denied"], 7);
    assert!(failed[0].request_ids.len() <= 5 && !failed[0].request_ids.is_empty());
    // A count over the whole window is measured against nothing.
    assert_eq!(
        failed[0].window,
        Window {
            from: analysis.first_ms.map(format_time),
            to: analysis.last_ms.map(format_time),
            baseline: None
        }
    );

    let multi = of(&found, AnomalyKind::MultiAddress);
    assert_eq!(multi.len(), 1);
    assert_eq!((multi[0].identity.as_str(), multi[0].count), ("mallory", 7));

    // Business hours: nothing here is off-hours; all of it is when the day is shifted.
    assert!(of(&found, AnomalyKind::OffHours).is_empty());
    let night = BusinessHours {
        utc_offset_minutes: -10 * 60,
        ..BusinessHours::default()
    };
    let off = detect_anomalies(&analysis, None, &Thresholds::default(), &night);
    let off = of(&off, AnomalyKind::OffHours);
    assert_eq!(
        off.iter().map(|a| a.identity.as_str()).collect::<Vec<_>>(),
        ["mallory", "svc-a", "svc-b"]
    );
    assert_eq!(off[1].count, 40);

    assert!(found.iter().all(|a| a.identity != "svc-a"), "{found:#?}");
    assert!(
        found
            .windows(2)
            .all(|w| (w[0].severity, w[0].kind, &w[0].identity)
                <= (w[1].severity, w[1].kind, &w[1].identity))
    );
    assert_eq!(found[0].severity, Severity::High);
}

#[test]
fn thresholds_are_inputs() {
    let analysis = scenario();
    let strict = Thresholds {
        failures: 8,
        addresses: 8,
        spike_factor: 9.0,
        ..Thresholds::default()
    };
    let found = detect_anomalies(&analysis, None, &strict, &BusinessHours::default());
    assert!(found.is_empty(), "{found:#?}");
    let loose = Thresholds {
        paths: 1,
        ..Thresholds::default()
    };
    let found = detect_anomalies(&analysis, None, &loose, &BusinessHours::default());
    assert_eq!(of(&found, AnomalyKind::BroadAccess).len(), 3);
}

#[test]
fn a_baseline_log_gives_rates_and_known_addresses() {
    let mut base = String::new();
    for i in 0..10 {
        access(
            &mut base,
            &format!("b{i}"),
            WED_9 - 86_400_000 + i * MIN,
            "svc-b",
            "secret/data/b",
            "10.0.0.2",
            None,
        );
    }
    let baseline = analyse(base.as_bytes());
    let mut now = String::new();
    for i in 0..40 {
        let addr = if i < 3 { "10.7.7.7" } else { "10.0.0.2" };
        access(
            &mut now,
            &format!("n{i}"),
            WED_9 + i * MIN / 2,
            "svc-b",
            "secret/data/b",
            addr,
            None,
        );
    }
    let analysis = analyse(now.as_bytes());
    let found = detect_anomalies(
        &analysis,
        Some(&baseline),
        &Thresholds::default(),
        &BusinessHours::default(),
    );
    let spike = of(&found, AnomalyKind::VolumeSpike);
    assert_eq!((spike.len(), spike[0].count), (1, 40));
    let new = of(&found, AnomalyKind::NewSourceAddress);
    assert_eq!(
        (new[0].count, new[0].address.as_deref()),
        (3, Some("10.7.7.7"))
    );
    assert_eq!(new[0].first.as_deref(), Some("2024-05-01T09:00:00Z"));
    // Both judged the whole window against the baseline log's day.
    for anomaly in [spike[0], new[0]] {
        let expected = Window {
            from: Some("2024-05-01T09:00:00Z".to_owned()),
            to: Some("2024-05-01T09:19:30Z".to_owned()),
            baseline: Some(Baseline {
                source: BaselineSource::BaselineLog,
                from: Some("2024-04-30T09:00:00Z".to_owned()),
                to: Some("2024-04-30T09:09:00Z".to_owned()),
            }),
        };
        assert_eq!(anomaly.window, expected, "{anomaly:?}");
    }
}

#[test]
fn security_signals_become_anomalies_with_severity() {
    let mut log = String::from_utf8(common::fixture("vault.jsonl")).unwrap();
    log.push_str(&String::from_utf8(common::fixture("vault-signals.jsonl")).unwrap());
    let analysis = analyse(log.as_bytes());
    let found = detect_anomalies(
        &analysis,
        None,
        &Thresholds::default(),
        &BusinessHours::default(),
    );
    let kinds: Vec<_> = found.iter().map(|a| (a.severity, a.kind)).collect();
    for expected in [
        (Severity::Critical, AnomalyKind::AuditDisable),
        (Severity::Critical, AnomalyKind::GenerateRoot),
        (Severity::Critical, AnomalyKind::Seal),
        (Severity::High, AnomalyKind::RootTokenUse),
        (Severity::High, AnomalyKind::LongTtlToken),
        (Severity::Medium, AnomalyKind::PolicyChange),
        (Severity::Medium, AnomalyKind::OrphanToken),
    ] {
        assert!(kinds.contains(&expected), "{expected:?} in {kinds:?}");
    }
    let disable = of(&found, AnomalyKind::AuditDisable)[0];
    assert_eq!(disable.request_ids, ["sig-2"]);
    assert!(disable.first.as_deref().is_some_and(|t| t.ends_with('Z')));
    let long = of(&found, AnomalyKind::LongTtlToken)[0];
    assert_eq!(long.identity, "hmac-sha256:2222");
    let raised = Thresholds {
        long_ttl_seconds: 10 * 768 * 3600,
        ..Thresholds::default()
    };
    let found = detect_anomalies(&analysis, None, &raised, &BusinessHours::default());
    assert!(of(&found, AnomalyKind::LongTtlToken).is_empty());

    let raw = analyse(&common::fixture("vault-raw.jsonl"));
    let found = detect_anomalies(
        &raw,
        None,
        &Thresholds::default(),
        &BusinessHours::default(),
    );
    assert_eq!(
        of(&found, AnomalyKind::RawModeLog)[0].severity,
        Severity::Critical
    );
}

#[test]
fn without_a_baseline_log_an_address_first_seen_after_the_window_baseline_is_new() {
    let mut log = String::new();
    let hour = 60 * MIN;
    for h in 0..4 {
        for i in 0..5 {
            let at = WED_9 + h * hour + i * MIN;
            access(
                &mut log,
                &format!("a{h}{i}"),
                at,
                "svc-a",
                "secret/data/a",
                "10.0.0.1",
                None,
            );
        }
    }
    for i in 0..5 {
        let at = WED_9 + 2 * hour + 30 * MIN + i * MIN;
        access(
            &mut log,
            &format!("n{i}"),
            at,
            "svc-a",
            "secret/data/a",
            "10.6.6.6",
            None,
        );
    }
    // First seen after the baseline hour: new as a whole, so no address of it is.
    for (i, addr) in ["10.5.5.5", "10.5.5.6"].iter().enumerate() {
        let at = WED_9 + (i as i64 + 1) * hour;
        access(
            &mut log,
            &format!("l{i}"),
            at,
            "late",
            "secret/data/l",
            addr,
            None,
        );
    }
    let analysis = analyse(log.as_bytes());
    let stats = &analysis.identities["svc-a"].addresses["10.6.6.6"];
    assert_eq!(
        (stats.accesses, stats.first_ms),
        (5, Some(WED_9 + 2 * hour + 30 * MIN))
    );

    let hours = BusinessHours::default();
    let found = detect_anomalies(&analysis, None, &Thresholds::default(), &hours);
    let new = of(&found, AnomalyKind::NewSourceAddress);
    assert_eq!(new.len(), 1, "{found:#?}");
    assert_eq!(
        (
            new[0].identity.as_str(),
            new[0].address.as_deref(),
            new[0].count
        ),
        ("svc-a", Some("10.6.6.6"), 5)
    );
    assert_eq!(new[0].evidence["new_addresses"], 1);
    assert_eq!(new[0].evidence["known_addresses"], 1);
    assert_eq!(new[0].first.as_deref(), Some("2024-05-01T11:30:00Z"));
    assert_eq!(new[0].severity, Severity::Medium);

    // The split is an input: with three of the four hours as baseline, 11:30 is known.
    let late = Thresholds {
        baseline_fraction: 0.75,
        ..Thresholds::default()
    };
    let found = detect_anomalies(&analysis, None, &late, &hours);
    assert!(
        of(&found, AnomalyKind::NewSourceAddress).is_empty(),
        "{found:#?}"
    );

    // A window under two hours has no in-window baseline.
    let mut short = String::new();
    access(
        &mut short,
        "s1",
        WED_9,
        "svc-a",
        "secret/data/a",
        "10.0.0.1",
        None,
    );
    access(
        &mut short,
        "s2",
        WED_9 + 50 * MIN,
        "svc-a",
        "secret/data/a",
        "10.6.6.6",
        None,
    );
    let found = detect_anomalies(
        &analyse(short.as_bytes()),
        None,
        &Thresholds::default(),
        &hours,
    );
    assert!(
        of(&found, AnomalyKind::NewSourceAddress).is_empty(),
        "{found:#?}"
    );
}

/// One GCP Cloud Audit Logs entry for Secret Manager (or `service`) in `project`'s
/// `log` (`activity`, `data_access`), with the `/` of `logName` URL-encoded or not.
fn gcp(out: &mut String, project: &str, log: &str, service: &str, id: &str, at: i64) {
    let sep = if id.ends_with("-plain") { "/" } else { "%2F" };
    out.push_str(&format!(
        r#"{{"protoPayload":{{"@type":"type.googleapis.com/google.cloud.audit.AuditLog","status":{{}},"authenticationInfo":{{"principalEmail":"admin@example.com"}},"requestMetadata":{{"callerIp":"198.51.100.10"}},"serviceName":"{service}","methodName":"google.cloud.secretmanager.v1.SecretManagerService.AddSecretVersion","resourceName":"projects/{project}/secrets/s"}},"insertId":"{id}","resource":{{"type":"audited_resource","labels":{{"project_id":"{project}"}}}},"timestamp":"{}","severity":"NOTICE","logName":"projects/{project}/logs/cloudaudit.googleapis.com{sep}{log}"}}"#,
        time(at)
    ));
    out.push('\n');
}

#[test]
fn a_gcp_project_with_secret_manager_admin_activity_only_has_data_access_logs_off() {
    const SM: &str = "secretmanager.googleapis.com";
    let mut log = String::new();
    gcp(&mut log, "on", "activity", SM, "on-1", WED_9);
    gcp(&mut log, "on", "data_access", SM, "on-2", WED_9 + MIN);
    gcp(&mut log, "off", "activity", SM, "off-1", WED_9 + 2 * MIN);
    gcp(
        &mut log,
        "off",
        "activity",
        SM,
        "off-2-plain",
        WED_9 + 3 * MIN,
    );
    gcp(&mut log, "off", "activity", SM, "off-3", WED_9 + 4 * MIN);
    // Another service's missing Data Access log hides no secret read.
    gcp(
        &mut log,
        "kms",
        "activity",
        "cloudkms.googleapis.com",
        "kms-1",
        WED_9,
    );
    let analysis = analyse(log.as_bytes());
    let found = detect_anomalies(
        &analysis,
        None,
        &Thresholds::default(),
        &BusinessHours::default(),
    );
    let off = of(&found, AnomalyKind::DataAccessLogsOff);
    assert_eq!(off.len(), 1, "{found:#?}");
    assert_eq!(
        (off[0].identity.as_str(), off[0].count, off[0].severity),
        ("projects/off", 3, Severity::High)
    );
    assert_eq!(off[0].evidence["admin_activity_entries"], 3);
    assert_eq!(off[0].evidence["data_access_entries"], 0);
    assert_eq!(off[0].request_ids, ["off-1", "off-2-plain", "off-3"]);
    assert_eq!(off[0].first.as_deref(), Some("2024-05-01T09:02:00Z"));

    // Counted per shard and merged, the state is the one-pass state.
    let lines: Vec<&str> = log.lines().collect();
    let mut merged = analyse(lines[..3].join("\n").as_bytes());
    merged.merge(analyse(lines[3..].join("\n").as_bytes()));
    assert_eq!(merged, analysis);
}
