//! The host's side of the sandbox boundary, driven through the real binary by
//! the hostile plugin and by hostile files: each test is one promise of
//! DESIGN.md's "The sandbox" that the host keeps, not only the engine.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use skill_tests::{HELLO_WASM, HOSTILE_WASM, Skill, text};

/// Terminal controls of every kind the host must not pass on: an OSC that
/// retitles the window ended by BEL, a CSI that clears the screen, a C1 CSI, a
/// carriage return that rewrites the line, a right-to-left override, and a
/// line feed that starts a forged line.
const ATTACK: &str = "\u{1b}]0;pwned\u{7}\u{1b}[2J\u{9b}31m\rforged\u{202e}txt\nerror: forged line";

/// Bytes that must never reach a terminal raw: ESC, BEL, C1 CSI, CR, U+202E.
const RAW: [&[u8]; 5] = [
    b"\x1b",
    b"\x07",
    "\u{9b}".as_bytes(),
    b"\r",
    "\u{202e}".as_bytes(),
];

fn assert_nothing_raw(case: &str, output: &Output) {
    for stream in [&output.stdout, &output.stderr] {
        for raw in RAW {
            assert!(
                !stream.windows(raw.len()).any(|w| w == raw),
                "{case}: {raw:?} reached the terminal raw:\n{}",
                String::from_utf8_lossy(stream)
            );
        }
    }
}

fn installed() -> Skill {
    let skill = Skill::new();
    let output = skill.run(&["plugin", "install", HOSTILE_WASM, "--yes"]);
    assert!(output.status.success(), "{}", text(&output).1);
    skill
}

/// The hostile plugin with the persona byte patched (see its `describe`), as
/// an attacker editing a plugin file would, written into `dir`.
fn persona(dir: &Path, which: u8) -> PathBuf {
    let mut wasm = std::fs::read(HOSTILE_WASM).unwrap();
    let marker = b"skill-test-persona:0";
    let at: Vec<usize> = wasm
        .windows(marker.len())
        .enumerate()
        .filter(|(_, w)| w == marker)
        .map(|(at, _)| at)
        .collect();
    assert_eq!(at.len(), 1, "the persona marker is in the component once");
    wasm[at[0] + marker.len() - 1] = which;
    let path = dir.join(format!("persona-{}.wasm", which as char));
    std::fs::write(&path, wasm).unwrap();
    path
}

#[test]
fn no_plugin_byte_reaches_the_terminal_raw() {
    let skill = installed();
    let out = tempfile::tempdir().unwrap();
    let pointer = format!("/{ATTACK}");
    let cases: Vec<(&str, Vec<&str>, i32)> = vec![
        ("failed", vec!["run", "fail", "--message", ATTACK], 1),
        (
            "invalid-input",
            vec![
                "run",
                "fail",
                "--code",
                "invalid-input",
                "--message",
                ATTACK,
                "--pointer",
                &pointer,
            ],
            2,
        ),
        (
            "unsupported",
            vec!["run", "fail", "--code", "unsupported", "--message", ATTACK],
            2,
        ),
        ("panic", vec!["run", "panic", "--message", ATTACK], 1),
        ("log", vec!["run", "log", "--message", ATTACK], 0),
        ("clap error", vec!["run", "echo", "--format", ATTACK], 2),
        (
            "wrote",
            vec![
                "run",
                "produce-files",
                "--message",
                "a\u{1b}[2J\u{202e}.txt\nwrote b.txt",
                "--out",
                out.path().to_str().unwrap(),
            ],
            0,
        ),
    ];
    for (case, args, code) in cases {
        let output = skill.run(&args);
        let (_, stderr) = text(&output);
        assert_eq!(output.status.code(), Some(code), "{case}: {stderr}");
        assert_nothing_raw(case, &output);
        // tracing writes ESC as `\x1b` itself; the host escapes all the rest.
        assert!(
            stderr.contains(r"\u{1b}") || (case == "log" && stderr.contains(r"\x1b")),
            "{case}: not shown escaped: {stderr}"
        );
        // A line feed in a file name, a log line, an error message or panic
        // text does not start a line that passes for the program's own. (clap
        // quotes the value typed on the command line, not a plugin's bytes:
        // format names are checked when a plugin is loaded.)
        assert!(
            case == "clap error"
                || !stderr.lines().any(|line| {
                    line.starts_with("error: forged") || line.starts_with("wrote b.txt")
                }),
            "{case}: a line was forged: {stderr}"
        );
    }
    assert_eq!(
        std::fs::read_dir(out.path()).unwrap().count(),
        1,
        "the file with the hostile name was written once"
    );

    // Panic text while the plugin describes itself, before any confirmation,
    // and a format name with controls in it, are refused and shown escaped.
    let dir = tempfile::tempdir().unwrap();
    for which in [b'6', b'5'] {
        let output = skill.run(&[
            "plugin",
            "install",
            persona(dir.path(), which).to_str().unwrap(),
            "--yes",
        ]);
        let (_, stderr) = text(&output);
        assert_eq!(output.status.code(), Some(1), "persona {which}: {stderr}");
        assert_nothing_raw("install preview", &output);
        assert!(stderr.contains(r"\u{1b}"), "{stderr}");
    }
}

