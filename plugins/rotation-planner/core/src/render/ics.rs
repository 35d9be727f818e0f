//! iCalendar (RFC 5545) rendering: one all-day event per dated schedule item, so a
//! team can subscribe to its rotation deadlines.
//!
//! Reproducible by construction: DTSTAMP is the plan's as-of date at midnight UTC and
//! each UID is derived from the secret's name, so re-importing an updated plan moves
//! the existing events instead of duplicating them.

use std::collections::HashSet;
use std::fmt::Write as _;

use crate::dates::{add_days, format_date, parse_date};
use crate::model::{Plan, ScheduleItem};
use crate::planner::standing;

/// RFC 5545 §3.1: content lines are at most 75 octets, excluding the line break.
const MAX_LINE_OCTETS: usize = 75;

/// Renders the plan as an iCalendar file with CRLF line endings.
pub fn render_ics(plan: &Plan) -> String {
    let mut out = String::new();
    for line in [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//skill//rotation-planner//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
    ] {
        push_line(&mut out, line);
    }
    let stamp = format!("{}T000000Z", digits(&plan.as_of));
    let mut uids = HashSet::new();
    for item in &plan.schedule {
        let Some(due) = item.due.as_deref() else {
            continue;
        };
        let start = digits(due);
        let mut uid = uid_for(item, false);
        if !uids.insert(uid.clone()) {
            // A duplicate name in the same environment: the position keeps it apart.
            uid = uid_for(item, true);
            uids.insert(uid.clone());
        }
        push_line(&mut out, "BEGIN:VEVENT");
        push_line(&mut out, &format!("UID:{uid}"));
        push_line(&mut out, &format!("DTSTAMP:{stamp}"));
        push_line(&mut out, &format!("DTSTART;VALUE=DATE:{start}"));
        // An all-day event ends the next day; some clients need DTEND to show it. The
        // calendar's last day has no next day: DTEND must be later than DTSTART, and
        // without it the event lasts its one day (RFC 5545 3.6.1).
        if let Ok(date) = parse_date(due)
            && let end = add_days(date, 1)
            && end > date
        {
            push_line(
                &mut out,
                &format!("DTEND;VALUE=DATE:{}", digits(&format_date(end))),
            );
        }
        push_line(
            &mut out,
            &format!(
                "SUMMARY:{}",
                text(&format!("Rotate {} ({})", item.name, item.secret_type))
            ),
        );
        push_line(
            &mut out,
            &format!("DESCRIPTION:{}", text(&description(plan, item))),
        );
        push_line(&mut out, "TRANSP:TRANSPARENT");
        push_line(&mut out, "END:VEVENT");
    }
    push_line(&mut out, "END:VCALENDAR");
    out
}

fn description(plan: &Plan, item: &ScheduleItem) -> String {
    let mut text = format!("Urgency: {} ({}).\n", item.urgency.as_str(), standing(item));
    let _ = writeln!(text, "Why: {}.", item.reason);
    match plan.guidance.get(&item.secret_type) {
        Some(guidance) => {
            let _ = writeln!(
                text,
                "Method: {}. {}",
                guidance.method.kind.as_str(),
                guidance.method.how
            );
            let _ = write!(text, "Standard: {}", guidance.standard.citation);
            if let Some(url) = &guidance.standard.url {
                let _ = write!(text, " {url}");
            }
        }
        None => {
            let _ = write!(
                text,
                "Method: {}. Standard: {}",
                item.method.as_str(),
                item.standard
            );
        }
    }
    text
}

/// A UID that is stable across runs and distinct per (name, environment): both are
/// percent-encoded (so no two names collide and no character needs escaping), joined by
/// `.`, which the encoding never produces.
fn uid_for(item: &ScheduleItem, with_index: bool) -> String {
    let mut uid = format!("rotate-{}", encode(&item.name));
    if let Some(environment) = &item.environment {
        let _ = write!(uid, ".env-{}", encode(environment));
    }
    if with_index {
        let _ = write!(uid, ".{}", item.index);
    }
    uid.push_str("@skill.rotation-planner");
    uid
}

fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_' {
            out.push(char::from(byte));
        } else {
            let _ = write!(out, "%{byte:02X}");
        }
    }
    out
}

/// Keeps only the digits of a date, so `2026-06-01` becomes `20260601` and nothing
/// else can reach a property value.
fn digits(date: &str) -> String {
    date.chars().filter(char::is_ascii_digit).collect()
}

/// Escapes a TEXT value (RFC 5545 §3.3.11): backslash, semicolon, comma and line
/// breaks are escaped; other control characters are not allowed in TEXT and become
/// U+FFFD, as do the Unicode controls that would disguise an entry. Runs of characters
/// kept as they are (nearly all of them) are copied whole.
fn text(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 8);
    let mut kept_from = 0;
    let mut chars = value.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        let replacement = match c {
            '\\' => "\\\\",
            ';' => "\\;",
            ',' => "\\,",
            '\r' if chars.peek().is_some_and(|&(_, next)| next == '\n') => "",
            '\r' | '\n' => "\\n",
            // TAB is the one control character TEXT allows.
            '\t' => continue,
            c if untrusted_text::is_disguising(c) => "\u{FFFD}",
            _ => continue,
        };
        out.push_str(&value[kept_from..at]);
        out.push_str(replacement);
        kept_from = at + c.len_utf8();
    }
    out.push_str(&value[kept_from..]);
    out
}

/// Appends one content line, folded (RFC 5545 §3.1) so that no physical line exceeds
/// 75 octets: continuation lines start with a space, and a fold never splits a UTF-8
/// character.
fn push_line(out: &mut String, line: &str) {
    let mut rest = line;
    let mut limit = MAX_LINE_OCTETS;
    loop {
        if rest.len() <= limit {
            out.push_str(rest);
            out.push_str("\r\n");
            return;
        }
        let mut cut = limit;
        while !rest.is_char_boundary(cut) {
            cut -= 1;
        }
        out.push_str(&rest[..cut]);
        out.push_str("\r\n ");
        rest = &rest[cut..];
        // The leading space of a continuation line counts towards its 75 octets.
        limit = MAX_LINE_OCTETS - 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_escaping_follows_rfc_5545() {
        assert_eq!(text("a,b;c\\d\r\ne\nf"), "a\\,b\\;c\\\\d\\ne\\nf");
        assert_eq!(text("bell\u{7}"), "bell\u{FFFD}");
    }

    #[test]
    fn folding_keeps_lines_short_and_characters_whole() {
        let mut out = String::new();
        let line = format!("SUMMARY:{}", "é€😀a".repeat(40));
        push_line(&mut out, &line);
        assert!(out.ends_with("\r\n"));
        let physical: Vec<&str> = out.strip_suffix("\r\n").unwrap().split("\r\n").collect();
        assert!(physical.len() > 1);
        for (i, part) in physical.iter().enumerate() {
            assert!(
                part.len() <= MAX_LINE_OCTETS,
                "line {i} has {} octets",
                part.len()
            );
            assert_eq!(i > 0, part.starts_with(' '));
        }
        // Unfolding (remove CRLF + one space) restores the original.
        assert_eq!(out.trim_end_matches("\r\n").replace("\r\n ", ""), line);
    }

    #[test]
    fn uid_encoding_is_injective_and_safe() {
        assert_eq!(encode("db main.prod"), "db%20main%2Eprod");
        assert_ne!(encode("a b"), encode("a_b"));
        assert!(
            encode("x;y,z\\\n")
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"%-_".contains(&b))
        );
    }
}
