//! Human renderings of an analysis: the agent summary, a text report with an
//! hour-of-day histogram drawn in characters, and Markdown.

use std::fmt::Write as _;

use audit_core::Anomaly;

use crate::AnalyzeOutput;

/// Width of the longest histogram bar, in characters.
const BAR: u64 = 40;

fn kind(a: &Anomaly) -> String {
    serde_json::to_value(a.kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

fn severity(a: &Anomaly) -> String {
    serde_json::to_value(a.severity)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// A few lines an agent can act on without reading the whole output.
pub fn summary(out: &AnalyzeOutput) -> String {
    let t = &out.totals;
    let mut s = format!(
        "{} accesses by {} identities from {} addresses in {} file(s), {} to {}; {} unusable records.",
        t.accesses,
        t.identities,
        t.addresses,
        out.files.len(),
        t.first.as_deref().unwrap_or("?"),
        t.last.as_deref().unwrap_or("?"),
        t.problems
    );
    if out.anomalies.is_empty() {
        s.push_str(" No anomalies.");
    } else {
        let _ = write!(s, " {} anomalies:", out.anomalies.len());
        for a in &out.anomalies {
            let _ = write!(s, "\n- [{}] {}: {}", severity(a), kind(a), a.message);
        }
    }
    for w in &out.warnings {
        let _ = write!(s, "\nWARNING: {w}");
    }
    s
}

fn histogram(out: &AnalyzeOutput, s: &mut String, prefix: &str) {
    let max = out
        .hourly
        .iter()
        .map(|h| h.accesses)
        .max()
        .unwrap_or(0)
        .max(1);
    for h in &out.hourly {
        let width = (h.accesses * BAR).div_ceil(max) as usize;
        let _ = writeln!(
            s,
            "{prefix}{:02}h {:>9} {}",
            h.hour,
            h.accesses,
            "#".repeat(width)
        );
    }
}

/// The text report.
pub fn text(out: &AnalyzeOutput) -> String {
    let mut s = String::from("AUDIT LOG ANALYSIS\n\n");
    s.push_str(&summary(out));
    s.push_str("\n\nFILES\n");
    for f in out.files.iter().chain(&out.baseline_files) {
        let _ = writeln!(
            s,
            "  {}: {} {}{}, {} records, {} problems",
            f.path,
            f.format.as_deref().unwrap_or("(empty)"),
            f.container.as_deref().unwrap_or(""),
            if f.gzip { " gzip" } else { "" },
            f.records,
            f.problems
        );
    }
    if !out.anomalies.is_empty() {
        s.push_str("\nANOMALIES\n");
        for a in &out.anomalies {
            let _ = writeln!(
                s,
                "  {:<8} {:<20} {} count={} {}..{} ids={}",
                severity(a).to_uppercase(),
                kind(a),
                a.display_name.as_deref().unwrap_or(&a.identity),
                a.count,
                a.first.as_deref().unwrap_or("?"),
                a.last.as_deref().unwrap_or("?"),
                a.request_ids.join(",")
            );
        }
    }
    s.push_str("\nTOP IDENTITIES\n");
    for i in &out.top_identities {
        let _ = writeln!(
            s,
            "  {:>9} {:>7} failed  {} {}",
            i.accesses,
            i.failures,
            i.identity,
            i.display_name
                .as_deref()
                .map(|n| format!("({n})"))
                .unwrap_or_default()
        );
    }
    s.push_str("\nTOP PATHS\n");
    for p in &out.top_paths {
        let _ = writeln!(s, "  {:>9}  {}", p.accesses, p.path);
    }
    s.push_str("\nACCESSES BY HOUR OF DAY\n");
    histogram(out, &mut s, "  ");
    s
}

fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

/// The Markdown report.
pub fn markdown(out: &AnalyzeOutput) -> String {
    let t = &out.totals;
    let mut s = String::from("# Audit log analysis\n\n");
    let _ = writeln!(
        s,
        "{} accesses by {} identities from {} addresses, {} to {}.\n",
        t.accesses,
        t.identities,
        t.addresses,
        t.first.as_deref().unwrap_or("?"),
        t.last.as_deref().unwrap_or("?")
    );
    for w in &out.warnings {
        let _ = writeln!(s, "> **Warning:** {}\n", cell(w));
    }
    s.push_str("## Anomalies\n\n");
    if out.anomalies.is_empty() {
        s.push_str("None.\n");
    } else {
        s.push_str("| severity | kind | identity | count | first | last | request ids |\n|---|---|---|---:|---|---|---|\n");
        for a in &out.anomalies {
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} | {} | {} | {} |",
                severity(a),
                kind(a),
                cell(a.display_name.as_deref().unwrap_or(&a.identity)),
                a.count,
                a.first.as_deref().unwrap_or(""),
                a.last.as_deref().unwrap_or(""),
                cell(&a.request_ids.join(", "))
            );
        }
    }
    s.push_str("\n## Files\n\n| file | format | records | problems |\n|---|---|---:|---:|\n");
    for f in out.files.iter().chain(&out.baseline_files) {
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} |",
            cell(&f.path),
            f.format.as_deref().unwrap_or("(empty)"),
            f.records,
            f.problems
        );
    }
    s.push_str("\n## Top identities\n\n| identity | accesses | failed |\n|---|---:|---:|\n");
    for i in &out.top_identities {
        let name = match &i.display_name {
            Some(n) => format!("{} ({})", i.identity, n),
            None => i.identity.clone(),
        };
        let _ = writeln!(s, "| {} | {} | {} |", cell(&name), i.accesses, i.failures);
    }
    s.push_str("\n## Top paths\n\n| path | accesses |\n|---|---:|\n");
    for p in &out.top_paths {
        let _ = writeln!(s, "| {} | {} |", cell(&p.path), p.accesses);
    }
    s.push_str("\n## Accesses by hour of day\n\n```\n");
    histogram(out, &mut s, "");
    s.push_str("```\n");
    s
}
