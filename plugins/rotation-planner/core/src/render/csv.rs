//! CSV rendering: one row per schedule item, for spreadsheets and scripts.

use crate::model::Plan;

const HEADER: [&str; 15] = [
    "urgency",
    "name",
    "type",
    "store",
    "owner",
    "environment",
    "last_rotated",
    "interval_days",
    "interval_source",
    "due",
    "days_until_due",
    "method",
    "standard",
    "reason",
    "pointer",
];

/// Renders the schedule as CSV with a header row; the csv crate quotes cells that
/// need it (commas, quotes, line breaks).
pub fn render_csv(plan: &Plan) -> String {
    let mut writer = csv::WriterBuilder::new().from_writer(Vec::new());
    // Writing to a Vec cannot fail; a failed row is skipped rather than panicking.
    let _ = writer.write_record(HEADER);
    for item in &plan.schedule {
        let number = |value: Option<i64>| value.map_or_else(String::new, |days| days.to_string());
        let row = [
            item.urgency.as_str().to_owned(),
            text_cell(&item.name),
            text_cell(&item.secret_type),
            text_cell(item.store.as_deref().unwrap_or_default()),
            text_cell(item.owner.as_deref().unwrap_or_default()),
            text_cell(item.environment.as_deref().unwrap_or_default()),
            item.last_rotated.clone().unwrap_or_default(),
            number(item.interval_days.map(i64::from)),
            item.interval_source
                .map_or("", |source| source.as_str())
                .to_owned(),
            item.due.clone().unwrap_or_default(),
            number(item.days_until_due),
            item.method.as_str().to_owned(),
            item.standard.clone(),
            text_cell(&item.reason),
            item.pointer.clone(),
        ];
        let _ = writer.write_record(&row);
    }
    let bytes = writer.into_inner().unwrap_or_default();
    // Every field is a Rust string, so the output is UTF-8.
    String::from_utf8(bytes).unwrap_or_default()
}

/// Guards a free-text cell against spreadsheet formula injection (OWASP "CSV
/// injection"): a value starting with `=`, `+`, `-`, `@`, tab or carriage return gets a
/// leading `'` so spreadsheets show it as text instead of evaluating it.
fn text_cell(value: &str) -> String {
    if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::text_cell;

    #[test]
    fn formula_like_cells_are_neutralised() {
        assert_eq!(text_cell("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(text_cell("@sum"), "'@sum");
        assert_eq!(text_cell("db-main"), "db-main");
    }
}
