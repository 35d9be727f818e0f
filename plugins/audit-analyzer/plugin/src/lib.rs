//! The `audit-analyzer` plugin: [`audit_core`] exported through the skill contract.
//!
//! This layer streams the granted logs into the core's reader, runs its detectors and
//! shapes the result; every parsing and detection decision lives in `audit-core`.

mod html;
mod render;
mod state;

use audit_core::{
    Analysis, Anomaly, AuditReader, BusinessHours, Outcome, ReadError, ReadSummary, Thresholds,
    detect_anomalies, format_time,
};
use skill_pdk::prelude::*;

/// Analyse Vault/OpenBao, CloudTrail, GCP or Azure Key Vault audit logs for anomalies.
///
/// `x-skill-parallel` lets the host cut large `logs` into line-aligned parts, read
/// each in its own sandbox with `audit-state`, and hand the states back in `states`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(extend("x-skill-parallel" = {"split": "logs", "map": "audit-state", "merge": "states"}))]
struct AnalyzeInput {
    /// Audit log files, read in order as one window (Vault/OpenBao file audit device,
    /// CloudTrail, GCP Cloud Audit Logs, Azure Key Vault, gzip or not); `-` is
    /// standard input.
    #[serde(default)]
    logs: Vec<InputPath>,
    /// The name reported for the log read from standard input (`-` in `logs`), e.g.
    /// the file a batch engine piped in.
    #[serde(default)]
    stdin_name: Option<String>,
    /// The line number of the first line read from standard input within its whole
    /// file, when only a part of that file is piped in: problems are reported at
    /// whole-file line numbers.
    #[serde(default)]
    #[schemars(range(min = 1))]
    stdin_first_line: Option<u64>,
    /// Analyses made by `audit-state` (by `skill` on all cores, or by a batch job per
    /// machine), merged in order instead of reading `logs`.
    #[serde(default)]
    #[schemars(with = "Vec<state::AnalysisState>")]
    states: state::MergedStates,
    /// Log(s) of normal activity: each identity's baseline rate and known addresses.
    /// Without one, the first part of the window is the baseline for volume spikes
    /// and new addresses.
    #[serde(default)]
    baseline: Vec<InputPath>,
    /// Detector thresholds; every field is optional with a documented default.
    #[serde(default)]
    thresholds: Thresholds,
    /// Business hours, weekdays and timezone offset for the off-hours detector.
    #[serde(default)]
    business_hours: BusinessHours,
    /// How many identities and paths the top lists hold (default 10).
    #[serde(default = "default_top")]
    #[schemars(range(min = 1, max = 1000))]
    top: usize,
}

fn default_top() -> usize {
    10
}

/// What one input file was read as.
#[derive(Serialize, Deserialize, JsonSchema)]
pub struct FileReport {
    /// The path as given.
    pub path: String,
    /// Detected format (`vault`, `cloud-trail`, `gcp-audit`, `azure-key-vault`,
    /// `generic`); absent for a file with no record.
    pub format: Option<String>,
    /// Detected container (`json-lines`, `prefixed-lines`, `pretty-stream`, …).
    pub container: Option<String>,
    /// The file was gzip-compressed.
    pub gzip: bool,
    /// Bytes read.
    pub bytes: u64,
    /// Records read.
    pub records: u64,
    /// Lines read, for line-oriented inputs.
    pub lines: Option<u64>,
    /// The whole-file line number of the first line read, for a part of a file piped
    /// in with `stdin_first_line`; absent when the input starts at line 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_line: Option<u64>,
    /// Unusable records (truncated, garbage, not a record): counted, not fatal.
    pub problems: u64,
    /// The first problems with their line.
    pub first_problems: Vec<ProblemReport>,
}

/// One unusable record.
#[derive(Serialize, Deserialize, JsonSchema)]
pub struct ProblemReport {
    /// 1-based line.
    pub line: u64,
    /// `truncated`, `garbage`, `not-a-record`, `empty`, `bad-time`, or `too-long` (a
    /// line or record over the 16 MiB cap, skipped without being buffered).
    pub kind: String,
    /// What was wrong.
    pub message: String,
}

