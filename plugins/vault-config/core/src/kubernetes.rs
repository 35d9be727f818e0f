//! How pods of a `kubernetes` role get their secrets, one environment at a
//! time, three ways to choose from:
//!
//! - the **Agent Injector** (vault-k8s, openbao-k8s): annotations on the pod
//!   template, written as a strategic-merge patch for the Deployment. Each
//!   secret becomes `/vault/secrets/<name>`, a JSON document rendered by the
//!   agent's template (KV v2's values, or the database's `username` and
//!   `password`, whose lease the sidecar renews);
//! - the **Secrets Store CSI driver** with the Vault provider: a
//!   `SecretProviderClass` whose `objects` list each secret (KV v2 as the whole
//!   response in `<name>.json`; database credentials as `<name>-username` and
//!   `<name>-password`, which the provider reads once per mount);
//! - the **External Secrets Operator**: a `SecretStore` (provider `vault`,
//!   Kubernetes auth as the app's service account) and an `ExternalSecret`
//!   syncing each KV secret as `<name>.json` into one Secret. Dynamic database
//!   credentials are left to the other two: ESO would issue new ones at every
//!   refresh and renew none.
//!
//! Sources: vault-k8s v1.7.6 and openbao-k8s v1.4.0 `agent-inject/agent/`
//! (annotation keys, the `vault.hashicorp.com/` prefix both read, the
//! projected token volume); vault-csi-provider v1.7.4 `internal/config` and
//! `internal/provider` (parameters, object fields, a missing `secretKey`
//! writes the whole response); ESO v2.9.0 CRDs (the `vault` provider). Every
//! value is a checked name or path and reaches the YAML through the
//! serializer; the agent templates quote paths, whose characters
//! (`[A-Za-z0-9._-/]`) cannot end a Go template string.

use provider_glue::eso::{self, StoreKind};
use provider_glue::k8s::Workload;
use serde_json::{Map, Value, json};

use crate::output::{Engine, OutputFile, SecretRead};

/// The prefix of the Agent Injector's annotations.
const INJECTOR: &str = "vault.hashicorp.com/";
/// The projected volume that carries a token for the role's audience.
const TOKEN_VOLUME: &str = "vault-token";
/// How often ESO reads the KV secrets again.
const REFRESH_INTERVAL: &str = "1h";

/// The pods of one app, as the kubernetes role binds them (all checked).
pub(crate) struct Pods<'a> {
    pub namespace: &'a str,
    pub service_account: &'a str,
    /// The audience the role requires of service-account tokens.
    pub audience: Option<&'a str>,
    /// The Kubernetes auth method's mount.
    pub auth_mount: &'a str,
    /// The KV v2 mount (ESO's store path).
    pub kv_mount: &'a str,
    pub address: Option<&'a str>,
}

/// One environment: its role, the name of its Kubernetes objects, and what it reads.
pub(crate) struct Environment<'a> {
    pub role: &'a str,
    /// A DNS-1123 subdomain, unique among the app's environments.
    pub object_name: &'a str,
    pub reads: &'a [SecretRead],
    /// The app also calls the server (PKI, transit, SSH) and needs a token file.
    pub calls: bool,
}

/// The environment's delivery files: the injector patch always; the CSI
/// class and ESO manifests when the server's address is known and there is
/// something they deliver.
pub(crate) fn files(pods: &Pods<'_>, env: &Environment<'_>) -> Vec<OutputFile> {
    let mut files = vec![OutputFile {
        path: format!("{}.agent-injector.patch.yaml", env.role),
        content: provider_glue::yaml::documents(&[injector_patch(pods, env)]),
    }];
    let Some(address) = pods.address else {
        return files;
    };
    if !env.reads.is_empty() {
        files.push(OutputFile {
            path: format!("{}.secret-provider-class.yaml", env.role),
            content: provider_glue::yaml::documents(&[secret_provider_class(pods, env, address)]),
        });
    }
    let kv: Vec<&SecretRead> = env
        .reads
        .iter()
        .filter(|read| read.engine == Engine::KvV2)
        .collect();
    if !kv.is_empty() {
        files.push(OutputFile {
            path: format!("{}.external-secrets.yaml", env.role),
            content: provider_glue::yaml::documents(&external_secrets(pods, env, address, &kv)),
        });
    }
    files
}

/// The agent template of one secret: its values as one JSON document.
pub(crate) fn agent_template(read: &SecretRead) -> String {
    let values = match read.engine {
        Engine::KvV2 => ".Data.data",
        Engine::Database => ".Data",
    };
    format!(
        "{{{{ with secret \"{}\" }}}}{{{{ {values} | toJSON }}}}{{{{ end }}}}\n",
        read.path
    )
}

fn injector_patch(pods: &Pods<'_>, env: &Environment<'_>) -> Value {
    let mut annotations = Map::new();
    let mut put = |key: &str, value: &str| {
        annotations.insert(format!("{INJECTOR}{key}"), json!(value));
    };
    put("agent-inject", "true");
    put("role", env.role);
    put("auth-path", &format!("auth/{}", pods.auth_mount));
    if let Some(address) = pods.address {
        put("service", address);
    }
    for read in env.reads {
        put(&format!("agent-inject-secret-{}", read.name), &read.path);
        put(
            &format!("agent-inject-template-{}", read.name),
            &agent_template(read),
        );
    }
    if env.calls {
        put("agent-inject-token", "true");
    }
    let mut pod_spec = json!({ "serviceAccountName": pods.service_account });
    if let Some(audience) = pods.audience {
        // The pod's default token is for the API server; the role wants
        // `audience`, so the agent logs in with a projected token for it.
        put("agent-service-account-token-volume-name", TOKEN_VOLUME);
        pod_spec["volumes"] = json!([{
            "name": TOKEN_VOLUME,
            "projected": { "sources": [{ "serviceAccountToken": {
                "path": "token", "audience": audience, "expirationSeconds": 3600,
            } }] },
        }]);
    }
    json!({ "spec": { "template": {
        "metadata": { "annotations": annotations },
        "spec": pod_spec,
    } } })
}

