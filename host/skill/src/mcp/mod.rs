//! `skill mcp`: every tool of every plugin, served over the Model Context
//! Protocol on stdio with the official SDK (`rmcp`).
//!
//! A face over [`Service::run`], like the command line: this module only
//! translates. `tools/list` is the catalog with its schemas as the plugins
//! declared them; `tools/call` is one `Service::run`, whose validation,
//! sandbox and error messages are the CLI's. Invalid input and tool failures
//! come back as `isError` results an agent can read and act on; only a tool
//! that does not exist is a JSON-RPC error. rmcp serves both protocol
//! generations (the `initialize` handshake and the stateless 2026 one);
//! [`stdio`] adds the parse-error answer rmcp leaves out.
//!
//! Relative paths: an argument the input schema marks `x-skill-input-file`
//! that is a relative path resolves against the client's first root (a
//! `file://` URI), when the client offers roots, and otherwise against this
//! server's working directory, as SKILL.md says. Only that argument's value
//! changes (to the absolute path), before the service validates it and grants
//! that one file, so a root widens nothing: the grant is still the file named.
//! The roots come from `roots/list` on a session that began with `initialize`,
//! and from an `input_required` round trip on a 2026 stateless one (which
//! allows no request from server to client).
//!
//! Names: a tool is listed by the name the command line calls it by (see
//! [`skill_service::catalog`]); where several plugins share a tool name, by
//! `plugin_tool`. The spec (2025-11-25, SEP-986) allows `/` in tool names,
//! but clients and model APIs check `^[a-zA-Z0-9_-]{1,64}$`, and `_` is in
//! no plugin or tool name, so `plugin_tool` cannot be mistaken for another.
//! A call may name any tool as `plugin_tool` or `plugin/tool`.
//!
//! Renderings: a tool that offers renderings (text, markdown, …) gets an
//! optional `format` argument, unless its input has a `format` of its own.
//! With it, the text content is the rendering a person sees with `skill run
//! --format`; `structuredContent` is the output object either way.

mod stdio;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ClientResult, ContentBlock,
    Implementation, InputRequest, InputRequests, InputRequiredResult, ListToolsResult,
    PaginatedRequestParams, ProtocolVersion, ServerCapabilities, ServerConfig, ServerRequest, Tool,
    ToolAnnotations,
};
use rmcp::service::{PeerRequestOptions, RequestContext};
use rmcp::{ErrorData, RoleServer, ServerHandler, ServiceExt};
use serde_json::Value;

use skill_service::catalog::ToolRef;
use skill_service::{Call, Service};

use crate::{Error, Result};

/// What a client is told about this server at connection time.
const INSTRUCTIONS: &str = "Each tool runs in a sandbox and reads only the files its arguments name. An absolute path always works; a relative one resolves against the client's first MCP root when the client offers roots, otherwise against the directory this server was started in. Inputs and outputs follow the JSON Schemas listed; a result marked isError says what to fix, with the JSON Pointer of the offending field.";

/// Serves MCP on stdin/stdout until the client closes stdin.
pub fn serve(service: Service) -> Result<()> {
    // One thread runs the protocol; tool calls run on tokio's blocking pool,
    // so a long call does not hold up `tools/list` or other calls.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|error| Error::io("cannot start the MCP server", error))?;
    let result = runtime.block_on(async {
        let server = Server::new(service);
        let running = server
            .serve(stdio::transport())
            .await
            .map_err(|error| Error::Usage(format!("MCP session did not start: {error}")))?;
        let reason = running
            .waiting()
            .await
            .map_err(|error| Error::Usage(format!("MCP session failed: {error}")))?;
        tracing::info!(?reason, "MCP session ended");
        Ok(())
    });
    // A call still running when the client left has no one to answer: do not
    // wait for its sandbox deadline.
    runtime.shutdown_background();
    result
}

/// The MCP handler: the service and its tool list, made once.
#[derive(Clone)]
struct Server {
    service: Arc<Service>,
    tools: Arc<Vec<Tool>>,
    /// Each tool's input schema, by MCP name: where its input files are.
    input_schemas: Arc<HashMap<String, Value>>,
    /// The tools that take the [`FORMAT_ARGUMENT`], by MCP name.
    renders: Arc<std::collections::HashSet<String>>,
}

/// The argument that asks for a rendering as the text content.
const FORMAT_ARGUMENT: &str = "format";

/// Separates plugin and tool in an MCP tool name (see the module's documentation).
const MCP_SEPARATOR: char = '_';

