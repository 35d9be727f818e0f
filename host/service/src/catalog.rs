//! The plugins this host knows, and their tools.
//!
//! First-party plugins are embedded in the binary as WASM bytes with their
//! compiled code (see `build.rs`); third-party plugins come from install records
//! (see [`crate::install`]). Both take one path from there: the manifest is what
//! the plugin's `describe()` returns in the sandbox, checked, and cached by the
//! plugin's SHA-256, so that listing tools or finding one to run does not
//! instantiate every plugin.

use std::borrow::Cow;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock, PoisonError};

use skill_runtime::cache::write_atomically;
use skill_runtime::contract::CONTRACT_VERSION;
use skill_runtime::{Manifest, Plugin, PluginCode, Runtime, ToolSpec};

use crate::install::{self, InstallRecord};
use crate::{Error, Result, manifest};

/// A first-party plugin as the build embeds it.
pub struct Builtin {
    pub package: &'static str,
    pub sha256: &'static str,
    pub wasm: &'static [u8],
    /// Compiled ahead of time with [`skill_runtime::engine_config`].
    pub precompiled: &'static [u8],
}

mod builtin {
    use super::Builtin;
    include!(concat!(env!("OUT_DIR"), "/builtin_plugins.rs"));
}

/// The first-party plugins, in the order they are listed.
pub fn builtins() -> &'static [Builtin] {
    builtin::BUILTINS
}

/// Where a plugin came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// Shipped inside this binary.
    Builtin,
    /// Installed by `skill plugin install`, with its record.
    Installed(InstallRecord),
}

/// A plugin's bytes and identity.
pub struct PluginSource {
    pub label: String,
    pub sha256: String,
    pub wasm: Cow<'static, [u8]>,
    pub precompiled: Option<&'static [u8]>,
    pub origin: Origin,
}

impl PluginSource {
    fn code(&self) -> PluginCode<'_> {
        PluginCode {
            label: &self.label,
            wasm: &self.wasm,
            sha256: &self.sha256,
            precompiled: self.precompiled,
        }
    }
}

/// A plugin with its manifest.
pub struct Entry {
    pub source: PluginSource,
    pub manifest: Manifest,
    /// Loaded on first use and kept: later calls only instantiate.
    loaded: OnceLock<Plugin>,
    /// Held while loading, so threads that need the plugin at once load it once.
    loading: Mutex<()>,
}

/// A tool and the plugin that serves it.
pub struct ToolRef<'a> {
    pub entry: &'a Entry,
    pub spec: &'a ToolSpec,
}

pub struct Catalog {
    entries: Vec<Entry>,
    /// Installed plugins left out, with why: a call to one of their recorded
    /// tools gets the reason, not "no tool named …".
    refused: Vec<(InstallRecord, String)>,
    manifest_cache: PathBuf,
}

impl Catalog {
    /// Every first-party and installed plugin. An installed plugin that fails
    /// its checks is reported and left out; the others still work.
    pub fn load(runtime: &Runtime, plugins_dir: &Path, cache_dir: &Path) -> Result<Self> {
        let mut catalog = Self {
            entries: Vec::new(),
            refused: Vec::new(),
            manifest_cache: cache_dir.join("manifests"),
        };
        for builtin in builtins() {
            let source = PluginSource {
                label: builtin.package.to_owned(),
                sha256: builtin.sha256.to_owned(),
                wasm: Cow::Borrowed(builtin.wasm),
                precompiled: Some(builtin.precompiled),
                origin: Origin::Builtin,
            };
            // A first-party plugin that cannot be served is a broken build.
            let manifest = catalog.manifest(runtime, &source)?;
            catalog.add(source, manifest)?;
        }
        for record in install::records(plugins_dir)? {
            let added = install::open_verified(plugins_dir, &record).and_then(|wasm| {
                let source = PluginSource {
                    label: record.name.clone(),
                    sha256: record.sha256.clone(),
                    wasm: Cow::Owned(wasm),
                    precompiled: None,
                    origin: Origin::Installed(record.clone()),
                };
                let manifest = catalog.manifest(runtime, &source)?;
                catalog.add(source, manifest)
            });
            if let Err(error) = added {
                tracing::warn!("skipping plugin {}: {error}", record.name);
                catalog.refused.push((record, error.to_string()));
            }
        }
        Ok(catalog)
    }

    fn add(&mut self, source: PluginSource, manifest: Manifest) -> Result<()> {
        if self.plugin(&manifest.name).is_some() {
            return Err(Error::PluginLoad {
                plugin: manifest.name.clone(),
                detail: "another plugin already has its name".to_owned(),
            });
        }
        for tool in &manifest.tools {
            if let Some(other) = self.find(&tool.name) {
                return Err(Error::PluginLoad {
                    plugin: manifest.name.clone(),
                    detail: format!(
                        "its tool `{}` is already served by plugin {}",
                        tool.name, other.entry.manifest.name
                    ),
                });
            }
        }
        self.entries.push(Entry {
            source,
            manifest,
            loaded: OnceLock::new(),
            loading: Mutex::new(()),
        });
        Ok(())
    }

