//! `skill plugin install|list|verify|remove`.

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::Subcommand;

use super::{display, interactive, print_stdout};
use skill_service::Service;
use skill_service::catalog::{Origin, origin_text};
use skill_service::install::{self, InstallRecord};

use crate::{Error, Result};

#[derive(Debug, Subcommand)]
pub enum PluginCommand {
    /// Install a plugin component (.wasm) after showing its tools and imports.
    Install {
        /// The component: a file, or oci://HOST/REPOSITORY[:TAG][@sha256:DIGEST].
        file: PathBuf,
        /// Do not ask for confirmation (for scripts).
        #[arg(long, short)]
        yes: bool,
        /// Replace an installed plugin of the same name.
        #[arg(long)]
        force: bool,
        #[command(flatten)]
        signing: super::trust::SignatureArgs,
    },
    /// List first-party and installed plugins with their digests.
    List,
    /// Check every installed plugin against its pinned SHA-256.
    Verify,
    /// Remove an installed plugin.
    Remove { name: String },
    /// Manage the minisign keys trusted to sign plugins.
    #[command(subcommand)]
    Trust(super::trust::TrustCommand),
    /// Publish a plugin to an OCI registry, with FILE.minisig when it exists.
    Push {
        file: PathBuf,
        /// oci://HOST/REPOSITORY:TAG
        reference: String,
        /// The signature to publish with it (default: FILE.minisig, if present).
        #[arg(long, value_name = "FILE")]
        signature: Option<PathBuf>,
    },
}

pub fn run(service: &Service, command: PluginCommand) -> Result<()> {
    let plugins_dir = &service.paths.plugins;
    match command {
        PluginCommand::Install {
            file,
            yes,
            force,
            signing,
        } => install_file(service, &file, yes, force, &signing),
        PluginCommand::Trust(command) => super::trust::run(&service.paths, command),
        PluginCommand::Push {
            file,
            reference,
            signature,
        } => super::source::push(service, &file, &reference, signature.as_deref()),
        PluginCommand::List => {
            let mut out = String::new();
            for entry in service.catalog.entries() {
                let tools: Vec<_> = entry
                    .manifest
                    .tools
                    .iter()
                    .map(|t| t.name.as_str())
                    .collect();
                out.push_str(&format!(
                    "{} {}\n  sha256: {}\n  source: {}\n  tools: {}\n",
                    entry.manifest.name,
                    entry.manifest.version,
                    entry.source.sha256,
                    origin_text(&entry.source.origin, plugins_dir),
                    tools.join(", ")
                ));
            }
            // A third-party manifest's version is free text.
            print_stdout(&display::displayable(&out))
        }
        PluginCommand::Verify => {
            let mut changed = 0;
            let mut out = String::new();
            for record in install::records(plugins_dir)? {
                match install::open_verified(plugins_dir, &record) {
                    Ok(_) => out.push_str(&format!("ok       {} {}\n", record.name, record.sha256)),
                    Err(error) => {
                        changed += 1;
                        out.push_str(&format!("FAILED   {}: {error}\n", record.name));
                    }
                }
            }
            // Names and paths come from install records, files a hostile hand can edit.
            print_stdout(&display::displayable(&out))?;
            if changed > 0 {
                return Err(Error::ToolFailed {
                    plugin: "skill".to_owned(),
                    tool: "plugin verify".to_owned(),
                    message: format!("{changed} installed plugin(s) failed verification"),
                });
            }
            Ok(())
        }
        PluginCommand::Remove { name } => {
            install::remove(plugins_dir, &name)?;
            tracing::info!("removed plugin {name}");
            Ok(())
        }
    }
}

fn install_file(
    service: &Service,
    file: &Path,
    yes: bool,
    force: bool,
    signing: &super::trust::SignatureArgs,
) -> Result<()> {
    let super::source::Fetched {
        wasm,
        label,
        signature,
        installed_from,
    } = super::source::fetch(file, signing)?;
    // Before the plugin is compiled or run: a bad signature refuses it outright.
    let signer = super::trust::check(&service.paths, &wasm, signature.as_ref(), signing)?;
    let install::Inspected {
        manifest,
        imports,
        sha256,
    } = service.inspect(&label, &wasm)?;

    // A plugin's name is its identity: a first-party plugin's is never taken,
    // an installed one's only with --force, whatever tools the new one has.
    if let Some(existing) = service.catalog.plugin(&manifest.name)
        && existing.source.origin == Origin::Builtin
    {
        return Err(Error::Usage(format!(
            "plugin name {} belongs to a first-party plugin",
            manifest.name
        )));
    }
    if !force
        && install::records(&service.paths.plugins)?
            .iter()
            .any(|record| record.name == manifest.name)
    {
        return Err(Error::Usage(format!(
            "plugin {} is already installed; pass --force to replace it",
            manifest.name
        )));
    }
    for tool in &manifest.tools {
        if let Some(existing) = service.catalog.find(&tool.name) {
            let same_plugin = existing.entry.manifest.name == manifest.name;
            let replaceable = same_plugin
                && force
                && matches!(existing.entry.source.origin, Origin::Installed(_));
            if !replaceable {
                return Err(Error::Usage(format!(
                    "tool `{}` is already served by plugin {}{}",
                    tool.name,
                    existing.entry.manifest.name,
                    if same_plugin {
                        " (use --force to replace an installed plugin)"
                    } else {
                        ""
                    }
                )));
            }
        }
    }

    let mut summary = format!(
        "Plugin {} {} (sha256 {sha256})\n",
        manifest.name, manifest.version
    );
    if !manifest.description.is_empty() {
        summary.push_str(&format!("  {}\n", manifest.description));
    }
    summary.push_str(&super::trust::signer_line(signer.as_ref()));
    summary.push_str("Tools:\n");
    for tool in &manifest.tools {
        summary.push_str(&format!(
            "  {}: {}{}\n",
            tool.name,
            tool.summary,
            if tool.read_only { "" } else { " (writes)" }
        ));
    }
    summary
        .push_str("Imports (what it may ask the host for; WASI is linked with nothing granted):\n");
    for import in &imports {
        summary.push_str(&format!("  {import}\n"));
    }
    let mut stderr = std::io::stderr().lock();
    // Everything above comes from the plugin: it must not rewrite what is confirmed.
    let _ = stderr.write_all(super::display::displayable(&summary).as_bytes());
    if !yes {
        if !interactive() {
            return Err(Error::Usage(
                "not installing without confirmation: pass --yes to install non-interactively"
                    .to_owned(),
            ));
        }
        let _ = write!(stderr, "Install it? [y/N] ");
        let _ = stderr.flush();
        let mut answer = String::new();
        std::io::stdin()
            .read_line(&mut answer)
            .map_err(|e| Error::io("cannot read the answer", e))?;
        if !matches!(answer.trim(), "y" | "Y" | "yes") {
            return Err(Error::Usage("installation cancelled".to_owned()));
        }
    }
    let record = InstallRecord {
        name: manifest.name.clone(),
        version: manifest.version.clone(),
        sha256,
        installed_from,
        tools: manifest.tools.iter().map(|t| t.name.clone()).collect(),
        imports,
        signer,
    };
    install::commit(&service.paths.plugins, &record, &wasm)?;
    let _ = writeln!(
        stderr,
        "Installed {} into {}",
        manifest.name,
        install::wasm_path(&service.paths.plugins, &manifest.name).display()
    );
    Ok(())
}
