//! Issue 19, promise 10: no panic on valid input. Every duration of a request
//! (`token_ttl`, `token_max_ttl`, `approle.secret_id_ttl`, `approle.wrap_ttl`) and
//! every time of a policy (`min_wrapping_ttl`, `max_wrapping_ttl`, `expiration`,
//! linted at any `now`) takes extreme values: a config or a report comes out, or the
//! field is refused by its JSON Pointer, never a panic.

use proptest::prelude::*;
use serde_json::json;
use vault_core::Flavour;
use vault_core::lint::lint_at;

/// A duration as a person might write one: any number, any unit, at the limits.
fn duration() -> impl Strategy<Value = String> {
    let number = prop_oneof![
        Just("0".to_owned()),
        Just("999999999".to_owned()),
        Just("9999999999".to_owned()),
        Just(u64::MAX.to_string()),
        Just(i64::MIN.to_string()),
        any::<u32>().prop_map(|n| n.to_string()),
        Just("1.5".to_owned()),
    ];
    let unit = proptest::sample::select(vec!["", "s", "m", "h", "d", "w", "ms", "ns"]);
    (number, unit).prop_map(|(number, unit)| format!("{number}{unit}"))
}

/// A time or duration value inside a policy.
fn policy_value() -> impl Strategy<Value = String> {
    prop_oneof![
        duration().prop_map(|d| format!("{d:?}")),
        Just("\"9999-12-31T23:59:59-23:59\"".to_owned()),
        Just("\"0000-01-01T00:00:00+23:59\"".to_owned()),
        Just(i64::MAX.to_string()),
        Just(i64::MIN.to_string()),
        Just("1e308".to_owned()),
        Just("-1e308".to_owned()),
        any::<i64>().prop_map(|n| n.to_string()),
        any::<i64>().prop_map(|n| format!("\"{n}\"")),
    ]
}

const TTL_FIELDS: [&str; 4] = [
    "/token_ttl",
    "/token_max_ttl",
    "/approle/secret_id_ttl",
    "/approle/wrap_ttl",
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn extreme_ttls_make_a_config_or_name_the_field(
        method in proptest::sample::select(vec!["approle", "kubernetes", "oidc", "jwt"]),
        token_ttl in proptest::option::of(duration()),
        token_max_ttl in proptest::option::of(duration()),
        secret_id_ttl in duration(),
        wrap_ttl in duration(),
    ) {
        let mut request = json!({
            "app_name": "payment",
            "auth_method": method,
            "secrets": ["db-creds", "api-key"],
            "approle": {"secret_id_ttl": secret_id_ttl, "wrap_ttl": wrap_ttl},
        });
        if let Some(ttl) = token_ttl {
            request["token_ttl"] = json!(ttl);
        }
        if let Some(ttl) = token_max_ttl {
            request["token_max_ttl"] = json!(ttl);
        }
        let generate = |request: &serde_json::Value| {
            vault_core::generate(&serde_json::from_value(request.clone()).unwrap())
        };
        match generate(&request) {
            Ok(config) => prop_assert!(!config.environments.is_empty()),
            Err(error) if TTL_FIELDS.contains(&error.field.as_str()) => {}
            Err(error) => {
                // Not about a duration: the same request with default durations fails alike.
                for field in ["token_ttl", "token_max_ttl", "approle"] {
                    request.as_object_mut().unwrap().remove(field);
                }
                prop_assert_eq!(generate(&request).unwrap_err(), error);
            }
        }
    }

    #[test]
    fn extreme_policy_times_lint_at_any_now(
        min in policy_value(),
        max in policy_value(),
        expiration in policy_value(),
        now in prop_oneof![Just(i64::MIN), Just(i64::MAX), Just(0i64), any::<i64>()],
    ) {
        let text = format!(
            "path \"secret/data/a\" {{\n  capabilities = [\"read\"]\n  min_wrapping_ttl = {min}\n  \
             max_wrapping_ttl = {max}\n  expiration = {expiration}\n}}\n"
        );
        for flavour in [Flavour::Vault, Flavour::Openbao] {
            let report = lint_at(&text, flavour, Some(now));
            prop_assert_eq!(report.valid, report.errors.is_empty());
            prop_assert!(!report.report.is_empty());
        }
    }
}
