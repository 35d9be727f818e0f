//! Builds the test-only plugins (hostile ones, one for a future contract) for wasm32-wasip2.

use std::fmt::Write as _;
use std::path::PathBuf;

use skill_wasm_build::{PluginCrate, build_plugins};

const PLUGINS: &[(&str, &str)] = &[
    ("hostile-plugin", "tests/plugins/hostile"),
    ("future-contract-plugin", "tests/plugins/future-contract"),
    ("hello-plugin", "tests/plugins/hello"),
    ("hello-next-plugin", "tests/plugins/hello-next"),
    ("huge-manifest-plugin", "tests/plugins/huge-manifest"),
    // Third-party provider plugins, installed by the tests with `skill plugin install`.
    ("aws-secrets-manager", "providers/aws-secrets-manager"),
    ("azure-key-vault", "providers/azure-key-vault"),
    ("gcp-secret-manager", "providers/gcp-secret-manager"),
];

fn main() {
    let manifest_dir =
        PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let workspace = manifest_dir
        .parent()
        .expect("tests/ sits in the workspace")
        .to_path_buf();
    let crates: Vec<_> = PLUGINS
        .iter()
        .map(|(package, dir)| PluginCrate {
            package,
            dir: workspace.join(dir),
        })
        .collect();
    let watch = vec![
        workspace.join("plugins/kit"),
        workspace.join("providers/shared"),
    ];
    let built = build_plugins(
        &workspace,
        &workspace.join("target").join("wasm-test-plugins"),
        &crates,
        &watch,
    );
    let mut code = String::new();
    for plugin in &built {
        let name = plugin
            .package
            .trim_end_matches("-plugin")
            .replace('-', "_")
            .to_uppercase();
        let _ = writeln!(
            code,
            "/// Path of the built `{}` component.\npub const {name}_WASM: &str = {:?};",
            plugin.package,
            plugin.wasm.display().to_string()
        );
    }
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"))
        .join("test_plugins.rs");
    std::fs::write(out, code).expect("write test_plugins.rs");
}
