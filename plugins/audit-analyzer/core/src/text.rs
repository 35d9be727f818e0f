//! Small serde helpers shared by the format parsers: borrowed strings that fall back to
//! an owned copy only when the JSON text has escapes, and visitors that answer one
//! question about a value without building it.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserializer, IgnoredAny, SeqAccess, Visitor};

/// A string borrowed from the input when possible.
///
/// `Cow<str>` alone always deserializes owned; serde only borrows through
/// `#[serde(borrow)]` on a struct field. This newtype borrows anywhere, including
/// inside sequences.
#[derive(Debug)]
pub(crate) struct Text<'a>(pub Cow<'a, str>);

impl<'de> de::Deserialize<'de> for Text<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Text<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Text(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Text(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
                Ok(Text(Cow::Owned(v)))
            }
        }
        deserializer.deserialize_str(V)
    }
}

/// True when a JSON array of strings contains `root`; any other value is false.
/// Answers the "root token" question without allocating the policy list.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct HasRoot(pub bool);

impl<'de> de::Deserialize<'de> for HasRoot {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = HasRoot;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a list of policy names")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<HasRoot, A::Error> {
                let mut root = false;
                while let Some(name) = seq.next_element::<Option<Text<'de>>>()? {
                    root |= name.is_some_and(|n| n.0 == "root");
                }
                Ok(HasRoot(root))
            }
            fn visit_unit<E>(self) -> Result<HasRoot, E> {
                Ok(HasRoot(false))
            }
        }
        deserializer.deserialize_any(V)
    }
}

/// True only for the JSON literal `true`; any other value (including an HMAC'd string
/// in place of a boolean) is false.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct IsTrue(pub bool);

impl<'de> de::Deserialize<'de> for IsTrue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = IsTrue;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any value")
            }
            fn visit_bool<E>(self, v: bool) -> Result<IsTrue, E> {
                Ok(IsTrue(v))
            }
            fn visit_str<E>(self, _: &str) -> Result<IsTrue, E> {
                Ok(IsTrue(false))
            }
            fn visit_i64<E>(self, _: i64) -> Result<IsTrue, E> {
                Ok(IsTrue(false))
            }
            fn visit_u64<E>(self, _: u64) -> Result<IsTrue, E> {
                Ok(IsTrue(false))
            }
            fn visit_f64<E>(self, _: f64) -> Result<IsTrue, E> {
                Ok(IsTrue(false))
            }
            fn visit_unit<E>(self) -> Result<IsTrue, E> {
                Ok(IsTrue(false))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<IsTrue, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(IsTrue(false))
            }
            fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<IsTrue, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(IsTrue(false))
            }
        }
        deserializer.deserialize_any(V)
    }
}

/// A number that some producers write as a JSON number and others as a string
/// (Azure `durationMs`, `httpStatusCode_d` as a double).
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct LooseNumber(pub Option<f64>);

impl<'de> de::Deserialize<'de> for LooseNumber {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = LooseNumber;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a number or a numeric string")
            }
            fn visit_i64<E>(self, v: i64) -> Result<LooseNumber, E> {
                Ok(LooseNumber(Some(v as f64)))
            }
            fn visit_u64<E>(self, v: u64) -> Result<LooseNumber, E> {
                Ok(LooseNumber(Some(v as f64)))
            }
            fn visit_f64<E>(self, v: f64) -> Result<LooseNumber, E> {
                Ok(LooseNumber(Some(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<LooseNumber, E> {
                Ok(LooseNumber(v.trim().parse().ok()))
            }
            fn visit_unit<E>(self) -> Result<LooseNumber, E> {
                Ok(LooseNumber(None))
            }
        }
        deserializer.deserialize_any(V)
    }
}

/// `Some` only for a non-empty string: old Vault versions wrote `""` for absent values.
pub(crate) fn non_empty(value: Option<Cow<'_, str>>) -> Option<Cow<'_, str>> {
    value.filter(|v| !v.is_empty())
}

/// `deserialize_with` for `Option<Cow<str>>` fields: serde's `#[serde(borrow)]` borrows
/// only a bare `Cow<str>`, and an `Option<Cow<str>>` would otherwise allocate a
/// `String` for every field of every record.
pub(crate) fn opt_cow<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Cow<'de, str>>, D::Error> {
    Ok(<Option<Text<'de>> as de::Deserialize>::deserialize(deserializer)?.map(|t| t.0))
}
