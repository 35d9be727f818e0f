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
//! The configuration files are the user's (or the team's), and we only lodge in
//! them:
//!
//! - Installing is idempotent and touches nothing but our entry: other servers,
//!   settings and comments are kept, and so are keys the user added to our
//!   entry (a timeout, an environment).
//! - A file is edited where it lives: a symbolic link (a dotfile manager's
//!   `~/.claude.json` → `~/dotfiles/claude.json`) stays a link, and the file it
//!   points to gets the change. Every file is written atomically, with the mode
//!   it had; a new user-scope configuration gets 0600, as both agents create
//!   theirs (it holds the user's id, history, or secrets in `env`), and the
//!   skill's files and a project's files get what the umask gives (0644 usually).
//! - An entry named `skill` that runs something else (a different command) is
//!   someone else's: it is neither replaced nor removed without `--force`.
//! - `--dry-run` shows our entry alone, never the rest of the file.
//!
//! How the entry starts `skill mcp` depends on the scope:
//!
//! - User scope: this binary, by its full path. The file is this user's on this
//!   machine, and a full path never reaches procps's `skill` (`/usr/bin/skill`
//!   on Debian and Ubuntu, which sends signals to processes by name).
//! - Project scope: the file is committed and read on teammates' machines, so it
//!   names no path of this one. It runs [`SHARED_SCRIPT`] with `sh`: the binary at
//!   `${CARGO_HOME:-$HOME/.cargo}/bin/skill`, where `./install.sh` and
//!   `cargo install` put it. Not a bare `skill` from `PATH`, which on Debian can be
//!   procps's. Through `sh`, because Codex expands no variables in its
//!   configuration and Claude Code's `${VAR:-default}` cannot nest; the script
//!   has no `${`, so Claude Code leaves it as it is. Codex passes a server only a
//!   few variables, hence `env_vars = ["CARGO_HOME"]`. It needs a POSIX shell
//!   (Linux, macOS, WSL). Each client then asks before it runs a project's
//!   server: [`next_steps`] says how.
//!
//! The skill folder is embedded in the binary, with its references inside it as
//! the Agent Skills format wants.
//!
//! Installed plugins that ship guidance for agents (`skill_pdk::agent_guidance!`)
//! each get a skill of their own beside it, `<skills>/<plugin>/SKILL.md`: front
//! matter made by the host (the plugin's name, a description naming its tools,
//! and a `metadata.skill-plugin` mark), then the plugin's text. Each install
//! brings these in step with the installed plugins (a removed plugin's skill
//! goes); uninstall removes them all. Only folders with the mark are touched.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value, json};

use crate::{Error, Result};

/// The name the MCP server is registered under.
pub const NAME: &str = "skill";
/// The skill's name, which is also its folder's (the Agent Skills format asks so).
pub const SKILL_NAME: &str = "secrets-management";

/// How a project's configuration starts `skill mcp` on any machine (see the
/// module's documentation): no `${`, which Claude Code would expand itself.
pub const SHARED_SCRIPT: &str =
    r#"c=$CARGO_HOME; [ -n "$c" ] || c=$HOME/.cargo; exec "$c/bin/skill" mcp"#;

/// Marks a folder as ours, so that uninstall never removes someone else's.
const SKILL_MD_MARK: &str = "name: secrets-management\n";

/// Marks a plugin's guidance skill as one `skill install` wrote.
const GUIDE_MARK: &str = "\nmetadata:\n  skill-plugin: ";

/// An installed plugin's guidance for agents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Guide {
    pub plugin: String,
    pub version: String,
    pub tools: Vec<String>,
    /// The plugin's Markdown, checked when it was read (see `skill_service::guidance`).
    pub text: String,
}

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
    /// For the project in the current directory (files meant to be committed).
    Project,
}

