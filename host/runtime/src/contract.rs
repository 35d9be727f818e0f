//! Which versions of the plugin contract (`plugins/kit/wit/`) this host runs.
//!
//! The version is read from the component's export names
//! (`skill:plugin/tools@X.Y.Z`) after compiling and before instantiating, so a
//! plugin built for another contract is refused without running any of its code.

use wasmtime::Engine;
use wasmtime::component::Component;

use crate::{Error, Result};

/// The newest contract this host implements.
pub const CONTRACT_VERSION: &str = "0.1.0";
/// Every contract this host runs, as `major.minor`, each with its binding
/// module in `crate::bindings` and its WIT folder `plugins/kit/wit/v<major.minor>/`.
pub const SUPPORTED: &[&str] = &["0.1"];
/// The interface every plugin exports, without its version.
const TOOLS_INTERFACE: &str = "skill:plugin/tools";

/// Whether a plugin built for `version` runs on this host: its `major.minor`
/// is one this host supports (semver's rule for pre-1.0 compatibility: a
/// 0.x.y plugin runs where 0.x is supported, whatever its patch).
pub fn is_supported(version: &str) -> bool {
    let mut parts = version.split('.');
    let (Some(major), Some(minor)) = (parts.next(), parts.next()) else {
        return false;
    };
    let numeric = |part: &str| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit());
    let patch_ok = parts.next().is_none_or(numeric) && parts.next().is_none();
    numeric(major)
        && numeric(minor)
        && patch_ok
        && SUPPORTED.contains(&format!("{major}.{minor}").as_str())
}

/// What this host accepts, for messages.
pub fn supported_range() -> String {
    SUPPORTED
        .iter()
        .map(|version| format!("skill:plugin@{version}.x"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The contract version a component was built for, from its exports.
pub fn version_of(component: &Component, engine: &Engine) -> Option<String> {
    component
        .component_type()
        .exports(engine)
        .find_map(|(name, _)| {
            name.strip_prefix(TOOLS_INTERFACE)?
                .strip_prefix('@')
                .map(str::to_owned)
        })
}

/// Refuses a component that does not export a supported `skill:plugin/tools`.
pub fn check(component: &Component, engine: &Engine, label: &str) -> Result<()> {
    match version_of(component, engine) {
        Some(version) if is_supported(&version) => Ok(()),
        Some(version) => Err(Error::UnsupportedContract {
            plugin: label.to_owned(),
            found: format!("skill:plugin@{version}"),
            supported: supported_range(),
        }),
        None => Err(Error::UnsupportedContract {
            plugin: label.to_owned(),
            found: "none (it does not export skill:plugin/tools)".to_owned(),
            supported: supported_range(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compatible_versions_follow_semver_for_0x() {
        assert!(is_supported("0.1.0"));
        assert!(is_supported("0.1.7"));
        assert!(!is_supported("0.2.0"));
        assert!(!is_supported("9.0.0"));
        assert!(!is_supported("garbage"));
        assert_eq!(supported_range(), "skill:plugin@0.1.x");
    }
}
