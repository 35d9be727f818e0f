//! audit-analyzer benchmark: the sandboxed plugin (the real `skill` binary) against
//! the same core natively, on a generated Vault-format log. Prints figures, asserts
//! nothing (the machines are shared and noisy; compare ratios measured in one run).
//!
//! ```text
//! cargo build --release -p skill && cargo run --release -p skill-tests --bin bench-audit [MB...]
//! ```
//!
//! MB defaults to 512; several sizes (`256 1024`) show whether memory stays flat as
//! the log grows; `--file PATH` measures an existing log. For each log: the core
//! natively in this process, then `skill run` on one core (`--jobs 1`) and on all
//! cores (the default), and the ceiling for the latter: the log cut into one piece
//! per core, each piece read by its own `skill run --jobs 1`, all at once. Each with
//! wall time, CPU time, MB/s by both, and peak RSS
//! (VmHWM: this process's own for the native run, the child's, polled from /proc,
//! for the sandboxed ones). The native figure's peak is the largest so far, since a
//! process's VmHWM never goes down. Each figure is the median of three alternating
//! rounds (peak RSS: the largest of them).

#[path = "../../plugins/audit-analyzer/core/tests/common/synthetic.rs"]
mod synthetic;

use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use audit_core::{Analysis, AuditReader, BusinessHours, Thresholds, detect_anomalies};
use skill_tests::skill_bin;

const CHUNK: usize = 1 << 20;
/// Linux's USER_HZ: /proc reports CPU time in these ticks.
const TICKS_PER_SECOND: f64 = 100.0;

/// A `kB` field of a /proc status file, in MB.
fn status_mb(status: &str, field: &str) -> Option<f64> {
    let line = status.lines().find(|l| l.starts_with(field))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

/// utime + stime of a process, seconds, from /proc/<pid>/stat.
fn cpu_seconds(pid: &str) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the parenthesised command name; utime and stime are 14 and 15.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    Some(ticks / TICKS_PER_SECOND)
}

struct Figures {
    wall: Duration,
    cpu: f64,
    peak_mb: f64,
}

impl Figures {
    fn print(&self, what: &str, bytes: u64) {
        let mb = bytes as f64 / 1e6;
        println!(
            "{what:<22} wall {:>6.2} s {:>7.1} MB/s | cpu {:>6.2} s {:>7.1} MB/s | peak RSS {:>6.1} MB",
            self.wall.as_secs_f64(),
            mb / self.wall.as_secs_f64(),
            self.cpu,
            mb / self.cpu.max(1e-9),
            self.peak_mb
        );
    }
}

/// The core in this process: read in 1 MiB chunks, as the plugin gets them.
fn native(path: &Path) -> Figures {
    let cpu0 = cpu_seconds("self").unwrap_or(0.0);
    let started = Instant::now();
    let mut file = File::open(path).expect("open log");
    let mut reader = AuditReader::new();
    let mut analysis = Analysis::new();
    let mut buf = vec![0; CHUNK];
    loop {
        let n = file.read(&mut buf).expect("read log");
        if n == 0 {
            break;
        }
        reader
            .push(&buf[..n], |e| analysis.add(e))
            .expect("readable log");
    }
    reader.finish(|e| analysis.add(e)).expect("readable log");
    analysis.finish();
    let anomalies = detect_anomalies(
        &analysis,
        None,
        &Thresholds::default(),
        &BusinessHours::default(),
    );
    let wall = started.elapsed();
    println!(
        "native: {} accesses, {} anomalies",
        analysis.totals.events,
        anomalies.len()
    );
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    Figures {
        wall,
        cpu: cpu_seconds("self").unwrap_or(0.0) - cpu0,
        peak_mb: status_mb(&status, "VmHWM:").unwrap_or(0.0),
    }
}