/// `skill install` and `skill uninstall`.
#[derive(Debug, Clone, Copy, clap::Args)]
pub struct Options {
    #[arg(long, value_enum)]
    pub agent: Agent,
    #[arg(long, value_enum, default_value_t = Scope::User)]
    pub scope: Scope,
    /// Print what would change (in the agent's configuration, our entry only),
    /// and change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Replace or remove an MCP server named `skill` even when it runs another
    /// program than ours.
    #[arg(long)]
    pub force: bool,
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

/// How an MCP entry starts `skill mcp`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Launch {
    /// This binary by its full path (user scope).
    Binary(PathBuf),
    /// [`SHARED_SCRIPT`] through `sh` (project scope).
    Shared,
}

impl Launch {
    pub fn for_scope(scope: Scope, binary: &Path) -> Self {
        match scope {
            Scope::User => Launch::Binary(binary.to_path_buf()),
            Scope::Project => Launch::Shared,
        }
    }

    fn command(&self) -> String {
        match self {
            Launch::Binary(path) => path.display().to_string(),
            Launch::Shared => "sh".to_owned(),
        }
    }

    fn args(&self) -> Vec<&'static str> {
        match self {
            Launch::Binary(_) => vec!["mcp"],
            Launch::Shared => vec!["-c", SHARED_SCRIPT],
        }
    }
}

/// Whether an entry with this command and these arguments is one that
/// `skill install` writes: this binary (`this`) or any `<path>/skill` with the
/// argument `mcp`, or the shared script.
fn is_ours(command: Option<&str>, args: Option<Vec<&str>>, this: &Path) -> bool {
    let (Some(command), Some(args)) = (command, args) else {
        return false;
    };
    let program = Path::new(command);
    let runs_skill_mcp =
        args == ["mcp"] && (program == this || program.file_name().is_some_and(|n| n == NAME));
    runs_skill_mcp || (command == "sh" && args == ["-c", SHARED_SCRIPT])
}

/// One file to write, or to remove.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// A file of the skill's folder: ours whole.
    Write {
        path: PathBuf,
        content: String,
    },
    /// The agent's configuration, which is the user's: `content` is the whole
    /// new file, `entry` our entry in it (`None`: removed).
    Config {
        path: PathBuf,
        content: String,
        /// How the agent's format names our entry (`mcpServers.skill`).
        key: &'static str,
        entry: Option<String>,
        /// Mode of a new file: 0600 (a user's own file) or the umask's.
        private: bool,
    },
    Remove {
        path: PathBuf,
    },
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

/// The agent's MCP configuration after the edit: the whole file and our entry
/// (`None` when removed). `None` when there is nothing to remove.
struct Edited {
    content: String,
    entry: Option<String>,
}

/// Refuses to replace or remove an entry that is not ours, unless forced.
fn check_ours(path: &Path, ours: bool, command: Option<&str>, force: bool) -> Result<()> {
    if ours || force {
        return Ok(());
    }
    Err(Error::Usage(format!(
        "{} already has an MCP server named `{NAME}` that runs {}, not `skill mcp`; \
         leaving it alone (pass --force to replace or remove it)",
        path.display(),
        command.map_or_else(|| "something else".to_owned(), |c| format!("{c:?}")),
    )))
}

