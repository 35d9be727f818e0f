//! The command line as DESIGN.md sets it, driven through the real binary.

use serde_json::Value;
use skill_tests::{HELLO_WASM, HOSTILE_WASM, Skill, text, workspace};

const PLAN: &[&str] = &[
    "run",
    "rotation-planner",
    "--inventory",
    "examples/inventory.json",
    "--policy",
    "30d",
    "--as-of",
    "2026-06-01",
];

fn with(base: &[&str], extra: &[&str]) -> Vec<String> {
    base.iter().chain(extra).map(|s| s.to_string()).collect()
}

fn run(skill: &Skill, args: &[String]) -> std::process::Output {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    skill.run(&args)
}

#[test]
fn the_same_input_gives_the_same_bytes() {
    let skill = Skill::new();
    for format in ["text", "json", "markdown", "csv", "ics"] {
        let args = with(PLAN, &["--format", format]);
        let first = run(&skill, &args);
        let second = run(&skill, &args);
        let (stdout, stderr) = text(&first);
        assert!(first.status.success(), "{format}: {stderr}");
        assert!(!stdout.is_empty());
        assert_eq!(
            first.stdout, second.stdout,
            "{format} output differs between runs"
        );
    }
}

#[test]
fn json_output_is_valid_against_the_declared_output_schema() {
    let skill = Skill::new();
    let output = run(&skill, &with(PLAN, &["--format", "json"]));
    assert!(output.status.success(), "{}", text(&output).1);
    let plan: Value = serde_json::from_slice(&output.stdout).unwrap();
    let schema_out = skill.run(&["schema", "rotation-planner", "--output"]);
    let schema: Value = serde_json::from_slice(&schema_out.stdout).unwrap();
    assert_eq!(
        skill_service::schema::validate(&schema, &plan).unwrap(),
        vec![]
    );
    assert_eq!(plan["as_of"], "2026-06-01");
    assert_eq!(plan["policy_days"], 30);
    // The entry with a bad date is reported with its pointer, not dropped.
    let problems = plan["problems"].as_array().unwrap();
    assert!(
        problems
            .iter()
            .any(|p| p["pointer"].as_str().unwrap().ends_with("/last_rotated")),
        "{problems:?}"
    );
}

#[test]
fn renderings_have_their_formats() {
    let skill = Skill::new();
    let ics = run(&skill, &with(PLAN, &["--format", "ics"]));
    let ics = String::from_utf8(ics.stdout).unwrap();
    assert!(ics.starts_with("BEGIN:VCALENDAR\r\n"), "{ics}");
    assert!(ics.contains("DTSTART;VALUE=DATE:"));
    let csv = run(&skill, &with(PLAN, &["--format", "csv"]));
    let csv = String::from_utf8(csv.stdout).unwrap();
    assert!(csv.lines().next().unwrap().contains("name"), "{csv}");
    let markdown = run(&skill, &with(PLAN, &["--format", "markdown"]));
    assert!(String::from_utf8(markdown.stdout).unwrap().contains("| "));
}

#[test]
fn csv_inventories_and_inline_secrets_are_planned() {
    let skill = Skill::new();
    let output = skill.run(&[
        "run",
        "rotation-planner",
        "--inventory",
        "examples/inventory.csv",
        "--as-of",
        "2026-06-01",
        "--format",
        "json",
    ]);
    assert!(output.status.success(), "{}", text(&output).1);
    let plan: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert!(!plan["schedule"].as_array().unwrap().is_empty());

    let plan = plan_inline(
        &skill,
        r#"{"secrets":[{"name":"db","type":"database","last_rotated":"2026-05-01"}],"as_of":"2026-06-01","policy":"90d"}"#,
    );
    assert_eq!(plan["schedule"][0]["due"], "2026-05-31");
    assert_eq!(plan["schedule"][0]["urgency"], "critical");
}

/// Plans secrets given inline with `--input` and returns the JSON plan.
fn plan_inline(skill: &Skill, input: &str) -> Value {
    skill.tool_json("rotation-planner", &serde_json::from_str(input).unwrap())
}

