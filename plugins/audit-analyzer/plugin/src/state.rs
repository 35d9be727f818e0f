//! Sharded analysis: `audit-state` reads logs (or line-aligned parts of one log)
//! into an unfinished [`Analysis`], and [`MergedStates`] folds consecutive states
//! back into exactly what one pass over the same bytes gives.
//!
//! The host uses this to read a large log on all cores (the input schema's
//! `x-skill-parallel` names `audit-state` as the map step and `states` as the merge
//! input); a batch engine can use it to spread a fleet's logs over machines. The
//! fold is associative: `audit-state` also merges states into one unfinished state,
//! so an engine with more states than one call may take merges them in rounds.

use audit_core::{Analysis, Problems};
use skill_pdk::prelude::*;

use crate::{FileReport, StdinPart, read_files};

/// Layout of [`AnalysisState`]; a state of another layout is refused, not misread.
/// Version 2 names the files each count came from; version 3 no longer writes the
/// totals per path and address, which are sums of the identities' counts.
const STATE_VERSION: u32 = 3;

/// Read audit logs (or merge the states of consecutive ones) into a mergeable
/// analysis state.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StateInput {
    /// Audit log files (or consecutive parts of one), read in order; `-` is standard
    /// input.
    #[serde(default)]
    logs: Vec<InputPath>,
    /// The name reported for the log read from standard input (`-` in `logs`): the
    /// file whose part is piped in, so that the states of its parts merge as one file.
    #[serde(default)]
    stdin_name: Option<String>,
    /// The line number of the first line read from standard input within its whole
    /// file: problems are reported at whole-file line numbers. Without it the merge
    /// numbers a part's lines after those of the part before it.
    #[serde(default)]
    #[schemars(range(min = 1))]
    stdin_first_line: Option<u64>,
    /// States of consecutive logs or parts, merged in order into one state that can be
    /// merged again, instead of reading `logs`.
    #[serde(default)]
    #[schemars(with = "Vec<AnalysisState>")]
    states: MergedStates,
}

/// The unfinished analysis of some logs.
#[derive(Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AnalysisState {
    /// Layout version of this state (currently 3).
    pub state_version: u32,
    /// What each file (or part) was read as.
    pub files: Vec<FileReport>,
    /// The counts, with Vault halves still waiting for their pair.
    #[schemars(with = "serde_json::Map<String, serde_json::Value>")]
    pub analysis: Analysis,
}

/// The `audit-state` tool.
pub fn analyse(input: StateInput) -> Result<AnalysisState, ToolError> {
    let (analysis, files) = match (input.logs.is_empty(), input.states.is_empty()) {
        (false, true) => {
            let stdin = StdinPart::of(&input.logs, input.stdin_name, input.stdin_first_line)?;
            read_files(&input.logs, "/logs", &stdin)?
        }
        (true, false) => {
            StdinPart::of(&[], input.stdin_name, input.stdin_first_line)?;
            input.states.unfinished()?
        }
        (true, true) => {
            return Err(ToolError::invalid_input(
                "/logs",
                "give at least one log file (or the states to merge)",
            ));
        }
        (false, false) => {
            return Err(ToolError::invalid_input(
                "/states",
                "give logs to read or states to merge, not both",
            ));
        }
    };
    Ok(AnalysisState {
        state_version: STATE_VERSION,
        files,
        analysis,
    })
}

/// `audit-analyzer`'s `states`, merged in order while they are parsed, so only one
/// state is in memory at a time next to the running total. Consecutive reports of
/// one path are parts of one file and become one report again.
pub struct MergedStates {
    merged: Result<(Analysis, Vec<FileReport>), ToolError>,
    count: usize,
}

impl Default for MergedStates {
    fn default() -> Self {
        Self {
            merged: Ok((Analysis::new(), Vec::new())),
            count: 0,
        }
    }
}

impl MergedStates {
    /// No state was given.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The merged analysis, unfinished (Vault halves still waiting for their
    /// pair), and one report per file: a state to merge again.
    pub fn unfinished(self) -> Result<(Analysis, Vec<FileReport>), ToolError> {
        self.merged
    }

