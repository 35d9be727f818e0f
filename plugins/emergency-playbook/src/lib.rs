//! The `emergency-playbook` plugin: [`emergency_core`] exported through the
//! skill contract. This layer only maps input errors to pointers; every
//! response decision lives in `emergency-core`.

use emergency_core::{Incident, Playbook};
use skill_pdk::prelude::*;

fn playbook(input: Incident) -> Result<Playbook, ToolError> {
    emergency_core::build(&input)
        .map_err(|error| ToolError::invalid_input(error.pointer, error.message))
}

fn plugin() -> Plugin {
    Plugin::new("emergency-playbook", env!("CARGO_PKG_VERSION"))
        .description("Incident response for leaked secrets and Vault/OpenBao emergencies: severity, deadlines, exact commands.")
        .tool(
            Tool::new(
                "emergency-playbook",
                "Turn an incident into ordered steps with owners, deadlines and exact commands.",
                playbook,
            )
            .description(
                "Takes the facts of an incident (a leaked secret by kind, a compromised CI runner, a \
                 seal emergency, unseal and recovery, mass revocation), derives the severity P0-P3 \
                 from where it leaked and what it reaches, and returns the steps of each phase \
                 (contain, assess, recover, post-mortem) with an owner role, a deadline counted \
                 from `detected_at`, and vault/bao, aws, gcloud or az commands as argument lists \
                 and shell-quoted lines; plus a Markdown checklist and a status message to paste. \
                 Every value is validated before it reaches a command.",
            )
            .render("text", emergency_core::render_text)
            .render("markdown", emergency_core::render_markdown),
        )
}

skill_pdk::export_plugin!(plugin);
