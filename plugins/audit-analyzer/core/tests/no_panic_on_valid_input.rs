//! Issue 19, promise 10: no panic on valid input. Every time threshold and window
//! (`mass_retrieval_minutes`, `long_ttl_seconds`, `baseline_fraction`, the spike
//! factor, business hours and their UTC offset) and every event time (years 0000 to
//! 9999, any offset, in the log and in the baseline log) takes extreme values: the
//! detectors return their findings, never a panic.

use audit_core::{Analysis, AuditReader, BusinessHours, ProblemKind, Thresholds, detect_anomalies};
use proptest::prelude::*;

/// An RFC 3339 time that audit-core reads, biased to the ends of its calendar.
fn time() -> impl Strategy<Value = String> {
    let year = prop_oneof![Just(0u32), Just(9999), 0u32..=9999];
    let offset = prop_oneof![
        Just("Z".to_owned()),
        Just("+23:59".to_owned()),
        Just("-23:59".to_owned()),
        (0u32..24).prop_map(|h| format!("-{h:02}")),
    ];
    (year, 1u32..=12, 1u32..=28, 0u32..24, 0u32..60, offset).prop_map(|(y, mo, d, h, mi, off)| {
        format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:59.999{off}")
    })
}

/// A successful Vault read of a KV secret by one entity, request and response, with
/// a created token of `ttl` seconds on the response.
fn read(id: usize, time: &str, ttl: i64) -> String {
    let auth = r#""auth":{"entity_id":"e1","display_name":"app","accessor":"hmac-sha256:aa"}"#;
    let request = format!(
        r#""request":{{"id":"r{id}","operation":"read","mount_type":"kv","mount_point":"secret/","path":"secret/data/s{id}","remote_address":"10.0.0.{id}"}}"#
    );
    format!(
        "{{\"time\":\"{time}\",\"type\":\"request\",{auth},{request}}}\n\
         {{\"time\":\"{time}\",\"type\":\"response\",{auth},{request},\"response\":{{\"auth\":{{\"accessor\":\"hmac-sha256:bb\",\"token_ttl\":{ttl}}}}}}}\n"
    )
}

fn analyse(times: &[String], ttl: i64) -> Analysis {
    let log: String = times
        .iter()
        .enumerate()
        .map(|(i, t)| read(i, t, ttl))
        .collect();
    let mut analysis = Analysis::new();
    let mut reader = AuditReader::new();
    reader.push(log.as_bytes(), |e| analysis.add(e)).unwrap();
    let summary = reader.finish(|e| analysis.add(e)).unwrap();
    // A time past the year 9999 (or before 0000) in UTC is a bad-time problem only.
    assert!(
        summary
            .problems
            .first
            .iter()
            .all(|p| p.kind == ProblemKind::BadTime),
        "{:?}",
        summary.problems
    );
    analysis.finish();
    analysis
}

fn extreme_u64() -> impl Strategy<Value = u64> {
    prop_oneof![
        Just(0u64),
        Just(1),
        Just(i64::MAX as u64),
        Just(u64::MAX),
        any::<u64>()
    ]
}

fn extreme_f64() -> impl Strategy<Value = f64> {
    prop_oneof![
        Just(0.0),
        Just(-1.0),
        Just(f64::MAX),
        Just(f64::MIN_POSITIVE),
        Just(f64::INFINITY),
        Just(f64::NAN),
        any::<f64>()
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(384))]

    #[test]
    fn extreme_windows_and_times_give_findings_not_panics(
        times in proptest::collection::vec(time(), 1..24),
        baseline_times in proptest::option::of(proptest::collection::vec(time(), 1..6)),
        ttl in prop_oneof![Just(i64::MIN), Just(i64::MAX), Just(0i64), any::<i64>()],
        mass_retrieval_minutes in extreme_u64(),
        mass_retrieval_secrets in extreme_u64(),
        long_ttl_seconds in prop_oneof![Just(i64::MIN), Just(i64::MAX), any::<i64>()],
        spike_factor in extreme_f64(),
        baseline_fraction in extreme_f64(),
        spike_min_events in extreme_u64(),
        utc_offset_minutes in prop_oneof![Just(i32::MIN), Just(i32::MAX), any::<i32>()],
        start_hour in 0u8..=23,
        end_hour in 1u8..=24,
    ) {
        let analysis = analyse(&times, ttl);
        let baseline = baseline_times.map(|t| analyse(&t, ttl));
        let thresholds = Thresholds {
            mass_retrieval_minutes,
            mass_retrieval_secrets,
            long_ttl_seconds,
            spike_factor,
            baseline_fraction,
            spike_min_events,
            ..Thresholds::default()
        };
        let hours = BusinessHours { start_hour, end_hour, utc_offset_minutes, ..BusinessHours::default() };
        let found = detect_anomalies(&analysis, baseline.as_ref(), &thresholds, &hours);
        // Every finding's times are written with four-digit years, as read.
        for anomaly in &found {
            for time in anomaly.first.iter().chain(&anomaly.last) {
                prop_assert_eq!(time.as_bytes()[4], b'-', "{}", time);
            }
        }
        let span_minutes = i64::try_from(mass_retrieval_minutes).unwrap_or(i64::MAX);
        let everything_in_one_window = span_minutes >= 10_000 * 366 * 24 * 60;
        let all_in_range = times.iter().all(|t| t.ends_with('Z'));
        if everything_in_one_window && all_in_range && mass_retrieval_secrets >= 1 && mass_retrieval_secrets <= times.len() as u64 {
            // A window longer than the calendar holds every read: all distinct secrets.
            prop_assert!(
                found.iter().any(|a| a.kind == audit_core::AnomalyKind::MassRetrieval),
                "{:?}", found
            );
        }
    }
}
