//! A plugin whose one tool declares a 112 MB input schema, as a hostile or
//! careless third party could: describing it must cost the host little, and the
//! install must be refused before the user is asked anything.

wit_bindgen::generate!({ path: "../../../plugins/kit/wit/v0.1", world: "plugin" });

use exports::skill::plugin::tools::Guest;
use skill::plugin::types::{Invocation, Manifest, ToolError, ToolOutput, ToolSpec};

struct Huge;

impl Guest for Huge {
    fn describe() -> Manifest {
        let padding = "x".repeat(112 << 20);
        Manifest {
            name: "huge".to_owned(),
            version: "0.1.0".to_owned(),
            contract: "0.1.0".to_owned(),
            description: String::new(),
            tools: vec![ToolSpec {
                name: "huge".to_owned(),
                summary: "Declares a 112 MB schema.".to_owned(),
                description: String::new(),
                input_schema: format!(r#"{{"type":"object","description":"{padding}"}}"#),
                output_schema: r#"{"type":"object"}"#.to_owned(),
                formats: Vec::new(),
                read_only: true,
            }],
        }
    }

    fn invoke(_: Invocation) -> Result<ToolOutput, ToolError> {
        Ok(ToolOutput {
            output: "{}".to_owned(),
            rendered: None,
        })
    }
}

export!(Huge);
