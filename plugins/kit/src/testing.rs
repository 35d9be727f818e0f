//! Running a plugin's tools natively, in its own `cargo test`, checked the way
//! the host checks them.
//!
//! The host validates every input against the tool's input schema before the
//! call and every output against its output schema after it; a mismatch is an
//! error at run time. [`check`] does both around a native call, so that a
//! schema mistake fails the plugin's tests instead. The commonest one: a field
//! that serde skips (`skip_serializing_if`) while schemars lists it as
//! required, as it does any field that is neither an `Option` nor `default`.
//!
//! ```
//! use serde_json::json;
//! use skill_pdk::prelude::*;
//!
//! #[derive(Deserialize, JsonSchema)]
//! struct Input {
//!     name: String,
//! }
//!
//! #[derive(Serialize, JsonSchema)]
//! struct Output {
//!     greeting: String,
//!     // Skipped when empty, but nothing tells schemars that the field may be
//!     // missing: it is `required` in the output schema.
//!     #[serde(skip_serializing_if = "Vec::is_empty")]
//!     nicknames: Vec<String>,
//! }
//!
//! fn plugin() -> Plugin {
//!     let greet = |input: Input| {
//!         Ok(Output { greeting: format!("Hello, {}!", input.name), nicknames: Vec::new() })
//!     };
//!     Plugin::new("hello", "0.1.0").tool(Tool::new("greet", "Greets.", greet))
//! }
//!
//! let error = skill_pdk::testing::check(&plugin(), "greet", json!({"name": "Ada"})).unwrap_err();
//! assert!(error.contains("\"nicknames\" is a required property"), "{error}");
//! ```
//!
//! With `#[serde(default)]` on the field too, schemars leaves it out of
//! `required` and the same call passes. Tools that open granted files
//! ([`host::open_input`](crate::host::open_input)) cannot run natively: no host
//! grants them anything there, and the call fails saying so.
//!
//! This module exists in native builds only; a component never contains it.

use serde_json::Value;

use crate::__private::types;
use crate::Plugin;

/// What the host knows of a tool, as it reads it from the plugin.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolInfo {
    pub summary: String,
    pub description: String,
    /// The input JSON Schema (2020-12, every subschema inlined).
    pub input_schema: Value,
    /// The output JSON Schema.
    pub output_schema: Value,
    /// The renderings the tool offers besides JSON.
    pub formats: Vec<String>,
    /// `true` unless the tool was built with [`Tool::writes`](crate::Tool::writes).
    pub read_only: bool,
}

/// The description of `tool` that `plugin` gives the host.
pub fn describe(plugin: &Plugin, tool: &str) -> Result<ToolInfo, String> {
    let manifest = plugin.manifest();
    let spec = manifest
        .tools
        .into_iter()
        .find(|spec| spec.name == tool)
        .ok_or_else(|| format!("plugin `{}` has no tool `{tool}`", manifest.name))?;
    let parse = |which: &str, text: &str| {
        serde_json::from_str(text)
            .map_err(|error| format!("the {which} schema of `{tool}` is not JSON: {error}"))
    };
    Ok(ToolInfo {
        summary: spec.summary,
        description: spec.description,
        input_schema: parse("input", &spec.input_schema)?,
        output_schema: parse("output", &spec.output_schema)?,
        formats: spec.formats,
        read_only: spec.read_only,
    })
}

/// Runs `tool` on `input` natively and returns its output, after checking the
/// input against the tool's input schema and the output against its output
/// schema, as the host does. The error names what failed: the schema and the
/// JSON Pointer of each offending value, or the error the tool reported.
pub fn check(plugin: &Plugin, tool: &str, input: Value) -> Result<Value, String> {
    call(plugin, tool, input, None).map(|(output, _)| output)
}

/// [`check`], asking for the rendering `format` too; returns the rendered text.
pub fn render(plugin: &Plugin, tool: &str, input: Value, format: &str) -> Result<String, String> {
    let (_, rendered) = call(plugin, tool, input, Some(format))?;
    rendered.ok_or_else(|| format!("tool `{tool}` returned no `{format}` rendering"))
}

fn call(
    plugin: &Plugin,
    tool: &str,
    input: Value,
    format: Option<&str>,
) -> Result<(Value, Option<String>), String> {
    let info = describe(plugin, tool)?;
    validate(tool, "input", &info.input_schema, &input)?;
    let result = plugin
        .invoke(types::Invocation {
            tool: tool.to_owned(),
            input: input.to_string(),
            format: format.map(str::to_owned),
        })
        .map_err(|error| {
            let at = error
                .pointer
                .map(|pointer| format!(" (at `{pointer}`)"))
                .unwrap_or_default();
            format!(
                "tool `{tool}` reported {:?}: {}{at}",
                error.code, error.message
            )
        })?;
    let output: Value = serde_json::from_str(&result.output)
        .map_err(|error| format!("tool `{tool}` returned output that is not JSON: {error}"))?;
    validate(tool, "output", &info.output_schema, &output)?;
    Ok((output, result.rendered))
}

/// Validates `instance` with the host's settings: JSON Schema 2020-12, formats
/// as annotations, patterns in the `regex` crate's syntax.
fn validate(tool: &str, which: &str, schema: &Value, instance: &Value) -> Result<(), String> {
    let validator = jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .with_pattern_options(jsonschema::PatternOptions::regex())
        .build(schema)
        .map_err(|error| format!("the {which} schema of `{tool}` is invalid: {error}"))?;
    let problems: Vec<String> = validator
        .iter_errors(instance)
        .map(|error| {
            let pointer = error.instance_path().to_string();
            let at = if pointer.is_empty() {
                "(root)"
            } else {
                &pointer
            };
            format!("{at}: {error}")
        })
        .collect();
    if problems.is_empty() {
        return Ok(());
    }
    Err(format!(
        "the {which} of `{tool}` does not match its {which} schema:\n  {}\n{which}: {instance}",
        problems.join("\n  ")
    ))
}
