//! Files a tool produces, written where the user asked (`skill run --out DIR`).
//!
//! A tool returns files inside its output, in a top-level array property
//! marked `"x-skill-output-files": true` whose items are `{path, content}`.
//! Plugins never touch the filesystem; the host writes the files, and only
//! under the directory the user named:
//! - every path must be relative and plain (no `..`, no absolute paths), and
//!   no two may be the same file or a file and a directory above another;
//! - every file is written through a handle on DIR (`cap-std`), so nothing
//!   lands outside it, even through a symbolic link already inside it; a link
//!   on the way to a file is refused, never followed;
//! - all or nothing: the files are written into a temporary directory inside
//!   DIR, then renamed into place; on any failure the ones placed are taken
//!   back, the ones they replaced restored, and the temporary directory removed.
//!   Existing files are refused unless `--force`.

use std::collections::HashSet;
use std::io;
use std::path::{Component, Path, PathBuf};

use cap_std::ambient_authority;
use cap_std::fs::Dir;
use serde_json::Value;

pub use skill_runtime::cache::write_atomically;

use crate::read::shown;
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

/// The plugin and tool whose files are written: its mistakes are blamed on it.
#[derive(Debug, Clone, Copy)]
pub struct Producer<'a> {
    pub plugin: &'a str,
    pub tool: &'a str,
}

impl Producer<'_> {
    fn broke_contract(&self, why: String) -> Error {
        Error::BadOutput {
            plugin: self.plugin.to_owned(),
            tool: self.tool.to_owned(),
            detail: format!("refusing to write the files it produced: {why}"),
        }
    }
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

/// A produced path as messages show it: quoted, on one line, escaped.
fn quoted(path: &str) -> String {
    untrusted_text::one_line(&format!("{path:?}")).into_owned()
}

/// Checks that `path` stays inside the output directory.
fn safe_relative(path: &str) -> std::result::Result<PathBuf, String> {
    if path.is_empty() || path.len() > 1024 || path.contains('\0') || path.contains('\\') {
        return Err(format!("{} is not a plain relative path", quoted(path)));
    }
    let candidate = Path::new(path);
    let mut clean = PathBuf::new();
    for component in candidate.components() {
        match component {
            Component::Normal(part) => clean.push(part),
            _ => {
                return Err(format!(
                    "{} must be relative and must not contain `..` or `.`",
                    quoted(path)
                ));
            }
        }
    }
    Ok(clean)
}

/// The relative paths of `files`, each plain, none the same file as another
/// nor a directory above another.
fn relative_paths(files: &[ProducedFile]) -> std::result::Result<Vec<PathBuf>, String> {
    let relatives = files
        .iter()
        .map(|file| safe_relative(&file.path))
        .collect::<std::result::Result<Vec<_>, _>>()?;
    let mut seen: HashSet<&Path> = HashSet::new();
    for (relative, file) in relatives.iter().zip(files) {
        if !seen.insert(relative.as_path()) {
            return Err(format!("it produced {} twice", quoted(&file.path)));
        }
    }
    for (relative, file) in relatives.iter().zip(files) {
        if let Some(above) = relative.ancestors().skip(1).find(|a| seen.contains(a)) {
            return Err(format!(
                "it produced {} inside {}, which it also produced as a file",
                quoted(&file.path),
                quoted(&above.to_string_lossy())
            ));
        }
    }
    Ok(relatives)
}

