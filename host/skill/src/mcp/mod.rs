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

mod stdio;

use std::sync::Arc;

use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, Implementation,
    ListToolsResult, PaginatedRequestParams, ServerCapabilities, ServerConfig, Tool,
    ToolAnnotations,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer, ServerHandler, ServiceExt};
use serde_json::Value;

use skill_service::catalog::ToolRef;
use skill_service::{Call, Service};

use crate::{Error, Result};

/// What a client is told about this server at connection time.
const INSTRUCTIONS: &str = "Each tool runs in a sandbox and reads only the files its arguments name: pass them by absolute path. Inputs and outputs follow the JSON Schemas listed; a result marked isError says what to fix, with the JSON Pointer of the offending field.";

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
}

impl Server {
    fn new(service: Service) -> Self {
        let tools = service
            .catalog
            .tools()
            .iter()
            .filter_map(|tool| match describe(tool) {
                Ok(described) => Some(described),
                Err(detail) => {
                    // The catalog checked these schemas when it loaded the plugin.
                    tracing::warn!("not serving tool {}: {detail}", tool.spec.name);
                    None
                }
            })
            .collect();
        Self {
            service: Arc::new(service),
            tools: Arc::new(tools),
        }
    }
}

/// A catalog tool as MCP lists it: the schemas exactly as the plugin declared them.
fn describe(tool: &ToolRef<'_>) -> std::result::Result<Tool, String> {
    let spec = tool.spec;
    let schema = |which: &str, text: &str| match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(object)) => Ok(Arc::new(object)),
        Ok(_) => Err(format!("its {which} schema is not an object")),
        Err(error) => Err(format!("its {which} schema is not JSON: {error}")),
    };
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
    Ok(Tool::new(
        spec.name.clone(),
        description,
        schema("input", &spec.input_schema)?,
    )
    .with_title(spec.summary.clone())
    .with_raw_output_schema(schema("output", &spec.output_schema)?)
    .with_annotations(annotations))
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
        let call = Call {
            tool: request.name.into_owned(),
            input: Value::Object(request.arguments.unwrap_or_default()),
            format: None,
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
                .map(|outcome| (outcome.value, outcome.json));
        match outcome {
            // The output object stands on its own (some clients show the model
            // nothing else); the text block is the same JSON, as the plugin wrote
            // it and `skill run --format json` prints it (not serialised again).
            Ok((output, json)) => {
                let mut result = CallToolResult::success(vec![ContentBlock::text(json)]);
                result.structured_content = Some(output);
                Ok(result.into())
            }
            // The request cannot be routed: a protocol error, as the spec asks.
            Err(error @ Error::UnknownTool { .. }) => {
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
