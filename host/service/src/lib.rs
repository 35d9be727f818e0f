//! The `skill` host: runs agent tools as sandboxed WebAssembly components.
//!
//! One service ([`service::Service`]) finds a tool, grants it the files named
//! in its input, validates the input, runs the tool in the sandbox, validates
//! the output and hands it back; the command line ([`cli`]) is a face over it.
//!
//! Modules, each with one job:
//! - [`sandbox`]: the wasmtime engine, per-call limits and the host imports;
//! - [`cache`]: precompiled components on disk, keyed by content and engine;
//! - [`contract`]: which plugin contract versions this host runs;
//! - [`catalog`]: first-party and installed plugins, and their tools;
//! - [`install`]: installing, pinning and verifying third-party plugins;
//! - [`schema`]: JSON Schema validation and the annotations the host acts on;
//! - [`document`]: plugin outputs read in place, for validation without a `Value` tree;
//! - [`files`]: writing the files a tool produces, safely, where the user asked;
//! - [`service`]: one tool call from input to validated output;
//! - [`parallel`]: one call over a large input on all cores, for mergeable tools;
//! - [`threads`]: the one helper thread, beside the main one on another core;
//! - [`agents`]: installing the skill and `skill mcp` into coding agents;
//! - [`heap`]: the C allocator tuned for one call on a few threads;
//! - [`cli`]: the command line, including flags made from input schemas;
//! - [`mcp`]: `skill mcp`, the same tools over the Model Context Protocol.

pub mod agents;
pub mod cache;
pub mod catalog;
pub mod cli;
pub mod contract;
pub mod document;
pub mod error;
pub mod files;
pub mod heap;
pub mod install;
pub mod limits;
pub mod mcp;
pub mod parallel;
pub mod paths;
pub mod sandbox;
pub mod schema;
pub mod service;
pub mod threads;

pub use error::{Error, Result};
