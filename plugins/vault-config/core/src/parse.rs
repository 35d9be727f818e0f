//! Reads policy HCL with a real HCL parser (`hcl-edit`) into a typed model with
//! line and column positions, and rejects what the server's policy parser
//! rejects: unknown top-level or per-path keys, unknown capabilities (per
//! flavour), `+*` in a path, unbalanced templating, values of the wrong type.

use std::ops::Range;

use hcl_edit::Span;
use hcl_edit::expr::Expression;
use hcl_edit::structure::{Attribute, Block, BlockLabel, Body, Structure};
use schemars::JsonSchema;
use serde::Serialize;

use crate::policy::{Capability, Flavour};

/// A 1-based line and column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, JsonSchema)]
pub struct Position {
    pub line: usize,
    pub column: usize,
}

/// Something the server's parser would refuse.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct GrammarError {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

/// One `path` block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedRule {
    pub path: String,
    pub position: Position,
    /// From `capabilities`, or mapped from a legacy `policy = "…"`.
    pub capabilities: Vec<Capability>,
    /// The legacy `policy` value when that form was used.
    pub legacy_policy: Option<String>,
    /// Every key in the block, in order, with its position.
    pub keys: Vec<(String, Position)>,
}

impl ParsedRule {
    pub fn has_key(&self, key: &str) -> bool {
        self.keys.iter().any(|(k, _)| k == key)
    }
}

/// A policy as the server would read it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ParsedPolicy {
    pub rules: Vec<ParsedRule>,
}

/// Per-path keys both servers accept.
const COMMON_KEYS: [&str; 10] = [
    "capabilities",
    "policy",
    "comment",
    "allowed_parameters",
    "denied_parameters",
    "required_parameters",
    "min_wrapping_ttl",
    "max_wrapping_ttl",
    "mfa_methods",
    "control_group",
];
/// Per-path keys only OpenBao accepts.
const OPENBAO_KEYS: [&str; 3] = [
    "expiration",
    "pagination_limit",
    "list_scan_response_keys_filter_path",
];

/// Maps byte offsets to positions.
struct Lines {
    starts: Vec<usize>,
}

impl Lines {
    fn new(text: &str) -> Self {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(index, _)| index + 1));
        Self { starts }
    }

    fn at(&self, text: &str, span: Option<Range<usize>>) -> Position {
        let offset = span.map_or(0, |span| span.start);
        let line = self.starts.partition_point(|&start| start <= offset);
        let start = self.starts[line - 1];
        let column = text
            .get(start..offset)
            .map_or(1, |prefix| prefix.chars().count() + 1);
        Position { line, column }
    }
}

struct Parser<'a> {
    text: &'a str,
    lines: Lines,
    flavour: Flavour,
    errors: Vec<GrammarError>,
}

