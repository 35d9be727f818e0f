//! The plugins this host knows, and their tools.
//!
//! First-party plugins are embedded in the binary as WASM bytes with their
//! compiled code (see `build.rs`); third-party plugins come from install records
//! (see [`crate::install`]). Both take one path from there: the manifest is what
//! the plugin's `describe()` returns in the sandbox, checked, and cached by the
//! plugin's SHA-256, so that listing tools or finding one to run does not
//! instantiate every plugin.
//!
//! Plugins under development (`skill run --plugin FILE.wasm`, `skill mcp
//! --plugin FILE.wasm`) join for one process: read from their file, described
//! in the same sandbox, checked the same way, never installed or cached. One of
//! them stands in for an installed plugin of the same name.
//!
//! Names: every tool is addressable as `plugin/tool`. A bare tool name is
//! enough while one plugin serves it; when several third-party plugins have a
//! tool of that name, none takes the bare name, and asking for it says which
//! qualified names to use. A first-party tool's name is never shared: a
//! plugin with such a tool is refused.

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
    /// Given with `--plugin FILE.wasm` for this process only.
    Dev(PathBuf),
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

impl ToolRef<'_> {
    /// `plugin/tool`: the name that always reaches this tool.
    pub fn qualified(&self) -> String {
        format!("{}/{}", self.entry.manifest.name, self.spec.name)
    }
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
    /// `dev` are plugin files to serve for this process only (see the module's
    /// documentation); one that cannot be served is an error, not a warning.
    pub fn load(
        runtime: &Runtime,
        plugins_dir: &Path,
        cache_dir: &Path,
        dev: &[PathBuf],
    ) -> Result<Self> {
        let mut catalog = Self {
            entries: Vec::new(),
            refused: Vec::new(),
            manifest_cache: cache_dir.join(crate::paths::MANIFESTS),
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
        for path in dev {
            let source = dev_source(path)?;
            let plugin = runtime.load(source.code())?;
            let manifest = runtime.describe(&plugin)?;
            manifest::check(&source.label, &manifest)?;
            catalog.add(source, manifest)?;
        }
        for record in install::records(plugins_dir)? {
            if let Some(dev) = catalog.plugin(&record.name)
                && matches!(dev.source.origin, Origin::Dev(_))
            {
                tracing::info!(
                    "plugin {} from {} stands in for the installed one",
                    record.name,
                    dev.source.label
                );
                continue;
            }
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
        if let Some(other) = self.plugin(&manifest.name) {
            return Err(Error::PluginLoad {
                plugin: manifest.name.clone(),
                detail: format!(
                    "another plugin already has its name ({})",
                    other.source.label
                ),
            });
        }
        if let Some(taken) = self.first_party_tool(&manifest) {
            return Err(Error::PluginLoad {
                plugin: manifest.name.clone(),
                detail: format!(
                    "its tool `{}` has the name of a tool of first-party plugin {}",
                    taken.spec.name, taken.entry.manifest.name
                ),
            });
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
        tools.sort_by(|a, b| {
            (&a.spec.name, &a.entry.manifest.name).cmp(&(&b.spec.name, &b.entry.manifest.name))
        });
        tools
    }

    /// The first tool of `manifest` that has the name of a first-party tool.
    pub fn first_party_tool(&self, manifest: &Manifest) -> Option<ToolRef<'_>> {
        manifest.tools.iter().find_map(|tool| {
            self.matching(&tool.name)
                .into_iter()
                .find(|found| found.entry.source.origin == Origin::Builtin)
        })
    }

    /// The name to call `tool` by: its own while no other plugin has a tool
    /// of that name, else `plugin/tool`.
    pub fn address(&self, tool: &ToolRef<'_>) -> String {
        if self.matching(&tool.spec.name).len() > 1 {
            tool.qualified()
        } else {
            tool.spec.name.clone()
        }
    }

    /// The plugin named `name`.
    pub fn plugin(&self, name: &str) -> Option<&Entry> {
        self.entries
            .iter()
            .find(|entry| entry.manifest.name == name)
    }

    /// The tools `name` may mean: `plugin/tool` names one; a bare name every
    /// plugin's tool of that name.
    pub fn matching(&self, name: &str) -> Vec<ToolRef<'_>> {
        let (plugin, tool) = match name.split_once('/') {
            Some((plugin, tool)) => (Some(plugin), tool),
            None => (None, name),
        };
        self.entries
            .iter()
            .filter(|entry| plugin.is_none_or(|plugin| entry.manifest.name == plugin))
            .flat_map(|entry| {
                entry
                    .manifest
                    .tools
                    .iter()
                    .filter(|spec| spec.name == tool)
                    .map(move |spec| ToolRef { entry, spec })
            })
            .collect()
    }

    /// The one tool `name` means, if it means exactly one.
    pub fn find(&self, name: &str) -> Option<ToolRef<'_>> {
        let mut found = self.matching(name);
        (found.len() == 1).then(|| found.remove(0))
    }

    /// The tool, or an error listing the tools there are (or, for a name
    /// several plugins share, the qualified names to use).
    pub fn get(&self, name: &str) -> Result<ToolRef<'_>> {
        let mut found = self.matching(name);
        match found.len() {
            1 => return Ok(found.remove(0)),
            0 => {}
            _ => {
                return Err(Error::AmbiguousTool {
                    name: name.to_owned(),
                    qualified: found.iter().map(ToolRef::qualified).collect(),
                });
            }
        }
        let bare = name.rsplit('/').next().unwrap_or(name);
        if let Some((record, reason)) = self.refused.iter().find(|(record, _)| {
            record.tools.iter().any(|tool| tool == bare)
                && name
                    .split_once('/')
                    .is_none_or(|(plugin, _)| plugin == record.name)
        }) {
            return Err(Error::PluginRefused {
                plugin: record.name.clone(),
                tool: name.to_owned(),
                reason: reason.clone(),
            });
        }
        Err(Error::UnknownTool {
            name: name.to_owned(),
            available: self.tools().iter().map(|tool| self.address(tool)).collect(),
        })
    }
}

/// A plugin file given with `--plugin`, read as an installed one would be.
fn dev_source(path: &Path) -> Result<PluginSource> {
    let wasm = crate::read::regular_file(path, crate::read::MAX_PLUGIN_BYTES)
        .map_err(|detail| Error::Usage(format!("--plugin: {detail}")))?;
    Ok(PluginSource {
        label: crate::read::shown(path),
        sha256: skill_runtime::cache::sha256_hex(&wasm),
        wasm: Cow::Owned(wasm),
        precompiled: None,
        origin: Origin::Dev(path.to_path_buf()),
    })
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
        Origin::Dev(path) => format!("{} (--plugin, not installed)", path.display()),
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
        let catalog =
            Catalog::load(&runtime, &home.path().join("plugins"), home.path(), &[]).unwrap();
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
