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
//! Artifact digests are BLAKE3 (plugins are still named by SHA-256). Hashing a
//! megabyte-sized artifact at every start still cost a quarter of a millisecond
//! and a fault for every page of it, so once an artifact has passed, its record
//! also holds the file's stamp: device, inode, size, and change and modification
//! times. While the stamp is the same, the file has not been written since it was
//! checked: any write moves its change time, which no program can set back, and a
//! replacement is a new inode. This is how git tells unchanged files from its
//! index. A stamp is only recorded for a file last changed more than [`SETTLED`]
//! ago, so a write in the same clock tick as a check cannot go unseen.
//!
//! Neither check stands against someone who can write the cache directory: they
//! could rewrite the record as well. The directory is the user's own (files 0600).

use std::hash::{Hash, Hasher};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

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
        if let Some(component) = load_checked(engine, &artifact, &digest_file, SystemTime::now()) {
            tracing::debug!(plugin = label, path = %artifact.display(), "loaded precompiled component");
            return Ok(component);
        }
        let started = std::time::Instant::now();
        let bytes = crate::threads::beyond_helper(|| engine.precompile_component(wasm)).map_err(
            |error| Error::PluginLoad {
                plugin: label.to_owned(),
                detail: format!("it is not a valid component: {error:#}"),
            },
        )?;
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
    crate::threads::beyond_helper(|| Component::new(engine, wasm)).map_err(|error| {
        Error::PluginLoad {
            plugin: label.to_owned(),
            detail: format!("it is not a valid component: {error:#}"),
        }
    })
}

/// Loads an artifact only if it is intact; any doubt means a rebuild.
///
/// The file is mapped, not read: its pages come straight from the page cache,
/// and wasmtime maps the same pages again instead of copying the code. `now`
/// decides whether the file has settled enough to record its stamp.
fn load_checked(
    engine: &Engine,
    artifact: &Path,
    digest_file: &Path,
    now: SystemTime,
) -> Option<Component> {
    let record = Record::parse(&std::fs::read_to_string(digest_file).ok()?)?;
    let file = std::fs::File::open(artifact).ok()?;
    let stamp = file.metadata().ok().as_ref().and_then(Stamp::of);
    // SAFETY: the mapping is read-only and only read here; a concurrent writer
    // could only be another `skill` process replacing the file by rename,
    // which leaves this mapping's pages intact.
    let mapped = unsafe { memmap2::Mmap::map(&file) }.ok()?;
    if stamp.is_none() || record.checked != stamp {
        if artifact_digest(&mapped) != record.digest {
            tracing::warn!(path = %artifact.display(), "precompiled artifact does not match its digest; recompiling");
            return None;
        }
        if let Some(stamp) = stamp.filter(|stamp| stamp.settled(now)) {
            let checked = Record {
                checked: Some(stamp),
                ..record
            };
            let dir = digest_file.parent().unwrap_or(Path::new("."));
            if let Err(error) = write_atomically(dir, digest_file, checked.to_string().as_bytes()) {
                tracing::debug!("cannot record the stamp of {}: {error}", artifact.display());
            }
        }
    }
    if Engine::detect_precompiled(&mapped) != Some(Precompiled::Component) {
        return None;
    }
    drop(mapped);
    // SAFETY: the artifact is in the host's own cache directory (files 0600,
    // written atomically), it is unchanged since its digest last matched the
    // one recorded with it, and wasmtime checks that it was built by a
    // compatible engine.
    match unsafe { Component::deserialize_file(engine, artifact) } {
        Ok(component) => Some(component),
        Err(error) => {
            tracing::warn!(path = %artifact.display(), "cannot load precompiled artifact: {error:#}");
            None
        }
    }
}

/// How long after its last change a file must be before its stamp is recorded.
/// File times advance in clock ticks (a few milliseconds; two seconds on FAT),
/// so a write in the tick of a check could leave the stamp as it was.
pub const SETTLED: Duration = Duration::from_secs(3);

/// What the digest file beside an artifact says: its digest and, once it has
/// passed, the stamp of the file that passed.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Record {
    digest: String,
    checked: Option<Stamp>,
}

impl Record {
    /// The first line is the digest; a second line `checked <stamp>` is optional.
    fn parse(text: &str) -> Option<Self> {
        let mut lines = text.lines();
        let digest = lines.next()?.trim().to_owned();
        let checked = lines
            .next()
            .and_then(|line| line.strip_prefix("checked "))
            .and_then(Stamp::parse);
        Some(Self { digest, checked })
    }
}

impl std::fmt::Display for Record {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "{}", self.digest)?;
        match &self.checked {
            Some(stamp) => writeln!(f, "checked {stamp}"),
            None => Ok(()),
        }
    }
}

/// A file's identity and last change, as the file system reports them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Stamp {
    device: u64,
    inode: u64,
    len: u64,
    /// Change time: seconds and nanoseconds since the epoch.
    changed: (i64, i64),
    /// Modification time, likewise.
    modified: (i64, i64),
}

impl Stamp {
    #[cfg(unix)]
    fn of(metadata: &std::fs::Metadata) -> Option<Self> {
        use std::os::unix::fs::MetadataExt;
        Some(Self {
            device: metadata.dev(),
            inode: metadata.ino(),
            len: metadata.size(),
            changed: (metadata.ctime(), metadata.ctime_nsec()),
            modified: (metadata.mtime(), metadata.mtime_nsec()),
        })
    }

