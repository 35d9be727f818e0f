//! Fuzz targets (stable Rust, `fuzz-input`) for the audit-log parsers: one per
//! format (Vault/OpenBao, CloudTrail, GCP, Azure Key Vault) and one for format
//! detection over all of them, gzip included, each seeded from the fixtures. Every
//! mutated log is read or refused with a clean error, never a panic; reading it whole
//! or in 97-byte chunks gives the same result; the events, problems, the analysis
//! and its findings are bounded by the input. `SKILL_FUZZ_CASES=<n>` changes the
//! number of cases.

mod common;

use std::io::{Read, Write};

use audit_core::{Analysis, BusinessHours, Problems, Thresholds, detect, detect_anomalies};
use fuzz_input::{Target, Verdict, bounded};

use common::{fixture, read_chunked};

const TOKENS: &[&[u8]] = &[
    b"\"time\":\"9999-12-31T23:59:59-23:59\",",
    b"\"type\":\"response\",",
    b"\"request\":{\"id\":\"r\",\"path\":\"secret/data/a\",\"operation\":\"read\"},",
    b"\"auth\":{\"token_ttl\":-9223372036854775808},",
    b"\"error\":\"1 error occurred:\\n\\t* permission denied\\n\\n\",",
    b"\"eventTime\":\"0000-01-01T00:00:00Z\",",
    b"\"requestParameters\":{\"secretIdList\":[\"a\",\"b\"]},",
    b"\"CloudTrailEvent\":\"{\\\"eventName\\\":1}\",",
    b"\"protoPayload\":{\"methodName\":\"AccessSecretVersion\"},",
    b"\"operationName\":\"SecretGet\",",
    b"\"identity\":\"{\\\"claim\\\":{}}\",",
    b"{\"Records\":[",
    b"<38>Nov 13 23:47:09 host vault[966]: ",
    b"\x1f\x8b\x08\x00",
];

/// The first `limit` bytes of a fixture, cut at a line end, so that a large real
/// log seeds the fuzzer without slowing every case.
fn head(name: &str, limit: usize) -> Vec<u8> {
    let mut bytes = fixture(name);
    if bytes.len() > limit {
        let end = bytes[..limit]
            .iter()
            .rposition(|b| *b == b'\n')
            .map_or(limit, |i| i + 1);
        bytes.truncate(end);
    }
    bytes
}

