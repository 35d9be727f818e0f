//! The Azure CLI (PyPI `azure-cli`) as a checker of generated `az`
//! commands, offline: its parser (argparse, through knack) refuses an
//! unknown or misspelt argument, a missing required one or a bad value
//! before any request; a command it accepts then stops for want of a login.
//! Each run is in a new network namespace with no interface but loopback
//! (`unshare --net`), with its own empty configuration directory, so it can
//! reach nothing.

use std::path::PathBuf;
use std::process::Command;

use crate::moto::program;
use crate::text;

/// How to get it (see .ci/run).
pub const INSTALL_HINT: &str = "install the Azure CLI in its own virtual environment: \
     `python3 -m venv /opt/azure-cli && /opt/azure-cli/bin/pip install azure-cli==2.91.0` \
     and set AZURE_CLI=/opt/azure-cli/bin/az, or put an `az` on PATH (see .ci/run)";

/// What `az` says when its parser took a command and it then needs a login.
const NEEDS_LOGIN: &str = "az login";
/// What `az login` reports when it cannot reach Microsoft Entra (urllib3's
/// message for a request that found no network).
const NO_NETWORK: &str = "Max retries exceeded";

/// The installed Azure CLI.
pub struct AzureCli {
    az: PathBuf,
    config: tempfile::TempDir,
}

impl AzureCli {
    /// `$AZURE_CLI`, else the `az` on PATH; panics, saying how to install
    /// it, when there is none.
    pub fn find() -> Self {
        let az = std::env::var_os("AZURE_CLI")
            .map(PathBuf::from)
            .filter(|path| path.is_file())
            .unwrap_or_else(|| program("az", INSTALL_HINT));
        Self {
            az,
            config: tempfile::tempdir().expect("temp dir"),
        }
    }

    /// `Ok` when the parser takes `argv` (`az` and its arguments), else the
    /// parser's report. Past the parser, a command stops at the login check
    /// ("Please run 'az login'"), and `az login` itself at its first request
    /// (the network namespace has no network). Panics on any other outcome.
    pub fn parse(&self, argv: &[&str]) -> Result<(), String> {
        assert_eq!(argv.first(), Some(&"az"), "{argv:?}");
        let output = Command::new("unshare")
            .arg("--net")
            .arg("--")
            .arg(&self.az)
            .args(&argv[1..])
            .env("AZURE_CONFIG_DIR", self.config.path())
            .env("AZURE_CORE_COLLECT_TELEMETRY", "false")
            .env("AZURE_CORE_NO_COLOR", "true")
            .env("AZURE_CORE_SURVEY_MESSAGE", "false")
            .stdin(std::process::Stdio::null())
            .output()
            .expect("run unshare (util-linux) and az");
        let (stdout, stderr) = text(&output);
        match output.status.code() {
            Some(2) => Err(stderr),
            Some(1) if stderr.contains(NEEDS_LOGIN) => Ok(()),
            Some(1) if argv.get(1) == Some(&"login") && stderr.contains(NO_NETWORK) => Ok(()),
            _ => panic!(
                "az {:?} neither refused its arguments nor asked for a login ({:?}):\n{stdout}\n{stderr}",
                &argv[1..],
                output.status
            ),
        }
    }
}
