//! Commands as argument vectors, rendered for a POSIX shell with every
//! argument that is not plainly safe single-quoted, so no input can add shell text.

use schemars::JsonSchema;
use serde::Serialize;

/// One command, for both CLIs (they share their syntax).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct CommandLine {
    /// What the command does, in a few words.
    pub purpose: String,
    /// The arguments after the program name, unquoted.
    pub args: Vec<String>,
    /// The command for HashiCorp Vault, shell-quoted.
    pub vault: String,
    /// The command for OpenBao, shell-quoted.
    pub bao: String,
}

impl CommandLine {
    pub fn new(purpose: impl Into<String>, args: Vec<String>) -> Self {
        Self {
            purpose: purpose.into(),
            vault: render("vault", &args),
            bao: render("bao", &args),
            args,
        }
    }

    /// The command for the given CLI program.
    pub fn for_cli(&self, cli: &str) -> &str {
        if cli == "bao" { &self.bao } else { &self.vault }
    }
}

fn render(program: &str, args: &[String]) -> String {
    let mut out = program.to_owned();
    for arg in args {
        out.push(' ');
        out.push_str(&quote(arg));
    }
    out
}

/// Quotes `arg` for a POSIX shell: left bare only when every character is
/// inert, otherwise wrapped in single quotes, inside which nothing expands;
/// a single quote itself becomes `'\''`.
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
        assert_eq!(quote("auth/approle/role/x"), "auth/approle/role/x");
        assert_eq!(quote("@x.json"), "@x.json");
        assert_eq!(quote(""), "''");
        assert_eq!(quote("a b"), "'a b'");
        assert_eq!(quote("$(rm -rf /)"), "'$(rm -rf /)'");
        assert_eq!(quote("it's"), r"'it'\''s'");
        assert_eq!(quote("a\nb"), "'a\nb'");
    }

    #[test]
    fn both_clis_get_the_same_arguments() {
        let command = CommandLine::new("x", vec!["policy".into(), "write".into(), "a b".into()]);
        assert_eq!(command.vault, "vault policy write 'a b'");
        assert_eq!(command.bao, "bao policy write 'a b'");
    }
}
