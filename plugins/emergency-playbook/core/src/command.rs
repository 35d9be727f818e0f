//! Commands as argument vectors plus their shell form. Quoting is
//! vault-core's (`shell_quote`), so every CLI gets the same guarantee.

use schemars::JsonSchema;
use serde::Serialize;

/// One command line to run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Command {
    /// The program: `vault`, `bao`, `aws`, `gcloud` or `az`.
    pub program: String,
    /// The arguments after the program, unquoted (run these without a shell).
    pub args: Vec<String>,
    /// The same command for a POSIX shell, every unsafe argument single-quoted.
    pub shell: String,
}

impl Command {
    pub fn new<S: Into<String>>(program: &str, args: impl IntoIterator<Item = S>) -> Self {
        let args: Vec<String> = args.into_iter().map(Into::into).collect();
        let mut shell = program.to_owned();
        for arg in &args {
            shell.push(' ');
            shell.push_str(&vault_core::shell_quote(arg));
        }
        Self {
            program: program.to_owned(),
            args,
            shell,
        }
    }
}
