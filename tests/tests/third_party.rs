//! The third-party path of issue 21 through the real binary: running a plugin
//! file without installing it, upgrades you can read, the install preview,
//! `plugin/tool` names, and what agents get (renderings over MCP, guidance).
//!
//! Plugins: the kit's `hello` (0.1.0, `greet`) and `tests/plugins/hello-next`
//! (`hello` 0.2.0: `greet` with a new input file, `farewell`, guidance; with
//! its variant byte patched, a plugin `howdy` that also serves `greet`).

use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;

use serde_json::{Value, json};
use skill_tests::mcp::McpServer;
use skill_tests::{HELLO_NEXT_WASM, HELLO_WASM, HOSTILE_WASM, Skill, text};

/// hello-next with its variant byte set to `which`, written into `dir`.
fn hello_next_variant(dir: &Path, which: u8) -> PathBuf {
    let mut wasm = std::fs::read(HELLO_NEXT_WASM).unwrap();
    let marker = b"hello-next-variant:0;";
    let at: Vec<usize> = wasm
        .windows(marker.len())
        .enumerate()
        .filter(|(_, window)| window == marker)
        .map(|(at, _)| at)
        .collect();
    assert_eq!(at.len(), 1, "the variant marker is in the component once");
    wasm[at[0] + marker.len() - 2] = which;
    let path = dir.join(format!("hello-next-{}.wasm", which as char));
    std::fs::write(&path, wasm).unwrap();
    path
}

fn succeeded(output: &Output) -> (String, String) {
    let (stdout, stderr) = text(output);
    assert!(output.status.success(), "{stderr}");
    (stdout, stderr)
}

fn failed_with(output: &Output, code: i32) -> String {
    let (_, stderr) = text(output);
    assert_eq!(output.status.code(), Some(code), "{stderr}");
    stderr
}

/// The files of `dir` whose names start with `sha256` (compiled code is keyed so).
fn keyed_files(dir: &Path, sha256: &str) -> usize {
    std::fs::read_dir(dir).map_or(0, |entries| {
        entries
            .filter(|e| {
                e.as_ref()
                    .unwrap()
                    .file_name()
                    .to_string_lossy()
                    .starts_with(sha256)
            })
            .count()
    })
}

/// The SHA-256 `skill plugin list` shows for the installed `plugin`.
fn installed_sha256(skill: &Skill, plugin: &str) -> String {
    let (list, _) = succeeded(&skill.run(&["plugin", "list"]));
    let block = list
        .split("\n")
        .skip_while(|line| !line.starts_with(&format!("{plugin} ")))
        .nth(1)
        .unwrap_or_else(|| panic!("{plugin} not listed: {list}"));
    block.trim().strip_prefix("sha256: ").unwrap().to_owned()
}

/// Point 4: `--plugin FILE.wasm` serves a plugin for one command, in the same
/// sandbox and under the same limits, and installs nothing.
#[test]
fn a_plugin_file_runs_without_being_installed() {
    let skill = Skill::new();
    let (stdout, _) =
        succeeded(&skill.run(&["run", "--plugin", HELLO_WASM, "greet", "--name", "Ada"]));
    assert_eq!(stdout, "Hello, Ada!\n");
    // After the tool's name too, and repeatable.
    let (stdout, _) = succeeded(&skill.run(&[
        "run", "greet", "--name", "Ada", "--format", "json", "--plugin", HELLO_WASM,
    ]));
    assert_eq!(
        serde_json::from_str::<Value>(&stdout).unwrap(),
        json!({"greeting": "Hello, Ada!"})
    );
    let (list, _) =
        succeeded(&skill.run(&["list", "--plugin", HELLO_WASM, "--plugin", HOSTILE_WASM]));
    assert!(
        list.contains("greet") && list.contains("read-passwd"),
        "{list}"
    );
    // Nothing was installed.
    assert!(!skill.home.path().join("plugins").exists());
    let stderr = failed_with(&skill.run(&["run", "greet", "--name", "Ada"]), 2);
    assert!(stderr.contains("no tool named `greet`"), "{stderr}");

    // The same sandbox: no filesystem; the same limits: --timeout.
    let stderr = failed_with(
        &skill.run(&["run", "--plugin", HOSTILE_WASM, "read-passwd"]),
        1,
    );
    assert!(stderr.contains("reading /etc/passwd failed"), "{stderr}");
    let stderr = failed_with(
        &skill.run(&["run", "--plugin", HOSTILE_WASM, "--timeout", "1", "sleep"]),
        1,
    );
    assert!(stderr.contains("time limit of 1 s"), "{stderr}");

    // It stands in for an installed plugin of its name.
    succeeded(&skill.run(&["plugin", "install", HELLO_WASM, "--yes"]));
    let (list, _) = succeeded(&skill.run(&["list", "--plugin", HELLO_NEXT_WASM]));
    assert!(
        list.contains("(hello 0.2.0)") && !list.contains("(hello 0.1.0)"),
        "{list}"
    );
    let (list, _) = succeeded(&skill.run(&["list"]));
    assert!(list.contains("(hello 0.1.0)"), "{list}");

    // A file that is not there is bad usage, named.
    let stderr = failed_with(&skill.run(&["list", "--plugin", "no/such.wasm"]), 2);
    assert!(
        stderr.contains("--plugin") && stderr.contains("no/such.wasm"),
        "{stderr}"
    );

    // Over MCP as well.
    let fresh = Skill::new();
    let mut server = McpServer::start(fresh.command().args(["mcp", "--plugin", HELLO_WASM]));
    let names: Vec<Value> = server.tools(1).iter().map(|t| t["name"].clone()).collect();
    assert!(names.contains(&json!("greet")), "{names:?}");
    server.call(2, "greet", json!({"name": "Ada"}));
    let reply = server.reply(2, Duration::from_secs(60));
    assert_eq!(
        reply["result"]["structuredContent"],
        json!({"greeting": "Hello, Ada!"}),
        "{reply}"
    );
}

