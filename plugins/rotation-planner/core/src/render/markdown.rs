//! GitHub-flavoured Markdown rendering: the text report's content as tables and lists.

use std::fmt::Write as _;

use untrusted_text::markdown_inline;

use super::{counts, or_dash};
use crate::model::{Plan, Urgency};
use crate::planner::standing;

/// Renders the plan as GitHub-flavoured Markdown.
pub fn render_markdown(plan: &Plan) -> String {
    let mut out = String::new();
    out.push_str("# Secret rotation plan\n\n");
    let _ = writeln!(
        out,
        "As of **{}**, policy **{} days**.\n",
        plan.as_of, plan.policy_days
    );
    let _ = writeln!(out, "{}\n", markdown_inline(&plan.report));

    out.push_str("## Schedule\n\n");
    if plan.schedule.is_empty() {
        out.push_str("Nothing to plan.\n\n");
    } else {
        out.push_str("| Urgency | Name | Type | Owner | Last rotated | Due | Days | Method |\n");
        out.push_str("|---|---|---|---|---|---|---:|---|\n");
        for item in &plan.schedule {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} | {} | {} |",
                item.urgency.as_str(),
                markdown_inline(&item.name),
                markdown_inline(&item.secret_type),
                markdown_inline(item.owner.as_deref().unwrap_or("-")),
                or_dash(item.last_rotated.as_deref()),
                or_dash(item.due.as_deref()),
                item.days_until_due
                    .map_or_else(|| "-".to_owned(), |days| days.to_string()),
                item.method.as_str(),
            );
        }
        out.push('\n');
    }

    let summary = &plan.summary;
    let urgency = &summary.by_urgency;
    out.push_str("## Summary\n\n");
    let _ = writeln!(
        out,
        "- **Total:** {} (overdue {}, without due date {})",
        summary.total, summary.overdue, summary.undated
    );
    let _ = writeln!(
        out,
        "- **By urgency:** critical {}, high {}, medium {}, low {}",
        urgency.critical, urgency.high, urgency.medium, urgency.low
    );
    let _ = writeln!(
        out,
        "- **By type:** {}",
        markdown_inline(&counts(&summary.by_type))
    );
    let _ = writeln!(
        out,
        "- **By owner:** {}\n",
        markdown_inline(&counts(&summary.by_owner))
    );

    out.push_str("## Action items\n\n");
    for (label, urgency) in [
        ("Rotate now", Urgency::Critical),
        ("This week", Urgency::High),
    ] {
        let items: Vec<_> = plan
            .schedule
            .iter()
            .filter(|item| item.urgency == urgency)
            .collect();
        if items.is_empty() {
            let _ = writeln!(out, "- **{label}:** nothing");
            continue;
        }
        let _ = writeln!(out, "- **{label}:**");
        for item in items {
            let _ = writeln!(
                out,
                "  - {}: {}; {}",
                markdown_inline(&item.name),
                standing(item),
                markdown_inline(&item.reason)
            );
        }
    }
    out.push('\n');

    if !plan.guidance.is_empty() {
        out.push_str("## Methods and standards\n\n");
        for (secret_type, guidance) in &plan.guidance {
            let _ = writeln!(out, "### {}\n", markdown_inline(secret_type));
            let _ = writeln!(
                out,
                "- **Method:** `{}`. {}",
                guidance.method.kind.as_str(),
                markdown_inline(&guidance.method.how)
            );
            let source = guidance
                .standard
                .url
                .as_deref()
                .map_or_else(String::new, |url| format!(" (<{url}>)"));
            let _ = writeln!(
                out,
                "- **Standard:** {}{source}",
                markdown_inline(&guidance.standard.citation)
            );
            let _ = writeln!(
                out,
                "- **Interval:** {}\n",
                markdown_inline(&guidance.interval_basis)
            );
        }
    }

    if !plan.problems.is_empty() {
        out.push_str("## Problems\n\n");
        out.push_str("| Severity | Source | Pointer | Entry | Message |\n");
        out.push_str("|---|---|---|---|---|\n");
        for problem in &plan.problems {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} |",
                problem.severity.as_str(),
                markdown_inline(&problem.source),
                markdown_inline(&problem.pointer),
                markdown_inline(problem.entry.as_deref().unwrap_or("-")),
                markdown_inline(&problem.message),
            );
        }
        out.push('\n');
    }
    // One trailing newline, whatever the last section was.
    let trimmed = out.trim_end().len();
    out.truncate(trimmed);
    out.push('\n');
    out
}
