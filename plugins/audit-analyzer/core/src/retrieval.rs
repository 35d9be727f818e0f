//! Mass retrieval: one identity reading many distinct secrets within minutes. It is a
//! rate, not a deviation from a baseline, so it needs no history and shows in a log
//! of a few seconds.
//!
//! Each identity keeps, per minute, the distinct secrets it read (as stable 64-bit
//! hashes) with the minute's first and last read and earliest request id. Unions,
//! minima and maxima merge exactly, so a sharded analysis finds the same bursts.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::event::{Event, Format, Outcome};

const MINUTE_MS: i64 = 60_000;
/// Distinct secrets kept per identity and minute (the smallest hashes, so the cut is
/// the same however the reads were split). A minute that reaches it is a burst for
/// any threshold up to it, which is why thresholds are capped there.
pub const MAX_DISTINCT_PER_MINUTE: usize = 256;

/// One identity's secret reads in one minute.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MinuteReads {
    /// FNV-1a hashes of the secrets read.
    pub secrets: BTreeSet<u64>,
    /// Reads (a batch read counts once per secret).
    pub reads: u64,
    /// Earliest read (ms).
    pub first_ms: i64,
    /// Latest read (ms).
    pub last_ms: i64,
    /// The earliest read's request id, by (time, id).
    pub sample: Option<(i64, String)>,
}

/// One identity's secret reads, per minute since the epoch.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretReads(pub BTreeMap<i64, MinuteReads>);

/// The busiest window of one identity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Burst {
    /// Distinct secrets read in the window.
    pub distinct: u64,
    /// Reads in the window.
    pub reads: u64,
    /// First and last read in the window (ms).
    pub first_ms: i64,
    /// Last read in the window (ms).
    pub last_ms: i64,
    /// The earliest request id of each minute of the window.
    pub request_ids: Vec<String>,
}

impl SecretReads {
    pub(crate) fn add(&mut self, time_ms: i64, secret: &str, request_id: Option<&str>) {
        let minute = self
            .0
            .entry(time_ms.div_euclid(MINUTE_MS))
            .or_insert(MinuteReads {
                first_ms: time_ms,
                last_ms: time_ms,
                ..MinuteReads::default()
            });
        minute.reads += 1;
        minute.first_ms = minute.first_ms.min(time_ms);
        minute.last_ms = minute.last_ms.max(time_ms);
        minute.secrets.insert(fnv1a(secret));
        cap(&mut minute.secrets);
        if let Some(id) = request_id
            && minute
                .sample
                .as_ref()
                .is_none_or(|(t, s)| (time_ms, id) < (*t, s.as_str()))
        {
            minute.sample = Some((time_ms, id.to_owned()));
        }
    }

    pub(crate) fn merge(&mut self, other: SecretReads) {
        for (at, theirs) in other.0 {
            match self.0.get_mut(&at) {
                None => {
                    self.0.insert(at, theirs);
                }
                Some(mine) => {
                    mine.secrets.extend(theirs.secrets);
                    cap(&mut mine.secrets);
                    mine.reads += theirs.reads;
                    mine.first_ms = mine.first_ms.min(theirs.first_ms);
                    mine.last_ms = mine.last_ms.max(theirs.last_ms);
                    mine.sample = match (mine.sample.take(), theirs.sample) {
                        (Some(a), Some(b)) => Some(a.min(b)),
                        (a, b) => a.or(b),
                    };
                }
            }
        }
    }

