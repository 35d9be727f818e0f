//! A well-behaved plugin built against `skill:plugin@9.0.0`, a contract this
//! host does not implement: the host must refuse it before running any of it.

wit_bindgen::generate!({ path: "wit", world: "plugin" });

use exports::skill::plugin::tools::Guest;
use skill::plugin::types::{Invocation, Manifest, ToolError, ToolOutput};

struct Future;

impl Guest for Future {
    fn describe() -> Manifest {
        Manifest {
            name: "future".to_owned(),
            version: "9.0.0".to_owned(),
            contract: "9.0.0".to_owned(),
            description: String::new(),
            tools: Vec::new(),
        }
    }

    fn invoke(_: Invocation) -> Result<ToolOutput, ToolError> {
        Ok(ToolOutput {
            output: "{}".to_owned(),
            rendered: None,
        })
    }
}

export!(Future);
