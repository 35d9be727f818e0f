//! The `skill` binary: parses the command line, sets up logging, maps errors to exit statuses.

use std::io::IsTerminal;
use std::process::ExitCode;

use tracing_subscriber::EnvFilter;
use tracing_subscriber::filter::LevelFilter;

fn main() -> ExitCode {
    skill::heap::configure();
    let head_start = skill::cli::head_start();
    let cli = skill::cli::parse();
    init_tracing(cli.verbose);
    match skill::cli::main_with(cli, head_start) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            skill::cli::report(&error);
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
    let subscriber = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_target(false)
        .without_time();
    // `RUST_LOG` directives are parsed with regular expressions; a plain level
    // costs nothing at start-up, which every command pays.
    match std::env::var_os(EnvFilter::DEFAULT_ENV) {
        Some(_) => {
            let filter = EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| EnvFilter::default().add_directive(level.into()));
            subscriber.with_env_filter(filter).init();
        }
        None => subscriber.with_max_level(level).init(),
    }
}
