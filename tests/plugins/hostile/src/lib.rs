//! A plugin that misbehaves on purpose, one tool per kind of abuse.
//!
//! Written against the raw contract bindings (not the kit), as a third party
//! in any language could, so that it can also break the contract: return
//! invalid JSON or output its own schema forbids.

use std::hint::black_box;
use std::io::Write;

wit_bindgen::generate!({ path: "../../../plugins/kit/wit/v0.1", world: "plugin" });

use exports::skill::plugin::tools::Guest;
use skill::plugin::types::{ErrorCode, Invocation, Manifest, ToolError, ToolOutput, ToolSpec};

/// Every tool and what it tries.
const TOOLS: &[(&str, &str)] = &[
    ("read-passwd", "Reads /etc/passwd."),
    (
        "read-env",
        "Reads the HOME environment variable and counts the environment.",
    ),
    (
        "open-socket",
        "Opens a TCP connection to 127.0.0.1 on the given port.",
    ),
    (
        "read-clock",
        "Reads the wall clock and insists it is the real time.",
    ),
    ("loop-forever", "Never returns."),
    ("allocate-4gib", "Allocates 4 GiB in 64 MiB pieces."),
    ("recurse", "Recurses without end."),
    ("flood-output", "Writes 1 GiB to stdout."),
    ("panic", "Panics."),
    ("invalid-json", "Returns text that is not JSON."),
    ("violate-schema", "Returns output its own schema forbids."),
    ("echo", "Behaves: returns its message."),
    (
        "produce-files",
        "Produces one file at the path given as its message.",
    ),
    ("sleep", "Sleeps for an hour in a WASI host call."),
    (
        "open-many",
        "Opens its granted file 1,000 times and keeps every handle.",
    ),
];

const INPUT_SCHEMA: &str = r#"{"type":"object","properties":{"message":{"type":"string"},"port":{"type":"integer","minimum":1,"maximum":65535},"file":{"type":"string","x-skill-input-file":true}},"additionalProperties":false}"#;
const FILES_SCHEMA: &str = r#"{"type":"object","properties":{"files":{"type":"array","x-skill-output-files":true,"items":{"type":"object","properties":{"path":{"type":"string"},"content":{"type":"string"}},"required":["path","content"]}}},"required":["files"]}"#;
const OUTPUT_SCHEMA: &str = r#"{"type":"object","properties":{"value":{"type":"string"}},"required":["value"],"additionalProperties":false}"#;

struct Hostile;

fn failed(message: String) -> ToolError {
    ToolError {
        code: ErrorCode::Failed,
        message,
        pointer: None,
    }
}

fn value(text: &str) -> Result<ToolOutput, ToolError> {
    let json = format!("{{\"value\":{}}}", json_string(text));
    Ok(ToolOutput {
        output: json,
        rendered: None,
    })
}

