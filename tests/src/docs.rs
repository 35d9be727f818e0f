//! The tool reference for agents, `skill/references/tools.md`, generated from
//! what the real `skill` binary reports: `skill list --format json`,
//! `skill schema <tool>` and `skill schema <tool> --output`, and one real run
//! of each tool on its example input.
//!
//! The output depends only on the plugins: tools are sorted by name, example
//! inputs carry their own dates (`as_of`), and results are abbreviated by fixed
//! rules. The test `docs` compares it with the committed file.

use std::fmt::Write as _;
use std::path::PathBuf;

use serde_json::{Map, Value, json};

use crate::{Skill, text, workspace};

/// Where the generated reference lives, relative to the workspace root. It sits
/// inside the skill folder because the Agent Skills layout keeps a skill's
/// `references/` next to its SKILL.md, and DESIGN.md puts what is generated
/// for agents from the schemas under `skill/`.
pub const TOOLS_MD: &str = "skill/secrets-management/references/tools.md";

/// How to refresh the committed file when the plugins change. The binary is
/// built first: `cargo test -p skill-tests` alone does not rebuild it.
pub const REFRESH: &str =
    "cargo build -p skill && SKILL_UPDATE_DOCS=1 cargo test -p skill-tests --test docs";

/// The committed file's path.
pub fn tools_md_path() -> PathBuf {
    workspace().join(TOOLS_MD)
}

/// One tool as `skill list --format json` shows it, with its schemas.
struct Tool {
    name: String,
    summary: String,
    description: String,
    plugin: String,
    version: String,
    formats: Vec<String>,
    read_only: bool,
    input: Value,
    output: Value,
}

/// Example inputs chosen for the first-party tools. A tool not listed here
/// uses its schema's root `examples`, else an input made from the required
/// properties' examples and defaults.
fn curated_example(tool: &str) -> Option<Value> {
    // One table of example inputs, shared with the MCP client test.
    let examples: Value = serde_json::from_str(include_str!("../tool-examples.json"))
        .expect("tests/tool-examples.json is JSON");
    examples.get(tool).cloned()
}

/// Runs the binary (with the test suite's shared cache of compiled plugins).
pub fn run(skill: &Skill, args: &[&str]) -> std::process::Output {
    skill.run(args)
}

fn run_ok(skill: &Skill, args: &[&str]) -> String {
    let output = run(skill, args);
    let (stdout, stderr) = text(&output);
    assert!(
        output.status.success(),
        "`skill {}` failed ({}):\n{stderr}",
        args.join(" "),
        output.status
    );
    stdout
}

fn parse(what: &str, stdout: &str) -> Value {
    serde_json::from_str(stdout).unwrap_or_else(|e| panic!("{what}: not JSON ({e}):\n{stdout}"))
}

