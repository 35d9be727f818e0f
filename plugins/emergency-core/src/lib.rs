//! Incident-response playbooks for leaked secrets and Vault/OpenBao
//! emergencies: severity from the facts, deadlines from the detection time
//! (an input, never the clock), and exact, shell-safe commands.

mod command;
mod error;
mod input;
mod render;
mod severity;
mod steps;

pub use command::Command;
pub use error::InputError;
pub use input::{Cli, Exposure, Incident, IncidentKind, Reach, SecretKind, UnsealMode};
pub use render::{render_markdown, render_text};
pub use severity::{Phase, Severity};

use schemars::JsonSchema;
use serde::Serialize;
use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime, UtcOffset};

/// One step of the playbook.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Step {
    pub number: usize,
    pub phase: Phase,
    pub title: String,
    /// The role that does it.
    pub owner: String,
    /// When it must be done, RFC 3339 UTC.
    pub deadline: String,
    /// Minutes after detection.
    pub deadline_minutes: i64,
    pub commands: Vec<Command>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// The whole response.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Playbook {
    pub title: String,
    pub severity: Severity,
    pub detected_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exposed_since: Option<String>,
    /// When containment must be done.
    pub contain_by: String,
    pub steps: Vec<Step>,
    /// Markdown checklist of the steps.
    pub checklist: String,
    /// The first status message, ready to paste.
    pub status_message: String,
}

fn parse_time(pointer: &str, text: &str) -> Result<OffsetDateTime, InputError> {
    OffsetDateTime::parse(text, &Rfc3339)
        .map(|t| t.to_offset(UtcOffset::UTC))
        .map_err(|e| InputError::new(pointer, format!("{text:?} is not an RFC 3339 time: {e}")))
}

fn format_time(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap_or_else(|_| t.to_string())
}

/// Builds the playbook; fails on the first invalid value.
pub fn build(incident: &Incident) -> Result<Playbook, InputError> {
    incident.validate()?;
    let detected = parse_time("/detected_at", &incident.detected_at)?;
    let exposed_since = match incident.exposed_since.as_deref() {
        Some(text) => {
            let since = parse_time("/exposed_since", text)?;
            if since > detected {
                return Err(InputError::new(
                    "/exposed_since",
                    "the exposure cannot start after the detection",
                ));
            }
            Some(format_time(since))
        }
        None => None,
    };
    let severity = Severity::derive(incident.exposure, incident.reach);
    let steps: Vec<Step> = steps::draft(incident)
        .into_iter()
        .enumerate()
        .map(|(i, d)| {
            let minutes = d.phase.deadline_minutes(severity);
            Step {
                number: i + 1,
                phase: d.phase,
                title: d.title,
                owner: d.owner.to_owned(),
                deadline: format_time(detected + Duration::minutes(minutes)),
                deadline_minutes: minutes,
                commands: d.commands,
                note: d.note,
            }
        })
        .collect();
    let title = match incident.incident {
        IncidentKind::LeakedSecret => format!(
            "leaked {}",
            incident.secret_kind.map_or("secret", SecretKind::label)
        ),
        IncidentKind::CompromisedCiRunner => "compromised CI runner".to_owned(),
        IncidentKind::SealEmergency => "Vault/OpenBao seal emergency".to_owned(),
        IncidentKind::UnsealRecovery => "Vault/OpenBao unseal and recovery".to_owned(),
        IncidentKind::MassRevocation => "mass revocation".to_owned(),
    };
    let mut playbook = Playbook {
        title,
        severity,
        detected_at: format_time(detected),
        exposed_since,
        contain_by: format_time(detected + Duration::minutes(severity.contain_minutes())),
        steps,
        checklist: String::new(),
        status_message: String::new(),
    };
    playbook.checklist = render::checklist(&playbook);
    playbook.status_message = render::status_message(&playbook);
    Ok(playbook)
}

#[cfg(test)]
mod tests;
