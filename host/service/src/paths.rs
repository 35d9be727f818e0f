//! Where the host keeps its files.
//!
//! - `SKILL_HOME`, when set, holds everything: `$SKILL_HOME/plugins` (installed
//!   plugins and their install records), `$SKILL_HOME/trusted-keys.json` (the keys
//!   trusted to sign plugins) and `$SKILL_HOME/cache` (precompiled code).
//! - Otherwise the user's data directory holds plugins (`~/.local/share/skill`
//!   on Linux) and the user's cache directory holds compiled code (`~/.cache/skill`).
//! - `SKILL_CACHE_DIR`, when set, moves the cache alone (it is keyed by content,
//!   so several homes can share one).

use std::path::PathBuf;

use crate::{Error, Result};

/// The cache's folder of plugin manifests, keyed by plugin SHA-256.
pub const MANIFESTS: &str = "manifests";

#[derive(Debug, Clone)]
pub struct Paths {
    /// Installed third-party plugins and their records.
    pub plugins: PathBuf,
    /// Precompiled components and cached manifests; safe to delete.
    pub cache: PathBuf,
}

impl Paths {
    pub fn from_env() -> Result<Self> {
        let mut paths = Self::defaults()?;
        if let Some(cache) = std::env::var_os("SKILL_CACHE_DIR").filter(|v| !v.is_empty()) {
            paths.cache = PathBuf::from(cache);
        }
        Ok(paths)
    }

    /// The minisign keys trusted to sign plugins ([`crate::trust`]): in the skill
    /// home, beside the plugins directory.
    pub fn trusted_keys(&self) -> PathBuf {
        self.plugins.with_file_name("trusted-keys.json")
    }

    /// Where precompiled components are kept, under the cache.
    pub fn compiled(&self) -> PathBuf {
        self.cache.join("compiled")
    }

    /// Where plugin manifests are kept, under the cache.
    pub fn manifests(&self) -> PathBuf {
        self.cache.join(MANIFESTS)
    }

    fn defaults() -> Result<Self> {
        if let Some(home) = std::env::var_os("SKILL_HOME").filter(|v| !v.is_empty()) {
            let home = PathBuf::from(home);
            return Ok(Self {
                plugins: home.join("plugins"),
                cache: home.join("cache"),
            });
        }
        let data = dirs::data_dir().ok_or_else(|| {
            Error::Usage("cannot find the user data directory; set SKILL_HOME".to_owned())
        })?;
        let cache = dirs::cache_dir().unwrap_or_else(|| data.clone());
        Ok(Self {
            plugins: data.join("skill").join("plugins"),
            cache: cache.join("skill"),
        })
    }
}
