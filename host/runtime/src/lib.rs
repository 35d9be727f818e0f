//! The sandbox of `skill`: a wasmtime engine that runs plugin components with
//! nothing granted but what the contract names, under per-call limits.
//!
//! Every call gets a fresh store: fresh memory, no state carried between calls,
//! WASI with no filesystem, environment, sockets or arguments, a clock stuck at
//! the Unix epoch and a fixed random seed (so outputs are reproducible), and
//! bounded stdout/stderr captured for diagnostics. Limits: total memory through
//! [`limits::TotalMemoryLimiter`], the wasm stack, output size, and a wall-clock
//! deadline that ends a call whatever it is doing: calls run as futures, the
//! plugin yields at every epoch tick, and a call past its deadline (or
//! cancelled) is dropped, also while it waits in a host call.
//!
//! This crate knows no command line, MCP or catalog: it loads components and
//! calls them. Modules, each with one job:
//! - [`contract`]: which contract versions this host runs, with one binding
//!   module per version under `bindings/`;
//! - [`limits`]: the per-call limits and the memory limiter;
//! - [`cache`]: compiled components on disk, keyed by content and engine;
//! - `precompiled`: the one place that loads precompiled code (`unsafe`);
//! - `state` and `input`: the host imports a call's store implements.

mod bindings;
pub mod cache;
pub mod contract;
mod error;
mod input;
pub mod limits;
mod precompiled;
mod state;

use std::time::Duration;

use wasmtime::component::Linker;
use wasmtime::{Config, Engine, Store, Trap};

pub use bindings::v0_1::types::{ErrorCode, Invocation, Manifest, ToolError, ToolOutput, ToolSpec};
pub use cache::CompiledCache;
pub use error::{Error, LimitKind, Result};
pub use input::Grant;
pub use limits::Limits;
pub use state::{Progress, ProgressFn};
/// Cancels a call from another thread (an MCP client's `notifications/cancelled`).
pub use tokio_util::sync::CancellationToken;

use bindings::v0_1::{Plugin as PluginBindings, PluginPre};
use state::CallState;

/// How often the engine's epoch advances; a running plugin yields at each tick,
/// so a call's deadline and cancellation are seen within one.
const EPOCH_TICK: Duration = Duration::from_millis(10);
/// The memory a plugin may use to describe itself: a manifest is names, texts
/// and schemas, and a plugin must not make every listing of tools expensive.
const DESCRIBE_MEMORY: u64 = 64 << 20;

/// Native stack for host functions above the wasm stack, on a call's own stack.
const HOST_STACK: usize = 1 << 20;

/// How a call ended.
enum Ended<T> {
    Returned(wasmtime::Result<T>),
    TimedOut,
    Cancelled,
}

/// The engine settings every plugin is compiled and run with. The build
/// precompiles first-party plugins with exactly these, so their code loads
/// without compiling; `Component::deserialize` refuses code made otherwise.
pub fn engine_config() -> Config {
    let mut config = Config::new();
    // Compiled code polls an epoch counter, so a call past its deadline traps
    // and the process (a long-lived MCP server, too) goes on.
    config.epoch_interruption(true);
    // Relaxed SIMD may differ between machines; outputs must not.
    config.relaxed_simd_deterministic(true);
    config
}

/// A plugin's code: how messages name it, its bytes and their SHA-256, and its
/// compiled code if it was made ahead of time (see [`precompile`]).
#[derive(Clone, Copy)]
pub struct PluginCode<'a> {
    pub label: &'a str,
    pub wasm: &'a [u8],
    pub sha256: &'a str,
    pub precompiled: Option<&'a [u8]>,
}

/// Compiles `wasm` ahead of time with [`engine_config`], for [`PluginCode::precompiled`].
pub fn precompile(wasm: &[u8]) -> wasmtime::Result<Vec<u8>> {
    Engine::new(&engine_config())?.precompile_component(wasm)
}

/// A compiled plugin, checked against the contract, ready to instantiate.
pub struct Plugin {
    /// How messages name the plugin before its manifest is known (file name or plugin name).
    pub label: String,
    /// The component's imports (`wasi:cli/environment@0.2.6`, ...): what it could ask for.
    pub imports: Vec<String>,
    pre: PluginPre<CallState>,
}

/// The engine and linker shared by all calls, and the limits each call gets.
pub struct Runtime {
    engine: Engine,
    linker: Linker<CallState>,
    limits: Limits,
    cache: CompiledCache,
}

