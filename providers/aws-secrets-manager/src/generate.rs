//! From a checked request to the configuration: per environment the IAM
//! documents, the `aws` commands and the Kubernetes manifests; then the
//! GitHub workflow and the Terraform.

use provider_glue::eso::{self, Item};
use provider_glue::shell::CommandLine;
use provider_glue::{InputError, github, k8s, yaml};
use serde_json::{Value, json};

use crate::checked::{Checked, Environment, Kubernetes, check};
use crate::config::{Config, EnvironmentConfig, FileNames, SecretAccess};
use crate::policy::{self, Trust};
use crate::request::{PodIdentity, Request};
use crate::terraform;

/// IAM's limit on a customer managed policy: 6,144 characters, white space not counted.
const MOST_POLICY_CHARACTERS: usize = 6144;

/// The configuration for `request`, or the first problem with it.
pub fn generate(request: &Request) -> Result<Config, InputError> {
    let checked = check(request)?;
    let mut warnings = warnings(&checked);
    let mut environments = Vec::new();
    for (index, env) in checked.environments.iter().enumerate() {
        environments.push(environment(&checked, env, index)?);
    }
    if checked.kubernetes.is_none() && checked.github.is_none() {
        warnings.push(
            "no workload was given (kubernetes, github): attach each policy to the role that \
             reads the secrets"
                .to_owned(),
        );
    }
    let github_workflow = checked.github.as_ref().map(|(_, git_ref)| {
        let jobs = environments
            .iter()
            .map(|env| {
                (
                    format!("read-{}", env.environment),
                    workflow_steps(&checked, env),
                )
            })
            .collect();
        let name = format!("{} secrets", checked.app);
        yaml::documents(&[github::oidc_workflow(&name, git_ref, jobs)])
    });
    let terraform = terraform::render(&checked, &environments);
    Ok(Config {
        app: checked.app.to_owned(),
        environments,
        github_workflow,
        terraform,
        warnings,
    })
}

fn environment(
    checked: &Checked<'_>,
    env: &Environment<'_>,
    index: usize,
) -> Result<EnvironmentConfig, InputError> {
    let scope = &checked.scope;
    let patterns: Vec<String> = env.secrets.iter().map(|s| s.arn.clone()).collect();
    let identity_policy = policy::identity_policy(scope, &patterns, checked.kms_key_id);
    let size = serde_json::to_string(&identity_policy)
        .expect("JSON values serialize")
        .chars()
        .filter(|c| !c.is_whitespace())
        .count();
    if size > MOST_POLICY_CHARACTERS {
        return Err(InputError::new(
            format!("/environments/{index}"),
            format!(
                "the policy would hold {size} characters, more than IAM's {MOST_POLICY_CHARACTERS}: \
                 split the secrets over several apps"
            ),
        ));
    }
    let trusts = trusts(checked, env);
    let has_role = !trusts.is_empty();
    let role_arn = has_role.then(|| scope.iam(&format!("role/{}", env.role_name)));
    let trust_policy = has_role.then(|| policy::trust_policy(scope, &trusts));
    let resource_policy = checked.also_allow_role_arns.map(|also| {
        let readers: Vec<String> = role_arn.iter().chain(also).cloned().collect();
        policy::resource_policy(&readers, checked.vpc_endpoint)
    });
    let policy_arn = scope.iam(&format!("policy/{}", env.policy_name));
    let kubernetes_manifests = checked
        .kubernetes
        .as_ref()
        .zip(role_arn.as_deref())
        .map(|(kube, role_arn)| manifests(checked, env, kube, role_arn));
    let mut config = EnvironmentConfig {
        environment: env.name.to_owned(),
        policy_name: env.policy_name.clone(),
        policy_arn,
        role_name: has_role.then(|| env.role_name.clone()),
        role_arn,
        secrets: env
            .secrets
            .iter()
            .map(|s| SecretAccess {
                name: s.name.clone(),
                arn: s.arn.clone(),
                exact: s.exact,
            })
            .collect(),
        identity_policy,
        trust_policy,
        resource_policy,
        rotation_rules: checked.rotation_rules.clone(),
        kubernetes_manifests,
        commands: Vec::new(),
    };
    config.commands = commands(checked, env, &config);
    Ok(config)
}

