//! The HTML report (`--format html`): one self-contained page to open in a browser or
//! attach to an incident ticket.
//!
//! Self-contained means that opening it makes no request at all: inline CSS, charts
//! drawn here as inline SVG, no script, no font or image from elsewhere, and a
//! Content-Security-Policy that forbids all of those, so the page looks the same
//! offline and years later. Audit logs are hostile input (an attacker picks the display
//! name, the paths probed, the request ids), so every string from the output goes
//! through [`Esc`]; the policy is the second wall should one ever slip through.
//! Like the other renderings, the page depends only on the output: same log, same bytes.

use std::fmt::{self, Write as _};

use audit_core::{Anomaly, format_time, parse_rfc3339_ms};

use crate::{AnalyzeOutput, name_of};

/// Width of every chart in SVG units: CSS pixels, unless the page is narrower.
const WIDTH: f64 = 960.0;
/// Height of one bar's row in the top-identities chart and the timeline.
const ROW: f64 = 24.0;
/// Anomalies placed on the timeline, most severe first; the table lists them all.
const TIMELINE_ROWS: usize = 60;
/// Characters of a chart's row label; the tooltip and the tables keep the whole text.
const LABEL_CHARS: usize = 48;

const STYLE: &str = "
:root { color-scheme: light; --muted: #6b7280; --line: #e5e7eb; --bar: #3b82f6; --fail: #dc2626; }
.critical { --sev: #b91c1c; } .high { --sev: #ea580c; } .medium { --sev: #a16207; } .low { --sev: #2563eb; }
body { margin: 0; padding: 24px; background: #f3f4f6; color: #111827;
  font: 14px/1.45 system-ui, 'Segoe UI', Roboto, 'DejaVu Sans', Arial, sans-serif; }
main { max-width: 1200px; margin: 0 auto; }
h1 { font-size: 24px; margin: 0 0 4px; }
h2 { font-size: 18px; margin: 0 0 12px; }
section { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 16px 20px; margin: 16px 0; }
.muted { color: var(--muted); }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(130px, 1fr)); gap: 12px; }
.card { border: 1px solid var(--line); border-radius: 6px; padding: 8px 12px; }
.card b { display: block; font-size: 22px; font-variant-numeric: tabular-nums; }
.card span { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .04em; }
.warning { background: #fef3c7; border-left: 4px solid #d97706; padding: 8px 12px; margin: 8px 0 0; }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { background: #f9fafb; font-weight: 600; }
.num { text-align: right; font-variant-numeric: tabular-nums; }
.nowrap, .ev { white-space: nowrap; }
td.who { min-width: 200px; }
td.evidence { max-width: 240px; }
code { font: 12px ui-monospace, 'DejaVu Sans Mono', Menlo, Consolas, monospace; overflow-wrap: anywhere; }
td.ids { white-space: nowrap; }
td.ids summary { cursor: pointer; color: var(--muted); }
td.ids code { display: block; overflow-wrap: normal; }
.sev { display: inline-block; padding: 1px 8px; border-radius: 10px; color: #fff; background: var(--sev);
  font-size: 12px; font-weight: 600; fill: var(--sev); }
svg { display: block; width: 100%; height: auto; }
svg text { font-size: 11px; fill: #374151; }
svg .grid { stroke: var(--line); }
svg .axis { stroke: #9ca3af; }
svg .bar { fill: var(--bar); }
svg .fail { fill: var(--fail); }
";

/// Text made safe for HTML element content and quoted attribute values, in the page
/// and in its inline SVG alike.
///
/// `&`, `<`, `>`, `"` and `'` become character references, so no value can open a tag,
/// leave an attribute or start an entity. Control characters (parse errors in HTML),
/// the Unicode bidirectional controls and the invisible characters (which can make a
/// hostile name display as someone else's) become U+FFFD.
struct Esc<'a>(&'a str);

impl fmt::Display for Esc<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for c in self.0.chars() {
            match c {
                '&' => f.write_str("&amp;")?,
                '<' => f.write_str("&lt;")?,
                '>' => f.write_str("&gt;")?,
                '"' => f.write_str("&quot;")?,
                '\'' => f.write_str("&#39;")?,
                '\t' | '\n' => f.write_char(c)?,
                c if untrusted_text::is_disguising(c) => f.write_char('\u{fffd}')?,
                c => f.write_char(c)?,
            }
        }
        Ok(())
    }
}

