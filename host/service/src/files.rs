//! Files a tool produces, written where the user asked (`skill run --out DIR`).
//!
//! A tool returns files inside its output, in a top-level array property
//! marked `"x-skill-output-files": true` whose items are `{path, content}`.
//! Plugins never touch the filesystem; the host writes the files, and only
//! under the directory the user named: every path must be relative and plain
//! (no `..`, no absolute paths, no empty or hidden tricks). Nothing is written
//! unless every file can be: all are staged as temporary files first, existing
//! files are refused unless `--force`, then each is renamed into place.

use std::path::{Component, Path, PathBuf};

use serde_json::Value;

pub use skill_runtime::cache::write_atomically;

use crate::schema;
use crate::{Error, Result};

/// Marks the output property that holds files.
pub const OUTPUT_FILES: &str = "x-skill-output-files";

/// One file a tool produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProducedFile {
    pub path: String,
    pub content: String,
}

/// The files in `output`, from the property its schema marks.
pub fn produced(output_schema: &Value, output: &Value) -> Vec<ProducedFile> {
    let mut files = Vec::new();
    for (name, property) in schema::properties(output_schema) {
        if property.get(OUTPUT_FILES).and_then(Value::as_bool) != Some(true) {
            continue;
        }
        for item in output
            .get(name)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let (Some(path), Some(content)) = (
                item.get("path").and_then(Value::as_str),
                item.get("content").and_then(Value::as_str),
            ) {
                files.push(ProducedFile {
                    path: path.to_owned(),
                    content: content.to_owned(),
                });
            }
        }
    }
    files
}

/// Checks that `path` stays inside the output directory.
fn safe_relative(path: &str) -> std::result::Result<PathBuf, String> {
    if path.is_empty() || path.len() > 1024 || path.contains('\0') || path.contains('\\') {
        return Err(format!("{path:?} is not a plain relative path"));
    }
    let candidate = Path::new(path);
    let mut clean = PathBuf::new();
    for component in candidate.components() {
        match component {
            Component::Normal(part) => clean.push(part),
            _ => {
                return Err(format!(
                    "{path:?} must be relative and must not contain `..` or `.`"
                ));
            }
        }
    }
    Ok(clean)
}

/// Writes `files` under `dir`, all or nothing; returns the paths written.
pub fn write_all(dir: &Path, files: &[ProducedFile], force: bool) -> Result<Vec<PathBuf>> {
    if files.is_empty() {
        return Err(Error::Usage(
            "--out was given, but the tool produced no files".to_owned(),
        ));
    }
    let mut targets = Vec::new();
    for file in files {
        let relative = safe_relative(&file.path).map_err(|why| Error::BadOutput {
            plugin: "(output)".to_owned(),
            tool: "(files)".to_owned(),
            detail: format!("refusing to write a produced file: {why}"),
        })?;
        let target = dir.join(relative);
        if !force && target.exists() {
            return Err(Error::Usage(format!(
                "{} exists; pass --force to overwrite (nothing was written)",
                target.display()
            )));
        }
        targets.push(target);
    }
    // Stage everything first, so a failure leaves no half-written set behind.
    let mut staged = Vec::new();
    for (file, target) in files.iter().zip(&targets) {
        let parent = target.parent().unwrap_or(dir);
        std::fs::create_dir_all(parent)
            .map_err(|error| Error::io(format!("cannot create {}", parent.display()), error))?;
        let mut temp = tempfile::NamedTempFile::new_in(parent)
            .map_err(|error| Error::io(format!("cannot write in {}", parent.display()), error))?;
        std::io::Write::write_all(&mut temp, file.content.as_bytes())
            .map_err(|error| Error::io(format!("cannot write {}", target.display()), error))?;
        staged.push(temp);
    }
    for (temp, target) in staged.into_iter().zip(&targets) {
        temp.persist(target).map_err(|error| {
            Error::io(format!("cannot write {}", target.display()), error.error)
        })?;
    }
    Ok(targets)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn file(path: &str) -> ProducedFile {
        ProducedFile {
            path: path.to_owned(),
            content: "x".to_owned(),
        }
    }

    #[test]
    fn only_plain_relative_paths_are_written() {
        for bad in [
            "../escape",
            "/etc/passwd",
            "a/../../b",
            "",
            "./a",
            "a\\b",
            "a\0b",
        ] {
            assert!(safe_relative(bad).is_err(), "{bad:?} accepted");
        }
        assert_eq!(
            safe_relative("policy/app.hcl").unwrap(),
            PathBuf::from("policy/app.hcl")
        );
    }

    #[test]
    fn all_or_nothing_and_no_overwrite_without_force() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("b.txt"), "old").unwrap();
        let error = write_all(dir.path(), &[file("a.txt"), file("b.txt")], false).unwrap_err();
        assert_eq!(error.exit_code(), 2);
        assert!(
            !dir.path().join("a.txt").exists(),
            "a file was written before the refusal"
        );
        assert_eq!(
            std::fs::read_to_string(dir.path().join("b.txt")).unwrap(),
            "old"
        );
        let written = write_all(
            dir.path(),
            &[file("a.txt"), file("sub/b.txt"), file("b.txt")],
            true,
        )
        .unwrap();
        assert_eq!(written.len(), 3);
        assert_eq!(
            std::fs::read_to_string(dir.path().join("b.txt")).unwrap(),
            "x"
        );
        assert!(write_all(dir.path(), &[file("../x")], true).is_err());
    }

    #[test]
    fn files_come_from_the_marked_property() {
        let schema = json!({"type": "object", "properties": {
            "files": {"type": "array", "x-skill-output-files": true},
            "other": {"type": "array"}
        }});
        let output = json!({"files": [{"path": "a.hcl", "content": "path \"x\" {}"}], "other": [{"path": "no", "content": "no"}]});
        assert_eq!(
            produced(&schema, &output),
            vec![ProducedFile {
                path: "a.hcl".into(),
                content: "path \"x\" {}".into()
            }]
        );
    }
}
