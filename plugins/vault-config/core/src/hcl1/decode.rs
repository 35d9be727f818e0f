//! `hcl.DecodeObject` (decoder.go) for the Go types a policy decodes into.
//!
//! The server decodes each `path` block into a Go struct by reflection, and
//! that is where repeated keys get their meaning: a string field keeps the
//! last value, a slice field appends every occurrence (two `capabilities`
//! lists grant their union), a map merges, and an `interface{}` field keeps
//! the Go type of its first value (so `ttl = 5` then `ttl = "1h"` fails).
//! [`Ty`] names the Go type, [`Val`] holds what Go would hold.

use std::collections::HashSet;
use std::rc::Rc;

use super::{Node, ObjectList, SyntaxError, TokenType};
use crate::gostd::{parse_float, parse_int};

/// A Go type the decoder can fill.
#[derive(Debug, Clone, PartialEq)]
pub enum Ty {
    Bool,
    Int,
    Float,
    Str,
    /// `interface{}`: takes the type of what it first decodes.
    Iface,
    Slice(Box<Ty>),
    /// `map[string]T`.
    Map(Box<Ty>),
    /// A struct; each field is matched by name (case-insensitively).
    Struct(Rc<[(&'static str, Ty)]>),
}

/// A decoded Go value. `Nil` is a nil slice, map or interface.
#[derive(Debug, Clone, PartialEq)]
pub enum Val {
    Nil,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Slice(Ty, Vec<Val>),
    Map(Ty, Vec<(String, Val)>),
    Struct(Vec<Val>),
}

impl Val {
    /// Go's zero value of `ty`.
    pub fn zero(ty: &Ty) -> Val {
        match ty {
            Ty::Bool => Val::Bool(false),
            Ty::Int => Val::Int(0),
            Ty::Float => Val::Float(0.0),
            Ty::Str => Val::Str(String::new()),
            Ty::Iface | Ty::Slice(_) | Ty::Map(_) => Val::Nil,
            Ty::Struct(fields) => Val::Struct(fields.iter().map(|(_, t)| Val::zero(t)).collect()),
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Val::Str(text) => Some(text),
            _ => None,
        }
    }

    /// The strings of a `[]string`; empty for nil.
    pub fn strings(&self) -> Vec<&str> {
        match self {
            Val::Slice(_, items) => items.iter().filter_map(Val::as_str).collect(),
            _ => Vec::new(),
        }
    }

    /// The keys of a map; `None` for nil (Go tells nil from empty).
    pub fn map_keys(&self) -> Option<Vec<&str>> {
        match self {
            Val::Map(_, entries) => Some(entries.iter().map(|(k, _)| k.as_str()).collect()),
            _ => None,
        }
    }

    pub fn is_nil(&self) -> bool {
        matches!(self, Val::Nil)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Bool,
    Int,
    Float,
    Str,
    Iface,
    Slice,
    Map,
    Struct,
}

fn kind_of(ty: &Ty, val: &Val) -> Kind {
    match ty {
        // An interface holding a value decodes as that value's type.
        Ty::Iface => match val {
            Val::Nil => Kind::Iface,
            Val::Bool(_) => Kind::Bool,
            Val::Int(_) => Kind::Int,
            Val::Float(_) => Kind::Float,
            Val::Str(_) => Kind::Str,
            Val::Slice(..) => Kind::Slice,
            Val::Map(..) => Kind::Map,
            Val::Struct(_) => Kind::Struct,
        },
        Ty::Bool => Kind::Bool,
        Ty::Int => Kind::Int,
        Ty::Float => Kind::Float,
        Ty::Str => Kind::Str,
        Ty::Slice(_) => Kind::Slice,
        Ty::Map(_) => Kind::Map,
        Ty::Struct(_) => Kind::Struct,
    }
}

/// The element type of a slice or map, from its declared type or, behind an
/// interface, from the value it holds.
fn element(ty: &Ty, val: &Val) -> Ty {
    match (ty, val) {
        (Ty::Slice(e) | Ty::Map(e), _) => (**e).clone(),
        (_, Val::Slice(e, _) | Val::Map(e, _)) => e.clone(),
        _ => Ty::Iface,
    }
}

fn node_name(node: &Node) -> &'static str {
    match node {
        Node::List(_) => "*ast.ObjectList",
        Node::Object(_) => "*ast.ObjectType",
        Node::Array(_) => "*ast.ListType",
        Node::Literal(_) => "*ast.LiteralType",
        Node::Item(_) => "*ast.ObjectItem",
    }
}

/// Decodes `node` into `val` of type `ty`, as `DecodeObject` does.
pub fn decode(node: &Node, ty: &Ty, val: &mut Val) -> Result<(), SyntaxError> {
    Decoder { stack: Vec::new() }.decode("root", node, ty, val)
}

struct Decoder {
    /// The kinds being decoded, innermost last: an interface decodes an
    /// object as a map when directly inside a slice, else as a list of maps.
    stack: Vec<Kind>,
}

impl Decoder {
    fn decode(
        &mut self,
        name: &str,
        node: &Node,
        ty: &Ty,
        val: &mut Val,
    ) -> Result<(), SyntaxError> {
        let kind = kind_of(ty, val);
        let pushed = kind != Kind::Iface;
        if pushed {
            self.stack.push(kind);
        }
        let result = match kind {
            Kind::Bool => decode_bool(name, node, val),
            Kind::Int => decode_int(name, node, val),
            Kind::Float => decode_float(name, node, val),
            Kind::Str => decode_string(name, node, val),
            Kind::Iface => self.decode_interface(name, node, val),
            Kind::Slice => self.decode_slice(name, node, ty, val),
            Kind::Map => self.decode_map(name, node, ty, val),
            Kind::Struct => match ty {
                Ty::Struct(fields) => self.decode_struct(name, node, fields, val),
                _ => Err(unknown(name, node, "struct")),
            },
        };
        if pushed {
            self.stack.pop();
        }
        result
    }

    fn decode_interface(
        &mut self,
        name: &str,
        node: &Node,
        val: &mut Val,
    ) -> Result<(), SyntaxError> {
        let set = match node {
            Node::List(_) | Node::Object(_) => {
                if self.stack.last().is_none_or(|k| *k == Kind::Slice) {
                    Val::Map(Ty::Iface, Vec::new())
                } else {
                    Val::Slice(Ty::Map(Box::new(Ty::Iface)), Vec::new())
                }
            }
            Node::Array(_) => Val::Slice(Ty::Iface, Vec::new()),
            Node::Literal(token) => match token.ty {
                TokenType::Bool => Val::Bool(false),
                TokenType::Float => Val::Float(0.0),
                TokenType::Number => Val::Int(0),
                TokenType::String | TokenType::Heredoc => Val::Str(String::new()),
                _ => return Err(unknown(name, node, "interface")),
            },
            Node::Item(_) => return Err(unknown(name, node, "interface")),
        };
        *val = set;
        self.decode(name, node, &Ty::Iface, val)
    }

    fn decode_map(
        &mut self,
        name: &str,
        node: &Node,
        ty: &Ty,
        val: &mut Val,
    ) -> Result<(), SyntaxError> {
        let list = match node {
            Node::Item(item) => ObjectList {
                items: vec![item.clone()],
            },
            Node::Object(object) => object.list.clone(),
            Node::List(list) => list.clone(),
            _ => return Err(unknown(name, node, "map")),
        };
        let elem = element(ty, val);
        let mut entries = match std::mem::replace(val, Val::Nil) {
            Val::Map(_, entries) => entries,
            _ => Vec::new(),
        };
        let mut done = HashSet::new();
        for item in &list.items {
            let Some(first) = item.keys.first() else {
                return Err(SyntaxError::new(
                    node.pos(),
                    format!("{name}: map must have string keys"),
                ));
            };
            let key = first.string_value()?;
            if done.contains(&key) {
                continue;
            }
            let item_val = if item.keys.len() > 1 {
                done.insert(key.clone());
                Node::List(list.filter(&key)?)
            } else {
                (*item.val).clone()
            };
            let index = entries.iter().position(|(k, _)| *k == key);
            let mut value = index.map_or_else(|| Val::zero(&elem), |i| entries[i].1.clone());
            self.decode(&format!("{name}.{key}"), &item_val, &elem, &mut value)?;
            match index {
                Some(i) => entries[i].1 = value,
                None => entries.push((key, value)),
            }
        }
        *val = Val::Map(elem, entries);
        Ok(())
    }

    fn decode_slice(
        &mut self,
        name: &str,
        node: &Node,
        ty: &Ty,
        val: &mut Val,
    ) -> Result<(), SyntaxError> {
        let elem = element(ty, val);
        let nodes: Vec<Node> = match node {
            Node::List(list) => list.items.iter().cloned().map(Node::Item).collect(),
            Node::Object(_) => vec![node.clone()],
            Node::Array(array) => array.list.clone(),
            _ => {
                return Err(SyntaxError::new(
                    node.pos(),
                    format!("{name}: unknown slice type: {}", node_name(node)),
                ));
            }
        };
        let mut items = match std::mem::replace(val, Val::Nil) {
            Val::Slice(_, items) => items,
            _ => Vec::new(),
        };
        for (index, item) in nodes.iter().enumerate() {
            let mut value = Val::zero(&elem);
            self.decode(&format!("{name}[{index}]"), item, &elem, &mut value)?;
            items.push(value);
        }
        *val = Val::Slice(elem, items);
        Ok(())
    }

    fn decode_struct(
        &mut self,
        name: &str,
        node: &Node,
        fields: &[(&'static str, Ty)],
        val: &mut Val,
    ) -> Result<(), SyntaxError> {
        let (item, inner) = match node {
            Node::Item(item) => (Some(item), &*item.val),
            other => (None, other),
        };
        let list = match (inner, item) {
            (Node::Object(object), _) => object.list.clone(),
            (Node::List(list), _) => list.clone(),
            // A literal under a key decodes as a one-item list of that item.
            (Node::Literal(_), Some(item)) => ObjectList {
                items: vec![item.clone()],
            },
            _ => {
                return Err(SyntaxError::new(
                    inner.pos(),
                    format!(
                        "{name}: not an object type for struct ({})",
                        node_name(inner)
                    ),
                ));
            }
        };
        let mut values = match std::mem::replace(val, Val::Nil) {
            Val::Struct(values) => values,
            _ => fields.iter().map(|(_, t)| Val::zero(t)).collect(),
        };
        for ((field, ty), value) in fields.iter().zip(values.iter_mut()) {
            let filtered = list.filter(field)?;
            let prefixed = filtered.children();
            let matches = filtered.elem();
            if prefixed.items.is_empty() && matches.items.is_empty() {
                continue;
            }
            let field_name = format!("{name}.{field}");
            if !prefixed.items.is_empty() {
                self.decode(&field_name, &Node::List(prefixed), ty, value)?;
            }
            for matched in &matches.items {
                let node = match &*matched.val {
                    Node::Object(object) => Node::List(object.list.clone()),
                    other => other.clone(),
                };
                self.decode(&field_name, &node, ty, value)?;
            }
        }
        *val = Val::Struct(values);
        Ok(())
    }
}

fn unknown(name: &str, node: &Node, target: &str) -> SyntaxError {
    SyntaxError::new(
        node.pos(),
        format!("{name}: cannot decode {} into {target}", node_name(node)),
    )
}

fn literal(node: &Node) -> Option<&super::Token> {
    match node {
        Node::Literal(token) => Some(token),
        _ => None,
    }
}

fn decode_bool(name: &str, node: &Node, val: &mut Val) -> Result<(), SyntaxError> {
    match literal(node) {
        Some(token) if token.ty == TokenType::Bool => {
            *val = Val::Bool(token.text == "true");
            Ok(())
        }
        _ => Err(unknown(name, node, "bool")),
    }
}

fn decode_int(name: &str, node: &Node, val: &mut Val) -> Result<(), SyntaxError> {
    let text = match literal(node) {
        Some(token) if token.ty == TokenType::Number => token.text.clone(),
        Some(token) if token.ty == TokenType::String => token.string_value()?,
        _ => return Err(unknown(name, node, "int")),
    };
    let value = parse_int(&text, true).ok_or_else(|| {
        SyntaxError::new(
            node.pos(),
            format!("{name}: strconv.ParseInt: parsing {text:?}: invalid syntax or out of range"),
        )
    })?;
    *val = Val::Int(value);
    Ok(())
}

fn decode_float(name: &str, node: &Node, val: &mut Val) -> Result<(), SyntaxError> {
    match literal(node) {
        Some(token) if matches!(token.ty, TokenType::Float | TokenType::Number) => {
            let value = parse_float(&token.text).ok_or_else(|| {
                SyntaxError::new(
                    node.pos(),
                    format!(
                        "{name}: strconv.ParseFloat: parsing {:?}: invalid syntax or out of range",
                        token.text
                    ),
                )
            })?;
            *val = Val::Float(value);
            Ok(())
        }
        _ => Err(unknown(name, node, "float")),
    }
}

fn decode_string(name: &str, node: &Node, val: &mut Val) -> Result<(), SyntaxError> {
    match literal(node) {
        Some(token) if token.ty == TokenType::Number => {
            *val = Val::Str(token.text.clone());
            Ok(())
        }
        Some(token) if matches!(token.ty, TokenType::String | TokenType::Heredoc) => {
            *val = Val::Str(token.string_value()?);
            Ok(())
        }
        _ => Err(SyntaxError::new(
            node.pos(),
            format!("{name}: unknown type for string {}", node_name(node)),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::super::parse_config;
    use super::*;

    fn rules() -> Ty {
        Ty::Struct(Rc::from(vec![
            ("capabilities", Ty::Slice(Box::new(Ty::Str))),
            ("policy", Ty::Str),
            ("min_wrapping_ttl", Ty::Iface),
            (
                "allowed_parameters",
                Ty::Map(Box::new(Ty::Slice(Box::new(Ty::Iface)))),
            ),
            ("pagination_limit", Ty::Int),
        ]))
    }

    fn body(text: &str) -> Result<Val, SyntaxError> {
        let list = parse_config(text.as_bytes()).unwrap();
        let mut val = Val::zero(&rules());
        decode(&list.items[0].val, &rules(), &mut val)?;
        Ok(val)
    }

    fn field(val: &Val, index: usize) -> &Val {
        match val {
            Val::Struct(values) => &values[index],
            _ => panic!("not a struct"),
        }
    }

    #[test]
    fn repeated_keys_combine_as_in_go() {
        let val = body(
            "path \"a\" {\n capabilities = [\"read\"]\n capabilities = [\"list\"]\n policy = \"read\"\n policy = \"sudo\"\n}",
        )
        .unwrap();
        assert_eq!(field(&val, 0).strings(), ["read", "list"]);
        assert_eq!(field(&val, 1).as_str(), Some("sudo"));
        let val = body(
            "path \"a\" {\n allowed_parameters = { \"a\" = [] }\n allowed_parameters = { \"b\" = [\"x\"] }\n}",
        )
        .unwrap();
        assert_eq!(field(&val, 3).map_keys().unwrap(), ["a", "b"]);
    }

    #[test]
    fn interfaces_keep_their_first_type() {
        let val = body("path \"a\" { min_wrapping_ttl = \"1h\" }").unwrap();
        assert_eq!(field(&val, 2), &Val::Str("1h".into()));
        // An int first, then a string that is not an integer: ParseInt fails.
        assert!(body("path \"a\" { min_wrapping_ttl = 5\n min_wrapping_ttl = \"1h\" }").is_err());
        // A string first, then a number: the number's text becomes the string.
        let val = body("path \"a\" { min_wrapping_ttl = \"1h\"\n min_wrapping_ttl = 5 }").unwrap();
        assert_eq!(field(&val, 2), &Val::Str("5".into()));
    }

    #[test]
    fn wrong_shapes_fail_like_go() {
        assert!(body("path \"a\" { capabilities = \"read\" }").is_err());
        assert!(body("path \"a\" { capabilities = [true] }").is_err());
        assert!(body("path \"a\" { capabilities = [[\"read\"]] }").is_err());
        // An empty block reads as an empty list; a number as its text.
        assert_eq!(
            field(&body("path \"a\" { capabilities {} }").unwrap(), 0),
            &Val::Slice(Ty::Str, vec![])
        );
        assert_eq!(
            field(&body("path \"a\" { capabilities = [1] }").unwrap(), 0).strings(),
            ["1"]
        );
        assert!(body("path \"a\" { pagination_limit = \"0x10\" }").is_ok());
        assert!(body("path \"a\" { pagination_limit = 1.5 }").is_err());
    }
}
