//! Human renderings of a [`Config`]: the one-paragraph report, text and markdown.

use std::fmt::Write as _;

use crate::output::Config;
use crate::policy::Capability;

fn capability_list(capabilities: &[Capability]) -> String {
    capabilities
        .iter()
        .map(|c| c.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// A short summary: what was generated and how to apply it.
pub fn report(config: &Config) -> String {
    let cli = config.flavour.cli();
    let mut out = format!(
        "vault-config for app `{}` ({}, auth {}): {} environment(s).",
        config.app_name,
        config.flavour.as_str(),
        config.auth_method.as_str(),
        config.environments.len()
    );
    for env in &config.environments {
        let granted = env
            .paths
            .iter()
            .filter(|p| !p.capabilities.contains(&Capability::Deny))
            .count();
        let _ = write!(
            out,
            " {}: policy `{}` grants {granted} path(s) and denies sys/*; role `{}` at `{}`.",
            env.environment, env.policy_name, env.role.name, env.role.path
        );
    }
    let _ = write!(
        out,
        " Apply with the {} `{cli}` commands (payloads as @file.json) or main.tf.",
        config.commands.len()
    );
    if !config.delivery.is_empty() {
        let names: Vec<&str> = config.delivery.iter().map(|f| f.path.as_str()).collect();
        let _ = write!(out, " Delivery to workloads: {}.", names.join(", "));
    }
    if !config.warnings.is_empty() {
        let _ = write!(out, " Warnings: {}.", config.warnings.join("; "));
    }
    out
}

/// The text rendering for a terminal.
pub fn render_text(config: &Config) -> String {
    let cli = config.flavour.cli();
    let mut out = String::new();
    let _ = writeln!(out, "{}\n", config.report);
    for env in &config.environments {
        let _ = writeln!(
            out,
            "== {} — policy {} ==",
            env.environment, env.policy_name
        );
        for path in &env.paths {
            let _ = writeln!(
                out,
                "  {:<50} {}",
                path.path,
                capability_list(&path.capabilities)
            );
        }
        let _ = writeln!(out, "\n{}", env.policy_hcl);
        let _ = writeln!(out, "role {} ({}):", env.role.name, env.role.path);
        let _ = writeln!(
            out,
            "{}\n",
            serde_json::to_string_pretty(&env.role.payload).unwrap_or_default()
        );
    }
    let _ = writeln!(out, "== commands ({cli}) ==");
    for command in &config.commands {
        let _ = writeln!(out, "# {}\n{}", command.purpose, command.for_cli(cli));
    }
    for file in &config.delivery {
        let _ = writeln!(out, "\n== {} ==\n{}", file.path, file.content);
    }
    for warning in &config.warnings {
        let _ = writeln!(out, "warning: {warning}");
    }
    out
}

/// The markdown rendering, for agents and pull requests.
pub fn render_markdown(config: &Config) -> String {
    let cli = config.flavour.cli();
    let mut out = format!(
        "# vault-config: `{}`\n\n{}\n",
        config.app_name, config.report
    );
    for env in &config.environments {
        let _ = writeln!(
            out,
            "\n## {} — policy `{}`\n\n| path | capabilities | why |\n|---|---|---|",
            env.environment, env.policy_name
        );
        for path in &env.paths {
            let _ = writeln!(
                out,
                "| `{}` | {} | {} |",
                path.path,
                capability_list(&path.capabilities),
                path.why
            );
        }
        let _ = writeln!(out, "\n```hcl\n{}```", env.policy_hcl);
        let _ = writeln!(
            out,
            "\nRole `{}` (`{}`), written from `{}`:\n\n```json\n{}\n```",
            env.role.name,
            env.role.path,
            env.role.payload_file,
            serde_json::to_string_pretty(&env.role.payload).unwrap_or_default()
        );
    }
    let _ = writeln!(out, "\n## Commands\n\n```sh");
    for command in &config.commands {
        let _ = writeln!(out, "# {}\n{}", command.purpose, command.for_cli(cli));
    }
    let _ = writeln!(
        out,
        "```\n\n## Terraform\n\n```hcl\n{}```",
        config.terraform
    );
    if !config.delivery.is_empty() {
        let _ = writeln!(out, "\n## Delivery to workloads");
        for file in &config.delivery {
            let _ = writeln!(out, "\n`{}`:\n\n```yaml\n{}```", file.path, file.content);
        }
    }
    if !config.warnings.is_empty() {
        let _ = writeln!(out, "\n## Warnings\n");
        for warning in &config.warnings {
            let _ = writeln!(out, "- {warning}");
        }
    }
    out
}
