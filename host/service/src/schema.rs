//! JSON Schema validation, and the schema annotations the host acts on.
//!
//! Problems are reported with the JSON Pointer of the offending value and what
//! was expected, so that a person or an agent can fix the input in one step.

use serde_json::{Map, Value};

use crate::error::InputProblem;

/// Marks a string property whose value is a file the host opens for the call.
pub const INPUT_FILE: &str = "x-skill-input-file";
/// Marks a property the host fills when absent; the only value is `"today"`.
pub const HOST_DEFAULT: &str = "x-skill-default";

/// The most problems reported at once; past that the first ones suffice.
const MAX_PROBLEMS: usize = 20;

/// A schema compiled once and used for many validations.
pub struct Compiled {
    schema: Value,
    /// The schema the validator was built from, which its schema paths name.
    validated: Value,
    validator: jsonschema::Validator,
}

impl Compiled {
    pub fn new(schema: Value) -> Result<Self, String> {
        // The `regex` engine builds patterns several times faster than the
        // default backtracking one, and schemas here need no look-around.
        let validated = enums_for_constant_choices(&schema);
        let validator = jsonschema::options()
            .with_draft(jsonschema::Draft::Draft202012)
            .with_pattern_options(jsonschema::PatternOptions::regex())
            .build(&validated)
            .map_err(|error| format!("the schema itself is invalid: {error}"))?;
        Ok(Self {
            schema,
            validated,
            validator,
        })
    }

    pub fn schema(&self) -> &Value {
        &self.schema
    }

    /// What is wrong with `instance`; an empty list means valid.
    pub fn problems(&self, instance: &Value) -> Vec<InputProblem> {
        // The yes-or-no check stops at nothing to report and is several times
        // quicker than collecting errors; valid is the common case.
        if self.validator.is_valid(instance) {
            return Vec::new();
        }
        self.validator
            .iter_errors(instance)
            .take(MAX_PROBLEMS)
            .map(|error| InputProblem {
                pointer: error.instance_path().to_string(),
                message: self.message(&error),
            })
            .collect()
    }

    /// The validator's message; for a value none of a set of constants
    /// (`anyOf`/`oneOf` of `enum`, `const` and `null`) matched, with the
    /// values allowed, as the message for a plain `enum` has them.
    fn message(&self, error: &jsonschema::ValidationError<'_>) -> String {
        let message = shorten(&error.to_string());
        let path = error.schema_path().to_string();
        if !(path.ends_with("/anyOf") || path.ends_with("/oneOf")) {
            return message;
        }
        let Some(values) = self
            .validated
            .pointer(path.rsplit_once('/').map_or("", |(parent, _)| parent))
            .and_then(allowed_values)
        else {
            return message;
        };
        let values: Vec<String> = values.iter().map(Value::to_string).collect();
        shorten(&format!(
            "{message}; expected one of: {}",
            values.join(", ")
        ))
    }
}

/// The values `schema` allows, when it lists them: `enum`, `const`, `"type":
/// "null"`, or `oneOf`/`anyOf` of those, nested (as schemars derives an
/// `Option` of a documented enum). `None` when it allows more than a list.
pub fn allowed_values(schema: &Value) -> Option<Vec<Value>> {
    fn collect(schema: &Value, out: &mut Vec<Value>) -> bool {
        if schema.get("type").and_then(Value::as_str) == Some("null") {
            out.push(Value::Null);
            return true;
        }
        if let Some(value) = schema.get("const") {
            out.push(value.clone());
            return true;
        }
        if let Some(Value::Array(values)) = schema.get("enum") {
            out.extend(values.iter().cloned());
            return true;
        }
        for key in ["oneOf", "anyOf"] {
            if let Some(Value::Array(choices)) = schema.get(key) {
                return choices.iter().all(|choice| collect(choice, out));
            }
        }
        false
    }
    let mut values = Vec::new();
    (collect(schema, &mut values) && !values.is_empty()).then_some(values)
}

/// The schema to validate with: `schema`, with every `oneOf` whose choices are
/// each one distinct string (`{"const": "x"}`, perhaps with a `description` and
/// `"type": "string"`) turned into the `enum` of those strings.
///
/// schemars writes a documented Rust enum that way. With distinct constants
/// exactly one matching is the same as any matching, which is what `enum`
/// checks, and the message for a wrong value then lists the allowed ones
/// instead of saying that no choice of a `oneOf` matched. Values under `const`, `enum`, `default` and `examples` are data, not
/// schemas, and are left as they are.
fn enums_for_constant_choices(schema: &Value) -> Value {
    match schema {
        Value::Object(map) => {
            let mut rewritten: Map<String, Value> = map
                .iter()
                .map(|(key, value)| match key.as_str() {
                    "const" | "enum" | "default" | "examples" => (key.clone(), value.clone()),
                    _ => (key.clone(), enums_for_constant_choices(value)),
                })
                .collect();
            if !rewritten.contains_key("enum")
                && let Some(choices) = map.get("oneOf").and_then(constant_strings)
            {
                rewritten.remove("oneOf");
                rewritten.insert("enum".to_owned(), Value::Array(choices));
            }
            Value::Object(rewritten)
        }
        Value::Array(items) => Value::Array(items.iter().map(enums_for_constant_choices).collect()),
        other => other.clone(),
    }
}

