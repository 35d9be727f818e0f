//! The HCL v1 JSON parser (`json/parser`), then its flattening of nested
//! objects into multi-key items (`{"path": {"a": {...}}}` reads as
//! `path "a" {...}`). The parser is lenient where Go's is: a member list
//! ends at any token that is not a comma, and text after the top object is
//! never read; `true` and nested `[` inside a list are skipped.

use std::rc::Rc;

use super::scan::{Dialect, Scanner};
use super::{
    Failure, ListType, Node, ObjectItem, ObjectList, ObjectType, SyntaxError, Token, TokenType,
};

struct Parser<'a> {
    scanner: Scanner<'a>,
    tok: Token,
    /// Objects and lists open around the current token.
    depth: usize,
}

pub(super) fn parse(src: &[u8]) -> Result<ObjectList, SyntaxError> {
    let mut parser = Parser {
        scanner: Scanner::new(src, Dialect::Json),
        depth: 0,
        tok: Token {
            ty: TokenType::Illegal,
            pos: Default::default(),
            text: String::new(),
            json: true,
        },
    };
    let object = parser.object();
    if let Some((pos, message)) = parser.scanner.errors.last() {
        return Err(SyntaxError::new(*pos, message.clone()));
    }
    object
        .map(|object| flatten_list(object.list))
        .map_err(|failure| failure.into_error(parser.tok.pos))
}

impl Parser<'_> {
    fn scan(&mut self) -> Token {
        self.tok = self.scanner.scan();
        self.tok.clone()
    }

    fn error(&self, message: String) -> Failure {
        Failure::Syntax(SyntaxError::new(self.tok.pos, message))
    }

    /// Members up to the first token that is not a comma; on failure, the
    /// members read so far come back too (an object closed by `}` keeps them).
    fn object_list(&mut self) -> (ObjectList, Option<Failure>) {
        let mut list = ObjectList::default();
        loop {
            match self.object_item() {
                Err(Failure::Eof) => break,
                Err(failure) => return (list, Some(failure)),
                Ok(item) => list.items.push(item),
            }
            if self.scan().ty != TokenType::Comma {
                break;
            }
        }
        (list, None)
    }

    fn object_item(&mut self) -> Result<ObjectItem, Failure> {
        let keys = self.object_key()?;
        let assign = self.tok.pos;
        let val = self.object_value()?;
        Ok(ObjectItem {
            keys,
            assign: Some(assign),
            val: Rc::new(val),
        })
    }

    fn object_key(&mut self) -> Result<Vec<Token>, Failure> {
        let mut keys = Vec::new();
        loop {
            let tok = self.scan();
            match tok.ty {
                TokenType::Eof => return Err(Failure::Eof),
                TokenType::String => keys.push(tok),
                TokenType::Colon if keys.is_empty() => {
                    return Err(self.error("expected: STRING got: COLON".into()));
                }
                TokenType::Colon => return Ok(keys),
                TokenType::Illegal => return Err(self.error("illegal".into())),
                other => return Err(self.error(format!("expected: STRING got: {other}"))),
            }
        }
    }

    fn object_value(&mut self) -> Result<Node, Failure> {
        let tok = self.scan();
        match tok.ty {
            TokenType::Number
            | TokenType::Float
            | TokenType::Bool
            | TokenType::Null
            | TokenType::String => Ok(Node::Literal(literal(tok))),
            TokenType::LBrace => Ok(Node::Object(self.object_type()?)),
            TokenType::LBrack => Ok(Node::Array(self.list_type()?)),
            TokenType::Eof => Err(Failure::Eof),
            other => Err(self.error(format!(
                "Expected object value, got unknown token: {other} {}",
                tok.text
            ))),
        }
    }

    fn object(&mut self) -> Result<ObjectType, Failure> {
        let tok = self.scan();
        match tok.ty {
            TokenType::LBrace => self.object_type(),
            TokenType::Eof => Err(Failure::Eof),
            other => Err(self.error(format!(
                "Expected object, got unknown token: {other} {}",
                tok.text
            ))),
        }
    }

    /// An object, at most [`MAX_DEPTH`](super::MAX_DEPTH) levels deep.
    fn object_type(&mut self) -> Result<ObjectType, Failure> {
        super::within_depth(self, |p| (&mut p.depth, p.tok.pos), Self::object_body)
    }

    /// A list, at most [`MAX_DEPTH`](super::MAX_DEPTH) levels deep.
    fn list_type(&mut self) -> Result<ListType, Failure> {
        super::within_depth(self, |p| (&mut p.depth, p.tok.pos), Self::list_body)
    }

    fn object_body(&mut self) -> Result<ObjectType, Failure> {
        let lbrace = self.tok.pos;
        let (list, failure) = self.object_list();
        if let Some(failure) = failure
            && self.tok.ty != TokenType::RBrace
        {
            return Err(failure);
        }
        Ok(ObjectType { lbrace, list })
    }

    fn list_body(&mut self) -> Result<ListType, Failure> {
        let lbrack = self.tok.pos;
        let mut list = Vec::new();
        loop {
            let tok = self.scan();
            match tok.ty {
                TokenType::Number | TokenType::Float | TokenType::String => {
                    list.push(Node::Literal(literal(tok)));
                }
                TokenType::LBrace => list.push(Node::Object(self.object_type()?)),
                // Go skips these without a word.
                TokenType::Comma | TokenType::Bool | TokenType::LBrack => {}
                TokenType::RBrack => return Ok(ListType { lbrack, list }),
                other => {
                    return Err(self.error(format!("unexpected token while parsing list: {other}")));
                }
            }
        }
    }
}

