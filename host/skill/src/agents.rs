//! `skill install --agent ...`: puts the skill where an agent loads skills from
//! and registers `skill mcp` in that agent's MCP configuration.
//!
//! Where each agent looks (checked against their documentation, 2026):
//!
//! | agent | scope | skill folder | MCP configuration |
//! |---|---|---|---|
//! | Claude Code | user | `~/.claude/skills/secrets-management/` | `~/.claude.json`, `mcpServers.skill` |
//! | Claude Code | project | `.claude/skills/secrets-management/` | `.mcp.json`, `mcpServers.skill` |
//! | Codex | user | `~/.agents/skills/secrets-management/` | `$CODEX_HOME/config.toml` (default `~/.codex`), `[mcp_servers.skill]` |
//! | Codex | project | `.agents/skills/secrets-management/` | `.codex/config.toml`, `[mcp_servers.skill]` |
//!
//! Installing is idempotent and touches nothing but our own entries: other
//! servers, settings and comments in those files are kept as they are. Every
//! file is written atomically. The skill folder is embedded in the binary, with
//! its references inside it as the Agent Skills format wants.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::{Error, Result};
use skill_service::files::write_atomically;

/// The name the MCP server is registered under.
pub const NAME: &str = "skill";
/// The skill's name, which is also its folder's (the Agent Skills format asks so).
pub const SKILL_NAME: &str = "secrets-management";

/// Marks a folder as ours, so that uninstall never removes someone else's.
const SKILL_MD_MARK: &str = "name: secrets-management\n";

/// The skill folder (`skill/secrets-management/`), relative path and content.
const SKILL_FILES: &[(&str, &str)] = &[
    (
        "SKILL.md",
        include_str!("../../../skill/secrets-management/SKILL.md"),
    ),
    (
        "references/tools.md",
        include_str!("../../../skill/secrets-management/references/tools.md"),
    ),
    (
        "references/vault-patterns.md",
        include_str!("../../../skill/secrets-management/references/vault-patterns.md"),
    ),
    (
        "references/cloud-secret-stores.md",
        include_str!("../../../skill/secrets-management/references/cloud-secret-stores.md"),
    ),
    (
        "references/rotation-standards.md",
        include_str!("../../../skill/secrets-management/references/rotation-standards.md"),
    ),
    (
        "references/emergency-procedures.md",
        include_str!("../../../skill/secrets-management/references/emergency-procedures.md"),
    ),
    (
        "references/kubernetes.md",
        include_str!("../../../skill/secrets-management/references/kubernetes.md"),
    ),
    (
        "references/ci-oidc.md",
        include_str!("../../../skill/secrets-management/references/ci-oidc.md"),
    ),
    (
        "references/vault-operations.md",
        include_str!("../../../skill/secrets-management/references/vault-operations.md"),
    ),
    (
        "references/dynamic-credentials.md",
        include_str!("../../../skill/secrets-management/references/dynamic-credentials.md"),
    ),
    (
        "references/ssh-ca.md",
        include_str!("../../../skill/secrets-management/references/ssh-ca.md"),
    ),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Agent {
    ClaudeCode,
    Codex,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Scope {
    /// For every project of this user.
    User,
    /// For the project in the current directory.
    Project,
}

/// Where one agent keeps things, for one scope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Locations {
    pub skill_dir: PathBuf,
    pub mcp_config: PathBuf,
}

pub fn locations(agent: Agent, scope: Scope, home: &Path, project: &Path) -> Locations {
    let codex_home = std::env::var_os("CODEX_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from);
    match (agent, scope) {
        (Agent::ClaudeCode, Scope::User) => Locations {
            skill_dir: home.join(".claude/skills").join(SKILL_NAME),
            mcp_config: home.join(".claude.json"),
        },
        (Agent::ClaudeCode, Scope::Project) => Locations {
            skill_dir: project.join(".claude/skills").join(SKILL_NAME),
            mcp_config: project.join(".mcp.json"),
        },
        (Agent::Codex, Scope::User) => Locations {
            skill_dir: home.join(".agents/skills").join(SKILL_NAME),
            mcp_config: codex_home
                .unwrap_or_else(|| home.join(".codex"))
                .join("config.toml"),
        },
        (Agent::Codex, Scope::Project) => Locations {
            skill_dir: project.join(".agents/skills").join(SKILL_NAME),
            mcp_config: project.join(".codex/config.toml"),
        },
    }
}

/// One file to write, or to remove.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    Write { path: PathBuf, content: String },
    Remove { path: PathBuf },
}

/// The skill files, as they are in the repository: no link leaves the folder.
fn skill_files(dir: &Path) -> Vec<Change> {
    SKILL_FILES
        .iter()
        .map(|(relative, content)| Change::Write {
            path: dir.join(relative),
            content: (*content).to_owned(),
        })
        .collect()
}

fn read_optional(path: &Path) -> Result<Option<String>> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(Some(text)),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(error) => Err(Error::io(format!("cannot read {}", path.display()), error)),
    }
}

