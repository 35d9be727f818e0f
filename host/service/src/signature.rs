//! Plugin signatures: Ed25519 in the minisign format.
//!
//! A publisher signs the component with `minisign -S -m plugin.wasm`, which
//! writes `plugin.wasm.minisig`: an untrusted comment, the signature of the
//! file's BLAKE2b-512 hash, a trusted comment (by default the time and file
//! name) and a second signature over the first and the trusted comment. The
//! `minisign-verify` crate checks both signatures; this module finds the key
//! among the trusted ones ([`crate::trust`]) and says why a signature is refused.
//!
//! Only prehashed signatures (`ED`, what minisign makes since 0.8) are
//! accepted: the legacy form signs the raw bytes and is refused by name.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};

use crate::trust::{KeyError, TrustedKey, key_id_hex};

/// The most bytes a signature file may hold; minisign's are under 400 with a
/// one-line trusted comment.
pub const MAX_SIGNATURE_BYTES: u64 = 64 << 10;

/// Algorithm, key id, signature.
const SIGNATURE_BYTES: usize = 2 + 8 + 64;

/// Who signed an installed plugin: shown before it is installed and kept in its record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Signer {
    /// The key's id as minisign prints it (16 uppercase hex digits).
    pub key_id: String,
    /// The signed comment, e.g. `timestamp:1733450000\tfile:hello.wasm`.
    pub trusted_comment: String,
}

#[derive(Debug, thiserror::Error)]
pub enum SignatureError {
    #[error(transparent)]
    Key(#[from] KeyError),

    #[error("{what} is not a minisign signature: {detail}")]
    Malformed { what: String, detail: String },

    #[error(
        "{what} is signed by key {key_id}, which is not trusted; if you know the key is its publisher's, run `skill plugin trust add KEY`"
    )]
    Untrusted { what: String, key_id: String },

    #[error(
        "{what} does not verify with trusted key {key_id}: the plugin's bytes or the signature were changed after signing"
    )]
    Invalid { what: String, key_id: String },

    #[error(
        "{what} is not signed, and signatures are required (--require-signature or SKILL_REQUIRE_SIGNATURE)"
    )]
    Unsigned { what: String },
}

impl SignatureError {
    /// A malformed key is bad input (exit 2); every other refusal is a failed check (exit 1).
    pub fn exit_code(&self) -> u8 {
        match self {
            SignatureError::Key(_) => 2,
            _ => 1,
        }
    }
}

/// Checks `signature` (the text of a `.minisig` file, named `what` in errors)
/// over `wasm` against the trusted keys, and says who signed.
pub fn verify(
    what: &str,
    wasm: &[u8],
    signature: &[u8],
    trusted: &[TrustedKey],
) -> Result<Signer, SignatureError> {
    let malformed = |detail: &str| SignatureError::Malformed {
        what: what.to_owned(),
        detail: detail.to_owned(),
    };
    if signature.len() as u64 > MAX_SIGNATURE_BYTES {
        return Err(malformed(&format!(
            "it holds more than {} KiB",
            MAX_SIGNATURE_BYTES >> 10
        )));
    }
    let text = std::str::from_utf8(signature).map_err(|_| malformed("it is not UTF-8 text"))?;
    let lines: Vec<&str> = text.lines().collect();
    let [untrusted, signature_line, trusted_comment, global_line, ..] = lines.as_slice() else {
        return Err(malformed(
            "expected four lines: `untrusted comment: …`, the signature, `trusted comment: …`, the global signature",
        ));
    };
    if !untrusted.starts_with("untrusted comment:") {
        return Err(malformed("its first line is not `untrusted comment: …`"));
    }
    if !trusted_comment.starts_with("trusted comment: ") {
        return Err(malformed("its third line is not `trusted comment: …`"));
    }
    let raw = STANDARD
        .decode(signature_line)
        .map_err(|_| malformed("its second line is not base64"))?;
    if raw.len() != SIGNATURE_BYTES {
        return Err(malformed(&format!(
            "its signature is {SIGNATURE_BYTES} bytes once decoded, this is {}",
            raw.len()
        )));
    }
    match &raw[..2] {
        b"ED" => {}
        b"Ed" => {
            return Err(malformed(
                "it is a legacy signature of the raw file; sign with minisign 0.8 or later (without -l)",
            ));
        }
        _ => return Err(malformed("its algorithm is neither `ED` nor `Ed`")),
    }
    if STANDARD.decode(global_line).map(|g| g.len()) != Ok(64) {
        return Err(malformed(
            "its fourth line is not a 64-byte base64 signature",
        ));
    }
    let parsed =
        minisign_verify::Signature::decode(text).map_err(|error| malformed(&format!("{error}")))?;
    let key_id = key_id_hex(raw[2..10].try_into().expect("8 bytes"));
    let key = trusted
        .iter()
        .find(|key| key.key_id == key_id)
        .ok_or_else(|| SignatureError::Untrusted {
            what: what.to_owned(),
            key_id: key_id.clone(),
        })?;
    let public_key =
        minisign_verify::PublicKey::from_base64(&key.public_key).map_err(|error| KeyError {
            what: format!("trusted key {key_id}"),
            detail: format!("{error}"),
        })?;
    public_key
        .verify(wasm, &parsed, false)
        .map_err(|_| SignatureError::Invalid {
            what: what.to_owned(),
            key_id: key_id.clone(),
        })?;
    Ok(Signer {
        key_id,
        trusted_comment: parsed.trusted_comment().to_owned(),
    })
}

