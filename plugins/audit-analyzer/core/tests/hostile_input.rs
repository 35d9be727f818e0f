//! Hostile inputs cost bounded memory: a gzip bomb is inflated in pieces, blank lines do
//! not accumulate, and a line or record longer than the cap is a problem on its line,
//! never fatal and never buffered whole.

mod common;

use std::io::Write;

use audit_core::{
    AuditReader, Container, GZIP_PIECE_BYTES, MAX_RECORD_BYTES, ProblemKind, ReadSummary,
};

use common::fixture;

/// What the plugin gets from the host: 1 MiB chunks.
const HOST_CHUNK: usize = 1 << 20;

/// The most the reader may hold: an inflated piece (grown by doubling), the detector's
/// head of one piece, and a record spanning chunks.
const BUDGET: usize = 2 * GZIP_PIECE_BYTES + 2 * GZIP_PIECE_BYTES + MAX_RECORD_BYTES;

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

/// A gzip bomb of `mebibytes` MiB of blank lines: the same 1 MiB member repeated, as
/// `cat` makes (a member of a mebibyte of newlines is about a kilobyte).
fn blank_line_bomb(mebibytes: usize) -> Vec<u8> {
    gzip(&[b'\n'; 1 << 20]).repeat(mebibytes)
}

/// Reads `input` in host-sized chunks; returns the summary, the records' lines seen by
/// the sink, and the peak of the reader's buffers.
fn read_bounded(input: &[u8]) -> (ReadSummary, usize, usize) {
    let mut reader = AuditReader::new();
    let mut events = 0;
    for chunk in input.chunks(HOST_CHUNK) {
        reader.push(chunk, |_| events += 1).expect("readable");
        assert!(
            reader.buffered_capacity() <= BUDGET,
            "{} bytes buffered",
            reader.buffered_capacity()
        );
    }
    let peak = reader.peak_buffered();
    let summary = reader.finish(|_| events += 1).expect("readable");
    (summary, events, peak)
}

fn lines_and_kinds(summary: &ReadSummary) -> Vec<(u64, ProblemKind)> {
    summary
        .problems
        .first
        .iter()
        .map(|p| (p.line, p.kind))
        .collect()
}

fn first_line(name: &str) -> Vec<u8> {
    let text = fixture(name);
    let end = text.iter().position(|b| *b == b'\n').unwrap();
    text[..=end].to_vec()
}

#[test]
fn a_gzip_bomb_of_blank_lines_inflates_in_bounded_pieces_and_reports_no_record() {
    let bomb = blank_line_bomb(96);
    assert!(bomb.len() < 200 << 10, "{} bytes compressed", bomb.len());
    let (summary, events, peak) = read_bounded(&bomb);
    assert!(summary.gzip);
    assert_eq!(events, 0);
    assert!(
        peak <= 4 * GZIP_PIECE_BYTES,
        "{peak} bytes held for 96 MiB inflated"
    );
    let kinds: Vec<_> = summary.problems.first.iter().map(|p| p.kind).collect();
    assert_eq!(kinds, vec![ProblemKind::Empty]);
}

#[test]
fn records_after_a_gzip_bomb_of_blank_lines_keep_their_line_numbers() {
    let mut plain = vec![b'\n'; 40 << 20];
    plain.extend_from_slice(&fixture("vault.jsonl"));
    plain.extend_from_slice(b"not json\n");
    let (summary, events, peak) = read_bounded(&gzip(&plain));
    assert!(peak <= 4 * GZIP_PIECE_BYTES, "{peak} bytes held");
    assert_eq!(summary.records, 10);
    assert!(events > 0);
    let blank = 40 << 20;
    assert_eq!(summary.lines, Some(blank + 11));
    let problems = lines_and_kinds(&summary);
    assert_eq!(problems, vec![(blank + 11, ProblemKind::Garbage)]);
}

