//! GitHub Actions: the repository and ref a cloud role trusts, the `sub`
//! claim GitHub's OIDC tokens carry for them, and a workflow whose jobs log
//! in by OIDC (no stored cloud keys).
//!
//! GitHub's token for a push to `main` of `octo/app` has
//! `sub = repo:octo/app:ref:refs/heads/main` and the issuer
//! `https://token.actions.githubusercontent.com`. Both parts are checked so
//! that neither can widen a trust condition: no glob characters, no `:`
//! (which would shift the claim's fields), no control characters.

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::error::{InputError, shown};

/// A GitHub repository and the one ref whose workflows may read the secrets.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RepositoryRef {
    /// `owner/name`.
    pub repository: String,
    /// `refs/heads/<branch>` or `refs/tags/<tag>`: the token's `sub` must be
    /// `repo:<owner>/<name>:ref:<ref>`.
    #[serde(rename = "ref")]
    pub git_ref: String,
}

impl RepositoryRef {
    /// Checks both parts, at `prefix` (`/github`); returns the `sub` claim.
    pub fn check(&self, prefix: &str) -> Result<String, InputError> {
        check_repository(&format!("{prefix}/repository"), &self.repository)?;
        check_git_ref(&format!("{prefix}/ref"), &self.git_ref)?;
        Ok(subject(&self.repository, &self.git_ref))
    }
}

/// The issuer of GitHub Actions OIDC tokens, without the scheme (how AWS names
/// the provider and its condition keys).
pub const ISSUER_HOST: &str = "token.actions.githubusercontent.com";

/// `owner/repo`: GitHub's account names (letters, digits, '-') and repository
/// names (letters, digits, '.', '_', '-').
pub fn check_repository(field: &str, text: &str) -> Result<(), InputError> {
    let owner_ok = |owner: &str| {
        (1..=39).contains(&owner.len())
            && !owner.starts_with('-')
            && owner.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    };
    let repo_ok = |repo: &str| {
        (1..=100).contains(&repo.len())
            && repo != "."
            && repo != ".."
            && repo
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
    };
    match text.split_once('/') {
        Some((owner, repo)) if owner_ok(owner) && repo_ok(repo) => Ok(()),
        _ => Err(InputError::new(
            field,
            format!(
                "`{}` is not a GitHub repository `owner/name` (letters, digits, '-'; the name \
                 also '.', '_')",
                shown(text)
            ),
        )),
    }
}

/// A branch or tag ref, `refs/heads/<branch>` or `refs/tags/<tag>`, matched
/// literally: letters, digits, '.', '_', '-', '/'; no `..`, `//` or trailing `/`.
pub fn check_git_ref(field: &str, text: &str) -> Result<(), InputError> {
    let rest = text
        .strip_prefix("refs/heads/")
        .or_else(|| text.strip_prefix("refs/tags/"));
    let valid = rest.is_some_and(|name| {
        !name.is_empty()
            && text.len() <= 255
            && !name.starts_with(['/', '.', '-'])
            && !name.ends_with(['/', '.'])
            && !name.contains("..")
            && !name.contains("//")
            && !name.ends_with(".lock")
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '/'))
    });
    if valid {
        return Ok(());
    }
    Err(InputError::new(
        field,
        format!(
            "`{}` is not a plain branch or tag ref like `refs/heads/main` or `refs/tags/v1` \
             (letters, digits, '.', '_', '-', '/')",
            shown(text)
        ),
    ))
}

/// The file name providers give the workflow they write.
pub const WORKFLOW_FILE: &str = "github-workflow.yml";

/// The issuer of GitHub Actions OIDC tokens, as its `iss` claim carries it
/// (how Microsoft Entra federated credentials name it).
pub const ISSUER: &str = "https://token.actions.githubusercontent.com";

/// The `sub` claim of a token for `repository` at `git_ref` (both checked),
/// for a job that names no environment.
pub fn subject(repository: &str, git_ref: &str) -> String {
    format!("repo:{repository}:ref:{git_ref}")
}

