//! Reads a policy as the server does: HCL v1 or JSON ([`crate::hcl1`]), then
//! the server's own checks, ported from OpenBao's `ParseACLPolicy`
//! (`internal/vault/policy/policy.go`, the same rules as Vault's
//! `vault/policy.go`): top-level and per-path keys, capabilities per flavour,
//! the legacy `policy =` words, templating balance, `+*`, wrapping TTLs that
//! parse and are ordered, control groups, OpenBao's `expiration` and
//! `list_scan_response_keys_filter_path`. Repeated keys mean what the server
//! makes of them: the last `policy` wins, `capabilities` lists add up.
//! Line and column come with every rule, key and error.

use std::rc::Rc;

use schemars::JsonSchema;
use serde::Serialize;

use crate::gostd::{Dynamic, decode_base64, parse_absolute_time, parse_duration_second};
use crate::gotemplate::check_filter_template;
use crate::hcl1::decode::{Ty, Val, decode};
use crate::hcl1::{self, Node, ObjectItem, ObjectList, Pos, SyntaxError};
use crate::policy::{Capability, Flavour};

/// A 1-based line and column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, JsonSchema)]
pub struct Position {
    pub line: usize,
    pub column: usize,
}

impl From<Pos> for Position {
    fn from(pos: Pos) -> Self {
        Self {
            line: pos.line.max(1),
            column: pos.column.max(1),
        }
    }
}

/// Something the server's parser would refuse.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct GrammarError {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl GrammarError {
    fn at(pos: impl Into<Position>, message: impl Into<String>) -> Self {
        let position = pos.into();
        Self {
            line: position.line,
            column: position.column,
            message: message.into(),
        }
    }
}

impl From<SyntaxError> for GrammarError {
    fn from(error: SyntaxError) -> Self {
        GrammarError::at(error.pos, error.message)
    }
}

/// One `path` block, with what the server makes of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedRule {
    /// The path as written (before the server strips a leading `/`).
    pub path: String,
    pub position: Position,
    /// The effective capabilities: every `capabilities` list added up, the
    /// legacy `policy` word mapped, and `deny` alone when it is there.
    pub capabilities: Vec<Capability>,
    /// The effective legacy `policy` value (the last one) when that form was used.
    pub legacy_policy: Option<String>,
    /// Every key in the block, in order, repeats included, with its position.
    pub keys: Vec<(String, Position)>,
    /// Wrapping TTL bounds in seconds, when set.
    pub min_wrapping_ttl: Option<i64>,
    pub max_wrapping_ttl: Option<i64>,
    /// OpenBao's `expiration`, Unix seconds.
    pub expiration: Option<i64>,
    /// A `list_scan_response_keys_filter_path` template this crate cannot
    /// evaluate (Go `text/template` beyond `{{.key}}`/`{{.path}}`).
    pub unverified_filter_template: bool,
}

impl ParsedRule {
    fn bare(path: String, position: Position, keys: Vec<(String, Position)>) -> Self {
        Self {
            path,
            position,
            capabilities: Vec::new(),
            legacy_policy: None,
            keys,
            min_wrapping_ttl: None,
            max_wrapping_ttl: None,
            expiration: None,
            unverified_filter_template: false,
        }
    }

    pub fn has_key(&self, key: &str) -> bool {
        self.keys.iter().any(|(k, _)| k == key)
    }
}

/// A policy as the server would read it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ParsedPolicy {
    pub rules: Vec<ParsedRule>,
    /// The text was JSON rather than HCL.
    pub json: bool,
    /// The text was base64, which the server's HTTP handler decodes before
    /// parsing (positions are then in the decoded text).
    pub base64: bool,
    /// Paths the server drops because their `expiration` has passed.
    pub expired: Vec<ParsedRule>,
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
/// Operations a control-group factor may name (`logical.AllOperations`).
const OPERATIONS: [&str; 14] = [
    "create",
    "read",
    "update",
    "patch",
    "delete",
    "list",
    "scan",
    "help",
    "alias-lookahead",
    "resolve-role",
    "header",
    "revoke",
    "renew",
    "rollback",
];

/// Field indexes into [`path_rules_type`].
mod field {
    pub const POLICY: usize = 0;
    pub const CAPABILITIES: usize = 1;
    pub const EXPIRATION: usize = 2;
    pub const MIN_WRAPPING_TTL: usize = 3;
    pub const MAX_WRAPPING_TTL: usize = 4;
    pub const FILTER_PATH: usize = 10;
}

