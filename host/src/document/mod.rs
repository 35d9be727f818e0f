//! A JSON document read onto a tape, for validating plugin outputs.
//!
//! A plugin's output is checked against its schema on every call, and may be
//! megabytes. Reading it into a `serde_json::Value` costs an allocation for
//! every string, key and object (plus an index per object, since the host keeps
//! key order), and most of that is freed again right after the check. A
//! [`Document`] is one vector of 8-byte slots in document order, like a
//! simdjson tape: a container's slot is followed by its members (an object's as
//! key, value, key, value) and records where they end; strings point into the
//! text (those spelled with escapes into one buffer of decoded strings). In a
//! fresh process most of the cost of reading is touching new memory: the tape
//! takes a quarter of what a tree of nodes does. A slot holds two 32-bit
//! payloads; a value whose payload does not fit (a number over 2³², a string or
//! container longer than 2²⁷) keeps it in a side vector of wide payloads. The
//! validator reads the tape through [`jsonschema::json`]'s representation traits.

mod read;

use std::borrow::Cow;

use jsonschema::JsonType;
use jsonschema::json::{Array, Json, JsonNumber, Node, NodeIdentity, Object};
use serde_json::{Number, Value};

pub use read::SyntaxError;

/// One JSON text read onto a tape; its strings borrow from the text.
#[derive(Debug, Default)]
pub struct Document<'t> {
    text: &'t str,
    /// Every value in document order; the root is the first.
    tape: Vec<Slot>,
    /// Strings and keys spelled with escapes, decoded, one after another.
    decoded: String,
    /// Payloads too wide for a slot: a number's bits, or a string's or a
    /// container's extent packed as `position << 32 | length`.
    wide: Vec<u64>,
}

/// The most slots reserved before reading; a longer tape grows as it is read.
const MAX_RESERVED_SLOTS: usize = 1 << 22;

/// One value on the tape: its kind, a length and a position (see [`Extent`]),
/// or a number. `head` is the kind in its low bits, a flag saying whether the
/// payload is wide, and the length above them.
#[derive(Debug, Clone, Copy)]
struct Slot {
    head: u32,
    /// Narrow: a string's start, a container's end, or a number. Wide: the index
    /// of the payload in [`Document::wide`].
    at: u32,
}

/// Bits of a slot's head that hold a narrow length. Tests use a handful, so that
/// the wide payloads of long strings and containers are read in every test.
#[cfg(not(test))]
const LEN_BITS: u32 = 32 - KIND_BITS - 1;
#[cfg(test)]
const LEN_BITS: u32 = 3;
const KIND_BITS: u32 = 4;
const WIDE: u32 = 1 << KIND_BITS;

const _: () = assert!(std::mem::size_of::<Slot>() == 8);

impl Slot {
    #[inline]
    fn kind(self) -> Kind {
        Kind::ALL[(self.head & (WIDE - 1)) as usize]
    }

    #[inline]
    fn is_wide(self) -> bool {
        self.head & WIDE != 0
    }
}

/// Where a string or a container is: its length (bytes, or members) and its
/// position (where the string starts, or the tape index past the container).
struct Extent {
    len: usize,
    at: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
enum Kind {
    Null,
    False,
    True,
    PosInt,
    NegInt,
    Float,
    /// A string borrowed from the text.
    Text,
    /// A string decoded from escapes, in [`Document::decoded`].
    Decoded,
    Array,
    Object,
}

impl Kind {
    /// Every kind, at its index.
    const ALL: [Kind; 10] = [
        Kind::Null,
        Kind::False,
        Kind::True,
        Kind::PosInt,
        Kind::NegInt,
        Kind::Float,
        Kind::Text,
        Kind::Decoded,
        Kind::Array,
        Kind::Object,
    ];
}

impl<'t> Document<'t> {
    /// Reads `text`, which must be exactly one JSON value (of at most 4 GiB: the
    /// tape counts in 32 bits).
    pub fn parse(text: &'t str) -> Result<Self, SyntaxError> {
        let mut document = Document {
            text,
            // Values in real outputs average well over 8 bytes of text each: one
            // allocation, and pages not used are never touched. Capped so that a huge
            // output does not reserve more than it will use at once (64 MiB).
            tape: Vec::with_capacity((text.len() / 8).min(MAX_RESERVED_SLOTS)),
            decoded: String::new(),
            wide: Vec::new(),
        };
        read::read(&mut document)?;
        Ok(document)
    }

    /// The document's value, as the validator reads it.
    pub fn root(&self) -> DocumentNode<'_> {
        DocumentNode {
            document: self,
            index: 0,
        }
    }

