//! role-lint: auth-method roles (AppRole, Kubernetes, JWT/OIDC) read as the
//! server reads them, in either form a person has at hand:
//!
//! - what `vault read -format=json auth/<mount>/role/<name>` (or `bao read`)
//!   prints: the `{"data": {…}}` envelope, every default filled in, legacy
//!   names echoed only when the role was written with them;
//! - a payload file, what one would `vault write … @role.json`: absent keys
//!   take the server's defaults, legacy names apply when the current name is
//!   absent, and unknown keys are ignored by the server without a warning
//!   (OpenBao 2.7.2 answers 204), so a typo such as `token_max_tll` silently
//!   leaves tokens without a max TTL.
//!
//! It reports what the server would refuse (the messages are the server's),
//! then findings with a severity, the parameter, a fix and the documentation
//! they come from. Checked against a real OpenBao in `tests/role_server.rs`.

use std::fmt::Write as _;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::error::InputError;
use crate::gostd::{Dynamic, parse_duration_second};
use crate::lint::Severity;

const APPROLE_DOC: &str = "https://openbao.org/api-docs/auth/approle/#createupdate-approle";
const KUBERNETES_DOC: &str = "https://openbao.org/api-docs/auth/kubernetes/#create-role";
const JWT_DOC: &str = "https://openbao.org/api-docs/auth/jwt/#create-role";
const TOKENS_DOC: &str = "https://openbao.org/docs/concepts/tokens/";
const PERIODIC_DOC: &str = "https://openbao.org/docs/concepts/tokens/#periodic-tokens";
const BATCH_DOC: &str = "https://openbao.org/docs/concepts/tokens/#batch-tokens";
const DEFAULT_POLICY_DOC: &str = "https://openbao.org/docs/concepts/policies/#default-policy";
const GITHUB_OIDC_DOC: &str = "https://docs.github.com/en/actions/security-for-github-actions/security-hardening-your-deployments/about-security-hardening-with-openid-connect#configuring-the-oidc-trust-with-the-cloud";

/// The auth method a role belongs to. `jwt` covers the jwt and oidc mounts
/// (one backend); the role's `role_type` tells JWT roles from OIDC ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum RoleMethod {
    Approle,
    Kubernetes,
    Jwt,
}

impl RoleMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            RoleMethod::Approle => "approle",
            RoleMethod::Kubernetes => "kubernetes",
            RoleMethod::Jwt => "jwt",
        }
    }

    fn doc(self) -> &'static str {
        match self {
            RoleMethod::Approle => APPROLE_DOC,
            RoleMethod::Kubernetes => KUBERNETES_DOC,
            RoleMethod::Jwt => JWT_DOC,
        }
    }

    /// The parameters the role endpoint takes besides the token fields.
    fn own_parameters(self) -> &'static [&'static str] {
        match self {
            RoleMethod::Approle => &[
                "role_name",
                "role_id",
                "bind_secret_id",
                "secret_id_bound_cidrs",
                "secret_id_num_uses",
                "secret_id_ttl",
                "local_secret_ids",
            ],
            RoleMethod::Kubernetes => &[
                "name",
                "bound_service_account_names",
                "bound_service_account_namespaces",
                "bound_service_account_namespace_selector",
                "audience",
                "alias_name_source",
            ],
            RoleMethod::Jwt => &[
                "name",
                "role_type",
                "bound_audiences",
                "user_claim",
                "user_claim_json_pointer",
                "bound_subject",
                "bound_claims",
                "bound_claims_type",
                "groups_claim",
                "claim_mappings",
                "oidc_scopes",
                "allowed_redirect_uris",
                "callback_mode",
                "poll_interval",
                "clock_skew_leeway",
                "expiration_leeway",
                "not_before_leeway",
                "max_age",
                "verbose_oidc_logging",
                "oauth2_metadata",
                "oidc_disable_confirmation",
                "token_policies_template_claims",
            ],
        }
    }

    /// Deprecated names the endpoint still takes: (legacy, current).
    fn legacy_parameters(self) -> &'static [(&'static str, &'static str)] {
        match self {
            RoleMethod::Approle => &[
                ("policies", "token_policies"),
                ("period", "token_period"),
                ("bound_cidr_list", "secret_id_bound_cidrs"),
            ],
            RoleMethod::Kubernetes | RoleMethod::Jwt => &[
                ("policies", "token_policies"),
                ("period", "token_period"),
                ("ttl", "token_ttl"),
                ("max_ttl", "token_max_ttl"),
                ("bound_cidrs", "token_bound_cidrs"),
                ("num_uses", "token_num_uses"),
            ],
        }
    }
}

