//! The security-relevant kinds of access a parser or the counting pass can
//! recognise in one event (see `signals` for how they are counted).

use serde::{Deserialize, Serialize};

/// A security-relevant kind of Vault access.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Signal {
    /// A call made with a token carrying the `root` policy.
    RootTokenUse,
    /// `sys/generate-root/*`: someone is minting a root token.
    GenerateRoot,
    /// An audit device disabled (`delete` on `sys/audit/<path>`).
    AuditDisable,
    /// An audit device enabled or reconfigured.
    AuditChange,
    /// A policy written or deleted (`sys/policy/*`, `sys/policies/acl/*`).
    PolicyChange,
    /// An auth method enabled, disabled or tuned (`sys/auth/*`).
    AuthChange,
    /// A secrets engine mounted, unmounted or tuned (`sys/mounts/*`).
    MountChange,
    /// `sys/seal` or `sys/step-down`.
    Seal,
    /// A lease prefix revoked (`sys/leases/revoke-prefix/*`, `revoke-force`).
    LeaseMassRevocation,
    /// A token created with a TTL of at least [`crate::LONG_TTL_SECONDS`].
    LongTtlToken,
    /// An orphan token created.
    OrphanToken,
    /// A token created carrying the `root` policy.
    RootTokenCreated,
    /// A login refused for bad credentials.
    LoginFailure,
    /// A token logged in clear: the device runs with `log_raw`.
    RawMode,
    /// A token role or an auth method's role written or deleted
    /// (`auth/token/roles/*`, `auth/<mount>/role/*`): who may log in, with which
    /// policies and TTLs.
    RoleChange,
    /// A call made as the AWS account root user (`userIdentity.type` `Root`).
    CloudRootUse,
    /// CloudTrail logging stopped or a trail deleted (`StopLogging`, `DeleteTrail`).
    AuditTrailStopped,
    /// A trail reconfigured (`UpdateTrail`, `PutEventSelectors`): what is logged
    /// may have shrunk.
    AuditTrailChange,
    /// An IAM policy attached or written (AWS `Attach*Policy`, `Put*Policy`), or a
    /// GCP `SetIamPolicy` that grants no sensitive role.
    IamPolicyChange,
    /// A GCP `SetIamPolicy` adding a role that reaches secrets or mints credentials
    /// (Secret Manager roles, token creator, owner, editor).
    SensitiveRoleGrant,
    /// An Azure Key Vault's access policies or role assignments changed.
    KeyVaultAccessChange,
}
