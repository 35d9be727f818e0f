//! `skill mcp` is a long-lived process: the per-call promises must hold there
//! too. Driven by raw JSON-RPC lines on the server's stdin, as any client sends
//! them, with the hostile plugin installed.

use std::time::{Duration, Instant};

use serde_json::json;
use skill_tests::mcp::McpServer;
use skill_tests::{HOSTILE_WASM, Skill, text};

/// `skill mcp --timeout SECONDS` for `skill`, initialized.
fn start(skill: &Skill, timeout_seconds: &str) -> McpServer {
    McpServer::start(skill.command().args(["mcp", "--timeout", timeout_seconds]))
}

fn installed_hostile() -> Skill {
    let skill = Skill::new();
    let output = skill.run(&["plugin", "install", HOSTILE_WASM, "--yes"]);
    assert!(output.status.success(), "{}", text(&output).1);
    skill
}

/// A plugin asleep in a host call is answered for by its deadline, and the
/// server goes on serving.
#[test]
fn an_mcp_call_ends_by_its_deadline_even_in_a_host_call() {
    let skill = installed_hostile();
    let mut server = start(&skill, "1");
    let started = Instant::now();
    server.call(1, "sleep", json!({}));
    let reply = server.reply(1, Duration::from_secs(10));
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(reply["result"]["isError"], true, "{reply}");
    let message = reply["result"]["content"][0]["text"].as_str().unwrap();
    assert!(message.contains("time limit of 1 s"), "{message}");
    server.call(2, "echo", json!({}));
    let reply = server.reply(2, Duration::from_secs(10));
    assert_eq!(
        reply["result"]["structuredContent"]["value"], "ok",
        "{reply}"
    );
}

/// `notifications/cancelled` stops the plugin: the server stops spending CPU on
/// a plugin that loops forever, and serves the next call.
#[test]
fn a_cancelled_mcp_call_stops_its_plugin() {
    let skill = installed_hostile();
    let mut server = start(&skill, "60");
    server.call(1, "loop-forever", json!({}));
    std::thread::sleep(Duration::from_millis(500));
    let busy = server.cpu_time();
    server.send(
        json!({"jsonrpc": "2.0", "method": "notifications/cancelled",
        "params": {"requestId": 1, "reason": "test"}}),
    );
    std::thread::sleep(Duration::from_millis(300));
    let after_cancel = server.cpu_time();
    std::thread::sleep(Duration::from_secs(1));
    let spent = server.cpu_time().saturating_sub(after_cancel);
    assert!(
        after_cancel > busy || busy > Duration::from_millis(200),
        "the loop never ran"
    );
    assert!(
        spent < Duration::from_millis(300),
        "the plugin still runs: {spent:?} of CPU in the second after cancelling"
    );
    server.call(2, "echo", json!({}));
    let reply = server.reply(2, Duration::from_secs(10));
    assert_eq!(
        reply["result"]["structuredContent"]["value"], "ok",
        "{reply}"
    );
}