/// Point 5: installing over a plugin shows versions, tools, schema and grant
/// changes and asks; a downgrade needs --allow-downgrade; upgrade and remove
/// delete the old compiled code; remove given a tool names its plugin.
#[test]
fn upgrades_say_what_changes_and_downgrades_need_consent() {
    let skill = Skill::new();
    let cache = tempfile::tempdir().unwrap();
    let compiled = cache.path().join("compiled");
    let run = |args: &[&str]| {
        skill
            .command()
            .args(args)
            .env("SKILL_CACHE_DIR", cache.path())
            .output()
            .unwrap()
    };
    succeeded(&run(&["plugin", "install", HELLO_WASM, "--yes"]));
    succeeded(&run(&["run", "greet", "--name", "Ada"]));
    let old = installed_sha256(&skill, "hello");
    assert_eq!(keyed_files(&compiled, &old), 2, "code and its digest");

    // Without a terminal or --yes: shown, not done.
    let stderr = failed_with(&run(&["plugin", "install", HELLO_NEXT_WASM]), 2);
    assert!(stderr.contains("--yes"), "{stderr}");
    assert_eq!(installed_sha256(&skill, "hello"), old);

    let (_, stderr) = succeeded(&run(&["plugin", "install", HELLO_NEXT_WASM, "--yes"]));
    for expected in [
        "Replaces installed hello 0.1.0 -> 0.2.0 (upgrade)",
        "tools added: farewell",
        "tools removed: none",
        "greet: input schema changed",
        "greet: reads files names_file (was none)",
    ] {
        assert!(stderr.contains(expected), "{expected:?} not in:\n{stderr}");
    }
    assert_eq!(keyed_files(&compiled, &old), 0, "the old code stays");
    let new = installed_sha256(&skill, "hello");

    // Back to 0.1.0: a downgrade, refused unless allowed.
    let stderr = failed_with(&run(&["plugin", "install", HELLO_WASM, "--yes"]), 2);
    assert!(stderr.contains("0.2.0 -> 0.1.0 (DOWNGRADE)"), "{stderr}");
    assert!(stderr.contains("tools removed: farewell"), "{stderr}");
    assert!(stderr.contains("--allow-downgrade"), "{stderr}");
    assert_eq!(installed_sha256(&skill, "hello"), new);
    succeeded(&run(&[
        "plugin",
        "install",
        HELLO_WASM,
        "--yes",
        "--allow-downgrade",
    ]));
    let (list, _) = succeeded(&run(&["list"]));
    assert!(
        list.contains("(hello 0.1.0)") && !list.contains("farewell"),
        "{list}"
    );

    // Remove, given a tool's name, names the plugin; given the plugin's, removes
    // it with its compiled code.
    let stderr = failed_with(&run(&["plugin", "remove", "greet"]), 2);
    assert!(
        stderr.contains("`greet` is a tool of plugin hello (skill plugin remove hello)"),
        "{stderr}"
    );
    let stderr = failed_with(&run(&["plugin", "remove", "vault-config"]), 2);
    assert!(
        stderr.contains("first-party plugin vault-config"),
        "{stderr}"
    );
    succeeded(&run(&["run", "greet", "--name", "Ada"]));
    assert_eq!(keyed_files(&compiled, &old), 2);
    let (_, stderr) = succeeded(&run(&["plugin", "remove", "hello"]));
    assert!(stderr.contains("Removed plugin hello 0.1.0"), "{stderr}");
    assert_eq!(keyed_files(&compiled, &old), 0);
    assert_eq!(keyed_files(&cache.path().join("manifests"), &old), 0);
}

