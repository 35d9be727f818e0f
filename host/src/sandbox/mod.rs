//! The sandbox: a wasmtime engine that runs plugin components with nothing
//! granted but what the contract names, under per-call limits.
//!
//! Every call gets a fresh store: fresh memory, no state carried between calls,
//! WASI with no filesystem, environment, sockets or arguments, a clock stuck at
//! the Unix epoch and a fixed random seed (so outputs are reproducible), and
//! bounded stdout/stderr captured for diagnostics. Limits: total memory through
//! [`crate::limits::TotalMemoryLimiter`], running time, the wasm stack, output
//! size, and a wall-clock deadline that host calls honour too. How a call past
//! its deadline is stopped (a trap, or the end of a one-shot process) is the
//! embedder's choice: see [`OnTimeout`].

mod bindings;
mod input;
mod memory;
mod state;
mod watchdog;

use std::sync::{Mutex, MutexGuard, OnceLock, PoisonError};
use std::time::{Duration, Instant};

use wasmtime::component::{Component, Linker};
use wasmtime::{Config, Engine, Store, Trap};

pub use bindings::types::{ErrorCode, Invocation, Manifest, ToolOutput, ToolSpec};
pub use input::Grant;
pub use state::{Progress, ProgressFn};
pub use watchdog::OnTimeout;

use crate::cache::CompiledCache;
use crate::contract;
use crate::error::LimitKind;
use crate::limits::Limits;
use crate::{Error, Result};
use bindings::Plugin as PluginBindings;
use bindings::PluginPre;
use state::CallState;
use watchdog::Watchdog;

/// How often the engine's epoch advances, or the watchdog looks at the calls; the
/// deadline is counted in these ticks.
const EPOCH_TICK: Duration = Duration::from_millis(10);

/// A compiled plugin, checked against the contract, ready to instantiate.
pub struct LoadedPlugin {
    /// How messages name the plugin before its manifest is known (file name or plugin name).
    pub label: String,
    /// The component's imports (`wasi:cli/environment@0.2.6`, ...): what it could ask for.
    pub imports: Vec<String>,
    pre: PluginPre<CallState>,
}

/// The engine and linker shared by all calls.
pub struct Sandbox {
    limits: Limits,
    cache: CompiledCache,
    on_timeout: OnTimeout,
    /// Set up by the first call that needs it (see [`Sandbox::with_timeout`]).
    runtime: OnceLock<std::result::Result<Runtime, RuntimeError>>,
    /// Work begun on another thread before this sandbox existed ([`HeadStart`]),
    /// taken by the first call that needs the runtime.
    head_start: Mutex<Option<HeadStart>>,
    /// The plugin the head start loaded, until [`Sandbox::load`] is asked for it.
    preloaded: Mutex<Option<Preloaded>>,
}

/// The engine set up, and a plugin loaded, on the helper thread while the
/// command line is still being read: `skill run <tool>` knows at its first
/// instruction that it will need both, and they take about as long as reading
/// the rest of the command line and the input does. See [`HeadStart::begin`].
pub struct HeadStart {
    stack_bytes: usize,
    needs_epochs: bool,
    done: std::sync::mpsc::Receiver<(
        std::result::Result<Runtime, RuntimeError>,
        Option<Preloaded>,
    )>,
}

/// A plugin to load ahead: how messages name it, its bytes and their SHA-256.
pub struct PluginBytes {
    pub label: String,
    pub wasm: &'static [u8],
    pub sha256: &'static str,
}

/// What a head start loaded, with the digest of the bytes it loaded.
struct Preloaded {
    sha256: &'static str,
    plugin: Result<LoadedPlugin>,
}

impl HeadStart {
    /// Starts setting up an engine for `limits` and `on_timeout` on the helper
    /// thread ([`crate::threads::helper`], which this starts), and then loading
    /// the plugin `plugin` names (if it names one) through the compiled cache it
    /// gives. `None` if there is no helper: the sandbox then does the work itself.
    pub fn begin(
        limits: Limits,
        on_timeout: OnTimeout,
        plugin: impl FnOnce() -> Option<(PluginBytes, CompiledCache)> + Send + 'static,
    ) -> Option<Self> {
        let helper = crate::threads::helper()?;
        let (finished, done) = std::sync::mpsc::sync_channel(1);
        let work = move || {
            let runtime = Runtime::new(&limits, on_timeout);
            let preloaded = match (&runtime, plugin()) {
                (Ok(runtime), Some((bytes, cache))) => Some(Preloaded {
                    sha256: bytes.sha256,
                    plugin: runtime.load(&cache, &bytes.label, bytes.wasm, bytes.sha256),
                }),
                _ => None,
            };
            // The sandbox may have ended with its command, unasked for this.
            let _ = finished.send((runtime, preloaded));
        };
        helper.spawn(work);
        Some(Self {
            stack_bytes: limits.stack_bytes,
            needs_epochs: on_timeout.needs_epochs(),
            done,
        })
    }