fn seeds(names: &[&str]) -> Vec<Vec<u8>> {
    names.iter().map(|name| head(name, 12 << 10)).collect()
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

/// The length of the text in `bytes`: inflated (up to 64 MiB) if it is gzip.
fn plain_len(bytes: &[u8]) -> usize {
    if !bytes.starts_with(&[0x1f, 0x8b]) {
        return bytes.len();
    }
    let mut plain = Vec::new();
    let decoder = flate2::read::MultiGzDecoder::new(bytes);
    // A corrupt stream counts what inflated before the damage.
    let _ = decoder.take(64 << 20).read_to_end(&mut plain);
    plain.len().max(bytes.len())
}

/// Problems keep at most [`Problems::KEPT`] messages, each a short preview.
fn check_problems(problems: &Problems) -> Result<(), String> {
    if problems.first.len() > Problems::KEPT || (problems.first.len() as u64) > problems.total {
        return Err(format!(
            "{} problems kept of {}",
            problems.first.len(),
            problems.total
        ));
    }
    for problem in &problems.first {
        bounded("problem message", problem.message.len(), 1, 0, 1024)?;
    }
    Ok(())
}

/// Reads `bytes` whole and in chunks, analyses the events and runs the detectors.
fn check(bytes: &[u8]) -> Result<Verdict, String> {
    let whole = read_chunked(bytes, bytes.len().max(1));
    let chunked = read_chunked(bytes, 97);
    let (events, summary) = match (whole, chunked) {
        (Ok(whole), Ok(chunked)) => {
            if whole != chunked {
                return Err("reading in 97-byte chunks changed the result".into());
            }
            whole
        }
        (Err(whole), Err(chunked)) => {
            if whole != chunked {
                return Err(format!("errors differ by chunking: {whole} / {chunked}"));
            }
            bounded("error", whole.to_string().len(), 1, 0, 1024)?;
            return Ok(Verdict::Refused);
        }
        (whole, chunked) => {
            return Err(format!(
                "chunking changed the verdict: {whole:?} / {chunked:?}"
            ));
        }
    };
    check_problems(&summary.problems)?;
    // A CloudTrail batch is one event per secret it names: still a few bytes each of
    // the text read (gzip inflated).
    bounded("events", events.len(), plain_len(bytes), 1, 16)?;
    let mut analysis = Analysis::new();
    for event in &events {
        analysis.add(event);
    }
    analysis.finish();
    let found = detect_anomalies(
        &analysis,
        None,
        &Thresholds::default(),
        &BusinessHours::default(),
    );
    let analysis_json = serde_json::to_string(&analysis).map_err(|e| e.to_string())?;
    let found_json = serde_json::to_string(&found).map_err(|e| e.to_string())?;
    bounded("analysis", analysis_json.len(), bytes.len(), 64, 16 << 10)?;
    bounded("anomalies", found_json.len(), bytes.len(), 64, 16 << 10)?;
    Ok(Verdict::Read)
}

fn fuzz(name: &'static str, seeds: Vec<Vec<u8>>, cases: u32) {
    Target {
        name,
        seeds,
        tokens: TOKENS,
        cases,
        crate_dir: Some(env!("CARGO_MANIFEST_DIR")),
    }
    .run(check);
}

#[test]
fn fuzz_vault_openbao() {
    let seeds = seeds(&[
        "vault.jsonl",
        "vault-raw.jsonl",
        "vault-pretty.json",
        "vault-syslog.log",
        "vault-signals.jsonl",
        "openbao-audit.jsonl",
        "openbao-audit-raw.jsonl",
    ]);
    fuzz("audit-vault", seeds, 2000);
}

#[test]
fn fuzz_cloudtrail() {
    fuzz(
        "audit-cloudtrail",
        seeds(&["cloudtrail-events.jsonl", "cloudtrail-meaning.jsonl"]),
        2000,
    );
}

#[test]
fn fuzz_gcp() {
    fuzz(
        "audit-gcp",
        seeds(&["gcp-audit.jsonl", "gcp-iam.jsonl"]),
        2000,
    );
}

#[test]
fn fuzz_azure() {
    let seeds = seeds(&[
        "azure-access-change.json",
        "azure-azkv.jsonl",
        "azure-diagnostics.jsonl",
        "azure-hsm.json",
        "azure-records.json",
    ]);
    fuzz("audit-azure", seeds, 2000);
}

/// Format detection on its own, on the head of every fixture, at the end of the
/// input or not; then the whole reader on the same bytes, gzip-compressed.
#[test]
fn fuzz_detection() {
    let mut seeds = seeds(&[
        "vault.jsonl",
        "vault-pretty.json",
        "vault-syslog.log",
        "vault.jsonx",
        "generic.json",
        "cloudtrail-events.jsonl",
        "gcp-iam.jsonl",
        "azure-records.json",
        "azure-hsm.json",
    ]);
    seeds.push(gzip(&head("vault.jsonl", 4 << 10)));
    Target {
        name: "audit-detection",
        seeds,
        tokens: TOKENS,
        cases: 1500,
        crate_dir: Some(env!("CARGO_MANIFEST_DIR")),
    }
    .run(|bytes| {
        for at_eof in [false, true] {
            if let Err(error) = detect(bytes, at_eof) {
                bounded("detection error", error.to_string().len(), 1, 0, 1024)?;
            }
        }
        check(bytes)?;
        check(&gzip(bytes))
    });
}