    /// The extent of a string or container slot.
    #[inline]
    fn extent(&self, slot: Slot) -> Extent {
        if slot.is_wide() {
            let wide = self.wide[slot.at as usize];
            Extent {
                len: (wide & u64::from(u32::MAX)) as usize,
                at: (wide >> 32) as usize,
            }
        } else {
            Extent {
                len: (slot.head >> (KIND_BITS + 1) & ((1 << LEN_BITS) - 1)) as usize,
                at: slot.at as usize,
            }
        }
    }

    /// The bits of a number slot.
    #[inline]
    fn number_bits(&self, slot: Slot) -> u64 {
        if slot.is_wide() {
            self.wide[slot.at as usize]
        } else {
            slot.at.into()
        }
    }

    #[inline]
    fn string(&self, slot: Slot) -> &str {
        let Extent { len, at } = self.extent(slot);
        let range = at..at + len;
        let from = match slot.kind() {
            Kind::Decoded => &self.decoded,
            _ => self.text,
        };
        debug_assert!(
            from.get(range.clone()).is_some(),
            "a string slot spans whole characters"
        );
        // SAFETY: a string slot's extent is within `from` and on character
        // boundaries: the reader records text between two quotes (ASCII, so
        // boundaries) and decoded strings as pushed whole. This is read for every
        // key of every object the validator walks; checking the two boundaries
        // each time made validating a large output 5% slower.
        unsafe { from.get_unchecked(range) }
    }

    /// The index of the value after the one at `index` and its members.
    #[inline]
    fn next(&self, index: usize) -> usize {
        let slot = self.tape[index];
        match slot.kind() {
            Kind::Array | Kind::Object => self.extent(slot).at,
            _ => index + 1,
        }
    }
}

/// Puts the values it is handed onto the document's tape.
struct Builder<'d, 't>(&'d mut Document<'t>);

impl Builder<'_, '_> {
    /// The slot for a string or container: narrow if its length fits the head.
    /// Positions and lengths are under 2³² (the text is under 4 GiB, and each
    /// slot stands for at least one byte of it).
    fn extent_slot(&mut self, kind: Kind, len: usize, at: usize) -> Slot {
        if len < 1 << LEN_BITS {
            return Slot {
                head: kind as u32 | (len as u32) << (KIND_BITS + 1),
                at: at as u32,
            };
        }
        self.wide_slot(kind, (at as u64) << 32 | len as u64)
    }

    fn wide_slot(&mut self, kind: Kind, payload: u64) -> Slot {
        self.0.wide.push(payload);
        Slot {
            head: kind as u32 | WIDE,
            at: (self.0.wide.len() - 1) as u32,
        }
    }

    fn push_number(&mut self, kind: Kind, bits: u64) {
        let slot = match u32::try_from(bits) {
            Ok(at) => Slot {
                head: kind as u32,
                at,
            },
            Err(_) => self.wide_slot(kind, bits),
        };
        self.0.tape.push(slot);
    }

    fn push_scalar(&mut self, kind: Kind) {
        self.0.tape.push(Slot {
            head: kind as u32,
            at: 0,
        });
    }

    fn push_string(&mut self, kind: Kind, len: usize, at: usize) {
        let slot = self.extent_slot(kind, len, at);
        self.0.tape.push(slot);
    }

    fn push_decoded(&mut self, value: &str) {
        let at = self.0.decoded.len();
        self.0.decoded.push_str(value);
        self.push_string(Kind::Decoded, value.len(), at);
    }

    /// Reserves a container's slot, to be completed by [`Builder::close`].
    fn open(&mut self, kind: Kind) -> usize {
        self.push_scalar(kind);
        self.0.tape.len() - 1
    }

    fn close(&mut self, index: usize, members: usize) {
        let end = self.0.tape.len();
        let kind = self.0.tape[index].kind();
        self.0.tape[index] = self.extent_slot(kind, members, end);
    }
}

/// The representation [`jsonschema`] validates [`Document`]s in.
pub struct InPlace;

impl Json for InPlace {
    type Node<'a> = DocumentNode<'a>;
    type PreparedKey = Box<str>;
    /// A one-string document (see [`Json::with_string_node`]).
    type StringBuffer = Document<'static>;

    /// A lookup here scans the members (see [`Object::get`]), so one pass over
    /// them beats a lookup per name. Bounded so that the validator's
    /// `KEYS_PER_LOOKUP * names` cannot overflow.
    const KEYS_PER_LOOKUP: usize = 1 << 16;

