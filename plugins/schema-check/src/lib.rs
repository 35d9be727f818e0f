//! Test only: the tool schemas that agents see are standard JSON Schema 2020-12.
//!
//! `tests/strict.rs` builds every first-party plugin natively, takes each tool's
//! input and output schema from its manifest, adds schemas the kit makes from
//! every kind of Rust type, and has `check.mjs` compile them all with ajv in
//! strict mode: no unknown format, no unknown keyword, no ignored keyword, no
//! warning of any kind. MCP clients such as Claude Code compile tool schemas
//! with ajv and print a warning for each thing it does not know.
//!
//! Setup, once: `npm ci --prefix plugins/schema-check` (Node.js 18 or newer).
