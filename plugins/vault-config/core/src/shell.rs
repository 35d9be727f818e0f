//! Commands as argument vectors, rendered for a POSIX shell with every
//! argument that is not plainly safe single-quoted, so no input can add shell text.

use schemars::JsonSchema;
use serde::Serialize;
pub use untrusted_text::shell_quote as quote;

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_clis_get_the_same_arguments() {
        let command = CommandLine::new("x", vec!["policy".into(), "write".into(), "a b".into()]);
        assert_eq!(command.vault, "vault policy write 'a b'");
        assert_eq!(command.bao, "bao policy write 'a b'");
    }
}
