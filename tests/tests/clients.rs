#![cfg(unix)]

//! `skill install` checked by the real clients: Claude Code and Codex from npm
//! (`npm ci --prefix tests/clients`, versions pinned in tests/clients/package.json),
//! each in a scratch HOME, with no model and no network.
//!
//! - Claude Code: `claude mcp list` shows `skill: ... - ✔ Connected`, with nothing
//!   on stderr.
//! - Codex: its app-server (`codex app-server`, JSON-RPC over stdio; the protocol is
//!   in `codex app-server generate-ts`) starts a thread in the project and reports
//!   the server `connected` with every tool of `skill list`, and lists the skill.
//!
//! For each agent: the user scope (this binary by its full path), and the project
//! scope on a teammate's machine: the binary where `./install.sh` puts it, found
//! through `$HOME/.cargo` or `$CARGO_HOME`, and the client's own approval first (a
//! project's server is pending until approved in Claude Code, absent until the
//! project is trusted in Codex, while Codex loads the skill all the same).

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Output, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use skill_tests::{skill_bin, text, workspace};

/// A client installed by `npm ci --prefix tests/clients`; a test that cannot
/// run must say so rather than pass.
fn client(name: &str) -> PathBuf {
    let bin = workspace()
        .join("tests/clients/node_modules/.bin")
        .join(name);
    assert!(
        bin.exists(),
        "{} is missing: run `npm ci --prefix tests/clients` (Node.js 20 or later)",
        bin.display()
    );
    bin
}

/// Where the `skill` of a project's configuration is, on a teammate's machine.
#[derive(Debug, Clone, Copy)]
enum Scope {
    /// `skill install` (this binary by its full path).
    User,
    /// `skill install --scope project`; the binary in `$HOME/.cargo/bin`, or in
    /// `$CARGO_HOME/bin` when `cargo_home`.
    Project { cargo_home: bool },
}

const SCOPES: [Scope; 3] = [
    Scope::User,
    Scope::Project { cargo_home: false },
    Scope::Project { cargo_home: true },
];

/// A scratch user on a scratch machine, with a project.
struct Machine {
    home: tempfile::TempDir,
    project: PathBuf,
    _project_dir: tempfile::TempDir,
    cargo_home: Option<tempfile::TempDir>,
}

impl Machine {
    fn new(scope: Scope) -> Self {
        let home = tempfile::tempdir().unwrap();
        let project_dir = tempfile::tempdir().unwrap();
        let project = project_dir.path().canonicalize().unwrap();
        let cargo_home = match scope {
            Scope::Project { cargo_home: true } => Some(tempfile::tempdir().unwrap()),
            _ => None,
        };
        if let Scope::Project { .. } = scope {
            let bin = cargo_home
                .as_ref()
                .map_or_else(
                    || home.path().join(".cargo"),
                    |dir| dir.path().to_path_buf(),
                )
                .join("bin");
            std::fs::create_dir_all(&bin).unwrap();
            std::os::unix::fs::symlink(skill_bin(), bin.join("skill")).unwrap();
        }
        Self {
            home,
            project,
            _project_dir: project_dir,
            cargo_home,
        }
    }

    /// `program` in the project, with this machine's environment only.
    fn command(&self, program: &Path) -> Command {
        let mut command = Command::new(program);
        command
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.home.path())
            // No update checks or telemetry: CI has no network but the registries.
            .env("CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "1")
            .current_dir(&self.project);
        if let Some(cargo_home) = &self.cargo_home {
            command.env("CARGO_HOME", cargo_home.path());
        }
        command
    }

    fn skill(&self, args: &[&str]) -> String {
        let output = self.command(&skill_bin()).args(args).output().unwrap();
        let (stdout, stderr) = text(&output);
        assert!(output.status.success(), "skill {args:?}: {stderr}");
        stdout
    }

    fn install(&self, agent: &str, scope: Scope) -> String {
        match scope {
            Scope::User => self.skill(&["install", "--agent", agent]),
            Scope::Project { .. } => {
                self.skill(&["install", "--agent", agent, "--scope", "project"])
            }
        }
    }

