//! Streaming audit-log parsing and mergeable accounting for the `audit-analyzer` and
//! `emergency-playbook` tools.
//!
//! Pure domain logic: no I/O, no clock, no knowledge of the plugin machinery. Callers
//! push each input's bytes in chunks (the plugin gets 1 MiB chunks from the host) into
//! an [`AuditReader`], which detects the format (Vault/OpenBao, AWS CloudTrail, GCP
//! Cloud Audit Logs, Azure Key Vault, the old tool's generic form; gzip or not) and yields
//! normalized [`Event`]s. An [`Analysis`] accumulates them; two analyses of
//! consecutive shards [`merge`](Analysis::merge) into exactly the one-pass result.
//!
//! ```
//! use audit_core::{Analysis, AuditReader, Format, Outcome};
//!
//! // A Vault request/response pair, split across two chunks mid-line.
//! let log = concat!(
//!     r#"{"time":"2024-05-01T09:00:00Z","type":"request","auth":{"entity_id":"e1"},"#,
//!     r#""request":{"id":"r1","operation":"read","path":"secret/data/a","remote_address":"10.0.0.5"}}"#,
//!     "\n",
//!     r#"{"type":"response","time":"2024-05-01T09:00:00.2Z","auth":{"entity_id":"e1"},"#,
//!     r#""request":{"id":"r1","operation":"read","path":"secret/data/a","remote_address":"10.0.0.5"},"#,
//!     r#""error":"1 error occurred:\n\t* permission denied\n\n"}"#,
//!     "\n",
//! );
//! let (head, tail) = log.as_bytes().split_at(100);
//!
//! let mut reader = AuditReader::new();
//! let mut analysis = Analysis::new();
//! reader.push(head, |event| analysis.add(event))?;
//! reader.push(tail, |event| analysis.add(event))?;
//! let summary = reader.finish(|event| analysis.add(event))?;
//! analysis.finish();
//!
//! assert_eq!(summary.detected.unwrap().format, Format::Vault);
//! assert_eq!(summary.records, 2);
//! assert_eq!(analysis.totals.events, 1, "a request and its response are one access");
//! assert_eq!(analysis.totals.by_outcome[Outcome::Denied.index()], 1);
//! assert_eq!(analysis.addresses()["10.0.0.5"], 1);
//! let json = serde_json::to_string(&analysis).unwrap();
//! assert!(json.contains("\"e1\""));
//! # Ok::<(), audit_core::FormatError>(())
//! ```

mod analysis;
mod anomaly;
mod azure;
mod carry;
mod cloudtrail;
mod detect;
mod event;
mod files;
mod framer;
mod gcp;
mod generic;
mod lines;
mod problem;
mod reader;
mod retrieval;
mod samples;
mod signal;
mod signals;
mod text;
mod timestamp;
mod token;
mod vault;

pub use analysis::{
    AddressStats, Analysis, GcpLogStats, HashMap, IdentityStats, LIVE_TOKENS, LoginStats, Totals,
};
pub use anomaly::{
    Anomaly, AnomalyKind, Baseline, BaselineSource, BusinessHours, Severity, Thresholds, Window,
    detect_anomalies, flagged_identities, format_time,
};
pub use carry::MAX_RECORD_BYTES;
pub use detect::{Container, Detected, FormatError, MAX_DETECT_BYTES, detect};
pub use event::{
    Credentials, Event, Format, Identity, IdentityClass, IdentityKind, Login, NewToken, Outcome,
    Phase, VaultDetails,
};
pub use files::{Files, Sources};
pub use framer::{Framed, JsonFramer, Stray};
pub use gcp::AuditLogKind;
pub use lines::{Line, LineSplitter};
pub use problem::{Problem, ProblemKind, Problems};
pub use reader::{AuditReader, GZIP_PIECE_BYTES, ReadError, ReadSummary};
pub use retrieval::{Burst, MAX_DISTINCT_PER_MINUTE, MinuteReads, SecretReads};
pub use samples::Samples;
pub use signals::{LONG_TTL_SECONDS, Signal, SignalByIdentity, SignalStats};
pub use timestamp::parse_rfc3339_ms;
pub use token::{FINGERPRINT_PREFIX, fingerprint};
pub use vault::classify_error;
