//! `skill plugin new`: the crate it writes builds outside any workspace, passes
//! its own tests, installs, runs, and shows up over MCP, as a third party
//! would take it from there. The kit is the local one (`--kit-path`), the
//! crate sits in a temporary directory outside the repository, and its build
//! uses a target directory of its own.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Output, Stdio};

use serde_json::{Value, json};
use skill_tests::{Skill, text, workspace};

const NAME: &str = "word-count";

/// What the outer `cargo test` sets that must not reach a build of its own.
const SCRUBBED_ENV: &[&str] = &[
    "CARGO_TARGET_DIR",
    "RUSTFLAGS",
    "CARGO_ENCODED_RUSTFLAGS",
    "CARGO_BUILD_RUSTFLAGS",
    "RUSTC_WRAPPER",
    "RUSTC_WORKSPACE_WRAPPER",
    "CARGO_BUILD_TARGET",
    "CARGO_MANIFEST_DIR",
    "CARGO_MANIFEST_PATH",
    "CARGO_PRIMARY_PACKAGE",
];

/// `cargo ARGS` in the generated crate, with its own target directory (kept
/// between runs, so that the dependencies are built once).
fn cargo(dir: &Path, args: &[&str]) -> Output {
    let mut command = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    command
        .current_dir(dir)
        .args(args)
        .arg("--target-dir")
        .arg(Path::new(env!("CARGO_TARGET_TMPDIR")).join("plugin-new"));
    for name in SCRUBBED_ENV {
        command.env_remove(name);
    }
    let output = command.output().expect("run cargo");
    let (stdout, stderr) = text(&output);
    assert!(
        output.status.success(),
        "`cargo {}` in the generated crate failed:\n{stdout}{stderr}",
        args.join(" ")
    );
    output
}

fn new_plugin(skill: &Skill, args: &[&str]) -> Output {
    let mut all = vec!["plugin", "new"];
    all.extend_from_slice(args);
    skill.run(&all)
}

#[test]
fn a_new_plugin_builds_alone_tests_installs_runs_and_is_listed_over_mcp() {
    let outside = tempfile::tempdir().expect("temp dir");
    assert!(
        !outside.path().starts_with(workspace()),
        "the temporary directory must be outside the repository"
    );
    let dir = outside.path().join(NAME);
    let kit = workspace().join("plugins/kit");
    let skill = Skill::new();
    let written = new_plugin(
        &skill,
        &[
            NAME,
            "--dir",
            dir.to_str().unwrap(),
            "--kit-path",
            kit.to_str().unwrap(),
        ],
    );
    let (stdout, stderr) = text(&written);
    assert!(written.status.success(), "plugin new failed: {stderr}");
    assert!(
        stdout.contains("cargo build --release --target wasm32-wasip2"),
        "{stdout}"
    );

    let manifest = std::fs::read_to_string(dir.join("Cargo.toml")).unwrap();
    for line in [
        "crate-type = [\"cdylib\"]",
        "opt-level = \"s\"",
        "lto = true",
        "codegen-units = 1",
        "panic = \"abort\"",
        "strip = true",
        "[workspace]",
    ] {
        assert!(
            manifest.contains(line),
            "Cargo.toml lacks `{line}`:\n{manifest}"
        );
    }
    let kit_line = format!(
        "skill-pdk = {{ path = \"{}\" }}",
        kit.canonicalize().unwrap().display()
    );
    assert!(manifest.contains(&kit_line), "{manifest}");
    // The same versions as the workspace: no download, and what CI tests.
    std::fs::copy(workspace().join("Cargo.lock"), dir.join("Cargo.lock")).unwrap();

    // Its own tests run the tool natively, checked against its schemas.
    let tested = cargo(&dir, &["test"]);
    let (stdout, _) = text(&tested);
    assert!(stdout.contains("test result: ok. 4 passed"), "{stdout}");

    cargo(&dir, &["build", "--release", "--target", "wasm32-wasip2"]);
    let wasm = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("plugin-new/wasm32-wasip2/release/word_count.wasm");

    let installed = skill.run(&["plugin", "install", wasm.to_str().unwrap(), "--yes"]);
    let (stdout, stderr) = text(&installed);
    assert!(
        installed.status.success(),
        "install failed: {stdout}{stderr}"
    );

    assert_eq!(
        skill.tool_json(NAME, &json!({"text": "the quick brown fox"})),
        json!({"words": 4, "longest": "quick"})
    );
    let flags = skill.run(&["run", NAME, "--text", "a bb", "--format", "text"]);
    let (stdout, stderr) = text(&flags);
    assert!(flags.status.success(), "{stderr}");
    assert_eq!(stdout, "2 words, the longest: bb\n");

    let tool = mcp_tools(&skill)
        .into_iter()
        .find(|tool| tool["name"] == NAME)
        .expect("the new tool is listed over MCP");
    assert_eq!(
        tool["description"].as_str().map(|d| d.contains("words")),
        Some(true)
    );
    assert_eq!(tool["inputSchema"]["required"], json!(["text"]));
    assert_eq!(tool["outputSchema"]["required"], json!(["words"]));
}

