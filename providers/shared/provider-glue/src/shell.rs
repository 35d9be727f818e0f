//! Commands as argument vectors, with their text for a POSIX shell: every
//! argument that is not plainly inert is single-quoted, so no input can add
//! shell text. Script lines for CI jobs are built from [`Word`]s: arguments,
//! which are quoted, and fixed shell syntax from the provider's own code
//! (expansions of CI variables, redirections), which never holds input.

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
        let shell = line(&args(&argv));
        Self {
            purpose: purpose.into(),
            argv,
            shell,
        }
    }
}

/// One word of a script line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Word {
    /// An argument, quoted for the shell.
    Arg(String),
    /// Shell syntax written by the provider's code, never built from input:
    /// `"$GITLAB_OIDC_TOKEN"`, `>`, `"gitlab-${CI_PIPELINE_ID}"`.
    Fixed(&'static str),
}

impl Word {
    pub fn arg(text: impl Into<String>) -> Self {
        Word::Arg(text.into())
    }

    fn text(&self) -> String {
        match self {
            Word::Arg(text) => quote(text),
            Word::Fixed(syntax) => (*syntax).to_owned(),
        }
    }
}

/// Arguments as words, for a command that a script line runs.
pub fn args<S: AsRef<str>>(argv: &[S]) -> Vec<Word> {
    argv.iter().map(|a| Word::arg(a.as_ref())).collect()
}

/// The words as one line of shell text.
pub fn line(words: &[Word]) -> String {
    words.iter().map(Word::text).collect::<Vec<_>>().join(" ")
}

/// A shell variable name made from checked names: `[A-Z_][A-Z0-9_]*`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct VariableName(String);

impl VariableName {
    /// A fixed name from the provider's code (`AWS_STS_OUTPUT`).
    pub fn fixed(name: &'static str) -> Self {
        debug_assert!(
            name.starts_with(|c: char| c.is_ascii_uppercase())
                && name
                    .chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
        );
        Self(name.to_owned())
    }

    /// The variable that holds a secret: `SECRET_` and its short name with
    /// letters upper-cased and any other character `_` (`db-creds` →
    /// `SECRET_DB_CREDS`). The prefix keeps a secret from replacing `PATH`,
    /// a cloud's credentials or the CI's own token.
    pub fn for_secret(name: &str) -> Self {
        let upper: String = name
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_uppercase()
                } else {
                    '_'
                }
            })
            .collect();
        Self(format!("SECRET_{upper}"))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The variables of `names` (the secrets at `field`), refused when two
/// secrets would share one (`db-creds` and `db_creds`).
pub fn secret_variables<S: AsRef<str>>(
    field: &str,
    names: &[S],
) -> Result<Vec<VariableName>, crate::InputError> {
    let mut variables: Vec<VariableName> = Vec::with_capacity(names.len());
    for (index, name) in names.iter().enumerate() {
        let variable = VariableName::for_secret(name.as_ref());
        if let Some(other) = variables.iter().position(|v| *v == variable) {
            return Err(crate::InputError::new(
                format!("{field}/{index}"),
                format!(
                    "`{}` and `{}` would both be read into the variable {}; rename one",
                    crate::error::shown(names[other].as_ref()),
                    crate::error::shown(name.as_ref()),
                    variable.0
                ),
            ));
        }
        variables.push(variable);
    }
    Ok(variables)
}

/// `NAME="$(command)"`: the command's output in a variable, exported; a
/// failing command fails the line (the assignment takes its exit status).
pub fn capture(variable: &VariableName, command: &[Word]) -> String {
    format!("{}=\"$({})\"", variable.0, line(command))
}

/// The variable and the command text of a line [`capture`] made (to read
/// a generated script back); `None` for any other line.
pub fn captured(line: &str) -> Option<(&str, &str)> {
    let (variable, rest) = line.split_once("=\"$(")?;
    let command = rest.strip_suffix(")\"")?;
    variable
        .chars()
        .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
        .then_some((variable, command))
}

/// `export NAME`.
pub fn export(variable: &VariableName) -> String {
    format!("export {}", variable.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_lines_quote_arguments_and_keep_fixed_syntax() {
        let words = [
            Word::arg("printf"),
            Word::arg("%s"),
            Word::Fixed("\"$TOKEN\""),
            Word::Fixed(">"),
            Word::arg("a b"),
        ];
        assert_eq!(line(&words), "printf %s \"$TOKEN\" > 'a b'");
        let name = VariableName::for_secret("1db-creds.v2");
        assert_eq!(name.as_str(), "SECRET_1DB_CREDS_V2");
        assert_eq!(
            capture(&name, &args(&["gcloud", "x;y"])),
            "SECRET_1DB_CREDS_V2=\"$(gcloud 'x;y')\""
        );
        let line = capture(&name, &args(&["gcloud", "x;y"]));
        assert_eq!(
            captured(&line),
            Some(("SECRET_1DB_CREDS_V2", "gcloud 'x;y'"))
        );
        assert_eq!(captured("export X"), None);
        let error = secret_variables("/secrets", &["a", "db-creds", "db_creds"]).unwrap_err();
        assert_eq!(error.field, "/secrets/2");
        assert_eq!(
            secret_variables("/s", &["path"]).unwrap(),
            [VariableName::for_secret("path")]
        );
    }

    #[test]
    fn the_shell_text_quotes_each_argument() {
        let command = CommandLine::new("x", vec!["aws".into(), "iam".into(), "a b".into()]);
        assert_eq!(command.shell, "aws iam 'a b'");
    }
}