/// The longest tool name every client accepts (Windsurf and others check 64).
const MCP_NAME_LIMIT: usize = 64;

/// A tool's name over MCP, from the name the command line calls it by.
fn mcp_name(address: &str) -> String {
    let name = address.replacen('/', &MCP_SEPARATOR.to_string(), 1);
    if name.len() > MCP_NAME_LIMIT {
        // Only a shared name qualified by a long plugin name gets here.
        tracing::warn!(
            "MCP tool name {name} is longer than {MCP_NAME_LIMIT} characters, which some clients refuse"
        );
    }
    name
}

/// The name the service knows a tool by, from its name over MCP.
fn service_name(mcp_name: &str) -> String {
    mcp_name.replacen(MCP_SEPARATOR, "/", 1)
}

impl Server {
    fn new(service: Service) -> Self {
        let catalog = &service.catalog;
        let named: Vec<_> = catalog
            .tools()
            .into_iter()
            .map(|tool| (mcp_name(&catalog.address(&tool)), tool))
            .collect();
        let tools = named
            .iter()
            .filter_map(|(name, tool)| match describe(tool, name) {
                Ok(described) => Some(described),
                Err(detail) => {
                    // The catalog checked these schemas when it loaded the plugin.
                    tracing::warn!("not serving tool {}: {detail}", tool.spec.name);
                    None
                }
            })
            .collect::<Vec<Tool>>();
        let input_schemas = tools
            .iter()
            .map(|tool| {
                let schema = Value::Object(tool.input_schema.as_ref().clone());
                (tool.name.to_string(), schema)
            })
            .collect();
        let renders = named
            .iter()
            .filter(|(_, tool)| takes_format(tool))
            .map(|(name, _)| name.clone())
            .collect();
        Self {
            service: Arc::new(service),
            tools: Arc::new(tools),
            input_schemas: Arc::new(input_schemas),
            renders: Arc::new(renders),
        }
    }
}

/// Whether a tool gets the [`FORMAT_ARGUMENT`]: it offers renderings, and its
/// input has no property of that name.
fn takes_format(tool: &ToolRef<'_>) -> bool {
    !tool.spec.formats.is_empty()
        && serde_json::from_str::<Value>(&tool.spec.input_schema)
            .ok()
            .and_then(|schema| schema.get("properties")?.get(FORMAT_ARGUMENT).cloned())
            .is_none()
}

/// A catalog tool as MCP lists it under `name`: the schemas as the plugin
/// declared them, with the [`FORMAT_ARGUMENT`] added where it takes one.
fn describe(tool: &ToolRef<'_>, name: &str) -> std::result::Result<Tool, String> {
    let spec = tool.spec;
    let object = |which: &str, text: &str| match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(object)) => Ok(object),
        Ok(_) => Err(format!("its {which} schema is not an object")),
        Err(error) => Err(format!("its {which} schema is not JSON: {error}")),
    };
    let schema = |which: &str, text: &str| object(which, text).map(Arc::new);
    let mut input_schema = object("input", &spec.input_schema)?;
    if takes_format(tool)
        && let Some(Value::Object(properties)) = input_schema.get_mut("properties")
    {
        properties.insert(
            FORMAT_ARGUMENT.to_owned(),
            serde_json::json!({
                "type": "string",
                "enum": spec.formats,
                "description": "Also render the output this way, as a person sees it with `skill run --format`: the rendering becomes the text content; structuredContent is the output object either way.",
            }),
        );
    }
    let description = if spec.description.is_empty() {
        spec.summary.clone()
    } else {
        format!("{}\n\n{}", spec.summary, spec.description)
    };
    // The sandbox gives no plugin a network: no tool reaches an open world.
    let mut annotations = ToolAnnotations::new().open_world(false);
    // Absent is the protocol's "may write", so only a true hint is sent.
    if spec.read_only {
        annotations = annotations.read_only(true);
    }
    Ok(
        Tool::new(name.to_owned(), description, Arc::new(input_schema))
            .with_title(spec.summary.clone())
            .with_raw_output_schema(schema("output", &spec.output_schema)?)
            .with_annotations(annotations),
    )
}

