//! Analysing consecutive shards and merging them in order gives exactly the one-pass
//! result, wherever the shard boundaries fall (even between a request and its
//! response), and whether each shard's state crosses a process boundary as JSON
//! (as it does when `skill` analyses the shards in parallel sandboxes).

mod common;

use audit_core::{
    Analysis, AnomalyKind, AuditReader, BusinessHours, Detected, Thresholds, detect_anomalies,
};
use common::synthetic::{Rng, Spec, write_vault_log};
use proptest::prelude::*;

/// Analyses one shard on its own, detecting its format from its own first line.
fn analyse_shard(bytes: &[u8]) -> (Analysis, Option<Detected>) {
    let mut reader = AuditReader::new();
    let mut analysis = Analysis::new();
    for chunk in bytes.chunks(4096) {
        reader.push(chunk, |e| analysis.add(e)).unwrap();
    }
    let summary = reader.finish(|e| analysis.add(e)).unwrap();
    (analysis, summary.detected)
}

fn one_pass(log: &[u8]) -> Analysis {
    let (mut analysis, _) = analyse_shard(log);
    analysis.finish();
    analysis
}

/// Line-aligned cut positions from fractions of the log.
fn cuts(log: &[u8], fractions: &[f64]) -> Vec<usize> {
    let mut cuts: Vec<usize> = fractions
        .iter()
        .map(|f| {
            let at = (log.len() as f64 * f) as usize;
            match log[at..].iter().position(|b| *b == b'\n') {
                Some(p) => at + p + 1,
                None => log.len(),
            }
        })
        .collect();
    cuts.sort_unstable();
    cuts.dedup();
    cuts
}

/// The states of the shards between `cuts`, each through JSON as a sandbox hands it back.
fn shard_states(log: &[u8], cuts: &[usize]) -> Vec<Analysis> {
    let mut bounds = vec![0];
    bounds.extend_from_slice(cuts);
    bounds.push(log.len());
    let mut detected = None;
    bounds
        .windows(2)
        .map(|pair| {
            let (analysis, d) = analyse_shard(&log[pair[0]..pair[1]]);
            // An empty shard (a cut at the very end) detects nothing.
            if let Some(d) = d {
                assert_eq!(
                    *detected.get_or_insert(d),
                    d,
                    "every shard reads as the same format"
                );
            }
            through_json(&analysis)
        })
        .collect()
}

fn through_json(analysis: &Analysis) -> Analysis {
    serde_json::from_str(&serde_json::to_string(analysis).unwrap()).unwrap()
}

/// Consecutive states folded in order into one unfinished state, from an empty
/// analysis as `audit-analyzer --states` and `audit-state --states` fold them.
fn fold(states: impl IntoIterator<Item = Analysis>) -> Analysis {
    let mut merged = Analysis::new();
    for state in states {
        merged.merge(state);
    }
    merged
}

fn sharded(log: &[u8], cuts: &[usize]) -> Analysis {
    let mut merged = fold(shard_states(log, cuts));
    merged.finish();
    merged
}

/// The shards' states merged in rounds, `group` consecutive states at a time, each
/// round's states through JSON, until one is left: what a batch engine does when
/// its states do not fit one call.
fn merged_in_rounds(log: &[u8], cuts: &[usize], group: usize) -> Analysis {
    in_rounds(shard_states(log, cuts), group)
}

/// `states` merged `group` at a time, each round through JSON, then finished.
fn in_rounds(mut states: Vec<Analysis>, group: usize) -> Analysis {
    while states.len() > 1 && group > 1 {
        let mut rest = states.into_iter().peekable();
        let mut next = Vec::new();
        while rest.peek().is_some() {
            next.push(through_json(&fold(rest.by_ref().take(group))));
        }
        states = next;
    }
    let mut merged = fold(states);
    merged.finish();
    merged
}

