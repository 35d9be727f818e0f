//! One tool call from input to validated output: the path the command line
//! and the MCP server share.
//!
//! Find the tool, fill host defaults, validate the input against the tool's
//! schema, grant the files it names, run it in the sandbox (on all cores for a
//! large input, when the tool says how: see [`crate::parallel`]), validate the
//! output against the declared schema.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use serde_json::{Map, Value};
use skill_runtime::{
    CancellationToken, CompiledCache, Grant, Invocation, Limits, ProgressFn, Runtime,
};

use crate::catalog::{Catalog, ToolRef};
use crate::error::InputProblem;
use crate::install;
use crate::parallel::{self, PartProgress, Split};
use crate::paths::Paths;
use crate::{Error, Result, schema};

/// How a service is set up: where its files are, the limits of every call,
/// and how many sandboxes one call may run at once.
#[derive(Debug, Clone)]
pub struct Settings {
    pub paths: Paths,
    pub limits: Limits,
    /// Sandboxes one call may run at once on a large input (1: never split).
    /// `None`: one per core.
    pub jobs: Option<usize>,
    /// Plugin files served for this process only, not installed
    /// (`--plugin FILE.wasm`; see [`crate::catalog`]).
    pub dev_plugins: Vec<std::path::PathBuf>,
}

/// A request to run a tool.
pub struct Call {
    pub tool: String,
    pub input: Value,
    /// A rendering besides JSON (`text`, `markdown`, or one the tool offers).
    pub format: Option<String>,
    /// An input file given as `-` may be read from this process's standard input:
    /// true for the command line when `--input -` did not take it, never for MCP,
    /// whose standard input is the session.
    pub stdin: bool,
}

/// A finished call.
pub struct Outcome {
    pub plugin: String,
    pub tool: String,
    /// The output as the plugin wrote it (compact JSON text), valid against the
    /// tool's output schema.
    pub json: String,
    /// The same output, parsed.
    pub value: Value,
    pub rendered: Option<String>,
}

pub struct Service {
    runtime: Runtime,
    pub catalog: Catalog,
    pub paths: Paths,
    jobs: OnceLock<usize>,
    schemas: Mutex<HashMap<String, Arc<ToolSchemas>>>,
    /// Held while a large output is parsed and validated (see [`LARGE_OUTPUT`]).
    large_output: Mutex<()>,
}

/// Outputs above this size are parsed and validated one at a time: a parsed copy
/// costs more memory than its text, and the parts of a parallel run finish together.
const LARGE_OUTPUT: usize = 1 << 20;

/// One call's tool, its schemas, and what cancels it.
struct Run<'a> {
    tool: &'a ToolRef<'a>,
    schemas: &'a ToolSchemas,
    cancel: &'a CancellationToken,
}

/// A tool's schemas, compiled on first use and kept for later calls.
struct ToolSchemas {
    input: schema::Compiled,
    output: schema::Compiled,
}

impl Service {
    /// The sandbox and the catalog of every first-party and installed plugin.
    pub fn open(settings: Settings) -> Result<Self> {
        let runtime = Runtime::new(
            settings.limits,
            CompiledCache::new(settings.paths.compiled()),
        )?;
        let catalog = Catalog::load(
            &runtime,
            &settings.paths.plugins,
            &settings.paths.cache,
            &settings.dev_plugins,
        )?;
        let jobs = OnceLock::new();
        if let Some(count) = settings.jobs {
            let _ = jobs.set(count.max(1));
        }
        Ok(Self {
            runtime,
            catalog,
            paths: settings.paths,
            jobs,
            schemas: Mutex::new(HashMap::new()),
            large_output: Mutex::new(()),
        })
    }

    /// What the plugin in `wasm` would be if installed (see [`install::inspect`]).
    pub fn inspect(&self, label: &str, wasm: &[u8]) -> Result<install::Inspected> {
        install::inspect(&self.runtime, label, wasm)
    }

