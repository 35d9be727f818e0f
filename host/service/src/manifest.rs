//! What a plugin's manifest must be for the host to serve it: names safe in
//! flags, paths and MCP, a supported contract, and schemas of bounded size and
//! depth that compile.

use serde_json::Value;
use skill_runtime::Manifest;

use crate::{Error, Result};

/// The most bytes a manifest's text (names, descriptions, schemas) may hold.
/// The first-party manifests hold about 60 KB; a manifest is read at every
/// start that lists tools, so a plugin must not make each one slow.
pub const MAX_MANIFEST_BYTES: usize = 1 << 20;
/// The deepest nesting a tool schema may have (the first-party ones reach 9).
pub const MAX_SCHEMA_DEPTH: usize = 32;

/// Rejects a manifest the host could not serve faithfully.
pub fn check(label: &str, manifest: &Manifest) -> Result<()> {
    let bad = |detail: String| {
        Err(Error::PluginLoad {
            plugin: label.to_owned(),
            detail,
        })
    };
    let size = manifest_bytes(manifest);
    if size > MAX_MANIFEST_BYTES {
        return bad(format!(
            "its manifest holds {size} bytes, over the limit of {MAX_MANIFEST_BYTES}"
        ));
    }
    if !valid_name(&manifest.name) {
        return bad(format!(
            "its name {} is not lowercase letters, digits and `-`",
            untrusted_text::one_line(&format!("{:?}", manifest.name))
        ));
    }
    if !skill_runtime::contract::is_supported(&manifest.contract) {
        return Err(Error::UnsupportedContract {
            plugin: label.to_owned(),
            found: format!("skill:plugin@{}", manifest.contract),
            supported: skill_runtime::contract::supported_range(),
        });
    }
    let mut seen = std::collections::HashSet::new();
    for tool in &manifest.tools {
        if !valid_name(&tool.name) {
            return bad(format!(
                "tool name {} is not lowercase letters, digits and `-`",
                untrusted_text::one_line(&format!("{:?}", tool.name))
            ));
        }
        if !seen.insert(tool.name.as_str()) {
            return bad(format!("it names tool `{}` twice", tool.name));
        }
        // Format names become `--format` values, printed by `--help` and in
        // clap's errors: the same rule as tool names.
        if let Some(format) = tool.formats.iter().find(|format| !valid_name(format)) {
            return bad(format!(
                "tool {} offers a format {} that is not lowercase letters, digits and `-`",
                tool.name,
                untrusted_text::one_line(&format!("{format:?}"))
            ));
        }
        for (which, text) in [
            ("input", &tool.input_schema),
            ("output", &tool.output_schema),
        ] {
            let schema: Value = serde_json::from_str(text).map_err(|error| Error::PluginLoad {
                plugin: label.to_owned(),
                detail: format!(
                    "tool {} has an {which} schema that is not JSON: {error}",
                    tool.name
                ),
            })?;
            if depth(&schema) > MAX_SCHEMA_DEPTH {
                return bad(format!(
                    "tool {} has an {which} schema nested deeper than {MAX_SCHEMA_DEPTH} levels",
                    tool.name
                ));
            }
            if schema.get("type").and_then(Value::as_str) != Some("object") {
                return bad(format!(
                    "tool {} has an {which} schema whose root is not an object",
                    tool.name
                ));
            }
            if let Err(detail) = crate::schema::Compiled::new(schema) {
                return bad(format!("tool {}: {which} {detail}", tool.name));
            }
        }
    }
    Ok(())
}

/// Bytes of text in a manifest.
fn manifest_bytes(manifest: &Manifest) -> usize {
    let tools: usize = manifest
        .tools
        .iter()
        .map(|tool| {
            tool.name.len()
                + tool.summary.len()
                + tool.description.len()
                + tool.input_schema.len()
                + tool.output_schema.len()
                + tool.formats.iter().map(String::len).sum::<usize>()
        })
        .sum();
    manifest.name.len()
        + manifest.version.len()
        + manifest.contract.len()
        + manifest.description.len()
        + tools
}

/// How deeply `value` nests arrays and objects (a scalar is 0).
fn depth(value: &Value) -> usize {
    match value {
        Value::Array(items) => 1 + items.iter().map(depth).max().unwrap_or(0),
        Value::Object(members) => 1 + members.values().map(depth).max().unwrap_or(0),
        _ => 0,
    }
}

/// Plugin and tool names: `[a-z0-9][a-z0-9-]{0,63}`, safe in flags, paths and MCP.
pub fn valid_name(name: &str) -> bool {
    let bytes = name.as_bytes();
    (1..=64).contains(&bytes.len())
        && bytes[0].is_ascii_alphanumeric()
        && bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-')
}

#[cfg(test)]
mod tests {
    use super::*;
    use skill_runtime::ToolSpec;

    fn manifest(input_schema: String) -> Manifest {
        Manifest {
            name: "p".into(),
            version: "1".into(),
            contract: skill_runtime::contract::CONTRACT_VERSION.into(),
            description: String::new(),
            tools: vec![ToolSpec {
                name: "t".into(),
                summary: String::new(),
                description: String::new(),
                input_schema,
                output_schema: r#"{"type":"object"}"#.into(),
                formats: vec![],
                read_only: true,
            }],
        }
    }

