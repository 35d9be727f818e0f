//! What each secret type grants: the engine path and the capabilities it needs.
//!
//! Engine role names carry the environment (`{app}-{env}-readonly`) so that a
//! token for one environment can never reach another's credentials.

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

/// Adds the grants `secret` needs in `scope` to `policy`.
pub(crate) fn grant(policy: &mut Policy, secret: SecretType, scope: &Scope<'_>) {
    let Scope {
        app, env, mounts, ..
    } = *scope;
    let role = |suffix: &str| format!("{app}-{env}-{suffix}");
    match secret {
        SecretType::DbCreds => policy.grant(
            mount_path(&mounts.database, &["creds", &role("readonly")]),
            &[Read],
            "db-creds: read-only database credentials (a GET, hence read)",
        ),
        SecretType::DbAdmin => policy.grant(
            mount_path(&mounts.database, &["creds", &role("readwrite")]),
            &[Read],
            "db-admin: read-write database credentials (a GET, hence read)",
        ),
        SecretType::ApiKey => kv(policy, scope, "api-keys", "api-key"),
        SecretType::Config => kv(policy, scope, "config", "config"),
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
fn kv(policy: &mut Policy, scope: &Scope<'_>, key: &str, label: &str) {
    let Scope {
        app, env, mounts, ..
    } = *scope;
    policy.grant(
        mount_path(&mounts.kv, &["data", env, app, key]),
        &[Read],
        &format!("{label}: read the secret (KV v2 data/)"),
    );
    if scope.kv_list {
        policy.grant(
            mount_path(&mounts.kv, &["metadata", env, app, key]),
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

fn mount_path(mount: &str, rest: &[&str]) -> PolicyPath {
    let mut segments: Vec<&str> = mount.split('/').collect();
    segments.extend_from_slice(rest);
    PolicyPath::literal(&segments)
}
