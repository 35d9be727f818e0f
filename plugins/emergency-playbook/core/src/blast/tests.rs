//! Matching, pairing, window and grouping per format, on record shapes from
//! DOMAIN-FACTS §A and §B, read through audit-core's own reader.

use audit_core::AuditReader;

use super::*;

const ACC: &str = "hmac-sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const TOK: &str = "hmac-sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
const OTHER_ACC: &str =
    "hmac-sha256:cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc";
const ENTITY: &str = "3f1a9c2e-5b7d-4e8f-9a0b-1c2d3e4f5a6b";

fn window(from: Option<&str>, until: &str) -> Window {
    let ms = |t: &str| audit_core::parse_rfc3339_ms(t).expect("test time");
    Window {
        from_ms: from.map(ms),
        until_ms: ms(until),
    }
}

fn credential(json: &str) -> Credential {
    serde_json::from_str(json).expect("test credential")
}

/// The blast radius of `log` (one file) for `credential`.
fn radius(log: &str, credential: &Credential, window: Window) -> BlastRadius {
    let mut blast = BlastRadiusBuilder::new(credential, window).unwrap();
    let mut reader = AuditReader::new();
    // Two chunks, cut mid-record, as the plugin's streaming does.
    let (a, b) = log.as_bytes().split_at(log.len() / 2);
    reader.push(a, |e| blast.add(e)).unwrap();
    reader.push(b, |e| blast.add(e)).unwrap();
    let summary = reader.finish(|e| blast.add(e)).unwrap();
    blast.add_log("test.log", &summary);
    blast.finish()
}

/// One Vault request/response pair as the file device writes it.
fn vault_pair(
    id: &str,
    time: &str,
    auth: &str,
    op: &str,
    path: &str,
    addr: &str,
    error: Option<&str>,
) -> String {
    let request = format!(
        r#""request":{{"id":"{id}","operation":"{op}","mount_type":"kv","mount_point":"secret/","path":"{path}","remote_address":"{addr}","client_token":"{TOK}"}}"#
    );
    let error = error.map_or(String::new(), |e| format!(r#","error":"{e}""#));
    format!(
        "{{\"time\":\"{time}\",\"type\":\"request\",\"auth\":{auth},{request}{error}}}\n\
         {{\"time\":\"{time}\",\"type\":\"response\",\"auth\":{auth},{request},\"response\":{{}}{error}}}\n"
    )
}

fn group<'a>(b: &'a BlastRadius, resource: &str, operation: &str) -> &'a AccessGroup {
    b.groups
        .iter()
        .find(|g| g.resource == resource && g.operation == operation)
        .unwrap_or_else(|| panic!("no {operation} {resource} in {:#?}", b.groups))
}

