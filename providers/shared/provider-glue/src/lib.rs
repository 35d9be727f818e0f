//! What every secret-store plugin shares (the cloud providers, and
//! vault-config for its Kubernetes and CI delivery), in plain Rust that
//! knows nothing of the plugin kit: the names Kubernetes, GitHub and GitLab
//! accept, commands as argument lists quoted for a POSIX shell, YAML from a
//! serializer, Terraform from `hcl-rs`, External Secrets Operator manifests,
//! a GitHub Actions job and a GitLab CI job that log in by OIDC, and CEL
//! string literals for conditions. A provider adds its own naming rules and
//! documents.
//!
//! Every value that reaches a manifest or a command is checked here or by
//! the provider before any text is built, and text is only ever produced by
//! a serializer (YAML, JSON, HCL), by [`shell::quote`] or by [`cel::string`].

pub mod cel;
pub mod error;
pub mod eso;
pub mod files;
pub mod github;
pub mod gitlab;
pub mod k8s;
pub mod list;
pub mod output;
pub mod shell;
pub mod terraform;
#[cfg(feature = "testing")]
pub mod testing;
pub mod time;
pub mod yaml;

pub use error::InputError;
