//! audit-analyzer on Spark against `skill` alone, on a generated Vault log: one pass
//! (`--jobs 1`), two sandboxes (`--jobs 2`), and `examples/spark/audit_analysis.py`
//! on `local[1]` and `local[2]`, with Spark's overhead over `--jobs` as a ratio.
//! Prints figures, asserts only that every run gives the same report (the machines
//! are shared and noisy; compare ratios measured in one run).
//!
//! ```text
//! cargo build --release -p skill && cargo run --release -p skill-tests --bin bench-spark [MB]
//! ```
//!
//! MB defaults to 1024. Needs `spark-submit` (PySpark) and Java on `PATH`. Spark's
//! figure is the whole `spark-submit`: JVM start, listing, the executors' work
//! and the merge; the job's own log lines (printed below each) say where it went.

#[path = "../../plugins/audit-analyzer/core/tests/common/synthetic.rs"]
mod synthetic;

use std::fs::File;
use std::io::BufWriter;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use skill_tests::{skill_bin, workspace};

/// `skill --jobs N run audit-analyzer --format json --logs LOG`: the report, and
/// how long it took.
fn skill_alone(log: &Path, home: &Path, jobs: usize) -> (Vec<u8>, Duration) {
    let started = Instant::now();
    let output = Command::new(skill_bin())
        .args(["--jobs", &jobs.to_string(), "--timeout", "600"])
        .args(["run", "audit-analyzer", "--format", "json", "--logs"])
        .arg(log)
        .env("SKILL_HOME", home)
        .output()
        .expect("run skill");
    let elapsed = started.elapsed();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    (output.stdout, elapsed)
}

/// The Spark job on `local[cores]`: the report, how long `spark-submit` took, and
/// the job's own log lines.
fn spark(log: &Path, dir: &Path, cores: usize) -> (Vec<u8>, Duration, String) {
    let out = dir.join("REPORT.json");
    let started = Instant::now();
    let output = Command::new("spark-submit")
        .args(["--master", &format!("local[{cores}]")])
        .args(["--conf", "spark.ui.enabled=false"])
        .arg(workspace().join("examples/spark/audit_analysis.py"))
        .arg("--skill")
        .arg(skill_bin())
        .arg("--out")
        .arg(&out)
        .arg(log)
        .env("SPARK_LOCAL_IP", "127.0.0.1")
        .env("SKILL_HOME", dir.join("home"))
        .output()
        .expect("spark-submit (PySpark and Java) on PATH");
    let elapsed = started.elapsed();
    // spark-submit hands on the Python driver's stderr as its stdout.
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(output.status.success(), "the Spark job failed: {stdout}");
    let job = stdout
        .lines()
        .filter(|line| line.starts_with("audit_analysis:"))
        .collect::<Vec<_>>()
        .join("\n");
    (std::fs::read(&out).expect("report"), elapsed, job)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let megabytes: u64 = match std::env::args().nth(1) {
        Some(arg) => arg.parse()?,
        None => 1024,
    };
    let dir = tempfile::tempdir()?;
    let log = dir.path().join(format!("vault-audit-{megabytes}mb.log"));
    // About 2.6 KB per pair with the default spec.
    let pairs = megabytes * 1_000_000 / 2_600 + 1;
    synthetic::write_vault_log(
        &synthetic::Spec::default(),
        pairs,
        &mut BufWriter::new(File::create(&log)?),
    )?;
    let bytes = std::fs::metadata(&log)?.len();
    let home = dir.path().join("home");
    println!("log: {:.1} MB", bytes as f64 / 1e6);
    // Warm the page cache and the compiled-plugin cache.
    let (reference, _) = skill_alone(&log, &home, 1);

    let show = |what: &str, took: Duration| {
        println!(
            "{what:<18} {:>7.2} s {:>7.1} MB/s",
            took.as_secs_f64(),
            bytes as f64 / 1e6 / took.as_secs_f64()
        );
    };
    let mut alone = Vec::new();
    for jobs in [1, 2] {
        let (report, took) = skill_alone(&log, &home, jobs);
        assert!(report == reference, "--jobs {jobs} gives another report");
        show(&format!("skill --jobs {jobs}"), took);
        alone.push(took);
    }
    let mut on_spark = Vec::new();
    for cores in [1, 2] {
        let (report, took, job) = spark(&log, dir.path(), cores);
        assert!(report == reference, "local[{cores}] gives another report");
        show(&format!("spark local[{cores}]"), took);
        println!("  {}", job.replace('\n', "\n  "));
        on_spark.push(took);
    }
    for (i, cores) in [1, 2].iter().enumerate() {
        println!(
            "spark local[{cores}] / skill --jobs {cores}: {:.2}x",
            on_spark[i].as_secs_f64() / alone[i].as_secs_f64()
        );
    }
    Ok(())
}