/// The decodable fields of Go's `PathRules`, in struct order.
fn path_rules_type() -> Ty {
    let strings = || Ty::Slice(Box::new(Ty::Str));
    let parameters = || Ty::Map(Box::new(Ty::Slice(Box::new(Ty::Iface))));
    Ty::Struct(Rc::from(vec![
        ("Policy", Ty::Str),
        ("Capabilities", strings()),
        ("expiration", Ty::Str),
        ("min_wrapping_ttl", Ty::Iface),
        ("max_wrapping_ttl", Ty::Iface),
        ("allowed_parameters", parameters()),
        ("denied_parameters", parameters()),
        ("required_parameters", strings()),
        ("mfa_methods", strings()),
        ("pagination_limit", Ty::Int),
        ("list_scan_response_keys_filter_path", Ty::Str),
    ]))
}

fn struct_fields(val: &Val) -> &[Val] {
    match val {
        Val::Struct(values) => values,
        _ => &[],
    }
}

fn dynamic(val: &Val) -> Dynamic<'_> {
    match val {
        Val::Nil => Dynamic::Nil,
        Val::Str(text) => Dynamic::Str(text),
        Val::Int(value) => Dynamic::Int(*value),
        Val::Float(value) => Dynamic::Float(*value),
        _ => Dynamic::Other,
    }
}

/// Where `word` is written as (an element of) the value of `key` in `body`,
/// so that an error points at the word rather than at the block.
fn word_position(body: &ObjectList, key: &str, word: &str) -> Option<Pos> {
    let is_word = |node: &Node| match node {
        Node::Literal(token) => token.string_value().is_ok_and(|v| v == word),
        _ => false,
    };
    body.items
        .iter()
        .filter(|item| {
            item.keys
                .first()
                .is_some_and(|k| k.string_value().is_ok_and(|v| v == key))
        })
        .find_map(|item| match &*item.val {
            Node::Array(array) => array.list.iter().find(|n| is_word(n)).map(Node::pos),
            other if is_word(other) => Some(other.pos()),
            _ => None,
        })
}

/// `hclutil.CheckHCLKeys`: every key of an object must be in `valid`.
fn check_keys(node: &Node, valid: &[&str], prefix: &str) -> Result<Vec<GrammarError>, SyntaxError> {
    let list = match node {
        Node::List(list) => list,
        Node::Object(object) => &object.list,
        other => {
            return Ok(vec![GrammarError::at(
                other.pos(),
                format!("{prefix}expected a block `{{ … }}` here"),
            )]);
        }
    };
    let mut errors = Vec::new();
    for item in &list.items {
        let Some(first) = item.keys.first() else {
            continue;
        };
        let key = first.string_value()?;
        if !valid.contains(&key.as_str()) {
            errors.push(GrammarError::at(
                first.pos,
                format!("{prefix}invalid key \"{key}\""),
            ));
        }
    }
    Ok(errors)
}

fn object_list(node: &Node) -> Option<&ObjectList> {
    match node {
        Node::List(list) => Some(list),
        Node::Object(object) => Some(&object.list),
        _ => None,
    }
}

/// `identitytpl.PopulateString` in validity-check mode: whether the path is
/// templated, or why its `{{ }}` do not balance.
fn templated(path: &str) -> Result<bool, &'static str> {
    let pieces: Vec<&str> = path.split("{{").collect();
    if pieces[0].contains("}}") {
        return Err("unbalanced templating characters");
    }
    for piece in &pieces[1..] {
        if piece.split("}}").count() != 2 {
            return Err("unbalanced templating characters");
        }
    }
    Ok(pieces.len() > 1)
}

