//! The three provider plugins installed side by side, signed, as a user
//! installs them: an agent finds each one through the official MCP Python SDK
//! and calls it with the example input its own shipped guidance gives, so the
//! guidance an agent reads is known to work.

use serde_json::Value;
use skill_tests::checkers::{install_provider, mcp_calls_each};
use skill_tests::{
    AWS_SECRETS_MANAGER_WASM, AZURE_KEY_VAULT_WASM, GCP_SECRET_MANAGER_WASM, Skill, workspace,
};

/// Each provider: its tool, its component and its crate folder.
const PROVIDERS: [(&str, &str, &str); 3] = [
    (
        "aws-secrets-manager",
        AWS_SECRETS_MANAGER_WASM,
        "providers/aws-secrets-manager",
    ),
    (
        "gcp-secret-manager",
        GCP_SECRET_MANAGER_WASM,
        "providers/gcp-secret-manager",
    ),
    (
        "azure-key-vault",
        AZURE_KEY_VAULT_WASM,
        "providers/azure-key-vault",
    ),
];

/// The first ```json block of a provider's `GUIDANCE.md`: its example input.
fn guidance_example(folder: &str) -> Value {
    let path = workspace().join(folder).join("GUIDANCE.md");
    let text = std::fs::read_to_string(&path).unwrap();
    let block = text
        .split("```json\n")
        .nth(1)
        .and_then(|rest| rest.split("\n```").next())
        .unwrap_or_else(|| panic!("{} has no ```json example", path.display()));
    serde_json::from_str(block)
        .unwrap_or_else(|e| panic!("the example in {} is not JSON: {e}", path.display()))
}

#[test]
fn the_python_mcp_sdk_lists_and_calls_all_three_providers_with_their_guidance_examples() {
    let skill = Skill::new();
    for (_, wasm, _) in PROVIDERS {
        install_provider(&skill, wasm);
    }
    let calls: Vec<(&str, Value)> = PROVIDERS
        .iter()
        .map(|(tool, _, folder)| (*tool, guidance_example(folder)))
        .collect();
    let report = mcp_calls_each(&skill, &calls);
    // Six checks per provider: listed with an object-root schema and no
    // `$ref`, called, its output matching its schema and `skill run`'s, and a
    // hostile name refused with its pointer.
    assert!(report.contains("18 passed, 0 failed"), "{report}");
    for (tool, _, _) in PROVIDERS {
        assert!(
            report.contains(tool),
            "{tool} is not in the report:\n{report}"
        );
    }
}
