//! Native throughput of the audit core on a generated Vault-format log.
//!
//! `cargo run --release -p audit-core --example throughput [MB]` writes a log of at
//! least MB megabytes (default 200) into a temporary directory, then streams it back
//! in 1 MiB chunks, the way a plugin receives a granted file from the host, through
//! the reader alone and through reader + analysis. Prints MB/s and entries/s, by wall
//! clock and by the process's CPU time (this shared VM is noisy; CPU time is steadier).
//! `--file PATH` measures an existing log instead of generating one; `--out PATH`
//! keeps the generated log there; `--only reader|analysis` and `--rounds N` narrow
//! the run; `--gzip` measures the log gzip-compressed (MB/s then counts compressed bytes).

#[path = "../tests/common/synthetic.rs"]
mod synthetic;

use std::fs::File;
use std::io::{BufWriter, Read};
use std::time::Instant;

use audit_core::{Analysis, AuditReader};

const CHUNK: usize = 1 << 20;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let dir = tempfile::tempdir()?;
    let path = match args.iter().position(|a| a == "--file") {
        Some(i) => std::path::PathBuf::from(&args[i + 1]),
        None => {
            let megabytes: u64 = args.first().map(|a| a.parse()).transpose()?.unwrap_or(200);
            let path = match args.iter().position(|a| a == "--out") {
                Some(i) => std::path::PathBuf::from(&args[i + 1]),
                None => dir.path().join("vault-audit.log"),
            };
            let started = Instant::now();
            let mut out = BufWriter::new(File::create(&path)?);
            // About 2.6 KB per pair with the default spec.
            let pairs = megabytes * 1_000_000 / 2_600 + 1;
            let bytes = synthetic::write_vault_log(&synthetic::Spec::default(), pairs, &mut out)?;
            drop(out);
            println!(
                "generated {:.1} MB ({pairs} request/response pairs) in {:.1} s at {}",
                bytes as f64 / 1e6,
                started.elapsed().as_secs_f64(),
                path.display()
            );
            path
        }
    };
    let plain_bytes = std::fs::metadata(&path)?.len();
    // `--gzip` measures the same log gzip-compressed (decompressed on the fly).
    let path = if args.iter().any(|a| a == "--gzip") {
        let packed = dir.path().join("vault-audit.log.gz");
        let mut encoder = flate2::write::GzEncoder::new(
            BufWriter::new(File::create(&packed)?),
            flate2::Compression::fast(),
        );
        std::io::copy(&mut File::open(&path)?, &mut encoder)?;
        encoder.finish()?;
        println!(
            "compressed to {:.1} MB",
            std::fs::metadata(&packed)?.len() as f64 / 1e6
        );
        packed
    } else {
        path
    };
    let bytes = std::fs::metadata(&path)?.len();

    // `--only reader|analysis` and `--rounds N` narrow the run (for `perf stat`).
    let flag = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .map(|i| args[i + 1].as_str())
    };
    let rounds: u32 = flag("--rounds").map(str::parse).transpose()?.unwrap_or(3);
    let modes: &[bool] = match flag("--only") {
        Some("reader") => &[false],
        Some("analysis") => &[true],
        _ => &[false, true],
    };
    for round in 1..=rounds {
        for &analyse in modes {
            let mut file = File::open(&path)?;
            let mut buf = vec![0u8; CHUNK];
            let mut reader = AuditReader::new();
            let mut analysis = Analysis::new();
            let mut entries = 0u64;
            let started = Instant::now();
            let cpu_start = cpu_seconds();
            loop {
                let n = file.read(&mut buf)?;
                if n == 0 {
                    break;
                }
                if analyse {
                    reader.push(&buf[..n], |e| analysis.add(e))?;
                } else {
                    reader.push(&buf[..n], |_| entries += 1)?;
                }
            }
            let summary = if analyse {
                reader.finish(|e| analysis.add(e))?
            } else {
                reader.finish(|_| entries += 1)?
            };
            analysis.finish();
            let secs = started.elapsed().as_secs_f64();
            let cpu = cpu_seconds().zip(cpu_start).map(|(end, start)| end - start);
            let what = if analyse {
                "reader + analysis"
            } else {
                "reader only"
            };
            let cpu_rate = cpu.map_or_else(
                || "n/a".to_owned(),
                |cpu| format!("{:.0} MB/s", bytes as f64 / 1e6 / cpu.max(0.01)),
            );
            let inflated = if summary.gzip {
                format!(" = {:.0} MB/s of log", plain_bytes as f64 / 1e6 / secs)
            } else {
                String::new()
            };
            println!(
                "round {round} {what:>17}: {:.0} MB/s wall{inflated}, {cpu_rate} by CPU time, {:.0} entries/s wall ({} entries, {} accesses, {} problems, {:.2} s)",
                bytes as f64 / 1e6 / secs,
                summary.records as f64 / secs,
                summary.records,
                analysis.totals.events,
                summary.problems.total,
                secs
            );
        }
    }
    Ok(())
}

/// User + system CPU time of this process, from `/proc/self/stat` (Linux only).
fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the parenthesised command name; utime and stime are 14 and 15.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    // USER_HZ is 100 on every Linux this runs on.
    Some(ticks / 100.0)
}
