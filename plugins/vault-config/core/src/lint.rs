//! policy-lint: grammar errors (what the server would refuse) and the
//! anti-patterns of DOMAIN-FACTS §C.7, each with a severity, the path, the
//! line and a fix.

use std::fmt::Write as _;

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

fn summary(report: &LintReport) -> String {
    if !report.valid {
        let first = &report.errors[0];
        return format!(
            "invalid policy: {} error(s) the server's parser would refuse; first at line {}, column {}: {}",
            report.errors.len(),
            first.line,
            first.column,
            first.message
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
            finding.path,
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

/// Root-protected paths where `sudo` means something (DOMAIN-FACTS §C.1).
const SUDO_PATHS: [&str; 6] = [
    "sys/",
    "auth/token/revoke-orphan",
    "auth/token/accessors",
    "auth/token/create",
    "auth/token/revoke-force",
    "auth/token/roles",
];
/// Writing here lets a token grant itself more (§C.7.3).
const ESCALATION_PATHS: [&str; 8] = [
    "sys/policies/acl",
    "sys/policy",
    "sys/auth",
    "sys/mounts",
    "auth/token/create",
    "identity/",
    "sys/policies/",
    "sys/plugins/catalog",
];
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

        // 1. Wildcards at the root or a mount.
        let segments: Vec<&str> = path.split('/').collect();
        if granting && (path == "*" || path == "+" || path.starts_with("+/") || path == "/*") {
            add(
                "wildcard-grant",
                Severity::Critical,
                format!("`{path}` grants on every path of the server"),
                "grant exact paths (e.g. secret/data/<env>/<app>/<key>)",
            );
        } else if granting
            && path.ends_with('*')
            && segments.len() <= 2
            && !path.starts_with("sys/")
        {
            let severity = if writes(caps) {
                Severity::High
            } else {
                Severity::Medium
            };
            add(
                "wildcard-grant",
                severity,
                format!("`{path}` grants on a whole mount"),
                "narrow the path to the app's own prefix, e.g. secret/data/<env>/<app>/*",
            );
        }

        // 2. `sudo` where it means nothing.
        if caps.contains(&Capability::Sudo) && !SUDO_PATHS.iter().any(|p| reaches(path, p)) {
            add(
                "needless-sudo",
                Severity::Medium,
                format!("`sudo` on `{path}`, which is not a root-protected path"),
                "remove `sudo`; it only matters on root-protected sys/ and auth/token/ paths",
            );
        }

        // 3. Self-escalation.
        if writes(caps)
            && !caps.contains(&Capability::Deny)
            && let Some(target) = ESCALATION_PATHS.iter().find(|p| reaches(path, p))
        {
            {
                add(
                    "self-escalation",
                    Severity::Critical,
                    format!(
                        "write access on `{path}` reaches `{target}`: the token can grant itself more"
                    ),
                    "keep policy, auth, mount, token-creation and identity writes in an operator policy",
                );
            }
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
                    "`*` at byte {index} is not at the end, so it is a literal character and the rule matches nothing you meant"
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
                add(
                    "duplicate-key",
                    Severity::Medium,
                    format!("`{key}` is set twice on `{path}`"),
                    "keep one assignment per key",
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

/// Renders a lint report for a terminal.
pub fn render_lint_text(report: &LintReport) -> String {
    let mut out = format!("{}\n", report.report);
    for error in &report.errors {
        let _ = writeln!(
            out,
            "error: line {}, column {}: {}",
            error.line, error.column, error.message
        );
    }
    for finding in &report.findings {
        let _ = writeln!(
            out,
            "{}: line {}: `{}` [{}] {}\n  fix: {}",
            finding.severity.as_str(),
            finding.line,
            finding.path,
            finding.rule,
            finding.message,
            finding.fix
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
                error.message.replace('|', "\\|")
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
                f.path,
                f.rule,
                f.message.replace('|', "\\|"),
                f.fix.replace('|', "\\|")
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
            (block("auth/token/create", "\"update\""), "self-escalation", Severity::Critical),
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
