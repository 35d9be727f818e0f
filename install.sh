#!/usr/bin/env bash
# Sets `skill` up on a machine with Rust, then plans rotations for the shipped
# example inventory. Safe to run again.
#
#   ./install.sh            # build, install to ~/.cargo/bin, run the example
#
# What it does: adds the wasm32-wasip2 target (first-party plugins are built
# for it and embedded in the binary), installs the `skill` binary with cargo
# (profile `dist`: whole-program optimised, a few minutes longer to build),
# checks which `skill` your shell finds (Debian and Ubuntu ship procps's
# `skill` at /usr/bin/skill, a command that signals processes), and runs it.
set -euo pipefail
cd "$(dirname "$0")"

rustup target add wasm32-wasip2
cargo install --locked --profile dist --path host --target-dir target --root "${CARGO_HOME:-$HOME/.cargo}"
bin="${CARGO_HOME:-$HOME/.cargo}/bin/skill"

found="$(command -v skill || true)"
if [ "$found" != "$bin" ]; then
    echo >&2
    echo "note: your shell finds '${found:-nothing}' for 'skill', not $bin." >&2
    echo "      Put $(dirname "$bin") before /usr/bin in PATH, e.g. add to your shell profile:" >&2
    echo "        export PATH=\"$(dirname "$bin"):\$PATH\"" >&2
    echo "      Until then, call $bin by its path." >&2
    echo >&2
fi

"$bin" run rotation-planner --inventory examples/inventory.json --policy 30d --as-of 2026-06-01
