//! The keys whose plugin signatures this host accepts.
//!
//! A key is a minisign public key (Ed25519): the base64 line of a
//! `minisign.pub` file, `RW…`, with an id of 16 hex digits that minisign
//! prints and puts in every signature it makes. `skill plugin trust add|list|remove`
//! keeps them in `trusted-keys.json` in the skill home ([`crate::Paths::trusted_keys`]),
//! rewritten whole and atomically on every change, so a reader never sees half a file.
//! Trusting a key is the user's decision; nothing else adds one.

use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};
use skill_runtime::cache::write_atomically;

use crate::{Error, Result};

/// The most bytes `trusted-keys.json`, or a `.pub` file, may hold; a key takes about 150.
pub const MAX_KEYS_FILE_BYTES: u64 = 1 << 20;

/// The two bytes minisign puts before an Ed25519 key and its prehashed signatures.
const ED25519: &[u8; 2] = b"Ed";
/// Algorithm, key id, key.
const PUBLIC_KEY_BYTES: usize = 2 + 8 + 32;

/// A key that is not one, and why.
#[derive(Debug, thiserror::Error)]
#[error("{what} is not a minisign public key: {detail}")]
pub struct KeyError {
    pub what: String,
    pub detail: String,
}

/// One trusted key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrustedKey {
    /// The key id as minisign prints it: 16 uppercase hex digits.
    pub key_id: String,
    /// The key as minisign writes it (base64, `RW…`).
    pub public_key: String,
    /// The `untrusted comment:` of the `.pub` file it came from, for the reader only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Store {
    keys: Vec<TrustedKey>,
}

/// A key id as minisign prints it: the 8 bytes read as a little-endian
/// number, in uppercase hex without leading zeros (`%PRIX64`).
pub fn key_id_hex(bytes: &[u8; 8]) -> String {
    format!("{:X}", u64::from_le_bytes(*bytes))
}

/// Whether `name` is the key id `id`, in any case, with or without leading zeros.
fn same_key_id(id: &str, name: &str) -> bool {
    let number = |text: &str| {
        (!text.is_empty() && text.len() <= 16)
            .then(|| u64::from_str_radix(text, 16).ok())
            .flatten()
    };
    number(name).is_some() && number(id) == number(name)
}

/// Reads a public key given as its base64 line or as the text of a `.pub` file
/// (`untrusted comment: …` then the key). `what` names it in errors.
pub fn parse_key(what: &str, text: &str) -> Result<TrustedKey, KeyError> {
    let malformed = |detail: &str| KeyError {
        what: what.to_owned(),
        detail: detail.to_owned(),
    };
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let (comment, encoded) = match lines.as_slice() {
        [key] => (None, *key),
        [comment, key] => {
            let comment = comment.strip_prefix("untrusted comment:").ok_or_else(|| {
                malformed("a .pub file's first line starts with `untrusted comment:`")
            })?;
            (Some(comment.trim().to_owned()), *key)
        }
        [] => return Err(malformed("it is empty")),
        _ => {
            return Err(malformed(
                "expected one base64 line (`RW…`), or a .pub file of two lines",
            ));
        }
    };
    let bytes = STANDARD
        .decode(encoded)
        .map_err(|_| malformed("the key is not base64"))?;
    if bytes.len() != PUBLIC_KEY_BYTES {
        return Err(malformed(&format!(
            "a key is {PUBLIC_KEY_BYTES} bytes once decoded, this is {}",
            bytes.len()
        )));
    }
    if &bytes[..2] != ED25519 {
        return Err(malformed("it is not an Ed25519 (`Ed`) key"));
    }
    minisign_verify::PublicKey::from_base64(encoded)
        .map_err(|error| malformed(&format!("{error}")))?;
    Ok(TrustedKey {
        key_id: key_id_hex(bytes[2..10].try_into().expect("8 bytes")),
        public_key: encoded.to_owned(),
        comment,
    })
}

/// The trusted keys in `path`; none when the file does not exist.
pub fn load(path: &Path) -> Result<Vec<TrustedKey>> {
    if matches!(std::fs::metadata(path), Err(e) if e.kind() == std::io::ErrorKind::NotFound) {
        return Ok(Vec::new());
    }
    let bytes = crate::read::regular_file(path, MAX_KEYS_FILE_BYTES)
        .map_err(|error| Error::Usage(format!("trusted keys: {error}")))?;
    let store: Store = serde_json::from_slice(&bytes).map_err(|error| {
        Error::Usage(format!(
            "trusted keys: {} is not a key list: {error}",
            crate::read::shown(path)
        ))
    })?;
    for key in &store.keys {
        let checked = parse_key(&crate::read::shown(path), &key.public_key)?;
        if checked.key_id != key.key_id {
            return Err(Error::Usage(format!(
                "trusted keys: {} lists key {} under the id {}",
                crate::read::shown(path),
                checked.key_id,
                key.key_id
            )));
        }
    }
    Ok(store.keys)
}

/// Adds `key` to the keys in `path`; false when it was already trusted.
pub fn add(path: &Path, key: TrustedKey) -> Result<bool> {
    let mut keys = load(path)?;
    if let Some(known) = keys.iter().find(|k| k.key_id == key.key_id) {
        if known.public_key == key.public_key {
            return Ok(false);
        }
        return Err(Error::Usage(format!(
            "another key with the id {} is already trusted; remove it first",
            key.key_id
        )));
    }
    keys.push(key);
    save(path, keys)?;
    Ok(true)
}

