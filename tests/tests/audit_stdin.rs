//! Logs piped in: `--logs -` reads standard input as a stream (gzip detected, as
//! for files), named by `--stdin-name` and numbered from `--stdin-first-line`, so
//! that parts piped in by a batch engine merge into the one-pass report. The host
//! holds one piece of the stream at a time, and a writer that stalls cannot hold
//! a call past its time limit.

#[path = "../../plugins/audit-analyzer/core/tests/common/synthetic.rs"]
mod synthetic;

use std::io::Write;
use std::process::{Child, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use skill_tests::{Skill, text, workspace};

/// Runs `skill ARGS` with `bytes` written to its standard input.
fn piped(skill: &Skill, args: &[&str], bytes: &[u8]) -> Output {
    let mut child = skill
        .command()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run skill");
    let mut stdin = child.stdin.take().unwrap();
    let bytes = bytes.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&bytes); // skill may stop reading on an error
    });
    let output = child.wait_with_output().unwrap();
    writer.join().unwrap();
    output
}

fn json_of(output: &Output) -> Value {
    let (stdout, stderr) = text(output);
    assert!(output.status.success(), "{stderr}");
    serde_json::from_str(&stdout).unwrap()
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(bytes).unwrap();
    gz.finish().unwrap()
}

#[test]
fn a_log_piped_in_gives_the_report_of_the_file_gzip_or_not() {
    let skill = Skill::new();
    let dir = tempfile::tempdir().unwrap();
    let plain = workspace().join("examples/vault-audit.log");
    let bytes = std::fs::read(&plain).unwrap();
    let gz = dir.path().join("vault-audit.log.gz");
    std::fs::write(&gz, gzip(&bytes)).unwrap();

    for file in [plain.as_path(), gz.as_path()] {
        let name = file.to_str().unwrap();
        let from_file = skill.run(&["run", "audit-analyzer", "--format", "json", "--logs", name]);
        assert!(from_file.status.success(), "{}", text(&from_file).1);
        let from_stdin = piped(
            &skill,
            &[
                "run",
                "audit-analyzer",
                "--format",
                "json",
                "--logs",
                "-",
                "--stdin-name",
                name,
            ],
            &std::fs::read(file).unwrap(),
        );
        assert!(from_stdin.status.success(), "{}", text(&from_stdin).1);
        assert_eq!(
            text(&from_stdin).0,
            text(&from_file).0,
            "{name} piped in is reported as the file"
        );
    }
    // Unnamed, standard input is `-`.
    let unnamed = json_of(&piped(
        &skill,
        &["run", "audit-analyzer", "--format", "json", "--logs", "-"],
        &bytes,
    ));
    assert_eq!(unnamed["files"][0]["path"], "-");
    assert!(unnamed["totals"]["accesses"].as_u64().unwrap() > 0);
}

/// A Vault log of `pairs` request/response pairs with a garbage line at `garbage`.
fn log_with_garbage(pairs: u64, garbage: usize) -> Vec<u8> {
    let mut log = Vec::new();
    synthetic::write_vault_log(&synthetic::Spec::default(), pairs, &mut log).unwrap();
    let text = String::from_utf8(log).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    lines.insert(garbage - 1, "not json at all");
    let mut out = lines.join("\n");
    out.push('\n');
    out.into_bytes()
}

/// `skill run audit-analyzer --jobs 1 --format json --logs LOG`: the one-pass report.
fn one_pass(skill: &Skill, log: &str) -> Output {
    skill.run(&[
        "run",
        "audit-analyzer",
        "--format",
        "json",
        "--jobs",
        "1",
        "--logs",
        log,
    ])
}

/// [`log_with_garbage`] written to `audit.log` in a new folder.
fn written_log(pairs: u64, garbage: usize) -> (tempfile::TempDir, std::path::PathBuf, Vec<u8>) {
    let dir = tempfile::tempdir().unwrap();
    let log = log_with_garbage(pairs, garbage);
    let path = dir.path().join("audit.log");
    std::fs::write(&path, &log).unwrap();
    (dir, path, log)
}

/// The byte offset where line `line` (1-based) starts.
fn line_start(bytes: &[u8], line: usize) -> usize {
    bytes
        .iter()
        .enumerate()
        .filter(|(_, b)| **b == b'\n')
        .nth(line - 2)
        .map(|(i, _)| i + 1)
        .unwrap()
}

