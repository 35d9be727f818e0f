//! A JSON document read in place, for validating plugin outputs.
//!
//! A plugin's output is checked against its schema on every call, and may be
//! megabytes. Reading it into a `serde_json::Value` costs an allocation for
//! every string, key and object (plus an index per object, since the host keeps
//! key order), and most of that is freed again right after the check. A
//! [`Document`] borrows its strings from the text (only strings with escapes are
//! copied) and holds each container's members in one vector; the validator reads
//! it through [`jsonschema::json`]'s representation traits.

use std::borrow::Cow;
use std::fmt;

use jsonschema::JsonType;
use jsonschema::json::{Array, Json, JsonNumber, Node, NodeIdentity, Object};
use serde::de::{self, Deserialize, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Number, Value};

/// One JSON value whose strings borrow from the text it was read from.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum Document<'t> {
    #[default]
    Null,
    Bool(bool),
    Number(Number),
    String(Cow<'t, str>),
    Array(Vec<Document<'t>>),
    /// Members in the order written. A repeated key is kept; lookups see its last
    /// value, as `serde_json` and most JSON readers do.
    Object(Vec<(Cow<'t, str>, Document<'t>)>),
}

impl<'t> Document<'t> {
    /// Reads `text`, which must be exactly one JSON value.
    pub fn parse(text: &'t str) -> serde_json::Result<Self> {
        let mut reader = serde_json::Deserializer::from_str(text);
        let document = Builder::default().deserialize(&mut reader)?;
        reader.end()?;
        Ok(document)
    }
}

/// Members of the containers being read, innermost last. serde_json cannot say
/// how many members a container has before reading them, so they gather here
/// and move into a vector of exactly their size: one allocation per container.
#[derive(Default)]
struct Builder<'t> {
    items: Vec<Document<'t>>,
    members: Vec<(Cow<'t, str>, Document<'t>)>,
}

impl<'de> DeserializeSeed<'de> for &mut Builder<'de> {
    type Value = Document<'de>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for &mut Builder<'de> {
    type Value = Document<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(Document::Null)
    }

    fn visit_bool<E>(self, value: bool) -> Result<Self::Value, E> {
        Ok(Document::Bool(value))
    }

    fn visit_u64<E>(self, value: u64) -> Result<Self::Value, E> {
        Ok(Document::Number(value.into()))
    }

    fn visit_i64<E>(self, value: i64) -> Result<Self::Value, E> {
        Ok(Document::Number(value.into()))
    }

    fn visit_f64<E: de::Error>(self, value: f64) -> Result<Self::Value, E> {
        // JSON text cannot spell NaN or infinity; serde_json never hands one over.
        Number::from_f64(value)
            .map(Document::Number)
            .ok_or_else(|| E::custom("a number that is not finite"))
    }

    fn visit_borrowed_str<E>(self, value: &'de str) -> Result<Self::Value, E> {
        Ok(Document::String(Cow::Borrowed(value)))
    }

    fn visit_str<E>(self, value: &str) -> Result<Self::Value, E> {
        Ok(Document::String(Cow::Owned(value.to_owned())))
    }

    fn visit_string<E>(self, value: String) -> Result<Self::Value, E> {
        Ok(Document::String(Cow::Owned(value)))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let start = self.items.len();
        while let Some(item) = seq.next_element_seed(&mut *self)? {
            self.items.push(item);
        }
        Ok(Document::Array(self.items.split_off(start)))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let start = self.members.len();
        while let Some(Key(key)) = map.next_key()? {
            let value = map.next_value_seed(&mut *self)?;
            self.members.push((key, value));
        }
        Ok(Document::Object(self.members.split_off(start)))
    }
}

/// An object key, borrowed when the text spells it without escapes
/// (`Cow<str>`'s own `Deserialize` always copies).
struct Key<'t>(Cow<'t, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;

        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object key")
            }

            fn visit_borrowed_str<E>(self, value: &'de str) -> Result<Self::Value, E> {
                Ok(Key(Cow::Borrowed(value)))
            }

            fn visit_str<E>(self, value: &str) -> Result<Self::Value, E> {
                Ok(Key(Cow::Owned(value.to_owned())))
            }

            fn visit_string<E>(self, value: String) -> Result<Self::Value, E> {
                Ok(Key(Cow::Owned(value)))
            }
        }

        deserializer.deserialize_str(KeyVisitor)
    }
}

/// The representation [`jsonschema`] validates [`Document`]s in.
pub struct InPlace;

impl Json for InPlace {
    type Node<'a> = &'a Document<'a>;
    type PreparedKey = Box<str>;
    type StringBuffer = Document<'static>;

