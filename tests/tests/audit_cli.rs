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
    let fixtures = workspace().join("plugins/audit-analyzer/core/tests/fixtures");
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
    // Each finding names the files its records came from and the time it judged.
    let signals_name = signals.to_str().unwrap();
    let disable = out["anomalies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["kind"] == "audit-disable")
        .unwrap();
    assert_eq!(disable["files"], serde_json::json!([signals_name]));
    assert_eq!(disable["window"]["from"], out["totals"]["first"]);
    assert_eq!(disable["window"]["to"], out["totals"]["last"]);

    let (report, _) = run(&["--logs", &logs, "--format", "text"]);
    assert!(report.contains("ACCESSES BY HOUR OF DAY"), "{report}");
    let nine = report
        .lines()
        .find(|l| l.trim_start().starts_with("09h"))
        .unwrap();
    assert!(nine.ends_with('#'), "a bar for the busy hour: {nine}");
    assert!(report.contains("CRITICAL"));
    let judged = format!(
        "judged {} to {}; in {signals_name}",
        out["totals"]["first"].as_str().unwrap(),
        out["totals"]["last"].as_str().unwrap()
    );
    assert!(report.contains(&judged), "{judged} in {report}");

    let (markdown, _) = run(&["--logs", &logs, "--format", "markdown"]);
    assert!(
        markdown.contains("| severity | kind | identity |"),
        "{markdown}"
    );
    assert!(markdown.contains("| critical | audit-disable |"));
    assert!(
        markdown.contains(&format!(" | {signals_name} |")),
        "{markdown}"
    );
}

/// The shipped example log with root's display name replaced by `name` (JSON text).
fn log_with_display_name(dir: &std::path::Path, name: &str) -> String {
    let log = std::fs::read_to_string(workspace().join("examples/vault-audit.log")).unwrap();
    assert!(log.contains(r#""display_name":"root""#));
    let path = dir.join("hostile.log");
    let hostile = format!(r#""display_name":"{name}""#);
    std::fs::write(&path, log.replace(r#""display_name":"root""#, &hostile)).unwrap();
    path.to_str().unwrap().to_owned()
}

/// Whoever can log in can choose a display name that lands in the audit log. A
/// terminal escape or a bidirectional override in it reaches the analyst's
/// screen only as a visible escape, whatever the rendering.
#[test]
fn hostile_identities_cannot_drive_the_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let path = log_with_display_name(dir.path(), r"evil\u001b[31m\u202eroot\u061c");
    // Markdown also escapes the bracket, which could start a link.
    for (format, shown) in [
        ("text", r"evil\u{1b}[31m\u{202e}root\u{61c}"),
        ("markdown", r"evil\u{1b}\[31m\u{202e}root\u{61c}"),
    ] {
        let (stdout, _) = run(&["--logs", &path, "--format", format]);
        assert!(stdout.contains(shown), "{format}: {stdout}");
        for raw in ['\u{1b}', '\u{202e}', '\u{61c}'] {
            assert!(!stdout.contains(raw), "{format}: {raw:?} printed raw");
        }
    }
}

/// A line break is no terminal control, so the host prints it: the plugin's own
/// renderings must keep a name on its line, or it could add a forged finding to
/// the report that people, files and agents read.
#[test]
fn a_hostile_identity_cannot_forge_a_line_of_the_report() {
    let dir = tempfile::tempdir().unwrap();
    let path = log_with_display_name(
        dir.path(),
        r"root\n  CRITICAL audit-disable forged\r\u2028|",
    );
    for format in ["text", "markdown"] {
        let (stdout, _) = run(&["--logs", &path, "--format", format]);
        assert!(
            !stdout.lines().any(
                |line| line.contains("CRITICAL audit-disable forged") && !line.contains("root")
            ),
            "{format}: a forged line\n{stdout}"
        );
        assert!(!stdout.contains('\u{2028}'), "{format}: {stdout}");
    }
    let (text, _) = run(&["--logs", &path, "--format", "text"]);
    assert!(
        text.contains(r"root\n  CRITICAL audit-disable forged\r\u{2028}|"),
        "{text}"
    );
    let (markdown, _) = run(&["--logs", &path, "--format", "markdown"]);
    assert!(
        markdown.contains(r"root<br>  CRITICAL audit-disable forged<br>\u{2028}\|"),
        "{markdown}"
    );
}
