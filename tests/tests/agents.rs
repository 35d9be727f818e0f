//! `skill install --agent ...` and `skill uninstall` through the real binary,
//! with a private HOME and project directory.

use std::path::Path;
use std::process::Output;

use serde_json::{Value, json};
use skill_tests::{skill_bin, text};

fn skill(home: &Path, project: &Path, args: &[&str]) -> Output {
    std::process::Command::new(skill_bin())
        .args(args)
        .env("HOME", home)
        .env_remove("CODEX_HOME")
        .env("SKILL_HOME", home.join("skill-home"))
        .current_dir(project)
        .output()
        .unwrap()
}

fn ok(output: Output) -> String {
    let (stdout, stderr) = text(&output);
    assert!(output.status.success(), "{stderr}");
    stdout
}

#[test]
fn claude_code_install_is_idempotent_keeps_other_entries_and_uninstalls() {
    let home = tempfile::tempdir().unwrap();
    let project = tempfile::tempdir().unwrap();
    let config = home.path().join(".claude.json");
    let theirs =
        json!({"numStartups": 3, "mcpServers": {"other": {"command": "other", "args": []}}});
    std::fs::write(&config, serde_json::to_string(&theirs).unwrap()).unwrap();

    ok(skill(
        home.path(),
        project.path(),
        &["install", "--agent", "claude-code"],
    ));
    let skill_dir = home.path().join(".claude/skills/secrets-management");
    let skill_md = std::fs::read_to_string(skill_dir.join("SKILL.md")).unwrap();
    assert!(
        skill_md.starts_with("---\nname: secrets-management\n"),
        "{skill_md}"
    );
    assert!(
        !skill_md.contains("](../"),
        "links must stay inside the installed folder"
    );
    for reference in ["tools.md", "vault-patterns.md", "rotation-standards.md"] {
        assert!(
            skill_dir.join("references").join(reference).is_file(),
            "{reference} missing"
        );
    }
    let written: Value = serde_json::from_str(&std::fs::read_to_string(&config).unwrap()).unwrap();
    assert_eq!(written["numStartups"], 3);
    assert_eq!(written["mcpServers"]["other"]["command"], "other");
    assert_eq!(
        written["mcpServers"]["skill"]["command"],
        skill_bin().to_str().unwrap()
    );
    assert_eq!(written["mcpServers"]["skill"]["args"], json!(["mcp"]));

    let before = std::fs::read(&config).unwrap();
    let again = ok(skill(
        home.path(),
        project.path(),
        &["install", "--agent", "claude-code"],
    ));
    assert!(
        again.lines().all(|line| line.starts_with("unchanged ")),
        "{again}"
    );
    assert_eq!(std::fs::read(&config).unwrap(), before);

    ok(skill(
        home.path(),
        project.path(),
        &["uninstall", "--agent", "claude-code"],
    ));
    assert!(!skill_dir.exists());
    let left: Value = serde_json::from_str(&std::fs::read_to_string(&config).unwrap()).unwrap();
    assert_eq!(
        left,
        theirs
            .as_object()
            .map(|o| {
                let mut o = o.clone();
                o.insert(
                    "mcpServers".into(),
                    json!({"other": {"command": "other", "args": []}}),
                );
                Value::Object(o)
            })
            .unwrap()
    );
}

#[test]
fn codex_dry_run_writes_nothing_and_project_scope_lands_in_the_project() {
    let home = tempfile::tempdir().unwrap();
    let project = tempfile::tempdir().unwrap();
    let plan = ok(skill(
        home.path(),
        project.path(),
        &["install", "--agent", "codex", "--dry-run"],
    ));
    assert!(
        plan.contains(&format!(
            "would write {}",
            home.path().join(".codex/config.toml").display()
        )),
        "{plan}"
    );
    assert!(plan.contains("[mcp_servers.skill]"), "{plan}");
    assert!(
        !home.path().join(".codex").exists() && !home.path().join(".agents").exists(),
        "dry run wrote files"
    );

    ok(skill(
        home.path(),
        project.path(),
        &["install", "--agent", "codex", "--scope", "project"],
    ));
    assert!(
        project
            .path()
            .join(".agents/skills/secrets-management/SKILL.md")
            .is_file()
    );
    let config = std::fs::read_to_string(project.path().join(".codex/config.toml")).unwrap();
    assert!(
        config.contains(&format!(
            "[mcp_servers.skill]\ncommand = {:?}\nargs = [\"mcp\"]",
            skill_bin().to_str().unwrap()
        )),
        "{config}"
    );
}

#[test]
fn a_foreign_skill_folder_is_never_removed() {
    let home = tempfile::tempdir().unwrap();
    let project = tempfile::tempdir().unwrap();
    let theirs = home.path().join(".claude/skills/secrets-management");
    std::fs::create_dir_all(&theirs).unwrap();
    std::fs::write(theirs.join("SKILL.md"), "---\nname: someone-else\n---\n").unwrap();
    let output = skill(
        home.path(),
        project.path(),
        &["uninstall", "--agent", "claude-code"],
    );
    assert_eq!(output.status.code(), Some(2));
    assert!(theirs.join("SKILL.md").exists());
}
