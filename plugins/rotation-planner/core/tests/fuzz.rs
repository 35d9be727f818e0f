//! Fuzz targets (stable Rust, `fuzz-input`) for inventories, JSON and CSV: each
//! mutated inventory is read and planned and rendered in every format, or refused
//! with a message naming the file, never a panic; what comes out is bounded by what
//! went in. Seeded from `examples/` and from generated inventories with every field
//! at its limits. `SKILL_FUZZ_CASES=<n>` changes the number of cases.

mod common;

use fuzz_input::{Target, Verdict, bounded};
use rotation_core::{parse_inventory, plan, render_csv, render_ics, render_markdown, render_text};

const JSON: &[u8] = include_bytes!("../../../../examples/inventory.json");
const CSV: &[u8] = include_bytes!("../../../../examples/inventory.csv");

const TOKENS: &[&[u8]] = &[
    b"\"name\":",
    b"\"type\":\"tls-certificate\",",
    b"\"last_rotated\":\"0000-01-01\",",
    b"\"not_after\":\"9999-12-31\",",
    b"\"interval_days\":-1,",
    b"\"interval_days\":1e999,",
    b"\"secrets\":",
    b"tls-certificate,",
    b",,,,,,,",
    b"\"\"\"",
    b"\"a,\nb\"",
    b"=cmd|' /C calc'!A0,",
    b"\t",
];

/// Plans and renders `bytes` as an inventory; checks every output against the input.
fn check(bytes: &[u8]) -> Result<Verdict, String> {
    let inventory = match parse_inventory(bytes, "inventory") {
        Ok(inventory) => inventory,
        Err(error) => {
            let message = error.to_string();
            if !message.contains("inventory") {
                return Err(format!("the error does not name the file: {message}"));
            }
            bounded("error", message.len(), bytes.len(), 2, 1024)?;
            return Ok(Verdict::Refused);
        }
    };
    let options = common::options(common::AS_OF, 90);
    let planned = plan(
        &inventory.entries,
        "inventory",
        &inventory.pointer_prefix,
        &options,
    );
    if planned.schedule.len() > inventory.entries.len() {
        return Err(format!(
            "{} items from {} entries",
            planned.schedule.len(),
            inventory.entries.len()
        ));
    }
    for rendered in [
        render_text(&planned),
        render_markdown(&planned),
        render_csv(&planned),
        render_ics(&planned),
    ] {
        // Every item is rendered with its guidance and problems: a few KiB each.
        bounded("rendering", rendered.len(), bytes.len(), 256, 64 << 10)?;
    }
    Ok(Verdict::Read)
}

/// Generated inventories with every date and duration at its limits, as seeds.
fn limit_rows() -> Vec<(String, String, String)> {
    let mut rows = Vec::new();
    for kind in ["database", "tls-certificate", "human-password", "nothing"] {
        for (last, after, days) in [
            ("0000-01-01", "9999-12-31", "3650"),
            ("9999-12-31", "0000-01-01", "0"),
            ("2026-02-29", "", "-5"),
        ] {
            rows.push((kind.to_owned(), format!("{last},{after}"), days.to_owned()));
        }
    }
    rows
}

#[test]
fn fuzz_inventory_json() {
    let mut seeds = vec![JSON.to_vec()];
    let entries: Vec<String> = limit_rows()
        .iter()
        .map(|(kind, dates, days)| {
            let (last, after) = dates.split_once(',').unwrap();
            format!(
                r#"{{"name":"n","type":"{kind}","last_rotated":"{last}","not_after":"{after}","interval_days":{days}}}"#
            )
        })
        .collect();
    seeds.push(format!("[{}]", entries.join(",")).into_bytes());
    Target {
        name: "inventory-json",
        seeds,
        tokens: TOKENS,
        cases: 6000,
        crate_dir: Some(env!("CARGO_MANIFEST_DIR")),
    }
    .run(check);
}

#[test]
fn fuzz_inventory_csv() {
    let mut seeds = vec![CSV.to_vec()];
    let mut csv = "name,type,last_rotated,not_after,interval_days\n".to_owned();
    for (kind, dates, days) in limit_rows() {
        csv.push_str(&format!("n,{kind},{dates},{days}\n"));
    }
    seeds.push(csv.into_bytes());
    Target {
        name: "inventory-csv",
        seeds,
        tokens: TOKENS,
        cases: 6000,
        crate_dir: Some(env!("CARGO_MANIFEST_DIR")),
    }
    .run(check);
}
