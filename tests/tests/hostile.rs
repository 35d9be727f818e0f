//! Hostile plugins against the sandbox, in one host process: every abuse ends
//! in its own clear error within the limits, and the same process then runs a
//! normal tool correctly.

use std::net::TcpListener;
use std::time::{Duration, Instant};

use serde_json::json;
use skill_runtime::cache::sha256_hex;
use skill_runtime::{CompiledCache, PluginCode, Runtime, contract};
use skill_service::install::{self, InstallRecord};
use skill_service::{Call, Error, LimitKind, Limits, Paths, Service, Settings};
use skill_tests::{FUTURE_CONTRACT_WASM, HOSTILE_WASM, workspace};

const TIMEOUT: Duration = Duration::from_secs(2);

fn service(home: &std::path::Path) -> Service {
    let paths = Paths {
        plugins: home.join("plugins"),
        cache: home.join("cache"),
    };
    let wasm = std::fs::read(HOSTILE_WASM).unwrap();
    let record = InstallRecord {
        name: "hostile".to_owned(),
        version: "0.1.0".to_owned(),
        sha256: sha256_hex(&wasm),
        installed_from: HOSTILE_WASM.to_owned(),
        tools: Vec::new(),
        imports: Vec::new(),
        signer: None,
    };
    install::commit(&paths.plugins, &record, &wasm).unwrap();
    let limits = Limits {
        timeout: TIMEOUT,
        ..Limits::default()
    };
    Service::open(Settings {
        paths,
        limits,
        jobs: None,
        dev_plugins: Vec::new(),
    })
    .unwrap()
}

fn call(
    service: &Service,
    tool: &str,
    input: serde_json::Value,
) -> Result<serde_json::Value, Error> {
    let call = Call {
        tool: tool.to_owned(),
        input,
        format: None,
        stdin: false,
    };
    service.run(call, None).map(|outcome| outcome.value)
}

fn failure(service: &Service, tool: &str) -> (Error, Duration) {
    let started = Instant::now();
    let error = call(service, tool, json!({})).expect_err(tool);
    (error, started.elapsed())
}

fn assert_limit(error: &Error, expected: LimitKind, words: &str) {
    match error {
        Error::LimitExceeded {
            plugin,
            tool,
            kind,
            detail,
        } => {
            assert_eq!(*kind, expected, "{error}");
            assert_eq!(plugin, "hostile");
            assert!(!tool.is_empty());
            assert!(detail.contains(words), "{error}");
        }
        other => panic!("expected a {expected:?} limit, got: {other}"),
    }
}

fn assert_tool_failed(error: &Error, words: &str) {
    match error {
        Error::ToolFailed {
            plugin, message, ..
        } => {
            assert_eq!(plugin, "hostile");
            assert!(message.contains(words), "{error}");
        }
        other => panic!("expected the tool to fail, got: {other}"),
    }
}