/// The `sub` claim of a token for a job that runs in the deployment
/// environment `environment` of `repository`: GitHub then puts the
/// environment in `sub` instead of the ref (GitHub's OpenID Connect
/// reference, "Filtering for a specific environment":
/// `repo:<owner>/<repo>:environment:<name>`). The caller checks
/// `environment` (a Kubernetes label or narrower: no ':' or glob).
pub fn environment_subject(repository: &str, environment: &str) -> String {
    format!("repo:{repository}:environment:{environment}")
}

/// One job of a workflow: its id, the deployment environment it runs in
/// (which changes the token's `sub`, see [`environment_subject`]) and its
/// steps (the provider's: log in, read).
pub struct Job {
    pub id: String,
    pub environment: Option<String>,
    pub steps: Vec<Value>,
}

/// A workflow that runs on pushes to `git_ref` (or by hand), with the
/// permission to request an OIDC token and nothing else, one job per
/// `(job id, steps)`. The steps are the provider's (log in, read).
pub fn oidc_workflow(name: &str, git_ref: &str, jobs: Vec<(String, Vec<Value>)>) -> Value {
    let jobs = jobs
        .into_iter()
        .map(|(id, steps)| Job {
            id,
            environment: None,
            steps,
        })
        .collect();
    oidc_workflow_jobs(name, git_ref, jobs)
}

/// [`oidc_workflow`] whose jobs may each run in a deployment environment.
pub fn oidc_workflow_jobs(name: &str, git_ref: &str, jobs: Vec<Job>) -> Value {
    let push = match git_ref.strip_prefix("refs/tags/") {
        Some(tag) => json!({ "tags": [tag] }),
        None => json!({ "branches": [git_ref.trim_start_matches("refs/heads/")] }),
    };
    let jobs: Map<String, Value> = jobs
        .into_iter()
        .map(|job| {
            let mut value = json!({ "runs-on": "ubuntu-latest" });
            if let Some(environment) = job.environment {
                value["environment"] = json!(environment);
            }
            value["steps"] = json!(job.steps);
            (job.id, value)
        })
        .collect();
    json!({
        "name": name,
        "on": { "push": push, "workflow_dispatch": {} },
        "permissions": { "id-token": "write", "contents": "read" },
        "jobs": jobs,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refs_and_repositories_admit_no_glob_or_field_separator() {
        assert!(check_repository("/r", "octo-org/app.api_v2").is_ok());
        for bad in [
            "octo",
            "octo/",
            "/app",
            "octo/app/x",
            "oc:to/app",
            "octo/*",
            "octo/..",
        ] {
            assert!(check_repository("/r", bad).is_err(), "{bad}");
        }
        for good in [
            "refs/heads/main",
            "refs/heads/release/1.2",
            "refs/tags/v1.0.0",
        ] {
            assert!(check_git_ref("/g", good).is_ok(), "{good}");
        }
        for bad in [
            "main",
            "refs/heads/",
            "refs/heads/*",
            "refs/heads/a..b",
            "refs/heads/a:b",
            "refs/pull/1/merge",
            "refs/heads/a b",
            "refs/heads/x.lock",
        ] {
            assert!(check_git_ref("/g", bad).is_err(), "{bad}");
        }
        assert_eq!(
            subject("octo/app", "refs/heads/main"),
            "repo:octo/app:ref:refs/heads/main"
        );
    }

    #[test]
    fn the_workflow_triggers_on_the_trusted_ref_only() {
        let workflow = oidc_workflow("w", "refs/tags/v1", vec![("read".into(), vec![])]);
        assert_eq!(workflow["on"]["push"], json!({ "tags": ["v1"] }));
        assert_eq!(workflow["permissions"]["id-token"], "write");
        let job = Job {
            id: "read-production".into(),
            environment: Some("production".into()),
            steps: vec![],
        };
        let workflow = oidc_workflow_jobs("w", "refs/heads/main", vec![job]);
        assert_eq!(
            workflow["jobs"]["read-production"]["environment"],
            "production"
        );
        assert_eq!(
            environment_subject("octo/app", "production"),
            "repo:octo/app:environment:production"
        );
    }
}
