//! What installing a plugin would change, as data for the install preview.
//!
//! [`Preview`] says what matters before trusting a plugin: which inputs of
//! each tool are files granted per call, which outputs are files written where
//! the user asks, its renderings, its contract version, size and signer, and
//! what it imports, with WASI (which Rust's standard library imports whether
//! a plugin uses it or not) summed up as what it is: linked, nothing granted.
//! [`Upgrade`] says what differs from the installed plugin of that name:
//! versions (ordered by semver), tools added and removed, changed schemas and
//! changed grants. The command line renders both; this module decides nothing.

use std::collections::BTreeSet;

use serde_json::Value;
use skill_runtime::{Manifest, ToolSpec};

use crate::install::Inspected;
use crate::{files, schema};

/// The import prefix of every WASI interface.
const WASI_PREFIX: &str = "wasi:";
/// The import prefix of the contract's host interface, of any version.
const HOST_PREFIX: &str = "skill:plugin/host@";

/// A plugin file as the install preview shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Preview {
    pub name: String,
    pub version: String,
    pub description: String,
    /// The contract version it was built against (`0.1.0`).
    pub contract: String,
    pub sha256: String,
    /// Size of the component, in bytes.
    pub size: usize,
    /// Who signed the file, once its signature is checked; `None` when unsigned.
    pub signer: Option<crate::signature::Signer>,
    pub tools: Vec<ToolGrants>,
    /// The contract's host interface (`skill:plugin/host@0.1.0`), the only
    /// import behind which the host does anything for the plugin.
    pub host_imports: Vec<String>,
    /// WASI interfaces: linked so the component instantiates, with nothing
    /// granted behind them (no files, environment, sockets; a clock at 1970).
    pub wasi_imports: Vec<String>,
    /// Bytes of guidance for agents it ships (see [`crate::guidance`]).
    pub guidance_bytes: Option<usize>,
}

/// What one tool is granted and produces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolGrants {
    pub name: String,
    pub summary: String,
    pub read_only: bool,
    /// Input properties whose values are files the host opens, read-only,
    /// for one call.
    pub input_files: Vec<String>,
    /// Output properties holding files the host writes under `--out DIR`.
    pub output_files: Vec<String>,
    /// Renderings besides JSON.
    pub formats: Vec<String>,
}

impl ToolGrants {
    fn of(spec: &ToolSpec) -> Self {
        let parse = |text: &str| serde_json::from_str::<Value>(text).unwrap_or(Value::Null);
        Self {
            name: spec.name.clone(),
            summary: spec.summary.clone(),
            read_only: spec.read_only,
            input_files: input_file_properties(&parse(&spec.input_schema)),
            output_files: output_file_properties(&parse(&spec.output_schema)),
            formats: spec.formats.clone(),
        }
    }
}

/// The preview of an inspected plugin file of `size` bytes.
pub fn preview(inspected: &Inspected, size: usize) -> Preview {
    let manifest = &inspected.manifest;
    let imported = |prefix: &str| -> Vec<String> {
        let imports = inspected.imports.iter();
        imports.filter(|i| i.starts_with(prefix)).cloned().collect()
    };
    Preview {
        name: manifest.name.clone(),
        version: manifest.version.clone(),
        description: manifest.description.clone(),
        contract: manifest.contract.clone(),
        sha256: inspected.sha256.clone(),
        size,
        signer: None,
        tools: manifest.tools.iter().map(ToolGrants::of).collect(),
        // The contract's `types` interface has no functions: nothing to grant.
        host_imports: imported(HOST_PREFIX),
        wasi_imports: imported(WASI_PREFIX),
        guidance_bytes: inspected.guidance.as_ref().map(String::len),
    }
}

/// Input properties marked `x-skill-input-file`, or arrays of them (`logs[]`).
fn input_file_properties(input_schema: &Value) -> Vec<String> {
    schema::properties(input_schema)
        .filter_map(|(name, property)| {
            if schema::is_input_file(property) {
                Some(name.to_owned())
            } else if property.get("items").is_some_and(schema::is_input_file) {
                Some(format!("{name}[]"))
            } else {
                None
            }
        })
        .collect()
}

/// Output properties marked `x-skill-output-files`.
fn output_file_properties(output_schema: &Value) -> Vec<String> {
    schema::properties(output_schema)
        .filter(|(_, property)| {
            property.get(files::OUTPUT_FILES).and_then(Value::as_bool) == Some(true)
        })
        .map(|(name, _)| name.to_owned())
        .collect()
}

/// How the new version stands to the installed one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Upgrade,
    Downgrade,
    /// The same version, other bytes (a rebuild).
    Same,
    /// One of the versions is not semver: no order can be told.
    Unordered,
}

/// A tool whose schemas changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaChange {
    pub tool: String,
    pub input: bool,
    pub output: bool,
}

/// A tool whose file grants changed: the input files it is granted, or the
/// output files it produces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrantChange {
    pub tool: String,
    pub before: ToolGrants,
    pub after: ToolGrants,
}