/// `skill run audit-analyzer` as child processes, one per log, all at once; their
/// VmHWM and CPU time are polled from /proc until the last exits (both only grow,
/// so the last reading is the figure). Peak RSS and CPU are the children's sums.
fn sandboxed(paths: &[PathBuf], cache: &Path, jobs: usize) -> Figures {
    let started = Instant::now();
    let mut children: Vec<Child> = paths
        .iter()
        .map(|path| {
            Command::new(skill_bin())
                .args(["--jobs", &jobs.to_string()])
                .args(["run", "audit-analyzer", "--format", "json", "--logs"])
                .arg(path)
                .env("SKILL_CACHE_DIR", cache)
                .stdout(Stdio::null())
                .stderr(Stdio::inherit())
                .spawn()
                .expect("run skill")
        })
        .collect();
    let mut peaks = vec![0.0f64; children.len()];
    let mut cpus = vec![0.0f64; children.len()];
    let mut running = children.len();
    while running > 0 {
        running = 0;
        for (i, child) in children.iter_mut().enumerate() {
            let pid = child.id().to_string();
            if let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status")) {
                peaks[i] = peaks[i].max(status_mb(&status, "VmHWM:").unwrap_or(0.0));
            }
            cpus[i] = cpus[i].max(cpu_seconds(&pid).unwrap_or(0.0));
            match child.try_wait().expect("wait for skill") {
                Some(status) => assert!(status.success(), "skill failed: {status}"),
                None => running += 1,
            }
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    Figures {
        wall: started.elapsed(),
        cpu: cpus.iter().sum(),
        peak_mb: peaks.iter().sum(),
    }
}

/// Cuts the log at line ends into `parts` files of about equal size in `dir`: the
/// pieces for the ceiling figure, separate one-core runs side by side. Streamed, so
/// the native run's peak RSS (this process's) stays its own.
fn cut(path: &Path, parts: usize, dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let size = std::fs::metadata(path)?.len() as usize;
    let mut log = BufReader::new(File::open(path)?);
    let (mut pieces, mut line, mut written) = (Vec::with_capacity(parts), Vec::new(), 0);
    for i in 1..=parts {
        let piece = dir.join(format!("piece-{i}.log"));
        let mut out = BufWriter::new(File::create(&piece)?);
        while i == parts || written < size * i / parts {
            line.clear();
            if log.read_until(b'\n', &mut line)? == 0 {
                break;
            }
            out.write_all(&line)?;
            written += line.len();
        }
        out.flush()?;
        pieces.push(piece);
    }
    Ok(pieces)
}

/// Generates a Vault log of about `megabytes` MB in `dir`.
fn generate(dir: &Path, megabytes: u64) -> std::io::Result<std::path::PathBuf> {
    let path = dir.join(format!("vault-audit-{megabytes}mb.log"));
    let mut out = BufWriter::new(File::create(&path)?);
    // About 2.6 KB per pair with the default spec.
    let pairs = megabytes * 1_000_000 / 2_600 + 1;
    synthetic::write_vault_log(&synthetic::Spec::default(), pairs, &mut out)?;
    Ok(path)
}

/// Rounds per figure: this VM is shared, so each figure is the median of a few runs,
/// the three sides alternating so that a noisy moment hits them all alike.
const ROUNDS: usize = 3;

/// The median wall and CPU time of `runs`, and their largest peak RSS.
fn median(mut runs: Vec<Figures>) -> Figures {
    let peak_mb = runs.iter().map(|f| f.peak_mb).fold(0.0, f64::max);
    runs.sort_by_key(|f| f.wall);
    let wall = runs[runs.len() / 2].wall;
    let mut cpus: Vec<f64> = runs.iter().map(|f| f.cpu).collect();
    cpus.sort_by(f64::total_cmp);
    Figures {
        wall,
        cpu: cpus[cpus.len() / 2],
        peak_mb,
    }
}

/// Native, one sandbox, all cores, and the ceiling (separate one-core runs on
/// pieces of the log side by side: what this machine's cores give when nothing
/// is shared or merged), on one log; the pieces are cut into `scratch`.
fn measure(path: &Path, cache: &Path, scratch: &Path, cores: usize) -> std::io::Result<()> {
    let bytes = std::fs::metadata(path)?.len();
    println!("log: {:.1} MB at {}", bytes as f64 / 1e6, path.display());
    let whole = [path.to_path_buf()];
    let pieces = cut(path, cores, scratch)?;
    let (mut natives, mut singles, mut alls, mut ceilings) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        natives.push(native(path));
        singles.push(sandboxed(&whole, cache, 1));
        alls.push(sandboxed(&whole, cache, cores));
        ceilings.push(sandboxed(&pieces, cache, 1));
    }
    for piece in pieces {
        std::fs::remove_file(piece)?;
    }
    let (native, single, all, ceiling) = (
        median(natives),
        median(singles),
        median(alls),
        median(ceilings),
    );
    native.print("native (in process)", bytes);
    single.print("sandboxed, 1 core", bytes);
    all.print(&format!("sandboxed, {cores} cores"), bytes);
    ceiling.print(&format!("{cores} pieces side by side"), bytes);
    let ratio = |a: &Figures, b: &Figures| a.wall.as_secs_f64() / b.wall.as_secs_f64();
    println!(
        "sandboxed 1 core / native: {:.2}x by wall, {:.2}x by cpu; {cores} cores / 1 core: {:.2}x by wall \
         (ceiling, {cores} pieces side by side / 1 core: {:.2}x)\n",
        ratio(&native, &single),
        native.cpu / single.cpu.max(1e-9),
        ratio(&single, &all),
        ratio(&single, &ceiling),
    );
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let dir = tempfile::tempdir()?;
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    // Warm the compiled-plugin cache first, so the figures are the analysis, not Cranelift.
    let cache = dir.path().join("cache");
    let warm = dir.path().join("warm.log");
    std::fs::write(
        &warm,
        "{\"time\":\"2024-05-01T09:00:00Z\",\"type\":\"request\",\"request\":{\"id\":\"w\",\"path\":\"a\"}}\n",
    )?;
    sandboxed(&[warm], &cache, 1);

    if let Some(i) = args.iter().position(|a| a == "--file") {
        let path = args.get(i + 1).ok_or("--file needs a path")?;
        return Ok(measure(Path::new(path), &cache, dir.path(), cores)?);
    }
    let sizes: Vec<u64> = if args.is_empty() {
        vec![512]
    } else {
        args.iter().map(|a| a.parse()).collect::<Result<_, _>>()?
    };
    for megabytes in sizes {
        let path = generate(dir.path(), megabytes)?;
        measure(&path, &cache, dir.path(), cores)?;
        std::fs::remove_file(&path)?;
    }
    Ok(())
}
