//! The Terraform form (Google provider): per environment the secrets (with
//! replication, labels, rotation and its topic), one
//! `google_secret_manager_secret_iam_member` per secret and member (the
//! grant is on the secret, never the project), and the workload identity
//! pool and its providers. Built as an HCL body with `hcl-rs`.

use hcl::expr::Variable;
use hcl::{Block, BlockBuilder, Body, BodyBuilder, Expression, Object, ObjectKey};
use provider_glue::terraform::{Names, reference, render as render_body, resource, resource_ref};

use crate::checked::{Checked, Environment};
use crate::config::ROLE;
use crate::rotation::service_agent;

/// `main.tf` for the request.
pub fn render(checked: &Checked<'_>) -> String {
    let mut body = Body::builder();
    let mut names = Names::default();
    for env in &checked.environments {
        let project = names.unique(env.project_id);
        let mut publisher = None;
        if let Some(schedule) = checked.rotation.as_ref().filter(|_| !env.shares_project) {
            let topic = names.unique(&format!("{project}_{}", schedule.topic));
            let agent = names.unique(&format!("{project}_secretmanager"));
            body = body
                .add_block(
                    resource("google_project_service_identity", &agent)
                        .add_attribute((
                            "provider",
                            Expression::Variable(Variable::unchecked("google-beta")),
                        ))
                        .add_attribute(("project", env.project_id))
                        .add_attribute(("service", "secretmanager.googleapis.com"))
                        .build(),
                )
                .add_block(
                    resource("google_pubsub_topic", &topic)
                        .add_attribute(("project", env.project_id))
                        .add_attribute(("name", schedule.topic))
                        .build(),
                )
                .add_block(
                    resource("google_pubsub_topic_iam_member", &topic)
                        .add_attribute(("project", env.project_id))
                        .add_attribute(("topic", reference("google_pubsub_topic", &topic, "name")))
                        .add_attribute(("role", "roles/pubsub.publisher"))
                        .add_attribute((
                            "member",
                            format!("serviceAccount:{}", service_agent(env.project_number)),
                        ))
                        .add_attribute((
                            "depends_on",
                            vec![resource_ref("google_project_service_identity", &agent)],
                        ))
                        .build(),
                );
            publisher = Some(topic);
        }
        if !checked.ci.is_empty() && !env.shares_project {
            body = pool(body, checked, env, &project, &mut names);
        }
        for secret in &env.secrets {
            let id = names.unique(&secret.id);
            let mut block = resource("google_secret_manager_secret", &id)
                .add_attribute(("project", env.project_id))
                .add_attribute(("secret_id", secret.id.as_str()))
                .add_attribute(("labels", labels(checked.app, env.name)))
                .add_block(replication(checked.locations));
            if let Some(schedule) = &checked.rotation {
                // The topic's resource when this environment made it, else
                // its name (an earlier environment in this project made it).
                let topic: Expression = match &publisher {
                    Some(topic) => reference("google_pubsub_topic", topic, "id"),
                    None => schedule.topic_name(env.project_id).into(),
                };
                block = block
                    .add_block(
                        Block::builder("topics")
                            .add_attribute(("name", topic))
                            .build(),
                    )
                    .add_block(
                        Block::builder("rotation")
                            .add_attribute(("rotation_period", schedule.period.as_str()))
                            .add_attribute(("next_rotation_time", schedule.next_rotation_time))
                            .build(),
                    );
                if let Some(topic) = &publisher {
                    block = block.add_attribute((
                        "depends_on",
                        vec![resource_ref("google_pubsub_topic_iam_member", topic)],
                    ));
                }
            }
            body = body.add_block(block.build());
            for grantee in checked.grantees(env) {
                let mut member = resource(
                    "google_secret_manager_secret_iam_member",
                    &names.unique(&format!("{id}_{}", grantee.key)),
                )
                .add_attribute((
                    "project",
                    reference("google_secret_manager_secret", &id, "project"),
                ))
                .add_attribute((
                    "secret_id",
                    reference("google_secret_manager_secret", &id, "secret_id"),
                ))
                .add_attribute(("role", ROLE))
                .add_attribute(("member", grantee.member));
                if let Some(condition) = &checked.condition {
                    member = member.add_block(
                        Block::builder("condition")
                            .add_attribute(("title", condition.title.as_str()))
                            .add_attribute(("description", condition.description.as_str()))
                            .add_attribute(("expression", condition.expression.as_str()))
                            .build(),
                    );
                }
                body = body.add_block(member.build());
            }
        }
    }
    render_body(body.build())
}

/// The workload identity pool of an environment's project and its CI providers.
fn pool(
    mut body: BodyBuilder,
    checked: &Checked<'_>,
    env: &Environment<'_>,
    project: &str,
    names: &mut Names,
) -> BodyBuilder {
    let pool_id = names.unique(&format!("{project}_{}", checked.pool));
    body = body.add_block(
        resource("google_iam_workload_identity_pool", &pool_id)
            .add_attribute(("project", env.project_id))
            .add_attribute(("workload_identity_pool_id", checked.pool.as_str()))
            .add_attribute(("display_name", checked.pool.as_str()))
            .build(),
    );
    for provider in &checked.ci {
        let mapping: Object<ObjectKey, Expression> = provider
            .attribute_mapping
            .iter()
            .map(|(attribute, claim)| (ObjectKey::from(*attribute), Expression::from(*claim)))
            .collect();
        body = body.add_block(
            resource(
                "google_iam_workload_identity_pool_provider",
                &names.unique(&format!("{pool_id}_{}", provider.id)),
            )
            .add_attribute(("project", env.project_id))
            .add_attribute((
                "workload_identity_pool_id",
                reference(
                    "google_iam_workload_identity_pool",
                    &pool_id,
                    "workload_identity_pool_id",
                ),
            ))
            .add_attribute(("workload_identity_pool_provider_id", provider.id))
            .add_attribute(("attribute_mapping", Expression::Object(mapping)))
            .add_attribute(("attribute_condition", provider.attribute_condition.as_str()))
            .add_block(
                Block::builder("oidc")
                    .add_attribute(("issuer_uri", provider.issuer))
                    .add_attribute((
                        "allowed_audiences",
                        vec![provider.audience(env.project_number, &checked.pool)],
                    ))
                    .build(),
            )
            .build(),
        );
    }
    body
}

fn labels(app: &str, environment: &str) -> Expression {
    let mut labels = Object::new();
    labels.insert(
        ObjectKey::Identifier(hcl::Identifier::unchecked("app")),
        Expression::from(app),
    );
    labels.insert(
        ObjectKey::Identifier(hcl::Identifier::unchecked("environment")),
        Expression::from(environment),
    );
    Expression::Object(labels)
}

/// `replication { auto {} }`, or one replica per location.
fn replication(locations: &[String]) -> Block {
    let inner: BlockBuilder = if locations.is_empty() {
        Block::builder("auto")
    } else {
        locations
            .iter()
            .fold(Block::builder("user_managed"), |block, location| {
                block.add_block(
                    Block::builder("replicas")
                        .add_attribute(("location", location.as_str()))
                        .build(),
                )
            })
    };
    Block::builder("replication")
        .add_block(inner.build())
        .build()
}