/// The token fields every role endpoint takes (`tokenfields.mdx`; OpenBao adds
/// `token_strictly_bind_ip`).
const TOKEN_FIELDS: [&str; 10] = [
    "token_ttl",
    "token_max_ttl",
    "token_policies",
    "token_bound_cidrs",
    "token_explicit_max_ttl",
    "token_no_default_policy",
    "token_num_uses",
    "token_period",
    "token_type",
    "token_strictly_bind_ip",
];

/// Which form the role came in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum RoleForm {
    /// `vault read -format=json`: the `data` envelope, defaults filled in.
    Read,
    /// A payload for `vault write`: absent keys take the server's defaults.
    Payload,
}

/// Something the server would refuse, in its own words where it has them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct RoleError {
    pub parameter: String,
    pub message: String,
}

/// One risky setting.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct RoleFinding {
    /// Stable rule id, e.g. `secret-id-no-ttl`.
    pub rule: String,
    pub severity: Severity,
    /// The parameter at fault (the key in the payload or in `data`).
    pub parameter: String,
    pub message: String,
    /// What to write instead.
    pub fix: String,
    /// The documentation the rule rests on.
    pub source: String,
}

/// The result of linting one role.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct RoleLintReport {
    pub method: RoleMethod,
    /// `jwt` or `oidc` for a jwt-method role (the server's default is `oidc`).
    pub role_type: Option<String>,
    pub form: RoleForm,
    /// False when the server would refuse to write this role; `errors` says why.
    pub valid: bool,
    pub errors: Vec<RoleError>,
    /// Worst first.
    pub findings: Vec<RoleFinding>,
    pub worst: Option<Severity>,
    /// A short summary for agents and people.
    pub report: String,
}

impl RoleLintReport {
    /// Whether a CI gate at `threshold` should fail.
    pub fn fails(&self, threshold: Severity) -> bool {
        !self.valid || self.worst.is_some_and(|worst| worst >= threshold)
    }
}

/// Lints one role. `method` may be left out when the parameters tell it.
pub fn lint_role(input: &Value, method: Option<RoleMethod>) -> Result<RoleLintReport, InputError> {
    let object = input.as_object().ok_or_else(|| {
        InputError::new(
            "/role",
            "a role is a JSON object: a payload, or what `vault read -format=json` prints",
        )
    })?;
    let (form, params) = match object.get("data") {
        Some(Value::Object(data)) => (RoleForm::Read, data),
        Some(_) => {
            return Err(InputError::new(
                "/role/data",
                "`data` is not an object; give the whole `vault read -format=json` output or a payload",
            ));
        }
        None => (RoleForm::Payload, object),
    };
    let method = match method {
        Some(method) => method,
        None => detect(params)?,
    };
    let mut lint = Lint {
        method,
        form,
        params,
        errors: Vec::new(),
        findings: Vec::new(),
    };
    lint.run();
    let role_type = (method == RoleMethod::Jwt).then(|| lint.role_type().to_owned());
    let Lint {
        errors,
        mut findings,
        ..
    } = lint;
    findings.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| a.parameter.cmp(&b.parameter))
    });
    let worst = findings.first().map(|f| f.severity);
    let mut report = RoleLintReport {
        method,
        role_type,
        form,
        valid: errors.is_empty(),
        errors,
        findings,
        worst,
        report: String::new(),
    };
    report.report = summary(&report);
    Ok(report)
}

/// The method whose own parameters appear; refuses a role that names none.
fn detect(params: &Map<String, Value>) -> Result<RoleMethod, InputError> {
    let found: Vec<RoleMethod> = [RoleMethod::Approle, RoleMethod::Kubernetes, RoleMethod::Jwt]
        .into_iter()
        .filter(|method| {
            method
                .own_parameters()
                .iter()
                .filter(|p| !matches!(**p, "name" | "role_name"))
                .any(|p| params.contains_key(*p))
        })
        .collect();
    match found.as_slice() {
        [method] => Ok(*method),
        [] => Err(InputError::new(
            "/method",
            "the role names no parameter of a known method; say `method` (approle, kubernetes or jwt)",
        )),
        _ => Err(InputError::new(
            "/method",
            format!(
                "the role mixes parameters of {}; say `method`",
                found
                    .iter()
                    .map(|m| m.as_str())
                    .collect::<Vec<_>>()
                    .join(" and ")
            ),
        )),
    }
}

