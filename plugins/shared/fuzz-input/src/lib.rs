//! Fuzzing on stable Rust for the parsers of untrusted bytes in the plugins (audit
//! logs, policy HCL, inventories): each case takes one seed (a fixture), applies one to
//! four mutations (bit flips, interesting bytes, truncations, deletions, insertions
//! of tokens of the format, repeated chunks, splices from another seed), and hands
//! the bytes to the target's check, which must return a verdict, never panic.
//!
//! A run has a fixed number of cases, chosen per target to take about 10–20 s in a
//! debug build on two cores; `SKILL_FUZZ_CASES=<n>` overrides it (more in a nightly
//! job, fewer for a quick look). A failing case is shrunk to a small input by
//! proptest and reported with it. Each run prints its executions to stderr:
//! `cargo test -- --nocapture` shows them.
//!
//! Inputs that once failed are kept: a failing case is saved, shrunk, to
//! `tests/fuzz-regressions/<target>/` in the fuzzed crate, and every run replays
//! that folder before its random cases. Commit the file with the fix, and the bug
//! stays fixed whatever the random cases happen to be.

use std::cell::{Cell, RefCell};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::time::Instant;

use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::{Config, TestCaseError, TestError, TestRunner};

/// What a target made of one input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The input was read (perhaps with problems reported inside the result).
    Read,
    /// The input was refused with a clean error.
    Refused,
}

/// The most bytes an input may grow to: repeated chunks stop here.
pub const MAX_INPUT: usize = 256 << 10;

/// Tokens every format here is made of: JSON and HCL punctuation, line ends,
/// numbers and times at their limits, bytes that are not UTF-8 or drive a terminal.
const COMMON_TOKENS: &[&[u8]] = &[
    b"{",
    b"}",
    b"[",
    b"]",
    b"\"",
    b"\\",
    b"\\u0000",
    b"\\ud800",
    b"\n",
    b"\r\n",
    b",",
    b":",
    b"=",
    b"null",
    b"true",
    b"0",
    b"-1",
    b"-9223372036854775808",
    b"18446744073709551616",
    b"1e999",
    b"-0.0",
    b"9999-12-31T23:59:59-23:59",
    b"0000-01-01T00:00:00+23:59",
    b"9999-12-31",
    b"\xff\xfe",
    b"\xef\xbb\xbf",
    b"\x1b[2J",
    b"\xe2\x80\xae",
    b"\x00",
];

/// One change to the bytes. Positions are `Index`es, resolved against the length the
/// bytes have when the change is applied.
#[derive(Debug, Clone)]
enum Mutation {
    Flip {
        at: Index,
        bit: u8,
    },
    Truncate {
        at: Index,
    },
    Delete {
        at: Index,
        len: usize,
    },
    Insert {
        at: Index,
        token: Index,
    },
    Repeat {
        at: Index,
        len: usize,
        times: usize,
    },
    Splice {
        at: Index,
        seed: Index,
        from: Index,
        len: usize,
    },
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        3 => (any::<Index>(), 0u8..8).prop_map(|(at, bit)| Mutation::Flip { at, bit }),
        1 => any::<Index>().prop_map(|at| Mutation::Truncate { at }),
        2 => (any::<Index>(), 1usize..64).prop_map(|(at, len)| Mutation::Delete { at, len }),
        4 => (any::<Index>(), any::<Index>()).prop_map(|(at, token)| Mutation::Insert { at, token }),
        2 => (any::<Index>(), 1usize..512, 2usize..200)
            .prop_map(|(at, len, times)| Mutation::Repeat { at, len, times }),
        2 => (any::<Index>(), any::<Index>(), any::<Index>(), 1usize..4096)
            .prop_map(|(at, seed, from, len)| Mutation::Splice { at, seed, from, len }),
    ]
}