#[test]
fn as_of_defaults_to_today_in_utc() {
    let skill = Skill::new();
    let plan = plan_inline(
        &skill,
        r#"{"secrets":[{"name":"db","type":"database","last_rotated":"2026-05-01"}]}"#,
    );
    let date = std::process::Command::new("date")
        .args(["-u", "+%F"])
        .output()
        .unwrap();
    let today = String::from_utf8(date.stdout).unwrap();
    assert_eq!(plan["as_of"], today.trim());
}

/// Each kind of bad input exits 2 and names where it is.
#[test]
fn invalid_input_exits_2_with_a_pointer() {
    let skill = Skill::new();
    let cases: &[(&[&str], &str)] = &[
        (&["--policy", "thirty"], "/policy"),
        (&["--as-of", "2026-13-45"], "/as_of"),
        (&["--as-of", "June 1st"], "/as_of"),
        (&["--input", r#"{"policy": 30}"#], "/policy"),
        (&["--input", r#"{"surprise": true}"#], "surprise"),
        (&["--input", r#"{"secrets": "db"}"#], "/secrets"),
        (&["--inventory", "no/such/file.json"], "/inventory"),
        (&["--inventory", "examples"], "/inventory"),
    ];
    for (extra, pointer) in cases {
        let mut args = vec!["run", "rotation-planner"];
        args.extend_from_slice(extra);
        if !extra.contains(&"--inventory") && !extra.iter().any(|a| a.contains("secrets")) {
            args.extend_from_slice(&["--inventory", "examples/inventory.json"]);
        }
        let output = skill.run(&args);
        let (stdout, stderr) = text(&output);
        assert_eq!(output.status.code(), Some(2), "{extra:?}: {stderr}");
        assert!(
            stderr.contains(pointer),
            "{extra:?}: expected {pointer} in: {stderr}"
        );
        assert!(stdout.is_empty(), "{extra:?} printed a result: {stdout}");
    }
}

#[test]
fn malformed_input_and_usage_errors_exit_2() {
    let skill = Skill::new();
    let bad = workspace().join("target").join("bad-inventory-test.json");
    std::fs::write(&bad, "[{\"name\": \"x\",").unwrap();
    for args in [
        vec!["run", "rotation-planner", "--input", "{not json"],
        vec!["run", "rotation-planner", "--no-such-flag", "1"],
        vec!["run", "no-such-tool"],
        vec![
            "run",
            "rotation-planner",
            "--inventory",
            bad.to_str().unwrap(),
            "--as-of",
            "2026-06-01",
        ],
        vec![
            "run",
            "rotation-planner",
            "--inventory",
            "examples/inventory.json",
            "--format",
            "pdf",
        ],
    ] {
        let output = skill.run(&args);
        let (_, stderr) = text(&output);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(!stderr.trim().is_empty());
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
}

#[test]
fn run_help_lists_the_flags_made_from_the_schema() {
    let skill = Skill::new();
    let output = skill.run(&["run", "rotation-planner", "--help"]);
    let (stdout, stderr) = text(&output);
    assert!(output.status.success(), "{stderr}");
    for flag in [
        "--inventory <FILE>",
        "--secrets <JSON>",
        "--policy",
        "--as-of",
        "--input",
        "--format",
    ] {
        assert!(stdout.contains(flag), "missing {flag} in:\n{stdout}");
    }
    assert!(stdout.contains("default: today (UTC)"), "{stdout}");
    assert!(
        stdout.contains("Rotation policy"),
        "descriptions missing:\n{stdout}"
    );
    assert!(
        stdout.contains("Example:\n  skill run rotation-planner --inventory"),
        "{stdout}"
    );
}

#[test]
fn list_and_schema_describe_the_tools() {
    let skill = Skill::new();
    let output = skill.run(&["list", "--format", "json"]);
    let list: Value = serde_json::from_slice(&output.stdout).unwrap();
    let names: Vec<&str> = list["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"rotation-planner"), "{names:?}");
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted, "tools are listed in a stable order");
    let output = skill.run(&["schema", "rotation-planner"]);
    let schema: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(schema["type"], "object");
    assert_eq!(schema["additionalProperties"], false);
    assert!(!serde_json::to_string(&schema).unwrap().contains("$ref"));
    assert_eq!(
        schema["properties"]["inventory"]["x-skill-input-file"],
        true
    );
}

#[test]
fn compiled_code_is_cached_and_a_tampered_artifact_is_rebuilt() {
    let skill = Skill::new();
    // A private cache, so that tampering with it cannot disturb other tests.
    let cache = tempfile::tempdir().unwrap();
    let run_private = |args: &[&str]| {
        skill
            .command()
            .args(args)
            .env("SKILL_CACHE_DIR", cache.path())
            .env("RUST_LOG", "warn")
            .output()
            .unwrap()
    };
    let installed = run_private(&["plugin", "install", HELLO_WASM, "--yes"]);
    assert!(installed.status.success(), "{}", text(&installed).1);
    let greet = ["run", "greet", "--name", "Ada", "--format", "json"];
    let first = run_private(&greet);
    assert!(first.status.success(), "{}", text(&first).1);
    let compiled = cache.path().join("compiled");
    let artifacts: Vec<_> = std::fs::read_dir(&compiled)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "cwasm"))
        .collect();
    // Only the third-party plugin was compiled: first-party plugins ship their
    // code compiled with the binary. Damage every artifact there is.
    assert_eq!(artifacts.len(), 1, "{artifacts:?}");
    for artifact in &artifacts {
        let mut bytes = std::fs::read(artifact).unwrap();
        let middle = bytes.len() / 2;
        bytes[middle] ^= 0xff;
        std::fs::write(artifact, &bytes).unwrap();
    }
    let again = run_private(&greet);
    let (_, stderr) = text(&again);
    assert!(again.status.success(), "{stderr}");
    assert!(stderr.contains("does not match its digest"), "{stderr}");
    assert_eq!(first.stdout, again.stdout);
}

/// With an empty cache, a first-party tool runs without compiling anything:
/// its code comes precompiled with the binary, and nothing is written to the
/// compiled-code cache.
#[test]
fn first_party_tools_need_no_compile_on_an_empty_cache() {
    let skill = Skill::new();
    let cache = tempfile::tempdir().unwrap();
    let output = skill
        .command()
        .args(with(PLAN, &["--format", "json"]))
        .env("SKILL_CACHE_DIR", cache.path())
        .env("RUST_LOG", "debug")
        .output()
        .unwrap();
    let (_, stderr) = text(&output);
    assert!(output.status.success(), "{stderr}");
    assert!(!stderr.contains("compiled component"), "{stderr}");
    assert!(!cache.path().join("compiled").exists());
}

#[test]
fn third_party_plugins_are_installed_pinned_and_refused_when_changed() {
    let skill = Skill::new();
    // Without a terminal and without --yes nothing is installed.
    let output = skill.run(&["plugin", "install", HOSTILE_WASM]);
    assert_eq!(output.status.code(), Some(2), "{}", text(&output).1);
    assert!(text(&output).1.contains("--yes"));

    let output = skill.run(&["plugin", "install", HOSTILE_WASM, "--yes"]);
    let (_, stderr) = text(&output);
    assert!(output.status.success(), "{stderr}");
    assert!(
        stderr.contains("read-passwd: Reads /etc/passwd."),
        "tools not shown: {stderr}"
    );
    assert!(
        stderr.contains("interfaces): nothing granted"),
        "imports not shown: {stderr}"
    );

    let output = skill.run(&["run", "echo", "--format", "json"]);
    assert!(output.status.success(), "{}", text(&output).1);
    assert_eq!(
        serde_json::from_slice::<Value>(&output.stdout).unwrap(),
        serde_json::json!({"value": "ok"})
    );
    let output = skill.run(&["run", "panic"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        text(&output).1.contains("hostile/panic crashed"),
        "{}",
        text(&output).1
    );

    let output = skill.run(&["plugin", "list"]);
    assert!(text(&output).0.contains("hostile 0.1.0"));
    assert!(skill.run(&["plugin", "verify"]).status.success());

    // Change one byte of the installed file: it is refused from then on.
    let installed = skill.home.path().join("plugins/hostile/plugin.wasm");
    let mut bytes = std::fs::read(&installed).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    std::fs::write(&installed, bytes).unwrap();
    let output = skill.run(&["plugin", "verify"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        text(&output).0.contains("changed since it was installed"),
        "{}",
        text(&output).0
    );
    // Its tools say why they cannot run, not that there is no such tool.
    let output = skill.run(&["run", "echo"]);
    assert_eq!(output.status.code(), Some(1), "a changed plugin still ran");
    let (_, stderr) = text(&output);
    assert!(
        stderr.contains("plugin hostile, which is refused")
            && stderr.contains("changed since it was installed"),
        "{stderr}"
    );

    let output = skill.run(&["plugin", "remove", "hostile"]);
    assert!(output.status.success(), "{}", text(&output).1);
    assert!(!installed.exists());
}

/// A one-shot command runs plugins compiled without interruption checks; a call
/// that outlives its time limit ends the process with the limit error instead.
#[test]
fn a_plugin_that_never_returns_ends_the_command_at_its_time_limit() {
    let skill = Skill::new();
    let output = skill.run(&["plugin", "install", HOSTILE_WASM, "--yes"]);
    assert!(output.status.success(), "{}", text(&output).1);
    let started = std::time::Instant::now();
    let output = skill.run(&["--timeout", "1", "run", "loop-forever"]);
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("hostile/loop-forever was stopped")
            && stderr.contains("ran longer than the time limit of 1 s"),
        "{stderr}"
    );
    assert!(stdout.is_empty(), "{stdout}");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(20),
        "took {:?}",
        started.elapsed()
    );
}

/// The kit's documented example is a real plugin: it builds, installs and runs.
#[test]
fn the_kit_example_plugin_installs_and_runs() {
    let skill = Skill::new();
    let output = skill.run(&["plugin", "install", HELLO_WASM, "--yes"]);
    assert!(output.status.success(), "{}", text(&output).1);
    let output = skill.run(&["run", "greet", "--name", "Ada"]);
    assert!(output.status.success(), "{}", text(&output).1);
    assert_eq!(text(&output).0, "Hello, Ada!\n");
    let output = skill.run(&["run", "greet", "--name", " ", "--format", "json"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        text(&output)
            .1
            .contains("at /name: the name must not be empty"),
        "{}",
        text(&output).1
    );
    let output = skill.run(&["run", "greet"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output).1.contains("name"), "{}", text(&output).1);
}

/// `--out DIR` writes what a tool produces, inside DIR only, never over a file unasked.
#[test]
fn produced_files_are_written_only_where_asked() {
    let skill = Skill::new();
    let output = skill.run(&["plugin", "install", HOSTILE_WASM, "--yes"]);
    assert!(output.status.success(), "{}", text(&output).1);
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().to_str().unwrap();
    let run = |path: &str, extra: &[&str]| {
        let mut args = vec!["run", "produce-files", "--message", path, "--out", dir];
        args.extend_from_slice(extra);
        skill.run(&args)
    };
    let output = run("report/a.txt", &[]);
    assert!(output.status.success(), "{}", text(&output).1);
    assert_eq!(
        std::fs::read_to_string(out.path().join("report/a.txt")).unwrap(),
        "hello\n"
    );
    let output = run("report/a.txt", &[]);
    assert_eq!(output.status.code(), Some(2), "overwrote without --force");
    assert!(text(&output).1.contains("--force"), "{}", text(&output).1);
    assert!(run("report/a.txt", &["--force"]).status.success());
    // A plugin cannot write outside the directory, whatever path it returns.
    let output = run("../escaped.txt", &["--force"]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output).1);
    assert!(!out.path().parent().unwrap().join("escaped.txt").exists());
}

/// JSON escapes only U+0000 to U+001F; a bidirectional override or a C1 control
/// in a secret's name is printed as a `\u` escape instead, which is the same JSON.
#[test]
fn json_output_carries_no_raw_disguising_character() {
    let skill = Skill::new();
    let name = "evil\u{202e}gnp.exe\u{9b}2J";
    let secrets =
        serde_json::json!([{"name": name, "type": "database", "last_rotated": "2026-05-01"}]);
    let input = serde_json::json!({"secrets": secrets, "as_of": "2026-06-01"}).to_string();
    let output = run(
        &skill,
        &[
            "run",
            "rotation-planner",
            "--input",
            &input,
            "--format",
            "json",
        ]
        .map(String::from),
    );
    let (stdout, stderr) = text(&output);
    assert!(output.status.success(), "{stderr}");
    assert!(stdout.contains(r"evil\u202egnp.exe\u009b2J"), "{stdout}");
    assert!(!stdout.contains(['\u{202e}', '\u{9b}']), "{stdout}");
    let plan: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(plan["schedule"][0]["name"], name);
}

/// `--max-stack` accepts only what the engine can do, and all of it works:
/// the largest accepted stack runs a tool; one more KiB is refused up front.
#[test]
fn max_stack_accepts_only_what_the_engine_can_do() {
    let skill = Skill::new();
    let output = run(
        &skill,
        &with(PLAN, &["--max-stack", "8192", "--format", "json"]),
    );
    assert!(output.status.success(), "{}", text(&output).1);
    let output = run(&skill, &with(PLAN, &["--max-stack", "8193"]));
    assert_eq!(output.status.code(), Some(2), "{}", text(&output).1);
    assert!(
        text(&output).1.contains("--max-stack"),
        "{}",
        text(&output).1
    );
}

/// `skill run --help` lists the tools and the call options, and the call
/// options are accepted after the tool's name, beside its own flags (the
/// README's `skill run audit-analyzer … --jobs 1`).
#[test]
fn run_help_and_call_options_after_the_tool() {
    let skill = Skill::new();
    let output = skill.run(&["run", "--help"]);
    let (stdout, stderr) = text(&output);
    assert!(output.status.success(), "{stderr}");
    for expected in [
        "rotation-planner",
        "audit-analyzer",
        "--timeout",
        "--jobs",
        "--max-memory",
    ] {
        assert!(stdout.contains(expected), "{expected} missing:\n{stdout}");
    }
    let output = skill.run(&["run", "rotation-planner", "--help"]);
    let (stdout, _) = text(&output);
    assert!(output.status.success());
    assert!(stdout.contains("Call options"), "{stdout}");
    assert!(stdout.contains("--max-output"), "{stdout}");

    let after = run(
        &skill,
        &with(
            PLAN,
            &[
                "--format",
                "json",
                "--jobs",
                "1",
                "--timeout=20",
                "--max-memory",
                "256",
            ],
        ),
    );
    assert!(after.status.success(), "{}", text(&after).1);
    let before = skill.run(&[
        "--timeout",
        "20",
        "run",
        "rotation-planner",
        "--inventory",
        "examples/inventory.json",
        "--policy",
        "30d",
        "--as-of",
        "2026-06-01",
        "--format",
        "json",
    ]);
    assert!(before.status.success(), "{}", text(&before).1);
    assert_eq!(after.stdout, before.stdout);
    // Given after the tool, a call option is checked like before it.
    let bad = run(&skill, &with(PLAN, &["--max-memory", "1"]));
    assert_eq!(bad.status.code(), Some(2));
    // A limit given after the tool is the one applied, over one given before.
    let tight = run(
        &skill,
        &[
            vec!["--timeout".to_owned(), "30".to_owned()],
            with(PLAN, &["--timeout", "0.000001"]),
        ]
        .concat(),
    );
    assert_eq!(tight.status.code(), Some(1), "{}", text(&tight).1);
    assert!(
        text(&tight).1.contains("time limit of 0.000001 s"),
        "{}",
        text(&tight).1
    );
}
