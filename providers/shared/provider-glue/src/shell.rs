//! Commands as argument vectors, with their text for a POSIX shell: every
//! argument that is not plainly inert is single-quoted, so no input can add
//! shell text.

use schemars::JsonSchema;
use serde::Serialize;
pub use skill_pdk::untrusted::shell_quote as quote;

/// One command: what it does, its arguments, and the same as shell text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct CommandLine {
    /// What the command does, in a few words.
    pub purpose: String,
    /// The program and its arguments, unquoted: run them without a shell.
    pub argv: Vec<String>,
    /// The same command, quoted for a POSIX shell.
    pub shell: String,
}

impl CommandLine {
    pub fn new(purpose: impl Into<String>, argv: Vec<String>) -> Self {
        let shell = argv
            .iter()
            .map(|arg| quote(arg))
            .collect::<Vec<_>>()
            .join(" ");
        Self {
            purpose: purpose.into(),
            argv,
            shell,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shell_text_quotes_each_argument() {
        let command = CommandLine::new("x", vec!["aws".into(), "iam".into(), "a b".into()]);
        assert_eq!(command.shell, "aws iam 'a b'");
    }
}
