//! The plugins this host knows, and their tools.
//!
//! First-party plugins are compiled into the binary with the manifests the build
//! script read from their code (see `build.rs`); third-party plugins come from
//! install records (see [`crate::install`]). A third-party plugin's manifest
//! depends only on its code, so it is cached by the plugin's SHA-256: listing
//! tools or finding one to run does not instantiate every plugin.

use std::borrow::Cow;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock, PoisonError};

use serde_json::Value;

use crate::cache::write_atomically;
use crate::contract::CONTRACT_VERSION;
use crate::install::{self, InstallRecord};
use crate::paths::Paths;
use crate::sandbox::{LoadedPlugin, Manifest, PluginBytes, Sandbox, ToolSpec};
use crate::{Error, Result};

mod builtin {
    include!(concat!(env!("OUT_DIR"), "/builtin_plugins.rs"));
}

/// The built-in plugin that serves `tool`, if one does. Built-in plugins come
/// first in a catalog, so no installed plugin can serve a tool one of them does.
pub fn builtin_for(tool: &str) -> Option<PluginBytes> {
    builtin::PLUGINS.iter().find_map(|plugin| {
        let manifest = (plugin.manifest)();
        manifest
            .tools
            .iter()
            .any(|spec| spec.name == tool)
            .then(|| PluginBytes {
                label: manifest.name.clone(),
                wasm: plugin.wasm,
                sha256: plugin.sha256,
            })
    })
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
    pub origin: Origin,
}

/// A plugin with its manifest.
pub struct Entry {
    pub source: PluginSource,
    pub manifest: Manifest,
    /// Compiled on first use and kept: later calls only instantiate.
    loaded: OnceLock<LoadedPlugin>,
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
    manifest_cache: PathBuf,
}

impl Catalog {
    /// Every first-party and installed plugin. An installed plugin that fails
    /// its checks is reported and left out; the others still work.
    pub fn load(sandbox: &Sandbox, paths: &Paths) -> Result<Self> {
        let mut catalog = Self {
            entries: Vec::new(),
            manifest_cache: paths.cache.join("manifests"),
        };
        for plugin in builtin::PLUGINS {
            let source = PluginSource {
                label: plugin.package.to_owned(),
                sha256: plugin.sha256.to_owned(),
                wasm: Cow::Borrowed(plugin.wasm),
                origin: Origin::Builtin,
            };
            catalog.add(source, (plugin.manifest)())?;
        }
        for record in install::records(&paths.plugins)? {
            let source = match install::open_verified(&paths.plugins, &record) {
                Ok(source) => source,
                Err(error) => {
                    tracing::warn!("skipping plugin {}: {error}", record.name);
                    continue;
                }
            };
            let added = catalog
                .manifest(sandbox, &source)
                .and_then(|manifest| catalog.add(source, manifest));
            if let Err(error) = added {
                tracing::warn!("skipping plugin {}: {error}", record.name);
            }
        }
        Ok(catalog)
    }

    fn add(&mut self, source: PluginSource, manifest: Manifest) -> Result<()> {
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
    fn manifest(&self, sandbox: &Sandbox, source: &PluginSource) -> Result<Manifest> {
        let cached = self
            .manifest_cache
            .join(format!("{}-{CONTRACT_VERSION}.json", source.sha256));
        if let Some(manifest) = std::fs::read(&cached)
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        {
            return Ok(manifest);
        }
        let plugin = sandbox.load(&source.label, &source.wasm, &source.sha256)?;
        let manifest = sandbox.describe(&plugin)?;
        check_manifest(&source.label, &manifest)?;
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
        self.find(name).ok_or_else(|| Error::UnknownTool {
            name: name.to_owned(),
            available: self
                .tools()
                .iter()
                .map(|tool| tool.spec.name.clone())
                .collect(),
        })
    }
}

impl Entry {
    /// The plugin ready to call: loaded (from the compiled cache, or compiled)
    /// on first use, then its `InstancePre` is reused for every call.
    pub fn load(&self, sandbox: &Sandbox) -> Result<&LoadedPlugin> {
        if let Some(loaded) = self.loaded.get() {
            return Ok(loaded);
        }
        let _loading = self.loading.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(loaded) = self.loaded.get() {
            return Ok(loaded); // another thread loaded it while this one waited
        }
        let loaded = sandbox.load(&self.manifest.name, &self.source.wasm, &self.source.sha256)?;
        Ok(self.loaded.get_or_init(|| loaded))
    }

