//! The secret-type catalog: default interval, rotation method and the standard
//! behind each known type.
//!
//! This is data, not logic: adding a type means adding a row. The numbers keep parity
//! with the tool this project replaces; the citations say how each number relates to
//! the published standard (mostly: stricter than it, or not set by any standard).

use crate::model::{Guidance, Method, MethodKind, Standard};

/// One row of the catalog.
#[derive(Debug)]
pub(crate) struct TypeSpec {
    /// Canonical type name as it appears in inventories.
    pub name: &'static str,
    /// Default rotation interval; `None` means no calendar rotation.
    pub default_days: Option<u32>,
    pub interval_basis: &'static str,
    pub method: MethodKind,
    pub how: &'static str,
    pub method_url: Option<&'static str>,
    pub standard_label: &'static str,
    pub citation: &'static str,
    pub standard_url: Option<&'static str>,
}

impl TypeSpec {
    /// The guidance block shown in a plan for this type.
    pub(crate) fn guidance(&self) -> Guidance {
        Guidance {
            default_interval_days: self.default_days,
            interval_basis: self.interval_basis.to_owned(),
            method: Method {
                kind: self.method,
                how: self.how.to_owned(),
                reference_url: self.method_url.map(str::to_owned),
            },
            standard: Standard {
                label: self.standard_label.to_owned(),
                citation: self.citation.to_owned(),
                url: self.standard_url.map(str::to_owned),
            },
        }
    }
}

const NIST_800_57: &str = "https://doi.org/10.6028/NIST.SP.800-57pt1r5";
const PCI_DSS: &str = "https://www.pcisecuritystandards.org/document_library/";
const NIST_800_63B: &str = "https://pages.nist.gov/800-63-4/sp800-63b.html";
const CABF_SC081: &str = "https://cabforum.org/2025/04/11/ballot-sc081v3-introduce-schedule-of-reducing-validity-and-data-reuse-periods";
const AWS_ROTATION: &str =
    "https://docs.aws.amazon.com/secretsmanager/latest/userguide/rotating-secrets.html";

/// The canonical name of the TLS certificate type, which is planned from `not_after`.
pub(crate) const TLS_CERTIFICATE: &str = "tls-certificate";