fn trusts<'a>(checked: &'a Checked<'_>, env: &Environment<'_>) -> Vec<Trust<'a>> {
    let mut trusts = Vec::new();
    if let Some(kube) = &checked.kubernetes {
        trusts.push(match (kube.identity, kube.oidc_issuer) {
            (PodIdentity::Irsa, Some(issuer)) => Trust::ServiceAccount {
                issuer,
                namespace: &kube.namespace,
                service_account: env.service_account(checked.app, kube),
            },
            _ => Trust::PodIdentity {
                cluster: kube.cluster,
            },
        });
    }
    if let Some((subject, _)) = &checked.github {
        trusts.push(Trust::Github {
            subject: subject.clone(),
        });
    }
    trusts
}

/// The `aws` commands, in the order they must run.
fn commands(
    checked: &Checked<'_>,
    env: &Environment<'_>,
    config: &EnvironmentConfig,
) -> Vec<CommandLine> {
    let region = checked.scope.region;
    let files = FileNames::new(checked.app, env.name);
    let aws = |parts: &[&str]| -> Vec<String> {
        std::iter::once("aws")
            .chain(parts.iter().copied())
            .map(str::to_owned)
            .collect()
    };
    let mut commands = Vec::new();
    for secret in env.secrets.iter().filter(|s| !s.exact) {
        let mut args = aws(&[
            "secretsmanager",
            "create-secret",
            "--region",
            region,
            "--name",
            &secret.name,
        ]);
        if let Some(key) = checked.kms_key_id {
            args.extend(["--kms-key-id".to_owned(), key.to_owned()]);
        }
        commands.push(CommandLine::new(
            format!("create the secret {}", secret.name),
            args,
        ));
    }
    let policy_doc = format!("file://{}", files.policy);
    commands.push(CommandLine::new(
        "create the read policy",
        aws(&[
            "iam",
            "create-policy",
            "--policy-name",
            &env.policy_name,
            "--policy-document",
            &policy_doc,
        ]),
    ));
    if let Some(role_arn) = &config.role_arn {
        let trust_doc = format!("file://{}", files.trust);
        commands.push(CommandLine::new(
            "create the role",
            aws(&[
                "iam",
                "create-role",
                "--role-name",
                &env.role_name,
                "--assume-role-policy-document",
                &trust_doc,
            ]),
        ));
        commands.push(CommandLine::new(
            "attach the read policy to the role",
            aws(&[
                "iam",
                "attach-role-policy",
                "--role-name",
                &env.role_name,
                "--policy-arn",
                &config.policy_arn,
            ]),
        ));
        if let Some(kube) = checked
            .kubernetes
            .as_ref()
            .filter(|k| k.identity == PodIdentity::PodIdentity)
        {
            let account = env.service_account(checked.app, kube);
            commands.push(CommandLine::new(
                "associate the role with the service account (EKS Pod Identity)",
                aws(&[
                    "eks",
                    "create-pod-identity-association",
                    "--region",
                    region,
                    "--cluster-name",
                    kube.cluster,
                    "--namespace",
                    &kube.namespace,
                    "--service-account",
                    &account,
                    "--role-arn",
                    role_arn,
                ]),
            ));
        }
    }
    if config.resource_policy.is_some() {
        let doc = format!("file://{}", files.resource_policy);
        for secret in &env.secrets {
            commands.push(CommandLine::new(
                format!("put the resource policy on {}", secret.name),
                aws(&[
                    "secretsmanager",
                    "put-resource-policy",
                    "--region",
                    region,
                    "--secret-id",
                    secret.id(),
                    "--resource-policy",
                    &doc,
                    "--block-public-policy",
                ]),
            ));
        }
    }
    if let Some(rules) = &checked.rotation_rules {
        let rules = rules.to_string();
        for secret in &env.secrets {
            let mut args = aws(&[
                "secretsmanager",
                "rotate-secret",
                "--region",
                region,
                "--secret-id",
                secret.id(),
            ]);
            if let Some(lambda) = checked.rotation_lambda {
                args.extend(["--rotation-lambda-arn".to_owned(), lambda.to_owned()]);
            }
            args.extend([
                "--rotation-rules".to_owned(),
                rules.clone(),
                "--no-rotate-immediately".to_owned(),
            ]);
            commands.push(CommandLine::new(
                format!("schedule rotation of {}", secret.name),
                args,
            ));
        }
    }
    commands
}

