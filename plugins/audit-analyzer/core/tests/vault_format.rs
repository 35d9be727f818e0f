//! Vault / OpenBao audit logs in every documented variant (DOMAIN-FACTS §A).

mod common;

use audit_core::{Container, Format, IdentityKind, Outcome, Phase, ProblemKind};
use std::io::Write;

use common::{analyse, fixture, read, read_chunked};

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

#[test]
fn gzip_input_is_decompressed_on_the_fly_including_concatenated_members() {
    let plain = fixture("vault.jsonl");
    let (want, _) = read(&plain);
    let (got, summary) = read(&gzip(&plain));
    assert!(summary.gzip);
    assert_eq!(got, want);

    // `cat a.gz b.gz`: two members, one stream.
    let (first, second) = plain.split_at(plain.len() / 2);
    let mut two = gzip(first);
    two.extend_from_slice(&gzip(second));
    let (got, summary) = read(&two);
    assert_eq!(got, want);
    assert_eq!(summary.problems.total, 0);
}

#[test]
fn a_gzip_file_cut_short_keeps_what_was_decompressed_and_reports_it() {
    let plain = fixture("vault.jsonl").repeat(50);
    let packed = gzip(&plain);
    let (events, summary) = read_chunked(&packed[..packed.len() * 3 / 4], 4096).unwrap();
    assert!(!events.is_empty());
    assert!(
        summary
            .problems
            .first
            .iter()
            .any(|p| p.kind == ProblemKind::Truncated && p.message.contains("gzip")),
        "{:?}",
        summary.problems
    );
}

#[test]
fn json_lines_in_any_key_order_are_read_with_fields_from_where_vault_keeps_them() {
    let (events, summary) = read(&fixture("vault.jsonl"));
    let detected = summary.detected.unwrap();
    assert_eq!(detected.format, Format::Vault);
    assert_eq!(detected.container, Container::JsonLines);
    assert_eq!(summary.records, 10);
    assert_eq!(summary.problems.total, 0);

    // Line 2 is alphabetical, line 1 in struct order: same facts.
    let (req, resp) = (&events[0], &events[1]);
    assert_eq!(req.phase, Phase::Request);
    assert_eq!(resp.phase, Phase::Response);
    for e in [req, resp] {
        assert_eq!(e.identity.kind, IdentityKind::Entity);
        assert_eq!(e.identity.id, "ent-app");
        assert_eq!(e.display_name.as_deref(), Some("approle"));
        assert_eq!(e.source_address.as_deref(), Some("10.0.0.5"));
        assert_eq!(e.resource, "secret/data/app/db");
        assert_eq!(e.operation, "read");
        assert_eq!(e.request_id.as_deref(), Some("req-1"));
        assert_eq!(e.outcome, Outcome::Success);
        let v = e.vault.as_ref().unwrap();
        assert_eq!(v.mount_type.as_deref(), Some("kv"));
        assert!(!v.raw_token && !v.root_token);
    }
    assert_eq!(req.time_ms, Some(1_714_554_000_123));
    assert_eq!(req.vault.as_ref().unwrap().token_ttl_seconds, Some(3600));

    // Denied, no entity: identity falls back to the accessor.
    assert_eq!(events[2].identity.kind, IdentityKind::Accessor);
    assert_eq!(events[2].identity.id, "hmac-sha256:ee22");
    assert_eq!(events[2].outcome, Outcome::Denied);
    assert_eq!(events[3].outcome, Outcome::Denied);
    assert_eq!(
        events[3].error.as_deref(),
        Some("1 error occurred:\n\t* permission denied\n\n")
    );

    // Failed login: unauthenticated, error on the response side only.
    assert_eq!(events[4].identity.kind, IdentityKind::Anonymous);
    assert_eq!(events[4].outcome, Outcome::Success);
    assert_eq!(events[5].outcome, Outcome::BadCredentials);
    assert_eq!(events[5].source_address.as_deref(), Some("198.51.100.7"));

    // Root token creating an orphan long-TTL token.
    let create = events[7].vault.as_ref().unwrap();
    assert!(create.root_token && create.orphan);
    let token = create.new_token.as_ref().unwrap();
    assert_eq!(token.ttl_seconds, Some(2_764_800));
    assert_eq!(token.num_uses, Some(0));

    // The audit device's test probe: a bare request with no auth.
    assert_eq!(events[8].resource, "sys/audit/test");
    assert_eq!(events[8].identity.kind, IdentityKind::Anonymous);

    // elide_list_responses: `keys` is a number; still a normal event.
    assert_eq!(events[9].operation, "list");
}

