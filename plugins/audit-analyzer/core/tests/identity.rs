//! Who an identity is and what kind (issue #20 points 7–9): Azure callers read from
//! every shape Key Vault logs reach us in, people and machines told apart by how they
//! logged in, and volume compared with peers when an identity has no history. On
//! records in their published shapes and on a log recorded from a real OpenBao 2.7.2
//! (fixtures/README.md names each source).

mod common;

use audit_core::{IdentityClass, IdentityKind};
use common::{analyse, analyse_files, fixture, read};

// 7. Azure identity.

/// The person of Microsoft's documented Key Vault record (`logging.md`), signed in
/// through Azure PowerShell.
const PERSON: &str = "d9da5048-2737-4770-bd64-XXXXXXXXXXXX";
/// A user-assigned managed identity (an application's own token, `idtyp` `app`).
const APP: &str = "6a1f2b3c-0000-4000-8000-00000000a001";

const AZURE_SHAPES: [&str; 3] = [
    "azure-identity-records.json",
    "azure-identity-diagnostics.jsonl",
    "azure-identity-azkv.jsonl",
];

#[test]
fn every_azure_shape_names_the_caller_by_object_id_flattened_or_stringified() {
    // AzureDiagnostics' flattened long-key column.
    let (events, _) = read(&fixture("azure-identity-diagnostics.jsonl"));
    let app = events.last().unwrap();
    assert_eq!(
        (app.identity.kind, app.identity.id.as_ref()),
        (IdentityKind::Principal, APP)
    );
    // AZKVAuditLogs' identity as a JSON string, with and without `claim`.
    let (events, summary) = read(&fixture("azure-identity-azkv.jsonl"));
    assert_eq!(summary.problems.total, 0, "{:?}", summary.problems);
    for e in &events {
        assert_eq!(e.identity.id, PERSON, "{:?}", e.request_id);
    }
    assert_eq!(
        events[0].alias.as_deref(),
        Some("live.com#username@outlook.com")
    );
    assert_eq!(
        events[0].login.as_ref().and_then(|l| l.mount.as_deref()),
        Some("azure:00000000-0000-0000-0000-000000000000"),
        "the tenant"
    );
}

#[test]
fn a_public_client_app_id_is_never_an_identity() {
    let (events, _) = read(&fixture("azure-identity-diagnostics.jsonl"));
    // The Azure CLI with no user claim: nobody we can name, not "the Azure CLI".
    let list = &events[2];
    assert_eq!(list.identity.kind, IdentityKind::Anonymous);
    assert_eq!(list.display_name.as_deref(), Some("Azure CLI user"));
    assert_eq!(list.login, None);

    let analysis = analyse_files(&AZURE_SHAPES);
    for client in [
        "04b07795-8ddb-461a-bbee-02f9e1bf7b46",
        "1950a258-227b-4e31-a9cf-717495945fc2",
    ] {
        assert!(!analysis.identities.contains_key(client), "{client}");
    }
    // An application's own token is its own identity (and keeps its app id as a
    // credential for matching a leaked secret).
    assert!(analysis.identities.contains_key(APP));
    assert_eq!(analysis.identities[APP].class(), IdentityClass::Machine);
}

#[test]
fn one_person_in_three_shapes_is_one_identity() {
    let analysis = analyse_files(&AZURE_SHAPES);
    let person = &analysis.identities[PERSON];
    // Blob records 2, Log Analytics rows keyed by UPN only 2, AZKVAuditLogs 2.
    assert_eq!(person.events, 6, "{:#?}", analysis.identities.keys());
    assert_eq!(person.class(), IdentityClass::Human);
    assert!(
        person
            .display_names
            .contains("live.com#UserName@outlook.com")
    );
    assert!(
        analysis
            .identities
            .keys()
            .all(|k| !k.contains("username@outlook.com")),
        "{:?}",
        analysis.identities.keys()
    );
    // Whichever order the shapes come in.
    let reversed: Vec<&str> = AZURE_SHAPES.iter().rev().copied().collect();
    assert_eq!(analyse_files(&reversed).identities[PERSON].events, 6);
    // Read alone, the UPN-only rows have nothing to tie them to the object id.
    let alone = analyse(&fixture("azure-identity-diagnostics.jsonl"));
    assert_eq!(alone.identities["live.com#username@outlook.com"].events, 2);
}
