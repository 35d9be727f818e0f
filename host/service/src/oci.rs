//! Plugins in OCI registries, as the wasm ecosystem ships components (wkg, Wassette).
//!
//! A plugin is published as a wasm OCI artifact: an OCI image manifest whose
//! config has the media type `application/vnd.wasm.config.v0+json` and whose one
//! `application/wasm` layer is the component. Its minisign signature, when
//! there is one, is a second layer of media type [`SIGNATURE_MEDIA_TYPE`].
//! A second layer rather than an OCI 1.1 referrer: the referrers API is missing
//! from distribution 2.8 and many registries in service, and the fallback tag
//! scheme costs a second manifest and a race between pushes; a layer arrives
//! with the manifest it is pinned by, works on every registry, and tools that
//! take the `application/wasm` layer by media type still find the component.
//!
//! The distribution protocol needs five calls here (GET a manifest, GET a
//! blob, HEAD/POST/PUT a blob upload, PUT a manifest); they are made with
//! `ureq`, a small blocking client, rather than an async OCI client crate that
//! would bring its own runtime and HTTP stack for them. A registry is not
//! trusted: a manifest is read up to [`MAX_MANIFEST_BYTES`], a layer up to the
//! size its descriptor declares and no more than the cap for what it holds, every
//! digest is checked (the manifest's against a `@sha256:` reference, each
//! layer's against its descriptor), redirects are limited to
//! [`MAX_REDIRECTS`], and each request to [`REQUEST_TIMEOUT`].
//!
//! Plain HTTP is spoken to loopback registries only (`localhost`, 127.0.0.0/8,
//! `[::1]`), as docker does; every other registry is reached over HTTPS.
//! Registries that require a login are not supported yet.

use std::net::IpAddr;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use skill_runtime::cache::sha256_hex;

use crate::read::MAX_PLUGIN_BYTES;
use crate::signature::MAX_SIGNATURE_BYTES;

pub const WASM_CONFIG_MEDIA_TYPE: &str = "application/vnd.wasm.config.v0+json";
pub const WASM_LAYER_MEDIA_TYPE: &str = "application/wasm";
/// The layer holding the component's `.minisig` file.
pub const SIGNATURE_MEDIA_TYPE: &str = "application/vnd.skill.plugin.minisig.v1";
pub const MANIFEST_MEDIA_TYPE: &str = "application/vnd.oci.image.manifest.v1+json";

/// The most bytes of a manifest; distribution's own limit.
pub const MAX_MANIFEST_BYTES: u64 = 4 << 20;
/// The most bytes of an error body quoted in a message.
const MAX_ERROR_BODY_BYTES: u64 = 4 << 10;
pub const MAX_REDIRECTS: u32 = 5;
/// The longest one request may take, the body included.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(120);
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    #[error("`{reference}` is not an OCI reference: {detail}")]
    BadReference { reference: String, detail: String },

    #[error("{what}: {detail}")]
    Transport { what: String, detail: String },

    #[error("{what}: the registry answered {status}{detail}")]
    Status {
        what: String,
        status: u16,
        detail: String,
    },

    #[error("{what}: {detail}")]
    Protocol { what: String, detail: String },

    #[error("{what}: the registry sent content with digest {actual}, not the {expected} asked for")]
    DigestMismatch {
        what: String,
        expected: String,
        actual: String,
    },
}

impl RegistryError {
    /// A malformed reference is bad usage (exit 2); a registry that failed is exit 1.
    pub fn exit_code(&self) -> u8 {
        match self {
            RegistryError::BadReference { .. } => 2,
            _ => 1,
        }
    }
}

type Result<T, E = RegistryError> = std::result::Result<T, E>;

/// `oci://HOST[:PORT]/REPOSITORY[:TAG][@sha256:HEX]`; the tag defaults to `latest`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    pub registry: String,
    pub repository: String,
    pub tag: Option<String>,
    pub digest: Option<String>,
}

