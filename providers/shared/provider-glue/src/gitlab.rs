//! GitLab CI: the project and ref a cloud trusts, the claims GitLab's ID
//! tokens carry for them, and a `.gitlab-ci.yml` whose jobs get an ID token
//! with `id_tokens:` (one audience per cloud) and log in with it.
//!
//! Source: GitLab's docs `ci/cloud_services/_index.md` and
//! `ci/secrets/id_token_authentication.md`: the issuer of GitLab.com's tokens
//! is `https://gitlab.com`; `sub` is
//! `project_path:{group}/{project}:ref_type:{branch|tag}:ref:{name}`; the
//! claims `project_path`, `ref_type` and `ref` carry the same parts (`ref` is
//! the bare branch or tag name). Project paths (`lib/gitlab/path_regex.rb`):
//! letters, digits, '_', '-', '.'; not starting with '-', not ending in '.',
//! `.git` or `.atom`. Narrower here: each segment starts with a letter, digit
//! or '_', and `..` is refused, so no path can read as another or as a glob.

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::error::{InputError, shown};
use crate::github;

/// A GitLab.com project and the one ref whose CI jobs may read the secrets.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProjectRef {
    /// The project's full path, `group[/subgroup]/project`.
    pub project: String,
    /// `refs/heads/<branch>` or `refs/tags/<tag>`: the token's `sub` must be
    /// `project_path:<project>:ref_type:<branch|tag>:ref:<name>`.
    #[serde(rename = "ref")]
    pub git_ref: String,
}

impl ProjectRef {
    /// Checks both parts, at `prefix` (`/gitlab`); returns the ref's claims.
    pub fn check(&self, prefix: &str) -> Result<Ref<'_>, InputError> {
        check_project_path(&format!("{prefix}/project"), &self.project)?;
        check_ref(&format!("{prefix}/ref"), &self.git_ref)
    }
}

/// The issuer of GitLab.com's ID tokens.
pub const ISSUER: &str = "https://gitlab.com";
/// The issuer without its scheme (how AWS names the OIDC provider and its keys).
pub const ISSUER_HOST: &str = "gitlab.com";
/// The CI/CD variable the job's ID token is put in.
pub const TOKEN_VARIABLE: &str = "GITLAB_OIDC_TOKEN";
/// The file name providers write the pipeline to.
pub const FILE: &str = "gitlab-ci.yml";

/// Most segments of a project path: GitLab nests at most 20 subgroups.
const MOST_SEGMENTS: usize = 21;

/// A project's full path, `group[/subgroup…]/project`.
pub fn check_project_path(field: &str, text: &str) -> Result<(), InputError> {
    let segment_ok = |segment: &str| {
        (1..=255).contains(&segment.len())
            && segment.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
            && !segment.ends_with('.')
            && !segment.ends_with(".git")
            && !segment.ends_with(".atom")
            && !segment.contains("..")
            && segment
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
    };
    let segments: Vec<&str> = text.split('/').collect();
    if text.len() <= 255
        && (2..=MOST_SEGMENTS).contains(&segments.len())
        && segments.iter().all(|s| segment_ok(s))
    {
        return Ok(());
    }
    Err(InputError::new(
        field,
        format!(
            "`{}` is not a GitLab project path `group/project` (letters, digits, '_', '-', '.'; \
             each part starting with a letter, digit or '_')",
            shown(text)
        ),
    ))
}

/// A branch or tag as GitLab's claims carry it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ref<'a> {
    /// `branch` or `tag`: the `ref_type` claim.
    pub ref_type: &'static str,
    /// The bare name: the `ref` claim.
    pub name: &'a str,
}

/// The claims for `git_ref`, `refs/heads/<branch>` or `refs/tags/<tag>`,
/// checked as GitHub's refs are (the same Git rules, matched literally).
pub fn check_ref<'a>(field: &str, git_ref: &'a str) -> Result<Ref<'a>, InputError> {
    github::check_git_ref(field, git_ref)?;
    Ok(match git_ref.strip_prefix("refs/tags/") {
        Some(name) => Ref {
            ref_type: "tag",
            name,
        },
        None => Ref {
            ref_type: "branch",
            name: git_ref.trim_start_matches("refs/heads/"),
        },
    })
}

