//! The request with every name checked against Google Cloud's, Kubernetes',
//! GitHub's and GitLab's rules, and every derived name (secret ids, members,
//! providers) computed once. Nothing else reads the raw request.

use provider_glue::k8s::{self, Workload, WorkloadRequest};
use provider_glue::list::{check_list, check_most, check_unique};
use provider_glue::shell::{self, VariableName};
use provider_glue::{InputError, error::shown, gitlab};

use crate::condition::{self, IamCondition};
use crate::identity::{CiProvider, MOST_SUBJECT_BYTES, gke_member};
use crate::names;
use crate::request::Request;
use crate::rotation::{self, Schedule};

/// Most environments and secrets a request may name.
const MOST_ENVIRONMENTS: usize = 20;
const MOST_SECRETS: usize = 100;
/// Most extra service accounts and replica locations.
const MOST_SERVICE_ACCOUNTS: usize = 20;
const MOST_LOCATIONS: usize = 10;

/// A checked request.
pub struct Checked<'a> {
    pub app: &'a str,
    pub environments: Vec<Environment<'a>>,
    /// Replica regions (user-managed replication), or empty (automatic).
    pub locations: &'a [String],
    pub kubernetes: Option<Kubernetes<'a>>,
    /// The CI providers asked for (GitHub first).
    pub ci: Vec<CiProvider>,
    /// The ref the GitHub workflow runs on.
    pub github_ref: Option<&'a str>,
    /// The ref the GitLab pipeline runs on.
    pub gitlab_ref: Option<gitlab::Ref<'a>>,
    /// The pool id the CI providers live in.
    pub pool: String,
    pub service_accounts: &'a [String],
    pub condition: Option<IamCondition>,
    pub rotation: Option<Schedule<'a>>,
    /// The variable each secret is read into by CI jobs, in secret order.
    pub variables: Vec<VariableName>,
}

/// Checked Kubernetes settings.
pub struct Kubernetes<'a> {
    pub cluster: &'a str,
    pub location: &'a str,
    /// The cluster's project (id, number), when it is not each environment's.
    pub project: Option<(&'a str, &'a str)>,
    /// The namespace, the service accounts and the ESO store.
    pub workload: Workload<'a>,
}

/// One environment's derived names.
pub struct Environment<'a> {
    pub name: &'a str,
    pub project_id: &'a str,
    pub project_number: &'a str,
    pub secrets: Vec<Secret<'a>>,
    /// Whether an earlier environment has the same project (its pool and
    /// providers are created once, by the first).
    pub shares_project: bool,
}

/// One secret of one environment.
pub struct Secret<'a> {
    pub short: &'a str,
    /// `<app>_<environment>_<short>`.
    pub id: String,
}

impl Secret<'_> {
    /// `projects/<project>/secrets/<id>`.
    pub fn name(&self, project_id: &str) -> String {
        format!("projects/{project_id}/secrets/{}", self.id)
    }
}

impl Environment<'_> {
    /// The cluster's project: the one given, else this environment's.
    pub fn cluster_project<'b>(&'b self, kubernetes: &'b Kubernetes<'_>) -> (&'b str, &'b str) {
        kubernetes
            .project
            .unwrap_or((self.project_id, self.project_number))
    }
}

/// One principal granted an environment's secrets.
pub struct Grantee {
    pub member: String,
    /// Who that is, in a few words.
    pub stands_for: String,
    /// A short name for the grant (Terraform names): `gke`, `github`, `sa1`.
    pub key: String,
}

impl Checked<'_> {
    /// Everyone granted `env`'s secrets, in a stable order.
    pub fn grantees(&self, env: &Environment<'_>) -> Vec<Grantee> {
        let mut grantees = Vec::new();
        if let Some(kube) = &self.kubernetes {
            let namespace = &kube.workload.namespace;
            let account = kube.workload.service_account(self.app, env.name);
            grantees.push(Grantee {
                member: gke_member(env.cluster_project(kube), namespace, &account),
                stands_for: format!(
                    "Kubernetes service account {namespace}/{account} of cluster {} (pods and ESO)",
                    kube.cluster
                ),
                key: "gke".to_owned(),
            });
        }
        for provider in &self.ci {
            let (attribute, value) = &provider.principal_attribute;
            grantees.push(Grantee {
                member: provider.member(env.project_number, &self.pool),
                stands_for: format!("{} jobs of {attribute} {value}", provider.id),
                key: provider.id.to_owned(),
            });
        }
        for (index, account) in self.service_accounts.iter().enumerate() {
            grantees.push(Grantee {
                member: format!("serviceAccount:{account}"),
                stands_for: format!("service account {account}"),
                key: format!("sa{}", index + 1),
            });
        }
        grantees
    }
}

