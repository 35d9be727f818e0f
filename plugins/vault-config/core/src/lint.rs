//! policy-lint: grammar errors (what the server would refuse) and the
//! anti-patterns of DOMAIN-FACTS §C.7, each with a severity, the path, the
//! line and a fix.

use std::fmt::Write as _;
use untrusted_text::{markdown_inline, one_line};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::parse::{GrammarError, ParsedPolicy, ParsedRule, parse_policy_at};
use crate::policy::{Capability, Flavour};

/// How bad a finding is; ordered, so that `fail_on` compares.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

/// One anti-pattern found on one path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Finding {
    /// Stable rule id, e.g. `wildcard-grant`.
    pub rule: String,
    pub severity: Severity,
    pub path: String,
    pub line: usize,
    pub column: usize,
    pub message: String,
    /// What to write instead.
    pub fix: String,
}

/// The result of linting one policy.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct LintReport {
    pub flavour: Flavour,
    /// False when the server would refuse the policy; `errors` says why.
    pub valid: bool,
    pub errors: Vec<GrammarError>,
    /// Sorted by line, then severity (worst first).
    pub findings: Vec<Finding>,
    /// The worst severity found, if any.
    pub worst: Option<Severity>,
    /// A short summary for agents and people.
    pub report: String,
}

impl LintReport {
    /// Whether a CI gate at `threshold` should fail: any grammar error, or a
    /// finding at or above the threshold.
    pub fn fails(&self, threshold: Severity) -> bool {
        !self.valid || self.worst.is_some_and(|worst| worst >= threshold)
    }
}

/// Lints policy text for `flavour`, with no clock (OpenBao `expiration`s are
/// reported, not applied).
pub fn lint(text: &str, flavour: Flavour) -> LintReport {
    lint_at(text, flavour, None)
}

/// Lints policy text for `flavour` at Unix time `now`: paths whose OpenBao
/// `expiration` has passed are dropped, as the server drops them.
pub fn lint_at(text: &str, flavour: Flavour, now: Option<i64>) -> LintReport {
    let (errors, findings) = match parse_policy_at(text, flavour, now) {
        Ok(policy) => (Vec::new(), findings(&policy)),
        Err(errors) => (errors, Vec::new()),
    };
    let worst = findings.iter().map(|f| f.severity).max();
    let mut report = LintReport {
        flavour,
        valid: errors.is_empty(),
        errors,
        findings,
        worst,
        report: String::new(),
    };
    report.report = summary(&report);
    report
}

/// One paragraph; the policy's own text in it (a message, a path) is shown on one
/// line with control and bidi characters escaped.
fn summary(report: &LintReport) -> String {
    if !report.valid {
        let first = &report.errors[0];
        return format!(
            "invalid policy: {} error(s) the server's parser would refuse; first at line {}, column {}: {}",
            report.errors.len(),
            first.line,
            first.column,
            one_line(&first.message)
        );
    }
    if report.findings.is_empty() {
        return format!("valid {} policy, no findings", report.flavour.as_str());
    }
    let mut out = format!(
        "valid {} policy with {} finding(s), worst {}:",
        report.flavour.as_str(),
        report.findings.len(),
        report.worst.map_or("none", Severity::as_str)
    );
    for finding in report.findings.iter().take(5) {
        let _ = write!(
            out,
            " [{}] line {} `{}` {};",
            finding.severity.as_str(),
            finding.line,
            one_line(&finding.path),
            finding.rule
        );
    }
    out.pop();
    out
}

/// Capabilities that change state.
fn writes(capabilities: &[Capability]) -> bool {
    capabilities.iter().any(|c| {
        matches!(
            c,
            Capability::Create
                | Capability::Update
                | Capability::Patch
                | Capability::Delete
                | Capability::Sudo
        )
    })
}

/// Capabilities that grant anything at all (`deny` grants nothing).
fn grants(rule: &ParsedRule) -> bool {
    !rule.capabilities.is_empty() && !rule.capabilities.contains(&Capability::Deny)
}