impl Runtime {
    /// An engine for `limits` that keeps compiled code in `cache`, with the
    /// thread that advances its epoch for as long as it lives.
    pub fn new(limits: Limits, cache: CompiledCache) -> Result<Self> {
        let mut config = engine_config();
        config.max_wasm_stack(limits.stack_bytes);
        // Calls run on stacks of their own; host functions get what is left
        // above the wasm stack.
        config.async_stack_size(limits.stack_bytes + HOST_STACK);
        let engine = Engine::new(&config).map_err(|error| Error::Setup {
            part: "engine",
            detail: format!("{error:#}"),
        })?;
        spawn_epoch_ticker(&engine)?;
        let mut linker = Linker::new(&engine);
        let link_error = |error: wasmtime::Error| Error::Setup {
            part: "linker",
            detail: format!("{error:#}"),
        };
        // Rust's wasip2 std imports WASI whether a plugin uses it or not; it is
        // linked with nothing granted behind it.
        wasmtime_wasi::p2::add_to_linker_async(&mut linker).map_err(link_error)?;
        PluginBindings::add_to_linker::<CallState, wasmtime::component::HasSelf<CallState>>(
            &mut linker,
            |state| state,
        )
        .map_err(link_error)?;
        Ok(Self {
            engine,
            linker,
            limits,
            cache,
        })
    }

    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Loads `code` (its precompiled code, else from the cache, else compiled),
    /// checks its contract version and resolves its imports; nothing of the
    /// plugin runs yet.
    pub fn load(&self, code: PluginCode<'_>) -> Result<Plugin> {
        let label = code.label;
        let component = match code
            .precompiled
            .and_then(|bytes| precompiled::component(&self.engine, label, bytes))
        {
            Some(component) => component,
            None => self
                .cache
                .load(&self.engine, label, code.wasm, code.sha256)?,
        };
        contract::check(&component, &self.engine, label)?;
        let imports = component
            .component_type()
            .imports(&self.engine)
            .map(|(name, _)| name.to_owned())
            .collect();
        let load_error = |detail: String| Error::Load {
            plugin: label.to_owned(),
            detail,
        };
        let pre = self.linker.instantiate_pre(&component).map_err(|error| {
            load_error(format!(
                "it needs an import this host does not offer: {error:#}"
            ))
        })?;
        let pre = PluginPre::new(pre).map_err(|error| load_error(format!("{error:#}")))?;
        Ok(Plugin {
            label: label.to_owned(),
            imports,
            pre,
        })
    }

    /// Asks the plugin to describe itself, with at most [`DESCRIBE_MEMORY`].
    pub fn describe(&self, plugin: &Plugin) -> Result<Manifest> {
        let memory = self.limits.memory_bytes.min(DESCRIBE_MEMORY);
        let mut store = self.store(memory, Vec::new(), None);
        let ended = self.drive(&mut store, &CancellationToken::new(), async |store| {
            let instance = plugin.pre.instantiate_async(&mut *store).await?;
            instance
                .skill_plugin_tools()
                .call_describe(&mut *store)
                .await
        })?;
        self.ended(&store, ended, &plugin.label, "describe")
    }

    /// Runs one tool; `grants` are the files the plugin may open for this call.
    /// The call ends by its deadline, or when `cancel` is cancelled.
    pub fn invoke(
        &self,
        plugin: &Plugin,
        plugin_name: &str,
        call: &Invocation,
        grants: Vec<Grant>,
        progress: Option<ProgressFn>,
        cancel: &CancellationToken,
    ) -> Result<ToolOutput> {
        let mut store = self.store(self.limits.memory_bytes, grants, progress);
        let ended = self.drive(&mut store, cancel, async |store| {
            let instance = plugin.pre.instantiate_async(&mut *store).await?;
            instance
                .skill_plugin_tools()
                .call_invoke(&mut *store, call)
                .await
        })?;
        store.data().forward_console(plugin_name);
        let tool_result = self.ended(&store, ended, plugin_name, &call.tool)?;
        if let Some(detail) = store.data().console_overflow() {
            return Err(limit(plugin_name, &call.tool, LimitKind::Output, detail));
        }
        let output = tool_result.map_err(|error| Error::Tool {
            plugin: plugin_name.to_owned(),
            tool: call.tool.clone(),
            error,
        })?;
        let size = output.output.len() + output.rendered.as_ref().map_or(0, String::len);
        if size > self.limits.output_bytes {
            return Err(limit(
                plugin_name,
                &call.tool,
                LimitKind::Output,
                format!(
                    "it returned {size} bytes of output, over the limit of {} bytes",
                    self.limits.output_bytes
                ),
            ));
        }
        Ok(output)
    }

    fn store(
        &self,
        memory_bytes: u64,
        grants: Vec<Grant>,
        progress: Option<ProgressFn>,
    ) -> Store<CallState> {
        let state = CallState::new(&self.limits, memory_bytes, grants, progress);
        let mut store = Store::new(&self.engine, state);
        store.limiter(|state| state.limiter_mut());
        // Yield at every tick, so that `drive` sees the deadline and a
        // cancellation however long the plugin computes without a host call.
        store.set_epoch_deadline(1);
        store.epoch_deadline_async_yield_and_update(1);
        store
    }