/// Point 6: the preview says what a plugin is granted and produces, its
/// renderings, contract, size and signer, and WASI as nothing granted.
#[test]
fn the_install_preview_shows_what_matters() {
    let skill = Skill::new();
    let stderr = failed_with(&skill.run(&["plugin", "install", HELLO_NEXT_WASM]), 2);
    let size = std::fs::metadata(HELLO_NEXT_WASM).unwrap().len() as f64 / 1024.0;
    for expected in [
        format!("Plugin hello 0.2.0 (contract 0.1.0, {size:.1} KiB, sha256 "),
        "Unsigned\n".to_owned(),
        "  greet: Greets someone by name.\n    reads files: names_file\n    produces files: none\n    renderings: json, text\n".to_owned(),
        "  farewell: Says goodbye to someone.\n    reads files: none\n    produces files: none\n    renderings: json, text, markdown\n".to_owned(),
        "skill:plugin/host@0.1.0: logging, progress, and the input files above".to_owned(),
        "interfaces): nothing granted".to_owned(),
        "Guidance for agents: ".to_owned(),
    ] {
        assert!(stderr.contains(&expected), "{expected:?} not in:\n{stderr}");
    }
    assert!(!stderr.contains("wasi:"), "WASI stubs listed:\n{stderr}");

    let stderr = failed_with(&skill.run(&["plugin", "install", HOSTILE_WASM]), 2);
    assert!(
        stderr.contains("  produce-files: ") && stderr.contains("produces files: files\n"),
        "{stderr}"
    );
}

