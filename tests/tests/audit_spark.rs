//! The Spark job shipped in `examples/spark/audit_analysis.py`, run by a real
//! `spark-submit` (PySpark from PyPI, Java from Debian: `.ci/run` installs both) on
//! `local[2]`: Spark splits a generated Vault log of more than 100 MB into
//! partitions, each is piped through `skill run audit-state --logs -` and the
//! states are merged on the driver. The report must be byte-identical to
//! `skill run audit-analyzer --logs ... --format json` in one pass, and so must
//! that of a CloudTrail tree (`AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/`),
//! read one part per file.

#[path = "../../plugins/audit-analyzer/core/tests/common/synthetic.rs"]
mod synthetic;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use skill_tests::{Skill, skill_bin, text, workspace};

/// Runs the job on `local[2]` over `logs` with the job's `options`; returns the
/// report and the job's log lines.
fn spark_report(dir: &Path, options: &[&str], logs: &[&Path]) -> (Vec<u8>, String) {
    let out = dir.join("REPORT.json");
    let output = Command::new("spark-submit")
        .args(["--master", "local[2]", "--conf", "spark.ui.enabled=false"])
        .arg(workspace().join("examples/spark/audit_analysis.py"))
        .arg("--skill")
        .arg(skill_bin())
        .arg("--out")
        .arg(&out)
        .args(options)
        .args(logs)
        .env("SPARK_LOCAL_IP", "127.0.0.1")
        .env("SKILL_HOME", dir.join("driver-home"))
        .env_remove("RUST_LOG")
        .output()
        .expect("spark-submit runs: PySpark and a Java runtime are installed by .ci/run");
    let (stdout, stderr) = text(&output);
    assert!(output.status.success(), "the Spark job failed: {stderr}");
    // spark-submit hands on the Python driver's stderr as its stdout.
    let job_lines = stdout
        .lines()
        .chain(stderr.lines())
        .filter(|line| line.starts_with("audit_analysis:"))
        .collect::<Vec<_>>()
        .join("\n");
    (
        std::fs::read(&out).expect("the job wrote its report"),
        job_lines,
    )
}

/// `skill --jobs 1 run audit-analyzer --format json --logs LOGS...`: one pass.
fn one_pass(logs: &[&Path]) -> Vec<u8> {
    let mut command = Skill::new().command();
    command.args(["--jobs", "1", "run", "audit-analyzer", "--format", "json"]);
    for log in logs {
        command.arg("--logs").arg(log);
    }
    let output = command.output().expect("run skill");
    assert!(output.status.success(), "{}", text(&output).1);
    output.stdout
}

