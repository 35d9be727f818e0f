//! Reading an inventory file (JSON or CSV) into a list of entries.
//!
//! Parsing is deliberately shallow: it only checks the container shape. Each entry's
//! fields are judged by the planner, so one bad row becomes one reported problem
//! rather than a failed file.

use std::borrow::Cow;
use std::fmt;

use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};

use crate::fields::{Entry, Field, Fields, Node, Raw, Skip};

/// The format an inventory was read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InventoryFormat {
    /// A JSON array, or an object with a `secrets` array.
    Json,
    /// CSV with a header row naming the fields.
    Csv,
}

/// The entries of an inventory, ready for [`crate::plan`], borrowing from the file's bytes.
#[derive(Debug, Clone, PartialEq)]
pub struct Inventory<'a> {
    /// One entry per secret, in file order.
    pub entries: Vec<Entry<'a>>,
    /// The format the file was in.
    pub format: InventoryFormat,
    /// JSON Pointer of the entries array inside the file: `""` for a top-level array
    /// or CSV, `"/secrets"` for the wrapper object.
    pub pointer_prefix: String,
}

/// Why an inventory file could not be read. Every message names the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InventoryError {
    /// The file is empty or only whitespace.
    Empty { source: String },
    /// The file starts like JSON but is not valid JSON.
    Json {
        source: String,
        line: usize,
        column: usize,
        message: String,
    },
    /// Valid JSON, but neither an array nor an object with a `secrets` array.
    NotAnInventory { source: String, found: String },
    /// The CSV could not be read.
    Csv {
        source: String,
        line: Option<u64>,
        message: String,
    },
}

impl fmt::Display for InventoryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InventoryError::Empty { source } => {
                write!(
                    f,
                    "{source}: the inventory is empty; expected a JSON array of secrets or CSV with a header row"
                )
            }
            InventoryError::Json {
                source,
                line,
                column,
                message,
            } => {
                write!(
                    f,
                    "{source}: invalid JSON at line {line}, column {column}: {message}"
                )
            }
            InventoryError::NotAnInventory { source, found } => write!(
                f,
                "{source}: expected a JSON array of secrets or an object with a \"secrets\" array, found {found}"
            ),
            InventoryError::Csv {
                source,
                line: Some(line),
                message,
            } => {
                write!(f, "{source}: invalid CSV at line {line}: {message}")
            }
            InventoryError::Csv {
                source,
                line: None,
                message,
            } => write!(f, "{source}: invalid CSV: {message}"),
        }
    }
}

impl std::error::Error for InventoryError {}

/// Parses an inventory, choosing JSON when the first non-whitespace byte is `[` or `{`
/// and CSV otherwise. `source` is the file's display name, used in error messages.
pub fn parse_inventory<'a>(bytes: &'a [u8], source: &str) -> Result<Inventory<'a>, InventoryError> {
    // Spreadsheet exports often start with a byte-order mark; it is not content.
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match bytes.iter().find(|b| !b.is_ascii_whitespace()) {
        None => Err(InventoryError::Empty {
            source: source.to_owned(),
        }),
        Some(b'[' | b'{') => parse_json(bytes, source),
        Some(_) => parse_csv(bytes, source),
    }
}

fn parse_json<'a>(bytes: &'a [u8], source: &str) -> Result<Inventory<'a>, InventoryError> {
    // One check that the whole text is UTF-8 is much quicker than serde_json's
    // check of each string as it reads bytes; where the text is not UTF-8, reading
    // the bytes says where, as before.
    let document: serde_json::Result<Document> = match std::str::from_utf8(bytes) {
        Ok(text) => serde_json::from_str(text),
        Err(_) => serde_json::from_slice(bytes),
    };
    let document = document.map_err(|error| {
        let (line, column) = (error.line(), error.column());
        let full = error.to_string();
        // serde_json appends its own position; ours is in the fixed prefix already.
        let suffix = format!(" at line {line} column {column}");
        let message = full.strip_suffix(&suffix).unwrap_or(&full).to_owned();
        InventoryError::Json {
            source: source.to_owned(),
            line,
            column,
            message,
        }
    })?;
    let not_an_inventory = |found: &str| InventoryError::NotAnInventory {
        source: source.to_owned(),
        found: found.to_owned(),
    };
    match document {
        Node::Array(entries) => Ok(Inventory {
            entries,
            format: InventoryFormat::Json,
            pointer_prefix: String::new(),
        }),
        Node::Object(wrapper) => match wrapper.secrets {
            Some(Node::Array(entries)) => Ok(Inventory {
                entries,
                format: InventoryFormat::Json,
                pointer_prefix: "/secrets".to_owned(),
            }),
            Some(other) => Err(not_an_inventory(&format!(
                "\"secrets\" holding {}",
                other.kind()
            ))),
            None if wrapper.has_name => {
                Err(not_an_inventory("a single secret object (wrap it in [ ])"))
            }
            None => Err(not_an_inventory("an object without a \"secrets\" key")),
        },
        other => Err(not_an_inventory(other.kind())),
    }
}

