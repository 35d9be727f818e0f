//! Plugins through an OCI registry end to end: `skill plugin push` to a real
//! registry on loopback (Debian's `docker-registry`, CNCF distribution 2.8),
//! `skill plugin install oci://…` from it, pinned by digest, with the
//! signature layer checked; and a hostile registry on loopback that sends too
//! much or redirects without end.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};

use serde_json::Value;
use skill_tests::minisign::KeyPair;
use skill_tests::registry::Registry;
use skill_tests::{HELLO_WASM, Skill, text};

fn plugin_copy() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let wasm = dir.path().join("hello.wasm");
    std::fs::copy(HELLO_WASM, &wasm).unwrap();
    (dir, wasm)
}

/// `skill plugin push FILE REFERENCE`: the reference pinned to the manifest's digest.
fn push(skill: &Skill, wasm: &Path, reference: &str) -> String {
    let output = skill.run(&["plugin", "push", wasm.to_str().unwrap(), reference]);
    let (stdout, stderr) = text(&output);
    assert!(output.status.success(), "push failed: {stderr}");
    stdout.trim().to_owned()
}

fn install(skill: &Skill, reference: &str, extra: &[&str]) -> (Option<i32>, String) {
    let mut args = vec!["plugin", "install", reference, "--yes"];
    args.extend_from_slice(extra);
    let output = skill.run(&args);
    (output.status.code(), text(&output).1)
}

fn record(skill: &Skill) -> Option<Value> {
    let bytes = std::fs::read(skill.home.path().join("plugins/hello/install.json")).ok()?;
    Some(serde_json::from_slice(&bytes).unwrap())
}

/// The digest after `@` in a pinned reference.
fn digest_of(pinned: &str) -> &str {
    pinned.rsplit_once('@').expect("a pinned reference").1
}

/// The manifest the registry keeps for `digest`, read from its storage.
fn manifest(registry: &Registry, digest: &str) -> Value {
    serde_json::from_slice(&std::fs::read(registry.blob_path(digest)).unwrap()).unwrap()
}

#[test]
fn a_signed_plugin_is_pushed_then_installed_by_digest_and_by_tag() {
    let Some(registry) = Registry::start() else {
        return;
    };
    let publisher = Skill::new();
    let key = KeyPair::generate();
    let (_dir, wasm) = plugin_copy();
    key.sign(&wasm, "hello 0.1.0 from the registry", false);
    let tagged = format!("{}:0.1.0", registry.reference("skill/hello"));
    let pinned = push(&publisher, &wasm, &tagged);
    let digest = digest_of(&pinned);
    assert_eq!(pinned, format!("{tagged}@{digest}"));

    // The artifact is the wasm OCI layout, with the signature as a second layer.
    let manifest = manifest(&registry, digest);
    assert_eq!(
        manifest["config"]["mediaType"],
        "application/vnd.wasm.config.v0+json"
    );
    let layers = manifest["layers"].as_array().unwrap();
    assert_eq!(layers[0]["mediaType"], "application/wasm");
    assert_eq!(
        layers[0]["size"].as_u64(),
        Some(std::fs::metadata(&wasm).unwrap().len())
    );
    assert_eq!(
        layers[1]["mediaType"],
        "application/vnd.skill.plugin.minisig.v1"
    );
    // Pushing the same bytes again gives the same digest.
    assert_eq!(push(&publisher, &wasm, &tagged), pinned);

    // By digest: pinned, signature checked, signer recorded.
    let user = Skill::new();
    let trusted = user.run(&["plugin", "trust", "add", &key.public_key()]);
    assert!(trusted.status.success(), "{}", text(&trusted).1);
    let by_digest = format!("{}@{digest}", registry.reference("skill/hello"));
    let (code, stderr) = install(&user, &by_digest, &["--require-signature"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "Signed by trusted key {} (hello 0.1.0 from the registry)",
            key.key_id()
        )),
        "{stderr}"
    );
    let installed = record(&user).unwrap();
    assert_eq!(installed["installed_from"], by_digest);
    assert_eq!(installed["signer"]["key_id"], key.key_id());
    let greeting = user.tool_json("greet", &serde_json::json!({"name": "Registry"}));
    assert_eq!(greeting["greeting"], "Hello, Registry!");

    // By tag: pinned to the digest the tag named when it was installed.
    let by_tag_user = Skill::new();
    by_tag_user.run(&["plugin", "trust", "add", &key.public_key()]);
    let (code, stderr) = install(&by_tag_user, &tagged, &[]);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(record(&by_tag_user).unwrap()["installed_from"], pinned);

    // The signature layer is checked like a file beside the plugin: a user who
    // trusts no key is refused.
    let stranger = Skill::new();
    let (code, stderr) = install(&stranger, &by_digest, &[]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("the signature layer of"), "{stderr}");
    assert!(stderr.contains("which is not trusted"), "{stderr}");
    assert!(record(&stranger).is_none());
}