    /// The manifest from the cache, or from the plugin itself (then cached).
    fn manifest(&self, runtime: &Runtime, source: &PluginSource) -> Result<Manifest> {
        let cached = self
            .manifest_cache
            .join(format!("{}-{CONTRACT_VERSION}.json", source.sha256));
        if let Some(manifest) = read_cached(&cached) {
            return Ok(manifest);
        }
        let plugin = runtime.load(source.code())?;
        let manifest = runtime.describe(&plugin)?;
        manifest::check(&source.label, &manifest)?;
        let stored = std::fs::create_dir_all(&self.manifest_cache).and_then(|()| {
            let json = serde_json::to_vec(&manifest).map_err(std::io::Error::other)?;
            write_atomically(&self.manifest_cache, &cached, &json)
        });
        if let Err(error) = stored {
            tracing::warn!("cannot cache the manifest of {}: {error}", source.label);
        }
        Ok(manifest)
    }

    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// Every tool, ordered by name (a stable order for people and for MCP clients).
    pub fn tools(&self) -> Vec<ToolRef<'_>> {
        let mut tools: Vec<_> = self
            .entries
            .iter()
            .flat_map(|entry| {
                entry
                    .manifest
                    .tools
                    .iter()
                    .map(move |spec| ToolRef { entry, spec })
            })
            .collect();
        tools.sort_by(|a, b| a.spec.name.cmp(&b.spec.name));
        tools
    }

    /// The plugin named `name`.
    pub fn plugin(&self, name: &str) -> Option<&Entry> {
        self.entries
            .iter()
            .find(|entry| entry.manifest.name == name)
    }

    pub fn find(&self, name: &str) -> Option<ToolRef<'_>> {
        self.entries.iter().find_map(|entry| {
            entry
                .manifest
                .tools
                .iter()
                .find(|spec| spec.name == name)
                .map(|spec| ToolRef { entry, spec })
        })
    }

    /// The tool, or an error listing the tools there are.
    pub fn get(&self, name: &str) -> Result<ToolRef<'_>> {
        if let Some(tool) = self.find(name) {
            return Ok(tool);
        }
        if let Some((record, reason)) = self
            .refused
            .iter()
            .find(|(record, _)| record.tools.iter().any(|tool| tool == name))
        {
            return Err(Error::PluginRefused {
                plugin: record.name.clone(),
                tool: name.to_owned(),
                reason: reason.clone(),
            });
        }
        Err(Error::UnknownTool {
            name: name.to_owned(),
            available: self
                .tools()
                .iter()
                .map(|tool| tool.spec.name.clone())
                .collect(),
        })
    }
}

/// A cached manifest, if one is there, is a regular file within the size cap
/// and reads back (it was checked when it was written).
fn read_cached(path: &Path) -> Option<Manifest> {
    let metadata = std::fs::symlink_metadata(path).ok()?;
    if !metadata.is_file() || metadata.len() > 2 * manifest::MAX_MANIFEST_BYTES as u64 {
        return None;
    }
    serde_json::from_slice(&std::fs::read(path).ok()?).ok()
}

impl Entry {
    /// The plugin ready to call: loaded on first use, then its `InstancePre`
    /// is reused for every call.
    pub fn load(&self, runtime: &Runtime) -> Result<&Plugin> {
        if let Some(loaded) = self.loaded.get() {
            return Ok(loaded);
        }
        let _loading = self.loading.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(loaded) = self.loaded.get() {
            return Ok(loaded); // another thread loaded it while this one waited
        }
        let loaded = runtime.load(PluginCode {
            label: &self.manifest.name,
            ..self.source.code()
        })?;
        Ok(self.loaded.get_or_init(|| loaded))
    }
}

/// Where a plugin lives, for `skill plugin list`.
pub fn origin_text(origin: &Origin, plugins_dir: &Path) -> String {
    match origin {
        Origin::Builtin => "built in".to_owned(),
        Origin::Installed(record) => install::wasm_path(plugins_dir, &record.name)
            .display()
            .to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use skill_runtime::{CompiledCache, Limits};

    /// The first-party plugins are described in the sandbox, from their
    /// embedded compiled code, and pass the checks any plugin's manifest does.
    #[test]
    fn built_in_plugins_describe_themselves_in_the_sandbox() {
        let home = tempfile::tempdir().unwrap();
        let runtime = Runtime::new(Limits::default(), CompiledCache::disabled()).unwrap();
        let catalog = Catalog::load(&runtime, &home.path().join("plugins"), home.path()).unwrap();
        let names: Vec<_> = catalog
            .entries()
            .iter()
            .map(|entry| entry.manifest.name.as_str())
            .collect();
        assert_eq!(
            names,
            builtins().iter().map(|b| b.package).collect::<Vec<_>>()
        );
        for entry in catalog.entries() {
            manifest::check(&entry.source.label, &entry.manifest).unwrap();
        }
        assert!(catalog.get("rotation-planner").is_ok());
        // The second start reads the manifests from the cache.
        assert!(home.path().join("manifests").read_dir().unwrap().count() >= 4);
    }
}