impl Parser<'_> {
    fn error(&mut self, position: Position, message: String) {
        self.errors.push(GrammarError {
            line: position.line,
            column: position.column,
            message,
        });
    }

    fn position(&self, span: Option<Range<usize>>) -> Position {
        self.lines.at(self.text, span)
    }

    fn body(&mut self, body: &Body) -> Vec<ParsedRule> {
        let mut rules = Vec::new();
        for structure in body.iter() {
            match structure {
                Structure::Attribute(attribute) => {
                    let key = attribute.key.as_str();
                    // `name` is the only top-level attribute the parser knows.
                    if key != "name" {
                        let position = self.position(attribute.key.span());
                        self.error(position, format!("invalid key \"{key}\""));
                    }
                }
                Structure::Block(block) => {
                    if let Some(rule) = self.block(block) {
                        rules.push(rule);
                    }
                }
            }
        }
        rules
    }

    fn block(&mut self, block: &Block) -> Option<ParsedRule> {
        let position = self.position(block.ident.span());
        if block.ident.as_str() != "path" {
            self.error(
                position,
                format!("invalid key \"{}\"", block.ident.as_str()),
            );
            return None;
        }
        let path = match block.labels.as_slice() {
            [BlockLabel::String(path)] => path.as_str().to_owned(),
            _ => {
                self.error(
                    position,
                    "a path block takes exactly one quoted path, `path \"…\" { … }`".into(),
                );
                return None;
            }
        };
        if let Err(message) = check_path(&path) {
            self.error(position, format!("path \"{path}\": {message}"));
        }
        let mut rule = ParsedRule {
            path,
            position,
            capabilities: Vec::new(),
            legacy_policy: None,
            keys: Vec::new(),
        };
        for structure in block.body.iter() {
            match structure {
                Structure::Attribute(attribute) => self.attribute(&mut rule, attribute),
                Structure::Block(inner) => {
                    // HCL v1 lets `allowed_parameters { … }` be written as a block.
                    let key = inner.ident.as_str().to_owned();
                    let position = self.position(inner.ident.span());
                    self.check_key(&rule.path, &key, position);
                    rule.keys.push((key, position));
                }
            }
        }
        Some(rule)
    }

    fn check_key(&mut self, path: &str, key: &str, position: Position) {
        let known = COMMON_KEYS.contains(&key)
            || (self.flavour == Flavour::Openbao && OPENBAO_KEYS.contains(&key));
        if !known {
            self.error(position, format!("path \"{path}\": invalid key \"{key}\""));
        }
    }

    fn attribute(&mut self, rule: &mut ParsedRule, attribute: &Attribute) {
        let key = attribute.key.as_str().to_owned();
        let position = self.position(attribute.key.span());
        self.check_key(&rule.path, &key, position);
        let value_position = self.position(attribute.value.span());
        match key.as_str() {
            "capabilities" => match &attribute.value {
                Expression::Array(items) => {
                    for item in items.iter() {
                        let item_position = self.position(item.span());
                        match item {
                            Expression::String(word) => match Capability::parse(word.as_str())
                                .filter(|c| c.supported_by(self.flavour))
                            {
                                Some(capability) => rule.capabilities.push(capability),
                                None => self.error(
                                    item_position,
                                    format!(
                                        "path \"{}\": invalid capability \"{}\" ({} accepts: {})",
                                        rule.path,
                                        word.as_str(),
                                        self.flavour.as_str(),
                                        Capability::names_for(self.flavour).join(", ")
                                    ),
                                ),
                            },
                            _ => self.error(
                                item_position,
                                format!(
                                    "path \"{}\": capabilities must be quoted strings",
                                    rule.path
                                ),
                            ),
                        }
                    }
                }
                _ => self.error(
                    value_position,
                    format!(
                        "path \"{}\": capabilities must be a list, e.g. [\"read\"]",
                        rule.path
                    ),
                ),
            },
            "policy" => match &attribute.value {
                Expression::String(word) => match legacy(word.as_str()) {
                    Some(capabilities) => {
                        rule.capabilities.extend_from_slice(capabilities);
                        rule.legacy_policy = Some(word.as_str().to_owned());
                    }
                    None => self.error(
                        value_position,
                        format!(
                            "path \"{}\": invalid policy \"{}\" (deny, read, write or sudo)",
                            rule.path,
                            word.as_str()
                        ),
                    ),
                },
                _ => self.error(
                    value_position,
                    format!("path \"{}\": policy must be a quoted string", rule.path),
                ),
            },
            _ => {}
        }
        rule.keys.push((key, position));
    }
}

/// The legacy `policy = "…"` words and the capabilities they stand for.
fn legacy(word: &str) -> Option<&'static [Capability]> {
    use Capability::*;
    Some(match word {
        "deny" => &[Deny],
        "read" => &[Read, List],
        "write" => &[Create, Read, Update, Delete, List],
        "sudo" => &[Create, Read, Update, Delete, List, Sudo],
        _ => return None,
    })
}

/// The server's own path checks: `+*` is forbidden and templating must balance.
fn check_path(path: &str) -> Result<(), String> {
    if path.contains("+*") {
        return Err("invalid use of wildcards ('+*' is forbidden)".into());
    }
    let mut open = false;
    let mut rest = path;
    while let Some(index) = rest.find(['{', '}']) {
        let tail = &rest[index..];
        if let Some(after) = tail.strip_prefix("{{") {
            if open {
                return Err("unbalanced templating characters".into());
            }
            open = true;
            rest = after;
        } else if let Some(after) = tail.strip_prefix("}}") {
            if !open {
                return Err("unbalanced templating characters".into());
            }
            open = false;
            rest = after;
        } else {
            rest = &tail[1..];
        }
    }
    if open {
        return Err("unbalanced templating characters".into());
    }
    Ok(())
}

