//! The runtime's errors: what went wrong loading or calling a plugin, with the
//! plugin and tool named so that a message stands on its own.

use crate::ToolError;

/// Result with the runtime's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Which limit stopped a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LimitKind {
    Memory,
    Time,
    Stack,
    Output,
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The engine, linker or epoch thread could not be set up.
    #[error("the sandbox cannot be set up ({part}): {detail}")]
    Setup { part: &'static str, detail: String },

    #[error("plugin {plugin} cannot be loaded: {detail}")]
    Load { plugin: String, detail: String },

    #[error("plugin {plugin} is built for contract {found}; this host supports {supported}")]
    UnsupportedContract {
        plugin: String,
        found: String,
        supported: String,
    },

    #[error("{plugin}/{tool} was stopped: {detail}")]
    Limit {
        plugin: String,
        tool: String,
        kind: LimitKind,
        detail: String,
    },

    #[error("{plugin}/{tool} crashed: {detail}")]
    Crashed {
        plugin: String,
        tool: String,
        detail: String,
    },

    /// The caller cancelled the call (an MCP client's `notifications/cancelled`).
    #[error("{plugin}/{tool} was cancelled")]
    Cancelled { plugin: String, tool: String },

    /// The tool ran and reported a typed error of its own.
    #[error("{plugin}/{tool} failed: {}", error.message)]
    Tool {
        plugin: String,
        tool: String,
        error: ToolError,
    },
}
