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
    // One line per file, then the next step.
    let (files, next) = again.split_once("\n\n").unwrap();
    assert!(
        files.lines().all(|line| line.starts_with("unchanged ")),
        "{again}"
    );
    assert!(next.starts_with("Next: "), "{again}");
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
            "would set [mcp_servers.skill] in {} (the rest of the file unchanged):\n\
             [mcp_servers.skill]\ncommand = {:?}\nargs = [\"mcp\"]\n",
            home.path().join(".codex/config.toml").display(),
            skill_bin().to_str().unwrap()
        )),
        "{plan}"
    );
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
        config.starts_with("[mcp_servers.skill]\ncommand = \"sh\"\nargs = [\"-c\", "),
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

/// The user-scope configuration of each agent, relative to HOME, with what a
/// user keeps there that is none of our business.
const USER_CONFIGS: [(&str, &str, &str); 2] = [
    (
        "claude-code",
        ".claude.json",
        r#"{"numStartups": 3, "userID": "the-users-id", "projects": {"/home/a/secret-project": {}}}"#,
    ),
    (
        "codex",
        ".codex/config.toml",
        "# the user's\nmodel = \"the-users-model\"\n\n[projects.\"/home/a/secret-project\"]\ntrust_level = \"trusted\"\n",
    ),
];

/// What a user's file says, in the parts that are not ours.
fn theirs_kept(text: &str) -> bool {
    text.contains("the-users-") && text.contains("/home/a/secret-project")
}

#[cfg(unix)]
#[test]
fn config_files_are_edited_through_their_links_and_keep_their_mode() {
    use std::os::unix::fs::PermissionsExt as _;
    for (agent, config, content) in USER_CONFIGS {
        let home = tempfile::tempdir().unwrap();
        let project = tempfile::tempdir().unwrap();
        // A dotfile manager's layout: the file in a repository, a relative link in HOME.
        let dotfile = home.path().join("dotfiles").join(agent);
        std::fs::create_dir_all(dotfile.parent().unwrap()).unwrap();
        std::fs::write(&dotfile, content).unwrap();
        std::fs::set_permissions(&dotfile, std::fs::Permissions::from_mode(0o644)).unwrap();
        let link = home.path().join(config);
        std::fs::create_dir_all(link.parent().unwrap()).unwrap();
        let up = "../".repeat(config.matches('/').count());
        std::os::unix::fs::symlink(format!("{up}dotfiles/{agent}"), &link).unwrap();
        let is_link = || {
            std::fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        };

        let report = ok(skill(
            home.path(),
            project.path(),
            &["install", "--agent", agent],
        ));
        assert!(
            report.contains(&format!("(through the link to {})", dotfile.display())),
            "{agent}: {report}"
        );
        assert!(is_link(), "{agent}: the link was replaced");
        let written = std::fs::read_to_string(&dotfile).unwrap();
        assert!(theirs_kept(&written), "{agent}: {written}");
        assert!(
            written.contains(skill_bin().to_str().unwrap()),
            "{agent}: {written}"
        );
        let mode = std::fs::metadata(&dotfile).unwrap().permissions().mode() & 0o7777;
        assert_eq!(mode, 0o644, "{agent}: mode changed");

        ok(skill(
            home.path(),
            project.path(),
            &["uninstall", "--agent", agent],
        ));
        assert!(is_link(), "{agent}: the link was replaced");
        let left = std::fs::read_to_string(&dotfile).unwrap();
        assert!(
            theirs_kept(&left) && !left.contains(skill_bin().to_str().unwrap()),
            "{agent}: {left}"
        );
    }
}

#[cfg(unix)]
#[test]
fn a_new_user_config_is_private_and_new_project_files_follow_the_umask() {
    use std::os::unix::fs::PermissionsExt as _;
    let mode = |path: &Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
    let home = tempfile::tempdir().unwrap();
    let project = tempfile::tempdir().unwrap();
    for (agent, config, _) in USER_CONFIGS {
        ok(skill(
            home.path(),
            project.path(),
            &["install", "--agent", agent],
        ));
        assert_eq!(mode(&home.path().join(config)), 0o600, "{agent}");
    }
    ok(skill(
        home.path(),
        project.path(),
        &["install", "--agent", "claude-code", "--scope", "project"],
    ));
    let shared = [
        project.path().join(".mcp.json"),
        project
            .path()
            .join(".claude/skills/secrets-management/SKILL.md"),
    ];
    for path in shared {
        // 0666 less the umask: readable by its owner, never executable.
        let mode = mode(&path);
        assert_eq!(mode & 0o711, 0o600, "{}: {mode:o}", path.display());
    }
}

