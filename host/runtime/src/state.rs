//! What one call's store holds, and the host imports implemented over it.

use rand::SeedableRng;
use rand::rngs::StdRng;

use wasmtime::component::{Resource, ResourceTable};
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::{
    HostMonotonicClock, HostWallClock, WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView,
};

use crate::bindings::v0_1::skill::plugin::host::{self, LogLevel};
use crate::bindings::v0_1::types;
use crate::input::{Grant, GrantedInput, MAX_OPENS};
use crate::limits::{Limits, TotalMemoryLimiter};

/// A progress report from inside a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress<'a> {
    /// The plugin has read `done` bytes of a granted input of `size` bytes (if known).
    Input {
        path: &'a str,
        done: u64,
        size: Option<u64>,
    },
    /// The plugin's own report: `done` of `total` (0 = unknown), and what it is doing.
    Plugin {
        done: u64,
        total: u64,
        message: &'a str,
    },
}

/// Receives progress reports.
pub type ProgressFn = Box<dyn FnMut(Progress<'_>) + Send>;

/// Fixed seed for the plugin's random numbers: outputs must not vary between runs.
const RANDOM_SEED: u128 = 0x736b_696c_6c2d_706c_7567_696e_2d73_6565;

pub struct CallState {
    wasi: WasiCtx,
    table: ResourceTable,
    limiter: TotalMemoryLimiter,
    grants: Vec<Grant>,
    /// Inputs opened so far in this call (see [`MAX_OPENS`]).
    opens: usize,
    progress: Option<ProgressFn>,
    stdout: MemoryOutputPipe,
    stderr: MemoryOutputPipe,
    console_limit: usize,
}

impl CallState {
    pub fn new(
        limits: &Limits,
        memory_bytes: u64,
        grants: Vec<Grant>,
        progress: Option<ProgressFn>,
    ) -> Self {
        let stdout = MemoryOutputPipe::new(limits.console_bytes);
        let stderr = MemoryOutputPipe::new(limits.console_bytes);
        let wasi = WasiCtxBuilder::new()
            .stdout(stdout.clone())
            .stderr(stderr.clone())
            .wall_clock(EpochClock)
            .monotonic_clock(EpochClock)
            .secure_random(StdRng::seed_from_u64(RANDOM_SEED as u64))
            .insecure_random(StdRng::seed_from_u64(RANDOM_SEED as u64))
            .insecure_random_seed(RANDOM_SEED)
            .build();
        Self {
            wasi,
            table: ResourceTable::new(),
            limiter: TotalMemoryLimiter::new(memory_bytes),
            grants,
            opens: 0,
            progress,
            stdout,
            stderr,
            console_limit: limits.console_bytes,
        }
    }

    pub fn limiter_mut(&mut self) -> &mut TotalMemoryLimiter {
        &mut self.limiter
    }

    /// The memory limit of this call (describing a plugin gets less than a tool call).
    pub fn memory_limit(&self) -> u64 {
        self.limiter.limit()
    }

    pub fn memory_exceeded(&self) -> bool {
        self.limiter.exceeded()
    }

    /// Set when the plugin filled its stdout or stderr buffer.
    pub fn console_overflow(&self) -> Option<String> {
        for (name, pipe) in [("stdout", &self.stdout), ("stderr", &self.stderr)] {
            if pipe.contents().len() >= self.console_limit {
                return Some(format!(
                    "it wrote more than {} bytes to {name} (plugins return results, they do not print them)",
                    self.console_limit
                ));
            }
        }
        None
    }

    /// The panic message a Rust plugin printed before aborting, if any.
    pub fn panic_message(&self) -> Option<String> {
        let stderr = self.stderr.contents();
        let text = String::from_utf8_lossy(&stderr);
        let start = text.find("panicked at")?;
        let message: String = text[start..].lines().take(3).collect::<Vec<_>>().join(" ");
        Some(message.chars().take(2000).collect())
    }

    /// Forwards what the plugin printed to the host's log.
    pub fn forward_console(&self, plugin: &str) {
        for (name, pipe) in [("stdout", &self.stdout), ("stderr", &self.stderr)] {
            let bytes = pipe.contents();
            if !bytes.is_empty() {
                let text = String::from_utf8_lossy(&bytes[..bytes.len().min(64 << 10)]);
                tracing::debug!(target: "plugin", plugin, stream = name, "{}", text.trim_end());
            }
        }
    }
}

impl WasiView for CallState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

/// The `types` interface has no functions; its trait is empty.
impl types::Host for CallState {}

impl host::Host for CallState {
    async fn log(&mut self, level: LogLevel, message: String) -> wasmtime::Result<()> {
        let message: String = message.chars().take(8192).collect();
        match level {
            LogLevel::Trace => tracing::trace!(target: "plugin", "{message}"),
            LogLevel::Debug => tracing::debug!(target: "plugin", "{message}"),
            LogLevel::Info => tracing::info!(target: "plugin", "{message}"),
            LogLevel::Warn => tracing::warn!(target: "plugin", "{message}"),
            LogLevel::Error => tracing::error!(target: "plugin", "{message}"),
        }
        Ok(())
    }

    async fn progress(&mut self, done: u64, total: u64, message: String) -> wasmtime::Result<()> {
        if let Some(progress) = self.progress.as_mut() {
            progress(Progress::Plugin {
                done,
                total,
                message: &message,
            });
        }
        Ok(())
    }

    async fn open_input(
        &mut self,
        path: String,
    ) -> wasmtime::Result<Result<Resource<GrantedInput>, String>> {
        let Some(grant) = self.grants.iter().find(|grant| grant.path == path) else {
            return Ok(Err(format!("`{path}` was not granted for this call")));
        };
        if self.opens == MAX_OPENS {
            return Ok(Err(format!("a call may open at most {MAX_OPENS} inputs")));
        }
        self.opens += 1;
        match GrantedInput::open(grant) {
            Ok(input) => Ok(Ok(self.table.push(input)?)),
            Err(message) => Ok(Err(message)),
        }
    }
}

impl host::HostInputFile for CallState {
    async fn read(
        &mut self,
        file: Resource<GrantedInput>,
        max: u32,
    ) -> wasmtime::Result<Result<Vec<u8>, String>> {
        let input = self.table.get_mut(&file)?;
        let bytes = input.read(max as usize).await;
        if bytes.is_ok()
            && let Some(progress) = self.progress.as_mut()
        {
            progress(Progress::Input {
                path: input.path(),
                done: input.delivered(),
                size: input.size(),
            });
        }
        Ok(bytes)
    }

    async fn size(&mut self, file: Resource<GrantedInput>) -> wasmtime::Result<Option<u64>> {
        Ok(self.table.get(&file)?.size())
    }

    async fn drop(&mut self, file: Resource<GrantedInput>) -> wasmtime::Result<()> {
        self.table.delete(file)?;
        Ok(())
    }
}

/// A clock stuck at the Unix epoch: "now" is an input, never read from the machine.
struct EpochClock;

impl HostWallClock for EpochClock {
    fn resolution(&self) -> std::time::Duration {
        std::time::Duration::from_secs(1)
    }
    fn now(&self) -> std::time::Duration {
        std::time::Duration::ZERO
    }
}

impl HostMonotonicClock for EpochClock {
    fn resolution(&self) -> u64 {
        1_000_000_000
    }
    fn now(&self) -> u64 {
        0
    }
}
