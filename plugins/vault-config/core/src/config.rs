//! vault-config: a [`Request`] in, a [`Config`] out (policies, roles,
//! commands, Terraform, files and a report). Every name is validated before
//! anything is built; nothing reads a clock, so the same input gives the same bytes.

use crate::auth::{MethodDetails, RoleSpec};
use crate::error::InputError;
use crate::names::{NameKind, check_name, check_token};
use crate::output::{Config, Engine, EnvironmentConfig, OutputFile, PathGrant, Role};
use crate::policy::{Capability, Policy, PolicyPath};
use crate::request::{AuthMethod, CiProvider, GitlabRefType, Request, SecretType};
use crate::secrets::{self, Scope};
use crate::shell::CommandLine;
use crate::values::{Ttl, check_address, check_cidr, check_claim, check_redirect_uri};
use crate::{ci_jobs, kubernetes, terraform};

/// Builds the configuration, or names the first field at fault.
pub(crate) fn build(request: &Request) -> Result<Config, InputError> {
    let checked = validate(request)?;
    let mut warnings = checked.warnings.clone();
    let mut environments = Vec::new();
    let mut commands = vec![CommandLine::new(
        "enable the auth method (once per server; an error saying it is in use is harmless)",
        vec![
            "auth".into(),
            "enable".into(),
            format!("-path={}", checked.auth_mount),
            request.auth_method.as_str().into(),
        ],
    )];
    if let (Some(options), AuthMethod::Jwt) = (&request.jwt, request.auth_method) {
        let issuer = crate::ci::issuer(options);
        commands.push(CommandLine::new(
            format!(
                "trust the {} token issuer (once per mount: one issuer per mount)",
                options.provider.as_str()
            ),
            vec![
                "write".into(),
                format!("auth/{}/config", checked.auth_mount),
                format!("oidc_discovery_url={issuer}"),
                format!("bound_issuer={issuer}"),
            ],
        ));
    }
    if request.auth_method == AuthMethod::Oidc {
        warnings.push(format!(
            "configure auth/{}/config with your provider's oidc_discovery_url, oidc_client_id \
             and oidc_client_secret before logging in",
            checked.auth_mount
        ));
    }

    for env in &request.environments {
        let scope = Scope {
            app: &request.app_name,
            env,
            mounts: &request.mounts,
            kv_list: request.kv_list,
        };
        let policy = build_policy(request, &checked, &scope);
        let reads = checked
            .secrets
            .iter()
            .filter_map(|secret| secrets::readable(*secret, &scope))
            .collect();
        let policy_hcl = policy.to_hcl();
        let policy_file = format!("{}.hcl", policy.name);
        let role_name = policy.name.clone();
        let role_path = format!("auth/{}/role/{role_name}", checked.auth_mount);
        let payload = checked.role.payload(&policy.name);
        let payload_file = format!("{role_name}.role.json");

        commands.push(CommandLine::new(
            format!("write the {env} policy"),
            vec![
                "policy".into(),
                "write".into(),
                policy.name.clone(),
                policy_file.clone(),
            ],
        ));
        commands.push(CommandLine::new(
            format!("write the {env} role from its JSON payload"),
            vec![
                "write".into(),
                role_path.clone(),
                format!("@{payload_file}"),
            ],
        ));
        if let MethodDetails::AppRole { wrap_ttl, .. } = &checked.role.details {
            commands.push(CommandLine::new(
                format!("read the {env} role-id (not secret; ship it with the app's config)"),
                vec![
                    "read".into(),
                    "-field=role_id".into(),
                    format!("{role_path}/role-id"),
                ],
            ));
            commands.push(CommandLine::new(
                format!(
                    "issue a single-use {env} secret-id, response-wrapped: hand over only the \
                     wrapping token, which the app unwraps once"
                ),
                vec![
                    "write".into(),
                    format!("-wrap-ttl={}", wrap_ttl.canonical()),
                    "-f".into(),
                    format!("{role_path}/secret-id"),
                ],
            ));
        }

        environments.push(EnvironmentConfig {
            environment: env.clone(),
            policy_name: policy.name.clone(),
            policy_file,
            paths: policy
                .rules
                .iter()
                .map(|rule| PathGrant {
                    path: rule.path.as_str().to_owned(),
                    capabilities: rule.capabilities.clone(),
                    why: rule.why.clone(),
                })
                .collect(),
            policy_hcl,
            reads,
            role: Role {
                name: role_name,
                mount: checked.auth_mount.clone(),
                path: role_path,
                payload,
                payload_file,
            },
        });
    }

    let terraform = terraform::render(&environments, &checked.role);
    let delivery = delivery(request, &checked, &environments, &mut warnings)?;
    // The summary is written by `render`, which reads the rest (see lib.rs).
    Ok(Config {
        app_name: request.app_name.clone(),
        auth_method: request.auth_method,
        flavour: request.flavour,
        environments,
        commands,
        terraform,
        delivery,
        warnings,
        report: String::new(),
    })
}

