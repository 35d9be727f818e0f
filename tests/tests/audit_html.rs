//! audit-analyzer's HTML report through the real binary and a real browser: a Vault log
//! with planted anomalies and hostile identity names and paths is rendered with
//! `--format html`, then opened in headless Chromium, which must show every section,
//! keep the hostile values as text (no element of theirs in the DOM), log nothing to its
//! console, and paint a screenshot; and at the screenshot's 1280 px its anomaly table
//! must run a row per anomaly, not a page, with request ids folded under their count.
//!
//! Chromium is a test dependency like OpenBao: `.ci/run` installs it, and a machine
//! without it fails here with the command to install it rather than skip the check.

use std::io::Read;
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serde_json::json;
use skill_tests::{Skill, text};

/// A display name that is a script.
const SCRIPT_NAME: &str = "<script>alert(1)</script>";
/// An entity id that leaves an attribute and adds an element with a handler.
const ATTRIBUTE_BREAK: &str = "\"><img src=x onerror=alert(2)>";
/// A probed path that is an SVG element with a handler.
const SVG_PATH: &str = "secret/data/<svg onload=alert(3)>";
/// A request id that closes the table cell and opens a frame.
const CELL_BREAK: &str = "</td><iframe srcdoc=x>";

/// Every element the report is made of; anything else in the page was injected.
const ELEMENTS: &[&str] = &[
    "!DOCTYPE", "html", "head", "meta", "title", "style", "body", "main", "header", "h1", "h2",
    "section", "p", "div", "b", "span", "br", "table", "thead", "tbody", "tr", "th", "td", "code",
    "details", "summary", "svg", "rect", "line", "text",
];

/// The report's sections, by id.
const SECTIONS: &[&str] = &[
    "totals",
    "anomalies",
    "timeline",
    "hourly",
    "identities",
    "paths",
    "files",
];

/// How long one browser run may take before it is killed and the test fails.
const BROWSER_TIMEOUT: Duration = Duration::from_secs(60);

/// One Vault access as the file audit device writes it: a request line and its
/// response line, with a permission-denied error when `denied`.
struct Access<'a> {
    time: &'a str,
    id: &'a str,
    entity: &'a str,
    name: &'a str,
    policies: &'a [&'a str],
    operation: &'a str,
    path: &'a str,
    address: &'a str,
    denied: bool,
}

impl Access<'_> {
    fn write(&self, log: &mut String) {
        let auth = json!({
            "display_name": self.name,
            "entity_id": self.entity,
            "policies": self.policies,
            "token_policies": self.policies,
            "token_type": "service",
        });
        let request = json!({
            "id": self.id,
            "operation": self.operation,
            "path": self.path,
            "remote_address": self.address,
            "namespace": { "id": "root" },
        });
        let mut lines = [
            json!({ "time": self.time, "type": "request", "auth": auth, "request": request }),
            json!({ "time": self.time, "type": "response", "auth": auth, "request": request, "response": {} }),
        ];
        if self.denied {
            lines[0]["error"] = json!("permission denied");
            lines[1]["error"] = json!("1 error occurred:\n\t* permission denied\n\n");
        }
        for line in lines {
            log.push_str(&line.to_string());
            log.push('\n');
        }
    }
}

/// Thursday business hours for an application, a root token disabling the audit
/// device, and on Saturday night denied reads by an identity whose every name is
/// markup; then a line that is not JSON.
fn hostile_log() -> String {
    let mut log = String::new();
    for i in 0..30 {
        let (time, id) = (
            format!("2024-05-02T{:02}:{:02}:00Z", 9 + i / 4, i % 4 * 15),
            format!("app-{i}"),
        );
        Access {
            time: &time,
            id: &id,
            entity: "ent-app",
            name: "approle-payments",
            policies: &["default", "payments"],
            operation: "read",
            path: "secret/data/payments/db",
            address: "10.0.0.5",
            denied: false,
        }
        .write(&mut log);
    }
    Access {
        time: "2024-05-02T12:30:00Z",
        id: "root-1",
        entity: "",
        name: "root",
        policies: &["root"],
        operation: "delete",
        path: "sys/audit/file",
        address: "10.0.0.1",
        denied: false,
    }
    .write(&mut log);
    for i in 0..8 {
        let (time, id) = (
            format!("2024-05-04T02:0{i}:00Z"),
            format!("{CELL_BREAK}-{i}"),
        );
        Access {
            time: &time,
            id: &id,
            entity: ATTRIBUTE_BREAK,
            name: SCRIPT_NAME,
            policies: &["default"],
            operation: "read",
            path: SVG_PATH,
            address: "10.6.6.6",
            denied: true,
        }
        .write(&mut log);
    }
    // Sixteen services refused five times each, ids as Vault writes them (UUIDs): a
    // long anomaly table.
    for service in 0..16 {
        for i in 0..5 {
            let (time, id) = (
                format!("2024-05-02T14:{:02}:{i:02}Z", service * 2),
                format!("{service:08x}-8c3b-3515-cdcb-b5ae4b97{i:04x}"),
            );
            Access {
                time: &time,
                id: &id,
                entity: &format!("ent-svc-{service}"),
                name: &format!("approle-svc-{service}"),
                policies: &["default"],
                operation: "read",
                path: "secret/data/payments/db",
                address: &format!("10.0.1.{service}"),
                denied: true,
            }
            .write(&mut log);
        }
    }
    log.push_str(SCRIPT_NAME);
    log.push('\n');
    log
}