impl Reference {
    /// Whether `text` names a registry rather than a file.
    pub fn is_oci(text: &str) -> bool {
        text.starts_with("oci://")
    }

    pub fn parse(text: &str) -> Result<Self> {
        let bad = |detail: &str| RegistryError::BadReference {
            reference: untrusted_text::one_line(text).into_owned(),
            detail: detail.to_owned(),
        };
        let rest = text
            .strip_prefix("oci://")
            .ok_or_else(|| bad("it must start with oci://"))?;
        let (registry, path) = rest
            .split_once('/')
            .ok_or_else(|| bad("expected oci://HOST/REPOSITORY[:TAG][@sha256:DIGEST]"))?;
        if !valid_registry(registry) {
            return Err(bad(
                "the registry must be a host name or address, with an optional port",
            ));
        }
        let (name, digest) = match path.split_once('@') {
            Some((name, digest)) => {
                if !valid_digest(digest) {
                    return Err(bad("a digest is sha256: and 64 lowercase hex digits"));
                }
                (name, Some(digest.to_owned()))
            }
            None => (path, None),
        };
        let (repository, tag) = match name.rsplit_once(':') {
            Some((repository, tag)) => {
                if !valid_tag(tag) {
                    return Err(bad(
                        "a tag is 1 to 128 letters, digits, `_`, `.` and `-`, not starting with `.` or `-`",
                    ));
                }
                (repository, Some(tag.to_owned()))
            }
            None => (name, None),
        };
        if !valid_repository(repository) {
            return Err(bad(
                "a repository is lowercase letters and digits, separated by `/`, `.`, `_` or `-`",
            ));
        }
        let tag = if tag.is_none() && digest.is_none() {
            Some("latest".to_owned())
        } else {
            tag
        };
        Ok(Self {
            registry: registry.to_owned(),
            repository: repository.to_owned(),
            tag,
            digest,
        })
    }

    /// This reference pinned to `digest`: `oci://HOST/REPO[:TAG]@sha256:…`.
    pub fn pinned(&self, digest: &str) -> String {
        let tag = self
            .tag
            .as_ref()
            .map(|t| format!(":{t}"))
            .unwrap_or_default();
        format!("oci://{}/{}{tag}@{digest}", self.registry, self.repository)
    }

    /// The digest if there is one, else the tag.
    fn manifest_reference(&self) -> &str {
        self.digest
            .as_deref()
            .or(self.tag.as_deref())
            .unwrap_or("latest")
    }

    fn scheme(&self) -> &'static str {
        if is_loopback(&self.registry) {
            "http"
        } else {
            "https"
        }
    }

    fn origin(&self) -> String {
        format!("{}://{}", self.scheme(), self.registry)
    }

    fn url(&self, kind: &str, reference: &str) -> String {
        format!(
            "{}/v2/{}/{kind}/{reference}",
            self.origin(),
            self.repository
        )
    }
}

impl std::fmt::Display for Reference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "oci://{}/{}", self.registry, self.repository)?;
        if let Some(tag) = &self.tag {
            write!(f, ":{tag}")?;
        }
        if let Some(digest) = &self.digest {
            write!(f, "@{digest}")?;
        }
        Ok(())
    }
}

fn valid_registry(registry: &str) -> bool {
    let (host, port) = match registry.rsplit_once(':') {
        Some((host, port)) if !host.ends_with(':') && !registry.ends_with(']') => {
            (host, Some(port))
        }
        _ => (registry, None),
    };
    let port_ok = port.is_none_or(|p| !p.is_empty() && p.len() <= 5 && p.parse::<u16>().is_ok());
    let host_ok = match host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        Some(v6) => v6.parse::<std::net::Ipv6Addr>().is_ok(),
        None => {
            !host.is_empty()
                && host.len() <= 253
                && host.split('.').all(|label| {
                    !label.is_empty()
                        && !label.starts_with('-')
                        && !label.ends_with('-')
                        && label
                            .bytes()
                            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
                })
        }
    };
    port_ok && host_ok
}