/// What replacing an installed plugin changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upgrade {
    pub old_version: String,
    pub new_version: String,
    pub direction: Direction,
    pub tools_added: Vec<String>,
    pub tools_removed: Vec<String>,
    pub schema_changes: Vec<SchemaChange>,
    pub grant_changes: Vec<GrantChange>,
    pub imports_added: Vec<String>,
    pub imports_removed: Vec<String>,
}

/// How version `new` stands to `old`, by semver precedence.
pub fn direction(old: &str, new: &str) -> Direction {
    match (semver::Version::parse(old), semver::Version::parse(new)) {
        (Ok(before), Ok(after)) => match after.cmp_precedence(&before) {
            std::cmp::Ordering::Greater => Direction::Upgrade,
            std::cmp::Ordering::Less => Direction::Downgrade,
            std::cmp::Ordering::Equal => Direction::Same,
        },
        _ => Direction::Unordered,
    }
}

/// Compares the installed plugin (`old`, with its imports) with the new one.
pub fn compare(
    old: &Manifest,
    old_imports: &[String],
    new: &Manifest,
    new_imports: &[String],
) -> Upgrade {
    let names = |manifest: &Manifest| -> BTreeSet<String> {
        manifest.tools.iter().map(|t| t.name.clone()).collect()
    };
    let (before, after) = (names(old), names(new));
    let mut schema_changes = Vec::new();
    let mut grant_changes = Vec::new();
    for new_spec in &new.tools {
        let Some(old_spec) = old.tools.iter().find(|t| t.name == new_spec.name) else {
            continue;
        };
        let input = !same_json(&old_spec.input_schema, &new_spec.input_schema);
        let output = !same_json(&old_spec.output_schema, &new_spec.output_schema);
        if input || output {
            schema_changes.push(SchemaChange {
                tool: new_spec.name.clone(),
                input,
                output,
            });
        }
        let (was, is) = (ToolGrants::of(old_spec), ToolGrants::of(new_spec));
        if was.input_files != is.input_files || was.output_files != is.output_files {
            grant_changes.push(GrantChange {
                tool: new_spec.name.clone(),
                before: was,
                after: is,
            });
        }
    }
    let difference = |a: &[String], b: &[String]| -> Vec<String> {
        a.iter().filter(|x| !b.contains(x)).cloned().collect()
    };
    Upgrade {
        old_version: old.version.clone(),
        new_version: new.version.clone(),
        direction: direction(&old.version, &new.version),
        tools_added: after.difference(&before).cloned().collect(),
        tools_removed: before.difference(&after).cloned().collect(),
        schema_changes,
        grant_changes,
        imports_added: difference(new_imports, old_imports),
        imports_removed: difference(old_imports, new_imports),
    }
}

/// Whether two schema texts are the same JSON (key order and spacing aside).
fn same_json(a: &str, b: &str) -> bool {
    match (
        serde_json::from_str::<Value>(a),
        serde_json::from_str::<Value>(b),
    ) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tool(name: &str, input: &str) -> ToolSpec {
        ToolSpec {
            name: name.into(),
            summary: String::new(),
            description: String::new(),
            input_schema: input.into(),
            output_schema: r#"{"type":"object"}"#.into(),
            formats: vec![],
            read_only: true,
        }
    }

    fn manifest(version: &str, tools: Vec<ToolSpec>) -> Manifest {
        Manifest {
            name: "p".into(),
            version: version.into(),
            contract: "0.1.0".into(),
            description: String::new(),
            tools,
        }
    }

    #[test]
    fn versions_are_ordered_by_semver_not_as_text() {
        let direction = |a: &str, b: &str| {
            compare(&manifest(a, vec![]), &[], &manifest(b, vec![]), &[]).direction
        };
        assert_eq!(direction("0.9.0", "0.10.0"), Direction::Upgrade);
        assert_eq!(direction("1.0.0", "1.0.0-rc.1"), Direction::Downgrade);
        assert_eq!(direction("1.2.3", "1.2.3"), Direction::Same);
        assert_eq!(direction("1.2", "1.3"), Direction::Unordered);
    }

    #[test]
    fn a_new_input_file_is_a_grant_change() {
        let plain = r#"{"type":"object","properties":{"path":{"type":"string"}}}"#;
        let file = r#"{"type":"object","properties":{"path":{"type":"string","x-skill-input-file":true}}}"#;
        let reordered = r#"{"properties":{"path":{"type":"string"}},"type":"object"}"#;
        let old = manifest("1.0.0", vec![tool("a", plain), tool("b", plain)]);
        let new = manifest("1.1.0", vec![tool("a", file), tool("b", reordered)]);
        let upgrade = compare(&old, &[], &new, &[]);
        assert_eq!(
            upgrade.schema_changes,
            vec![SchemaChange {
                tool: "a".into(),
                input: true,
                output: false
            }]
        );
        assert_eq!(upgrade.grant_changes.len(), 1);
        assert_eq!(upgrade.grant_changes[0].after.input_files, ["path"]);
    }
}
