//! Incident-response playbooks for leaked secrets and Vault/OpenBao
//! emergencies: severity from the facts, deadlines from the detection time
//! (an input, never the clock), and exact, shell-safe commands.

mod blast;
mod command;
mod error;
mod ids;
mod input;
mod render;
mod severity;
mod steps;

pub use blast::{
    AccessGroup, AdjacentPrefix, BlastRadius, BlastRadiusBuilder, Credential, LogRead, MAX_GROUPS,
    Window,
};
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
    /// Every access by the leaked credential in the exposure window, when audit logs
    /// were given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub blast_radius: Option<BlastRadius>,
}

fn parse_time(pointer: &str, text: &str) -> Result<OffsetDateTime, InputError> {
    let time = OffsetDateTime::parse(text, &Rfc3339)
        .map_err(|e| InputError::new(pointer, format!("{text:?} is not an RFC 3339 time: {e}")))?;
    // `9999-12-31T23:59:59-01:00` is valid RFC 3339 but falls in the year 10000 in UTC
    // (and `0000-01-01T00:00:00+01:00` in the year -1), which RFC 3339 cannot write.
    time.checked_to_offset(UtcOffset::UTC)
        .filter(|t| (0..=9999).contains(&t.year()))
        .ok_or_else(|| {
            InputError::new(
                pointer,
                format!("{text:?} is outside the years 0000 to 9999 in UTC"),
            )
        })
}

/// `minutes` after the detection; a deadline past the year 9999 cannot be written.
fn deadline(detected: OffsetDateTime, minutes: i64) -> Result<OffsetDateTime, InputError> {
    detected
        .checked_add(Duration::minutes(minutes))
        .filter(|t| t.year() <= 9999)
        .ok_or_else(|| {
            InputError::new(
                "/detected_at",
                format!(
                    "a deadline {minutes} minutes after the detection would pass the year 9999"
                ),
            )
        })
}

fn format_time(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap_or_else(|_| t.to_string())
}

fn epoch_ms(t: OffsetDateTime) -> i64 {
    (t.unix_timestamp_nanos() / 1_000_000) as i64
}

impl<L> Incident<L> {
    /// The accumulator for the blast radius, when audit logs are given: checks the
    /// credential and the window (`exposed_since` to `exposed_until`, else to the
    /// detection time) before any log is read.
    pub fn blast_radius_builder(&self) -> Result<Option<BlastRadiusBuilder>, InputError> {
        if self.credential.is_none() && self.audit_logs.is_empty() {
            return Ok(None);
        }
        if self.audit_logs.is_empty() {
            return Err(InputError::new(
                "/audit_logs",
                "the credential is matched in audit logs: give at least one",
            ));
        }
        let detected = parse_time("/detected_at", &self.detected_at)?;
        let from = self
            .exposed_since
            .as_deref()
            .map(|t| parse_time("/exposed_since", t))
            .transpose()?;
        let until = match self.exposed_until.as_deref() {
            Some(t) => parse_time("/exposed_until", t)?,
            None => detected,
        };
        if from.is_some_and(|from| from > until) {
            return Err(InputError::new(
                "/exposed_until",
                "the exposure cannot end before it starts",
            ));
        }
        let window = Window {
            from_ms: from.map(epoch_ms),
            until_ms: epoch_ms(until),
        };
        // The incident's own cloud identifiers name the same credential; with none
        // at all, the builder says what to give (for a Vault/OpenBao token, its
        // accessor's HMAC: see the `sys/audit-hash` step).
        let mut credential = self.credential.clone().unwrap_or_default();
        let fill = |field: &mut Option<String>, incident: &Option<String>| {
            if field.is_none() {
                field.clone_from(incident);
            }
        };
        fill(&mut credential.aws_access_key_id, &self.aws_access_key_id);
        fill(&mut credential.gcp_principal, &self.gcp_service_account);
        fill(&mut credential.azure_app_id, &self.azure_app_id);
        BlastRadiusBuilder::new(&credential, window).map(Some)
    }
}

/// Builds the playbook, with the blast radius computed from the incident's audit
/// logs if any; fails on the first invalid value.
pub fn build<L>(
    incident: &Incident<L>,
    blast_radius: Option<BlastRadius>,
) -> Result<Playbook, InputError> {
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
    let steps: Vec<Step> = steps::draft(incident, blast_radius.as_ref())
        .into_iter()
        .enumerate()
        .map(|(i, d)| {
            let minutes = d.phase.deadline_minutes(severity);
            Ok(Step {
                number: i + 1,
                phase: d.phase,
                title: d.title,
                owner: d.owner.to_owned(),
                deadline: format_time(deadline(detected, minutes)?),
                deadline_minutes: minutes,
                commands: d.commands,
                note: d.note,
            })
        })
        .collect::<Result<_, InputError>>()?;
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
        contain_by: format_time(deadline(detected, severity.contain_minutes())?),
        steps,
        checklist: String::new(),
        status_message: String::new(),
        blast_radius,
    };
    playbook.checklist = render::checklist(&playbook);
    playbook.status_message = render::status_message(&playbook);
    Ok(playbook)
}

#[cfg(test)]
mod tests;
