//! Signed plugins end to end: keys and signatures made by the real `minisign`
//! (Debian bookworm's 0.11), trusted with `skill plugin trust`, checked by
//! `skill plugin install` before anything else is done with the plugin.

use std::path::{Path, PathBuf};

use serde_json::Value;
use skill_tests::minisign::KeyPair;
use skill_tests::{HELLO_WASM, Skill, text};

/// A copy of the hello plugin in a directory of its own, to sign or damage.
fn plugin_copy() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let wasm = dir.path().join("hello.wasm");
    std::fs::copy(HELLO_WASM, &wasm).unwrap();
    (dir, wasm)
}

fn install(skill: &Skill, wasm: &Path, extra: &[&str]) -> (Option<i32>, String) {
    let mut args = vec!["plugin", "install", wasm.to_str().unwrap(), "--yes"];
    args.extend_from_slice(extra);
    let output = skill.run(&args);
    (output.status.code(), text(&output).1)
}

fn trust(skill: &Skill, key: &str) -> String {
    let output = skill.run(&["plugin", "trust", "add", key]);
    let (stdout, stderr) = text(&output);
    assert!(output.status.success(), "{stderr}");
    stdout
}

fn record(skill: &Skill) -> Option<Value> {
    let path = skill.home.path().join("plugins/hello/install.json");
    let bytes = std::fs::read(path).ok()?;
    Some(serde_json::from_slice(&bytes).unwrap())
}

#[test]
fn a_plugin_signed_by_a_trusted_key_installs_and_its_signer_is_recorded() {
    let skill = Skill::new();
    let key = KeyPair::generate();
    let (_dir, wasm) = plugin_copy();
    key.sign(&wasm, "hello 0.1.0 release", false);

    let added = trust(&skill, key.public.to_str().unwrap());
    assert!(added.contains(&key.key_id()), "{added}");
    assert!(trust(&skill, &key.public_key()).contains("already trusted"));
    let listed = text(&skill.run(&["plugin", "trust", "list"])).0;
    assert!(
        listed.contains(&key.key_id()) && listed.contains(&key.public_key()),
        "{listed}"
    );

    let (code, stderr) = install(&skill, &wasm, &["--require-signature"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "Signed by trusted key {} (hello 0.1.0 release)",
            key.key_id()
        )),
        "{stderr}"
    );
    let record = record(&skill).expect("installed");
    assert_eq!(record["signer"]["key_id"], key.key_id());
    assert_eq!(record["signer"]["trusted_comment"], "hello 0.1.0 release");
    let greeting = skill.tool_json("greet", &serde_json::json!({"name": "Ada"}));
    assert_eq!(greeting["greeting"], "Hello, Ada!");

    // The store is a file in the skill home, nothing else beside it.
    let store: Value = serde_json::from_slice(
        &std::fs::read(skill.home.path().join("trusted-keys.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(store["keys"][0]["key_id"], key.key_id());
}

#[test]
fn a_signature_elsewhere_is_named_with_signature() {
    let skill = Skill::new();
    let key = KeyPair::generate();
    let (_dir, wasm) = plugin_copy();
    let signature = key.sign(&wasm, "elsewhere", false);
    let moved = key.dir.path().join("hello.sig");
    std::fs::rename(&signature, &moved).unwrap();
    trust(&skill, &key.public_key());
    let (code, stderr) = install(
        &skill,
        &wasm,
        &[
            "--require-signature",
            "--signature",
            moved.to_str().unwrap(),
        ],
    );
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stderr.contains("(elsewhere)"), "{stderr}");
}

#[test]
fn a_changed_plugin_or_a_signature_of_other_bytes_is_refused() {
    let skill = Skill::new();
    let key = KeyPair::generate();
    trust(&skill, &key.public_key());

    // One byte changed after signing, at the end of the file (a custom section's bytes).
    let (_dir, wasm) = plugin_copy();
    key.sign(&wasm, "hello", false);
    let mut bytes = std::fs::read(&wasm).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0x01;
    std::fs::write(&wasm, &bytes).unwrap();
    let (code, stderr) = install(&skill, &wasm, &[]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "does not verify with trusted key {}",
            key.key_id()
        )),
        "{stderr}"
    );
    assert!(record(&skill).is_none(), "nothing is installed");

    // A real signature by the trusted key, of another file.
    let (_other_dir, other) = plugin_copy();
    std::fs::write(&other, b"another file").unwrap();
    let signature = key.sign(&other, "other", false);
    let (_dir, wasm) = plugin_copy();
    let (code, stderr) = install(&skill, &wasm, &["--signature", signature.to_str().unwrap()]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("does not verify"), "{stderr}");

    // The trusted comment is signed too: editing it breaks the signature.
    let signature = key.sign(&wasm, "hello 0.1.0", false);
    let forged = std::fs::read_to_string(&signature)
        .unwrap()
        .replace("hello 0.1.0", "hello 9.9.9");
    std::fs::write(&signature, forged).unwrap();
    let (code, stderr) = install(&skill, &wasm, &[]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("does not verify"), "{stderr}");
    assert!(record(&skill).is_none(), "nothing is installed");
}