/// Point 7: every tool is `plugin/tool`; two plugins with a tool of one name
/// leave the bare name to neither, and say which names to use, on the command
/// line and over MCP (as `plugin_tool`, within MCP clients' name rules).
#[test]
fn tools_are_addressed_by_plugin_and_a_shared_name_is_nobodys() {
    let skill = Skill::new();
    let dir = tempfile::tempdir().unwrap();
    let howdy = hello_next_variant(dir.path(), b'1');
    succeeded(&skill.run(&["plugin", "install", HELLO_WASM, "--yes"]));
    let (stdout, _) = succeeded(&skill.run(&["run", "hello/greet", "--name", "Ada"]));
    assert_eq!(stdout, "Hello, Ada!\n");
    let (_, stderr) =
        succeeded(&skill.run(&["plugin", "install", howdy.to_str().unwrap(), "--yes"]));
    assert!(
        stderr.contains("Tool `greet` is also served by hello/greet: neither takes the name; call them howdy/greet and hello/greet"),
        "{stderr}"
    );

    let stderr = failed_with(&skill.run(&["run", "greet", "--name", "Ada"]), 2);
    assert!(
        stderr.contains("call one by its qualified name: hello/greet, howdy/greet"),
        "{stderr}"
    );
    for tool in ["hello/greet", "howdy/greet"] {
        let (stdout, _) = succeeded(&skill.run(&["run", tool, "--name", "Ada"]));
        assert_eq!(stdout, "Hello, Ada!\n");
    }
    // A name only one plugin has stays bare, and qualified works too.
    for tool in ["farewell", "howdy/farewell"] {
        let (stdout, _) = succeeded(&skill.run(&["run", tool, "--name", "Ada"]));
        assert_eq!(stdout, "Goodbye, Ada.\n");
    }
    let stderr = failed_with(&skill.run(&["run", "hello/farewell", "--name", "Ada"]), 2);
    assert!(
        stderr.contains("no tool named `hello/farewell`"),
        "{stderr}"
    );
    let (list, _) = succeeded(&skill.run(&["list", "--format", "json"]));
    let list: Value = serde_json::from_str(&list).unwrap();
    let names: Vec<&str> = list["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"hello/greet")
            && names.contains(&"howdy/greet")
            && names.contains(&"farewell"),
        "{names:?}"
    );
    assert!(!names.contains(&"greet"), "{names:?}");

    let mut server = McpServer::start(skill.command().arg("mcp"));
    let tools = server.tools(1);
    let names: Vec<&str> = tools.iter().map(|t| t["name"].as_str().unwrap()).collect();
    for name in &names {
        let fits = (1..=64).contains(&name.len())
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        assert!(fits, "{name} breaks ^[a-zA-Z0-9_-]{{1,64}}$");
    }
    assert!(
        names.contains(&"hello_greet")
            && names.contains(&"howdy_greet")
            && names.contains(&"farewell"),
        "{names:?}"
    );
    for (id, name) in [(2, "hello_greet"), (3, "howdy/greet")] {
        server.call(id, name, json!({"name": "Ada"}));
        let reply = server.reply(id, Duration::from_secs(60));
        assert_eq!(
            reply["result"]["structuredContent"]["greeting"], "Hello, Ada!",
            "{reply}"
        );
    }
    server.call(4, "greet", json!({"name": "Ada"}));
    let reply = server.reply(4, Duration::from_secs(60));
    assert!(
        reply["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("hello/greet, howdy/greet")),
        "{reply}"
    );
}

/// Point 8: a tool's renderings reach an agent over MCP (a `format` argument:
/// the text a person sees, beside `structuredContent`), and a plugin's
/// guidance goes where the agent reads skills, and goes again.
#[test]
fn agents_see_what_people_see() {
    let skill = Skill::new();
    succeeded(&skill.run(&["plugin", "install", HELLO_NEXT_WASM, "--yes"]));
    let (person, _) =
        succeeded(&skill.run(&["run", "farewell", "--name", "Ada", "--format", "markdown"]));

    let mut server = McpServer::start(skill.command().arg("mcp"));
    let tools = server.tools(1);
    let farewell = tools.iter().find(|t| t["name"] == "farewell").unwrap();
    assert_eq!(
        farewell["inputSchema"]["properties"]["format"]["enum"],
        json!(["text", "markdown"]),
        "{farewell}"
    );
    server.call(2, "farewell", json!({"name": "Ada", "format": "markdown"}));
    let reply = server.reply(2, Duration::from_secs(60));
    assert_eq!(
        reply["result"]["content"][0]["text"],
        person.trim_end(),
        "{reply}"
    );
    assert_eq!(
        reply["result"]["structuredContent"],
        json!({"farewell": "Goodbye, Ada."})
    );
    server.call(3, "farewell", json!({"name": "Ada"}));
    let reply = server.reply(3, Duration::from_secs(60));
    assert_eq!(
        reply["result"]["content"][0]["text"],
        r#"{"farewell":"Goodbye, Ada."}"#
    );
    server.call(4, "farewell", json!({"name": "Ada", "format": "csv"}));
    let reply = server.reply(4, Duration::from_secs(60));
    assert_eq!(reply["result"]["isError"], true, "{reply}");
    drop(server);

    let home = tempfile::tempdir().unwrap();
    let agent = |args: &[&str]| {
        skill
            .command()
            .args(args)
            .env("HOME", home.path())
            .env_remove("CODEX_HOME")
            .current_dir(home.path())
            .output()
            .unwrap()
    };
    succeeded(&agent(&["install", "--agent", "claude-code"]));
    let guide = home.path().join(".claude/skills/hello/SKILL.md");
    let text = std::fs::read_to_string(&guide).unwrap();
    let shipped = std::fs::read_to_string(
        skill_tests::workspace().join("tests/plugins/hello-next/GUIDANCE.md"),
    )
    .unwrap();
    assert!(
        text.starts_with("---\nname: hello\ndescription: \""),
        "{text}"
    );
    assert!(text.contains("greet, farewell"), "{text}");
    assert!(text.ends_with(&format!("---\n\n{shipped}")), "{text}");
    assert!(
        home.path()
            .join(".claude/skills/secrets-management/SKILL.md")
            .is_file()
    );
    // The format's reference validator (PyPI `skills-ref`, as tests/tests/docs.rs uses it).
    let validated = std::process::Command::new("agentskills")
        .arg("validate")
        .arg(guide.parent().unwrap())
        .output()
        .expect("agentskills (pip install skills-ref)");
    succeeded(&validated);

    // Its plugin removed, the next install takes its guidance away; uninstall
    // takes all of it.
    succeeded(&skill.run(&["plugin", "remove", "hello"]));
    succeeded(&agent(&["install", "--agent", "claude-code"]));
    assert!(!guide.exists());
    succeeded(&skill.run(&["plugin", "install", HELLO_NEXT_WASM, "--yes"]));
    succeeded(&agent(&["install", "--agent", "codex"]));
    let codex_guide = home.path().join(".agents/skills/hello/SKILL.md");
    assert!(codex_guide.is_file());
    succeeded(&agent(&["uninstall", "--agent", "codex"]));
    assert!(!codex_guide.exists());
}
