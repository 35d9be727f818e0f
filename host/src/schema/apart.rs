//! Checking a large output on two cores: the items of its top-level arrays are
//! checked apart from the rest, half of them on the helper thread
//! ([`crate::threads::helper`]).
//!
//! A tool's output is mostly one or two arrays of records (the schedule is over
//! nine tenths of a 1,000-secret plan's 470 KB). For a schema whose root lists
//! such an array property with a plain `items` schema, an instance is valid
//! exactly when it is valid against the schema without that `items`, and every
//! element of the array is valid against `items`. Nothing else in a schema can
//! see what `items` checked, except `unevaluatedItems` and `prefixItems`
//! beside it, which keep a property whole (as does anything but plain array
//! keywords and annotations). Keywords elsewhere that reach into the array, such
//! as an `allOf` at the root, stay in the rest and check it themselves.
//!
//! The split only answers "valid or not"; problems are always reported by the
//! whole schema, so their pointers and messages are the same either way.
//!
//! Checking the 1,000-secret plan took 0.50 ms on one thread and 0.30 to 0.35 ms
//! on two (in process, warm). In a whole `skill run` a thread started for the
//! half began only once the caller waited, and saved 0.08 ms; the helper, awake
//! or asleep on the other core already, saves about twice that.

use jsonschema::Validator;
use jsonschema::json::{Array, Json, Node, Object};
use serde_json::{Map, Value};

/// Keywords an array property may have and still have its items checked apart:
/// each checks the array itself or says nothing at all.
const PLAIN_ARRAY_KEYWORDS: [&str; 13] = [
    "type",
    "items",
    "minItems",
    "maxItems",
    "uniqueItems",
    "title",
    "description",
    "$comment",
    "default",
    "examples",
    "deprecated",
    "readOnly",
    "writeOnly",
];

/// Below this many elements in all, one thread checks them: handing half to the
/// helper is not worth it for a few. (Set when the half started a thread of its
/// own, which cost about as much as checking a hundred records; a hand-off to
/// the running helper costs less, and the bound was kept.)
const PARALLEL_MIN_ELEMENTS: usize = 256;

/// A schema compiled as its rest plus the items of its plain array properties.
pub(super) struct ItemsApart<F: Json> {
    rest: Validator<F>,
    arrays: Vec<(String, Validator<F>)>,
}