fn log(seed: u64, pairs: u64) -> Vec<u8> {
    let spec = Spec {
        seed,
        identities: 8,
        paths: 20,
        addresses: 64,
        error_percent: 10,
        ..Spec::default()
    };
    let mut out = Vec::new();
    write_vault_log(&spec, pairs, &mut out).unwrap();
    out
}

#[test]
fn a_cut_between_request_and_response_still_counts_one_access() {
    let log = log(1, 200);
    let whole = one_pass(&log);
    assert_eq!(whole.totals.events, 200 + whole.totals.request_only);
    assert_eq!(whole.totals.response_only, 0);
    for at in (0..log.len()).step_by(997) {
        let c = cuts(&log, &[at as f64 / log.len() as f64]);
        assert_eq!(sharded(&log, &c), whole, "cut at {c:?}");
    }
}

#[test]
fn a_shard_starting_with_responses_reports_them_alone_but_merged_they_pair() {
    let log = log(3, 50);
    let c = cuts(&log, &[0.5]);
    let (mut second, _) = analyse_shard(&log[c[0]..]);
    let (_, orphans) = second.pending();
    second.finish();
    assert_eq!(second.totals.response_only as usize, orphans);
    assert_eq!(sharded(&log, &c), one_pass(&log));
}

/// The recorded OpenBao logs (mass retrieval, role writes, live-token fingerprints)
/// and the cloud records (batch reads, service-made calls, control-plane signals),
/// cut at every line: the merged state is the one-pass state.
#[test]
fn real_logs_cut_at_every_line_merge_to_one_pass() {
    for name in [
        "openbao-audit.jsonl",
        "openbao-audit-raw.jsonl",
        "cloudtrail-meaning.jsonl",
        "gcp-iam.jsonl",
        "azure-identity-diagnostics.jsonl",
        "azure-identity-azkv.jsonl",
        "openbao-peers.jsonl",
    ] {
        let log = common::fixture(name);
        let whole = one_pass(&log);
        let ends: Vec<usize> = log
            .iter()
            .enumerate()
            .filter(|(_, b)| **b == b'\n')
            .map(|(i, _)| i + 1)
            .collect();
        for (i, at) in ends.iter().enumerate() {
            if i % 3 == 0 || !name.starts_with("openbao") {
                assert_eq!(sharded(&log, &[*at]), whole, "{name} cut at {at}");
            }
        }
        assert_eq!(sharded(&log, &ends), whole, "{name} cut at every line");
        for group in [2, 3, 7] {
            assert_eq!(
                merged_in_rounds(&log, &ends, group),
                whole,
                "{name} cut at every line, merged {group} at a time"
            );
        }
    }
}

/// Reads `bytes` as (a part of) the file `name`.
fn analyse_named(name: &str, bytes: &[u8]) -> Analysis {
    let mut analysis = Analysis::new();
    analysis.begin_file(name);
    let mut reader = AuditReader::new();
    reader.push(bytes, |e| analysis.add(e)).unwrap();
    reader.finish(|e| analysis.add(e)).unwrap();
    analysis
}