/// A request whose every value has been checked.
struct Checked {
    auth_mount: String,
    address: Option<String>,
    role: RoleSpec,
    extra: Vec<(PolicyPath, Vec<Capability>)>,
    secrets: Vec<SecretType>,
    warnings: Vec<String>,
}

fn validate(request: &Request) -> Result<Checked, InputError> {
    let mut warnings = Vec::new();
    check_name("/app_name", &request.app_name, NameKind::Segment)?;
    if request.environments.is_empty() {
        return Err(InputError::new(
            "/environments",
            "name at least one environment",
        ));
    }
    for (index, env) in request.environments.iter().enumerate() {
        let field = format!("/environments/{index}");
        check_name(&field, env, NameKind::Segment)?;
        // Names join app and environment with '-' (`{app}-{env}`); an
        // environment without '-' keeps that join unambiguous, so that app
        // `pay` in `x-prod` can never take the names of app `pay-x` in `prod`.
        if env.contains('-') {
            return Err(InputError::new(
                field,
                format!(
                    "`{env}` contains '-', which would make `{{app}}-{{env}}` names ambiguous \
                     (app `pay` in `x-prod` and app `pay-x` in `prod` would share them); use '_' instead"
                ),
            ));
        }
        if request.environments[..index].contains(env) {
            return Err(InputError::new(field, format!("`{env}` is listed twice")));
        }
        // The policy and role are named `{app}-{env}`; keep them within limits too.
        check_name(
            &field,
            &format!("{}-{env}", request.app_name),
            NameKind::Segment,
        )
        .map_err(|_| {
            InputError::new(
                &field,
                "app name and environment together are too long for a policy name",
            )
        })?;
    }
    let mounts = &request.mounts;
    for (field, value) in [
        ("/mounts/kv", &mounts.kv),
        ("/mounts/database", &mounts.database),
        ("/mounts/pki", &mounts.pki),
        ("/mounts/transit", &mounts.transit),
        ("/mounts/ssh", &mounts.ssh),
    ] {
        check_name(field, value, NameKind::Mount)?;
        check_not_reserved(field, value)?;
    }
    let auth_mount = request
        .auth_mount
        .clone()
        .unwrap_or_else(|| request.auth_method.as_str().to_owned());
    check_name("/auth_mount", &auth_mount, NameKind::Mount)?;

    let mut secrets = Vec::new();
    for secret in &request.secrets {
        if !secrets.contains(secret) {
            secrets.push(*secret);
        }
    }
    if secrets.is_empty() && request.extra_paths.is_empty() {
        return Err(InputError::new(
            "/secrets",
            "name at least one secret type (db-creds, db-admin, api-key, tls-cert, encryption, \
             ssh-cert, config) or an extra path",
        ));
    }

    let mut extra = Vec::new();
    for (index, grant) in request.extra_paths.iter().enumerate() {
        let field = format!("/extra_paths/{index}/path");
        let (body, prefix) = match grant.path.strip_suffix('/') {
            Some(body) => (body, true),
            None => (grant.path.as_str(), false),
        };
        check_name(&field, body, NameKind::Mount)?;
        check_not_reserved(&field, body)?;
        let segments: Vec<&str> = body.split('/').collect();
        let mut path = PolicyPath::literal(&segments);
        if prefix {
            path = path.as_prefix();
        }
        let mut capabilities = Vec::new();
        for (cap_index, capability) in grant.capabilities.iter().enumerate() {
            let field = format!("/extra_paths/{index}/capabilities/{cap_index}");
            if *capability == Capability::Sudo {
                return Err(InputError::new(
                    field,
                    "vault-config never grants `sudo`: an app has no business on root-protected paths",
                ));
            }
            if !capability.supported_by(request.flavour) {
                return Err(InputError::new(
                    field,
                    format!(
                        "`{}` is not a {} capability; it has: {}",
                        capability.as_str(),
                        request.flavour.as_str(),
                        Capability::names_for(request.flavour).join(", ")
                    ),
                ));
            }
            if matches!(capability, Capability::List | Capability::Scan) && !prefix {
                warnings.push(format!(
                    "extra path `{}`: `{}` only works on a prefix; end the path with `/`",
                    grant.path,
                    capability.as_str()
                ));
            }
            capabilities.push(*capability);
        }
        extra.push((path, capabilities));
    }

    if let Some(address) = &request.vault_address
        && check_address("/vault_address", address)?
    {
        warnings.push(format!(
            "vault_address `{address}` is plain http: tokens and secrets would cross the network \
             in clear; use https outside a trusted cluster network"
        ));
    }
    let role = validate_role(request, &mut warnings)?;
    Ok(Checked {
        auth_mount,
        address: request.vault_address.clone(),
        role,
        extra,
        secrets,
        warnings,
    })
}

