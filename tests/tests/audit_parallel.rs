//! audit-analyzer on all cores: `skill run` cuts a large log into line-aligned parts,
//! reads each in its own sandbox with `audit-state`, and merges the states; the
//! report must be byte-identical to one pass, problem line numbers included. The
//! same states, made by hand per part, are what a batch engine would merge.

#[path = "../../plugins/audit-analyzer/core/tests/common/synthetic.rs"]
mod synthetic;

use std::io::Write;
use std::path::Path;

use serde_json::{Value, json};
use skill_tests::{Skill, text};

/// A generated Vault log of about 12 MB (more than two parts' minimum), with a
/// garbage line at `garbage_line` and a truncated last record.
fn big_log(dir: &Path, garbage_line: usize) -> std::path::PathBuf {
    let spec = synthetic::Spec {
        seed: 7,
        identities: 40,
        paths: 200,
        addresses: 90,
        error_percent: 6,
        ..synthetic::Spec::default()
    };
    let mut log = Vec::new();
    synthetic::write_vault_log(&spec, 4_800, &mut log).unwrap();
    let text = String::from_utf8(log).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    assert!(lines.len() > garbage_line, "the log is long enough");
    lines.insert(garbage_line - 1, "kernel: oom-killer woke up <not json>");
    let path = dir.join("vault-audit.log");
    let mut file = std::fs::File::create(&path).unwrap();
    for line in &lines {
        writeln!(file, "{line}").unwrap();
    }
    file.write_all(br#"{"time":"2024-05-01T09:00:00Z","type":"requ"#)
        .unwrap();
    path
}

/// `skill --jobs N run audit-analyzer --logs PATH --format json`: stdout, stderr.
fn analyse(skill: &Skill, jobs: &str, path: &Path) -> (String, String) {
    let output = skill
        .command()
        .env("RUST_LOG", "skill=debug")
        .args([
            "--jobs",
            jobs,
            "run",
            "audit-analyzer",
            "--format",
            "json",
            "--logs",
        ])
        .arg(path)
        .output()
        .expect("run skill");
    let (stdout, stderr) = text(&output);
    assert!(output.status.success(), "jobs {jobs}: {stderr}");
    (stdout, stderr)
}

#[test]
fn a_large_log_read_on_all_cores_gives_exactly_the_one_pass_report() {
    let dir = tempfile::tempdir().unwrap();
    let garbage_line = 7_001; // in the second half of about 9,600 lines
    let log = big_log(dir.path(), garbage_line);
    let skill = Skill::new();

    let (one_pass, stderr) = analyse(&skill, "1", &log);
    assert!(
        !stderr.contains("parallel run"),
        "--jobs 1 reads in one pass"
    );
    let (parallel, stderr) = analyse(&skill, "3", &log);
    assert!(
        stderr.contains("parallel run merged"),
        "--jobs 3 splits a 12 MB log: {stderr}"
    );
    assert_eq!(
        parallel, one_pass,
        "the merged report is the one-pass report"
    );

    // And the report is right, not merely the same: the garbage line keeps its
    // place in the whole file although a later part read it.
    let report: Value = serde_json::from_str(&parallel).unwrap();
    let file = &report["files"][0];
    let problems: Vec<(u64, &str)> = file["first_problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["line"].as_u64().unwrap(), p["kind"].as_str().unwrap()))
        .collect();
    let last_line = file["lines"].as_u64().unwrap();
    assert_eq!(
        problems,
        [(garbage_line as u64, "garbage"), (last_line, "truncated")]
    );
    assert_eq!(
        report["totals"]["by_outcome"]["success"]
            .as_u64()
            .map(|n| n > 0),
        Some(true)
    );
}

#[test]
fn states_of_separately_analysed_parts_merge_into_the_whole_files_report() {
    let dir = tempfile::tempdir().unwrap();
    let log = big_log(dir.path(), 10);
    let bytes = std::fs::read(&log).unwrap();
    // Cut at a line start in the middle: some requests' responses are in the second half.
    let middle = bytes.len() / 2;
    let cut = middle + bytes[middle..].iter().position(|b| *b == b'\n').unwrap() + 1;
    let (first, second) = (dir.path().join("first.log"), dir.path().join("second.log"));
    std::fs::write(&first, &bytes[..cut]).unwrap();
    std::fs::write(&second, &bytes[cut..]).unwrap();

    let skill = Skill::new();
    let state = |path: &Path| skill.tool_json("audit-state", &json!({"logs": [path]}));
    // States are large: too large for a command line, so they go in a file.
    let states = dir.path().join("states.json");
    let input = json!({"states": [state(&first), state(&second)]});
    std::fs::write(&states, input.to_string()).unwrap();
    let output = skill.run(&[
        "run",
        "audit-analyzer",
        "--format",
        "json",
        "--input",
        &format!("@{}", states.display()),
    ]);
    let (stdout, stderr) = text(&output);
    assert!(output.status.success(), "{stderr}");
    let merged: Value = serde_json::from_str(&stdout).unwrap();
    let whole = skill.tool_json("audit-analyzer", &json!({"logs": [log]}));

    for field in ["totals", "top_identities", "top_paths", "hourly"] {
        assert_eq!(merged[field], whole[field], "{field}");
    }
    assert!(whole["totals"]["accesses"].as_u64().unwrap() > 4_000);
    // The same findings; each names the parts its records were in instead of the
    // whole file.
    let (first, second) = (first.to_str().unwrap(), second.to_str().unwrap());
    let merged = merged["anomalies"].as_array().unwrap();
    let whole = whole["anomalies"].as_array().unwrap();
    assert_eq!(merged.len(), whole.len());
    for (mut part, mut one) in merged.iter().cloned().zip(whole.iter().cloned()) {
        let named = part["files"].take();
        assert_eq!(one["files"].take(), json!([log.to_str().unwrap()]));
        assert!(
            [json!([first]), json!([second]), json!([first, second])].contains(&named),
            "{named}"
        );
        assert_eq!(part, one);
    }
    assert!(merged.iter().any(|a| a["files"] == json!([first, second])));
}

#[test]
fn a_state_of_another_layout_is_refused_with_its_pointer() {
    let skill = Skill::new();
    let mut state = skill.tool_json(
        "audit-state",
        &json!({"logs": ["examples/vault-audit.log"]}),
    );
    state["state_version"] = json!(99);
    let input = json!({"states": [state]});
    let output = skill.run(&["run", "audit-analyzer", "--input", &input.to_string()]);
    let (_, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("/states/0/state_version"), "{stderr}");
}
