//! Issue 19, promise 10: no panic on valid input. Every time field of the incident
//! (`detected_at`, `exposed_since`, `exposed_until`) and every event time of a log takes
//! extreme but valid RFC 3339 values, with any offset: the playbook is built or the
//! field is refused by its JSON Pointer, never a panic.

use audit_core::AuditReader;
use emergency_core::{Incident, build};
use proptest::prelude::*;

/// An RFC 3339 time, biased to the ends of the years 0000–9999 and the widest offsets.
fn rfc3339() -> impl Strategy<Value = String> {
    let year = prop_oneof![Just(0u32), Just(1), Just(9998), Just(9999), 0u32..=9999];
    let month_day = prop_oneof![Just((1u32, 1u32)), Just((12, 31)), (1u32..=12, 1u32..=28)];
    let clock = prop_oneof![
        Just((0u32, 0u32, 0u32)),
        Just((23, 59, 59)),
        (0u32..24, 0u32..60, 0u32..60)
    ];
    let offset = prop_oneof![
        Just("Z".to_owned()),
        Just("+23:59".to_owned()),
        Just("-23:59".to_owned()),
        (any::<bool>(), 0u32..24, 0u32..60)
            .prop_map(|(east, h, m)| format!("{}{h:02}:{m:02}", if east { '+' } else { '-' })),
    ];
    let fraction = prop_oneof![Just(String::new()), Just(".999999999".to_owned())];
    (year, month_day, clock, fraction, offset).prop_map(
        |(y, (mo, d), (h, mi, s), fraction, offset)| {
            format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}{fraction}{offset}")
        },
    )
}

fn kind() -> impl Strategy<Value = &'static str> {
    prop_oneof![
        Just(r#""incident":"leaked-secret","secret_kind":"api-key""#),
        Just(
            r#""incident":"leaked-secret","secret_kind":"vault-token","exposure":"public","reach":"production""#
        ),
        Just(r#""incident":"compromised-ci-runner","exposure":"non-production","reach":"limited""#),
        Just(r#""incident":"seal-emergency""#),
        Just(r#""incident":"unseal-recovery","unseal_mode":"shamir""#),
        Just(r#""incident":"mass-revocation""#),
    ]
}

/// A Vault request/response pair of the credential at `time`.
fn vault_pair(time: &str) -> String {
    let auth = r#""auth":{"accessor":"hmac-sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa","client_token":"hmac-sha256:bbbb"}"#;
    let request = r#""request":{"id":"r1","operation":"read","path":"secret/data/a","remote_address":"10.0.0.1"}"#;
    format!(
        "{{\"time\":\"{time}\",\"type\":\"request\",{auth},{request}}}\n\
         {{\"time\":\"{time}\",\"type\":\"response\",{auth},{request},\"response\":{{}}}}\n"
    )
}

fn incident(kind: &str, fields: &[(&str, &Option<String>)], logs: bool) -> Incident {
    let mut json = format!("{{{kind}");
    for (name, value) in fields {
        if let Some(value) = value {
            json.push_str(&format!(r#","{name}":"{value}""#));
        }
    }
    if logs {
        json.push_str(r#","audit_logs":["a.log"],"credential":{"vault_accessor_hmac":"hmac-sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"}"#);
    }
    json.push('}');
    serde_json::from_str(&json).unwrap_or_else(|e| panic!("{json}: {e}"))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn extreme_times_build_a_playbook_or_name_the_field(
        kind in kind(),
        detected_at in rfc3339(),
        exposed_since in proptest::option::of(rfc3339()),
        exposed_until in proptest::option::of(rfc3339()),
        event_time in rfc3339(),
        logs in any::<bool>(),
    ) {
        let incident = incident(
            kind,
            &[
                ("detected_at", &Some(detected_at)),
                ("exposed_since", &exposed_since),
                ("exposed_until", &exposed_until),
            ],
            logs,
        );
        let blast_radius = match incident.blast_radius_builder() {
            Ok(Some(mut builder)) => {
                let mut reader = AuditReader::new();
                reader.push(vault_pair(&event_time).as_bytes(), |e| builder.add(e)).unwrap();
                let summary = reader.finish(|e| builder.add(e)).unwrap();
                builder.add_log("a.log", &summary);
                Some(builder.finish())
            }
            Ok(None) => None,
            Err(error) => {
                prop_assert!(error.pointer.starts_with('/'), "{error}");
                None
            }
        };
        match build(&incident, blast_radius) {
            Ok(playbook) => {
                // Every deadline is written as a four-digit-year RFC 3339 time.
                prop_assert!(playbook.steps.iter().all(|s| s.deadline.len() >= 20 && s.deadline.as_bytes()[4] == b'-'));
                prop_assert_eq!(playbook.contain_by.as_bytes()[4], b'-');
            }
            Err(error) => prop_assert!(
                ["/detected_at", "/exposed_since", "/exposed_until"].contains(&error.pointer.as_str()),
                "{error}"
            ),
        }
    }
}

#[test]
fn the_last_second_of_year_9999_is_refused_by_its_pointer_not_a_crash() {
    let last_second = incident(
        r#""incident":"leaked-secret","secret_kind":"api-key""#,
        &[("detected_at", &Some("9999-12-31T23:59:59Z".to_owned()))],
        false,
    );
    let error = build(&last_second, None).unwrap_err();
    assert_eq!(error.pointer, "/detected_at");
    assert!(error.message.contains("9999"), "{error}");

    let past_the_calendar = incident(
        r#""incident":"seal-emergency""#,
        &[("detected_at", &Some("9999-12-31T23:00:00-01:00".to_owned()))],
        false,
    );
    let error = build(&past_the_calendar, None).unwrap_err();
    assert_eq!(error.pointer, "/detected_at");

    let before_the_calendar = incident(
        r#""incident":"mass-revocation""#,
        &[("detected_at", &Some("0000-01-01T00:00:00+00:16".to_owned()))],
        false,
    );
    let error = build(&before_the_calendar, None).unwrap_err();
    assert_eq!(error.pointer, "/detected_at");
}
