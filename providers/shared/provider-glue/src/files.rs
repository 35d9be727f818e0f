//! The files a provider's `--out DIR` writes: JSON documents its commands
//! read, manifests, workflows and `main.tf`.

use serde::Serialize;
use skill_pdk::{OutputFile, OutputFiles};

/// A file to write: its name and its text.
pub struct File {
    pub path: String,
    pub content: String,
}

impl File {
    pub fn new(path: impl Into<String>, content: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            content: content.into(),
        }
    }

    /// `value` as indented JSON with a final line end.
    pub fn json(path: impl Into<String>, value: &impl Serialize) -> Self {
        let mut text = serde_json::to_string_pretty(value).expect("plain data serializes to JSON");
        text.push('\n');
        Self::new(path, text)
    }
}

/// The files as the kit's output field.
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
