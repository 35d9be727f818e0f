//! Who reads the secrets, as IAM principal identifiers, and the workload
//! identity pool providers that let CI jobs become those principals.
//!
//! Formats (Google Cloud IAM "Principal identifiers", and "Authenticate to
//! Google Cloud APIs from GKE workloads"):
//! - one Kubernetes service account of a GKE cluster with Workload Identity
//!   Federation for GKE:
//!   `principal://iam.googleapis.com/projects/PROJECT_NUMBER/locations/global/workloadIdentityPools/PROJECT_ID.svc.id.goog/subject/ns/NAMESPACE/sa/KSA_NAME`,
//!   where the project is the cluster's (its pool is `PROJECT_ID.svc.id.goog`);
//! - all identities of a workload identity pool with one attribute value:
//!   `principalSet://iam.googleapis.com/projects/PROJECT_NUMBER/locations/global/workloadIdentityPools/POOL_ID/attribute.ATTRIBUTE_NAME/ATTRIBUTE_VALUE`;
//! - a service account: `serviceAccount:EMAIL`.
//!
//! CI providers ("Configure Workload Identity Federation with deployment
//! pipelines"): an OIDC provider per CI system in the pool, mapping
//! `google.subject` (at most 127 bytes) and the attributes the principal set
//! names, with an attribute condition that admits one repository (or
//! project) at one ref. GitHub's tokens map `attribute.repository`, GitLab's
//! `attribute.project_path`: different attribute names, so a GitLab project
//! can never pass for a GitHub repository of the same path. The allowed
//! audience is the provider's own URL
//! (`https://iam.googleapis.com/projects/…/providers/ID`), the default that
//! `google-github-actions/auth` asks for and the `aud` the GitLab job asks for.

use provider_glue::{cel, github, gitlab};

/// The issuer of GitHub Actions' OIDC tokens.
pub const GITHUB_ISSUER: &str = "https://token.actions.githubusercontent.com";
/// Google's limit on `google.subject`.
pub const MOST_SUBJECT_BYTES: usize = 127;

/// The member for one Kubernetes service account of a GKE cluster whose
/// project is `cluster_project` (id, number).
pub fn gke_member(cluster_project: (&str, &str), namespace: &str, account: &str) -> String {
    let (id, number) = cluster_project;
    format!(
        "principal://iam.googleapis.com/projects/{number}/locations/global/workloadIdentityPools/{id}.svc.id.goog/subject/ns/{namespace}/sa/{account}"
    )
}

/// `projects/NUMBER/locations/global/workloadIdentityPools/POOL`.
pub fn pool_name(project_number: &str, pool: &str) -> String {
    format!("projects/{project_number}/locations/global/workloadIdentityPools/{pool}")
}

/// An OIDC provider of a CI system in a workload identity pool.
#[derive(Debug, Clone)]
pub struct CiProvider {
    /// The provider id in the pool: `github` or `gitlab`.
    pub id: &'static str,
    pub issuer: &'static str,
    /// Google attribute ← CEL on the token's claims.
    pub attribute_mapping: Vec<(&'static str, &'static str)>,
    /// CEL that admits tokens of the one repository (project) and ref.
    pub attribute_condition: String,
    /// The attribute the principal set names, and its value.
    pub principal_attribute: (&'static str, String),
    /// The `sub` claim the admitted tokens carry (mapped to `google.subject`).
    pub subject: String,
}

impl CiProvider {
    /// GitHub Actions for `repository` at `git_ref` (both checked).
    pub fn github(repository: &str, git_ref: &str) -> Self {
        Self {
            id: "github",
            issuer: GITHUB_ISSUER,
            attribute_mapping: vec![
                ("google.subject", "assertion.sub"),
                ("attribute.repository", "assertion.repository"),
                ("attribute.ref", "assertion.ref"),
            ],
            attribute_condition: cel::all(&[
                format!("assertion.repository == {}", cel::string(repository)),
                format!("assertion.ref == {}", cel::string(git_ref)),
            ]),
            principal_attribute: ("repository", repository.to_owned()),
            subject: github::subject(repository, git_ref),
        }
    }

