//! Build-script helper: compiles plugin crates to `wasm32-wasip2` components.
//!
//! The host ships its first-party plugins inside its binary, and the test
//! suite builds hostile plugins; both do it from a `build.rs` through this one
//! function, so that `cargo build` and `cargo test` need no other step.
//!
//! The nested `cargo` runs with its own target directory (so it never waits on
//! the outer build's lock) and without the outer build's wrappers and flags
//! (clippy's driver or a host `-C target-cpu` must not reach wasm code).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use sha2::{Digest, Sha256};

/// The compilation target of every plugin.
pub const TARGET: &str = "wasm32-wasip2";
/// The cargo profile plugins are built with (see the workspace `Cargo.toml`).
pub const PROFILE: &str = "plugin";

/// A plugin crate to build.
pub struct PluginCrate<'a> {
    /// Cargo package name, e.g. `rotation-planner`.
    pub package: &'a str,
    /// The crate's directory, watched for changes.
    pub dir: PathBuf,
}

/// A built component.
pub struct BuiltPlugin {
    pub package: String,
    pub wasm: PathBuf,
    /// Lowercase hex SHA-256 of the component's bytes.
    pub sha256: String,
}

/// The workspace files that decide how every plugin is built.
const BUILD_SETTINGS: &[&str] = &["Cargo.toml", "Cargo.lock", ".cargo/config.toml"];

/// Environment variables of the outer build that must not leak into the nested one.
const SCRUBBED_ENV: &[&str] = &[
    "RUSTFLAGS",
    "CARGO_ENCODED_RUSTFLAGS",
    "RUSTC_WRAPPER",
    "RUSTC_WORKSPACE_WRAPPER",
    "CARGO_TARGET_DIR",
    "CARGO_BUILD_TARGET",
    "CARGO_BUILD_RUSTFLAGS",
    "CARGO_PRIMARY_PACKAGE",
    "CARGO_MANIFEST_PATH",
    "CARGO_MANIFEST_DIR",
    "RUSTDOC",
    "TARGET",
    "HOST",
    "OUT_DIR",
    "PROFILE",
    "OPT_LEVEL",
    "DEBUG",
];

/// Builds `crates` from the workspace at `workspace` into `target_dir`.
///
/// Prints `cargo:rerun-if-changed` for each crate, for the workspace's build
/// settings (its `Cargo.toml` with the `plugin` profile and the dependencies'
/// versions, `Cargo.lock`, `.cargo/config.toml` with the wasm flags) and for `extra_watch`
/// (shared sources such as the WIT and the kit). Panics with a message that
/// says what to do when the build fails: a build script has no better channel.
pub fn build_plugins(
    workspace: &Path,
    target_dir: &Path,
    crates: &[PluginCrate<'_>],
    extra_watch: &[PathBuf],
) -> Vec<BuiltPlugin> {
    let settings = BUILD_SETTINGS.iter().map(|file| workspace.join(file));
    for path in crates
        .iter()
        .map(|c| c.dir.clone())
        .chain(settings)
        .chain(extra_watch.iter().cloned())
    {
        println!("cargo:rerun-if-changed={}", path.display());
    }
    if crates.is_empty() {
        return Vec::new();
    }
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    for krate in crates {
        // Plugin crates are plain libraries natively (so the workspace builds and
        // tests them like any crate); only here do they become components.
        let mut command = Command::new(&cargo);
        command
            .current_dir(workspace)
            .args([
                "rustc",
                "--quiet",
                "--locked",
                "--lib",
                "--crate-type",
                "cdylib",
            ])
            .args([
                "--target",
                TARGET,
                "--profile",
                PROFILE,
                "--package",
                krate.package,
            ])
            .arg("--target-dir")
            .arg(target_dir);
        for name in SCRUBBED_ENV {
            command.env_remove(name);
        }
        let status = command
            .status()
            .unwrap_or_else(|error| panic!("cannot run cargo to build the plugins: {error}"));
        if !status.success() {
            panic!(
                "building plugin {} for {TARGET} failed ({status}); if the target is missing, \
                 run `rustup target add {TARGET}`",
                krate.package
            );
        }
    }
    crates
        .iter()
        .map(|krate| {
            let file = format!("{}.wasm", krate.package.replace('-', "_"));
            let wasm = target_dir.join(TARGET).join(PROFILE).join(file);
            let bytes = std::fs::read(&wasm)
                .unwrap_or_else(|error| panic!("cannot read {}: {error}", wasm.display()));
            BuiltPlugin {
                package: krate.package.to_owned(),
                wasm,
                sha256: hex(&Sha256::digest(&bytes)),
            }
        })
        .collect()
}

fn hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut out, byte| {
            let _ = write!(out, "{byte:02x}");
            out
        })
}
