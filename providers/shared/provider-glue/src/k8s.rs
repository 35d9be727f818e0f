//! Kubernetes names, as the API server checks them (apimachinery's
//! `IsDNS1123Label` and `IsDNS1123Subdomain`), the keys of a Secret's data
//! (`IsConfigMapKey`), and the workload block every provider shares.

use serde_json::{Map, Value, json};

use crate::error::{InputError, shown};
use crate::eso::{self, StoreKind};

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

/// The pods that read an app's secrets and the ESO objects that sync them,
/// as every provider's `kubernetes` block gives them, checked.
#[derive(Debug, Clone)]
pub struct Workload<'a> {
    /// The pods' namespace (and the `SecretStore`'s).
    pub namespace: String,
    /// The one service account given, else each environment's default.
    pub service_account: Option<&'a str>,
    pub store_kind: StoreKind,
    /// How often ESO re-reads the secrets (a checked Go duration).
    pub refresh_interval: &'a str,
}

/// What a `kubernetes` block says, unchecked.
pub struct WorkloadRequest<'a> {
    pub namespace: Option<&'a str>,
    pub service_account: Option<&'a str>,
    pub store_kind: StoreKind,
    pub refresh_interval: &'a str,
}

impl<'a> WorkloadRequest<'a> {
    /// Checks the block at `prefix` for `app` and its environments (each
    /// name with its field): the namespace (default: the app's name), a
    /// service account only for a single environment (one account per
    /// environment keeps each environment's secrets from the others'
    /// pods), `<app>-<environment>` (the default account and the ESO
    /// objects' name) a DNS label, and the refresh interval.
    pub fn check(
        self,
        prefix: &str,
        app: &str,
        environments: &[(String, &str)],
    ) -> Result<Workload<'a>, InputError> {
        let namespace = self.namespace.unwrap_or(app).to_owned();
        check_label(&format!("{prefix}/namespace"), &namespace)?;
        if let Some(account) = self.service_account {
            let field = format!("{prefix}/service_account");
            check_subdomain(&field, account)?;
            if environments.len() > 1 {
                return Err(InputError::new(
                    field,
                    "one service account cannot stand for every environment; leave it out (each \
                     environment's is `<app>-<environment>`) or ask for one environment at a time",
                ));
            }
        }
        for (field, env) in environments {
            if !is_label(&format!("{app}-{env}")) {
                return Err(InputError::new(
                    field,
                    "`<app>-<environment>` must fit a Kubernetes name (63 characters)",
                ));
            }
        }
        eso::check_refresh_interval(&format!("{prefix}/refresh_interval"), self.refresh_interval)?;
        Ok(Workload {
            namespace,
            service_account: self.service_account,
            store_kind: self.store_kind,
            refresh_interval: self.refresh_interval,
        })
    }
}

impl Workload<'_> {
    /// The service account of `environment`'s pods: the one given, else
    /// `<app>-<environment>`.
    pub fn service_account(&self, app: &str, environment: &str) -> String {
        self.service_account
            .map_or_else(|| format!("{app}-{environment}"), str::to_owned)
    }

    /// The ESO store `name` around `provider` (e.g. `{"gcpsm": …}`) and the
    /// ExternalSecret `name` that syncs `items` through it into the Secret `name`.
    pub fn eso_manifests(
        &self,
        name: &str,
        provider: Value,
        items: &[eso::Item<'_>],
    ) -> [Value; 2] {
        [
            eso::store(self.store_kind, name, &self.namespace, provider),
            eso::external_secret(
                name,
                &self.namespace,
                (self.store_kind, name),
                name,
                self.refresh_interval,
                items,
            ),
        ]
    }
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
        let request = |service_account: Option<&'static str>| WorkloadRequest {
            namespace: None,
            service_account,
            store_kind: StoreKind::SecretStore,
            refresh_interval: "1h",
        };
        let envs = [("/e/0".to_owned(), "staging"), ("/e/1".to_owned(), "prod")];
        let workload = request(None).check("/k", "app", &envs).unwrap();
        assert_eq!(workload.namespace, "app");
        assert_eq!(workload.service_account("app", "prod"), "app-prod");
        let shared = request(Some("sa")).check("/k", "app", &envs);
        assert_eq!(shared.unwrap_err().field, "/k/service_account");
        let long_name = "e".repeat(60);
        let long = [("/e/0".to_owned(), long_name.as_str())];
        assert_eq!(
            request(None).check("/k", "app", &long).unwrap_err().field,
            "/e/0"
        );
        for bad in ["..", "a/b", "a b", ""] {
            assert!(check_secret_key("/x", bad).is_err(), "{bad}");
        }
    }
}
