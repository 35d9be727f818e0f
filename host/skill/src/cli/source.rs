//! Where a plugin to install comes from, and `skill plugin push`.
//!
//! `skill plugin install` takes a file, whose signature is `FILE.minisig`
//! beside it, or an `oci://` reference, pulled with [`skill_service::oci`] and
//! pinned to its manifest's digest; `--signature FILE` names the signature
//! either way. `skill plugin push FILE oci://…` publishes a plugin, with its
//! signature when it has one.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use skill_service::Service;
use skill_service::oci::{self, Reference};
use skill_service::read;

use super::trust::{SignatureArgs, read_signature};
use super::{display, print_stdout};
use crate::{Error, Result};

/// A plugin's bytes as install gets them, before any check.
pub struct Fetched {
    pub wasm: Vec<u8>,
    /// What the plugin is called in messages before its manifest is read.
    pub label: String,
    /// The signature's name in messages, and its text.
    pub signature: Option<(String, Vec<u8>)>,
    /// What the install record keeps: the path, or the reference pinned to its digest.
    pub installed_from: String,
}

/// Reads the plugin `source` names: a file, or an `oci://` reference.
pub fn fetch(source: &Path, args: &SignatureArgs) -> Result<Fetched> {
    let text = source.to_string_lossy();
    let explicit_signature = args
        .signature
        .as_deref()
        .map(|path| read_signature(path, true))
        .transpose()?
        .flatten();
    if Reference::is_oci(&text) {
        let reference = Reference::parse(&text)?;
        let pulled = oci::pull(&reference)?;
        tracing::info!("pulled {}", pulled.pinned);
        let signature = explicit_signature.or_else(|| {
            pulled
                .signature
                .map(|bytes| (format!("the signature layer of {reference}"), bytes))
        });
        return Ok(Fetched {
            wasm: pulled.wasm,
            label: reference
                .repository
                .rsplit('/')
                .next()
                .unwrap_or("plugin")
                .to_owned(),
            signature,
            installed_from: pulled.pinned,
        });
    }
    let wasm = read::regular_file(source, read::MAX_PLUGIN_BYTES).map_err(Error::Usage)?;
    let signature = match explicit_signature {
        Some(signature) => Some(signature),
        None => read_signature(&beside(source), false)?,
    };
    Ok(Fetched {
        wasm,
        label: source
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "plugin".to_owned()),
        signature,
        installed_from: text.into_owned(),
    })
}

/// `FILE.minisig`, where minisign writes the signature of FILE.
fn beside(file: &Path) -> PathBuf {
    let mut name = file.as_os_str().to_owned();
    name.push(".minisig");
    PathBuf::from(name)
}

/// `skill plugin push FILE oci://…`: checks that FILE is a plugin this host
/// would serve, then publishes it with its signature (`--signature`, or
/// `FILE.minisig` when it exists) and prints the reference pinned to its digest.
pub fn push(service: &Service, file: &Path, target: &str, signature: Option<&Path>) -> Result<()> {
    let reference = Reference::parse(target)?;
    let wasm = read::regular_file(file, read::MAX_PLUGIN_BYTES).map_err(Error::Usage)?;
    let label = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "plugin".to_owned());
    let inspected = service.inspect(&label, &wasm)?;
    let signature = match signature {
        Some(path) => read_signature(path, true)?,
        None => read_signature(&beside(file), false)?,
    };
    let digest = oci::push(
        &reference,
        &wasm,
        signature.as_ref().map(|(_, bytes)| bytes.as_slice()),
    )?;
    let pushed = format!(
        "Pushed {} {} ({})",
        inspected.manifest.name,
        inspected.manifest.version,
        if signature.is_some() {
            "signed"
        } else {
            "unsigned"
        }
    );
    // The name and version are the plugin's own text.
    let _ = writeln!(std::io::stderr(), "{}", display::displayable_line(&pushed));
    print_stdout(&format!("{}\n", reference.pinned(&digest)))
}