/// Writes `files` under `dir`, all or nothing; returns the paths written.
pub fn write_all(
    dir: &Path,
    producer: Producer<'_>,
    files: &[ProducedFile],
    force: bool,
) -> Result<Vec<PathBuf>> {
    if files.is_empty() {
        return Err(Error::Usage(
            "--out was given, but the tool produced no files".to_owned(),
        ));
    }
    let relatives = relative_paths(files).map_err(|why| producer.broke_contract(why))?;
    std::fs::create_dir_all(dir)
        .map_err(|error| Error::io(format!("cannot create {}", shown(dir)), error))?;
    let root = Dir::open_ambient_dir(dir, ambient_authority())
        .map_err(|error| Error::io(format!("cannot open {}", shown(dir)), error))?;
    for relative in &relatives {
        check_target(&root, dir, relative, force)?;
    }

    let not_written = |relative: &Path, error| {
        Error::io(
            format!(
                "cannot write {} (nothing was written)",
                shown(&dir.join(relative))
            ),
            error,
        )
    };
    let staging = Staging::create(&root)
        .map_err(|error| Error::io(format!("cannot write in {}", shown(dir)), error))?;
    for (file, relative) in files.iter().zip(&relatives) {
        let written = match relative.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => staging.dir.create_dir_all(parent),
            _ => Ok(()),
        }
        .and_then(|()| staging.dir.write(relative, file.content.as_bytes()));
        if let Err(error) = written {
            staging.remove(&root);
            return Err(not_written(relative, error));
        }
    }
    let mut placing = Placing::default();
    for relative in &relatives {
        if let Err(error) = placing.place(&root, &staging, relative) {
            placing.undo(&root, &staging);
            staging.remove(&root);
            return Err(not_written(relative, error));
        }
    }
    staging.remove(&root);
    Ok(relatives
        .iter()
        .map(|relative| dir.join(relative))
        .collect())
}

/// Refuses a target that is not a plain file to create or replace: a link or
/// a file on the way to it, a directory in its place, or a file there without
/// `force`. Nothing is written yet when any is refused.
fn check_target(root: &Dir, dir: &Path, relative: &Path, force: bool) -> Result<()> {
    let refuse = |what: String| Err(Error::Usage(format!("{what} (nothing was written)")));
    let mut above: Vec<&Path> = relative.ancestors().skip(1).collect();
    above.reverse();
    for parent in above.into_iter().filter(|p| !p.as_os_str().is_empty()) {
        match root.symlink_metadata(parent) {
            Ok(meta) if meta.is_dir() => {}
            Ok(meta) if meta.is_symlink() => {
                return refuse(format!(
                    "{} is a symbolic link; files are written under {} only, never through a link",
                    shown(&dir.join(parent)),
                    shown(dir)
                ));
            }
            Ok(_) => return refuse(format!("{} is not a directory", shown(&dir.join(parent)))),
            Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(()),
            Err(error) => {
                return Err(Error::io(
                    format!("cannot read {}", shown(&dir.join(parent))),
                    error,
                ));
            }
        }
    }
    match root.symlink_metadata(relative) {
        Ok(meta) if meta.is_dir() => {
            refuse(format!("{} is a directory", shown(&dir.join(relative))))
        }
        Ok(_) if !force => refuse(format!(
            "{} exists; pass --force to overwrite",
            shown(&dir.join(relative))
        )),
        Ok(_) => Ok(()),
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(error) => Err(Error::io(
            format!("cannot read {}", shown(&dir.join(relative))),
            error,
        )),
    }
}

/// The temporary directory inside DIR that the files are written into first.
struct Staging {
    name: PathBuf,
    dir: Dir,
}

/// Where files replaced by `--force` wait inside the staging directory.
const REPLACED: &str = "replaced";
/// Where the new files are written inside the staging directory.
const NEW: &str = "new";

impl Staging {
    fn create(root: &Dir) -> io::Result<Self> {
        let mut attempt = 0u32;
        loop {
            let name = PathBuf::from(format!(".skill-out-{}-{attempt}", std::process::id()));
            match root.create_dir(&name) {
                Ok(()) => {
                    let dir = root.open_dir(&name)?;
                    dir.create_dir(NEW)?;
                    dir.create_dir(REPLACED)?;
                    let new = dir.open_dir(NEW)?;
                    return Ok(Self { name, dir: new });
                }
                Err(error) if error.kind() == io::ErrorKind::AlreadyExists && attempt < 100 => {
                    attempt += 1;
                }
                Err(error) => return Err(error),
            }
        }
    }