/// `1234567` as `1,234,567`.
fn count(n: u64) -> String {
    let digits = n.to_string();
    let mut grouped = String::with_capacity(digits.len() * 4 / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(c);
    }
    grouped
}

/// `text` cut to `max` characters, ending with an ellipsis when cut. Cut before
/// escaping, never after, so that no character reference is split.
fn clip(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_owned()
    } else {
        text.chars().take(max - 1).chain(['…']).collect()
    }
}

/// An identity as people read it: its display name, then its key.
fn who(display_name: Option<&str>, identity: &str) -> String {
    match display_name {
        Some(name) if name != identity => format!("{name} ({identity})"),
        _ => identity.to_owned(),
    }
}

/// The HTML report.
pub fn report(out: &AnalyzeOutput) -> String {
    let mut page = String::with_capacity(32 * 1024);
    // Writing into a `String` never fails.
    let _ = write_page(&mut page, out);
    page
}

fn write_page(p: &mut String, out: &AnalyzeOutput) -> fmt::Result {
    write!(
        p,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; \
         style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>Audit log analysis</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<main>\n"
    )?;
    header(p, out)?;
    totals(p, out)?;
    timeline(p, out)?;
    anomalies(p, out)?;
    hourly(p, out)?;
    identities(p, out)?;
    paths(p, out)?;
    files(p, out)?;
    p.push_str("</main>\n</body>\n</html>\n");
    Ok(())
}

fn header(p: &mut String, out: &AnalyzeOutput) -> fmt::Result {
    let t = &out.totals;
    p.push_str("<header>\n<h1>Audit log analysis</h1>\n<p class=\"muted\">");
    match (&t.first, &t.last) {
        (Some(first), Some(last)) => write!(p, "{} to {} (UTC)", Esc(first), Esc(last))?,
        _ => p.push_str("No access in the log"),
    }
    write!(p, " · {} file(s)</p>\n</header>\n", out.files.len())
}

/// Opens `<section id="{id}">` with its heading; [`end`] closes it.
fn section(p: &mut String, id: &str, title: &str) -> fmt::Result {
    write!(p, "<section id=\"{id}\">\n<h2>{}</h2>\n", Esc(title))
}

fn end(p: &mut String) -> fmt::Result {
    p.push_str("</section>\n");
    Ok(())
}

fn muted(p: &mut String, text: &str) -> fmt::Result {
    writeln!(p, "<p class=\"muted\">{}</p>", Esc(text))
}

/// A table's opening and header row; `numeric` columns are right-aligned.
fn table_head(p: &mut String, columns: &[(&str, bool)]) -> fmt::Result {
    p.push_str("<table>\n<thead><tr>");
    for (name, numeric) in columns {
        let class = if *numeric { " class=\"num\"" } else { "" };
        write!(p, "<th{class}>{}</th>", Esc(name))?;
    }
    p.push_str("</tr></thead>\n<tbody>\n");
    Ok(())
}

fn table_end(p: &mut String) -> fmt::Result {
    p.push_str("</tbody>\n</table>\n");
    Ok(())
}

/// The counts as cards, then the accesses per outcome, then the warnings.
fn totals(p: &mut String, out: &AnalyzeOutput) -> fmt::Result {
    let t = &out.totals;
    let success = t.by_outcome.get("success").copied().unwrap_or(0);
    section(p, "totals", "Totals")?;
    p.push_str("<div class=\"cards\">\n");
    for (label, n) in [
        ("accesses", t.accesses),
        ("failed", t.accesses.saturating_sub(success)),
        ("identities", t.identities),
        ("source addresses", t.addresses),
        ("records", t.records),
        ("unusable records", t.problems),
        ("anomalies", out.anomalies.len() as u64),
    ] {
        writeln!(
            p,
            "<div class=\"card\"><b>{}</b><span>{}</span></div>",
            count(n),
            Esc(label)
        )?;
    }
    p.push_str("</div>\n<p>By outcome: ");
    for (i, (outcome, n)) in t.by_outcome.iter().enumerate() {
        let comma = if i > 0 { ", " } else { "" };
        write!(p, "{comma}{} <b>{}</b>", Esc(outcome), count(*n))?;
    }
    p.push_str(".</p>\n");
    for warning in &out.warnings {
        writeln!(
            p,
            "<p class=\"warning\"><b>Warning:</b> {}</p>",
            Esc(warning)
        )?;
    }
    end(p)
}

