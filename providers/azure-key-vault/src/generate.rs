//! From a checked request to the configuration: per environment the
//! identity, its federated credentials and role assignments, the `az`
//! commands and the Kubernetes manifests; then the GitHub workflow and the
//! Terraform.

use provider_glue::eso::{self, Item};
use provider_glue::github::{self, Job};
use provider_glue::shell::{self, CommandLine, VariableName, Word, quote};
use provider_glue::{InputError, gitlab, k8s, yaml};
use serde_json::{Value, json};

use crate::checked::{
    AUDIENCE, Checked, Environment, Kubernetes, SECRETS_OFFICER, SECRETS_USER, check,
};
use crate::config::{
    Config, EnvironmentConfig, FederatedCredential, Identity, Role, RotationTrigger, SecretAccess,
};
use crate::request::{Cloud, Request};
use crate::rotation::{self, NEAR_EXPIRY_EVENT};
use crate::terraform;

/// The configuration for `request`, or the first problem with it.
pub fn generate(request: &Request) -> Result<Config, InputError> {
    let checked = check(request)?;
    let environments: Vec<EnvironmentConfig> = checked
        .environments
        .iter()
        .map(|env| environment(&checked, env))
        .collect();
    let github_workflow = checked.github.as_ref().and_then(|gh| {
        let jobs: Vec<Job> = checked
            .environments
            .iter()
            .filter_map(|env| {
                let (client_id, _) = env.ids?;
                Some(Job {
                    id: format!("read-{}", env.name),
                    environment: gh.use_environments.then(|| env.name.to_owned()),
                    steps: workflow_steps(&checked, env, client_id),
                })
            })
            .collect();
        (!jobs.is_empty()).then(|| {
            let name = format!("{} secrets", checked.app);
            yaml::documents(&[github::oidc_workflow_jobs(&name, gh.git_ref, jobs)])
        })
    });
    let gitlab_ci = checked.gitlab.and_then(|(_, git_ref)| {
        let jobs: Vec<gitlab::Job> = checked
            .environments
            .iter()
            .filter_map(|env| Some(gitlab_job(&checked, env, env.ids?.0)))
            .collect();
        (!jobs.is_empty()).then(|| yaml::documents(&[gitlab::pipeline(git_ref, jobs)]))
    });
    let terraform = terraform::render(&checked);
    Ok(Config {
        app: checked.app.to_owned(),
        role: Role {
            name: SECRETS_USER.0.to_owned(),
            id: SECRETS_USER.1.to_owned(),
        },
        environments,
        github_workflow,
        gitlab_ci,
        terraform,
        rotation_notes: rotation_notes(&checked),
        warnings: warnings(&checked),
    })
}

fn environment(checked: &Checked<'_>, env: &Environment<'_>) -> EnvironmentConfig {
    let (commands, pending) = commands(checked, env);
    let rotation_trigger = checked
        .rotation
        .as_ref()
        .and_then(|r| r.function_id)
        .map(|function| RotationTrigger {
            name: env.event_subscription.clone(),
            source: env.vault_id(),
            event_type: NEAR_EXPIRY_EVENT.to_owned(),
            function_id: function.to_owned(),
            subjects: checked.secrets.to_vec(),
        });
    let kube = checked
        .kubernetes
        .as_ref()
        .zip(env.service_account.as_deref());
    let kubernetes_manifests = kube
        .zip(env.ids)
        .map(|((kube, account), (client_id, _))| manifests(checked, env, kube, account, client_id));
    let pod_template = kube.map(|(_, account)| {
        json!({
            "metadata": { "labels": { "azure.workload.identity/use": "true" } },
            "spec": { "serviceAccountName": account },
        })
    });
    EnvironmentConfig {
        environment: env.name.to_owned(),
        vault_id: env.vault_id(),
        vault_url: env.vault_url(checked.cloud),
        identity: Identity {
            name: env.identity_name.clone(),
            id: env.identity_id(),
            client_id: env.ids.map(|(client, _)| client.to_owned()),
            principal_id: env.ids.map(|(_, principal)| principal.to_owned()),
            federated_credentials: env
                .credentials
                .iter()
                .map(|c| FederatedCredential {
                    name: c.name.clone(),
                    issuer: c.issuer.clone(),
                    subject: c.subject.clone(),
                    audiences: vec![AUDIENCE.to_owned()],
                })
                .collect(),
        },
        secrets: checked
            .secrets
            .iter()
            .map(|name| SecretAccess {
                name: name.clone(),
                scope: env.secret_id(name),
            })
            .collect(),
        rotation_trigger,
        kubernetes_manifests,
        pod_template,
        commands,
        pending,
    }
}