    fn prepare_key(key: &str) -> Box<str> {
        key.into()
    }

    fn with_string_node<T>(
        buffer: &mut Document<'static>,
        string: &str,
        f: impl FnOnce(DocumentNode<'_>) -> T,
    ) -> T {
        buffer.tape.clear();
        buffer.decoded.clear();
        buffer.wide.clear();
        Builder(buffer).push_decoded(string);
        f(buffer.root())
    }
}

/// One value of a [`Document`].
#[derive(Clone, Copy)]
pub struct DocumentNode<'a> {
    document: &'a Document<'a>,
    index: usize,
}

impl<'a> DocumentNode<'a> {
    #[inline]
    fn slot(&self) -> Slot {
        self.document.tape[self.index]
    }

    #[inline]
    fn at(&self, index: usize) -> Self {
        Self {
            document: self.document,
            index,
        }
    }

    fn number(&self) -> Option<Number> {
        let slot = self.slot();
        let bits = || self.document.number_bits(slot);
        match slot.kind() {
            Kind::PosInt => Some(bits().into()),
            Kind::NegInt => Some((bits() as i64).into()),
            Kind::Float => Number::from_f64(f64::from_bits(bits())),
            _ => None,
        }
    }

    /// The `len` values just after a container, each past the members of the one
    /// before: an array's elements (an object's members take two values each, see
    /// [`DocumentObject::members`]).
    #[inline]
    fn children(&self) -> Children<'a> {
        Children {
            node: self.at(self.index + 1),
            left: self.document.extent(self.slot()).len,
        }
    }
}

/// The values inside a container, in order (an object's keys and values alike).
#[derive(Clone, Copy)]
struct Children<'a> {
    node: DocumentNode<'a>,
    left: usize,
}

impl<'a> Iterator for Children<'a> {
    type Item = DocumentNode<'a>;

    #[inline]
    fn next(&mut self) -> Option<DocumentNode<'a>> {
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        let node = self.node;
        self.node = node.at(node.document.next(node.index));
        Some(node)
    }
}

/// A number of a [`Document`], as the validator reads it.
pub struct DocumentNumber(Number);

impl JsonNumber for DocumentNumber {
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
        Cow::Borrowed(&self.0)
    }

    fn is_written_as_integer(&self) -> bool {
        // serde_json reads a number with a fraction or exponent as a float.
        !self.0.is_f64()
    }
}

impl<'a> Node<'a, InPlace> for DocumentNode<'a> {
    type Object = DocumentObject<'a>;
    type Array = DocumentArray<'a>;
    type Number = DocumentNumber;

    #[inline]
    fn as_object(&self) -> Option<DocumentObject<'a>> {
        (self.slot().kind() == Kind::Object).then_some(DocumentObject(*self))
    }

    #[inline]
    fn as_array(&self) -> Option<DocumentArray<'a>> {
        (self.slot().kind() == Kind::Array).then_some(DocumentArray(*self))
    }

    #[inline]
    fn as_string(&self) -> Option<Cow<'a, str>> {
        let slot = self.slot();
        matches!(slot.kind(), Kind::Text | Kind::Decoded)
            .then(|| Cow::Borrowed(self.document.string(slot)))
    }

    fn as_number(&self) -> Option<DocumentNumber> {
        self.number().map(DocumentNumber)
    }

    fn as_boolean(&self) -> Option<bool> {
        match self.slot().kind() {
            Kind::True => Some(true),
            Kind::False => Some(false),
            _ => None,
        }
    }

    fn is_null(&self) -> bool {
        self.slot().kind() == Kind::Null
    }

    #[inline]
    fn json_type(&self) -> JsonType {
        match self.slot().kind() {
            Kind::Null => JsonType::Null,
            Kind::False | Kind::True => JsonType::Boolean,
            Kind::PosInt | Kind::NegInt | Kind::Float => JsonType::Number,
            Kind::Text | Kind::Decoded => JsonType::String,
            Kind::Array => JsonType::Array,
            Kind::Object => JsonType::Object,
        }
    }

    fn to_value(&self) -> Cow<'a, Value> {
        Cow::Owned(to_value(*self))
    }

    fn equals_value(&self, expected: &Value) -> bool {
        // `const` and `enum` of strings are common in output schemas: compare them
        // without building a `Value`.
        match (expected, self.as_string()) {
            (Value::String(expected), Some(text)) => *expected == *text,
            (Value::String(_), None) | (_, Some(_)) => false,
            _ => jsonschema::json::cmp::equal(&self.to_value(), expected),
        }
    }

    fn identity(&self) -> Option<NodeIdentity> {
        // A slot never moves while its document is borrowed.
        Some(NodeIdentity::new(
            std::ptr::from_ref(&self.document.tape[self.index]) as usize,
        ))
    }
}