/// The service account (IRSA), the ESO store and the ExternalSecret.
fn manifests(
    checked: &Checked<'_>,
    env: &Environment<'_>,
    kube: &Kubernetes<'_>,
    role_arn: &str,
) -> String {
    let object_name = format!("{}-{}", checked.app, env.name);
    let account = env.service_account(checked.app, kube);
    let mut aws = json!({ "service": "SecretsManager", "region": checked.scope.region });
    let mut documents = Vec::new();
    if kube.identity == PodIdentity::Irsa {
        documents.push(k8s::service_account(
            &account,
            &kube.namespace,
            &[("eks.amazonaws.com/role-arn", role_arn)],
        ));
        let reference = eso::service_account_ref(kube.store_kind, &account, &kube.namespace);
        aws["auth"] = json!({ "jwt": { "serviceAccountRef": reference } });
    }
    documents.push(eso::store(
        kube.store_kind,
        &object_name,
        &kube.namespace,
        json!({ "aws": aws }),
    ));
    let items: Vec<Item<'_>> = env
        .secrets
        .iter()
        .map(|s| Item {
            secret_key: s.short,
            remote_key: &s.name,
        })
        .collect();
    documents.push(eso::external_secret(
        &object_name,
        &kube.namespace,
        (kube.store_kind, object_name.as_str()),
        &object_name,
        kube.refresh_interval,
        &items,
    ));
    yaml::documents(&documents)
}

/// A job's steps: assume the environment's role by OIDC, then read its
/// secrets into masked environment variables.
fn workflow_steps(checked: &Checked<'_>, env: &EnvironmentConfig) -> Vec<Value> {
    let secret_ids: String = env
        .secrets
        .iter()
        .map(|s| {
            let alias: String = s
                .name
                .rsplit('/')
                .next()
                .unwrap_or_default()
                .chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() {
                        c.to_ascii_uppercase()
                    } else {
                        '_'
                    }
                })
                .collect();
            format!("{alias},{}\n", s.name)
        })
        .collect();
    vec![
        json!({
            "name": "Assume the role by OIDC",
            "uses": "aws-actions/configure-aws-credentials@v4",
            "with": { "role-to-assume": env.role_arn, "aws-region": checked.scope.region },
        }),
        json!({
            "name": "Read the secrets",
            "uses": "aws-actions/aws-secretsmanager-get-secrets@v2",
            "with": { "secret-ids": secret_ids },
        }),
    ]
}

