//! The IAM documents: the identity policy that reads exactly the app's
//! secrets of one environment, the roles' trust policies, and the resource
//! policy on each secret. Built as JSON values (never as text), from names
//! already checked.

use serde_json::{Map, Value, json};

use crate::request::Partition;

/// The policy language version every document declares.
const VERSION: &str = "2012-10-17";

/// Where the secrets live.
pub struct Scope<'a> {
    pub partition: Partition,
    pub region: &'a str,
    pub account: &'a str,
}

impl Scope<'_> {
    /// `arn:<partition>:<service>:<region>:<account>:<resource>`.
    pub fn arn(&self, service: &str, region: &str, resource: &str) -> String {
        format!(
            "arn:{}:{service}:{region}:{}:{resource}",
            self.partition.as_str(),
            self.account
        )
    }

    /// The ARN pattern of secret `name` when its suffix is unknown: Secrets
    /// Manager appends `-` and six random characters, which `??????` matches
    /// exactly (a `*` would also match `name-old-AbCdEf`).
    pub fn secret_pattern(&self, name: &str) -> String {
        self.arn(
            "secretsmanager",
            self.region,
            &format!("secret:{name}-??????"),
        )
    }

    pub fn iam(&self, resource: &str) -> String {
        self.arn("iam", "", resource)
    }

    /// The service endpoint name `kms:ViaService` carries for Secrets Manager.
    pub fn secrets_manager_endpoint(&self) -> String {
        format!(
            "secretsmanager.{}.{}",
            self.region,
            self.partition.dns_suffix()
        )
    }
}

/// Read `secrets` (exact ARNs or suffix patterns) and, with a customer
/// managed key, decrypt with it only through Secrets Manager for those secrets.
pub fn identity_policy(scope: &Scope<'_>, secrets: &[String], kms_key_id: Option<&str>) -> Value {
    let mut statements = vec![json!({
        "Sid": "ReadAppSecrets",
        "Effect": "Allow",
        "Action": ["secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue"],
        "Resource": secrets,
    })];
    if let Some(key) = kms_key_id {
        statements.push(json!({
            "Sid": "DecryptThroughSecretsManager",
            "Effect": "Allow",
            "Action": "kms:Decrypt",
            "Resource": scope.arn("kms", scope.region, &format!("key/{key}")),
            "Condition": {
                "StringEquals": { "kms:ViaService": scope.secrets_manager_endpoint() },
                "StringLike": { "kms:EncryptionContext:SecretARN": secrets },
            },
        }));
    }
    json!({ "Version": VERSION, "Statement": statements })
}

/// Who may assume an environment's role.
pub enum Trust<'a> {
    /// IRSA: one service account, through the cluster's OIDC issuer.
    ServiceAccount {
        issuer: &'a str,
        namespace: &'a str,
        service_account: String,
    },
    /// EKS Pod Identity, for one cluster of this account.
    PodIdentity { cluster: &'a str },
    /// GitHub Actions workflows of one repository at one ref (the `sub` claim).
    Github { subject: String },
    /// GitLab CI jobs of one project at one ref (the `sub` claim).
    Gitlab { subject: String },
}

/// The audience the roles require of CI tokens: AWS STS's own, so that a
/// token asked for AWS is not also good for another cloud. GitLab jobs ask
/// for it in `id_tokens:`, GitHub's `configure-aws-credentials` by default.
pub const STS_AUDIENCE: &str = "sts.amazonaws.com";

/// The trust policy of a role assumed by `trusts`.
pub fn trust_policy(scope: &Scope<'_>, trusts: &[Trust<'_>]) -> Value {
    let statements: Vec<Value> = trusts
        .iter()
        .map(|trust| match trust {
            Trust::ServiceAccount {
                issuer,
                namespace,
                service_account,
            } => web_identity(
                "EksServiceAccount",
                scope,
                issuer,
                &format!("system:serviceaccount:{namespace}:{service_account}"),
            ),
            Trust::PodIdentity { cluster } => json!({
                "Sid": "EksPodIdentity",
                "Effect": "Allow",
                "Principal": { "Service": "pods.eks.amazonaws.com" },
                "Action": ["sts:AssumeRole", "sts:TagSession"],
                "Condition": {
                    "StringEquals": { "aws:SourceAccount": scope.account },
                    "ArnEquals": {
                        "aws:SourceArn": scope.arn("eks", scope.region, &format!("cluster/{cluster}")),
                    },
                },
            }),
            Trust::Github { subject } => web_identity(
                "GithubActions",
                scope,
                provider_glue::github::ISSUER_HOST,
                subject,
            ),
            // GitLab's docs (`ci/cloud_services/aws`): the provider
            // `oidc-provider/gitlab.com`, `gitlab.com:sub` =
            // `project_path:GROUP/PROJECT:ref_type:branch:ref:REF`, and the
            // audience the job's `id_tokens:` asks for.
            Trust::Gitlab { subject } => web_identity(
                "GitlabCi",
                scope,
                provider_glue::gitlab::ISSUER_HOST,
                subject,
            ),
        })
        .collect();
    json!({ "Version": VERSION, "Statement": statements })
}