impl<F: Json> ItemsApart<F>
where
    for<'i> F::Node<'i>: Sync,
{
    /// The parts of `schema`, or `None` when no property can be split off.
    pub(super) fn new(schema: &Value) -> Option<Self> {
        let properties = schema.get("properties")?.as_object()?;
        let split: Vec<(&String, &Value)> = properties
            .iter()
            .filter(|(_, property)| is_plain_array(property))
            .collect();
        if split.is_empty() {
            return None;
        }
        let mut rest_properties = properties.clone();
        let mut arrays = Vec::with_capacity(split.len());
        for (name, property) in split {
            // An `items` that refers elsewhere in the schema (`$defs`) does not
            // compile on its own; it stays where it is.
            let Ok(items) = super::build::<F>(&property["items"]) else {
                continue;
            };
            if let Some(Value::Object(array)) = rest_properties.get_mut(name) {
                array.remove("items");
            }
            arrays.push((name.clone(), items));
        }
        if arrays.is_empty() {
            return None;
        }
        let mut rest: Map<String, Value> = schema.as_object()?.clone();
        rest.insert("properties".to_owned(), Value::Object(rest_properties));
        let rest = super::build::<F>(&Value::Object(rest)).ok()?;
        Some(Self { rest, arrays })
    }

    /// Whether `instance` is valid against the whole schema; `None` when the
    /// instance names a split property twice: which of the two the whole schema
    /// checks is not for this shortcut to decide.
    pub(super) fn is_valid(&self, instance: F::Node<'_>) -> Option<bool> {
        let elements = self.elements(&instance)?;
        if !self.rest.is_valid(instance) {
            return Some(false);
        }
        let all_valid = |part: &[(&Validator<F>, F::Node<'_>)]| {
            part.iter()
                .all(|(items, element)| items.is_valid(element.clone()))
        };
        if elements.len() < PARALLEL_MIN_ELEMENTS {
            return Some(all_valid(&elements));
        }
        let Some(helper) = crate::threads::helper() else {
            return Some(all_valid(&elements));
        };
        let (first, second) = elements.split_at(elements.len() / 2);
        let mut second_valid = false;
        // Both halves finish: the scope waits for the helper's either way.
        let first_valid = helper.in_place_scope(|scope| {
            scope.spawn(|_| second_valid = all_valid(second));
            all_valid(first)
        });
        Some(first_valid && second_valid)
    }

    /// The elements of the split arrays with the validator of each, or `None`
    /// when the instance names a split property twice.
    fn elements<'s, 'i>(
        &'s self,
        instance: &F::Node<'i>,
    ) -> Option<Vec<(&'s Validator<F>, F::Node<'i>)>> {
        let mut elements = Vec::new();
        let Some(object) = instance.as_object() else {
            return Some(elements);
        };
        for (key, items) in &self.arrays {
            let mut named = object.members().filter(|(name, _)| name.as_ref() == key);
            let value = named.next();
            if named.next().is_some() {
                return None;
            }
            if let Some(array) = value.and_then(|(_, value)| value.as_array()) {
                elements.extend(array.elements().map(|element| (items, element)));
            }
        }
        Some(elements)
    }
}

/// Whether a property schema is an array whose items can be checked apart. A
/// boolean `items` (`true`, as in an input's free-form array) has nothing to
/// check apart: splitting it off would only compile one more validator.
fn is_plain_array(property: &Value) -> bool {
    property.as_object().is_some_and(|keywords| {
        keywords.get("items").is_some_and(Value::is_object)
            && keywords
                .keys()
                .all(|keyword| PLAIN_ARRAY_KEYWORDS.contains(&keyword.as_str()))
    })
}

#[cfg(test)]
mod tests {
    use jsonschema::json::SerdeJson;
    use serde_json::json;

    use super::*;
    use crate::document::{Document, InPlace};

    fn split_names<F: Json>(schema: &Value) -> Vec<String>
    where
        for<'i> F::Node<'i>: Sync,
    {
        ItemsApart::<F>::new(schema)
            .map(|apart| apart.arrays.into_iter().map(|(name, _)| name).collect())
            .unwrap_or_default()
    }

    /// A plan-like output: a large array of records, a small array of strings,
    /// and other properties.
    fn plan_schema() -> Value {
        json!({
            "type": "object",
            "properties": {
                "as_of": {"type": "string"},
                "schedule": {
                    "description": "One item per secret.",
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "name": {"type": "string", "minLength": 1},
                            "days": {"type": ["integer", "null"], "minimum": -100000},
                            "urgency": {"enum": ["critical", "high", "low"]},
                            "notes": {"type": "array", "items": {"type": "string"}}
                        },
                        "required": ["name", "urgency", "notes"],
                        "additionalProperties": false
                    }
                },
                "actions": {"type": "array", "items": {"type": "string"}, "maxItems": 500}
            },
            "required": ["as_of", "schedule", "actions"]
        })
    }

    fn item(index: usize) -> Value {
        json!({"name": format!("secret-{index:04}"), "days": index, "urgency": "low", "notes": []})
    }

    fn plan(items: usize) -> Value {
        json!({
            "as_of": "2026-06-01",
            "schedule": (0..items).map(item).collect::<Vec<_>>(),
            "actions": ["secret-0000"]
        })
    }

    #[test]
    fn only_plain_arrays_are_split_off() {
        assert_eq!(
            split_names::<InPlace>(&plan_schema()),
            ["schedule", "actions"]
        );
        let kept = [
            json!({"type": "array", "prefixItems": [{"type": "string"}], "items": {"type": "integer"}}),
            json!({"type": "array", "items": {"type": "integer"}, "unevaluatedItems": false}),
            json!({"type": "array", "items": {"type": "integer"}, "allOf": [{"minItems": 1}]}),
            json!({"type": "array", "items": {"$ref": "#/$defs/n"}}),
            json!({"type": "array", "items": [{"type": "integer"}]}),
            json!({"type": ["array", "null"], "items": true}),
            json!({"type": "array", "items": false}),
            json!({"type": "array"}),
        ];
        for property in kept {
            let schema = json!({
                "type": "object",
                "properties": {"a": property},
                "$defs": {"n": {"type": "integer"}}
            });
            assert!(split_names::<InPlace>(&schema).is_empty(), "{schema}");
        }
    }

    /// The split answers as the whole schema does, for outputs checked on one
    /// thread and on two, valid or broken anywhere.
    #[test]
    fn split_and_whole_agree() {
        let schema = plan_schema();
        let apart = ItemsApart::<InPlace>::new(&schema).expect("the schema splits");
        let whole = super::super::build::<InPlace>(&schema).unwrap();
        let apart_serde = ItemsApart::<SerdeJson>::new(&schema).expect("the schema splits");
        let whole_serde = super::super::build::<SerdeJson>(&schema).unwrap();
        let mut instances = Vec::new();
        for items in [
            0,
            3,
            PARALLEL_MIN_ELEMENTS - 2,
            2 * PARALLEL_MIN_ELEMENTS + 1,
        ] {
            let valid = plan(items);
            instances.push(valid.clone());
            for at in [0, items / 2, items.saturating_sub(1)]
                .into_iter()
                .filter(|&at| at < items)
            {
                for broken in [
                    json!({"name": "", "urgency": "low", "notes": []}),
                    json!({"name": "x", "urgency": "medium", "notes": []}),
                    json!({"name": "x", "urgency": "low", "notes": [1]}),
                    json!({"name": "x", "urgency": "low"}),
                    json!({"name": "x", "urgency": "low", "notes": [], "extra": true}),
                    json!("not a record"),
                ] {
                    let mut instance = valid.clone();
                    instance["schedule"][at] = broken;
                    instances.push(instance);
                }
            }
            let mut no_as_of = valid.clone();
            no_as_of.as_object_mut().unwrap().remove("as_of");
            instances.push(no_as_of);
            let mut long_actions = valid.clone();
            long_actions["actions"] = json!(vec!["a"; 501]);
            instances.push(long_actions);
        }
        instances.extend([
            json!({"as_of": "x", "schedule": {"0": item(0)}, "actions": []}),
            json!({"as_of": "x", "schedule": null, "actions": []}),
            json!([plan(1)]),
            json!("plan"),
        ]);
        for instance in &instances {
            let text = instance.to_string();
            let document = Document::parse(&text).unwrap();
            let expected = whole.is_valid(document.root());
            assert_eq!(
                apart.is_valid(document.root()),
                Some(expected),
                "{text:.200}"
            );
            assert_eq!(whole_serde.is_valid(instance), expected, "{text:.200}");
            assert_eq!(
                apart_serde.is_valid(instance),
                Some(expected),
                "{text:.200}"
            );
        }
    }

    #[test]
    fn a_property_named_twice_is_left_to_the_whole_schema() {
        let schema = plan_schema();
        let apart = ItemsApart::<InPlace>::new(&schema).unwrap();
        let text = r#"{"as_of": "x", "actions": [], "schedule": [1], "schedule": []}"#;
        let document = Document::parse(text).unwrap();
        assert_eq!(apart.is_valid(document.root()), None);
        let compiled = super::super::Compiled::<InPlace>::new(schema).unwrap();
        let whole = super::super::build::<InPlace>(&plan_schema()).unwrap();
        assert_eq!(
            compiled.problems(document.root()).is_empty(),
            whole.is_valid(document.root())
        );
    }
}
