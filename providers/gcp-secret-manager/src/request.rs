//! What a caller asks for: an app, its environments (each in its own Google
//! Cloud project) and its secrets, and optionally who reads them (GKE pods
//! and the External Secrets Operator, GitHub Actions, GitLab CI, service
//! accounts), an IAM condition, rotation and replication.

use provider_glue::eso::{StoreKind, default_refresh_interval};
use provider_glue::github::RepositoryRef;
use provider_glue::gitlab::ProjectRef;
use schemars::JsonSchema;
use serde::Deserialize;

/// Least-privilege Google Cloud Secret Manager access for one app.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Request {
    /// The app: a lowercase DNS label (`payment`). Its secrets have the ids
    /// `<app>_<environment>_<secret>` ('_' cannot occur in the app or the
    /// environment, so no two apps' ids can meet).
    pub app: String,
    /// The environments, each with the project that holds its secrets; each
    /// environment's readers are granted its own secrets only.
    pub environments: Vec<Environment>,
    /// The app's secrets by short name (`db-creds`): letters, digits, '_', '-'.
    pub secrets: Vec<String>,
    /// Regions for user-managed replication (`europe-west1`); empty (the
    /// default): automatic replication.
    #[serde(default)]
    pub locations: Vec<String>,
    /// Pods in a GKE cluster that read the secrets through Workload Identity
    /// Federation for GKE, and the External Secrets Operator store.
    #[serde(default)]
    pub kubernetes: Option<Kubernetes>,
    /// A GitHub Actions repository and ref whose workflows read the secrets
    /// (the provider's attribute condition requires both).
    #[serde(default)]
    pub github: Option<RepositoryRef>,
    /// A GitLab.com project and ref whose CI jobs read the secrets.
    #[serde(default)]
    pub gitlab: Option<ProjectRef>,
    /// The workload identity pool the CI providers live in, in each
    /// environment's project; default `<app>-ci`.
    #[serde(default)]
    pub workload_identity_pool: Option<String>,
    /// Service accounts that also read the secrets (a Cloud Run service's):
    /// `<name>@<project id>.iam.gserviceaccount.com`.
    #[serde(default)]
    pub service_accounts: Vec<String>,
    /// A time window on every grant, as an IAM condition.
    #[serde(default)]
    pub condition: Option<Condition>,
    /// A rotation schedule for every secret.
    #[serde(default)]
    pub rotation: Option<Rotation>,
}

/// One environment and its project.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Environment {
    /// The environment's name, a lowercase DNS label (`production`).
    pub name: String,
    /// The project that holds this environment's secrets (`acme-payments-prod`).
    pub project_id: String,
    /// That project's number (`gcloud projects describe <id> --format='value(projectNumber)'`):
    /// workload identity principals name it.
    pub project_number: String,
}

/// Pods that read the secrets, and the ESO store.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Kubernetes {
    /// The GKE cluster's name.
    pub cluster: String,
    /// Its location: a region (`europe-west1`) or a zone (`europe-west1-b`).
    pub location: String,
    /// The cluster's project, whose workload identity pool
    /// (`<project id>.svc.id.goog`) names the pods; default: each
    /// environment's own project.
    #[serde(default)]
    pub project_id: Option<String>,
    /// The cluster project's number, with `project_id`.
    #[serde(default)]
    pub project_number: Option<String>,
    /// The namespace of the app's pods (and of the SecretStore); default: the app's name.
    #[serde(default)]
    pub namespace: Option<String>,
    /// The Kubernetes service account that is granted the secrets; default
    /// `<app>-<environment>`. ESO reads with it too (`workloadIdentity.serviceAccountRef`).
    #[serde(default)]
    pub service_account: Option<String>,
    /// `SecretStore` (default, namespaced) or `ClusterSecretStore`.
    #[serde(default)]
    pub store_kind: StoreKind,
    /// How often ESO re-reads the secrets, a duration like `1h` (default) or `15m`.
    #[serde(default = "default_refresh_interval")]
    pub refresh_interval: String,
}

/// A time window on the grants: an IAM condition on `request.time`.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Condition {
    /// Access ends at this instant, UTC (`2027-01-31T23:59:59Z`).
    #[serde(default)]
    pub expires_at: Option<String>,
    /// Access starts at this instant, UTC.
    #[serde(default)]
    pub not_before: Option<String>,
}

/// Secret Manager's rotation schedule: it publishes `SECRET_ROTATE` to a
/// Pub/Sub topic at `next_rotation_time` and then every `period`; a
/// subscriber of the topic rotates.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Rotation {
    /// Time between rotations: `<N>s`, `<N>h` or `<N>d`, from 1 hour to 100 years.
    pub period: String,
    /// The first rotation, UTC (`2027-01-01T00:00:00Z`); at least five
    /// minutes after the secret is created or updated.
    pub next_rotation_time: String,
    /// The Pub/Sub topic id, in each environment's project (`secret-rotation`).
    pub topic: String,
}