    /// The merged analysis, finished, and one report per file.
    pub fn finish(self) -> Result<(Analysis, Vec<FileReport>), ToolError> {
        let (mut analysis, files) = self.unfinished()?;
        analysis.finish();
        Ok((analysis, files))
    }

    fn push(&mut self, state: AnalysisState) {
        let index = self.count;
        self.count += 1;
        let Ok((analysis, files)) = &mut self.merged else {
            return; // the first error is the one reported
        };
        if state.state_version != STATE_VERSION {
            self.merged = Err(ToolError::invalid_input(
                format!("/states/{index}/state_version"),
                format!(
                    "this audit-analyzer reads state version {STATE_VERSION}, not {}",
                    state.state_version
                ),
            ));
            return;
        }
        analysis.merge(state.analysis);
        for file in state.files {
            match files.last_mut() {
                Some(previous) if previous.path == file.path => {
                    if let Err(error) = append_part(previous, file, index) {
                        self.merged = Err(error);
                        return;
                    }
                }
                _ => files.push(file),
            }
        }
    }
}

impl<'de> Deserialize<'de> for MergedStates {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Merging;
        impl<'de> serde::de::Visitor<'de> for Merging {
            type Value = MergedStates;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an array of audit-state outputs")
            }

            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<MergedStates, A::Error> {
                let mut merged = MergedStates::default();
                while let Some(state) = seq.next_element::<AnalysisState>()? {
                    merged.push(state);
                }
                Ok(merged)
            }
        }
        deserializer.deserialize_seq(Merging)
    }
}

/// Adds the report of the next part of a file to the report of the parts before it.
fn append_part(whole: &mut FileReport, part: FileReport, state: usize) -> Result<(), ToolError> {
    let cannot = |why: &str| {
        ToolError::invalid_input(
            format!("/states/{state}"),
            format!(
                "parts of `{}` cannot be merged: {why}; analyse the file in one pass",
                whole.path
            ),
        )
    };
    if (&whole.format, &whole.container) != (&part.format, &part.container) {
        return Err(cannot("they were read as different formats"));
    }
    // Only line-oriented input can be cut.
    let Some(lines) = whole.lines else {
        return Err(cannot("the input is not one record per line"));
    };
    if whole.gzip || part.gzip {
        return Err(cannot("a compressed stream cannot be cut"));
    }
    // A part numbers its lines from 1 unless it was given its first line number.
    let next_line = whole.first_line.unwrap_or(1) + lines;
    let mut part = part;
    match part.first_line {
        None => part.shift_lines(next_line - 1),
        Some(first) if first == next_line => {}
        Some(first) => {
            return Err(cannot(&format!(
                "a part starting at line {first} does not follow one ending at line {}",
                next_line - 1
            )));
        }
    }
    // One pass reports a file as empty once, and only when it has neither a record
    // nor any other problem; the fold keeps that true after every step, so it comes
    // out the same however the states are grouped.
    let empties = u64::from(says_empty(whole)) + u64::from(says_empty(&part));
    if whole.records + part.records > 0 || whole.problems + part.problems > empties {
        drop_empty(whole);
    }
    drop_empty(&mut part);
    whole.bytes += part.bytes;
    whole.records += part.records;
    whole.lines = Some(lines + part.lines.unwrap_or(0));
    whole.problems += part.problems;
    let room = Problems::KEPT.saturating_sub(whole.first_problems.len());
    whole
        .first_problems
        .extend(part.first_problems.into_iter().take(room));
    Ok(())
}

/// Whether a part reports itself as empty: the reader says so of an input with no
/// record and no other problem.
fn says_empty(file: &FileReport) -> bool {
    file.records == 0 && file.first_problems.iter().any(|p| p.kind == "empty")
}

/// Takes back a part's `empty` problem.
fn drop_empty(file: &mut FileReport) {
    if says_empty(file) {
        file.first_problems.retain(|p| p.kind != "empty");
        file.problems -= 1;
    }
}