/// A JSON inventory: an array of entries, or an object that should wrap one.
type Document<'a> = Node<'a, Vec<Entry<'a>>, Wrapper<'a>>;

/// A top-level object: its `secrets` member (the last one, as in `serde_json`) and
/// whether it looks like a single secret instead.
struct Wrapper<'a> {
    secrets: Option<Node<'a, Vec<Entry<'a>>, Skip>>,
    has_name: bool,
}

impl<'de> Deserialize<'de> for Wrapper<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(WrapperVisitor)
    }
}

struct WrapperVisitor;

impl<'de> Visitor<'de> for WrapperVisitor {
    type Value = Wrapper<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object")
    }

    fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<Wrapper<'de>, M::Error> {
        let mut wrapper = Wrapper {
            secrets: None,
            has_name: false,
        };
        // A wrapper has a handful of members, so owned names cost nothing here.
        while let Some(name) = map.next_key::<String>()? {
            if name == "secrets" {
                wrapper.secrets = Some(map.next_value()?);
            } else {
                wrapper.has_name |= name == Field::Name.name();
                map.next_value::<Skip>()?;
            }
        }
        Ok(wrapper)
    }
}

fn parse_csv<'a>(bytes: &[u8], source: &str) -> Result<Inventory<'a>, InventoryError> {
    let csv_error = |error: csv::Error| InventoryError::Csv {
        source: source.to_owned(),
        line: error.position().map(csv::Position::line),
        message: match error.kind() {
            csv::ErrorKind::Utf8 { .. } => "the file is not valid UTF-8".to_owned(),
            csv::ErrorKind::UnequalLengths {
                expected_len, len, ..
            } => {
                format!("this row has {len} cells but the header has {expected_len}")
            }
            _ => error.to_string(),
        },
    };
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(bytes);
    // Each column's field, `Some(None)` for a named column the planner ignores (it
    // still makes its rows non-empty), or `None` for an unnamed column.
    let columns: Vec<Option<Option<Field>>> = reader
        .headers()
        .map_err(csv_error)?
        .iter()
        .map(|name| (!name.is_empty()).then(|| Field::of(name)))
        .collect();
    let mut entries = Vec::new();
    for record in reader.records() {
        let record = record.map_err(csv_error)?;
        let mut fields = Fields::default();
        for (column, cell) in columns.iter().zip(record.iter()) {
            // An empty cell means "not given", the same as a missing JSON field.
            if let Some(field) = column.filter(|_| !cell.is_empty()) {
                fields.insert(field, csv_cell(field, cell));
            }
        }
        entries.push(Entry::object(fields));
    }
    Ok(Inventory {
        entries,
        format: InventoryFormat::Csv,
        pointer_prefix: String::new(),
    })
}