/// `az` and its arguments.
fn az(parts: &[&str]) -> Vec<String> {
    std::iter::once("az")
        .chain(parts.iter().copied())
        .map(str::to_owned)
        .collect()
}

/// `az keyvault secret show` printing the value of `secret` in `env`'s vault,
/// as a CI job reads it.
fn read_secret(env: &Environment<'_>, secret: &str) -> Vec<String> {
    az(&[
        "keyvault",
        "secret",
        "show",
        "--vault-name",
        env.vault,
        "--name",
        secret,
        "--query",
        "value",
        "--output",
        "tsv",
    ])
}

/// The `az` commands in the order they must run, and what is left pending.
fn commands(checked: &Checked<'_>, env: &Environment<'_>) -> (Vec<CommandLine>, Vec<String>) {
    let subscription = env.subscription;
    let group = env.identity_resource_group;
    let identity = env.identity_name.as_str();
    // Where the identity is: its resource group and subscription.
    let place = ["--resource-group", group, "--subscription", subscription];
    let mut commands = vec![CommandLine::new(
        "check that the vault uses Azure RBAC (prints true); with access policies the role \
         assignments grant nothing",
        az(&[
            "keyvault",
            "show",
            "--name",
            env.vault,
            "--resource-group",
            env.resource_group,
            "--subscription",
            subscription,
            "--query",
            "properties.enableRbacAuthorization",
            "--output",
            "tsv",
        ]),
    )];
    if env.ids.is_none() {
        commands.push(CommandLine::new(
            "create the managed identity",
            az(&[
                &["identity", "create", "--name", identity][..],
                &place,
                &["--location", env.location],
            ]
            .concat()),
        ));
    }
    // One at a time: Microsoft Entra refuses concurrent writes of federated
    // credentials under one identity.
    for credential in &env.credentials {
        commands.push(CommandLine::new(
            format!("trust {} for the identity", credential.subject),
            az(&[
                &[
                    "identity",
                    "federated-credential",
                    "create",
                    "--name",
                    credential.name.as_str(),
                    "--identity-name",
                    identity,
                ][..],
                &place,
                &[
                    "--issuer",
                    credential.issuer.as_str(),
                    "--subject",
                    credential.subject.as_str(),
                    "--audiences",
                    AUDIENCE,
                ],
            ]
            .concat()),
        ));
    }
    let mut pending = Vec::new();
    match env.ids {
        None => {
            commands.push(CommandLine::new(
                "print the identity's ids for the next call",
                az(&[
                    &["identity", "show", "--name", identity][..],
                    &place,
                    &[
                        "--query",
                        "{client_id: clientId, principal_id: principalId}",
                    ],
                ]
                .concat()),
            ));
            pending.push(format!(
                "the role assignments, the ServiceAccount and the workflow need the identity's \
                 ids: run the commands, then call again with environments[].identity set to what \
                 the last one prints ({})",
                env.name
            ));
        }
        Some((_, principal)) => {
            for secret in checked.secrets {
                commands.push(assign(
                    format!("let the identity read {secret} (and nothing else)"),
                    env,
                    principal,
                    SECRETS_USER.1,
                    secret,
                ));
            }
        }
    }
    if let Some(plan) = &checked.rotation {
        for secret in checked.secrets {
            let mut args = az(&[
                "keyvault",
                "secret",
                "set-attributes",
                "--vault-name",
                env.vault,
                "--name",
                secret,
                "--expires",
                plan.expires,
            ]);
            if let Some(not_before) = plan.not_before {
                args.extend(["--not-before".to_owned(), not_before.to_owned()]);
            }
            args.push("--tags".to_owned());
            args.extend(plan.tag_words(secret));
            commands.push(CommandLine::new(
                format!("set the expiry and the rotation period of {secret}"),
                args,
            ));
        }
        if let Some(principal) = plan.function_principal_id {
            for secret in checked.secrets {
                commands.push(assign(
                    format!("let the rotation function set new versions of {secret}"),
                    env,
                    principal,
                    SECRETS_OFFICER.1,
                    secret,
                ));
            }
        }
        if let Some(function) = plan.function_id {
            let vault_id = env.vault_id();
            let mut args = az(&[
                "eventgrid",
                "event-subscription",
                "create",
                "--name",
                &env.event_subscription,
                "--source-resource-id",
                &vault_id,
                "--endpoint-type",
                "azurefunction",
                "--endpoint",
                function,
                "--included-event-types",
                NEAR_EXPIRY_EVENT,
                "--advanced-filter",
                "subject",
                "StringIn",
            ]);
            args.extend(checked.secrets.iter().cloned());
            commands.push(CommandLine::new(
                "call the rotation function 30 days before a secret expires",
                args,
            ));
        }
    }
    (commands, pending)
}

