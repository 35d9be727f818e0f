//! The `vault-config` plugin: [`vault_core`] exported through the skill contract.
//!
//! This layer only maps errors to the contract's typed errors; every decision
//! about names, paths, roles and findings lives in `vault-core`.

use skill_pdk::prelude::*;
use vault_core::lint::{LintReport, Severity};
use vault_core::role_lint::{RoleLintReport, RoleMethod};
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

/// What a lint tool was given: the inline value, or the bytes of the file.
enum Given<T> {
    Inline(T),
    File(Vec<u8>),
}

/// Exactly one of `inline` (field `name`) and `file` (field `name_file`).
fn inline_or_file<T>(
    inline: Option<T>,
    file: Option<InputPath>,
    name: &str,
    what: &str,
) -> Result<(Given<T>, String), ToolError> {
    match (inline, file) {
        (Some(value), None) => Ok((Given::Inline(value), format!("/{name}"))),
        (None, Some(path)) => {
            let bytes = host::open_input(&path)?.read_to_end_limited(MAX_POLICY_BYTES)?;
            Ok((Given::File(bytes), format!("/{name}_file")))
        }
        (Some(_), Some(_)) => Err(ToolError::invalid_input(
            format!("/{name}_file"),
            format!("give either `{name}` (inline) or `{name}_file`, not both"),
        )),
        (None, None) => Err(ToolError::invalid_input(
            "",
            format!("nothing to lint: give `{name}` ({what}) or `{name}_file`"),
        )),
    }
}

/// The CI gate: a failure listing the summary, then one line per error and
/// per finding at or above the threshold.
fn gate_failure(
    summary: &str,
    source: &str,
    threshold: Severity,
    lines: impl IntoIterator<Item = String>,
) -> ToolError {
    let mut message = format!("{summary} (from {source}; fail_on {})", threshold.as_str());
    for line in lines {
        message.push('\n');
        message.push_str(&line);
    }
    ToolError::failed(message)
}

fn policy_lint(input: LintInput) -> Result<LintReport, ToolError> {
    let (given, source) = inline_or_file(input.policy, input.policy_file, "policy", "HCL text")?;
    let text = match given {
        Given::Inline(text) => text,
        Given::File(bytes) => String::from_utf8(bytes).map_err(|_| {
            ToolError::invalid_input("/policy_file", "the policy file is not UTF-8 text")
        })?,
    };
    let report = vault_core::lint::lint(&text, input.flavour);
    if let Some(threshold) = input.fail_on
        && report.fails(threshold)
    {
        let errors = report.errors.iter().map(|error| {
            format!(
                "error: line {}, column {}: {}",
                error.line, error.column, error.message
            )
        });
        let findings = report
            .findings
            .iter()
            .filter(|f| f.severity >= threshold)
            .map(|finding| {
                format!(
                    "{}: line {}: `{}` [{}] {} (fix: {})",
                    finding.severity.as_str(),
                    finding.line,
                    finding.path,
                    finding.rule,
                    finding.message,
                    finding.fix
                )
            });
        return Err(gate_failure(
            &report.report,
            &source,
            threshold,
            errors.chain(findings),
        ));
    }
    Ok(report)
}

/// Lint an auth-method role (AppRole, Kubernetes, JWT/OIDC).
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct RoleLintInput {
    /// The role, inline: a payload object (what you would `vault write`), or the
    /// whole `vault read -format=json auth/<mount>/role/<name>` output; a JSON
    /// string holding either is read too.
    role: Option<serde_json::Value>,
    /// A JSON file holding either form, to read instead.
    role_file: Option<InputPath>,
    /// The auth method, when the role's parameters do not tell it: approle,
    /// kubernetes, or jwt (the jwt and oidc mounts; `role_type` tells them apart).
    method: Option<RoleMethod>,
    /// Fail (exit status 1) when the server would refuse the role or a finding
    /// reaches this severity, for CI gates; without it the tool only reports.
    fail_on: Option<Severity>,
}

