//! OpenBao's check of `list_scan_response_keys_filter_path`: the value is a Go
//! `text/template` (with OpenBao's helper functions), compiled, then run for
//! two random keys; it must compile and must give two different paths.
//!
//! Go's template language is not reimplemented here. What is checked is what
//! refuses most mistakes: the lexing of every action (unclosed actions,
//! characters that cannot stand in an action, numbers, strings, comments),
//! that every function or keyword is defined, that control keywords nest,
//! and, when the template holds only field actions, the outcome of running
//! it. A template with pipelines or control structures that passes those
//! checks is reported as unverified rather than guessed at.

/// Keywords and functions a template may name: Go's builtins and OpenBao's
/// helpers (`sdk/helper/template.NewTemplate`).
const WORDS: [&str; 42] = [
    "if",
    "else",
    "end",
    "range",
    "with",
    "define",
    "template",
    "block",
    "break",
    "continue",
    "nil",
    "true",
    "false",
    "and",
    "call",
    "html",
    "index",
    "slice",
    "js",
    "len",
    "not",
    "or",
    "print",
    "printf",
    "println",
    "urlquery",
    "eq",
    "ge",
    "gt",
    "le",
    "lt",
    "ne",
    "random",
    "truncate",
    "truncate_sha256",
    "uppercase",
    "lowercase",
    "replace",
    "sha256",
    "base64",
    "decode_base64",
    "hex",
];
const MORE_WORDS: [&str; 6] = [
    "decode_hex",
    "unix_time",
    "unix_time_millis",
    "timestamp",
    "uuid",
    "glob",
];
const OPENS: [&str; 5] = ["if", "range", "with", "define", "block"];

/// How an action changes the nesting of control structures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Nesting {
    Open,
    Close,
}

#[derive(Debug, PartialEq)]
enum Action {
    /// `.a.b`: the field chain.
    Field(Vec<String>),
    /// `.` alone: the whole data map.
    Dot,
    Comment,
    /// Anything else that lexes and names only known words.
    Other,
}

fn is_word_char(c: char) -> bool {
    c == '_' || c.is_alphanumeric()
}

/// What a lexed token is, for the command rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tok {
    Operand,
    Function,
    Keyword,
    Nil,
    Pipe,
    Paren,
    Assign,
}

/// Go's rules for the commands of a pipeline (without parentheses or
/// control keywords, which are left to the unverified path): only a function
/// takes arguments, and a later stage receives the previous value as one.
fn check_commands(kinds: &[Tok]) -> Result<(), String> {
    if kinds.iter().any(|k| matches!(k, Tok::Paren | Tok::Keyword)) {
        return Ok(());
    }
    let body = match kinds.iter().rposition(|k| *k == Tok::Assign) {
        Some(index) => &kinds[index + 1..],
        None => kinds,
    };
    for (stage, command) in body.split(|k| *k == Tok::Pipe).enumerate() {
        let Some(first) = command.first() else {
            return Err("missing command".into());
        };
        let arguments = command.len() - 1 + usize::from(stage > 0);
        match first {
            Tok::Function => {}
            Tok::Nil => return Err("nil is not a command".into()),
            _ if arguments > 0 => return Err("can't give argument to non-function".into()),
            _ => {}
        }
    }
    Ok(())
}

/// The action's text read so far.
fn tokens_text<'a>(start: &'a str, rest: &str) -> &'a str {
    &start[..start.len() - rest.len()]
}

/// Whether an action begins as a declaration: a `$variable` or `range $`.
fn declares(so_far: &str) -> bool {
    let head = so_far.trim_start_matches(['-', ' ', '\t', '\r', '\n']);
    head.starts_with('$')
        || head
            .strip_prefix("range")
            .is_some_and(|r| r.trim_start().starts_with('$'))
}