/// Mounts and extra paths may not point into `sys/`, `auth/` or `identity/`:
/// grants there let a token change policies, roles or entities (escalation).
fn check_not_reserved(field: &str, path: &str) -> Result<(), InputError> {
    let first = path.split('/').next().unwrap_or_default();
    if ["sys", "auth", "identity"].contains(&first.to_ascii_lowercase().as_str()) {
        return Err(InputError::new(
            field,
            format!(
                "`{path}` is under `{first}/`, where grants can change policies, roles or \
                 identities; vault-config does not grant there"
            ),
        ));
    }
    Ok(())
}

fn validate_role(request: &Request, warnings: &mut Vec<String>) -> Result<RoleSpec, InputError> {
    let (default_ttl, default_max) = RoleSpec::default_ttls(request.auth_method);
    let token_ttl = Ttl::parse(
        "/token_ttl",
        request.token_ttl.as_deref().unwrap_or(default_ttl),
    )?;
    let token_max_ttl = Ttl::parse(
        "/token_max_ttl",
        request.token_max_ttl.as_deref().unwrap_or(default_max),
    )?;
    if token_ttl.seconds == 0 || token_max_ttl.seconds == 0 {
        return Err(InputError::new(
            if token_ttl.seconds == 0 {
                "/token_ttl"
            } else {
                "/token_max_ttl"
            },
            "0 means the server default (768h); give an explicit TTL",
        ));
    }
    if token_ttl > token_max_ttl {
        return Err(InputError::new(
            "/token_ttl",
            format!(
                "token_ttl {} exceeds token_max_ttl {}",
                token_ttl.canonical(),
                token_max_ttl.canonical()
            ),
        ));
    }
    let token_bound_cidrs = request
        .token_bound_cidrs
        .iter()
        .enumerate()
        .map(|(index, cidr)| check_cidr(&format!("/token_bound_cidrs/{index}"), cidr))
        .collect::<Result<Vec<_>, _>>()?;

    let details = match request.auth_method {
        AuthMethod::Approle => {
            let options = &request.approle;
            let secret_id_ttl = Ttl::parse("/approle/secret_id_ttl", &options.secret_id_ttl)?;
            if secret_id_ttl.seconds == 0 {
                return Err(InputError::new(
                    "/approle/secret_id_ttl",
                    "0 makes secret-ids never expire; give a TTL such as 10m",
                ));
            }
            if options.secret_id_num_uses == 0 {
                warnings.push(
                    "approle: secret_id_num_uses 0 lets a secret-id be used without limit".into(),
                );
            }
            let secret_id_bound_cidrs = options
                .secret_id_bound_cidrs
                .iter()
                .enumerate()
                .map(|(index, cidr)| {
                    check_cidr(&format!("/approle/secret_id_bound_cidrs/{index}"), cidr)
                })
                .collect::<Result<Vec<_>, _>>()?;
            let wrap_ttl = Ttl::parse("/approle/wrap_ttl", &options.wrap_ttl)?;
            if wrap_ttl.seconds == 0 {
                return Err(InputError::new(
                    "/approle/wrap_ttl",
                    "the secret-id must be delivered response-wrapped; give a TTL such as 5m",
                ));
            }
            MethodDetails::AppRole {
                secret_id_ttl,
                secret_id_num_uses: options.secret_id_num_uses,
                secret_id_bound_cidrs,
                wrap_ttl,
            }
        }
        AuthMethod::Kubernetes => {
            let namespace = request
                .kubernetes_namespace
                .clone()
                .unwrap_or_else(|| "default".into());
            check_name("/kubernetes_namespace", &namespace, NameKind::K8sNamespace)?;
            let (field, service_account) = match &request.service_account {
                Some(account) => ("/service_account", account.clone()),
                None => ("/app_name", request.app_name.clone()),
            };
            check_name(field, &service_account, NameKind::K8sServiceAccount).map_err(
                |error| {
                    if field == "/app_name" {
                        InputError::new(
                            "/service_account",
                            format!(
                                "the app name is not a valid service-account name ({}); give `service_account`",
                                error.message
                            ),
                        )
                    } else {
                        error
                    }
                },
            )?;
            if let Some(audience) = &request.kubernetes_audience {
                check_token("/kubernetes_audience", audience, 256)?;
            }
            MethodDetails::Kubernetes {
                service_account,
                namespace,
                audience: request.kubernetes_audience.clone(),
            }
        }
        AuthMethod::Oidc => {
            let options = request.oidc.as_ref().ok_or_else(|| {
                InputError::new(
                    "/oidc",
                    "oidc needs `oidc.client_id` (the ID token's audience) and `oidc.redirect_uris`",
                )
            })?;
            check_token("/oidc/client_id", &options.client_id, 256)?;
            if options.redirect_uris.is_empty() {
                return Err(InputError::new(
                    "/oidc/redirect_uris",
                    "name at least one redirect URI",
                ));
            }
            for (index, uri) in options.redirect_uris.iter().enumerate() {
                check_redirect_uri(&format!("/oidc/redirect_uris/{index}"), uri)?;
            }
            check_claim("/oidc/user_claim", &options.user_claim)?;
            MethodDetails::Oidc {
                client_id: options.client_id.clone(),
                redirect_uris: options.redirect_uris.clone(),
                user_claim: options.user_claim.clone(),
            }
        }
        AuthMethod::Jwt => {
            let options = request.jwt.as_ref().ok_or_else(|| {
                InputError::new(
                    "/jwt",
                    "jwt needs `jwt.audience` and the binding of its provider (github: \
                     `repository`, gitlab: `project_path`, terraform: `organization`, `project`, \
                     `workspace`, generic: `issuer` and `bound_subject` or `bound_claims`)",
                )
            })?;
            crate::ci::jwt_role(options, warnings)?
        }
    };
    Ok(RoleSpec {
        token_ttl,
        token_max_ttl,
        token_bound_cidrs,
        details,
    })
}

