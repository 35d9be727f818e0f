//! The service's errors, each carrying what a person or an agent needs to act,
//! and the exit status it maps to.

use std::path::PathBuf;

use skill_runtime::ErrorCode;
pub use skill_runtime::LimitKind;

/// Result with the host's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// One problem with a tool's input: where (a JSON Pointer) and what was expected.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct InputProblem {
    pub pointer: String,
    pub message: String,
}

impl std::fmt::Display for InputProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let pointer = if self.pointer.is_empty() {
            "/"
        } else {
            &self.pointer
        };
        write!(f, "at {pointer}: {}", self.message)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("no tool named `{name}`; available: {}", available.join(", "))]
    UnknownTool {
        name: String,
        available: Vec<String>,
    },

    /// Several plugins have a tool of this name, and none takes it.
    #[error("tool name `{name}` is served by several plugins; call one by its qualified name: {}", qualified.join(", "))]
    AmbiguousTool {
        name: String,
        qualified: Vec<String>,
    },

    #[error("invalid input for `{tool}`:\n{}", problems.iter().map(|p| format!("  {p}")).collect::<Vec<_>>().join("\n"))]
    InvalidInput {
        tool: String,
        problems: Vec<InputProblem>,
    },

    #[error("{plugin}/{tool} failed: {message}")]
    ToolFailed {
        plugin: String,
        tool: String,
        message: String,
    },

    #[error("{plugin}/{tool} was stopped: {detail}")]
    LimitExceeded {
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

    #[error("{plugin}/{tool} broke the contract: {detail}")]
    BadOutput {
        plugin: String,
        tool: String,
        detail: String,
    },

    #[error("plugin {plugin} is built for contract {found}; this host supports {supported}")]
    UnsupportedContract {
        plugin: String,
        found: String,
        supported: String,
    },

    #[error("plugin {plugin} cannot be loaded: {detail}")]
    PluginLoad { plugin: String, detail: String },

    #[error(
        "plugin file {} changed since it was installed (pinned sha256 {pinned}, now {actual}); reinstall it if the change is expected",
        crate::read::shown(path)
    )]
    DigestMismatch {
        path: PathBuf,
        pinned: String,
        actual: String,
    },

    /// A tool of an installed plugin that was refused when the catalog loaded
    /// (its file changed, its manifest broke the rules): the refusal, not "no
    /// tool named …".
    #[error("tool `{tool}` belongs to plugin {plugin}, which is refused: {reason}")]
    PluginRefused {
        plugin: String,
        tool: String,
        reason: String,
    },

    #[error("{context}: {source}")]
    Io {
        context: String,
        source: std::io::Error,
    },

    #[error("{plugin}/{tool} was cancelled")]
    Cancelled { plugin: String, tool: String },

    #[error("{0}")]
    Usage(String),

    /// A plugin's signature refused.
    #[error(transparent)]
    Signature(#[from] crate::signature::SignatureError),

    /// A key to trust that is not a minisign public key.
    #[error(transparent)]
    Key(#[from] crate::trust::KeyError),

    /// A registry that failed or broke the distribution protocol.
    #[error(transparent)]
    Registry(#[from] crate::oci::RegistryError),
}

impl Error {
    /// The process exit status: 2 for bad usage or input, 1 for everything that failed while running.
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::UnknownTool { .. }
            | Error::AmbiguousTool { .. }
            | Error::InvalidInput { .. }
            | Error::Usage(_)
            | Error::Key(_) => 2,
            Error::Signature(error) => error.exit_code(),
            Error::Registry(error) => error.exit_code(),
            _ => 1,
        }
    }

    pub fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        Error::Io {
            context: context.into(),
            source,
        }
    }
}

/// The runtime's errors as the service reports them; a tool's own typed error
/// becomes what its code says (invalid input exits 2, like a schema violation).
impl From<skill_runtime::Error> for Error {
    fn from(error: skill_runtime::Error) -> Self {
        use skill_runtime::Error as Runtime;
        match error {
            Runtime::Setup { part, detail } => Error::PluginLoad {
                plugin: format!("(sandbox {part})"),
                detail,
            },
            Runtime::Load { plugin, detail } => Error::PluginLoad { plugin, detail },
            Runtime::UnsupportedContract {
                plugin,
                found,
                supported,
            } => Error::UnsupportedContract {
                plugin,
                found,
                supported,
            },
            Runtime::Limit {
                plugin,
                tool,
                kind,
                detail,
            } => Error::LimitExceeded {
                plugin,
                tool,
                kind,
                detail,
            },
            Runtime::Cancelled { plugin, tool } => Error::Cancelled { plugin, tool },
            Runtime::Crashed {
                plugin,
                tool,
                detail,
            } => Error::Crashed {
                plugin,
                tool,
                detail,
            },
            Runtime::Tool {
                plugin,
                tool,
                error,
            } => match error.code {
                ErrorCode::InvalidInput => Error::InvalidInput {
                    tool,
                    problems: vec![InputProblem {
                        pointer: error.pointer.unwrap_or_default(),
                        message: error.message,
                    }],
                },
                ErrorCode::Unsupported => {
                    Error::Usage(format!("{plugin}/{tool}: {}", error.message))
                }
                ErrorCode::Failed => Error::ToolFailed {
                    plugin,
                    tool,
                    message: error.message,
                },
            },
        }
    }
}
