//! Who an identity is and what kind (issue #20 points 7–9): Azure callers read from
//! every shape Key Vault logs reach us in, people and machines told apart by how they
//! logged in, and volume compared with peers when an identity has no history. On
//! records in their published shapes and on a log recorded from a real OpenBao 2.7.2
//! (fixtures/README.md names each source).

mod common;

use audit_core::{
    Analysis, Anomaly, AnomalyKind, BusinessHours, IdentityClass, IdentityKind, Thresholds,
    detect_anomalies,
};
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

// 8. People and machines.

fn key_of(analysis: &Analysis, display_name: &str, role: Option<&str>) -> String {
    let log = String::from_utf8(fixture("openbao-peers.jsonl")).unwrap();
    // AppRole tokens are all named `approle`: tell them apart by their role.
    let entity = role.and_then(|role| {
        log.lines().find_map(|line| {
            let v: serde_json::Value = serde_json::from_str(line).ok()?;
            (v["auth"]["metadata"]["role_name"] == role)
                .then(|| v["auth"]["entity_id"].as_str().map(str::to_owned))?
        })
    });
    match entity {
        Some(entity) => entity,
        None => analysis
            .identities
            .iter()
            .find(|(_, s)| s.display_names.contains(display_name))
            .map(|(k, _)| k.clone())
            .unwrap_or_else(|| panic!("no identity named {display_name}")),
    }
}

#[test]
fn identities_are_classed_by_how_they_logged_in() {
    let analysis = analyse(&fixture("openbao-peers.jsonl"));
    let login = |key: &str| analysis.identities[key].login.clone().unwrap();
    for user in ["alice", "erin"] {
        let l = login(&key_of(&analysis, &format!("userpass-{user}"), None));
        assert_eq!(
            (l.class, l.method.as_str(), l.mount.as_deref()),
            (IdentityClass::Human, "userpass", Some("auth/userpass/"))
        );
    }
    for role in ["build", "report"] {
        let l = login(&key_of(&analysis, "approle", Some(role)));
        assert_eq!(
            (l.class, l.method.as_str(), l.mount.as_deref()),
            (IdentityClass::Machine, "approle", Some("auth/approle/"))
        );
    }
    // The root token logged in through no method.
    assert_eq!(
        analysis.identities[&key_of(&analysis, "root", None)].class(),
        IdentityClass::Unknown
    );

    // Without the login in the log, the token metadata tells the same.
    let log = String::from_utf8(fixture("openbao-peers.jsonl")).unwrap();
    let no_logins: String = log
        .lines()
        .filter(|l| !l.contains("/login"))
        .map(|l| format!("{l}\n"))
        .collect();
    let analysis = analyse(no_logins.as_bytes());
    let erin = &analysis.identities[&key_of(&analysis, "userpass-erin", None)];
    let l = erin.login.as_ref().unwrap();
    assert_eq!(
        (l.class, l.mount.as_deref()),
        (IdentityClass::Human, Some("auth/userpass/"))
    );

    // Cloud principals: IAM and root users are people, services machines, a plain
    // role session either; GCP users people, service accounts machines.
    let analysis = analyse(&fixture("cloudtrail-meaning.jsonl"));
    let class = |key: &str| analysis.identities[key].class();
    assert_eq!(
        class("arn:aws:iam::111122223333:user/harvester"),
        IdentityClass::Human
    );
    assert_eq!(
        class("arn:aws:iam::111122223333:root"),
        IdentityClass::Human
    );
    assert_eq!(
        class("secretsmanager.amazonaws.com"),
        IdentityClass::Machine
    );
    assert_eq!(
        class("arn:aws:iam::111122223333:role/Admin/user01"),
        IdentityClass::Unknown
    );
    let analysis = analyse(&fixture("gcp-audit.jsonl"));
    assert_eq!(
        analysis.identities["intruder@example.com"].class(),
        IdentityClass::Human
    );
    assert_eq!(
        analysis.identities["app@proj-1.iam.gserviceaccount.com"].class(),
        IdentityClass::Machine
    );
}