    fn prepare_key(key: &str) -> Box<str> {
        key.into()
    }

    fn with_string_node<T>(
        buffer: &mut Document<'static>,
        string: &str,
        f: impl FnOnce(<Self as Json>::Node<'_>) -> T,
    ) -> T {
        match &mut *buffer {
            Document::String(Cow::Owned(text)) => {
                text.clear();
                text.push_str(string);
            }
            other => *other = Document::String(Cow::Owned(string.to_owned())),
        }
        f(buffer)
    }
}

/// A number of a [`Document`], as the validator reads it.
pub struct DocumentNumber<'a>(&'a Number);

impl JsonNumber for DocumentNumber<'_> {
    fn as_u64(&self) -> Option<u64> {
        self.0.as_u64()
    }

    fn as_i64(&self) -> Option<i64> {
        self.0.as_i64()
    }

    fn as_f64(&self) -> Option<f64> {
        self.0.as_f64()
    }

    fn as_str(&self) -> Cow<'_, str> {
        Cow::Owned(self.0.to_string())
    }

    fn to_number(&self) -> Cow<'_, Number> {
        Cow::Borrowed(self.0)
    }

    fn is_written_as_integer(&self) -> bool {
        // serde_json reads a number with a fraction or exponent as a float.
        !self.0.is_f64()
    }
}

impl<'a> Node<'a, InPlace> for &'a Document<'a> {
    type Object = &'a [(Cow<'a, str>, Document<'a>)];
    type Array = &'a [Document<'a>];
    type Number = DocumentNumber<'a>;

    fn as_object(&self) -> Option<Self::Object> {
        match self {
            Document::Object(members) => Some(members),
            _ => None,
        }
    }

    fn as_array(&self) -> Option<Self::Array> {
        match self {
            Document::Array(items) => Some(items),
            _ => None,
        }
    }

    fn as_string(&self) -> Option<Cow<'a, str>> {
        match self {
            Document::String(text) => Some(Cow::Borrowed(text)),
            _ => None,
        }
    }

    fn as_number(&self) -> Option<DocumentNumber<'a>> {
        match self {
            Document::Number(number) => Some(DocumentNumber(number)),
            _ => None,
        }
    }

    fn as_boolean(&self) -> Option<bool> {
        match self {
            Document::Bool(value) => Some(*value),
            _ => None,
        }
    }

    fn is_null(&self) -> bool {
        matches!(self, Document::Null)
    }

    fn json_type(&self) -> JsonType {
        match self {
            Document::Null => JsonType::Null,
            Document::Bool(_) => JsonType::Boolean,
            Document::Number(_) => JsonType::Number,
            Document::String(_) => JsonType::String,
            Document::Array(_) => JsonType::Array,
            Document::Object(_) => JsonType::Object,
        }
    }

    fn to_value(&self) -> Cow<'a, Value> {
        Cow::Owned(to_value(self))
    }

    fn identity(&self) -> Option<NodeIdentity> {
        // Nodes never move while the document they belong to is borrowed.
        Some(NodeIdentity::new(
            std::ptr::from_ref::<Document<'_>>(*self) as usize
        ))
    }
}

/// The node as a `serde_json::Value`, for error messages and `const`/`enum` checks.
fn to_value(node: &Document<'_>) -> Value {
    match node {
        Document::Null => Value::Null,
        Document::Bool(value) => Value::Bool(*value),
        Document::Number(number) => Value::Number(number.clone()),
        Document::String(text) => Value::String(text.clone().into_owned()),
        Document::Array(items) => Value::Array(items.iter().map(to_value).collect()),
        Document::Object(members) => Value::Object(
            members
                .iter()
                .map(|(key, value)| (key.clone().into_owned(), to_value(value)))
                .collect(),
        ),
    }
}

impl<'a> Object<'a, InPlace> for &'a [(Cow<'a, str>, Document<'a>)] {
    type Node = &'a Document<'a>;
    type MemberName = &'a str;
    type MembersIter = Members<'a>;

    fn len(&self) -> usize {
        <[_]>::len(self)
    }

    fn get(&self, key: &Box<str>) -> Option<&'a Document<'a>> {
        self.iter()
            .rev()
            .find(|(name, _)| **name == **key)
            .map(|(_, value)| value)
    }

    fn members(&self) -> Members<'a> {
        Members(self.iter())
    }
}

/// The members of a [`Document::Object`], for the validator.
pub struct Members<'a>(std::slice::Iter<'a, (Cow<'a, str>, Document<'a>)>);