    /// Elsewhere there is no change time to rely on: every load hashes.
    #[cfg(not(unix))]
    fn of(_: &std::fs::Metadata) -> Option<Self> {
        None
    }

    /// Whether the last change is more than [`SETTLED`] before `now`.
    fn settled(&self, now: SystemTime) -> bool {
        let (seconds, nanos) = self.changed;
        let changed = u64::try_from(seconds).ok().and_then(|seconds| {
            let nanos = u32::try_from(nanos).ok()?;
            SystemTime::UNIX_EPOCH.checked_add(Duration::new(seconds, nanos))
        });
        changed
            .and_then(|changed| now.duration_since(changed).ok())
            .is_some_and(|age| age > SETTLED)
    }

    fn parse(text: &str) -> Option<Self> {
        let fields: Vec<&str> = text.split(' ').collect();
        let [
            device,
            inode,
            len,
            changed,
            changed_nanos,
            modified,
            modified_nanos,
        ] = fields[..]
        else {
            return None;
        };
        Some(Self {
            device: device.parse().ok()?,
            inode: inode.parse().ok()?,
            len: len.parse().ok()?,
            changed: (changed.parse().ok()?, changed_nanos.parse().ok()?),
            modified: (modified.parse().ok()?, modified_nanos.parse().ok()?),
        })
    }
}

impl std::fmt::Display for Stamp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {} {} {} {} {} {}",
            self.device,
            self.inode,
            self.len,
            self.changed.0,
            self.changed.1,
            self.modified.0,
            self.modified.1
        )
    }
}

fn store(dir: &Path, artifact: &Path, digest_file: &Path, bytes: &[u8]) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    // The digest goes first: an artifact without a matching digest is never loaded.
    let record = Record {
        digest: artifact_digest(bytes),
        checked: None,
    };
    write_atomically(dir, digest_file, record.to_string().as_bytes())?;
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The smallest valid component: the preamble alone.
    const EMPTY_COMPONENT: &[u8] = b"\0asm\x0d\x00\x01\x00";

    /// An engine and the artifact and record paths of the empty component,
    /// compiled into `dir`.
    fn cached(dir: &Path) -> (Engine, PathBuf, PathBuf) {
        let engine = Engine::default();
        CompiledCache::new(dir.to_owned())
            .load(&engine, "empty", EMPTY_COMPONENT, "e0")
            .unwrap();
        let artifact = dir.join(format!("e0-{}.cwasm", engine_key(&engine)));
        let record = artifact.with_extension("cwasm.digest");
        (engine, artifact, record)
    }

    fn record(path: &Path) -> Record {
        Record::parse(&std::fs::read_to_string(path).unwrap()).unwrap()
    }

    #[test]
    fn a_new_artifact_is_hashed_at_each_load_until_it_settles() {
        let dir = tempfile::tempdir().unwrap();
        let (engine, artifact, digest_file) = cached(dir.path());
        assert!(load_checked(&engine, &artifact, &digest_file, SystemTime::now()).is_some());
        assert_eq!(record(&digest_file).checked, None);
    }

    #[test]
    fn a_settled_artifact_is_trusted_by_its_stamp_until_it_is_written() {
        let dir = tempfile::tempdir().unwrap();
        let (engine, artifact, digest_file) = cached(dir.path());
        let later = SystemTime::now() + SETTLED * 2;
        assert!(load_checked(&engine, &artifact, &digest_file, later).is_some());
        let checked = record(&digest_file);
        assert!(checked.checked.is_some(), "{checked:?}");

        // While the stamp matches, the digest is not computed again: a wrong one
        // recorded with it goes unnoticed.
        let wrong = Record {
            digest: "blake3:00".to_owned(),
            ..checked.clone()
        };
        std::fs::write(&digest_file, wrong.to_string()).unwrap();
        assert!(load_checked(&engine, &artifact, &digest_file, later).is_some());

        // A write in place, same size and inode, a clock tick later: the change
        // time moves, so the digest is computed and the damage found.
        std::fs::write(&digest_file, checked.to_string()).unwrap();
        std::thread::sleep(Duration::from_millis(50));
        let mut bytes = std::fs::read(&artifact).unwrap();
        let middle = bytes.len() / 2;
        bytes[middle] ^= 0xff;
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .open(&artifact)
            .unwrap();
        file.write_all(&bytes).unwrap();
        drop(file);
        assert!(load_checked(&engine, &artifact, &digest_file, later).is_none());
    }

    #[test]
    fn records_read_back_as_written() {
        let stamp = Stamp {
            device: 2049,
            inode: u64::MAX,
            len: 1_213_136,
            changed: (1_764_870_000, 123_456_789),
            modified: (-1, 0),
        };
        for checked in [None, Some(stamp)] {
            let record = Record {
                digest: "blake3:ab".to_owned(),
                checked,
            };
            assert_eq!(Record::parse(&record.to_string()), Some(record));
        }
        // The one-line records of earlier versions still read.
        assert_eq!(
            Record::parse("blake3:ab"),
            Some(Record {
                digest: "blake3:ab".to_owned(),
                checked: None
            })
        );
    }
}