/// Our entry set to `launch` (`Some`) or removed (`None`).
/// `this` is this binary, whose entries are ours whatever its name.
fn edit_mcp_config(
    agent: Agent,
    path: &Path,
    launch: Option<&Launch>,
    this: &Path,
    force: bool,
) -> Result<Option<Edited>> {
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
            if let Some(current) = servers.get(NAME) {
                let command = current.get("command").and_then(Value::as_str);
                let args = current
                    .get("args")
                    .and_then(Value::as_array)
                    .map(|args| args.iter().filter_map(Value::as_str).collect::<Vec<_>>());
                check_ours(path, is_ours(command, args, this), command, force)?;
            }
            let entry = match launch {
                Some(launch) => {
                    // Edited in place: keys the user added to our entry (`env`,
                    // a timeout) stay, and so does the order of the servers.
                    let entry = servers.entry(NAME).or_insert(Value::Null);
                    let mut fields = match entry.take() {
                        Value::Object(fields) if !force => fields,
                        _ => Map::new(),
                    };
                    fields.insert("type".to_owned(), json!("stdio"));
                    fields.insert("command".to_owned(), json!(launch.command()));
                    fields.insert("args".to_owned(), json!(launch.args()));
                    fields.entry("env").or_insert_with(|| json!({}));
                    *entry = Value::Object(fields);
                    Some(serde_json::to_string_pretty(entry).unwrap_or_default())
                }
                None => {
                    // The other servers keep their order.
                    if servers.shift_remove(NAME).is_none() {
                        return Ok(None);
                    }
                    None
                }
            };
            let mut content =
                serde_json::to_string_pretty(&config).map_err(|e| bad(e.to_string()))?;
            content.push('\n');
            Ok(Some(Edited { content, entry }))
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
                .as_table_like_mut()
                .ok_or_else(|| bad("mcp_servers is not a table".to_owned()))?;
            if let Some(current) = servers.get(NAME) {
                let command = current.get("command").and_then(toml_edit::Item::as_str);
                let args = current
                    .get("args")
                    .and_then(toml_edit::Item::as_array)
                    .map(|args| args.iter().filter_map(|a| a.as_str()).collect::<Vec<_>>());
                check_ours(path, is_ours(command, args, this), command, force)?;
            }
            let entry = match launch {
                Some(launch) => {
                    // Keys the user added to our entry (`env`, a timeout) stay.
                    let keep = !force && servers.get(NAME).is_some_and(|i| i.is_table_like());
                    if !keep {
                        servers.insert(NAME, toml_edit::Item::Table(toml_edit::Table::new()));
                    }
                    let entry = servers
                        .get_mut(NAME)
                        .and_then(toml_edit::Item::as_table_like_mut)
                        .ok_or_else(|| bad("mcp_servers.skill is not a table".to_owned()))?;
                    entry.insert("command", toml_edit::value(launch.command()));
                    entry.insert(
                        "args",
                        toml_edit::value(launch.args().into_iter().collect::<toml_edit::Array>()),
                    );
                    if *launch == Launch::Shared {
                        entry.insert(
                            "env_vars",
                            toml_edit::value(toml_edit::Array::from_iter(["CARGO_HOME"])),
                        );
                    }
                    Some(codex_entry_text(servers.get(NAME)))
                }
                None => {
                    if servers.remove(NAME).is_none() {
                        return Ok(None);
                    }
                    None
                }
            };
            Ok(Some(Edited {
                content: document.to_string(),
                entry,
            }))
        }
    }
}

/// Our Codex entry alone, as a `[mcp_servers.skill]` table, for `--dry-run`.
fn codex_entry_text(entry: Option<&toml_edit::Item>) -> String {
    let mut alone = toml_edit::DocumentMut::new();
    let mut servers = toml_edit::Table::new();
    servers.set_implicit(true);
    if let Some(table) = entry.and_then(toml_edit::Item::as_table_like) {
        let mut copy = toml_edit::Table::new();
        for (key, value) in table.iter() {
            copy.insert(key, value.clone());
        }
        servers.insert(NAME, toml_edit::Item::Table(copy));
    }
    alone.insert("mcp_servers", toml_edit::Item::Table(servers));
    alone.to_string().trim_end().to_owned()
}

fn config_key(agent: Agent) -> &'static str {
    match agent {
        Agent::ClaudeCode => "mcpServers.skill",
        Agent::Codex => "[mcp_servers.skill]",
    }
}

fn config_change(agent: Agent, scope: Scope, path: &Path, edited: Edited) -> Change {
    Change::Config {
        path: path.to_path_buf(),
        content: edited.content,
        key: config_key(agent),
        entry: edited.entry,
        private: scope == Scope::User,
    }
}

