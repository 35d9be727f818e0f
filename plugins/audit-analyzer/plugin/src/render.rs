//! Human renderings of an analysis: the agent summary, a text report with an
//! hour-of-day histogram drawn in characters, and Markdown.

use std::fmt::Write as _;

use audit_core::{Anomaly, BaselineSource};
// Log values are chosen by whoever made the requests: each is shown as one value.
use untrusted_text::{markdown_inline, one_line};

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

/// The time an anomaly judged and what it measured against, in words (log values
/// are not in it: times are formatted by the analysis).
pub(crate) fn window_text(a: &Anomaly) -> String {
    let span = |from: &Option<String>, to: &Option<String>| {
        format!(
            "{} to {}",
            from.as_deref().unwrap_or("?"),
            to.as_deref().unwrap_or("?")
        )
    };
    let mut text = span(&a.window.from, &a.window.to);
    if let Some(baseline) = &a.window.baseline {
        let against = match baseline.source {
            BaselineSource::BaselineLog => "the baseline log",
            BaselineSource::WindowStart => "the window's start",
            BaselineSource::Peers => "its peers",
        };
        let _ = write!(
            text,
            ", against {against}, {}",
            span(&baseline.from, &baseline.to)
        );
    }
    text
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
        one_line(t.first.as_deref().unwrap_or("?")),
        one_line(t.last.as_deref().unwrap_or("?")),
        t.problems
    );
    if out.anomalies.is_empty() {
        s.push_str(" No anomalies.");
    } else {
        let _ = write!(s, " {} anomalies:", out.anomalies.len());
        for a in &out.anomalies {
            let _ = write!(
                s,
                "\n- [{}] {}: {}",
                severity(a),
                kind(a),
                one_line(&a.message)
            );
        }
    }
    for w in &out.warnings {
        let _ = write!(s, "\nWARNING: {}", one_line(w));
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
            one_line(&f.path),
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
                one_line(a.display_name.as_deref().unwrap_or(&a.identity)),
                a.count,
                one_line(a.first.as_deref().unwrap_or("?")),
                one_line(a.last.as_deref().unwrap_or("?")),
                one_line(&a.request_ids.join(","))
            );
            let _ = writeln!(
                s,
                "           judged {}; in {}",
                window_text(a),
                one_line(&a.files.join(", "))
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
            one_line(&i.identity),
            i.display_name
                .as_deref()
                .map(|n| format!("({})", one_line(n)))
                .unwrap_or_default()
        );
    }
    s.push_str("\nTOP PATHS\n");
    for p in &out.top_paths {
        let _ = writeln!(s, "  {:>9}  {}", p.accesses, one_line(&p.path));
    }
    s.push_str("\nACCESSES BY HOUR OF DAY\n");
    histogram(out, &mut s, "  ");
    s
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
        markdown_inline(t.first.as_deref().unwrap_or("?")),
        markdown_inline(t.last.as_deref().unwrap_or("?"))
    );
    for w in &out.warnings {
        let _ = writeln!(s, "> **Warning:** {}\n", markdown_inline(w));
    }
    s.push_str("## Anomalies\n\n");
    if out.anomalies.is_empty() {
        s.push_str("None.\n");
    } else {
        s.push_str("| severity | kind | identity | count | first | last | request ids | judged | files |\n|---|---|---|---:|---|---|---|---|---|\n");
        for a in &out.anomalies {
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                severity(a),
                kind(a),
                markdown_inline(a.display_name.as_deref().unwrap_or(&a.identity)),
                a.count,
                markdown_inline(a.first.as_deref().unwrap_or("")),
                markdown_inline(a.last.as_deref().unwrap_or("")),
                markdown_inline(&a.request_ids.join(", ")),
                markdown_inline(&window_text(a)),
                markdown_inline(&a.files.join(", "))
            );
        }
    }
    s.push_str("\n## Files\n\n| file | format | records | problems |\n|---|---|---:|---:|\n");
    for f in out.files.iter().chain(&out.baseline_files) {
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} |",
            markdown_inline(&f.path),
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
        let _ = writeln!(
            s,
            "| {} | {} | {} |",
            markdown_inline(&name),
            i.accesses,
            i.failures
        );
    }
    s.push_str("\n## Top paths\n\n| path | accesses |\n|---|---:|\n");
    for p in &out.top_paths {
        let _ = writeln!(s, "| {} | {} |", markdown_inline(&p.path), p.accesses);
    }
    s.push_str("\n## Accesses by hour of day\n\n```\n");
    histogram(out, &mut s, "");
    s.push_str("```\n");
    s
}
