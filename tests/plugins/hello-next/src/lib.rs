//! The next version of the kit's `hello` plugin, for the end-to-end tests of
//! upgrades, downgrades, namespaces, renderings over MCP and agent guidance.
//!
//! Against hello 0.1.0: `greet` takes a new input file (`names_file`), so its
//! input schema and its grants change; `farewell` is new, with text and
//! Markdown renderings; it ships guidance for agents.
//!
//! [`VARIANT`] is patched by the tests, as the hostile plugin's persona is:
//! `0` is `hello` 0.2.0, `1` is a plugin named `howdy` whose `greet` has the
//! name of hello's.

use skill_pdk::prelude::*;

skill_pdk::agent_guidance!(include_str!("../GUIDANCE.md"));

/// The byte the tests patch (the last before `;`).
static VARIANT: [u8; 21] = *b"hello-next-variant:0;";

/// Whom to greet.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct GreetInput {
    /// The name of whoever is greeted.
    name: String,
    /// A file of more names to greet, one per line.
    names_file: Option<InputPath>,
}

// Named and described as hello 0.1.0 has it: the output schema stays the same.
#[derive(Serialize, JsonSchema)]
struct Output {
    /// The greeting.
    greeting: String,
}

/// Whom to bid farewell.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct FarewellInput {
    /// The name of whoever leaves.
    name: String,
}

#[derive(Serialize, JsonSchema)]
struct Farewell {
    /// The farewell.
    farewell: String,
}

fn greet(input: GreetInput) -> Result<Output, ToolError> {
    let mut names = vec![input.name];
    if let Some(path) = input.names_file {
        let bytes = host::open_input(&path)?.read_to_end_limited(1 << 20)?;
        let text = String::from_utf8_lossy(&bytes);
        names.extend(
            text.lines()
                .filter(|l| !l.trim().is_empty())
                .map(str::to_owned),
        );
    }
    Ok(Output {
        greeting: format!("Hello, {}!", names.join(", ")),
    })
}

fn farewell(input: FarewellInput) -> Result<Farewell, ToolError> {
    Ok(Farewell {
        farewell: format!("Goodbye, {}.", input.name),
    })
}

fn plugin() -> Plugin {
    let (name, version) = match std::hint::black_box(&VARIANT)[19] {
        b'1' => ("howdy", "0.1.0"),
        _ => ("hello", "0.2.0"),
    };
    let greet = Tool::new("greet", "Greets someone by name.", greet)
        .render("text", |out: &Output| out.greeting.clone());
    let farewell = Tool::new("farewell", "Says goodbye to someone.", farewell)
        .render("text", |out: &Farewell| out.farewell.clone())
        .render("markdown", |out: &Farewell| {
            format!(
                "**{}**",
                skill_pdk::untrusted::markdown_inline(&out.farewell)
            )
        });
    Plugin::new(name, version)
        .description("Greets people and bids them farewell.")
        .tool(greet)
        .tool(farewell)
}

skill_pdk::export_plugin!(plugin);

#[cfg(test)]
mod tests {
    use serde_json::json;
    use skill_pdk::testing;

    #[test]
    fn farewell_renders_within_its_schemas() {
        let output = testing::check(&super::plugin(), "farewell", json!({"name": "Ada"}));
        assert_eq!(output, Ok(json!({"farewell": "Goodbye, Ada."})));
    }
}