/// The `sub` claim of a token for a job of `project_path` at `git_ref` (both checked).
pub fn subject(project_path: &str, git_ref: Ref<'_>) -> String {
    format!(
        "project_path:{project_path}:ref_type:{}:ref:{}",
        git_ref.ref_type, git_ref.name
    )
}

/// One job: it gets an ID token for `audience` in [`TOKEN_VARIABLE`], runs
/// in `image` with an optional entrypoint override, and runs `script`.
pub struct Job {
    pub name: String,
    pub image: &'static str,
    /// `Some(&[""])` clears the image's entrypoint (images whose entrypoint is
    /// their CLI, like the AWS CLI's, need it for a shell to run the script).
    pub entrypoint: Option<&'static [&'static str]>,
    pub audience: String,
    /// Shell lines built with [`crate::shell`].
    pub script: Vec<String>,
}

/// A pipeline whose jobs run only for pushes to `git_ref` (the ref the cloud
/// trusts; on any other the token exchange would be refused).
pub fn pipeline(git_ref: Ref<'_>, jobs: Vec<Job>) -> Value {
    // The ref is checked: letters, digits, '.', '_', '-', '/' only, so it
    // cannot end the quoted string of GitLab's rules expression.
    let rule = match git_ref.ref_type {
        "tag" => format!("$CI_COMMIT_TAG == \"{}\"", git_ref.name),
        _ => format!("$CI_COMMIT_BRANCH == \"{}\"", git_ref.name),
    };
    let mut pipeline = Map::new();
    for job in jobs {
        let image = match job.entrypoint {
            Some(entrypoint) => json!({ "name": job.image, "entrypoint": entrypoint }),
            None => json!(job.image),
        };
        let mut tokens = Map::new();
        tokens.insert(TOKEN_VARIABLE.to_owned(), json!({ "aud": job.audience }));
        pipeline.insert(
            job.name,
            json!({
                "image": image,
                "id_tokens": tokens,
                "rules": [{ "if": rule }],
                "script": job.script,
            }),
        );
    }
    Value::Object(pipeline)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn project_paths_admit_no_separator_glob_or_traversal() {
        for good in ["group/project", "g_1/sub.group/my-app", "_x/y"] {
            assert!(check_project_path("/p", good).is_ok(), "{good}");
        }
        for bad in [
            "project",
            "group/",
            "/project",
            "group//project",
            "group/-x",
            "group/x.git",
            "group/x.",
            "group/.x",
            "group/a..b",
            "group/*",
            "gr:oup/x",
            "group/x y",
            "group/x\n",
        ] {
            assert!(check_project_path("/p", bad).is_err(), "{bad}");
        }
        let deep = vec!["g"; MOST_SEGMENTS + 1].join("/");
        assert!(check_project_path("/p", &deep).is_err());
    }

    #[test]
    fn refs_become_gitlab_claims() {
        let branch = check_ref("/r", "refs/heads/release/1.2").unwrap();
        assert_eq!(
            subject("g/p", branch),
            "project_path:g/p:ref_type:branch:ref:release/1.2"
        );
        let tag = check_ref("/r", "refs/tags/v1").unwrap();
        assert_eq!(tag.ref_type, "tag");
        assert!(check_ref("/r", "main").is_err());
        let pipeline = pipeline(
            tag,
            vec![Job {
                name: "read".into(),
                image: "alpine",
                entrypoint: Some(&[""]),
                audience: "aud".into(),
                script: vec!["true".into()],
            }],
        );
        assert_eq!(
            pipeline["read"]["rules"][0]["if"],
            "$CI_COMMIT_TAG == \"v1\""
        );
        assert_eq!(pipeline["read"]["id_tokens"][TOKEN_VARIABLE]["aud"], "aud");
        assert_eq!(pipeline["read"]["image"]["entrypoint"], json!([""]));
    }
}