#[test]
fn every_abuse_gets_its_own_error_and_the_host_carries_on() {
    let home = tempfile::tempdir().unwrap();
    let service = service(home.path());

    // No filesystem: there is no preopened directory to resolve a path in.
    let (error, _) = failure(&service, "read-passwd");
    assert_tool_failed(&error, "reading /etc/passwd failed");
    assert_eq!(error.exit_code(), 1);

    // No environment at all.
    let (error, _) = failure(&service, "read-env");
    assert_tool_failed(&error, "0 variables visible");

    // No sockets: the connection is refused inside the sandbox and never reaches the listener.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let port = listener.local_addr().unwrap().port();
    let error = call(&service, "open-socket", json!({ "port": port })).unwrap_err();
    assert_tool_failed(&error, &format!("connecting to 127.0.0.1:{port} failed"));
    assert!(
        listener.accept().is_err(),
        "the plugin reached the listener"
    );

    // The clock is pinned to the epoch: "now" is an input, never the machine's.
    let (error, _) = failure(&service, "read-clock");
    assert_tool_failed(&error, "says 0 s since 1970");

    let (error, elapsed) = failure(&service, "loop-forever");
    assert_limit(
        &error,
        LimitKind::Time,
        "ran longer than the time limit of 2 s",
    );
    assert!(
        elapsed < TIMEOUT + Duration::from_secs(3),
        "took {elapsed:?}"
    );

    let (error, _) = failure(&service, "allocate-4gib");
    assert_limit(&error, LimitKind::Memory, "memory limit of 512 MiB");

    let (error, _) = failure(&service, "recurse");
    assert_limit(&error, LimitKind::Stack, "stack limit of 1024 KiB");

    let (error, _) = failure(&service, "flood-output");
    assert_limit(&error, LimitKind::Output, "to stdout");

    let (error, _) = failure(&service, "panic");
    match &error {
        Error::Crashed {
            plugin,
            tool,
            detail,
        } => {
            assert_eq!((plugin.as_str(), tool.as_str()), ("hostile", "panic"));
            assert!(
                detail.contains("hostile plugin panicked on purpose"),
                "{error}"
            );
        }
        other => panic!("expected a crash, got: {other}"),
    }

    let (error, _) = failure(&service, "invalid-json");
    assert!(
        matches!(&error, Error::BadOutput { detail, .. } if detail.contains("not valid JSON")),
        "{error}"
    );

    let (error, _) = failure(&service, "violate-schema");
    assert!(
        matches!(&error, Error::BadOutput { detail, .. } if detail.contains("/value")),
        "{error}"
    );

    // Unknown arguments are refused by the schema before the plugin runs.
    let error = call(&service, "echo", json!({ "surprise": 1 })).unwrap_err();
    assert!(matches!(&error, Error::InvalidInput { .. }), "{error}");
    assert_eq!(error.exit_code(), 2);

    // The same process, the same engine: well-behaved tools still work.
    assert_eq!(
        call(&service, "echo", json!({})).unwrap(),
        json!({ "value": "ok" })
    );
    let inventory = workspace().join("examples/inventory.json");
    let plan = call(
        &service,
        "rotation-planner",
        json!({ "inventory": inventory.to_str().unwrap(), "policy": "30d", "as_of": "2026-06-01" }),
    )
    .unwrap();
    assert_eq!(plan["as_of"], "2026-06-01");
    assert!(plan["schedule"].as_array().unwrap().len() >= 10);
}

fn bare_runtime(cache: &std::path::Path) -> Runtime {
    Runtime::new(Limits::default(), CompiledCache::new(cache.to_owned())).unwrap()
}

fn code<'a>(label: &'a str, wasm: &'a [u8], sha256: &'a str) -> PluginCode<'a> {
    PluginCode {
        label,
        wasm,
        sha256,
        precompiled: None,
    }
}

#[test]
fn a_plugin_for_another_contract_is_refused_before_it_runs() {
    let cache = tempfile::tempdir().unwrap();
    let runtime = bare_runtime(cache.path());
    let wasm = std::fs::read(FUTURE_CONTRACT_WASM).unwrap();
    let sha256 = sha256_hex(&wasm);
    let error = runtime
        .load(code("future.wasm", &wasm, &sha256))
        .err()
        .expect("refused");
    let message = error.to_string();
    assert!(
        matches!(error, skill_runtime::Error::UnsupportedContract { .. }),
        "{message}"
    );
    assert!(message.contains("skill:plugin@9.0.0"), "{message}");
    assert!(message.contains(&contract::supported_range()), "{message}");
}

#[test]
fn garbage_is_not_a_plugin() {
    let cache = tempfile::tempdir().unwrap();
    let runtime = bare_runtime(cache.path());
    let error = runtime
        .load(code("junk.wasm", b"\0asm junk", "00"))
        .err()
        .expect("refused");
    assert!(
        error.to_string().contains("not a valid component"),
        "{error}"
    );
}

