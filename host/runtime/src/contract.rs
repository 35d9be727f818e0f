//! Which versions of the plugin contract (`plugins/kit/wit/`) this host runs.
//!
//! The version is read from the component's export names
//! (`skill:plugin/tools@X.Y.Z`) after compiling and before instantiating, so a
//! plugin built for another contract is refused without running any of its code.

use wasmtime::Engine;
use wasmtime::component::Component;

use crate::{Error, Result};

/// The contract this host implements.
pub const CONTRACT_VERSION: &str = "0.1.0";
/// The interface every plugin exports, without its version.
const TOOLS_INTERFACE: &str = "skill:plugin/tools";

/// Whether a plugin built for `version` runs on this host: same major, and
/// for 0.x the same minor (semver's rule for pre-1.0 compatibility).
pub fn is_supported(version: &str) -> bool {
    let parse = |v: &str| -> Option<(u64, u64)> {
        let mut parts = v.split('.');
        let major = parts.next()?.parse().ok()?;
        let minor = parts.next()?.parse().ok()?;
        Some((major, minor))
    };
    match (parse(version), parse(CONTRACT_VERSION)) {
        (Some((0, minor)), Some((0, ours))) => minor == ours,
        (Some((major, _)), Some((ours, _))) => major == ours,
        _ => false,
    }
}

/// What this host accepts, for messages.
pub fn supported_range() -> String {
    let mut parts = CONTRACT_VERSION.split('.');
    let (major, minor) = (parts.next().unwrap_or("0"), parts.next().unwrap_or("0"));
    if major == "0" {
        format!("skill:plugin@{major}.{minor}.x")
    } else {
        format!("skill:plugin@{major}.x")
    }
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