/// Global counts.
#[derive(Serialize, JsonSchema)]
pub struct TotalsReport {
    /// Accesses (a Vault request/response pair is one).
    pub accesses: u64,
    /// Records read over all files.
    pub records: u64,
    /// Unusable records over all files.
    pub problems: u64,
    /// Accesses per outcome: success, denied, invalid-token, bad-credentials, other.
    pub by_outcome: std::collections::BTreeMap<String, u64>,
    /// Distinct identities.
    pub identities: u64,
    /// Distinct source addresses.
    pub addresses: u64,
    /// Earliest access, RFC 3339 UTC.
    pub first: Option<String>,
    /// Latest access, RFC 3339 UTC.
    pub last: Option<String>,
}

/// An identity and its activity.
#[derive(Serialize, JsonSchema)]
pub struct TopIdentity {
    /// Identity key.
    pub identity: String,
    /// A display name seen for it.
    pub display_name: Option<String>,
    /// Accesses.
    pub accesses: u64,
    /// Failed accesses.
    pub failures: u64,
}

/// A path and its accesses.
#[derive(Serialize, JsonSchema)]
pub struct TopPath {
    /// Path or resource.
    pub path: String,
    /// Accesses.
    pub accesses: u64,
}

/// Accesses in one hour of the day (local time per `business_hours`).
#[derive(Serialize, JsonSchema)]
pub struct HourCount {
    /// Hour of the day, 0–23.
    pub hour: u8,
    /// Accesses.
    pub accesses: u64,
}

/// The analysis.
#[derive(Serialize, JsonSchema)]
pub struct AnalyzeOutput {
    /// A short summary for agents: totals, then the anomalies by severity.
    pub report: String,
    /// Global counts.
    pub totals: TotalsReport,
    /// Each analysed file.
    pub files: Vec<FileReport>,
    /// Each baseline file.
    pub baseline_files: Vec<FileReport>,
    /// Findings, most severe first, then by kind and identity.
    pub anomalies: Vec<Anomaly>,
    /// Most active identities.
    pub top_identities: Vec<TopIdentity>,
    /// Most accessed paths.
    pub top_paths: Vec<TopPath>,
    /// Accesses per hour of the day (24 entries).
    pub hourly: Vec<HourCount>,
    /// Things the reader must know (e.g. the log holds secrets in clear).
    pub warnings: Vec<String>,
}

/// What a log read from standard input is reported as.
#[derive(Default)]
struct StdinPart {
    name: Option<String>,
    first_line: Option<u64>,
}

impl StdinPart {
    /// `stdin_name` and `stdin_first_line` of an input whose logs are `logs`; they
    /// name the `-` among them, so without one they are a mistake.
    fn of(
        logs: &[InputPath],
        name: Option<String>,
        first_line: Option<u64>,
    ) -> Result<Self, ToolError> {
        let given = [
            ("/stdin_name", name.is_some()),
            ("/stdin_first_line", first_line.is_some()),
        ];
        if let Some((pointer, _)) = given.iter().find(|(_, is_given)| *is_given)
            && !logs.iter().any(|path| path.as_str() == STDIN)
        {
            return Err(ToolError::invalid_input(
                *pointer,
                "describes the log read from standard input, but no log is `-`",
            ));
        }
        Ok(Self { name, first_line })
    }
}

/// The input file that stands for standard input.
const STDIN: &str = "-";

/// Streams every file into one analysis, left unfinished so it can still be merged.
fn read_files(
    files: &[InputPath],
    pointer: &str,
    stdin: &StdinPart,
) -> Result<(Analysis, Vec<FileReport>), ToolError> {
    let mut analysis = Analysis::new();
    let mut reports = Vec::new();
    for (i, path) in files.iter().enumerate() {
        let mut input = host::open_input(path)?;
        let name = match &stdin.name {
            Some(name) if path.as_str() == STDIN => name.as_str(),
            _ => path.as_str(),
        };
        analysis.begin_file(name);
        let summary = AuditReader::new()
            .read_to_end(|| input.next_chunk(), |event| analysis.add(event))
            .map_err(|e| read_error(e, &format!("{pointer}/{i}"), path))?;
        let mut report = file_report(name, summary);
        if path.as_str() == STDIN
            && let Some(first_line) = stdin.first_line
        {
            report.renumber_from(first_line);
        }
        reports.push(report);
    }
    Ok((analysis, reports))
}

impl FileReport {
    /// Numbers the lines from `first_line` instead of 1.
    fn renumber_from(&mut self, first_line: u64) {
        self.shift_lines(first_line - 1);
        self.first_line = Some(first_line);
    }