/// Lexes one action starting just after `{{`; returns it and the rest after `}}`.
fn action(text: &str) -> Result<(Action, &str, Option<Nesting>), String> {
    let mut rest = text;
    if let Some(trimmed) = rest.strip_prefix('-')
        && trimmed.starts_with([' ', '\t', '\r', '\n'])
    {
        rest = trimmed;
    }
    if let Some(comment) = rest.strip_prefix("/*") {
        let end = comment.find("*/").ok_or("unclosed comment")?;
        let after = comment[end + 2..]
            .strip_prefix(" -")
            .unwrap_or(&comment[end + 2..]);
        return match after.strip_prefix("}}") {
            Some(tail) => Ok((Action::Comment, tail, None)),
            None => Err("comment ends before closing delimiter".into()),
        };
    }
    let mut tokens: Vec<Action> = Vec::new();
    let mut kinds: Vec<Tok> = Vec::new();
    let mut words: Vec<&str> = Vec::new();
    loop {
        let trimmed = rest.trim_start_matches([' ', '\t', '\r', '\n']);
        let spaced = trimmed.len() != rest.len();
        rest = trimmed;
        if let Some(tail) = rest.strip_prefix("}}") {
            rest = tail;
            break;
        }
        if spaced && let Some(tail) = rest.strip_prefix("-}}") {
            rest = tail;
            break;
        }
        let c = rest.chars().next().ok_or("unclosed action")?;
        match c {
            '"' | '`' | '\'' => {
                let mut chars = rest.char_indices().skip(1);
                let mut end = None;
                while let Some((i, ch)) = chars.next() {
                    if ch == '\\' && c != '`' {
                        chars.next();
                    } else if ch == '\n' && c != '`' {
                        return Err("unterminated quoted string".into());
                    } else if ch == c {
                        end = Some(i);
                        break;
                    }
                }
                let end = end.ok_or("unterminated quoted string")?;
                rest = &rest[end + 1..];
                tokens.push(Action::Other);
                kinds.push(Tok::Operand);
            }
            '.' if !rest[1..].starts_with(|d: char| d.is_ascii_digit()) => {
                let mut chain = Vec::new();
                while let Some(field) = rest.strip_prefix('.') {
                    let len = field
                        .find(|ch: char| !is_word_char(ch))
                        .unwrap_or(field.len());
                    chain.push(field[..len].to_owned());
                    rest = &field[len..];
                    if len == 0 {
                        break;
                    }
                }
                kinds.push(Tok::Operand);
                tokens.push(if chain == [""] {
                    Action::Dot
                } else {
                    Action::Field(chain)
                });
            }
            '$' => {
                let len = rest[1..]
                    .find(|ch: char| !is_word_char(ch))
                    .unwrap_or(rest.len() - 1);
                rest = &rest[1 + len..];
                tokens.push(Action::Other);
                kinds.push(Tok::Operand);
            }
            '0'..='9' | '+' | '-' | '.' => {
                let len = rest[1..]
                    .find(|ch: char| {
                        !(ch.is_ascii_alphanumeric() || matches!(ch, '.' | '_' | '+' | '-'))
                    })
                    .map_or(rest.len(), |i| i + 1);
                let number = &rest[..len];
                let digits = number.trim_start_matches(['+', '-']);
                if !digits.starts_with(|d: char| d.is_ascii_digit() || d == '.') {
                    return Err(format!("bad number syntax: {number:?}"));
                }
                rest = &rest[len..];
                tokens.push(Action::Other);
                kinds.push(Tok::Operand);
            }
            '|' | '(' | ')' => {
                rest = &rest[1..];
                kinds.push(if c == '|' { Tok::Pipe } else { Tok::Paren });
                tokens.push(Action::Other);
            }
            // Assignments and `,` stand only in a declaration
            // (`$x := …`, `range $i, $e := …`).
            '=' | ',' | ':' => {
                let declaring = declares(tokens_text(text, rest));
                if !declaring {
                    return Err(format!("unexpected {c:?} in command"));
                }
                rest = match c {
                    ':' => rest.strip_prefix(":=").ok_or("expected :=")?,
                    _ => &rest[1..],
                };
                tokens.push(Action::Other);
                kinds.push(Tok::Assign);
            }
            c if is_word_char(c) => {
                let len = rest
                    .find(|ch: char| !is_word_char(ch))
                    .unwrap_or(rest.len());
                let word = &rest[..len];
                if !WORDS.contains(&word) && !MORE_WORDS.contains(&word) {
                    return Err(format!("function {word:?} not defined"));
                }
                words.push(word);
                rest = &rest[len..];
                kinds.push(match word {
                    "nil" => Tok::Nil,
                    "true" | "false" => Tok::Operand,
                    w if WORDS[..10].contains(&w) => Tok::Keyword,
                    _ => Tok::Function,
                });
                tokens.push(Action::Other);
            }
            other => return Err(format!("unexpected {other:?} in command")),
        }
    }
    if tokens.is_empty() {
        return Err("missing value for command".into());
    }
    check_commands(&kinds)?;
    let nesting = match words.first() {
        Some(word) if OPENS.contains(word) => Some(Nesting::Open),
        Some(&"end") => Some(Nesting::Close),
        _ => None,
    };
    let single = if tokens.len() == 1 {
        tokens.pop()
    } else {
        None
    };
    Ok((single.unwrap_or(Action::Other), rest, nesting))
}