/// Checks `request`; the first problem found is the error, naming its field.
pub fn check(request: &Request) -> Result<Checked<'_>, InputError> {
    k8s::check_label("/app", &request.app)?;
    if request.environments.is_empty() {
        return Err(InputError::new("/environments", "name at least one"));
    }
    check_most("/environments", &request.environments, MOST_ENVIRONMENTS)?;
    check_list("/secrets", &request.secrets, MOST_SECRETS)?;
    for (index, secret) in request.secrets.iter().enumerate() {
        names::check_secret(&format!("/secrets/{index}"), secret)?;
    }
    let mut environments: Vec<Environment<'_>> = Vec::new();
    for (index, env) in request.environments.iter().enumerate() {
        let field = format!("/environments/{index}");
        k8s::check_label(&format!("{field}/name"), &env.name)?;
        names::check_project_id(&format!("{field}/project_id"), &env.project_id)?;
        names::check_project_number(&format!("{field}/project_number"), &env.project_number)?;
        if let Some(other) = environments.iter().find(|e| e.name == env.name) {
            return Err(InputError::new(
                format!("{field}/name"),
                format!("`{}` is named twice", other.name),
            ));
        }
        // One project has one number: a different one means a typo.
        if let Some(other) = environments
            .iter()
            .find(|e| (e.project_id == env.project_id) != (e.project_number == env.project_number))
        {
            return Err(InputError::new(
                format!("{field}/project_number"),
                format!(
                    "environment `{}` gives project `{}` the number {}; one project has one number",
                    other.name, other.project_id, other.project_number
                ),
            ));
        }
        let shares_project = environments.iter().any(|e| e.project_id == env.project_id);
        let mut secrets = Vec::new();
        for short in &request.secrets {
            let id = format!("{}_{}_{short}", request.app, env.name);
            if !names::is_secret_id(&id) {
                return Err(InputError::new(
                    format!("{field}/name"),
                    format!(
                        "the secret id `{id}` would be longer than Secret Manager's 255 \
                         characters; shorten the app, the environment or the secret"
                    ),
                ));
            }
            secrets.push(Secret { short, id });
        }
        environments.push(Environment {
            name: &env.name,
            project_id: &env.project_id,
            project_number: &env.project_number,
            secrets,
            shares_project,
        });
    }
    check_most("/locations", &request.locations, MOST_LOCATIONS)?;
    for (index, location) in request.locations.iter().enumerate() {
        names::check_region(&format!("/locations/{index}"), location)?;
    }
    check_unique("/locations", &request.locations)?;
    let kubernetes = match &request.kubernetes {
        Some(_) => Some(check_kubernetes(request)?),
        None => None,
    };
    let pool = request
        .workload_identity_pool
        .clone()
        .unwrap_or_else(|| format!("{}-ci", request.app));
    let mut ci = Vec::new();
    let mut github_ref = None;
    if let Some(gh) = &request.github {
        gh.check("/github")?;
        ci.push(CiProvider::github(&gh.repository, &gh.git_ref));
        github_ref = Some(gh.git_ref.as_str());
    }
    let mut gitlab_ref = None;
    if let Some(gl) = &request.gitlab {
        let git_ref = gl.check("/gitlab")?;
        ci.push(CiProvider::gitlab(&gl.project, git_ref));
        gitlab_ref = Some(git_ref);
    }
    for provider in &ci {
        if provider.subject.len() > MOST_SUBJECT_BYTES {
            return Err(InputError::new(
                format!("/{}", provider.id),
                format!(
                    "the token subject `{}` is longer than the {MOST_SUBJECT_BYTES} bytes \
                     Google accepts as google.subject; use a shorter path or ref",
                    shown(&provider.subject)
                ),
            ));
        }
    }
    if !ci.is_empty() {
        let field = if request.workload_identity_pool.is_some() {
            "/workload_identity_pool"
        } else {
            "/app"
        };
        names::check_pool_id(field, &pool).map_err(|error| match field {
            "/app" => InputError::new(
                field,
                format!(
                    "the default pool id `{}-ci` is not a workload identity pool id (4–32 \
                     characters): give `workload_identity_pool`",
                    shown(&request.app)
                ),
            ),
            _ => error,
        })?;
    }
    let variables = if ci.is_empty() {
        Vec::new()
    } else {
        shell::secret_variables("/secrets", &request.secrets)?
    };
    check_most(
        "/service_accounts",
        &request.service_accounts,
        MOST_SERVICE_ACCOUNTS,
    )?;
    for (index, account) in request.service_accounts.iter().enumerate() {
        names::check_service_account(&format!("/service_accounts/{index}"), account)?;
    }
    check_unique("/service_accounts", &request.service_accounts)?;
    let condition = match &request.condition {
        Some(window) => Some(condition::build(window)?),
        None => None,
    };
    let rotation = match &request.rotation {
        Some(rotation) => Some(rotation::check(rotation)?),
        None => None,
    };
    Ok(Checked {
        app: &request.app,
        environments,
        locations: &request.locations,
        kubernetes,
        ci,
        github_ref,
        gitlab_ref,
        pool,
        service_accounts: &request.service_accounts,
        condition,
        rotation,
        variables,
    })
}

fn check_kubernetes(request: &Request) -> Result<Kubernetes<'_>, InputError> {
    let kube = request.kubernetes.as_ref().expect("called with kubernetes");
    names::check_cluster("/kubernetes/cluster", &kube.cluster)?;
    names::check_location("/kubernetes/location", &kube.location)?;
    let project = match (&kube.project_id, &kube.project_number) {
        (Some(id), Some(number)) => {
            names::check_project_id("/kubernetes/project_id", id)?;
            names::check_project_number("/kubernetes/project_number", number)?;
            Some((id.as_str(), number.as_str()))
        }
        (None, None) => None,
        (Some(_), None) => {
            return Err(InputError::new(
                "/kubernetes/project_number",
                "give the cluster project's number with its id",
            ));
        }
        (None, Some(_)) => {
            return Err(InputError::new(
                "/kubernetes/project_id",
                "give the cluster project's id with its number",
            ));
        }
    };
    let environments: Vec<(String, &str)> = request
        .environments
        .iter()
        .enumerate()
        .map(|(index, env)| (format!("/environments/{index}/name"), env.name.as_str()))
        .collect();
    let workload = WorkloadRequest {
        namespace: kube.namespace.as_deref(),
        service_account: kube.service_account.as_deref(),
        store_kind: kube.store_kind,
        refresh_interval: &kube.refresh_interval,
    }
    .check("/kubernetes", &request.app, &environments)?;
    Ok(Kubernetes {
        cluster: &kube.cluster,
        location: &kube.location,
        project,
        workload,
    })
}
