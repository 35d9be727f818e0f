//! Terraform built as an HCL body with `hcl-rs`: resource blocks, references
//! to other resources' attributes, and Terraform names made from checked
//! names. Text comes only from `hcl::to_string`.

use std::collections::BTreeSet;

use hcl::expr::{Traversal, Variable};
use hcl::structure::BlockBuilder;
use hcl::{Block, Expression};

/// `resource "<kind>" "<id>" { … }`, to be filled by the caller.
pub fn resource(kind: &str, id: &str) -> BlockBuilder {
    Block::builder("resource").add_label(kind).add_label(id)
}

/// `<kind>.<id>.<attribute>`: another resource's attribute.
pub fn reference(kind: &str, id: &str, attribute: &str) -> Expression {
    Traversal::builder(Variable::unchecked(kind))
        .attr(id)
        .attr(attribute)
        .build()
        .into()
}

/// `azurerm.<alias>` and the like: a provider configuration by its alias.
pub fn provider_alias(provider: &str, alias: &str) -> Expression {
    Traversal::builder(Variable::unchecked(provider))
        .attr(alias)
        .build()
        .into()
}

/// A Terraform name from checked names: any character other than letters,
/// digits, '_' and '-' (a '.' in a secret name) becomes '_', a leading digit
/// or '-' gets a '_' before it, and a name already in `used` gets a number.
pub fn identifier(base: &str, used: &mut BTreeSet<String>) -> String {
    let mut id: String = base
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if !id.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') {
        id.insert(0, '_');
    }
    let mut candidate = id.clone();
    let mut n = 2;
    while !used.insert(candidate.clone()) {
        candidate = format!("{id}_{n}");
        n += 1;
    }
    candidate
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_are_terraform_names_and_never_clash() {
        let mut used = BTreeSet::new();
        assert_eq!(
            identifier("payment_prod_db.creds", &mut used),
            "payment_prod_db_creds"
        );
        assert_eq!(
            identifier("payment_prod_db.creds", &mut used),
            "payment_prod_db_creds_2"
        );
        assert_eq!(identifier("1password", &mut used), "_1password");
        assert_eq!(identifier("-x", &mut used), "_-x");
        let body = hcl::Body::builder()
            .add_block(
                resource("null_resource", &identifier("a b", &mut used))
                    .add_attribute(("x", reference("null_resource", "_1password", "id")))
                    .build(),
            )
            .build();
        let text = hcl::to_string(&body).unwrap();
        assert!(
            text.contains("resource \"null_resource\" \"a_b\""),
            "{text}"
        );
        assert!(text.contains("x = null_resource._1password.id"), "{text}");
    }
}
