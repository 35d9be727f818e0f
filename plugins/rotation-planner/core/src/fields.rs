//! Inventory entries read shallowly: the fields the planner knows, borrowed from the
//! input where possible, and of anything else only its JSON kind.
//!
//! Building a `serde_json::Value` tree per entry (an ordered map with a hashed, owned
//! key and an owned string per field) used to cost more than planning the entry. The
//! planner only ever asks a field for its text, its number or what kind of JSON it is,
//! so that is all an [`Entry`] keeps, and every message reads as it did from a tree.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use serde::de::value::{MapAccessDeserializer, SeqAccessDeserializer};
use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Number, Value};

/// One secret of an inventory or of inline input, as the planner reads it.
///
/// Made by [`crate::parse_inventory`], from an inline `serde_json::Value` with `From`,
/// or deserialized from JSON text directly (borrowing its strings).
#[derive(Debug, Clone, PartialEq)]
pub struct Entry<'a>(pub(crate) Shape<'a>);

/// What an entry turned out to be.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Shape<'a> {
    /// An object with at least one member, known to the planner or not.
    Object(Fields<'a>),
    /// `{}`: nothing to plan.
    Empty,
    /// Not an object; its kind for messages ("a number", "null", ...).
    Other(&'static str),
}

/// The fields of an entry the planner reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Field {
    Name,
    Type,
    Store,
    Owner,
    Environment,
    LastRotated,
    IntervalDays,
    NotAfter,
}

impl Field {
    const ALL: [Field; 8] = [
        Field::Name,
        Field::Type,
        Field::Store,
        Field::Owner,
        Field::Environment,
        Field::LastRotated,
        Field::IntervalDays,
        Field::NotAfter,
    ];

    /// The member name in JSON and the column name in CSV.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Field::Name => "name",
            Field::Type => "type",
            Field::Store => "store",
            Field::Owner => "owner",
            Field::Environment => "environment",
            Field::LastRotated => "last_rotated",
            Field::IntervalDays => "interval_days",
            Field::NotAfter => "not_after",
        }
    }

    /// The field a member or column name stands for; `None` for names the planner ignores.
    pub(crate) fn of(name: &str) -> Option<Field> {
        Field::ALL.into_iter().find(|field| field.name() == name)
    }
}

/// A field's value, as far as the planner looks into it.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) enum Raw<'a> {
    /// Missing or null: the planner treats both as not given.
    #[default]
    Null,
    Str(Cow<'a, str>),
    Number(Number),
    /// A boolean, array or object, by its kind.
    Other(&'static str),
}

impl Raw<'_> {
    /// Names the value's JSON type with an article, for messages.
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            Raw::Null => "null",
            Raw::Str(_) => "a string",
            Raw::Number(_) => "a number",
            Raw::Other(kind) => kind,
        }
    }
}

impl<'a> From<&'a Value> for Raw<'a> {
    fn from(value: &'a Value) -> Self {
        match value {
            Value::Null => Raw::Null,
            Value::Bool(_) => Raw::Other("a boolean"),
            Value::Number(number) => Raw::Number(number.clone()),
            Value::String(text) => Raw::Str(Cow::Borrowed(text)),
            Value::Array(_) => Raw::Other("an array"),
            Value::Object(_) => Raw::Other("an object"),
        }
    }
}

impl<'de> Deserialize<'de> for Raw<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(match Node::<Skip, Skip>::deserialize(deserializer)? {
            Node::Scalar(raw) => raw,
            container => Raw::Other(container.kind()),
        })
    }
}

/// The known fields of an entry object, and whether it had any member at all.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Fields<'a> {
    values: [Raw<'a>; Field::ALL.len()],
    has_members: bool,
}

impl<'a> Fields<'a> {
    pub(crate) fn get(&self, field: Field) -> &Raw<'a> {
        &self.values[field as usize]
    }

    /// Records one member; of duplicate members the last wins, as in `serde_json`.
    /// Members the planner does not read only make the entry non-empty.
    pub(crate) fn insert(&mut self, field: Option<Field>, value: Raw<'a>) {
        self.has_members = true;
        if let Some(field) = field {
            self.values[field as usize] = value;
        }
    }
}

impl<'a> Entry<'a> {
    /// The entry an object with these members makes.
    pub(crate) fn object(fields: Fields<'a>) -> Self {
        Entry(if fields.has_members {
            Shape::Object(fields)
        } else {
            Shape::Empty
        })
    }
}

/// Inline input arrives as JSON values; they are read the same way as a file.
impl<'a> From<&'a Value> for Entry<'a> {
    fn from(value: &'a Value) -> Self {
        match value {
            Value::Object(object) => {
                let mut fields = Fields::default();
                for (name, value) in object {
                    fields.insert(Field::of(name), Raw::from(value));
                }
                Entry::object(fields)
            }
            other => Entry(Shape::Other(Raw::from(other).kind())),
        }
    }
}

impl<'de> Deserialize<'de> for Entry<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(
            match Node::<Skip, Fields<'de>>::deserialize(deserializer)? {
                Node::Object(fields) => Entry::object(fields),
                other => Entry(Shape::Other(other.kind())),
            },
        )
    }
}