/// Every known type, in the order they are listed in messages.
pub(crate) const TYPES: &[TypeSpec] = &[
    TypeSpec {
        name: "database",
        default_days: Some(30),
        interval_basis: "30 days keeps parity with the previous tool; no standard fixes the number. PCI DSS v4.0 \
            Req. 8.6.3 leaves the frequency for application and system account passwords to a targeted risk \
            analysis (Req. 12.3.1) and requires a change whenever compromise is suspected.",
        method: MethodKind::DualAccountSwap,
        how: "Keep two database users with the same grants and alternate between them: give the idle user a \
            fresh password, publish it as the current secret, let clients pick it up, and leave the other user \
            idle until the next round. This is the alternating-users strategy of AWS Secrets Manager \
            (createSecret, setSecret, testSecret, finishSecret; the old value stays as AWSPREVIOUS) and avoids \
            the dropped connections of changing one user's password in place. Better still, let the \
            Vault/OpenBao database secrets engine issue short-lived credentials per client, so there is no \
            long-lived password to rotate at all.",
        method_url: Some(AWS_ROTATION),
        standard_label: "PCI DSS v4.0 Req. 8.6.3",
        citation: "PCI DSS v4.0 Requirement 8.6.3: passwords of application and system accounts are changed \
            periodically, at a frequency set by the entity's targeted risk analysis, and on suspected \
            compromise (mandatory from 31 March 2025).",
        standard_url: Some(PCI_DSS),
    },
    TypeSpec {
        name: "api-key",
        default_days: Some(90),
        interval_basis: "NIST SP 800-57 Part 1 Rev. 5 suggests 1-2 years for authentication keys; 90 days is a \
            stricter project default because API keys are bearer secrets that leak through logs, repositories \
            and client configuration.",
        method: MethodKind::OverlapWindow,
        how: "Issue a second key while the first still works, roll it out to every caller, watch the old key's \
            last-used time or the access logs until traffic has moved, then revoke the old key. Keep the \
            overlap as short as the rollout allows; if the key has leaked, revoke at once instead.",
        method_url: None,
        standard_label: "NIST SP 800-57 Pt1 Rev5 Table 1",
        citation: "NIST SP 800-57 Part 1 Rev. 5 (2020), Table 1: symmetric authentication keys up to 2 years, \
            private authentication keys 1-2 years; the table gives rough order-of-magnitude guidance \
            (section 5.3.6).",
        standard_url: Some(NIST_800_57),
    },
    TypeSpec {
        name: TLS_CERTIFICATE,
        default_days: Some(60),
        interval_basis: "Without not_after, 60 days keeps parity with the previous tool. With not_after the \
            certificate sets the date: renew when a third of its lifetime remains. CA/B Forum Ballot SC-081v3 \
            caps public TLS certificates at 398 days, 200 days from 15 March 2026, 100 days from 15 March 2027 \
            and 47 days from 15 March 2029 (so 60 days will itself be too long by 2029).",
        method: MethodKind::CertificateRenewal,
        how: "Request a new certificate before a third of the current one's lifetime remains, ideally \
            automatically over ACME; deploy the new chain and key next to the old, reload the servers, check \
            the notAfter of the certificate actually served, then remove the old one. As maximum validity \
            falls to 47 days by 2029, automate renewal rather than relying on reminders.",
        method_url: None,
        standard_label: "CA/B Forum Ballot SC-081v3",
        citation: "CA/Browser Forum Ballot SC-081v3 (adopted 11 April 2025): maximum validity of publicly \
            trusted TLS certificates is 398 days, reduced to 200 days from 15 March 2026, 100 days from \
            15 March 2027 and 47 days from 15 March 2029.",
        standard_url: Some(CABF_SC081),
    },
    TypeSpec {
        name: "ssh-key",
        default_days: Some(90),
        interval_basis: "NIST SP 800-57 Part 1 Rev. 5 gives 1-2 years for private authentication keys; 90 days \
            is a stricter project default.",
        method: MethodKind::Rekey,
        how: "Generate a new key pair, install the public key wherever the old one is trusted (authorized_keys, \
            deploy keys, user directories), confirm that login works with the new key, then remove the old \
            public key everywhere. Short-lived SSH certificates from a CA, such as the Vault/OpenBao SSH \
            secrets engine, remove the need to rotate static keys.",
        method_url: None,
        standard_label: "NIST SP 800-57 Pt1 Rev5 Table 1",
        citation: "NIST SP 800-57 Part 1 Rev. 5 (2020), Table 1: private authentication key cryptoperiod \
            1-2 years.",
        standard_url: Some(NIST_800_57),
    },
    TypeSpec {
        name: "service-token",
        default_days: Some(1),
        interval_basis: "1 day keeps parity with the previous tool; it is a project default, not a standard. \
            Machine tokens should be short-lived by construction, with a TTL set by the issuing system.",
        method: MethodKind::DynamicTtl,
        how: "Do not rotate service tokens by hand: have the workload obtain short-lived tokens from its \
            identity (Vault/OpenBao auth methods with token_ttl and token_max_ttl, AWS STS, cloud workload \
            identity) and renew or re-authenticate before the TTL runs out. If a token leaks, revoke it by \
            accessor instead of waiting for it to expire.",
        method_url: Some("https://developer.hashicorp.com/vault/docs/concepts/tokens"),
        standard_label: "NIST SP 800-57 Pt1 Rev5 Table 1",
        citation: "NIST SP 800-57 Part 1 Rev. 5 (2020), Table 1: authorization keys up to 2 years, ephemeral \
            keys for a single transaction; no standard sets 1 day, the shorter the life the smaller the \
            exposure.",
        standard_url: Some(NIST_800_57),
    },
    TypeSpec {
        name: "encryption-key",
        default_days: Some(90),
        interval_basis: "NIST SP 800-57 Part 1 Rev. 5 suggests at most 2 years of originator usage for a \
            symmetric data-encryption key, and PCI DSS v4.0 Req. 3.7.4 asks for a defined cryptoperiod; \
            90 days is a stricter project default.",
        method: MethodKind::RekeyRewrap,
        how: "Create a new key version so that new data is encrypted under it (Vault/OpenBao transit rotate, \
            AWS KMS or Cloud KMS automatic rotation, an Azure Key Vault rotation policy), keep older versions \
            available for decryption, re-encrypt stored ciphertext under the new version (transit rewrap, or \
            decrypt and encrypt again), and only then raise the minimum decryption version or disable the old \
            versions.",
        method_url: Some("https://developer.hashicorp.com/vault/docs/secrets/transit"),
        standard_label: "NIST SP 800-57 Pt1 Rev5 Table 1; PCI DSS v4.0 Req. 3.7.4",
        citation: "NIST SP 800-57 Part 1 Rev. 5 (2020), Table 1: symmetric data-encryption key originator-usage \
            period up to 2 years (recipient usage up to that plus 3 years). PCI DSS v4.0 Requirement 3.7.4: \
            keys are changed at the end of a cryptoperiod the entity defines from industry practice.",
        standard_url: Some(NIST_800_57),
    },
    TypeSpec {
        name: "oauth-secret",
        default_days: Some(90),
        interval_basis: "NIST SP 800-57 Part 1 Rev. 5 suggests 1-2 years for authentication keys; 90 days is a \
            stricter project default for client secrets, which are bearer credentials.",
        method: MethodKind::OverlapWindow,
        how: "Most identity providers allow two active client secrets per application: add a new secret, \
            update the client's configuration, confirm that token requests succeed with it, then delete the \
            old secret. Where the provider supports it, replace the shared secret with private_key_jwt or \
            workload identity federation.",
        method_url: None,
        standard_label: "NIST SP 800-57 Pt1 Rev5 Table 1",
        citation: "NIST SP 800-57 Part 1 Rev. 5 (2020), Table 1: symmetric authentication keys up to 2 years, \
            private authentication keys 1-2 years; rough order-of-magnitude guidance (section 5.3.6).",
        standard_url: Some(NIST_800_57),
    },
    TypeSpec {
        name: "password",
        default_days: Some(30),
        interval_basis: "30 days keeps parity with the previous tool and is stricter than PCI DSS v4.0 \
            Req. 8.3.9 (at least every 90 days for single-factor user passwords); Req. 8.6.3 leaves system and \
            application account passwords to a risk analysis. For passwords that people memorise use the type \
            human-password: NIST SP 800-63B says not to force periodic changes.",
        method: MethodKind::Manual,
        how: "Change the password in the target system and in the secret store together, preferably through \
            the store's rotation function (for example a Secrets Manager rotation function: createSecret, \
            setSecret, testSecret, finishSecret) so the new value is tested before it becomes current; update \
            every consumer, then confirm that the old password no longer works.",
        method_url: Some(AWS_ROTATION),
        standard_label: "PCI DSS v4.0 Req. 8.6.3 / 8.3.9",
        citation: "PCI DSS v4.0 Requirement 8.6.3: application and system account passwords are changed at a \
            frequency set by targeted risk analysis and on suspected compromise. Requirement 8.3.9: where a \
            password is a user's only authentication factor, it is changed at least every 90 days (or access \
            is decided by dynamic analysis of the account's security posture).",
        standard_url: Some(PCI_DSS),
    },
    TypeSpec {
        name: "human-password",
        default_days: None,
        interval_basis: "No calendar rotation: NIST SP 800-63B Rev. 4 (2025) says verifiers SHALL NOT require \
            passwords to be changed periodically (Rev. 3 of 2017 said SHOULD NOT); a change is forced on \
            evidence of compromise.",
        method: MethodKind::EventDriven,
        how: "Do not schedule a change. Force a reset on evidence of compromise (the password appears in a \
            breach corpus, a phishing report, a leaked session), and when a shared account loses a member; \
            screen new passwords against lists of breached passwords and protect the account with \
            multi-factor authentication.",
        method_url: None,
        standard_label: "NIST SP 800-63B Rev4",
        citation: "NIST SP 800-63B Rev. 4 (2025): verifiers SHALL NOT require memorised secrets to be changed \
            arbitrarily (e.g. periodically), but SHALL force a change when there is evidence of compromise.",
        standard_url: Some(NIST_800_63B),
    },
];