    /// GitLab.com CI for `project` at `git_ref` (both checked).
    pub fn gitlab(project: &str, git_ref: gitlab::Ref<'_>) -> Self {
        Self {
            id: "gitlab",
            issuer: gitlab::ISSUER,
            attribute_mapping: vec![
                ("google.subject", "assertion.sub"),
                ("attribute.project_path", "assertion.project_path"),
                ("attribute.ref_type", "assertion.ref_type"),
                ("attribute.ref", "assertion.ref"),
            ],
            attribute_condition: cel::all(&[
                format!("assertion.project_path == {}", cel::string(project)),
                format!("assertion.ref_type == {}", cel::string(git_ref.ref_type)),
                format!("assertion.ref == {}", cel::string(git_ref.name)),
            ]),
            principal_attribute: ("project_path", project.to_owned()),
            subject: gitlab::subject(project, git_ref),
        }
    }

    /// `google.attribute=assertion.claim,…`, as `gcloud` and Terraform take it.
    pub fn mapping_flag(&self) -> String {
        self.attribute_mapping
            .iter()
            .map(|(attribute, claim)| format!("{attribute}={claim}"))
            .collect::<Vec<_>>()
            .join(",")
    }

    /// The provider's resource name in the pool of `project_number`.
    pub fn name(&self, project_number: &str, pool: &str) -> String {
        format!("{}/providers/{}", pool_name(project_number, pool), self.id)
    }

    /// The audience the CI job asks for and the provider allows.
    pub fn audience(&self, project_number: &str, pool: &str) -> String {
        format!(
            "https://iam.googleapis.com/{}",
            self.name(project_number, pool)
        )
    }

    /// The principal set granted the secrets.
    pub fn member(&self, project_number: &str, pool: &str) -> String {
        let (attribute, value) = &self.principal_attribute;
        format!(
            "principalSet://iam.googleapis.com/{}/attribute.{attribute}/{value}",
            pool_name(project_number, pool)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_follow_the_documented_forms() {
        assert_eq!(
            gke_member(
                ("acme-gke", "111111111111"),
                "payment",
                "payment-production"
            ),
            "principal://iam.googleapis.com/projects/111111111111/locations/global/workloadIdentityPools/acme-gke.svc.id.goog/subject/ns/payment/sa/payment-production"
        );
        let github = CiProvider::github("octo/payment", "refs/heads/main");
        assert_eq!(
            github.member("222222222222", "payment-ci"),
            "principalSet://iam.googleapis.com/projects/222222222222/locations/global/workloadIdentityPools/payment-ci/attribute.repository/octo/payment"
        );
        assert_eq!(
            github.attribute_condition,
            "assertion.repository == \"octo/payment\" && assertion.ref == \"refs/heads/main\""
        );
        assert_eq!(
            github.audience("222222222222", "payment-ci"),
            "https://iam.googleapis.com/projects/222222222222/locations/global/workloadIdentityPools/payment-ci/providers/github"
        );
        let gitlab = CiProvider::gitlab(
            "acme/payments/api",
            gitlab::Ref {
                ref_type: "tag",
                name: "v1",
            },
        );
        assert_eq!(
            gitlab.member("2", "p-ci"),
            "principalSet://iam.googleapis.com/projects/2/locations/global/workloadIdentityPools/p-ci/attribute.project_path/acme/payments/api"
        );
        assert_eq!(
            gitlab.mapping_flag(),
            "google.subject=assertion.sub,attribute.project_path=assertion.project_path,attribute.ref_type=assertion.ref_type,attribute.ref=assertion.ref"
        );
        assert_eq!(
            gitlab.subject,
            "project_path:acme/payments/api:ref_type:tag:ref:v1"
        );
    }
}