/// CSV cells are text; `interval_days` becomes a number when it is one, so CSV and
/// JSON inventories plan alike. A non-numeric value stays text for the planner to report.
fn csv_cell(field: Option<Field>, cell: &str) -> Raw<'static> {
    let number = (field == Some(Field::IntervalDays))
        .then(|| cell.parse::<u64>().ok())
        .flatten();
    number.map_or_else(
        || Raw::Str(Cow::Owned(cell.to_owned())),
        |number| Raw::Number(number.into()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    /// The entries these JSON values make when given inline.
    fn entries_of(values: &[Value]) -> Vec<Entry<'_>> {
        values.iter().map(Entry::from).collect()
    }

    #[test]
    fn json_array_has_no_pointer_prefix() {
        let inventory = parse_inventory(br#" [{"name": "a"}]"#, "inv.json").unwrap();
        assert_eq!(inventory.format, InventoryFormat::Json);
        assert_eq!(inventory.pointer_prefix, "");
        assert_eq!(inventory.entries, entries_of(&[json!({"name": "a"})]));
    }

    #[test]
    fn file_entries_read_like_inline_values() {
        let text = r#"[1, null, [], {}, {"x": [1]}, {"n\u0061me": "a\nb", "name": " c ", "type": 7,
            "interval_days": -0.0, "owner": {"k": [true]}, "store": "\u00e9", "junk": "\t"}]"#;
        let inventory = parse_inventory(text.as_bytes(), "inv.json").unwrap();
        let values: Vec<Value> = serde_json::from_str(text).unwrap();
        assert_eq!(inventory.entries, entries_of(&values));
    }

    #[test]
    fn unknown_members_are_checked_like_known_ones() {
        let deep = format!("{}1{}", "[".repeat(200), "]".repeat(200));
        for junk in ["\"\\ud800\"", "1e400", &deep] {
            let text = format!(r#"[{{"name": "a", "junk": {junk}}}]"#);
            let error = parse_inventory(text.as_bytes(), "inv.json").unwrap_err();
            assert!(matches!(error, InventoryError::Json { .. }), "{error}");
        }
    }

    #[test]
    fn json_wrapper_object_points_into_secrets() {
        let inventory = parse_inventory(
            br#"{"version": 1, "secrets": [{"name": "a"}, 3]}"#,
            "inv.json",
        )
        .unwrap();
        assert_eq!(inventory.pointer_prefix, "/secrets");
        assert_eq!(inventory.entries.len(), 2);
    }

    #[test]
    fn malformed_json_reports_line_and_column() {
        let error = parse_inventory(b"[\n  {\"name\": \"a\",}\n]", "inv.json").unwrap_err();
        match &error {
            InventoryError::Json { line, column, .. } => assert_eq!((*line, *column), (2, 16)),
            other => panic!("unexpected {other:?}"),
        }
        let text = error.to_string();
        assert!(
            text.starts_with("inv.json: invalid JSON at line 2, column 16: "),
            "{text}"
        );
        assert!(
            !text.ends_with("column 16"),
            "position must not be repeated: {text}"
        );
    }

    #[test]
    fn json_that_is_not_an_inventory_is_refused() {
        for (input, found) in [
            (&br#"{"secrets": {}}"#[..], "\"secrets\" holding an object"),
            (
                br#"{"name": "db", "type": "database"}"#,
                "a single secret object",
            ),
            (br#"{"items": []}"#, "without a \"secrets\" key"),
        ] {
            let text = parse_inventory(input, "x.json").unwrap_err().to_string();
            assert!(text.starts_with("x.json: expected a JSON array"), "{text}");
            assert!(text.contains(found), "{text}");
        }
    }

    #[test]
    fn empty_input_is_an_error_naming_the_source() {
        for input in [&b""[..], b"  \n\t", b"\xEF\xBB\xBF\n"] {
            let error = parse_inventory(input, "empty.csv").unwrap_err();
            assert_eq!(
                error,
                InventoryError::Empty {
                    source: "empty.csv".into()
                }
            );
            assert!(error.to_string().starts_with("empty.csv: "));
        }
    }

    #[test]
    fn csv_rows_become_objects_of_strings() {
        let csv = "\u{feff}name,type,owner,interval_days,last_rotated\n\
                   \"db, primary\",database,,30,2026-01-01\n\
                   \"say \"\"hi\"\"\",api-key,team-a,soon,\n";
        let inventory = parse_inventory(csv.as_bytes(), "inv.csv").unwrap();
        assert_eq!(inventory.format, InventoryFormat::Csv);
        assert_eq!(inventory.pointer_prefix, "");
        assert_eq!(
            inventory.entries,
            entries_of(&[
                json!({"name": "db, primary", "type": "database", "interval_days": 30, "last_rotated": "2026-01-01"}),
                json!({"name": "say \"hi\"", "type": "api-key", "owner": "team-a", "interval_days": "soon"}),
            ])
        );
    }

    #[test]
    fn json_that_is_not_utf8_is_refused_with_its_place() {
        let text = b"[\n  {\"name\": \"ok\", \"type\": \"api-key\"},\n  {\"name\": \"b\xFFd\"}\n]";
        let error = parse_inventory(text, "inv.json").unwrap_err();
        assert_eq!(
            error.to_string(),
            "inv.json: invalid JSON at line 3, column 14: invalid unicode code point"
        );
        let valid = "[{\"name\": \"caf\u{e9} \u{1F511}\", \"type\": \"api-key\"}]";
        let inventory = parse_inventory(valid.as_bytes(), "inv.json").unwrap();
        assert_eq!(inventory.entries.len(), 1);
    }

    #[test]
    fn csv_errors_name_the_line() {
        let error =
            parse_inventory(b"name,type\na,database\nb,api-key,extra\n", "inv.csv").unwrap_err();
        assert_eq!(
            error.to_string(),
            "inv.csv: invalid CSV at line 3: this row has 3 cells but the header has 2"
        );
        let error = parse_inventory(b"name,type\na,\xFF\xFE\n", "inv.csv").unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("inv.csv: invalid CSV at line 2: "),
            "{error}"
        );
    }
}
