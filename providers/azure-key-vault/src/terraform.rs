//! The Terraform form (azurerm provider 4.x): per environment a provider
//! configuration for its subscription, the user-assigned identity, its
//! federated credentials, "Key Vault Secrets User" on each secret, and with
//! rotation the function's role and the Event Grid subscription. Built as an
//! HCL body with `hcl-rs` and serialized by it, never by formatting text.
//!
//! The secrets themselves are not Terraform resources: a Key Vault secret
//! cannot exist without its value, which would then sit in the state. Each
//! role assignment's scope is the secret's resource id, the one the azurerm
//! provider exports as `azurerm_key_vault_secret.<x>.resource_versionless_id`
//! (`parse.NewSecretVersionlessID(…).ID()`:
//! `/subscriptions/…/providers/Microsoft.KeyVault/vaults/<v>/secrets/<s>`),
//! so a caller that manages the secret in Terraform can use either.

use hcl::expr::{Object, ObjectKey, Traversal, Variable};
use hcl::{Block, Body, Expression, Identifier};
use provider_glue::terraform::{Names, reference, resource, resource_ref};

use crate::checked::{AUDIENCE, Checked, Environment, SECRETS_OFFICER, SECRETS_USER};
use crate::rotation::NEAR_EXPIRY_EVENT;

const IDENTITY: &str = "azurerm_user_assigned_identity";
const CREDENTIAL: &str = "azurerm_federated_identity_credential";
const ASSIGNMENT: &str = "azurerm_role_assignment";

/// `main.tf` for the checked request.
pub fn render(checked: &Checked<'_>) -> String {
    let mut body = Body::builder().add_block(required_providers());
    let mut names = Names::default();
    for env in &checked.environments {
        let id = names.unique(&format!("{}_{}", checked.app, env.name));
        body = body.add_blocks(environment(checked, env, &id, &mut names));
    }
    hcl::to_string(&body.build()).expect("an HCL body built in code serializes")
}

fn required_providers() -> Block {
    let mut azurerm = Object::new();
    for (key, value) in [("source", "hashicorp/azurerm"), ("version", "~> 4.0")] {
        azurerm.insert(
            ObjectKey::Identifier(Identifier::unchecked(key)),
            Expression::from(value),
        );
    }
    Block::builder("terraform")
        .add_block(
            Block::builder("required_providers")
                .add_attribute(("azurerm", Expression::Object(azurerm)))
                .build(),
        )
        .build()
}

fn environment(
    checked: &Checked<'_>,
    env: &Environment<'_>,
    id: &str,
    names: &mut Names,
) -> Vec<Block> {
    let provider = resource_ref("azurerm", id);
    let mut blocks = vec![
        Block::builder("provider")
            .add_label("azurerm")
            .add_attribute(("alias", id))
            .add_attribute(("subscription_id", env.subscription))
            .add_attribute(("tenant_id", env.tenant))
            .add_block(Block::builder("features").build())
            .build(),
        resource(IDENTITY, id)
            .add_attribute(("provider", provider.clone()))
            .add_attribute(("name", env.identity_name.as_str()))
            .add_attribute(("resource_group_name", env.identity_resource_group))
            .add_attribute(("location", env.location))
            .build(),
    ];
    // Microsoft Entra refuses concurrent writes of federated credentials
    // under one identity: each waits for the one before it.
    let mut previous: Option<String> = None;
    for credential in &env.credentials {
        let cid = names.unique(&credential.name.replace('-', "_"));
        let mut block = resource(CREDENTIAL, &cid)
            .add_attribute(("provider", provider.clone()))
            .add_attribute(("name", credential.name.as_str()))
            .add_attribute(("resource_group_name", env.identity_resource_group))
            .add_attribute(("parent_id", reference(IDENTITY, id, "id")))
            .add_attribute(("audience", vec![AUDIENCE]))
            .add_attribute(("issuer", credential.issuer.as_str()))
            .add_attribute(("subject", credential.subject.as_str()));
        if let Some(before) = &previous {
            block = block.add_attribute(("depends_on", vec![address(CREDENTIAL, before)]));
        }
        blocks.push(block.build());
        previous = Some(cid);
    }
    let principal = reference(IDENTITY, id, "principal_id");
    for secret in checked.secrets {
        let rid = names.unique(&format!("{id}_{secret}"));
        blocks.push(assignment(
            env,
            &rid,
            &provider,
            principal.clone(),
            SECRETS_USER.1,
            secret,
        ));
    }
    if let Some(plan) = &checked.rotation {
        if let Some(function_principal) = plan.function_principal_id {
            for secret in checked.secrets {
                let rid = names.unique(&format!("{id}_{secret}_rotation"));
                blocks.push(assignment(
                    env,
                    &rid,
                    &provider,
                    Expression::from(function_principal),
                    SECRETS_OFFICER.1,
                    secret,
                ));
            }
        }
        if let Some(function) = plan.function_id {
            let subjects: Vec<&str> = checked.secrets.iter().map(String::as_str).collect();
            let eid = names.unique(&format!("{id}_near_expiry"));
            blocks.push(
                resource("azurerm_eventgrid_event_subscription", &eid)
                    .add_attribute(("provider", provider.clone()))
                    .add_attribute(("name", env.event_subscription.as_str()))
                    .add_attribute(("scope", env.vault_id()))
                    .add_attribute(("included_event_types", vec![NEAR_EXPIRY_EVENT]))
                    .add_block(
                        Block::builder("azure_function_endpoint")
                            .add_attribute(("function_id", function))
                            .build(),
                    )
                    .add_block(
                        Block::builder("advanced_filter")
                            .add_block(
                                Block::builder("string_in")
                                    .add_attribute(("key", "subject"))
                                    .add_attribute(("values", subjects))
                                    .build(),
                            )
                            .build(),
                    )
                    .build(),
            );
        }
    }
    for attribute in ["client_id", "principal_id"] {
        blocks.push(
            Block::builder("output")
                .add_label(format!("{id}_{attribute}"))
                .add_attribute(("value", reference(IDENTITY, id, attribute)))
                .build(),
        );
    }
    blocks
}

/// `role` for `principal` on one secret, in the environment's subscription.
fn assignment(
    env: &Environment<'_>,
    rid: &str,
    provider: &Expression,
    principal: Expression,
    role: &str,
    secret: &str,
) -> Block {
    resource(ASSIGNMENT, rid)
        .add_attribute(("provider", provider.clone()))
        .add_attribute(("scope", env.secret_id(secret)))
        .add_attribute(("role_definition_id", env.role_definition_id(role)))
        .add_attribute(("principal_id", principal))
        .add_attribute(("principal_type", "ServicePrincipal"))
        .build()
}

/// `<kind>.<id>`: a resource's address, as `depends_on` lists it.
fn address(kind: &str, id: &str) -> Expression {
    Traversal::builder(Variable::unchecked(kind))
        .attr(id)
        .build()
        .into()
}
