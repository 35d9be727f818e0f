//! `skill plugin trust add|list|remove KEY`, and the signature check of `skill plugin install`.
//!
//! Keys are minisign public keys, given as their base64 line (`RW…`) or as a
//! `.pub` file; they are kept by [`skill_service::trust`]. Install checks a
//! plugin's signature with [`skill_service::signature`] before anything else is
//! done with the plugin.

use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};
use skill_service::Paths;
use skill_service::read;
use skill_service::signature::{self, MAX_SIGNATURE_BYTES, Signer};
use skill_service::trust::{self, MAX_KEYS_FILE_BYTES, TrustedKey};

use super::{display, print_stdout};
use crate::{Error, Result};

#[derive(Debug, Subcommand)]
pub enum TrustCommand {
    /// Trust a minisign public key to sign plugins: its base64 line (RW…) or its .pub file.
    Add { key: String },
    /// List the trusted keys.
    List,
    /// Stop trusting a key, named by its id or its base64 line.
    Remove { key: String },
}

/// The signature options of `skill plugin install`.
#[derive(Debug, Clone, Args)]
pub struct SignatureArgs {
    /// The plugin's minisign signature (default: FILE.minisig beside the file,
    /// or the signature layer of an oci:// artifact).
    #[arg(long, value_name = "FILE")]
    pub signature: Option<PathBuf>,
    /// Refuse a plugin that is not signed by a trusted key.
    #[arg(long, env = "SKILL_REQUIRE_SIGNATURE", value_parser = clap::builder::BoolishValueParser::new(), action = clap::ArgAction::SetTrue)]
    pub require_signature: bool,
}

pub fn run(paths: &Paths, command: TrustCommand) -> Result<()> {
    let store = paths.trusted_keys();
    match command {
        TrustCommand::Add { key } => {
            let key = read_key(&key)?;
            let line = describe(&key);
            let added = trust::add(&store, key)?;
            let verb = if added { "trusted" } else { "already trusted" };
            print_stdout(&display::displayable(&format!("{verb}: {line}\n")))
        }
        TrustCommand::List => {
            let out: String = trust::load(&store)?
                .iter()
                .map(|key| format!("{}\n", describe(key)))
                .collect();
            print_stdout(&display::displayable(&out))
        }
        TrustCommand::Remove { key } => {
            let removed = trust::remove(&store, &key)?;
            print_stdout(&display::displayable(&format!(
                "removed: {}\n",
                describe(&removed)
            )))
        }
    }
}

/// One line per key: its id, the key, and the comment of its .pub file.
fn describe(key: &TrustedKey) -> String {
    let comment = key
        .comment
        .as_deref()
        .map(|c| format!("  ({})", display::displayable_line(c)))
        .unwrap_or_default();
    format!("{}  {}{comment}", key.key_id, key.public_key)
}

/// A key given on the command line: a .pub file when the path exists, else the key itself.
fn read_key(argument: &str) -> Result<TrustedKey> {
    let path = Path::new(argument);
    if path.exists() {
        let bytes = read::regular_file(path, MAX_KEYS_FILE_BYTES).map_err(Error::Usage)?;
        let text = String::from_utf8(bytes)
            .map_err(|_| Error::Usage(format!("{} is not a text file", read::shown(path))))?;
        return Ok(trust::parse_key(&read::shown(path), &text)?);
    }
    let shown = untrusted_text::one_line(argument);
    let what = if argument.ends_with(".pub") {
        format!("{shown} (no such file)")
    } else {
        shown.into_owned()
    };
    Ok(trust::parse_key(&what, argument)?)
}

/// Reads the signature file `path`, or `None` when `default` was meant and there is none.
pub fn read_signature(path: &Path, explicit: bool) -> Result<Option<(String, Vec<u8>)>> {
    if !explicit && !path.exists() {
        return Ok(None);
    }
    let bytes = read::regular_file(path, MAX_SIGNATURE_BYTES)
        .map_err(|error| Error::Usage(format!("signature: {error}")))?;
    Ok(Some((read::shown(path), bytes)))
}

/// Checks a plugin's signature (`None`: unsigned) against the trusted keys and
/// the policy, and says who signed it.
pub fn check(
    paths: &Paths,
    wasm: &[u8],
    signature: Option<&(String, Vec<u8>)>,
    args: &SignatureArgs,
) -> Result<Option<Signer>> {
    let trusted = trust::load(&paths.trusted_keys())?;
    let what = signature
        .map(|(what, _)| what.as_str())
        .unwrap_or("the plugin");
    Ok(signature::check(
        what,
        wasm,
        signature.map(|(_, bytes)| bytes.as_slice()),
        &trusted,
        args.require_signature,
    )?)
}

/// How the install preview shows who signed (or that nobody did).
pub fn signer_line(signer: Option<&Signer>) -> String {
    match signer {
        Some(signer) => format!(
            "Signed by trusted key {} ({})\n",
            signer.key_id,
            // minisign separates its fields with a tab.
            display::displayable_line(&signer.trusted_comment.replace('\t', " "))
        ),
        None => "Unsigned\n".to_owned(),
    }
}