/// The constants of `oneOf` choices that each allow one string and nothing else,
/// if all do and no two are the same.
fn constant_strings(choices: &Value) -> Option<Vec<Value>> {
    const ANNOTATIONS: [&str; 4] = ["description", "title", "$comment", "deprecated"];
    let choices = choices.as_array()?;
    let mut seen = std::collections::HashSet::new();
    let mut constants = Vec::with_capacity(choices.len());
    for choice in choices {
        let choice = choice.as_object()?;
        let constant = choice.get("const")?.as_str()?;
        let only_annotations = choice.iter().all(|(key, value)| match key.as_str() {
            "const" => true,
            "type" => value == "string",
            key => ANNOTATIONS.contains(&key),
        });
        if !only_annotations || !seen.insert(constant) {
            return None;
        }
        constants.push(Value::String(constant.to_owned()));
    }
    (!constants.is_empty()).then_some(constants)
}

/// Validates `instance` against `schema` once; an empty list means valid.
pub fn validate(schema: &Value, instance: &Value) -> Result<Vec<InputProblem>, String> {
    Ok(Compiled::new(schema.clone())?.problems(instance))
}

/// Messages quote the offending value; a 10 MB string must not be echoed back.
fn shorten(message: &str) -> String {
    const MAX: usize = 300;
    if message.len() <= MAX {
        return message.to_owned();
    }
    let cut = (0..=MAX)
        .rev()
        .find(|&i| message.is_char_boundary(i))
        .unwrap_or(0);
    format!("{}…", &message[..cut])
}

/// The top-level properties of an object schema, in declaration order.
pub fn properties(schema: &Value) -> impl Iterator<Item = (&str, &Value)> {
    schema
        .get("properties")
        .and_then(Value::as_object)
        .into_iter()
        .flat_map(|props| props.iter().map(|(name, prop)| (name.as_str(), prop)))
}

/// Whether a property schema is marked as an input file.
pub fn is_input_file(property: &Value) -> bool {
    property.get(INPUT_FILE).and_then(Value::as_bool) == Some(true)
}

/// The input files an input names: `(JSON Pointer, path)` for every string
/// value of a property marked [`INPUT_FILE`], or array of them.
pub fn input_files(schema: &Value, input: &Map<String, Value>) -> Vec<(String, String)> {
    let mut files = Vec::new();
    for (name, property) in properties(schema) {
        let items_are_files = property.get("items").is_some_and(is_input_file);
        match input.get(name) {
            Some(Value::String(path)) if is_input_file(property) => {
                files.push((format!("/{}", escape_pointer(name)), path.clone()));
            }
            Some(Value::Array(values)) if items_are_files => {
                for (index, value) in values.iter().enumerate() {
                    if let Value::String(path) = value {
                        files.push((format!("/{}/{index}", escape_pointer(name)), path.clone()));
                    }
                }
            }
            _ => {}
        }
    }
    files
}

/// Fills properties marked `x-skill-default: "today"` that the caller left out.
pub fn fill_host_defaults(schema: &Value, input: &mut Map<String, Value>, today: &str) {
    for (name, property) in properties(schema) {
        let wants_today = property.get(HOST_DEFAULT).and_then(Value::as_str) == Some("today");
        let absent = matches!(input.get(name), None | Some(Value::Null));
        if wants_today && absent {
            input.insert(name.to_owned(), Value::String(today.to_owned()));
        }
    }
}

