//! The layout's rules, checked on the sources: arrows between modules point one
//! way, the host links no plugin's code, and `unsafe` lives in one module.
//!
//! Cargo enforces the arrows between crates; inside a crate nothing does, so a
//! module cycle (`a` uses `b`, which uses `a`) would creep back unseen. Here a
//! crate's top-level modules are the nodes and each `crate::name` reference
//! from one module's files (its submodules included) to another is an edge.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use skill_tests::workspace;

/// Every crate directory of the workspace, from its members.
fn crates() -> Vec<PathBuf> {
    let manifest = std::fs::read_to_string(workspace().join("Cargo.toml")).unwrap();
    let members = manifest
        .split_once("members = [")
        .and_then(|(_, rest)| rest.split_once(']'))
        .map(|(list, _)| list)
        .expect("the workspace lists its members");
    members
        .split(',')
        .map(|member| member.trim().trim_matches('"'))
        .filter(|member| !member.is_empty())
        .map(|member| workspace().join(member))
        .collect()
}

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return files;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(rust_files(&path));
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            files.push(path);
        }
    }
    files
}

/// The top-level module a file of `src` belongs to (`None` for the crate root).
fn module_of(src: &Path, file: &Path) -> Option<String> {
    let relative = file.strip_prefix(src).ok()?;
    let first = relative.components().next()?.as_os_str().to_str()?;
    let name = first.strip_suffix(".rs").unwrap_or(first);
    (!matches!(name, "lib" | "main")).then(|| name.to_owned())
}

/// Names that follow `crate::` in `text`, including those inside `crate::{a, b::c}`.
fn crate_references(text: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let ident = |s: &str| {
        s.chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect::<String>()
    };
    for (at, _) in text.match_indices("crate::") {
        let rest = &text[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let body = group.split('}').next().unwrap_or("");
            for item in body.split(',') {
                names.insert(ident(item.trim()));
            }
        } else {
            names.insert(ident(rest));
        }
    }
    names.remove("");
    names
}

/// A cycle in `edges`, if there is one, as the modules along it.
fn find_cycle(edges: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        edges: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|seen| seen == node) {
            let mut cycle = path[at..].to_vec();
            cycle.push(node.to_owned());
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_owned());
        for next in edges.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(next, edges, path, done) {
                return Some(cycle);
            }
        }
        path.pop();
        done.insert(node.to_owned());
        None
    }
    let mut done = BTreeSet::new();
    edges
        .keys()
        .find_map(|node| visit(node, edges, &mut Vec::new(), &mut done))
}

/// The module graph of the crate whose sources are in `src`.
fn module_graph(src: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let files = rust_files(src);
    let modules: BTreeSet<String> = files.iter().filter_map(|f| module_of(src, f)).collect();
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in &files {
        let Some(from) = module_of(src, file) else {
            continue;
        };
        let text = std::fs::read_to_string(file).unwrap();
        // Tests may reach anywhere in their crate, and comments (doc links) are
        // no dependency: only production code counts.
        let production: String = text
            .split("#[cfg(test)]")
            .next()
            .unwrap_or("")
            .lines()
            .map(|line| line.split("//").next().unwrap_or(""))
            .collect::<Vec<_>>()
            .join("\n");
        for to in crate_references(&production) {
            if to != from && modules.contains(&to) {
                edges.entry(from.clone()).or_default().insert(to);
            }
        }
    }
    edges
}

#[test]
fn no_crate_has_a_module_cycle() {
    let mut cycles = Vec::new();
    for dir in crates() {
        let src = dir.join("src");
        if let Some(cycle) = find_cycle(&module_graph(&src)) {
            cycles.push(format!("{}: {}", dir.display(), cycle.join(" -> ")));
        }
    }
    assert!(cycles.is_empty(), "module cycles:\n{}", cycles.join("\n"));
}

#[test]
fn the_cycle_finder_finds_cycles() {
    let edges = |pairs: &[(&str, &str)]| {
        let mut map: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for (from, to) in pairs {
            map.entry((*from).to_owned())
                .or_default()
                .insert((*to).to_owned());
        }
        map
    };
    assert_eq!(find_cycle(&edges(&[("a", "b"), ("b", "c")])), None);
    assert_eq!(
        find_cycle(&edges(&[("a", "b"), ("b", "c"), ("c", "a")])),
        Some(vec!["a".into(), "b".into(), "c".into(), "a".into()])
    );
    assert_eq!(
        crate_references("use crate::{catalog::X, install, Error};\nlet _ = crate::schema::f();"),
        ["Error", "catalog", "install", "schema"]
            .into_iter()
            .map(String::from)
            .collect()
    );
}

/// The host reaches first-party plugins as WASM bytes only: no host crate
/// depends on the kit or on a plugin's crates, not even to build.
#[test]
fn no_host_crate_links_a_plugin() {
    for dir in crates()
        .iter()
        .filter(|dir| dir.starts_with(workspace().join("host")))
    {
        let manifest = std::fs::read_to_string(dir.join("Cargo.toml")).unwrap();
        for line in manifest.lines() {
            let name = line.split(['.', ' ', '=']).next().unwrap_or("");
            let plugin_crate = name == "skill-pdk"
                || name.ends_with("-core")
                || [
                    "rotation-planner",
                    "vault-config",
                    "audit-analyzer",
                    "emergency-playbook",
                ]
                .contains(&name);
            assert!(
                !plugin_crate,
                "{} depends on {name}",
                dir.join("Cargo.toml").display()
            );
        }
    }
}

/// `unsafe` is forbidden everywhere but in the runtime, where it is denied
/// except in the one module that loads precompiled code.
#[test]
fn unsafe_is_allowed_in_one_module_only() {
    let workspace_manifest = std::fs::read_to_string(workspace().join("Cargo.toml")).unwrap();
    assert!(workspace_manifest.contains("[workspace.lints.rust]\nunsafe_code = \"forbid\""));
    let allowed = workspace().join("host/runtime/src/precompiled.rs");
    for dir in crates() {
        for file in rust_files(&dir.join("src")) {
            let text = std::fs::read_to_string(&file).unwrap();
            if text.contains("allow(unsafe_code)") {
                assert_eq!(
                    file, allowed,
                    "unsafe allowed outside the precompiled module"
                );
            }
        }
    }
    let precompiled = std::fs::read_to_string(&allowed).unwrap();
    let blocks = precompiled.matches("unsafe {").count();
    assert!(blocks > 0);
    assert_eq!(
        precompiled.matches("// SAFETY:").count(),
        blocks,
        "every unsafe block says why it is sound"
    );
}