/// The node as a `serde_json::Value`, for error messages and `const`/`enum` checks.
fn to_value(node: DocumentNode<'_>) -> Value {
    if let Some(text) = node.as_string() {
        return Value::String(text.into_owned());
    }
    match node.slot().kind() {
        Kind::Null => Value::Null,
        Kind::False => Value::Bool(false),
        Kind::True => Value::Bool(true),
        Kind::Array => Value::Array(node.children().map(to_value).collect()),
        Kind::Object => Value::Object(
            DocumentObject(node)
                .members()
                .map(|(key, value)| (key.to_owned(), to_value(value)))
                .collect(),
        ),
        _ => node.number().map_or(Value::Null, Value::Number),
    }
}

/// An object of a [`Document`].
#[derive(Clone, Copy)]
pub struct DocumentObject<'a>(DocumentNode<'a>);

impl<'a> Object<'a, InPlace> for DocumentObject<'a> {
    type Node = DocumentNode<'a>;
    type MemberName = &'a str;
    type MembersIter = Members<'a>;

    fn len(&self) -> usize {
        self.0.document.extent(self.0.slot()).len
    }

    /// A repeated key is seen with its last value, as `serde_json` and most JSON
    /// readers do.
    fn get(&self, key: &Box<str>) -> Option<DocumentNode<'a>> {
        self.members()
            .filter(|(name, _)| *name == &**key)
            .last()
            .map(|(_, value)| value)
    }

    #[inline]
    fn members(&self) -> Members<'a> {
        let mut children = self.0.children();
        // An object's children are its keys and values, two per member.
        children.left *= 2;
        Members(children)
    }
}

/// The members of an object, in the order written.
pub struct Members<'a>(Children<'a>);

impl<'a> Iterator for Members<'a> {
    type Item = (&'a str, DocumentNode<'a>);

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        // A key is a string, one slot: its value is the next one.
        let children = &mut self.0;
        if children.left < 2 {
            return None;
        }
        children.left -= 2;
        let key = children.node;
        let document = key.document;
        let value = key.at(key.index + 1);
        children.node = value.at(document.next(value.index));
        Some((document.string(key.slot()), value))
    }
}

/// An array of a [`Document`].
#[derive(Clone, Copy)]
pub struct DocumentArray<'a>(DocumentNode<'a>);

impl<'a> Array<'a, InPlace> for DocumentArray<'a> {
    type Node = DocumentNode<'a>;
    type ElementsIter = Elements<'a>;

    fn len(&self) -> usize {
        self.0.document.extent(self.0.slot()).len
    }

    #[inline]
    fn elements(&self) -> Elements<'a> {
        Elements(self.0.children())
    }
}

/// The elements of an array, in order.
pub struct Elements<'a>(Children<'a>);

impl<'a> Iterator for Elements<'a> {
    type Item = DocumentNode<'a>;

    #[inline]
    fn next(&mut self) -> Option<DocumentNode<'a>> {
        self.0.next()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Whether `text` lies within `whole`.
    fn within(text: &str, whole: &str) -> bool {
        let range = whole.as_bytes().as_ptr_range();
        range.contains(&text.as_ptr()) || (text.is_empty() && text.as_ptr() == range.end)
    }

    #[test]
    fn strings_without_escapes_are_borrowed_from_the_text() {
        let text =
            r#"{"plain": "abc", "esc\u0061ped": "line\nbreak", "n": [1, -2, 3.5, null, true]}"#;
        let document = Document::parse(text).unwrap();
        let members: Vec<_> = document.root().as_object().unwrap().members().collect();
        let (name, value) = (members[0].0, members[0].1.as_string().unwrap());
        assert_eq!((name, &*value), ("plain", "abc"));
        assert!(within(name, text) && within(&value, text));
        let (name, value) = (members[1].0, members[1].1.as_string().unwrap());
        assert_eq!((name, &*value), ("escaped", "line\nbreak"));
        assert!(!within(name, text) && !within(&value, text));
    }

