//! vault-config and policy-lint through the real `skill` command line: flags
//! made from the schema, renderings, exit statuses, and same bytes per input.

use skill_tests::{Skill, text};

const CONFIG: &[&str] = &[
    "run",
    "vault-config",
    "--app-name",
    "payment",
    "--auth-method",
    "approle",
    "--secrets",
    "db-creds,api-key,encryption",
    "--environments",
    "production,staging",
    "--flavour",
    "openbao",
];

#[test]
fn flags_work_and_every_rendering_is_reproducible() {
    let skill = Skill::new();
    for format in ["text", "json", "markdown"] {
        let args: Vec<&str> = CONFIG.iter().copied().chain(["--format", format]).collect();
        let first = skill.run(&args);
        let second = skill.run(&args);
        let (stdout, stderr) = text(&first);
        assert!(first.status.success(), "{format}: {stderr}");
        assert_eq!(first.stdout, second.stdout, "{format} differs between runs");
        assert!(
            stdout.contains("transit/decrypt/payment-staging-key"),
            "{format}: {stdout}"
        );
    }
    let args: Vec<&str> = CONFIG
        .iter()
        .copied()
        .chain(["--format", "markdown"])
        .collect();
    let (markdown, _) = text(&skill.run(&args));
    assert!(markdown.starts_with("# vault-config: `payment`"));
    assert!(markdown.contains("```hcl\n# openbao policy for app payment, environment production"));
    assert!(
        markdown.contains("bao write -wrap-ttl=5m -f auth/approle/role/payment-staging/secret-id")
    );
}

#[test]
fn a_hostile_name_is_bad_input_naming_the_field() {
    let skill = Skill::new();
    let output = skill.run(&[
        "run",
        "vault-config",
        "--app-name",
        "pay\"\npath \"sys/*\"",
        "--auth-method",
        "approle",
        "--secrets",
        "config",
    ]);
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stdout.is_empty());
    assert!(
        stderr.contains("/app_name") && stderr.contains("'\"'"),
        "{stderr}"
    );
}

#[test]
fn policy_lint_renders_and_gates() {
    let skill = Skill::new();
    let policy = "path \"secret/*\" {\n  capabilities = [\"create\", \"update\", \"sudo\"]\n}\n";
    let output = skill.run(&[
        "run",
        "policy-lint",
        "--policy",
        policy,
        "--format",
        "markdown",
    ]);
    let (stdout, stderr) = text(&output);
    assert!(output.status.success(), "{stderr}");
    assert!(
        stdout.contains("| high | 1 | `secret/*` | wildcard-grant |"),
        "{stdout}"
    );
    assert!(stdout.contains("needless-sudo"));
    let gate = skill.run(&[
        "run",
        "policy-lint",
        "--policy",
        policy,
        "--fail-on",
        "critical",
    ]);
    assert!(
        gate.status.success(),
        "no critical finding, so the gate passes"
    );
    let gate = skill.run(&[
        "run",
        "policy-lint",
        "--policy",
        policy,
        "--fail-on",
        "medium",
    ]);
    assert_eq!(gate.status.code(), Some(1));
    let invalid = skill.run(&[
        "run",
        "policy-lint",
        "--policy",
        "path \"a\" {\n  capabilities = [\"reed\"]\n}\n",
        "--fail-on",
        "critical",
    ]);
    let (_, stderr) = text(&invalid);
    assert_eq!(invalid.status.code(), Some(1));
    assert!(stderr.contains("line 2, column 19"), "{stderr}");
}

#[test]
fn policy_lint_reads_a_granted_file() {
    let skill = Skill::new();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("app.hcl");
    std::fs::write(
        &file,
        "path \"secret/data/app/x\" {\n  capabilities = [\"read\"]\n}\n\npath \"secret/data/app/\" {\n  capabilities = [\"list\"]\n}\n",
    )
    .unwrap();
    let output = skill.run(&[
        "run",
        "policy-lint",
        "--policy-file",
        file.to_str().unwrap(),
        "--format",
        "json",
    ]);
    let (stdout, stderr) = text(&output);
    assert!(output.status.success(), "{stderr}");
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(report["valid"], true);
    assert_eq!(report["findings"][0]["rule"], "kv2-list-on-data");
    assert_eq!(report["findings"][0]["line"], 5);
}

#[test]
fn out_writes_the_policy_payload_and_terraform_files() {
    let skill = Skill::new();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("vault");
    let args: Vec<&str> = CONFIG
        .iter()
        .copied()
        .chain(["--format", "json", "--out", out.to_str().unwrap()])
        .collect();
    let output = skill.run(&args);
    let (stdout, stderr) = text(&output);
    assert!(output.status.success(), "{stderr}");
    let config: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let files = config["files"].as_array().unwrap();
    let names: Vec<&str> = files.iter().map(|f| f["path"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        [
            "payment-production.hcl",
            "payment-production.role.json",
            "payment-staging.hcl",
            "payment-staging.role.json",
            "main.tf"
        ]
    );
    for file in files {
        let written = std::fs::read_to_string(out.join(file["path"].as_str().unwrap())).unwrap();
        assert_eq!(written, file["content"].as_str().unwrap());
    }
}
