//! Helpers shared by the integration tests: read an input in chunks of a given size.
#![allow(dead_code)]

use audit_core::{Analysis, AuditReader, Event, FormatError, ReadSummary};

pub fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Reads `bytes` pushed in `chunk`-sized pieces; returns owned events and the summary.
pub fn read_chunked(
    bytes: &[u8],
    chunk: usize,
) -> Result<(Vec<Event<'static>>, ReadSummary), FormatError> {
    let mut reader = AuditReader::new();
    let mut events = Vec::new();
    for piece in bytes.chunks(chunk.max(1)) {
        reader.push(piece, |e| events.push(e.clone().into_owned()))?;
    }
    let summary = reader.finish(|e| events.push(e.clone().into_owned()))?;
    Ok((events, summary))
}

pub fn read(bytes: &[u8]) -> (Vec<Event<'static>>, ReadSummary) {
    let whole = read_chunked(bytes, bytes.len().max(1)).expect("readable");
    // Chunking must never change the result.
    for chunk in [1, 7, 64, 4096] {
        assert_eq!(
            read_chunked(bytes, chunk).expect("readable"),
            whole,
            "chunk size {chunk}"
        );
    }
    whole
}

pub fn analyse(bytes: &[u8]) -> Analysis {
    let (events, _) = read(bytes);
    let mut analysis = Analysis::new();
    for e in &events {
        analysis.add(e);
    }
    analysis.finish();
    analysis
}

pub mod synthetic;

/// Reads several fixtures, in order, into one finished analysis, as the tool reads
/// the files it is given.
pub fn analyse_files(names: &[&str]) -> Analysis {
    let mut analysis = Analysis::new();
    for name in names {
        let (events, _) = read(&fixture(name));
        for e in &events {
            analysis.add(e);
        }
    }
    analysis.finish();
    analysis
}
