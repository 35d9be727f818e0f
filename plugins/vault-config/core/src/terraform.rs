//! The Terraform form (vault provider): a `vault_policy` per environment that
//! reads the emitted policy file, and the matching auth backend role resource.
//! Built as an HCL body with `hcl-rs` and serialized by it, never by formatting text.

use hcl::expr::{FuncCall, TemplateExpr, Traversal, Variable};
use hcl::{Block, Body, Expression, Object, ObjectKey};

use crate::auth::{MethodDetails, OIDC_SCOPES, RoleSpec};
use crate::output::EnvironmentConfig;

/// `main.tf` for these environments.
pub(crate) fn render(environments: &[EnvironmentConfig], role: &RoleSpec) -> String {
    let mut body = Body::builder();
    let mut used: Vec<String> = Vec::new();
    for env in environments {
        let id = unique_identifier(&env.policy_name, &mut used);
        body = body.add_block(
            Block::builder("resource")
                .add_label("vault_policy")
                .add_label(id.as_str())
                .add_attribute(("name", env.policy_name.as_str()))
                .add_attribute((
                    "policy",
                    FuncCall::builder("file")
                        // Names are validated: only letters, digits, '.', '_', '-'.
                        .arg(TemplateExpr::QuotedString(format!(
                            "${{path.module}}/{}.hcl",
                            env.policy_name
                        )))
                        .build(),
                ))
                .build(),
        );
        body = body.add_block(role_block(env, role, &id));
    }
    let text = hcl::to_string(&body.build()).expect("an HCL body built in code serializes");
    align_equals(&text)
}

/// Aligns the `=` of consecutive one-line attributes at one indentation, as
/// `terraform fmt` does, so the file passes `terraform fmt -check` as emitted.
/// An attribute whose value opens a multi-line list or object ends a run.
fn align_equals(text: &str) -> String {
    // (indent, key, value) for a one-line attribute; keys never hold spaces.
    fn attribute(line: &str) -> Option<(usize, &str, &str)> {
        let body = line.trim_start_matches(' ');
        let (key, value) = body.split_once(" = ")?;
        let multi_line = value.ends_with('[') || value.ends_with('{');
        (!key.contains(' ') && !multi_line).then_some((line.len() - body.len(), key, value))
    }
    let lines: Vec<&str> = text.lines().collect();
    let mut out = String::with_capacity(text.len() + 64);
    let mut index = 0;
    while index < lines.len() {
        let Some((indent, _, _)) = attribute(lines[index]) else {
            out.push_str(lines[index]);
            out.push('\n');
            index += 1;
            continue;
        };
        let run: Vec<(usize, &str, &str)> = lines[index..]
            .iter()
            .map_while(|line| attribute(line).filter(|(i, _, _)| *i == indent))
            .collect();
        let width = run
            .iter()
            .map(|(_, key, _)| key.chars().count())
            .max()
            .unwrap_or(0);
        for (indent, key, value) in &run {
            let pad = width - key.chars().count();
            out.push_str(&format!("{:indent$}{key}{:pad$} = {value}\n", "", ""));
        }
        index += run.len();
    }
    out
}