#[test]
fn json_format_prints_exactly_the_output_object() {
    let skill = installed();
    let output = skill.run(&[
        "run",
        "render-unasked",
        "--message",
        "a forged rendering",
        "--format",
        "json",
    ]);
    assert!(output.status.success(), "{}", text(&output).1);
    assert_eq!(text(&output).0, "{\"value\":\"plain\"}\n");
}

/// Every path under `dir` with each file's content, links shown as links.
fn tree(dir: &Path) -> Vec<(PathBuf, String)> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(at) = stack.pop() {
        for entry in std::fs::read_dir(&at).unwrap() {
            let path = entry.unwrap().path();
            let meta = std::fs::symlink_metadata(&path).unwrap();
            let what = if meta.is_symlink() {
                format!("-> {}", std::fs::read_link(&path).unwrap().display())
            } else if meta.is_dir() {
                stack.push(path.clone());
                "dir".to_owned()
            } else {
                std::fs::read_to_string(&path).unwrap()
            };
            found.push((path.strip_prefix(dir).unwrap().to_owned(), what));
        }
    }
    found.sort();
    found
}

#[test]
fn produced_files_land_inside_out_dir_all_or_nothing() {
    let skill = installed();
    let out = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(outside.path(), out.path().join("link")).unwrap();
    let produce = |paths: &str, extra: &[&str]| {
        let mut args = vec![
            "run",
            "produce-files",
            "--message",
            paths,
            "--out",
            out.path().to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        skill.run(&args)
    };
    let before = tree(out.path());
    let long = format!("ok.txt|sub/{}", "n".repeat(300));
    for (paths, code, words) in [
        // Through a link already inside DIR.
        ("link/escaped.txt", 2, "symbolic link"),
        ("fine.txt|link/deeper/escaped.txt", 2, "symbolic link"),
        // The same file twice, and a file under a file: the plugin's fault.
        ("a.txt|a.txt", 1, "hostile/produce-files broke the contract"),
        ("a|a/b.txt", 1, "hostile/produce-files broke the contract"),
        (
            "../escaped.txt",
            1,
            "hostile/produce-files broke the contract",
        ),
        // A failure after other files were staged: nothing stays behind.
        (long.as_str(), 1, "nothing was written"),
    ] {
        let output = produce(paths, &["--force"]);
        let (_, stderr) = text(&output);
        assert_eq!(output.status.code(), Some(code), "{paths}: {stderr}");
        assert!(stderr.contains(words), "{paths}: {stderr}");
        assert_eq!(tree(out.path()), before, "{paths} left something behind");
        assert!(tree(outside.path()).is_empty(), "{paths} wrote outside");
    }
    let output = produce("report/a.txt|b.txt", &[]);
    assert!(output.status.success(), "{}", text(&output).1);
    let mut expected = before.clone();
    expected.extend([
        (PathBuf::from("b.txt"), "hello\n".to_owned()),
        (PathBuf::from("report"), "dir".to_owned()),
        (PathBuf::from("report/a.txt"), "hello\n".to_owned()),
    ]);
    expected.sort();
    assert_eq!(tree(out.path()), expected);
}

#[test]
fn a_plugin_name_is_its_identity() {
    let skill = installed();
    let dir = tempfile::tempdir().unwrap();
    let install = |which: u8| {
        let path = persona(dir.path(), which);
        skill.run(&["plugin", "install", path.to_str().unwrap(), "--yes"])
    };
    // A new `hostile` with other tools replaces the installed one, saying so.
    let output = install(b'1');
    assert!(output.status.success(), "{}", text(&output).1);
    assert!(
        text(&output).1.contains("Replaces installed hostile"),
        "{}",
        text(&output).1
    );
    let list = text(&skill.run(&["list"])).0;
    assert!(
        list.contains("echo-again") && !list.contains("read-passwd"),
        "{list}"
    );

    // A first-party plugin's name or tool is never taken.
    for (which, words) in [
        (b'2', "belongs to a first-party plugin"),
        (b'3', "already served by plugin rotation-planner"),
    ] {
        let output = install(which);
        assert_eq!(output.status.code(), Some(2), "{}", text(&output).1);
        assert!(text(&output).1.contains(words), "{}", text(&output).1);
    }
    // One plugin naming a tool twice.
    let output = install(b'4');
    assert_eq!(output.status.code(), Some(1), "{}", text(&output).1);
    assert!(
        text(&output).1.contains("names tool `twice` twice"),
        "{}",
        text(&output).1
    );
    assert!(
        skill
            .run(&["run", "rotation-planner", "--help"])
            .status
            .success()
    );
}

/// Another plugin's compiled code, copied in under this plugin's key with its
/// digest file, is not run as this plugin.
#[test]
fn a_compiled_artifact_is_bound_to_its_plugin() {
    let skill = Skill::new();
    let cache = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        skill
            .command()
            .args(args)
            .env("SKILL_CACHE_DIR", cache.path())
            .env("RUST_LOG", "warn")
            .output()
            .unwrap()
    };
    for wasm in [HELLO_WASM, HOSTILE_WASM] {
        let output = run(&["plugin", "install", wasm, "--yes"]);
        assert!(output.status.success(), "{}", text(&output).1);
    }
    assert!(run(&["run", "greet", "--name", "Ada"]).status.success());
    assert!(run(&["run", "echo"]).status.success());
    let compiled = cache.path().join("compiled");
    let sha256 = |wasm: &str| skill_runtime::cache::sha256_hex(&std::fs::read(wasm).unwrap());
    let artifact_of = |wasm: &str| {
        std::fs::read_dir(&compiled)
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| {
                let name = p.file_name().unwrap().to_string_lossy();
                name.starts_with(&sha256(wasm)) && name.ends_with(".cwasm")
            })
            .unwrap()
    };
    let (hello, hostile) = (artifact_of(HELLO_WASM), artifact_of(HOSTILE_WASM));
    let digest = |p: &Path| p.with_extension("cwasm.digest");
    std::fs::copy(&hello, &hostile).unwrap();
    std::fs::copy(digest(&hello), digest(&hostile)).unwrap();

    let output = run(&["run", "echo", "--format", "json"]);
    let (stdout, stderr) = text(&output);
    assert!(output.status.success(), "{stderr}");
    assert_eq!(stdout, "{\"value\":\"ok\"}\n", "another plugin's code ran");
    assert!(stderr.contains("does not match its digest"), "{stderr}");
}