/// `az role assignment create` of `role` for `principal` on one secret.
fn assign(
    purpose: String,
    env: &Environment<'_>,
    principal: &str,
    role: &str,
    secret: &str,
) -> CommandLine {
    let scope = env.secret_id(secret);
    CommandLine::new(
        purpose,
        az(&[
            "role",
            "assignment",
            "create",
            "--assignee-object-id",
            principal,
            "--assignee-principal-type",
            "ServicePrincipal",
            "--role",
            role,
            "--scope",
            &scope,
            "--subscription",
            env.subscription,
        ]),
    )
}

/// The ServiceAccount, the ESO store and the ExternalSecret.
fn manifests(
    checked: &Checked<'_>,
    env: &Environment<'_>,
    kube: &Kubernetes<'_>,
    account: &str,
    client_id: &str,
) -> String {
    let service_account = k8s::service_account(
        account,
        &kube.namespace,
        &[
            ("azure.workload.identity/client-id", client_id),
            ("azure.workload.identity/tenant-id", env.tenant),
        ],
    );
    let provider = json!({
        "azurekv": {
            "authType": "WorkloadIdentity",
            "vaultUrl": env.vault_url(checked.cloud),
            "tenantId": env.tenant,
            "environmentType": checked.cloud.eso_environment(),
            "serviceAccountRef": eso::service_account_ref(kube.store_kind, account, &kube.namespace),
        }
    });
    let store = eso::store(kube.store_kind, &env.object_name, &kube.namespace, provider);
    let items: Vec<Item<'_>> = checked
        .secrets
        .iter()
        .map(|s| Item {
            secret_key: s,
            remote_key: s,
        })
        .collect();
    let external = eso::external_secret(
        &env.object_name,
        &kube.namespace,
        (kube.store_kind, env.object_name.as_str()),
        &env.object_name,
        kube.refresh_interval,
        &items,
    );
    yaml::documents(&[service_account, store, external])
}

/// The environment variable a secret is read into: `KV_` and its name in
/// upper case with '-' as '_' (unique: Key Vault names ignore case and hold
/// no '_'; the prefix keeps `PATH` and `GITHUB_*` out of reach).
pub fn variable(secret: &str) -> String {
    format!("KV_{}", secret.to_ascii_uppercase().replace('-', "_"))
}

