//! One tool call from input to validated output: the path the command line
//! and the MCP server share.
//!
//! Find the tool, fill host defaults, validate the input against the tool's
//! schema, grant the files it names, run it in the sandbox (on all cores for a
//! large input, when the tool says how: see [`crate::parallel`]), validate the
//! output against the declared schema.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use serde_json::Value;

use crate::catalog::{Catalog, ToolRef};
use crate::document::{Document, InPlace};
use crate::error::InputProblem;
use crate::paths::Paths;
use crate::sandbox::{Grant, Invocation, ProgressFn, Sandbox};
use crate::{Error, Result, schema};

/// A request to run a tool.
pub struct Call {
    pub tool: String,
    pub input: Value,
    /// A rendering besides JSON (`text`, `markdown`, or one the tool offers).
    pub format: Option<String>,
}

/// A finished call.
pub struct Outcome {
    pub plugin: String,
    pub tool: String,
    /// The output as the plugin wrote it (compact JSON text), valid against the
    /// tool's output schema.
    pub json: String,
    pub rendered: Option<String>,
}

impl Outcome {
    /// The output as a `serde_json::Value`, for callers that walk it.
    pub fn value(&self) -> Result<Value> {
        serde_json::from_str(&self.json).map_err(|error| not_json(&self.plugin, &self.tool, error))
    }
}

pub struct Service {
    pub sandbox: Sandbox,
    pub catalog: Catalog,
    pub paths: Paths,
    /// Sandboxes one call may run at once on a large input (1: never split).
    /// Unset: one per core, counted once, when a call first can split (reading the
    /// cgroup limits behind that count takes longer than `skill list` itself does).
    pub jobs: OnceLock<usize>,
    schemas: Mutex<HashMap<String, Arc<ToolSchemas>>>,
    /// Held while a large output is parsed and validated (see [`LARGE_OUTPUT`]).
    large_output: Mutex<()>,
}

/// Outputs above this size are parsed and validated one at a time: a parsed copy
/// costs more memory than its text, and the parts of a parallel run finish together.
const LARGE_OUTPUT: usize = 1 << 20;

/// A tool's schemas, compiled on first use and kept for later calls.
pub(crate) struct ToolSchemas {
    pub input: schema::Compiled,
    /// Compiled while the first call runs (see [`Service::execute`]).
    output: OnceLock<std::result::Result<schema::Compiled<InPlace>, String>>,
}

impl ToolSchemas {
    fn output(&self, tool: &ToolRef<'_>) -> Result<&schema::Compiled<InPlace>> {
        self.compile_output(&tool.spec.output_schema)
            .as_ref()
            .map_err(|detail| bad_plugin(tool, detail.clone()))
    }

    /// The output schema `text`, compiled unless it is (or is being) already.
    fn compile_output(
        &self,
        text: &str,
    ) -> &std::result::Result<schema::Compiled<InPlace>, String> {
        self.output.get_or_init(|| {
            let value = serde_json::from_str(text)
                .map_err(|error| format!("its schema is not JSON: {error}"))?;
            schema::Compiled::new(value)
        })
    }
}

impl Service {
    pub fn new(sandbox: Sandbox, paths: Paths) -> Result<Self> {
        let catalog = Catalog::load(&sandbox, &paths)?;
        Ok(Self {
            sandbox,
            catalog,
            paths,
            jobs: OnceLock::new(),
            schemas: Mutex::new(HashMap::new()),
            large_output: Mutex::new(()),
        })
    }

    /// Sandboxes one call may run at once ([`Service::jobs`]).
    pub(crate) fn jobs(&self) -> usize {
        *self
            .jobs
            .get_or_init(|| std::thread::available_parallelism().map_or(1, usize::from))
    }

    pub(crate) fn schemas(&self, tool: &ToolRef<'_>) -> Result<Arc<ToolSchemas>> {
        let mut cache = self
            .schemas
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(schemas) = cache.get(&tool.spec.name) {
            return Ok(Arc::clone(schemas));
        }
        let input = parse_schema(tool, &tool.spec.input_schema)?;
        let schemas = Arc::new(ToolSchemas {
            input: schema::Compiled::new(input).map_err(|detail| bad_plugin(tool, detail))?,
            output: OnceLock::new(),
        });
        cache.insert(tool.spec.name.clone(), Arc::clone(&schemas));
        Ok(schemas)
    }