    /// Sandboxes one call may run at once, counted when first needed.
    fn jobs(&self) -> usize {
        *self
            .jobs
            .get_or_init(|| std::thread::available_parallelism().map_or(1, usize::from))
    }

    fn schemas(&self, tool: &ToolRef<'_>) -> Result<Arc<ToolSchemas>> {
        let mut cache = self.schemas.lock().unwrap_or_else(PoisonError::into_inner);
        // Two plugins may each have a tool of this name.
        let key = tool.qualified();
        if let Some(schemas) = cache.get(&key) {
            return Ok(Arc::clone(schemas));
        }
        let compile = |text: &str| {
            serde_json::from_str(text)
                .map_err(|error| format!("its schema is not JSON: {error}"))
                .and_then(schema::Compiled::new)
                .map_err(|detail| bad_plugin(tool, detail))
        };
        let schemas = Arc::new(ToolSchemas {
            input: compile(&tool.spec.input_schema)?,
            output: compile(&tool.spec.output_schema)?,
        });
        cache.insert(key, Arc::clone(&schemas));
        Ok(schemas)
    }

    /// Runs `call`. Fields marked `x-skill-default: "today"` that the call
    /// leaves out get today's date in UTC.
    pub fn run(&self, call: Call, progress: Option<ProgressFn>) -> Result<Outcome> {
        self.run_cancellable(call, progress, &CancellationToken::new())
    }

    /// Runs `call` until it ends or `cancel` is cancelled (see [`Service::run`]).
    pub fn run_cancellable(
        &self,
        call: Call,
        mut progress: Option<ProgressFn>,
        cancel: &CancellationToken,
    ) -> Result<Outcome> {
        let tool = self.catalog.get(&call.tool)?;
        let schemas = self.schemas(&tool)?;
        let input_schema = schemas.input.schema();
        let Value::Object(mut input) = call.input else {
            return Err(invalid(&call.tool, "", "the input must be a JSON object"));
        };
        schema::fill_host_defaults(input_schema, &mut input, &today_utc());
        let input = Value::Object(input);
        let problems = schemas.input.problems(&input);
        if !problems.is_empty() {
            return Err(Error::InvalidInput {
                tool: call.tool,
                problems,
            });
        }
        let grants = grant_files(&call.tool, input_schema, &input, call.stdin)?;
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

        let run = Run {
            tool: &tool,
            schemas: &schemas,
            cancel,
        };
        if let Some(outcome) =
            self.run_parallel(&run, &input, &grants, call.format.as_deref(), &mut progress)
        {
            return Ok(outcome);
        }
        self.execute(&run, input.to_string(), grants, call.format, progress)
    }

    /// Runs a tool on an input (JSON text) already validated and granted, and checks
    /// its output.
    fn execute(
        &self,
        run: &Run<'_>,
        input: String,
        grants: Vec<Grant>,
        format: Option<String>,
        progress: Option<ProgressFn>,
    ) -> Result<Outcome> {
        let Run {
            tool,
            schemas,
            cancel,
        } = run;
        let plugin = tool.entry.load(&self.runtime)?;
        let invocation = Invocation {
            tool: tool.spec.name.clone(),
            input,
            format,
        };
        let plugin_name = &tool.entry.manifest.name;
        let output =
            self.runtime
                .invoke(plugin, plugin_name, &invocation, grants, progress, cancel)?;
        let _one_at_a_time = (output.output.len() > LARGE_OUTPUT).then(|| {
            self.large_output
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
        });
        let broke_contract = |detail: String| Error::BadOutput {
            plugin: plugin_name.clone(),
            tool: invocation.tool.clone(),
            detail,
        };
        let value: Value = serde_json::from_str(&output.output)
            .map_err(|error| broke_contract(format!("its output is not valid JSON: {error}")))?;
        let problems = schemas.output.problems(&value);
        if !problems.is_empty() {
            return Err(broke_contract(format!(
                "its output does not match its declared schema: {}",
                problems
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("; ")
            )));
        }
        if invocation.format.is_some() && output.rendered.is_none() {
            return Err(broke_contract(
                "it returned no rendering for the format asked for".to_owned(),
            ));
        }
        Ok(Outcome {
            plugin: plugin_name.clone(),
            tool: invocation.tool,
            json: output.output,
            value,
            // A rendering nobody asked for is dropped: the caller wanted the
            // output object, and the plugin's text must not stand in for it.
            rendered: output.rendered.filter(|_| invocation.format.is_some()),
        })
    }