    /// Runs `call` on `store` until it returns, its deadline passes or `cancel`
    /// is cancelled, whichever comes first. The call is a future on a
    /// current-thread runtime of its own: when the deadline or the cancellation
    /// wins, the future is dropped, which stops the plugin wherever it is, in a
    /// host call too. The store is left for diagnostics only.
    fn drive<T>(
        &self,
        store: &mut Store<CallState>,
        cancel: &CancellationToken,
        call: impl AsyncFnOnce(&mut Store<CallState>) -> wasmtime::Result<T>,
    ) -> Result<Ended<T>> {
        let deadline = tokio::time::Instant::now() + self.limits.timeout;
        let executor = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .map_err(|error| Error::Setup {
                part: "call executor",
                detail: error.to_string(),
            })?;
        Ok(executor.block_on(async {
            tokio::select! {
                biased;
                () = cancel.cancelled() => Ended::Cancelled,
                () = tokio::time::sleep_until(deadline) => Ended::TimedOut,
                result = call(store) => Ended::Returned(result),
            }
        }))
    }

    /// The result of a call that ended as `ended`, or the error that says how it ended.
    fn ended<T>(
        &self,
        store: &Store<CallState>,
        ended: Ended<T>,
        plugin: &str,
        tool: &str,
    ) -> Result<T> {
        match ended {
            Ended::Returned(result) => {
                result.map_err(|error| self.call_error(store, error, plugin, tool))
            }
            Ended::TimedOut => Err(limit(
                plugin,
                tool,
                LimitKind::Time,
                format!(
                    "it ran longer than the time limit of {} s (raise it with --timeout)",
                    self.limits.timeout.as_secs_f64()
                ),
            )),
            Ended::Cancelled => Err(Error::Cancelled {
                plugin: plugin.to_owned(),
                tool: tool.to_owned(),
            }),
        }
    }

    /// Turns a trap or host error into the error that says what happened.
    fn call_error(
        &self,
        store: &Store<CallState>,
        error: wasmtime::Error,
        plugin: &str,
        tool: &str,
    ) -> Error {
        let state = store.data();
        let limits = &self.limits;
        if state.memory_exceeded() {
            return limit(
                plugin,
                tool,
                LimitKind::Memory,
                if state.memory_limit() == limits.memory_bytes {
                    format!(
                        "it used more than the memory limit of {} MiB (raise it with --max-memory)",
                        limits.memory_bytes >> 20
                    )
                } else {
                    format!(
                        "it used more than the memory limit of {} MiB a plugin has to describe itself",
                        state.memory_limit() >> 20
                    )
                },
            );
        }
        if let Some(detail) = state.console_overflow() {
            return limit(plugin, tool, LimitKind::Output, detail);
        }
        match error.downcast_ref::<Trap>() {
            Some(Trap::StackOverflow) => limit(
                plugin,
                tool,
                LimitKind::Stack,
                format!(
                    "it overflowed the wasm stack limit of {} KiB (raise it with --max-stack)",
                    limits.stack_bytes >> 10
                ),
            ),
            trap => {
                let what = match trap {
                    Some(Trap::UnreachableCodeReached) => "it aborted".to_owned(),
                    Some(trap) => format!("trap: {trap}"),
                    None => format!("{error:#}"),
                };
                let detail = match state.panic_message() {
                    Some(message) => format!("{what}: {message}"),
                    None => what,
                };
                Error::Crashed {
                    plugin: plugin.to_owned(),
                    tool: tool.to_owned(),
                    detail,
                }
            }
        }
    }
}

fn limit(plugin: &str, tool: &str, kind: LimitKind, detail: String) -> Error {
    Error::Limit {
        plugin: plugin.to_owned(),
        tool: tool.to_owned(),
        kind,
        detail,
    }
}

/// Advances the epoch every [`EPOCH_TICK`] for as long as the engine lives.
/// Without it no deadline fires, so a runtime that cannot start it is refused.
fn spawn_epoch_ticker(engine: &Engine) -> Result<()> {
    let weak = engine.weak();
    std::thread::Builder::new()
        .name("skill-epoch".to_owned())
        .spawn(move || {
            while let Some(engine) = weak.upgrade() {
                engine.increment_epoch();
                drop(engine);
                std::thread::sleep(EPOCH_TICK);
            }
        })
        .map(drop)
        .map_err(|error| Error::Setup {
            part: "epoch thread",
            detail: error.to_string(),
        })
}
