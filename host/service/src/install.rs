//! Installing third-party plugins, pinned by SHA-256.
//!
//! `skill plugin install FILE.wasm` compiles the component, checks its contract,
//! shows its tools and what it imports, asks to confirm, then copies it to
//! `<plugins>/<name>/plugin.wasm` beside `install.json`, the record that pins
//! its digest. Every later load hashes the file again and refuses it when the
//! bytes changed.
//!
//! Installing over a plugin of the same name is an upgrade: the command line
//! shows what changes (see [`crate::review`]) and asks; a lower version needs
//! to be allowed. Upgrading and removing delete the old version's compiled
//! code and cached manifest ([`forget_cached`]).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use skill_runtime::cache::{remove_keyed, sha256_hex, write_atomically};
use skill_runtime::{Manifest, PluginCode, Runtime};

use crate::{Error, Paths, Result};

const RECORD_FILE: &str = "install.json";
const WASM_FILE: &str = "plugin.wasm";

/// What `install.json` holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstallRecord {
    pub name: String,
    pub version: String,
    /// Lowercase hex SHA-256 of `plugin.wasm`, pinned at install time.
    pub sha256: String,
    /// Where the file was installed from, for reference.
    pub installed_from: String,
    pub tools: Vec<String>,
    /// The component's imports, as shown when it was installed.
    pub imports: Vec<String>,
    /// Who signed it, when it was signed by a trusted key ([`crate::signature`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signer: Option<crate::signature::Signer>,
}

pub fn wasm_path(plugins_dir: &Path, name: &str) -> PathBuf {
    plugins_dir.join(name).join(WASM_FILE)
}

/// All install records, ordered by plugin name.
pub fn records(plugins_dir: &Path) -> Result<Vec<InstallRecord>> {
    let entries = match std::fs::read_dir(plugins_dir) {
        Ok(entries) => entries,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(error) => {
            return Err(Error::io(
                format!("cannot list {}", plugins_dir.display()),
                error,
            ));
        }
    };
    let mut records = Vec::new();
    for entry in entries.flatten() {
        let path = entry.path().join(RECORD_FILE);
        let Ok(bytes) = std::fs::read(&path) else {
            continue;
        };
        match serde_json::from_slice::<InstallRecord>(&bytes) {
            Ok(record) => records.push(record),
            Err(error) => tracing::warn!("ignoring {}: {error}", path.display()),
        }
    }
    records.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(records)
}

/// Reads an installed plugin and checks its bytes against the pinned digest.
pub fn open_verified(plugins_dir: &Path, record: &InstallRecord) -> Result<Vec<u8>> {
    let path = wasm_path(plugins_dir, &record.name);
    let wasm = std::fs::read(&path)
        .map_err(|error| Error::io(format!("cannot read {}", path.display()), error))?;
    let actual = sha256_hex(&wasm);
    if actual != record.sha256 {
        return Err(Error::DigestMismatch {
            path,
            pinned: record.sha256.clone(),
            actual,
        });
    }
    Ok(wasm)
}

/// The guidance for agents of every installed plugin that ships some, read
/// from its pinned bytes. A plugin whose file changed or whose guidance breaks
/// the rules is left out, with a warning.
pub fn guidance(plugins_dir: &Path) -> Result<Vec<(InstallRecord, String)>> {
    let mut found = Vec::new();
    for record in records(plugins_dir)? {
        let read = open_verified(plugins_dir, &record)
            .and_then(|wasm| crate::guidance::read(&wasm).map_err(Error::Usage));
        match read {
            Ok(Some(text)) => found.push((record, text)),
            Ok(None) => {}
            Err(error) => tracing::warn!(
                "leaving out the guidance of plugin {}: {error}",
                record.name
            ),
        }
    }
    Ok(found)
}

/// A plugin file as it would be installed: what it says it is, what it imports,
/// its digest, and the guidance for agents it ships.
pub struct Inspected {
    pub manifest: Manifest,
    pub imports: Vec<String>,
    pub sha256: String,
    pub guidance: Option<String>,
}

/// Loads `wasm` in the sandbox and asks it to describe itself, with the checks
/// any served plugin's manifest passes; nothing is written.
pub fn inspect(runtime: &Runtime, label: &str, wasm: &[u8]) -> Result<Inspected> {
    let sha256 = sha256_hex(wasm);
    let plugin = runtime.load(PluginCode {
        label,
        wasm,
        sha256: &sha256,
        precompiled: None,
    })?;
    let manifest = runtime.describe(&plugin)?;
    crate::manifest::check(label, &manifest)?;
    let guidance = crate::guidance::read(wasm).map_err(|detail| Error::PluginLoad {
        plugin: label.to_owned(),
        detail,
    })?;
    Ok(Inspected {
        manifest,
        imports: plugin.imports,
        sha256,
        guidance,
    })
}

/// Writes the plugin and its record; the record goes last, so a half-finished
/// install is never taken for a finished one.
pub fn commit(plugins_dir: &Path, record: &InstallRecord, wasm: &[u8]) -> Result<()> {
    let dir = plugins_dir.join(&record.name);
    std::fs::create_dir_all(&dir)
        .map_err(|error| Error::io(format!("cannot create {}", dir.display()), error))?;
    write_atomically(&dir, &dir.join(WASM_FILE), wasm)
        .map_err(|error| Error::io(format!("cannot write into {}", dir.display()), error))?;
    let json =
        serde_json::to_vec_pretty(record).map_err(|error| Error::Usage(error.to_string()))?;
    write_atomically(&dir, &dir.join(RECORD_FILE), &json)
        .map_err(|error| Error::io(format!("cannot write into {}", dir.display()), error))
}

/// Deletes what the caches hold for the plugin whose SHA-256 is `sha256`:
/// its compiled code and its manifest. A cache that cannot be cleaned only
/// costs disk, so that is a warning.
pub fn forget_cached(paths: &Paths, sha256: &str) {
    let compiled = skill_runtime::CompiledCache::new(paths.compiled()).remove(sha256);
    let manifests = remove_keyed(&paths.manifests(), sha256);
    match (compiled, manifests) {
        (Ok(compiled), Ok(manifests)) => {
            tracing::debug!(sha256, compiled, manifests, "removed cached files")
        }
        (Err(error), _) | (_, Err(error)) => {
            tracing::warn!("cannot remove the cached code of plugin {sha256}: {error}")
        }
    }
}

/// Removes an installed plugin and its cached code.
pub fn remove(paths: &Paths, name: &str) -> Result<InstallRecord> {
    if !crate::manifest::valid_name(name) {
        return Err(Error::Usage(format!("{name:?} is not a plugin name")));
    }
    let Some(record) = records(&paths.plugins)?
        .into_iter()
        .find(|record| record.name == name)
    else {
        return Err(Error::Usage(format!("no installed plugin named {name}")));
    };
    let dir = paths.plugins.join(name);
    std::fs::remove_dir_all(&dir)
        .map_err(|error| Error::io(format!("cannot remove {}", dir.display()), error))?;
    forget_cached(paths, &record.sha256);
    Ok(record)
}
