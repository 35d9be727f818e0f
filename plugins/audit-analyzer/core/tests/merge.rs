//! Analysing consecutive shards and merging them in order gives exactly the one-pass
//! result, wherever the shard boundaries fall (even between a request and its
//! response), and whether each shard's state crosses a process boundary as JSON
//! (as it does when `skill` analyses the shards in parallel sandboxes).

mod common;

use audit_core::{Analysis, AuditReader, Detected};
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

fn sharded(log: &[u8], cuts: &[usize]) -> Analysis {
    let mut bounds = vec![0];
    bounds.extend_from_slice(cuts);
    bounds.push(log.len());
    let mut detected = None;
    let mut merged: Option<Analysis> = None;
    for pair in bounds.windows(2) {
        let (analysis, d) = analyse_shard(&log[pair[0]..pair[1]]);
        // An empty shard (a cut at the very end) detects nothing.
        if let Some(d) = d {
            assert_eq!(
                *detected.get_or_insert(d),
                d,
                "every shard reads as the same format"
            );
        }
        let json = serde_json::to_string(&analysis).unwrap();
        let analysis: Analysis = serde_json::from_str(&json).unwrap();
        match &mut merged {
            None => merged = Some(analysis),
            Some(m) => m.merge(analysis),
        }
    }
    let mut merged = merged.unwrap();
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
    }
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
    for name in ["identities", "paths", "addresses"] {
        let keys = keys(&state[name]);
        assert!(keys.len() > 20, "{name}: {keys:?}");
        assert!(keys.is_sorted(), "{name}: {keys:?}");
    }
    for identity in state["identities"].as_object().unwrap().values() {
        for name in ["paths", "addresses"] {
            assert!(keys(&identity[name]).is_sorted(), "{identity}");
        }
    }
}
