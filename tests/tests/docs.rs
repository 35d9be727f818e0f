//! What agents read: SKILL.md passes the Agent Skills validator, its links
//! resolve, and the generated tool reference matches the plugins.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use skill_tests::docs::{REFRESH, first_difference, run, tools_md_path, tools_reference};
use skill_tests::{Skill, text, workspace};

fn skill_dir() -> PathBuf {
    workspace().join("skill/secrets-management")
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The reference validator of the Agent Skills format, PyPI package `skills-ref`,
/// whose command is `agentskills` (`skills-ref` names the package only).
#[test]
fn skill_md_passes_the_agent_skills_validator() {
    let output = match Command::new("agentskills")
        .arg("validate")
        .arg(skill_dir())
        .output()
    {
        Ok(output) => output,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => panic!(
            "the Agent Skills validator `agentskills` is not installed: run `pip install skills-ref` \
             (it provides the `agentskills` command), then rerun this test"
        ),
        Err(error) => panic!("could not run `agentskills validate`: {error}"),
    };
    let (stdout, stderr) = text(&output);
    assert!(
        output.status.success(),
        "`agentskills validate skill` failed ({}):\n{stdout}{stderr}",
        output.status
    );
}

/// Relative Markdown link targets in `text`, without `#fragment`.
fn relative_links(text: &str) -> Vec<String> {
    let mut links = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("](") {
        rest = &rest[start + 2..];
        let Some(end) = rest.find(')') else { break };
        let target = &rest[..end];
        rest = &rest[end..];
        if target.contains("://") || target.starts_with('#') || target.starts_with("mailto:") {
            continue;
        }
        let target = target.split('#').next().unwrap_or_default();
        if !target.is_empty() {
            links.push(target.to_owned());
        }
    }
    links
}

#[test]
fn skill_md_links_resolve_and_stay_one_level_deep() {
    let skill_md = skill_dir().join("SKILL.md");
    let body = read(&skill_md);
    let links = relative_links(&body);
    assert!(!links.is_empty(), "SKILL.md links to no reference");
    for link in &links {
        let target = skill_dir().join(link);
        assert!(
            target.is_file(),
            "SKILL.md links to {link}, which does not exist"
        );
        // One level deep: a reference folder and a file, no deeper nesting.
        let depth = Path::new(link)
            .components()
            .filter(|c| matches!(c, std::path::Component::Normal(_)))
            .count();
        assert!(
            depth <= 2,
            "SKILL.md links to {link}, deeper than one folder"
        );
    }
    // The references link among themselves and to the tool reference only by files that exist.
    for dir in [
        workspace().join("references"),
        skill_dir().join("references"),
    ] {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.extension().is_none_or(|e| e != "md") {
                continue;
            }
            for link in relative_links(&read(&path)) {
                assert!(
                    dir.join(&link).is_file(),
                    "{} links to {link}, which does not exist",
                    path.display()
                );
            }
        }
    }
}

/// SKILL.md tells an agent which tool does which job: every tool `skill list`
/// shows must be named there.
#[test]
fn skill_md_names_every_tool() {
    let body = read(&skill_dir().join("SKILL.md"));
    let output = run(&Skill::new(), &["list", "--format", "json"]);
    let (stdout, stderr) = text(&output);
    assert!(output.status.success(), "skill list failed: {stderr}");
    let list: Value = serde_json::from_str(&stdout).expect("list JSON");
    for tool in list["tools"].as_array().expect("tools") {
        let name = tool["name"].as_str().expect("name");
        assert!(
            body.contains(&format!("`{name}`")),
            "SKILL.md does not mention the tool `{name}`; say when an agent should use it"
        );
    }
}

/// The committed tool reference is what the plugins say now. With
/// SKILL_UPDATE_DOCS=1 the test rewrites it instead.
#[test]
fn tool_reference_matches_the_plugins() {
    let generated = tools_reference();
    let path = tools_md_path();
    if std::env::var_os("SKILL_UPDATE_DOCS").is_some_and(|v| v == "1") {
        std::fs::create_dir_all(path.parent().expect("parent")).expect("create references dir");
        std::fs::write(&path, &generated).expect("write tool reference");
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "{} is out of date with the plugins' schemas (or {} is older than the plugin sources); \
         refresh it with\n\n    {REFRESH}\n\nand commit the result. First difference at {}",
        path.display(),
        skill_tests::skill_bin().display(),
        first_difference(&committed, &generated)
    );
}

/// Generating twice gives the same bytes, so the drift test cannot flap.
#[test]
fn tool_reference_is_deterministic() {
    assert_eq!(tools_reference(), tools_reference());
}
