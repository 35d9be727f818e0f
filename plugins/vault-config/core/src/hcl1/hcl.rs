//! The HCL v1 parser (`hcl/parser/parser.go`), as `ParseDontErrorOnDuplicateKeys`
//! runs it for policies. Its leniencies are the server's and are kept: items
//! need no separator, a trailing `key =` at the end of the file is dropped
//! without error, nested lists need no comma after them.

use std::rc::Rc;

use super::scan::{Dialect, Scanner};
use super::{
    Failure, ListType, Node, ObjectItem, ObjectList, ObjectType, SyntaxError, Token, TokenType,
};

struct Parser<'a> {
    scanner: Scanner<'a>,
    tok: Token,
    /// The one-token `unscan` buffer.
    buffered: bool,
    /// Objects and lists open around the current token.
    depth: usize,
}

pub(super) fn parse(src: &[u8]) -> Result<ObjectList, SyntaxError> {
    let mut parser = Parser {
        scanner: Scanner::new(src, Dialect::Hcl),
        depth: 0,
        tok: Token {
            ty: TokenType::Illegal,
            pos: Default::default(),
            text: String::new(),
            json: false,
        },
        buffered: false,
    };
    let result = parser.object_list(false);
    // A scanner error anywhere in what was read wins, as in Go (the last one).
    if let Some((pos, message)) = parser.scanner.errors.last() {
        return Err(SyntaxError::new(*pos, message.clone()));
    }
    result.map_err(|failure| failure.into_error(parser.tok.pos))
}

impl Parser<'_> {
    /// The next token, skipping comments.
    fn scan(&mut self) -> Token {
        if self.buffered {
            self.buffered = false;
            return self.tok.clone();
        }
        loop {
            self.tok = self.scanner.scan();
            if self.tok.ty != TokenType::Comment {
                return self.tok.clone();
            }
        }
    }

    fn unscan(&mut self) {
        self.buffered = true;
    }

    fn object_list(&mut self, in_object: bool) -> Result<ObjectList, Failure> {
        let mut list = ObjectList::default();
        loop {
            if in_object {
                let tok = self.scan();
                self.unscan();
                if tok.ty == TokenType::RBrace {
                    break;
                }
            }
            match self.object_item() {
                Err(Failure::Eof) => break,
                Err(error) => return Err(error),
                Ok(item) => list.items.push(item),
            }
            // Items may be separated by a comma.
            if self.scan().ty != TokenType::Comma {
                self.unscan();
            }
        }
        Ok(list)
    }

    fn object_item(&mut self) -> Result<ObjectItem, Failure> {
        let (keys, mut failure) = self.object_key();
        if !keys.is_empty() && matches!(failure, Some(Failure::Eof)) {
            failure = None;
        }
        if !keys.is_empty() && failure.is_some() && self.tok.ty == TokenType::RBrace {
            // Keys then `}`: Go clears the error and fails below on the type.
            failure = None;
            self.tok.ty = TokenType::Eof;
        }
        if let Some(failure) = failure {
            return Err(failure);
        }
        match self.tok.ty {
            TokenType::Assign => {
                let assign = self.tok.pos;
                let val = self.object()?;
                Ok(ObjectItem {
                    keys,
                    assign: Some(assign),
                    val: Rc::new(val),
                })
            }
            TokenType::LBrace => {
                let val = self.object_type()?;
                Ok(ObjectItem {
                    keys,
                    assign: None,
                    val: Rc::new(Node::Object(val)),
                })
            }
            _ => {
                let names: Vec<&str> = keys.iter().map(|k| k.text.as_str()).collect();
                Err(SyntaxError::new(
                    self.tok.pos,
                    format!(
                        "key '{}' expected start of object ('{{') or assignment ('=')",
                        names.join(" ")
                    ),
                )
                .into())
            }
        }
    }

    fn object_key(&mut self) -> (Vec<Token>, Option<Failure>) {
        let mut keys = Vec::new();
        loop {
            let tok = self.scan();
            let error = |message: String| Some(Failure::Syntax(SyntaxError::new(tok.pos, message)));
            match tok.ty {
                TokenType::Eof => return (keys, Some(Failure::Eof)),
                TokenType::Assign => {
                    return match keys.len() {
                        0 => (Vec::new(), error("no object keys found!".into())),
                        1 => (keys, None),
                        _ => (
                            Vec::new(),
                            error("nested object expected: LBRACE got: ASSIGN".into()),
                        ),
                    };
                }
                TokenType::LBrace => {
                    let failure = if keys.is_empty() {
                        error("expected: IDENT | STRING got: LBRACE".into())
                    } else {
                        None
                    };
                    return (keys, failure);
                }
                TokenType::Ident | TokenType::String => keys.push(tok),
                TokenType::Illegal => return (keys, error("illegal character".into())),
                other => {
                    return (
                        keys,
                        error(format!(
                            "expected: IDENT | STRING | ASSIGN | LBRACE got: {other}"
                        )),
                    );
                }
            }
        }
    }

    /// A value after `=`.
    fn object(&mut self) -> Result<Node, Failure> {
        let tok = self.scan();
        match tok.ty {
            TokenType::Number
            | TokenType::Float
            | TokenType::Bool
            | TokenType::String
            | TokenType::Heredoc => Ok(Node::Literal(tok)),
            TokenType::LBrace => Ok(Node::Object(self.object_type()?)),
            TokenType::LBrack => Ok(Node::Array(self.list_type()?)),
            TokenType::Eof => Err(Failure::Eof),
            other => Err(
                SyntaxError::new(tok.pos, format!("Unknown token: {other} {}", tok.text)).into(),
            ),
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
        let list = self.object_list(true)?;
        let tok = self.scan();
        if tok.ty != TokenType::RBrace {
            return Err(SyntaxError::new(
                tok.pos,
                format!("object expected closing RBRACE got: {}", tok.ty),
            )
            .into());
        }
        Ok(ObjectType { lbrace, list })
    }

    fn list_body(&mut self) -> Result<ListType, Failure> {
        let lbrack = self.tok.pos;
        let mut list = Vec::new();
        let mut need_comma = false;
        loop {
            let tok = self.scan();
            if need_comma && !matches!(tok.ty, TokenType::Comma | TokenType::RBrack) {
                return Err(SyntaxError::new(
                    tok.pos,
                    format!(
                        "error parsing list, expected comma or list end, got: {}",
                        tok.ty
                    ),
                )
                .into());
            }
            match tok.ty {
                TokenType::Bool
                | TokenType::Number
                | TokenType::Float
                | TokenType::String
                | TokenType::Heredoc => {
                    list.push(Node::Literal(tok));
                    need_comma = true;
                }
                TokenType::Comma => need_comma = false,
                TokenType::LBrace => {
                    let object = self
                        .object_type()
                        .map_err(|failure| nested(tok.pos, "object within list", failure))?;
                    list.push(Node::Object(object));
                    need_comma = true;
                }
                TokenType::LBrack => {
                    // Go does not ask for a comma after a nested list.
                    let inner = self
                        .list_type()
                        .map_err(|failure| nested(tok.pos, "list within list", failure))?;
                    list.push(Node::Array(inner));
                }
                TokenType::RBrack => return Ok(ListType { lbrack, list }),
                other => {
                    return Err(SyntaxError::new(
                        tok.pos,
                        format!("unexpected token while parsing list: {other}"),
                    )
                    .into());
                }
            }
        }
    }
}