/// Applies `mutation` to `bytes`, drawing tokens from `tokens` and splices from `seeds`.
fn apply(bytes: &mut Vec<u8>, mutation: &Mutation, tokens: &[&[u8]], seeds: &[Vec<u8>]) {
    // A position in 0..=len.
    let place = |at: &Index, len: usize| at.index(len + 1);
    match mutation {
        Mutation::Flip { at, bit } => {
            if !bytes.is_empty() {
                let i = at.index(bytes.len());
                bytes[i] ^= 1 << bit;
            }
        }
        Mutation::Truncate { at } => bytes.truncate(place(at, bytes.len())),
        Mutation::Delete { at, len } => {
            let start = place(at, bytes.len());
            let end = (start + len).min(bytes.len());
            bytes.drain(start..end);
        }
        Mutation::Insert { at, token } => {
            let at = place(at, bytes.len());
            let token = tokens[token.index(tokens.len())];
            bytes.splice(at..at, token.iter().copied());
        }
        Mutation::Repeat { at, len, times } => {
            if bytes.is_empty() {
                return;
            }
            let start = at.index(bytes.len());
            let end = (start + len).min(bytes.len());
            let chunk = bytes[start..end].to_vec();
            let times = (*times).min(MAX_INPUT.saturating_sub(bytes.len()) / chunk.len());
            let repeated = chunk.repeat(times);
            bytes.splice(end..end, repeated);
        }
        Mutation::Splice {
            at,
            seed,
            from,
            len,
        } => {
            let other = &seeds[seed.index(seeds.len())];
            if other.is_empty() {
                return;
            }
            let start = from.index(other.len());
            let end = (start + len).min(other.len());
            let at = place(at, bytes.len());
            bytes.splice(at..at, other[start..end].iter().copied());
        }
    }
    bytes.truncate(MAX_INPUT);
}

/// Inputs made from `seeds`: one seed, one to four mutations.
fn inputs(seeds: Vec<Vec<u8>>, tokens: Vec<&'static [u8]>) -> impl Strategy<Value = Vec<u8>> {
    let count = seeds.len();
    (0..count, proptest::collection::vec(mutation(), 1..=4)).prop_map(move |(seed, mutations)| {
        let mut bytes = seeds[seed].clone();
        for mutation in &mutations {
            apply(&mut bytes, mutation, &tokens, &seeds);
        }
        bytes
    })
}

/// The number of cases: `SKILL_FUZZ_CASES` if set, else the target's default.
pub fn cases(default: u32) -> u32 {
    std::env::var("SKILL_FUZZ_CASES")
        .ok()
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or(default)
}

/// Checks that `output` (what one input produced: events, a report, a rendering) is
/// bounded by the input: at most `per_byte` bytes per input byte plus `fixed`.
pub fn bounded(
    what: &str,
    output: usize,
    input: usize,
    per_byte: usize,
    fixed: usize,
) -> Result<(), String> {
    let limit = input.saturating_mul(per_byte).saturating_add(fixed);
    if output > limit {
        return Err(format!(
            "{what}: {output} bytes out of {input} bytes in (limit {limit})"
        ));
    }
    Ok(())
}

/// A fuzz target: its name, its seeds (fixture bytes), the tokens of its format
/// (added to the common ones) and its default number of cases.
pub struct Target {
    pub name: &'static str,
    pub seeds: Vec<Vec<u8>>,
    pub tokens: &'static [&'static [u8]],
    pub cases: u32,
    /// The fuzzed crate's folder, `env!("CARGO_MANIFEST_DIR")`: failing inputs
    /// are saved to and replayed from `tests/fuzz-regressions/<name>/` in it.
    /// `None` keeps nothing.
    pub crate_dir: Option<&'static str>,
}

/// What a run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    /// Inputs handed to the check, shrinking included.
    pub executions: u64,
    /// Of those, read.
    pub read: u64,
    /// Of those, refused with a clean error.
    pub refused: u64,
}