/// A plugin of each contract version this host supports loads and describes
/// itself: a new version is added beside the old ones, never instead of them.
#[test]
fn a_plugin_of_every_supported_contract_version_loads() {
    let plugins: &[(&str, &str)] = &[("0.1", skill_tests::HELLO_WASM)];
    let cache = tempfile::tempdir().unwrap();
    let runtime = bare_runtime(cache.path());
    for version in contract::SUPPORTED {
        let (_, path) = plugins
            .iter()
            .find(|(v, _)| v == version)
            .unwrap_or_else(|| panic!("no test plugin for contract {version}"));
        let wasm = std::fs::read(path).unwrap();
        let sha256 = sha256_hex(&wasm);
        let plugin = runtime.load(code(path, &wasm, &sha256)).unwrap();
        let manifest = runtime.describe(&plugin).unwrap();
        assert!(
            manifest.contract.starts_with(&format!("{version}.")),
            "{version}: {}",
            manifest.contract
        );
    }
}

/// Time: a call ends by its deadline whatever the plugin is doing, also while
/// it waits in a host call (here a WASI sleep of an hour).
#[test]
fn every_call_ends_by_its_deadline_even_in_a_host_call() {
    let home = tempfile::tempdir().unwrap();
    let service = service(home.path());
    let (error, took) = failure(&service, "sleep");
    assert_limit(&error, LimitKind::Time, "time limit");
    assert!(took < TIMEOUT + Duration::from_secs(2), "took {took:?}");
    // The process goes on: the next call runs.
    assert_eq!(call(&service, "echo", json!({})).unwrap()["value"], "ok");
}

/// A cancelled call stops its plugin at once, wherever it is.
#[test]
fn a_cancelled_call_stops_its_plugin() {
    let home = tempfile::tempdir().unwrap();
    let service = service(home.path());
    for tool in ["loop-forever", "sleep"] {
        let cancel = skill_service::CancellationToken::new();
        let started = Instant::now();
        let error = std::thread::scope(|scope| {
            scope.spawn(|| {
                std::thread::sleep(Duration::from_millis(300));
                cancel.cancel();
            });
            let call = Call {
                tool: tool.to_owned(),
                input: json!({}),
                format: None,
                stdin: false,
            };
            service.run_cancellable(call, None, &cancel).err().unwrap()
        });
        assert!(matches!(error, Error::Cancelled { .. }), "{tool}: {error}");
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "{tool} took {:?}",
            started.elapsed()
        );
    }
}

/// Host resources per call: a plugin may open a granted input at most 64
/// times in one call, and only regular files are granted.
#[test]
fn host_opens_per_call_are_capped() {
    let home = tempfile::tempdir().unwrap();
    let service = service(home.path());
    let file = home.path().join("input.txt");
    std::fs::write(&file, "data").unwrap();
    let output = call(
        &service,
        "open-many",
        json!({ "file": file.to_str().unwrap() }),
    )
    .unwrap();
    let text = output["value"].as_str().unwrap();
    assert!(
        text.starts_with("opened 64; then: a call may open at most 64 inputs"),
        "{text}"
    );
}

/// Plugin metadata is bounded: a plugin that declares a 112 MB schema is
/// refused at install in well under a second, before the user is asked (no
/// `--yes`, no terminal), and nothing is installed.
#[test]
fn plugin_metadata_is_bounded() {
    let skill = skill_tests::Skill::new();
    let started = Instant::now();
    let output = skill.run(&["plugin", "install", skill_tests::HUGE_MANIFEST_WASM]);
    let (_, stderr) = skill_tests::text(&output);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("memory limit of 64 MiB"), "{stderr}");
    assert!(!stderr.contains("--yes"), "asked before refusing: {stderr}");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    let list = skill.run(&["list"]);
    assert!(!skill_tests::text(&list).0.contains("huge"));
}
