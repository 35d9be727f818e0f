//! Renderers: layout, escaping of hostile values, and byte-for-byte determinism.

mod common;

use common::{AS_OF, day, plan_inline};
use rotation_core::{Plan, render_csv, render_ics, render_markdown, render_text};
use serde_json::json;

fn sample() -> Plan {
    let entries = [
        json!({"name": "db", "type": "database", "owner": "team-a", "last_rotated": day(-45)}),
        json!({"name": "key", "type": "api-key", "owner": "a much longer owner name", "last_rotated": day(-85)}),
        json!({"name": "admin", "type": "human-password"}),
        json!({"name": "hook", "type": "webhook", "last_rotated": "yesterday"}),
    ];
    plan_inline(&entries, AS_OF, 90)
}

fn hostile() -> Plan {
    let entries = [
        json!({"name": "a|b, \"c\"; d\\e\nf\r\ng", "type": "api-key", "owner": "=cmd|' /C calc'!A0", "last_rotated": day(-89)}),
        json!({"name": "x\u{1b}[2J\u{202e}évil ✓ 😀", "type": "data|base", "environment": "pr,od", "last_rotated": day(-1)}),
        json!({"name": "long-".repeat(20_000), "type": "ssh-key", "last_rotated": day(-10)}),
    ];
    plan_inline(&entries, AS_OF, 90)
}

#[test]
fn text_table_columns_line_up() {
    let text = render_text(&sample());
    assert!(text.starts_with("Secret rotation plan as of 2026-06-01 (policy: 90 days)\n"));
    let table: Vec<&str> = text
        .lines()
        .skip_while(|line| !line.starts_with("URGENCY"))
        .take_while(|line| !line.is_empty())
        .collect();
    assert_eq!(table.len(), 5, "{text}");
    let method_column = table[0].find("METHOD").unwrap();
    for row in &table[1..] {
        let prefix: String = row.chars().take(method_column).collect();
        assert!(
            prefix.ends_with("  "),
            "METHOD column misaligned in {row:?}"
        );
        assert!(!row[method_column..].starts_with(' '), "{row:?}");
    }
    // DAYS is right-aligned: a negative overdue count ends where the header ends.
    let days_end = table[0].find("DAYS").unwrap() + 4;
    assert!(
        table.iter().any(|row| row[..days_end].ends_with("-15")),
        "{text}"
    );
    assert!(text.contains("Problems (2)"), "{text}");
    assert!(
        text.contains("input:/secrets/3/last_rotated [hook]"),
        "{text}"
    );
    assert!(text.contains("Rotate now (2):"), "{text}");
}

#[test]
fn text_keeps_hostile_values_on_one_line() {
    let plan = hostile();
    let text = render_text(&plan);
    assert!(!text.contains('\u{1b}') && !text.contains('\u{202e}') && !text.contains('\r'));
    let rows: Vec<&str> = text
        .lines()
        .skip_while(|line| !line.starts_with("URGENCY"))
        .take_while(|line| !line.is_empty())
        .collect();
    assert_eq!(
        rows.len(),
        1 + plan.schedule.len(),
        "one line per item:\n{text}"
    );
    assert!(
        rows.iter().all(|row| row.chars().count() < 200),
        "long names are cut in the table"
    );
}

#[test]
fn markdown_escapes_pipes_so_rows_keep_their_cells() {
    let plan = hostile();
    let markdown = render_markdown(&plan);
    let rows: Vec<&str> = markdown
        .lines()
        .skip_while(|line| !line.starts_with("| Urgency"))
        .take_while(|line| line.starts_with('|'))
        .collect();
    assert_eq!(
        rows.len(),
        2 + plan.schedule.len(),
        "newlines inside names must not break rows"
    );
    for row in &rows {
        // Count cell separators: pipes not escaped by an odd run of backslashes.
        let bytes = row.as_bytes();
        let separators = (0..bytes.len())
            .filter(|&i| {
                bytes[i] == b'|'
                    && bytes[..i].iter().rev().take_while(|&&b| b == b'\\').count() % 2 == 0
            })
            .count();
        assert_eq!(separators, 9, "{row}");
    }
    assert!(
        markdown.contains("a\\|b, \"c\"; d\\\\e<br>f<br>g"),
        "{markdown}"
    );
    assert!(markdown.contains("data\\|base"));
    assert!(!markdown.contains('\u{1b}'));
}