/// `Err` when the server refuses the template, `Ok(true)` when it passes
/// the checks here but holds more than this module can run.
pub(crate) fn check_filter_template(template: &str) -> Result<bool, String> {
    let compile = |message: String| {
        format!("unable to compile template for list_scan_response_keys_filter_path: {message}")
    };
    let mut actions = Vec::new();
    let mut rest = template;
    let mut depth = 0usize;
    let mut control = false;
    while let Some(start) = rest.find("{{") {
        let (action, tail, nesting) = action(&rest[start + 2..]).map_err(compile)?;
        match nesting {
            Some(Nesting::Open) => {
                depth += 1;
                control = true;
            }
            Some(Nesting::Close) => {
                depth = depth
                    .checked_sub(1)
                    .ok_or_else(|| compile("unexpected {{end}}".into()))?
            }
            None => {}
        }
        actions.push(action);
        rest = tail;
    }
    if depth != 0 {
        return Err(compile("unexpected EOF".into()));
    }
    if control || actions.contains(&Action::Other) {
        return Ok(true);
    }
    let mut depends_on_key = false;
    for action in &actions {
        match action {
            Action::Field(chain)
                if chain.len() > 1 && matches!(chain[0].as_str(), "key" | "path") =>
            {
                return Err(format!(
                    "failed to validate list_scan_response_keys_filter_path: can't evaluate field {} in type string",
                    chain[1]
                ));
            }
            // A missing key beneath a missing key: Go's result is not modelled here.
            Action::Field(chain) if chain.len() > 1 => return Ok(true),
            Action::Field(chain) if chain[0] == "key" => depends_on_key = true,
            Action::Dot => depends_on_key = true,
            _ => {}
        }
    }
    if !depends_on_key {
        return Err(
            "list_scan_response_keys_filter_path resulted in same path for two different keys"
                .into(),
        );
    }
    Ok(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_templates_are_run() {
        assert_eq!(check_filter_template("{{ .path }}{{ .key }}"), Ok(false));
        assert_eq!(check_filter_template("prefix/{{- .key -}}"), Ok(false));
        assert_eq!(check_filter_template("{{ . }}"), Ok(false));
        assert!(check_filter_template("{{ .path }}").is_err());
        assert!(check_filter_template("{{ .path }}{{ .nokey }}").is_err());
        assert!(check_filter_template("{{ .key.x }}").is_err());
        assert!(check_filter_template("no actions").is_err());
    }

    #[test]
    fn lexing_errors_refuse() {
        for bad in [
            "{{ .key",
            "{{ .path }{}{{ .key }}",
            "{{}}",
            "{{ nofunc .key }}",
            "{{ .key }}{{ end }}",
            "{{ if .key }}x",
            "{{ \"x }}",
            "{{/* c */ .key }}",
            "{{ .key = 1 }}",
            "{{ .key, .path }}",
            "{{ $ .key }}",
            "{{ .key | .path }}",
            "{{ nil }}",
        ] {
            assert!(check_filter_template(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn pipelines_are_unverified_not_guessed() {
        assert_eq!(check_filter_template("{{ .key | uppercase }}"), Ok(true));
        assert_eq!(
            check_filter_template("{{ if .key }}{{ .key }}{{ end }}"),
            Ok(true)
        );
        assert_eq!(check_filter_template("{{/* note */}}{{ .key }}"), Ok(false));
        assert_eq!(check_filter_template("{{ $k := .key }}{{ $k }}"), Ok(true));
    }
}