fn severity(a: &Anomaly) -> String {
    name_of(a.severity).unwrap_or_default()
}

fn kind(a: &Anomaly) -> String {
    name_of(a.kind).unwrap_or_default()
}

/// Every anomaly with its evidence, most severe first (the output's order).
fn anomalies(p: &mut String, out: &AnalyzeOutput) -> fmt::Result {
    // The anomalies come most severe first, so each severity is one run.
    let mut by_severity: Vec<(String, usize)> = Vec::new();
    for a in &out.anomalies {
        let severity = severity(a);
        match by_severity.last_mut() {
            Some((last, n)) if *last == severity => *n += 1,
            _ => by_severity.push((severity, 1)),
        }
    }
    let breakdown: Vec<String> = by_severity
        .iter()
        .map(|(severity, n)| format!("{n} {severity}"))
        .collect();
    let title = if breakdown.is_empty() {
        "Anomalies".to_owned()
    } else {
        format!("Anomalies ({})", breakdown.join(", "))
    };
    section(p, "anomalies", &title)?;
    if out.anomalies.is_empty() {
        muted(p, "No anomalies.")?;
        return end(p);
    }
    table_head(
        p,
        &[
            ("severity", false),
            ("kind", false),
            ("identity", false),
            ("count", true),
            ("evidence", false),
            ("first", false),
            ("last", false),
            ("request ids", false),
            ("files, window", false),
        ],
    )?;
    for a in &out.anomalies {
        let severity = severity(a);
        write!(
            p,
            "<tr><td><span class=\"sev {0}\">{0}</span></td><td class=\"nowrap\">{1}</td><td class=\"who\">",
            Esc(&severity),
            Esc(&kind(a))
        )?;
        if let Some(name) = a.display_name.as_deref().filter(|n| *n != a.identity) {
            write!(p, "{}<br>", Esc(name))?;
        }
        write!(p, "<code>{}</code>", Esc(&a.identity))?;
        if let Some(address) = &a.address {
            write!(
                p,
                "<br><span class=\"muted\">from</span> <code>{}</code>",
                Esc(address)
            )?;
        }
        write!(
            p,
            "</td><td class=\"num\">{}</td><td class=\"evidence\">",
            count(a.count)
        )?;
        for (name, n) in &a.evidence {
            write!(p, "<span class=\"ev\">{} {}</span> ", Esc(name), count(*n))?;
        }
        write!(
            p,
            "</td><td class=\"nowrap\">{}</td><td class=\"nowrap\">{}</td><td class=\"ids\">",
            Esc(a.first.as_deref().unwrap_or("")),
            Esc(a.last.as_deref().unwrap_or(""))
        )?;
        folded(p, &a.request_ids, "id", "ids")?;
        p.push_str("</td><td class=\"ids\">");
        sources(p, a)?;
        p.push_str("</td></tr>\n");
    }
    table_end(p)?;
    end(p)
}

/// An anomaly's request ids (or files) folded under their count: a column of whole
/// ids would be squeezed by the others until it wraps a character per line.
fn folded(p: &mut String, items: &[String], one: &str, many: &str) -> fmt::Result {
    if items.is_empty() {
        return Ok(());
    }
    let noun = if items.len() == 1 { one } else { many };
    write!(p, "<details><summary>{} {noun}</summary>", items.len())?;
    for item in items {
        write!(p, "<code>{}</code>", Esc(item))?;
    }
    p.push_str("</details>");
    Ok(())
}

/// The files an anomaly came from and the time it judged, folded like its ids.
fn sources(p: &mut String, a: &Anomaly) -> fmt::Result {
    let noun = if a.files.len() == 1 { "file" } else { "files" };
    write!(p, "<details><summary>{} {noun}</summary>", a.files.len())?;
    for file in &a.files {
        write!(p, "<code>{}</code>", Esc(file))?;
    }
    write!(
        p,
        "<span class=\"muted\">judged {}</span></details>",
        Esc(&crate::render::window_text(a))
    )
}