/// Whether some concrete path beginning with `prefix` matches the policy
/// `pattern` (`+` = one segment, a final `*` = any suffix).
pub(crate) fn reaches(pattern: &str, prefix: &str) -> bool {
    fn go(p: &[u8], t: &[u8]) -> bool {
        if t.is_empty() {
            // The rest of the pattern can be met by choosing the path's tail.
            return true;
        }
        match p {
            [] => false,
            [b'*'] => true,
            [b'+', rest @ ..] => {
                let segment = t.iter().position(|&b| b == b'/').unwrap_or(t.len());
                (0..=segment).any(|taken| go(rest, &t[taken..]))
            }
            [c, rest @ ..] => *c == t[0] && go(rest, &t[1..]),
        }
    }
    go(pattern.as_bytes(), prefix.as_bytes())
}

/// Whether the policy `pattern` matches the whole concrete `path` (`+` = one
/// segment, `*` only as the last character = any suffix).
pub(crate) fn matches(pattern: &str, path: &str) -> bool {
    fn go(p: &[u8], t: &[u8]) -> bool {
        match p {
            [] => t.is_empty(),
            [b'*'] => true,
            [b'+', rest @ ..] => {
                let segment = t.iter().position(|&b| b == b'/').unwrap_or(t.len());
                segment > 0 && go(rest, &t[segment..])
            }
            [c, rest @ ..] => t.first() == Some(c) && go(rest, &t[1..]),
        }
    }
    go(pattern.as_bytes(), path.as_bytes())
}

/// The root-protected paths, where `sudo` is needed: OpenBao's
/// `PathsSpecial.Root` of the system backend (`internal/vault/logical_system.go`)
/// and of the token store (`token_store.go`), plus the handlers that check
/// sudo themselves (`sys/seal`, `sys/step-down`, `auth/token/create` with
/// `no_parent` or an `id`). A trailing `*` is a prefix, as in the source.
const ROOT_PROTECTED: [&str; 24] = [
    "sys/auth/*",
    "sys/remount",
    "sys/audit",
    "sys/audit/*",
    "sys/raw",
    "sys/raw/*",
    "sys/rotate",
    "sys/rotate/keyring",
    "sys/rotate/root",
    "sys/config/cors",
    "sys/config/auditing/*",
    "sys/config/ui/headers/*",
    "sys/plugins/catalog/*",
    "sys/revoke-prefix/*",
    "sys/revoke-force/*",
    "sys/leases/revoke-prefix/*",
    "sys/leases/revoke-force/*",
    "sys/leases/lookup/*",
    "sys/leases",
    "sys/internal/inspect/*",
    "auth/token/revoke-orphan/*",
    "auth/token/accessors*",
    "sys/seal",
    "auth/token/create*",
];
/// Handlers that check `sudo` themselves, beyond `PathsSpecial.Root`.
const SUDO_HANDLERS: [&str; 1] = ["sys/step-down"];

/// Whether a rule on `pattern` can reach a path where `sudo` counts.
fn reaches_root_protected(pattern: &str) -> bool {
    ROOT_PROTECTED
        .iter()
        .chain(SUDO_HANDLERS.iter())
        .any(|target| match target.strip_suffix('*') {
            Some(prefix) => reaches(pattern, prefix),
            None => matches(pattern, target),
        })
}

/// Write access to these prefixes hands out power; each says what kind.
struct Powerful {
    prefix: &'static str,
    rule: &'static str,
    severity: Severity,
    what: &'static str,
    fix: &'static str,
}