/// Runs `skill` with `stdin`, and checks it ends well before any hang would.
fn run_bounded(skill: &Skill, args: &[&str], stdin: Stdio) -> Output {
    let started = Instant::now();
    let output = skill.command().args(args).stdin(stdin).output().unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "{args:?} took {:?}",
        started.elapsed()
    );
    output
}

#[test]
fn no_input_hangs_outside_the_timeout() {
    let skill = Skill::new();
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("input.fifo");
    assert!(
        Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let fifo_arg = format!("@{}", fifo.display());
    for (args, words) in [
        (
            vec!["run", "rotation-planner", "--input", fifo_arg.as_str()],
            "not a regular file",
        ),
        (
            vec!["run", "rotation-planner", "--input", "@/dev/zero"],
            "not a regular file",
        ),
        (
            vec!["plugin", "install", fifo.to_str().unwrap(), "--yes"],
            "not a regular file",
        ),
        (
            vec![
                "run",
                "rotation-planner",
                "--inventory",
                fifo.to_str().unwrap(),
            ],
            "at /inventory",
        ),
    ] {
        let output = run_bounded(&skill, &args, Stdio::null());
        let (_, stderr) = text(&output);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(words), "{args:?}: {stderr}");
    }
    // An endless stdin is read up to the documented cap.
    let zero = std::fs::File::open("/dev/zero").unwrap();
    let output = run_bounded(
        &skill,
        &["run", "rotation-planner", "--input", "-"],
        Stdio::from(zero),
    );
    let (_, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("more than the limit of 64 MiB"), "{stderr}");
}