/// The rectangle a chart draws its data in, inside the margins for labels.
struct Plot {
    left: f64,
    top: f64,
    width: f64,
    height: f64,
}

impl Plot {
    fn right(&self) -> f64 {
        self.left + self.width
    }

    fn bottom(&self) -> f64 {
        self.top + self.height
    }
}

/// A count axis from 0 to a round maximum, in steps of 1, 2 or 5 × 10ⁿ: at most five
/// steps, so the gridlines stay few and their labels readable.
struct Scale {
    max: u64,
    step: u64,
}

impl Scale {
    fn new(largest: u64) -> Self {
        let largest = largest.max(1);
        let mut magnitude = 1u64;
        loop {
            for step in [magnitude, 2 * magnitude, 5 * magnitude] {
                if largest.div_ceil(step) <= 5 {
                    return Self {
                        max: largest.div_ceil(step) * step,
                        step,
                    };
                }
            }
            magnitude *= 10;
        }
    }

    /// Where `n` falls, from 0 (axis origin) to 1 (the axis maximum).
    fn ratio(&self, n: u64) -> f64 {
        n as f64 / self.max as f64
    }

    fn ticks(&self) -> impl Iterator<Item = u64> {
        (0..=self.max / self.step).map(|k| k * self.step)
    }
}

/// An inline SVG chart being written: the few shapes the charts need. Every text and
/// class goes through [`Esc`]; coordinates are written with one decimal, so the same
/// output draws the same bytes.
struct Svg(String);

impl Svg {
    fn new(height: f64, label: &str) -> Self {
        Self(format!(
            "<svg viewBox=\"0 0 {WIDTH} {height:.0}\" width=\"{WIDTH}\" height=\"{height:.0}\" \
             role=\"img\" aria-label=\"{}\">\n",
            Esc(label)
        ))
    }

    /// A filled rectangle, with `tip` shown on hover.
    fn rect(
        &mut self,
        x: f64,
        y: f64,
        width: f64,
        height: f64,
        class: &str,
        tip: &str,
    ) -> fmt::Result {
        writeln!(
            self.0,
            "<rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{width:.1}\" height=\"{height:.1}\" \
             class=\"{}\"><title>{}</title></rect>",
            Esc(class),
            Esc(tip)
        )
    }

    fn line(&mut self, (x1, y1): (f64, f64), (x2, y2): (f64, f64), class: &str) -> fmt::Result {
        writeln!(
            self.0,
            "<line x1=\"{x1:.1}\" y1=\"{y1:.1}\" x2=\"{x2:.1}\" y2=\"{y2:.1}\" class=\"{}\"/>",
            Esc(class)
        )
    }

    /// Text whose `anchor` (`start`, `middle` or `end`) is at `x`, baseline at `y`.
    fn text(&mut self, x: f64, y: f64, anchor: &str, text: &str) -> fmt::Result {
        writeln!(
            self.0,
            "<text x=\"{x:.1}\" y=\"{y:.1}\" text-anchor=\"{anchor}\">{}</text>",
            Esc(text)
        )
    }

    /// Colour keys in a row from (`x`, `y`): each `(class, label)` a swatch and its label.
    fn legend(&mut self, mut x: f64, y: f64, keys: &[(&str, &str)]) -> fmt::Result {
        for (class, label) in keys {
            self.rect(x, y - 9.0, 10.0, 10.0, class, label)?;
            self.text(x + 14.0, y, "start", label)?;
            x += 30.0 + 6.5 * label.chars().count() as f64;
        }
        Ok(())
    }

    fn finish(mut self, p: &mut String) -> fmt::Result {
        self.0.push_str("</svg>\n");
        p.push_str(&self.0);
        Ok(())
    }
}