#[test]
fn csv_quotes_cells_and_round_trips() {
    let plan = hostile();
    let csv_text = render_csv(&plan);
    let mut reader = csv::Reader::from_reader(csv_text.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    assert_eq!(&header[..3], ["urgency", "name", "type"]);
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), plan.schedule.len());
    for (row, item) in rows.iter().zip(&plan.schedule) {
        assert_eq!(&row[1], item.name, "names survive quoting exactly");
        assert_eq!(
            row[10],
            item.days_until_due
                .map(|d| d.to_string())
                .unwrap_or_default()
        );
    }
    let formula = rows.iter().find(|row| row[4].contains("cmd")).unwrap();
    assert_eq!(
        &formula[4], "'=cmd|' /C calc'!A0",
        "formula-like owner is neutralised"
    );
}

#[test]
fn ics_is_valid_folded_and_escaped() {
    let plan = hostile();
    let ics = render_ics(&plan);
    assert!(ics.ends_with("END:VCALENDAR\r\n"));
    assert!(
        !ics.replace("\r\n", "").contains('\n'),
        "only CRLF line endings"
    );
    assert!(!ics.replace("\r\n", "").contains('\r'));
    for line in ics.split("\r\n") {
        assert!(line.len() <= 75, "{} octets: {line:?}", line.len());
        assert!(!line.contains('\u{1b}'));
    }
    let unfolded = ics.replace("\r\n ", "");
    let lines: Vec<&str> = unfolded.split("\r\n").collect();
    for header in [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//skill//rotation-planner//EN",
        "CALSCALE:GREGORIAN",
    ] {
        assert!(lines.contains(&header), "{header}");
    }
    assert_eq!(
        lines.iter().filter(|line| **line == "BEGIN:VEVENT").count(),
        3
    );
    assert!(
        lines.contains(&"SUMMARY:Rotate a|b\\, \"c\"\\; d\\\\e\\nf\\ng (api-key)"),
        "{unfolded}"
    );
    assert!(lines.contains(&"DTSTAMP:20260601T000000Z"));
    let first = &plan.schedule[0];
    let due = first.due.as_deref().unwrap().replace('-', "");
    assert!(lines.contains(&format!("DTSTART;VALUE=DATE:{due}").as_str()));
    let uids: Vec<&&str> = lines
        .iter()
        .filter(|line| line.starts_with("UID:"))
        .collect();
    assert!(
        uids.iter()
            .all(|uid| uid.ends_with("@skill.rotation-planner"))
    );
    assert!(
        uids.iter().any(|uid| uid.contains(".env-pr%2Cod")),
        "{uids:?}"
    );
}

#[test]
fn ics_skips_undated_items_and_separates_duplicate_uids() {
    let entries = [
        json!({"name": "admin", "type": "human-password"}),
        json!({"name": "db", "type": "database", "last_rotated": day(-1)}),
        json!({"name": "db", "type": "database", "last_rotated": day(-2)}),
    ];
    let ics = render_ics(&plan_inline(&entries, AS_OF, 30));
    assert_eq!(ics.matches("BEGIN:VEVENT").count(), 2);
    assert!(!ics.contains("admin"));
    assert!(ics.contains("UID:rotate-db@skill.rotation-planner\r\n"));
    assert!(
        ics.contains("UID:rotate-db.1@skill.rotation-planner\r\n"),
        "{ics}"
    );
}

#[test]
fn every_renderer_is_deterministic_and_survives_hostile_input() {
    type Renderer = fn(&Plan) -> String;
    let renderers: [(&str, Renderer); 4] = [
        ("text", render_text),
        ("markdown", render_markdown),
        ("csv", render_csv),
        ("ics", render_ics),
    ];
    for plan in [sample(), hostile(), plan_inline(&[], AS_OF, 30)] {
        for (name, render) in renderers {
            assert_eq!(
                render(&plan),
                render(&plan.clone()),
                "{name} output differs between runs"
            );
        }
    }
    let empty = plan_inline(&[], AS_OF, 30);
    assert_eq!(empty.report, "No secrets to plan as of 2026-06-01.");
    assert_eq!(render_ics(&empty).matches("VEVENT").count(), 0);
}
