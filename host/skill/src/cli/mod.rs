//! The command line: `skill list|schema|run|plugin`.
//!
//! Results go to stdout, diagnostics to stderr. Exit status: 0 success, 1 the
//! tool failed, 2 bad usage or input that violates the schema.

mod display;
mod flags;
mod new;
mod plugin;
mod progress;
mod review;
mod source;
mod trust;

use std::io::{IsTerminal, Write};
use std::time::Duration;

use clap::{Args, Command, FromArgMatches, Parser, Subcommand, ValueEnum};
use serde_json::{Map, Value, json};
use skill_service::read::{self, MAX_INPUT_BYTES};
use skill_service::{Call, Limits, Paths, Service, Settings};

pub use display::EscapedStderr;

use crate::{Error, Result};

#[derive(Debug, Parser)]
#[command(
    name = "skill",
    version,
    about = "Run agent skills as sandboxed WebAssembly plugins.",
    after_help = "Examples:\n  skill list\n  skill run rotation-planner --inventory examples/inventory.json --policy 30d --as-of 2026-06-01\n  skill run rotation-planner --help\n  skill schema rotation-planner --output\n  skill plugin install ./my-plugin.wasm\n\nFiles: SKILL_HOME (default: the user data and cache directories) holds installed plugins and compiled code."
)]
pub struct Cli {
    /// More diagnostics on stderr (-v info, -vv debug, -vvv trace); RUST_LOG overrides.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,

    #[command(flatten)]
    call: CallArgs,

    #[command(subcommand)]
    command: Commands,
}

/// Options of every tool call: the sandbox's limits and the parallelism of a
/// large input. Given before `run` or after the tool's name, beside its flags;
/// unset, each takes its default from [`Limits::default`].
#[derive(Debug, Clone, Default, Args)]
struct CallArgs {
    #[arg(long, global = true, value_name = "MIB", value_parser = clap::value_parser!(u64).range(16..=65536),
          help = with_default("Memory a plugin may use in one call, all its memories together, in MiB", Limits::default().memory_bytes >> 20))]
    max_memory: Option<u64>,
    #[arg(long, global = true, value_name = "SECONDS",
          help = with_default("Wall-clock time one call may take, in seconds, host calls included", Limits::default().timeout.as_secs()))]
    timeout: Option<f64>,
    #[arg(long, global = true, value_name = "KIB", value_parser = clap::value_parser!(u64).range(64..=8192),
          help = with_default("The plugin's wasm stack, in KiB", Limits::default().stack_bytes >> 10))]
    max_stack: Option<u64>,
    #[arg(long, global = true, value_name = "MIB", value_parser = clap::value_parser!(u64).range(1..=4096),
          help = with_default("Output one call may return, in MiB", Limits::default().output_bytes >> 20))]
    max_output: Option<u64>,
    /// Sandboxes one call may run at once to read a large input (default: the
    /// number of cores; 1 reads it in one pass). Only tools that can merge partial
    /// results use more than one, and the result is the same either way.
    #[arg(long, global = true, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=256))]
    jobs: Option<u16>,
    /// Serve this plugin file (.wasm) too, for this command only, without
    /// installing it: same sandbox, same limits, same checks. Repeatable; it
    /// stands in for an installed plugin of the same name.
    #[arg(long = "plugin", global = true, value_name = "FILE.wasm")]
    plugins: Vec<std::path::PathBuf>,
}

/// A call option's help, with its default.
fn with_default(help: &str, default: impl std::fmt::Display) -> String {
    format!("{help} [default: {default}]")
}

impl CallArgs {
    /// These options, with those given `earlier` where these leave one unset.
    fn or(self, earlier: CallArgs) -> CallArgs {
        CallArgs {
            max_memory: self.max_memory.or(earlier.max_memory),
            timeout: self.timeout.or(earlier.timeout),
            max_stack: self.max_stack.or(earlier.max_stack),
            max_output: self.max_output.or(earlier.max_output),
            jobs: self.jobs.or(earlier.jobs),
            plugins: [earlier.plugins, self.plugins].concat(),
        }
    }

