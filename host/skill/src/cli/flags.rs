//! Command-line flags made from a tool's input schema.
//!
//! Each top-level property becomes `--kebab-name`: strings and numbers take a
//! value, booleans are switches, arrays of scalars take comma-separated or
//! repeated values, anything else takes JSON. The values are merged over
//! `--input` and checked against the schema like any other input, so errors
//! name the same JSON Pointers whichever way the input came.

use clap::{Arg, ArgAction, ArgMatches, Command};
use serde_json::{Map, Value};

use skill_service::{InputProblem, schema};

/// How a property's flag value becomes JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    String,
    Integer,
    Number,
    Boolean,
    /// Array of scalars of the given kind.
    List(ScalarKind),
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ScalarKind {
    String,
    Integer,
    Number,
}

/// One generated flag.
struct Flag {
    property: String,
    long: String,
    kind: Kind,
}

/// The flags of one tool and the clap command that parses them.
pub struct ToolFlags {
    flags: Vec<Flag>,
}

/// Flags every `skill run` takes besides the tool's own.
pub const RESERVED: &[&str] = &[
    "input",
    "format",
    "out",
    "force",
    "help",
    // Call options, which `skill run` takes after the tool's name too.
    "max-memory",
    "timeout",
    "max-stack",
    "max-output",
    "jobs",
    "plugin",
];

fn primary_type(property: &Value) -> Option<&str> {
    match property.get("type") {
        Some(Value::String(t)) => Some(t.as_str()),
        Some(Value::Array(types)) => types
            .iter()
            .filter_map(Value::as_str)
            .find(|t| *t != "null"),
        // No `type`: a set of constants (`enum`, or `oneOf`/`anyOf` of `const`s,
        // as derived from a documented Rust enum) has the type of its values.
        _ => {
            let values = allowed_values(property);
            let first = values.first()?;
            let type_of = |v: &Value| match v {
                Value::String(_) => Some("string"),
                Value::Bool(_) => Some("boolean"),
                Value::Number(n) if n.is_i64() || n.is_u64() => Some("integer"),
                Value::Number(_) => Some("number"),
                _ => None,
            };
            let first_type = type_of(first)?;
            values
                .iter()
                .all(|v| type_of(v) == Some(first_type))
                .then_some(first_type)
        }
    }
}

/// The values a property may take, when its schema lists them (see
/// [`schema::allowed_values`]), with `null` left out.
fn allowed_values(property: &Value) -> Vec<Value> {
    schema::allowed_values(property)
        .unwrap_or_default()
        .into_iter()
        .filter(|value| !value.is_null())
        .collect()
}

fn kind_of(property: &Value) -> Kind {
    let scalar = |t: Option<&str>| match t {
        Some("string") => Some(ScalarKind::String),
        Some("integer") => Some(ScalarKind::Integer),
        Some("number") => Some(ScalarKind::Number),
        _ => None,
    };
    match primary_type(property) {
        Some("string") => Kind::String,
        Some("integer") => Kind::Integer,
        Some("number") => Kind::Number,
        Some("boolean") => Kind::Boolean,
        Some("array") => {
            match scalar(property.get("items").and_then(|items| primary_type(items))) {
                Some(item) => Kind::List(item),
                None => Kind::Json,
            }
        }
        _ => Kind::Json,
    }
}

fn help_text(property: &Value, kind: Kind, required: bool) -> String {
    let mut help = property
        .get("description")
        .and_then(Value::as_str)
        .unwrap_or("")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let mut notes = Vec::new();
    if required {
        notes.push("required".to_owned());
    }
    if schema::is_input_file(property) {
        notes.push("a file, opened read-only for this call".to_owned());
    }
    if property.get(schema::HOST_DEFAULT).and_then(Value::as_str) == Some("today") {
        notes.push("default: today (UTC)".to_owned());
    } else if let Some(default) = property.get("default") {
        notes.push(format!("default: {}", display_value(default)));
    }
    let values = allowed_values(property);
    if !values.is_empty() {
        let values: Vec<_> = values.iter().map(display_value).collect();
        notes.push(format!("one of: {}", values.join(", ")));
    }
    match kind {
        Kind::List(_) => notes.push("comma-separated or repeated".to_owned()),
        Kind::Json => notes.push("JSON".to_owned()),
        _ => {}
    }
    if !notes.is_empty() {
        help.push_str(&format!(" [{}]", notes.join("; ")));
    }
    // A third-party schema's text is printed by `--help`.
    super::display::displayable(help.trim()).into_owned()
}