fn role_block(env: &EnvironmentConfig, role: &RoleSpec, id: &str) -> Block {
    let policy_name = Traversal::builder(Variable::unchecked("vault_policy"))
        .attr(id)
        .attr("name")
        .build();
    let resource = match role.details {
        MethodDetails::AppRole { .. } => "vault_approle_auth_backend_role",
        MethodDetails::Kubernetes { .. } => "vault_kubernetes_auth_backend_role",
        MethodDetails::Oidc { .. } | MethodDetails::Jwt { .. } => "vault_jwt_auth_backend_role",
    };
    let mut block = Block::builder("resource")
        .add_label(resource)
        .add_label(id)
        .add_attribute(("backend", env.role.mount.as_str()))
        .add_attribute(("role_name", env.role.name.as_str()));
    let strings = |items: &[String]| -> Expression {
        Expression::Array(items.iter().map(|s| Expression::from(s.as_str())).collect())
    };
    match &role.details {
        MethodDetails::AppRole {
            secret_id_ttl,
            secret_id_num_uses,
            secret_id_bound_cidrs,
            ..
        } => {
            block = block
                .add_attribute(("bind_secret_id", true))
                .add_attribute(("secret_id_ttl", secret_id_ttl.seconds))
                .add_attribute(("secret_id_num_uses", u64::from(*secret_id_num_uses)));
            if !secret_id_bound_cidrs.is_empty() {
                block =
                    block.add_attribute(("secret_id_bound_cidrs", strings(secret_id_bound_cidrs)));
            }
        }
        MethodDetails::Kubernetes {
            service_account,
            namespace,
            audience,
        } => {
            block = block
                .add_attribute((
                    "bound_service_account_names",
                    strings(std::slice::from_ref(service_account)),
                ))
                .add_attribute((
                    "bound_service_account_namespaces",
                    strings(std::slice::from_ref(namespace)),
                ));
            if let Some(audience) = audience {
                block = block.add_attribute(("audience", audience.as_str()));
            }
        }
        MethodDetails::Oidc {
            client_id,
            redirect_uris,
            user_claim,
        } => {
            let scopes: Vec<String> = OIDC_SCOPES.iter().map(|s| (*s).to_owned()).collect();
            block = block
                .add_attribute(("role_type", "oidc"))
                .add_attribute(("bound_audiences", strings(std::slice::from_ref(client_id))))
                .add_attribute(("allowed_redirect_uris", strings(redirect_uris)))
                .add_attribute(("user_claim", user_claim.as_str()))
                .add_attribute(("oidc_scopes", strings(&scopes)));
        }
        MethodDetails::Jwt {
            audience,
            user_claim,
            bound_claims_type,
            bound_subject,
            bound_claims,
            claim_mappings,
        } => {
            block = block
                .add_attribute(("role_type", "jwt"))
                .add_attribute(("bound_audiences", strings(std::slice::from_ref(audience))))
                .add_attribute(("user_claim", user_claim.as_str()));
            if let Some(subject) = bound_subject {
                block = block.add_attribute(("bound_subject", subject.as_str()));
            }
            if !bound_claims.is_empty() {
                // The provider takes a map of strings: several values join with commas.
                let mut claims: Object<ObjectKey, Expression> = Object::new();
                for (claim, values) in bound_claims {
                    claims.insert(ObjectKey::from(claim.as_str()), values.join(",").into());
                }
                block = block
                    .add_attribute(("bound_claims_type", *bound_claims_type))
                    .add_attribute(("bound_claims", Expression::Object(claims)));
            }
            if !claim_mappings.is_empty() {
                let mut mappings: Object<ObjectKey, Expression> = Object::new();
                for (claim, key) in claim_mappings {
                    mappings.insert(ObjectKey::from(claim.as_str()), key.as_str().into());
                }
                block = block.add_attribute(("claim_mappings", Expression::Object(mappings)));
            }
        }
    }
    block = block
        .add_attribute((
            "token_policies",
            Expression::Array(vec![policy_name.into()]),
        ))
        .add_attribute(("token_ttl", role.token_ttl.seconds))
        .add_attribute(("token_max_ttl", role.token_max_ttl.seconds));
    if !role.token_bound_cidrs.is_empty() {
        block = block.add_attribute(("token_bound_cidrs", strings(&role.token_bound_cidrs)));
    }
    block.build()
}

/// A Terraform identifier (letters, digits, '_', '-'; not starting with a
/// digit) made from a validated name, unique within the file.
fn unique_identifier(name: &str, used: &mut Vec<String>) -> String {
    let mut id: String = name
        .chars()
        .map(|c| if c == '.' { '_' } else { c })
        .collect();
    if id.starts_with(|c: char| c.is_ascii_digit()) {
        id.insert(0, '_');
    }
    let base = id.clone();
    let mut n = 2;
    while used.contains(&id) {
        id = format!("{base}_{n}");
        n += 1;
    }
    used.push(id.clone());
    id
}

#[cfg(test)]
mod tests {
    use super::align_equals;

    #[test]
    fn aligns_like_terraform_fmt() {
        let raw = "resource \"a\" \"b\" {\n  backend = \"jwt\"\n  role_name = \"x\"\n  bound_audiences = [\n    \"a\"\n  ]\n  user_claim = \"repository\"\n  bound_claims_type = \"string\"\n  bound_claims = {\n    \"repository\" = \"o/r\"\n    \"ref\" = \"refs/heads/main\"\n  }\n  token_ttl = 900\n}\n";
        // What `terraform fmt` 1.x printed for the same file.
        let formatted = "resource \"a\" \"b\" {\n  backend   = \"jwt\"\n  role_name = \"x\"\n  bound_audiences = [\n    \"a\"\n  ]\n  user_claim        = \"repository\"\n  bound_claims_type = \"string\"\n  bound_claims = {\n    \"repository\" = \"o/r\"\n    \"ref\"        = \"refs/heads/main\"\n  }\n  token_ttl = 900\n}\n";
        assert_eq!(align_equals(raw), formatted);
    }
}
