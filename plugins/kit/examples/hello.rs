use skill_pdk::prelude::*;

/// Whom to greet.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct Input {
    /// The name of whoever is greeted.
    name: String,
}

#[derive(Serialize, JsonSchema)]
struct Output {
    /// The greeting.
    greeting: String,
}

fn greet(input: Input) -> Result<Output, ToolError> {
    if input.name.trim().is_empty() {
        return Err(ToolError::invalid_input(
            "/name",
            "the name must not be empty",
        ));
    }
    Ok(Output {
        greeting: format!("Hello, {}!", input.name),
    })
}

fn plugin() -> Plugin {
    let tool = Tool::new("greet", "Greets someone by name.", greet)
        .render("text", |out: &Output| out.greeting.clone());
    Plugin::new("hello", "0.1.0").tool(tool)
}

skill_pdk::export_plugin!(plugin);

#[cfg(test)]
mod tests {
    use serde_json::json;
    use skill_pdk::testing;

    #[test]
    fn greets_within_its_schemas() {
        let output = testing::check(&super::plugin(), "greet", json!({"name": "Ada"}));
        assert_eq!(output, Ok(json!({"greeting": "Hello, Ada!"})));
        let text = testing::render(&super::plugin(), "greet", json!({"name": "Ada"}), "text");
        assert_eq!(text.as_deref(), Ok("Hello, Ada!"));
    }

    #[test]
    fn refuses_an_empty_name() {
        let error = testing::check(&super::plugin(), "greet", json!({"name": " "})).unwrap_err();
        assert!(
            error.contains("the name must not be empty (at `/name`)"),
            "{error}"
        );
    }
}
