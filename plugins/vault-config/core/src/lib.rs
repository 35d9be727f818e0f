//! Vault/OpenBao access configuration, as plain Rust.
//!
//! [`generate`] turns a [`Request`] (an app, its auth method, secret types and
//! environments) into least-privilege policies, auth roles, commands for
//! `vault` and `bao`, and Terraform. Every name is validated before it reaches
//! a path, and policies come from a serializer over a typed model.
//! [`lint::lint`] reads existing policies as the server does (HCL v1 or JSON,
//! [`hcl1`] and [`parse`]), reports what the server would refuse with line
//! and column, and flags risky grants with a severity and a fix. This crate knows nothing of
//! WIT or the plugin kit; the `vault-config` plugin exports it.

mod auth;
mod ci;
mod ci_jobs;
mod config;
mod error;
mod gostd;
mod gotemplate;
pub mod hcl1;
mod kubernetes;
pub mod lint;
pub mod names;
mod output;
pub mod parse;
mod policy;
mod render;
mod request;
pub mod role_lint;
mod secrets;
mod shell;
mod terraform;
pub mod values;

pub use error::InputError;
pub use output::{Config, Engine, EnvironmentConfig, OutputFile, PathGrant, Role, SecretRead};
pub use policy::{Capability, Flavour};
pub use render::{render_markdown, render_text};
pub use request::{
    AppRoleOptions, AuthMethod, CiProvider, ExtraPath, GitlabRefType, JwtOptions, Mounts,
    OidcOptions, Request, SecretType, TerraformRunPhase,
};
pub use shell::{CommandLine, quote as shell_quote};

/// The access configuration for `request`, with its summary report.
pub fn generate(request: &Request) -> Result<Config, InputError> {
    let mut config = config::build(request)?;
    config.report = render::report(&config);
    Ok(config)
}