/// The control-group checks: keys, a parsable TTL, named factors with real operations.
fn check_control_group(
    item: &ObjectItem,
    errors: &mut Vec<GrammarError>,
) -> Result<(), SyntaxError> {
    let prefix = "path control_group: ";
    let key_errors = check_keys(&item.val, &["ttl", "self_auth_allowed", "factor"], prefix)?;
    if !key_errors.is_empty() {
        errors.extend(key_errors);
        return Ok(());
    }
    let group = Ty::Struct(Rc::from(vec![
        ("ttl", Ty::Iface),
        ("self_auth_allowed", Ty::Bool),
    ]));
    let mut value = Val::zero(&group);
    decode(&item.val, &group, &mut value)?;
    let Some(list) = object_list(&item.val) else {
        return Ok(());
    };
    let factor = Ty::Struct(Rc::from(vec![
        ("controlled_capabilities", Ty::Slice(Box::new(Ty::Str))),
        (
            "Identity",
            Ty::Struct(Rc::from(vec![
                ("group_names", Ty::Slice(Box::new(Ty::Str))),
                ("Approvals", Ty::Int),
            ])),
        ),
    ]));
    for factor_item in list.filter("factor")?.items {
        let prefix = "path control_group factor: ";
        let key_errors = check_keys(
            &factor_item.val,
            &["controlled_capabilities", "identity"],
            prefix,
        )?;
        if !key_errors.is_empty() {
            errors.extend(key_errors);
            continue;
        }
        let mut parsed = Val::zero(&factor);
        decode(&factor_item.val, &factor, &mut parsed)?;
        if factor_item.keys.is_empty() {
            errors.push(GrammarError::at(
                factor_item.pos(),
                format!("{prefix}require name key"),
            ));
            continue;
        }
        for operation in struct_fields(&parsed)[0].strings() {
            if !OPERATIONS.contains(&operation) {
                errors.push(GrammarError::at(
                    factor_item.pos(),
                    format!("path control_group: Operation(s) not valid: {operation}"),
                ));
            }
        }
    }
    if parse_duration_second(&dynamic(&struct_fields(&value)[0])).is_none() {
        errors.push(GrammarError::at(
            item.pos(),
            "path control_group: invalid ttl",
        ));
    }
    Ok(())
}

struct PolicyParser {
    flavour: Flavour,
    now: Option<i64>,
    errors: Vec<GrammarError>,
}

