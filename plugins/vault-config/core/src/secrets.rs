//! What each secret type grants: the engine path and the capabilities it needs.
//!
//! Engine role names carry the environment (`{app}-{env}-readonly`) so that a
//! token for one environment can never reach another's credentials.

use crate::output::{Engine, SecretRead};
use crate::policy::{Capability, Policy, PolicyPath};
use crate::request::{Mounts, SecretType};

use Capability::{Create, List, Read, Update};

/// The validated names a secret path is built from.
pub(crate) struct Scope<'a> {
    pub app: &'a str,
    pub env: &'a str,
    pub mounts: &'a Mounts,
    pub kv_list: bool,
}

/// What `secret` lets the app read with a GET in `scope`; `None` for the
/// engines an app calls rather than reads (PKI issue, transit, SSH sign).
pub(crate) fn readable(secret: SecretType, scope: &Scope<'_>) -> Option<SecretRead> {
    let Scope {
        app, env, mounts, ..
    } = *scope;
    let database = |name, suffix: &str| {
        let key = format!("creds/{app}-{env}-{suffix}");
        SecretRead {
            name,
            path: format!("{}/{key}", mounts.database),
            mount: mounts.database.clone(),
            key,
            engine: Engine::Database,
        }
    };
    let kv = |name| {
        let key = format!("{env}/{app}/{name}");
        SecretRead {
            name,
            path: format!("{}/data/{key}", mounts.kv),
            mount: mounts.kv.clone(),
            key,
            engine: Engine::KvV2,
        }
    };
    match secret {
        SecretType::DbCreds => Some(database("db-readonly", "readonly")),
        SecretType::DbAdmin => Some(database("db-readwrite", "readwrite")),
        SecretType::ApiKey => Some(kv("api-keys")),
        SecretType::Config => Some(kv("config")),
        SecretType::TlsCert | SecretType::Encryption | SecretType::SshCert => None,
    }
}

/// Adds the grants `secret` needs in `scope` to `policy`.
pub(crate) fn grant(policy: &mut Policy, secret: SecretType, scope: &Scope<'_>) {
    let Scope {
        app, env, mounts, ..
    } = *scope;
    let role = |suffix: &str| format!("{app}-{env}-{suffix}");
    // The secrets read with a GET are granted at the path workloads read.
    let read = readable(secret, scope);
    let read_path = || policy_path(read.as_ref().expect("a secret read with a GET"));
    match secret {
        SecretType::DbCreds => policy.grant(
            read_path(),
            &[Read],
            "db-creds: read-only database credentials (a GET, hence read)",
        ),
        SecretType::DbAdmin => policy.grant(
            read_path(),
            &[Read],
            "db-admin: read-write database credentials (a GET, hence read)",
        ),
        SecretType::ApiKey | SecretType::Config => kv(
            policy,
            scope,
            read.as_ref().expect("a KV secret"),
            secret.as_str(),
        ),
        SecretType::TlsCert => policy.grant(
            mount_path(&mounts.pki, &["issue", &role("cert")]),
            &[Create, Update],
            "tls-cert: issue certificates from the app's PKI role",
        ),
        SecretType::Encryption => {
            let key = role("key");
            policy.grant(
                mount_path(&mounts.transit, &["encrypt", &key]),
                &[Update],
                "encryption: encrypt with the app's transit key",
            );
            policy.grant(
                mount_path(&mounts.transit, &["decrypt", &key]),
                &[Update],
                "encryption: decrypt with the app's transit key",
            );
        }
        SecretType::SshCert => policy.grant(
            mount_path(&mounts.ssh, &["sign", &role("role")]),
            &[Create, Update],
            "ssh-cert: sign SSH keys with the app's SSH role",
        ),
    }
}

/// KV v2: the secret lives under `data/`; versions and listing under `metadata/`.
fn kv(policy: &mut Policy, scope: &Scope<'_>, read: &SecretRead, label: &str) {
    let Scope {
        app, env, mounts, ..
    } = *scope;
    policy.grant(
        policy_path(read),
        &[Read],
        &format!("{label}: read the secret (KV v2 data/)"),
    );
    if scope.kv_list {
        policy.grant(
            mount_path(&mounts.kv, &["metadata", env, app, read.name]),
            &[Read],
            &format!("{label}: read its versions (KV v2 metadata/)"),
        );
        policy.grant(
            mount_path(&mounts.kv, &["metadata", env, app]).as_prefix(),
            &[List],
            "list the app's keys (list works on a prefix ending in /)",
        );
    }
}

fn policy_path(read: &SecretRead) -> PolicyPath {
    PolicyPath::literal(&read.path.split('/').collect::<Vec<_>>())
}

fn mount_path(mount: &str, rest: &[&str]) -> PolicyPath {
    let mut segments: Vec<&str> = mount.split('/').collect();
    segments.extend_from_slice(rest);
    PolicyPath::literal(&segments)
}