/// Two logs, each cut into parts that are read as that file: however the parts'
/// states are grouped, the merge names the same files as one pass, and each
/// anomaly names the files its records were in.
#[test]
fn files_are_named_alike_in_one_pass_and_merged() {
    // One server's log rotated mid-run, then another server's.
    let rotated = common::fixture("openbao-audit.jsonl");
    let half = line_start_after(&rotated, rotated.len() / 2);
    let files = [
        ("day-1.log", rotated[..half].to_vec()),
        ("day-2.log", rotated[half..].to_vec()),
        ("day-3.log", common::fixture("openbao-peers.jsonl")),
    ];
    let mut whole = Analysis::new();
    let mut reader_states = Vec::new();
    for (name, log) in &files {
        whole.begin_file(name);
        let mut reader = AuditReader::new();
        reader.push(log, |e| whole.add(e)).unwrap();
        reader.finish(|e| whole.add(e)).unwrap();
        let mut bounds = vec![0];
        bounds.extend(
            log.iter()
                .enumerate()
                .filter(|(_, b)| **b == b'\n')
                .map(|(i, _)| i + 1)
                .step_by(7),
        );
        bounds.push(log.len());
        bounds.dedup();
        for pair in bounds.windows(2) {
            reader_states.push(through_json(&analyse_named(name, &log[pair[0]..pair[1]])));
        }
    }
    whole.finish();
    for group in [1, 2, 5] {
        let merged = in_rounds(reader_states.clone(), group);
        assert_eq!(merged, whole, "merged {group} at a time");
    }

    // Which files each identity is in, from each file analysed on its own.
    let identities: Vec<_> = files
        .iter()
        .map(|(name, log)| analyse_named(name, log).identities)
        .collect();
    let found = detect_anomalies(
        &whole,
        None,
        &Thresholds::default(),
        &BusinessHours::default(),
    );
    let per_identity = [
        AnomalyKind::VolumeSpike,
        AnomalyKind::MultiAddress,
        AnomalyKind::BroadAccess,
        AnomalyKind::NewSourceAddress,
        AnomalyKind::OffHours,
        AnomalyKind::MassRetrieval,
        AnomalyKind::FailedAccess,
        AnomalyKind::LoginFailures,
    ];
    let mut spanning = 0;
    for anomaly in found
        .iter()
        .filter(|a| whole.identities.contains_key(&a.identity))
    {
        let expected: Vec<&str> = files
            .iter()
            .zip(&identities)
            .filter(|(_, ids)| ids.contains_key(&anomaly.identity))
            .map(|((name, _), _)| *name)
            .collect();
        // A finding over an identity's activity names every file it is in; one that
        // flags events (a policy write, a root token) names the files they were in.
        if per_identity.contains(&anomaly.kind) {
            assert_eq!(anomaly.files, expected, "{anomaly:?}");
        } else {
            let mut in_expected = expected.iter();
            assert!(
                anomaly.files.iter().all(|f| in_expected.any(|e| e == f)),
                "{anomaly:?} names files in order among {expected:?}"
            );
        }
        spanning += usize::from(anomaly.files.len() > 1);
    }
    assert!(found.iter().all(|a| !a.files.is_empty()), "{found:#?}");
    assert!(spanning > 0, "some finding spans files: {found:#?}");
}

/// The offset of the first line that starts at or after `at`.
fn line_start_after(log: &[u8], at: usize) -> usize {
    log[at..]
        .iter()
        .position(|b| *b == b'\n')
        .map_or(log.len(), |p| at + p + 1)
}

/// One person's records in three Azure shapes, each file a state of its own: the
/// object id learnt in one state takes in what another keyed by UPN alone, merged in
/// file order, through JSON, exactly as in one pass.
#[test]
fn identities_named_two_ways_fold_alike_in_one_pass_and_merged() {
    let files = [
        "azure-identity-diagnostics.jsonl",
        "azure-identity-records.json",
        "azure-identity-azkv.jsonl",
    ];
    let mut merged = Analysis::new();
    for name in files {
        let (analysis, _) = analyse_shard(&common::fixture(name));
        let json = serde_json::to_string(&analysis).unwrap();
        merged.merge(serde_json::from_str(&json).unwrap());
    }
    merged.finish();
    let whole = common::analyse_files(&files);
    assert!(!whole.aliases.is_empty());
    assert_eq!(merged, whole);
    assert_eq!(
        serde_json::to_string(&merged).unwrap(),
        serde_json::to_string(&whole).unwrap()
    );
}