#[test]
fn dry_run_shows_our_entry_and_nothing_else_of_the_file() {
    for (agent, config, content) in USER_CONFIGS {
        let home = tempfile::tempdir().unwrap();
        let project = tempfile::tempdir().unwrap();
        let path = home.path().join(config);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, content).unwrap();
        let plan = ok(skill(
            home.path(),
            project.path(),
            &["install", "--agent", agent, "--dry-run"],
        ));
        assert!(
            !plan.contains("the-users-") && !plan.contains("secret-project"),
            "{agent}: {plan}"
        );
        assert!(
            plan.contains(skill_bin().to_str().unwrap()),
            "{agent}: {plan}"
        );
        assert_eq!(std::fs::read_to_string(&path).unwrap(), content, "{agent}");
    }
}

#[test]
fn an_entry_named_skill_that_runs_something_else_is_kept_without_force() {
    let foreign = [
        (
            "claude-code",
            ".claude.json",
            r#"{"mcpServers": {"skill": {"command": "npx", "args": ["-y", "their-skill-server"]}}}"#,
        ),
        (
            "codex",
            ".codex/config.toml",
            "[mcp_servers.skill]\ncommand = \"npx\"\nargs = [\"-y\", \"their-skill-server\"]\n",
        ),
    ];
    for (agent, config, content) in foreign {
        let home = tempfile::tempdir().unwrap();
        let project = tempfile::tempdir().unwrap();
        let path = home.path().join(config);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, content).unwrap();
        for command in ["install", "uninstall"] {
            let output = skill(home.path(), project.path(), &[command, "--agent", agent]);
            let (_, stderr) = text(&output);
            assert_eq!(output.status.code(), Some(2), "{agent} {command}: {stderr}");
            assert!(
                stderr.contains("--force") && stderr.contains("npx"),
                "{stderr}"
            );
            assert_eq!(
                std::fs::read_to_string(&path).unwrap(),
                content,
                "{agent} {command}"
            );
        }
        assert!(
            !home.path().join(".claude/skills").exists() && !home.path().join(".agents").exists(),
            "{agent}: a refused install wrote the skill"
        );
        ok(skill(
            home.path(),
            project.path(),
            &["install", "--agent", agent, "--force"],
        ));
        let replaced = std::fs::read_to_string(&path).unwrap();
        assert!(
            !replaced.contains("their-skill-server")
                && replaced.contains(skill_bin().to_str().unwrap()),
            "{agent}: {replaced}"
        );
    }
}

#[test]
fn project_scope_names_no_path_of_this_machine_and_says_what_comes_next() {
    let scope = [
        ("claude-code", ".mcp.json", "approve `skill`"),
        ("codex", ".codex/config.toml", "trust_level = \"trusted\""),
    ];
    for (agent, config, next_step) in scope {
        let home = tempfile::tempdir().unwrap();
        let project = tempfile::tempdir().unwrap();
        let report = ok(skill(
            home.path(),
            project.path(),
            &["install", "--agent", agent, "--scope", "project"],
        ));
        assert!(report.contains(next_step), "{agent}: {report}");
        let written = std::fs::read_to_string(project.path().join(config)).unwrap();
        for local in [home.path(), project.path(), skill_bin().as_path()] {
            assert!(
                !written.contains(local.to_str().unwrap()),
                "{agent}: {config} names {}:\n{written}",
                local.display()
            );
        }
        assert!(written.contains("$c/bin/skill"), "{agent}: {written}");
        ok(skill(
            home.path(),
            project.path(),
            &["uninstall", "--agent", agent, "--scope", "project"],
        ));
        let left = std::fs::read_to_string(project.path().join(config)).unwrap();
        assert!(!left.contains("skill"), "{agent}: {left}");
    }
}