#[test]
fn pairs_count_once_and_failures_and_addresses_are_found() {
    let analysis = analyse(&fixture("vault.jsonl"));
    let t = &analysis.totals;
    // 6 request ids: 4 pairs, the audit test probe alone, one response alone.
    assert_eq!(t.events, 6);
    assert_eq!(t.paired, 4);
    assert_eq!(t.request_only, 1);
    assert_eq!(t.response_only, 1);
    assert_eq!(t.by_outcome[Outcome::Denied.index()], 1);
    assert_eq!(t.by_outcome[Outcome::BadCredentials.index()], 1);
    assert_eq!(t.root_token, 1);
    assert_eq!(analysis.addresses()["10.0.0.5"], 2);
    assert_eq!(analysis.identities["ent-app"].events, 2);
    assert_eq!(analysis.paths()["secret/data/app/db"], 1);
    let failing: Vec<_> = analysis
        .failures
        .iter()
        .flat_map(|(who, by_address)| by_address.keys().map(move |a| (who.as_str(), a.as_str())))
        .collect();
    assert_eq!(
        failing,
        vec![
            ("(anonymous)", "198.51.100.7"),
            ("hmac-sha256:ee22", "192.0.2.9")
        ]
    );
    assert_eq!(analysis.first_ms, Some(1_714_554_000_123));
    // All six accesses fall in 09:00 UTC on 2024-05-01.
    let hourly = analysis.hourly();
    assert_eq!(hourly.len(), 1);
    assert_eq!(hourly[&(1_714_554_000 / 3600)], 6);
}

#[test]
fn pretty_printed_stream_is_framed_across_lines() {
    let (events, summary) = read(&fixture("vault-pretty.json"));
    assert_eq!(summary.detected.unwrap().container, Container::PrettyStream);
    assert_eq!(summary.problems.total, 0);
    assert_eq!(events.len(), 2);
    assert_eq!(events[0].line, 1);
    assert_eq!(events[1].line, 19);
    assert_eq!(events[0].resource, "secret/data/app/{weird}\"");
    assert_eq!(events[1].outcome, Outcome::Denied);
}

#[test]
fn syslog_header_before_the_json_is_skipped() {
    let (events, summary) = read(&fixture("vault-syslog.log"));
    let detected = summary.detected.unwrap();
    assert_eq!(detected.format, Format::Vault);
    assert_eq!(detected.container, Container::PrefixedLines);
    assert_eq!(events.len(), 2);
    assert_eq!(events[1].source_address.as_deref(), Some("10.0.0.5"));
}

#[test]
fn raw_mode_is_flagged_and_old_empty_error_is_success() {
    let (events, _) = read(&fixture("vault-raw.jsonl"));
    let v = events[0].vault.as_ref().unwrap();
    assert!(v.raw_token, "a clear-text token means log_raw");
    assert!(v.root_token);
    assert_eq!(events[0].outcome, Outcome::Success);
}

#[test]
fn jsonx_is_refused_with_a_clear_message() {
    let err = read_chunked(&fixture("vault.jsonx"), 1 << 20).unwrap_err();
    assert!(err.to_string().contains("jsonx"), "{err}");
    assert!(err.to_string().contains("format=json"), "{err}");
}

#[test]
fn garbage_and_truncated_lines_are_reported_with_line_numbers_not_fatal() {
    let good = fixture("vault.jsonl");
    let mut text = good.clone();
    text.extend_from_slice(b"this is not json\n");
    text.extend_from_slice(&good[..good.iter().position(|b| *b == b'\n').unwrap()][..120]);
    let (events, summary) = read(&text);
    assert_eq!(events.len(), 10);
    let problems: Vec<_> = summary
        .problems
        .first
        .iter()
        .map(|p| (p.line, p.kind))
        .collect();
    assert_eq!(
        problems,
        vec![(11, ProblemKind::Garbage), (12, ProblemKind::Truncated)]
    );
}

#[test]
fn unknown_inputs_and_gzip_get_clear_errors_and_empty_input_a_problem() {
    let err = read_chunked(b"hello world\nno json here\n", 1024).unwrap_err();
    assert!(err.to_string().contains("unrecognised"), "{err}");
    let err = read_chunked(b"{\"foo\":1}\n", 1024).unwrap_err();
    assert!(err.to_string().contains("none of the keys"), "{err}");
    // A gzip header with an unknown compression method.
    let err = read_chunked(&[0x1f, 0x8b, 0x63, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3], 1024).unwrap_err();
    assert!(err.to_string().contains("gzip"), "{err}");
    let (events, summary) = read_chunked(b"  \n", 1024).unwrap();
    assert!(events.is_empty());
    assert_eq!(summary.problems.first[0].kind, ProblemKind::Empty);
}
