//! The `skill` binary: two faces over one service, the command line ([`cli`])
//! and the MCP server ([`mcp`]), and putting both into coding agents
//! ([`agents`]). Parses the command line, sets up logging, maps errors to exit
//! statuses.

mod agents;
mod cli;
mod mcp;

use std::process::ExitCode;

use tracing_subscriber::EnvFilter;
use tracing_subscriber::filter::LevelFilter;

pub(crate) use skill_service::{Error, Result};

fn main() -> ExitCode {
    let cli = cli::parse();
    init_tracing(cli.verbose);
    match cli::main_with(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            cli::report(&error);
            ExitCode::from(error.exit_code())
        }
    }
}

fn init_tracing(verbose: u8) {
    let level = match verbose {
        0 => LevelFilter::WARN,
        1 => LevelFilter::INFO,
        2 => LevelFilter::DEBUG,
        _ => LevelFilter::TRACE,
    };
    let filter = EnvFilter::builder()
        .with_default_directive(level.into())
        .from_env_lossy();
    // No colours: the writer escapes every control character an event holds,
    // the formatter's own escape sequences as much as a plugin's.
    tracing_subscriber::fmt()
        .with_writer(|| cli::EscapedStderr)
        .with_ansi(false)
        .with_target(false)
        .without_time()
        .with_env_filter(filter)
        .init();
}