    fn replaced(&self, index: usize) -> PathBuf {
        self.name.join(REPLACED).join(index.to_string())
    }

    fn new_file(&self, relative: &Path) -> PathBuf {
        self.name.join(NEW).join(relative)
    }

    fn remove(&self, root: &Dir) {
        if let Err(error) = root.remove_dir_all(&self.name) {
            tracing::warn!("cannot remove {}: {error}", self.name.display());
        }
    }
}

/// What placing the staged files has done so far, to undo it on failure.
#[derive(Default)]
struct Placing {
    created_dirs: Vec<PathBuf>,
    /// Files placed, each with the index of the file it replaced, if any.
    placed: Vec<(PathBuf, Option<usize>)>,
    replaced: usize,
}

impl Placing {
    fn place(&mut self, root: &Dir, staging: &Staging, relative: &Path) -> io::Result<()> {
        let mut above: Vec<&Path> = relative.ancestors().skip(1).collect();
        above.reverse();
        for parent in above.into_iter().filter(|p| !p.as_os_str().is_empty()) {
            match root.symlink_metadata(parent) {
                Ok(meta) if meta.is_dir() => {}
                Ok(_) => return Err(io::Error::other("a file or link is in the way")),
                Err(error) if error.kind() == io::ErrorKind::NotFound => {
                    root.create_dir(parent)?;
                    self.created_dirs.push(parent.to_owned());
                }
                Err(error) => return Err(error),
            }
        }
        let replaced = match root.symlink_metadata(relative) {
            Ok(_) => {
                let index = self.replaced;
                root.rename(relative, root, staging.replaced(index))?;
                self.replaced += 1;
                Some(index)
            }
            Err(error) if error.kind() == io::ErrorKind::NotFound => None,
            Err(error) => return Err(error),
        };
        self.placed.push((relative.to_owned(), replaced));
        root.rename(staging.new_file(relative), root, relative)
    }

    /// Takes the placed files back and restores what they replaced, newest first.
    fn undo(&self, root: &Dir, staging: &Staging) {
        for (relative, replaced) in self.placed.iter().rev() {
            let _ = root.remove_file(relative);
            if let Some(index) = replaced
                && let Err(error) = root.rename(staging.replaced(*index), root, relative)
            {
                tracing::error!("cannot restore {}: {error}", shown(relative));
            }
        }
        for dir in self.created_dirs.iter().rev() {
            let _ = root.remove_dir(dir);
        }
    }
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

