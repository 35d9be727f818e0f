//! One call on all cores: a tool whose analysis is mergeable says so in its input
//! schema, and the host cuts a large input into line-aligned parts, reads each part
//! in its own sandbox, and hands the partial results back to the tool to merge.
//!
//! The annotation sits at the root of the tool's input schema:
//!
//! ```json
//! "x-skill-parallel": { "split": "logs", "map": "audit-state", "merge": "states" }
//! ```
//!
//! - `split`: an array property of input files (`x-skill-input-file` items);
//! - `map`: a tool of the same plugin that reads `{ <split>: [file], ... }` into a
//!   partial result (the properties it shares with the call's input are passed on);
//! - `merge`: the array property through which the tool takes the map outputs, in
//!   input order, instead of reading `split`.
//!
//! Each map call is granted only its byte range of the file, cut right after a
//! newline, so the plugin sees whole lines and nothing else. Files that cannot be
//! cut (compressed, not regular, no newline near a cut) stay whole. Map outputs are
//! validated against the map tool's output schema and then kept as text only, and
//! spliced into the merge call's input: partial results can be megabytes, and a
//! parsed copy of each would cost the memory the streaming design saves. If any
//! step fails, the call runs again in one pass, which is the reference: a parallel
//! run either gives the one-pass result or is not used.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::ops::Range;
use std::sync::{Arc, Mutex, PoisonError};

use serde_json::{Map, Value};
use skill_runtime::{Progress, ProgressFn};

/// The schema annotation naming the map and merge steps.
pub const ANNOTATION: &str = "x-skill-parallel";
/// A part smaller than this costs more to start and merge than it saves.
pub const MIN_PART_BYTES: u64 = 4 << 20;
/// How far past a cut point a newline is looked for before the file is left whole.
const MAX_LINE_SEARCH: u64 = 1 << 20;
/// The first bytes of a gzip stream, which cannot be cut at a byte offset.
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// What the annotation says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Split {
    pub split: String,
    pub map: String,
    pub merge: String,
}

impl Split {
    /// The annotation of an input schema, if it has a well-formed one.
    pub fn of(input_schema: &Value) -> Option<Self> {
        let spec = input_schema.get(ANNOTATION)?;
        let field = |name: &str| spec.get(name)?.as_str().map(str::to_owned);
        Some(Self {
            split: field("split")?,
            map: field("map")?,
            merge: field("merge")?,
        })
    }
}

/// One map call's input file: a byte range of `path`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    pub path: String,
    pub range: Range<u64>,
}

/// Cuts `paths` into about `jobs` parts of similar size, in input order; `None` when
/// a parallel run would not pay (one job, small input, a path named twice).
pub fn plan(paths: &[String], jobs: usize) -> std::io::Result<Option<Vec<Part>>> {
    let unique: std::collections::HashSet<&String> = paths.iter().collect();
    if jobs < 2 || unique.len() != paths.len() {
        return Ok(None);
    }
    let mut sizes = Vec::with_capacity(paths.len());
    for path in paths {
        let metadata = std::fs::metadata(path)?;
        if !metadata.is_file() {
            return Ok(None);
        }
        sizes.push(metadata.len());
    }
    let total: u64 = sizes.iter().sum();
    if total < 2 * MIN_PART_BYTES {
        return Ok(None);
    }
    let target = total.div_ceil(jobs as u64).max(MIN_PART_BYTES);
    let mut parts = Vec::new();
    for (path, size) in paths.iter().zip(sizes) {
        let pieces = size.div_ceil(target);
        let mut starts = vec![0];
        if pieces > 1 && !is_gzip(path)? {
            for i in 1..pieces {
                match line_start_after(path, size * i / pieces)? {
                    Some(at) if at > *starts.last().unwrap_or(&0) && at < size => starts.push(at),
                    _ => {}
                }
            }
        }
        starts.push(size);
        parts.extend(starts.windows(2).map(|w| Part {
            path: path.clone(),
            range: w[0]..w[1],
        }));
    }
    Ok((parts.len() > 1).then_some(parts))
}

fn is_gzip(path: &str) -> std::io::Result<bool> {
    let mut magic = [0u8; 2];
    let read = File::open(path)?.read(&mut magic)?;
    Ok(read == 2 && magic == GZIP_MAGIC)
}

/// The offset just after the first newline at or after `offset`, if one is near.
fn line_start_after(path: &str, offset: u64) -> std::io::Result<Option<u64>> {
    let mut file = File::open(path)?;
    file.seek(SeekFrom::Start(offset))?;
    let mut window = Vec::new();
    file.take(MAX_LINE_SEARCH).read_to_end(&mut window)?;
    Ok(memchr::memchr(b'\n', &window).map(|at| offset + at as u64 + 1))
}

/// The call's input with `states` (JSON texts) as the array property `merge`. Each
/// state is dropped once copied, so the host holds the merge input only once.
pub(crate) fn merge_input(input: &Map<String, Value>, merge: &str, states: Vec<String>) -> String {
    let mut text = Value::Object(input.clone()).to_string();
    text.pop(); // the closing brace
    text.reserve(states.iter().map(|s| s.len() + 1).sum::<usize>() + merge.len() + 8);
    if !input.is_empty() {
        text.push(',');
    }
    text.push_str(&Value::String(merge.to_owned()).to_string());
    text.push_str(":[");
    for (i, state) in states.into_iter().enumerate() {
        if i > 0 {
            text.push(',');
        }
        text.push_str(&state);
    }
    text.push_str("]}");
    text
}