fn build_policy(request: &Request, checked: &Checked, scope: &Scope<'_>) -> Policy {
    let env = scope.env;
    let mut policy = Policy {
        name: format!("{}-{env}", request.app_name),
        header: vec![format!(
            "{} policy for app {}, environment {env} (generated by vault-config)",
            request.flavour.as_str(),
            request.app_name
        )],
        rules: Vec::new(),
    };
    for secret in &checked.secrets {
        secrets::grant(&mut policy, *secret, scope);
    }
    for (path, capabilities) in &checked.extra {
        policy.grant(
            path.clone(),
            capabilities,
            "extra path requested explicitly",
        );
    }
    policy.grant(
        PolicyPath::sys_glob(),
        &[Capability::Deny],
        "no system paths (only more specific grants, which this policy has none of, could override this)",
    );
    policy
}

/// The files that deliver the secrets to the role's workloads: Kubernetes
/// manifests for a kubernetes role, a workflow or pipeline for a GitHub or
/// GitLab JWT role; none for the others (people and machines log in themselves).
fn delivery(
    request: &Request,
    checked: &Checked,
    environments: &[EnvironmentConfig],
    warnings: &mut Vec<String>,
) -> Result<Vec<OutputFile>, InputError> {
    let address = checked.address.as_deref();
    match &checked.role.details {
        MethodDetails::Kubernetes {
            service_account,
            namespace,
            audience,
        } => {
            let pods = kubernetes::Pods {
                namespace,
                service_account,
                audience: audience.as_deref(),
                auth_mount: &checked.auth_mount,
                kv_mount: &request.mounts.kv,
                address,
            };
            let calls = checked.secrets.iter().any(|secret| {
                matches!(
                    secret,
                    SecretType::TlsCert | SecretType::Encryption | SecretType::SshCert
                )
            });
            let mut names: Vec<String> = Vec::new();
            let mut files = Vec::new();
            for (index, env) in environments.iter().enumerate() {
                let field = format!("/environments/{index}");
                let object_name = kubernetes::object_name(&env.role.name).ok_or_else(|| {
                    InputError::new(
                        &field,
                        format!(
                            "`{}` cannot name Kubernetes objects even in lowercase (a DNS-1123 \
                             subdomain: letters, digits, '-', '.' between them)",
                            env.role.name
                        ),
                    )
                })?;
                if names.contains(&object_name) {
                    return Err(InputError::new(
                        field,
                        format!(
                            "two environments would share the Kubernetes objects `{object_name}`"
                        ),
                    ));
                }
                files.extend(kubernetes::files(
                    &pods,
                    &kubernetes::Environment {
                        role: &env.role.name,
                        object_name: &object_name,
                        reads: &env.reads,
                        calls,
                    },
                ));
                names.push(object_name);
            }
            let reads_database = environments
                .iter()
                .flat_map(|env| &env.reads)
                .any(|read| read.engine == Engine::Database);
            if address.is_none() {
                warnings.push(
                    "give `vault_address` to also get a Secrets Store CSI SecretProviderClass and \
                     External Secrets Operator manifests per environment"
                        .into(),
                );
            } else if reads_database {
                warnings.push(
                    "the ExternalSecret syncs the KV secrets only: database credentials are \
                     leases to renew, which the Agent Injector's sidecar or the CSI driver do"
                        .into(),
                );
            }
            if audience.is_some() && address.is_some() {
                warnings.push(
                    "the CSI driver must request tokens for the role's audience: list it in the \
                     CSIDriver's `tokenRequests`"
                        .into(),
                );
            }
            Ok(files)
        }
        MethodDetails::Jwt { audience, .. } => {
            let options = request.jwt.as_ref().expect("a jwt role has its options");
            let login = ci_jobs::Login {
                app: &request.app_name,
                flavour: request.flavour,
                auth_mount: &checked.auth_mount,
                audience,
                address,
            };
            let envs: Vec<ci_jobs::Environment<'_>> = environments
                .iter()
                .map(|env| ci_jobs::Environment {
                    name: &env.environment,
                    role: &env.role.name,
                    reads: &env.reads,
                })
                .collect();
            let file = match (options.provider, &options.git_ref) {
                (CiProvider::Github, Some(git_ref)) => {
                    ci_jobs::github_workflow(&login, git_ref, &envs)
                }
                (CiProvider::Gitlab, Some(name)) => {
                    let ref_type = match options.ref_type {
                        Some(GitlabRefType::Tag) => "tag",
                        _ => "branch",
                    };
                    ci_jobs::gitlab_pipeline(
                        &login,
                        provider_glue::gitlab::Ref { ref_type, name },
                        &envs,
                    )
                }
                (CiProvider::Github | CiProvider::Gitlab, None) => {
                    warnings.push(
                        "give `jwt.ref` to also get a CI job for the ref the role trusts".into(),
                    );
                    return Ok(Vec::new());
                }
                (CiProvider::Terraform | CiProvider::Generic, _) => return Ok(Vec::new()),
            };
            if address.is_none() {
                warnings.push(
                    "the CI job reads the server's address from `VAULT_ADDR` (a GitHub secret, a \
                     GitLab CI variable); set it, or give `vault_address`"
                        .into(),
                );
            }
            Ok(vec![file])
        }
        MethodDetails::AppRole { .. } | MethodDetails::Oidc { .. } => Ok(Vec::new()),
    }
}
