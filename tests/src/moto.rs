//! A real AWS emulator per test: `moto` in server mode (PyPI `moto[server]`)
//! on a free loopback port, driven with the `aws` CLI (PyPI `awscli`) through
//! `AWS_ENDPOINT_URL`, so tests need no SDK. The server stops when the handle drops.

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// How to get the parts; every moto test's failure says it.
pub const INSTALL_HINT: &str = "install the AWS emulator and CLI: `pip install 'moto[server]==5.2.6' \
     awscli==1.46.3` (see .ci/run), and put the Python scripts directory on PATH";

/// `name` on `PATH`, or a panic that says how to install it.
pub fn program(name: &str, hint: &str) -> PathBuf {
    std::env::var_os("PATH")
        .and_then(|paths| {
            std::env::split_paths(&paths)
                .map(|dir| dir.join(name))
                .find(|candidate| candidate.is_file())
        })
        .unwrap_or_else(|| panic!("`{name}` is not on PATH: {hint}"))
}

/// A running moto server.
pub struct Moto {
    child: Child,
    pub endpoint: String,
    /// The server's log, kept for failure messages.
    log: PathBuf,
    _dir: tempfile::TempDir,
}

impl Moto {
    /// Starts a server and waits until it accepts connections.
    pub fn start() -> Self {
        let bin = program("moto_server", INSTALL_HINT);
        let dir = tempfile::tempdir().expect("temp dir");
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("a free loopback port")
            .port();
        let log = dir.path().join("moto.log");
        let file = std::fs::File::create(&log).expect("moto log");
        let child = Command::new(bin)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdin(Stdio::null())
            .stdout(file.try_clone().expect("moto log"))
            .stderr(file)
            .spawn()
            .expect("start moto_server");
        let server = Self {
            child,
            endpoint: format!("http://127.0.0.1:{port}"),
            log,
            _dir: dir,
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "moto_server did not listen within 30 s"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        server
    }

    /// An `aws` command against this server, in `dir`, with test credentials
    /// and no user configuration.
    pub fn aws(&self, dir: &Path) -> Command {
        let mut command = Command::new(program("aws", INSTALL_HINT));
        command
            .current_dir(dir)
            .env("AWS_ENDPOINT_URL", &self.endpoint)
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env("AWS_DEFAULT_REGION", "eu-west-1")
            .env("AWS_CONFIG_FILE", "/dev/null")
            .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
            .env("AWS_PAGER", "");
        command
    }

    /// Runs `aws ARGS --output json` and returns its JSON answer; panics with
    /// the CLI's error (and the server's log) on failure.
    pub fn json(&self, dir: &Path, args: &[&str]) -> serde_json::Value {
        let output = self.run(dir, args);
        if output.stdout.iter().all(u8::is_ascii_whitespace) {
            return serde_json::Value::Null;
        }
        serde_json::from_slice(&output.stdout).expect("aws prints JSON")
    }

    /// Runs `aws ARGS --output json`, asserting success.
    pub fn run(&self, dir: &Path, args: &[&str]) -> Output {
        let output = self
            .aws(dir)
            .args(args)
            .args(["--output", "json"])
            .output()
            .expect("run aws");
        assert!(
            output.status.success(),
            "aws {} failed: {}\nmoto log tail: {}",
            args.join(" "),
            String::from_utf8_lossy(&output.stderr),
            self.log_tail()
        );
        output
    }

    fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(10)..].join("\n")
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