impl ServerHandler for Server {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(
                Implementation::new("skill", env!("CARGO_PKG_VERSION"))
                    .with_description(env!("CARGO_PKG_DESCRIPTION")),
            )
            .with_instructions(INSTRUCTIONS)
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> std::result::Result<ListToolsResult, ErrorData> {
        // A few dozen tools at most: one page, in the catalog's order.
        Ok(ListToolsResult::with_all_items(self.tools.as_ref().clone()))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> std::result::Result<CallToolResponse, ErrorData> {
        let mut arguments = request.arguments.clone().unwrap_or_default();
        let format = if self.renders.contains(request.name.as_ref()) {
            match arguments.remove(FORMAT_ARGUMENT) {
                None => None,
                Some(Value::String(format)) => Some(format),
                Some(other) => {
                    return Ok(CallToolResult::error(vec![ContentBlock::text(format!(
                        "invalid input: at /{FORMAT_ARGUMENT}: expected one of the tool's formats as a string, not {other}"
                    ))])
                    .into());
                }
            }
        } else {
            None
        };
        let mut input = Value::Object(arguments);
        let relative = self
            .input_schemas
            .get(request.name.as_ref())
            .map(|schema| relative_input_files(schema, &input))
            .unwrap_or_default();
        if !relative.is_empty() {
            match roots_base(&request, &context).await {
                Base::Root(root) => {
                    for (pointer, path) in relative {
                        if let Some(value) = input.pointer_mut(&pointer) {
                            *value = Value::String(root.join(path).display().to_string());
                        }
                    }
                }
                Base::WorkingDirectory => {}
                Base::Ask(result) => return Ok(result.into()),
                Base::Failed(why) => {
                    return Ok(CallToolResult::error(vec![ContentBlock::text(format!(
                        "cannot resolve the relative paths in the arguments: {why}; pass absolute paths"
                    ))])
                    .into());
                }
            }
        }
        let call = Call {
            tool: service_name(&request.name),
            input,
            format,
            // Standard input is the MCP session.
            stdin: false,
        };
        let service = Arc::clone(&self.service);
        // Service::run is synchronous and may take seconds (the sandbox's deadline).
        // rmcp cancels this token on the client's `notifications/cancelled`,
        // which stops the plugin wherever it is.
        let cancel = context.ct.clone();
        let outcome =
            tokio::task::spawn_blocking(move || service.run_cancellable(call, None, &cancel))
                .await
                .map_err(|error| {
                    ErrorData::internal_error(format!("the call did not finish: {error}"), None)
                })?
                .map(|outcome| (outcome.value, outcome.rendered.unwrap_or(outcome.json)));
        match outcome {
            // The output object stands on its own (some clients show the model
            // nothing else); the text block is the rendering asked for, else the
            // same JSON, as the plugin wrote it and `skill run --format json`
            // prints it (not serialised again).
            Ok((output, text)) => {
                let mut result = CallToolResult::success(vec![ContentBlock::text(text)]);
                result.structured_content = Some(output);
                Ok(result.into())
            }
            // The request cannot be routed: a protocol error, as the spec asks.
            Err(error @ (Error::UnknownTool { .. } | Error::AmbiguousTool { .. })) => {
                Err(ErrorData::invalid_params(error.to_string(), None))
            }
            // Everything else the caller can act on: the CLI's message, word for word.
            Err(error) => {
                tracing::debug!("tool call failed: {error}");
                Ok(CallToolResult::error(vec![ContentBlock::text(error.to_string())]).into())
            }
        }
    }
}

/// The input files of `input` named by a relative path: `(JSON Pointer, path)`.
fn relative_input_files(schema: &Value, input: &Value) -> Vec<(String, String)> {
    let Some(input) = input.as_object() else {
        return Vec::new();
    };
    skill_service::schema::input_files(schema, input)
        .into_iter()
        .filter(|(_, path)| !path.is_empty() && Path::new(path).is_relative())
        .collect()
}

/// What relative input files resolve against, for one call.
enum Base {
    /// The client's first root.
    Root(PathBuf),
    /// The client offers no roots (or an empty list): the server's directory.
    WorkingDirectory,
    /// A stateless (2026) client must be asked for its roots first.
    Ask(InputRequiredResult),
    /// The client offers roots but did not give a usable one.
    Failed(String),
}

/// The key of the roots request in an `input_required` round trip.
const ROOTS_INPUT: &str = "roots";

/// How long a client may take to list its roots.
const ROOTS_TIMEOUT: Duration = Duration::from_secs(10);

/// Finds the base for relative input files (see the module's documentation).
// Roots are deprecated by SEP-2577 in favour of other means, but they are what
// the clients offer today, and rmcp still serves them.
#[allow(deprecated)]
async fn roots_base(request: &CallToolRequestParams, context: &RequestContext<RoleServer>) -> Base {
    use rmcp::model::{ListRootsRequest, ListRootsResult};
    // The answer to our `input_required` (a 2026 client's retry).
    if let Some(answer) = request
        .input_responses
        .as_ref()
        .and_then(|responses| responses.get(ROOTS_INPUT))
    {
        return match serde_json::from_value::<ListRootsResult>(answer.clone()) {
            Ok(list) => first_root(&list),
            Err(error) => {
                Base::Failed(format!("the roots sent back are not a roots list: {error}"))
            }
        };
    }
    let offers_roots = context
        .client_capabilities()
        .is_some_and(|capabilities| capabilities.roots.is_some());
    if !offers_roots {
        return Base::WorkingDirectory;
    }
    let stateless = context
        .protocol_version()
        .is_some_and(|version| version >= ProtocolVersion::V_2026_07_28);
    if stateless {
        let ask = InputRequests::from([(
            ROOTS_INPUT.to_owned(),
            InputRequest::ListRoots(ListRootsRequest::default()),
        )]);
        return Base::Ask(InputRequiredResult::from_input_requests(ask));
    }
    let sent = context
        .peer
        .send_request_with_option(
            ServerRequest::ListRootsRequest(ListRootsRequest::default()),
            PeerRequestOptions::with_timeout(ROOTS_TIMEOUT),
        )
        .await;
    match sent {
        Ok(handle) => match handle.await_response().await {
            Ok(ClientResult::ListRootsResult(list)) => first_root(&list),
            Ok(_) => Base::Failed("the client answered roots/list with something else".to_owned()),
            Err(error) => Base::Failed(format!("the client did not list its roots: {error}")),
        },
        Err(error) => Base::Failed(format!("cannot ask the client for its roots: {error}")),
    }
}

#[allow(deprecated)]
fn first_root(list: &rmcp::model::ListRootsResult) -> Base {
    match list.roots.first() {
        None => Base::WorkingDirectory,
        Some(root) => match file_uri_path(&root.uri) {
            Some(path) => Base::Root(path),
            None => Base::Failed(format!(
                "the first root, {:?}, is not a local file:// URI",
                root.uri
            )),
        },
    }
}

/// The absolute path a `file://` URI names (RFC 8089: an empty host or
/// `localhost`, the path percent-encoded).
fn file_uri_path(uri: &str) -> Option<PathBuf> {
    let scheme = uri.get(..7)?;
    if !scheme.eq_ignore_ascii_case("file://") {
        return None;
    }
    let rest = &uri[7..];
    let slash = rest.find('/')?;
    let (host, path) = rest.split_at(slash);
    if !(host.is_empty() || host.eq_ignore_ascii_case("localhost")) {
        return None;
    }
    // No query or fragment in a root.
    let path = path.split(['?', '#']).next().unwrap_or(path);
    let mut bytes = Vec::with_capacity(path.len());
    let mut rest = path.as_bytes();
    while let Some((&byte, tail)) = rest.split_first() {
        if byte == b'%' {
            let hex = std::str::from_utf8(tail.get(..2)?).ok()?;
            bytes.push(u8::from_str_radix(hex, 16).ok()?);
            rest = &tail[2..];
        } else {
            bytes.push(byte);
            rest = tail;
        }
    }
    let path = PathBuf::from(String::from_utf8(bytes).ok()?);
    path.is_absolute().then_some(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_uris_become_paths() {
        assert_eq!(
            file_uri_path("file:///home/a/my%20project"),
            Some(PathBuf::from("/home/a/my project"))
        );
        assert_eq!(
            file_uri_path("FILE://localhost/srv/x"),
            Some(PathBuf::from("/srv/x"))
        );
        assert_eq!(file_uri_path("file://server/share"), None);
        assert_eq!(file_uri_path("https://example.com/x"), None);
        assert_eq!(file_uri_path("file:///bad%2"), None);
        assert_eq!(file_uri_path("file:///%ff"), None);
    }

    #[test]
    fn only_relative_input_files_are_resolved() {
        let schema = serde_json::json!({
            "type": "object",
            "properties": {
                "logs": {"type": "array", "items": {"type": "string", "x-skill-input-file": true}},
                "policy": {"type": "string", "x-skill-input-file": true},
                "name": {"type": "string"}
            }
        });
        let input = serde_json::json!({
            "logs": ["a.log", "/abs/b.log"], "policy": "p/x.hcl", "name": "rel"
        });
        assert_eq!(
            relative_input_files(&schema, &input),
            vec![
                ("/logs/0".to_owned(), "a.log".to_owned()),
                ("/policy".to_owned(), "p/x.hcl".to_owned())
            ]
        );
    }
}
