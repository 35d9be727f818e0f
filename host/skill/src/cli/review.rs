//! The install preview as a person reads it: what a plugin is granted and
//! produces, and for an upgrade what changes. The data comes from
//! [`skill_service::review`]; every text in it may come from the plugin and
//! is escaped by the caller before it reaches the terminal.

use std::fmt::Write as _;

use skill_service::review::{Direction, Preview, ToolGrants, Upgrade};

/// The preview of a plugin file.
pub fn preview(preview: &Preview) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Plugin {} {} (contract {}, {}, sha256 {})",
        preview.name,
        preview.version,
        preview.contract,
        size(preview.size),
        preview.sha256
    );
    if !preview.description.is_empty() {
        let _ = writeln!(out, "  {}", preview.description);
    }
    out.push_str(&super::trust::signer_line(preview.signer.as_ref()));
    out.push_str("Tools:\n");
    for tool in &preview.tools {
        let _ = writeln!(
            out,
            "  {}: {}{}",
            tool.name,
            tool.summary,
            if tool.read_only { "" } else { " (writes)" }
        );
        let _ = writeln!(out, "    reads files: {}", or_none(&tool.input_files));
        let _ = writeln!(out, "    produces files: {}", or_none(&tool.output_files));
        let _ = writeln!(out, "    renderings: json{}", others(&tool.formats));
    }
    out.push_str("Granted beyond compute:\n");
    for import in &preview.host_imports {
        let _ = writeln!(
            out,
            "  {import}: logging, progress, and the input files above, read-only, per call"
        );
    }
    if !preview.wasi_imports.is_empty() {
        let _ = writeln!(
            out,
            "  WASI ({} interfaces): nothing granted (no files, environment, network or \
             processes; the clock reads 1970, random numbers are seeded)",
            preview.wasi_imports.len()
        );
    }
    if let Some(bytes) = preview.guidance_bytes {
        let _ = writeln!(
            out,
            "Guidance for agents: {} (`skill install --agent` puts it where agents read skills)",
            size(bytes)
        );
    }
    out
}

/// What replacing the installed plugin changes.
pub fn upgrade(name: &str, upgrade: &Upgrade) -> String {
    let mut out = String::new();
    let what = match upgrade.direction {
        Direction::Upgrade => "upgrade",
        Direction::Downgrade => "DOWNGRADE",
        Direction::Same => "same version, other bytes",
        Direction::Unordered => "versions are not semver; order unknown",
    };
    let _ = writeln!(
        out,
        "Replaces installed {name} {} -> {} ({what})",
        upgrade.old_version, upgrade.new_version
    );
    let _ = writeln!(out, "  tools added: {}", or_none(&upgrade.tools_added));
    let _ = writeln!(out, "  tools removed: {}", or_none(&upgrade.tools_removed));
    for change in &upgrade.schema_changes {
        let which = match (change.input, change.output) {
            (true, true) => "input and output schemas",
            (true, false) => "input schema",
            _ => "output schema",
        };
        let _ = writeln!(out, "  {}: {which} changed", change.tool);
    }
    for change in &upgrade.grant_changes {
        let ToolGrants {
            input_files,
            output_files,
            ..
        } = &change.after;
        if *input_files != change.before.input_files {
            let _ = writeln!(
                out,
                "  {}: reads files {} (was {})",
                change.tool,
                or_none(input_files),
                or_none(&change.before.input_files)
            );
        }
        if *output_files != change.before.output_files {
            let _ = writeln!(
                out,
                "  {}: produces files {} (was {})",
                change.tool,
                or_none(output_files),
                or_none(&change.before.output_files)
            );
        }
    }
    for import in &upgrade.imports_added {
        let _ = writeln!(out, "  new import: {import}");
    }
    for import in &upgrade.imports_removed {
        let _ = writeln!(out, "  import dropped: {import}");
    }
    out
}

/// Names joined, or `none`.
fn or_none(names: &[String]) -> String {
    if names.is_empty() {
        "none".to_owned()
    } else {
        names.join(", ")
    }
}

fn others(formats: &[String]) -> String {
    formats.iter().map(|f| format!(", {f}")).collect()
}

/// Bytes as a person reads them.
fn size(bytes: usize) -> String {
    match bytes {
        0..1024 => format!("{bytes} B"),
        1024..1_048_576 => format!("{:.1} KiB", bytes as f64 / 1024.0),
        _ => format!("{:.1} MiB", bytes as f64 / 1_048_576.0),
    }
}
