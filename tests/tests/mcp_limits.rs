//! `skill mcp` is a long-lived process: the per-call promises must hold there
//! too. Driven by raw JSON-RPC lines on the server's stdin, as any client sends
//! them, with the hostile plugin installed.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use skill_tests::{HOSTILE_WASM, Skill, text};

struct Server {
    child: Child,
    stdin: ChildStdin,
    lines: Receiver<Value>,
}

impl Server {
    fn start(skill: &Skill, timeout_seconds: &str) -> Self {
        let mut child = skill
            .command()
            .args(["mcp", "--timeout", timeout_seconds])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take().unwrap();
        let stdout = child.stdout.take().unwrap();
        let (sender, lines) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if let Ok(value) = serde_json::from_str(&line)
                    && sender.send(value).is_err()
                {
                    break;
                }
            }
        });
        let mut server = Self {
            child,
            stdin,
            lines,
        };
        server.send(
            json!({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
            "protocolVersion": "2025-06-18", "capabilities": {},
            "clientInfo": {"name": "raw", "version": "1"}}}),
        );
        server.reply(0, Duration::from_secs(30));
        server.send(json!({"jsonrpc": "2.0", "method": "notifications/initialized"}));
        server
    }

    fn send(&mut self, message: Value) {
        writeln!(self.stdin, "{message}").unwrap();
        self.stdin.flush().unwrap();
    }

    fn call(&mut self, id: u64, tool: &str) {
        self.send(json!({"jsonrpc": "2.0", "id": id, "method": "tools/call",
            "params": {"name": tool, "arguments": {}}}));
    }

    /// The reply to request `id`, waiting at most `within`.
    fn reply(&mut self, id: u64, within: Duration) -> Value {
        let until = Instant::now() + within;
        loop {
            let left = until.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(message) if message["id"] == id => return message,
                Ok(_) => continue,
                Err(RecvTimeoutError::Timeout) => panic!("no reply to {id} within {within:?}"),
                Err(RecvTimeoutError::Disconnected) => panic!("the server ended"),
            }
        }
    }

    /// CPU time the server process has used, from /proc.
    fn cpu_time(&self) -> Duration {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.child.id())).unwrap();
        let after_name = &stat[stat.rfind(')').unwrap() + 2..];
        let fields: Vec<&str> = after_name.split(' ').collect();
        // utime and stime are fields 14 and 15 of the whole line, in clock ticks.
        let ticks: u64 = fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap();
        Duration::from_millis(ticks * 10)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
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
    let mut server = Server::start(&skill, "1");
    let started = Instant::now();
    server.call(1, "sleep");
    let reply = server.reply(1, Duration::from_secs(10));
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(reply["result"]["isError"], true, "{reply}");
    let message = reply["result"]["content"][0]["text"].as_str().unwrap();
    assert!(message.contains("time limit of 1 s"), "{message}");
    server.call(2, "echo");
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
    let mut server = Server::start(&skill, "60");
    server.call(1, "loop-forever");
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
    server.call(2, "echo");
    let reply = server.reply(2, Duration::from_secs(10));
    assert_eq!(
        reply["result"]["structuredContent"]["value"], "ok",
        "{reply}"
    );
}