/// What installing changes: the skill files and our MCP entry. `binary` is this program.
pub fn plan_install(
    agent: Agent,
    scope: Scope,
    at: &Locations,
    binary: &Path,
    force: bool,
) -> Result<Vec<Change>> {
    let launch = &Launch::for_scope(scope, binary);
    let mut changes = skill_files(&at.skill_dir);
    if let Some(edited) = edit_mcp_config(agent, &at.mcp_config, Some(launch), binary, force)? {
        changes.push(config_change(agent, scope, &at.mcp_config, edited));
    }
    Ok(changes)
}

/// What uninstalling changes: our skill folder (only if it is ours) and our
/// MCP entry. `binary` is this program.
pub fn plan_uninstall(
    agent: Agent,
    scope: Scope,
    at: &Locations,
    binary: &Path,
    force: bool,
) -> Result<Vec<Change>> {
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
    if let Some(edited) = edit_mcp_config(agent, &at.mcp_config, None, binary, force)? {
        changes.push(config_change(agent, scope, &at.mcp_config, edited));
    }
    Ok(changes)
}

/// The skill folder a plugin's guidance goes to, beside ours; `None` when its
/// name cannot be a skill's (the Agent Skills format wants no `--` and no `-`
/// at either end) or is our skill's own.
fn guide_dir(skills: &Path, plugin: &str) -> Option<PathBuf> {
    let fits = !plugin.contains("--") && !plugin.ends_with('-') && plugin != SKILL_NAME;
    fits.then(|| skills.join(plugin))
}

/// A plugin's guidance as a skill: front matter, then its text.
fn guide_skill_md(guide: &Guide) -> String {
    let description = format!(
        "Guidance from the {} plugin (version {}) on when and how to use its tools: {}. \
         They are served by the `skill` MCP server, or run as `skill run {}/TOOL`.",
        guide.plugin,
        guide.version,
        guide.tools.join(", "),
        guide.plugin
    );
    // A JSON string is a YAML double-quoted scalar: nothing in it can end the front matter.
    let quoted = serde_json::to_string(&description).unwrap_or_default();
    format!(
        "---\nname: {}\ndescription: {quoted}{GUIDE_MARK}{}\n---\n\n{}\n",
        guide.plugin,
        guide.plugin,
        guide.text.trim_end()
    )
}

/// The guidance skills to write (on install) and the ones of plugins no longer
/// installed (all of them on uninstall) to remove, in the folder `skills`.
fn plan_guides(skills: &Path, guides: &[Guide], install: bool) -> Result<Vec<Change>> {
    let mut changes = Vec::new();
    let mut kept = Vec::new();
    if install {
        for guide in guides {
            match guide_dir(skills, &guide.plugin) {
                Some(dir) => {
                    changes.push(Change::Write {
                        path: dir.join("SKILL.md"),
                        content: guide_skill_md(guide),
                    });
                    kept.push(dir);
                }
                None => tracing::warn!(
                    "the guidance of plugin {} is not installed: its name cannot be a skill's",
                    guide.plugin
                ),
            }
        }
    }
    let entries = match std::fs::read_dir(skills) {
        Ok(entries) => entries,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(changes),
        Err(error) => {
            return Err(Error::io(
                format!("cannot list {}", skills.display()),
                error,
            ));
        }
    };
    for entry in entries.flatten() {
        let dir = entry.path();
        let ours = read_optional(&dir.join("SKILL.md"))
            .ok()
            .flatten()
            .is_some_and(|text| text.starts_with("---\n") && text.contains(GUIDE_MARK));
        if ours && !kept.contains(&dir) {
            changes.push(Change::Remove { path: dir });
        }
    }
    Ok(changes)
}