fn json_string(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Reads `"key": <number>` from the input without a JSON parser.
fn number_field(input: &str, key: &str) -> Option<u16> {
    let start = input.find(&format!("\"{key}\""))? + key.len() + 2;
    let rest = input[start..].trim_start().strip_prefix(':')?.trim_start();
    rest.chars()
        .take_while(char::is_ascii_digit)
        .collect::<String>()
        .parse()
        .ok()
}

/// Reads `"key": "<text without quotes or escapes>"` from the input.
fn string_field(input: &str, key: &str) -> Option<String> {
    let start = input.find(&format!("\"{key}\""))? + key.len() + 2;
    let rest = input[start..]
        .trim_start()
        .strip_prefix(':')?
        .trim_start()
        .strip_prefix('"')?;
    Some(rest[..rest.find('"')?].to_owned())
}

// Endless on purpose: the sandbox must stop it at its stack limit.
#[allow(unconditional_recursion)]
fn recurse(depth: u64) -> u64 {
    black_box(recurse(black_box(depth + 1))) + 1
}

impl Guest for Hostile {
    fn describe() -> Manifest {
        Manifest {
            name: "hostile".to_owned(),
            version: "0.1.0".to_owned(),
            contract: "0.1.0".to_owned(),
            description: "Misbehaves on purpose; for sandbox tests only.".to_owned(),
            tools: TOOLS
                .iter()
                .map(|(name, summary)| ToolSpec {
                    name: (*name).to_owned(),
                    summary: (*summary).to_owned(),
                    description: String::new(),
                    input_schema: INPUT_SCHEMA.to_owned(),
                    output_schema: if *name == "produce-files" {
                        FILES_SCHEMA
                    } else {
                        OUTPUT_SCHEMA
                    }
                    .to_owned(),
                    formats: Vec::new(),
                    read_only: true,
                })
                .collect(),
        }
    }

    fn invoke(call: Invocation) -> Result<ToolOutput, ToolError> {
        match call.tool.as_str() {
            "read-passwd" => match std::fs::read_to_string("/etc/passwd") {
                Ok(text) => value(&text),
                Err(error) => Err(failed(format!("reading /etc/passwd failed: {error}"))),
            },
            "read-env" => {
                let count = std::env::vars().count();
                match std::env::var("HOME") {
                    Ok(home) => value(&format!("HOME={home} ({count} variables)")),
                    Err(error) => Err(failed(format!(
                        "reading HOME failed: {error}; {count} variables visible"
                    ))),
                }
            }
            "open-socket" => {
                let port = number_field(&call.input, "port").unwrap_or(9);
                match std::net::TcpStream::connect(("127.0.0.1", port)) {
                    Ok(_) => value("connected"),
                    Err(error) => Err(failed(format!(
                        "connecting to 127.0.0.1:{port} failed: {error}"
                    ))),
                }
            }
            "read-clock" => {
                let now = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_secs())
                    .unwrap_or(0);
                // 2023-11-14: any real clock today is past it.
                if now < 1_700_000_000 {
                    Err(failed(format!(
                        "the wall clock says {now} s since 1970, not the real time"
                    )))
                } else {
                    value(&now.to_string())
                }
            }
            "loop-forever" => loop {
                black_box(());
            },
            "allocate-4gib" => {
                let mut pieces = Vec::new();
                for _ in 0..64 {
                    pieces.push(black_box(vec![1u8; 64 << 20]));
                }
                value(&format!("allocated {} pieces", pieces.len()))
            }
            "recurse" => value(&recurse(0).to_string()),
            "flood-output" => {
                let chunk = vec![b'x'; 1 << 20];
                let mut stdout = std::io::stdout();
                for _ in 0..1024 {
                    if stdout.write_all(&chunk).is_err() {
                        break;
                    }
                }
                value("flooded")
            }
            "panic" => panic!("hostile plugin panicked on purpose"),
            "invalid-json" => Ok(ToolOutput {
                output: "{\"value\": not json".to_owned(),
                rendered: None,
            }),
            "violate-schema" => Ok(ToolOutput {
                output: "{\"value\": 42}".to_owned(),
                rendered: None,
            }),
            "echo" => value("ok"),
            "sleep" => {
                std::thread::sleep(std::time::Duration::from_secs(3600));
                value("woke up")
            }
            "open-many" => {
                let path = string_field(&call.input, "file").unwrap_or_default();
                let mut handles = Vec::new();
                let mut refusal = String::new();
                for _ in 0..1000 {
                    match skill::plugin::host::open_input(&path) {
                        Ok(handle) => handles.push(handle),
                        Err(message) => {
                            refusal = message;
                            break;
                        }
                    }
                }
                value(&format!("opened {}; then: {refusal}", handles.len()))
            }
            "produce-files" => {
                let path = string_field(&call.input, "message").unwrap_or_default();
                let output = format!(
                    "{{\"files\":[{{\"path\":{},\"content\":\"hello\\n\"}}]}}",
                    json_string(&path)
                );
                Ok(ToolOutput {
                    output,
                    rendered: None,
                })
            }
            other => Err(ToolError {
                code: ErrorCode::Unsupported,
                message: format!("no tool {other}"),
                pointer: None,
            }),
        }
    }
}

export!(Hostile);