    /// Runs the call on all cores when the tool allows it and the input is large;
    /// `None` means "run it in one pass" (not worth it, or the parallel run failed).
    fn run_parallel(
        &self,
        run: &Run<'_>,
        input: &Value,
        grants: &[Grant],
        format: Option<&str>,
        progress: &mut Option<ProgressFn>,
    ) -> Option<Outcome> {
        let Run { tool, schemas, .. } = run;
        let split = Split::of(schemas.input.schema())?;
        if grants.iter().any(|grant| grant.stdin) {
            return None; // a stream cannot be cut at byte offsets
        }
        let input = input.as_object()?;
        if input.contains_key(&split.merge) {
            return None; // the caller merges states already
        }
        let paths: Vec<String> = input
            .get(&split.split)?
            .as_array()?
            .iter()
            .map(|v| v.as_str().map(str::to_owned))
            .collect::<Option<_>>()?;
        // Only files this call grants anyway may be cut: `split` must name an
        // `x-skill-input-file` property, whatever the annotation claims.
        if !paths.iter().all(|p| grants.iter().any(|g| g.path == *p)) {
            tracing::debug!(tool = %tool.spec.name, "{} names a property that is not input files", parallel::ANNOTATION);
            return None;
        }
        let parts = match parallel::plan(&paths, self.jobs()) {
            Ok(Some(parts)) => parts,
            Ok(None) => return None,
            Err(error) => {
                tracing::debug!(%error, "cannot plan a parallel run");
                return None;
            }
        };
        tracing::debug!(parts = parts.len(), tool = %tool.spec.name, "parallel run");
        let shared = progress.take().map(|p| Arc::new(Mutex::new(p)));
        let result =
            self.map_and_merge(run, &split, input, grants, &parts, format, shared.as_ref());
        if let Some(shared) = shared {
            // Every map call has ended, so this is the last reference.
            *progress = Arc::into_inner(shared)
                .map(|m| m.into_inner().unwrap_or_else(PoisonError::into_inner));
        }
        match result {
            Ok(outcome) => {
                tracing::debug!(tool = %tool.spec.name, "parallel run merged");
                Some(outcome)
            }
            Err(error) => {
                tracing::info!(%error, "parallel run failed; reading the input in one pass");
                None
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn map_and_merge(
        &self,
        run: &Run<'_>,
        split: &Split,
        input: &Map<String, Value>,
        grants: &[Grant],
        parts: &[parallel::Part],
        format: Option<&str>,
        progress: Option<&Arc<Mutex<ProgressFn>>>,
    ) -> Result<Outcome> {
        let tool = run.tool;
        // The map tool is the same plugin's, whatever other plugins call theirs.
        let map_tool = self
            .catalog
            .get(&format!("{}/{}", tool.entry.manifest.name, split.map))?;
        let map_schemas = self.schemas(&map_tool)?;
        let map_run = Run {
            tool: &map_tool,
            schemas: &map_schemas,
            cancel: run.cancel,
        };
        let map_input =
            parallel::shared_properties(input, map_schemas.input.schema(), &split.split);
        let tracker = progress.map(|p| PartProgress::new(p, parts));

        let next = AtomicUsize::new(0);
        let failed = AtomicBool::new(false);
        let results: Vec<Mutex<Option<Result<String>>>> =
            parts.iter().map(|_| Mutex::new(None)).collect();
        std::thread::scope(|scope| {
            for _ in 0..self.jobs().min(parts.len()) {
                scope.spawn(|| {
                    while !failed.load(Ordering::Relaxed) {
                        let index = next.fetch_add(1, Ordering::Relaxed);
                        let Some(part) = parts.get(index) else { break };
                        let mut part_input = map_input.clone();
                        part_input.insert(
                            split.split.clone(),
                            Value::Array(vec![Value::String(part.path.clone())]),
                        );
                        let grant = Grant {
                            path: part.path.clone(),
                            range: Some(part.range.clone()),
                            stdin: false,
                        };
                        let result = self
                            .execute(
                                &map_run,
                                Value::Object(part_input).to_string(),
                                vec![grant],
                                None,
                                tracker.as_ref().map(|t| t.callback(index)),
                            )
                            .map(|outcome| outcome.json);
                        failed.fetch_or(result.is_err(), Ordering::Relaxed);
                        *results[index]
                            .lock()
                            .unwrap_or_else(PoisonError::into_inner) = Some(result);
                    }
                });
            }
        });
        let mut states = Vec::with_capacity(parts.len());
        for (part, slot) in parts.iter().zip(results) {
            match slot.into_inner().unwrap_or_else(PoisonError::into_inner) {
                Some(Ok(state)) => states.push(state),
                Some(Err(error)) => return Err(error),
                None => {
                    return Err(Error::Usage(format!(
                        "part {:?} of {} was not read",
                        part.range, part.path
                    )));
                }
            }
        }

        // Everything but the states was validated with the call; each state against
        // the map tool's output schema.
        self.execute(
            run,
            parallel::merge_input(input, &split.merge, states),
            grants.to_vec(),
            format.map(str::to_owned),
            None,
        )
    }
}

/// Today's date in UTC, `YYYY-MM-DD`: the default for inputs marked
/// `x-skill-default: "today"`. Plugins never read a clock.
pub fn today_utc() -> String {
    let today = time::OffsetDateTime::now_utc().date();
    format!(
        "{:04}-{:02}-{:02}",
        today.year(),
        u8::from(today.month()),
        today.day()
    )
}

/// The name that stands for standard input among input files.
const STDIN: &str = "-";

/// Checks that each file the input names is a regular file that can be read,
/// and returns the grants. A FIFO or a device is refused here, with the
/// field's pointer: reading one could block or never end. `-` is standard
/// input, once per call, when `stdin` allows it (`./-` names a file called `-`).
fn grant_files(tool: &str, input_schema: &Value, input: &Value, stdin: bool) -> Result<Vec<Grant>> {
    let mut grants = Vec::new();
    let Some(input) = input.as_object() else {
        return Ok(grants);
    };
    let mut stdin_at: Option<String> = None;
    for (pointer, path) in schema::input_files(input_schema, input) {
        if path == STDIN {
            let refusal = match &stdin_at {
                _ if !stdin => "`-` is standard input, which this call cannot read (it carries \
                                the MCP session or --input); give a file"
                    .to_owned(),
                Some(first) => format!("standard input is read once, and {first} is `-` already"),
                None => {
                    grants.push(Grant::stdin(STDIN));
                    stdin_at = Some(pointer);
                    continue;
                }
            };
            return Err(invalid(tool, &pointer, &refusal));
        }
        let shown = crate::read::shown(std::path::Path::new(&path));
        let refusal = match std::fs::metadata(&path) {
            Ok(meta) if meta.is_file() => {
                grants.push(Grant::whole(path));
                continue;
            }
            Ok(meta) if meta.is_dir() => format!("{shown} is a directory, not a file"),
            Ok(_) => format!(
                "{shown} is not a regular file (a pipe or a device); only regular files are read"
            ),
            Err(error) => format!("cannot read {shown}: {error}"),
        };
        return Err(invalid(tool, &pointer, &refusal));
    }
    Ok(grants)
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Calls run on other threads (MCP), so the service must be shareable.
    #[test]
    fn service_is_send_and_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<Service>();
    }
}