    /// Moves every problem that has a line `by` lines further down.
    fn shift_lines(&mut self, by: u64) {
        for problem in &mut self.first_problems {
            if problem.line > 0 {
                problem.line += by;
            }
        }
    }
}

/// A granted log that could not be read (exit 1) or is not an audit log (exit 2, at
/// `pointer`).
fn read_error(error: ReadError<std::io::Error>, pointer: &str, path: &InputPath) -> ToolError {
    match error {
        ReadError::Source(e) => ToolError::failed(format!("cannot read `{}`: {e}", path.as_str())),
        ReadError::Format(e) => {
            ToolError::invalid_input(pointer, format!("{}: {e}", path.as_str()))
        }
    }
}

/// Streams every file into one finished analysis.
fn read_all(
    files: &[InputPath],
    pointer: &str,
    stdin: &StdinPart,
) -> Result<(Analysis, Vec<FileReport>), ToolError> {
    let (mut analysis, reports) = read_files(files, pointer, stdin)?;
    analysis.finish();
    Ok((analysis, reports))
}

fn name_of(value: impl Serialize) -> Option<String> {
    serde_json::to_value(value)
        .ok()?
        .as_str()
        .map(str::to_owned)
}

fn file_report(path: &str, summary: ReadSummary) -> FileReport {
    FileReport {
        path: path.to_owned(),
        format: summary.detected.and_then(|d| name_of(d.format)),
        container: summary.detected.and_then(|d| name_of(d.container)),
        gzip: summary.gzip,
        bytes: summary.bytes,
        records: summary.records,
        lines: summary.lines,
        first_line: None,
        problems: summary.problems.total,
        first_problems: summary
            .problems
            .first
            .into_iter()
            .map(|p| ProblemReport {
                line: p.line,
                kind: name_of(p.kind).unwrap_or_default(),
                message: p.message,
            })
            .collect(),
    }
}

fn analyze(input: AnalyzeInput) -> Result<AnalyzeOutput, ToolError> {
    if input.logs.is_empty() && input.states.is_empty() {
        return Err(ToolError::invalid_input(
            "/logs",
            "give at least one log file (or the states of analysed ones)",
        ));
    }
    let hours = &input.business_hours;
    if hours.start_hour > 23
        || hours.end_hour > 24
        || hours.weekdays.iter().any(|d| !(1..=7).contains(d))
    {
        return Err(ToolError::invalid_input(
            "/business_hours",
            "hours are 0–23 (start) and 1–24 (end); weekdays are 1 (Monday) to 7 (Sunday)",
        ));
    }
    let stdin = StdinPart::of(&input.logs, input.stdin_name, input.stdin_first_line)?;
    let (analysis, files) = if input.states.is_empty() {
        read_all(&input.logs, "/logs", &stdin)?
    } else {
        input.states.finish()?
    };
    let (baseline, baseline_files) = if input.baseline.is_empty() {
        (None, Vec::new())
    } else {
        let (b, f) = read_all(&input.baseline, "/baseline", &StdinPart::default())?;
        (Some(b), f)
    };
    let anomalies = detect_anomalies(&analysis, baseline.as_ref(), &input.thresholds, hours);

    let mut warnings = Vec::new();
    if analysis.totals.raw_token > 0 {
        warnings.push(format!(
            "{} accesses carry a token in clear: the audit device runs with log_raw, so this \
             log itself holds live secrets; protect it and rotate those tokens",
            analysis.totals.raw_token
        ));
    }
    let problems: u64 = files.iter().map(|f| f.problems).sum();
    if problems > 0 {
        warnings.push(format!(
            "{problems} unusable records were skipped (see files[].first_problems)"
        ));
    }

    let by_outcome = Outcome::ALL
        .iter()
        .map(|o| {
            (
                name_of(o).unwrap_or_default(),
                analysis.totals.by_outcome[o.index()],
            )
        })
        .collect();
    let totals = TotalsReport {
        accesses: analysis.totals.events,
        records: files.iter().map(|f| f.records).sum(),
        problems,
        by_outcome,
        identities: analysis.identities.len() as u64,
        addresses: analysis.addresses().len() as u64,
        first: analysis.first_ms.map(format_time),
        last: analysis.last_ms.map(format_time),
    };

    let mut top_identities: Vec<TopIdentity> = analysis
        .identities
        .iter()
        .map(|(key, s)| TopIdentity {
            identity: key.clone(),
            display_name: s.display_names.iter().next().cloned(),
            accesses: s.events,
            failures: s.events - s.by_outcome[Outcome::Success.index()],
        })
        .collect();
    top_identities.sort_by(|a, b| {
        b.accesses
            .cmp(&a.accesses)
            .then_with(|| a.identity.cmp(&b.identity))
    });
    top_identities.truncate(input.top);
    let mut top_paths: Vec<TopPath> = analysis
        .paths()
        .into_iter()
        .map(|(path, accesses)| TopPath {
            path: path.to_owned(),
            accesses,
        })
        .collect();
    top_paths.sort_by(|a, b| {
        b.accesses
            .cmp(&a.accesses)
            .then_with(|| a.path.cmp(&b.path))
    });
    top_paths.truncate(input.top);

    let mut by_hour = [0u64; 24];
    let offset = i64::from(hours.utc_offset_minutes);
    for (hour, n) in analysis.hourly() {
        by_hour[(hour * 60 + offset).div_euclid(60).rem_euclid(24) as usize] += n;
    }
    let hourly = (0u8..24)
        .map(|hour| HourCount {
            hour,
            accesses: by_hour[usize::from(hour)],
        })
        .collect();

    let mut output = AnalyzeOutput {
        report: String::new(),
        totals,
        files,
        baseline_files,
        anomalies,
        top_identities,
        top_paths,
        hourly,
        warnings,
    };
    output.report = render::summary(&output);
    Ok(output)
}