    /// Whether the plugin is loaded already.
    pub fn is_loaded(&self) -> bool {
        self.loaded.get().is_some()
    }
}

/// Rejects a manifest the host could not serve faithfully.
pub fn check_manifest(label: &str, manifest: &Manifest) -> Result<()> {
    let bad = |detail: String| {
        Err(Error::PluginLoad {
            plugin: label.to_owned(),
            detail,
        })
    };
    if !valid_name(&manifest.name) {
        return bad(format!(
            "its name {:?} is not lowercase letters, digits and `-`",
            manifest.name
        ));
    }
    if !crate::contract::is_supported(&manifest.contract) {
        return Err(Error::UnsupportedContract {
            plugin: label.to_owned(),
            found: format!("skill:plugin@{}", manifest.contract),
            supported: crate::contract::supported_range(),
        });
    }
    for tool in &manifest.tools {
        if !valid_name(&tool.name) {
            return bad(format!(
                "tool name {:?} is not lowercase letters, digits and `-`",
                tool.name
            ));
        }
        for (which, text) in [
            ("input", &tool.input_schema),
            ("output", &tool.output_schema),
        ] {
            let schema: Value = serde_json::from_str(text).map_err(|error| Error::PluginLoad {
                plugin: label.to_owned(),
                detail: format!(
                    "tool {} has an {which} schema that is not JSON: {error}",
                    tool.name
                ),
            })?;
            if schema.get("type").and_then(Value::as_str) != Some("object") {
                return bad(format!(
                    "tool {} has an {which} schema whose root is not an object",
                    tool.name
                ));
            }
            if let Err(detail) = crate::schema::validate(&schema, &Value::Null) {
                return bad(format!("tool {}: {which} {detail}", tool.name));
            }
        }
    }
    Ok(())
}

/// Plugin and tool names: `[a-z0-9][a-z0-9-]{0,63}`, safe in flags, paths and MCP.
pub fn valid_name(name: &str) -> bool {
    let bytes = name.as_bytes();
    (1..=64).contains(&bytes.len())
        && bytes[0].is_ascii_alphanumeric()
        && bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-')
}

/// A builtin plugin's display path, for `skill plugin list`.
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
    use crate::cache::CompiledCache;
    use crate::limits::Limits;
    use crate::sandbox::{HeadStart, OnTimeout};

    fn planner_ahead(limits: Limits) -> HeadStart {
        HeadStart::begin(limits, OnTimeout::Trap, || {
            Some((builtin_for("rotation-planner")?, CompiledCache::disabled()))
        })
        .expect("a thread starts")
    }

    /// A head start's engine and plugin are used when they are what the sandbox
    /// would set up: the plugin is then had without its bytes. One built for
    /// another wasm stack is left alone.
    #[test]
    fn a_head_start_is_taken_over_only_when_it_fits() {
        let planner = builtin_for("rotation-planner").expect("the planner is built in");
        assert_eq!(planner.label, "rotation-planner");
        assert!(builtin_for("no-such-tool").is_none());

        let sandbox = Sandbox::new(Limits::default(), CompiledCache::disabled())
            .with_head_start(planner_ahead(Limits::default()));
        assert!(sandbox.has_head_start());
        let loaded = sandbox
            .load("rotation-planner", &[], planner.sha256)
            .expect("the plugin loaded ahead, so its bytes are not read");
        assert!(!sandbox.has_head_start());
        assert_eq!(sandbox.describe(&loaded).unwrap().name, "rotation-planner");
        // Taken once: the next load reads the bytes, and these are none.
        assert!(
            sandbox
                .load("rotation-planner", &[], planner.sha256)
                .is_err()
        );

        let other_stack = Limits {
            stack_bytes: 512 << 10,
            ..Limits::default()
        };
        let sandbox = Sandbox::new(Limits::default(), CompiledCache::disabled())
            .with_head_start(planner_ahead(other_stack));
        assert!(!sandbox.has_head_start());
        assert!(
            sandbox
                .load("rotation-planner", &[], planner.sha256)
                .is_err()
        );
    }

    /// Listing tools needs no engine: setting one up is most of what `skill list`
    /// would otherwise cost. Loading a plugin sets it up.
    #[test]
    fn the_catalog_of_built_in_plugins_is_read_without_an_engine() {
        let home = tempfile::tempdir().unwrap();
        let paths = Paths {
            plugins: home.path().join("plugins"),
            cache: home.path().join("cache"),
        };
        let sandbox = Sandbox::new(Limits::default(), CompiledCache::disabled());
        let catalog = Catalog::load(&sandbox, &paths).unwrap();
        assert!(catalog.get("rotation-planner").is_ok());
        assert!(!sandbox.is_set_up());
        catalog
            .get("rotation-planner")
            .unwrap()
            .entry
            .load(&sandbox)
            .unwrap();
        assert!(sandbox.is_set_up());
    }

    /// The manifests read at build time from the plugins' native code are exactly
    /// what the built components describe, and pass the checks a described one does.
    #[test]
    fn built_in_manifests_are_what_the_components_describe() {
        let sandbox = Sandbox::new(Limits::default(), CompiledCache::disabled());
        for plugin in builtin::PLUGINS {
            let embedded = (plugin.manifest)();
            let loaded = sandbox
                .load(plugin.package, plugin.wasm, plugin.sha256)
                .unwrap();
            assert_eq!(
                embedded,
                sandbox.describe(&loaded).unwrap(),
                "{}",
                plugin.package
            );
            check_manifest(plugin.package, &embedded).unwrap();
        }
    }
}