fn str_field(value: &Value, key: &str) -> String {
    value
        .get(key)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

/// The tool's long description. `skill list --format json` does not carry it
/// (yet), so it is read from `skill run <tool> --help`, whose text before
/// `Usage:` is the summary, a blank line and the description, wrapped by clap;
/// paragraphs are unwrapped here so the terminal width does not matter.
fn description(skill: &Skill, listed: &Value, name: &str, summary: &str) -> String {
    if let Some(description) = listed.get("description").and_then(Value::as_str) {
        return unwrap_paragraphs(description);
    }
    let help = run_ok(skill, &["run", name, "--help"]);
    let head = help.split("\nUsage:").next().unwrap_or_default();
    let text = unwrap_paragraphs(head);
    text.strip_prefix(summary)
        .map(|rest| rest.trim_start().to_owned())
        .unwrap_or(text)
}

fn unwrap_paragraphs(text: &str) -> String {
    text.split("\n\n")
        .map(|p| p.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join("\n\n")
}

fn load_tools(skill: &Skill) -> Vec<Tool> {
    let list = parse(
        "skill list --format json",
        &run_ok(skill, &["list", "--format", "json"]),
    );
    let mut tools: Vec<Tool> = list["tools"]
        .as_array()
        .expect("`tools` array in `skill list --format json`")
        .iter()
        .map(|listed| {
            let name = str_field(listed, "name");
            let summary = str_field(listed, "summary");
            let input = parse("skill schema", &run_ok(skill, &["schema", &name]));
            let output = parse(
                "skill schema --output",
                &run_ok(skill, &["schema", &name, "--output"]),
            );
            Tool {
                description: description(skill, listed, &name, &summary),
                plugin: str_field(listed, "plugin"),
                version: str_field(listed, "version"),
                formats: listed["formats"]
                    .as_array()
                    .map(|f| {
                        f.iter()
                            .filter_map(Value::as_str)
                            .map(str::to_owned)
                            .collect()
                    })
                    .unwrap_or_default(),
                read_only: listed["read_only"].as_bool().unwrap_or(false),
                name,
                summary,
                input,
                output,
            }
        })
        .collect();
    tools.sort_by(|a, b| a.name.cmp(&b.name));
    tools
}

fn properties(schema: &Value) -> Vec<(&String, &Value)> {
    schema
        .get("properties")
        .and_then(Value::as_object)
        .map(|p| p.iter().collect())
        .unwrap_or_default()
}

fn required(schema: &Value) -> Vec<&str> {
    schema
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

fn is_file(property: &Value) -> bool {
    property.get("x-skill-input-file").and_then(Value::as_bool) == Some(true)
}

/// The constant values of an enum-like schema (`enum`, or `oneOf`/`anyOf` of `const`).
fn constants(schema: &Value) -> Option<Vec<Value>> {
    if let Some(Value::Array(values)) = schema.get("enum") {
        return Some(values.clone());
    }
    let branches = schema
        .get("oneOf")
        .or_else(|| schema.get("anyOf"))?
        .as_array()?;
    let mut values = Vec::new();
    for branch in branches {
        if let Some(value) = branch.get("const") {
            values.push(value.clone());
        } else if branch.get("type").and_then(Value::as_str) == Some("null") {
            values.push(Value::Null);
        } else {
            values.extend(constants(branch)?);
        }
    }
    Some(values)
}

/// A short type for a table cell: `string`, `integer or null`, `array of string`,
/// `one of: "a", "b"`.
fn type_text(schema: &Value) -> String {
    if let Some(values) = constants(schema) {
        let values: Vec<String> = values.iter().map(|v| format!("`{v}`")).collect();
        return format!("one of {}", values.join(", "));
    }
    let types: Vec<&str> = match schema.get("type") {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(t)) => t.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    let main: Vec<String> = types
        .iter()
        .filter(|t| **t != "null")
        .map(|t| match *t {
            "array" => match schema.get("items") {
                Some(items) if items.is_object() => format!("array of {}", type_text(items)),
                _ => "array".to_owned(),
            },
            other => other.to_owned(),
        })
        .collect();
    let mut text = if main.is_empty() {
        "any JSON".to_owned()
    } else {
        main.join(" or ")
    };
    if types.contains(&"null") {
        text.push_str(" or null");
    }
    text
}

fn default_text(property: &Value) -> String {
    if property.get("x-skill-default").and_then(Value::as_str) == Some("today") {
        return "today (UTC)".to_owned();
    }
    match property.get("default") {
        Some(value) => format!("`{value}`"),
        None => String::new(),
    }
}

/// Text for one table cell: whitespace collapsed, pipes escaped.
fn cell(text: &str) -> String {
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .replace('|', "\\|")
}

fn doc(schema: &Value) -> String {
    cell(
        schema
            .get("description")
            .and_then(Value::as_str)
            .unwrap_or(""),
    )
}

/// The example input: chosen, from the schema, or made from required properties.
fn example_input(tool: &Tool) -> Option<Value> {
    if let Some(example) = curated_example(&tool.name) {
        return Some(example);
    }
    if let Some(example) = tool
        .input
        .get("examples")
        .and_then(Value::as_array)
        .and_then(|e| e.first())
    {
        return Some(example.clone());
    }
    let mut input = Map::new();
    for (name, property) in properties(&tool.input) {
        if !required(&tool.input).contains(&name.as_str()) {
            continue;
        }
        let value = property
            .get("examples")
            .and_then(Value::as_array)
            .and_then(|e| e.first())
            .or_else(|| property.get("default"))
            .cloned()
            .or_else(|| constants(property).and_then(|c| c.into_iter().next()))?;
        input.insert(name.clone(), value);
    }
    Some(Value::Object(input))
}

/// Single-quotes a shell word when it needs it.
fn shell_word(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_./,:=@%+".contains(&b));
    if plain {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', "'\\''"))
    }
}

/// A flag value for a property whose flag takes plain text, or None when the
/// value is better given through `--input`.
fn flag_value(property: &Value, value: &Value) -> Option<String> {
    let main_type = |schema: &Value| match schema.get("type") {
        Some(Value::String(t)) => Some(t.clone()),
        Some(Value::Array(t)) => t
            .iter()
            .filter_map(Value::as_str)
            .find(|t| *t != "null")
            .map(str::to_owned),
        _ => None,
    };
    let scalar = |v: &Value| match v {
        Value::String(s) if !s.contains(',') => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    };
    match (main_type(property).as_deref(), value) {
        (Some("string"), Value::String(s)) if !s.contains('\n') => Some(s.clone()),
        (Some("integer" | "number"), Value::Number(n)) => Some(n.to_string()),
        (Some("boolean"), Value::Bool(b)) => Some(b.to_string()),
        (Some("array"), Value::Array(items))
            if property
                .get("items")
                .and_then(main_type)
                .is_some_and(|t| matches!(t.as_str(), "string" | "integer" | "number")) =>
        {
            items
                .iter()
                .map(scalar)
                .collect::<Option<Vec<_>>>()
                .map(|v| v.join(","))
        }
        _ => None,
    }
}

/// The `skill run` arguments for an input: one flag per field when every field
/// has a plain-text flag, else the whole input as `--input JSON`.
fn run_args(tool: &Tool, input: &Value) -> Vec<String> {
    let mut args = vec!["run".to_owned(), tool.name.clone()];
    let schema_properties = properties(&tool.input);
    let fields = input.as_object().cloned().unwrap_or_default();
    let flags: Option<Vec<(String, String)>> = fields
        .iter()
        .map(|(name, value)| {
            let property = schema_properties
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, p)| *p)?;
            let long = name.replace('_', "-");
            if !long.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                || ["input", "format", "help"].contains(&long.as_str())
            {
                return None;
            }
            Some((long, flag_value(property, value)?))
        })
        .collect();
    match flags {
        Some(flags) => {
            for (long, value) in flags {
                args.push(format!("--{long}"));
                args.push(value);
            }
        }
        None => {
            args.push("--input".to_owned());
            args.push(input.to_string());
        }
    }
    args.push("--format".to_owned());
    args.push("json".to_owned());
    args
}

/// Shortens a result for the page: at most 2 items per array, 4 keys per
/// nested object, 160 characters per string; each cut says what it left out.
fn abbreviate(value: &Value, depth: usize) -> Value {
    match value {
        Value::String(s) if s.chars().count() > 160 => {
            let kept: String = s.chars().take(160).collect();
            Value::String(format!(
                "{kept}… ({} more characters)",
                s.chars().count() - 160
            ))
        }
        Value::Array(items) => {
            let mut out: Vec<Value> = items
                .iter()
                .take(2)
                .map(|v| abbreviate(v, depth + 1))
                .collect();
            if items.len() > 2 {
                out.push(Value::String(format!("… {} more", items.len() - 2)));
            }
            Value::Array(out)
        }
        Value::Object(map) => {
            let limit = if depth == 0 { usize::MAX } else { 4 };
            let mut out: Map<String, Value> = map
                .iter()
                .take(limit)
                .map(|(k, v)| (k.clone(), abbreviate(v, depth + 1)))
                .collect();
            if map.len() > limit {
                out.insert(
                    "…".to_owned(),
                    Value::String(format!(
                        "{} more key{}",
                        map.len() - limit,
                        if map.len() - limit == 1 { "" } else { "s" }
                    )),
                );
            }
            Value::Object(out)
        }
        other => other.clone(),
    }
}

fn pretty(value: &Value) -> String {
    serde_json::to_string_pretty(value).expect("JSON")
}

/// Runs the example both ways (flags as shown, and the MCP arguments as
/// `--input`), checks they agree, and returns the result.
fn run_example(skill: &Skill, tool: &Tool, input: &Value, args: &[String]) -> Value {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let shown = parse("example result", &run_ok(skill, &args));
    let as_input = input.to_string();
    let via_input = parse(
        "example result via --input",
        &run_ok(
            skill,
            &["run", &tool.name, "--input", &as_input, "--format", "json"],
        ),
    );
    assert_eq!(
        shown, via_input,
        "{}: the example command and its MCP arguments give different results",
        tool.name
    );
    shown
}

fn write_tool(out: &mut String, skill: &Skill, tool: &Tool) {
    let _ = writeln!(out, "## {}\n", tool.name);
    let _ = writeln!(out, "{}\n", tool.summary);
    if !tool.description.is_empty() {
        let _ = writeln!(out, "{}\n", tool.description);
    }
    let _ = writeln!(
        out,
        "Plugin `{}` {}; {}; output formats: {}.\n",
        tool.plugin,
        tool.version,
        if tool.read_only {
            "read-only (changes nothing outside its result)"
        } else {
            "may have effects beyond its result"
        },
        ["json"]
            .iter()
            .map(|f| (*f).to_owned())
            .chain(tool.formats.iter().cloned())
            .map(|f| format!("`{f}`"))
            .collect::<Vec<_>>()
            .join(", ")
    );

    let _ = writeln!(out, "### Input\n");
    let input_doc = doc(&tool.input);
    if !input_doc.is_empty() {
        let _ = writeln!(out, "{input_doc}\n");
    }
    let needed = required(&tool.input);
    let _ = writeln!(
        out,
        "| name | type | required | default | file | description |"
    );
    let _ = writeln!(out, "|---|---|---|---|---|---|");
    for (name, property) in properties(&tool.input) {
        let _ = writeln!(
            out,
            "| `{name}` | {} | {} | {} | {} | {} |",
            cell(&type_text(property)),
            if needed.contains(&name.as_str()) {
                "yes"
            } else {
                "no"
            },
            cell(&default_text(property)),
            if is_file(property) { "yes" } else { "" },
            doc(property),
        );
    }
    let extra = tool.input.get("additionalProperties") == Some(&Value::Bool(false));
    let _ = writeln!(
        out,
        "\n{}Full schema: `skill schema {}`.\n",
        if extra {
            "Other fields are refused. "
        } else {
            ""
        },
        tool.name
    );

    let _ = writeln!(out, "### Output\n");
    let output_doc = doc(&tool.output);
    if !output_doc.is_empty() {
        let _ = writeln!(out, "{output_doc}\n");
    }
    let _ = writeln!(out, "| field | type | always | description |");
    let _ = writeln!(out, "|---|---|---|---|");
    let always = required(&tool.output);
    for (name, property) in properties(&tool.output) {
        let _ = writeln!(
            out,
            "| `{name}` | {} | {} | {} |",
            cell(&type_text(property)),
            if always.contains(&name.as_str()) {
                "yes"
            } else {
                "no"
            },
            doc(property),
        );
    }
    let _ = writeln!(
        out,
        "\nFull schema: `skill schema {} --output`.\n",
        tool.name
    );

    let _ = writeln!(out, "### Example\n");
    let Some(input) = example_input(tool) else {
        let _ = writeln!(
            out,
            "The schema gives no example or default for a required field, so no example is shown.\n"
        );
        return;
    };
    let args = run_args(tool, &input);
    let command: Vec<String> = args.iter().map(|a| shell_word(a)).collect();
    let _ = writeln!(out, "Command line (from the repository root):\n");
    let _ = writeln!(out, "```sh\n\"$SKILL\" {}\n```\n", command.join(" "));
    let _ = writeln!(out, "MCP `tools/call` parameters:\n");
    let _ = writeln!(
        out,
        "```json\n{}\n```\n",
        pretty(&json!({ "name": tool.name, "arguments": input }))
    );
    let result = run_example(skill, tool, &input, &args);
    let _ = writeln!(
        out,
        "Result (`structuredContent` in MCP), abbreviated: arrays cut to 2 items, nested objects to 4 keys, strings to 160 characters:\n"
    );
    let _ = writeln!(out, "```json\n{}\n```\n", pretty(&abbreviate(&result, 0)));
}

/// Generates the whole reference from the real binary.
pub fn tools_reference() -> String {
    let skill = Skill::new();
    let tools = load_tools(&skill);
    let mut out = String::new();
    let _ = writeln!(out, "# Tool reference\n");
    let _ = writeln!(
        out,
        "Generated from the tools' schemas and a real run of each example; do not edit by hand. \
         Refresh with `{REFRESH}` (a test fails when this file differs from the plugins).\n"
    );
    let _ = writeln!(
        out,
        "`$SKILL` is the path of the `skill` binary (e.g. `~/.cargo/bin/skill`). Do not rely on a bare \
         `skill` from `PATH`: on Debian and Ubuntu `/usr/bin/skill` is procps's process-signalling command.\n"
    );
    let _ = writeln!(
        out,
        "Every tool is also served by `skill mcp`, with the same input as the MCP `arguments` and the same \
         output as `structuredContent`. Files are named by path; the host opens them read-only for that one call. \
         An absolute path always works; a relative path resolves against the client's first MCP root when the client \
         offers roots, otherwise against the directory `skill mcp` was started in (on the command line: the current directory).\n"
    );
    for tool in &tools {
        let _ = writeln!(out, "- [`{}`](#{}): {}", tool.name, tool.name, tool.summary);
    }
    out.push('\n');
    for tool in &tools {
        write_tool(&mut out, &skill, tool);
    }
    while out.ends_with("\n\n") {
        out.pop();
    }
    out
}

/// The first line where two texts differ, for a readable failure.
pub fn first_difference(committed: &str, generated: &str) -> String {
    let mut committed_lines = committed.lines();
    let mut generated_lines = generated.lines();
    for number in 1.. {
        match (committed_lines.next(), generated_lines.next()) {
            (None, None) => break,
            (a, b) if a == b => continue,
            (a, b) => {
                return format!(
                    "line {number}:\n  committed: {}\n  generated: {}",
                    a.unwrap_or("<end of file>"),
                    b.unwrap_or("<end of file>")
                );
            }
        }
    }
    "only trailing whitespace differs".to_owned()
}