#[test]
fn parts_piped_in_with_their_first_line_report_whole_file_lines_and_merge_to_one_pass() {
    let skill = Skill::new();
    let (dir, path, log) = written_log(400, 700);
    let name = path.to_str().unwrap();
    let cut_line = 501;
    let cut = line_start(&log, cut_line);

    let state = |bytes: &[u8], first_line: Option<usize>| {
        let mut args = vec![
            "run",
            "audit-state",
            "--format",
            "json",
            "--logs",
            "-",
            "--stdin-name",
            name,
        ];
        let first = first_line.map(|n| n.to_string());
        if let Some(first) = &first {
            args.extend(["--stdin-first-line", first]);
        }
        json_of(&piped(&skill, &args, bytes))
    };
    let first = state(&log[..cut], None);
    let second = state(&log[cut..], Some(cut_line));
    // The second part reports its garbage at its line in the whole file.
    assert_eq!(second["files"][0]["first_problems"][0]["line"], 700);
    assert_eq!(second["files"][0]["first_line"], cut_line);

    let merge = |states: Vec<Value>| {
        let input = dir.path().join("merge.json");
        std::fs::write(&input, json!({ "states": states }).to_string()).unwrap();
        skill.run(&[
            "run",
            "audit-analyzer",
            "--format",
            "json",
            "--input",
            &format!("@{}", input.display()),
        ])
    };
    let merged = merge(vec![first.clone(), second.clone()]);
    let whole = one_pass(&skill, name);
    assert_eq!(text(&merged).0, text(&whole).0, "{}", text(&merged).1);

    // Without its first line, the merge numbers the second part after the first.
    let unnumbered = state(&log[cut..], None);
    assert_eq!(unnumbered["files"][0]["first_problems"][0]["line"], 200);
    assert_eq!(
        text(&merge(vec![first.clone(), unnumbered])).0,
        text(&whole).0
    );

    // A part that says it starts elsewhere is refused, not misnumbered.
    let misplaced = state(&log[cut..], Some(cut_line + 1));
    let refused = merge(vec![first, misplaced]);
    let (_, stderr) = text(&refused);
    assert_eq!(refused.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("/states/1"), "{stderr}");
    assert!(
        stderr.contains("starting at line 502 does not follow one ending at line 500"),
        "{stderr}"
    );
}

/// A batch engine with more states than one call takes merges them in rounds:
/// `audit-state --states` folds consecutive states into one unfinished state, which
/// merges again like any part's, to the one-pass report.
#[test]
fn states_merged_in_rounds_give_the_one_pass_report() {
    let skill = Skill::new();
    let (dir, path, log) = written_log(600, 900);
    let name = path.to_str().unwrap();
    let mut bounds = vec![0];
    bounds.extend([301, 650, 899, 1000].map(|line| line_start(&log, line)));
    bounds.push(log.len());
    let parts: Vec<Value> = bounds
        .windows(2)
        .map(|pair| {
            let args = [
                "run",
                "audit-state",
                "--format",
                "json",
                "--logs",
                "-",
                "--stdin-name",
                name,
            ];
            json_of(&piped(&skill, &args, &log[pair[0]..pair[1]]))
        })
        .collect();
    let call = |tool: &str, input: Value| {
        let file = dir.path().join("input.json");
        std::fs::write(&file, input.to_string()).unwrap();
        let at = format!("@{}", file.display());
        skill.run(&["run", tool, "--format", "json", "--input", &at])
    };
    let merge_state = |states: &[Value]| json_of(&call("audit-state", json!({ "states": states })));

    let first_three = merge_state(&parts[..3]);
    let last_two = merge_state(&parts[3..]);
    // A merged state is a state: one report per file, whole-file line numbers.
    assert_eq!(first_three["files"].as_array().unwrap().len(), 1);
    assert_eq!(first_three["files"][0]["lines"], 898);
    // Parts piped in without their first line number keep numbering from their own
    // first line (the garbage at line 900 is the second line of the part from 899)
    // until they are merged after the parts before them.
    assert_eq!(last_two["files"][0]["first_problems"][0]["line"], 2);
    let again = merge_state(&[
        merge_state(std::slice::from_ref(&first_three)),
        last_two.clone(),
    ]);

    let whole = one_pass(&skill, name);
    for states in [vec![first_three, last_two], vec![again], parts.clone()] {
        let merged = call("audit-analyzer", json!({ "states": states }));
        assert_eq!(text(&merged).0, text(&whole).0, "{}", text(&merged).1);
    }

    // Logs and states are two ways to give the input, never both; one is needed.
    for (input, pointer) in [
        (json!({ "logs": [name], "states": [parts[0]] }), "/states"),
        (json!({}), "/logs"),
        (
            json!({ "states": [parts[0]], "stdin_name": "x" }),
            "/stdin_name",
        ),
    ] {
        let refused = call("audit-state", input);
        let (_, stderr) = text(&refused);
        assert_eq!(refused.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains(pointer), "{pointer}: {stderr}");
    }
}