fn display_value(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

impl ToolFlags {
    /// Adds the tool's flags to `command` and remembers how to read them back.
    pub fn attach(input_schema: &Value, mut command: Command) -> (Self, Command) {
        let required: Vec<&str> = input_schema
            .get("required")
            .and_then(Value::as_array)
            .map(|names| names.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let mut flags = Vec::new();
        for (name, property) in schema::properties(input_schema) {
            let long = name.replace('_', "-");
            if RESERVED.contains(&long.as_str())
                || !long.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            {
                // Reachable only through --input; the flag would clash or be unusable.
                continue;
            }
            let kind = kind_of(property);
            let mut arg = Arg::new(long.clone()).long(long.clone()).help(help_text(
                property,
                kind,
                required.contains(&name),
            ));
            arg = match kind {
                Kind::Boolean => arg
                    .num_args(0..=1)
                    .require_equals(true)
                    .default_missing_value("true")
                    .value_parser(["true", "false"]),
                Kind::List(_) => arg.action(ArgAction::Append).value_name("VALUES"),
                Kind::Json => arg.value_name("JSON"),
                _ if schema::is_input_file(property) => arg.value_name("FILE"),
                _ => arg.value_name(long.to_uppercase().replace('-', "_")),
            };
            command = command.arg(arg);
            flags.push(Flag {
                property: name.to_owned(),
                long,
                kind,
            });
        }
        (Self { flags }, command)
    }

    /// Writes the values given on the command line into `input`.
    pub fn apply(
        &self,
        matches: &ArgMatches,
        input: &mut Map<String, Value>,
    ) -> Result<(), InputProblem> {
        for flag in &self.flags {
            let Some(values) = matches.get_many::<String>(&flag.long) else {
                continue;
            };
            let values: Vec<&String> = values.collect();
            let problem = |message: String| InputProblem {
                pointer: format!("/{}", schema::escape_pointer(&flag.property)),
                message: format!("--{}: {message}", flag.long),
            };
            let last = values.last().map(|s| s.as_str()).unwrap_or_default();
            let value = match flag.kind {
                Kind::String => Value::String(last.to_owned()),
                Kind::Integer => scalar(ScalarKind::Integer, last).map_err(problem)?,
                Kind::Number => scalar(ScalarKind::Number, last).map_err(problem)?,
                Kind::Boolean => Value::Bool(last == "true"),
                Kind::List(item) => {
                    let mut list = Vec::new();
                    for part in values
                        .iter()
                        .flat_map(|v| v.split(','))
                        .map(str::trim)
                        .filter(|p| !p.is_empty())
                    {
                        list.push(scalar(item, part).map_err(&problem)?);
                    }
                    Value::Array(list)
                }
                Kind::Json => serde_json::from_str(last)
                    .map_err(|error| problem(format!("not valid JSON: {error}")))?,
            };
            input.insert(flag.property.clone(), value);
        }
        Ok(())
    }
}

fn scalar(kind: ScalarKind, text: &str) -> Result<Value, String> {
    match kind {
        ScalarKind::String => Ok(Value::String(text.to_owned())),
        ScalarKind::Integer => text
            .parse::<i64>()
            .map(Value::from)
            .map_err(|_| format!("expected an integer, got {text:?}")),
        ScalarKind::Number => text
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map(Value::Number)
            .ok_or_else(|| format!("expected a number, got {text:?}")),
    }
}

/// A plausible command line for the help text: every required property and
/// every input file, with its example, default or a placeholder.
pub fn example(tool: &str, input_schema: &Value) -> String {
    let required: Vec<&str> = input_schema
        .get("required")
        .and_then(Value::as_array)
        .map(|names| names.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let mut line = format!("skill run {tool}");
    for (name, property) in schema::properties(input_schema) {
        let example = property
            .get("examples")
            .and_then(Value::as_array)
            .and_then(|e| e.first());
        if !(required.contains(&name) || schema::is_input_file(property) || example.is_some()) {
            continue;
        }
        let value = match example {
            Some(value) => display_value(value),
            None => format!("<{}>", name.replace('_', "-")),
        };
        let value = if value.contains([' ', '"', '\'', '$', '`', '\\']) {
            format!("'{}'", value.replace('\'', "'\\''"))
        } else {
            value
        };
        line.push_str(&format!(" --{} {value}", name.replace('_', "-")));
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn schema() -> Value {
        json!({
            "type": "object",
            "required": ["app_name"],
            "properties": {
                "app_name": {"type": "string", "description": "The app."},
                "secrets": {"type": "array", "items": {"type": "string"}},
                "ports": {"type": "array", "items": {"type": "integer"}},
                "dry_run": {"type": "boolean"},
                "limit": {"type": ["integer", "null"], "default": 5},
                "extra": {"type": "object"},
                "auth_method": {"oneOf": [{"const": "approle", "description": "a"}, {"const": "jwt"}]},
                "flavour": {"enum": ["vault", "openbao"]},
                "reach": {"anyOf": [{"oneOf": [{"type": "string", "enum": ["production", "non-production"]}, {"const": "limited"}]}, {"type": "null"}]},
                "secret_types": {"type": "array", "items": {"oneOf": [{"const": "db-creds"}, {"const": "api-key"}]}},
                "input": {"type": "string"}
            }
        })
    }

    fn parse(args: &[&str]) -> Result<Map<String, Value>, InputProblem> {
        let (flags, command) = ToolFlags::attach(&schema(), Command::new("t"));
        let matches = command
            .try_get_matches_from(std::iter::once("t").chain(args.iter().copied()))
            .unwrap();
        let mut input = Map::new();
        flags.apply(&matches, &mut input)?;
        Ok(input)
    }

    #[test]
    fn flags_become_typed_json() {
        let input = parse(&[
            "--app-name",
            "payment",
            "--secrets",
            "db-creds,api-key",
            "--secrets",
            "tls-cert",
            "--ports",
            "80,443",
            "--dry-run",
            "--limit",
            "7",
            "--extra",
            r#"{"a":1}"#,
        ])
        .unwrap();
        assert_eq!(
            Value::Object(input),
            json!({"app_name": "payment", "secrets": ["db-creds", "api-key", "tls-cert"], "ports": [80, 443],
                   "dry_run": true, "limit": 7, "extra": {"a": 1}})
        );
    }

    #[test]
    fn constant_sets_take_plain_values() {
        let input = parse(&[
            "--auth-method",
            "approle",
            "--flavour",
            "openbao",
            "--secret-types",
            "db-creds,api-key",
        ])
        .unwrap();
        assert_eq!(input["auth_method"], "approle");
        assert_eq!(input["flavour"], "openbao");
        let nested = parse(&["--reach", "limited"]).unwrap();
        assert_eq!(nested["reach"], "limited");
        assert_eq!(input["secret_types"], json!(["db-creds", "api-key"]));
        let (_, command) = ToolFlags::attach(&schema(), Command::new("t"));
        let help = command.clone().render_long_help().to_string();
        assert!(help.contains("one of: approle, jwt"), "{help}");
    }

    #[test]
    fn bad_numbers_name_the_pointer() {
        let problem = parse(&["--limit", "seven"]).unwrap_err();
        assert_eq!(problem.pointer, "/limit");
        assert!(problem.message.contains("expected an integer"), "{problem}");
    }

    #[test]
    fn reserved_names_are_not_flags() {
        let (flags, _) = ToolFlags::attach(&schema(), Command::new("t"));
        assert!(flags.flags.iter().all(|f| f.long != "input"));
    }

    #[test]
    fn example_lists_required_fields() {
        assert_eq!(example("t", &schema()), "skill run t --app-name <app-name>");
    }
}
