//! `skill mcp` driven by a real MCP client: the official Python SDK (PyPI `mcp`),
//! through `tests/mcp/client.py`, in both protocol generations, with a
//! third-party plugin installed. See the script for what it checks.

use std::process::Command;

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
