//! Plain-text rendering: an aligned table with summary, actions, methods and problems.

use std::borrow::Cow;
use std::fmt::Write as _;

use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};
use untrusted_text::one_line;

use super::{counts, or_dash};
use crate::model::{Plan, Urgency};
use crate::planner::standing;

/// Longest cell shown in the table; longer values are cut with an ellipsis (the JSON
/// keeps them whole) so one huge name cannot push every column off screen.
const MAX_CELL: usize = 48;
/// Width prose is wrapped to.
const WRAP: usize = 88;
/// Bytes reserved per schedule item: a table row and an action item are about 250.
const TEXT_PER_ITEM: usize = 320;

/// Renders the plan as plain text with columns sized to their content.
pub fn render_text(plan: &Plan) -> String {
    // A table row and most often an action item per secret. Reserved memory that is
    // not written is never touched, while a doubling buffer copies all it holds.
    let mut out = String::with_capacity(4096 + plan.schedule.len() * TEXT_PER_ITEM);
    let _ = writeln!(
        out,
        "Secret rotation plan as of {} (policy: {} days)",
        plan.as_of, plan.policy_days
    );
    out.push('\n');
    wrap_into(&mut out, &one_line(&plan.report), "", "", WRAP);

    if !plan.schedule.is_empty() {
        out.push('\n');
        let header = [
            "URGENCY",
            "NAME",
            "TYPE",
            "OWNER",
            "LAST ROTATED",
            "DUE",
            "DAYS",
            "METHOD",
        ];
        // Cells borrow from the plan where they can: a table has eight per secret.
        let rows: Vec<[Cow<str>; 8]> = plan
            .schedule
            .iter()
            .map(|item| {
                [
                    Cow::Borrowed(item.urgency.as_upper()),
                    cell(&item.name),
                    cell(&item.secret_type),
                    cell(item.owner.as_deref().unwrap_or("-")),
                    Cow::Borrowed(or_dash(item.last_rotated.as_deref())),
                    Cow::Borrowed(or_dash(item.due.as_deref())),
                    item.days_until_due
                        .map_or(Cow::Borrowed("-"), |days| Cow::Owned(days.to_string())),
                    Cow::Borrowed(item.method.as_str()),
                ]
            })
            .collect();
        let mut widths = header.map(columns);
        for row in &rows {
            for (width, value) in widths.iter_mut().zip(row) {
                *width = (*width).max(columns(value));
            }
        }
        // DAYS is numeric, so it lines up on the right.
        let right_aligned = |column: usize| column == 6;
        let mut line = |cells: &[&str]| {
            let start = out.len();
            for (column, (value, width)) in cells.iter().zip(widths).enumerate() {
                if column > 0 {
                    out.push_str("  ");
                }
                let pad = std::iter::repeat_n(' ', width - columns(value));
                if right_aligned(column) {
                    out.extend(pad);
                    out.push_str(value);
                } else {
                    out.push_str(value);
                    out.extend(pad);
                }
            }
            let kept = out[start..].trim_end().len();
            out.truncate(start + kept);
            out.push('\n');
        };
        line(&header);
        for row in &rows {
            line(&row.each_ref().map(|value| &**value));
        }
    }

    let summary = &plan.summary;
    let urgency = &summary.by_urgency;
    out.push_str("\nSummary\n");
    let _ = writeln!(
        out,
        "  Total: {} (overdue {}, without due date {})",
        summary.total, summary.overdue, summary.undated
    );
    let _ = writeln!(
        out,
        "  By urgency: critical {}, high {}, medium {}, low {}",
        urgency.critical, urgency.high, urgency.medium, urgency.low
    );
    let _ = writeln!(out, "  By type: {}", one_line(&counts(&summary.by_type)));
    let _ = writeln!(out, "  By owner: {}", one_line(&counts(&summary.by_owner)));

    out.push_str("\nAction items\n");
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
            let _ = writeln!(out, "  {label}: nothing");
            continue;
        }
        let _ = writeln!(out, "  {label} ({}):", items.len());
        // One line reused for every item: thousands of items, one allocation.
        let mut line = String::new();
        for item in items {
            line.clear();
            let _ = write!(
                line,
                "- {}: {}; {}",
                cell(&item.name),
                standing(item),
                one_line(&item.reason)
            );
            wrap_into(&mut out, &line, "    ", "      ", WRAP);
        }
    }

    if !plan.guidance.is_empty() {
        out.push_str("\nMethods and standards\n");
        for (secret_type, guidance) in &plan.guidance {
            let _ = writeln!(
                out,
                "  {} ({})",
                cell(secret_type),
                guidance.method.kind.as_str()
            );
            wrap_into(&mut out, &guidance.method.how, "    ", "    ", WRAP);
            let source = guidance
                .standard
                .url
                .as_deref()
                .map_or_else(String::new, |url| format!(" <{url}>"));
            let standard = format!("Standard: {}{source}", guidance.standard.citation);
            wrap_into(&mut out, &standard, "    ", "    ", WRAP);
        }
    }

    if !plan.problems.is_empty() {
        let _ = writeln!(out, "\nProblems ({})", plan.problems.len());
        for problem in &plan.problems {
            let entry = problem
                .entry
                .as_deref()
                .map_or_else(String::new, |name| format!(" [{}]", cell(name)));
            let _ = writeln!(
                out,
                "  {:<7} {}:{}{entry}",
                problem.severity.as_str(),
                one_line(&problem.source),
                one_line(&problem.pointer)
            );
            wrap_into(
                &mut out,
                &one_line(&problem.message),
                "          ",
                "          ",
                WRAP,
            );
        }
    }
    out
}