const POWERFUL_WRITES: [Powerful; 9] = [
    Powerful {
        prefix: "sys/policies/acl",
        rule: "self-escalation",
        severity: Severity::Critical,
        what: "can write ACL policies, including the ones attached to its own token",
        fix: "keep policy writes in an operator policy; grant read on sys/policies/acl/<name> where a tool must inspect",
    },
    Powerful {
        prefix: "sys/policy",
        rule: "self-escalation",
        severity: Severity::Critical,
        what: "can write ACL policies (legacy endpoint), including the ones attached to its own token",
        fix: "keep policy writes in an operator policy",
    },
    Powerful {
        prefix: "sys/auth",
        rule: "self-escalation",
        severity: Severity::Critical,
        what: "can enable and configure auth methods, then log in through one it controls with any policy",
        fix: "keep auth-method changes in an operator policy",
    },
    Powerful {
        prefix: "identity/",
        rule: "self-escalation",
        severity: Severity::Critical,
        what: "can edit entities, aliases and groups, e.g. join its own entity to a group that carries policies",
        fix: "keep identity writes in an operator policy",
    },
    Powerful {
        prefix: "auth/token/create",
        rule: "token-creation",
        severity: Severity::High,
        what: "can create tokens (children carry at most its own policies; with `sudo`, orphans that outlive it)",
        fix: "create tokens through a token role with allowed_policies, and leave out `sudo`",
    },
    Powerful {
        prefix: "sys/mounts",
        rule: "mount-admin",
        severity: Severity::High,
        what: "can enable, tune, move and disable secrets engines (disabling one destroys its data); it does not grant policies",
        fix: "keep mount changes in an operator policy",
    },
    Powerful {
        prefix: "sys/plugins/catalog",
        rule: "plugin-admin",
        severity: Severity::Critical,
        what: "can register plugin binaries, which then run inside the server",
        fix: "keep the plugin catalog to a break-glass operator policy",
    },
    Powerful {
        prefix: "sys/namespaces",
        rule: "namespace-admin",
        severity: Severity::High,
        what: "can create and delete namespaces (deleting one destroys every mount, policy and token in it)",
        fix: "keep namespace changes in an operator policy scoped to the parent namespace",
    },
    Powerful {
        prefix: "sys/policies/",
        rule: "self-escalation",
        severity: Severity::Critical,
        what: "can write policies, including the ones attached to its own token",
        fix: "keep policy writes in an operator policy",
    },
];
/// Second path segments that are KV v2's API roots: `secret/data/*` is the
/// whole `secret/` mount as much as `secret/*` is.
const KV2_ROOTS: [&str; 6] = [
    "data", "metadata", "delete", "undelete", "destroy", "subkeys",
];

/// For a glob that covers a whole mount, the mount (e.g. `secret/`).
fn whole_mount(path: &str) -> Option<String> {
    let prefix = path.strip_suffix('*')?;
    let segments: Vec<&str> = prefix.split('/').filter(|s| !s.is_empty()).collect();
    let mount_len = if segments.first() == Some(&"auth") {
        2
    } else {
        1
    };
    if segments.len() < mount_len
        || segments[..mount_len].contains(&"+")
        || !prefix.ends_with('/') && segments.len() > mount_len
    {
        return None;
    }
    let rest = &segments[mount_len..];
    let api_root = rest.first().is_some_and(|s| KV2_ROOTS.contains(s));
    let below = if api_root { &rest[1..] } else { rest };
    below
        .iter()
        .all(|s| *s == "+")
        .then(|| format!("{}/", segments[..mount_len].join("/")))
}

/// Any grant here belongs in a break-glass policy only (§C.7.4).
const BREAK_GLASS_PATHS: [&str; 7] = [
    "sys/audit",
    "sys/raw",
    "sys/generate-root",
    "sys/rekey",
    "sys/rotate",
    "sys/leases/revoke-force",
    "sys/seal",
];
/// Engine endpoints where `list` is meaningless (§C.7.7).
const NO_LIST_ENDPOINTS: [&str; 5] = ["/creds/", "/issue/", "/sign/", "/encrypt/", "/decrypt/"];
/// Template parameters the server knows (§C.2), by prefix.
const TEMPLATE_PARAMETERS: [&str; 6] = [
    "identity.entity.id",
    "identity.entity.name",
    "identity.entity.metadata.",
    "identity.entity.aliases.",
    "identity.groups.ids.",
    "identity.groups.names.",
];

