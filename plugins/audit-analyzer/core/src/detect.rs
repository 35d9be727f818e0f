//! Recognises an input's format and container from its first bytes.
//!
//! The container decides how records are cut out of the stream (one per line, with or
//! without a syslog header or operator prefix; a pretty-printed stream; a JSON array;
//! a `Records` / `records` / `Events` wrapper); the first record's keys decide the
//! format. Anything unrecognised is a clear error, never a silent zero.

use serde::Deserialize;
use serde::de::IgnoredAny;

use crate::event::Format;
use crate::framer::JsonFramer;

/// How records are laid out in the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Container {
    /// One JSON object per line.
    JsonLines,
    /// One JSON object per line after a syslog header or an operator prefix
    /// (`<38>Nov 13 23:47:09 host vault[966]: {…}`); the text up to the first `{` is
    /// skipped on each line.
    PrefixedLines,
    /// Concatenated multi-line (pretty-printed) objects.
    PrettyStream,
    /// A JSON array of records.
    Array,
    /// `{"Records":[…]}` (CloudTrail S3 objects) or `{"records":[…]}` (Azure blobs and
    /// Event Hubs), possibly several concatenated.
    RecordsWrapper,
    /// `aws cloudtrail lookup-events` output: `{"Events":[{"CloudTrailEvent":"…"}]}`.
    LookupEvents,
}

impl Container {
    /// Depth at which the framer finds records; `None` for line-based containers.
    pub(crate) fn frame_depth(self) -> Option<u32> {
        match self {
            Container::JsonLines | Container::PrefixedLines => None,
            Container::PrettyStream => Some(0),
            Container::Array => Some(1),
            Container::RecordsWrapper | Container::LookupEvents => Some(2),
        }
    }
}

/// What an input was recognised as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Detected {
    /// The record format.
    pub format: Format,
    /// The container.
    pub container: Container,
}

/// Why an input cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FormatError {
    /// Vault's `format=jsonx` (XML) device output.
    #[error(
        "this is a Vault audit log in `jsonx` (XML) format, which is not supported: \
         enable the audit device with `format=json` (the default) and analyse that log"
    )]
    Jsonx,
    /// A gzip stream that cannot be decompressed.
    #[error("the input looks gzip-compressed but cannot be decompressed: {0}")]
    CorruptGzip(String),
    /// Nothing we know.
    #[error("unrecognised audit log format: {0}")]
    Unknown(String),
}

/// The first two bytes of a gzip member.
pub(crate) const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// Bytes the detector may wait for before giving up on finding a first record.
pub const MAX_DETECT_BYTES: usize = 8 << 20;

/// Recognises `head`, the first bytes of an input. Returns `Ok(None)` when more bytes
/// are needed (the first record is not complete yet and `at_eof` is false) and for an
/// input with no record at all.
pub fn detect(head: &[u8], at_eof: bool) -> Result<Option<Detected>, FormatError> {
    let body = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let Some(first) = body.iter().position(|b| !b.is_ascii_whitespace()) else {
        return Ok(None);
    };
    let body = &body[first..];
    if body.starts_with(&GZIP_MAGIC) {
        // The reader unwraps gzip before detecting; gzip inside gzip is not a log.
        return Err(FormatError::CorruptGzip(
            "the decompressed data is gzip-compressed again".into(),
        ));
    }
    if body.starts_with(b"<?xml") || body.starts_with(b"<json:") {
        return Err(FormatError::Jsonx);
    }
    match body[0] {
        b'[' => from_first_object(body, 1, at_eof, |format, _| Detected {
            format,
            container: Container::Array,
        }),
        b'{' => {
            match first_key(body) {
                Some(b"Records") | Some(b"records") => {
                    let format = if first_key(body) == Some(b"Records") {
                        Format::CloudTrail
                    } else {
                        Format::AzureKeyVault
                    };
                    return Ok(Some(Detected {
                        format,
                        container: Container::RecordsWrapper,
                    }));
                }
                Some(b"Events") => {
                    return Ok(Some(Detected {
                        format: Format::CloudTrail,
                        container: Container::LookupEvents,
                    }));
                }
                _ => {}
            }
            from_first_object(body, 0, at_eof, |format, one_line| Detected {
                format,
                container: if one_line {
                    Container::JsonLines
                } else {
                    Container::PrettyStream
                },
            })
        }
        _ => {
            // A header or prefix before the JSON on each line (syslog, operator prefix).
            let Some(brace) = memchr::memchr(b'{', body) else {
                return if at_eof || body.len() >= MAX_DETECT_BYTES {
                    Err(FormatError::Unknown(format!(
                        "no JSON object found; the input starts with {:?}",
                        preview(body)
                    )))
                } else {
                    Ok(None)
                };
            };
            from_first_object(&body[brace..], 0, at_eof, |format, _| Detected {
                format,
                container: Container::PrefixedLines,
            })
        }
    }
}