/// One span per anomaly from its first to its last access, coloured by severity.
fn timeline(p: &mut String, out: &AnalyzeOutput) -> fmt::Result {
    section(p, "timeline", "Anomaly timeline")?;
    let time = |text: Option<&str>| text.and_then(parse_rfc3339_ms);
    let spans: Vec<(&Anomaly, i64, i64)> = out
        .anomalies
        .iter()
        .filter_map(|a| {
            let first = time(a.first.as_deref()).or(time(a.last.as_deref()))?;
            let last = time(a.last.as_deref()).unwrap_or(first);
            Some((a, first.min(last), first.max(last)))
        })
        .collect();
    if spans.is_empty() {
        let none = if out.anomalies.is_empty() {
            "No anomalies."
        } else {
            "No anomaly carries a time."
        };
        muted(p, none)?;
        return end(p);
    }
    // The window is the log's, widened to any anomaly outside it (a baseline's).
    let bounds = [out.totals.first.as_deref(), out.totals.last.as_deref()].map(time);
    let (mut start, mut stop) = spans
        .iter()
        .flat_map(|(_, first, last)| [*first, *last])
        .chain(bounds.into_iter().flatten())
        .fold((i64::MAX, i64::MIN), |(lo, hi), t| (lo.min(t), hi.max(t)));
    // A window under a minute is widened around its middle, so that its spans do not
    // all pile up at the left edge.
    let pad = (60_000 - (stop - start)).max(0) / 2;
    start -= pad;
    stop += pad;
    let span = (stop - start) as f64;

    let shown = &spans[..spans.len().min(TIMELINE_ROWS)];
    let plot = Plot {
        left: 340.0,
        top: 28.0,
        width: WIDTH - 340.0 - 24.0,
        height: ROW * shown.len() as f64,
    };
    let x = |ms: i64| plot.left + plot.width * (ms - start) as f64 / span;
    let mut svg = Svg::new(plot.bottom() + 40.0, "Anomaly timeline");
    svg.legend(
        plot.left,
        12.0,
        &[
            ("sev critical", "critical"),
            ("sev high", "high"),
            ("sev medium", "medium"),
            ("sev low", "low"),
        ],
    )?;
    for k in 0..=4 {
        let at = start + (stop - start) * k / 4;
        svg.line((x(at), plot.top), (x(at), plot.bottom()), "grid")?;
        let anchor = match k {
            0 => "start",
            4 => "end",
            _ => "middle",
        };
        svg.text(
            x(at),
            plot.bottom() + 16.0,
            anchor,
            &tick_time(at, stop - start),
        )?;
    }
    svg.text(
        plot.left + plot.width / 2.0,
        plot.bottom() + 34.0,
        "middle",
        "time (UTC)",
    )?;
    for (row, (a, first, last)) in shown.iter().enumerate() {
        let y = plot.top + ROW * row as f64;
        // The short name and the address tell apart an identity's rows from each address.
        let name = a.display_name.as_deref().unwrap_or(&a.identity);
        let at = a
            .address
            .as_deref()
            .map(|address| format!(" @ {address}"))
            .unwrap_or_default();
        svg.text(
            plot.left - 8.0,
            y + ROW / 2.0 + 4.0,
            "end",
            &clip(&format!("{} · {name}{at}", kind(a)), LABEL_CHARS),
        )?;
        // A span too short to see is drawn as a mark centred on its time.
        let width = (x(*last) - x(*first)).max(6.0);
        let centre = (x(*first) + x(*last)) / 2.0;
        let tip = format!(
            "{} {} · {}{at}: {}, {} to {}",
            severity(a),
            kind(a),
            who(a.display_name.as_deref(), &a.identity),
            count(a.count),
            format_time(*first),
            format_time(*last)
        );
        svg.rect(
            centre - width / 2.0,
            y + 5.0,
            width,
            ROW - 10.0,
            &format!("sev {}", severity(a)),
            &tip,
        )?;
    }
    svg.finish(p)?;
    if shown.len() < spans.len() {
        muted(
            p,
            &format!(
                "The {} most severe of {} anomalies; the table above lists them all.",
                shown.len(),
                spans.len()
            ),
        )?;
    }
    let untimed = out.anomalies.len() - spans.len();
    if untimed > 0 {
        muted(
            p,
            &format!("{untimed} anomalies carry no time and are not drawn."),
        )?;
    }
    end(p)
}

/// A time-axis label: seconds within an hour's window, else day and minute.
fn tick_time(ms: i64, window: i64) -> String {
    let text = format_time(ms);
    let range = if window < 3_600_000 { 11..19 } else { 5..16 };
    text.get(range)
        .map_or(text.clone(), |part| part.replace('T', " "))
}