fn summary(report: &RoleLintReport) -> String {
    let kind = match &report.role_type {
        Some(role_type) => format!("{} ({role_type}) role", report.method.as_str()),
        None => format!("{} role", report.method.as_str()),
    };
    let form = match report.form {
        RoleForm::Read => "as read from the server",
        RoleForm::Payload => "payload",
    };
    if !report.valid {
        return format!(
            "the server would refuse this {kind} {form}: {}",
            report
                .errors
                .iter()
                .map(|e| e.message.as_str())
                .collect::<Vec<_>>()
                .join("; ")
        );
    }
    if report.findings.is_empty() {
        return format!("{kind} {form}: no findings");
    }
    let mut out = format!(
        "{kind} {form}: {} finding(s), worst {}:",
        report.findings.len(),
        report.worst.map_or("none", Severity::as_str)
    );
    for finding in report.findings.iter().take(5) {
        let _ = write!(
            out,
            " [{}] {} {};",
            finding.severity.as_str(),
            finding.parameter,
            finding.rule
        );
    }
    out.pop();
    out
}

/// Claims that name who a CI token comes from (a repository, project,
/// workspace or subject), as GitHub Actions, GitLab CI and HCP Terraform issue them.
const IDENTIFYING_CLAIMS: [&str; 17] = [
    "sub",
    "repository",
    "repository_id",
    "repository_owner",
    "repository_owner_id",
    "job_workflow_ref",
    "project_path",
    "project_id",
    "namespace_path",
    "namespace_id",
    "terraform_organization_name",
    "terraform_organization_id",
    "terraform_project_name",
    "terraform_project_id",
    "terraform_workspace_name",
    "terraform_workspace_id",
    "terraform_full_workspace",
];

struct Lint<'a> {
    method: RoleMethod,
    form: RoleForm,
    params: &'a Map<String, Value>,
    errors: Vec<RoleError>,
    findings: Vec<RoleFinding>,
}

impl<'a> Lint<'a> {
    fn error(&mut self, parameter: &str, message: impl Into<String>) {
        self.errors.push(RoleError {
            parameter: parameter.to_owned(),
            message: message.into(),
        });
    }

    fn finding(
        &mut self,
        rule: &str,
        severity: Severity,
        parameter: &str,
        message: impl Into<String>,
        fix: impl Into<String>,
        source: &str,
    ) {
        self.findings.push(RoleFinding {
            rule: rule.to_owned(),
            severity,
            parameter: parameter.to_owned(),
            message: message.into(),
            fix: fix.into(),
            source: source.to_owned(),
        });
    }