/// A table cell: escaped so it stays on one line, and cut to [`MAX_CELL`] terminal cells.
fn cell(value: &str) -> Cow<'_, str> {
    let shown = one_line(value);
    if columns(&shown) <= MAX_CELL {
        return shown;
    }
    let mut used = 0;
    let cut = shown
        .char_indices()
        .find(|&(_, c)| {
            used += UnicodeWidthChar::width(c).unwrap_or(0);
            used > MAX_CELL
        })
        .map_or(shown.len(), |(at, _)| at);
    Cow::Owned(format!("{}…", &shown[..cut]))
}

/// How many terminal cells `text` takes, which is what columns are sized by: East
/// Asian wide characters take two, combining marks none. Most text is ASCII, where
/// that is its length; counting is the renderer's most frequent operation.
fn columns(text: &str) -> usize {
    if text.is_ascii() {
        text.len()
    } else {
        UnicodeWidthStr::width(text)
    }
}

/// Appends `text` wrapped at word boundaries to `width` columns, the first line
/// indented by `first` and the others by `rest`. A word longer than the width gets a
/// line of its own rather than being broken.
fn wrap_into(out: &mut String, text: &str, first: &str, rest: &str, width: usize) {
    let mut words = text.split_whitespace();
    let Some(first_word) = words.next() else {
        return;
    };
    // Written straight into `out`: a plan's action items are thousands of lines.
    out.push_str(first);
    out.push_str(first_word);
    // The line's width in cells, kept as it grows rather than recounted per word.
    let mut line_width = columns(first) + columns(first_word);
    for word in words {
        let word_columns = columns(word);
        if line_width + 1 + word_columns > width {
            out.push('\n');
            out.push_str(rest);
            line_width = columns(rest);
        } else {
            out.push(' ');
            line_width += 1;
        }
        out.push_str(word);
        line_width += word_columns;
    }
    out.push('\n');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wrapped(text: &str, width: usize) -> String {
        let mut out = String::from("before\n");
        wrap_into(&mut out, text, "> ", "  ", width);
        out
    }

    #[test]
    fn prose_wraps_at_word_boundaries_with_its_indents() {
        assert_eq!(
            wrapped("one two  three\tfour five", 12),
            "before\n> one two\n  three four\n  five\n"
        );
        // A line may be exactly the width.
        assert_eq!(wrapped("abcd efgh", 11), "before\n> abcd efgh\n");
        assert_eq!(wrapped("abcd efghi", 11), "before\n> abcd\n  efghi\n");
    }

    #[test]
    fn a_word_longer_than_the_width_gets_its_own_line_unbroken() {
        assert_eq!(
            wrapped("a verylongwordindeed b", 8),
            "before\n> a\n  verylongwordindeed\n  b\n"
        );
        assert_eq!(
            wrapped("verylongwordindeed", 8),
            "before\n> verylongwordindeed\n"
        );
    }

    #[test]
    fn blank_text_writes_nothing() {
        assert_eq!(wrapped("", 20), "before\n");
        assert_eq!(wrapped(" \t\n ", 20), "before\n");
    }

    #[test]
    fn wide_characters_count_two_cells() {
        // Each ideograph takes two cells: "> " + 4 + " " + 4 = 11 > 10.
        assert_eq!(wrapped("秘密 轮换", 10), "before\n> 秘密\n  轮换\n");
        assert_eq!(wrapped("秘密 轮换", 11), "before\n> 秘密 轮换\n");
    }
}
