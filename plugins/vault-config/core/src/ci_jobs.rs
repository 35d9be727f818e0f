//! CI jobs that log in with the job's own OIDC token to a JWT role and read
//! the environment's secrets, one job per environment:
//!
//! - **GitHub Actions**: `hashicorp/vault-action` (v3.4.0: `method: jwt`, the
//!   role, the mount as `path`, the role's audience as `jwtGithubAudience`),
//!   each secret read with the `*` selector into `<NAME>_<KEY>` variables
//!   (upper-cased; the action caches a path's response, so a lease's
//!   username and password come from one read);
//! - **GitLab CI**: an `id_tokens:` token for the role's audience, `vault
//!   write auth/<mount>/login` with it, then each secret's `.data` as JSON in
//!   `SECRET_<NAME>` (for KV v2 the values are under its `data` key).
//!
//! The workflow runs on pushes to the ref the role binds (and by hand); the
//! pipeline's jobs run only for it. Every value is checked (refs, names,
//! paths) and reaches YAML through the serializer, shell lines through
//! [`provider_glue::shell`].

use provider_glue::gitlab;
use provider_glue::shell::{self, VariableName, Word};
use serde_json::{Value, json};

use crate::output::{OutputFile, SecretRead};
use crate::policy::Flavour;

/// The vault-action release the workflow pins.
const VAULT_ACTION: &str = "hashicorp/vault-action@v3.4.0";

/// One environment's role and what it reads.
pub(crate) struct Environment<'a> {
    pub name: &'a str,
    pub role: &'a str,
    pub reads: &'a [SecretRead],
}

/// Who may log in, and where.
pub(crate) struct Login<'a> {
    pub app: &'a str,
    pub flavour: Flavour,
    pub auth_mount: &'a str,
    pub audience: &'a str,
    pub address: Option<&'a str>,
}

/// A GitHub workflow for pushes to `git_ref` (a checked `refs/heads/…` or `refs/tags/…`).
pub(crate) fn github_workflow(
    login: &Login<'_>,
    git_ref: &str,
    envs: &[Environment<'_>],
) -> OutputFile {
    let url = login.address.unwrap_or("${{ secrets.VAULT_ADDR }}");
    let jobs = envs
        .iter()
        .zip(job_ids(envs))
        .map(|(env, id)| {
            let secrets: String = env
                .reads
                .iter()
                .map(|read| format!("{} * | {}_ ;\n", read.path, upper(read.name)))
                .collect();
            let step = json!({
                "name": format!("Read {}'s {} secrets", login.app, env.name),
                "uses": VAULT_ACTION,
                "with": {
                    "url": url,
                    "method": "jwt",
                    "path": login.auth_mount,
                    "role": env.role,
                    "jwtGithubAudience": login.audience,
                    "secrets": secrets,
                },
            });
            (id, vec![step])
        })
        .collect();
    let workflow = provider_glue::github::oidc_workflow(
        &format!("{} secrets from {}", login.app, login.flavour.as_str()),
        git_ref,
        jobs,
    );
    OutputFile {
        path: provider_glue::github::WORKFLOW_FILE.into(),
        content: provider_glue::yaml::documents(&[workflow]),
    }
}

/// A GitLab pipeline whose jobs run for `git_ref` only.
pub(crate) fn gitlab_pipeline(
    login: &Login<'_>,
    git_ref: gitlab::Ref<'_>,
    envs: &[Environment<'_>],
) -> OutputFile {
    let cli = login.flavour.cli();
    let jobs = envs
        .iter()
        .zip(job_ids(envs))
        .map(|(env, id)| {
            let token = VariableName::fixed("VAULT_TOKEN");
            let mut script = vec![
                shell::capture(
                    &token,
                    &[
                        Word::arg(cli),
                        Word::arg("write"),
                        Word::arg("-field=token"),
                        Word::arg(format!("auth/{}/login", login.auth_mount)),
                        Word::arg(format!("role={}", env.role)),
                        Word::Fixed("jwt=\"$GITLAB_OIDC_TOKEN\""),
                    ],
                ),
                shell::export(&token),
            ];
            for read in env.reads {
                let variable = VariableName::for_secret(read.name);
                script.push(shell::capture(
                    &variable,
                    &shell::args(&[cli, "read", "-format=json", "-field=data", &read.path]),
                ));
                script.push(shell::export(&variable));
            }
            gitlab::Job {
                name: id,
                image: image(login.flavour),
                // The image's entrypoint is its server script; the job runs a shell.
                entrypoint: Some(&[""]),
                audience: login.audience.to_owned(),
                script,
            }
        })
        .collect();
    let mut pipeline = gitlab::pipeline(git_ref, jobs);
    if let (Some(address), Value::Object(jobs)) = (login.address, &mut pipeline) {
        for job in jobs.values_mut() {
            job["variables"] = json!({ "VAULT_ADDR": address });
        }
    }
    OutputFile {
        path: gitlab::FILE.into(),
        content: provider_glue::yaml::documents(&[pipeline]),
    }
}

/// The image whose CLI the GitLab jobs run (both CLIs read `VAULT_ADDR` and `VAULT_TOKEN`).
fn image(flavour: Flavour) -> &'static str {
    match flavour {
        Flavour::Vault => "hashicorp/vault:1.21.1",
        Flavour::Openbao => "openbao/openbao:2.5.4",
    }
}

/// Job ids both CIs accept (`[A-Za-z_][A-Za-z0-9_-]*`, the shape of a
/// Terraform name): `secrets-<env>`, other characters as `_`, numbered when
/// two environments would share one.
fn job_ids(envs: &[Environment<'_>]) -> Vec<String> {
    let mut names = provider_glue::terraform::Names::default();
    envs.iter()
        .map(|env| names.unique(&format!("secrets-{}", env.name)))
        .collect()
}

/// `db-readonly` → `DB_READONLY`.
fn upper(name: &str) -> String {
    name.to_ascii_uppercase().replace('-', "_")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn job_ids_are_valid_and_distinct() {
        let env = |name| Environment {
            name,
            role: "r",
            reads: &[],
        };
        let envs = [env("prod"), env("eu.prod"), env("eu_prod")];
        assert_eq!(
            job_ids(&envs),
            ["secrets-prod", "secrets-eu_prod", "secrets-eu_prod_2"]
        );
    }
}