    #[test]
    fn oversized_and_overdeep_manifests_are_refused() {
        assert!(check("p", &manifest(r#"{"type":"object"}"#.into())).is_ok());
        let big = format!(
            r#"{{"type":"object","description":"{}"}}"#,
            "x".repeat(MAX_MANIFEST_BYTES)
        );
        let error = check("p", &manifest(big)).unwrap_err().to_string();
        assert!(error.contains("over the limit"), "{error}");
        let deep = format!(
            r#"{{"type":"object","properties":{{"a":{}}}}}"#,
            r#"{"items":"#.repeat(40) + "{}" + &"}".repeat(40)
        );
        let error = check("p", &manifest(deep)).unwrap_err().to_string();
        assert!(error.contains("nested deeper"), "{error}");
    }

    #[test]
    fn format_names_follow_the_tool_name_rule() {
        let mut shady = manifest(r#"{"type":"object"}"#.into());
        shady.tools[0].formats = vec!["csv".into(), "text\u{9b}2J\u{202e}".into()];
        let error = check("p", &shady).unwrap_err().to_string();
        assert!(error.contains(r#""text\u{9b}2J\u{202e}""#), "{error}");
        assert!(!error.contains(['\u{9b}', '\u{202e}']), "{error}");
        shady.tools[0].formats = vec!["csv".into(), "markdown".into()];
        assert!(check("p", &shady).is_ok());
    }

    #[test]
    fn a_tool_named_twice_is_refused() {
        let mut twice = manifest(r#"{"type":"object"}"#.into());
        twice.tools.push(twice.tools[0].clone());
        let error = check("p", &twice).unwrap_err().to_string();
        assert!(error.contains("twice"), "{error}");
    }

    mod fuzz {
        use super::*;
        use proptest::prelude::*;
        use std::sync::OnceLock;

        /// The first-party plugins' manifests, as they describe themselves.
        fn seeds() -> &'static [Manifest] {
            static SEEDS: OnceLock<Vec<Manifest>> = OnceLock::new();
            SEEDS.get_or_init(|| {
                let home = tempfile::tempdir().unwrap();
                let runtime = skill_runtime::Runtime::new(
                    skill_runtime::Limits::default(),
                    skill_runtime::CompiledCache::disabled(),
                )
                .unwrap();
                crate::catalog::Catalog::load(&runtime, &home.path().join("p"), home.path(), &[])
                    .unwrap()
                    .entries()
                    .iter()
                    .map(|entry| entry.manifest.clone())
                    .collect()
            })
        }

        /// One edit of a text: a character inserted, replaced or removed.
        fn edit(text: &mut String, at: prop::sample::Index, c: char, how: u8) {
            let mut chars: Vec<char> = text.chars().collect();
            let at = at.index(chars.len() + 1);
            match how {
                0 => chars.insert(at, c),
                1 if at < chars.len() => chars[at] = c,
                _ if at < chars.len() => {
                    chars.remove(at);
                }
                _ => chars.push(c),
            }
            *text = chars.into_iter().collect();
        }

        /// Characters that matter to names, JSON and terminals, and any other.
        fn characters() -> impl Strategy<Value = char> {
            prop_oneof![
                prop::sample::select(vec![
                    '{', '}', '[', ']', '"', ':', ',', '\\', '-', 'a', '0', '\u{1b}', '\n',
                    '\u{202e}', '\u{9b}', 'É'
                ]),
                any::<char>(),
            ]
        }

        proptest! {
            #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

            /// A mutated real manifest never panics the check, and what the
            /// check lets through is what the host can serve: names safe in
            /// flags and paths, formats likewise, schemas that compile.
            #[test]
            fn check_never_panics_and_passes_only_servable_manifests(
                which in any::<prop::sample::Index>(),
                tool in any::<prop::sample::Index>(),
                edits in prop::collection::vec(
                    (0..7u8, any::<prop::sample::Index>(), characters(), 0..3u8),
                    1..8,
                ),
            ) {
                let mut manifest = which.get(seeds()).clone();
                let tool = tool.index(manifest.tools.len());
                for (field, at, c, how) in edits {
                    let spec = &mut manifest.tools[tool];
                    let text = match field {
                        0 => &mut manifest.name,
                        1 => &mut spec.name,
                        2 => &mut spec.input_schema,
                        3 => &mut spec.output_schema,
                        4 => &mut spec.summary,
                        5 => match spec.formats.first_mut() {
                            Some(format) => format,
                            None => &mut spec.description,
                        },
                        _ => &mut manifest.version,
                    };
                    edit(text, at, c, how);
                }
                if check("fuzz", &manifest).is_ok() {
                    prop_assert!(valid_name(&manifest.name));
                    for spec in &manifest.tools {
                        prop_assert!(valid_name(&spec.name));
                        prop_assert!(spec.formats.iter().all(|f| valid_name(f)));
                        for text in [&spec.input_schema, &spec.output_schema] {
                            let schema: Value = serde_json::from_str(text).unwrap();
                            prop_assert!(crate::schema::Compiled::new(schema).is_ok());
                        }
                    }
                }
            }
        }
    }
}
