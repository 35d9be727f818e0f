//! `skill mcp` driven by a real MCP client: the official Python SDK (PyPI `mcp`),
//! through `tests/mcp/client.py`, in both protocol generations, with a
//! third-party plugin installed. See the script for what it checks.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::Value;

use skill_tests::{HOSTILE_WASM, Skill, shared_cache, skill_bin, text, workspace};

/// The Python SDK must be there: CI installs it, and a test that cannot run
/// must say so rather than pass.
fn require_python_sdk() {
    let probe = Command::new("python3")
        .args([
            "-c",
            "import importlib.metadata as m, jsonschema; from mcp import Client; print(m.version('mcp'))",
        ])
        .output();
    match probe {
        Ok(output) if output.status.success() => {
            let version = String::from_utf8_lossy(&output.stdout);
            let major: u32 = version
                .trim()
                .split('.')
                .next()
                .and_then(|m| m.parse().ok())
                .unwrap_or(0);
            assert!(
                major >= 2,
                "the MCP Python SDK is {}; this test needs 2.x: pip install 'mcp>=2.3'",
                version.trim()
            );
        }
        Ok(output) => panic!(
            "the MCP Python SDK is missing: pip install mcp\n{}",
            text(&output).1
        ),
        Err(error) => panic!("python3 cannot be run ({error}); install it, then: pip install mcp"),
    }
}

#[test]
fn the_python_sdk_drives_skill_mcp() {
    require_python_sdk();
    let skill = Skill::new();
    let output = skill.run(&["plugin", "install", HOSTILE_WASM, "--yes"]);
    assert!(output.status.success(), "{}", text(&output).1);

    let script = workspace().join("tests/mcp/client.py");
    let output = Command::new("python3")
        .arg(&script)
        .arg("--skill")
        .arg(skill_bin())
        .arg("--workspace")
        .arg(workspace())
        .env("SKILL_HOME", skill.home.path())
        .env("SKILL_CACHE_DIR", shared_cache())
        .env_remove("RUST_LOG")
        .current_dir(workspace())
        .output()
        .expect("run the MCP client script");
    let (stdout, stderr) = text(&output);
    assert!(
        output.status.success(),
        "{} failed:\n{stdout}\n--- stderr ---\n{stderr}",
        script.display()
    );
    assert!(stdout.contains(" passed, 0 failed"), "{stdout}");
}

/// Relative input-file paths: the client's first root when it offers roots,
/// else the server's directory (see the script).
#[test]
fn relative_paths_resolve_against_the_clients_first_root() {
    require_python_sdk();
    let skill_home = tempfile::tempdir().unwrap();
    let script = workspace().join("tests/mcp/roots.py");
    let output = Command::new("python3")
        .arg(&script)
        .arg("--skill")
        .arg(skill_bin())
        .arg("--workspace")
        .arg(workspace())
        .env("SKILL_HOME", skill_home.path())
        .env("SKILL_CACHE_DIR", shared_cache())
        .env_remove("RUST_LOG")
        .output()
        .expect("run the MCP roots script");
    let (stdout, stderr) = text(&output);
    assert!(
        output.status.success(),
        "{} failed:\n{stdout}\n--- stderr ---\n{stderr}",
        script.display()
    );
    assert!(stdout.contains(" passed, 0 failed"), "{stdout}");
}

/// Raw lines written to `skill mcp`'s stdin, as a broken or hostile client
/// might send them: each gets its answer, and the session goes on.
#[test]
fn mcp_answers_every_line() {
    let skill = Skill::new();
    let mut server = skill
        .command()
        .arg("mcp")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start skill mcp");
    let lines: [&[u8]; 7] = [
        br#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"raw","version":"1"}}}"#,
        br#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#,
        // Invalid UTF-8 inside a string, and a number no double holds.
        b"{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"ping\",\"params\":{\"x\":\"\xff\xfe\"}}",
        br#"{"jsonrpc":"2.0","id":3,"method":"ping","params":{"x":1e400}}"#,
        // Arguments that are not an object.
        br#"{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"rotation-planner","arguments":[1,2]}}"#,
        br#"{"jsonrpc":"2.0","id":"five","method":"tools/call","params":{"name":"rotation-planner","arguments":"text"}}"#,
        br#"{"jsonrpc":"2.0","id":6,"method":"ping"}"#,
    ];
    let mut stdin = server.stdin.take().unwrap();
    for line in lines {
        stdin.write_all(line).unwrap();
        stdin.write_all(b"\n").unwrap();
    }
    stdin.flush().unwrap();
    let stdout = server.stdout.take().unwrap();
    let (sender, replies) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if sender.send(line).is_err() {
                break;
            }
        }
    });
    // initialize, two parse errors, two invalid params, the ping.
    let mut got = Vec::new();
    while got.len() < 6 {
        let line = replies
            .recv_timeout(Duration::from_secs(30))
            .unwrap_or_else(|_| panic!("a line went unanswered; replies so far: {got:#?}"));
        got.push(serde_json::from_str::<Value>(&line).unwrap());
    }
    drop(stdin);
    let _ = server.wait();
    let code = |reply: &Value| reply["error"]["code"].as_i64();
    let parse_errors = got
        .iter()
        .filter(|r| code(r) == Some(-32700) && r["id"].is_null())
        .count();
    assert_eq!(parse_errors, 2, "{got:#?}");
    for id in [Value::from(4), Value::from("five")] {
        assert!(
            got.iter().any(|r| r["id"] == id && code(r) == Some(-32602)),
            "no -32602 for {id}: {got:#?}"
        );
    }
    assert!(
        got.iter().any(|r| r["id"] == 6 && r["result"].is_object()),
        "the session did not go on: {got:#?}"
    );
}