fn preview(bytes: &[u8]) -> String {
    let end = bytes.len().min(60);
    String::from_utf8_lossy(&bytes[..end]).into_owned()
}

/// The first key of the object starting at `body[0] == b'{'`, if it is plain text.
fn first_key(body: &[u8]) -> Option<&[u8]> {
    let rest = &body[1..];
    let start = rest.iter().position(|b| !b.is_ascii_whitespace())?;
    let rest = rest[start..].strip_prefix(b"\"")?;
    let end = memchr::memchr2(b'"', b'\\', rest)?;
    (rest[end] == b'"').then(|| &rest[..end])
}

/// Frames the first record at `depth`, classifies it, and builds the result with
/// `make(format, fits_on_its_first_line)`.
fn from_first_object(
    body: &[u8],
    depth: u32,
    at_eof: bool,
    make: impl FnOnce(Format, bool) -> Detected,
) -> Result<Option<Detected>, FormatError> {
    let mut framer = JsonFramer::new(depth);
    let mut first: Option<(u64, Vec<u8>)> = None;
    framer.push(
        body,
        |o| {
            if first.is_none() {
                first = Some((o.line, o.bytes.to_vec()));
            }
        },
        |_| {},
    );
    let Some((line, record)) = first else {
        if depth == 1 && at_eof {
            // An empty array: a valid input with no record.
            return Ok(None);
        }
        return if at_eof || body.len() >= MAX_DETECT_BYTES {
            Err(FormatError::Unknown(format!(
                "no complete JSON record found; the input starts with {:?}",
                preview(body)
            )))
        } else {
            Ok(None)
        };
    };
    if record.is_empty() {
        return Err(FormatError::Unknown(format!(
            "the first record is longer than {} MiB",
            crate::MAX_RECORD_BYTES >> 20
        )));
    }
    let format = classify(&record)?;
    let one_line = line == 1 && !record.contains(&b'\n');
    Ok(Some(make(format, one_line)))
}

/// The keys that tell formats apart; values are skipped.
#[derive(Deserialize)]
struct Keys {
    #[serde(rename = "type")]
    kind: Option<IgnoredAny>,
    request: Option<IgnoredAny>,
    auth: Option<IgnoredAny>,
    #[serde(rename = "eventName")]
    event_name: Option<IgnoredAny>,
    #[serde(rename = "eventSource")]
    event_source: Option<IgnoredAny>,
    #[serde(rename = "CloudTrailEvent")]
    cloudtrail_event: Option<IgnoredAny>,
    #[serde(rename = "detail-type")]
    detail_type: Option<IgnoredAny>,
    #[serde(rename = "protoPayload")]
    proto_payload: Option<IgnoredAny>,
    #[serde(rename = "operationName", alias = "OperationName")]
    operation_name: Option<IgnoredAny>,
    timestamp: Option<IgnoredAny>,
    status_code: Option<IgnoredAny>,
    remote_address: Option<IgnoredAny>,
    path: Option<IgnoredAny>,
}

fn classify(record: &[u8]) -> Result<Format, FormatError> {
    let keys: Keys = serde_json::from_slice(record).map_err(|e| {
        FormatError::Unknown(format!(
            "the first record is not valid JSON ({e}): {:?}",
            preview(record)
        ))
    })?;
    let generic_markers =
        keys.timestamp.is_some() || keys.status_code.is_some() || keys.remote_address.is_some();
    Ok(if keys.proto_payload.is_some() {
        Format::GcpAudit
    } else if keys.event_name.is_some()
        || keys.event_source.is_some()
        || keys.cloudtrail_event.is_some()
        || keys.detail_type.is_some()
    {
        Format::CloudTrail
    } else if keys.operation_name.is_some() {
        Format::AzureKeyVault
    } else if keys.request.is_some() && keys.kind.is_some() && !generic_markers {
        Format::Vault
    } else if generic_markers
        || keys.path.is_some()
        || keys.auth.is_some()
        || keys.request.is_some()
    {
        Format::Generic
    } else {
        return Err(FormatError::Unknown(format!(
            "the first record has none of the keys of a Vault/OpenBao, CloudTrail, GCP, \
             Azure Key Vault or generic audit entry: {:?}",
            preview(record)
        )));
    })
}
