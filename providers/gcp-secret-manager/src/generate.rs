//! From a checked request to the configuration: per environment the
//! binding, the providers, the `gcloud` commands and the Kubernetes
//! manifests; then the GitHub workflow, the GitLab pipeline and the Terraform.

use std::collections::BTreeMap;

use provider_glue::eso::{self, Item};
use provider_glue::shell::{self, CommandLine, VariableName, Word};
use provider_glue::{InputError, github, gitlab, yaml};
use serde_json::{Value, json};

use crate::checked::{Checked, Environment, Kubernetes, check};
use crate::config::{
    Binding, Config, EnvironmentConfig, Member, Provider, ROLE, SecretAccess, condition_file,
};
use crate::identity::CiProvider;
use crate::request::Request;
use crate::rotation::service_agent;
use crate::terraform;

/// The configuration for `request`, or the first problem with it.
pub fn generate(request: &Request) -> Result<Config, InputError> {
    let checked = check(request)?;
    let environments: Vec<EnvironmentConfig> = checked
        .environments
        .iter()
        .map(|env| environment(&checked, env))
        .collect();
    let github_workflow = checked.github_ref.map(|git_ref| {
        let jobs = checked
            .environments
            .iter()
            .map(|env| (format!("read-{}", env.name), github_steps(&checked, env)))
            .collect();
        let name = format!("{} secrets", checked.app);
        yaml::documents(&[github::oidc_workflow(&name, git_ref, jobs)])
    });
    let gitlab_ci = checked.gitlab_ref.map(|git_ref| {
        let jobs = checked
            .environments
            .iter()
            .map(|env| gitlab_job(&checked, env))
            .collect();
        yaml::documents(&[gitlab::pipeline(git_ref, jobs)])
    });
    let terraform = terraform::render(&checked);
    Ok(Config {
        app: checked.app.to_owned(),
        environments,
        github_workflow,
        gitlab_ci,
        terraform,
        warnings: warnings(&checked),
    })
}

fn environment(checked: &Checked<'_>, env: &Environment<'_>) -> EnvironmentConfig {
    let members = checked
        .grantees(env)
        .into_iter()
        .map(|grantee| Member {
            member: grantee.member,
            stands_for: grantee.stands_for,
        })
        .collect();
    let providers = checked
        .ci
        .iter()
        .map(|provider| Provider {
            name: provider.name(env.project_number, &checked.pool),
            issuer_uri: provider.issuer.to_owned(),
            attribute_mapping: provider
                .attribute_mapping
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect::<BTreeMap<_, _>>(),
            attribute_condition: provider.attribute_condition.clone(),
            allowed_audience: provider.audience(env.project_number, &checked.pool),
            subject: provider.subject.clone(),
        })
        .collect();
    let rotation = checked.rotation.as_ref().map(|schedule| {
        json!({
            "topics": [{ "name": schedule.topic_name(env.project_id) }],
            "rotation": {
                "rotationPeriod": schedule.period,
                "nextRotationTime": schedule.next_rotation_time,
            },
        })
    });
    EnvironmentConfig {
        environment: env.name.to_owned(),
        project_id: env.project_id.to_owned(),
        project_number: env.project_number.to_owned(),
        secrets: env
            .secrets
            .iter()
            .map(|s| SecretAccess {
                secret_id: s.id.clone(),
                name: s.name(env.project_id),
            })
            .collect(),
        binding: Binding {
            role: ROLE.to_owned(),
            members,
            condition: checked.condition.clone(),
        },
        workload_identity_providers: providers,
        rotation,
        kubernetes_manifests: checked
            .kubernetes
            .as_ref()
            .map(|kube| manifests(checked, env, kube)),
        commands: commands(checked, env),
    }
}

/// `gcloud` and its arguments.
fn gcloud(parts: &[&str]) -> Vec<String> {
    std::iter::once("gcloud")
        .chain(parts.iter().copied())
        .map(str::to_owned)
        .collect()
}

