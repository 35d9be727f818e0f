//! `skill plugin new NAME`: writes a plugin crate that builds on its own.
//!
//! The crate is its own workspace, depends on the kit of this `skill`'s
//! version (or on a local kit with `--kit-path`), builds a small component with
//! its release profile, and tests its one tool natively against its schemas.

use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};
use skill_service::manifest::valid_name;

use super::plugin::PluginCommand;
use super::print_stdout;
use crate::{Error, Result};

/// `skill plugin ...`: `new`, which needs no plugins, and the commands on installed ones.
#[derive(Debug, Subcommand)]
pub enum PluginCommands {
    /// Write a new plugin crate (one tool, its test, a size profile) to build and install.
    New(NewArgs),
    #[command(flatten)]
    Installed(PluginCommand),
}

#[derive(Debug, Args)]
pub struct NewArgs {
    /// The plugin's name, also its tool's and its crate's: lowercase letters, digits and `-`.
    name: String,
    /// The directory to write the crate into (default: ./NAME); it must be empty or absent.
    #[arg(long)]
    dir: Option<PathBuf>,
    /// Depend on the kit at this path instead of the published `skill-pdk`
    /// (for working on the kit itself, or before it is published).
    #[arg(long, value_name = "PATH")]
    kit_path: Option<PathBuf>,
}

const CARGO_TOML: &str = include_str!("../../templates/plugin/Cargo.toml.in");
const LIB_RS: &str = include_str!("../../templates/plugin/lib.rs.in");
const GITIGNORE: &str = include_str!("../../templates/plugin/gitignore.in");

/// The Rust version the kit needs: the workspace's `rust-version`.
const RUST_VERSION: &str = env!("CARGO_PKG_RUST_VERSION");
/// The kit is released with the host, at the same version.
const KIT_VERSION: &str = env!("CARGO_PKG_VERSION");

pub fn run(args: NewArgs) -> Result<()> {
    let NewArgs {
        name,
        dir,
        kit_path,
    } = args;
    if !valid_name(&name) {
        return Err(Error::Usage(format!(
            "`{}` is not a plugin name: use 1 to 64 lowercase letters, digits and `-`, \
             starting with a letter or digit",
            name.escape_debug()
        )));
    }
    let dir = dir.unwrap_or_else(|| PathBuf::from(&name));
    let kit_dependency = match kit_path {
        None => format!("skill-pdk = \"{KIT_VERSION}\""),
        Some(path) => format!(
            "skill-pdk = {{ path = {} }}",
            toml_string(&kit_dir(&path)?)?
        ),
    };
    let files = crate_files(&name, &kit_dependency);
    ensure_empty(&dir)?;
    for (relative, content) in &files {
        let path = dir.join(relative);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| Error::io(format!("cannot create {}", parent.display()), e))?;
        }
        std::fs::write(&path, content)
            .map_err(|e| Error::io(format!("cannot write {}", path.display()), e))?;
    }
    let lib_name = name.replace('-', "_");
    print_stdout(&format!(
        "Wrote plugin `{name}` to {dir}. Next:\n  \
         cd {dir}\n  \
         cargo test\n  \
         rustup target add wasm32-wasip2   # once\n  \
         cargo build --release --target wasm32-wasip2\n  \
         skill run --plugin target/wasm32-wasip2/release/{lib_name}.wasm {name} --text 'try it'   # not installed\n  \
         skill plugin install target/wasm32-wasip2/release/{lib_name}.wasm\n  \
         skill run {name} --text 'hello plugin world'\n",
        dir = dir.display()
    ))
}

/// The crate's files by relative path: Cargo.toml, src/lib.rs, .gitignore.
fn crate_files(name: &str, kit_dependency: &str) -> [(&'static str, String); 3] {
    let fill = |template: &str| {
        template
            .replace("{name}", name)
            .replace("{lib_name}", &name.replace('-', "_"))
            .replace("{rust_version}", RUST_VERSION)
            .replace("{kit_dependency}", kit_dependency)
    };
    [
        ("Cargo.toml", fill(CARGO_TOML)),
        ("src/lib.rs", fill(LIB_RS)),
        (".gitignore", fill(GITIGNORE)),
    ]
}

/// The kit's directory, absolute, so that the crate builds from wherever it is.
fn kit_dir(path: &Path) -> Result<String> {
    let manifest = path.join("Cargo.toml");
    let text = std::fs::read_to_string(&manifest)
        .map_err(|e| Error::io(format!("--kit-path: cannot read {}", manifest.display()), e))?;
    if !text.contains("name = \"skill-pdk\"") {
        return Err(Error::Usage(format!(
            "--kit-path: {} is not the manifest of skill-pdk",
            manifest.display()
        )));
    }
    let absolute = std::fs::canonicalize(path)
        .map_err(|e| Error::io(format!("--kit-path: cannot resolve {}", path.display()), e))?;
    absolute.to_str().map(str::to_owned).ok_or_else(|| {
        Error::Usage(format!(
            "--kit-path: {} is not valid UTF-8, which Cargo.toml needs",
            absolute.display()
        ))
    })
}

/// `text` as a TOML basic string.
fn toml_string(text: &str) -> Result<String> {
    if text.chars().any(char::is_control) {
        return Err(Error::Usage(format!(
            "--kit-path: `{}` has a control character",
            text.escape_debug()
        )));
    }
    Ok(format!(
        "\"{}\"",
        text.replace('\\', "\\\\").replace('"', "\\\"")
    ))
}

/// Refuses a directory with anything in it: nothing of someone's is overwritten.
fn ensure_empty(dir: &Path) -> Result<()> {
    match std::fs::read_dir(dir) {
        Ok(mut entries) => match entries.next() {
            None => Ok(()),
            Some(_) => Err(Error::Usage(format!(
                "{} exists and is not empty: name a new or empty directory with --dir",
                dir.display()
            ))),
        },
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(error) if error.kind() == std::io::ErrorKind::NotADirectory => Err(Error::Usage(
            format!("{} exists and is not a directory", dir.display()),
        )),
        Err(error) => Err(Error::io(format!("cannot read {}", dir.display()), error)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_are_filled_everywhere() {
        for (path, content) in crate_files("word-count", "skill-pdk = \"0.1.0\"") {
            for placeholder in ["{name}", "{lib_name}", "{rust_version}", "{kit_dependency}"] {
                assert!(!content.contains(placeholder), "{path} keeps {placeholder}");
            }
        }
        let [(_, cargo), (_, lib), _] = crate_files("word-count", "skill-pdk = \"0.1.0\"");
        assert!(cargo.contains("name = \"word-count\""));
        assert!(cargo.contains("release/word_count.wasm"));
        assert!(cargo.contains(&format!("rust-version = \"{RUST_VERSION}\"")));
        assert!(lib.contains("Tool::new(\"word-count\""));
    }

    #[test]
    fn toml_strings_escape_quotes_and_backslashes() {
        assert_eq!(toml_string(r#"C:\a "b""#).unwrap(), r#""C:\\a \"b\"""#);
        assert!(toml_string("a\nb").is_err());
    }
}
