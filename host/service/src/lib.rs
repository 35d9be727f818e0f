//! The service behind both faces of `skill` (the command line and MCP).
//!
//! One [`Service`] finds a tool, grants it the files named in its input,
//! validates the input, runs the tool in the sandbox of [`skill_runtime`],
//! validates the output and hands it back. The faces translate; they never
//! build a sandbox, a cache or limits of their own.
//!
//! Modules, each with one job:
//! - [`catalog`]: first-party and installed plugins, and their tools;
//! - [`manifest`]: what a plugin's manifest must be to be served;
//! - [`install`]: installing, pinning and verifying third-party plugins;
//! - [`review`]: what installing a plugin would change, for the preview;
//! - [`guidance`]: the guidance for agents a plugin ships;
//! - [`signature`] and [`trust`]: minisign signatures and the keys trusted to make them;
//! - [`oci`]: pulling plugins from and pushing them to OCI registries;
//! - [`schema`]: JSON Schema validation and the annotations the host acts on;
//! - [`files`]: writing the files a tool produces, safely, where the user asked;
//! - [`parallel`]: cutting a large input into parts for mergeable tools;
//! - [`paths`]: where plugins and caches live;
//! - [`read`]: reading what the user hands the host, regular files only and capped;
//! - `service`: one tool call from input to validated output.

pub mod catalog;
mod error;
pub mod files;
pub mod guidance;
pub mod install;
pub mod manifest;
pub mod oci;
pub mod parallel;
pub mod paths;
pub mod read;
pub mod review;
pub mod schema;
mod service;
pub mod signature;
pub mod trust;

pub use error::{Error, InputProblem, LimitKind, Result};
pub use paths::Paths;
pub use service::{Call, Outcome, Service, Settings, today_utc};
pub use skill_runtime::{CancellationToken, Limits, Manifest, Progress, ProgressFn, ToolSpec};