/// The `gcloud` commands, in the order they must run. Flags take their
/// value after `=`, so no value can be read as another flag.
fn commands(checked: &Checked<'_>, env: &Environment<'_>) -> Vec<CommandLine> {
    let project = format!("--project={}", env.project_id);
    let mut commands = Vec::new();
    // What a project needs once: the first environment in it creates it.
    let first_in_project = !env.shares_project;
    if let Some(schedule) = checked.rotation.as_ref().filter(|_| first_in_project) {
        commands.push(CommandLine::new(
            "create Secret Manager's service agent (it publishes rotation notices)",
            gcloud(&[
                "beta",
                "services",
                "identity",
                "create",
                "--service=secretmanager.googleapis.com",
                &project,
            ]),
        ));
        commands.push(CommandLine::new(
            format!("create the rotation topic {}", schedule.topic),
            gcloud(&["pubsub", "topics", "create", schedule.topic, &project]),
        ));
        commands.push(CommandLine::new(
            "let Secret Manager publish to the rotation topic",
            gcloud(&[
                "pubsub",
                "topics",
                "add-iam-policy-binding",
                schedule.topic,
                &project,
                &format!(
                    "--member=serviceAccount:{}",
                    service_agent(env.project_number)
                ),
                "--role=roles/pubsub.publisher",
            ]),
        ));
    }
    let labels = format!("--labels=app={},environment={}", checked.app, env.name);
    for secret in &env.secrets {
        let mut args = gcloud(&["secrets", "create", &secret.id, &project]);
        if checked.locations.is_empty() {
            args.push("--replication-policy=automatic".to_owned());
        } else {
            args.push("--replication-policy=user-managed".to_owned());
            args.push(format!("--locations={}", checked.locations.join(",")));
        }
        args.push(labels.clone());
        if let Some(schedule) = &checked.rotation {
            args.push(format!("--topics={}", schedule.topic_name(env.project_id)));
            args.push(format!("--rotation-period={}", schedule.period));
            args.push(format!(
                "--next-rotation-time={}",
                schedule.next_rotation_time
            ));
        }
        commands.push(CommandLine::new(
            format!("create the secret {}", secret.id),
            args,
        ));
    }
    if !checked.ci.is_empty() && first_in_project {
        commands.push(CommandLine::new(
            format!("create the workload identity pool {}", checked.pool),
            gcloud(&[
                "iam",
                "workload-identity-pools",
                "create",
                &checked.pool,
                &project,
                "--location=global",
                &format!("--display-name={}", checked.pool),
            ]),
        ));
        for provider in &checked.ci {
            commands.push(CommandLine::new(
                format!("create the {} provider of the pool", provider.id),
                provider_command(checked, env, provider),
            ));
        }
    }
    let condition = match &checked.condition {
        Some(_) => format!(
            "--condition-from-file={}",
            condition_file(checked.app, env.name)
        ),
        // Explicit, so that gcloud never asks when a policy already has conditions.
        None => "--condition=None".to_owned(),
    };
    for secret in &env.secrets {
        for grantee in checked.grantees(env) {
            let member = grantee.member;
            commands.push(CommandLine::new(
                format!("let {} read {}", grantee.stands_for, secret.id),
                gcloud(&[
                    "secrets",
                    "add-iam-policy-binding",
                    &secret.id,
                    &project,
                    &format!("--member={member}"),
                    &format!("--role={ROLE}"),
                    &condition,
                ]),
            ));
        }
    }
    commands
}

fn provider_command(
    checked: &Checked<'_>,
    env: &Environment<'_>,
    provider: &CiProvider,
) -> Vec<String> {
    gcloud(&[
        "iam",
        "workload-identity-pools",
        "providers",
        "create-oidc",
        provider.id,
        &format!("--project={}", env.project_id),
        "--location=global",
        &format!("--workload-identity-pool={}", checked.pool),
        &format!("--issuer-uri={}", provider.issuer),
        &format!("--attribute-mapping={}", provider.mapping_flag()),
        &format!("--attribute-condition={}", provider.attribute_condition),
        &format!(
            "--allowed-audiences={}",
            provider.audience(env.project_number, &checked.pool)
        ),
    ])
}

/// The service account, the ESO store (`gcpsm`, workload identity auth with
/// the same account, no Google service account in between) and the
/// ExternalSecret.
fn manifests(checked: &Checked<'_>, env: &Environment<'_>, kube: &Kubernetes<'_>) -> String {
    let workload = &kube.workload;
    let account = workload.service_account(checked.app, env.name);
    let (cluster_project, _) = env.cluster_project(kube);
    let service_account = json!({
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": { "name": account, "namespace": workload.namespace },
    });
    // ESO exchanges a token of this account for a federated access token and,
    // with no `iam.gke.io/gcp-service-account` annotation, uses it directly:
    // the grants name the account's principal.
    let gcpsm = json!({
        "projectID": env.project_id,
        "auth": {
            "workloadIdentity": {
                "clusterLocation": kube.location,
                "clusterName": kube.cluster,
                "clusterProjectID": cluster_project,
                "serviceAccountRef":
                    eso::service_account_ref(workload.store_kind, &account, &workload.namespace),
            },
        },
    });
    let items: Vec<Item<'_>> = env
        .secrets
        .iter()
        .map(|s| Item {
            secret_key: s.short,
            remote_key: &s.id,
        })
        .collect();
    let [store, external] = workload.eso_manifests(
        &format!("{}-{}", checked.app, env.name),
        json!({ "gcpsm": gcpsm }),
        &items,
    );
    yaml::documents(&[service_account, store, external])
}