#[test]
fn an_identity_center_role_session_is_a_person() {
    // The AssumedRole record of the fixture as IAM Identity Center's permission-set
    // roles appear (`AWSReservedSSO_<set>_<suffix>` under aws-reserved/sso.amazonaws.com/).
    let log = String::from_utf8(fixture("cloudtrail-meaning.jsonl")).unwrap();
    let line = log.lines().find(|l| l.contains("\"AssumedRole\"")).unwrap();
    let sso = line.replace(
        "role/Admin",
        "role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_AdministratorAccess_0123456789abcdef",
    );
    let (events, _) = read(format!("{sso}\n").as_bytes());
    let login = events[0].login.as_ref().unwrap();
    assert_eq!(
        (login.class, login.method.as_ref()),
        (IdentityClass::Human, "aws-sso")
    );
}

/// `log` with every time moved to Wednesday 2024-05-01, 10:00 UTC on: business hours.
fn in_business_hours(log: &str) -> String {
    log.lines()
        .map(|line| {
            let mut v: serde_json::Value = serde_json::from_str(line).unwrap();
            let t = v["time"].as_str().unwrap().to_owned();
            v["time"] = format!("2024-05-01T10:{}", &t[14..]).into();
            format!("{v}\n")
        })
        .collect()
}

#[test]
fn off_hours_judge_people_and_only_machines_whose_baseline_keeps_hours() {
    // Recorded on a Sunday night: every access is off-hours.
    let log = String::from_utf8(fixture("openbao-peers.jsonl")).unwrap();
    let analysis = analyse(log.as_bytes());
    let erin = key_of(&analysis, "userpass-erin", None);
    let report = key_of(&analysis, "approle", Some("report"));
    let off = |found: &[Anomaly]| -> Vec<String> {
        found
            .iter()
            .filter(|a| a.kind == AnomalyKind::OffHours)
            .map(|a| a.identity.clone())
            .collect()
    };
    let found = detect(&analysis, None);
    assert!(off(&found).contains(&erin), "{found:#?}");
    assert!(
        !off(&found).contains(&report),
        "a machine runs when scheduled"
    );

    // A baseline where the machine kept business hours: now its night is news.
    let daytime = analyse(in_business_hours(&log).as_bytes());
    let found = detect(&analysis, Some(&daytime));
    assert!(off(&found).contains(&report), "{found:#?}");
    // A baseline that shows it running at night too: not.
    let found = detect(&analysis, Some(&analysis));
    assert!(!off(&found).contains(&report));
}

fn detect(analysis: &Analysis, baseline: Option<&Analysis>) -> Vec<Anomaly> {
    detect_anomalies(
        analysis,
        baseline,
        &Thresholds::default(),
        &BusinessHours::default(),
    )
}

// 9. Spikes against peers.

#[test]
fn without_a_history_an_identity_is_compared_with_its_peers() {
    let analysis = analyse(&fixture("openbao-peers.jsonl"));
    let found = detect(&analysis, None);
    let spikes: Vec<&Anomaly> = found
        .iter()
        .filter(|a| a.kind == AnomalyKind::VolumeSpike)
        .collect();
    let mut flagged: Vec<&str> = spikes.iter().map(|a| a.identity.as_str()).collect();
    flagged.sort();
    let mut want = [
        key_of(&analysis, "userpass-erin", None),
        key_of(&analysis, "approle", Some("report")),
    ];
    want.sort();
    assert_eq!(flagged, want, "{spikes:#?}");
    for spike in &spikes {
        // 30 reads and the login, against 3 reads and a login for each peer: the
        // four other users, or the three other AppRole roles (never each other).
        assert_eq!(spike.count, 31);
        assert_eq!(spike.evidence["peer_median_peak_hour"], 4);
        let peers = if spike.message.contains("auth/userpass/") {
            4
        } else {
            3
        };
        assert_eq!(spike.evidence["peers"], peers, "{}", spike.message);
    }
    // A peer bar out of reach flags no one.
    let lenient = Thresholds {
        peer_factor: 10.0,
        ..Thresholds::default()
    };
    let found = detect_anomalies(&analysis, None, &lenient, &BusinessHours::default());
    assert!(found.iter().all(|a| a.kind != AnomalyKind::VolumeSpike));

    // With a history of its own, that is the measure: the same burst in the baseline
    // makes it ordinary.
    let found = detect(&analysis, Some(&analysis));
    assert!(
        found.iter().all(|a| a.kind != AnomalyKind::VolumeSpike),
        "{found:#?}"
    );
}