#[test]
fn standard_input_is_read_once_and_only_when_named() {
    let skill = Skill::new();
    let log = std::fs::read(workspace().join("examples/vault-audit.log")).unwrap();
    for (args, pointer, words) in [
        (
            vec!["run", "audit-analyzer", "--logs", "-", "--baseline", "-"],
            "/baseline/0",
            "standard input is read once, and /logs/0 is `-` already",
        ),
        (
            vec!["run", "audit-analyzer", "--input", "-", "--logs", "-"],
            "/logs/0",
            "which this call cannot read",
        ),
        (
            vec![
                "run",
                "audit-state",
                "--logs",
                "examples/vault-audit.log",
                "--stdin-name",
                "x.log",
            ],
            "/stdin_name",
            "no log is `-`",
        ),
    ] {
        let input = if args.contains(&"--input") {
            br#"{"top": 3}"#.to_vec()
        } else {
            log.clone()
        };
        let output = piped(&skill, &args, &input);
        let (_, stderr) = text(&output);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(
            stderr.contains(pointer) && stderr.contains(words),
            "{args:?}: {stderr}"
        );
    }
}

/// `skill ARGS` reading from a pipe whose writer is kept open by the test.
fn with_open_pipe(skill: &Skill, args: &[&str]) -> (Child, std::process::ChildStdin) {
    let mut child = skill
        .command()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run skill");
    let stdin = child.stdin.take().unwrap();
    (child, stdin)
}

#[test]
fn a_stalled_writer_cannot_hold_a_call_past_its_time_limit() {
    let skill = Skill::new();
    let (child, mut stdin) = with_open_pipe(
        &skill,
        &["--timeout", "2", "run", "audit-analyzer", "--logs", "-"],
    );
    // Some records, then nothing, with the pipe still open.
    stdin
        .write_all(&std::fs::read(workspace().join("examples/vault-audit.log")).unwrap())
        .unwrap();
    let started = Instant::now();
    // The writer goes away in 20 s: a host that waited for it would end then.
    std::thread::spawn(move || {
        std::thread::sleep(Duration::from_secs(20));
        drop(stdin);
    });
    let output = child.wait_with_output().unwrap();
    let waited = started.elapsed();
    let (_, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("time limit of 2 s"), "{stderr}");
    assert!(waited < Duration::from_secs(10), "took {waited:?}");
}

/// Peak resident memory of a running process, in MB (VmHWM only grows).
fn peak_mb(pid: u32) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    Some(line.split_whitespace().nth(1)?.parse::<f64>().ok()? / 1024.0)
}

#[test]
fn a_large_stream_is_read_in_bounded_pieces() {
    let skill = Skill::new();
    let (mut child, mut stdin) = with_open_pipe(
        &skill,
        &["run", "audit-state", "--format", "json", "--logs", "-"],
    );
    let pid = child.id();
    let mut stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut state = Vec::new();
        std::io::Read::read_to_end(&mut stdout, &mut state).unwrap();
        state
    });
    // 200 MB of log, from a generator: more than the host could hold whole within
    // the bound checked below.
    let writer = std::thread::spawn(move || {
        let mut log = Vec::new();
        synthetic::write_vault_log(&synthetic::Spec::default(), 20_000, &mut log).unwrap();
        let mut written = 0u64;
        while written < 200_000_000 {
            stdin.write_all(&log).unwrap();
            written += log.len() as u64;
        }
        written
    });
    let mut peak = 0.0f64;
    while child.try_wait().unwrap().is_none() {
        peak = peak.max(peak_mb(pid).unwrap_or(0.0));
        std::thread::sleep(Duration::from_millis(20));
    }
    let written = writer.join().unwrap();
    assert!(child.wait().unwrap().success());
    let state: Value = serde_json::from_slice(&reader.join().unwrap()).unwrap();
    assert_eq!(state["files"][0]["bytes"].as_u64(), Some(written));
    assert!(
        peak < 150.0,
        "peak RSS {peak:.0} MB while reading {written} bytes from a pipe"
    );
}