/// The file `path` names, following symbolic links: the one to edit.
fn through_links(path: &Path) -> Result<PathBuf> {
    let cannot = |path: &Path, e| Error::io(format!("cannot read {}", path.display()), e);
    let is_link = |path: &Path| match std::fs::symlink_metadata(path) {
        Ok(meta) => Ok(meta.file_type().is_symlink()),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(error) => Err(cannot(path, error)),
    };
    if !is_link(path)? {
        return Ok(path.to_path_buf());
    }
    match std::fs::canonicalize(path) {
        Ok(target) => return Ok(target),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
        Err(error) => return Err(cannot(path, error)),
    }
    // A link to a file still to be made: follow it by hand. As many links as
    // Linux follows (MAXSYMLINKS).
    let mut target = path.to_path_buf();
    for _ in 0..40 {
        if !is_link(&target)? {
            // Its folder as the system names it, without `..`.
            return Ok(match (target.parent(), target.file_name()) {
                (Some(dir), Some(name)) => std::fs::canonicalize(dir)
                    .map(|dir| dir.join(name))
                    .unwrap_or(target),
                _ => target,
            });
        }
        let next = std::fs::read_link(&target).map_err(|e| cannot(&target, e))?;
        // A relative target is relative to the link's folder.
        target = target.parent().unwrap_or(Path::new("")).join(next);
    }
    Err(Error::Usage(format!(
        "{} is a loop of symbolic links",
        path.display()
    )))
}

/// Writes `content` to `path` atomically, through links, keeping its mode; a
/// new file gets 0600 when `private`, else what the umask leaves of 0666.
/// Returns the file written, which differs from `path` when that is a link.
fn write_file(path: &Path, content: &str, private: bool) -> Result<PathBuf> {
    let target = through_links(path)?;
    let dir = match target.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(dir)
        .map_err(|e| Error::io(format!("cannot create {}", dir.display()), e))?;
    let cannot = |e| Error::io(format!("cannot write {}", target.display()), e);
    let kept = match std::fs::metadata(&target) {
        Ok(meta) => Some(meta.permissions()),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => None,
        Err(error) => return Err(cannot(error)),
    };
    let mut builder = tempfile::Builder::new();
    builder.prefix(".skill-install-");
    #[cfg(unix)]
    let new_file_mode = {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::Permissions::from_mode(if private { 0o600 } else { 0o666 })
    };
    #[cfg(unix)]
    builder.permissions(new_file_mode);
    #[cfg(not(unix))]
    let _ = private;
    let mut file = builder.tempfile_in(dir).map_err(cannot)?;
    file.write_all(content.as_bytes()).map_err(cannot)?;
    if let Some(permissions) = kept {
        // Exactly the old mode, not the umask's idea of it.
        file.as_file()
            .set_permissions(permissions)
            .map_err(cannot)?;
    }
    file.as_file().sync_all().map_err(cannot)?;
    file.persist(&target).map_err(|e| cannot(e.error))?;
    Ok(target)
}

