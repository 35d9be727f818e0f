//! Small serde helpers shared by the format parsers: optional strings borrowed from
//! the input (an owned copy only when the JSON text has escapes), and visitors that
//! answer one question about a value without building it.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, Deserializer, IgnoredAny, SeqAccess, Visitor};

/// An optional string field, borrowed from the input when possible.
///
/// Every string field of every format is one of these. Absent (with
/// `#[serde(default)]`) and `null` are `None`; a string is `Some`, borrowed unless the
/// JSON text has escapes; any other JSON value is an error, which makes the record a
/// reported problem rather than a silently wrong event. `Some("")` is kept apart from
/// `None` because a few fields mean something by being present at all (a Vault
/// entry's `type`, Azure's `resultType`); [`Text::non_empty`] folds the two for
/// the many fields where old producers wrote `""` for "absent".
///
/// serde borrows a `Cow<str>` only as a bare `#[serde(borrow)]` field, so an
/// `Option<Cow<str>>` would allocate a `String` for every field of every record;
/// this type borrows anywhere, including inside sequences.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Text<'a>(Option<Cow<'a, str>>);

impl<'a> Text<'a> {
    /// The value, `None` also for `""` (old Vault versions wrote `""` for absent values).
    pub(crate) fn non_empty(self) -> Option<Cow<'a, str>> {
        self.0.filter(|v| !v.is_empty())
    }

    /// The value as `&str`, `Some("")` included.
    pub(crate) fn as_deref(&self) -> Option<&str> {
        self.0.as_deref()
    }

    /// The value, or `""` when absent.
    pub(crate) fn or_empty(self) -> Cow<'a, str> {
        self.0.unwrap_or(Cow::Borrowed(""))
    }

    /// A copy that no longer borrows from the input.
    pub(crate) fn into_owned(self) -> Text<'static> {
        Text(self.0.map(|v| Cow::Owned(v.into_owned())))
    }
}

// Generic over `'a` rather than `Text<'de>` alone, so that serde's `borrow` (which
// asks for `Text<'a>: Deserialize<'de>` with `'de: 'a`) accepts it as a field type.
impl<'de: 'a, 'a> de::Deserialize<'de> for Text<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Present<'a>(PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for Present<'a> {
            type Value = Cow<'a, str>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Cow::Borrowed(v))
            }
            fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Cow::Owned(v.to_owned()))
            }
            fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
                Ok(Cow::Owned(v))
            }
        }
        struct Nullable<'a>(PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for Nullable<'a> {
            type Value = Text<'a>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string or null")
            }
            fn visit_none<E>(self) -> Result<Self::Value, E> {
                Ok(Text(None))
            }
            fn visit_unit<E>(self) -> Result<Self::Value, E> {
                Ok(Text(None))
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
                d.deserialize_str(Present(PhantomData))
                    .map(|v| Text(Some(v)))
            }
        }
        deserializer.deserialize_option(Nullable(PhantomData))
    }
}

/// The strings of a field that other producers may fill with anything else: a string
/// is kept, a list keeps its strings, any other value is skipped. For request
/// parameters, whose shape differs per API call: a field we read for one call must
/// not make another call's record unreadable.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Strings<'a>(pub Vec<Cow<'a, str>>);

impl<'de: 'a, 'a> de::Deserialize<'de> for Strings<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V<'a>(PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = Strings<'a>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any value")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Strings(vec![Cow::Borrowed(v)]))
            }
            fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Strings(vec![Cow::Owned(v.to_owned())]))
            }
            fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
                Ok(Strings(vec![Cow::Owned(v)]))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut all = Vec::new();
                while let Some(item) = seq.next_element::<Strings<'a>>()? {
                    all.extend(item.0);
                }
                Ok(Strings(all))
            }
            fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Strings::default())
            }
            fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
                Ok(Strings::default())
            }
            fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
                Ok(Strings::default())
            }
            fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
                Ok(Strings::default())
            }
            fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
                Ok(Strings::default())
            }
            fn visit_unit<E>(self) -> Result<Self::Value, E> {
                Ok(Strings::default())
            }
        }
        deserializer.deserialize_any(V(PhantomData))
    }
}

impl<'a> Strings<'a> {
    /// The first non-empty string, when the field was meant to hold one.
    pub(crate) fn first(self) -> Option<Cow<'a, str>> {
        self.0.into_iter().find(|s| !s.is_empty())
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
                while let Some(name) = seq.next_element::<Text<'de>>()? {
                    root |= name.as_deref() == Some("root");
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

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize)]
    struct Field<'a> {
        #[serde(borrow, default)]
        v: Text<'a>,
    }

    fn field(json: &str) -> Result<Text<'_>, serde_json::Error> {
        serde_json::from_str::<Field<'_>>(json).map(|f| f.v)
    }

    #[test]
    fn absent_and_null_are_none_and_empty_is_kept_apart() {
        assert_eq!(field("{}").unwrap().as_deref(), None);
        assert_eq!(field(r#"{"v":null}"#).unwrap().as_deref(), None);
        let empty = field(r#"{"v":""}"#).unwrap();
        assert_eq!(empty.as_deref(), Some(""));
        assert_eq!(empty.non_empty(), None);
        assert_eq!(field("{}").unwrap().or_empty(), "");
    }

    #[test]
    fn strings_borrow_unless_escaped() {
        let plain = field(r#"{"v":"secret/data/a"}"#).unwrap().non_empty();
        assert!(matches!(plain, Some(Cow::Borrowed("secret/data/a"))));
        let escaped = field(r#"{"v":"a\"b"}"#).unwrap().non_empty();
        assert!(matches!(escaped, Some(Cow::Owned(ref s)) if s == "a\"b"));
    }

    #[test]
    fn any_other_value_is_an_error() {
        for bad in [
            r#"{"v":5}"#,
            r#"{"v":true}"#,
            r#"{"v":["a"]}"#,
            r#"{"v":{}}"#,
        ] {
            assert!(field(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn strings_keep_strings_and_skip_anything_else() {
        let strings = |json| serde_json::from_str::<Strings<'_>>(json).unwrap().0;
        assert_eq!(strings(r#""a""#), ["a"]);
        assert_eq!(strings(r#"["a",1,["b"],{"c":"d"},null]"#), ["a", "b"]);
        assert!(strings(r#"{"key":"tag-key"}"#).is_empty());
        assert!(strings("17").is_empty());
    }

    #[test]
    fn root_is_found_in_a_policy_list_with_nulls() {
        let roots = |json| serde_json::from_str::<HasRoot>(json).unwrap().0;
        assert!(roots(r#"["default",null,"root"]"#));
        assert!(!roots(r#"["default","rooted"]"#));
        assert!(!roots("null"));
    }
}
