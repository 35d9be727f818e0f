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
    let p = build(&leaked(
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
    let p = build(&incident(
        r#"{"incident":"unseal-recovery","detected_at":"2026-06-01T11:30:00+02:00"}"#,
    ))
    .unwrap();
    assert_eq!(p.detected_at, "2026-06-01T09:30:00Z");
    assert_eq!(p.contain_by, "2026-06-01T09:45:00Z");
}

#[test]
fn steps_are_in_phase_order_and_numbered() {
    let p = build(&leaked(
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
    let p = build(&leaked(
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
    let p = build(&incident(
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
    let p = build(&leaked(
        "database-password",
        r#","kv_mount":"secret","kv_path":"payments/db","kv_field":"password""#,
    ))
    .unwrap();
    let s = shells(&p);
    assert!(
        s.contains(&"vault kv patch -mount=secret payments/db password=-".to_owned()),
        "{s:?}"
    );
    let err = build(&leaked(
        "database-password",
        r#","kv_mount":"secret","kv_path":"data/payments/db""#,
    ))
    .unwrap_err();
    assert_eq!(err.pointer, "/kv_path");
    // The field to replace is never guessed.
    let err = build(&leaked("api-key", r#","kv_mount":"secret","kv_path":"a""#)).unwrap_err();
    assert_eq!(err.pointer, "/kv_path");
}

#[test]
fn times_are_checked() {
    let err = build(&incident(
        r#"{"incident":"seal-emergency","detected_at":"yesterday"}"#,
    ))
    .unwrap_err();
    assert_eq!(err.pointer, "/detected_at");
    let err = build(&leaked(
        "api-key",
        r#","exposed_since":"2026-06-02T00:00:00Z""#,
    ))
    .unwrap_err();
    assert_eq!(err.pointer, "/exposed_since");
}

#[test]
fn approle_commands() {
    let p = build(&leaked(
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
    let p = build(&leaked(
        "aws-access-key",
        r#","aws_access_key_id":"AKIAIOSFODNN7EXAMPLE","aws_user":"deploy""#,
    ))
    .unwrap();
    let s = shells(&p);
    assert!(s.contains(&"aws iam update-access-key --user-name deploy --access-key-id AKIAIOSFODNN7EXAMPLE --status Inactive".to_owned()), "{s:?}");
    assert!(s.contains(&"aws cloudtrail lookup-events --lookup-attributes AttributeKey=AccessKeyId,AttributeValue=AKIAIOSFODNN7EXAMPLE".to_owned()));
    let p = build(&leaked(
        "gcp-service-account-key",
        r#","gcp_service_account":"ci@proj-1.iam.gserviceaccount.com","gcp_key_id":"0123abcd""#,
    ))
    .unwrap();
    let s = shells(&p);
    assert!(s.contains(&"gcloud iam service-accounts keys disable 0123abcd --iam-account=ci@proj-1.iam.gserviceaccount.com".to_owned()), "{s:?}");
    // The filter holds a double quote: quoted for the shell, exact in args.
    assert!(s.contains(&"gcloud logging read 'protoPayload.authenticationInfo.principalEmail=\"ci@proj-1.iam.gserviceaccount.com\"'".to_owned()));
    let p = build(&leaked("azure-client-secret", r#","azure_app_id":"11111111-2222-3333-4444-555555555555","azure_key_id":"aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee""#)).unwrap();
    let s = shells(&p);
    assert!(s.contains(&"az ad app credential delete --id 11111111-2222-3333-4444-555555555555 --key-id aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee".to_owned()), "{s:?}");
}

#[test]
fn seal_and_unseal_commands() {
    let p = build(&incident(
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
    let p = build(&incident(r#"{"incident":"unseal-recovery","detected_at":"2026-06-01T09:30:00Z","unseal_threshold":3}"#)).unwrap();
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
            build(&leaked("vault-token", extra)).is_err(),
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
    let a = build(&input).unwrap();
    let b = build(&input).unwrap();
    assert_eq!(render_markdown(&a), render_markdown(&b));
    assert!(a.status_message.starts_with("Incident: leaked Vault/OpenBao token (P0)\nDetected: 2026-06-01T09:30:00Z   Exposure window: 2026-06-01T08:00:00Z to ongoing\n"));
    assert!(render_markdown(&a).contains("- [ ] **1.**"));
    assert!(render_text(&a).contains("$ vault token revoke -accessor a1"));
}
