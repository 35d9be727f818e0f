//! audit-analyzer through the real binary on the core's fixtures: several files in one
//! run, a garbage and a truncated line counted but not fatal, and the text (with its
//! hourly histogram) and Markdown renderings.

use serde_json::Value;
use skill_tests::{Skill, text, workspace};

fn run(args: &[&str]) -> (String, String) {
    let output = Skill::new()
        .command()
        .args(["run", "audit-analyzer"])
        .args(args)
        .output()
        .expect("run skill");
    let (stdout, stderr) = text(&output);
    assert!(output.status.success(), "{stderr}");
    (stdout, stderr)
}

#[test]
fn several_files_problems_and_renderings() {
    let fixtures = workspace().join("plugins/audit-core/tests/fixtures");
    let dir = tempfile::tempdir().unwrap();
    let mut broken = std::fs::read_to_string(fixtures.join("vault.jsonl")).unwrap();
    broken.push_str("not json at all\n{\"time\":\"2024-05-01T09:09:00Z\",\"type\":\"requ");
    let broken_path = dir.path().join("broken.jsonl");
    std::fs::write(&broken_path, broken).unwrap();
    let signals = fixtures.join("vault-signals.jsonl");
    let logs = format!("{},{}", broken_path.display(), signals.display());

    let (json, _) = run(&["--logs", &logs, "--format", "json"]);
    let out: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(out["files"].as_array().unwrap().len(), 2);
    assert_eq!(out["files"][0]["format"], "vault");
    assert_eq!(out["files"][0]["problems"], 2, "{}", out["files"][0]);
    assert_eq!(out["totals"]["problems"], 2);
    assert_eq!(out["hourly"].as_array().unwrap().len(), 24);
    assert_eq!(out["anomalies"][0]["severity"], "critical");
    assert!(out["report"].as_str().unwrap().contains("audit-disable"));

    let (report, _) = run(&["--logs", &logs, "--format", "text"]);
    assert!(report.contains("ACCESSES BY HOUR OF DAY"), "{report}");
    let nine = report
        .lines()
        .find(|l| l.trim_start().starts_with("09h"))
        .unwrap();
    assert!(nine.ends_with('#'), "a bar for the busy hour: {nine}");
    assert!(report.contains("CRITICAL"));

    let (markdown, _) = run(&["--logs", &logs, "--format", "markdown"]);
    assert!(
        markdown.contains("| severity | kind | identity |"),
        "{markdown}"
    );
    assert!(markdown.contains("| critical | audit-disable |"));
}

/// Whoever can log in can choose a display name that lands in the audit log. A
/// terminal escape or a bidirectional override in it reaches the analyst's
/// screen only as a visible escape, whatever the rendering.
#[test]
fn hostile_identities_cannot_drive_the_terminal() {
    let log = std::fs::read_to_string(workspace().join("examples/vault-audit.log")).unwrap();
    let hostile = r#""display_name":"evil\u001b[31m\u202eroot\u061c""#;
    assert!(log.contains(r#""display_name":"root""#));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hostile.log");
    std::fs::write(&path, log.replace(r#""display_name":"root""#, hostile)).unwrap();
    for format in ["text", "markdown"] {
        let (stdout, _) = run(&["--logs", path.to_str().unwrap(), "--format", format]);
        assert!(
            stdout.contains(r"evil\u{1b}[31m\u{202e}root\u{61c}"),
            "{format}: {stdout}"
        );
        for raw in ['\u{1b}', '\u{202e}', '\u{61c}'] {
            assert!(!stdout.contains(raw), "{format}: {raw:?} printed raw");
        }
    }
}