/// GCP Cloud Audit Logs entries over three projects, two services and every audit log
/// (the `/` of `logName` sometimes unencoded), from a few callers and addresses, with
/// times out of order, so first sightings and per-log counts depend on every shard.
fn gcp_log(seed: u64, entries: u64) -> Vec<u8> {
    const SERVICES: [&str; 2] = ["secretmanager.googleapis.com", "cloudkms.googleapis.com"];
    const LOGS: [&str; 4] = ["activity", "data_access", "system_event", "policy"];
    let mut rng = Rng::new(seed);
    let mut out = String::new();
    for i in 0..entries {
        let project = rng.below(3);
        let service = SERVICES[rng.below(2) as usize];
        let log = LOGS[rng.below(4) as usize];
        let sep = if rng.below(4) == 0 { "/" } else { "%2F" };
        let (caller, ip, secret) = (rng.below(4), rng.below(6), rng.below(10));
        let code = if rng.below(10) == 0 { 7 } else { 0 };
        let at =
            audit_core::format_time(1_714_554_000_000 + (i * 37 + rng.below(600)) as i64 * 1000);
        out.push_str(&format!(
            r#"{{"protoPayload":{{"@type":"type.googleapis.com/google.cloud.audit.AuditLog","status":{{"code":{code}}},"authenticationInfo":{{"principalEmail":"u{caller}@example.com"}},"requestMetadata":{{"callerIp":"10.0.0.{ip}"}},"serviceName":"{service}","methodName":"m","resourceName":"projects/p{project}/secrets/s{secret}"}},"insertId":"i{i}","timestamp":"{at}","logName":"projects/p{project}/logs/cloudaudit.googleapis.com{sep}{log}"}}"#
        ));
        out.push('\n');
    }
    out.into_bytes()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn gcp_shards_merged_equal_one_pass(
        seed in any::<u64>(),
        entries in 1u64..300,
        fractions in prop::collection::vec(0.0f64..1.0, 0..5),
    ) {
        let log = gcp_log(seed, entries);
        let c = cuts(&log, &fractions);
        prop_assert_eq!(sharded(&log, &c), one_pass(&log));
    }

    #[test]
    fn shards_merged_equal_one_pass(
        seed in any::<u64>(),
        pairs in 1u64..400,
        fractions in prop::collection::vec(0.0f64..1.0, 0..5),
    ) {
        let log = log(seed, pairs);
        let c = cuts(&log, &fractions);
        prop_assert_eq!(sharded(&log, &c), one_pass(&log));
    }

    #[test]
    fn states_merged_in_rounds_equal_one_pass(
        seed in any::<u64>(),
        pairs in 1u64..400,
        fractions in prop::collection::vec(0.0f64..1.0, 2..12),
        group in 2usize..4,
    ) {
        let log = log(seed, pairs);
        let c = cuts(&log, &fractions);
        prop_assert_eq!(merged_in_rounds(&log, &c, group), one_pass(&log));
    }
}

/// The state is written with every map in key order: a hash map's own order
/// follows a seed that changes with each build of the plugin, and two builds
/// given the same log should write the same state.
#[test]
fn the_state_is_written_in_key_order() {
    let spec = Spec {
        identities: 40,
        paths: 40,
        addresses: 40,
        ..Spec::default()
    };
    let mut log = Vec::new();
    write_vault_log(&spec, 400, &mut log).unwrap();
    let (analysis, _) = analyse_shard(&log);
    let json = serde_json::to_string(&analysis).unwrap();
    // serde_json keeps the order it is given (`preserve_order`).
    let state: serde_json::Value = serde_json::from_str(&json).unwrap();
    let keys = |map: &serde_json::Value| -> Vec<String> {
        map.as_object().unwrap().keys().cloned().collect()
    };
    let identities = keys(&state["identities"]);
    assert!(identities.len() > 20, "{identities:?}");
    assert!(identities.is_sorted(), "{identities:?}");
    let mut longest = [0, 0];
    for identity in state["identities"].as_object().unwrap().values() {
        for (name, longest) in ["paths", "addresses"].into_iter().zip(&mut longest) {
            let keys = keys(&identity[name]);
            assert!(keys.is_sorted(), "{identity}");
            *longest = keys.len().max(*longest);
        }
    }
    assert!(longest.iter().all(|&n| n > 20), "{longest:?}");
}