    /// Runs `call`; `today` (YYYY-MM-DD, UTC) fills `x-skill-default: "today"` fields.
    pub fn run(
        &self,
        call: Call,
        today: &str,
        mut progress: Option<ProgressFn>,
    ) -> Result<Outcome> {
        let tool = self.catalog.get(&call.tool)?;
        let schemas = if self.sandbox.has_head_start() {
            // The engine and the plugin are being set up on another thread (see
            // `HeadStart`); the schemas compile here meanwhile.
            self.schemas(&tool)?
        } else {
            // Setting up the engine and loading the plugin (artifact check, mapping,
            // imports) need no schema: on the helper they overlap compiling them. A
            // failure shows again in `execute`.
            match crate::threads::helper().filter(|_| !tool.entry.is_loaded()) {
                Some(helper) => helper.in_place_scope(|scope| {
                    scope.spawn(|_| drop(tool.entry.load(&self.sandbox)));
                    self.schemas(&tool)
                })?,
                None => self.schemas(&tool)?,
            }
        };
        let input_schema = schemas.input.schema();
        let Value::Object(mut input) = call.input else {
            return Err(invalid(&call.tool, "", "the input must be a JSON object"));
        };
        schema::fill_host_defaults(input_schema, &mut input, today);
        let input = Value::Object(input);
        let problems = schemas.input.problems(&input);
        if !problems.is_empty() {
            return Err(Error::InvalidInput {
                tool: call.tool,
                problems,
            });
        }
        let grants = grant_files(&call.tool, input_schema, &input)?;
        if let Some(format) = &call.format
            && !tool.spec.formats.contains(format)
        {
            return Err(Error::Usage(format!(
                "tool `{}` offers the formats json{}; not `{format}`",
                call.tool,
                tool.spec
                    .formats
                    .iter()
                    .map(|f| format!(", {f}"))
                    .collect::<String>()
            )));
        }

        if let Some(outcome) = self.run_parallel(
            &tool,
            &input,
            &grants,
            call.format.as_deref(),
            &mut progress,
        ) {
            return Ok(outcome);
        }
        self.execute(
            &tool,
            &schemas,
            input.to_string(),
            grants,
            call.format,
            progress,
        )
    }

    /// Runs a tool on an input (JSON text) already validated and granted, and checks
    /// its output.
    pub(crate) fn execute(
        &self,
        tool: &ToolRef<'_>,
        schemas: &Arc<ToolSchemas>,
        input: String,
        grants: Vec<Grant>,
        format: Option<String>,
        progress: Option<ProgressFn>,
    ) -> Result<Outcome> {
        let started = std::time::Instant::now();
        let plugin = tool.entry.load(&self.sandbox)?;
        tracing::debug!(elapsed = ?started.elapsed(), "plugin loaded");
        let invocation = Invocation {
            tool: tool.spec.name.clone(),
            input,
            format,
        };
        let call = invocation.tool.clone();
        let plugin_name = tool.entry.manifest.name.clone();
        // The output schema compiles on the helper while the plugin runs; the
        // check below waits for it. Without a helper the check compiles it.
        if schemas.output.get().is_none()
            && let Some(helper) = crate::threads::helper()
        {
            let schemas = Arc::clone(schemas);
            let text = tool.spec.output_schema.clone();
            helper.spawn(move || {
                schemas.compile_output(&text);
            });
        }
        let outcome = self
            .sandbox
            .invoke(plugin, &plugin_name, &invocation, grants, progress)?;
        tracing::debug!(elapsed = ?started.elapsed(), "plugin returned");
        let _one_at_a_time = (outcome.output.len() > LARGE_OUTPUT).then(|| {
            self.large_output
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
        });

        let output = Document::parse(&outcome.output)
            .map_err(|error| not_json(&plugin_name, &call, error))?;
        tracing::debug!(elapsed = ?started.elapsed(), "output parsed");
        let problems = schemas.output(tool)?.problems(output.root());
        if !problems.is_empty() {
            return Err(Error::BadOutput {
                plugin: plugin_name,
                tool: call,
                detail: format!(
                    "its output does not match its declared schema: {}",
                    problems
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join("; ")
                ),
            });
        }
        // It borrows the text, which the outcome takes next.
        drop(output);
        tracing::debug!(elapsed = ?started.elapsed(), "output validated");
        if invocation.format.is_some() && outcome.rendered.is_none() {
            return Err(Error::BadOutput {
                plugin: plugin_name,
                tool: call,
                detail: "it returned no rendering for the format asked for".to_owned(),
            });
        }
        Ok(Outcome {
            plugin: plugin_name,
            tool: call,
            rendered: outcome.rendered,
            json: outcome.output,
        })
    }
}

/// Checks that each file the input names can be read, and returns the grants.
fn grant_files(tool: &str, input_schema: &Value, input: &Value) -> Result<Vec<Grant>> {
    let mut grants = Vec::new();
    let Some(input) = input.as_object() else {
        return Ok(grants);
    };
    for (pointer, path) in schema::input_files(input_schema, input) {
        match std::fs::metadata(&path) {
            Ok(meta) if meta.is_dir() => {
                return Err(invalid(
                    tool,
                    &pointer,
                    &format!("{path} is a directory, not a file"),
                ));
            }
            Ok(_) => grants.push(Grant::whole(path)),
            Err(error) => {
                return Err(invalid(
                    tool,
                    &pointer,
                    &format!("cannot read {path}: {error}"),
                ));
            }
        }
    }
    Ok(grants)
}

fn parse_schema(tool: &ToolRef<'_>, text: &str) -> Result<Value> {
    serde_json::from_str(text)
        .map_err(|error| bad_plugin(tool, format!("its schema is not JSON: {error}")))
}

fn not_json(plugin: &str, tool: &str, error: impl std::fmt::Display) -> Error {
    Error::BadOutput {
        plugin: plugin.to_owned(),
        tool: tool.to_owned(),
        detail: format!("its output is not valid JSON: {error}"),
    }
}

fn bad_plugin(tool: &ToolRef<'_>, detail: String) -> Error {
    Error::BadOutput {
        plugin: tool.entry.manifest.name.clone(),
        tool: tool.spec.name.clone(),
        detail,
    }
}

fn invalid(tool: &str, pointer: &str, message: &str) -> Error {
    Error::InvalidInput {
        tool: tool.to_owned(),
        problems: vec![InputProblem {
            pointer: pointer.to_owned(),
            message: message.to_owned(),
        }],
    }
}
