//! YAML documents from a serializer: values are quoted by it as YAML needs,
//! so no name can add a key, a document or a tag.

use serde::Serialize;

/// The documents, each introduced by `---`.
pub fn documents<T: Serialize>(docs: &[T]) -> String {
    docs.iter()
        .map(|doc| {
            let text = serde_yaml_ng::to_string(doc).expect("plain data serializes to YAML");
            format!("---\n{text}")
        })
        .collect()
}

/// The documents of `text` as JSON values (to read generated YAML back).
pub fn parse_documents(text: &str) -> Result<Vec<serde_json::Value>, serde_yaml_ng::Error> {
    use serde::Deserialize;
    serde_yaml_ng::Deserializer::from_str(text)
        .map(serde_json::Value::deserialize)
        .collect()
}