/// Guidance for types the planner does not know (and for entries without a type).
pub(crate) const UNKNOWN: TypeSpec = TypeSpec {
    name: "(unknown)",
    default_days: Some(90),
    interval_basis: "Project default for types the planner does not know; no standard is behind the number.",
    method: MethodKind::Manual,
    how: "The planner does not know how this kind of secret is rotated. Write the procedure down: create the \
        replacement, deploy it to every consumer, verify, then revoke the old value; and consider whether \
        a short-lived credential could replace the secret altogether.",
    method_url: None,
    standard_label: "project default, no standard",
    citation: "project default, no standard",
    standard_url: None,
};

/// Finds a known type, forgiving case and `_`/space for `-` (`API_Key` is `api-key`).
pub(crate) fn lookup(given: &str) -> Option<&'static TypeSpec> {
    let given = given.trim();
    // Compared byte by byte rather than normalised into a new string: this runs once
    // per entry, and inventories can be large.
    let same = |name: &str| {
        name.len() == given.len()
            && name.bytes().zip(given.bytes()).all(|(n, g)| match g {
                b'_' | b' ' => n == b'-',
                g => n == g.to_ascii_lowercase(),
            })
    };
    TYPES.iter().find(|spec| same(spec.name))
}

/// The known type names, comma-separated, for messages.
pub(crate) fn known_names() -> String {
    TYPES
        .iter()
        .map(|spec| spec.name)
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_keep_parity_with_the_previous_tool() {
        let days = |name| lookup(name).and_then(|spec| spec.default_days);
        assert_eq!(days("database"), Some(30));
        assert_eq!(days("api-key"), Some(90));
        assert_eq!(days("tls-certificate"), Some(60));
        assert_eq!(days("ssh-key"), Some(90));
        assert_eq!(days("service-token"), Some(1));
        assert_eq!(days("encryption-key"), Some(90));
        assert_eq!(days("oauth-secret"), Some(90));
        assert_eq!(days("password"), Some(30));
        assert_eq!(days("human-password"), None);
        assert_eq!(UNKNOWN.default_days, Some(90));
    }

    #[test]
    fn lookup_forgives_case_and_separators() {
        assert_eq!(lookup(" API_Key ").map(|s| s.name), Some("api-key"));
        assert_eq!(
            lookup("TLS Certificate").map(|s| s.name),
            Some("tls-certificate")
        );
        assert!(lookup("webhook-secret").is_none());
    }
}
