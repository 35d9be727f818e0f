//! The `skill` binary: parses the command line, sets up logging, maps errors to exit statuses.

use std::io::IsTerminal;
use std::process::ExitCode;

use tracing_subscriber::EnvFilter;

fn main() -> ExitCode {
    let cli = skill::cli::parse();
    init_tracing(cli.verbose);
    match skill::cli::main_with(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            skill::cli::report(&error);
            ExitCode::from(error.exit_code())
        }
    }
}

fn init_tracing(verbose: u8) {
    let default = match verbose {
        0 => "warn",
        1 => "info",
        2 => "debug",
        _ => "trace",
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_target(false)
        .without_time()
        .init();
}
