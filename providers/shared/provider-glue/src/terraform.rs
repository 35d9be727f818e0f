//! Terraform (HCL2) built as a body with `hcl-rs` and serialized by it, never
//! by formatting text: resource blocks, references between them, `file()`
//! of a file the provider writes beside `main.tf`, and resource names made
//! from checked names.

use std::collections::BTreeSet;

use hcl::expr::{FuncCall, TemplateExpr, Traversal, Variable};
use hcl::structure::BlockBuilder;
use hcl::{Block, Body, Expression};

/// `resource "<kind>" "<id>" { … }`, to be filled in.
pub fn resource(kind: &str, id: &str) -> BlockBuilder {
    Block::builder("resource").add_label(kind).add_label(id)
}

/// `<kind>.<id>.<attribute>`, a reference to another resource's attribute.
pub fn reference(kind: &str, id: &str, attribute: &str) -> Expression {
    Traversal::builder(Variable::unchecked(kind))
        .attr(id)
        .attr(attribute)
        .build()
        .into()
}

/// `<kind>.<id>`: a resource itself (for `depends_on`), or a provider
/// configuration by its alias (`azurerm.<alias>`, for `provider`).
pub fn resource_ref(kind: &str, id: &str) -> Expression {
    Traversal::builder(Variable::unchecked(kind))
        .attr(id)
        .build()
        .into()
}

/// `file("${path.module}/<name>")`; file names are built from checked names.
pub fn file(name: &str) -> Expression {
    FuncCall::builder("file")
        .arg(TemplateExpr::QuotedString(format!(
            "${{path.module}}/{name}"
        )))
        .build()
        .into()
}

/// The text of `body`.
pub fn render(body: Body) -> String {
    hcl::to_string(&body).expect("an HCL body built in code serializes")
}

/// Resource names not used twice in one `main.tf`.
#[derive(Default)]
pub struct Names(BTreeSet<String>);

impl Names {
    /// A Terraform name from checked names: any character but letters,
    /// digits, '_' and '-' (a '.' in a secret name, a '(' in an Azure
    /// resource group) becomes '_', a name that does not start with a letter
    /// or '_' gets a '_' before it, and a name used already gets a number.
    pub fn unique(&mut self, base: &str) -> String {
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
        while !self.0.insert(candidate.clone()) {
            candidate = format!("{id}_{n}");
            n += 1;
        }
        candidate
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_identifiers_and_unique() {
        let mut names = Names::default();
        assert_eq!(names.unique("a.b"), "a_b");
        assert_eq!(names.unique("a_b"), "a_b_2");
        assert_eq!(names.unique("1x"), "_1x");
        assert_eq!(names.unique("-rg(1)"), "_-rg_1_");
        let body = Body::builder()
            .add_block(
                resource("null_resource", "a_b")
                    .add_attribute(("x", reference("null_resource", "c", "id")))
                    .add_attribute(("y", file("p.json")))
                    .build(),
            )
            .build();
        assert_eq!(
            render(body),
            "resource \"null_resource\" \"a_b\" {\n  x = null_resource.c.id\n  y = file(\"${path.module}/p.json\")\n}\n"
        );
    }
}
