//! The files a provider's `--out DIR` writes, and their form in the tool's
//! output (the kit's `OutputFiles`, which the host writes under the directory).

use skill_pdk::{OutputFile, OutputFiles};

/// A file to write: its name (relative, built from checked names) and its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct File {
    pub path: String,
    pub content: String,
}

/// `files` as the tool's output carries them.
pub fn output(files: Vec<File>) -> OutputFiles {
    OutputFiles(
        files
            .into_iter()
            .map(|file| OutputFile {
                path: file.path,
                content: file.content,
            })
            .collect(),
    )
}
