//! references/emergency-procedures.md and emergency-playbook agree: every
//! command in the reference's fenced `sh` blocks that the tool also emits
//! (same program and first two words) must be exactly one of the tool's
//! commands, with each `<placeholder>` standing for one word.

use serde_json::{Value, json};
use skill_tests::{Skill, workspace};

/// Incidents that together make the tool emit every command form it has.
fn incidents() -> Vec<Value> {
    let at = "2026-06-01T09:30:00Z";
    let leaked = |kind: &str, mut extra: Value| {
        extra["incident"] = json!("leaked-secret");
        extra["secret_kind"] = json!(kind);
        extra["detected_at"] = json!(at);
        extra
    };
    vec![
        leaked(
            "vault-token",
            json!({"token_accessors": ["acc1"], "lease_prefixes": ["database/creds/app"],
                   "auth_mounts": ["jwt"], "audit_device": "file",
                   "kv_mount": "secret", "kv_path": "payments/db", "kv_field": "password"}),
        ),
        leaked(
            "approle-secret-id",
            json!({"approle_role": "ci", "secret_id_accessor": "acc2"}),
        ),
        leaked(
            "aws-access-key",
            json!({"aws_access_key_id": "AKIAIOSFODNN7EXAMPLE", "aws_user": "deploy"}),
        ),
        leaked(
            "gcp-service-account-key",
            json!({"gcp_service_account": "ci@proj.iam.gserviceaccount.com", "gcp_key_id": "abc123"}),
        ),
        leaked(
            "azure-client-secret",
            json!({"azure_app_id": "11111111-2222-3333-4444-555555555555",
                   "azure_key_id": "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"}),
        ),
        leaked(
            "tls-private-key",
            json!({"pki_mount": "pki", "certificate_serial": "1a:2b"}),
        ),
        json!({"incident": "seal-emergency", "detected_at": at, "ha": true}),
        json!({"incident": "unseal-recovery", "detected_at": at}),
    ]
}

/// The shell form of every command the tool emits for [`incidents`].
fn tool_commands() -> Vec<String> {
    let skill = Skill::new();
    let mut out = Vec::new();
    for input in incidents() {
        let playbook = skill.tool_json("emergency-playbook", &input);
        for step in playbook["steps"].as_array().unwrap() {
            for command in step["commands"].as_array().unwrap() {
                out.push(command["shell"].as_str().unwrap().to_owned());
            }
        }
    }
    out
}

/// Command lines inside the reference's fenced `sh` blocks.
fn reference_commands() -> Vec<String> {
    let text = std::fs::read_to_string(
        workspace().join("skill/secrets-management/references/emergency-procedures.md"),
    )
    .expect("read the reference");
    let mut out = Vec::new();
    let mut inside = false;
    for line in text.lines().map(str::trim) {
        if line.starts_with("```") {
            inside = !inside && line == "```sh";
        } else if inside && !line.is_empty() {
            out.push(line.to_owned());
        }
    }
    out
}

/// Splits a reference line into words, a `<placeholder>` (which may hold
/// spaces) staying inside its word.
fn words(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let (mut word, mut depth) = (String::new(), 0);
    for c in line.chars() {
        match c {
            '<' => depth += 1,
            '>' => depth -= 1,
            _ => {}
        }
        if c == ' ' && depth == 0 {
            if !word.is_empty() {
                out.push(std::mem::take(&mut word));
            }
        } else {
            word.push(c);
        }
    }
    if !word.is_empty() {
        out.push(word);
    }
    out
}

/// Whether a tool word fits a reference word: literal text equal, each
/// `<placeholder>` standing for one or more characters.
fn fits(pattern: &str, word: &str) -> bool {
    match pattern.find('<') {
        None => pattern == word,
        Some(start) => {
            let end = start + pattern[start..].find('>').expect("closed placeholder");
            let (prefix, rest) = (&pattern[..start], &pattern[end + 1..]);
            let Some(tail) = word.strip_prefix(prefix) else {
                return false;
            };
            // The placeholder takes at least one character, then the rest must fit.
            (1..=tail.len()).any(|n| tail.is_char_boundary(n) && fits(rest, &tail[n..]))
        }
    }
}

fn fits_line(pattern: &[String], line: &[String]) -> bool {
    pattern.len() == line.len() && pattern.iter().zip(line).all(|(p, w)| fits(p, w))
}

#[test]
fn reference_commands_match_the_tool() {
    let tool: Vec<Vec<String>> = tool_commands().iter().map(|c| words(c)).collect();
    let mut compared = 0;
    let mut mismatches = Vec::new();
    for line in reference_commands() {
        let pattern = words(&line);
        let key = &pattern[..pattern.len().min(3)];
        let same_kind: Vec<_> = tool
            .iter()
            .filter(|t| t.len() >= key.len() && fits_line(key, &t[..key.len()]))
            .collect();
        if same_kind.is_empty() {
            continue;
        }
        compared += 1;
        if !same_kind.iter().any(|t| fits_line(&pattern, t)) {
            let emitted: Vec<String> = same_kind.iter().map(|t| t.join(" ")).collect();
            mismatches.push(format!("reference `{line}` but the tool emits {emitted:?}"));
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
    // Guards against a reference whose commands the parser no longer finds.
    assert!(
        compared >= 15,
        "only {compared} reference commands compared"
    );
}

#[test]
fn placeholders_fit_one_word_only() {
    assert!(fits(
        "secret_id_accessor=<accessor>",
        "secret_id_accessor=a1"
    ));
    assert!(fits("<mount>/creds/<role>", "database/creds/app"));
    assert!(!fits("<mount>/creds/<role>", "database/roles/app"));
    assert!(!fits("secret/<key>", "secret/"));
    assert_eq!(words("a <b c> d"), ["a", "<b c>", "d"]);
}
