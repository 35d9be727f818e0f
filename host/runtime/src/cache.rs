//! Compiled components on disk.
//!
//! Compiling a component takes a few hundred milliseconds; loading compiled
//! code takes about a millisecond. Artifacts are keyed by the SHA-256 of the
//! plugin's bytes and the engine's compatibility hash (wasmtime version and
//! codegen settings), written atomically (temporary file, then rename), and
//! checked before loading: loading an artifact runs native code from it, so a
//! file whose digest differs from the one recorded beside it is discarded and
//! rebuilt.
//!
//! The recorded digest is BLAKE3 over the plugin's SHA-256 and then the
//! artifact, so an artifact is bound to the plugin it was compiled from: another
//! plugin's artifact copied in with its digest file does not match.
//!
//! This stands against damage and mix-ups, not against someone who can write the
//! cache directory (they could rewrite the digest as well). The directory is the
//! user's own (files 0600).

use std::hash::{Hash, Hasher};
use std::io::Write;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use wasmtime::Engine;
use wasmtime::component::Component;

use crate::{Error, Result};

pub struct CompiledCache {
    dir: Option<PathBuf>,
}

impl CompiledCache {
    /// A cache in `dir`, created on first write.
    pub fn new(dir: PathBuf) -> Self {
        Self { dir: Some(dir) }
    }

    /// No cache: compile every time (for tests of the cold path).
    pub fn disabled() -> Self {
        Self { dir: None }
    }

    /// The component for `wasm`, from the cache when a good artifact is there,
    /// else compiled (and then cached).
    pub fn load(
        &self,
        engine: &Engine,
        label: &str,
        wasm: &[u8],
        sha256: &str,
    ) -> Result<Component> {
        let invalid = |error: wasmtime::Error| Error::Load {
            plugin: label.to_owned(),
            detail: format!("it is not a valid component: {error:#}"),
        };
        let Some(dir) = &self.dir else {
            return Component::new(engine, wasm).map_err(invalid);
        };
        let artifact = dir.join(format!("{sha256}-{}.cwasm", engine_key(engine)));
        let digest_file = artifact.with_extension("cwasm.digest");
        if let Some(component) = load_checked(engine, label, sha256, &artifact, &digest_file) {
            tracing::debug!(plugin = label, path = %artifact.display(), "loaded compiled code from the cache");
            return Ok(component);
        }
        let started = std::time::Instant::now();
        let bytes = engine.precompile_component(wasm).map_err(invalid)?;
        tracing::debug!(plugin = label, elapsed = ?started.elapsed(), "compiled component");
        if let Err(error) = store(dir, sha256, &artifact, &digest_file, &bytes) {
            // A read-only cache only costs speed.
            tracing::warn!("cannot cache compiled code in {}: {error}", dir.display());
        }
        crate::precompiled::component(engine, label, &bytes).ok_or_else(|| Error::Load {
            plugin: label.to_owned(),
            detail: "the engine refused code it had just compiled".to_owned(),
        })
    }
}

impl CompiledCache {
    /// Deletes the compiled code of the plugin whose SHA-256 is `sha256`, for
    /// every engine it was compiled by; returns how many files went. Another
    /// home sharing this cache that still runs the plugin compiles it again.
    pub fn remove(&self, sha256: &str) -> std::io::Result<usize> {
        match &self.dir {
            Some(dir) => remove_keyed(dir, sha256),
            None => Ok(0),
        }
    }
}

/// Deletes the files of `dir` whose names start with `<sha256>-` (the key of
/// every file the caches write); nothing when `sha256` is not a SHA-256.
pub fn remove_keyed(dir: &Path, sha256: &str) -> std::io::Result<usize> {
    let is_digest = sha256.len() == 64 && sha256.bytes().all(|b| b.is_ascii_hexdigit());
    if !is_digest {
        return Ok(0);
    }
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(error) => return Err(error),
    };
    let prefix = format!("{sha256}-");
    let mut removed = 0;
    for entry in entries {
        let entry = entry?;
        if entry.file_name().to_string_lossy().starts_with(&prefix) {
            std::fs::remove_file(entry.path())?;
            removed += 1;
        }
    }
    Ok(removed)
}