    fn get(&self, key: &str) -> Option<&'a Value> {
        self.params.get(key).filter(|v| !v.is_null())
    }

    /// The parameter that decides `current`: itself when given, else its
    /// legacy name when this method takes one.
    fn effective(&self, current: &str) -> Option<(String, &'a Value)> {
        if let Some(value) = self.get(current) {
            return Some((current.to_owned(), value));
        }
        self.method
            .legacy_parameters()
            .iter()
            .find(|(_, now)| *now == current)
            .and_then(|(legacy, _)| self.get(legacy).map(|v| ((*legacy).to_owned(), v)))
    }

    /// The key that sets `current` (its legacy name when only that is given).
    fn key_of(&self, current: &str) -> String {
        self.effective(current)
            .map_or_else(|| current.to_owned(), |(key, _)| key)
    }

    /// A duration in seconds (`parseutil.ParseDurationSecond`); absent is 0.
    fn seconds(&mut self, current: &str) -> i64 {
        let Some((key, value)) = self.effective(current) else {
            return 0;
        };
        let dynamic = match value {
            Value::String(text) => Dynamic::Str(text),
            Value::Number(n) => match n.as_i64() {
                Some(i) => Dynamic::Int(i),
                None => Dynamic::Float(n.as_f64().unwrap_or(f64::NAN)),
            },
            _ => Dynamic::Other,
        };
        match parse_duration_second(&dynamic) {
            Some(nanos) if nanos >= 0 => nanos / 1_000_000_000,
            _ => {
                self.error(
                    &key,
                    format!("`{key}`: {value} is not a duration (seconds, or e.g. `1h`, `30m`)"),
                );
                0
            }
        }
    }

    /// An integer (`secret_id_num_uses`, `token_num_uses`); absent is 0.
    fn integer(&mut self, current: &str) -> i64 {
        let Some((key, value)) = self.effective(current) else {
            return 0;
        };
        let parsed = match value {
            Value::Number(n) => n.as_i64(),
            Value::String(text) if text.is_empty() => Some(0),
            Value::String(text) => crate::gostd::parse_int(text, true),
            _ => None,
        };
        parsed.unwrap_or_else(|| {
            self.error(&key, format!("`{key}`: {value} is not an integer"));
            0
        })
    }

    /// A list: a JSON array, or a comma-separated string as the server splits it.
    fn list(&self, current: &str) -> Vec<String> {
        let Some((_, value)) = self.effective(current) else {
            return Vec::new();
        };
        match value {
            Value::Array(items) => items
                .iter()
                .map(|item| match item {
                    Value::String(s) => s.trim().to_owned(),
                    other => other.to_string(),
                })
                .filter(|s| !s.is_empty())
                .collect(),
            Value::String(text) => text
                .split(',')
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
                .collect(),
            other => vec![other.to_string()],
        }
    }

    /// A boolean as Go's `strconv.ParseBool` reads it; absent is `default`.
    fn boolean(&mut self, key: &str, default: bool) -> bool {
        match self.get(key) {
            None => default,
            Some(Value::Bool(b)) => *b,
            Some(Value::String(s))
                if ["1", "t", "T", "TRUE", "true", "True"].contains(&s.as_str()) =>
            {
                true
            }
            Some(Value::String(s))
                if ["0", "f", "F", "FALSE", "false", "False"].contains(&s.as_str()) =>
            {
                false
            }
            Some(Value::Number(n)) if n.as_i64() == Some(1) => true,
            Some(Value::Number(n)) if n.as_i64() == Some(0) => false,
            Some(other) => {
                let message = format!("`{key}`: {other} is not a boolean");
                self.error(key, message);
                default
            }
        }
    }

    fn text(&self, key: &str) -> String {
        match self.get(key) {
            Some(Value::String(s)) => s.clone(),
            Some(other) => other.to_string(),
            None => String::new(),
        }
    }

    /// `jwt` or `oidc`; the server's default is `oidc`.
    fn role_type(&self) -> &str {
        match self.get("role_type") {
            Some(Value::String(s)) if !s.is_empty() => s,
            _ => "oidc",
        }
    }

    fn run(&mut self) {
        self.parameter_names();
        self.token_fields();
        match self.method {
            RoleMethod::Approle => self.approle(),
            RoleMethod::Kubernetes => self.kubernetes(),
            RoleMethod::Jwt => self.jwt(),
        }
    }

    /// Deprecated names, and names the endpoint does not know (which the
    /// server ignores without a word).
    fn parameter_names(&mut self) {
        let method = self.method;
        let mut keys: Vec<&str> = self.params.keys().map(String::as_str).collect();
        keys.sort_unstable();
        for key in keys {
            if let Some((_, current)) = method.legacy_parameters().iter().find(|(l, _)| *l == key) {
                let both = self.get(current).is_some();
                let (severity, message) = match (self.form, both) {
                    (RoleForm::Read, _) => (
                        Severity::Low,
                        format!(
                            "`{key}` is deprecated; the server echoes it because the role was \
                             written with it"
                        ),
                    ),
                    (RoleForm::Payload, true) => (
                        Severity::Medium,
                        format!(
                            "`{key}` is deprecated, and `{current}` is given too: the server \
                             uses `{current}`, so `{key}` says something that is not in force"
                        ),
                    ),
                    (RoleForm::Payload, false) => (Severity::Low, format!("`{key}` is deprecated")),
                };
                self.finding(
                    "deprecated-parameter",
                    severity,
                    key,
                    message,
                    format!("write `{current}` instead of `{key}`"),
                    method.doc(),
                );
                continue;
            }
            if TOKEN_FIELDS.contains(&key) || method.own_parameters().contains(&key) {
                continue;
            }
            let suggestion = closest(key, method);
            // A name that sounds like a limit, believed in force and ignored.
            let limit = ["ttl", "cidr", "polic", "bound", "uses", "period", "type"]
                .iter()
                .any(|word| key.contains(word) || suggestion.is_some_and(|s| s.contains(word)));
            let mut message = format!(
                "`{key}` is not a parameter of {} roles: the server ignores it without a warning",
                method.as_str()
            );
            if method == RoleMethod::Approle && matches!(key, "ttl" | "max_ttl" | "bound_cidrs") {
                message.push_str(
                    " (AppRole never took this legacy name, unlike Kubernetes and JWT roles)",
                );
            }
            let fix = match suggestion {
                Some(name) => format!("did you mean `{name}`?"),
                None => "remove it, or use the method's parameter for what it was meant to do"
                    .to_owned(),
            };
            self.finding(
                "ignored-parameter",
                if limit {
                    Severity::High
                } else {
                    Severity::Medium
                },
                key,
                message,
                fix,
                method.doc(),
            );
        }
    }

    fn token_fields(&mut self) {
        let doc = self.method.doc();
        let ttl = self.seconds("token_ttl");
        let max_ttl = self.seconds("token_max_ttl");
        let explicit_max = self.seconds("token_explicit_max_ttl");
        let period = self.seconds("token_period");
        let num_uses = self.integer("token_num_uses");
        let token_type = self.text("token_type");
        let (ttl_key, max_key, period_key) = (
            self.key_of("token_ttl"),
            self.key_of("token_max_ttl"),
            self.key_of("token_period"),
        );

        if max_ttl > 0 && ttl > max_ttl {
            self.error(
                &ttl_key,
                "'token_ttl' cannot be greater than 'token_max_ttl'",
            );
        }
        let batch = match token_type.as_str() {
            "" | "default" | "service" => false,
            "batch" => true,
            "default-service" | "default-batch" => {
                let adjusted = token_type.trim_start_matches("default-").to_owned();
                self.finding(
                    "token-type",
                    Severity::Low,
                    "token_type",
                    format!(
                        "`{token_type}` has a meaning only on token-store roles; here the server \
                         adjusts it to `{adjusted}` with a warning"
                    ),
                    format!("write `token_type = \"{adjusted}\"`"),
                    doc,
                );
                adjusted == "batch"
            }
            other => {
                self.error(
                    "token_type",
                    format!("invalid 'token_type' value \"{other}\""),
                );
                false
            }
        };
        if batch && period > 0 {
            self.error(
                "token_type",
                "'token_type' cannot be 'batch' or 'default_batch' when set to generate periodic tokens",
            );
        }
        if batch && num_uses > 0 {
            self.error(
                "token_type",
                "'token_type' cannot be 'batch' or 'default_batch' when set to generate tokens with limited use count",
            );
        }

        if period > 0 {
            if explicit_max == 0 {
                let mut message = format!(
                    "tokens are periodic ({period}s): renewed within each period, they never \
                     expire"
                );
                if max_ttl > 0 {
                    let _ = write!(
                        message,
                        "; `{max_key}` ({max_ttl}s) does not cap a periodic token"
                    );
                }
                self.finding(
                    "periodic-token",
                    Severity::High,
                    &period_key,
                    message,
                    "drop the period for workloads that can log in again, or cap it with \
                     `token_explicit_max_ttl`",
                    PERIODIC_DOC,
                );
            }
        } else if max_ttl == 0 && explicit_max == 0 {
            self.finding(
                "no-max-ttl",
                Severity::Medium,
                &max_key,
                "no max TTL: tokens renew up to the mount's or the system's max (768h unless tuned)",
                "set `token_max_ttl` to the longest a login should last, e.g. `4h`",
                doc,
            );
        }
        if period == 0 && ttl == 0 {
            self.finding(
                "no-ttl",
                Severity::Low,
                &ttl_key,
                "no TTL: each token starts with the mount's default TTL (768h unless tuned), \
                 capped only by the max TTL",
                "set `token_ttl`, e.g. `1h`",
                doc,
            );
        }
        let lifetime = [ttl, max_ttl, explicit_max]
            .into_iter()
            .filter(|s| *s > 0)
            .min()
            .unwrap_or(0);
        if batch && (lifetime == 0 || lifetime > 3600) {
            self.finding(
                "batch-token",
                Severity::Medium,
                "token_type",
                "batch tokens cannot be revoked or renewed: a leaked one stays valid until it \
                 expires, and no short TTL is set",
                "keep batch tokens for short jobs: set `token_ttl` to an hour or less, or use \
                 `service` tokens",
                BATCH_DOC,
            );
        }
        if self.boolean("token_no_default_policy", false) {
            self.finding(
                "no-default-policy",
                Severity::Low,
                "token_no_default_policy",
                "tokens lack the `default` policy, which lets a token look itself up, renew and \
                 revoke itself: apps cannot renew, nor revoke their token when done",
                "leave `token_no_default_policy` false unless the `default` policy was changed \
                 to grant more than that",
                DEFAULT_POLICY_DOC,
            );
        }
        for policy in self.list("token_policies") {
            if policy == "root" {
                self.finding(
                    "root-policy",
                    Severity::Critical,
                    &self.key_of("token_policies"),
                    "the role hands out the `root` policy",
                    "grant a policy written for the workload",
                    TOKENS_DOC,
                );
            }
        }
    }

    fn approle(&mut self) {
        if !self.boolean("bind_secret_id", true) {
            let constrained = !self.list("secret_id_bound_cidrs").is_empty()
                || !self.list("token_bound_cidrs").is_empty();
            if !constrained {
                self.error(
                    "bind_secret_id",
                    "at least one constraint should be enabled on the role",
                );
            }
            self.finding(
                "no-secret-id",
                Severity::High,
                "bind_secret_id",
                "login needs only the role-id, which is not a secret (it ships in app config); \
                 an address in the bound CIDRs is all an attacker lacks",
                "keep `bind_secret_id` true and deliver secret-ids response-wrapped",
                APPROLE_DOC,
            );
            return;
        }
        if self.seconds("secret_id_ttl") == 0 {
            self.finding(
                "secret-id-no-ttl",
                Severity::High,
                "secret_id_ttl",
                "secret-ids never expire (secret_id_ttl 0, the default): a leaked one works \
                 until someone destroys it",
                "set `secret_id_ttl`, e.g. `10m` for secret-ids fetched at deploy time",
                APPROLE_DOC,
            );
        }
        let uses = self.integer("secret_id_num_uses");
        if uses < 0 {
            self.error(
                "secret_id_num_uses",
                "secret_id_num_uses cannot be negative",
            );
        }
        if uses == 0 {
            self.finding(
                "secret-id-unlimited-uses",
                Severity::Medium,
                "secret_id_num_uses",
                "a secret-id can be used any number of times (secret_id_num_uses 0, the default)",
                "set `secret_id_num_uses` to 1 for one login per delivered secret-id",
                APPROLE_DOC,
            );
        }
        if self.list("secret_id_bound_cidrs").is_empty()
            && self.list("token_bound_cidrs").is_empty()
        {
            let parameter = self.key_of("secret_id_bound_cidrs");
            self.finding(
                "no-cidr-binding",
                Severity::Low,
                &parameter,
                "neither secret-ids nor tokens are bound to addresses: a leaked pair works from \
                 anywhere",
                "set `secret_id_bound_cidrs` (and `token_bound_cidrs`) to the app's networks",
                APPROLE_DOC,
            );
        }
    }

    fn kubernetes(&mut self) {
        let names = self.list("bound_service_account_names");
        let namespaces = self.list("bound_service_account_namespaces");
        let selector = self.text("bound_service_account_namespace_selector");
        for (key, list) in [
            ("bound_service_account_names", &names),
            ("bound_service_account_namespaces", &namespaces),
        ] {
            if list.len() > 1 && list.iter().any(|v| v == "*") {
                self.error(key, "can not mix \"*\" with values");
            }
        }
        if names.is_empty() {
            self.error(
                "bound_service_account_names",
                "\"bound_service_account_names\" can not be empty",
            );
        }
        if namespaces.is_empty() && selector.is_empty() {
            self.error(
                "bound_service_account_namespaces",
                "\"bound_service_account_namespaces\" can not be empty if \
                 \"bound_service_account_namespace_selector\" is not set",
            );
        }
        let any_name = names.iter().any(|v| v == "*");
        let any_namespace = namespaces.iter().any(|v| v == "*");
        if any_name {
            let (severity, message) = if any_namespace {
                (
                    Severity::Critical,
                    "any service account in any namespace of the cluster logs in: every pod \
                     gets these policies",
                )
            } else {
                (
                    Severity::High,
                    "any service account of the bound namespaces logs in, including the \
                     `default` account every pod there runs as unless told otherwise",
                )
            };
            self.finding(
                "any-service-account",
                severity,
                "bound_service_account_names",
                message,
                "bind the workload's own service account by name",
                KUBERNETES_DOC,
            );
        } else if any_namespace && selector.is_empty() {
            self.finding(
                "any-namespace",
                Severity::Medium,
                "bound_service_account_namespaces",
                "the named service accounts log in from any namespace: whoever may create a \
                 service account of that name anywhere in the cluster gets these policies",
                "bind the workload's namespace",
                KUBERNETES_DOC,
            );
        }
        if self.text("audience").is_empty() {
            self.finding(
                "no-audience",
                Severity::Low,
                "audience",
                "the service-account token's `aud` is not checked: a token minted for another \
                 service is accepted",
                "set `audience` and request projected tokens with that audience",
                KUBERNETES_DOC,
            );
        }
        if self.text("alias_name_source") == "serviceaccount_name" {
            self.finding(
                "alias-by-name",
                Severity::Low,
                "alias_name_source",
                "identity aliases by namespace/name: a service account deleted and created again \
                 under the same name inherits the entity and its grants",
                "use `serviceaccount_uid` (the default)",
                KUBERNETES_DOC,
            );
        }
    }

    fn jwt(&mut self) {
        let role_type = self.role_type().to_owned();
        let audiences = self.list("bound_audiences");
        let subject = self.text("bound_subject");
        let glob = self.text("bound_claims_type") == "glob";
        let claims: Vec<(String, Vec<String>)> = match self.get("bound_claims") {
            Some(Value::Object(map)) => map
                .iter()
                .map(|(k, v)| {
                    let values = match v {
                        Value::Array(items) => items.iter().map(claim_text).collect(),
                        other => vec![claim_text(other)],
                    };
                    (k.clone(), values)
                })
                .collect(),
            _ => Vec::new(),
        };
        match self.text("bound_claims_type").as_str() {
            "" | "string" | "glob" => {}
            other => self.error(
                "bound_claims_type",
                format!("invalid 'bound_claims_type': {other:?}; use \"string\" or \"glob\""),
            ),
        }
        if !matches!(role_type.as_str(), "jwt" | "oidc") {
            self.error("role_type", format!("invalid 'role_type': {role_type}"));
            return;
        }
        if self.text("user_claim").is_empty() {
            self.error("user_claim", "a user claim must be defined on the role");
        }
        if self.boolean("verbose_oidc_logging", false) {
            self.finding(
                "verbose-oidc-logging",
                Severity::Medium,
                "verbose_oidc_logging",
                "received tokens and claims are logged at debug level",
                "turn it off outside a debugging session",
                JWT_DOC,
            );
        }
        if role_type == "oidc" {
            // OpenBao 2.7.2 asks for them in device callback mode too.
            if self.list("allowed_redirect_uris").is_empty() {
                self.error(
                    "allowed_redirect_uris",
                    "'allowed_redirect_uris' must be set if 'role_type' is 'oidc' or unspecified.",
                );
            }
            return;
        }
        if audiences.is_empty()
            && subject.is_empty()
            && claims.is_empty()
            && self.list("token_bound_cidrs").is_empty()
        {
            self.error(
                "bound_claims",
                "must have at least one bound constraint when creating/updating a role",
            );
        }
        if !glob
            && let Some((claim, _)) = claims
                .iter()
                .find(|(_, values)| values.iter().any(|v| v.contains('*')))
        {
            let claim = claim.clone();
            self.finding(
                "literal-star-claim",
                Severity::Medium,
                "bound_claims_type",
                format!(
                    "bound claim `{claim}` holds `*`, but bound_claims_type is `string`: the star \
                     matches only a literal `*`, so no real token logs in"
                ),
                "set `bound_claims_type` to `glob`, or write the exact value",
                JWT_DOC,
            );
        }
        let binds = |claim: &str, value: &str| -> bool {
            if !glob {
                return !value.is_empty();
            }
            let fixed = value.split('*').next().unwrap_or_default();
            if claim == "sub" && fixed.contains(':') {
                // `repo:*` or `project_path:*` binds only the kind of subject.
                return fixed
                    .split(':')
                    .nth(1)
                    .is_some_and(|owner| !owner.is_empty());
            }
            !fixed.is_empty()
        };
        // `bound_subject` is always matched exactly, never as a glob.
        let identifying = !subject.is_empty()
            || claims.iter().any(|(claim, values)| {
                IDENTIFYING_CLAIMS.contains(&claim.as_str())
                    && !values.is_empty()
                    && values.iter().all(|v| binds(claim, v))
            });
        if !identifying {
            let (severity, message) = if claims.is_empty() {
                (
                    Severity::Critical,
                    "no `bound_subject` and no `bound_claims`: any token the issuer signs for \
                     the audience logs in (for a public CI issuer, any repository or project \
                     of any customer)"
                        .to_owned(),
                )
            } else {
                (
                    Severity::High,
                    format!(
                        "the bound claims ({}) name no repository, project, workspace or \
                         subject, or only with a leading wildcard: any repository or project \
                         of the issuer that matches them logs in",
                        claims
                            .iter()
                            .map(|(k, _)| k.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                )
            };
            self.finding(
                "unbound-subject",
                severity,
                "bound_claims",
                message,
                "bind the subject or the repository/project claim: GitHub `repository` (and \
                 `ref`), GitLab `project_path` (and `ref`, `ref_protected`), HCP Terraform a \
                 `sub` glob `organization:O:project:P:workspace:W:run_phase:*`",
                GITHUB_OIDC_DOC,
            );
        }
        if audiences.is_empty() {
            self.finding(
                "no-audience",
                Severity::Low,
                "bound_audiences",
                "no `bound_audiences`: tokens meant for any other relying party of the issuer \
                 are not told apart by audience",
                "bind the audience the CI job requests, e.g. its `aud`",
                JWT_DOC,
            );
        }
    }
}

fn claim_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The known parameter closest to a misspelt one (at most two edits away).
fn closest(key: &str, method: RoleMethod) -> Option<&'static str> {
    TOKEN_FIELDS
        .iter()
        .chain(method.own_parameters())
        .map(|name| (distance(key, name), *name))
        .filter(|(d, _)| *d <= 2)
        .min()
        .map(|(_, name)| name)
}