fn role_lint(input: RoleLintInput) -> Result<RoleLintReport, ToolError> {
    let (given, source) = inline_or_file(input.role, input.role_file, "role", "a JSON object")?;
    let role = match given {
        Given::Inline(serde_json::Value::String(text)) => serde_json::from_str(&text),
        Given::Inline(role) => Ok(role),
        Given::File(bytes) => serde_json::from_slice(&bytes),
    }
    .map_err(|error| {
        ToolError::invalid_input(source.as_str(), format!("the role is not JSON: {error}"))
    })?;
    let report = vault_core::role_lint::lint_role(&role, input.method).map_err(|error| {
        let field = if error.field == "/role" {
            source.clone()
        } else {
            error.field
        };
        ToolError::invalid_input(field, error.message)
    })?;
    if let Some(threshold) = input.fail_on
        && report.fails(threshold)
    {
        let errors = report
            .errors
            .iter()
            .map(|error| format!("refused: {}: {}", error.parameter, error.message));
        let findings = report
            .findings
            .iter()
            .filter(|f| f.severity >= threshold)
            .map(|finding| {
                format!(
                    "{}: {} [{}] {} (fix: {})",
                    finding.severity.as_str(),
                    finding.parameter,
                    finding.rule,
                    finding.message,
                    finding.fix
                )
            });
        return Err(gate_failure(
            &report.report,
            &source,
            threshold,
            errors.chain(findings),
        ));
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
                "For an app, its auth method (approle, kubernetes, oidc, jwt for CI: GitHub Actions \
                 `repository`/`ref`, GitLab `project_path`/`ref`/`ref_type`/`ref_protected`, HCP \
                 Terraform a `sub` glob organization:O:project:P:workspace:W:run_phase:*, or a \
                 generic issuer's `bound_subject`/`bound_claims` globs, each with `claim_mappings`), secret types \
                 and environments, returns one policy per environment (HCL exactly as `vault policy \
                 fmt` prints it, ending in an explicit sys/* deny), the paths with their \
                 capabilities, the auth role's JSON payload with current parameter names, commands \
                 for `vault` and `bao` (payloads as @file.json, every argument shell-quoted), \
                 Terraform, and the files to write. KV v2 secrets get data/ (and metadata/ with \
                 kv_list); transit gets encrypt and decrypt. Delivery to workloads: a kubernetes \
                 role gets per environment Agent Injector annotations (a Deployment patch whose \
                 templates write each secret as JSON to /vault/secrets/NAME), and with \
                 `vault_address` a Secrets Store CSI SecretProviderClass and ESO \
                 SecretStore + ExternalSecret; a GitHub or GitLab JWT role with a `ref` gets a \
                 workflow (hashicorp/vault-action) or pipeline (id_tokens, login, secrets as \
                 JSON in SECRET_NAME) with a job per environment. CI roles pass role-lint with nothing above low. Every name (CI projects, refs, \
                 Terraform names and claim values included) is checked against the \
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
        .tool(
            Tool::new(
                "role-lint",
                "Check a Vault/OpenBao auth role (AppRole, Kubernetes, JWT/OIDC): what the server would refuse, and risky settings with fixes.",
                role_lint,
            )
            .description(
                "Reads a role as `vault read -format=json auth/<mount>/role/<name>` prints it (the \
                 `data` envelope, defaults filled in) or as a payload for `vault write` (absent \
                 keys take the server's defaults, legacy names apply when the current one is \
                 absent). Reports what the server would refuse, in the server's words (token_ttl \
                 above token_max_ttl, batch tokens that are periodic or use-limited, `*` mixed \
                 with names, a JWT role with no bound constraint, an OIDC role without redirect \
                 URIs, AppRole without secret-id or CIDRs, values that do not parse), then \
                 findings with severity, parameter, fix and the documentation cited: deprecated \
                 names (policies, period, ttl, max_ttl, bound_cidrs, num_uses, bound_cidr_list), \
                 parameters the server ignores without a warning (typos; AppRole's ttl/max_ttl), \
                 no max TTL, no TTL, periodic tokens without an explicit max TTL, long-lived batch \
                 tokens, token_no_default_policy, the root policy, AppRole secret-ids that never \
                 expire or have unlimited uses or no CIDR binding, Kubernetes `*` service \
                 accounts (critical with `*` namespaces) or namespaces, no audience, aliases by \
                 name, JWT roles without a subject/repository/project/workspace binding (or only \
                 a leading wildcard), `*` in string-matched claims, no bound audience, verbose \
                 OIDC logging. Checked against a real OpenBao. With `fail_on` it fails for CI gates.",
            )
            .render("text", vault_core::role_lint::render_role_text)
            .render("markdown", vault_core::role_lint::render_role_markdown),
        )
}

skill_pdk::export_plugin!(plugin);