/// A GitHub job's steps: authenticate through the environment's provider
/// (direct federation, no service account), then read the secrets into
/// step outputs.
fn github_steps(checked: &Checked<'_>, env: &Environment<'_>) -> Vec<Value> {
    let provider = checked
        .ci
        .iter()
        .find(|p| p.id == "github")
        .expect("a GitHub workflow has a GitHub provider");
    let secrets: String = env
        .secrets
        .iter()
        .zip(&checked.variables)
        .map(|(s, variable)| format!("{}:{}/{}\n", variable.as_str(), env.project_id, s.id))
        .collect();
    vec![
        json!({
            "name": "Authenticate by OIDC (Workload Identity Federation)",
            "uses": "google-github-actions/auth@v2",
            "with": {
                "workload_identity_provider": provider.name(env.project_number, &checked.pool),
            },
        }),
        json!({
            "name": "Read the secrets",
            "id": "secrets",
            "uses": "google-github-actions/get-secretmanager-secrets@v2",
            "with": { "secrets": secrets },
        }),
    ]
}

/// A GitLab job: an ID token for the environment's provider, a credential
/// configuration made from it (`gcloud iam workload-identity-pools
/// create-cred-config`, reading the token from a file), `gcloud auth login`
/// with it, then each secret read into a variable.
fn gitlab_job(checked: &Checked<'_>, env: &Environment<'_>) -> gitlab::Job {
    let provider = checked
        .ci
        .iter()
        .find(|p| p.id == "gitlab")
        .expect("a GitLab pipeline has a GitLab provider");
    let token_file = VariableName::fixed("OIDC_TOKEN_FILE");
    let credentials = VariableName::fixed("GCP_CREDENTIALS_FILE");
    let mktemp = [Word::arg("mktemp")];
    let mut create = shell::args(&[
        "gcloud",
        "iam",
        "workload-identity-pools",
        "create-cred-config",
        &provider.name(env.project_number, &checked.pool),
    ]);
    create.extend([
        Word::Fixed("--credential-source-file=\"$OIDC_TOKEN_FILE\""),
        Word::arg("--credential-source-type=text"),
        Word::Fixed("--output-file=\"$GCP_CREDENTIALS_FILE\""),
    ]);
    let mut script = vec![
        shell::capture(&token_file, &mktemp),
        shell::line(&[
            Word::arg("printf"),
            Word::arg("%s"),
            Word::Fixed("\"$GITLAB_OIDC_TOKEN\""),
            Word::Fixed(">"),
            Word::Fixed("\"$OIDC_TOKEN_FILE\""),
        ]),
        shell::capture(&credentials, &mktemp),
        shell::line(&create),
        shell::line(&[
            Word::arg("gcloud"),
            Word::arg("auth"),
            Word::arg("login"),
            Word::Fixed("--cred-file=\"$GCP_CREDENTIALS_FILE\""),
        ]),
    ];
    for (secret, variable) in env.secrets.iter().zip(&checked.variables) {
        let read = shell::args(&gcloud(&[
            "secrets",
            "versions",
            "access",
            "latest",
            &format!("--secret={}", secret.id),
            &format!("--project={}", env.project_id),
        ]));
        script.push(shell::capture(variable, &read));
        script.push(shell::export(variable));
    }
    gitlab::Job {
        name: format!("read-{}", env.name),
        image: "google/cloud-sdk:slim",
        entrypoint: None,
        audience: provider.audience(env.project_number, &checked.pool),
        script,
    }
}

