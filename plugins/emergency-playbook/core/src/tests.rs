//! Severity, deadlines, every command form, and hostile input.

use super::*;

fn incident(json: &str) -> Incident {
    serde_json::from_str(json).expect("test incident parses")
}

fn leaked(kind: &str, extra: &str) -> Incident {
    incident(&format!(
        r#"{{"incident":"leaked-secret","secret_kind":"{kind}","detected_at":"2026-06-01T09:30:00Z"{extra}}}"#
    ))
}

/// The playbook without audit logs.
fn plan(incident: &Incident) -> Result<Playbook, InputError> {
    build(incident, None)
}

fn shells(p: &Playbook) -> Vec<String> {
    p.steps
        .iter()
        .flat_map(|s| s.commands.iter().map(|c| c.shell.clone()))
        .collect()
}

#[test]
fn severity_follows_exposure_and_reach() {
    use Exposure::{Internal, Public};
    use Reach::{Limited, Production};
    assert_eq!(
        Severity::derive(Some(Public), Some(Production)),
        Severity::P0
    );
    assert_eq!(
        Severity::derive(Some(Internal), Some(Production)),
        Severity::P1
    );
    assert_eq!(
        Severity::derive(Some(Exposure::NonProduction), Some(Production)),
        Severity::P2
    );
    assert_eq!(
        Severity::derive(Some(Public), Some(Reach::NonProduction)),
        Severity::P2
    );
    assert_eq!(Severity::derive(Some(Public), Some(Limited)), Severity::P3);
    // Unknown facts mean the worst case.
    assert_eq!(Severity::derive(None, None), Severity::P0);
}

#[test]
fn deadlines_count_from_detection_time() {
    let p = plan(&leaked(
        "api-key",
        r#","exposure":"internal","reach":"production""#,
    ))
    .unwrap();
    assert_eq!(p.severity, Severity::P1);
    assert_eq!(p.contain_by, "2026-06-01T10:30:00Z");
    let by_phase = |phase| {
        p.steps
            .iter()
            .find(|s| s.phase == phase)
            .unwrap()
            .deadline
            .clone()
    };
    assert_eq!(by_phase(Phase::Contain), "2026-06-01T10:30:00Z");
    assert_eq!(by_phase(Phase::Assess), "2026-06-01T13:30:00Z");
    assert_eq!(by_phase(Phase::Recover), "2026-06-01T17:30:00Z");
    assert_eq!(by_phase(Phase::PostMortem), "2026-06-04T17:30:00Z");
    for (severity, minutes) in [
        (Severity::P0, 15),
        (Severity::P1, 60),
        (Severity::P2, 240),
        (Severity::P3, 1440),
    ] {
        assert_eq!(severity.contain_minutes(), minutes);
    }
    // Offsets are converted to UTC.
    let p = plan(&incident(
        r#"{"incident":"unseal-recovery","detected_at":"2026-06-01T11:30:00+02:00"}"#,
    ))
    .unwrap();
    assert_eq!(p.detected_at, "2026-06-01T09:30:00Z");
    assert_eq!(p.contain_by, "2026-06-01T09:45:00Z");
}

#[test]
fn steps_are_in_phase_order_and_numbered() {
    let p = plan(&leaked(
        "vault-token",
        r#","token_accessors":["acc1"],"audit_device":"file""#,
    ))
    .unwrap();
    assert!(p.steps.windows(2).all(|w| w[0].phase <= w[1].phase));
    assert!(p.steps.iter().enumerate().all(|(i, s)| s.number == i + 1));
    assert_eq!(p.steps.last().unwrap().phase, Phase::PostMortem);
}

#[test]
fn vault_token_commands() {
    let p = plan(&leaked(
        "vault-token",
        r#","token_accessors":["hmac.Abc-1"],"audit_device":"file","cli":"bao""#,
    ))
    .unwrap();
    let s = shells(&p);
    assert!(
        s.contains(&"bao token revoke -accessor hmac.Abc-1".to_owned()),
        "{s:?}"
    );
    assert!(s.contains(&"bao token lookup -accessor hmac.Abc-1".to_owned()));
    assert!(s.contains(&"bao write -field=hash sys/audit-hash/file input=hmac.Abc-1".to_owned()));
}