impl<'de> Deserialize<'de> for Fields<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(FieldsVisitor)
    }
}

struct FieldsVisitor;

impl<'de> Visitor<'de> for FieldsVisitor {
    type Value = Fields<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object")
    }

    fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<Fields<'de>, M::Error> {
        let mut fields = Fields::default();
        while let Some(MemberName(field)) = map.next_key()? {
            fields.insert(field, map.next_value()?);
        }
        Ok(fields)
    }
}

/// A member name, read without allocating even when it has escapes.
struct MemberName(Option<Field>);

impl<'de> Deserialize<'de> for MemberName {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_identifier(MemberNameVisitor)
    }
}

struct MemberNameVisitor;

impl Visitor<'_> for MemberNameVisitor {
    type Value = MemberName;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a member name")
    }

    fn visit_str<E>(self, name: &str) -> Result<MemberName, E> {
        Ok(MemberName(Field::of(name)))
    }
}

/// A JSON value read as deep as the caller needs: scalars as a [`Raw`], arrays as `A`
/// and objects as `O`.
pub(crate) enum Node<'de, A, O> {
    Scalar(Raw<'de>),
    Array(A),
    Object(O),
}

impl<'de, A, O> Node<'de, A, O> {
    /// Names the value's JSON type with an article, for messages.
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            Node::Scalar(raw) => raw.kind(),
            Node::Array(_) => "an array",
            Node::Object(_) => "an object",
        }
    }
}

impl<'de, A: Deserialize<'de>, O: Deserialize<'de>> Deserialize<'de> for Node<'de, A, O> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(NodeVisitor(PhantomData))
    }
}

struct NodeVisitor<A, O>(PhantomData<(A, O)>);

impl<'de, A: Deserialize<'de>, O: Deserialize<'de>> Visitor<'de> for NodeVisitor<A, O> {
    type Value = Node<'de, A, O>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(Node::Scalar(Raw::Null))
    }

    fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
        Ok(Node::Scalar(Raw::Other("a boolean")))
    }

    fn visit_i64<E>(self, number: i64) -> Result<Self::Value, E> {
        Ok(Node::Scalar(Raw::Number(number.into())))
    }

    fn visit_u64<E>(self, number: u64) -> Result<Self::Value, E> {
        Ok(Node::Scalar(Raw::Number(number.into())))
    }

    fn visit_f64<E>(self, number: f64) -> Result<Self::Value, E> {
        // As `serde_json::Value` does: a number JSON cannot hold becomes null.
        Ok(Node::Scalar(
            Number::from_f64(number).map_or(Raw::Null, Raw::Number),
        ))
    }

    fn visit_borrowed_str<E>(self, text: &'de str) -> Result<Self::Value, E> {
        Ok(Node::Scalar(Raw::Str(Cow::Borrowed(text))))
    }

    /// Strings with escapes are unescaped into the parser's scratch space, so they
    /// are the only ones copied.
    fn visit_str<E>(self, text: &str) -> Result<Self::Value, E> {
        Ok(Node::Scalar(Raw::Str(Cow::Owned(text.to_owned()))))
    }

    fn visit_seq<S: SeqAccess<'de>>(self, seq: S) -> Result<Self::Value, S::Error> {
        A::deserialize(SeqAccessDeserializer::new(seq)).map(Node::Array)
    }

    fn visit_map<M: MapAccess<'de>>(self, map: M) -> Result<Self::Value, M::Error> {
        O::deserialize(MapAccessDeserializer::new(map)).map(Node::Object)
    }
}

/// Any JSON value, checked as strictly as `serde_json::Value` checks it and dropped.
///
/// `serde::de::IgnoredAny` would skip faster, but without checking UTF-8, escapes,
/// number range or nesting depth, so a file that used to be refused as invalid JSON
/// would be planned.
pub(crate) struct Skip;

impl<'de> Deserialize<'de> for Skip {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(Skip)
    }
}

impl<'de> Visitor<'de> for Skip {
    type Value = Skip;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_unit<E>(self) -> Result<Skip, E> {
        Ok(Skip)
    }

    fn visit_bool<E>(self, _: bool) -> Result<Skip, E> {
        Ok(Skip)
    }

    fn visit_i64<E>(self, _: i64) -> Result<Skip, E> {
        Ok(Skip)
    }

    fn visit_u64<E>(self, _: u64) -> Result<Skip, E> {
        Ok(Skip)
    }

    fn visit_f64<E>(self, _: f64) -> Result<Skip, E> {
        Ok(Skip)
    }

    fn visit_str<E>(self, _: &str) -> Result<Skip, E> {
        Ok(Skip)
    }

    fn visit_seq<S: SeqAccess<'de>>(self, mut seq: S) -> Result<Skip, S::Error> {
        while seq.next_element::<Skip>()?.is_some() {}
        Ok(Skip)
    }

    fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<Skip, M::Error> {
        while map.next_entry::<Skip, Skip>()?.is_some() {}
        Ok(Skip)
    }
}
