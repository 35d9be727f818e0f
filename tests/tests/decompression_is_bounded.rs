//! Issue 19, promise 8: decompression is bounded. A small gzip file that inflates to
//! hundreds of megabytes of blank lines is read in bounded pieces under
//! `--max-memory 64`, and a line longer than the 16 MiB cap is a problem reported
//! with its line number, never fatal.

use std::io::Write;

use skill_tests::{Skill, text};

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

#[test]
fn a_gzip_bomb_and_an_over_long_line_are_read_within_64_mib() {
    let dir = tempfile::tempdir().unwrap();
    // 512 MiB of blank lines in about half a megabyte: one gzip member of 1 MiB of
    // newlines, repeated (`cat`-style members).
    let bomb = gzip(&[b'\n'; 1 << 20]).repeat(512);
    assert!(bomb.len() < 1 << 20, "{} bytes", bomb.len());
    std::fs::write(dir.path().join("bomb.gz"), &bomb).unwrap();

    // A record, a 20 MiB line, a record: compressed, so the long line is inflated too.
    let fixture = std::fs::read(
        skill_tests::workspace().join("plugins/audit-analyzer/core/tests/fixtures/vault.jsonl"),
    )
    .unwrap();
    let record = &fixture[..=fixture.iter().position(|b| *b == b'\n').unwrap()];
    let mut long = record.to_vec();
    long.extend_from_slice(br#"{"time":"2024-05-01T09:00:00Z","type":"request","x":""#);
    long.resize(long.len() + (20 << 20), b'a');
    long.extend_from_slice(b"\"}\n");
    long.extend_from_slice(record);
    std::fs::write(dir.path().join("long.gz"), gzip(&long)).unwrap();

    let skill = Skill::new();
    let output = skill
        .command()
        .current_dir(dir.path())
        .args([
            "run",
            "audit-analyzer",
            "--logs",
            "bomb.gz",
            "--logs",
            "long.gz",
            "--max-memory",
            "64",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    let (stdout, stderr) = text(&output);
    assert!(
        output.status.success(),
        "exit {:?}: {stderr}",
        output.status
    );
    let result: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let files = result["files"].as_array().unwrap();

    let bomb = &files[0];
    assert_eq!(bomb["gzip"], true);
    assert_eq!(bomb["records"], 0);
    assert_eq!(bomb["first_problems"][0]["kind"], "empty", "{bomb}");

    let long = &files[1];
    assert_eq!(long["records"], 2, "{long}");
    assert_eq!(long["problems"], 1, "{long}");
    let problem = &long["first_problems"][0];
    assert_eq!(problem["line"], 2, "{problem}");
    assert_eq!(problem["kind"], "too-long", "{problem}");
    assert!(
        problem["message"].as_str().unwrap().contains("16 MiB"),
        "{problem}"
    );
}
