//! Holds no code: its dependencies make one build of wasmtime serve both the
//! service's build script and the `skill` binary.
//!
//! The service's build script precompiles the first-party plugins with the
//! runtime, so wasmtime, Cranelift and some hundred crates below them are
//! build-dependencies as well as dependencies. Cargo builds such a crate once
//! only when its features (and profile) are equal on both sides, and resolver
//! 3 resolves the two sides apart: the binary's rmcp turns on serde's `rc`,
//! wasmtime's macros turn on semver's `std`, and every crate above a
//! difference is built twice: some 400 s of a fresh 2-core release build.
//! The service depends on this crate on both sides, so both get the union.
