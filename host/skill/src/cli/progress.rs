//! A progress bar on the terminal while a tool streams large inputs.
//!
//! Shown only when a person is watching: stderr is a terminal, the output is
//! not JSON for a program, and the inputs are large enough to take a while.

use std::collections::HashMap;
use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use skill_service::{Progress, ProgressFn};

/// Inputs smaller than this finish before a bar would be worth drawing.
const MIN_BYTES: u64 = 16 << 20;

/// A bar over the total size of `inputs` (paths), with the callback that moves it.
pub fn for_inputs(inputs: &[String], format: &str) -> Option<(ProgressBar, ProgressFn)> {
    if format == "json" || !std::io::stderr().is_terminal() {
        return None;
    }
    let total: u64 = inputs
        .iter()
        .filter_map(|path| std::fs::metadata(path).ok())
        .map(|m| m.len())
        .sum();
    if total < MIN_BYTES {
        return None;
    }
    let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr_with_hz(10));
    let style = ProgressStyle::with_template(
        "{msg:20!} [{bar:32}] {binary_bytes}/{binary_total_bytes} {binary_bytes_per_sec} eta {eta}",
    )
    .map(|style| style.progress_chars("=> "))
    .unwrap_or_else(|_| ProgressStyle::default_bar());
    bar.set_style(style);
    bar.enable_steady_tick(Duration::from_millis(200));
    let shown = bar.clone();
    let mut done_by_path: HashMap<String, u64> = HashMap::new();
    let callback: ProgressFn = Box::new(move |progress| match progress {
        Progress::Input { path, done, .. } => {
            done_by_path.insert(path.to_owned(), done);
            shown.set_position(done_by_path.values().sum());
            if shown.message().is_empty() {
                shown.set_message(path.rsplit('/').next().unwrap_or(path).to_owned());
            }
        }
        Progress::Plugin { message, .. } => shown.set_message(message.to_owned()),
    });
    Some((bar, callback))
}