/// Loads an artifact only if it is intact and was compiled from plugin `sha256`;
/// any doubt means a rebuild.
fn load_checked(
    engine: &Engine,
    label: &str,
    sha256: &str,
    artifact: &Path,
    digest_file: &Path,
) -> Option<Component> {
    let recorded = std::fs::read_to_string(digest_file).ok()?;
    let bytes = read_regular(artifact)?;
    if recorded.trim() != artifact_digest(sha256, &bytes) {
        tracing::warn!(path = %artifact.display(), "compiled code does not match its digest; recompiling");
        return None;
    }
    crate::precompiled::component(engine, label, &bytes)
}

/// A regular file's bytes; anything else (a FIFO, a device, a directory) is not
/// an artifact and is never opened, so it cannot block the host.
fn read_regular(path: &Path) -> Option<Vec<u8>> {
    let metadata = std::fs::symlink_metadata(path).ok()?;
    if !metadata.is_file() {
        tracing::warn!(path = %path.display(), "compiled code that is not a regular file; ignored");
        return None;
    }
    std::fs::read(path).ok()
}

fn store(
    dir: &Path,
    sha256: &str,
    artifact: &Path,
    digest_file: &Path,
    bytes: &[u8],
) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    // The digest goes first: an artifact without a matching digest is never loaded.
    write_atomically(dir, digest_file, artifact_digest(sha256, bytes).as_bytes())?;
    write_atomically(dir, artifact, bytes)
}

/// The digest recorded beside an artifact: BLAKE3 over the plugin's SHA-256
/// and the artifact, tagged with its algorithm.
fn artifact_digest(sha256: &str, bytes: &[u8]) -> String {
    let mut hasher = blake3::Hasher::new();
    hasher.update(sha256.as_bytes());
    hasher.update(b"\0");
    hasher.update(bytes);
    format!("blake3:{}", hasher.finalize().to_hex())
}

/// Writes through a temporary file in the same directory and renames it into place.
pub fn write_atomically(dir: &Path, path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut file = tempfile::NamedTempFile::new_in(dir)?;
    file.write_all(bytes)?;
    file.as_file().sync_all()?;
    file.persist(path).map_err(|error| error.error)?;
    Ok(())
}

/// A short stable key for the engine's codegen settings.
fn engine_key(engine: &Engine) -> String {
    let mut hasher = Sha256Hasher(Sha256::new());
    engine.precompile_compatibility_hash().hash(&mut hasher);
    hex(&hasher.0.finalize()[..8])
}

/// Feeds `Hash` output into SHA-256, which (unlike `DefaultHasher`) is stable across builds.
struct Sha256Hasher(Sha256);

impl Hasher for Sha256Hasher {
    fn finish(&self) -> u64 {
        unreachable!("only the full digest is used")
    }
    fn write(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }
}

/// Lowercase hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut out, byte| {
            let _ = write!(out, "{byte:02x}");
            out
        })
}

/// Lowercase hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The smallest valid component: the preamble alone.
    const EMPTY_COMPONENT: &[u8] = b"\0asm\x0d\x00\x01\x00";

    /// An engine and the artifact and digest paths of the empty component,
    /// compiled into `dir` as plugin `sha256`.
    fn cached(dir: &Path, sha256: &str) -> (Engine, PathBuf, PathBuf) {
        let engine = Engine::default();
        CompiledCache::new(dir.to_owned())
            .load(&engine, "empty", EMPTY_COMPONENT, sha256)
            .unwrap();
        let artifact = dir.join(format!("{sha256}-{}.cwasm", engine_key(&engine)));
        let digest = artifact.with_extension("cwasm.digest");
        (engine, artifact, digest)
    }

    #[test]
    fn an_intact_artifact_loads_and_a_damaged_one_does_not() {
        let dir = tempfile::tempdir().unwrap();
        let (engine, artifact, digest) = cached(dir.path(), "e0");
        assert!(load_checked(&engine, "empty", "e0", &artifact, &digest).is_some());
        let mut bytes = std::fs::read(&artifact).unwrap();
        let middle = bytes.len() / 2;
        bytes[middle] ^= 0xff;
        std::fs::write(&artifact, bytes).unwrap();
        assert!(load_checked(&engine, "empty", "e0", &artifact, &digest).is_none());
    }

    #[test]
    fn an_artifact_is_bound_to_the_plugin_it_was_compiled_from() {
        let dir = tempfile::tempdir().unwrap();
        let (engine, artifact, digest) = cached(dir.path(), "aa");
        // Another plugin's artifact and digest, copied in under this plugin's key.
        assert!(load_checked(&engine, "empty", "bb", &artifact, &digest).is_none());
    }
}