    /// Whether its engine is the one a sandbox with `limits` and `on_timeout`
    /// would set up: the wasm stack and the interruption checks are compiled in.
    fn fits(&self, limits: &Limits, on_timeout: OnTimeout) -> bool {
        self.stack_bytes == limits.stack_bytes && self.needs_epochs == on_timeout.needs_epochs()
    }
}

/// What calls run on: the engine, the linker with the contract's imports, and
/// the watchdog when a call past its deadline ends the process.
struct Runtime {
    engine: Engine,
    linker: Linker<CallState>,
    /// Set when a call past its deadline ends the process ([`OnTimeout::EndProcess`]).
    watchdog: Option<std::sync::Arc<Watchdog>>,
}

/// Why the runtime could not be built: which part, and what went wrong.
#[derive(Debug, Clone)]
struct RuntimeError {
    part: &'static str,
    detail: String,
}

impl From<RuntimeError> for Error {
    fn from(error: RuntimeError) -> Self {
        Error::PluginLoad {
            plugin: error.part.to_owned(),
            detail: error.detail,
        }
    }
}

impl Runtime {
    fn new(limits: &Limits, on_timeout: OnTimeout) -> std::result::Result<Self, RuntimeError> {
        let started = Instant::now();
        let mut config = Config::new();
        config.epoch_interruption(on_timeout.needs_epochs());
        config.max_wasm_stack(limits.stack_bytes);
        // Relaxed SIMD may differ between machines; outputs must not.
        config.relaxed_simd_deterministic(true);
        // Copy-on-write memory images pay off over many instantiations; a
        // one-shot command instantiates once, and building the image (a memfd
        // per plugin) costs more than copying the data segments.
        config.memory_init_cow(false);
        // Memories that may sit on huge pages; see `memory`. Wasmtime builds
        // copy-on-write images only over its own mappings, so these need the
        // setting above off.
        #[cfg(target_os = "linux")]
        config.with_host_memory(std::sync::Arc::new(memory::HugePageMemories));
        let engine = Engine::new(&config).map_err(|error| RuntimeError {
            part: "(engine)",
            detail: format!("{error:#}"),
        })?;
        let watchdog = match on_timeout {
            OnTimeout::Trap => {
                spawn_epoch_ticker(&engine);
                None
            }
            OnTimeout::EndProcess(end_process) => Some(
                Watchdog::start(EPOCH_TICK, end_process).map_err(|error| RuntimeError {
                    part: "(watchdog)",
                    detail: format!("cannot start the watchdog thread: {error}"),
                })?,
            ),
        };

        let mut linker = Linker::new(&engine);
        let link_error = |error: wasmtime::Error| RuntimeError {
            part: "(linker)",
            detail: format!("{error:#}"),
        };
        // Rust's wasip2 std imports WASI whether a plugin uses it or not; it is
        // linked with nothing granted behind it.
        wasmtime_wasi::p2::add_to_linker_sync(&mut linker).map_err(link_error)?;
        PluginBindings::add_to_linker::<CallState, wasmtime::component::HasSelf<CallState>>(
            &mut linker,
            |state| state,
        )
        .map_err(link_error)?;
        tracing::debug!(elapsed = ?started.elapsed(), "engine set up");
        Ok(Self {
            engine,
            linker,
            watchdog,
        })
    }

    /// See [`Sandbox::load`].
    fn load(
        &self,
        cache: &CompiledCache,
        label: &str,
        wasm: &[u8],
        sha256: &str,
    ) -> Result<LoadedPlugin> {
        let Runtime { engine, linker, .. } = self;
        let component: Component = cache.load(engine, label, wasm, sha256)?;
        contract::check(&component, engine, label)?;
        let imports = component
            .component_type()
            .imports(engine)
            .map(|(name, _)| name.to_owned())
            .collect();
        let pre = linker
            .instantiate_pre(&component)
            .map_err(|error| Error::PluginLoad {
                plugin: label.to_owned(),
                detail: format!("it needs an import this host does not offer: {error:#}"),
            })?;
        let pre = PluginPre::new(pre).map_err(|error| Error::PluginLoad {
            plugin: label.to_owned(),
            detail: format!("{error:#}"),
        })?;
        Ok(LoadedPlugin {
            label: label.to_owned(),
            imports,
            pre,
        })
    }
}