/// The report with its policy lifted and a script that measures the anomaly table as
/// laid out and writes the numbers into the page's title: the test's own probe, never
/// a report (whose policy forbids any script).
fn layout_probe(html: &str) -> String {
    let html = html.replace(
        "<meta http-equiv=\"Content-Security-Policy\"",
        "<meta name=\"csp-lifted\"",
    );
    let script = r#"<script>
const rows = document.querySelectorAll('#anomalies tbody tr');
const table = document.querySelector('#anomalies table').getBoundingClientRect();
const cells = [...document.querySelectorAll('#anomalies td.ids')];
const closed = Math.max(...cells.map(c => c.getBoundingClientRect().width));
document.querySelectorAll('#anomalies details').forEach(d => d.open = true);
const ids = [...document.querySelectorAll('#anomalies td.ids code')];
const tallest = Math.max(...ids.map(c => c.getBoundingClientRect().height));
document.title = ['layout', rows.length, Math.round(table.height), Math.round(closed), Math.round(tallest), ids.length, window.innerWidth].join(' ');
</script>"#;
    html.replace("</body>", &format!("{script}</body>"))
}

/// `value` as a browser serializes it in a text node.
fn as_dom_text(value: &str) -> String {
    value
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The inside of every tag of `html` (`<` appears nowhere else in the report, nor in a
/// browser's serialization of a page without script).
fn tags(html: &str) -> impl Iterator<Item = &str> {
    html.split('<')
        .skip(1)
        .map(|rest| rest.split('>').next().unwrap_or_default())
}

/// Fails on any element outside the report's own, on any attribute that loads
/// something or runs a handler, and on any stylesheet import.
fn assert_only_report_markup(html: &str, what: &str) {
    for tag in tags(html) {
        let name = tag
            .trim_start_matches('/')
            .split([' ', '/', '\n'])
            .next()
            .unwrap_or_default();
        assert!(ELEMENTS.contains(&name), "{what}: injected <{tag}>");
        let attributes = tag.to_ascii_lowercase();
        for needle in [" src=", " href=", "http:", "https:", "javascript:"] {
            assert!(
                !attributes.contains(needle),
                "{what}: `{needle}` in <{tag}>"
            );
        }
        let handler = attributes
            .split_whitespace()
            .any(|word| word.starts_with("on") && word.contains('='));
        assert!(!handler, "{what}: an event handler in <{tag}>");
    }
    assert!(
        !html.contains("url(") && !html.contains("@import"),
        "{what}: a stylesheet loads something"
    );
}

/// Headless Chromium: `$CHROMIUM` or `/usr/bin/chromium`.
fn chromium() -> PathBuf {
    let path = std::env::var_os("CHROMIUM")
        .map_or_else(|| PathBuf::from("/usr/bin/chromium"), PathBuf::from);
    assert!(
        path.is_file(),
        "{} not found: this test opens the HTML report in headless Chromium; install it with \
         `apt-get install chromium` (as .ci/run does), or set CHROMIUM to its path",
        path.display()
    );
    path
}

fn drain(mut pipe: impl Read + Send + 'static) -> JoinHandle<String> {
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = pipe.read_to_end(&mut bytes);
        String::from_utf8_lossy(&bytes).into_owned()
    })
}

/// Kills what is left of the browser: it runs in its own process group with its
/// helper processes, which could otherwise hold the pipes open.
fn kill_group(leader: u32) {
    let _ = Command::new("kill")
        .args(["-KILL", "--", &format!("-{leader}")])
        .stderr(Stdio::null())
        .status();
}

/// Opens `page` in headless Chromium with a fresh profile and `args`, logging the
/// page's console to stderr; returns stdout and stderr. Fails after [`BROWSER_TIMEOUT`].
fn browse(page: &Path, args: &[&str]) -> (String, String) {
    let profile = tempfile::tempdir().unwrap();
    let mut child = Command::new(chromium())
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(args)
        .arg(format!("file://{}", page.display()))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn()
        .expect("start chromium");
    let (stdout, stderr) = (
        drain(child.stdout.take().unwrap()),
        drain(child.stderr.take().unwrap()),
    );
    let deadline = Instant::now() + BROWSER_TIMEOUT;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for chromium") {
            break Some(status);
        }
        if Instant::now() > deadline {
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    kill_group(child.id());
    let _ = child.wait();
    let (stdout, stderr) = (stdout.join().unwrap(), stderr.join().unwrap());
    let status =
        status.unwrap_or_else(|| panic!("chromium ran over {BROWSER_TIMEOUT:?}:\n{stderr}"));
    assert!(status.success(), "chromium failed ({status}):\n{stderr}");
    (stdout, stderr)
}