/// A job's steps: log in as the environment's identity by OIDC, then read
/// each secret into a masked environment variable.
fn workflow_steps(checked: &Checked<'_>, env: &Environment<'_>, client_id: &str) -> Vec<Value> {
    let mut login = json!({
        "client-id": client_id,
        "tenant-id": env.tenant,
        "subscription-id": env.subscription,
    });
    if checked.cloud != Cloud::Public {
        login["environment"] = json!(checked.cloud.login_environment());
    }
    let mut script = String::from("set -euo pipefail\n");
    for secret in checked.secrets {
        let read = CommandLine::new("", read_secret(env, secret));
        // Every line of the value is masked before it reaches the
        // environment, which takes it between two random delimiters.
        script.push_str(&format!("value=\"$({})\"\n", read.shell));
        script.push_str(
            "while IFS= read -r line; do\n  if [ -n \"$line\" ]; then echo \"::add-mask::$line\"; fi\ndone <<< \"$value\"\n",
        );
        script.push_str("delimiter=\"EOF_$(openssl rand -hex 16)\"\n");
        script.push_str(&format!(
            "{{ echo {}\"<<$delimiter\"; printf '%s\\n' \"$value\"; echo \"$delimiter\"; }} >> \"$GITHUB_ENV\"\n",
            quote(&variable(secret))
        ));
    }
    vec![
        json!({
            "name": "Log in to Azure by OIDC",
            "uses": "azure/login@v2",
            "with": login,
        }),
        json!({
            "name": "Read the secrets",
            "shell": "bash",
            "run": script,
        }),
    ]
}

/// A GitLab job: an ID token for Entra's token exchange, `az login` as the
/// environment's identity with it (the identity's federated credential for
/// the project and ref), then each secret read into a variable. A managed
/// identity has no subscription-wide role, hence `--allow-no-subscriptions`.
fn gitlab_job(checked: &Checked<'_>, env: &Environment<'_>, client_id: &str) -> gitlab::Job {
    let mut login = shell::args(&az(&[
        "login",
        "--service-principal",
        "--username",
        client_id,
        "--tenant",
        env.tenant,
        "--allow-no-subscriptions",
    ]));
    login.push(Word::Fixed("--federated-token \"$GITLAB_OIDC_TOKEN\""));
    let mut script = Vec::new();
    if checked.cloud != Cloud::Public {
        script.push(shell::line(&shell::args(&az(&[
            "cloud",
            "set",
            "--name",
            checked.cloud.cli_name(),
        ]))));
    }
    script.push(shell::line(&login));
    for secret in checked.secrets {
        let variable = VariableName::for_secret(secret);
        let read = shell::args(&read_secret(env, secret));
        script.push(shell::capture(&variable, &read));
        script.push(shell::export(&variable));
    }
    gitlab::Job {
        name: format!("read-{}", env.name),
        image: "mcr.microsoft.com/azure-cli:latest",
        entrypoint: None,
        audience: "api://AzureADTokenExchange".to_owned(),
        script,
    }
}

/// What rotation is here, in Azure's terms (with `rotation`).
fn rotation_notes(checked: &Checked<'_>) -> Vec<String> {
    let Some(plan) = &checked.rotation else {
        return Vec::new();
    };
    let mut notes = vec![
        "Key Vault does not rotate secrets by itself: each version carries an expiry (exp) and a \
         not-before time (nbf), set here with `az keyvault secret set-attributes`."
            .to_owned(),
        "Expiry does not stop reads: Key Vault still returns an expired or not-yet-valid secret \
         (exp and nbf are informational for secrets)."
            .to_owned(),
        format!(
            "Event Grid publishes {NEAR_EXPIRY_EVENT} 30 days before the current version expires: \
             with expires {}, from {} on.",
            plan.expires,
            rotation::days_before(plan.expires, 30)
        ),
        format!(
            "The rotation period is {} days, in each secret's {} tag: the function must set a new \
             version (`az keyvault secret set … --expires <now + {} days>`) with the same tags, \
             or the next event never comes.",
            plan.validity_period_days,
            rotation::PERIOD_TAG,
            plan.validity_period_days
        ),
    ];
    match plan.function_id {
        Some(function) => notes.push(format!(
            "The event subscription on each vault delivers the event for the app's secrets only \
             to {function}; the function itself (making the new credential at its source, e.g. \
             a database password) is not generated here."
        )),
        None => notes.push(
            "No rotation function was given (rotation.function_id): the secrets will expire and \
             nothing will replace them."
                .to_owned(),
        ),
    }
    notes
}

