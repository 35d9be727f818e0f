//! Kubernetes names, as the API server checks them (apimachinery's
//! `IsDNS1123Label` and `IsDNS1123Subdomain`), and the keys of a Secret's
//! data (`IsConfigMapKey`).

use serde_json::{Map, Value, json};

use crate::error::{InputError, shown};

/// A ServiceAccount `name` in `namespace` with `annotations` (names checked
/// by the caller; the workload identity annotations of the cloud).
pub fn service_account(name: &str, namespace: &str, annotations: &[(&str, &str)]) -> Value {
    let annotations: Map<String, Value> = annotations
        .iter()
        .map(|(key, value)| ((*key).to_owned(), json!(value)))
        .collect();
    json!({
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": { "name": name, "namespace": namespace, "annotations": annotations },
    })
}

/// A DNS-1123 label: namespaces, most object names. At most 63 characters.
pub fn check_label(field: &str, text: &str) -> Result<(), InputError> {
    if is_label(text) {
        return Ok(());
    }
    Err(InputError::new(
        field,
        format!(
            "`{}` is not a Kubernetes DNS label (lowercase letters, digits and '-', \
             starting and ending with a letter or digit, at most 63 characters)",
            shown(text)
        ),
    ))
}

/// A DNS-1123 subdomain: service accounts, Secrets, custom objects. At most
/// 253 characters of labels joined by '.'.
pub fn check_subdomain(field: &str, text: &str) -> Result<(), InputError> {
    if text.len() <= 253 && text.split('.').all(is_label) {
        return Ok(());
    }
    Err(InputError::new(
        field,
        format!(
            "`{}` is not a Kubernetes name (DNS-1123 subdomain: lowercase letters, digits, \
             '-' and '.', at most 253 characters)",
            shown(text)
        ),
    ))
}

/// A key of a Secret's `data`: letters, digits, '-', '_', '.'; not `.` or `..`.
pub fn check_secret_key(field: &str, text: &str) -> Result<(), InputError> {
    let valid = !text.is_empty()
        && text.len() <= 253
        && text != "."
        && text != ".."
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if valid {
        return Ok(());
    }
    Err(InputError::new(
        field,
        format!(
            "`{}` cannot be a key of a Kubernetes Secret (letters, digits, '-', '_', '.')",
            shown(text)
        ),
    ))
}

fn is_label(text: &str) -> bool {
    let edge = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit();
    !text.is_empty()
        && text.len() <= 63
        && text.starts_with(edge)
        && text.ends_with(edge)
        && text.chars().all(|c| edge(c) || c == '-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_and_subdomains_follow_apimachinery() {
        for good in ["a", "payment", "a-1", &"a".repeat(63)] {
            assert!(check_label("/x", good).is_ok(), "{good}");
        }
        for bad in ["", "-a", "a-", "A", "a.b", "a_b", &"a".repeat(64), "a\nb"] {
            assert!(check_label("/x", bad).is_err(), "{bad}");
        }
        assert!(check_subdomain("/x", "external-secrets.io").is_ok());
        for bad in ["a..b", ".a", "a.", "a/b", "a:b"] {
            assert!(check_subdomain("/x", bad).is_err(), "{bad}");
        }
        assert!(check_secret_key("/x", "db-creds.json").is_ok());
        for bad in ["..", "a/b", "a b", ""] {
            assert!(check_secret_key("/x", bad).is_err(), "{bad}");
        }
    }
}