/// What to know before applying.
fn warnings(checked: &Checked<'_>) -> Vec<String> {
    let mut warnings = Vec::new();
    if checked.kubernetes.is_none() && checked.ci.is_empty() && checked.service_accounts.is_empty()
    {
        warnings.push(
            "no reader was given (kubernetes, github, gitlab, service_accounts): the secrets are \
             created, and nobody is granted them"
                .to_owned(),
        );
    }
    if let Some(kube) = &checked.kubernetes {
        warnings.push(format!(
            "the cluster {} needs Workload Identity Federation for GKE enabled (its pool is \
             <cluster project>.svc.id.goog) and the node pools the GKE metadata server",
            kube.cluster
        ));
    }
    if !checked.ci.is_empty() {
        warnings.push(format!(
            "a deleted workload identity pool keeps its id for 30 days: if `{}` was deleted \
             recently, undelete it or choose another workload_identity_pool",
            checked.pool
        ));
    }
    if let Some(schedule) = &checked.rotation {
        warnings.push(format!(
            "Secret Manager only publishes SECRET_ROTATE to the topic {}: subscribe a rotator \
             to it; next_rotation_time must be at least 5 minutes after the secrets are created",
            schedule.topic
        ));
    }
    if checked.condition.is_some() {
        warnings.push(
            "conditional grants need IAM policy version 3: gcloud and Terraform set it; other \
             tools that rewrite the secrets' policies must keep it"
                .to_owned(),
        );
    }
    warnings
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::generate;
    use crate::request::Request;

    fn base() -> Value {
        json!({
            "app": "payment",
            "environments": [
                { "name": "staging", "project_id": "acme-pay-staging", "project_number": "111111111111" },
                { "name": "production", "project_id": "acme-pay-prod", "project_number": "222222222222" },
            ],
            "secrets": ["db-creds", "api-key"],
        })
    }

    fn refused(input: Value) -> String {
        let request: Request = serde_json::from_value(input).unwrap();
        generate(&request).map(|_| ()).unwrap_err().field
    }

    #[test]
    fn requests_that_cannot_be_least_privilege_are_refused_by_field() {
        let mut shared_account = base();
        shared_account["kubernetes"] = json!({
            "cluster": "prod-eu", "location": "europe-west1", "service_account": "shared",
        });
        assert_eq!(refused(shared_account), "/kubernetes/service_account");

        let mut typo = base();
        typo["environments"][1]["project_id"] = json!("acme-pay-staging");
        assert_eq!(refused(typo), "/environments/1/project_number");

        let mut long_pool = base();
        long_pool["app"] = json!("a-very-long-application-name-x");
        long_pool["github"] = json!({ "repository": "octo/app", "ref": "refs/heads/main" });
        assert_eq!(refused(long_pool), "/app");

        let mut long_subject = base();
        long_subject["gitlab"] = json!({
            "project": format!("group/{}", "p".repeat(100)), "ref": "refs/heads/main",
        });
        assert_eq!(refused(long_subject), "/gitlab");

        let mut clash = base();
        clash["secrets"] = json!(["db-creds", "db_creds"]);
        clash["github"] = json!({ "repository": "octo/app", "ref": "refs/heads/main" });
        assert_eq!(refused(clash), "/secrets/1");

        let mut half_project = base();
        half_project["kubernetes"] = json!({
            "cluster": "c", "location": "europe-west1", "project_id": "acme-gke",
        });
        assert_eq!(refused(half_project), "/kubernetes/project_number");
    }

    #[test]
    fn each_secret_is_granted_to_the_environments_readers_only() {
        let mut input = base();
        input["kubernetes"] = json!({ "cluster": "gke-eu", "location": "europe-west1" });
        input["github"] = json!({ "repository": "octo/payment", "ref": "refs/heads/main" });
        input["service_accounts"] = json!(["cloud-run-api@acme-pay-prod.iam.gserviceaccount.com"]);
        let request: Request = serde_json::from_value(input).unwrap();
        let config = generate(&request).unwrap();
        let production = &config.environments[1];
        let members: Vec<&str> = production
            .binding
            .members
            .iter()
            .map(|m| m.member.as_str())
            .collect();
        assert_eq!(
            members,
            [
                "principal://iam.googleapis.com/projects/222222222222/locations/global/workloadIdentityPools/acme-pay-prod.svc.id.goog/subject/ns/payment/sa/payment-production",
                "principalSet://iam.googleapis.com/projects/222222222222/locations/global/workloadIdentityPools/payment-ci/attribute.repository/octo/payment",
                "serviceAccount:cloud-run-api@acme-pay-prod.iam.gserviceaccount.com",
            ]
        );
        let bindings: Vec<&str> = production
            .commands
            .iter()
            .filter(|c| c.argv.iter().any(|a| a == "add-iam-policy-binding"))
            .map(|c| c.argv[3].as_str())
            .collect();
        assert_eq!(bindings.len(), 2 * 3, "two secrets, three members each");
        assert!(
            bindings
                .iter()
                .all(|id| id.starts_with("payment_production_")),
            "{bindings:?}"
        );
        assert!(
            production.commands.iter().all(|c| c.argv[1] != "projects"),
            "nothing is granted on the project"
        );
        assert!(
            config
                .terraform
                .contains("google_secret_manager_secret_iam_member")
        );
        assert!(!config.terraform.contains("google_project_iam"));
    }

    #[test]
    fn environments_sharing_a_project_create_its_pool_once() {
        let mut input = base();
        input["environments"][1]["project_id"] = json!("acme-pay-staging");
        input["environments"][1]["project_number"] = json!("111111111111");
        input["gitlab"] = json!({ "project": "acme/payment", "ref": "refs/tags/v1" });
        let request: Request = serde_json::from_value(input).unwrap();
        let config = generate(&request).unwrap();
        let pools = config
            .environments
            .iter()
            .flat_map(|e| &e.commands)
            .filter(|c| c.argv[..4] == ["gcloud", "iam", "workload-identity-pools", "create"])
            .count();
        assert_eq!(pools, 1);
        assert_eq!(
            config
                .terraform
                .matches("resource \"google_iam_workload_identity_pool\"")
                .count(),
            1
        );
    }
}
