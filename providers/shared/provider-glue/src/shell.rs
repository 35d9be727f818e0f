//! Commands as argument vectors, with their text for a POSIX shell: every
//! argument that is not plainly inert is single-quoted, so no input can add
//! shell text.

use schemars::JsonSchema;
use serde::Serialize;

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

/// Quotes `arg` for a POSIX shell: bare only when every character is inert,
/// otherwise in single quotes, inside which nothing expands; a single quote
/// itself becomes `'\''`.
pub fn quote(arg: &str) -> String {
    let inert = |c: char| c.is_ascii_alphanumeric() || "@%+=:,./_-".contains(c);
    if !arg.is_empty() && arg.chars().all(inert) {
        return arg.to_owned();
    }
    format!("'{}'", arg.replace('\'', r"'\''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_neutralises_shell_text() {
        assert_eq!(quote("file://policy.json"), "file://policy.json");
        assert_eq!(quote(""), "''");
        assert_eq!(quote("a b"), "'a b'");
        assert_eq!(quote("$(rm -rf /)"), "'$(rm -rf /)'");
        assert_eq!(quote("it's"), r"'it'\''s'");
        assert_eq!(
            quote(r#"{"AutomaticallyAfterDays":30}"#),
            r#"'{"AutomaticallyAfterDays":30}'"#
        );
    }

    #[test]
    fn the_shell_text_quotes_each_argument() {
        let command = CommandLine::new("x", vec!["aws".into(), "iam".into(), "a b".into()]);
        assert_eq!(command.shell, "aws iam 'a b'");
    }
}
