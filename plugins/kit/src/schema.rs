//! JSON Schemas as the contract wants them: 2020-12, object root, no `$ref`,
//! and no `format` that JSON Schema 2020-12 does not define.

use std::borrow::Cow;

use schemars::generate::SchemaSettings;
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

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
    let mut schema = SchemaSettings::draft2020_12()
        .with(|settings| settings.inline_subschemas = true)
        .into_generator()
        .into_root_schema_for::<T>();
    if let Some(object) = schema.as_object_mut() {
        standard_formats(object);
    }
    schema
}

/// The formats that the JSON Schema 2020-12 validation vocabulary defines
/// (draft-bhutton-json-schema-validation-01, section 7.3).
pub(crate) const STANDARD_FORMATS: &[&str] = &[
    "date-time",
    "date",
    "time",
    "duration",
    "email",
    "idn-email",
    "hostname",
    "idn-hostname",
    "ipv4",
    "ipv6",
    "uri",
    "uri-reference",
    "iri",
    "iri-reference",
    "uuid",
    "uri-template",
    "json-pointer",
    "relative-json-pointer",
    "regex",
];

/// Drops every `format` that 2020-12 does not define, here and in every subschema.
///
/// schemars names the Rust type of each number (`uint8`, `uint64`, `int32`,
/// `double`, ...) and of an `IpAddr` (`ip`). Validators do not know those names,
/// and some clients warn about each one (Claude Code printed a line per field).
/// They add nothing: the range of an integer type is already in `minimum` and
/// `maximum`, which stay.
fn standard_formats(object: &mut Map<String, Value>) {
    if let Some(format) = object.get("format")
        && !format
            .as_str()
            .is_some_and(|f| STANDARD_FORMATS.contains(&f))
    {
        // `shift_remove` keeps the other keywords in the order schemars wrote them.
        object.shift_remove("format");
    }
    let mut subschema = |value: &mut Value| {
        // `true` and `false` are schemas too, with nothing inside.
        if let Some(object) = value.as_object_mut() {
            standard_formats(object);
        }
    };
    for (keyword, value) in object.iter_mut() {
        match keyword.as_str() {
            // One subschema.
            "additionalProperties"
            | "propertyNames"
            | "items"
            | "contains"
            | "not"
            | "if"
            | "then"
            | "else"
            | "unevaluatedItems"
            | "unevaluatedProperties"
            | "contentSchema" => subschema(value),
            // An array of subschemas.
            "allOf" | "anyOf" | "oneOf" | "prefixItems" => {
                value
                    .as_array_mut()
                    .into_iter()
                    .flatten()
                    .for_each(&mut subschema);
            }
            // A map from names to subschemas.
            "properties" | "patternProperties" | "dependentSchemas" | "$defs" => {
                value
                    .as_object_mut()
                    .into_iter()
                    .flatten()
                    .for_each(|(_, value)| subschema(value));
            }
            // Anything else is not a schema (`enum`, `const`, `default`,
            // `examples`, `x-...` annotations): a key named `format` there is data.
            _ => {}
        }
    }
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

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::net::{IpAddr, Ipv4Addr};

    use serde_json::json;

    use super::*;

    /// Every number type schemars gives a format of its own, and the places a
    /// subschema can hide.
    #[derive(Deserialize, JsonSchema)]
    #[allow(dead_code)]
    struct Numbers {
        u8: u8,
        u16: u16,
        u32: u32,
        u64: u64,
        usize: usize,
        i8: i8,
        i16: i16,
        i32: i32,
        i64: i64,
        isize: isize,
        f32: f32,
        f64: f64,
        optional: Option<u32>,
        list: Vec<u16>,
        map: BTreeMap<String, i64>,
        nested: Inner,
        either: Either,
        ip: IpAddr,
        ipv4: Ipv4Addr,
        #[schemars(extend("format" = "date"))]
        date: String,
        #[schemars(extend("format" = "uri"))]
        uri: String,
        file: InputPath,
        /// A property that happens to be called `format`.
        format: String,
        #[schemars(extend("examples" = [{"format": "uint8"}]))]
        example: Option<BTreeMap<String, String>>,
    }

    #[derive(Deserialize, JsonSchema)]
    #[allow(dead_code)]
    struct Inner {
        count: u64,
        ratio: Option<f64>,
    }

    #[derive(Deserialize, JsonSchema)]
    #[allow(dead_code)]
    enum Either {
        Small(u8),
        Big { value: u128 },
    }

    #[derive(Serialize, JsonSchema)]
    struct Output {
        total: usize,
        files: OutputFiles,
    }

    fn parse(text: &str) -> Value {
        serde_json::from_str(text).expect("the kit writes JSON")
    }

    /// Every `format` keyword in a schema, found by walking the JSON text as
    /// data: whatever the kit's walker misses, this sees (data under
    /// `examples` counts too, so the test input keeps it apart).
    fn formats(value: &Value, out: &mut Vec<String>) {
        match value {
            Value::Object(object) => {
                for (key, value) in object {
                    if key == "format"
                        && let Some(format) = value.as_str()
                    {
                        out.push(format.to_owned());
                    }
                    if key != "examples" {
                        formats(value, out);
                    }
                }
            }
            Value::Array(items) => items.iter().for_each(|item| formats(item, out)),
            _ => {}
        }
    }

    #[test]
    fn only_standard_formats_remain() {
        for schema in [
            parse(&input_schema::<Numbers>()),
            parse(&output_schema::<Output>()),
        ] {
            let mut found = Vec::new();
            formats(&schema, &mut found);
            found.retain(|format| !STANDARD_FORMATS.contains(&format.as_str()));
            assert_eq!(found, Vec::<String>::new(), "in {schema:#}");
        }
    }

    #[test]
    fn standard_formats_stay() {
        let schema = parse(&input_schema::<Numbers>());
        let properties = &schema["properties"];
        assert_eq!(properties["date"]["format"], "date");
        assert_eq!(properties["uri"]["format"], "uri");
        assert_eq!(
            properties["ipv4"],
            json!({"type": "string", "format": "ipv4"})
        );
        // schemars calls an `IpAddr` "ip", which 2020-12 does not define.
        assert_eq!(properties["ip"], json!({"type": "string"}));
    }

    #[test]
    fn bounds_stay_in_their_order() {
        let schema = parse(&input_schema::<Numbers>());
        let properties = &schema["properties"];
        // Compared as text, so that the order of the keywords counts.
        let text = |name: &str| properties[name].to_string();
        assert_eq!(
            text("u8"),
            r#"{"type":"integer","minimum":0,"maximum":255}"#
        );
        assert_eq!(
            text("u16"),
            r#"{"type":"integer","minimum":0,"maximum":65535}"#
        );
        assert_eq!(text("u32"), r#"{"type":"integer","minimum":0}"#);
        assert_eq!(text("u64"), r#"{"type":"integer","minimum":0}"#);
        assert_eq!(text("usize"), r#"{"type":"integer","minimum":0}"#);
        assert_eq!(
            text("i8"),
            r#"{"type":"integer","minimum":-128,"maximum":127}"#
        );
        assert_eq!(
            text("i16"),
            r#"{"type":"integer","minimum":-32768,"maximum":32767}"#
        );
        assert_eq!(text("i32"), r#"{"type":"integer"}"#);
        assert_eq!(text("i64"), r#"{"type":"integer"}"#);
        assert_eq!(text("f64"), r#"{"type":"number"}"#);
        assert_eq!(
            text("optional"),
            r#"{"type":["integer","null"],"minimum":0}"#
        );
        assert_eq!(
            text("list"),
            r#"{"type":"array","items":{"type":"integer","minimum":0,"maximum":65535}}"#
        );
        assert_eq!(
            text("map"),
            r#"{"type":"object","additionalProperties":{"type":"integer"}}"#
        );
        assert_eq!(
            properties["nested"]["properties"]["count"],
            json!({"type": "integer", "minimum": 0})
        );
        assert_eq!(
            properties["nested"]["properties"]["ratio"],
            json!({"type": ["number", "null"]})
        );
    }

    #[test]
    fn data_named_format_is_not_a_keyword() {
        let schema = parse(&input_schema::<Numbers>());
        let properties = &schema["properties"];
        assert_eq!(
            properties["format"],
            json!({"description": "A property that happens to be called `format`.", "type": "string"})
        );
        assert_eq!(
            properties["example"]["examples"],
            json!([{"format": "uint8"}])
        );
        assert!(
            schema["required"]
                .as_array()
                .unwrap()
                .contains(&json!("format"))
        );
    }

    #[test]
    fn the_rest_is_untouched() {
        let schema = parse(&input_schema::<Numbers>());
        assert_eq!(
            schema["$schema"],
            "https://json-schema.org/draft/2020-12/schema"
        );
        assert_eq!(schema["additionalProperties"], false);
        assert_eq!(
            schema["properties"]["file"],
            json!({"type": "string", "minLength": 1, "x-skill-input-file": true})
        );
        let output = parse(&output_schema::<Output>());
        assert_eq!(output["properties"]["files"]["x-skill-output-files"], true);
        assert_eq!(
            output["properties"]["files"]["items"]["required"],
            json!(["path", "content"])
        );
    }

    #[test]
    fn the_walker_reaches_every_subschema_keyword() {
        let mut schema = json!({
            "format": "uint8",
            "additionalProperties": {"format": "uint8"},
            "propertyNames": {"format": "int32"},
            "items": {"format": "double", "minimum": 0},
            "contains": {"format": "uint"},
            "not": {"format": "int64"},
            "if": {"format": "uint"},
            "then": {"format": "uint"},
            "else": {"format": "uint"},
            "unevaluatedItems": {"format": "uint"},
            "unevaluatedProperties": {"format": "uint"},
            "contentSchema": {"format": "uint"},
            "allOf": [{"format": "uint"}, true],
            "anyOf": [{"format": "uint"}],
            "oneOf": [{"format": "uint"}],
            "prefixItems": [{"format": "uint"}, false],
            "properties": {"a": {"format": "uint", "properties": {"b": {"format": "float"}}}},
            "patternProperties": {"^x": {"format": "uint"}},
            "dependentSchemas": {"a": {"format": "uint"}},
            "$defs": {"a": {"format": "uint"}},
            "const": {"format": "uint"},
            "default": {"format": "uint"},
            "x-skill-parallel": {"format": "uint"},
        });
        standard_formats(schema.as_object_mut().unwrap());
        let mut found = Vec::new();
        formats(&schema, &mut found);
        // Left: the two data values (`const`, `default`) and the annotation.
        assert_eq!(found, ["uint", "uint", "uint"], "in {schema:#}");
        assert_eq!(schema["items"], json!({"minimum": 0}));
        assert_eq!(schema["allOf"][1], true);
        assert_eq!(schema["prefixItems"][1], false);
    }
}
