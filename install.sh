#!/usr/bin/env bash
# Sets `skill` up on a machine with Rust, then plans rotations for the shipped
# example inventory. Safe to run again.
#
#   ./install.sh                # build, install to ~/.cargo/bin, run the example
#   ./install.sh --build-only   # build target/release/skill only
#
# What it does: adds the wasm32-wasip2 target (first-party plugins are built
# for it and embedded in the binary with their code compiled ahead of time),
# builds the `skill` binary, copies it to ~/.cargo/bin, checks which `skill`
# your shell finds (Debian and Ubuntu ship procps's `skill` at /usr/bin/skill,
# a command that signals processes), and runs it.
set -euo pipefail
cd "$(dirname "$0")"

build_only=false
case "${1:-}" in
    "") ;;
    --build-only) build_only=true ;;
    *)
        echo "usage: $0 [--build-only]" >&2
        exit 2
        ;;
esac

rustup target add wasm32-wasip2
cargo build --locked --release -p skill
built=target/release/skill

if $build_only; then
    echo "built $built"
    exit 0
fi

bin_dir="${CARGO_HOME:-$HOME/.cargo}/bin"
bin="$bin_dir/skill"
mkdir -p "$bin_dir"
# Copied beside the old binary, then renamed over it: a `skill mcp` that an
# agent is running from the old file keeps running.
cp "$built" "$bin.new.$$"
mv -f "$bin.new.$$" "$bin"
echo "installed $bin"

found="$(command -v skill || true)"
if [ "$found" != "$bin" ]; then
    echo >&2
    echo "note: your shell finds '${found:-nothing}' for 'skill', not $bin." >&2
    echo "      Put $bin_dir before /usr/bin in PATH, e.g. add to your shell profile:" >&2
    echo "        export PATH=\"$bin_dir:\$PATH\"" >&2
    echo "      Until then, call $bin by its path." >&2
    echo >&2
fi

"$bin" run rotation-planner --inventory examples/inventory.json --policy 30d --as-of 2026-06-01