impl<'a> Iterator for Members<'a> {
    type Item = (&'a str, &'a Document<'a>);

    fn next(&mut self) -> Option<Self::Item> {
        self.0.next().map(|(name, value)| (name.as_ref(), value))
    }
}

impl<'a> Array<'a, InPlace> for &'a [Document<'a>] {
    type Node = &'a Document<'a>;
    type ElementsIter = std::slice::Iter<'a, Document<'a>>;

    fn len(&self) -> usize {
        <[_]>::len(self)
    }

    fn elements(&self) -> Self::ElementsIter {
        self.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn strings_without_escapes_are_borrowed() {
        let text =
            r#"{"plain": "abc", "esc\u0061ped": "line\nbreak", "n": [1, -2, 3.5, null, true]}"#;
        let Document::Object(members) = Document::parse(text).unwrap() else {
            panic!("an object");
        };
        assert!(matches!(members[0].0, Cow::Borrowed("plain")));
        assert!(matches!(
            members[0].1,
            Document::String(Cow::Borrowed("abc"))
        ));
        assert!(matches!(members[1].0, Cow::Owned(ref key) if key == "escaped"));
        assert!(matches!(members[1].1, Document::String(Cow::Owned(ref s)) if s == "line\nbreak"));
    }

    #[test]
    fn reads_back_as_the_same_value() {
        let value = json!({"a": [1, -2, 3.5, null, true, {"b": "c\"d"}], "e": {}, "f": []});
        let text = value.to_string();
        assert_eq!(to_value(&Document::parse(&text).unwrap()), value);
    }

    #[test]
    fn a_repeated_key_is_seen_with_its_last_value() {
        let text = r#"{"k": 1, "k": "two"}"#;
        let document = Document::parse(text).unwrap();
        let members = (&document).as_object().unwrap();
        let found = Object::get(&members, &InPlace::prepare_key("k")).unwrap();
        assert_eq!(found.as_string().as_deref(), Some("two"));
    }

    #[test]
    fn bad_text_is_an_error_with_its_position() {
        for text in ["", "{", "[1,]", r#"{"a" 1}"#, "1 2", "nul"] {
            let error = Document::parse(text).unwrap_err();
            assert!(error.line() >= 1, "{text:?}: {error}");
        }
    }

    #[test]
    fn meets_the_validators_representation_contract() {
        let text = jsonschema::json::conformance::document().to_string();
        let document = Document::parse(&text).unwrap();
        jsonschema::json::conformance::assert_conformance::<InPlace>(&&document);
    }

    #[test]
    fn validates_as_serde_json_values_do() {
        let schema = json!({
            "type": "object",
            "properties": {
                "n": {"type": "integer", "minimum": 0},
                "s": {"type": "string", "maxLength": 3, "enum": ["ab", "abc", "é"]},
                "a": {"type": "array", "items": {"type": ["number", "null"]}, "uniqueItems": true},
                "o": {"type": "object", "additionalProperties": false, "properties": {"x": {"const": [1, {"y": 2}]}}}
            },
            "required": ["n"],
            "additionalProperties": false
        });
        let in_place = jsonschema::options_for::<InPlace>().build(&schema).unwrap();
        let reference = jsonschema::validator_for(&schema).unwrap();
        let instances = [
            json!({"n": 1}),
            json!({"n": 1.0}),
            json!({"n": -1}),
            json!({"n": 1.5}),
            json!({"s": "ab"}),
            json!({"n": 0, "s": "é"}),
            json!({"n": 0, "s": "abcd"}),
            json!({"n": 0, "a": [1, null, 2.5]}),
            json!({"n": 0, "a": [1, 1.0]}),
            json!({"n": 0, "o": {"x": [1, {"y": 2}]}}),
            json!({"n": 0, "o": {"x": [1, {"y": 3}]}}),
            json!({"n": 0, "o": {"z": 1}}),
            json!({"n": 0, "extra": true}),
            json!([1]),
        ];
        for instance in instances {
            let text = instance.to_string();
            let document = Document::parse(&text).unwrap();
            assert_eq!(
                in_place.is_valid(&document),
                reference.is_valid(&instance),
                "{text}"
            );
            let in_place_errors: Vec<String> = in_place
                .iter_errors(&document)
                .map(|e| format!("{} {e}", e.instance_path()))
                .collect();
            let reference_errors: Vec<String> = reference
                .iter_errors(&instance)
                .map(|e| format!("{} {e}", e.instance_path()))
                .collect();
            assert_eq!(in_place_errors, reference_errors, "{text}");
        }
    }
}