/// The agent's MCP configuration with our server set (`Some`) or removed (`None`).
fn edit_mcp_config(agent: Agent, path: &Path, server: Option<&Path>) -> Result<Option<String>> {
    let existing = read_optional(path)?;
    let bad = |why: String| {
        Error::Usage(format!(
            "{} is not valid ({why}); fix it or move it aside",
            path.display()
        ))
    };
    match agent {
        Agent::ClaudeCode => {
            let mut config: Value = match existing.as_deref().map(str::trim) {
                None | Some("") => json!({}),
                Some(text) => serde_json::from_str(text).map_err(|e| bad(e.to_string()))?,
            };
            let Some(root) = config.as_object_mut() else {
                return Err(bad("not a JSON object".to_owned()));
            };
            let servers = root.entry("mcpServers").or_insert_with(|| json!({}));
            let Some(servers) = servers.as_object_mut() else {
                return Err(bad("mcpServers is not an object".to_owned()));
            };
            match server {
                Some(binary) => {
                    servers.insert(
                        NAME.to_owned(),
                        json!({"type": "stdio", "command": binary, "args": ["mcp"], "env": {}}),
                    );
                }
                None => {
                    if servers.remove(NAME).is_none() {
                        return Ok(None);
                    }
                }
            }
            let mut text = serde_json::to_string_pretty(&config).map_err(|e| bad(e.to_string()))?;
            text.push('\n');
            Ok(Some(text))
        }
        Agent::Codex => {
            let mut document: toml_edit::DocumentMut = existing
                .as_deref()
                .unwrap_or("")
                .parse()
                .map_err(|e: toml_edit::TomlError| bad(e.to_string()))?;
            let servers = document
                .entry("mcp_servers")
                .or_insert_with(|| {
                    let mut table = toml_edit::Table::new();
                    table.set_implicit(true);
                    toml_edit::Item::Table(table)
                })
                .as_table_mut()
                .ok_or_else(|| bad("mcp_servers is not a table".to_owned()))?;
            match server {
                Some(binary) => {
                    let mut entry = toml_edit::Table::new();
                    entry["command"] = toml_edit::value(binary.display().to_string());
                    let mut args = toml_edit::Array::new();
                    args.push("mcp");
                    entry["args"] = toml_edit::value(args);
                    servers.insert(NAME, toml_edit::Item::Table(entry));
                }
                None => {
                    if servers.remove(NAME).is_none() {
                        return Ok(None);
                    }
                }
            }
            Ok(Some(document.to_string()))
        }
    }
}

/// What installing changes: the skill files and the MCP configuration.
pub fn plan_install(agent: Agent, at: &Locations, binary: &Path) -> Result<Vec<Change>> {
    let mut changes = skill_files(&at.skill_dir);
    if let Some(content) = edit_mcp_config(agent, &at.mcp_config, Some(binary))? {
        changes.push(Change::Write {
            path: at.mcp_config.clone(),
            content,
        });
    }
    Ok(changes)
}

