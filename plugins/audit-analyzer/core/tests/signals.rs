//! Security-relevant Vault accesses are recognised with identity, time and request id
//! (DOMAIN-FACTS §A.9).

mod common;

use audit_core::{LONG_TTL_SECONDS, Signal};
use common::{analyse, fixture};

#[test]
fn privileged_and_risky_operations_are_recorded_once_per_access() {
    let mut log = fixture("vault.jsonl");
    log.extend_from_slice(&fixture("vault-signals.jsonl"));
    let analysis = analyse(&log);
    let count = |s: Signal| analysis.signals.get(&s).map_or(0, |st| st.count);

    // Root token: the token/create pair plus four root calls in the signals fixture.
    assert_eq!(count(Signal::RootTokenUse), 4);
    assert_eq!(count(Signal::PolicyChange), 1);
    assert_eq!(count(Signal::AuditDisable), 1, "delete on sys/audit/file");
    assert_eq!(
        count(Signal::AuditChange),
        0,
        "the sys/audit/test probe is not a change"
    );
    assert_eq!(count(Signal::Seal), 1, "a seal request has no response");
    assert_eq!(count(Signal::GenerateRoot), 1);
    assert_eq!(count(Signal::LoginFailure), 1);
    assert_eq!(count(Signal::OrphanToken), 1);
    assert_eq!(count(Signal::RawMode), 0);

    let long = &analysis.signals[&Signal::LongTtlToken];
    assert_eq!(long.count, 1);
    assert_eq!(long.max_ttl_seconds, Some(LONG_TTL_SECONDS));
    assert_eq!(
        long.identities.keys().collect::<Vec<_>>(),
        vec!["hmac-sha256:2222"]
    );
    assert_eq!(long.samples.ids().collect::<Vec<_>>(), vec!["req-4"]);

    let disable = &analysis.signals[&Signal::AuditDisable];
    assert_eq!(disable.first_ms, Some(1_714_611_900_000));
    assert_eq!(disable.samples.ids().collect::<Vec<_>>(), vec!["sig-2"]);
}

#[test]
fn raw_mode_is_a_signal() {
    let analysis = analyse(&fixture("vault-raw.jsonl"));
    assert_eq!(analysis.signals[&Signal::RawMode].count, 1);
    assert_eq!(analysis.totals.raw_token, 1);
}