#[test]
fn a_line_over_the_cap_is_a_problem_on_its_line_and_the_next_lines_are_read() {
    let record = first_line("vault.jsonl");
    let mut text = record.clone();
    // An endless string value: 24 MiB on line 2, with no newline in it.
    text.extend_from_slice(br#"{"time":"2024-05-01T09:00:00Z","type":"request","x":""#);
    text.resize(text.len() + (24 << 20), b'a');
    text.extend_from_slice(b"\"}\n");
    text.extend_from_slice(&record);
    for input in [text.clone(), gzip(&text)] {
        let (summary, events, peak) = read_bounded(&input);
        assert!(peak <= MAX_RECORD_BYTES + 4 * GZIP_PIECE_BYTES, "{peak}");
        assert_eq!(summary.records, 2);
        assert_eq!(events, 2);
        assert_eq!(summary.lines, Some(3));
        assert_eq!(summary.problems.total, 1);
        let problem = &summary.problems.first[0];
        assert_eq!((problem.line, problem.kind), (2, ProblemKind::TooLong));
        assert!(problem.message.contains("16 MiB"), "{}", problem.message);
    }
}

#[test]
fn an_endless_last_line_is_a_problem_not_a_failure() {
    let mut text = first_line("vault.jsonl");
    text.resize(text.len() + (20 << 20), b' ');
    let (summary, _, peak) = read_bounded(&text);
    assert!(peak <= MAX_RECORD_BYTES + 4 * GZIP_PIECE_BYTES, "{peak}");
    assert_eq!(summary.records, 1);
    let problems = lines_and_kinds(&summary);
    assert_eq!(problems, vec![(2, ProblemKind::TooLong)]);
}

#[test]
fn a_framed_record_over_the_cap_is_a_problem_on_its_first_line() {
    // A CloudTrail `Records` wrapper whose second record is 20 MiB of padding.
    let mut text = br#"{"Records":[{"eventName":"GetSecretValue","eventSource":"secretsmanager.amazonaws.com","eventTime":"2024-05-01T09:00:00Z"},"#.to_vec();
    text.extend_from_slice(b"\n{\"eventName\":\"GetSecretValue\",\"pad\":\"");
    text.resize(text.len() + (20 << 20), b'b');
    text.extend_from_slice(
        br#""},{"eventName":"ListSecrets","eventTime":"2024-05-01T09:01:00Z"}]}"#,
    );
    let (summary, events, peak) = read_bounded(&text);
    assert_eq!(
        summary.detected.map(|d| d.container),
        Some(Container::RecordsWrapper)
    );
    assert!(peak <= MAX_RECORD_BYTES + 4 * GZIP_PIECE_BYTES, "{peak}");
    assert_eq!((summary.records, events), (2, 2));
    let problems = lines_and_kinds(&summary);
    assert_eq!(problems, vec![(2, ProblemKind::TooLong)]);
}

/// A gzip log damaged halfway (a disk error, a copy cut and patched) is read up to
/// the damage and reported as a problem, never refused whole, and the result is the
/// same however the bytes arrive: whole, from stdin in small reads, or in the
/// host's 1 MiB chunks.
#[test]
fn a_corrupt_gzip_stream_is_a_problem_whatever_the_chunking() {
    // A real OpenBao 2.7.2 audit log, eight times over: about 250 KB compressed,
    // several inflater blocks.
    let log = fixture("openbao-audit.jsonl").repeat(8);
    let mut damaged = gzip(&log);
    let middle = damaged.len() / 2;
    damaged[middle..middle + 64].fill(0xff);

    let whole = read_in(&damaged, damaged.len());
    for chunk in [1, 97, 4096, HOST_CHUNK] {
        assert_eq!(read_in(&damaged, chunk), whole, "chunk size {chunk}");
    }
    let (records, problems) = whole;
    assert!(
        records > 0 && records < log.iter().filter(|b| **b == b'\n').count() as u64,
        "{records} records: not the ones before the damage"
    );
    assert!(
        problems
            .iter()
            .any(|(kind, message)| *kind == ProblemKind::Garbage
                && message.contains("gzip stream is corrupt")),
        "{problems:?}"
    );
}

/// Records read and problems (kind and message) when `bytes` arrive in `chunk`s.
fn read_in(bytes: &[u8], chunk: usize) -> (u64, Vec<(ProblemKind, String)>) {
    let mut reader = AuditReader::new();
    for piece in bytes.chunks(chunk) {
        reader
            .push(piece, |_| {})
            .expect("a corrupt stream is not fatal");
    }
    let summary = reader
        .finish(|_| {})
        .expect("a corrupt stream is not fatal");
    let problems = summary.problems.first.iter();
    let problems = problems.map(|p| (p.kind, p.message.clone())).collect();
    (summary.records, problems)
}