fn is_loopback(registry: &str) -> bool {
    let host = match registry.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or_default(),
        None => registry.split(':').next().unwrap_or_default(),
    };
    host.eq_ignore_ascii_case("localhost")
        || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// The distribution spec's repository grammar: components of lowercase
/// alphanumerics joined by `.`, `_`, `__` or runs of `-`, separated by `/`.
fn valid_repository(repository: &str) -> bool {
    repository.len() <= 255
        && repository.split('/').all(|component| {
            let bytes = component.as_bytes();
            let alnum = |b: &u8| b.is_ascii_lowercase() || b.is_ascii_digit();
            !bytes.is_empty()
                && bytes.first().is_some_and(alnum)
                && bytes.last().is_some_and(alnum)
                && bytes
                    .iter()
                    .all(|b| alnum(b) || matches!(b, b'.' | b'_' | b'-'))
                && !component.contains("..")
                && !component.contains("___")
                && !component.contains("._")
                && !component.contains("_.")
        })
}

fn valid_tag(tag: &str) -> bool {
    let bytes = tag.as_bytes();
    (1..=128).contains(&bytes.len())
        && (bytes[0].is_ascii_alphanumeric() || bytes[0] == b'_')
        && bytes
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
}

/// `sha256:` and 64 lowercase hex digits: the only digests this host asks for
/// or accepts in a manifest, so none can change a URL's path.
fn valid_digest(digest: &str) -> bool {
    digest.strip_prefix("sha256:").is_some_and(|hex| {
        hex.len() == 64
            && hex
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    })
}

