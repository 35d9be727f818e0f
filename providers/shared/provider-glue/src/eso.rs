//! External Secrets Operator manifests (API `external-secrets.io/v1`, ESO
//! 0.17 and later): a `SecretStore` or `ClusterSecretStore` around a
//! provider's block, and an `ExternalSecret` that syncs named remote secrets
//! into one Kubernetes Secret. Names are checked by the caller
//! ([`crate::k8s`]); the YAML comes from the serializer.

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};

/// The API version of the manifests.
pub const API_VERSION: &str = "external-secrets.io/v1";

/// Which kind of store: namespaced, or one for the whole cluster.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, JsonSchema)]
pub enum StoreKind {
    /// Namespaced: only ExternalSecrets of its namespace use it (the default).
    #[default]
    SecretStore,
    /// Cluster-wide: any namespace may use it; give it to platform teams only.
    ClusterSecretStore,
}

impl StoreKind {
    pub fn as_str(self) -> &'static str {
        match self {
            StoreKind::SecretStore => "SecretStore",
            StoreKind::ClusterSecretStore => "ClusterSecretStore",
        }
    }
}

/// A store named `name` with the provider block `provider` (e.g. `{"aws": …}`);
/// a `SecretStore` lives in `namespace`.
pub fn store(kind: StoreKind, name: &str, namespace: &str, provider: Value) -> Value {
    let metadata = match kind {
        StoreKind::SecretStore => json!({ "name": name, "namespace": namespace }),
        StoreKind::ClusterSecretStore => json!({ "name": name }),
    };
    json!({
        "apiVersion": API_VERSION,
        "kind": kind.as_str(),
        "metadata": metadata,
        "spec": { "provider": provider },
    })
}

/// A provider's `serviceAccountRef`: the account `name`, with its
/// `namespace` when the store is a `ClusterSecretStore` (a `SecretStore`
/// refers to its own namespace).
pub fn service_account_ref(kind: StoreKind, name: &str, namespace: &str) -> Value {
    match kind {
        StoreKind::SecretStore => json!({ "name": name }),
        StoreKind::ClusterSecretStore => json!({ "name": name, "namespace": namespace }),
    }
}

/// One entry of an ExternalSecret: the Secret's key and the remote secret's name.
pub struct Item<'a> {
    pub secret_key: &'a str,
    pub remote_key: &'a str,
}

/// An ExternalSecret `name` in `namespace` that reads `items` through the
/// store and writes them into the Secret `target`, which it owns.
pub fn external_secret(
    name: &str,
    namespace: &str,
    store: (StoreKind, &str),
    target: &str,
    refresh_interval: &str,
    items: &[Item<'_>],
) -> Value {
    let data: Vec<Value> = items
        .iter()
        .map(
            |item| json!({ "secretKey": item.secret_key, "remoteRef": { "key": item.remote_key } }),
        )
        .collect();
    json!({
        "apiVersion": API_VERSION,
        "kind": "ExternalSecret",
        "metadata": { "name": name, "namespace": namespace },
        "spec": {
            "refreshInterval": refresh_interval,
            "secretStoreRef": { "kind": store.0.as_str(), "name": store.1 },
            "target": { "name": target, "creationPolicy": "Owner" },
            "data": data,
        },
    })
}

/// The refresh interval a provider's request defaults to (serde's `default`).
pub fn default_refresh_interval() -> String {
    "1h".to_owned()
}

/// A refresh interval as ESO reads it (a Go duration): `1h`, `30m`, `1h30m`, `0` (never).
pub fn check_refresh_interval(field: &str, text: &str) -> Result<(), crate::InputError> {
    let mut rest = text;
    let mut parts = 0;
    while !rest.is_empty() {
        let digits = rest.chars().take_while(char::is_ascii_digit).count();
        let unit = rest[digits..]
            .chars()
            .take_while(char::is_ascii_alphabetic)
            .count();
        if digits == 0 || digits > 6 || !matches!(&rest[digits..digits + unit], "h" | "m" | "s") {
            break;
        }
        rest = &rest[digits + unit..];
        parts += 1;
    }
    if (rest.is_empty() && parts > 0) || text == "0" {
        return Ok(());
    }
    Err(crate::InputError::new(
        field,
        format!(
            "`{}` is not a refresh interval like `1h`, `15m` or `1h30m`",
            crate::error::shown(text)
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refresh_intervals_are_go_durations() {
        for good in ["1h", "15m", "1h30m", "90s", "0"] {
            assert!(check_refresh_interval("/r", good).is_ok(), "{good}");
        }
        for bad in ["", "1", "h", "1d", "1h x", "-1h", "1h\n"] {
            assert!(check_refresh_interval("/r", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_cluster_store_has_no_namespace() {
        let store = store(StoreKind::ClusterSecretStore, "s", "ns", json!({}));
        assert_eq!(store["metadata"], json!({ "name": "s" }));
    }
}
