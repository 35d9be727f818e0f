//! The request with every name checked against AWS's, Kubernetes' and
//! GitHub's rules, and every derived name (roles, policies, secrets, ARNs)
//! computed once. Nothing else reads the raw request.

use std::collections::BTreeMap;

use provider_glue::checks::check_list;
use provider_glue::eso::{self, StoreKind};
use provider_glue::{InputError, github, k8s};
use serde_json::Value;

use crate::names;
use crate::policy::Scope;
use crate::request::{PodIdentity, Request};
use crate::rotation;

/// Most environments and secrets a request may name; a policy for more
/// secrets would pass IAM's size limit anyway.
const MOST_ENVIRONMENTS: usize = 20;
const MOST_SECRETS: usize = 100;

/// A checked request.
pub struct Checked<'a> {
    pub app: &'a str,
    pub scope: Scope<'a>,
    pub kms_key_id: Option<&'a str>,
    pub kubernetes: Option<Kubernetes<'a>>,
    /// The `sub` GitHub's tokens must carry, with the ref it names.
    pub github: Option<(String, &'a str)>,
    pub also_allow_role_arns: Option<&'a [String]>,
    pub vpc_endpoint: Option<&'a str>,
    pub rotation_rules: Option<Value>,
    pub rotation_lambda: Option<&'a str>,
    pub environments: Vec<Environment<'a>>,
}

/// Checked Kubernetes settings.
pub struct Kubernetes<'a> {
    pub identity: PodIdentity,
    pub cluster: &'a str,
    pub oidc_issuer: Option<&'a str>,
    pub namespace: String,
    /// Given by the caller; else each environment's is `<app>-<environment>`.
    pub service_account: Option<&'a str>,
    pub store_kind: StoreKind,
    pub refresh_interval: &'a str,
}

/// One environment's derived names.
pub struct Environment<'a> {
    pub name: &'a str,
    pub role_name: String,
    pub policy_name: String,
    pub secrets: Vec<Secret<'a>>,
}

/// One secret of one environment.
pub struct Secret<'a> {
    pub short: &'a str,
    pub name: String,
    /// Its exact ARN when known, else its suffix pattern.
    pub arn: String,
    pub exact: bool,
}

impl Secret<'_> {
    /// How commands name the secret: its exact ARN when known, else its name.
    pub fn id(&self) -> &str {
        if self.exact { &self.arn } else { &self.name }
    }
}

impl Environment<'_> {
    /// The service account of this environment's pods.
    pub fn service_account(&self, app: &str, kubernetes: &Kubernetes<'_>) -> String {
        kubernetes
            .service_account
            .map_or_else(|| format!("{app}-{}", self.name), str::to_owned)
    }
}

/// Checks `request`; the first problem found is the error, naming its field.
pub fn check(request: &Request) -> Result<Checked<'_>, InputError> {
    k8s::check_label("/app", &request.app)?;
    names::check_account("/account_id", &request.account_id)?;
    names::check_region("/region", &request.region, request.partition)?;
    let scope = Scope {
        partition: request.partition,
        region: &request.region,
        account: &request.account_id,
    };
    check_list("/environments", &request.environments, MOST_ENVIRONMENTS)?;
    check_list("/secrets", &request.secrets, MOST_SECRETS)?;
    for (index, secret) in request.secrets.iter().enumerate() {
        names::check_secret(&format!("/secrets/{index}"), secret)?;
    }
    let mut known = known_arns(request, &scope)?;
    let mut environments = Vec::new();
    for (index, env) in request.environments.iter().enumerate() {
        let field = format!("/environments/{index}");
        k8s::check_label(&field, env)?;
        let role_name = format!("{}-{env}-secrets", request.app);
        names::check_role_name(&field, &role_name).map_err(|_| {
            InputError::new(
                &field,
                format!(
                    "the role name `{role_name}` would be longer than IAM's 64 characters; \
                     shorten the app or the environment"
                ),
            )
        })?;
        let secrets = request
            .secrets
            .iter()
            .map(|short| {
                let name = format!("{env}/{}/{short}", request.app);
                let exact = known.remove(&name);
                Secret {
                    short,
                    exact: exact.is_some(),
                    arn: exact.unwrap_or_else(|| scope.secret_pattern(&name)),
                    name,
                }
            })
            .collect();
        environments.push(Environment {
            name: env,
            policy_name: format!("{role_name}-read"),
            role_name,
            secrets,
        });
    }
    if let Some(arn) = known.into_values().next() {
        let index = request
            .known_arns
            .iter()
            .position(|a| *a == arn)
            .unwrap_or(0);
        return Err(InputError::new(
            format!("/known_arns/{index}"),
            format!(
                "`{arn}` is not the ARN of one of the app's secrets (`<environment>/<app>/<secret>`)"
            ),
        ));
    }
    let kms_key_id = request.kms_key_id.as_deref();
    if let Some(key) = kms_key_id {
        names::check_kms_key_id("/kms_key_id", key)?;
    }
    let kubernetes = match &request.kubernetes {
        Some(_) => Some(check_kubernetes(request)?),
        None => None,
    };
    let github = match &request.github {
        Some(gh) => {
            github::check_repository("/github/repository", &gh.repository)?;
            github::check_git_ref("/github/ref", &gh.git_ref)?;
            Some((
                github::subject(&gh.repository, &gh.git_ref),
                gh.git_ref.as_str(),
            ))
        }
        None => None,
    };
    let (also_allow_role_arns, vpc_endpoint) = match &request.resource_policy {
        Some(policy) => {
            for (index, arn) in policy.also_allow_role_arns.iter().enumerate() {
                let field = format!("/resource_policy/also_allow_role_arns/{index}");
                names::check_role_arn(&field, arn, scope.partition, scope.account)?;
            }
            if let Some(endpoint) = &policy.vpc_endpoint_id {
                names::check_vpc_endpoint("/resource_policy/vpc_endpoint_id", endpoint)?;
            }
            if kubernetes.is_none() && github.is_none() && policy.also_allow_role_arns.is_empty() {
                return Err(InputError::new(
                    "/resource_policy",
                    "the resource policy denies reads by every role but the app's: give \
                     `kubernetes` or `github` (so the app has roles) or `also_allow_role_arns`",
                ));
            }
            (
                Some(policy.also_allow_role_arns.as_slice()),
                policy.vpc_endpoint_id.as_deref(),
            )
        }
        None => (None, None),
    };
    let (rotation_rules, rotation_lambda) = match &request.rotation {
        Some(rotation) => {
            if let Some(lambda) = &rotation.lambda_arn {
                names::check_lambda_arn(
                    "/rotation/lambda_arn",
                    lambda,
                    scope.partition,
                    scope.region,
                    scope.account,
                )?;
            }
            (
                Some(rotation::rules(rotation)?),
                rotation.lambda_arn.as_deref(),
            )
        }
        None => (None, None),
    };
    Ok(Checked {
        app: &request.app,
        scope,
        kms_key_id,
        kubernetes,
        github,
        also_allow_role_arns,
        vpc_endpoint,
        rotation_rules,
        rotation_lambda,
        environments,
    })
}

