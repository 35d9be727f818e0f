//! What a caller asks for: an app, its environments and its secrets in one
//! account and region, and optionally how workloads reach them (Kubernetes,
//! GitHub Actions), a resource policy, rotation and the ESO store.

use provider_glue::eso::{self, StoreKind};
use schemars::JsonSchema;
use serde::Deserialize;

/// Least-privilege AWS Secrets Manager access for one app.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Request {
    /// The app: a lowercase DNS label (`payment`). Secrets are named
    /// `<environment>/<app>/<secret>` and roles `<app>-<environment>-secrets`.
    pub app: String,
    /// The environments (`staging`, `production`), each a lowercase DNS label;
    /// each gets its own policy and role, so one environment's role never
    /// reads another's secrets.
    pub environments: Vec<String>,
    /// The app's secrets by short name (`db-creds`): letters, digits, '.', '_', '-'.
    pub secrets: Vec<String>,
    /// The 12-digit AWS account id that holds the secrets.
    pub account_id: String,
    /// The region of the secrets (`eu-west-1`).
    pub region: String,
    /// The partition: `aws` (default), `aws-cn` or `aws-us-gov`.
    #[serde(default)]
    pub partition: Partition,
    /// Full ARNs of secrets that already exist
    /// (`arn:aws:secretsmanager:eu-west-1:111122223333:secret:production/payment/db-creds-AbCdEf`):
    /// the policies name them exactly. Any other secret is granted by its
    /// name and the six-character suffix wildcard (`-??????`).
    #[serde(default)]
    pub known_arns: Vec<String>,
    /// The customer managed KMS key (its UUID key id, in the same account and
    /// region) that encrypts the secrets. With it, roles may decrypt with that
    /// key only through Secrets Manager and only for these secrets; without
    /// it, the AWS managed key `aws/secretsmanager` needs no grant.
    #[serde(default)]
    pub kms_key_id: Option<String>,
    /// Pods in an EKS cluster that read the secrets (IRSA or EKS Pod Identity),
    /// and the External Secrets Operator store that syncs them.
    #[serde(default)]
    pub kubernetes: Option<Kubernetes>,
    /// A GitHub Actions repository and ref whose workflows read the secrets by OIDC.
    #[serde(default)]
    pub github: Option<Github>,
    /// A resource policy on each secret that denies reads by anyone but the
    /// app's roles (and, optionally, from outside a VPC endpoint).
    #[serde(default)]
    pub resource_policy: Option<ResourcePolicy>,
    /// A rotation schedule for every secret.
    #[serde(default)]
    pub rotation: Option<Rotation>,
}

/// An AWS partition.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Partition {
    #[default]
    Aws,
    AwsCn,
    AwsUsGov,
}

impl Partition {
    pub fn as_str(self) -> &'static str {
        match self {
            Partition::Aws => "aws",
            Partition::AwsCn => "aws-cn",
            Partition::AwsUsGov => "aws-us-gov",
        }
    }

    /// The DNS suffix of the partition's service endpoints.
    pub fn dns_suffix(self) -> &'static str {
        match self {
            Partition::AwsCn => "amazonaws.com.cn",
            Partition::Aws | Partition::AwsUsGov => "amazonaws.com",
        }
    }
}

/// How pods get the app's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum PodIdentity {
    /// IAM Roles for Service Accounts: the role trusts the cluster's OIDC
    /// provider for one service account; the account is annotated with the role.
    Irsa,
    /// EKS Pod Identity: the role trusts `pods.eks.amazonaws.com`, and an
    /// association binds it to one service account of one cluster.
    PodIdentity,
}

/// Pods that read the secrets, and the ESO store.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Kubernetes {
    /// IRSA or EKS Pod Identity.
    pub identity: PodIdentity,
    /// The EKS cluster's name (letters, digits, '-', '_'; at most 100).
    pub cluster: String,
    /// For IRSA: the cluster's OIDC issuer without `https://`
    /// (`oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE`).
    #[serde(default)]
    pub oidc_issuer: Option<String>,
    /// The namespace of the app's pods (and of the SecretStore); default: the app's name.
    #[serde(default)]
    pub namespace: Option<String>,
    /// The service account that gets the role; default: the app's name. With
    /// Pod Identity and ESO, ESO reads with its controller's identity, so
    /// name the controller's service account here.
    #[serde(default)]
    pub service_account: Option<String>,
    /// `SecretStore` (default, namespaced) or `ClusterSecretStore`.
    #[serde(default)]
    pub store_kind: StoreKind,
    /// How often ESO re-reads the secrets, a duration like `1h` (default) or `15m`.
    #[serde(default = "eso::default_refresh_interval")]
    pub refresh_interval: String,
}

/// A GitHub repository and the one ref whose workflows may assume the roles.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Github {
    /// `owner/name`.
    pub repository: String,
    /// The ref the token's `sub` must carry: `refs/heads/<branch>` or `refs/tags/<tag>`.
    #[serde(rename = "ref")]
    pub git_ref: String,
}

/// The resource policy attached to each secret.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ResourcePolicy {
    /// Other IAM roles that must keep reading (a rotation Lambda's role), by ARN
    /// in the same account and partition.
    #[serde(default)]
    pub also_allow_role_arns: Vec<String>,
    /// A VPC endpoint (`vpce-0123456789abcdef0`): reads from anywhere else are denied.
    #[serde(default)]
    pub vpc_endpoint_id: Option<String>,
}

/// A rotation schedule: a number of days, or a schedule expression.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Rotation {
    /// Rotate every N days (1–1000), AWS's `AutomaticallyAfterDays`.
    #[serde(default)]
    pub automatically_after_days: Option<u32>,
    /// Or a `ScheduleExpression`: `rate(N hours)` (N ≥ 4), `rate(N days)`, or
    /// `cron(0 H DOM M DOW *)` in UTC.
    #[serde(default)]
    pub schedule_expression: Option<String>,
    /// The rotation window, `<N>h` (1–24): how long a rotation may take.
    #[serde(default)]
    pub duration: Option<String>,
    /// The rotation Lambda's ARN, when not a managed rotation.
    #[serde(default)]
    pub lambda_arn: Option<String>,
}