fn findings(policy: &ParsedPolicy) -> Vec<Finding> {
    let mut out = Vec::new();
    for rule in &policy.rules {
        let mut add = |id: &str, severity: Severity, message: String, fix: &str| {
            out.push(Finding {
                rule: id.to_owned(),
                severity,
                path: rule.path.clone(),
                line: rule.position.line,
                column: rule.position.column,
                message,
                fix: fix.to_owned(),
            });
        };
        let path = rule.path.as_str();
        let caps = &rule.capabilities;
        let granting = grants(rule);

        // The server strips a leading `/`.
        let path = path.strip_prefix('/').unwrap_or(path);
        let segments: Vec<&str> = path.split('/').collect();

        // 1. Wildcards at the root or covering a whole mount, at any depth.
        if granting && (path == "*" || path == "+" || path.starts_with("+/")) {
            add(
                "wildcard-grant",
                Severity::Critical,
                format!("`{path}` matches every path of the server"),
                "grant exact paths (e.g. secret/data/<env>/<app>/<key>)",
            );
        } else if granting
            && !path.starts_with("sys/")
            && let Some(mount) = whole_mount(path)
        {
            let severity = if writes(caps) {
                Severity::High
            } else {
                Severity::Medium
            };
            add(
                "wildcard-grant",
                severity,
                format!(
                    "`{path}` matches every path under `{}`: all of the `{mount}` mount",
                    path.trim_end_matches('*')
                ),
                "narrow the path to the app's own prefix, e.g. secret/data/<env>/<app>/*",
            );
        }

        // 2. `sudo` where no root-protected path can be reached.
        if caps.contains(&Capability::Sudo) && !reaches_root_protected(path) {
            add(
                "needless-sudo",
                Severity::Medium,
                format!(
                    "`sudo` on `{path}`, which reaches no root-protected path: it grants nothing there"
                ),
                "remove `sudo`; it only matters on the root-protected paths (sys/auth/*, sys/audit, sys/raw, sys/leases/revoke-*, auth/token/accessors, ...)",
            );
        }

        // 3. Writes that hand out power: policies, auth, identity, tokens, mounts, plugins, namespaces.
        if writes(caps)
            && let Some(power) = POWERFUL_WRITES.iter().find(|p| reaches(path, p.prefix))
        {
            let severity = if power.rule == "token-creation" && caps.contains(&Capability::Sudo) {
                Severity::Critical
            } else {
                power.severity
            };
            add(
                power.rule,
                severity,
                format!(
                    "write access on `{path}` reaches `{}`: the token {}",
                    power.prefix, power.what
                ),
                power.fix,
            );
        }

        // Deprecated endpoints.
        if granting && reaches(path, "sys/renew") {
            add(
                "deprecated-path",
                Severity::Low,
                format!("`{path}` is the deprecated `sys/renew` endpoint"),
                "grant update on sys/leases/renew instead",
            );
        }

        // 4. Break-glass paths.
        if granting && let Some(target) = BREAK_GLASS_PATHS.iter().find(|p| reaches(path, p)) {
            {
                add(
                    "break-glass-path",
                    Severity::High,
                    format!("`{path}` grants on `{target}`, which belongs to a break-glass policy"),
                    "move this grant to a break-glass policy that is audited and rarely attached",
                );
            }
        }

        // 5. Glob misuse.
        if let Some(index) = path.find('*').filter(|&i| i + 1 < path.len()) {
            add(
                "literal-star",
                Severity::High,
                format!(
                    "`*` at character {} of `{path}` is not the last character, so the server reads it as a literal `*`: the rule matches only paths with a `*` there",
                    path[..index].chars().count() + 1
                ),
                "use `+` for one segment, or put `*` only at the end",
            );
        }
        if path.contains("*+") {
            add(
                "glob-adjacent-plus",
                Severity::Medium,
                format!("`{path}` puts `+` right after `*`"),
                "separate segment wildcards with `/`, e.g. `a/+/b`",
            );
        }
        let lists = caps
            .iter()
            .any(|c| matches!(c, Capability::List | Capability::Scan));
        if lists && !(path.ends_with('/') || path.ends_with('*')) {
            add(
                "list-on-leaf",
                Severity::Medium,
                format!("`list` on `{path}`, an exact path: listing works on prefixes"),
                "grant list on the prefix ending in `/`",
            );
        }

        // 6. KV v2 mistakes.
        if lists && path.contains("/data/") {
            add(
                "kv2-list-on-data",
                Severity::Medium,
                format!("`list` under `data/` in `{path}` has no effect on KV v2"),
                "grant list on the matching metadata/ prefix instead",
            );
        }
        let constrained = [
            "allowed_parameters",
            "denied_parameters",
            "required_parameters",
        ]
        .iter()
        .any(|key| rule.has_key(key));
        if constrained && path.contains("/data/") {
            add(
                "kv2-parameter-constraints",
                Severity::Medium,
                format!("parameter constraints on KV v2 path `{path}` are not supported"),
                "remove them; split secrets into separate keys and grant per key",
            );
        }
        if segments.first() == Some(&"secret")
            && segments.len() > 1
            && ![
                "data", "metadata", "delete", "undelete", "destroy", "subkeys", "config", "*", "+",
            ]
            .contains(&segments[1])
        {
            add(
                "kv-v1-style-path",
                Severity::Low,
                format!("`{path}` looks like a KV v1 path; on a KV v2 mount it matches nothing"),
                "on KV v2 grant secret/data/<key> (and secret/metadata/<key> for listing)",
            );
        }

        // 7. Capabilities meaningless for the endpoint.
        if lists && NO_LIST_ENDPOINTS.iter().any(|e| path.contains(e)) {
            add(
                "meaningless-capability",
                Severity::Low,
                format!("`list` on `{path}` does nothing for this endpoint"),
                "remove `list`; generating credentials is `read`, signing and issuing are `update`",
            );
        }

        // 8. Legacy syntax and duplicate keys.
        if rule.legacy_policy.is_some() {
            add(
                "legacy-policy-syntax",
                Severity::Medium,
                format!(
                    "`policy = \"…\"` on `{path}` is the legacy form and grants more than it says"
                ),
                "write `capabilities = [...]` with exactly the capabilities needed",
            );
        }
        let mut seen: Vec<&str> = Vec::new();
        for (key, _) in &rule.keys {
            if seen.contains(&key.as_str()) {
                let effect = match key.as_str() {
                    "policy" => format!(
                        "the server keeps the last, \"{}\"",
                        rule.legacy_policy.as_deref().unwrap_or_default()
                    ),
                    "capabilities" => "the server adds the lists up".to_owned(),
                    _ => "the server combines or overrides them".to_owned(),
                };
                let granted: Vec<&str> = rule.capabilities.iter().map(|c| c.as_str()).collect();
                add(
                    "duplicate-key",
                    Severity::Medium,
                    format!(
                        "`{key}` is set more than once on `{path}`: {effect}; the effective grant is [{}]",
                        granted.join(", ")
                    ),
                    "keep one assignment per key, with exactly the capabilities needed",
                );
            }
            seen.push(key);
        }

        // 10. Templating.
        for parameter in templates(path) {
            if !TEMPLATE_PARAMETERS.iter().any(|known| {
                parameter == *known || (known.ends_with('.') && parameter.starts_with(known))
            }) {
                add(
                    "bad-template",
                    Severity::High,
                    format!("`{{{{{parameter}}}}}` is not a template parameter the server knows"),
                    "use {{identity.entity.id}}, {{identity.entity.aliases.<accessor>.id}} or group ids",
                );
            } else if parameter.ends_with(".name")
                || parameter.starts_with("identity.groups.names.")
            {
                add(
                    "template-by-name",
                    Severity::Medium,
                    format!(
                        "`{{{{{parameter}}}}}` builds a path from a name, which can be renamed or reused"
                    ),
                    "use IDs: {{identity.entity.id}} or the alias/group id",
                );
            }
        }
    }

    // 9. A blanket `sys/*` deny that more specific grants override.
    for deny in policy.rules.iter().filter(|rule| {
        rule.capabilities.contains(&Capability::Deny)
            && (rule.path == "sys/*" || rule.path == "sys/")
    }) {
        for allow in policy
            .rules
            .iter()
            .filter(|rule| grants(rule) && rule.path.starts_with("sys/") && rule.path != "sys/*")
        {
            out.push(Finding {
                rule: "weak-sys-deny".into(),
                severity: Severity::High,
                path: deny.path.clone(),
                line: deny.position.line,
                column: deny.position.column,
                message: format!(
                    "the deny on `{}` does not guard `{}` (line {}): the more specific path wins",
                    deny.path, allow.path, allow.position.line
                ),
                fix: "remove the sys/ grant, or deny that exact path too".into(),
            });
        }
    }

    out.sort_by(|a, b| {
        (a.line, std::cmp::Reverse(a.severity), &a.rule).cmp(&(
            b.line,
            std::cmp::Reverse(b.severity),
            &b.rule,
        ))
    });
    out
}

