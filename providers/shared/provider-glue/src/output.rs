//! What every provider returns: per environment its own configuration, the
//! CI pipelines and the Terraform for all of them, warnings, and the files
//! `--out DIR` writes.

use schemars::JsonSchema;
use serde::Serialize;
use skill_pdk::OutputFiles;
use skill_pdk::untrusted::one_line;

use crate::files::{self, File};
use crate::shell::CommandLine;

/// A provider's configuration for an app, with `E` per environment.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Config<E> {
    /// The app, as given.
    pub app: String,
    /// One entry per requested environment, in the order given.
    pub environments: Vec<E>,
    /// A GitHub Actions workflow (YAML) with one job per environment that
    /// logs in by OIDC and reads the environment's secrets, when `github` was given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub github_workflow: Option<String>,
    /// A GitLab CI pipeline (YAML) with one job per environment that gets an
    /// ID token (`id_tokens:`), logs in with it and reads the environment's
    /// secrets, when `gitlab` was given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gitlab_ci: Option<String>,
    /// Terraform for all of it (`main.tf`).
    pub terraform: String,
    /// Things to know before applying.
    pub warnings: Vec<String>,
}

/// The files of one environment (documents its commands read, manifests).
pub trait EnvironmentFiles {
    fn files(&self, app: &str) -> Vec<File>;
}

/// The file name of the GitHub Actions workflow.
pub const WORKFLOW_FILE: &str = "github-workflow.yml";

impl<E: EnvironmentFiles> Config<E> {
    /// Every environment's files, then the workflow, the pipeline and `main.tf`.
    pub fn files(&self) -> Vec<File> {
        let mut files: Vec<File> = self
            .environments
            .iter()
            .flat_map(|env| env.files(&self.app))
            .collect();
        for (path, text) in [
            (WORKFLOW_FILE, &self.github_workflow),
            (crate::gitlab::FILE, &self.gitlab_ci),
        ] {
            if let Some(text) = text {
                files.push(File::new(path, text.as_str()));
            }
        }
        files.push(File::new("main.tf", self.terraform.as_str()));
        files
    }
}

impl<E> Config<E> {
    /// The warnings as a person reads them, one line each.
    pub fn warnings_text(&self) -> String {
        self.warnings
            .iter()
            .map(|warning| format!("warning: {}\n", one_line(warning)))
            .collect()
    }
}

/// Commands as a person reads them: their shell text, one line each.
pub fn commands_text(commands: &[CommandLine]) -> String {
    commands
        .iter()
        .map(|command| format!("{}\n", one_line(&command.shell)))
        .collect()
}

/// The tool's output: the configuration, and the files `--out DIR` writes.
#[derive(Serialize, JsonSchema)]
pub struct Output<E> {
    #[serde(flatten)]
    pub config: Config<E>,
    /// The files `--out DIR` writes: per environment the documents the
    /// commands read and the Kubernetes manifests, then `github-workflow.yml`,
    /// `gitlab-ci.yml` and `main.tf`. Run the commands where they are written.
    pub files: OutputFiles,
}

impl<E: EnvironmentFiles> Output<E> {
    pub fn new(config: Config<E>) -> Self {
        let files = files::output(config.files());
        Self { config, files }
    }
}
