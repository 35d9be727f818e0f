//! Precompiled components on disk.
//!
//! Compiling a component takes a few hundred milliseconds; loading the
//! precompiled artifact takes a fraction of one. Artifacts are keyed by the
//! SHA-256 of the plugin's bytes and the engine's compatibility hash (wasmtime
//! version and codegen settings), written atomically (temporary file, then
//! rename), and checked before loading: loading an artifact runs native code
//! from it, so a file whose digest differs from the one recorded beside it, or
//! that is not a precompiled component, is discarded and rebuilt.
//!
//! Artifact digests are BLAKE3 (plugins are still named by SHA-256): checking
//! runs on every start, and BLAKE3 hashes a megabyte in a fraction of the time.

use std::hash::{Hash, Hasher};
use std::io::Write;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use wasmtime::component::Component;
use wasmtime::{Engine, Precompiled};

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

    /// The component for `wasm`, from the cache when a good artifact is there.
    pub fn load(
        &self,
        engine: &Engine,
        label: &str,
        wasm: &[u8],
        sha256: &str,
    ) -> Result<Component> {
        let Some(dir) = &self.dir else {
            return compile(engine, label, wasm);
        };
        let artifact = dir.join(format!("{sha256}-{}.cwasm", engine_key(engine)));
        let digest_file = artifact.with_extension("cwasm.digest");
        if let Some(component) = load_checked(engine, &artifact, &digest_file) {
            tracing::debug!(plugin = label, path = %artifact.display(), "loaded precompiled component");
            return Ok(component);
        }
        let started = std::time::Instant::now();
        let bytes = engine
            .precompile_component(wasm)
            .map_err(|error| Error::PluginLoad {
                plugin: label.to_owned(),
                detail: format!("it is not a valid component: {error:#}"),
            })?;
        tracing::debug!(plugin = label, elapsed = ?started.elapsed(), "compiled component");
        if let Err(error) = store(dir, &artifact, &digest_file, &bytes) {
            // A read-only cache only costs speed.
            tracing::warn!("cannot cache compiled code in {}: {error}", dir.display());
        }
        // SAFETY: the bytes were produced by this engine just now.
        unsafe { Component::deserialize(engine, &bytes) }.map_err(|error| Error::PluginLoad {
            plugin: label.to_owned(),
            detail: format!("{error:#}"),
        })
    }
}

fn compile(engine: &Engine, label: &str, wasm: &[u8]) -> Result<Component> {
    Component::new(engine, wasm).map_err(|error| Error::PluginLoad {
        plugin: label.to_owned(),
        detail: format!("it is not a valid component: {error:#}"),
    })
}

/// Loads an artifact only if it is intact; any doubt means a rebuild.
///
/// The file is mapped, not read: its pages come straight from the page cache,
/// and wasmtime maps the same pages again instead of copying the code.
fn load_checked(engine: &Engine, artifact: &Path, digest_file: &Path) -> Option<Component> {
    let recorded = std::fs::read_to_string(digest_file).ok()?;
    let file = std::fs::File::open(artifact).ok()?;
    // SAFETY: the mapping is read-only and only read here; a concurrent writer
    // could only be another `skill` process replacing the file by rename,
    // which leaves this mapping's pages intact.
    let mapped = unsafe { memmap2::Mmap::map(&file) }.ok()?;
    if artifact_digest(&mapped) != recorded.trim() {
        tracing::warn!(path = %artifact.display(), "precompiled artifact does not match its digest; recompiling");
        return None;
    }
    if Engine::detect_precompiled(&mapped) != Some(Precompiled::Component) {
        return None;
    }
    drop(mapped);
    // SAFETY: the artifact is in the host's own cache directory (files 0600,
    // written atomically), its digest matches the one recorded with it, and
    // wasmtime checks that it was built by a compatible engine.
    match unsafe { Component::deserialize_file(engine, artifact) } {
        Ok(component) => Some(component),
        Err(error) => {
            tracing::warn!(path = %artifact.display(), "cannot load precompiled artifact: {error:#}");
            None
        }
    }
}

fn store(dir: &Path, artifact: &Path, digest_file: &Path, bytes: &[u8]) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    // The digest goes first: an artifact without a matching digest is never loaded.
    write_atomically(dir, digest_file, artifact_digest(bytes).as_bytes())?;
    write_atomically(dir, artifact, bytes)
}

/// The digest recorded beside an artifact, tagged with its algorithm.
fn artifact_digest(bytes: &[u8]) -> String {
    format!("blake3:{}", blake3::hash(bytes).to_hex())
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