impl PolicyParser {
    /// One `path` item (its `path` key already stripped), or `None` when it
    /// has errors (pushed) or has expired (returned in the second slot).
    fn rule(
        &mut self,
        item: &ObjectItem,
        position: Position,
    ) -> Result<Option<(ParsedRule, bool)>, SyntaxError> {
        let path = match item.keys.first() {
            Some(key) => key.string_value()?,
            None => "path".to_owned(),
        };
        let at =
            |message: String| GrammarError::at(position, format!("path \"{path}\": {message}"));
        if let Err(message) = templated(&path) {
            self.errors.push(at(format!(
                "failed to validate policy templating: {message}"
            )));
            return Ok(None);
        }
        let mut valid: Vec<&str> = COMMON_KEYS.to_vec();
        if self.flavour == Flavour::Openbao {
            valid.extend(OPENBAO_KEYS);
        }
        let key_errors = check_keys(&item.val, &valid, &format!("path \"{path}\": "))?;
        if !key_errors.is_empty() {
            self.errors.extend(key_errors);
            return Ok(None);
        }
        let Some(body) = object_list(&item.val) else {
            return Ok(None);
        };
        let before = self.errors.len();
        for group in body.filter("control_group")?.items {
            check_control_group(&group, &mut self.errors)?;
        }
        let ty = path_rules_type();
        let mut value = Val::zero(&ty);
        decode(&item.val, &ty, &mut value)?;
        let fields = struct_fields(&value);
        let keys = body
            .items
            .iter()
            .filter_map(|i| i.keys.first())
            .map(|k| Ok((k.string_value()?, Position::from(k.pos))))
            .collect::<Result<Vec<_>, SyntaxError>>()?;

        let mut expiration = None;
        let mut expired = false;
        if self.flavour == Flavour::Openbao {
            let raw = fields[field::EXPIRATION].as_str().unwrap_or_default();
            if !raw.is_empty() {
                match parse_absolute_time(raw) {
                    Some(at_time) => {
                        expiration = Some(at_time);
                        expired = self.now.is_some_and(|now| now > at_time);
                    }
                    None => self.errors.push(at(
                        "invalid expiration time: could not parse string as date and time".into(),
                    )),
                }
            }
        }
        let mut words: Vec<String> = fields[field::CAPABILITIES]
            .strings()
            .into_iter()
            .map(str::to_owned)
            .collect();
        let legacy = fields[field::POLICY]
            .as_str()
            .filter(|p| !p.is_empty())
            .map(str::to_owned);
        if expired {
            // The server drops an expired path before any further check.
            let mut rule = ParsedRule::bare(path.clone(), position, keys);
            rule.expiration = expiration;
            rule.legacy_policy = legacy;
            return Ok(Some((rule, true)));
        }
        let stripped = path.strip_prefix('/').unwrap_or(&path);
        if stripped.contains("+*") {
            self.errors
                .push(at("invalid use of wildcards ('+*' is forbidden)".into()));
        }

        if let Some(word) = &legacy {
            match legacy_capabilities(word) {
                Some([Capability::Deny]) => words = vec!["deny".into()],
                Some(mapped) => words.extend(mapped.iter().map(|c| c.as_str().to_owned())),
                None => self.errors.push(GrammarError::at(
                    word_position(body, "policy", word).map_or(position, Position::from),
                    format!(
                        "path \"{path}\": invalid policy \"{word}\" (deny, read, write or sudo)"
                    ),
                )),
            }
        }
        let mut capabilities = Vec::new();
        let mut denied = false;
        for word in &words {
            match Capability::parse(word).filter(|c| c.supported_by(self.flavour)) {
                // `deny` replaces everything and ends the server's checks of this path.
                Some(Capability::Deny) => {
                    capabilities = vec![Capability::Deny];
                    denied = true;
                    break;
                }
                Some(capability) => {
                    if !capabilities.contains(&capability) {
                        capabilities.push(capability);
                    }
                }
                None => {
                    self.errors.push(GrammarError::at(
                        word_position(body, "capabilities", word).map_or(position, Position::from),
                        format!(
                            "path \"{path}\": invalid capability \"{word}\" ({} accepts: {})",
                            self.flavour.as_str(),
                            Capability::names_for(self.flavour).join(", ")
                        ),
                    ));
                    break;
                }
            }
        }

        let mut rule = ParsedRule::bare(path.clone(), position, keys);
        rule.capabilities = capabilities;
        rule.legacy_policy = legacy;
        rule.expiration = expiration;
        if !denied {
            self.wrapping_ttls(&mut rule, fields);
            if self.flavour == Flavour::Openbao {
                let filter = fields[field::FILTER_PATH].as_str().unwrap_or_default();
                if !filter.is_empty() {
                    if !rule.capabilities.contains(&Capability::List) {
                        self.errors.push(at(
                            "list_scan_response_keys_filter_path needs to be used on a path with the list capability".into(),
                        ));
                    }
                    match check_filter_template(filter) {
                        Ok(unverified) => rule.unverified_filter_template = unverified,
                        Err(message) => self.errors.push(at(message)),
                    }
                }
            }
        }
        if self.errors.len() > before {
            return Ok(None);
        }
        Ok(Some((rule, expired)))
    }

    fn wrapping_ttls(&mut self, rule: &mut ParsedRule, fields: &[Val]) {
        let mut parse = |index: usize, name: &str| -> Option<i64> {
            let value = &fields[index];
            if value.is_nil() {
                return None;
            }
            match parse_duration_second(&dynamic(value)) {
                Some(nanos) => Some(nanos / 1_000_000_000),
                None => {
                    self.errors.push(GrammarError::at(
                        rule.position,
                        format!(
                            "path \"{}\": error parsing {name}: not a duration",
                            rule.path
                        ),
                    ));
                    None
                }
            }
        };
        let min = parse(field::MIN_WRAPPING_TTL, "min_wrapping_ttl");
        let max = parse(field::MAX_WRAPPING_TTL, "max_wrapping_ttl");
        if let (Some(min), Some(max)) = (min, max)
            && min != 0
            && max != 0
            && max < min
        {
            self.errors.push(GrammarError::at(
                rule.position,
                format!(
                    "path \"{}\": max_wrapping_ttl cannot be less than min_wrapping_ttl",
                    rule.path
                ),
            ));
        }
        rule.min_wrapping_ttl = min;
        rule.max_wrapping_ttl = max;
    }

    fn policy(&mut self, list: &ObjectList) -> Result<ParsedPolicy, SyntaxError> {
        let top = check_keys(&Node::List(list.clone()), &["name", "path"], "")?;
        if !top.is_empty() {
            self.errors.extend(top);
            return Ok(ParsedPolicy::default());
        }
        let name = Ty::Struct(Rc::from(vec![("name", Ty::Str)]));
        decode(&Node::List(list.clone()), &name, &mut Val::zero(&name))?;
        let mut policy = ParsedPolicy::default();
        for item in &list.items {
            let Some(first) = item.keys.first() else {
                continue;
            };
            if first.string_value()? != "path" {
                continue;
            }
            let mut stripped = item.clone();
            stripped.keys.remove(0);
            if let Some((rule, expired)) = self.rule(&stripped, first.pos.into())? {
                if expired {
                    policy.expired.push(rule);
                } else {
                    policy.rules.push(rule);
                }
            }
        }
        Ok(policy)
    }
}

