//! Every tool schema compiles under ajv's strict mode with no warning; see the crate docs.

use std::collections::BTreeMap;
use std::io::Write;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::Path;
use std::process::{Command, Stdio};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use skill_pdk::{InputPath, OutputFiles, Plugin, Tool};

/// The first-party plugins, as the host's build script lists them.
const FIRST_PARTY: &[fn() -> Plugin] = &[
    rotation_planner::plugin,
    vault_config::plugin,
    audit_analyzer::plugin,
    emergency_playbook::plugin,
];

/// `{name, schema}` for each tool's input and output schema.
fn schemas(plugin: &Plugin) -> Vec<Value> {
    let manifest = plugin.manifest();
    let parse = |text: &str| -> Value {
        serde_json::from_str(text).expect("the kit writes schemas as JSON")
    };
    manifest
        .tools
        .iter()
        .flat_map(|tool| {
            [
                json!({
                    "name": format!("{}/{} input", manifest.name, tool.name),
                    "schema": parse(&tool.input_schema),
                }),
                json!({
                    "name": format!("{}/{} output", manifest.name, tool.name),
                    "schema": parse(&tool.output_schema),
                }),
            ]
        })
        .collect()
}

/// Runs check.mjs over `entries`; its report on failure.
fn ajv_strict(entries: &[Value]) -> Result<String, String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    assert!(
        dir.join("node_modules/ajv/package.json").is_file()
            && dir.join("node_modules/ajv-formats/package.json").is_file(),
        "ajv is not installed: run `npm ci --prefix plugins/schema-check` (needs Node.js 18+)"
    );
    let mut child = Command::new("node")
        .arg(dir.join("check.mjs"))
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run `node` (Node.js 18+ must be on PATH)");
    let input = serde_json::to_vec(entries).expect("schemas serialize");
    child
        .stdin
        .take()
        .expect("stdin is piped")
        .write_all(&input)
        .expect("write the schemas to node");
    let output = child.wait_with_output().expect("node runs to its end");
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    if output.status.success() && output.stderr.is_empty() {
        Ok(report)
    } else {
        Err(report)
    }
}

#[test]
fn first_party_schemas_pass_ajv_strict() {
    let entries: Vec<Value> = FIRST_PARTY.iter().flat_map(|p| schemas(&p())).collect();
    // 4 plugins, at least one tool each, two schemas per tool.
    assert!(entries.len() >= 8, "only {} schemas", entries.len());
    match ajv_strict(&entries) {
        Ok(report) => assert!(
            report.ends_with(&format!("{} schemas, 0 problems\n", entries.len())),
            "{report}"
        ),
        Err(report) => panic!("ajv (strict) refused first-party schemas:\n{report}"),
    }
}

// The kit's own output, from every kind of type a plugin author may use.

#[derive(Deserialize, JsonSchema)]
#[allow(dead_code)]
struct EveryInput {
    /// Described.
    u8: u8,
    u16: u16,
    u32: u32,
    u64: u64,
    u128: u128,
    usize: usize,
    i8: i8,
    i16: i16,
    i32: i32,
    i64: i64,
    isize: isize,
    f32: f32,
    f64: f64,
    flag: bool,
    ch: char,
    ip: IpAddr,
    ipv4: Ipv4Addr,
    ipv6: Ipv6Addr,
    #[schemars(extend("format" = "date"))]
    date: String,
    #[schemars(regex(pattern = r"^[a-z]+$"), length(min = 1, max = 10))]
    pattern: String,
    #[schemars(range(min = 1, max = 1000))]
    ranged: u32,
    #[serde(default)]
    defaulted: Option<u64>,
    optional: Option<f64>,
    list: Vec<i32>,
    tuple: (u8, String),
    map: BTreeMap<String, u16>,
    nested: Nested,
    unit: Unit,
    tagged: Tagged,
    untagged: Untagged,
    file: InputPath,
    files: Vec<InputPath>,
    #[schemars(extend("x-skill-default" = "today"))]
    as_of: Option<String>,
}

#[derive(Deserialize, Serialize, JsonSchema)]
#[allow(dead_code)]
struct Nested {
    count: u64,
    inner: Option<Box<Nested>>,
}

#[derive(Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
#[allow(dead_code)]
enum Unit {
    One,
    Two,
}

#[derive(Deserialize, Serialize, JsonSchema)]
#[serde(tag = "kind")]
#[allow(dead_code)]
enum Tagged {
    A { value: u8 },
    B { values: Vec<f32> },
}

#[derive(Deserialize, Serialize, JsonSchema)]
#[serde(untagged)]
#[allow(dead_code)]
enum Untagged {
    Number(i64),
    Text(String),
}

#[derive(Serialize, JsonSchema)]
struct EveryOutput {
    total: usize,
    ratio: f64,
    nested: Nested,
    tagged: Tagged,
    maybe: Option<Unit>,
    files: OutputFiles,
}

#[derive(Deserialize, JsonSchema)]
#[schemars(extend("x-skill-parallel" = {"split": "logs", "map": "every", "merge": "states"}))]
#[allow(dead_code)]
struct Parallel {
    logs: Vec<InputPath>,
    states: Vec<u64>,
}

fn every(_: EveryInput) -> Result<EveryOutput, skill_pdk::ToolError> {
    unreachable!("only the schemas are used")
}

fn parallel(_: Parallel) -> Result<EveryOutput, skill_pdk::ToolError> {
    unreachable!("only the schemas are used")
}

#[test]
fn the_kits_output_passes_ajv_strict() {
    let plugin = Plugin::new("every", "0.1.0")
        .tool(Tool::new("every", "Every kind of type.", every))
        .tool(Tool::new("parallel", "A parallel annotation.", parallel));
    let entries = schemas(&plugin);
    match ajv_strict(&entries) {
        Ok(report) => assert!(report.ends_with("4 schemas, 0 problems\n"), "{report}"),
        Err(report) => panic!("ajv (strict) refused the kit's schemas:\n{report}"),
    }
}

/// The check itself is strict: what the kit must never publish is refused.
#[test]
fn ajv_strict_refuses_what_the_kit_must_not_publish() {
    let refused = [
        json!({"type": "integer", "format": "uint64", "minimum": 0}),
        json!({"type": "number", "format": "double"}),
        json!({"type": "integer", "format": "int32"}),
        json!({"type": "string", "x-unknown": true}),
        json!({"type": "string", "x-skill-input-file": "yes"}),
        json!({"type": "object", "properties": {"a": {"type": "string"}}, "unknownKeyword": 1}),
    ];
    for schema in refused {
        let entry = json!({"name": "bad", "schema": schema});
        assert!(
            ajv_strict(&[entry]).is_err(),
            "ajv (strict) accepted {schema}"
        );
    }
    // and accepts the standard formats.
    let formats = json!({"type": "object", "properties": {
        "a": {"type": "string", "format": "date"},
        "b": {"type": "string", "format": "uri"},
        "c": {"type": "string", "format": "iri"},
        "d": {"type": "string", "format": "idn-hostname"},
    }});
    let entry = json!({"name": "standard", "schema": formats});
    if let Err(report) = ajv_strict(&[entry]) {
        panic!("ajv (strict) refused standard formats:\n{report}");
    }
}
