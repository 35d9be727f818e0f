//! A tool: a typed function with the schemas and renderings derived from its types.

use std::fmt;

use schemars::JsonSchema;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::__private::types;
use crate::schema;

/// What kind of failure a tool reports. The host maps each to an exit status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ToolErrorCode {
    /// The input is wrong in a way its schema could not express (exit status 2).
    InvalidInput,
    /// The tool ran and could not finish (exit status 1).
    Failed,
    /// An unknown tool or rendering was asked for.
    Unsupported,
}

/// A failure a tool reports to its caller: a sentence to act on and, for bad
/// input, the JSON Pointer of the field at fault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolError {
    pub code: ToolErrorCode,
    pub message: String,
    pub pointer: Option<String>,
}

impl ToolError {
    /// Bad input at `pointer` (an RFC 6901 JSON Pointer into the tool's input).
    pub fn invalid_input(pointer: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            code: ToolErrorCode::InvalidInput,
            message: message.into(),
            pointer: Some(pointer.into()),
        }
    }

    /// The tool could not finish.
    pub fn failed(message: impl Into<String>) -> Self {
        Self {
            code: ToolErrorCode::Failed,
            message: message.into(),
            pointer: None,
        }
    }

    fn unsupported(message: impl Into<String>) -> Self {
        Self {
            code: ToolErrorCode::Unsupported,
            message: message.into(),
            pointer: None,
        }
    }
}

impl fmt::Display for ToolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.pointer {
            Some(pointer) => write!(f, "{} (at {pointer})", self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for ToolError {}

impl From<ToolError> for types::ToolError {
    fn from(error: ToolError) -> Self {
        types::ToolError {
            code: match error.code {
                ToolErrorCode::InvalidInput => types::ErrorCode::InvalidInput,
                ToolErrorCode::Failed => types::ErrorCode::Failed,
                ToolErrorCode::Unsupported => types::ErrorCode::Unsupported,
            },
            message: error.message,
            pointer: error.pointer,
        }
    }
}

type RunFn<I, O> = Box<dyn Fn(I) -> Result<O, ToolError>>;
type RenderFn<O> = Box<dyn Fn(&O) -> String>;

/// One tool of a plugin, built from its function; see the crate docs.
pub struct Tool<I, O> {
    name: String,
    summary: String,
    description: String,
    read_only: bool,
    run: RunFn<I, O>,
    renderers: Vec<(String, RenderFn<O>)>,
}

impl<I, O> Tool<I, O>
where
    I: DeserializeOwned + JsonSchema + 'static,
    O: Serialize + JsonSchema + 'static,
{
    /// A tool named `name` (lowercase, digits and `-`) that runs `run`.
    ///
    /// The summary is one line; tools are read-only unless [`Tool::writes`] says otherwise.
    pub fn new(
        name: impl Into<String>,
        summary: impl Into<String>,
        run: impl Fn(I) -> Result<O, ToolError> + 'static,
    ) -> Self {
        Self {
            name: name.into(),
            summary: summary.into(),
            description: String::new(),
            read_only: true,
            run: Box::new(run),
            renderers: Vec::new(),
        }
    }

    /// A paragraph on what the tool does and when to use it.
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.description = description.into();
        self
    }

    /// Declares that the tool changes something outside its own output.
    pub fn writes(mut self) -> Self {
        self.read_only = false;
        self
    }

    /// Offers a rendering of the output, e.g. `"text"`, `"markdown"`, `"csv"`.
    pub fn render(
        mut self,
        format: impl Into<String>,
        render: impl Fn(&O) -> String + 'static,
    ) -> Self {
        self.renderers.push((format.into(), Box::new(render)));
        self
    }
}

/// The type-erased face of a tool that the plugin dispatches to.
pub(crate) trait ErasedTool {
    fn name(&self) -> &str;
    fn spec(&self) -> types::ToolSpec;
    fn invoke(&self, input: String, format: Option<&str>) -> Result<types::ToolOutput, ToolError>;
}

impl<I, O> ErasedTool for Tool<I, O>
where
    I: DeserializeOwned + JsonSchema + 'static,
    O: Serialize + JsonSchema + 'static,
{
    fn name(&self) -> &str {
        &self.name
    }

    fn spec(&self) -> types::ToolSpec {
        types::ToolSpec {
            name: self.name.clone(),
            summary: self.summary.clone(),
            description: self.description.clone(),
            input_schema: schema::input_schema::<I>(),
            output_schema: schema::output_schema::<O>(),
            formats: self
                .renderers
                .iter()
                .map(|(format, _)| format.clone())
                .collect(),
            read_only: self.read_only,
        }
    }

    fn invoke(&self, input: String, format: Option<&str>) -> Result<types::ToolOutput, ToolError> {
        // Fail on an unknown rendering before doing the work.
        let renderer = match format {
            None => None,
            Some(format) => Some(
                self.renderers
                    .iter()
                    .find(|(name, _)| name == format)
                    .map(|(_, render)| render)
                    .ok_or_else(|| {
                        ToolError::unsupported(format!(
                            "tool `{}` has no `{format}` rendering",
                            self.name
                        ))
                    })?,
            ),
        };
        // The text is dropped once parsed: an input of megabytes (merged analysis
        // states) should not stay in memory while the tool works.
        let input: I = serde_json::from_str(&input).map_err(|error| {
            ToolError::invalid_input(
                "",
                format!("input does not match the tool's types: {error}"),
            )
        })?;
        let output = (self.run)(input)?;
        let rendered = renderer.map(|render| render(&output));
        let output = serde_json::to_string(&output).map_err(|error| {
            ToolError::failed(format!("could not serialize the output: {error}"))
        })?;
        Ok(types::ToolOutput { output, rendered })
    }
}
