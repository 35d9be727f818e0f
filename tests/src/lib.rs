//! Shared helpers for the end-to-end tests: the test plugins' paths, the real
//! `skill` binary, and a private `SKILL_HOME` per test.

use std::path::PathBuf;
use std::process::{Command, Output};

pub mod azure_cli;
pub mod checkers;
pub mod docs;
pub mod mcp;
pub mod minisign;
pub mod moto;
pub mod openbao;
pub mod registry;

include!(concat!(env!("OUT_DIR"), "/test_plugins.rs"));

/// The `skill` binary built by this `cargo test` run (or `$SKILL_BIN`).
///
/// Never a bare `skill` from `PATH`: on Debian that is procps's signal sender.
pub fn skill_bin() -> PathBuf {
    if let Some(path) = std::env::var_os("SKILL_BIN") {
        return PathBuf::from(path);
    }
    // Tests run from target/<profile>/deps/, binaries from target/<profile>/.
    let exe = std::env::current_exe().expect("own executable path");
    let candidates: Vec<PathBuf> = exe
        .ancestors()
        .skip(1)
        .take(2)
        .map(|dir| dir.join("skill"))
        .collect();
    candidates.iter().find(|bin| bin.is_file()).cloned().unwrap_or_else(|| {
        panic!(
            "{} is missing: run `cargo test --workspace` (or `cargo build -p skill` with the same profile)",
            candidates[0].display()
        )
    })
}

/// The workspace root, for shipped examples.
pub fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace")
        .to_path_buf()
}

/// Compiled code shared by all tests: compiling a plugin in a debug build
/// takes seconds, and the cache is keyed by content, so sharing is safe.
pub fn shared_cache() -> PathBuf {
    workspace().join("target").join("test-skill-cache")
}

/// One tool of each first-party plugin: running its example compiles the plugin.
const ONE_TOOL_PER_PLUGIN: [&str; 4] = [
    "rotation-planner",
    "vault-config",
    "audit-analyzer",
    "emergency-playbook",
];

/// Compiles every first-party plugin into the shared cache once per test
/// binary, so that tests running in parallel do not all compile them at once.
fn warm_shared_cache() {
    static WARM: std::sync::Once = std::sync::Once::new();
    WARM.call_once(|| {
        let home = tempfile::tempdir().expect("temp dir");
        let examples: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(workspace().join("tests/tool-examples.json"))
                .expect("tests/tool-examples.json"),
        )
        .expect("tool examples are JSON");
        for tool in ONE_TOOL_PER_PLUGIN {
            let status = Command::new(skill_bin())
                .args(["run", tool, "--format", "json", "--input"])
                .arg(examples[tool].to_string())
                .current_dir(workspace())
                .env("SKILL_HOME", home.path())
                .env("SKILL_CACHE_DIR", shared_cache())
                .stdout(std::process::Stdio::null())
                .status()
                .expect("run skill");
            assert!(
                status.success(),
                "`skill run {tool}` on its example failed while warming the cache"
            );
        }
    });
}

/// A `skill` command with its own empty `SKILL_HOME` (plugins), sharing compiled code.
pub struct Skill {
    pub home: tempfile::TempDir,
}

impl Skill {
    pub fn new() -> Self {
        Self {
            home: tempfile::tempdir().expect("temp dir"),
        }
    }

    pub fn command(&self) -> Command {
        warm_shared_cache();
        let mut command = Command::new(skill_bin());
        command
            .env("SKILL_HOME", self.home.path())
            .env_remove("RUST_LOG")
            .current_dir(workspace());
        command
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.command().args(args).output().expect("run skill")
    }

    /// Runs `tool` on `input` (`--input JSON --format json`), asserts it
    /// succeeded, and returns its output object.
    pub fn tool_json(&self, tool: &str, input: &serde_json::Value) -> serde_json::Value {
        self.tool_json_with(tool, input, &[])
    }

    /// [`Skill::tool_json`] with `--out DIR`: the tool's files land in `dir`.
    pub fn tool_out(
        &self,
        tool: &str,
        input: &serde_json::Value,
        dir: &std::path::Path,
    ) -> serde_json::Value {
        let dir = dir.to_str().expect("a UTF-8 path");
        self.tool_json_with(tool, input, &["--out", dir])
    }

    /// [`Skill::tool_json`] with more arguments.
    pub fn tool_json_with(
        &self,
        tool: &str,
        input: &serde_json::Value,
        more: &[&str],
    ) -> serde_json::Value {
        let input = input.to_string();
        let mut args = vec!["run", tool, "--input", &input, "--format", "json"];
        args.extend_from_slice(more);
        let output = self.run(&args);
        let (stdout, stderr) = text(&output);
        assert!(
            output.status.success(),
            "{tool} failed on {input}: {stderr}"
        );
        serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{tool} output is not JSON: {e}"))
    }
}

impl Default for Skill {
    fn default() -> Self {
        Self::new()
    }
}

/// stdout and stderr as text, for assertions and failure messages.
pub fn text(output: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}