/// What uninstalling changes: our skill folder (only if it is ours) and our MCP entry.
pub fn plan_uninstall(agent: Agent, at: &Locations) -> Result<Vec<Change>> {
    let mut changes = Vec::new();
    let skill_md = at.skill_dir.join("SKILL.md");
    if let Some(text) = read_optional(&skill_md)? {
        if !text.contains(SKILL_MD_MARK) {
            return Err(Error::Usage(format!(
                "{} is not ours; leaving it alone",
                at.skill_dir.display()
            )));
        }
        changes.push(Change::Remove {
            path: at.skill_dir.clone(),
        });
    }
    if let Some(content) = edit_mcp_config(agent, &at.mcp_config, None)? {
        changes.push(Change::Write {
            path: at.mcp_config.clone(),
            content,
        });
    }
    Ok(changes)
}

/// Carries out `changes`; returns one line per file, saying what happened.
pub fn apply(changes: &[Change]) -> Result<Vec<String>> {
    let mut report = Vec::new();
    for change in changes {
        match change {
            Change::Write { path, content } => {
                if read_optional(path)?.as_deref() == Some(content.as_str()) {
                    report.push(format!("unchanged {}", path.display()));
                    continue;
                }
                let dir = path.parent().unwrap_or(Path::new("."));
                std::fs::create_dir_all(dir)
                    .map_err(|e| Error::io(format!("cannot create {}", dir.display()), e))?;
                write_atomically(dir, path, content.as_bytes())
                    .map_err(|e| Error::io(format!("cannot write {}", path.display()), e))?;
                report.push(format!("wrote {}", path.display()));
            }
            Change::Remove { path } => {
                std::fs::remove_dir_all(path)
                    .map_err(|e| Error::io(format!("cannot remove {}", path.display()), e))?;
                report.push(format!("removed {}", path.display()));
            }
        }
    }
    Ok(report)
}

/// The changes as a person reads them before saying yes (`--dry-run`).
pub fn describe(changes: &[Change]) -> String {
    let mut out = String::new();
    for change in changes {
        match change {
            Change::Write { path, content } if path.extension().is_some_and(|e| e == "md") => {
                out.push_str(&format!(
                    "would write {} ({} bytes)\n",
                    path.display(),
                    content.len()
                ));
            }
            Change::Write { path, content } => {
                out.push_str(&format!("would write {}:\n{content}\n", path.display()));
            }
            Change::Remove { path } => out.push_str(&format!("would remove {}\n", path.display())),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn installed_skill_links_stay_inside_its_folder() {
        let changes = skill_files(Path::new("/x/skill"));
        for change in &changes {
            let Change::Write { content, .. } = change else {
                panic!("only writes")
            };
            assert!(
                !content.contains("](../"),
                "a link leaves the installed folder"
            );
        }
        assert!(changes.iter().any(|c| matches!(c, Change::Write { path, .. } if path.ends_with("references/vault-patterns.md"))));
    }

    #[test]
    fn codex_config_keeps_other_servers_and_comments() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        std::fs::write(
            &path,
            "# mine\nmodel = \"o4\"\n\n[mcp_servers.other]\ncommand = \"other\"\n",
        )
        .unwrap();
        let text = edit_mcp_config(Agent::Codex, &path, Some(Path::new("/bin/skill")))
            .unwrap()
            .unwrap();
        assert!(
            text.contains("# mine")
                && text.contains("[mcp_servers.other]")
                && text.contains("model = \"o4\""),
            "{text}"
        );
        assert!(
            text.contains("[mcp_servers.skill]\ncommand = \"/bin/skill\"\nargs = [\"mcp\"]"),
            "{text}"
        );
        std::fs::write(&path, &text).unwrap();
        let removed = edit_mcp_config(Agent::Codex, &path, None).unwrap().unwrap();
        assert!(
            !removed.contains("mcp_servers.skill") && removed.contains("[mcp_servers.other]"),
            "{removed}"
        );
    }

    #[test]
    fn a_broken_config_is_refused_not_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(".claude.json");
        std::fs::write(&path, "{ not json").unwrap();
        let error =
            edit_mcp_config(Agent::ClaudeCode, &path, Some(Path::new("/bin/skill"))).unwrap_err();
        assert_eq!(error.exit_code(), 2);
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "{ not json");
    }
}