    /// The window of `minutes` consecutive minutes with the most distinct secrets
    /// (the earliest such window on a tie).
    pub fn busiest(&self, minutes: i64) -> Option<Burst> {
        let minutes = minutes.max(1);
        let mut best: Option<Burst> = None;
        for &start in self.0.keys() {
            // Saturates: a window longer than the calendar holds every minute.
            let window = self.0.range(start..start.saturating_add(minutes));
            let mut secrets: BTreeSet<u64> = BTreeSet::new();
            let mut burst = Burst {
                distinct: 0,
                reads: 0,
                first_ms: i64::MAX,
                last_ms: i64::MIN,
                request_ids: Vec::new(),
            };
            for (_, m) in window {
                secrets.extend(&m.secrets);
                burst.reads += m.reads;
                burst.first_ms = burst.first_ms.min(m.first_ms);
                burst.last_ms = burst.last_ms.max(m.last_ms);
                burst
                    .request_ids
                    .extend(m.sample.iter().map(|(_, id)| id.clone()));
            }
            burst.distinct = secrets.len() as u64;
            if best.as_ref().is_none_or(|b| burst.distinct > b.distinct) {
                best = Some(burst);
            }
        }
        best
    }
}

fn cap(secrets: &mut BTreeSet<u64>) {
    while secrets.len() > MAX_DISTINCT_PER_MINUTE {
        secrets.pop_last();
    }
}

/// FNV-1a, 64 bits: stable across processes and builds (the state crosses both),
/// unlike the seeded hash the counters use.
fn fnv1a(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Whether a successful access returned a secret's value: a Vault read of a secret
/// engine's path (not `sys/`, `auth/`, `identity/`, nor KV v2 metadata), CloudTrail
/// `GetSecretValue` / `BatchGetSecretValue`, GCP `AccessSecretVersion`, Azure
/// `SecretGet`.
pub(crate) fn is_secret_read(event: &Event<'_>, outcome: Outcome) -> bool {
    if outcome != Outcome::Success {
        return false;
    }
    let op = event.operation.as_ref();
    match event.format {
        Format::Vault | Format::Generic => {
            let path = event.resource.as_ref();
            op == "read"
                && !["sys/", "auth/", "identity/", "cubbyhole/"]
                    .iter()
                    .any(|p| path.starts_with(p))
                && !path.contains("/metadata/")
                && !path.is_empty()
        }
        Format::CloudTrail => matches!(op, "GetSecretValue" | "BatchGetSecretValue"),
        Format::GcpAudit => op.ends_with(".AccessSecretVersion"),
        Format::AzureKeyVault => op == "SecretGet",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reads(list: &[(i64, &str, &str)]) -> SecretReads {
        let mut r = SecretReads::default();
        for (t, secret, id) in list {
            r.add(*t, secret, Some(id));
        }
        r
    }

    #[test]
    fn the_busiest_window_counts_distinct_secrets() {
        let r = reads(&[
            (0, "a", "r1"),
            (1_000, "a", "r2"),
            (59_000, "b", "r3"),
            (61_000, "c", "r4"),
            (10 * MINUTE_MS, "d", "r5"),
        ]);
        let burst = r.busiest(2).unwrap();
        assert_eq!((burst.distinct, burst.reads), (3, 4));
        assert_eq!((burst.first_ms, burst.last_ms), (0, 61_000));
        assert_eq!(burst.request_ids, ["r1", "r4"]);
        assert_eq!(r.busiest(1).unwrap().distinct, 2);
    }

    #[test]
    fn merged_halves_equal_one_pass() {
        let all = [
            (5, "a", "x"),
            (7, "b", "w"),
            (MINUTE_MS + 1, "c", "v"),
            (3, "a", "z"),
        ];
        let whole = reads(&all);
        let mut first = reads(&all[..2]);
        first.merge(reads(&all[2..]));
        assert_eq!(first, whole);
    }

    #[test]
    fn a_minute_keeps_at_most_the_cap_and_the_same_ones_however_split() {
        let names: Vec<String> = (0..400).map(|i| format!("s{i}")).collect();
        let mut whole = SecretReads::default();
        let (mut a, mut b) = (SecretReads::default(), SecretReads::default());
        for (i, n) in names.iter().enumerate() {
            whole.add(1, n, None);
            if i % 2 == 0 {
                a.add(1, n, None)
            } else {
                b.add(1, n, None)
            }
        }
        a.merge(b);
        assert_eq!(a, whole);
        assert_eq!(whole.0[&0].secrets.len(), MAX_DISTINCT_PER_MINUTE);
    }
}