/// The known ARNs by the secret name they carry.
fn known_arns(
    request: &Request,
    scope: &Scope<'_>,
) -> Result<BTreeMap<String, String>, InputError> {
    let prefix = scope.arn("secretsmanager", scope.region, "secret:");
    let mut known = BTreeMap::new();
    for (index, arn) in request.known_arns.iter().enumerate() {
        let field = format!("/known_arns/{index}");
        let name = arn
            .strip_prefix(&prefix)
            .and_then(|rest| rest.rsplit_once('-'))
            .filter(|(_, suffix)| names::is_suffix(suffix))
            .map(|(name, _)| name);
        let Some(name) = name else {
            return Err(InputError::new(
                field,
                format!(
                    "`{}` is not a secret ARN of this account and region, `{prefix}<name>-<6 characters>`",
                    provider_glue::error::shown(arn)
                ),
            ));
        };
        if known.insert(name.to_owned(), arn.clone()).is_some() {
            return Err(InputError::new(
                field,
                format!("a second ARN for the secret `{name}`"),
            ));
        }
    }
    Ok(known)
}

fn check_kubernetes(request: &Request) -> Result<Kubernetes<'_>, InputError> {
    let kube = request.kubernetes.as_ref().expect("called with kubernetes");
    names::check_cluster("/kubernetes/cluster", &kube.cluster)?;
    match (kube.identity, kube.oidc_issuer.as_deref()) {
        (PodIdentity::Irsa, Some(issuer)) => names::check_oidc_issuer(
            "/kubernetes/oidc_issuer",
            issuer,
            &request.region,
            request.partition,
        )?,
        (PodIdentity::Irsa, None) => {
            return Err(InputError::new(
                "/kubernetes/oidc_issuer",
                "IRSA needs the cluster's OIDC issuer (`aws eks describe-cluster --query \
                 cluster.identity.oidc.issuer`, without `https://`)",
            ));
        }
        (PodIdentity::PodIdentity, Some(_)) => {
            return Err(InputError::new(
                "/kubernetes/oidc_issuer",
                "EKS Pod Identity needs no OIDC issuer; leave it out or choose `irsa`",
            ));
        }
        (PodIdentity::PodIdentity, None) => {}
    }
    let namespace = kube
        .namespace
        .clone()
        .unwrap_or_else(|| request.app.clone());
    k8s::check_label("/kubernetes/namespace", &namespace)?;
    if let Some(account) = &kube.service_account {
        k8s::check_subdomain("/kubernetes/service_account", account)?;
        if request.environments.len() > 1 {
            return Err(InputError::new(
                "/kubernetes/service_account",
                "one service account cannot take a role per environment; leave it out (each \
                 environment's is `<app>-<environment>`) or ask for one environment at a time",
            ));
        }
    }
    for (index, env) in request.environments.iter().enumerate() {
        // The default service account and the ESO objects are `<app>-<environment>`.
        k8s::check_label(
            &format!("/environments/{index}"),
            &format!("{}-{env}", request.app),
        )
        .map_err(|_| {
            InputError::new(
                format!("/environments/{index}"),
                "`<app>-<environment>` must fit a Kubernetes name (63 characters)",
            )
        })?;
    }
    eso::check_refresh_interval("/kubernetes/refresh_interval", &kube.refresh_interval)?;
    Ok(Kubernetes {
        identity: kube.identity,
        cluster: &kube.cluster,
        oidc_issuer: kube.oidc_issuer.as_deref(),
        namespace,
        service_account: kube.service_account.as_deref(),
        store_kind: kube.store_kind,
        refresh_interval: &kube.refresh_interval,
    })
}
