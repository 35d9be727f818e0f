//! HCL version 1, as the Vault and OpenBao servers read policies.
//!
//! The servers parse policies with github.com/hashicorp/hcl v1 (OpenBao 2.x
//! pins `v1.0.1-vault-7`), not with HCL2: a `{` on the next line, JSON syntax
//! and repeated keys are all accepted there, and HCL2 parsers refuse them. This
//! module is a faithful port of that version's scanners, parsers and the parts
//! of its reflection decoder that policies reach, with line and column kept:
//!
//! - [`parse_config`] is `sdk/helper/hclutil.ParseConfig`: text whose first
//!   non-space character is `{` is JSON, the rest HCL without the
//!   duplicate-key error;
//! - [`decode`] reproduces `hcl.DecodeObject` for the Go types a policy
//!   decodes into, including how repeated keys combine (last string wins,
//!   lists append, maps merge).
//!
//! No server code is copied; the Go sources were read to port their rules.

pub mod decode;
mod hcl;
mod json;
mod scan;
mod unquote;

use std::fmt;
use std::rc::Rc;

/// A position in the source: byte offset, 1-based line and column (columns
/// count characters, as Go's scanner does).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Pos {
    pub offset: usize,
    pub line: usize,
    pub column: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenType {
    Illegal,
    Eof,
    Comment,
    Ident,
    Number,
    Float,
    Bool,
    String,
    Heredoc,
    LBrack,
    LBrace,
    Comma,
    Period,
    RBrack,
    RBrace,
    Assign,
    Add,
    Sub,
    Colon,
    Null,
}

impl fmt::Display for TokenType {
    /// The names Go's token package prints, so messages read like the server's.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self {
            TokenType::Illegal => "ILLEGAL",
            TokenType::Eof => "EOF",
            TokenType::Comment => "COMMENT",
            TokenType::Ident => "IDENT",
            TokenType::Number => "NUMBER",
            TokenType::Float => "FLOAT",
            TokenType::Bool => "BOOL",
            TokenType::String => "STRING",
            TokenType::Heredoc => "HEREDOC",
            TokenType::LBrack => "LBRACK",
            TokenType::LBrace => "LBRACE",
            TokenType::Comma => "COMMA",
            TokenType::Period => "PERIOD",
            TokenType::RBrack => "RBRACK",
            TokenType::RBrace => "RBRACE",
            TokenType::Assign => "ASSIGN",
            TokenType::Add => "ADD",
            TokenType::Sub => "SUB",
            TokenType::Colon => "COLON",
            TokenType::Null => "NULL",
        };
        f.write_str(name)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    pub ty: TokenType,
    pub pos: Pos,
    pub text: String,
    /// A string from the JSON parser, unquoted by Go's `strconv.Unquote`
    /// rather than HCL's own unquote.
    pub json: bool,
}

impl Token {
    /// Go's `Token.Value()` as a string, for keys and string literals. Where
    /// Go panics (a string its unquote refuses after the scanner let it
    /// through), the server's request fails; that is an error here.
    pub fn string_value(&self) -> Result<String, SyntaxError> {
        let failed = |what: &str| SyntaxError {
            pos: self.pos,
            message: format!(
                "the server's parser fails on {what} {} (its request would fail)",
                self.text
            ),
        };
        match self.ty {
            TokenType::Ident => Ok(self.text.clone()),
            // JSON null reads as an empty string.
            TokenType::String if self.text.is_empty() => Ok(String::new()),
            TokenType::String if self.json => {
                unquote::go_unquote(&self.text).map_err(|()| failed("the string"))
            }
            TokenType::String => {
                unquote::hcl_unquote(&self.text).map_err(|()| failed("the string"))
            }
            TokenType::Heredoc => {
                unquote::unindent_heredoc(&self.text).map_err(|()| failed("the heredoc"))
            }
            _ => Err(failed("the token")),
        }
    }
}

/// A list of items: a file's body or the inside of `{ }`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ObjectList {
    pub items: Vec<ObjectItem>,
}

/// `keys... = value` or `keys... { ... }`.
#[derive(Debug, Clone, PartialEq)]
pub struct ObjectItem {
    pub keys: Vec<Token>,
    /// Where the `=` (or JSON `:`) is, when there is one.
    pub assign: Option<Pos>,
    pub val: Rc<Node>,
}