impl Target {
    /// Runs the target: `check` reads one input and returns its verdict, or `Err` with
    /// what is wrong (an unbounded result, a message that leaks a control byte); a
    /// panic is caught and reported with the shrunk input. Panics with the failing
    /// input if any case fails; returns the tally otherwise.
    pub fn run(self, mut check: impl FnMut(&[u8]) -> Result<Verdict, String>) -> Tally {
        assert!(!self.seeds.is_empty(), "{}: no seed", self.name);
        let regressions = self.crate_dir.map(|dir| {
            Path::new(dir)
                .join("tests/fuzz-regressions")
                .join(self.name)
        });
        let replayed = match &regressions {
            Some(dir) => replay(self.name, dir, &mut check),
            None => 0,
        };
        let cases = cases(self.cases);
        let mut runner = TestRunner::new(Config {
            cases,
            failure_persistence: None,
            ..Config::default()
        });
        let mut tokens = COMMON_TOKENS.to_vec();
        tokens.extend_from_slice(self.tokens);
        // The runner takes a `Fn`: the check and the tally live in cells.
        let tally = Cell::new(Tally::default());
        let check = RefCell::new(check);
        let started = Instant::now();
        let result = runner.run(&inputs(self.seeds, tokens), |bytes| {
            let verdict = (check.borrow_mut())(&bytes);
            let mut now = tally.get();
            now.executions += 1;
            match verdict {
                Ok(Verdict::Read) => now.read += 1,
                Ok(Verdict::Refused) => now.refused += 1,
                Err(_) => {}
            }
            tally.set(now);
            verdict.map(drop).map_err(TestCaseError::fail)
        });
        let tally = tally.get();
        eprintln!(
            "fuzz {}: {replayed} regressions replayed, {cases} cases, {} executions \
             ({} read, {} refused) in {:.1} s",
            self.name,
            tally.executions,
            tally.read,
            tally.refused,
            started.elapsed().as_secs_f64()
        );
        match result {
            Ok(()) => tally,
            Err(TestError::Fail(reason, input)) => {
                let saved = regressions.map(|dir| save(&dir, &input));
                let saved = match saved {
                    Some(Ok(path)) => format!("saved as {} (commit it)", path.display()),
                    Some(Err(error)) => format!("not saved: {error}"),
                    None => "not saved".into(),
                };
                panic!(
                    "fuzz {}: {reason}; minimal failing input {input:?}, {saved}",
                    self.name
                );
            }
            Err(error) => panic!("fuzz {}: {error}", self.name),
        }
    }
}

/// Checks every saved input in `dir` (sorted by name); panics naming the first
/// that fails. Returns how many there were.
fn replay(
    name: &str,
    dir: &Path,
    check: &mut impl FnMut(&[u8]) -> Result<Verdict, String>,
) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    let mut files: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
    files.sort();
    for file in &files {
        let bytes = std::fs::read(file)
            .unwrap_or_else(|e| panic!("fuzz {name}: cannot read {}: {e}", file.display()));
        let outcome = catch_unwind(AssertUnwindSafe(|| check(&bytes)));
        let failure = match outcome {
            Ok(Ok(_)) => continue,
            Ok(Err(reason)) => reason,
            Err(panic) => panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "a panic".into()),
        };
        panic!(
            "fuzz {name}: the saved input {} fails again: {failure}",
            file.display()
        );
    }
    files.len()
}