/// The page's console messages in a Chromium log.
fn console_messages(stderr: &str) -> Vec<&str> {
    stderr
        .lines()
        .filter(|line| line.contains(":CONSOLE"))
        .collect()
}

#[test]
fn the_html_report_renders_in_a_browser_with_hostile_names_as_text() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("audit-html-hostile.log");
    std::fs::write(&log, hostile_log()).unwrap();
    let output = Skill::new().run(&[
        "run",
        "audit-analyzer",
        "--logs",
        log.to_str().unwrap(),
        "--format",
        "html",
    ]);
    let (html, stderr) = text(&output);
    assert!(output.status.success(), "{stderr}");
    assert!(html.starts_with("<!DOCTYPE html>"), "{html}");
    assert_only_report_markup(&html, "the report");
    for planted in [
        "audit-disable",
        "failed-access",
        "off-hours",
        "root-token-use",
    ] {
        assert!(html.contains(planted), "{planted} missing:\n{html}");
    }
    let page = dir.path().join("report.html");
    std::fs::write(&page, &html).unwrap();

    let (dom, log) = browse(&page, &["--dump-dom"]);
    assert!(
        console_messages(&log).is_empty(),
        "console messages: {:#?}",
        console_messages(&log)
    );
    assert_only_report_markup(&dom, "the DOM");
    for id in SECTIONS {
        assert!(
            dom.contains(&format!("<section id=\"{id}\">")),
            "section {id} missing:\n{dom}"
        );
    }
    assert_eq!(dom.matches("<svg ").count(), 3, "the three charts:\n{dom}");
    for hostile in [SCRIPT_NAME, ATTRIBUTE_BREAK, SVG_PATH, CELL_BREAK] {
        assert!(
            dom.contains(&as_dom_text(hostile)),
            "{hostile} not shown as text:\n{dom}"
        );
    }

    let screenshot = dir.path().join("report.png");
    browse(
        &page,
        &[
            &format!("--screenshot={}", screenshot.display()),
            "--window-size=1280,2000",
            "--hide-scrollbars",
        ],
    );
    let png = std::fs::read(&screenshot).expect("chromium wrote no screenshot");
    assert_layout(dir.path(), &html);
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG");
    let (width, height) = (
        u32::from_be_bytes(png[16..20].try_into().unwrap()),
        u32::from_be_bytes(png[20..24].try_into().unwrap()),
    );
    assert_eq!((width, height), (1280, 2000));
    assert!(
        png.len() > 30_000,
        "a {}-byte screenshot is a blank page",
        png.len()
    );
}

/// At the screenshot's size, the anomaly table runs about a row's height per anomaly,
/// and a request id, unfolded, is one line of its own (before the ids were folded, a
/// squeezed column wrapped each a character per line: pages for 20 anomalies).
fn assert_layout(dir: &Path, html: &str) {
    let probe = dir.join("probe.html");
    std::fs::write(&probe, layout_probe(html)).unwrap();
    let (dom, _) = browse(&probe, &["--window-size=1280,2000", "--dump-dom"]);
    let title = dom
        .split("<title>")
        .nth(1)
        .and_then(|t| t.split("</title>").next())
        .unwrap_or_default();
    let numbers: Vec<f64> = title
        .strip_prefix("layout ")
        .unwrap_or_else(|| panic!("the probe did not run: {title:?}"))
        .split(' ')
        .map(|n| n.parse().unwrap())
        .collect();
    let [rows, height, closed_width, tallest_id, ids, viewport] = numbers[..] else {
        panic!("{title}")
    };
    assert_eq!(viewport, 1280.0, "{title}");
    assert!(rows >= 20.0, "a 20-anomaly table: {title}");
    assert!(
        height <= 100.0 * rows,
        "{height} px for {rows} anomalies: rows run for pages ({title})"
    );
    assert!(
        closed_width <= 120.0,
        "the folded ids column is {closed_width} px ({title})"
    );
    assert!(ids >= 5.0 * 16.0, "{title}");
    assert!(
        tallest_id <= 20.0,
        "an unfolded request id is {tallest_id} px tall: it wraps ({title})"
    );
}

/// The console check above can fail: a page that logs an error is caught.
#[test]
fn a_console_message_is_seen() {
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("console.html");
    std::fs::write(
        &page,
        "<!DOCTYPE html><title>probe</title><script>console.error('probe-7f3a')</script>",
    )
    .unwrap();
    let (_, log) = browse(&page, &["--dump-dom"]);
    assert!(
        console_messages(&log)
            .iter()
            .any(|line| line.contains("probe-7f3a")),
        "no console line in:\n{log}"
    );
}
