//! Which input files records came from, so that every anomaly names the files to
//! look in. An [`Analysis`](crate::Analysis) lists its input files in order
//! ([`Sources`]); counters keep the indices of the files their records were in
//! ([`Files`]). Merging states renumbers the later state's indices into the earlier
//! one's list, the parts of one file (consecutive, same name) sharing one index, so
//! any grouping of consecutive states gives the one-pass result.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

/// The input files of an analysis, in reading order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Sources(Vec<String>);

impl Sources {
    /// The index of the file about to be read: the last one again when it has the
    /// same name (the next part of a file cut into parts).
    pub(crate) fn begin(&mut self, name: &str) -> u32 {
        if self.0.last().is_none_or(|last| last != name) {
            self.0.push(name.to_owned());
        }
        self.last().unwrap_or_default()
    }

    /// The index of the file read last, if any was named.
    pub(crate) fn last(&self) -> Option<u32> {
        let last = self.0.len().checked_sub(1)?;
        Some(u32::try_from(last).unwrap_or(u32::MAX))
    }

    /// Appends the files of the state that comes next; returns, for each of its
    /// indices, the index here.
    pub(crate) fn append(&mut self, later: Sources) -> Vec<u32> {
        later.0.iter().map(|name| self.begin(name)).collect()
    }

    /// The names of `files`, in reading order.
    pub fn names(&self, files: &Files) -> Vec<String> {
        files
            .0
            .iter()
            .filter_map(|&i| self.0.get(i as usize).cloned())
            .collect()
    }
}

/// Indices into [`Sources`]: the earliest [`Files::KEPT`] files something was seen in.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Files(BTreeSet<u32>);

impl Files {
    /// Files kept per counter: the earliest, so every grouping of merges keeps the same.
    pub const KEPT: usize = 100;

    /// Adds the file being read, if the reader named one.
    pub(crate) fn add(&mut self, source: Option<u32>) {
        if let Some(source) = source
            && self.0.insert(source)
            && self.0.len() > Self::KEPT
        {
            self.0.pop_last();
        }
    }

    pub(crate) fn merge(&mut self, other: Files) {
        for source in other.0 {
            self.add(Some(source));
        }
    }

    /// The same files numbered as in the analysis this state merges into; an index
    /// the state's own list does not hold (a hand-made state) is dropped.
    pub(crate) fn renumber(&mut self, map: &[u32]) {
        let old = std::mem::take(&mut self.0);
        for i in old {
            self.add(map.get(i as usize).copied());
        }
    }
}