/// What to know before applying.
fn warnings(checked: &Checked<'_>) -> Vec<String> {
    let mut warnings = Vec::new();
    for env in &checked.environments {
        match env.rbac_authorization {
            Some(true) => {}
            Some(false) => warnings.push(format!(
                "vault {} uses access policies: Key Vault ignores role assignments for reading \
                 secrets until it is switched to Azure RBAC (`az keyvault update --name {} \
                 --enable-rbac-authorization true`), which drops every access policy at once — \
                 assign the equivalent roles first",
                env.vault, env.vault
            )),
            None => warnings.push(format!(
                "whether vault {} uses Azure RBAC was not given (rbac_authorization): the first \
                 command prints enableRbacAuthorization; with access policies (false) the role \
                 assignments grant nothing",
                env.vault
            )),
        }
    }
    warnings.push(
        "the role is assigned on each secret, not on the vault: least privilege in a shared vault \
         (Microsoft's own advice is a vault per app and environment with the role on the vault); \
         each assignment counts against the subscription's limit on role assignments, and takes \
         up to 10 minutes to apply"
            .to_owned(),
    );
    warnings.push(
        "Key Vault holds no secret without a value: the secrets must exist before their role \
         assignments (set each with `az keyvault secret set --vault-name <vault> --name <name> \
         --file <file>`; `--value` would leave it in the shell's history); the Terraform does \
         not manage them, so their values stay out of its state"
            .to_owned(),
    );
    if checked.kubernetes.is_some() {
        warnings.push(
            "the cluster needs its OIDC issuer and workload identity enabled (AKS: `az aks update \
             --enable-oidc-issuer --enable-workload-identity`); ESO reads with the referenced \
             service account's token, and pods that read Key Vault themselves need the \
             pod_template label and service account"
                .to_owned(),
        );
    }
    if let Some(gh) = checked
        .github
        .as_ref()
        .filter(|gh| !gh.use_environments && checked.environments.len() > 1)
    {
        warnings.push(format!(
            "every environment's identity trusts the same subject (repo:{}:ref:{}), so any \
             job on that ref can read every environment's secrets; set \
             github.use_environments so that GitHub environments (and their protection rules) \
             keep them apart",
            gh.repository, gh.git_ref
        ));
    }
    if let Some(plan) = &checked.rotation {
        if plan.function_id.is_some() && plan.function_principal_id.is_none() {
            warnings.push(
                "the rotation function's identity needs Key Vault Secrets Officer on each secret \
                 to set new versions: give rotation.function_principal_id"
                    .to_owned(),
            );
        }
        warnings.push(
            "`set-attributes --tags` replaces each secret's tags with ValidityPeriodDays and \
                 the tags given in rotation.tags"
                .to_owned(),
        );
    }
    warnings
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::generate;
    use crate::request::Request;

    fn environment(name: &str) -> Value {
        json!({
            "name": name,
            "subscription_id": "0b1f6471-1bf0-4dda-aec3-111122223333",
            "tenant_id": "72f988bf-86f1-41af-91ab-2d7cd011db47",
            "resource_group": "rg-payment",
            "vault": format!("kv-payment-{name}"),
            "location": "westeurope",
        })
    }

    fn base() -> Value {
        json!({
            "app": "payment",
            "environments": [environment("production")],
            "secrets": ["db-creds"],
        })
    }

    /// The field a refused request names.
    fn refused(input: Value) -> String {
        let request: Request = serde_json::from_value(input).unwrap();
        generate(&request).map(|_| ()).unwrap_err().field
    }

    const ISSUER: &str = "https://westeurope.oic.prod-aks.azure.com/t/c/";

    #[test]
    fn requests_that_cannot_be_least_privilege_are_refused_by_field() {
        let mut shared_vault = base();
        shared_vault["environments"] = json!([environment("staging"), environment("production")]);
        shared_vault["environments"][1]["vault"] = json!("KV-payment-staging");
        assert_eq!(refused(shared_vault), "/environments/1/vault");

        let mut shared_account = base();
        shared_account["environments"] = json!([environment("staging"), environment("production")]);
        shared_account["kubernetes"] = json!({ "oidc_issuer": ISSUER, "service_account": "app" });
        assert_eq!(
            refused(shared_account.clone()),
            "/kubernetes/service_account"
        );
        // Two clusters, one account name in each: allowed.
        shared_account["environments"][1]["oidc_issuer"] =
            json!("https://eastus.oic.prod-aks.azure.com/t/d/");
        let request: Request = serde_json::from_value(shared_account).unwrap();
        assert!(generate(&request).is_ok());

        let mut no_issuer = base();
        no_issuer["kubernetes"] = json!({});
        assert_eq!(refused(no_issuer), "/kubernetes/oidc_issuer");

        let mut stray_issuer = base();
        stray_issuer["environments"][0]["oidc_issuer"] = json!(ISSUER);
        assert_eq!(refused(stray_issuer), "/environments/0/oidc_issuer");

        let mut twins = base();
        twins["secrets"] = json!(["db-creds", "DB-Creds"]);
        assert_eq!(refused(twins), "/secrets/1");

        let mut long = base();
        long["app"] = json!("a".repeat(60));
        long["environments"][0]["name"] = json!("e".repeat(63));
        assert_eq!(refused(long), "/environments/0/name");
    }

    #[test]
    fn rotation_is_checked_against_what_azure_takes() {
        let rotation = json!({ "expires": "2027-03-01T00:00:00Z", "validity_period_days": 90 });
        let with = |patch: Value| {
            let mut input = base();
            input["rotation"] = rotation.clone();
            for (key, value) in patch.as_object().unwrap() {
                input["rotation"][key] = value.clone();
            }
            input
        };
        assert_eq!(
            refused(with(json!({"not_before": "2027-03-01T00:00:00Z"}))),
            "/rotation/not_before"
        );
        assert_eq!(
            refused(with(json!({"validity_period_days": 30}))),
            "/rotation/validity_period_days"
        );
        assert_eq!(
            refused(with(json!({"tags": {"api-key": {"a": "b"}}}))),
            "/rotation/tags"
        );
        assert_eq!(
            refused(with(
                json!({"tags": {"db-creds": {"ValidityPeriodDays": "1"}}})
            )),
            "/rotation/tags/db-creds/ValidityPeriodDays"
        );
        let function = "/subscriptions/0b1f6471-1bf0-4dda-aec3-111122223333/resourceGroups/rg/providers/Microsoft.Web/sites/rot/functions/Rotate";
        let mut many = with(json!({ "function_id": function }));
        many["secrets"] = json!((0..26).map(|n| format!("s{n}")).collect::<Vec<_>>());
        assert_eq!(refused(many), "/secrets");

        let request: Request =
            serde_json::from_value(with(json!({ "function_id": function }))).unwrap();
        let config = generate(&request).unwrap();
        assert!(
            config
                .rotation_notes
                .iter()
                .any(|n| n.contains("from 2027-01-30 on"))
        );
        assert!(
            config
                .warnings
                .iter()
                .any(|w| w.contains("function_principal_id"))
        );
        let trigger = config.environments[0].rotation_trigger.as_ref().unwrap();
        assert_eq!(trigger.subjects, ["db-creds"]);
        let last = config.environments[0].commands.last().unwrap();
        assert!(
            last.shell
                .ends_with("--advanced-filter subject StringIn db-creds"),
            "{}",
            last.shell
        );
    }

    #[test]
    fn an_unknown_permission_model_is_warned_about_and_checked_first() {
        let request: Request = serde_json::from_value(base()).unwrap();
        let config = generate(&request).unwrap();
        assert!(
            config
                .warnings
                .iter()
                .any(|w| w.contains("rbac_authorization"))
        );
        let first = &config.environments[0].commands[0];
        assert!(
            first.shell.contains("properties.enableRbacAuthorization"),
            "{}",
            first.shell
        );
        assert_eq!(config.environments[0].pending.len(), 1);
    }
}
