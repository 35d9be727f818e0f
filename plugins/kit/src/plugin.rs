//! A plugin: a name, a version and its tools, dispatched by name.

use schemars::JsonSchema;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::__private::types;
use crate::tool::{ErasedTool, Tool, ToolError};

/// A plugin and its tools; build one in the function given to
/// [`export_plugin!`](crate::export_plugin).
pub struct Plugin {
    name: String,
    version: String,
    description: String,
    tools: Vec<Box<dyn ErasedTool>>,
}

impl Plugin {
    /// A plugin named `name` (lowercase, digits and `-`) at `version`.
    pub fn new(name: impl Into<String>, version: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            version: version.into(),
            description: String::new(),
            tools: Vec::new(),
        }
    }

    /// A sentence on what the plugin is for, shown at install time.
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.description = description.into();
        self
    }

    /// Adds a tool.
    pub fn tool<I, O>(mut self, tool: Tool<I, O>) -> Self
    where
        I: DeserializeOwned + JsonSchema + 'static,
        O: Serialize + JsonSchema + 'static,
    {
        self.tools.push(Box::new(tool));
        self
    }

    /// The manifest the plugin describes itself with. The host's build script
    /// reads the first-party ones natively, so no start has to compile a plugin
    /// to ask.
    #[doc(hidden)]
    pub fn manifest(&self) -> types::Manifest {
        types::Manifest {
            name: self.name.clone(),
            version: self.version.clone(),
            contract: crate::CONTRACT_VERSION.to_owned(),
            description: self.description.clone(),
            tools: self.tools.iter().map(|tool| tool.spec()).collect(),
        }
    }

    #[doc(hidden)]
    pub fn invoke(&self, call: types::Invocation) -> Result<types::ToolOutput, types::ToolError> {
        let tool = self
            .tools
            .iter()
            .find(|tool| tool.name() == call.tool)
            .ok_or_else(|| ToolError {
                code: crate::ToolErrorCode::Unsupported,
                message: format!("plugin `{}` has no tool `{}`", self.name, call.tool),
                pointer: None,
            })?;
        tool.invoke(call.input, call.format.as_deref())
            .map_err(types::ToolError::from)
    }
}