/// The tools `skill mcp` lists, asked with raw JSON-RPC lines on its stdin.
fn mcp_tools(skill: &Skill) -> Vec<Value> {
    let mut server = skill
        .command()
        .arg("mcp")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start skill mcp");
    let mut stdin = server.stdin.take().unwrap();
    for message in [
        json!({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
            "protocolVersion": "2025-06-18", "capabilities": {},
            "clientInfo": {"name": "raw", "version": "1"}}}),
        json!({"jsonrpc": "2.0", "method": "notifications/initialized"}),
        json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}),
    ] {
        writeln!(stdin, "{message}").unwrap();
    }
    stdin.flush().unwrap();
    let mut tools = None;
    for line in BufReader::new(server.stdout.take().unwrap()).lines() {
        let reply: Value = serde_json::from_str(&line.unwrap()).expect("a JSON-RPC line");
        if reply["id"] == 1 {
            tools = reply["result"]["tools"].as_array().cloned();
            break;
        }
    }
    drop(stdin);
    server.wait().unwrap();
    tools.expect("a tools/list reply")
}

#[test]
fn a_bad_name_or_a_used_directory_is_refused() {
    let outside = tempfile::tempdir().expect("temp dir");
    let skill = Skill::new();
    for name in ["Word_Count", "caf\u{e9}", "", "a/b"] {
        let dir = outside.path().join("bad");
        let refused = new_plugin(&skill, &[name, "--dir", dir.to_str().unwrap()]);
        let (_, stderr) = text(&refused);
        assert_eq!(refused.status.code(), Some(2), "`{name}`: {stderr}");
        assert!(stderr.contains("is not a plugin name"), "{stderr}");
        assert!(!dir.exists(), "nothing is written for `{name}`");
    }
    let used = outside.path().join("used");
    std::fs::create_dir(&used).unwrap();
    std::fs::write(used.join("notes.txt"), "mine").unwrap();
    let refused = new_plugin(&skill, &[NAME, "--dir", used.to_str().unwrap()]);
    let (_, stderr) = text(&refused);
    assert_eq!(refused.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("exists and is not empty"), "{stderr}");
    assert_eq!(std::fs::read_dir(&used).unwrap().count(), 1);
    // An empty directory is fine.
    let empty = outside.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let written = new_plugin(&skill, &[NAME, "--dir", empty.to_str().unwrap()]);
    assert!(written.status.success(), "{}", text(&written).1);
    let manifest = std::fs::read_to_string(empty.join("Cargo.toml")).unwrap();
    let version_line = format!("skill-pdk = \"{}\"", env!("CARGO_PKG_VERSION"));
    assert!(manifest.contains(&version_line), "{manifest}");
}
