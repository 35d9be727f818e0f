//! The `emergency-playbook` plugin: [`emergency_core`] exported through the
//! skill contract. This layer maps input errors to pointers and streams the
//! granted audit logs into audit-core's reader and emergency-core's blast-radius
//! accumulator; every response decision lives in `emergency-core`.

use audit_core::{AuditReader, ReadError};
use emergency_core::{BlastRadius, BlastRadiusBuilder, Incident, InputError, Playbook};
use skill_pdk::prelude::*;

fn invalid(error: InputError) -> ToolError {
    ToolError::invalid_input(error.pointer, error.message)
}

/// Streams every log through `blast`, one chunk at a time.
fn read_logs(logs: &[InputPath], mut blast: BlastRadiusBuilder) -> Result<BlastRadius, ToolError> {
    for (i, path) in logs.iter().enumerate() {
        let mut input = host::open_input(path)?;
        let summary = AuditReader::new()
            .read_to_end(|| input.next_chunk(), |event| blast.add(event))
            .map_err(|error| match error {
                ReadError::Source(e) => {
                    ToolError::failed(format!("cannot read `{}`: {e}", path.as_str()))
                }
                ReadError::Format(e) => ToolError::invalid_input(
                    format!("/audit_logs/{i}"),
                    format!("{}: {e}", path.as_str()),
                ),
            })?;
        blast.add_log(path.as_str(), &summary);
    }
    Ok(blast.finish())
}

fn playbook(input: Incident<InputPath>) -> Result<Playbook, ToolError> {
    // Every value is checked before a log is read.
    input.validate().map_err(invalid)?;
    let blast_radius = match input.blast_radius_builder().map_err(invalid)? {
        Some(blast) => Some(read_logs(&input.audit_logs, blast)?),
        None => None,
    };
    emergency_core::build(&input, blast_radius).map_err(invalid)
}

/// The plugin and its tools (also called natively by the host's build script,
/// which embeds the manifest).
pub fn plugin() -> Plugin {
    Plugin::new("emergency-playbook", env!("CARGO_PKG_VERSION"))
        .description("Incident response for leaked secrets and Vault/OpenBao emergencies: severity, deadlines, exact commands, blast radius from audit logs.")
        .tool(
            Tool::new(
                "emergency-playbook",
                "Turn an incident into ordered steps with owners, deadlines and exact commands, and compute the leaked credential's blast radius from audit logs.",
                playbook,
            )
            .description(
                "Takes the facts of an incident (a leaked secret by kind, a compromised CI runner, a \
                 seal emergency, unseal and recovery, mass revocation), derives the severity P0-P3 \
                 from where it leaked and what it reaches, and returns the steps of each phase \
                 (contain, assess, recover, post-mortem) with an owner role, a deadline counted \
                 from `detected_at`, and vault/bao, aws, gcloud or az commands as argument lists \
                 and shell-quoted lines; plus a Markdown checklist and a status message to paste. \
                 Given `audit_logs` (Vault/OpenBao, CloudTrail, GCP, Azure Key Vault; several \
                 files, gzip or not) and the leaked `credential` as the logs record it (a Vault \
                 accessor or token HMAC from `sys/audit-hash`, an entity id, an AWS access key \
                 id, a GCP principal, an Azure object or application id), it streams the logs \
                 and reports the blast radius: every access in the exposure window \
                 (`exposed_since` to `exposed_until`, default the detection time) grouped by \
                 resource and operation with addresses, first and last time, successes, \
                 failures by outcome and request ids; the secrets it read (rotate next) and the \
                 prefixes it read, listed or probed. Every value is validated before it reaches \
                 a command.",
            )
            .render("text", emergency_core::render_text)
            .render("markdown", emergency_core::render_markdown),
        )
}

skill_pdk::export_plugin!(plugin);
