//! Builds the first-party plugins for wasm32-wasip2 and embeds them in the binary.

use std::fmt::Write as _;
use std::path::PathBuf;

use skill_wasm_build::{PluginCrate, build_plugins};

/// Builds a plugin natively, to read its manifest.
type Describe = fn() -> skill_pdk::Plugin;

/// First-party plugins shipped inside `skill`, with their code built natively: the
/// manifest is read here, so no start of `skill` compiles a plugin just to list it.
const PLUGINS: &[(&str, Describe)] = &[
    ("rotation-planner", rotation_planner::plugin),
    ("vault-config", vault_config::plugin),
    ("audit-analyzer", audit_analyzer::plugin),
    ("emergency-playbook", emergency_playbook::plugin),
];
/// Crates the plugins depend on, and the wasm build settings; a change there
/// rebuilds them.
const SHARED: &[&str] = &[
    "plugins/wit",
    "plugins/pdk",
    "plugins/json-scan",
    "plugins/rotation-core",
    "plugins/vault-core",
    "plugins/audit-core",
    "plugins/emergency-core",
    "plugins/untrusted-text",
    ".cargo/config.toml",
];

fn main() {
    let manifest_dir =
        PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let workspace = manifest_dir
        .parent()
        .expect("host/ sits in the workspace")
        .to_path_buf();
    let crates: Vec<_> = PLUGINS
        .iter()
        .map(|(package, _)| PluginCrate {
            package,
            dir: workspace.join("plugins").join(package),
        })
        .collect();
    let watch: Vec<_> = SHARED.iter().map(|dir| workspace.join(dir)).collect();
    let built = build_plugins(
        &workspace,
        &workspace.join("target").join("wasm-plugins"),
        &crates,
        &watch,
    );

    let mut code = String::from(
        "use crate::sandbox::{Manifest, ToolSpec};\n\
         pub struct Builtin { pub package: &'static str, pub sha256: &'static str, pub wasm: &'static [u8], pub manifest: fn() -> Manifest }\n",
    );
    code.push_str("pub static PLUGINS: &[Builtin] = &[\n");
    for (plugin, (package, describe)) in built.iter().zip(PLUGINS) {
        assert_eq!(plugin.package, *package, "plugins come back in order");
        let _ = writeln!(
            code,
            "    Builtin {{ package: {:?}, sha256: {:?}, wasm: include_bytes!({:?}), manifest: || {} }},",
            plugin.package,
            plugin.sha256,
            plugin.wasm.display().to_string(),
            manifest_code(&describe().manifest()),
        );
    }
    code.push_str("];\n");
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"))
        .join("builtin_plugins.rs");
    std::fs::write(&out, code).expect("write builtin_plugins.rs");

    link_position_dependent();
    order_functions(&manifest_dir);
}

/// The manifest as a Rust expression: strings copied at start, nothing parsed
/// (parsing the four manifests as JSON cost each start about 0.1 ms).
fn manifest_code(manifest: &skill_pdk::__private::types::Manifest) -> String {
    let tools: Vec<String> = manifest
        .tools
        .iter()
        .map(|tool| {
            format!(
                "ToolSpec {{ name: {:?}.into(), summary: {:?}.into(), description: {:?}.into(), \
                 input_schema: {:?}.into(), output_schema: {:?}.into(), formats: vec![{}], read_only: {} }}",
                tool.name,
                tool.summary,
                tool.description,
                tool.input_schema,
                tool.output_schema,
                tool.formats
                    .iter()
                    .map(|format| format!("{format:?}.into()"))
                    .collect::<Vec<_>>()
                    .join(", "),
                tool.read_only,
            )
        })
        .collect();
    format!(
        "Manifest {{ name: {:?}.into(), version: {:?}.into(), contract: {:?}.into(), description: {:?}.into(), tools: vec![{}] }}",
        manifest.name,
        manifest.version,
        manifest.contract,
        manifest.description,
        tools.join(", "),
    )
}

/// Links `skill` at a fixed address on Linux. A position-independent executable
/// is relocated by the loader at every start: about 50,000 pointers in
/// `.data.rel.ro` (wasmtime's and jsonschema's tables), each page copied and
/// written, some 190 page faults before `main`. At a fixed address those
/// pointers are resolved by the linker and the pages are read from the file only
/// when used. The objects stay position-independent; only the link changes.
///
/// The price: the binary's own code and data sit at the same address in every
/// run. Its heap, stack, shared libraries and the plugins' compiled code are
/// still placed at random, and plugins never run native code.
fn link_position_dependent() {
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux") {
        println!("cargo:rustc-link-arg-bins=-no-pie");
    }
}

/// Lays the binary's code out in the order a command runs it, from
/// `symbol-order.txt` (written by `tests/bench/symbol_order.py`). Code a command
/// runs is otherwise spread over some 10 MB of text, and each 64 KiB of it that
/// is touched costs a page fault on start and mapped pages to tear down on exit
/// (ordered, a warm `skill run` on 1,000 secrets took 23 faults on code instead
/// of 107, and 0.15-0.2 ms less). Only where rustc links with lld, its default
/// on x86-64 Linux; names the binary lacks are skipped, so a stale list costs
/// speed, never a failed link.
fn order_functions(manifest_dir: &std::path::Path) {
    let order = manifest_dir.join("symbol-order.txt");
    println!("cargo:rerun-if-changed={}", order.display());
    if std::env::var("TARGET").as_deref() == Ok("x86_64-unknown-linux-gnu") && order.exists() {
        println!(
            "cargo:rustc-link-arg-bins=-Wl,--symbol-ordering-file={},--no-warn-symbol-ordering",
            order.display()
        );
    }
}
