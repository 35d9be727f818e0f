//! `skill plugin install|list|verify|remove`.

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::Subcommand;

use super::{display, interactive, print_stdout};
use skill_service::Service;
use skill_service::catalog::{Origin, origin_text};
use skill_service::install::{self, InstallRecord};
use skill_service::review;

use crate::{Error, Result};

#[derive(Debug, Subcommand)]
pub enum PluginCommand {
    /// Install a plugin component (.wasm) after showing what it is granted;
    /// over an installed one of the same name, after showing what changes.
    Install {
        /// The component: a file, or oci://HOST/REPOSITORY[:TAG][@sha256:DIGEST].
        file: PathBuf,
        /// Do not ask for confirmation (for scripts).
        #[arg(long, short)]
        yes: bool,
        /// Install a lower version (by semver) over the installed one.
        #[arg(long)]
        allow_downgrade: bool,
        #[command(flatten)]
        signing: super::trust::SignatureArgs,
    },
    /// List first-party and installed plugins with their digests.
    List,
    /// Check every installed plugin against its pinned SHA-256.
    Verify,
    /// Remove an installed plugin and its compiled code.
    Remove {
        /// The plugin's name (`skill plugin list`).
        name: String,
    },
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
            allow_downgrade,
            signing,
        } => install_file(service, &file, yes, allow_downgrade, &signing),
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
        PluginCommand::Remove { name } => remove(service, &name),
    }
}

/// `skill plugin remove NAME`; given a tool's name, says which plugin to name.
fn remove(service: &Service, name: &str) -> Result<()> {
    let installed = install::records(&service.paths.plugins)?
        .iter()
        .any(|record| record.name == name);
    if !installed {
        let owners: Vec<String> = service
            .catalog
            .matching(name)
            .iter()
            .map(|tool| match tool.entry.source.origin {
                Origin::Builtin => format!(
                    "first-party plugin {} (it cannot be removed)",
                    tool.entry.manifest.name
                ),
                _ => format!(
                    "plugin {} (skill plugin remove {})",
                    tool.entry.manifest.name, tool.entry.manifest.name
                ),
            })
            .collect();
        if !owners.is_empty() {
            return Err(Error::Usage(
                display::displayable_line(&format!(
                    "no installed plugin is named {name}; `{name}` is a tool of {}",
                    owners.join(" and of ")
                ))
                .into_owned(),
            ));
        }
    }
    let record = install::remove(&service.paths, name)?;
    let _ = writeln!(
        std::io::stderr(),
        "{}",
        display::displayable_line(&format!(
            "Removed plugin {} {} and its compiled code",
            record.name, record.version
        ))
    );
    Ok(())
}

fn install_file(
    service: &Service,
    file: &Path,
    yes: bool,
    allow_downgrade: bool,
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
    let inspected = service.inspect(&label, &wasm)?;
    let manifest = &inspected.manifest;

    // A plugin's name is its identity: a first-party plugin's is never taken,
    // nor the name of a first-party tool.
    if let Some(existing) = service.catalog.plugin(&manifest.name)
        && existing.source.origin == Origin::Builtin
    {
        return Err(Error::Usage(format!(
            "plugin name {} belongs to a first-party plugin",
            manifest.name
        )));
    }
    if let Some(taken) = service.catalog.first_party_tool(manifest) {
        return Err(Error::Usage(format!(
            "tool `{}` is already served by plugin {}, a first-party plugin",
            taken.spec.name, taken.entry.manifest.name
        )));
    }
    let replaced = install::records(&service.paths.plugins)?
        .into_iter()
        .find(|record| record.name == manifest.name);

    let mut preview = review::preview(&inspected, wasm.len());
    preview.signer = signer.clone();
    let mut summary = super::review::preview(&preview);
    for tool in &manifest.tools {
        let others: Vec<String> = service
            .catalog
            .matching(&tool.name)
            .iter()
            .filter(|other| other.entry.manifest.name != manifest.name)
            .map(|other| other.qualified())
            .collect();
        if !others.is_empty() {
            summary.push_str(&format!(
                "Tool `{}` is also served by {}: neither takes the name; call them {}/{} and {}\n",
                tool.name,
                others.join(", "),
                manifest.name,
                tool.name,
                others.join(", ")
            ));
        }
    }
    if let Some(record) = &replaced {
        let loaded = service
            .catalog
            .plugin(&record.name)
            .filter(|entry| matches!(entry.source.origin, Origin::Installed(_)));
        match loaded {
            Some(entry) => summary.push_str(&super::review::upgrade(
                &record.name,
                &review::compare(
                    &entry.manifest,
                    &record.imports,
                    manifest,
                    &inspected.imports,
                ),
            )),
            None => summary.push_str(&format!(
                "Replaces installed {} {}, which cannot be loaded to compare\n",
                record.name, record.version
            )),
        }
    }
    let mut stderr = std::io::stderr().lock();
    // Everything above comes from the plugin: it must not rewrite what is confirmed.
    let _ = stderr.write_all(display::displayable(&summary).as_bytes());
    if let Some(record) = &replaced
        && review::direction(&record.version, &manifest.version) == review::Direction::Downgrade
        && !allow_downgrade
    {
        return Err(Error::Usage(
            display::displayable_line(&format!(
                "plugin {} {} is installed and {} is older: pass --allow-downgrade to install it",
                record.name, record.version, manifest.version
            ))
            .into_owned(),
        ));
    }
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
        sha256: inspected.sha256.clone(),
        installed_from,
        tools: manifest.tools.iter().map(|t| t.name.clone()).collect(),
        imports: inspected.imports.clone(),
        signer,
    };
    install::commit(&service.paths.plugins, &record, &wasm)?;
    if let Some(old) = replaced
        && old.sha256 != record.sha256
    {
        install::forget_cached(&service.paths, &old.sha256);
    }
    let _ = writeln!(
        stderr,
        "Installed {} {} into {}",
        manifest.name,
        display::displayable_line(&manifest.version),
        install::wasm_path(&service.paths.plugins, &manifest.name).display()
    );
    Ok(())
}