#[test]
fn vault_matches_the_accessor_even_when_the_entity_is_the_identity() {
    let leaked = format!(
        r#"{{"client_token":"{TOK}","accessor":"{ACC}","entity_id":"{ENTITY}","display_name":"token-app","policies":["default","app"]}}"#
    );
    let other = format!(r#"{{"accessor":"{OTHER_ACC}","display_name":"token-svc"}}"#);
    let denied = "1 error occurred:\\n\\t* permission denied\\n\\n";
    let log = [
        // Before the window.
        vault_pair(
            "r0",
            "2024-05-01T08:59:59Z",
            &leaked,
            "read",
            "secret/data/app/db",
            "10.0.0.9",
            None,
        ),
        vault_pair(
            "r1",
            "2024-05-01T09:00:00.5Z",
            &leaked,
            "read",
            "secret/data/app/db",
            "10.0.0.9",
            None,
        ),
        vault_pair(
            "r2",
            "2024-05-01T09:01:00Z",
            &leaked,
            "read",
            "secret/data/app/db",
            "203.0.113.7",
            None,
        ),
        vault_pair(
            "r3",
            "2024-05-01T09:02:00Z",
            &leaked,
            "read",
            "secret/data/admin/root",
            "203.0.113.7",
            Some(denied),
        ),
        vault_pair(
            "r4",
            "2024-05-01T09:03:00Z",
            &leaked,
            "list",
            "secret/metadata/app/",
            "203.0.113.7",
            None,
        ),
        vault_pair(
            "r5",
            "2024-05-01T09:04:00Z",
            &leaked,
            "read",
            "sys/mounts",
            "203.0.113.7",
            Some(denied),
        ),
        // Another token at the same time: never counted.
        vault_pair(
            "s1",
            "2024-05-01T09:02:30Z",
            &other,
            "read",
            "secret/data/app/db",
            "10.0.0.5",
            None,
        ),
        // After the window.
        vault_pair(
            "r6",
            "2024-05-01T10:00:01Z",
            &leaked,
            "read",
            "secret/data/app/api",
            "203.0.113.7",
            None,
        ),
    ]
    .concat();
    let b = radius(
        &log,
        &credential(&format!(r#"{{"vault_accessor_hmac":"{ACC}"}}"#)),
        window(Some("2024-05-01T09:00:00Z"), "2024-05-01T10:00:00Z"),
    );
    assert_eq!(b.logs[0].format, Some(Format::Vault));
    assert_eq!(b.accesses, 5, "a request and its response are one access");
    assert_eq!(b.successes, 3);
    assert_eq!(b.failures, BTreeMap::from([("denied".to_owned(), 2)]));
    assert_eq!((b.before_window, b.after_window, b.untimed), (1, 1, 0));
    assert_eq!(b.groups.len(), 4);
    let db = group(&b, "secret/data/app/db", "read");
    assert_eq!((db.accesses, db.successes), (2, 2));
    assert_eq!(db.secret.as_deref(), Some("secret/app/db"));
    assert_eq!(db.source_addresses, ["10.0.0.9", "203.0.113.7"]);
    assert_eq!(db.first, "2024-05-01T09:00:00.500Z");
    assert_eq!(db.last, "2024-05-01T09:01:00Z");
    assert_eq!(db.request_ids, ["r1", "r2"]);
    let root = group(&b, "secret/data/admin/root", "read");
    assert_eq!((root.accesses, root.successes), (1, 0));
    assert_eq!(root.failures["denied"], 1);
    assert_eq!(group(&b, "secret/metadata/app/", "list").successes, 1);
    assert_eq!(group(&b, "sys/mounts", "read").secret, None);
    assert_eq!(b.rotate_next, ["secret/app/db"]);
    assert_eq!(
        b.adjacent,
        [
            AdjacentPrefix {
                prefix: "secret/admin/".into(),
                read: vec![],
                listed: false,
                denied: 1
            },
            AdjacentPrefix {
                prefix: "secret/app/".into(),
                read: vec!["secret/app/db".into()],
                listed: true,
                denied: 0
            },
        ]
    );
    assert_eq!(
        b.source_addresses,
        BTreeMap::from([("10.0.0.9".to_owned(), 1), ("203.0.113.7".to_owned(), 4)])
    );
    assert_eq!(b.warnings.len(), 1, "{:?}", b.warnings);
    assert!(b.warnings[0].contains("1 accesses after the window"));

    // The same log by entity id finds the same accesses; by another accessor, none
    // of the leaked token's.
    let by_entity = radius(
        &log,
        &credential(&format!(r#"{{"vault_entity_id":"{ENTITY}"}}"#)),
        window(Some("2024-05-01T09:00:00Z"), "2024-05-01T10:00:00Z"),
    );
    assert_eq!(by_entity.groups, b.groups);
    let other = radius(
        &log,
        &credential(&format!(r#"{{"vault_accessor_hmac":"{OTHER_ACC}"}}"#)),
        window(None, "2024-05-01T10:00:00Z"),
    );
    assert_eq!(other.accesses, 1);
    assert_eq!(other.groups[0].request_ids, ["s1"]);
}

#[test]
fn vault_denials_of_a_revoked_token_match_its_hmac() {
    // Denied before authentication: no `auth` object, only `request.client_token`.
    let log = format!(
        concat!(
            r#"{{"time":"2024-05-01T09:00:00Z","type":"request","auth":{{"token_type":"default"}},"request":{{"id":"x1","operation":"read","path":"secret/data/app/db","remote_address":"198.51.100.4","client_token":"{tok}"}},"error":"permission denied"}}"#,
            "\n",
            r#"{{"time":"2024-05-01T09:00:00Z","type":"response","auth":{{"token_type":"default"}},"request":{{"id":"x1","operation":"read","path":"secret/data/app/db","remote_address":"198.51.100.4","client_token":"{tok}"}},"response":{{}},"error":"2 errors occurred:\n\t* permission denied\n\t* invalid token\n\n"}}"#,
            "\n"
        ),
        tok = TOK
    );
    let b = radius(
        &log,
        &credential(&format!(r#"{{"vault_token_hmac":"{TOK}"}}"#)),
        window(None, "2024-05-02T00:00:00Z"),
    );
    assert_eq!(b.accesses, 1);
    assert_eq!(
        b.failures,
        BTreeMap::from([("invalid-token".to_owned(), 1)])
    );
    assert!(b.rotate_next.is_empty());
}

#[test]
fn cloudtrail_matches_the_access_key_id() {
    let event = |key: &str, name: &str, secret: &str, time: &str, error: &str| {
        format!(
            r#"{{"eventVersion":"1.08","userIdentity":{{"type":"IAMUser","principalId":"AIDAEXAMPLE","arn":"arn:aws:iam::111122223333:user/deploy","accountId":"111122223333","accessKeyId":"{key}","userName":"deploy"}},"eventTime":"{time}","eventSource":"secretsmanager.amazonaws.com","eventName":"{name}","awsRegion":"us-east-1","sourceIPAddress":"198.51.100.20","requestParameters":{{"secretId":"{secret}"}}{error},"requestID":"req-{time}","eventID":"evt-{time}","readOnly":true,"eventType":"AwsApiCall"}}"#
        )
    };
    let key = "AKIAIOSFODNN7EXAMPLE";
    let log = format!(
        "{{\"Records\":[{},{},{},{}]}}",
        event(
            key,
            "GetSecretValue",
            "prod/app/db",
            "2024-05-01T09:00:00Z",
            ""
        ),
        event(
            key,
            "GetSecretValue",
            "prod/app/admin",
            "2024-05-01T09:01:00Z",
            r#","errorCode":"AccessDenied""#
        ),
        // The same user's other key: not the leaked credential.
        event(
            "AKIAOTHEROTHEROTHER1",
            "GetSecretValue",
            "prod/app/api",
            "2024-05-01T09:02:00Z",
            ""
        ),
        event(
            key,
            "DescribeSecret",
            "prod/app/db",
            "2024-05-01T09:03:00Z",
            ""
        ),
    );
    let b = radius(
        &log,
        &credential(&format!(r#"{{"aws_access_key_id":"{key}"}}"#)),
        window(None, "2024-05-02T00:00:00Z"),
    );
    assert_eq!(b.accesses, 3);
    assert_eq!(group(&b, "prod/app/db", "GetSecretValue").successes, 1);
    assert_eq!(
        group(&b, "prod/app/admin", "GetSecretValue").failures["denied"],
        1
    );
    assert_eq!(group(&b, "prod/app/db", "DescribeSecret").accesses, 1);
    assert_eq!(b.rotate_next, ["prod/app/db"]);
    assert_eq!(b.adjacent[0].prefix, "prod/app/");
    assert_eq!(b.adjacent[0].denied, 1);
}

#[test]
fn gcp_matches_the_principal_and_names_the_secret_without_version() {
    let entry = |who: &str, secret: &str, code: u8, id: &str| {
        format!(
            r#"{{"protoPayload":{{"@type":"type.googleapis.com/google.cloud.audit.AuditLog","status":{{"code":{code}}},"authenticationInfo":{{"principalEmail":"{who}"}},"requestMetadata":{{"callerIp":"203.0.113.30"}},"serviceName":"secretmanager.googleapis.com","methodName":"google.cloud.secretmanager.v1.SecretManagerService.AccessSecretVersion","resourceName":"projects/proj-1/secrets/{secret}/versions/latest"}},"insertId":"{id}","timestamp":"2024-05-01T09:00:00Z","logName":"projects/proj-1/logs/cloudaudit.googleapis.com%2Fdata_access"}}"#
        ) + "\n"
    };
    let sa = "ci@proj-1.iam.gserviceaccount.com";
    let log = [
        entry(sa, "db", 0, "g1"),
        entry(sa, "admin", 7, "g2"),
        entry("app@proj-1.iam.gserviceaccount.com", "api", 0, "g3"),
    ]
    .concat();
    let b = radius(
        &log,
        &credential(&format!(r#"{{"gcp_principal":"{sa}"}}"#)),
        window(None, "2024-05-02T00:00:00Z"),
    );
    assert_eq!(b.accesses, 2);
    assert_eq!(b.rotate_next, ["projects/proj-1/secrets/db"]);
    assert_eq!(b.adjacent[0].prefix, "projects/proj-1/secrets/");
    assert_eq!(b.adjacent[0].denied, 1);
    assert!(b.warnings.is_empty(), "{:?}", b.warnings);
}

#[test]
fn azure_matches_the_object_id_or_the_application() {
    let record = |oid: &str, appid: &str, status: u16, op: &str, id: &str| {
        format!(
            r#"{{"time":"2024-05-01T09:00:00Z","resourceId":"/SUBSCRIPTIONS/X/RESOURCEGROUPS/RG/PROVIDERS/MICROSOFT.KEYVAULT/VAULTS/KV1","operationName":"{op}","category":"AuditEvent","resultType":"Success","resultSignature":"OK","callerIpAddress":"203.0.113.50","correlationId":"{id}","identity":{{"claim":{{"oid":"{oid}","appid":"{appid}"}}}},"properties":{{"id":"https://kv1.vault.azure.net/secrets/db/0123abcd","httpStatusCode":{status}}}}}"#
        )
    };
    let oid = "aaaaaaaa-1111-2222-3333-444444444444";
    let app = "11111111-2222-3333-4444-555555555555";
    let log = format!(
        "{{\"records\":[{},{},{}]}}",
        record(oid, app, 200, "SecretGet", "c1"),
        record(oid, app, 403, "SecretSet", "c2"),
        record(
            "bbbbbbbb-1111-2222-3333-444444444444",
            "99999999-2222-3333-4444-555555555555",
            200,
            "SecretGet",
            "c3"
        ),
    );
    // Object ids are compared without regard to case.
    let by_oid = radius(
        &log,
        &credential(&format!(
            r#"{{"azure_object_id":"{}"}}"#,
            oid.to_uppercase()
        )),
        window(None, "2024-05-02T00:00:00Z"),
    );
    assert_eq!(by_oid.accesses, 2);
    assert_eq!(
        by_oid.rotate_next,
        ["https://kv1.vault.azure.net/secrets/db"]
    );
    let by_app = radius(
        &log,
        &credential(&format!(r#"{{"azure_app_id":"{app}"}}"#)),
        window(None, "2024-05-02T00:00:00Z"),
    );
    assert_eq!(by_app.groups, by_oid.groups);
    assert_eq!(
        group(
            &by_app,
            "https://kv1.vault.azure.net/secrets/db/0123abcd",
            "SecretSet"
        )
        .failures["denied"],
        1
    );
}

#[test]
fn identifiers_are_validated_and_one_is_needed() {
    let w = window(None, "2024-05-02T00:00:00Z");
    let err = BlastRadiusBuilder::new(&Credential::default(), w).unwrap_err();
    assert_eq!(err.pointer, "/credential");
    for (json, pointer) in [
        (
            r#"{"vault_accessor_hmac":"hvs.rawtoken"}"#,
            "/credential/vault_accessor_hmac",
        ),
        (
            r#"{"vault_token_hmac":"hmac-sha256:zz"}"#,
            "/credential/vault_token_hmac",
        ),
        (
            r#"{"gcp_principal":"x\"@y.com"}"#,
            "/credential/gcp_principal",
        ),
        (
            r#"{"azure_object_id":"1 || true"}"#,
            "/credential/azure_object_id",
        ),
        (
            r#"{"aws_access_key_id":"AKIA'; id"}"#,
            "/credential/aws_access_key_id",
        ),
    ] {
        let err = BlastRadiusBuilder::new(&credential(json), w).unwrap_err();
        assert_eq!(err.pointer, pointer, "{json}");
    }
}

#[test]
fn groups_are_bounded_and_output_is_deterministic() {
    let auth = format!(r#"{{"accessor":"{ACC}"}}"#);
    let log: String = (0..MAX_GROUPS + 10)
        .map(|i| {
            vault_pair(
                &format!("r{i}"),
                "2024-05-01T09:00:00Z",
                &auth,
                "read",
                &format!("secret/data/k{i}"),
                "10.0.0.1",
                None,
            )
        })
        .collect();
    let c = credential(&format!(r#"{{"vault_accessor_hmac":"{ACC}"}}"#));
    let w = window(None, "2024-05-02T00:00:00Z");
    let b = radius(&log, &c, w);
    assert_eq!(b.groups.len(), MAX_GROUPS);
    assert_eq!(b.unlisted_accesses, 10);
    assert_eq!(b.accesses, MAX_GROUPS as u64 + 10);
    assert_eq!(b, radius(&log, &c, w));
}