    /// Every tool `skill mcp` serves here.
    fn tools(&self) -> BTreeSet<String> {
        let listing: Value =
            serde_json::from_str(&self.skill(&["list", "--format", "json"])).unwrap();
        listing["tools"]
            .as_array()
            .unwrap()
            .iter()
            .map(|tool| tool["name"].as_str().unwrap().to_owned())
            .collect()
    }
}

fn claude_mcp_list(machine: &Machine) -> Output {
    machine
        .command(&client("claude"))
        .args(["mcp", "list"])
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

/// The line `claude mcp list` prints for our server.
fn skill_line(stdout: &str) -> &str {
    stdout
        .lines()
        .find(|line| line.starts_with("skill: "))
        .unwrap_or_else(|| panic!("no `skill` server listed:\n{stdout}"))
}

/// What approving the project's server in `claude` writes: the folder trusted,
/// `skill` among the approved servers of .mcp.json.
fn approve_in_claude_code(machine: &Machine) {
    let config = machine.home.path().join(".claude.json");
    let mut state: Value = std::fs::read_to_string(&config)
        .map(|text| serde_json::from_str(&text).unwrap())
        .unwrap_or_else(|_| json!({}));
    state["projects"][machine.project.to_str().unwrap()]["hasTrustDialogAccepted"] = json!(true);
    std::fs::write(&config, state.to_string()).unwrap();
    let settings = machine.project.join(".claude/settings.local.json");
    std::fs::write(settings, r#"{"enabledMcpjsonServers": ["skill"]}"#).unwrap();
}

#[test]
fn claude_code_connects_to_skill_mcp() {
    for scope in SCOPES {
        let machine = Machine::new(scope);
        let report = machine.install("claude-code", scope);
        if let Scope::Project { .. } = scope {
            assert!(report.contains("approve `skill`"), "{report}");
            let output = claude_mcp_list(&machine);
            let (stdout, stderr) = text(&output);
            assert!(
                skill_line(&stdout).ends_with("⏸ Pending approval (run `claude` to approve)"),
                "{scope:?}: {stdout}{stderr}"
            );
            approve_in_claude_code(&machine);
        }
        let output = claude_mcp_list(&machine);
        let (stdout, stderr) = text(&output);
        println!("{scope:?}: claude mcp list\n{stdout}");
        assert!(output.status.success(), "{scope:?}: {stdout}{stderr}");
        assert!(
            skill_line(&stdout).ends_with(" - ✔ Connected"),
            "{scope:?}: {stdout}"
        );
        assert_eq!(stderr, "", "{scope:?}: claude wrote to stderr");
    }
}

/// `codex app-server`, spoken to over its stdin and stdout.
struct AppServer {
    child: Child,
    stdin: ChildStdin,
    lines: Receiver<String>,
    next_id: u64,
}

impl AppServer {
    fn start(machine: &Machine) -> Self {
        let mut child = machine
            .command(&client("codex"))
            .arg("app-server")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take().unwrap();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        let (send, lines) = channel();
        std::thread::spawn(move || {
            for line in stdout.lines().map_while(Result::ok) {
                if send.send(line).is_err() {
                    break;
                }
            }
        });
        let mut server = Self {
            child,
            stdin,
            lines,
            next_id: 0,
        };
        server.request(
            "initialize",
            json!({"clientInfo": {"name": "skill-tests", "title": null, "version": "0"}, "capabilities": null}),
        );
        server.send(&json!({"method": "initialized"}));
        server
    }

    fn send(&mut self, message: &Value) {
        writeln!(self.stdin, "{message}").unwrap();
        self.stdin.flush().unwrap();
    }

    /// Sends a request and returns its result; notifications in between are skipped.
    fn request(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        self.send(&json!({"id": id, "method": method, "params": params}));
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let line = match self
                .lines
                .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            {
                Ok(line) => line,
                Err(RecvTimeoutError::Timeout) => panic!("codex app-server: no answer to {method}"),
                Err(RecvTimeoutError::Disconnected) => {
                    panic!("codex app-server ended before answering {method}")
                }
            };
            let message: Value = serde_json::from_str(&line)
                .unwrap_or_else(|e| panic!("codex app-server wrote {line:?}: {e}"));
            if message["id"] == json!(id) {
                assert!(
                    message.get("error").is_none(),
                    "{method}: {}",
                    message["error"]
                );
                return message["result"].clone();
            }
        }
    }

    /// Our server's status in a new thread in the project, once it has
    /// started (or failed to), if Codex has it.
    fn skill_status(&mut self, project: &Path) -> Option<Value> {
        let thread = self.request("thread/start", json!({"cwd": project, "ephemeral": true}));
        let thread_id = thread["thread"]["id"].clone();
        // The thread's servers start in the background.
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let status = self.request(
                "mcpServerStatus/list",
                json!({"threadId": thread_id, "detail": "toolsAndAuthOnly"}),
            );
            let ours = status["data"]
                .as_array()
                .unwrap()
                .iter()
                .find(|server| server["name"] == "skill")
                .cloned();
            let starting = ours.as_ref().is_some_and(|server| {
                matches!(
                    server["runtimeStatus"].as_str(),
                    Some("starting" | "notStarted")
                )
            });
            if !starting || Instant::now() > deadline {
                return ours;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The skills Codex loads for the project, by name, and its load errors.
    fn skills(&mut self, project: &Path) -> (Vec<String>, Value) {
        let listed = self.request(
            "skills/list",
            json!({"cwds": [project], "forceReload": true}),
        );
        let entry = &listed["data"][0];
        let names = entry["skills"]
            .as_array()
            .unwrap()
            .iter()
            .map(|skill| skill["name"].as_str().unwrap().to_owned())
            .collect();
        (names, entry["errors"].clone())
    }
}

impl Drop for AppServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What trusting the project in Codex writes to the user's configuration.
fn trust_in_codex(machine: &Machine) {
    let config = machine.home.path().join(".codex/config.toml");
    std::fs::create_dir_all(config.parent().unwrap()).unwrap();
    let mut text = std::fs::read_to_string(&config).unwrap_or_default();
    text.push_str(&format!(
        "\n[projects.{:?}]\ntrust_level = \"trusted\"\n",
        machine.project.to_str().unwrap()
    ));
    std::fs::write(config, text).unwrap();
}

#[test]
fn codex_connects_to_skill_mcp_with_every_tool() {
    for scope in SCOPES {
        let machine = Machine::new(scope);
        let report = machine.install("codex", scope);
        if let Scope::Project { .. } = scope {
            assert!(report.contains("trust_level = \"trusted\""), "{report}");
            let mut codex = AppServer::start(&machine);
            assert_eq!(
                codex.skill_status(&machine.project),
                None,
                "{scope:?}: Codex started a server of an untrusted project"
            );
            let (skills, errors) = codex.skills(&machine.project);
            assert!(
                skills.iter().any(|name| name == "secrets-management"),
                "{scope:?}: the skill is not loaded before trust: {skills:?} {errors}"
            );
            drop(codex);
            trust_in_codex(&machine);
        }
        let mut codex = AppServer::start(&machine);
        let status = codex
            .skill_status(&machine.project)
            .unwrap_or_else(|| panic!("{scope:?}: Codex has no `skill` server"));
        let tools: BTreeSet<String> = status["tools"]
            .as_object()
            .map(|tools| tools.keys().cloned().collect())
            .unwrap_or_default();
        println!(
            "{scope:?}: codex mcpServerStatus/list: skill {} {} tools {tools:?}",
            status["runtimeStatus"], status["serverInfo"]
        );
        let summary = (&status["runtimeStatus"], &status["toolsError"]);
        assert_eq!(
            status["runtimeStatus"], "connected",
            "{scope:?}: {summary:?}"
        );
        assert_eq!(status["toolsError"], Value::Null, "{scope:?}: {summary:?}");
        assert_eq!(tools, machine.tools(), "{scope:?}: not every tool");
        let (skills, errors) = codex.skills(&machine.project);
        println!("{scope:?}: codex skills/list: {skills:?}, errors {errors}");
        assert!(
            skills.iter().any(|name| name == "secrets-management"),
            "{scope:?}: {skills:?} {errors}"
        );
    }
}