/// " (through the link to X)" when `written` is not `path` itself.
fn via(path: &Path, written: &Path) -> String {
    if path == written {
        String::new()
    } else {
        format!(" (through the link to {})", written.display())
    }
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
                let written = write_file(path, content, false)?;
                report.push(format!("wrote {}{}", path.display(), via(path, &written)));
            }
            Change::Config {
                path,
                content,
                key,
                entry,
                private,
            } => {
                if read_optional(path)?.as_deref() == Some(content.as_str()) {
                    report.push(format!("unchanged {key} in {}", path.display()));
                    continue;
                }
                let written = write_file(path, content, *private)?;
                let done = if entry.is_some() { "set" } else { "removed" };
                let place = if entry.is_some() { "in" } else { "from" };
                report.push(format!(
                    "{done} {key} {place} {}{}",
                    path.display(),
                    via(path, &written)
                ));
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

/// The changes as a person reads them before saying yes (`--dry-run`): of the
/// agent's configuration, our entry alone.
pub fn describe(changes: &[Change]) -> Result<String> {
    let mut out = String::new();
    for change in changes {
        match change {
            Change::Write { path, content } => {
                if read_optional(path)?.as_deref() == Some(content.as_str()) {
                    out.push_str(&format!("unchanged {}\n", path.display()));
                } else {
                    out.push_str(&format!(
                        "would write {} ({} bytes)\n",
                        path.display(),
                        content.len()
                    ));
                }
            }
            Change::Config {
                path,
                content,
                key,
                entry,
                ..
            } => {
                let path_shown = path.display();
                if read_optional(path)?.as_deref() == Some(content.as_str()) {
                    out.push_str(&format!("unchanged {key} in {path_shown}\n"));
                } else if let Some(entry) = entry {
                    out.push_str(&format!(
                        "would set {key} in {path_shown} (the rest of the file unchanged):\n{entry}\n"
                    ));
                } else {
                    out.push_str(&format!(
                        "would remove {key} from {path_shown} (the rest of the file unchanged)\n"
                    ));
                }
            }
            Change::Remove { path } => out.push_str(&format!("would remove {}\n", path.display())),
        }
    }
    Ok(out)
}

/// Where a project's configuration finds `skill` on this machine ([`SHARED_SCRIPT`]).
pub fn shared_binary(home: &Path) -> PathBuf {
    std::env::var_os("CARGO_HOME")
        .filter(|v| !v.is_empty())
        .map_or_else(|| home.join(".cargo"), PathBuf::from)
        .join("bin")
        .join(NAME)
}

/// What the user does next for the agent to use what was installed.
pub fn next_steps(agent: Agent, scope: Scope, at: &Locations, project: &Path) -> String {
    let config = at.mcp_config.display();
    match (agent, scope) {
        (Agent::ClaudeCode, Scope::User) => {
            "Next: start a new Claude Code session (or run /mcp in one); \
             `claude mcp list` should show `skill: ... - ✔ Connected`."
                .to_owned()
        }
        (Agent::ClaudeCode, Scope::Project) => format!(
            "Next: commit {config} and {skills}. Claude Code asks each person before it starts a \
             project's server: run `claude` in the project, trust the folder and approve `skill` \
             (or add \"enabledMcpjsonServers\": [\"skill\"] to .claude/settings.local.json). \
             `claude mcp list` then shows `skill: ... - ✔ Connected`. The server runs \
             ${{CARGO_HOME:-~/.cargo}}/bin/skill, where ./install.sh and `cargo install` put it, \
             on each teammate's machine.",
            skills = at.skill_dir.display(),
        ),
        (Agent::Codex, Scope::User) => {
            "Next: start a new Codex session; `codex mcp list` should show `skill`.".to_owned()
        }
        (Agent::Codex, Scope::Project) => format!(
            "Next: commit {config} and {skills}. Codex reads a project's .codex/config.toml only \
             once the project is trusted: trust it when Codex asks, or add\n  \
             [projects.{project}]\n  trust_level = \"trusted\"\n\
             to ~/.codex/config.toml. Until then Codex loads the skill without its tools, and the \
             skill uses the command line (`~/.cargo/bin/skill run ...`). The server runs \
             ${{CARGO_HOME:-~/.cargo}}/bin/skill, where ./install.sh and `cargo install` put it, \
             on each teammate's machine.",
            skills = at.skill_dir.display(),
            project = toml_edit::Value::from(project.display().to_string()),
        ),
    }
}

/// `skill install` (`install`) or `skill uninstall` with `options`, for the
/// user whose home is `home`, in the project `project`; `binary` is this
/// program. Returns what to print on stdout.
pub fn run(
    options: &Options,
    install: bool,
    home: &Path,
    project: &Path,
    binary: &Path,
    guides: &[Guide],
) -> Result<String> {
    let Options {
        agent,
        scope,
        dry_run,
        force,
    } = *options;
    let at = locations(agent, scope, home, project);
    let mut changes = if install {
        plan_install(agent, scope, &at, binary, force)?
    } else {
        plan_uninstall(agent, scope, &at, binary, force)?
    };
    if let Some(skills) = at.skill_dir.parent() {
        changes.extend(plan_guides(skills, guides, install)?);
    }
    if dry_run {
        return describe(&changes);
    }
    let mut out = apply(&changes)?.join("\n");
    out.push('\n');
    if install {
        if scope == Scope::Project {
            let shared = shared_binary(home);
            if !shared.is_file() {
                let _ = writeln!(
                    std::io::stderr(),
                    "note: the project's configuration runs {}, which is not there on this \
                     machine; install skill there (./install.sh) for the agent to start it",
                    shared.display()
                );
            }
        }
        out.push('\n');
        out.push_str(&next_steps(agent, scope, &at, project));
        out.push('\n');
    }
    Ok(out)
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

    fn binary() -> Launch {
        Launch::Binary(PathBuf::from("/bin/skill"))
    }

    /// This program, as the tests name it to `edit_mcp_config`.
    const THIS: &str = "/opt/skill-1.0/bin/skill-1.0";

    #[test]
    fn codex_config_keeps_other_servers_and_comments() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        std::fs::write(
            &path,
            "# mine\nmodel = \"o4\"\n\n[mcp_servers.other]\ncommand = \"other\"\n",
        )
        .unwrap();
        let edited = edit_mcp_config(Agent::Codex, &path, Some(&binary()), Path::new(THIS), false)
            .unwrap()
            .unwrap();
        let text = edited.content;
        assert!(
            text.contains("# mine")
                && text.contains("[mcp_servers.other]")
                && text.contains("model = \"o4\""),
            "{text}"
        );
        let ours = "[mcp_servers.skill]\ncommand = \"/bin/skill\"\nargs = [\"mcp\"]";
        assert!(text.contains(ours), "{text}");
        assert_eq!(edited.entry.as_deref(), Some(ours));
        std::fs::write(&path, &text).unwrap();
        let removed = edit_mcp_config(Agent::Codex, &path, None, Path::new(THIS), false)
            .unwrap()
            .unwrap()
            .content;
        assert!(
            !removed.contains("mcp_servers.skill") && removed.contains("[mcp_servers.other]"),
            "{removed}"
        );
    }

    #[test]
    fn keys_the_user_added_to_our_entry_stay() {
        let dir = tempfile::tempdir().unwrap();
        let toml = dir.path().join("config.toml");
        std::fs::write(
            &toml,
            "[mcp_servers.skill]\ncommand = \"/old/skill\"\nargs = [\"mcp\"]\ntool_timeout_sec = 120\n",
        )
        .unwrap();
        let edited = edit_mcp_config(
            Agent::Codex,
            &toml,
            Some(&Launch::Shared),
            Path::new(THIS),
            false,
        )
        .unwrap()
        .unwrap();
        let document: toml_edit::DocumentMut = edited.content.parse().unwrap();
        let entry = &document["mcp_servers"]["skill"];
        assert_eq!(entry["tool_timeout_sec"].as_integer(), Some(120));
        assert_eq!(entry["command"].as_str(), Some("sh"));
        assert_eq!(entry["args"][1].as_str(), Some(SHARED_SCRIPT));
        assert_eq!(entry["env_vars"][0].as_str(), Some("CARGO_HOME"));

        let json_path = dir.path().join(".claude.json");
        std::fs::write(
            &json_path,
            r#"{"mcpServers": {"skill": {"command": "/old/skill", "args": ["mcp"], "env": {"RUST_LOG": "debug"}}}}"#,
        )
        .unwrap();
        let edited = edit_mcp_config(
            Agent::ClaudeCode,
            &json_path,
            Some(&binary()),
            Path::new(THIS),
            false,
        )
        .unwrap()
        .unwrap();
        let config: Value = serde_json::from_str(&edited.content).unwrap();
        assert_eq!(
            config["mcpServers"]["skill"],
            json!({"type": "stdio", "command": "/bin/skill", "args": ["mcp"], "env": {"RUST_LOG": "debug"}})
        );
    }

    #[test]
    fn an_entry_that_runs_something_else_needs_force() {
        let dir = tempfile::tempdir().unwrap();
        let theirs = [
            (
                Agent::ClaudeCode,
                ".claude.json",
                r#"{"mcpServers": {"skill": {"command": "npx", "args": ["skill-server"]}}}"#,
            ),
            (
                Agent::Codex,
                "config.toml",
                "[mcp_servers.skill]\ncommand = \"npx\"\nargs = [\"skill-server\"]\n",
            ),
        ];
        for (agent, name, text) in theirs {
            let path = dir.path().join(name);
            std::fs::write(&path, text).unwrap();
            for launch in [Some(&binary()), None] {
                let Err(error) = edit_mcp_config(agent, &path, launch, Path::new(THIS), false)
                else {
                    panic!("{agent:?}: replaced or removed someone else's entry");
                };
                assert_eq!(error.exit_code(), 2);
                assert!(error.to_string().contains("--force"), "{error}");
                let forced = edit_mcp_config(agent, &path, launch, Path::new(THIS), true)
                    .unwrap()
                    .unwrap();
                assert!(!forced.content.contains("skill-server"), "{agent:?}");
            }
        }
    }

    #[test]
    fn which_entries_are_ours() {
        let this = Path::new(THIS);
        assert!(is_ours(
            Some("/home/a/.cargo/bin/skill"),
            Some(vec!["mcp"]),
            this
        ));
        assert!(is_ours(Some(THIS), Some(vec!["mcp"]), this));
        assert!(is_ours(Some("sh"), Some(vec!["-c", SHARED_SCRIPT]), this));
        assert!(!is_ours(
            Some("/usr/bin/skill"),
            Some(vec!["-9", "mcp"]),
            this
        ));
        assert!(!is_ours(
            Some("/opt/skill-0.9/bin/skill-0.9"),
            Some(vec!["mcp"]),
            this
        ));
        assert!(!is_ours(Some("npx"), Some(vec!["mcp"]), this));
        assert!(!is_ours(
            Some("sh"),
            Some(vec!["-c", "exec other mcp"]),
            this
        ));
        assert!(!is_ours(None, Some(vec!["mcp"]), this));
    }

    #[test]
    fn a_broken_config_is_refused_not_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(".claude.json");
        std::fs::write(&path, "{ not json").unwrap();
        let Err(error) = edit_mcp_config(
            Agent::ClaudeCode,
            &path,
            Some(&binary()),
            Path::new(THIS),
            false,
        ) else {
            panic!("a broken file was edited");
        };
        assert_eq!(error.exit_code(), 2);
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "{ not json");
    }

    #[cfg(unix)]
    #[test]
    fn links_are_followed_and_modes_kept() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let dotfiles = dir.path().join("dotfiles");
        std::fs::create_dir(&dotfiles).unwrap();
        let real = dotfiles.join("claude.json");
        std::fs::write(&real, "{}").unwrap();
        std::fs::set_permissions(&real, std::fs::Permissions::from_mode(0o640)).unwrap();
        // A relative link, as dotfile managers make them, through a second link.
        let first = dir.path().join("first.json");
        std::os::unix::fs::symlink("dotfiles/claude.json", &first).unwrap();
        let link = dir.path().join(".claude.json");
        std::os::unix::fs::symlink(&first, &link).unwrap();

        let written = write_file(&link, "{\"a\": 1}\n", true).unwrap();
        assert_eq!(written, real.canonicalize().unwrap());
        assert!(
            std::fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert!(
            std::fs::symlink_metadata(&first)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(std::fs::read_to_string(&real).unwrap(), "{\"a\": 1}\n");
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o7777;
        assert_eq!(mode(&real), 0o640);

        let new_private = dir.path().join("new/config.toml");
        write_file(&new_private, "x", true).unwrap();
        assert_eq!(mode(&new_private), 0o600);
        let new_shared = dir.path().join("new/.mcp.json");
        write_file(&new_shared, "x", false).unwrap();
        assert_eq!(mode(&new_shared) & 0o600, 0o600);
        assert_eq!(mode(&new_shared) & 0o111, 0, "not executable");

        let dangling = dir.path().join("dangling.json");
        std::os::unix::fs::symlink("dotfiles/later.json", &dangling).unwrap();
        write_file(&dangling, "{}", true).unwrap();
        assert!(dotfiles.join("later.json").is_file());
        assert!(
            std::fs::symlink_metadata(&dangling)
                .unwrap()
                .file_type()
                .is_symlink()
        );
    }
}