/// The parameters inside `{{ }}` in a path.
fn templates(path: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = path;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        match after.find("}}") {
            Some(end) => {
                out.push(after[..end].trim());
                rest = &after[end + 2..];
            }
            None => break,
        }
    }
    out
}

/// Renders a lint report for a terminal. Paths and messages quote the policy, which
/// is untrusted: each is shown on one line with control and bidi characters escaped.
pub fn render_lint_text(report: &LintReport) -> String {
    let mut out = format!("{}\n", report.report);
    for error in &report.errors {
        let _ = writeln!(
            out,
            "error: line {}, column {}: {}",
            error.line,
            error.column,
            one_line(&error.message)
        );
    }
    for finding in &report.findings {
        let _ = writeln!(
            out,
            "{}: line {}: `{}` [{}] {}\n  fix: {}",
            finding.severity.as_str(),
            finding.line,
            one_line(&finding.path),
            finding.rule,
            one_line(&finding.message),
            one_line(&finding.fix)
        );
    }
    out
}

/// Renders a lint report as markdown.
pub fn render_lint_markdown(report: &LintReport) -> String {
    let mut out = format!("# policy-lint\n\n{}\n", report.report);
    if !report.errors.is_empty() {
        out.push_str("\n## Errors\n\n| line | column | message |\n|---|---|---|\n");
        for error in &report.errors {
            let _ = writeln!(
                out,
                "| {} | {} | {} |",
                error.line,
                error.column,
                markdown_inline(&error.message)
            );
        }
    }
    if !report.findings.is_empty() {
        out.push_str(
            "\n## Findings\n\n| severity | line | path | rule | message | fix |\n|---|---|---|---|---|---|\n",
        );
        for f in &report.findings {
            let _ = writeln!(
                out,
                "| {} | {} | `{}` | {} | {} | {} |",
                f.severity.as_str(),
                f.line,
                one_line(&f.path).replace(['`', '|'], "\u{FFFD}"),
                f.rule,
                markdown_inline(&f.message),
                markdown_inline(&f.fix)
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(text: &str) -> Vec<(String, Severity)> {
        let report = lint(text, Flavour::Vault);
        assert!(report.valid, "{:?}", report.errors);
        report
            .findings
            .into_iter()
            .map(|f| (f.rule, f.severity))
            .collect()
    }

    fn block(path: &str, caps: &str) -> String {
        format!("path \"{path}\" {{\n  capabilities = [{caps}]\n}}\n")
    }

    #[test]
    fn reaches_understands_globs() {
        assert!(reaches("sys/*", "sys/policies/acl"));
        assert!(reaches("sys/policies/acl/*", "sys/policies/acl"));
        assert!(reaches("+/policies/*", "sys/policies/acl"));
        assert!(reaches("*", "identity/"));
        assert!(!reaches("secret/*", "sys/"));
        assert!(!reaches("sys/mounts", "sys/policies"));
    }

    #[test]
    fn each_anti_pattern_is_flagged() {
        let cases: Vec<(String, &str, Severity)> = vec![
            (block("*", "\"read\""), "wildcard-grant", Severity::Critical),
            (block("secret/*", "\"create\", \"update\""), "wildcard-grant", Severity::High),
            (block("secret/data/app/x", "\"read\", \"sudo\""), "needless-sudo", Severity::Medium),
            (block("sys/policies/acl/*", "\"update\""), "self-escalation", Severity::Critical),
            (block("auth/token/create", "\"update\""), "token-creation", Severity::High),
            (block("sys/audit", "\"read\""), "break-glass-path", Severity::High),
            (block("sys/generate-root/attempt", "\"update\""), "break-glass-path", Severity::High),
            (block("secret/*/app", "\"read\""), "literal-star", Severity::High),
            (block("secret/data/app", "\"list\""), "list-on-leaf", Severity::Medium),
            (block("secret/data/app/", "\"list\""), "kv2-list-on-data", Severity::Medium),
            (block("secret/app/x", "\"read\""), "kv-v1-style-path", Severity::Low),
            (block("database/creds/x/", "\"list\""), "meaningless-capability", Severity::Low),
            ("path \"secret/data/x\" {\n  policy = \"read\"\n}\n".into(), "legacy-policy-syntax", Severity::Medium),
            ("path \"secret/data/x\" {\n  capabilities = [\"create\"]\n  allowed_parameters = {\n    \"k\" = []\n  }\n}\n".into(), "kv2-parameter-constraints", Severity::Medium),
            (block("secret/data/{{identity.entity.name}}/*", "\"read\""), "template-by-name", Severity::Medium),
            (block("secret/data/{{identity.entity.bogus}}/*", "\"read\""), "bad-template", Severity::High),
            (format!("{}\n{}", block("sys/*", "\"deny\""), block("sys/policies/acl/x", "\"read\"")), "weak-sys-deny", Severity::High),
        ];
        for (text, rule, severity) in cases {
            let found = rules(&text);
            assert!(
                found.contains(&(rule.to_owned(), severity)),
                "{rule} {severity:?} not in {found:?} for\n{text}"
            );
        }
    }

    fn finding<'a>(report: &'a LintReport, rule: &str) -> Option<&'a Finding> {
        report.findings.iter().find(|f| f.rule == rule)
    }

    #[test]
    fn whole_mount_grants_at_any_depth() {
        for path in [
            "secret/*",
            "secret/data/*",
            "secret/metadata/*",
            "secret/data/+/*",
            "auth/approle/*",
            "/secret/data/*",
        ] {
            let report = lint(
                &block(path, "\"create\", \"read\", \"update\", \"delete\""),
                Flavour::Vault,
            );
            let found = finding(&report, "wildcard-grant")
                .unwrap_or_else(|| panic!("{path}: {:?}", report.findings));
            assert_eq!(found.severity, Severity::High, "{path}");
            assert!(found.message.contains("all of the `"), "{}", found.message);
        }
        for path in [
            "secret/data/app/*",
            "secret/data/app/",
            "secret/zip-*",
            "transit/encrypt/app",
        ] {
            let report = lint(&block(path, "\"read\""), Flavour::Vault);
            assert!(
                finding(&report, "wildcard-grant").is_none(),
                "{path}: {:?}",
                report.findings
            );
        }
    }

    #[test]
    fn sudo_is_judged_against_the_root_protected_paths() {
        for needless in [
            "sys/health",
            "sys/leases/renew",
            "secret/data/x",
            "sys/mounts/*",
            "auth/token/lookup-self",
        ] {
            let report = lint(&block(needless, "\"read\", \"sudo\""), Flavour::Vault);
            assert!(
                finding(&report, "needless-sudo").is_some(),
                "{needless}: {:?}",
                report.findings
            );
        }
        for needed in [
            "sys/auth/*",
            "sys/*",
            "sys/leases",
            "sys/audit",
            "auth/token/accessors/",
            "sys/rotate",
            "auth/*",
            "sys/seal",
        ] {
            let report = lint(&block(needed, "\"read\", \"sudo\""), Flavour::Vault);
            assert!(
                finding(&report, "needless-sudo").is_none(),
                "{needed}: {:?}",
                report.findings
            );
        }
    }

    #[test]
    fn powerful_writes_say_what_they_hand_out() {
        let mounts = lint(&block("sys/mounts/*", "\"update\""), Flavour::Vault);
        let found = finding(&mounts, "mount-admin").expect("mount-admin");
        assert_eq!(found.severity, Severity::High);
        assert!(
            found.message.contains("does not grant policies"),
            "{}",
            found.message
        );
        assert!(finding(&mounts, "self-escalation").is_none());
        let namespaces = lint(
            &block("sys/namespaces/*", "\"create\", \"delete\""),
            Flavour::Vault,
        );
        assert_eq!(
            finding(&namespaces, "namespace-admin").map(|f| f.severity),
            Some(Severity::High)
        );
        assert!(
            finding(
                &lint(
                    &block("sys/namespaces/*", "\"read\", \"list\""),
                    Flavour::Vault
                ),
                "namespace-admin"
            )
            .is_none()
        );
        let acl = lint(&block("sys/policies/acl/*", "\"update\""), Flavour::Vault);
        assert!(
            finding(&acl, "self-escalation").is_some_and(|f| f.message.contains("ACL policies"))
        );
        let orphans = lint(
            &block("auth/token/create", "\"update\", \"sudo\""),
            Flavour::Vault,
        );
        assert_eq!(
            finding(&orphans, "token-creation").map(|f| f.severity),
            Some(Severity::Critical)
        );
    }

    #[test]
    fn deprecated_renew_and_exact_glob_wording() {
        let renew = lint(&block("sys/renew/*", "\"update\""), Flavour::Vault);
        assert!(
            finding(&renew, "deprecated-path").is_some_and(|f| f.fix.contains("sys/leases/renew"))
        );
        let star = lint(&block("secret/*/app", "\"read\""), Flavour::Vault);
        let found = finding(&star, "literal-star").expect("literal-star");
        assert!(
            found.message.contains("character 8 of `secret/*/app`"),
            "{}",
            found.message
        );
        assert!(found.message.contains("literal `*`"), "{}", found.message);
    }

    #[test]
    fn published_brace_on_next_line_policy_is_linted() {
        let text = include_str!("../tests/policies/vault-guides-onboarding-admin.hcl");
        let report = lint(text, Flavour::Vault);
        assert!(report.valid, "{:?}", report.errors);
        let sudo = report
            .findings
            .iter()
            .find(|f| f.rule == "needless-sudo" && f.path == "sys/health")
            .expect("sudo on sys/health is needless");
        assert_eq!(text.lines().nth(sudo.line - 1), Some("path \"sys/health\""));
    }

    #[test]
    fn a_repeated_policy_reports_the_effective_grant() {
        let text = include_str!("../tests/policies/shape-duplicate-policy-sudo.hcl");
        let report = lint(text, Flavour::Vault);
        let duplicate = finding(&report, "duplicate-key").expect("duplicate-key");
        assert!(duplicate.message.contains("sudo"), "{}", duplicate.message);
        assert!(
            duplicate
                .message
                .contains("create, read, update, delete, list, sudo"),
            "{}",
            duplicate.message
        );
    }

    #[test]
    fn findings_carry_line_path_and_fix() {
        let text = format!(
            "{}\n{}",
            block("secret/data/a", "\"read\""),
            block("*", "\"read\"")
        );
        let report = lint(&text, Flavour::Vault);
        let finding = &report.findings[0];
        assert_eq!((finding.line, finding.path.as_str()), (5, "*"));
        assert!(!finding.fix.is_empty());
        assert!(report.fails(Severity::High));
        assert!(report.fails(Severity::Critical));
    }

    #[test]
    fn a_plain_policy_is_clean_and_grammar_errors_fail_any_gate() {
        let report = lint(
            &format!(
                "{}\n{}",
                block("secret/data/a", "\"read\""),
                block("sys/*", "\"deny\"")
            ),
            Flavour::Vault,
        );
        assert!(report.findings.is_empty(), "{:?}", report.findings);
        assert!(!report.fails(Severity::Info));
        let report = lint(&block("a", "\"reed\""), Flavour::Vault);
        assert!(!report.valid);
        assert!(report.fails(Severity::Critical));
        assert!(report.report.contains("line 2"));
    }
}
