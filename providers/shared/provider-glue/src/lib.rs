//! What every cloud secret-store provider plugin shares, in plain Rust that
//! knows nothing of the plugin kit: the names Kubernetes and GitHub accept,
//! commands as argument lists quoted for a POSIX shell, YAML from a
//! serializer, External Secrets Operator manifests, a GitHub Actions job
//! that logs in by OIDC, Terraform blocks and names, and the checks on the
//! lists a request names. A provider adds its own naming rules and documents.
//!
//! Every value that reaches a manifest or a command is checked here or by
//! the provider before any text is built, and text is only ever produced by
//! a serializer (YAML, JSON, HCL) or by [`shell::quote`].

pub mod checks;
pub mod error;
pub mod eso;
pub mod files;
pub mod github;
pub mod k8s;
pub mod shell;
pub mod terraform;
#[cfg(feature = "testing")]
pub mod testing;
pub mod yaml;

pub use error::InputError;