/// Parses `text` as a policy for `flavour`; all grammar errors at once.
pub fn parse_policy(text: &str, flavour: Flavour) -> Result<ParsedPolicy, Vec<GrammarError>> {
    let body = hcl_edit::parser::parse_body(text).map_err(|error| {
        vec![GrammarError {
            line: error.location().line(),
            column: error.location().column(),
            message: format!("HCL syntax: {}", error.message()),
        }]
    })?;
    let mut parser = Parser {
        text,
        lines: Lines::new(text),
        flavour,
        errors: Vec::new(),
    };
    let rules = parser.body(&body);
    if parser.errors.is_empty() {
        Ok(ParsedPolicy { rules })
    } else {
        Err(parser.errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn errors(text: &str, flavour: Flavour) -> Vec<GrammarError> {
        parse_policy(text, flavour).unwrap_err()
    }

    #[test]
    fn reads_rules_with_positions() {
        let policy = parse_policy(
            "# c\npath \"a/b\" {\n  capabilities = [\"read\", \"list\"]\n}\n\npath \"c\" {\n  policy = \"read\"\n}\n",
            Flavour::Vault,
        )
        .unwrap();
        assert_eq!(policy.rules.len(), 2);
        assert_eq!(policy.rules[0].path, "a/b");
        assert_eq!(policy.rules[0].position, Position { line: 2, column: 1 });
        assert_eq!(
            policy.rules[0].capabilities,
            [Capability::Read, Capability::List]
        );
        assert_eq!(policy.rules[1].legacy_policy.as_deref(), Some("read"));
        assert_eq!(policy.rules[0].keys[0].1, Position { line: 3, column: 3 });
    }

    #[test]
    fn rejects_what_the_server_rejects_with_positions() {
        let e = errors(
            "path \"a\" {\n  capabilities = [\"read\", \"reed\"]\n}\n",
            Flavour::Vault,
        );
        assert_eq!((e[0].line, e[0].column), (2, 27));
        assert!(e[0].message.contains("invalid capability \"reed\""));
        let e = errors(
            "path \"a\" {\n  capabilities = [\"read\"]\n  foo = 1\n}\n",
            Flavour::Vault,
        );
        assert_eq!((e[0].line, e[0].column), (3, 3));
        assert!(e[0].message.contains("invalid key \"foo\""));
        assert!(
            errors(
                "path \"a/+*\" {\n  capabilities = [\"read\"]\n}\n",
                Flavour::Vault
            )[0]
            .message
            .contains("'+*'")
        );
        assert!(
            errors(
                "path \"a/{{identity.entity.id\" {\n  capabilities = [\"read\"]\n}\n",
                Flavour::Vault
            )[0]
            .message
            .contains("unbalanced")
        );
        assert!(
            errors(
                "foo \"a\" {\n  capabilities = [\"read\"]\n}\n",
                Flavour::Vault
            )[0]
            .message
            .contains("invalid key \"foo\"")
        );
        assert!(
            errors(
                "path \"a\" {\n  capabilities = \"read\"\n}\n",
                Flavour::Vault
            )[0]
            .message
            .contains("must be a list")
        );
        assert!(
            errors("path \"a\" {\n  capabilities = [\"read\"\n", Flavour::Vault)[0]
                .message
                .starts_with("HCL syntax")
        );
    }

    #[test]
    fn capability_and_key_sets_follow_the_flavour() {
        let scan = "path \"a/\" {\n  capabilities = [\"scan\"]\n}\n";
        assert!(parse_policy(scan, Flavour::Openbao).is_ok());
        assert!(parse_policy(scan, Flavour::Vault).is_err());
        let subscribe = "path \"a\" {\n  capabilities = [\"subscribe\"]\n}\n";
        assert!(parse_policy(subscribe, Flavour::Vault).is_ok());
        assert!(parse_policy(subscribe, Flavour::Openbao).is_err());
        let expiration = "path \"a\" {\n  capabilities = [\"read\"]\n  expiration = \"2030-01-01T00:00:00Z\"\n}\n";
        assert!(parse_policy(expiration, Flavour::Openbao).is_ok());
        assert!(parse_policy(expiration, Flavour::Vault).is_err());
    }
}