#[test]
fn a_wrong_digest_or_changed_content_is_refused() {
    let Some(registry) = Registry::start() else {
        return;
    };
    let skill = Skill::new();
    let (_dir, wasm) = plugin_copy();
    let pinned = push(
        &skill,
        &wasm,
        &format!("{}:v1", registry.reference("skill/hello")),
    );
    let digest = digest_of(&pinned).to_owned();

    // Unsigned: refused under the policy, installed without it.
    let by_digest = format!("{}@{digest}", registry.reference("skill/hello"));
    let (code, stderr) = install(&skill, &by_digest, &["--require-signature"]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("is not signed"), "{stderr}");

    // A digest the registry does not have.
    let wrong = format!(
        "{}@sha256:{}",
        registry.reference("skill/hello"),
        "0".repeat(64)
    );
    let (code, stderr) = install(&skill, &wrong, &[]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("the registry answered 404"), "{stderr}");

    // The registry's storage changed under it: it serves other bytes for the
    // component's digest, and for the manifest's.
    let layer = manifest(&registry, &digest)["layers"][0]["digest"]
        .as_str()
        .unwrap()
        .to_owned();
    let stored = registry.blob_path(&layer);
    let mut bytes = std::fs::read(&stored).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0xff;
    std::fs::write(&stored, &bytes).unwrap();
    let (code, stderr) = install(&skill, &by_digest, &[]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!("not the {layer} asked for")),
        "{stderr}"
    );
    let stored_manifest = registry.blob_path(&digest);
    let changed = std::fs::read_to_string(&stored_manifest)
        .unwrap()
        .replace("\"schemaVersion\":2", "\"schemaVersion\": 2");
    std::fs::write(&stored_manifest, changed).unwrap();
    let (code, stderr) = install(&skill, &by_digest, &[]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!("not the {digest} asked for")),
        "{stderr}"
    );
    assert!(record(&skill).is_none(), "nothing is installed");

    // A reference that is not one is bad usage.
    let (code, stderr) = install(&skill, "oci://127.0.0.1/Not/Lowercase", &[]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("is not an OCI reference"), "{stderr}");
}

/// A registry that answers every request with `response`, for `requests` requests.
fn hostile_registry(response: Vec<u8>, requests: usize) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap().to_string();
    std::thread::spawn(move || {
        for stream in listener.incoming().take(requests) {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut line = String::new();
            while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                line.clear();
            }
            let _ = stream.write_all(&response);
        }
    });
    address
}

#[test]
fn a_hostile_registry_cannot_make_the_host_read_or_follow_without_end() {
    let skill = Skill::new();
    // A manifest of 5 MiB, over distribution's own 4 MiB limit.
    let body = vec![b' '; 5 << 20];
    let mut response = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/vnd.oci.image.manifest.v1+json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    response.extend_from_slice(&body);
    let address = hostile_registry(response, 1);
    let (code, stderr) = install(&skill, &format!("oci://{address}/big/manifest:v1"), &[]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("sent more than 4194304 bytes"), "{stderr}");

    // A layer that declares more than a plugin may hold is never fetched.
    let manifest = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.wasm.config.v0+json", "digest": format!("sha256:{}", "1".repeat(64)), "size": 2},
        "layers": [{"mediaType": "application/wasm", "digest": format!("sha256:{}", "2".repeat(64)), "size": 1u64 << 40}],
    })
    .to_string();
    let response = format!(
        "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{manifest}",
        manifest.len()
    );
    let address = hostile_registry(response.into_bytes(), 1);
    let (code, stderr) = install(&skill, &format!("oci://{address}/huge/layer:v1"), &[]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains("declares 1099511627776 bytes, over the limit"),
        "{stderr}"
    );

    // Redirects without end stop after a few.
    let response = "HTTP/1.1 307 Temporary Redirect\r\nLocation: /v2/loop/manifests/v1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
    let address = hostile_registry(response.as_bytes().to_vec(), 20);
    let (code, stderr) = install(&skill, &format!("oci://{address}/loop:v1"), &[]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.to_lowercase().contains("redirect"), "{stderr}");
    assert!(record(&skill).is_none());
}