/// The install policy: a signature present is checked; none is accepted
/// unless `required`.
pub fn check(
    what: &str,
    wasm: &[u8],
    signature: Option<&[u8]>,
    trusted: &[TrustedKey],
    required: bool,
) -> Result<Option<Signer>, SignatureError> {
    match signature {
        Some(signature) => verify(what, wasm, signature, trusted).map(Some),
        None if required => Err(SignatureError::Unsigned {
            what: what.to_owned(),
        }),
        None => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trust::parse_key;

    // minisign's test vector (rust-minisign-verify, src/lib.rs): `test`
    // signed prehashed by key E7620F1842B4E81F.
    const KEY: &str = "RWQf6LRCGA9i53mlYecO4IzT51TGPpvWucNSCh1CBM0QTaLn73Y7GFO3";
    const SIGNATURE: &str = "untrusted comment: signature from minisign secret key
RUQf6LRCGA9i559r3g7V1qNyJDApGip8MfqcadIgT9CuhV3EMhHoN1mGTkUidF/z7SrlQgXdy8ofjb7bNJJylDOocrCo8KLzZwo=
trusted comment: timestamp:1556193335\tfile:test
y/rUw2y8/hOUYjZU71eHp/Wo1KZ40fGy2VJEDl34XMJM+TX48Ss/17u3IvIfbVR1FkZZSNCisQbuQY+bHwhEBg==
";
    // The same file signed the legacy way (`Ed`, the raw bytes).
    const LEGACY: &str = "untrusted comment: signature from minisign secret key
RWQf6LRCGA9i59SLOFxz6NxvASXDJeRtuZykwQepbDEGt87ig1BNpWaVWuNrm73YiIiJbq71Wi+dP9eKL8OC351vwIasSSbXxwA=
trusted comment: timestamp:1555779966\tfile:test
QtKMXWyYcwdpZAlPF7tE2ENJkRd1ujvKjlj1m9RtHTBnZPa5WKU5uWRs5GoP5M/VqE81QFuMKI5k/SfNQUaOAA==
";

    fn trusted() -> Vec<TrustedKey> {
        vec![parse_key("KEY", KEY).unwrap()]
    }

    #[test]
    fn a_good_signature_names_its_signer() {
        let signer = verify("test", b"test", SIGNATURE.as_bytes(), &trusted()).unwrap();
        assert_eq!(signer.key_id, "E7620F1842B4E81F");
        assert_eq!(signer.trusted_comment, "timestamp:1556193335\tfile:test");
    }

    #[test]
    fn changed_bytes_an_untrusted_key_and_a_forged_comment_are_refused() {
        let error = verify("test", b"Test", SIGNATURE.as_bytes(), &trusted()).unwrap_err();
        assert!(matches!(error, SignatureError::Invalid { .. }), "{error}");
        let error = verify("test", b"test", SIGNATURE.as_bytes(), &[]).unwrap_err();
        assert!(
            error
                .to_string()
                .contains("key E7620F1842B4E81F, which is not trusted"),
            "{error}"
        );
        let forged = SIGNATURE.replace("file:test", "file:other");
        let error = verify("test", b"test", forged.as_bytes(), &trusted()).unwrap_err();
        assert!(matches!(error, SignatureError::Invalid { .. }), "{error}");
    }

    #[test]
    fn malformed_signatures_never_panic_and_say_why() {
        let short_comment = SIGNATURE.replace(
            "trusted comment: timestamp:1556193335\tfile:test",
            "trusted comment",
        );
        for (text, expected) in [
            ("", "four lines"),
            (
                "untrusted comment: x\nAAAA\ntrusted comment: y",
                "four lines",
            ),
            (&SIGNATURE.replacen("untrusted", "trusted", 1), "first line"),
            (&short_comment, "third line"),
            (&SIGNATURE.replace("RUQf6LRC", "RUQf6LR!"), "not base64"),
            (&SIGNATURE.replace("=\ntrusted", "\ntrusted"), "not base64"),
            (LEGACY, "legacy signature"),
            (&SIGNATURE.replace("y/rUw2y8", "y/rU"), "fourth line"),
        ] {
            let error = verify("plugin.wasm.minisig", b"test", text.as_bytes(), &trusted())
                .unwrap_err()
                .to_string();
            assert!(error.contains(expected), "{text:?}: {error}");
        }
        let error = verify("s", b"test", &[0xff, 0xfe], &trusted())
            .unwrap_err()
            .to_string();
        assert!(error.contains("not UTF-8"), "{error}");
        let huge = vec![b'a'; (MAX_SIGNATURE_BYTES + 1) as usize];
        let error = verify("s", b"test", &huge, &trusted())
            .unwrap_err()
            .to_string();
        assert!(error.contains("more than 64 KiB"), "{error}");
    }

    #[test]
    fn the_policy_accepts_unsigned_plugins_only_when_not_required() {
        assert_eq!(check("p", b"test", None, &trusted(), false).unwrap(), None);
        let error = check("p", b"test", None, &trusted(), true).unwrap_err();
        assert!(matches!(error, SignatureError::Unsigned { .. }), "{error}");
    }
}