fn digest_of(bytes: &[u8]) -> String {
    format!("sha256:{}", sha256_hex(bytes))
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Descriptor {
    media_type: String,
    digest: String,
    size: u64,
}

impl Descriptor {
    fn of(media_type: &str, bytes: &[u8]) -> Self {
        Self {
            media_type: media_type.to_owned(),
            digest: digest_of(bytes),
            size: bytes.len() as u64,
        }
    }
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ImageManifest {
    schema_version: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    media_type: Option<String>,
    config: Descriptor,
    layers: Vec<Descriptor>,
}

/// The config blob: what the wasm OCI artifact layout names (an architecture,
/// an OS, the layers' digests in order), and nothing that changes between two
/// pushes of the same bytes, so the same plugin gets the same digest.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct WasmConfig<'a> {
    architecture: &'static str,
    os: &'static str,
    layer_digests: Vec<&'a str>,
}

/// A plugin pulled from a registry, its digests checked.
#[derive(Debug)]
pub struct Pulled {
    pub wasm: Vec<u8>,
    /// The `.minisig` layer, when the artifact has one.
    pub signature: Option<Vec<u8>>,
    /// The manifest's digest: what `pinned` pins.
    pub manifest_digest: String,
    /// The reference pinned to that digest, `oci://HOST/REPO[:TAG]@sha256:…`.
    pub pinned: String,
}

/// Pulls the plugin `reference` names.
pub fn pull(reference: &Reference) -> Result<Pulled> {
    let client = Client::new(reference);
    let what = format!("manifest {reference}");
    let url = reference.url("manifests", reference.manifest_reference());
    let bytes = client.get(&what, &url, Some(MANIFEST_MEDIA_TYPE), MAX_MANIFEST_BYTES)?;
    let manifest_digest = digest_of(&bytes);
    if let Some(expected) = &reference.digest
        && *expected != manifest_digest
    {
        return Err(RegistryError::DigestMismatch {
            what,
            expected: expected.clone(),
            actual: manifest_digest,
        });
    }
    let protocol = |detail: String| RegistryError::Protocol {
        what: what.clone(),
        detail,
    };
    let manifest: ImageManifest = serde_json::from_slice(&bytes)
        .map_err(|error| protocol(format!("not an OCI image manifest: {error}")))?;
    if manifest.schema_version != 2 {
        return Err(protocol(format!(
            "schemaVersion is {}, not 2",
            manifest.schema_version
        )));
    }
    if let Some(media_type) = &manifest.media_type
        && media_type != MANIFEST_MEDIA_TYPE
    {
        return Err(protocol(format!(
            "its media type is {}, not {MANIFEST_MEDIA_TYPE}",
            untrusted_text::one_line(media_type)
        )));
    }
    if manifest.config.media_type != WASM_CONFIG_MEDIA_TYPE {
        return Err(protocol(format!(
            "its config's media type is {}, not {WASM_CONFIG_MEDIA_TYPE}: not a wasm artifact",
            untrusted_text::one_line(&manifest.config.media_type)
        )));
    }
    let one_layer = |media_type: &str| -> Result<Option<&Descriptor>> {
        let mut layers = manifest
            .layers
            .iter()
            .filter(|l| l.media_type == media_type);
        let first = layers.next();
        if layers.next().is_some() {
            return Err(protocol(format!("it has more than one {media_type} layer")));
        }
        Ok(first)
    };
    let wasm_layer = one_layer(WASM_LAYER_MEDIA_TYPE)?
        .ok_or_else(|| protocol(format!("it has no {WASM_LAYER_MEDIA_TYPE} layer")))?;
    let signature_layer = one_layer(SIGNATURE_MEDIA_TYPE)?;
    let wasm = client.blob(
        reference,
        "the component layer",
        wasm_layer,
        MAX_PLUGIN_BYTES,
    )?;
    let signature = signature_layer
        .map(|layer| client.blob(reference, "the signature layer", layer, MAX_SIGNATURE_BYTES))
        .transpose()?;
    Ok(Pulled {
        wasm,
        signature,
        pinned: reference.pinned(&manifest_digest),
        manifest_digest,
    })
}

/// Publishes `wasm` (with its `.minisig` text, if given) at `reference`, a tag
/// or a digest, and returns the manifest's digest.
pub fn push(reference: &Reference, wasm: &[u8], signature: Option<&[u8]>) -> Result<String> {
    let client = Client::new(reference);
    let mut layers = vec![Descriptor::of(WASM_LAYER_MEDIA_TYPE, wasm)];
    let mut blobs = vec![wasm];
    if let Some(signature) = signature {
        layers.push(Descriptor::of(SIGNATURE_MEDIA_TYPE, signature));
        blobs.push(signature);
    }
    let config = serde_json::to_vec(&WasmConfig {
        architecture: "wasm",
        os: "wasip2",
        layer_digests: layers.iter().map(|l| l.digest.as_str()).collect(),
    })
    .map_err(|error| RegistryError::Protocol {
        what: "the config".to_owned(),
        detail: error.to_string(),
    })?;
    let manifest = ImageManifest {
        schema_version: 2,
        media_type: Some(MANIFEST_MEDIA_TYPE.to_owned()),
        config: Descriptor::of(WASM_CONFIG_MEDIA_TYPE, &config),
        layers,
    };
    client.upload_blob(reference, &config)?;
    for blob in blobs {
        client.upload_blob(reference, blob)?;
    }
    let bytes = serde_json::to_vec(&manifest).map_err(|error| RegistryError::Protocol {
        what: "the manifest".to_owned(),
        detail: error.to_string(),
    })?;
    let digest = digest_of(&bytes);
    if let Some(expected) = &reference.digest
        && *expected != digest
    {
        return Err(RegistryError::DigestMismatch {
            what: format!("pushing to {reference}"),
            expected: expected.clone(),
            actual: digest,
        });
    }
    let what = format!("manifest {reference}");
    let url = reference.url("manifests", reference.manifest_reference());
    let response = client.send(
        &what,
        client
            .agent
            .put(&url)
            .header("Content-Type", MANIFEST_MEDIA_TYPE)
            .send(&bytes[..]),
    )?;
    expect_status(&what, response, 201)?;
    Ok(digest)
}

struct Client {
    agent: ureq::Agent,
    origin: String,
}

impl Client {
    fn new(reference: &Reference) -> Self {
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(MAX_REDIRECTS)
            .timeout_global(Some(REQUEST_TIMEOUT))
            .timeout_connect(Some(CONNECT_TIMEOUT))
            .user_agent(concat!("skill/", env!("CARGO_PKG_VERSION")))
            .build();
        Self {
            agent: config.into(),
            origin: reference.origin(),
        }
    }

    fn send(
        &self,
        what: &str,
        result: Result<ureq::http::Response<ureq::Body>, ureq::Error>,
    ) -> Result<ureq::http::Response<ureq::Body>> {
        result.map_err(|error| RegistryError::Transport {
            what: what.to_owned(),
            detail: format!("{} ({})", error, self.origin),
        })
    }

    /// GETs `url`, refusing a body over `cap` bytes.
    fn get(&self, what: &str, url: &str, accept: Option<&str>, cap: u64) -> Result<Vec<u8>> {
        let mut request = self.agent.get(url);
        if let Some(accept) = accept {
            request = request.header("Accept", accept);
        }
        let response = self.send(what, request.call())?;
        let mut response = expect_status(what, response, 200)?;
        read_capped(what, response.body_mut(), cap)
    }

    /// The blob `layer` describes, after checking its declared size against
    /// `cap` and its bytes against its size and digest.
    fn blob(
        &self,
        reference: &Reference,
        what: &str,
        layer: &Descriptor,
        cap: u64,
    ) -> Result<Vec<u8>> {
        let what = format!("{what} of {reference}");
        let protocol = |detail: String| RegistryError::Protocol {
            what: what.clone(),
            detail,
        };
        if !valid_digest(&layer.digest) {
            return Err(protocol(format!(
                "its digest {} is not sha256: and 64 lowercase hex digits",
                untrusted_text::one_line(&layer.digest)
            )));
        }
        if layer.size > cap {
            return Err(protocol(format!(
                "it declares {} bytes, over the limit of {cap}",
                layer.size
            )));
        }
        let bytes = self.get(
            &what,
            &reference.url("blobs", &layer.digest),
            None,
            layer.size,
        )?;
        if bytes.len() as u64 != layer.size {
            return Err(protocol(format!(
                "it holds {} bytes, not the {} its descriptor declares",
                bytes.len(),
                layer.size
            )));
        }
        let actual = digest_of(&bytes);
        if actual != layer.digest {
            return Err(RegistryError::DigestMismatch {
                what,
                expected: layer.digest.clone(),
                actual,
            });
        }
        Ok(bytes)
    }

    /// Uploads `bytes` as one blob (a monolithic upload: POST, then PUT with
    /// the digest), unless the registry has it already.
    fn upload_blob(&self, reference: &Reference, bytes: &[u8]) -> Result<()> {
        let digest = digest_of(bytes);
        let what = format!("uploading blob {digest} to {reference}");
        let exists = self.send(
            &what,
            self.agent.head(reference.url("blobs", &digest)).call(),
        )?;
        if exists.status() == 200 {
            return Ok(());
        }
        let started = self.send(
            &what,
            self.agent
                .post(reference.url("blobs", "uploads/"))
                .send_empty(),
        )?;
        let started = expect_status(&what, started, 202)?;
        let location = started
            .headers()
            .get("location")
            .and_then(|l| l.to_str().ok())
            .ok_or_else(|| RegistryError::Protocol {
                what: what.clone(),
                detail: "the registry gave no upload location".to_owned(),
            })?;
        let location = if location.starts_with("http://") || location.starts_with("https://") {
            location.to_owned()
        } else if location.starts_with('/') {
            format!("{}{location}", self.origin)
        } else {
            return Err(RegistryError::Protocol {
                what,
                detail: format!(
                    "the upload location {} is not a URL or an absolute path",
                    untrusted_text::one_line(location)
                ),
            });
        };
        let separator = if location.contains('?') { '&' } else { '?' };
        let url = format!("{location}{separator}digest={}", digest.replace(':', "%3A"));
        let done = self.send(
            &what,
            self.agent
                .put(&url)
                .header("Content-Type", "application/octet-stream")
                .send(bytes),
        )?;
        expect_status(&what, done, 201).map(drop)
    }
}

/// The response if its status is `expected`; otherwise an error quoting the
/// start of its body, on one line.
fn expect_status(
    what: &str,
    mut response: ureq::http::Response<ureq::Body>,
    expected: u16,
) -> Result<ureq::http::Response<ureq::Body>> {
    let status = response.status().as_u16();
    if status == expected {
        return Ok(response);
    }
    let body = response
        .body_mut()
        .with_config()
        .limit(MAX_ERROR_BODY_BYTES)
        .read_to_vec()
        .unwrap_or_default();
    let body = String::from_utf8_lossy(&body);
    let detail = if body.trim().is_empty() {
        String::new()
    } else {
        format!(": {}", untrusted_text::one_line(body.trim()))
    };
    Err(RegistryError::Status {
        what: what.to_owned(),
        status,
        detail,
    })
}

fn read_capped(what: &str, body: &mut ureq::Body, cap: u64) -> Result<Vec<u8>> {
    body.with_config()
        .limit(cap)
        .read_to_vec()
        .map_err(|error| match error {
            ureq::Error::BodyExceedsLimit(_) => RegistryError::Protocol {
                what: what.to_owned(),
                detail: format!("the registry sent more than {cap} bytes"),
            },
            error => RegistryError::Transport {
                what: what.to_owned(),
                detail: error.to_string(),
            },
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    const DIGEST: &str = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    #[test]
    fn references_parse_with_tag_digest_and_port() {
        let r = Reference::parse("oci://127.0.0.1:5000/skill/hello:0.1.0").unwrap();
        assert_eq!(r.registry, "127.0.0.1:5000");
        assert_eq!(r.repository, "skill/hello");
        assert_eq!(r.tag.as_deref(), Some("0.1.0"));
        assert_eq!(r.digest, None);
        assert_eq!(r.scheme(), "http");
        let r = Reference::parse(&format!("oci://ghcr.io/acme/hello@{DIGEST}")).unwrap();
        assert_eq!((r.tag, r.digest.as_deref()), (None, Some(DIGEST)));
        let r = Reference::parse("oci://ghcr.io/acme/hello").unwrap();
        assert_eq!(r.tag.as_deref(), Some("latest"));
        assert_eq!(r.scheme(), "https");
        assert_eq!(
            r.pinned(DIGEST),
            format!("oci://ghcr.io/acme/hello:latest@{DIGEST}")
        );
        let r = Reference::parse("oci://[::1]:5000/a/b:v1").unwrap();
        assert_eq!((r.registry.as_str(), r.scheme()), ("[::1]:5000", "http"));
        assert_eq!(
            Reference::parse("oci://localhost/a").unwrap().scheme(),
            "http"
        );
    }

    #[test]
    fn malformed_references_say_what_is_wrong() {
        for (text, expected) in [
            ("hello.wasm", "oci://"),
            ("oci://host-only", "expected oci://HOST"),
            ("oci://ho st/a", "registry"),
            ("oci://host:99999/a", "registry"),
            ("oci://host/Upper", "repository"),
            ("oci://host/a/../b", "repository"),
            ("oci://host/a//b", "repository"),
            ("oci://host/a:-tag", "tag"),
            ("oci://host/a@sha256:ABC", "digest"),
            ("oci://host/a@sha512:00", "digest"),
            ("oci://host/a\u{1b}[2J", "repository"),
        ] {
            let error = Reference::parse(text).unwrap_err();
            assert_eq!(error.exit_code(), 2);
            let message = error.to_string();
            assert!(message.contains(expected), "{text:?}: {message}");
            assert!(!message.contains('\u{1b}'), "{message}");
        }
    }

    #[test]
    fn only_sha256_digests_reach_a_url() {
        assert!(valid_digest(DIGEST));
        assert!(!valid_digest("sha256:../../../v2/other/manifests/latest"));
        assert!(!valid_digest(&DIGEST.to_uppercase()));
    }
}