/// The 24-bar histogram of accesses per hour of day.
fn hourly(p: &mut String, out: &AnalyzeOutput) -> fmt::Result {
    section(p, "hourly", "Accesses by hour of day")?;
    let plot = Plot {
        left: 64.0,
        top: 12.0,
        width: WIDTH - 64.0 - 16.0,
        height: 200.0,
    };
    let scale = Scale::new(out.hourly.iter().map(|h| h.accesses).max().unwrap_or(0));
    let mut svg = Svg::new(plot.bottom() + 40.0, "Accesses by hour of day");
    for tick in scale.ticks() {
        let y = plot.bottom() - plot.height * scale.ratio(tick);
        svg.line((plot.left, y), (plot.right(), y), "grid")?;
        svg.text(plot.left - 8.0, y + 4.0, "end", &count(tick))?;
    }
    let slot = plot.width / out.hourly.len().max(1) as f64;
    for (i, h) in out.hourly.iter().enumerate() {
        let x = plot.left + slot * i as f64;
        let height = plot.height * scale.ratio(h.accesses);
        let tip = format!(
            "{:02}:00–{:02}:59: {} accesses",
            h.hour,
            h.hour,
            count(h.accesses)
        );
        svg.rect(
            x + slot * 0.15,
            plot.bottom() - height,
            slot * 0.7,
            height,
            "bar",
            &tip,
        )?;
        svg.text(
            x + slot / 2.0,
            plot.bottom() + 16.0,
            "middle",
            &format!("{:02}", h.hour),
        )?;
    }
    svg.line(
        (plot.left, plot.bottom()),
        (plot.right(), plot.bottom()),
        "axis",
    )?;
    svg.text(
        plot.left + plot.width / 2.0,
        plot.bottom() + 34.0,
        "middle",
        "hour of day (business-hours time zone)",
    )?;
    svg.finish(p)?;
    end(p)
}

/// The most active identities as horizontal bars, their failures over their accesses.
fn identities(p: &mut String, out: &AnalyzeOutput) -> fmt::Result {
    section(p, "identities", "Top identities")?;
    if out.top_identities.is_empty() {
        muted(p, "No accesses.")?;
        return end(p);
    }
    let plot = Plot {
        left: 340.0,
        top: 28.0,
        width: WIDTH - 340.0 - 150.0,
        height: ROW * out.top_identities.len() as f64,
    };
    let scale = Scale::new(
        out.top_identities
            .iter()
            .map(|i| i.accesses)
            .max()
            .unwrap_or(0),
    );
    let mut svg = Svg::new(plot.bottom() + 24.0, "Top identities");
    svg.legend(plot.left, 12.0, &[("bar", "accesses"), ("fail", "failed")])?;
    for tick in scale.ticks() {
        let x = plot.left + plot.width * scale.ratio(tick);
        svg.line((x, plot.top), (x, plot.bottom()), "grid")?;
        svg.text(x, plot.bottom() + 16.0, "middle", &count(tick))?;
    }
    for (row, identity) in out.top_identities.iter().enumerate() {
        let y = plot.top + ROW * row as f64;
        let name = who(identity.display_name.as_deref(), &identity.identity);
        let figures = format!(
            "{} · {} failed",
            count(identity.accesses),
            count(identity.failures)
        );
        let tip = format!("{name}: {figures}");
        svg.text(
            plot.left - 8.0,
            y + ROW / 2.0 + 4.0,
            "end",
            &clip(&name, LABEL_CHARS),
        )?;
        let accesses = plot.width * scale.ratio(identity.accesses);
        svg.rect(plot.left, y + 4.0, accesses, ROW - 8.0, "bar", &tip)?;
        svg.rect(
            plot.left,
            y + 4.0,
            plot.width * scale.ratio(identity.failures),
            ROW - 8.0,
            "fail",
            &tip,
        )?;
        svg.text(
            plot.left + accesses + 6.0,
            y + ROW / 2.0 + 4.0,
            "start",
            &figures,
        )?;
    }
    svg.finish(p)?;
    end(p)
}