impl Sandbox {
    /// A sandbox whose calls trap when they run out of time ([`OnTimeout::Trap`]).
    pub fn new(limits: Limits, cache: CompiledCache) -> Self {
        Self::with_timeout(limits, cache, OnTimeout::Trap)
    }

    /// A sandbox that stops calls past their time limit as `on_timeout` says.
    /// Plugins are compiled differently for each way (the cache keeps both).
    ///
    /// The engine is set up when a call first needs it: that takes about 0.3 ms,
    /// most of the work of a command that runs no plugin (`skill list`, or an MCP
    /// client listing tools), which then never pays it. A failure to set it up is
    /// reported by every call that needs it.
    pub fn with_timeout(limits: Limits, cache: CompiledCache, on_timeout: OnTimeout) -> Self {
        Self {
            limits,
            cache,
            on_timeout,
            runtime: OnceLock::new(),
            head_start: Mutex::new(None),
            preloaded: Mutex::new(None),
        }
    }

    /// Takes over what `head_start` sets up, if it is what this sandbox would set
    /// up itself: the first call that needs the engine waits for it then.
    pub fn with_head_start(self, head_start: HeadStart) -> Self {
        if head_start.fits(&self.limits, self.on_timeout) {
            *lock(&self.head_start) = Some(head_start);
        }
        self
    }

    /// Whether a head start is still setting up the engine for this sandbox.
    pub fn has_head_start(&self) -> bool {
        lock(&self.head_start).is_some()
    }

    /// Whether the engine has been set up (or tried to be).
    #[cfg(test)]
    pub(crate) fn is_set_up(&self) -> bool {
        self.runtime.get().is_some()
    }

    /// The engine and linker, set up on first use.
    fn runtime(&self) -> Result<&Runtime> {
        self.runtime
            .get_or_init(|| {
                let ahead = lock(&self.head_start)
                    .take()
                    .and_then(|head_start| head_start.done.recv().ok());
                match ahead {
                    Some((runtime, preloaded)) => {
                        *lock(&self.preloaded) = preloaded;
                        runtime
                    }
                    None => Runtime::new(&self.limits, self.on_timeout),
                }
            })
            .as_ref()
            .map_err(|error| error.clone().into())
    }

    /// Compiles (or loads precompiled) `wasm`, checks its contract version and
    /// resolves its imports; nothing of the plugin runs yet.
    pub fn load(&self, label: &str, wasm: &[u8], sha256: &str) -> Result<LoadedPlugin> {
        let runtime = self.runtime()?;
        let mut preloaded = lock(&self.preloaded);
        if preloaded
            .as_ref()
            .is_some_and(|ahead| ahead.sha256 == sha256)
            && let Some(ahead) = preloaded.take()
        {
            return ahead.plugin;
        }
        drop(preloaded);
        runtime.load(&self.cache, label, wasm, sha256)
    }
    /// Asks the plugin to describe itself.
    pub fn describe(&self, plugin: &LoadedPlugin) -> Result<Manifest> {
        let mut store = self.store(self.runtime()?, &plugin.label, "describe", Vec::new(), None);
        let call = |store: &mut Store<CallState>| -> wasmtime::Result<Manifest> {
            let instance = plugin.pre.instantiate(&mut *store)?;
            instance.skill_plugin_tools().call_describe(&mut *store)
        };
        call(&mut store).map_err(|error| self.call_error(&store, error, &plugin.label, "describe"))
    }