/// Levenshtein distance over bytes.
fn distance(a: &str, b: &str) -> usize {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut previous = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let current = row[j + 1];
            row[j + 1] = (previous + usize::from(ca != cb))
                .min(row[j] + 1)
                .min(current + 1);
            previous = current;
        }
    }
    row[b.len()]
}

/// Renders a role-lint report for a terminal.
pub fn render_role_text(report: &RoleLintReport) -> String {
    let mut out = format!("{}\n", report.report);
    for error in &report.errors {
        let _ = writeln!(out, "error: {}: {}", error.parameter, error.message);
    }
    for finding in &report.findings {
        let _ = writeln!(
            out,
            "{}: {} [{}] {}\n  fix: {}\n  source: {}",
            finding.severity.as_str(),
            finding.parameter,
            finding.rule,
            finding.message,
            finding.fix,
            finding.source
        );
    }
    out
}

/// Renders a role-lint report as markdown.
pub fn render_role_markdown(report: &RoleLintReport) -> String {
    let cell = |text: &str| text.replace('|', "\\|");
    let mut out = format!("# role-lint\n\n{}\n", cell(&report.report));
    if !report.errors.is_empty() {
        out.push_str("\n## Refused by the server\n\n| parameter | message |\n|---|---|\n");
        for error in &report.errors {
            let _ = writeln!(out, "| `{}` | {} |", error.parameter, cell(&error.message));
        }
    }
    if !report.findings.is_empty() {
        out.push_str(
            "\n## Findings\n\n| severity | parameter | rule | message | fix | source |\n|---|---|---|---|---|---|\n",
        );
        for f in &report.findings {
            let _ = writeln!(
                out,
                "| {} | `{}` | {} | {} | {} | {} |",
                f.severity.as_str(),
                f.parameter,
                f.rule,
                cell(&f.message),
                cell(&f.fix),
                f.source
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn the_form_and_the_method_come_from_the_role() {
        let read = lint_role(
            &json!({"request_id": "r", "data": {"secret_id_ttl": 600}}),
            None,
        )
        .unwrap();
        assert_eq!(
            (read.form, read.method),
            (RoleForm::Read, RoleMethod::Approle)
        );
        let payload = lint_role(&json!({"bound_service_account_names": "a"}), None).unwrap();
        assert_eq!(
            (payload.form, payload.method),
            (RoleForm::Payload, RoleMethod::Kubernetes)
        );
        for (role, field, needle) in [
            (json!([1]), "/role", "JSON object"),
            (json!({"data": "x"}), "/role/data", "not an object"),
            (
                json!({"token_ttl": "1h"}),
                "/method",
                "no parameter of a known method",
            ),
            (
                json!({"audience": "a", "user_claim": "sub"}),
                "/method",
                "kubernetes and jwt",
            ),
        ] {
            let error = lint_role(&role, None).unwrap_err();
            assert_eq!(error.field, field);
            assert!(error.message.contains(needle), "{}", error.message);
        }
    }

    #[test]
    fn comma_lists_and_go_values_read_as_the_server_reads_them() {
        let report = lint_role(
            &json!({
                "bound_service_account_names": "payment, *",
                "bound_service_account_namespaces": "prod",
                "token_no_default_policy": "t",
                "token_max_ttl": 14400.0,
                "token_ttl": "90m",
            }),
            None,
        )
        .unwrap();
        assert_eq!(report.errors[0].message, "can not mix \"*\" with values");
        let rules: Vec<&str> = report.findings.iter().map(|f| f.rule.as_str()).collect();
        assert!(rules.contains(&"no-default-policy"), "{rules:?}");
        assert!(!rules.contains(&"no-max-ttl"), "{rules:?}");
    }

    #[test]
    fn a_misspelt_parameter_names_the_one_meant() {
        let report = lint_role(
            &json!({"role_type": "jwt", "user_claim": "sub", "bound_subject": "x", "bound_audience": "a"}),
            None,
        )
        .unwrap();
        let finding = report
            .findings
            .iter()
            .find(|f| f.rule == "ignored-parameter")
            .unwrap();
        assert_eq!(finding.parameter, "bound_audience");
        assert_eq!(finding.fix, "did you mean `bound_audiences`?");
        assert_eq!(finding.severity, Severity::High);
        assert!(
            report.report.contains("jwt (jwt) role payload"),
            "{}",
            report.report
        );
        let text = render_role_text(&report);
        assert!(
            text.contains("source: https://openbao.org/api-docs/auth/jwt/"),
            "{text}"
        );
        assert!(render_role_markdown(&report).contains("| high | `bound_audience` |"));
    }
}