/// The legacy `policy = "…"` words and the capabilities they stand for.
pub(crate) fn legacy_capabilities(word: &str) -> Option<&'static [Capability]> {
    use Capability::*;
    Some(match word {
        "deny" => &[Deny],
        "read" => &[Read, List],
        "write" => &[Create, Read, Update, Delete, List],
        "sudo" => &[Create, Read, Update, Delete, List, Sudo],
        _ => return None,
    })
}

/// Parses `text` as a policy for `flavour` at Unix time `now` (which decides
/// whether an OpenBao `expiration` has passed; `None` keeps every path).
/// Text that is valid base64 is decoded first, as the server's handler does.
/// Returns every error found, each with its line and column.
pub fn parse_policy_at(
    text: &str,
    flavour: Flavour,
    now: Option<i64>,
) -> Result<ParsedPolicy, Vec<GrammarError>> {
    if text.is_empty() {
        return Err(vec![GrammarError::at(
            Pos::default(),
            "'policy' parameter not supplied or empty",
        )]);
    }
    let decoded = decode_base64(text);
    let bytes = decoded.as_deref().unwrap_or(text.as_bytes());
    let list = hcl1::parse_config(bytes).map_err(|e| vec![GrammarError::from(e)])?;
    let mut parser = PolicyParser {
        flavour,
        now,
        errors: Vec::new(),
    };
    let mut policy = parser
        .policy(&list)
        .map_err(|e| vec![GrammarError::from(e)])?;
    policy.json = hcl1::is_json(bytes);
    policy.base64 = decoded.is_some();
    if parser.errors.is_empty() {
        Ok(policy)
    } else {
        Err(parser.errors)
    }
}