/// `json/token.HCLToken`: `null` becomes an empty, non-JSON string.
fn literal(mut tok: Token) -> Token {
    if tok.ty == TokenType::Null {
        tok.ty = TokenType::String;
        tok.text.clear();
        tok.json = false;
    }
    tok
}

/// `flattenObjects`: an item whose object value holds only objects becomes
/// one item per member with the member's key appended; a list of objects
/// becomes one item per element. Then the same inside every value.
fn flatten_list(list: ObjectList) -> ObjectList {
    let mut items = Vec::with_capacity(list.items.len());
    let mut frontier = list.items;
    while let Some(item) = frontier.pop() {
        match &*item.val {
            Node::Object(object) => {
                let members = &object.list.items;
                let all_objects = members
                    .iter()
                    .all(|member| matches!(&*member.val, Node::Object(_)));
                if members.is_empty() || !all_objects {
                    items.push(item);
                } else {
                    for member in members {
                        let mut keys = item.keys.clone();
                        keys.extend(member.keys.iter().cloned());
                        frontier.push(ObjectItem {
                            keys,
                            assign: item.assign,
                            val: Rc::clone(&member.val),
                        });
                    }
                }
            }
            Node::Array(array) => {
                let all_objects = array.list.iter().all(|e| matches!(e, Node::Object(_)));
                if array.list.is_empty() || !all_objects {
                    items.push(item);
                } else {
                    for element in &array.list {
                        frontier.push(ObjectItem {
                            keys: item.keys.clone(),
                            assign: item.assign,
                            val: Rc::new(element.clone()),
                        });
                    }
                }
            }
            _ => items.push(item),
        }
    }
    items.reverse();
    let items = items
        .into_iter()
        .map(|item| ObjectItem {
            val: Rc::new(flatten_node(&item.val)),
            ..item
        })
        .collect();
    ObjectList { items }
}

fn flatten_node(node: &Node) -> Node {
    match node {
        Node::Object(object) => Node::Object(ObjectType {
            lbrace: object.lbrace,
            list: flatten_list(object.list.clone()),
        }),
        Node::Array(array) => Node::Array(ListType {
            lbrack: array.lbrack,
            list: array.list.iter().map(flatten_node).collect(),
        }),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use super::super::item_keys as keys;

    #[test]
    fn nested_objects_flatten_in_order() {
        let list = parse(
            br#"{"path": {"a": {"capabilities": ["read"]}, "b": {"policy": "write"}}, "name": "x"}"#,
        )
        .unwrap();
        assert_eq!(
            keys(&list),
            [vec!["path", "a"], vec!["path", "b"], vec!["name"]]
        );
        let list = parse(br#"{"path": [{"a": {}}, {"b": {}}]}"#).unwrap();
        assert_eq!(keys(&list), [vec!["path", "a"], vec!["path", "b"]]);
    }

    #[test]
    fn go_leniencies_are_kept() {
        // An unfinished member at the end is dropped; text after the object is not read.
        assert!(parse(br#"{"path": "#).unwrap().items.is_empty());
        assert_eq!(
            parse(br#"{"a": 1} trailing garbage"#).unwrap().items.len(),
            1
        );
        assert_eq!(parse(br#"{"a": 1 "b": 2}"#).unwrap().items.len(), 1);
        // `true` and `[` inside a list are skipped.
        let list = parse(br#"{"a": [true, ["x"]]}"#).unwrap();
        assert!(matches!(&*list.items[0].val, Node::Array(a) if a.list.len() == 1));
    }

    #[test]
    fn refusals() {
        assert!(parse(br#"{"a": 05}"#).is_err());
        assert!(parse(br#"{"a": [null]}"#).is_err());
        assert!(parse(br#"{"a": "x\/y"}"#).is_err());
        assert!(parse(br#"{"path": {"a": {"capabilities": ["read" :]}}}"#).is_err());
        // A list closed by `}` fails inside an object that `}` then closes:
        // Go keeps the object without that member (OpenBao 2.7.2 accepts it).
        let list = parse(br#"{"path": {"a": {"capabilities": ["read"}}}"#).unwrap();
        assert!(matches!(&*list.items[0].val, Node::Object(o) if o.list.items.is_empty()));
    }
}
