//! Loading precompiled code: the one module of the workspace that may use
//! `unsafe`, because wasmtime's API for it is.
//!
//! `Component::deserialize` turns bytes into executable code without checking
//! that the code is what a compiler made of a valid module: bytes from anyone
//! but wasmtime itself could do anything. Its callers pass only code that this
//! engine's configuration produced (built into the binary by the build, or read
//! from the host's own cache after its digest matched); wasmtime then checks the
//! header (version, target, settings) and refuses code made otherwise.

#![allow(unsafe_code)]

use wasmtime::component::Component;
use wasmtime::{Engine, Precompiled};

/// The component in `bytes`, code that wasmtime compiled with this engine's
/// configuration; `None` (with a log line) if wasmtime refuses it, so that the
/// caller compiles instead.
pub(crate) fn component(engine: &Engine, label: &str, bytes: &[u8]) -> Option<Component> {
    if Engine::detect_precompiled(bytes) != Some(Precompiled::Component) {
        tracing::debug!(plugin = label, "not a precompiled component; compiling");
        return None;
    }
    // SAFETY: callers pass only code produced by `Engine::precompile_component`:
    // at build time with `crate::engine_config()` (embedded in the binary beside
    // the wasm it was made from), or by this host into its cache, checked against
    // the digest recorded with it before this call. wasmtime refuses code whose
    // header names another version, target or configuration.
    match unsafe { Component::deserialize(engine, bytes) } {
        Ok(component) => Some(component),
        Err(error) => {
            tracing::debug!(
                plugin = label,
                "precompiled code not usable ({error:#}); compiling"
            );
            None
        }
    }
}