    const PRODUCER: Producer<'static> = Producer {
        plugin: "p",
        tool: "t",
    };

    /// Every path under `dir`, with the content of each file.
    fn tree(dir: &Path) -> Vec<(PathBuf, Option<String>)> {
        let mut found = Vec::new();
        let mut stack = vec![dir.to_owned()];
        while let Some(at) = stack.pop() {
            for entry in std::fs::read_dir(&at).unwrap() {
                let path = entry.unwrap().path();
                let meta = std::fs::symlink_metadata(&path).unwrap();
                let content = meta
                    .is_file()
                    .then(|| std::fs::read_to_string(&path).unwrap());
                if meta.is_dir() {
                    stack.push(path.clone());
                }
                found.push((path.strip_prefix(dir).unwrap().to_owned(), content));
            }
        }
        found.sort();
        found
    }

    #[test]
    fn all_or_nothing_and_no_overwrite_without_force() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("b.txt"), "old").unwrap();
        let before = tree(dir.path());
        let error =
            write_all(dir.path(), PRODUCER, &[file("a.txt"), file("b.txt")], false).unwrap_err();
        assert_eq!(error.exit_code(), 2);
        assert_eq!(
            tree(dir.path()),
            before,
            "a file was written before the refusal"
        );
        let written = write_all(
            dir.path(),
            PRODUCER,
            &[file("a.txt"), file("sub/b.txt"), file("b.txt")],
            true,
        )
        .unwrap();
        assert_eq!(written.len(), 3);
        assert_eq!(
            std::fs::read_to_string(dir.path().join("b.txt")).unwrap(),
            "x"
        );
        // Nothing of the staging is left behind.
        assert_eq!(tree(dir.path()).len(), 4, "{:?}", tree(dir.path()));
        assert!(write_all(dir.path(), PRODUCER, &[file("../x")], true).is_err());
    }

    #[test]
    fn a_failure_midway_leaves_the_directory_as_it_was() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.txt"), "old").unwrap();
        let before = tree(dir.path());
        // A name longer than any filesystem takes fails after other files were staged.
        let too_long = format!("sub/{}", "n".repeat(300));
        let error = write_all(
            dir.path(),
            PRODUCER,
            &[file("a.txt"), file("new/b.txt"), file(&too_long)],
            true,
        )
        .unwrap_err();
        assert!(error.to_string().contains("nothing was written"), "{error}");
        assert_eq!(tree(dir.path()), before);
    }

    /// Placing fails after some files are already renamed into place (here
    /// another process puts a file where a directory must go): undoing puts
    /// back every file they replaced and removes the rest, directories too.
    #[test]
    fn a_failure_while_renaming_into_place_is_undone() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.txt"), "old").unwrap();
        let before = tree(dir.path());
        let root = Dir::open_ambient_dir(dir.path(), ambient_authority()).unwrap();
        let staging = Staging::create(&root).unwrap();
        for relative in ["a.txt", "new/b.txt", "late/c.txt"] {
            let relative = Path::new(relative);
            if let Some(parent) = relative.parent() {
                staging.dir.create_dir_all(parent).unwrap();
            }
            staging.dir.write(relative, b"x").unwrap();
        }
        let mut placing = Placing::default();
        for placed in ["a.txt", "new/b.txt"] {
            placing.place(&root, &staging, Path::new(placed)).unwrap();
        }
        assert_eq!(
            std::fs::read_to_string(dir.path().join("a.txt")).unwrap(),
            "x"
        );
        std::fs::write(dir.path().join("late"), "in the way").unwrap();
        let failed = placing.place(&root, &staging, Path::new("late/c.txt"));
        assert!(failed.is_err(), "placed through a file");
        std::fs::remove_file(dir.path().join("late")).unwrap();
        placing.undo(&root, &staging);
        staging.remove(&root);
        assert_eq!(tree(dir.path()), before);
    }

    #[test]
    fn duplicates_and_files_under_files_blame_the_plugin() {
        let dir = tempfile::tempdir().unwrap();
        for files in [
            vec![file("a.txt"), file("a.txt")],
            vec![file("a/b.txt"), file("a//b.txt")],
            vec![file("a"), file("a/b.txt")],
            vec![file("a/b/c"), file("a/b")],
        ] {
            let error = write_all(dir.path(), PRODUCER, &files, true).unwrap_err();
            assert!(
                matches!(&error, Error::BadOutput { plugin, tool, .. } if plugin == "p" && tool == "t"),
                "{files:?}: {error}"
            );
        }
        assert!(tree(dir.path()).is_empty());
    }

    #[test]
    fn nothing_is_written_through_a_link_inside_the_directory() {
        let dir = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink(outside.path(), dir.path().join("link")).unwrap();
        std::os::unix::fs::symlink(outside.path().join("f"), dir.path().join("f")).unwrap();
        let error = write_all(dir.path(), PRODUCER, &[file("link/x.txt")], true).unwrap_err();
        assert!(error.to_string().contains("symbolic link"), "{error}");
        // A link in a file's own place is replaced by the file, never followed.
        write_all(dir.path(), PRODUCER, &[file("f")], true).unwrap();
        assert!(
            std::fs::symlink_metadata(dir.path().join("f"))
                .unwrap()
                .is_file()
        );
        assert!(tree(outside.path()).is_empty());
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