/// `AssumeRoleWithWebIdentity` from `issuer` for tokens whose audience is
/// [`STS_AUDIENCE`] and whose subject is exactly `subject`.
fn web_identity(sid: &str, scope: &Scope<'_>, issuer: &str, subject: &str) -> Value {
    let mut equals = Map::new();
    equals.insert(format!("{issuer}:aud"), json!(STS_AUDIENCE));
    equals.insert(format!("{issuer}:sub"), json!(subject));
    json!({
        "Sid": sid,
        "Effect": "Allow",
        "Principal": { "Federated": scope.iam(&format!("oidc-provider/{issuer}")) },
        "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": { "StringEquals": equals },
    })
}

/// A secret's resource policy: reads by any principal but `readers` are
/// denied, and with a VPC endpoint, reads that do not come through it.
pub fn resource_policy(readers: &[String], vpc_endpoint: Option<&str>) -> Value {
    let mut statements = vec![json!({
        "Sid": "DenyReadsByOthers",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "secretsmanager:GetSecretValue",
        "Resource": "*",
        "Condition": { "StringNotEquals": { "aws:PrincipalArn": readers } },
    })];
    if let Some(endpoint) = vpc_endpoint {
        statements.push(json!({
            "Sid": "DenyReadsOutsideVpcEndpoint",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "secretsmanager:GetSecretValue",
            "Resource": "*",
            "Condition": { "StringNotEquals": { "aws:sourceVpce": endpoint } },
        }));
    }
    json!({ "Version": VERSION, "Statement": statements })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SCOPE: Scope<'static> = Scope {
        partition: Partition::Aws,
        region: "eu-west-1",
        account: "111122223333",
    };

    #[test]
    fn a_customer_key_is_usable_only_through_secrets_manager_for_these_secrets() {
        let secrets = vec![SCOPE.secret_pattern("production/payment/db-creds")];
        assert_eq!(
            secrets[0],
            "arn:aws:secretsmanager:eu-west-1:111122223333:secret:production/payment/db-creds-??????"
        );
        let policy = identity_policy(
            &SCOPE,
            &secrets,
            Some("1234abcd-12ab-34cd-56ef-1234567890ab"),
        );
        let kms = &policy["Statement"][1];
        assert_eq!(
            kms["Resource"],
            "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
        );
        assert_eq!(
            kms["Condition"]["StringEquals"]["kms:ViaService"],
            "secretsmanager.eu-west-1.amazonaws.com"
        );
        assert_eq!(
            kms["Condition"]["StringLike"]["kms:EncryptionContext:SecretARN"],
            json!(secrets)
        );
        assert_eq!(
            identity_policy(&SCOPE, &secrets, None)["Statement"]
                .as_array()
                .unwrap()
                .len(),
            1
        );
    }

    #[test]
    fn trust_binds_one_subject() {
        let policy = trust_policy(
            &SCOPE,
            &[Trust::Github {
                subject: "repo:octo/app:ref:refs/heads/main".into(),
            }],
        );
        let statement = &policy["Statement"][0];
        assert_eq!(
            statement["Principal"]["Federated"],
            "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com"
        );
        assert_eq!(
            statement["Condition"]["StringEquals"]["token.actions.githubusercontent.com:sub"],
            "repo:octo/app:ref:refs/heads/main"
        );
        let policy = trust_policy(
            &SCOPE,
            &[Trust::Gitlab {
                subject: "project_path:g/p:ref_type:branch:ref:main".into(),
            }],
        );
        let statement = &policy["Statement"][0];
        assert_eq!(
            statement["Principal"]["Federated"],
            "arn:aws:iam::111122223333:oidc-provider/gitlab.com"
        );
        assert_eq!(
            statement["Condition"]["StringEquals"],
            json!({
                "gitlab.com:aud": "sts.amazonaws.com",
                "gitlab.com:sub": "project_path:g/p:ref_type:branch:ref:main",
            })
        );
    }
}