    #[test]
    fn reads_back_as_the_same_value() {
        let value = json!({
            "a": [1, -2, 3.5, null, true, false, {"b": "c\"d"}, [[], {}]],
            "e": {}, "f": [], "g": u64::MAX, "h": i64::MIN, "i": -0.0, "j": 1e300,
            // Either side of what a slot holds narrow (in tests, lengths under 8).
            "k": u32::MAX, "l": u64::from(u32::MAX) + 1, "m": -1,
            "n": "1234567", "o": "12345678", "p\tq": "r\ts\"\u{e9}tuvwxyz",
            "q": [1, 2, 3, 4, 5, 6, 7], "r": [[1, 2, 3, 4, 5, 6, 7, 8], "after"]
        });
        let text = value.to_string();
        assert_eq!(to_value(Document::parse(&text).unwrap().root()), value);
        for scalar in ["null", "true", "0", "-1", "2.5", r#""s""#, "[]", "{}"] {
            let expected: Value = serde_json::from_str(scalar).unwrap();
            assert_eq!(to_value(Document::parse(scalar).unwrap().root()), expected);
        }
    }

    #[test]
    fn siblings_follow_nested_containers() {
        let text = r#"[{"a": [1, [2, {"b": 3}]], "c": 4}, [5], 6, {"d": {"e": {}}}, "f"]"#;
        let document = Document::parse(text).unwrap();
        let items: Vec<Value> = document
            .root()
            .as_array()
            .unwrap()
            .elements()
            .map(|item| item.to_value().into_owned())
            .collect();
        let expected: Vec<Value> = serde_json::from_str(text).unwrap();
        assert_eq!(items, expected);
        let first = document
            .root()
            .as_array()
            .unwrap()
            .elements()
            .next()
            .unwrap();
        let c = first.as_object().unwrap().get(&InPlace::prepare_key("c"));
        assert_eq!(c.unwrap().as_number().unwrap().as_u64(), Some(4));
    }

    #[test]
    fn a_repeated_key_is_seen_with_its_last_value() {
        let text = r#"{"k": 1, "x": [true], "k": "two"}"#;
        let document = Document::parse(text).unwrap();
        let members = document.root().as_object().unwrap();
        let found = members.get(&InPlace::prepare_key("k")).unwrap();
        assert_eq!(found.as_string().as_deref(), Some("two"));
        assert_eq!(members.len(), 3);
    }

    #[test]
    fn bad_text_is_an_error_with_its_position() {
        for text in [
            "",
            "{",
            "[1,]",
            r#"{"a" 1}"#,
            "1 2",
            "nul",
            r#"{"a": "\ud800"}"#,
        ] {
            let error = Document::parse(text).unwrap_err();
            assert!(error.line() >= 1, "{text:?}: {error}");
        }
    }

    #[test]
    fn nodes_have_distinct_identities() {
        let document = Document::parse(r#"[[], [], {"a": []}]"#).unwrap();
        let mut seen = std::collections::HashSet::new();
        let mut stack = vec![document.root()];
        while let Some(node) = stack.pop() {
            assert!(seen.insert(node.identity().unwrap()));
            if let Some(items) = node.as_array() {
                stack.extend(items.elements());
            }
            if let Some(members) = node.as_object() {
                stack.extend(members.members().map(|(_, value)| value));
            }
        }
        assert_eq!(seen.len(), 5);
    }

    #[test]
    fn meets_the_validators_representation_contract() {
        let text = jsonschema::json::conformance::document().to_string();
        let document = Document::parse(&text).unwrap();
        jsonschema::json::conformance::assert_conformance::<InPlace>(&document.root());
    }

    #[test]
    fn validates_as_serde_json_values_do() {
        let schema = json!({
            "type": "object",
            "properties": {
                "n": {"type": "integer", "minimum": 0},
                "s": {"type": "string", "maxLength": 3, "enum": ["ab", "abc", "é"]},
                "a": {"type": "array", "items": {"type": ["number", "null"]}, "uniqueItems": true},
                "o": {"type": "object", "additionalProperties": false, "properties": {"x": {"const": [1, {"y": 2}]}}},
                "p": {"type": "object", "propertyNames": {"pattern": "^[a-z]+$"}, "minProperties": 1}
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
            json!({"n": 0, "p": {"ok": 1}}),
            json!({"n": 0, "p": {"Not-OK": 1}}),
            json!({"n": 0, "p": {}}),
            json!({"n": 0, "extra": true}),
            json!([1]),
        ];
        for instance in instances {
            let text = instance.to_string();
            let document = Document::parse(&text).unwrap();
            assert_eq!(
                in_place.is_valid(document.root()),
                reference.is_valid(&instance),
                "{text}"
            );
            let in_place_errors: Vec<String> = in_place
                .iter_errors(document.root())
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
