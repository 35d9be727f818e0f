//! JSON Schemas as the contract wants them: 2020-12, object root, no `$ref`.

use std::borrow::Cow;

use schemars::generate::SchemaSettings;
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Serialize};

/// A path to a file the tool reads. The host opens it read-only for the one
/// call and streams it through [`host::open_input`](crate::host::open_input);
/// the plugin never sees the filesystem.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct InputPath(pub String);

impl InputPath {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl JsonSchema for InputPath {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> Cow<'static, str> {
        "InputPath".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "minLength": 1,
            "x-skill-input-file": true,
        })
    }
}

/// A file a tool produces (a policy, a report). Plugins never write files: the
/// host writes these where the user asks (`skill run ... --out DIR`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct OutputFile {
    /// Where to write it, relative to the directory the user names.
    pub path: String,
    /// The file's text.
    pub content: String,
}

/// The files a tool produces: the type of one top-level output property.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct OutputFiles(pub Vec<OutputFile>);

impl JsonSchema for OutputFiles {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> Cow<'static, str> {
        "OutputFiles".into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "array",
            "items": generator.subschema_for::<OutputFile>(),
            "x-skill-output-files": true,
        })
    }
}

fn root_schema<T: JsonSchema>() -> Schema {
    // Many agent clients mishandle `$ref`/`$defs`, so every subschema is inlined.
    SchemaSettings::draft2020_12()
        .with(|settings| settings.inline_subschemas = true)
        .into_generator()
        .into_root_schema_for::<T>()
}

fn to_text(schema: &Schema) -> String {
    serde_json::to_string(schema).expect("a schema serializes to JSON")
}

/// The input schema: unknown properties are refused unless the type says otherwise,
/// so that a misspelt argument is an error rather than silently ignored.
pub(crate) fn input_schema<T: JsonSchema>() -> String {
    let mut schema = root_schema::<T>();
    if let Some(object) = schema.as_object_mut() {
        object
            .entry("additionalProperties")
            .or_insert(serde_json::Value::Bool(false));
    }
    to_text(&schema)
}

pub(crate) fn output_schema<T: JsonSchema>() -> String {
    to_text(&root_schema::<T>())
}