#[test]
fn the_same_bad_bytes_exit_the_same_way_however_they_arrive() {
    let skill = Skill::new();
    let dir = tempfile::tempdir().unwrap();
    for (name, bytes) in [
        ("invalid-utf8", &b"{\"policy\": \"\xff\xfe\"}"[..]),
        ("not-json", &b"{\"policy\": "[..]),
        ("not-an-object", &b"[1, 2]"[..]),
        ("huge-number", &b"{\"policy\": 1e400}"[..]),
    ] {
        let file = dir.path().join(name);
        std::fs::write(&file, bytes).unwrap();
        let at_file = format!("@{}", file.display());
        let from_file = run_bounded(
            &skill,
            &["run", "rotation-planner", "--input", &at_file],
            Stdio::null(),
        );
        let from_stdin = run_bounded(
            &skill,
            &["run", "rotation-planner", "--input", "-"],
            Stdio::from(std::fs::File::open(&file).unwrap()),
        );
        assert_eq!(
            from_file.status.code(),
            Some(2),
            "{name}: {}",
            text(&from_file).1
        );
        assert_eq!(
            from_stdin.status.code(),
            Some(2),
            "{name}: {}",
            text(&from_stdin).1
        );
    }
}

/// A choice among constants that an input misses names the ones allowed.
#[test]
fn any_of_errors_list_the_allowed_values() {
    let skill = Skill::new();
    let list: Value =
        serde_json::from_slice(&skill.run(&["list", "--format", "json"]).stdout).unwrap();
    let (tool, field, allowed) = list["tools"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|tool| tool["name"].as_str())
        .find_map(|tool| {
            let schema: Value =
                serde_json::from_slice(&skill.run(&["schema", tool]).stdout).unwrap();
            schema["properties"]
                .as_object()?
                .iter()
                .find_map(|(name, property)| {
                    let values = skill_service::schema::allowed_values(property)?;
                    property
                        .get("anyOf")
                        .is_some()
                        .then(|| (tool.to_owned(), name.clone(), values))
                })
        })
        .expect("a first-party tool has an optional choice among constants");
    let input = serde_json::json!({ field.clone(): "no-such-value" }).to_string();
    let output = skill.run(&["run", &tool, "--input", &input]);
    let (_, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    let line = stderr
        .lines()
        .find(|line| line.contains(&format!("at /{field}:")))
        .unwrap_or_else(|| panic!("no problem at /{field}: {stderr}"));
    for value in allowed.iter().filter(|v| !v.is_null()) {
        assert!(line.contains(&value.to_string()), "{value} missing: {line}");
    }
}