#[test]
fn lease_and_auth_mount_revocation_by_prefix() {
    let p = plan(&incident(
        r#"{"incident":"mass-revocation","detected_at":"2026-06-01T09:30:00Z","lease_prefixes":["database/creds/app/"],"auth_mounts":["jwt"]}"#,
    ))
    .unwrap();
    let s = shells(&p);
    assert!(
        s.contains(&"vault lease revoke -prefix database/creds/app".to_owned()),
        "{s:?}"
    );
    assert!(s.contains(&"vault lease revoke -prefix auth/jwt".to_owned()));
    let step = p
        .steps
        .iter()
        .find(|s| s.commands.iter().any(|c| c.args[1] == "revoke"))
        .unwrap();
    assert!(step.note.as_deref().unwrap().contains("sudo"));
}

#[test]
fn kv_rotation_uses_the_path_without_data() {
    let p = plan(&leaked(
        "database-password",
        r#","kv_mount":"secret","kv_path":"payments/db","kv_field":"password""#,
    ))
    .unwrap();
    let s = shells(&p);
    assert!(
        s.contains(&"vault kv patch -mount=secret payments/db password=-".to_owned()),
        "{s:?}"
    );
    let err = plan(&leaked(
        "database-password",
        r#","kv_mount":"secret","kv_path":"data/payments/db""#,
    ))
    .unwrap_err();
    assert_eq!(err.pointer, "/kv_path");
    // The field to replace is never guessed.
    let err = plan(&leaked("api-key", r#","kv_mount":"secret","kv_path":"a""#)).unwrap_err();
    assert_eq!(err.pointer, "/kv_path");
}

#[test]
fn times_are_checked() {
    let err = plan(&incident(
        r#"{"incident":"seal-emergency","detected_at":"yesterday"}"#,
    ))
    .unwrap_err();
    assert_eq!(err.pointer, "/detected_at");
    let err = plan(&leaked(
        "api-key",
        r#","exposed_since":"2026-06-02T00:00:00Z""#,
    ))
    .unwrap_err();
    assert_eq!(err.pointer, "/exposed_since");
}

#[test]
fn approle_commands() {
    let p = plan(&leaked(
        "approle-secret-id",
        r#","approle_role":"ci","secret_id_accessor":"84896a0c-1347-aa90-a4f6-aca8b7558780""#,
    ))
    .unwrap();
    let s = shells(&p);
    assert!(s.contains(&"vault write auth/approle/role/ci/secret-id-accessor/destroy secret_id_accessor=84896a0c-1347-aa90-a4f6-aca8b7558780".to_owned()), "{s:?}");
    assert!(s.contains(&"vault write -wrap-ttl=5m -f auth/approle/role/ci/secret-id".to_owned()));
}

#[test]
fn cloud_commands() {
    let p = plan(&leaked(
        "aws-access-key",
        r#","aws_access_key_id":"AKIAIOSFODNN7EXAMPLE","aws_user":"deploy""#,
    ))
    .unwrap();
    let s = shells(&p);
    assert!(s.contains(&"aws iam update-access-key --user-name deploy --access-key-id AKIAIOSFODNN7EXAMPLE --status Inactive".to_owned()), "{s:?}");
    assert!(s.contains(&"aws cloudtrail lookup-events --lookup-attributes AttributeKey=AccessKeyId,AttributeValue=AKIAIOSFODNN7EXAMPLE".to_owned()));
    let p = plan(&leaked(
        "gcp-service-account-key",
        r#","gcp_service_account":"ci@proj-1.iam.gserviceaccount.com","gcp_key_id":"0123abcd""#,
    ))
    .unwrap();
    let s = shells(&p);
    assert!(s.contains(&"gcloud iam service-accounts keys disable 0123abcd --iam-account=ci@proj-1.iam.gserviceaccount.com".to_owned()), "{s:?}");
    // The filter holds a double quote: quoted for the shell, exact in args.
    assert!(s.contains(&"gcloud logging read 'protoPayload.authenticationInfo.principalEmail=\"ci@proj-1.iam.gserviceaccount.com\"'".to_owned()));
    let p = plan(&leaked("azure-client-secret", r#","azure_app_id":"11111111-2222-3333-4444-555555555555","azure_key_id":"aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee""#)).unwrap();
    let s = shells(&p);
    assert!(s.contains(&"az ad app credential delete --id 11111111-2222-3333-4444-555555555555 --key-id aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee".to_owned()), "{s:?}");
}

#[test]
fn seal_and_unseal_commands() {
    let p = plan(&incident(
        r#"{"incident":"seal-emergency","detected_at":"2026-06-01T09:30:00Z","ha":true}"#,
    ))
    .unwrap();
    let s = shells(&p);
    assert!(s.contains(&"vault operator seal".to_owned()));
    assert!(
        s.iter().all(|c| !c.contains("-address")),
        "standbys are restarted, never sealed by address"
    );
    let seal = p
        .steps
        .iter()
        .find(|s| s.commands.iter().any(|c| c.shell == "vault operator seal"))
        .unwrap();
    assert!(
        seal.note
            .as_deref()
            .unwrap()
            .contains("only the active node")
    );
    let p = plan(&incident(r#"{"incident":"unseal-recovery","detected_at":"2026-06-01T09:30:00Z","unseal_threshold":3}"#)).unwrap();
    assert!(
        p.steps
            .iter()
            .any(|s| s.title.contains("Gather 3 unseal key holders"))
    );
    assert!(shells(&p).contains(&"vault operator unseal".to_owned()));
}

#[test]
fn hostile_values_are_rejected() {
    let cases = [
        r#","token_accessors":["x; rm -rf /"]"#,
        r#","token_accessors":["-policy=root"]"#,
        r#","token_accessors":["$(id)"]"#,
        r#","lease_prefixes":["../sys/seal"]"#,
        r#","lease_prefixes":["a b"]"#,
        r#","kv_mount":"secret","kv_path":"a`id`""#,
        r#","aws_access_key_id":"AKIA'; id; echo '""#,
        r#","aws_user":"-x""#,
        r#","gcp_service_account":"a\"@x.iam.gserviceaccount.com""#,
        r#","azure_app_id":"1 || true""#,
    ];
    for extra in cases {
        assert!(
            plan(&leaked("vault-token", extra)).is_err(),
            "accepted {extra}"
        );
    }
}

#[test]
fn every_argument_is_quoted_for_the_shell() {
    // Values that pass validation but hold characters a shell reads are quoted.
    let c = Command::new("vault", ["write", "a b", "x'y"]);
    assert_eq!(c.shell, r"vault write 'a b' 'x'\''y'");
    assert_eq!(c.args, ["write", "a b", "x'y"]);
}

#[test]
fn output_is_deterministic_and_renders() {
    let input = leaked(
        "vault-token",
        r#","token_accessors":["a1"],"exposed_since":"2026-06-01T08:00:00Z""#,
    );
    let a = plan(&input).unwrap();
    let b = plan(&input).unwrap();
    assert_eq!(render_markdown(&a), render_markdown(&b));
    assert!(a.status_message.starts_with("Incident: leaked Vault/OpenBao token (P0)\nDetected: 2026-06-01T09:30:00Z   Exposure window: 2026-06-01T08:00:00Z to ongoing\n"));
    assert!(render_markdown(&a).contains("- [ ] **1.**"));
    assert!(render_text(&a).contains("$ vault token revoke -accessor a1"));
}

/// A leaked Vault token's playbook with the blast radius of one read of `path`.
fn playbook_after_reading(path: &str) -> Playbook {
    let hmac = format!("hmac-sha256:{}", "a".repeat(64));
    let incident: Incident = serde_json::from_str(&format!(
        r#"{{"incident":"leaked-secret","secret_kind":"vault-token","detected_at":"2024-05-01T10:00:00Z",
            "audit_logs":["audit.log"],"credential":{{"vault_accessor_hmac":"{hmac}"}}}}"#
    ))
    .unwrap();
    let mut blast = incident
        .blast_radius_builder()
        .unwrap()
        .expect("logs given");
    let path = serde_json::to_string(path).unwrap();
    let line = |kind: &str| {
        format!(
            r#"{{"time":"2024-05-01T09:00:00Z","type":"{kind}","auth":{{"accessor":"{hmac}"}},"request":{{"id":"r1","operation":"read","mount_type":"kv","mount_point":"secret/","path":{path},"remote_address":"10.0.0.1"}}}}"#
        ) + "\n"
    };
    let log = [line("request"), line("response")].concat();
    let mut reader = audit_core::AuditReader::new();
    reader.push(log.as_bytes(), |e| blast.add(e)).unwrap();
    let summary = reader.finish(|e| blast.add(e)).unwrap();
    blast.add_log("audit.log", &summary);
    build(&incident, Some(blast.finish())).unwrap()
}

#[test]
fn blast_radius_feeds_the_assess_steps_status_and_renderings() {
    let hmac = format!("hmac-sha256:{}", "a".repeat(64));
    let p = playbook_after_reading("secret/data/a|b`c");

    let rotate = p
        .steps
        .iter()
        .find(|s| s.title.starts_with("Rotate next"))
        .expect("a rotate-next step");
    assert_eq!(rotate.phase, Phase::Assess);
    // A backtick from the log cannot close the code span.
    assert_eq!(
        rotate.title,
        "Rotate next the secrets it read in the window: `secret/a|b c`"
    );
    assert!(p.status_message.contains(
        "Impact so far: 1 accesses by the credential in the window (1 succeeded); secrets read: secret/a|b`c\n"
    ));
    let md = render_markdown(&p);
    assert!(md.contains("## Blast radius\n"), "{md}");
    assert!(
        md.contains("| secret/data/a\\|b\\`c | read | 1 | 1 | 0 | 10.0.0.1 |"),
        "{md}"
    );
    let text = render_text(&p);
    assert!(
        text.contains("  - read secret/data/a|b`c: 1 accesses, 1 succeeded"),
        "{text}"
    );

    // The incident's own cloud identifiers complete the credential.
    let aws = leaked(
        "aws-access-key",
        r#","aws_access_key_id":"AKIAIOSFODNN7EXAMPLE","audit_logs":["trail.json"],"credential":{}"#,
    );
    assert!(aws.blast_radius_builder().unwrap().is_some());

    // The credential without logs, and logs without the credential, are refused.
    let no_logs: Incident = serde_json::from_str(&format!(
        r#"{{"incident":"leaked-secret","secret_kind":"vault-token","detected_at":"2024-05-01T10:00:00Z","credential":{{"vault_accessor_hmac":"{hmac}"}}}}"#
    ))
    .unwrap();
    assert_eq!(
        no_logs.blast_radius_builder().unwrap_err().pointer,
        "/audit_logs"
    );
    let no_credential = leaked("vault-token", r#","audit_logs":["a.log"]"#);
    assert_eq!(
        no_credential.blast_radius_builder().unwrap_err().pointer,
        "/credential"
    );
    let backwards = leaked(
        "vault-token",
        &format!(
            r#","audit_logs":["a.log"],"credential":{{"vault_accessor_hmac":"{hmac}"}},"exposed_since":"2026-06-01T09:00:00Z","exposed_until":"2026-06-01T08:00:00Z""#
        ),
    );
    assert_eq!(
        backwards.blast_radius_builder().unwrap_err().pointer,
        "/exposed_until"
    );
}

#[test]
fn the_blast_radius_note_names_the_field_each_log_records_the_credential_in() {
    let note = |kind: &str, extra: &str| {
        let p = plan(&leaked(kind, extra)).unwrap();
        let step = p
            .steps
            .iter()
            .find(|s| s.title.starts_with("Find every use of the credential"))
            .expect("the audit step");
        step.note.clone().unwrap_or_default()
    };
    let aws = note(
        "aws-access-key",
        r#","aws_access_key_id":"AKIAIOSFODNN7EXAMPLE""#,
    );
    assert!(aws.contains("userIdentity.accessKeyId") && !aws.contains("sys/audit-hash"));
    let gcp = note("gcp-service-account-key", "");
    assert!(gcp.contains("principalEmail") && !gcp.contains("sys/audit-hash"));
    let azure = note("azure-client-secret", "");
    assert!(azure.contains("identity.claim.appid") && !azure.contains("sys/audit-hash"));
    assert!(note("vault-token", "").contains("sys/audit-hash"));
}

/// A path in an audit log is chosen by whoever sent the request: it cannot forge a
/// line of the playbook or reorder what the responder reads.
#[test]
fn log_values_stay_one_visible_value_in_every_rendering() {
    let p = playbook_after_reading("secret/data/x\n  - forged line\u{202e}gnp.exe\u{1b}[2J");
    let shown = r"x\n  - forged line\u{202e}gnp.exe\u{1b}[2J";
    let text = render_text(&p);
    let md = render_markdown(&p);
    for (what, rendering) in [
        ("text", &text),
        ("markdown", &md),
        ("status", &p.status_message),
    ] {
        assert!(rendering.contains(shown), "{what}: {rendering}");
        assert!(!rendering.contains('\u{202e}'), "{what}: {rendering}");
        assert!(!rendering.contains('\u{1b}'), "{what}: {rendering}");
        assert!(
            !rendering.lines().any(|line| line.starts_with("  - forged")),
            "{what}: {rendering}"
        );
    }
    let rotate = p
        .steps
        .iter()
        .find(|s| s.title.starts_with("Rotate next"))
        .unwrap();
    assert!(
        rotate.title.ends_with(&format!("`secret/{shown}`")),
        "{}",
        rotate.title
    );
}
