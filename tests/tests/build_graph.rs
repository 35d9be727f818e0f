//! Cargo builds each crate once: wasmtime, Cranelift and the rest serve both
//! the service's build script (which precompiles the first-party plugins) and
//! the binary.
//!
//! They are shared only while every crate has the same features and profile on
//! both sides; one new feature on one side (a dependency's default, say) and
//! everything above it is built twice, some 400 s of a fresh 2-core build. The
//! feature sets are kept equal by `host/feature-union`; this test reads cargo's
//! unit graph (what it would build, without building) and names what to add
//! there when they drift apart.

use std::collections::BTreeMap;
use std::process::Command;

use skill_tests::workspace;

/// The compilations cargo plans for `args`, as (package id, target, mode) →
/// the feature sets it plans them with.
fn planned_units(args: &[&str]) -> BTreeMap<(String, String, String), Vec<Vec<String>>> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let output = Command::new(cargo)
        .args(args)
        .args(["--locked", "--unit-graph", "-Z", "unstable-options"])
        // The unit graph is an unstable cargo output read on stable cargo;
        // it only reports, nothing is built with it.
        .env("RUSTC_BOOTSTRAP", "1")
        .current_dir(workspace())
        .output()
        .expect("run cargo");
    assert!(
        output.status.success(),
        "cargo {args:?} --unit-graph failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let graph: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("the unit graph is JSON");
    assert_eq!(graph["version"], 1, "unit graph format changed");
    let mut units: BTreeMap<_, Vec<Vec<String>>> = BTreeMap::new();
    for unit in graph["units"].as_array().expect("units") {
        // The whole id: a path dependency's short form drops its name
        // (`path+file:///…/hostile#0.1.0`).
        let package = unit["pkg_id"].as_str().expect("pkg_id");
        let key = (
            package.to_owned(),
            unit["target"]["name"]
                .as_str()
                .expect("target name")
                .to_owned(),
            unit["mode"].as_str().expect("mode").to_owned(),
        );
        let features = unit["features"]
            .as_array()
            .expect("features")
            .iter()
            .map(|feature| feature.as_str().expect("feature").to_owned())
            .collect();
        units.entry(key).or_default().push(features);
    }
    units
}

/// Compilations planned more than once, with the features that differ.
fn built_twice(args: &[&str]) -> Vec<String> {
    planned_units(args)
        .into_iter()
        // A test target of one crate and the same crate's tests in another
        // mode are different units by nature; libraries and build scripts
        // are the ones that should be shared.
        .filter(|((_, _, mode), plans)| mode == "build" && plans.len() > 1)
        .map(|((package, target, _), plans)| {
            let union: std::collections::BTreeSet<_> = plans.iter().flatten().collect();
            let differing: Vec<_> = plans
                .iter()
                .map(|features| {
                    union
                        .iter()
                        .filter(|feature| !features.contains(feature))
                        .collect::<Vec<_>>()
                })
                .collect();
            format!("{package} ({target}): missing features per build {differing:?}")
        })
        .collect()
}

#[test]
fn the_release_build_builds_each_crate_once() {
    let twice = built_twice(&["build", "--release", "-p", "skill"]);
    assert!(
        twice.is_empty(),
        "these are built twice in `cargo build --release -p skill`; add the missing \
         features to host/feature-union/Cargo.toml:\n{}",
        twice.join("\n")
    );
}

#[test]
fn the_test_build_builds_each_crate_once() {
    let twice = built_twice(&["test", "--workspace", "--no-run"]);
    assert!(
        twice.is_empty(),
        "these are built twice in `cargo test --workspace`; add the missing features \
         to host/feature-union/Cargo.toml:\n{}",
        twice.join("\n")
    );
}
