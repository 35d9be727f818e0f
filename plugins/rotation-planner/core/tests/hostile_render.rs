//! Renderings of inventory values that try to break their format or their reader,
//! found by review: each failed before its fix.

mod common;

use serde_json::json;

#[test]
fn an_item_due_on_the_calendars_last_day_has_no_dtend_before_its_start() {
    let values = [
        json!({"name": "far", "type": "database", "last_rotated": "9999-12-30", "interval_days": 30}),
    ];
    let ics = rotation_core::render_ics(&common::plan_inline(&values, common::AS_OF, 90));
    let value_of = |key: &str| {
        ics.lines()
            .find(|line| line.starts_with(key))
            .map(|line| line.rsplit(':').next().unwrap().to_owned())
    };
    assert_eq!(value_of("DTSTART").as_deref(), Some("99991231"), "{ics}");
    if let Some(end) = value_of("DTEND") {
        assert!(end > value_of("DTSTART").unwrap(), "{ics}");
    }
}

/// Wide characters take two terminal cells: the table stays aligned with them.
#[test]
fn the_text_table_aligns_wide_characters() {
    let values = [
        json!({"name": "データベース", "type": "database", "last_rotated": common::day(-10)}),
        json!({"name": "abcdef", "type": "database", "last_rotated": common::day(-10)}),
    ];
    let text = rotation_core::render_text(&common::plan_inline(&values, common::AS_OF, 90));
    let cells = |s: &str| {
        s.chars()
            .map(|c| {
                if ('\u{3000}'..='\u{9fff}').contains(&c) {
                    2
                } else {
                    1
                }
            })
            .sum::<usize>()
    };
    let rows: Vec<&str> = text
        .lines()
        .skip_while(|line| !line.starts_with("URGENCY"))
        .take(3)
        .collect();
    assert_eq!(rows.len(), 3, "{text}");
    let type_at: Vec<usize> = rows
        .iter()
        .map(|row| cells(&row[..row.find("database").or(row.find("TYPE")).unwrap()]))
        .collect();
    assert!(
        type_at.windows(2).all(|pair| pair[0] == pair[1]),
        "{type_at:?}\n{}",
        rows.join("\n")
    );
}

/// U+061C ARABIC LETTER MARK reorders text like U+200E and U+200F do.
#[test]
fn the_arabic_letter_mark_is_shown_as_an_escape() {
    let values =
        [json!({"name": "ab\u{061C}cd", "type": "database", "last_rotated": common::day(-1)})];
    let text = rotation_core::render_text(&common::plan_inline(&values, common::AS_OF, 90));
    assert!(!text.contains('\u{061C}'), "{text}");
    assert!(text.contains(r"ab\u{61c}cd"), "{text}");
}

/// A calendar shows an entry's summary as it is: the bidirectional controls that
/// would make `gnp.exe` read as `exe.png` never reach it.
#[test]
fn calendar_entries_hold_no_bidirectional_control() {
    let values = [
        json!({"name": "report\u{202E}gnp.exe\u{2066}", "type": "database", "last_rotated": common::day(-1)}),
    ];
    let ics = rotation_core::render_ics(&common::plan_inline(&values, common::AS_OF, 90));
    assert!(!ics.contains(['\u{202E}', '\u{2066}']), "{ics}");
    assert!(ics.contains("report\u{FFFD}gnp.exe\u{FFFD}"), "{ics}");
}