/// Escapes a property name for use in a JSON Pointer (RFC 6901).
pub fn escape_pointer(name: &str) -> String {
    name.replace('~', "~0").replace('/', "~1")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn schema() -> Value {
        json!({
            "type": "object",
            "properties": {
                "inventory": {"type": "string", "x-skill-input-file": true},
                "logs": {"type": "array", "items": {"type": "string", "x-skill-input-file": true}},
                "as_of": {"type": ["string", "null"], "x-skill-default": "today"},
                "policy": {"type": "string", "pattern": "^[0-9]+d$"}
            },
            "additionalProperties": false
        })
    }

    #[test]
    fn problems_name_the_pointer_and_the_expectation() {
        let problems = validate(&schema(), &json!({"policy": "thirty", "extra": 1})).unwrap();
        let pointers: Vec<_> = problems.iter().map(|p| p.pointer.as_str()).collect();
        assert!(pointers.contains(&"/policy"), "{problems:?}");
        assert!(
            problems.iter().any(|p| p.message.contains("extra")),
            "{problems:?}"
        );
        assert!(
            problems.iter().any(|p| p.message.contains("^[0-9]+d$")),
            "{problems:?}"
        );
    }

    #[test]
    fn input_files_come_from_marked_properties_only() {
        let input = json!({"inventory": "a.json", "policy": "30d", "logs": ["x.log", "y.log"]});
        let files = input_files(&schema(), input.as_object().unwrap());
        assert_eq!(
            files,
            vec![
                ("/inventory".to_owned(), "a.json".to_owned()),
                ("/logs/0".to_owned(), "x.log".to_owned()),
                ("/logs/1".to_owned(), "y.log".to_owned()),
            ]
        );
    }

    #[test]
    fn today_is_filled_only_when_absent() {
        let mut input = Map::new();
        fill_host_defaults(&schema(), &mut input, "2026-06-01");
        assert_eq!(input["as_of"], "2026-06-01");
        let mut given = json!({"as_of": "2020-01-01"}).as_object().unwrap().clone();
        fill_host_defaults(&schema(), &mut given, "2026-06-01");
        assert_eq!(given["as_of"], "2020-01-01");
    }

    /// A documented enum as schemars writes it.
    fn urgency() -> Value {
        json!({"oneOf": [
            {"description": "Overdue.", "type": "string", "const": "critical"},
            {"description": "Soon.", "type": "string", "const": "high"},
            {"const": "low"}
        ]})
    }

    #[test]
    fn choices_of_distinct_strings_become_an_enum() {
        let schema = json!({
            "type": "object",
            "properties": {
                "urgency": urgency(),
                "maybe": {"anyOf": [urgency(), {"type": "null"}]},
                "list": {"type": "array", "items": urgency()}
            }
        });
        let rewritten = enums_for_constant_choices(&schema);
        let expected = json!({"enum": ["critical", "high", "low"]});
        assert_eq!(rewritten["properties"]["urgency"], expected);
        assert_eq!(rewritten["properties"]["maybe"]["anyOf"][0], expected);
        assert_eq!(rewritten["properties"]["list"]["items"], expected);
    }

    #[test]
    fn other_choices_and_data_are_left_alone() {
        let kept = [
            // Two choices allow the same value: `oneOf` refuses it, `enum` would not.
            json!({"oneOf": [{"const": "a"}, {"const": "a"}]}),
            // A choice that checks more than its constant.
            json!({"oneOf": [{"const": "a"}, {"const": "b", "pattern": "^c"}]}),
            json!({"oneOf": [{"const": "a"}, {"const": "b", "type": "integer"}]}),
            json!({"oneOf": [{"const": 1}, {"const": 2}]}),
            json!({"oneOf": [{"const": "a"}, {"type": "null"}]}),
            json!({"oneOf": [{"const": "a"}], "enum": ["a", "b"]}),
            json!({"const": {"oneOf": [{"const": "a"}]}}),
            json!({"default": {"oneOf": [{"const": "a"}]}, "examples": [{"oneOf": [{"const": "a"}]}]}),
        ];
        for schema in kept {
            assert_eq!(enums_for_constant_choices(&schema), schema);
        }
    }

    #[test]
    fn the_enum_accepts_and_refuses_what_the_choices_did() {
        let schema = json!({"type": "object", "properties": {
            "u": urgency(),
            "m": {"anyOf": [urgency(), {"type": "null"}]}
        }});
        let original = jsonschema::validator_for(&schema).unwrap();
        let compiled = Compiled::new(schema).unwrap();
        for instance in [
            json!({"u": "critical"}),
            json!({"u": "low"}),
            json!({"u": "medium"}),
            json!({"u": "Critical"}),
            json!({"u": 1}),
            json!({"u": null}),
            json!({"m": null}),
            json!({"m": "high"}),
            json!({"m": "none"}),
            json!({"m": ["high"]}),
        ] {
            assert_eq!(
                compiled.problems(&instance).is_empty(),
                original.is_valid(&instance),
                "{instance}"
            );
        }
        let problems = compiled.problems(&json!({"u": "medium"}));
        assert!(problems[0].message.contains("\"critical\""), "{problems:?}");
    }

    #[test]
    fn a_value_outside_any_of_constants_lists_the_allowed_ones() {
        let schema = json!({"type": "object", "properties": {
            "maybe": {"anyOf": [urgency(), {"type": "null"}]},
            "mixed": {"anyOf": [{"const": 1}, {"enum": ["a"]}]},
            "free": {"anyOf": [{"type": "string"}, {"type": "integer"}]}
        }});
        let problems =
            validate(&schema, &json!({"maybe": "soon", "mixed": 2, "free": []})).unwrap();
        let message = |pointer: &str| {
            problems
                .iter()
                .find(|p| p.pointer == pointer)
                .map(|p| p.message.clone())
                .unwrap_or_else(|| panic!("no problem at {pointer}: {problems:?}"))
        };
        assert!(
            message("/maybe").ends_with(r#"expected one of: "critical", "high", "low", null"#),
            "{problems:?}"
        );
        assert!(
            message("/mixed").ends_with(r#"expected one of: 1, "a""#),
            "{problems:?}"
        );
        assert!(
            !message("/free").contains("expected one of"),
            "{problems:?}"
        );
    }

    #[test]
    fn huge_values_are_not_echoed_whole() {
        let big = "x".repeat(100_000);
        let problems = validate(&schema(), &json!({"policy": big})).unwrap();
        assert!(problems.iter().all(|p| p.message.len() < 400));
    }
}