fn paths(p: &mut String, out: &AnalyzeOutput) -> fmt::Result {
    section(p, "paths", "Top paths")?;
    if out.top_paths.is_empty() {
        muted(p, "No accesses.")?;
        return end(p);
    }
    table_head(p, &[("path", false), ("accesses", true)])?;
    for path in &out.top_paths {
        writeln!(
            p,
            "<tr><td><code>{}</code></td><td class=\"num\">{}</td></tr>",
            Esc(&path.path),
            count(path.accesses)
        )?;
    }
    table_end(p)?;
    end(p)
}

/// Each file read, baseline files marked, with its first unusable records.
fn files(p: &mut String, out: &AnalyzeOutput) -> fmt::Result {
    section(p, "files", "Files")?;
    table_head(
        p,
        &[
            ("file", false),
            ("format", false),
            ("records", true),
            ("unusable", true),
            ("first unusable records", false),
        ],
    )?;
    let baseline = out.baseline_files.iter().map(|f| (f, true));
    for (file, is_baseline) in out.files.iter().map(|f| (f, false)).chain(baseline) {
        write!(p, "<tr><td><code>{}</code>", Esc(&file.path))?;
        if is_baseline {
            p.push_str(" <span class=\"muted\">(baseline)</span>");
        }
        let format = file.format.as_deref().unwrap_or("(empty)");
        write!(p, "</td><td>{}", Esc(format))?;
        if let Some(container) = &file.container {
            write!(p, " <span class=\"muted\">{}</span>", Esc(container))?;
        }
        if file.gzip {
            p.push_str(" <span class=\"muted\">gzip</span>");
        }
        write!(
            p,
            "</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td>",
            count(file.records),
            count(file.problems)
        )?;
        for (i, problem) in file.first_problems.iter().enumerate() {
            let br = if i > 0 { "<br>" } else { "" };
            write!(
                p,
                "{br}line {} ({}): {}",
                problem.line,
                Esc(&problem.kind),
                Esc(&problem.message)
            )?;
        }
        p.push_str("</td></tr>\n");
    }
    table_end(p)?;
    end(p)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{HourCount, TopIdentity, TopPath, TotalsReport};

    /// A value an attacker could put in a log: markup, a broken-out attribute, quotes.
    const HOSTILE: &str = "<script>alert(1)</script>\"><img src=x onerror=alert(2)>'&";
    const ESCAPED: &str = "&lt;script&gt;alert(1)&lt;/script&gt;&quot;&gt;&lt;img src=x onerror=alert(2)&gt;&#39;&amp;";

    fn totals(first: Option<&str>, last: Option<&str>) -> TotalsReport {
        TotalsReport {
            accesses: 0,
            records: 0,
            problems: 0,
            by_outcome: [("success".to_owned(), 0)].into(),
            identities: 0,
            addresses: 0,
            first: first.map(str::to_owned),
            last: last.map(str::to_owned),
        }
    }

    fn output(totals: TotalsReport) -> AnalyzeOutput {
        AnalyzeOutput {
            report: String::new(),
            totals,
            files: Vec::new(),
            baseline_files: Vec::new(),
            anomalies: Vec::new(),
            top_identities: Vec::new(),
            top_paths: Vec::new(),
            hourly: (0..24)
                .map(|hour| HourCount { hour, accesses: 0 })
                .collect(),
            warnings: Vec::new(),
        }
    }

    /// `value` in every string the page shows.
    fn sample(value: &str) -> AnalyzeOutput {
        let mut out = output(totals(
            Some("2024-05-02T01:00:00Z"),
            Some("2024-05-02T03:00:00Z"),
        ));
        out.totals.accesses = 12;
        out.warnings.push(value.to_owned());
        out.files.push(
            serde_json::from_value(serde_json::json!({
                "path": value, "format": "vault", "container": value, "gzip": false,
                "bytes": 10, "records": 12, "problems": 1,
                "first_problems": [{ "line": 3, "kind": "garbage", "message": value }],
            }))
            .unwrap(),
        );
        out.anomalies.push(
            serde_json::from_value(serde_json::json!({
                "kind": "failed-access", "severity": "high", "identity": value,
                "display_name": value, "address": value, "count": 12,
                "evidence": { value: 12 }, "first": "2024-05-02T01:00:00Z",
                "last": "2024-05-02T02:00:00Z", "request_ids": [value], "message": value,
                "files": [value],
            }))
            .unwrap(),
        );
        out.top_identities.push(TopIdentity {
            identity: value.to_owned(),
            display_name: Some(value.to_owned()),
            accesses: 12,
            failures: 12,
        });
        out.top_paths.push(TopPath {
            path: value.to_owned(),
            accesses: 12,
        });
        out.hourly[1].accesses = 12;
        out
    }

    #[test]
    fn escapes_markup_quotes_and_controls() {
        assert_eq!(Esc(HOSTILE).to_string(), ESCAPED);
        assert_eq!(
            Esc("a\u{0}b\u{1b}c\u{202e}d\u{2066}e\tf\n").to_string(),
            "a\u{fffd}b\u{fffd}c\u{fffd}d\u{fffd}e\tf\n"
        );
        assert_eq!(Esc("plain text, é ✓").to_string(), "plain text, é ✓");
    }

    #[test]
    fn hostile_values_render_as_text() {
        let page = report(&sample(HOSTILE));
        let benign = report(&sample("benign"));
        // Each `<` opens a tag and each `"` bounds an attribute value: the same counts
        // as with a harmless value mean that no value added an element or an attribute.
        for c in ['<', '"'] {
            assert_eq!(
                page.matches(c).count(),
                benign.matches(c).count(),
                "{c} in\n{page}"
            );
        }
        // The table, the file list, the warning and the tooltips all show it.
        assert!(page.matches(ESCAPED).count() >= 8, "{page}");
        // A chart label is cut before it is escaped, never inside a reference.
        let label = clip(HOSTILE, LABEL_CHARS);
        assert!(label.ends_with('…'));
        assert!(page.contains(&format!(">{}</text>", Esc(&label))), "{page}");
    }

    #[test]
    fn an_empty_log_renders_every_section() {
        let page = report(&output(totals(None, None)));
        for id in [
            "totals",
            "anomalies",
            "timeline",
            "hourly",
            "identities",
            "paths",
            "files",
        ] {
            assert!(page.contains(&format!("<section id=\"{id}\">")), "{id}");
        }
        assert!(page.contains("No anomalies.") && page.contains("No accesses."));
        assert!(page.ends_with("</html>\n"));
        assert!(!page.contains("NaN") && !page.contains("inf\""), "{page}");
    }

    #[test]
    fn the_page_loads_nothing_from_elsewhere() {
        let page = report(&sample(HOSTILE));
        for needle in ["src=\"", "href=", "url(", "@import", "http:", "https:"] {
            assert!(!page.contains(needle), "{needle}");
        }
        assert!(page.contains("default-src 'none'"));
    }

    #[test]
    fn request_ids_are_counted_and_folded() {
        let mut out = sample("benign");
        out.anomalies[0].request_ids = (0..5).map(|i| format!("req-{i}")).collect();
        let page = report(&out);
        let cell = page
            .split("<td class=\"ids\">")
            .nth(1)
            .and_then(|rest| rest.split("</td>").next())
            .unwrap();
        assert!(
            cell.starts_with("<details><summary>5 ids</summary>"),
            "{cell}"
        );
        assert_eq!(cell.matches("<code>req-").count(), 5, "{cell}");
        out.anomalies[0].request_ids.clear();
        assert!(report(&out).contains("<td class=\"ids\"></td>"));
    }

    #[test]
    fn counts_are_grouped_by_thousands() {
        assert_eq!(count(0), "0");
        assert_eq!(count(999), "999");
        assert_eq!(count(1_000), "1,000");
        assert_eq!(count(1_234_567), "1,234,567");
    }

    #[test]
    fn clip_keeps_short_text_and_marks_a_cut() {
        assert_eq!(clip("short", 10), "short");
        assert_eq!(clip("abcdefghijkl", 5), "abcd…");
    }

    #[test]
    fn scales_are_round_with_few_steps() {
        for (largest, max, step) in [
            (0, 1, 1),
            (3, 3, 1),
            (7, 8, 2),
            (23, 25, 5),
            (1_234, 1_500, 500),
        ] {
            let scale = Scale::new(largest);
            assert_eq!((scale.max, scale.step), (max, step), "largest {largest}");
            assert!(scale.ticks().count() <= 6);
        }
    }
}
