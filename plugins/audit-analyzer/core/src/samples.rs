//! Pieces of the analysis state that merge exactly whatever order the parts
//! come in: the earliest request ids of a bucket, and optional bounds.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

/// How many sample request ids are kept (globally and per identity).
const SAMPLES: usize = 5;

/// The earliest request ids by (time, id): order-independent, hence mergeable.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Samples(BTreeSet<(i64, String)>);

impl Samples {
    pub(crate) fn offer(&mut self, time_ms: Option<i64>, id: Option<&str>) {
        let Some(id) = id else { return };
        let key = time_ms.unwrap_or(i64::MAX);
        if self.0.len() >= SAMPLES
            && let Some((t, last)) = self.0.last()
            && (key, id) >= (*t, last.as_str())
        {
            return;
        }
        self.0.insert((key, id.to_owned()));
        if self.0.len() > SAMPLES {
            self.0.pop_last();
        }
    }

    pub(crate) fn merge(&mut self, other: Samples) {
        for (t, id) in other.0 {
            self.offer(Some(t), Some(&id));
        }
    }

    /// The sample ids, earliest first.
    pub fn ids(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(|(_, id)| id.as_str())
    }
}

pub(crate) fn min_opt(a: Option<i64>, b: Option<i64>) -> Option<i64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

pub(crate) fn max_opt(a: Option<i64>, b: Option<i64>) -> Option<i64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    }
}