/// The call's properties that the map tool also takes, without the split one.
pub(crate) fn shared_properties(
    input: &Map<String, Value>,
    map_schema: &Value,
    split: &str,
) -> Map<String, Value> {
    let Some(properties) = map_schema.get("properties").and_then(Value::as_object) else {
        return Map::new();
    };
    input
        .iter()
        .filter(|(name, _)| *name != split && properties.contains_key(*name))
        .map(|(name, value)| (name.clone(), value.clone()))
        .collect()
}

/// Folds the progress of the parts back into one report per file.
pub(crate) struct PartProgress {
    sink: Arc<Mutex<ProgressFn>>,
    parts: Arc<Vec<(String, u64)>>,
    done: Arc<Mutex<Vec<u64>>>,
}

impl PartProgress {
    pub(crate) fn new(sink: &Arc<Mutex<ProgressFn>>, parts: &[Part]) -> Self {
        Self {
            sink: Arc::clone(sink),
            parts: Arc::new(
                parts
                    .iter()
                    .map(|p| (p.path.clone(), p.range.end))
                    .collect(),
            ),
            done: Arc::new(Mutex::new(vec![0; parts.len()])),
        }
    }

    /// The callback for part `index`: reports the bytes done over all parts of its file.
    pub(crate) fn callback(&self, index: usize) -> ProgressFn {
        let (sink, parts, done) = (
            Arc::clone(&self.sink),
            Arc::clone(&self.parts),
            Arc::clone(&self.done),
        );
        Box::new(move |progress| {
            let mut sink = sink.lock().unwrap_or_else(PoisonError::into_inner);
            match progress {
                Progress::Input { done: bytes, .. } => {
                    let (path, _) = &parts[index];
                    let file_done = {
                        let mut done = done.lock().unwrap_or_else(PoisonError::into_inner);
                        done[index] = bytes;
                        parts
                            .iter()
                            .zip(done.iter())
                            .filter(|((p, _), _)| p == path)
                            .map(|(_, d)| d)
                            .sum()
                    };
                    let size = parts
                        .iter()
                        .filter(|(p, _)| p == path)
                        .map(|(_, end)| *end)
                        .max();
                    (*sink)(Progress::Input {
                        path,
                        done: file_done,
                        size,
                    });
                }
                other => (*sink)(other),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file_with(lines: usize, width: usize) -> tempfile::NamedTempFile {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        let line = format!("{}\n", "x".repeat(width - 1));
        for _ in 0..lines {
            std::io::Write::write_all(&mut file, line.as_bytes()).unwrap();
        }
        file
    }

    fn path(file: &tempfile::NamedTempFile) -> String {
        file.path().to_str().unwrap().to_owned()
    }

    #[test]
    fn parts_start_right_after_a_newline_and_cover_the_file() {
        let file = file_with(100_000, 100); // 10 MB
        let parts = plan(&[path(&file)], 2).unwrap().unwrap();
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0].range.start, 0);
        assert_eq!(parts[0].range.end, parts[1].range.start);
        assert_eq!(parts[1].range.end, 10_000_000);
        assert_eq!(parts[1].range.start % 100, 0, "a cut falls on a line start");
    }

    #[test]
    fn small_inputs_one_job_and_repeated_paths_are_not_split() {
        let big = file_with(100_000, 100);
        let small = file_with(10, 100);
        assert_eq!(plan(&[path(&small)], 8).unwrap(), None);
        assert_eq!(plan(&[path(&big)], 1).unwrap(), None);
        assert_eq!(plan(&[path(&big), path(&big)], 4).unwrap(), None);
    }

    #[test]
    fn compressed_files_stay_whole() {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        let mut bytes = GZIP_MAGIC.to_vec();
        bytes.extend(std::iter::repeat_n(b'\n', 10 << 20));
        std::io::Write::write_all(&mut file, &bytes).unwrap();
        assert_eq!(plan(&[path(&file)], 4).unwrap(), None);
    }

    #[test]
    fn several_files_become_parts_in_input_order() {
        let a = file_with(60_000, 100);
        let b = file_with(60_000, 100);
        let parts = plan(&[path(&a), path(&b)], 4).unwrap().unwrap();
        let (a, b) = (path(&a), path(&b));
        let paths: Vec<&String> = parts.iter().map(|p| &p.path).collect();
        assert_eq!(paths, [&a, &a, &b, &b]);
    }

    #[test]
    fn states_are_spliced_into_the_input_as_an_array() {
        let input = serde_json::json!({"logs": ["a.log"], "top": 3});
        let states = [r#"{"n":1}"#.to_owned(), r#"{"n":2}"#.to_owned()];
        let text = merge_input(input.as_object().unwrap(), "states", states.to_vec());
        let parsed: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            parsed,
            serde_json::json!({"logs": ["a.log"], "top": 3, "states": [{"n": 1}, {"n": 2}]})
        );
        let empty = merge_input(&Map::new(), "states", states[..1].to_vec());
        assert_eq!(empty, r#"{"states":[{"n":1}]}"#);
    }

    #[test]
    fn the_annotation_is_read_from_the_schema_root() {
        let schema = serde_json::json!({
            "type": "object",
            ANNOTATION: {"split": "logs", "map": "audit-state", "merge": "states"}
        });
        assert_eq!(
            Split::of(&schema),
            Some(Split {
                split: "logs".into(),
                map: "audit-state".into(),
                merge: "states".into()
            })
        );
        assert_eq!(Split::of(&serde_json::json!({"type": "object"})), None);
    }
}
