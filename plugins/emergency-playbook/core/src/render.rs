//! The playbook as text and as Markdown (checklist plus status message).

use std::borrow::Cow;
use std::fmt::Write;

// Log values are untrusted: shown on one line, with no Markdown syntax.
use untrusted_text::{markdown_inline, one_line};

use crate::{BlastRadius, Playbook};

/// The status message ready to paste; the same shape as in
/// references/emergency-procedures.md.
pub fn status_message(p: &Playbook) -> String {
    let next = p
        .steps
        .first()
        .map(|s| format!("{} ({}, by {})", s.title, s.owner, s.deadline))
        .unwrap_or_default();
    format!(
        "Incident: {} ({})\nDetected: {}   Exposure window: {} to ongoing\nPhase: contain\nDone: nothing yet\nNext: {}\nImpact so far: {}\n",
        p.title,
        p.severity.label(),
        p.detected_at,
        p.exposed_since.as_deref().unwrap_or("unknown"),
        next,
        impact(p.blast_radius.as_ref())
    )
}

/// One line on what the audit logs show, for the status message.
fn impact(b: Option<&BlastRadius>) -> String {
    match b {
        None => "not yet assessed".to_owned(),
        Some(b) if b.accesses == 0 => "none found in audit logs".to_owned(),
        Some(b) => {
            let mut text = format!(
                "{} accesses by the credential in the window ({} succeeded)",
                b.accesses, b.successes
            );
            if !b.rotate_next.is_empty() {
                let shown: Vec<Cow<str>> =
                    b.rotate_next.iter().take(5).map(|s| one_line(s)).collect();
                let _ = write!(text, "; secrets read: {}", shown.join(", "));
                if b.rotate_next.len() > shown.len() {
                    let _ = write!(text, " (+{} more)", b.rotate_next.len() - shown.len());
                }
            }
            text
        }
    }
}

fn failed(failures: &std::collections::BTreeMap<String, u64>) -> String {
    if failures.is_empty() {
        return "0".to_owned();
    }
    failures
        .iter()
        .map(|(outcome, n)| format!("{n} {outcome}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The blast radius as lines; `esc` makes a log value safe for the output format.
fn blast_lines(b: &BlastRadius, esc: fn(&str) -> Cow<'_, str>) -> Vec<String> {
    let mut lines = vec![
        format!("Credential: {}", esc(&b.credential.join("; "))),
        format!(
            "Window: {} to {}",
            b.window_from.as_deref().unwrap_or("the start of the logs"),
            b.window_until
        ),
        format!(
            "{} accesses ({} succeeded, failed: {}), first {}, last {}",
            b.accesses,
            b.successes,
            failed(&b.failures),
            b.first.as_deref().unwrap_or("-"),
            b.last.as_deref().unwrap_or("-")
        ),
    ];
    if !b.source_addresses.is_empty() {
        let addresses: Vec<String> = b
            .source_addresses
            .iter()
            .map(|(a, n)| format!("{} ({n})", esc(a)))
            .collect();
        lines.push(format!("From: {}", addresses.join(", ")));
    }
    if !b.rotate_next.is_empty() {
        let secrets: Vec<Cow<str>> = b.rotate_next.iter().map(|s| esc(s)).collect();
        lines.push(format!("Rotate next: {}", secrets.join(", ")));
    }
    for a in &b.adjacent {
        let mut facts = Vec::new();
        if !a.read.is_empty() {
            facts.push(format!("read {}", a.read.len()));
        }
        if a.listed {
            facts.push("listed".to_owned());
        }
        if a.denied > 0 {
            facts.push(format!("{} denied", a.denied));
        }
        lines.push(format!(
            "Adjacent: {} ({})",
            esc(&a.prefix),
            facts.join(", ")
        ));
    }
    lines.push(format!(
        "Outside the window: {} before, {} after, {} without time",
        b.before_window, b.after_window, b.untimed
    ));
    for w in &b.warnings {
        lines.push(format!("Warning: {}", esc(w)));
    }
    lines
}

fn blast_markdown(b: &BlastRadius) -> String {
    let mut out = String::from("## Blast radius\n\n");
    for line in blast_lines(b, markdown_inline) {
        let _ = writeln!(out, "- {line}");
    }
    if !b.groups.is_empty() {
        out.push_str("\n| resource | operation | accesses | succeeded | failed | addresses | first | last | request ids |\n|---|---|---|---|---|---|---|---|---|\n");
        for g in &b.groups {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                markdown_inline(&g.resource),
                markdown_inline(&g.operation),
                g.accesses,
                g.successes,
                failed(&g.failures),
                markdown_inline(&g.source_addresses.join(", ")),
                g.first,
                g.last,
                markdown_inline(&g.request_ids.join(", "))
            );
        }
    }
    out.push('\n');
    out
}

fn blast_text(b: &BlastRadius) -> String {
    let mut out = String::from("\nBlast radius\n");
    for line in blast_lines(b, one_line) {
        let _ = writeln!(out, "  {line}");
    }
    for g in &b.groups {
        let _ = writeln!(
            out,
            "  - {} {}: {} accesses, {} succeeded, failed: {}; from {}; {} to {}; ids {}",
            one_line(&g.operation),
            one_line(&g.resource),
            g.accesses,
            g.successes,
            failed(&g.failures),
            one_line(&g.source_addresses.join(", ")),
            g.first,
            g.last,
            one_line(&g.request_ids.join(", "))
        );
    }
    out
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
        "# {} — {}\n\nDetected {}; contain by {}.\n\n## Checklist\n\n{}\n{}## Status message\n\n```text\n{}```\n",
        p.severity.label(),
        p.title,
        p.detected_at,
        p.contain_by,
        p.checklist,
        p.blast_radius
            .as_ref()
            .map(blast_markdown)
            .unwrap_or_default(),
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
    if let Some(b) = &p.blast_radius {
        out.push_str(&blast_text(b));
    }
    out
}