/// [`parse_policy_at`] with no clock: expirations are reported, never applied.
pub fn parse_policy(text: &str, flavour: Flavour) -> Result<ParsedPolicy, Vec<GrammarError>> {
    parse_policy_at(text, flavour, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn errors(text: &str, flavour: Flavour) -> Vec<GrammarError> {
        parse_policy(text, flavour).unwrap_err()
    }

    fn first_error(text: &str) -> String {
        errors(text, Flavour::Openbao)[0].message.clone()
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
    fn accepts_hcl1_that_hcl2_refuses() {
        let next_line = parse_policy(
            "path \"a\"\n{\n  capabilities = [\"read\"]\n}\n",
            Flavour::Vault,
        )
        .unwrap();
        assert_eq!(next_line.rules[0].capabilities, [Capability::Read]);
        let json = parse_policy(
            r#"{"path": {"a": {"capabilities": ["read"]}}}"#,
            Flavour::Vault,
        )
        .unwrap();
        assert!(json.json);
        assert_eq!(json.rules[0].path, "a");
        // The last `policy` wins; `capabilities` lists add up.
        let repeated = parse_policy(
            "path \"a\" {\n  policy = \"read\"\n  policy = \"sudo\"\n  capabilities = [\"patch\"]\n  capabilities = [\"patch\"]\n}\n",
            Flavour::Vault,
        )
        .unwrap();
        let rule = &repeated.rules[0];
        assert_eq!(rule.legacy_policy.as_deref(), Some("sudo"));
        assert!(rule.capabilities.contains(&Capability::Sudo));
        assert!(rule.capabilities.contains(&Capability::Patch));
        assert_eq!(rule.keys.iter().filter(|(k, _)| k == "policy").count(), 2);
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
        assert!(first_error("path \"a/+*\" {\n  capabilities = [\"read\"]\n}\n").contains("'+*'"));
        assert!(first_error("path \"a/{{identity.entity.id\" {}").contains("unbalanced"));
        assert!(first_error("path \"a}}\" {}").contains("unbalanced"));
        assert!(
            first_error("foo \"a\" {\n  capabilities = [\"read\"]\n}\n")
                .contains("invalid key \"foo\"")
        );
        assert!(
            first_error("path \"a\" {\n  capabilities = \"read\"\n}\n")
                .contains("unknown slice type")
        );
        assert!(
            first_error("path \"a\" { min_wrapping_ttl = \"2h\"\n max_wrapping_ttl = \"1h\" }")
                .contains("max_wrapping_ttl cannot be less")
        );
        assert!(
            first_error("path \"a\" { min_wrapping_ttl = \"soon\" }").contains("min_wrapping_ttl")
        );
        assert!(first_error("path \"a\" { policy = \"admin\" }").contains("invalid policy"));
        assert!(first_error("name = [1]").contains("unknown type for string"));
        assert!(first_error("").contains("empty"));
        let e = errors("path \"a\" {\n  capabilities = [\"read\"\n", Flavour::Vault);
        assert_eq!((e[0].line, e[0].column), (3, 1));
    }

    #[test]
    fn deny_ends_the_checks_of_its_path() {
        // The server stops at `deny`: later words and the wrapping TTLs are not checked.
        assert!(
            parse_policy(
                "path \"a\" { capabilities = [\"deny\", \"bogus\"] }",
                Flavour::Openbao
            )
            .is_ok()
        );
        assert!(
            parse_policy(
                "path \"a\" { capabilities = [\"bogus\", \"deny\"] }",
                Flavour::Openbao
            )
            .is_err()
        );
        let p = "path \"a\" { policy = \"deny\"\n capabilities = [\"read\"]\n min_wrapping_ttl = 9\n max_wrapping_ttl = 1 }";
        assert_eq!(
            parse_policy(p, Flavour::Openbao).unwrap().rules[0].capabilities,
            [Capability::Deny]
        );
    }

    #[test]
    fn openbao_keys_expiration_and_filter_paths() {
        let scan = "path \"a/\" {\n  capabilities = [\"scan\"]\n}\n";
        assert!(parse_policy(scan, Flavour::Openbao).is_ok());
        assert!(parse_policy(scan, Flavour::Vault).is_err());
        let subscribe = "path \"a\" {\n  capabilities = [\"subscribe\"]\n}\n";
        assert!(parse_policy(subscribe, Flavour::Vault).is_ok());
        assert!(parse_policy(subscribe, Flavour::Openbao).is_err());
        let expiration = "path \"a\" {\n  capabilities = [\"bogus\"]\n  expiration = \"2001-01-01T00:00:00Z\"\n}\n";
        assert!(parse_policy(expiration, Flavour::Vault).is_err());
        let later = parse_policy_at(
            expiration.replace("bogus", "read").as_str(),
            Flavour::Openbao,
            Some(2_000_000_000),
        )
        .unwrap();
        assert_eq!(later.expired.len(), 1);
        assert!(later.rules.is_empty());
        let filter = |template: &str, caps: &str| {
            parse_policy(
                &format!(
                    "path \"a/\" {{ capabilities = [{caps}]\n list_scan_response_keys_filter_path = \"{template}\" }}"
                ),
                Flavour::Openbao,
            )
        };
        assert!(filter("{{ .path }}{{ .key }}", "\"list\"").is_ok());
        assert!(filter("{{ .path }}", "\"list\"").is_err());
        assert!(filter("{{ .key }}", "\"read\"").is_err());
        assert!(filter("{{ .path }}x", "\"list\"").is_err());
        assert!(
            filter("{{ printf \\\"%s\\\" .key }}", "\"list\"")
                .unwrap()
                .rules[0]
                .unverified_filter_template
        );
    }

    #[test]
    fn control_groups_are_checked() {
        let ok = "path \"a\" { capabilities = [\"read\"]\n control_group = { ttl = \"4h\"\n factor \"ops\" { controlled_capabilities = [\"read\"]\n identity { group_names = [\"g\"]\n approvals = 1 } } } }";
        assert!(
            parse_policy(ok, Flavour::Openbao).is_ok(),
            "{:?}",
            parse_policy(ok, Flavour::Openbao)
        );
        assert!(
            parse_policy(
                &ok.replace("[\"read\"]\n identity", "[\"fly\"]\n identity"),
                Flavour::Openbao
            )
            .is_err()
        );
        assert!(parse_policy(&ok.replace("\"4h\"", "\"later\""), Flavour::Openbao).is_err());
        assert!(parse_policy(&ok.replace("ttl =", "tl ="), Flavour::Openbao).is_err());
    }
}