impl ObjectItem {
    /// Where the item starts: its first key, or its value.
    pub fn pos(&self) -> Pos {
        self.keys
            .first()
            .map_or_else(|| self.val.pos(), |key| key.pos)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ObjectType {
    pub lbrace: Pos,
    pub list: ObjectList,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ListType {
    pub lbrack: Pos,
    pub list: Vec<Node>,
}

/// The node kinds of Go's `hcl/ast`.
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    List(ObjectList),
    Object(ObjectType),
    Array(ListType),
    Literal(Token),
    Item(ObjectItem),
}

impl Node {
    pub fn pos(&self) -> Pos {
        match self {
            Node::List(list) => list
                .items
                .first()
                .map_or_else(Pos::default, ObjectItem::pos),
            Node::Object(object) => object.lbrace,
            Node::Array(array) => array.lbrack,
            Node::Literal(token) => token.pos,
            Node::Item(item) => item.pos(),
        }
    }
}

/// Go's `strings.EqualFold` for the ASCII keys policies use; other
/// characters compare by their lower-case forms.
fn equal_fold(a: &str, b: &str) -> bool {
    a == b
        || a.chars()
            .flat_map(char::to_lowercase)
            .eq(b.chars().flat_map(char::to_lowercase))
}

impl ObjectList {
    /// Go's `ObjectList.Filter(key)`: the items whose first key matches
    /// (case-insensitively), with that key stripped.
    pub fn filter(&self, key: &str) -> Result<ObjectList, SyntaxError> {
        let mut out = ObjectList::default();
        for item in &self.items {
            let Some(first) = item.keys.first() else {
                continue;
            };
            if equal_fold(&first.string_value()?, key) {
                let mut stripped = item.clone();
                stripped.keys.remove(0);
                out.items.push(stripped);
            }
        }
        Ok(out)
    }

    /// Items with keys left after a filter (`Children`).
    pub fn children(&self) -> ObjectList {
        ObjectList {
            items: self
                .items
                .iter()
                .filter(|i| !i.keys.is_empty())
                .cloned()
                .collect(),
        }
    }

    /// Items with no keys left after a filter (`Elem`).
    pub fn elem(&self) -> ObjectList {
        ObjectList {
            items: self
                .items
                .iter()
                .filter(|i| i.keys.is_empty())
                .cloned()
                .collect(),
        }
    }
}

/// The deepest nesting of objects and lists read: a policy needs four. A deeper
/// input is refused before its recursion can exhaust the stack (a plugin's is small),
/// and the error, which names every level as the server's does, stays short.
pub(crate) const MAX_DEPTH: usize = 64;

/// Runs `body` (an object or a list of either parser) one level deeper; `state`
/// gives the parser's depth counter and the opening token's position. Refused past
/// [`MAX_DEPTH`].
pub(crate) fn within_depth<P, T>(
    parser: &mut P,
    state: fn(&mut P) -> (&mut usize, Pos),
    body: fn(&mut P) -> Result<T, Failure>,
) -> Result<T, Failure> {
    let (depth, pos) = state(parser);
    if *depth >= MAX_DEPTH {
        return Err(SyntaxError::new(
            pos,
            format!("objects and lists nested deeper than {MAX_DEPTH} levels"),
        )
        .into());
    }
    *depth += 1;
    let result = body(parser);
    *state(parser).0 -= 1;
    result
}

/// How a parse step ends early: Go's `errEofToken` travels as an error and
/// ends a list quietly; anything else is a syntax error.
pub(crate) enum Failure {
    Eof,
    Syntax(SyntaxError),
}

impl From<SyntaxError> for Failure {
    fn from(error: SyntaxError) -> Self {
        Failure::Syntax(error)
    }
}

impl Failure {
    /// The error a whole parse reports when it ends this way at `pos`.
    pub(crate) fn into_error(self, pos: Pos) -> SyntaxError {
        match self {
            Failure::Syntax(error) => error,
            Failure::Eof => SyntaxError::new(pos, "EOF token found"),
        }
    }
}

/// What the server's parser refuses, with where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {}, column {}: {message}", pos.line, pos.column)]
pub struct SyntaxError {
    pub pos: Pos,
    pub message: String,
}

impl SyntaxError {
    pub(crate) fn new(pos: Pos, message: impl Into<String>) -> Self {
        Self {
            pos,
            message: message.into(),
        }
    }
}

/// Go's `strings.TrimSpace(...)` then `HasPrefix("{")`: the server's test for JSON.
pub fn is_json(bytes: &[u8]) -> bool {
    let text = String::from_utf8_lossy(bytes);
    text.trim_start().starts_with('{')
}

/// `hclutil.ParseConfig`: JSON when the text starts with `{`, HCL otherwise
/// (with `\r\n` normalised to `\n` first, as the HCL parser does).
pub fn parse_config(bytes: &[u8]) -> Result<ObjectList, SyntaxError> {
    if is_json(bytes) {
        json::parse(bytes)
    } else {
        let mut normalised = Vec::with_capacity(bytes.len());
        let mut rest = bytes;
        while let Some((&first, tail)) = rest.split_first() {
            if first == b'\r' && tail.first() == Some(&b'\n') {
                rest = tail;
                continue;
            }
            normalised.push(first);
            rest = tail;
        }
        hcl::parse(&normalised)
    }
}

/// The keys of each item, for tests of both parsers.
#[cfg(test)]
pub(crate) fn item_keys(list: &ObjectList) -> Vec<Vec<String>> {
    list.items
        .iter()
        .map(|item| {
            item.keys
                .iter()
                .map(|k| k.string_value().unwrap())
                .collect()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(list: &ObjectList) -> Vec<Vec<String>> {
        item_keys(list)
    }

    #[test]
    fn hcl_and_json_give_the_same_items() {
        let hcl = parse_config(b"path \"a\"\n{\n  capabilities = [\"read\"]\n}\n").unwrap();
        let json = parse_config(b" {\"path\": {\"a\": {\"capabilities\": [\"read\"]}}}").unwrap();
        assert_eq!(keys(&hcl), [["path", "a"]]);
        assert_eq!(keys(&json), [["path", "a"]]);
        assert_eq!(
            hcl.items[0].keys[0].pos,
            Pos {
                offset: 0,
                line: 1,
                column: 1
            }
        );
    }

    #[test]
    fn filter_is_case_insensitive_and_strips_the_key() {
        let list = parse_config(b"Path \"a\" {}\npath \"b\" {}\nname = \"x\"").unwrap();
        let paths = list.filter("path").unwrap();
        assert_eq!(keys(&paths), [["a"], ["b"]]);
        assert_eq!(paths.children().items.len(), 2);
        assert!(paths.elem().items.is_empty());
    }

    #[test]
    fn crlf_is_normalised_before_hcl_scanning() {
        assert!(parse_config(b"path \"a\" {\r\n  capabilities = [\"read\"]\r\n}\r\n").is_ok());
    }
}