fn nested(pos: super::Pos, what: &str, failure: Failure) -> Failure {
    let inner = failure.into_error(pos).message;
    SyntaxError::new(pos, format!("error while trying to parse {what}: {inner}")).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nesting_deeper_than_the_cap_is_refused_not_a_stack_overflow() {
        for open in ["a = ", "a = [", "a { b = "] {
            let deep = format!("{}{}", open, "[".repeat(100_000));
            let error = parse(deep.as_bytes()).unwrap_err();
            assert!(error.message.contains("nested deeper than 64"), "{error}");
            assert!(
                error.message.len() < 8 << 10,
                "{} bytes",
                error.message.len()
            );
        }
        let deep = format!("{{\"a\": {}", "{\"b\": ".repeat(100_000));
        let error = super::super::json::parse(deep.as_bytes()).unwrap_err();
        assert!(error.message.contains("nested deeper than 64"), "{error}");
        // Within the cap, nesting is read as before.
        ok(&format!("a = {}{}", "[".repeat(60), "]".repeat(60)));
    }

    fn ok(text: &str) -> ObjectList {
        parse(text.as_bytes()).unwrap_or_else(|e| panic!("{text:?}: {e}"))
    }

    fn err(text: &str) -> SyntaxError {
        parse(text.as_bytes()).expect_err(text)
    }

    #[test]
    fn accepts_what_hcl1_accepts() {
        // Brace on the next line, one-line bodies, commas between items.
        assert_eq!(
            ok("path \"a\"\n{\n  capabilities = [\"read\"]\n}\n")
                .items
                .len(),
            1
        );
        assert_eq!(
            ok("path \"a\" { policy = \"read\" policy = \"sudo\" }")
                .items
                .len(),
            1
        );
        assert_eq!(ok("a = 1, b = 2").items.len(), 2);
        // A dangling `key =` at the end of the file is dropped.
        assert_eq!(ok("path \"a\" {}\nname =").items.len(), 1);
        // Nested lists need no comma after them.
        assert!(matches!(&*ok("a = [[1] [2]]").items[0].val, Node::Array(l) if l.list.len() == 2));
    }

    #[test]
    fn refuses_with_positions() {
        let e = err("path \"a\" {\n  capabilities = [\"read\"\n}\n");
        assert_eq!((e.pos.line, e.pos.column), (3, 1));
        assert!(e.message.contains("expected comma or list end"), "{e}");
        let e = err("path \"a\" {\n  capabilities = [\"read\"]\n");
        assert!(
            e.message
                .contains("object expected closing RBRACE got: EOF"),
            "{e}"
        );
        let e = err("path \"a\" \"b\" = 1");
        assert!(e.message.contains("nested object expected"), "{e}");
        let e = err("path \"a\" { capabilities }");
        assert!(e.message.contains("expected start of object"), "{e}");
        let e = err("a = b");
        assert!(e.message.contains("Unknown token: IDENT"), "{e}");
        let e = err("a = 1\n$");
        assert_eq!(
            (e.pos.line, e.pos.column, e.message.as_str()),
            (2, 1, "illegal char")
        );
    }
}