/// A generated Vault log of about 110 MB. Two stray lines sit late in the file, so
/// that a later partition reads them: a garbage line and one with a carriage
/// return inside (Spark must hand the bytes on as they are); the last record is
/// cut off without a line end, as when the server stops mid-write.
fn vault_log(dir: &Path) -> (PathBuf, [u64; 2]) {
    let spec = synthetic::Spec {
        seed: 23,
        ..synthetic::Spec::default()
    };
    let mut log = Vec::new();
    synthetic::write_vault_log(&spec, 43_000, &mut log).unwrap();
    let newlines: Vec<usize> = line_ends(&log);
    let (garbage, carriage) = (newlines.len() * 3 / 4, newlines.len() * 9 / 10);
    let path = dir.join("vault-audit.log");
    let mut file = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    let mut start = 0;
    for (line, stray) in [
        (garbage, &b"kernel: oom-killer woke up <not json>\n"[..]),
        (
            carriage,
            &b"{\"time\":\"2024-05-01T\r09:00:00Z\" half\n"[..],
        ),
    ] {
        let end = newlines[line - 1] + 1; // after `line - 1` lines
        file.write_all(&log[start..end]).unwrap();
        file.write_all(stray).unwrap();
        start = end;
    }
    file.write_all(&log[start..]).unwrap();
    file.write_all(br#"{"time":"2024-05-01T09:00:00Z","type":"requ"#)
        .unwrap();
    file.flush().unwrap();
    // Each stray line follows the lines before it and the strays before it.
    (path, [garbage as u64 + 1, carriage as u64 + 2])
}

fn line_ends(bytes: &[u8]) -> Vec<usize> {
    bytes
        .iter()
        .enumerate()
        .filter(|(_, b)| **b == b'\n')
        .map(|(i, _)| i)
        .collect()
}

#[test]
fn spark_splits_a_large_log_and_its_report_is_the_one_pass_report() {
    let dir = tempfile::tempdir().unwrap();
    let (log, stray_lines) = vault_log(dir.path());
    assert!(std::fs::metadata(&log).unwrap().len() > 100_000_000);

    let expected = one_pass(&[&log]);
    // Two states per merge call: the partitions' states are merged in rounds on the
    // executors (`audit-state --states`) before the driver's final merge, as they
    // are when a large log's states do not fit one call.
    let (report, job) = spark_report(dir.path(), &["--merge-fan-in", "2"], &[&log]);
    assert!(
        job.contains("1 files (1 split by Spark)"),
        "Spark splits the log: {job}"
    );
    let rounds: u64 = job
        .split("merge rounds on the executors: ")
        .nth(1)
        .and_then(|tail| tail.split(')').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    assert!(rounds >= 1, "states merged in rounds first: {job}");
    let partitions: u64 = job
        .split(" partitions")
        .next()
        .and_then(|head| head.rsplit(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    assert!(partitions >= 3, "several partitions: {job}");
    assert!(
        report == expected,
        "the Spark report differs from one pass:\n{}\n---\n{}",
        String::from_utf8_lossy(&report[..report.len().min(4000)]),
        String::from_utf8_lossy(&expected[..expected.len().min(4000)])
    );

    // The same, and right: the stray lines keep their whole-file line numbers
    // although later partitions read them, and every byte is counted.
    let parsed: Value = serde_json::from_slice(&report).unwrap();
    let file = &parsed["files"][0];
    assert_eq!(file["path"], log.to_str().unwrap());
    assert_eq!(
        file["bytes"].as_u64(),
        Some(std::fs::metadata(&log).unwrap().len())
    );
    let problems: Vec<(u64, &str)> = file["first_problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["line"].as_u64().unwrap(), p["kind"].as_str().unwrap()))
        .collect();
    let last_line = file["lines"].as_u64().unwrap();
    assert_eq!(
        problems,
        [
            (stray_lines[0], "garbage"),
            (stray_lines[1], "garbage"),
            (last_line, "truncated")
        ]
    );
}

/// CloudTrail as it lands in S3: one gzip file per delivery, under
/// `AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/`. The records are those of
/// the fixture (real CloudTrail record shapes), dealt over six deliveries in two
/// regions and two days; one file is left uncompressed.
fn cloudtrail_tree(dir: &Path) -> (PathBuf, Vec<PathBuf>) {
    let fixture = workspace().join(
        "tests/fixtures/audit/cloudtrail/111122223333_CloudTrail_eu-west-1_20240501T0900Z_a1B2c3D4e5F6g7H8.json",
    );
    let document: Value = serde_json::from_slice(&std::fs::read(fixture).unwrap()).unwrap();
    let records = document["Records"].as_array().unwrap();
    let root = dir.join("trail");
    let mut files = Vec::new();
    let deliveries = 6;
    for delivery in 0..deliveries {
        let region = ["eu-west-1", "us-east-1"][delivery % 2];
        let day = 1 + delivery / 3;
        let folder = root.join(format!(
            "AWSLogs/111122223333/CloudTrail/{region}/2024/05/{day:02}"
        ));
        std::fs::create_dir_all(&folder).unwrap();
        let share: Vec<&Value> = records.iter().skip(delivery).step_by(deliveries).collect();
        let body = serde_json::json!({ "Records": share }).to_string();
        let stem =
            format!("111122223333_CloudTrail_{region}_202405{day:02}T09{delivery}0Z_x{delivery}");
        let path = if delivery == 4 {
            let path = folder.join(format!("{stem}.json"));
            std::fs::write(&path, body).unwrap();
            path
        } else {
            let path = folder.join(format!("{stem}.json.gz"));
            let mut gz = flate2::write::GzEncoder::new(
                std::fs::File::create(&path).unwrap(),
                flate2::Compression::default(),
            );
            gz.write_all(body.as_bytes()).unwrap();
            gz.finish().unwrap();
            path
        };
        files.push(path);
    }
    files.sort();
    (root, files)
}

#[test]
fn spark_reads_a_cloudtrail_tree_one_part_per_file_with_the_one_pass_report() {
    let dir = tempfile::tempdir().unwrap();
    let (root, files) = cloudtrail_tree(dir.path());
    let paths: Vec<&Path> = files.iter().map(PathBuf::as_path).collect();

    let expected = one_pass(&paths);
    let (report, job) = spark_report(dir.path(), &[], &[&root]);
    assert!(job.contains("6 files (0 split by Spark)"), "{job}");
    assert!(report == expected, "the Spark report differs from one pass");
    let parsed: Value = serde_json::from_slice(&report).unwrap();
    let gzipped: Vec<bool> = parsed["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["gzip"].as_bool().unwrap())
        .collect();
    let compressed: Vec<bool> = files
        .iter()
        .map(|f| f.extension().is_some_and(|e| e == "gz"))
        .collect();
    assert_eq!(gzipped, compressed);
    assert!(compressed.contains(&false) && compressed.contains(&true));
    assert!(parsed["totals"]["accesses"].as_u64().unwrap() > 50);
}
