//! The `vault-config` plugin: [`vault_core`] exported through the skill contract.
//!
//! This layer only maps errors to the contract's typed errors; every decision
//! about names, paths, roles and findings lives in `vault-core`.

use skill_pdk::prelude::*;
use vault_core::lint::{LintReport, Severity};
use vault_core::{Config, Flavour, InputError, Request};

/// Most a policy file may hold; real policies are a few kilobytes.
const MAX_POLICY_BYTES: usize = 1 << 20;

fn invalid(error: InputError) -> ToolError {
    ToolError::invalid_input(error.field, error.message)
}

/// vault-config's output: the configuration, and the files `--out DIR` writes.
#[derive(Serialize, JsonSchema)]
struct GenerateOutput {
    #[serde(flatten)]
    config: Config,
    /// Files to write: per environment the policy (`<policy>.hcl`) and the role
    /// payload (`<role>.role.json`), then `main.tf`; the commands name them.
    files: OutputFiles,
}

fn generate(request: Request) -> Result<GenerateOutput, ToolError> {
    let config = vault_core::generate(&request).map_err(invalid)?;
    let files = config
        .files()
        .into_iter()
        .map(|file| OutputFile {
            path: file.path,
            content: file.content,
        })
        .collect();
    Ok(GenerateOutput {
        config,
        files: OutputFiles(files),
    })
}

/// Lint a Vault/OpenBao ACL policy.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct LintInput {
    /// The policy HCL, inline.
    policy: Option<String>,
    /// A policy file to read instead.
    policy_file: Option<InputPath>,
    /// The server the policy is for; decides the capabilities and keys accepted.
    #[serde(default)]
    flavour: Flavour,
    /// Fail (exit status 1) when the policy is invalid or a finding reaches this
    /// severity, for CI gates; without it the tool only reports.
    fail_on: Option<Severity>,
}

fn policy_lint(input: LintInput) -> Result<LintReport, ToolError> {
    let (text, source) = match (input.policy, input.policy_file) {
        (Some(text), None) => (text, "/policy"),
        (None, Some(path)) => {
            let bytes = host::open_input(&path)?.read_to_end_limited(MAX_POLICY_BYTES)?;
            let text = String::from_utf8(bytes).map_err(|_| {
                ToolError::invalid_input("/policy_file", "the policy file is not UTF-8 text")
            })?;
            (text, "/policy_file")
        }
        (Some(_), Some(_)) => {
            return Err(ToolError::invalid_input(
                "/policy_file",
                "give either `policy` (inline) or `policy_file`, not both",
            ));
        }
        (None, None) => {
            return Err(ToolError::invalid_input(
                "",
                "nothing to lint: give `policy` (HCL text) or `policy_file`",
            ));
        }
    };
    let report = vault_core::lint::lint(&text, input.flavour);
    if let Some(threshold) = input.fail_on
        && report.fails(threshold)
    {
        let mut message = format!(
            "{} (from {source}; fail_on {})",
            report.report,
            threshold.as_str()
        );
        for error in &report.errors {
            message.push_str(&format!(
                "\nerror: line {}, column {}: {}",
                error.line, error.column, error.message
            ));
        }
        for finding in report.findings.iter().filter(|f| f.severity >= threshold) {
            message.push_str(&format!(
                "\n{}: line {}: `{}` [{}] {} (fix: {})",
                finding.severity.as_str(),
                finding.line,
                finding.path,
                finding.rule,
                finding.message,
                finding.fix
            ));
        }
        return Err(ToolError::failed(message));
    }
    Ok(report)
}

/// The plugin and its tools (also called natively by the host's build script,
/// which embeds the manifest).
pub fn plugin() -> Plugin {
    Plugin::new("vault-config", env!("CARGO_PKG_VERSION"))
        .description(
            "Vault/OpenBao access configuration that a real server accepts and no input can subvert.",
        )
        .tool(
            Tool::new(
                "vault-config",
                "Generate least-privilege Vault/OpenBao policies, auth roles, commands and Terraform for an app.",
                generate,
            )
            .description(
                "For an app, its auth method (approle, kubernetes, oidc, jwt for CI), secret types \
                 and environments, returns one policy per environment (HCL exactly as `vault policy \
                 fmt` prints it, ending in an explicit sys/* deny), the paths with their \
                 capabilities, the auth role's JSON payload with current parameter names, commands \
                 for `vault` and `bao` (payloads as @file.json, every argument shell-quoted), \
                 Terraform, and the files to write. KV v2 secrets get data/ (and metadata/ with \
                 kv_list); transit gets encrypt and decrypt. Every name is checked against the \
                 server's rules: a name holding `*`, `+`, `{`, `\"`, `/`, a newline or a control \
                 character is refused with the field named. Same input, same bytes.",
            )
            .render("text", |output: &GenerateOutput| {
                vault_core::render_text(&output.config)
            })
            .render("markdown", |output: &GenerateOutput| {
                vault_core::render_markdown(&output.config)
            }),
        )
        .tool(
            Tool::new(
                "policy-lint",
                "Check a Vault/OpenBao ACL policy: what the server would refuse, and risky grants with fixes.",
                policy_lint,
            )
            .description(
                "Reads the policy as the Vault/OpenBao server does (HCL version 1 or JSON: a `{` on \
                 the next line, repeated keys where the last `policy` wins and `capabilities` lists \
                 add up, the legacy `policy =` words) and reports, with line and column, what the \
                 server would refuse (unknown capability or key for the flavour, `+*`, unbalanced \
                 templating, wrapping TTLs that do not parse or where min is above max, bad control \
                 groups); its verdict is checked against a real OpenBao server. Then it flags \
                 anti-patterns with a severity, the path, the line and a fix: globs that cover the \
                 whole server or a whole mount at any depth (secret/* and secret/data/* alike), sudo \
                 where no root-protected path is reached, writes that hand out power (policies, auth \
                 methods, identity, token creation, mounts, the plugin catalog, namespaces), \
                 break-glass paths, the deprecated sys/renew, `*` not at the end, list on a leaf, KV v2 \
                 mistakes, legacy syntax, repeated keys with the effective grant, templates by name or \
                 unknown, and a sys/* deny that more specific grants override. With `fail_on` (e.g. \
                 high) it fails for CI gates.",
            )
            .render("text", vault_core::lint::render_lint_text)
            .render("markdown", vault_core::lint::render_lint_markdown),
        )
}

skill_pdk::export_plugin!(plugin);
