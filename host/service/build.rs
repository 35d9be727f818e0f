//! Builds the first-party plugins for wasm32-wasip2, compiles each ahead of
//! time with the runtime's engine settings, and embeds both in the service.
//!
//! The host never links a plugin's code: the plugins reach it as WASM bytes and
//! are described by `describe()` in the sandbox, as any third party's are. The
//! compiled code only spares the first call its compile (a few hundred ms); a
//! host whose engine cannot use it compiles the WASM as it would for anyone.

use std::fmt::Write as _;
use std::path::PathBuf;

use skill_wasm_build::{PluginCrate, build_plugins};

/// The first-party plugins shipped inside `skill`: each is the crate in
/// `plugins/<name>/plugin`, with its domain logic beside it in `plugins/<name>/core`.
const PLUGINS: &[&str] = &[
    "rotation-planner",
    "vault-config",
    "audit-analyzer",
    "emergency-playbook",
];

/// What a change in rebuilds the plugins, besides the workspace's build
/// settings: all of `plugins/` (the kit and the contract, the shared crates, the plugins).
const WATCHED: &[&str] = &["plugins"];

fn main() {
    let manifest_dir =
        PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let workspace = manifest_dir
        .ancestors()
        .nth(2)
        .expect("host/service/ sits two levels down in the workspace")
        .to_path_buf();
    let crates: Vec<_> = PLUGINS
        .iter()
        .map(|package| PluginCrate {
            package,
            dir: workspace.join("plugins").join(package).join("plugin"),
        })
        .collect();
    let watch: Vec<_> = WATCHED.iter().map(|path| workspace.join(path)).collect();
    let built = build_plugins(
        &workspace,
        &workspace.join("target").join("wasm-plugins"),
        &crates,
        &watch,
    );

    let out_dir = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    let mut code = String::from("pub static BUILTINS: &[Builtin] = &[\n");
    for plugin in &built {
        let wasm = std::fs::read(&plugin.wasm)
            .unwrap_or_else(|error| panic!("cannot read {}: {error}", plugin.wasm.display()));
        let compiled = skill_runtime::precompile(&wasm)
            .unwrap_or_else(|error| panic!("cannot precompile {}: {error:#}", plugin.package));
        let compiled_path = out_dir.join(format!("{}.cwasm", plugin.package));
        std::fs::write(&compiled_path, compiled)
            .unwrap_or_else(|error| panic!("cannot write {}: {error}", compiled_path.display()));
        let _ = writeln!(
            code,
            "    Builtin {{ package: {:?}, sha256: {:?}, wasm: include_bytes!({:?}), precompiled: include_bytes!({:?}) }},",
            plugin.package,
            plugin.sha256,
            plugin.wasm.display().to_string(),
            compiled_path.display().to_string(),
        );
    }
    code.push_str("];\n");
    std::fs::write(out_dir.join("builtin_plugins.rs"), code).expect("write builtin_plugins.rs");
}