/// The plugin and its tools (also called natively by the host's build script,
/// which embeds the manifest).
pub fn plugin() -> Plugin {
    Plugin::new("audit-analyzer", env!("CARGO_PKG_VERSION"))
        .description("Streaming anomaly analysis of Vault/OpenBao, AWS CloudTrail, GCP and Azure Key Vault audit logs.")
        .tool(
            Tool::new(
                "audit-analyzer",
                "Find anomalies in Vault/OpenBao, CloudTrail, GCP or Azure Key Vault audit logs.",
                analyze,
            )
            .description(
                "Streams one or more audit logs (format detected per file, gzip or not; \
                 truncated or garbage lines are counted, not fatal), counts one access per \
                 Vault request/response pair, and reports anomalies with severity, identity, \
                 evidence counts, first/last time and request ids: volume spikes against each \
                 identity's own baseline (a baseline log, or the first part of the window), \
                 or against its peers (same class, same auth mount) when it has none, \
                 many source addresses, repeated failures per identity@address, login \
                 failures, off-hours access (people; machines whose baseline keeps hours), \
                 broad access, mass retrieval, new identities, new source addresses (against a \
                 baseline log, or the first part of the window), root token use and \
                 generate-root, long-TTL and orphan tokens, policy/auth/audit/mount changes \
                 (audit disable is critical), role changes, seal, lease mass revocation, a \
                 raw-mode (log_raw) log, cloud root use, trail and IAM changes, sensitive GCP \
                 grants, Key Vault access changes, and GCP projects whose Data Access logs \
                 look off. Identities are classed as people or machines by how they logged \
                 in; an Azure caller is one identity whichever shape names it. Also \
                 totals, top identities and paths, and an hour-of-day histogram; as text, \
                 Markdown, or a self-contained HTML report with charts. Large logs are read \
                 on all cores (see audit-state).",
            )
            .render("text", render::text)
            .render("markdown", render::markdown)
            .render("html", html::report),
        )
        .tool(
            Tool::new(
                "audit-state",
                "Read audit logs into a mergeable analysis state, for audit-analyzer --states.",
                state::analyse,
            )
            .description(
                "The map step of a sharded analysis: reads the logs like audit-analyzer and \
                 returns the unfinished counts (with Vault requests still waiting for their \
                 response) instead of a report. Give the states of consecutive parts, in \
                 order, to audit-analyzer's `states` and the report is exactly that of one \
                 pass over all of them. `skill run audit-analyzer` does this by itself on \
                 all cores for large logs; a batch engine can run audit-state per machine, \
                 or pipe each part in (`logs: [\"-\"]`, named by `stdin_name`).",
            ),
        )
}

skill_pdk::export_plugin!(plugin);
