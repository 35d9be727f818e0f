//! The playbook as text and as Markdown (checklist plus status message).

use std::fmt::Write;

use crate::Playbook;

/// The status message ready to paste; the same shape as in
/// references/emergency-procedures.md.
pub fn status_message(p: &Playbook) -> String {
    let next = p
        .steps
        .first()
        .map(|s| format!("{} ({}, by {})", s.title, s.owner, s.deadline))
        .unwrap_or_default();
    format!(
        "Incident: {} ({})\nDetected: {}   Exposure window: {} to ongoing\nPhase: contain\nDone: nothing yet\nNext: {}\nImpact so far: not yet assessed\n",
        p.title,
        p.severity.label(),
        p.detected_at,
        p.exposed_since.as_deref().unwrap_or("unknown"),
        next
    )
}

/// A Markdown checklist, one box per step, commands fenced.
pub fn checklist(p: &Playbook) -> String {
    let mut out = String::new();
    for s in &p.steps {
        let _ = writeln!(
            out,
            "- [ ] **{}.** {} — {}, by {} ({})",
            s.number,
            s.title,
            s.owner,
            s.deadline,
            s.phase.label()
        );
        if !s.commands.is_empty() {
            out.push_str("  ```sh\n");
            for c in &s.commands {
                let _ = writeln!(out, "  {}", c.shell);
            }
            out.push_str("  ```\n");
        }
        if let Some(note) = &s.note {
            let _ = writeln!(out, "  {note}");
        }
    }
    out
}

pub fn render_markdown(p: &Playbook) -> String {
    format!(
        "# {} — {}\n\nDetected {}; contain by {}.\n\n## Checklist\n\n{}\n## Status message\n\n```text\n{}```\n",
        p.severity.label(),
        p.title,
        p.detected_at,
        p.contain_by,
        p.checklist,
        p.status_message
    )
}

pub fn render_text(p: &Playbook) -> String {
    let mut out = format!(
        "{} {} (detected {}, contain by {})\n",
        p.severity.label(),
        p.title,
        p.detected_at,
        p.contain_by
    );
    for s in &p.steps {
        let _ = writeln!(
            out,
            "\n{:>2}. [{}] {} — {}, by {}",
            s.number,
            s.phase.label(),
            s.title,
            s.owner,
            s.deadline
        );
        for c in &s.commands {
            let _ = writeln!(out, "      $ {}", c.shell);
        }
        if let Some(note) = &s.note {
            let _ = writeln!(out, "      {note}");
        }
    }
    out
}