#[test]
fn a_signature_by_an_untrusted_or_removed_key_is_refused() {
    let skill = Skill::new();
    let signer = KeyPair::generate();
    let other = KeyPair::generate();
    let (_dir, wasm) = plugin_copy();
    signer.sign(&wasm, "hello", false);

    let (code, stderr) = install(&skill, &wasm, &[]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "signed by key {}, which is not trusted",
            signer.key_id()
        )),
        "{stderr}"
    );
    trust(&skill, other.public.to_str().unwrap());
    let (code, stderr) = install(&skill, &wasm, &[]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("which is not trusted"), "{stderr}");

    trust(&skill, &signer.public_key());
    let removed = skill.run(&["plugin", "trust", "remove", &signer.key_id().to_lowercase()]);
    assert!(removed.status.success(), "{}", text(&removed).1);
    assert!(text(&removed).0.contains(&signer.key_id()));
    let (code, stderr) = install(&skill, &wasm, &[]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("which is not trusted"), "{stderr}");
    assert!(record(&skill).is_none(), "nothing is installed");
}

#[test]
fn unsigned_plugins_are_refused_when_signatures_are_required() {
    let skill = Skill::new();
    let (_dir, wasm) = plugin_copy();
    let (code, stderr) = install(&skill, &wasm, &["--require-signature"]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains("is not signed, and signatures are required"),
        "{stderr}"
    );

    let output = skill
        .command()
        .args(["plugin", "install", wasm.to_str().unwrap(), "--yes"])
        .env("SKILL_REQUIRE_SIGNATURE", "1")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "{}", text(&output).1);
    assert!(text(&output).1.contains("signatures are required"));
    assert!(record(&skill).is_none(), "nothing is installed");

    // Without the policy an unsigned plugin installs, and says so.
    let output = skill
        .command()
        .args(["plugin", "install", wasm.to_str().unwrap(), "--yes"])
        .env("SKILL_REQUIRE_SIGNATURE", "false")
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", text(&output).1);
    assert!(
        text(&output).1.contains("Unsigned\n"),
        "{}",
        text(&output).1
    );
    assert!(record(&skill).unwrap().get("signer").is_none());
}

#[test]
fn legacy_and_malformed_signatures_and_keys_get_clear_errors() {
    let skill = Skill::new();
    let key = KeyPair::generate();
    trust(&skill, &key.public_key());
    let (_dir, wasm) = plugin_copy();

    // minisign -l: the legacy signature of the raw bytes.
    key.sign(&wasm, "legacy", true);
    let (code, stderr) = install(&skill, &wasm, &[]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("legacy signature"), "{stderr}");

    let signature = key.sign(&wasm, "hello", false);
    let good = std::fs::read_to_string(&signature).unwrap();
    let lines: Vec<&str> = good.lines().collect();
    for (bad, expected) in [
        (String::new(), "expected four lines"),
        (lines[..2].join("\n"), "expected four lines"),
        (
            good.replacen(lines[1], &lines[1][..20], 1),
            "bytes once decoded",
        ),
        (good.replacen(lines[1], "!!!!", 1), "not base64"),
        (
            good.replacen("\ntrusted comment: ", "\ncomment: ", 1),
            "third line",
        ),
        (
            "\u{1b}[2J\n\u{1b}[2J\n\u{1b}[2J\n\u{1b}[2J\n".to_owned(),
            "first line",
        ),
    ] {
        std::fs::write(&signature, &bad).unwrap();
        let (code, stderr) = install(&skill, &wasm, &[]);
        assert_eq!(code, Some(1), "{bad:?}: {stderr}");
        assert!(
            stderr.contains("hello.wasm.minisig is not a minisign signature")
                && stderr.contains(expected),
            "{bad:?}: {stderr}"
        );
        assert!(!stderr.contains('\u{1b}'), "{stderr}");
    }
    std::fs::write(&signature, vec![0xffu8; 100]).unwrap();
    let (_, stderr) = install(&skill, &wasm, &[]);
    assert!(stderr.contains("not UTF-8"), "{stderr}");
    std::fs::write(&signature, vec![b'a'; 70_000]).unwrap();
    let (_, stderr) = install(&skill, &wasm, &[]);
    assert!(stderr.contains("more than the limit"), "{stderr}");
    let missing = key.dir.path().join("missing.minisig");
    let (code, stderr) = install(&skill, &wasm, &["--signature", missing.to_str().unwrap()]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("missing.minisig"), "{stderr}");
    assert!(record(&skill).is_none(), "nothing is installed");

    // Keys: a signature is no key, nor is garbage; a .pub file that is not there is named.
    for (bad, expected) in [
        (good.clone(), "expected one base64 line"),
        ("RWQ!!".to_owned(), "not base64"),
        (lines[1].to_owned(), "42 bytes once decoded"),
    ] {
        let output = skill.run(&["plugin", "trust", "add", &bad]);
        assert_eq!(output.status.code(), Some(2), "{}", text(&output).1);
        assert!(text(&output).1.contains(expected), "{}", text(&output).1);
    }
    let output = skill.run(&["plugin", "trust", "add", "/nonexistent/key.pub"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        text(&output)
            .1
            .contains("/nonexistent/key.pub (no such file) is not a minisign public key"),
        "{}",
        text(&output).1
    );
    let output = skill.run(&["plugin", "trust", "remove", "0000000000000000"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        text(&output).1.contains("no trusted key"),
        "{}",
        text(&output).1
    );
}