fn secret_provider_class(pods: &Pods<'_>, env: &Environment<'_>, address: &str) -> Value {
    let mut objects = Vec::new();
    for read in env.reads {
        match read.engine {
            Engine::KvV2 => objects.push(json!({
                "objectName": format!("{}.json", read.name),
                "secretPath": read.path,
            })),
            Engine::Database => {
                for field in ["username", "password"] {
                    objects.push(json!({
                        "objectName": format!("{}-{field}", read.name),
                        "secretPath": read.path,
                        "secretKey": field,
                    }));
                }
            }
        }
    }
    let objects = serde_yaml_ng::to_string(&objects).expect("plain data serializes to YAML");
    let mut parameters = json!({
        "vaultAddress": address,
        "roleName": env.role,
        "vaultKubernetesMountPath": pods.auth_mount,
        "objects": objects,
    });
    if let Some(audience) = pods.audience {
        parameters["audience"] = json!(audience);
    }
    json!({
        "apiVersion": "secrets-store.csi.x-k8s.io/v1",
        "kind": "SecretProviderClass",
        "metadata": { "name": env.object_name, "namespace": pods.namespace },
        "spec": { "provider": "vault", "parameters": parameters },
    })
}

fn external_secrets(
    pods: &Pods<'_>,
    env: &Environment<'_>,
    address: &str,
    kv: &[&SecretRead],
) -> [Value; 2] {
    let mut account =
        eso::service_account_ref(StoreKind::SecretStore, pods.service_account, pods.namespace);
    if let Some(audience) = pods.audience {
        account["audiences"] = json!([audience]);
    }
    let provider = json!({ "vault": {
        "server": address,
        "path": pods.kv_mount,
        "version": "v2",
        "auth": { "kubernetes": {
            "mountPath": pods.auth_mount,
            "role": env.role,
            "serviceAccountRef": account,
        } },
    } });
    let keys: Vec<String> = kv
        .iter()
        .map(|read| format!("{}.json", read.name))
        .collect();
    let items: Vec<eso::Item<'_>> = kv
        .iter()
        .zip(&keys)
        .map(|(read, secret_key)| eso::Item {
            secret_key,
            remote_key: &read.key,
        })
        .collect();
    let workload = Workload {
        namespace: pods.namespace.to_owned(),
        service_account: Some(pods.service_account),
        store_kind: StoreKind::SecretStore,
        refresh_interval: REFRESH_INTERVAL,
    };
    workload.eso_manifests(env.object_name, provider, &items)
}

/// The name of an environment's Kubernetes objects: its role name made a
/// DNS-1123 subdomain (lowercase, `_` as `-`), or `None` when it cannot be one.
pub(crate) fn object_name(role: &str) -> Option<String> {
    let name = role.to_ascii_lowercase().replace('_', "-");
    provider_glue::k8s::check_subdomain("", &name)
        .is_ok()
        .then_some(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(name: &'static str, engine: Engine, path: &str) -> SecretRead {
        SecretRead {
            name,
            path: path.into(),
            mount: path.split('/').next().unwrap().into(),
            key: String::new(),
            engine,
        }
    }

    #[test]
    fn templates_render_the_values_as_json() {
        let kv = read("config", Engine::KvV2, "secret/data/prod/app/config");
        assert_eq!(
            agent_template(&kv),
            "{{ with secret \"secret/data/prod/app/config\" }}{{ .Data.data | toJSON }}{{ end }}\n"
        );
        let db = read(
            "db-readonly",
            Engine::Database,
            "database/creds/app-prod-readonly",
        );
        assert!(agent_template(&db).contains("{{ .Data | toJSON }}"));
    }

    #[test]
    fn object_names_are_kubernetes_names_or_none() {
        assert_eq!(object_name("Pay_App-prod").as_deref(), Some("pay-app-prod"));
        assert_eq!(object_name("a._b-prod"), None);
    }

    #[test]
    fn without_an_address_only_the_injector_patch_is_written() {
        let pods = Pods {
            namespace: "shop",
            service_account: "payment",
            audience: None,
            auth_mount: "kubernetes",
            kv_mount: "secret",
            address: None,
        };
        let reads = [read(
            "config",
            Engine::KvV2,
            "secret/data/prod/payment/config",
        )];
        let env = Environment {
            role: "payment-prod",
            object_name: "payment-prod",
            reads: &reads,
            calls: false,
        };
        let names: Vec<String> = files(&pods, &env).into_iter().map(|f| f.path).collect();
        assert_eq!(names, ["payment-prod.agent-injector.patch.yaml"]);
        let with_address = Pods {
            address: Some("https://vault:8200"),
            ..pods
        };
        assert_eq!(files(&with_address, &env).len(), 3);
    }
}