/// Removes the key named by its id or its base64 line, and returns it.
pub fn remove(path: &Path, name: &str) -> Result<TrustedKey> {
    let mut keys = load(path)?;
    let name = name.trim();
    let position = keys
        .iter()
        .position(|k| same_key_id(&k.key_id, name) || k.public_key == name)
        .ok_or_else(|| {
            Error::Usage(format!(
                "no trusted key {}; `skill plugin trust list` shows them",
                untrusted_text::one_line(name)
            ))
        })?;
    let removed = keys.remove(position);
    save(path, keys)?;
    Ok(removed)
}

fn save(path: &Path, keys: Vec<TrustedKey>) -> Result<()> {
    let dir = path
        .parent()
        .ok_or_else(|| Error::Usage(format!("{} has no parent", crate::read::shown(path))))?;
    std::fs::create_dir_all(dir)
        .map_err(|error| Error::io(format!("cannot create {}", crate::read::shown(dir)), error))?;
    let mut json = serde_json::to_vec_pretty(&Store { keys })
        .map_err(|error| Error::Usage(error.to_string()))?;
    json.push(b'\n');
    write_atomically(dir, path, &json)
        .map_err(|error| Error::io(format!("cannot write {}", crate::read::shown(path)), error))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// minisign's own test key (rust-minisign-verify's README), id E7620F1842B4E81F.
    const KEY: &str = "RWQf6LRCGA9i53mlYecO4IzT51TGPpvWucNSCh1CBM0QTaLn73Y7GFO3";

    #[test]
    fn keys_are_read_as_a_line_or_a_pub_file() {
        let key = parse_key("KEY", KEY).unwrap();
        assert_eq!(key.key_id, "E7620F1842B4E81F");
        assert_eq!(key.comment, None);
        let pub_file = format!("untrusted comment: minisign public key E7620F1842B4E81F\n{KEY}\n");
        let key = parse_key("minisign.pub", &pub_file).unwrap();
        assert_eq!(key.key_id, "E7620F1842B4E81F");
        assert_eq!(
            key.comment.as_deref(),
            Some("minisign public key E7620F1842B4E81F")
        );
    }

    #[test]
    fn malformed_keys_say_what_is_wrong() {
        for (text, expected) in [
            ("", "empty"),
            ("not base64!", "not base64"),
            ("RWQf6LRC", "42 bytes"),
            // A signature's first base64 line: 74 bytes, not a key.
            (
                "RUQf6LRCGA9i559r3g7V1qNyJDApGip8MfqcadIgT9CuhV3EMhHoN1mGTkUidF/z7SrlQgXdy8ofjb7bNJJylDOocrCo8KLzZwo=",
                "42 bytes",
            ),
            (
                "comment\nRWQf6LRCGA9i53mlYecO4IzT51TGPpvWucNSCh1CBM0QTaLn73Y7GFO3",
                "untrusted comment",
            ),
            ("a\nb\nc", "two lines"),
        ] {
            let error = parse_key("KEY", text).unwrap_err().to_string();
            assert!(error.contains(expected), "{text:?}: {error}");
            assert!(
                error.starts_with("KEY is not a minisign public key"),
                "{error}"
            );
        }
    }

    #[test]
    fn the_store_adds_lists_and_removes_atomically() {
        let home = tempfile::tempdir().unwrap();
        let path = home.path().join("home").join("trusted-keys.json");
        assert!(load(&path).unwrap().is_empty());
        assert!(add(&path, parse_key("KEY", KEY).unwrap()).unwrap());
        assert!(!add(&path, parse_key("KEY", KEY).unwrap()).unwrap());
        assert_eq!(load(&path).unwrap().len(), 1);
        let removed = remove(&path, "e7620f1842b4e81f").unwrap();
        assert!(same_key_id("75C75CFCDD14FE9", "075c75cfcdd14fe9"));
        assert!(!same_key_id("75C75CFCDD14FE9", "75C75CFCDD14FE"));
        assert!(!same_key_id("0", ""));
        assert_eq!(removed.public_key, KEY);
        assert!(load(&path).unwrap().is_empty());
        let error = remove(&path, "E7620F1842B4E81F").unwrap_err().to_string();
        assert!(error.contains("no trusted key"), "{error}");
        // Only the store is left: the temporary files were renamed into place.
        let names: Vec<_> = std::fs::read_dir(path.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["trusted-keys.json"]);
    }

    #[test]
    fn a_hand_edited_store_is_refused_with_its_name() {
        let home = tempfile::tempdir().unwrap();
        let path = home.path().join("trusted-keys.json");
        std::fs::write(&path, "{\"keys\": [{\"key_id\": \"0000000000000000\", \"public_key\": \"RWQf6LRCGA9i53mlYecO4IzT51TGPpvWucNSCh1CBM0QTaLn73Y7GFO3\"}]}").unwrap();
        let error = load(&path).unwrap_err().to_string();
        assert!(error.contains("under the id 0000000000000000"), "{error}");
        std::fs::write(&path, "[]").unwrap();
        let error = load(&path).unwrap_err().to_string();
        assert!(
            error.contains("trusted-keys.json is not a key list"),
            "{error}"
        );
    }
}