    /// Runs one tool; `grants` are the files the plugin may open for this call.
    pub fn invoke(
        &self,
        plugin: &LoadedPlugin,
        plugin_name: &str,
        call: &Invocation,
        grants: Vec<Grant>,
        progress: Option<ProgressFn>,
    ) -> Result<ToolOutput> {
        let input_bytes =
            grants.iter().map(Grant::granted_bytes).sum::<u64>() + call.input.len() as u64;
        let huge_pages = memory::worth_huge_pages(input_bytes);
        let mut store = self.store(self.runtime()?, plugin_name, &call.tool, grants, progress);
        let run = |store: &mut Store<CallState>| {
            let instance =
                memory::with_huge_pages(huge_pages, || plugin.pre.instantiate(&mut *store))?;
            instance.skill_plugin_tools().call_invoke(&mut *store, call)
        };
        let result = run(&mut store);
        store.data().forward_console(plugin_name);
        let tool_result =
            result.map_err(|error| self.call_error(&store, error, plugin_name, &call.tool))?;
        if let Some(detail) = store.data().console_overflow() {
            return Err(self.limit(plugin_name, &call.tool, LimitKind::Output, detail));
        }
        let output = tool_result.map_err(|error| tool_error(plugin_name, &call.tool, error))?;
        let size = output.output.len() + output.rendered.as_ref().map_or(0, String::len);
        if size > self.limits.output_bytes {
            return Err(self.limit(
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
        runtime: &Runtime,
        plugin: &str,
        tool: &str,
        grants: Vec<Grant>,
        progress: Option<ProgressFn>,
    ) -> Store<CallState> {
        let started = Instant::now();
        let timeout = self.limits.timeout;
        let watch = runtime
            .watchdog
            .as_ref()
            .map(|watchdog| watchdog.watch(plugin, tool, started, timeout));
        let state = CallState::new(&self.limits, grants, progress, started + timeout, watch);
        let mut store = Store::new(&runtime.engine, state);
        store.limiter(|state| state.limiter_mut());
        if runtime.watchdog.is_some() {
            return store;
        }
        let ticks = self
            .limits
            .timeout
            .as_nanos()
            .div_ceil(EPOCH_TICK.as_nanos())
            .max(1);
        store.set_epoch_deadline(u64::try_from(ticks).unwrap_or(u64::MAX));
        store
    }

    fn limit(&self, plugin: &str, tool: &str, kind: LimitKind, detail: String) -> Error {
        Error::LimitExceeded {
            plugin: plugin.to_owned(),
            tool: tool.to_owned(),
            kind,
            detail,
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
            return self.limit(
                plugin,
                tool,
                LimitKind::Memory,
                format!(
                    "it used more than the memory limit of {} MiB (raise it with --max-memory)",
                    limits.memory_bytes >> 20
                ),
            );
        }
        if let Some(detail) = state.console_overflow() {
            return self.limit(plugin, tool, LimitKind::Output, detail);
        }
        if state.input_timed_out() {
            return self.limit(
                plugin,
                tool,
                LimitKind::Time,
                format!(
                    "an input did not deliver data within the time limit of {} s",
                    limits.timeout.as_secs_f64()
                ),
            );
        }
        match error.downcast_ref::<Trap>() {
            Some(Trap::Interrupt) => self.limit(
                plugin,
                tool,
                LimitKind::Time,
                watchdog::time_limit_detail(limits.timeout),
            ),
            Some(Trap::StackOverflow) => self.limit(
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

fn tool_error(plugin: &str, tool: &str, error: bindings::types::ToolError) -> Error {
    match error.code {
        ErrorCode::InvalidInput => Error::InvalidInput {
            tool: tool.to_owned(),
            problems: vec![crate::error::InputProblem {
                pointer: error.pointer.unwrap_or_default(),
                message: error.message,
            }],
        },
        ErrorCode::Unsupported => Error::Usage(format!("{plugin}/{tool}: {}", error.message)),
        ErrorCode::Failed => Error::ToolFailed {
            plugin: plugin.to_owned(),
            tool: tool.to_owned(),
            message: error.message,
        },
    }
}

/// Advances the epoch every [`EPOCH_TICK`] for as long as the engine lives.
fn spawn_epoch_ticker(engine: &Engine) {
    let weak = engine.weak();
    let spawned = std::thread::Builder::new()
        .name("skill-epoch".to_owned())
        .spawn(move || {
            while let Some(engine) = weak.upgrade() {
                engine.increment_epoch();
                drop(engine);
                std::thread::sleep(EPOCH_TICK);
            }
        });
    if let Err(error) = spawned {
        // Without a ticker no deadline fires; refuse to pretend otherwise.
        tracing::error!("cannot start the epoch thread: {error}; time limits will not apply");
    }
}

/// A lock that a panic elsewhere does not poison for good: what it guards is
/// taken whole or not at all.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