/// What to know before applying.
fn warnings(checked: &Checked<'_>) -> Vec<String> {
    let mut warnings = Vec::new();
    if let Some(kube) = &checked.kubernetes {
        match kube.identity {
            PodIdentity::Irsa => warnings.push(format!(
                "the account needs the IAM OIDC provider of the cluster (once): aws iam \
                 create-open-id-connect-provider --url https://{} --client-id-list sts.amazonaws.com",
                kube.oidc_issuer.unwrap_or_default()
            )),
            PodIdentity::PodIdentity => warnings.push(
                "EKS Pod Identity: the cluster needs the eks-pod-identity-agent add-on; the \
                 External Secrets Operator reads with its controller's identity, so associate \
                 the role with the controller's service account for ESO to use it"
                    .to_owned(),
            ),
        }
    }
    if checked.github.is_some() {
        warnings.push(
            "the account needs GitHub's IAM OIDC provider (once): aws iam \
             create-open-id-connect-provider --url https://token.actions.githubusercontent.com \
             --client-id-list sts.amazonaws.com"
                .to_owned(),
        );
    }
    if checked.vpc_endpoint.is_some() && checked.github.is_some() {
        warnings.push(
            "the resource policy denies reads from outside the VPC endpoint, so GitHub-hosted \
             runners cannot read the secrets"
                .to_owned(),
        );
    }
    if checked.rotation_lambda.is_some()
        && checked.also_allow_role_arns.is_some_and(<[_]>::is_empty)
    {
        warnings.push(
            "the resource policy denies reads by the rotation Lambda unless its role is in \
             resource_policy.also_allow_role_arns"
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
            "environments": ["production"],
            "secrets": ["db-creds"],
            "account_id": "111122223333",
            "region": "eu-west-1",
        })
    }

    /// The field a refused request names.
    fn refused(input: Value) -> String {
        let request: Request = serde_json::from_value(input).unwrap();
        generate(&request).map(|_| ()).unwrap_err().field
    }

    #[test]
    fn requests_that_cannot_be_least_privilege_are_refused_by_field() {
        let mut two_envs = base();
        two_envs["environments"] = json!(["staging", "production"]);
        two_envs["kubernetes"] = json!({
            "identity": "pod-identity", "cluster": "c", "service_account": "shared",
        });
        assert_eq!(refused(two_envs), "/kubernetes/service_account");

        let mut no_reader = base();
        no_reader["resource_policy"] = json!({});
        assert_eq!(refused(no_reader), "/resource_policy");

        let mut stranger = base();
        stranger["known_arns"] = json!([
            "arn:aws:secretsmanager:eu-west-1:111122223333:secret:production/other/db-creds-AbCdEf"
        ]);
        assert_eq!(refused(stranger), "/known_arns/0");

        let mut other_account = base();
        other_account["known_arns"] = json!([
            "arn:aws:secretsmanager:eu-west-1:444455556666:secret:production/payment/db-creds-AbCdEf"
        ]);
        assert_eq!(refused(other_account), "/known_arns/0");

        let mut issuer_for_pod_identity = base();
        issuer_for_pod_identity["kubernetes"] = json!({
            "identity": "pod-identity", "cluster": "c",
            "oidc_issuer": "oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE",
        });
        assert_eq!(refused(issuer_for_pod_identity), "/kubernetes/oidc_issuer");

        let mut irsa_without_issuer = base();
        irsa_without_issuer["kubernetes"] = json!({ "identity": "irsa", "cluster": "c" });
        assert_eq!(refused(irsa_without_issuer), "/kubernetes/oidc_issuer");

        let mut long_role = base();
        long_role["app"] = json!("a".repeat(40));
        long_role["environments"] = json!(["e".repeat(20)]);
        assert_eq!(refused(long_role), "/environments/0");

        let mut twice = base();
        twice["secrets"] = json!(["db-creds", "db-creds"]);
        assert_eq!(refused(twice), "/secrets/1");
    }

    #[test]
    fn a_policy_over_iams_size_limit_is_refused() {
        let mut input = base();
        let secrets: Vec<String> = (0..100).map(|n| format!("{}{n}", "s".repeat(60))).collect();
        input["secrets"] = json!(secrets);
        assert_eq!(refused(input.clone()), "/environments/0");
        input["secrets"] = json!(secrets[..20]);
        let request: Request = serde_json::from_value(input).unwrap();
        assert!(generate(&request).is_ok());
    }

    #[test]
    fn known_arns_are_granted_exactly_and_not_created_again() {
        let mut input = base();
        input["secrets"] = json!(["db-creds", "api-key"]);
        let arn = "arn:aws:secretsmanager:eu-west-1:111122223333:secret:production/payment/db-creds-AbCdEf";
        input["known_arns"] = json!([arn]);
        let request: Request = serde_json::from_value(input).unwrap();
        let config = generate(&request).unwrap();
        let env = &config.environments[0];
        assert_eq!(
            env.identity_policy["Statement"][0]["Resource"],
            json!([
                arn,
                "arn:aws:secretsmanager:eu-west-1:111122223333:secret:production/payment/api-key-??????"
            ])
        );
        let created: Vec<&str> = env
            .commands
            .iter()
            .filter(|c| c.argv.iter().any(|a| a == "create-secret"))
            .map(|c| c.shell.as_str())
            .collect();
        assert_eq!(
            created,
            [
                "aws secretsmanager create-secret --region eu-west-1 --name production/payment/api-key"
            ]
        );
        let secret_block = |id: &str| format!("resource \"aws_secretsmanager_secret\" \"{id}\"");
        assert!(
            !config
                .terraform
                .contains(&secret_block("payment_production_db-creds"))
        );
        assert!(
            config
                .terraform
                .contains(&secret_block("payment_production_api-key"))
        );
        assert!(config.warnings.iter().any(|w| w.contains("no workload")));
    }

    #[test]
    fn a_vpc_endpoint_with_github_runners_is_warned_about() {
        let mut input = base();
        input["github"] = json!({ "repository": "octo/payment", "ref": "refs/heads/main" });
        input["resource_policy"] = json!({ "vpc_endpoint_id": "vpce-0123456789abcdef0" });
        let request: Request = serde_json::from_value(input).unwrap();
        let config = generate(&request).unwrap();
        let policy = config.environments[0].resource_policy.as_ref().unwrap();
        assert_eq!(
            policy["Statement"][0]["Condition"]["StringNotEquals"]["aws:PrincipalArn"],
            json!(["arn:aws:iam::111122223333:role/payment-production-secrets"])
        );
        assert_eq!(
            policy["Statement"][1]["Condition"]["StringNotEquals"]["aws:sourceVpce"],
            "vpce-0123456789abcdef0"
        );
        assert!(
            config
                .warnings
                .iter()
                .any(|w| w.contains("GitHub-hosted runners"))
        );
    }
}
