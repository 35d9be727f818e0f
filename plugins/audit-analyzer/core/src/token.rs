//! Vault/OpenBao token values in an audit log: HMAC'd (the default), redacted by an
//! export (`****`), or live (`log_raw=true`). A live value is a working credential,
//! so it never leaves this crate: it is replaced by a stable fingerprint at parse
//! time, before anything can count, store or print it.

use sha2::{Digest, Sha256};

/// What every audit device writes in front of an HMAC'd value.
const HMAC_PREFIX: &str = "hmac-sha256:";
/// Prefix of a fingerprint, so a reader never mistakes it for a token or an HMAC.
pub const FINGERPRINT_PREFIX: &str = "token-sha256:";

/// Whether `value` is a live token (or accessor) as `log_raw` writes it: neither an
/// HMAC nor a redaction mask. Masks are what exports and SIEMs put in place of a
/// secret: punctuation only (`****`, `---`), or a word such as `[REDACTED]`.
pub(crate) fn is_live(value: &str) -> bool {
    let value = value.trim();
    if value.is_empty() || value.starts_with(HMAC_PREFIX) {
        return false;
    }
    if !value.bytes().any(|b| b.is_ascii_alphanumeric()) {
        return false;
    }
    let word = value.trim_matches(|c: char| !c.is_ascii_alphanumeric());
    ![
        "redacted",
        "masked",
        "hidden",
        "removed",
        "sanitized",
        "filtered",
    ]
    .iter()
    .any(|mask| word.eq_ignore_ascii_case(mask))
}

/// A stable, one-way name for a live token: the first 16 hex digits of its SHA-256.
/// The same token gets the same fingerprint in every entry, file and run, so its
/// accesses still group and can be matched, while the value itself is gone.
pub fn fingerprint(token: &str) -> String {
    let digest = Sha256::digest(token.trim().as_bytes());
    let mut out = String::with_capacity(FINGERPRINT_PREFIX.len() + 16);
    out.push_str(FINGERPRINT_PREFIX);
    for byte in &digest[..8] {
        out.push(char::from_digit(u32::from(byte >> 4), 16).unwrap_or('0'));
        out.push(char::from_digit(u32::from(byte & 15), 16).unwrap_or('0'));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn live_values_are_told_from_hmacs_and_masks() {
        for live in [
            "s.BgcI4NF5AEtZ7sWQmi2hIgM7",
            "hvs.CAESIJ",
            "root",
            "8f7e1d2c-0000",
        ] {
            assert!(is_live(live), "{live}");
        }
        for not in [
            "",
            "hmac-sha256:ae52780e",
            "****",
            " *** ",
            "[REDACTED]",
            "<redacted>",
            "Masked",
        ] {
            assert!(!is_live(not), "{not}");
        }
    }

    #[test]
    fn fingerprints_are_stable_and_one_way() {
        let fp = fingerprint("s.BgcI4NF5AEtZ7sWQmi2hIgM7");
        assert_eq!(fp, fingerprint("s.BgcI4NF5AEtZ7sWQmi2hIgM7"));
        assert_ne!(fp, fingerprint("s.BgcI4NF5AEtZ7sWQmi2hIgM8"));
        assert!(fp.starts_with(FINGERPRINT_PREFIX) && fp.len() == FINGERPRINT_PREFIX.len() + 16);
        assert!(!fp.contains("BgcI4NF5"));
        // SHA-256("root") starts 4813494d137e1631.
        assert_eq!(fingerprint("root"), "token-sha256:4813494d137e1631");
    }
}