/// Saves a failing input under a name made from its bytes.
fn save(dir: &Path, input: &[u8]) -> std::io::Result<PathBuf> {
    let mut hasher = DefaultHasher::new();
    input.hash(&mut hasher);
    let path = dir.join(format!("{:016x}", hasher.finish()));
    std::fs::create_dir_all(dir)?;
    std::fs::write(&path, input)?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::strategy::ValueTree;

    #[test]
    fn every_mutation_keeps_the_input_within_bounds_and_changes_something() {
        let seeds = vec![b"{\"a\":1}\n".to_vec(), b"path \"x\" {}".to_vec()];
        let tally = Target {
            name: "self-test",
            seeds: seeds.clone(),
            tokens: &[b"capabilities"],
            cases: 300,
            crate_dir: None,
        }
        .run(|bytes| {
            if bytes.len() > MAX_INPUT {
                return Err(format!("{} bytes", bytes.len()));
            }
            Ok(if seeds.iter().any(|s| s == bytes) {
                Verdict::Refused
            } else {
                Verdict::Read
            })
        });
        assert_eq!(tally.executions, u64::from(cases(300)));
        // Almost every case differs from its seed (a flip and its undo can cancel).
        assert!(tally.read * 10 > tally.executions * 8, "{tally:?}");
    }

    #[test]
    fn a_panicking_target_fails_with_its_input() {
        let outcome = std::panic::catch_unwind(|| {
            Target {
                name: "panics",
                seeds: vec![b"abc".to_vec()],
                tokens: &[],
                cases: 50,
                crate_dir: None,
            }
            .run(|bytes| {
                assert!(bytes.len() < 3, "long input");
                Ok(Verdict::Read)
            })
        });
        let message = outcome.unwrap_err();
        let message = message
            .downcast_ref::<String>()
            .cloned()
            .unwrap_or_default();
        assert!(message.contains("fuzz panics"), "{message}");
    }

    /// The message of a panic caught from `run`.
    fn panic_text(run: impl FnOnce() -> Tally) -> String {
        let panic = std::panic::catch_unwind(AssertUnwindSafe(run)).unwrap_err();
        panic.downcast_ref::<String>().cloned().unwrap_or_default()
    }

    #[test]
    fn a_failing_input_is_saved_and_replayed_before_the_random_cases() {
        let dir = std::env::temp_dir().join(format!("fuzz-input-saves-{}", std::process::id()));
        let crate_dir: &'static str = String::leak(dir.to_string_lossy().into_owned());
        let target = || Target {
            name: "saves",
            seeds: vec![b"abcdef".to_vec()],
            tokens: &[],
            cases: 200,
            crate_dir: Some(crate_dir),
        };
        // Any change of length fails: the run saves the shrunk input.
        let message = panic_text(|| {
            target().run(|bytes| match bytes.len() {
                6 => Ok(Verdict::Read),
                n => Err(format!("{n} bytes")),
            })
        });
        assert!(message.contains("saved as"), "{message}");
        let folder = dir.join("tests/fuzz-regressions/saves");
        let saved: Vec<_> = std::fs::read_dir(&folder).unwrap().flatten().collect();
        assert_eq!(saved.len(), 1, "{message}");
        let input = std::fs::read(saved[0].path()).unwrap();
        // The next run checks that input first, whatever its random cases are.
        let message = panic_text(|| {
            target().run(|bytes| match bytes == input {
                true => Err("still broken".into()),
                false => Ok(Verdict::Read),
            })
        });
        assert!(
            message.contains("fails again: still broken")
                && message.contains(&*saved[0].path().to_string_lossy()),
            "{message}"
        );
        // Once fixed, it passes and counts as replayed.
        let tally = target().run(|_| Ok(Verdict::Read));
        assert_eq!(tally.executions, u64::from(cases(200)));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn repeats_stop_at_the_input_cap() {
        let mut bytes = vec![b'x'; MAX_INPUT - 10];
        let mut runner = TestRunner::deterministic();
        let at = any::<Index>().new_tree(&mut runner).unwrap().current();
        let repeat = Mutation::Repeat {
            at,
            len: 100,
            times: 100,
        };
        apply(&mut bytes, &repeat, COMMON_TOKENS, &[]);
        assert!(bytes.len() <= MAX_INPUT);
        assert!(bounded("x", 10, 1, 2, 8).is_ok());
        assert!(bounded("x", 11, 1, 2, 8).is_err());
    }
}
