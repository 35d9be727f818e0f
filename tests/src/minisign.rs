//! Keys and signatures made by the real `minisign` (Debian's package `minisign`,
//! 0.11 in bookworm), as a plugin's publisher makes them.

use std::path::{Path, PathBuf};
use std::process::Command;

/// A minisign key pair in its own directory, without a password.
pub struct KeyPair {
    pub dir: tempfile::TempDir,
    pub public: PathBuf,
    pub secret: PathBuf,
}

fn minisign() -> Command {
    Command::new("minisign")
}

/// Runs `command`, panicking with its output unless it succeeded; a missing
/// `minisign` says how to install it.
fn run(mut command: Command) -> String {
    let output = match command.output() {
        Ok(output) => output,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            panic!("minisign is missing: `apt-get install minisign` (.ci/run installs it)")
        }
        Err(error) => panic!("cannot run minisign: {error}"),
    };
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "{command:?} failed: {stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

impl KeyPair {
    /// `minisign -G -W`: a new key pair.
    pub fn generate() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let public = dir.path().join("minisign.pub");
        let secret = dir.path().join("minisign.key");
        let mut command = minisign();
        command
            .arg("-G")
            .arg("-W")
            .arg("-p")
            .arg(&public)
            .arg("-s")
            .arg(&secret);
        run(command);
        Self {
            dir,
            public,
            secret,
        }
    }

    /// The key's id as minisign writes it in the `.pub` file's comment.
    pub fn key_id(&self) -> String {
        let text = std::fs::read_to_string(&self.public).expect("read minisign.pub");
        let first = text.lines().next().expect("a comment line");
        first
            .rsplit(' ')
            .next()
            .expect("minisign public key ID")
            .to_owned()
    }

    /// The base64 line of the public key.
    pub fn public_key(&self) -> String {
        let text = std::fs::read_to_string(&self.public).expect("read minisign.pub");
        text.lines().nth(1).expect("a key line").to_owned()
    }

    /// `minisign -S`: signs `file` into `FILE.minisig` with `trusted_comment`;
    /// `legacy` makes the pre-0.8 signature of the raw bytes (`-l`).
    pub fn sign(&self, file: &Path, trusted_comment: &str, legacy: bool) -> PathBuf {
        let mut command = minisign();
        command
            .arg("-S")
            .arg("-s")
            .arg(&self.secret)
            .arg("-t")
            .arg(trusted_comment)
            .arg("-m")
            .arg(file);
        if legacy {
            command.arg("-l");
        }
        run(command);
        let mut signature = file.as_os_str().to_owned();
        signature.push(".minisig");
        PathBuf::from(signature)
    }
}