    fn settings(&self, paths: Paths) -> Result<Settings> {
        let mut limits = Limits::default();
        if let Some(timeout) = self.timeout {
            if !(timeout.is_finite() && timeout > 0.0 && timeout <= 86_400.0) {
                return Err(Error::Usage(format!(
                    "--timeout must be between 0 and 86400 seconds, not {timeout}"
                )));
            }
            limits.timeout = Duration::from_secs_f64(timeout);
        }
        if let Some(mib) = self.max_memory {
            limits.memory_bytes = mib << 20;
        }
        if let Some(kib) = self.max_stack {
            limits.stack_bytes = (kib << 10) as usize;
        }
        if let Some(mib) = self.max_output {
            limits.output_bytes = (mib << 20) as usize;
        }
        Ok(Settings {
            paths,
            limits,
            jobs: self.jobs.map(usize::from),
            dev_plugins: self.plugins.clone(),
        })
    }

    /// Takes the call options out of a tool's arguments (`--timeout 5`,
    /// `--jobs=2`): what the service is opened with must be known before the
    /// tool's flags can be read, which needs its schema from the service.
    fn split_from(args: Vec<String>) -> Result<(CallArgs, Vec<String>)> {
        let command = CallArgs::augment_args(
            Command::new("skill run")
                .no_binary_name(true)
                .args_override_self(true),
        );
        let takes: Vec<String> = command
            .get_arguments()
            .filter_map(|arg| arg.get_long().map(|long| format!("--{long}")))
            .collect();
        let (mut call, mut rest) = (Vec::new(), Vec::new());
        let mut args = args.into_iter();
        while let Some(arg) = args.next() {
            let name = arg.split_once('=').map_or(arg.as_str(), |(name, _)| name);
            if !takes.iter().any(|long| long == name) {
                rest.push(arg);
                continue;
            }
            let has_value = arg.contains('=');
            call.push(arg);
            if !has_value && let Some(value) = args.next() {
                call.push(value);
            }
        }
        let matches = command
            .try_get_matches_from(call)
            .unwrap_or_else(|error| clap_exit(error));
        let parsed = CallArgs::from_arg_matches(&matches)
            .map_err(|error| Error::Usage(error.to_string()))?;
        Ok((parsed, rest))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ListFormat {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
enum Commands {
    /// List every tool of every plugin.
    List {
        #[arg(long, value_enum, default_value_t = ListFormat::Text)]
        format: ListFormat,
    },
    /// Print a tool's input JSON Schema (or its output schema with --output).
    Schema {
        tool: String,
        /// The output schema instead of the input schema.
        #[arg(long)]
        output: bool,
    },
    /// Run a tool. `skill run <tool> --help` lists its flags.
    #[command(disable_help_flag = true)]
    Run {
        /// The tool to run (see `skill list`); `skill run --help` lists them.
        #[arg(allow_hyphen_values = true)]
        tool: Option<String>,
        /// --input JSON|@FILE|-, --format FORMAT and the tool's own flags.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true, num_args = 0..)]
        args: Vec<String>,
    },
    /// Put the skill and `skill mcp` into a coding agent (Claude Code, Codex).
    Install(crate::agents::Options),
    /// Take the skill and `skill mcp` out of a coding agent again.
    Uninstall(crate::agents::Options),
    /// Write a new plugin crate; install, list, verify or remove third-party plugins.
    #[command(subcommand)]
    Plugin(new::PluginCommands),
    /// Serve every tool to an agent over MCP on stdin/stdout.
    Mcp,
}

/// Runs a parsed command line.
pub fn main_with(cli: Cli) -> Result<()> {
    let (call_args, command) = match cli.command {
        Commands::Install(options) => return agent_install(&options, true),
        Commands::Uninstall(options) => return agent_install(&options, false),
        Commands::Plugin(new::PluginCommands::New(args)) => return new::run(args),
        Commands::Run {
            tool: Some(tool),
            args,
        } if !matches!(tool.as_str(), "--help" | "-h") => {
            let (after, args) = CallArgs::split_from(args)?;
            (
                after.or(cli.call),
                Commands::Run {
                    tool: Some(tool),
                    args,
                },
            )
        }
        command => (cli.call, command),
    };
    let service = Service::open(call_args.settings(Paths::from_env()?)?)?;
    match command {
        Commands::List { format } => list(&service, format),
        Commands::Schema { tool, output } => {
            let tool = service.catalog.get(&tool)?;
            let text = if output {
                &tool.spec.output_schema
            } else {
                &tool.spec.input_schema
            };
            let schema: Value =
                serde_json::from_str(text).map_err(|e| Error::Usage(e.to_string()))?;
            print_line(&pretty(&schema))
        }
        Commands::Run {
            tool: Some(tool),
            args,
        } if !matches!(tool.as_str(), "--help" | "-h") => run(&service, &tool, args),
        Commands::Run { .. } => print_stdout(&run_overview(&service)),
        Commands::Plugin(new::PluginCommands::Installed(command)) => plugin::run(&service, command),
        Commands::Install(_)
        | Commands::Uninstall(_)
        | Commands::Plugin(new::PluginCommands::New(_)) => {
            unreachable!("handled before the service starts")
        }
        Commands::Mcp => crate::mcp::serve(service),
    }
}

/// `skill run --help`: how to call a tool, the call options, and the tools.
fn run_overview(service: &Service) -> String {
    let options = CallArgs::augment_args(Command::new("options"))
        .disable_help_flag(true)
        .help_template("{options}")
        .render_help()
        .to_string();
    let mut out = String::from(
        "Run a tool, with flags made from its input schema.\n\n\
         Usage: skill run <TOOL> [--input JSON|@FILE|-] [--<field> VALUE]... [--format FORMAT] [CALL OPTIONS]\n\n\
         `skill run <TOOL> --help` lists a tool's flags.\n\nCall options (before `run` or after the tool's name):\n",
    );
    out.push_str(&options);
    out.push_str("\nTools:\n");
    let catalog = &service.catalog;
    let tools: Vec<_> = catalog
        .tools()
        .into_iter()
        .map(|tool| (catalog.address(&tool), tool))
        .collect();
    let width = tools.iter().map(|(name, _)| name.len()).max().unwrap_or(0);
    for (name, tool) in &tools {
        out.push_str(&format!("  {name:width$}  {}\n", tool.spec.summary));
    }
    display::displayable(&out).into_owned()
}

/// Writes the error that ends the command to stderr: the program's answer, not
/// a log line. It quotes a plugin's messages, pointers and panic text, which
/// may run over several lines: every line after the first is indented (the
/// host's own lists already are), so that none passes for a line of the
/// program's own (`error: …`, `wrote …`).
pub fn report(error: &Error) {
    let text = format!("error: {error}");
    let mut lines = text.split('\n');
    let mut out = lines.next().unwrap_or_default().to_owned();
    for line in lines {
        out.push('\n');
        if !line.starts_with([' ', '\t']) {
            out.push_str("  ");
        }
        out.push_str(line);
    }
    out.push('\n');
    let _ = std::io::stderr().write_all(display::displayable(&out).as_bytes());
}

/// Ends the process as clap would for `error` (help, or bad usage), with its
/// text escaped: a tool's help and clap's errors quote a plugin's descriptions
/// and format names.
fn clap_exit(error: clap::Error) -> ! {
    let text = error.render().to_string();
    let text = display::displayable(&text);
    if error.use_stderr() {
        let _ = std::io::stderr().write_all(text.as_bytes());
    } else {
        let _ = print_stdout(&text);
    }
    std::process::exit(error.exit_code())
}

/// `skill install|uninstall --agent ...`.
fn agent_install(options: &crate::agents::Options, install: bool) -> Result<()> {
    let home = dirs::home_dir()
        .ok_or_else(|| Error::Usage("cannot find the home directory".to_owned()))?;
    let project =
        std::env::current_dir().map_err(|e| Error::io("cannot read the current directory", e))?;
    let binary =
        std::env::current_exe().map_err(|e| Error::io("cannot find this program's path", e))?;
    // Guidance of installed plugins, where there is a plugin folder to read.
    let installed = match Paths::from_env() {
        Ok(paths) => skill_service::install::guidance(&paths.plugins)?,
        Err(_) => Vec::new(),
    };
    let guides: Vec<crate::agents::Guide> = installed
        .into_iter()
        .map(|(record, text)| crate::agents::Guide {
            plugin: record.name,
            version: record.version,
            tools: record.tools,
            text,
        })
        .collect();
    print_stdout(&crate::agents::run(
        options, install, &home, &project, &binary, &guides,
    )?)
}

fn list(service: &Service, format: ListFormat) -> Result<()> {
    let catalog = &service.catalog;
    let tools = catalog.tools();
    match format {
        ListFormat::Json => {
            let list: Vec<Value> = tools
                .iter()
                .map(|t| {
                    json!({
                        "name": catalog.address(t), "qualified": t.qualified(), "summary": t.spec.summary,
                        "description": t.spec.description, "plugin": t.entry.manifest.name,
                        "version": t.entry.manifest.version, "formats": t.spec.formats, "read_only": t.spec.read_only,
                    })
                })
                .collect();
            print_line(&pretty(&json!({ "tools": list })))
        }
        ListFormat::Text => {
            let names: Vec<String> = tools.iter().map(|t| catalog.address(t)).collect();
            let width = names.iter().map(String::len).max().unwrap_or(0);
            let mut out = String::new();
            for (name, t) in names.iter().zip(&tools) {
                out.push_str(&format!(
                    "{name:width$}  {}  ({} {})\n",
                    t.spec.summary, t.entry.manifest.name, t.entry.manifest.version
                ));
            }
            print_stdout(&display::displayable(&out))
        }
    }
}

/// The options `skill run` takes before the tool's own flags.
fn run_command(
    tool: &str,
    summary: &str,
    description: &str,
    formats: &[String],
    example: &str,
) -> Command {
    let formats: Vec<String> = ["text", "json"]
        .iter()
        .map(|s| s.to_string())
        .chain(formats.iter().filter(|f| *f != "text").cloned())
        .collect();
    // A third-party manifest's text is printed by `--help`.
    let summary = display::displayable(summary);
    let description = display::displayable(description);
    Command::new(format!("skill run {tool}"))
        .no_binary_name(true)
        .about(summary.to_string())
        .long_about(format!("{summary}\n\n{description}"))
        .after_help(format!("Example:\n  {example}\n\nInput can also be given whole: --input '{{...}}', --input @input.json, or --input - (stdin). Flags override --input fields."))
        .arg(clap::Arg::new("input").long("input").value_name("JSON|@FILE|-").help("The input as a JSON object: inline, @FILE, or - for stdin"))
        .arg(
            clap::Arg::new("out")
                .long("out")
                .value_name("DIR")
                .value_parser(clap::value_parser!(std::path::PathBuf))
                .help("Write the files the tool produces into DIR (all or nothing)"),
        )
        .arg(
            clap::Arg::new("force")
                .long("force")
                .action(clap::ArgAction::SetTrue)
                .requires("out")
                .help("With --out: overwrite files that exist"),
        )
        .arg(
            clap::Arg::new("format")
                .long("format")
                .value_name("FORMAT")
                .default_value("text")
                .value_parser(clap::builder::PossibleValuesParser::new(formats))
                .help("How to print the result"),
        )
        .next_help_heading("Call options")
        .args(CallArgs::augment_args(Command::new("options")).get_arguments().cloned())
}

fn run(service: &Service, tool_name: &str, args: Vec<String>) -> Result<()> {
    let tool = service.catalog.get(tool_name)?;
    let input_schema: Value =
        serde_json::from_str(&tool.spec.input_schema).map_err(|e| Error::Usage(e.to_string()))?;
    let example = flags::example(tool_name, &input_schema);
    let command = run_command(
        tool_name,
        &tool.spec.summary,
        &tool.spec.description,
        &tool.spec.formats,
        &example,
    );
    let (tool_flags, command) = flags::ToolFlags::attach(&input_schema, command);
    let matches = match command.try_get_matches_from(args) {
        Ok(matches) => matches,
        // --help and bad flags alike: clap's text, and its exit status.
        Err(error) => clap_exit(error),
    };
    let mut input = match matches.get_one::<String>("input") {
        Some(text) => read_input(text)?,
        None => Map::new(),
    };
    tool_flags
        .apply(&matches, &mut input)
        .map_err(|problem| Error::InvalidInput {
            tool: tool_name.to_owned(),
            problems: vec![problem],
        })?;
    let format = matches
        .get_one::<String>("format")
        .cloned()
        .unwrap_or_else(|| "text".to_owned());
    let wants_rendering = format != "json" && tool.spec.formats.contains(&format);
    let call = Call {
        tool: tool_name.to_owned(),
        input: Value::Object(input),
        format: wants_rendering.then(|| format.clone()),
        // A log piped in (`--logs -`), unless `--input -` has read it already.
        stdin: matches.get_one::<String>("input").map(String::as_str) != Some("-"),
    };
    let inputs: Vec<String> = match &call.input {
        Value::Object(map) => skill_service::schema::input_files(&input_schema, map)
            .into_iter()
            .map(|(_, path)| path)
            .collect(),
        _ => Vec::new(),
    };
    let (bar, progress) = progress::for_inputs(&inputs, &format).unzip();
    let outcome = service.run(call, progress);
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    let outcome = outcome?;
    if let Some(dir) = matches.get_one::<std::path::PathBuf>("out") {
        let output_schema: Value = serde_json::from_str(&tool.spec.output_schema)
            .map_err(|e| Error::Usage(e.to_string()))?;
        let produced = skill_service::files::produced(&output_schema, &outcome.value);
        let producer = skill_service::files::Producer {
            plugin: &outcome.plugin,
            tool: &outcome.tool,
        };
        let written =
            skill_service::files::write_all(dir, producer, &produced, matches.get_flag("force"))?;
        let mut stderr = std::io::stderr().lock();
        for path in written {
            // The plugin named the file: one line per file, whatever it put in the name.
            let path = path.to_string_lossy();
            let _ = writeln!(stderr, "wrote {}", display::displayable_line(&path));
        }
    }
    match outcome.rendered {
        Some(text) => print_line(&display::displayable(&text)),
        // Exactly the tool's output object, as validated.
        None if format == "json" => print_line(&display::json_displayable(&outcome.json)),
        // A tool without a text rendering: its JSON, laid out for reading.
        None => print_line(&pretty(&outcome.value)),
    }
}

/// Reads `--input`: inline JSON, `@FILE` (a regular file), or `-` for stdin,
/// each at most [`MAX_INPUT_BYTES`]. The same bytes give the same error
/// whichever way they came.
fn read_input(text: &str) -> Result<Map<String, Value>> {
    let (source, body) = if text == "-" {
        let body = read::capped(std::io::stdin().lock(), MAX_INPUT_BYTES)
            .map_err(|e| Error::Usage(format!("--input - (stdin): {e}")))?;
        ("stdin".to_owned(), body)
    } else if let Some(path) = text.strip_prefix('@') {
        let body = read::regular_file(std::path::Path::new(path), MAX_INPUT_BYTES)
            .map_err(|e| Error::Usage(format!("--input @FILE: {e}")))?;
        (read::shown(std::path::Path::new(path)), body)
    } else {
        ("--input".to_owned(), text.as_bytes().to_vec())
    };
    match serde_json::from_slice::<Value>(&body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(Error::InvalidInput {
            tool: source,
            problems: vec![skill_service::InputProblem {
                pointer: String::new(),
                message: "the input must be a JSON object".to_owned(),
            }],
        }),
        Err(error) => Err(Error::Usage(format!("{source} is not valid JSON: {error}"))),
    }
}

/// JSON laid out for reading, safe to print (see [`display::json_displayable`]).
fn pretty(value: &Value) -> String {
    let text = serde_json::to_string_pretty(value).unwrap_or_else(|_| value.to_string());
    display::json_displayable(&text).into_owned()
}

/// Writes to stdout; a closed pipe (`skill ... | head`) is not an error.
fn print_stdout(text: &str) -> Result<()> {
    print_parts(&[text])
}

/// Writes `text` to stdout as whole lines: a line feed ends it if it has none.
/// A tool's output can be hundreds of kilobytes; it is not copied to add one.
fn print_line(text: &str) -> Result<()> {
    let end = if text.ends_with('\n') { "" } else { "\n" };
    print_parts(&[text, end])
}

fn print_parts(parts: &[&str]) -> Result<()> {
    let mut stdout = std::io::stdout().lock();
    match parts
        .iter()
        .try_for_each(|part| stdout.write_all(part.as_bytes()))
        .and_then(|()| stdout.flush())
    {
        Ok(()) => Ok(()),
        Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(error) => Err(Error::io("cannot write to stdout", error)),
    }
}

/// Whether stdin is a terminal a person can answer a question on.
fn interactive() -> bool {
    std::io::stdin().is_terminal() && std::io::stderr().is_terminal()
}

/// Parses `std::env::args`, for `main`.
pub fn parse() -> Cli {
    Cli::parse()
}
