//! Renderings of a plan: aligned text, GitHub Markdown, CSV and iCalendar.
//!
//! All output is a pure function of the plan (no timestamps), so the same plan always
//! renders to the same bytes. Names and other inventory values are hostile input:
//! each renderer escapes them for its own format, with `untrusted-text`'s one list of
//! the characters that could disguise them.

mod csv;
mod ics;
mod markdown;
mod text;

use std::collections::BTreeMap;

pub use self::csv::render_csv;
pub use self::ics::render_ics;
pub use self::markdown::render_markdown;
pub use self::text::render_text;

/// "a 2, b 1" from a count map.
fn counts(map: &BTreeMap<String, usize>) -> String {
    if map.is_empty() {
        return "none".to_owned();
    }
    map.iter()
        .map(|(key, count)| format!("{key} {count}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A date cell: the date, or a dash when there is none.
fn or_dash(value: Option<&str>) -> &str {
    value.unwrap_or("-")
}
