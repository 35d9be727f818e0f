//! Reading what the user hands the host (`--input @FILE`, `--input -`, a
//! plugin to install): regular files only, and never more than a cap.
//!
//! A FIFO, a device such as `/dev/zero` or an endless stdin would otherwise
//! keep the host waiting or reading outside any `--timeout`: these reads happen
//! before a call starts, so no sandbox deadline covers them.

use std::io::Read;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

/// The most bytes of JSON input `--input @FILE` or `--input -` may hold.
/// Large data (audit logs, inventories) is passed as input files, which the
/// plugin streams; the input object itself stays small.
pub const MAX_INPUT_BYTES: u64 = 64 << 20;
/// The most bytes a plugin file to install may hold; the first-party plugins
/// are a few MiB each.
pub const MAX_PLUGIN_BYTES: u64 = 256 << 20;

/// Opens `path` for reading if it is a regular file; a FIFO or a device is
/// refused without blocking (it is opened non-blocking and checked on the
/// open handle, so no swap between a check and the open can slip one in).
pub fn open_regular(path: &Path) -> Result<std::fs::File, String> {
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
        .map_err(|error| format!("cannot read {}: {error}", shown(path)))?;
    let metadata = file
        .metadata()
        .map_err(|error| format!("cannot read {}: {error}", shown(path)))?;
    if metadata.is_dir() {
        return Err(format!("{} is a directory, not a file", shown(path)));
    }
    if !metadata.is_file() {
        return Err(format!(
            "{} is not a regular file (a pipe or a device); only regular files are read",
            shown(path)
        ));
    }
    Ok(file)
}

/// The bytes of the regular file at `path`, refused above `cap` bytes.
pub fn regular_file(path: &Path, cap: u64) -> Result<Vec<u8>, String> {
    let file = open_regular(path)?;
    capped(file, cap).map_err(|error| format!("{}: {error}", shown(path)))
}

/// Every byte of `reader`, or an error once it gives more than `cap`.
pub fn capped(reader: impl Read, cap: u64) -> Result<Vec<u8>, String> {
    let mut bytes = Vec::new();
    reader
        .take(cap + 1)
        .read_to_end(&mut bytes)
        .map_err(|error| format!("cannot read it: {error}"))?;
    if bytes.len() as u64 > cap {
        return Err(format!(
            "it holds more than the limit of {}",
            size_text(cap)
        ));
    }
    Ok(bytes)
}

/// A cap as a person reads it: in MiB or KiB when it is a whole number of them.
fn size_text(bytes: u64) -> String {
    match bytes {
        b if b >= 1 << 20 && b % (1 << 20) == 0 => format!("{} MiB", b >> 20),
        b if b >= 1 << 10 && b % (1 << 10) == 0 => format!("{} KiB", b >> 10),
        b => format!("{b} bytes"),
    }
}

/// A path as host messages show it: on one line, every character that could
/// drive a terminal or disguise the text written as a visible escape.
pub fn shown(path: &Path) -> String {
    untrusted_text::one_line(&path.to_string_lossy()).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_regular_files_within_the_cap_are_read() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("a.json");
        std::fs::write(&file, b"{}").unwrap();
        assert_eq!(regular_file(&file, 2).unwrap(), b"{}");
        let error = regular_file(&file, 1).unwrap_err();
        assert!(error.contains("more than the limit of 1 bytes"), "{error}");
        assert_eq!(size_text(64 << 10), "64 KiB");
        assert_eq!(size_text(256 << 20), "256 MiB");
        let error = regular_file(dir.path(), 10).unwrap_err();
        assert!(error.contains("is a directory"), "{error}");
        let error = regular_file(Path::new("/dev/zero"), 10).unwrap_err();
        assert!(error.contains("not a regular file"), "{error}");
        let error = regular_file(&dir.path().join("new\nline\u{1b}"), 10).unwrap_err();
        assert!(error.contains(r"new\nline\u{1b}"), "{error}");
    }
}
